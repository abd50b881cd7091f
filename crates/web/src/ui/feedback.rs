//! The feedback stream and the detection-rules settings page.

use crate::dto::FeedbackOut;
use crate::query::FeedbackQuery;
use crate::query::{next_page_link, parse_or_default};
use crate::state::AppState;
use crate::ui::UiError;
use crate::ui::forms::CsrfForm;
use crate::ui::forms::IdButton;
use crate::ui::session::UiUser;
use amends_app::AppError;
use amends_app::detection::{self, RuleFields};
use amends_app::detection_rules;
use amends_domain::detection::Conditions;
use amends_domain::feedback::{Rating, SentimentLabel};
use amends_domain::{Channel, FeedbackId, Permission, Priority, RuleId, Tier};
use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::{Value, context};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use uuid::Uuid;

/// Shown characters of a long text in the stream.
const EXCERPT: usize = 1500;

/// The ids of the analyser's topics, for the topic filters and conditions.
fn topic_ids(state: &AppState) -> Vec<String> {
    state
        .analyzer()
        .taxonomy()
        .topics
        .iter()
        .map(|t| t.id.clone())
        .collect()
}

pub async fn stream(State(state): State<AppState>, ui: UiUser, RawQuery(raw): RawQuery) -> Result<Response, UiError> {
    let raw = raw.unwrap_or_default();
    let (query, mut error) = parse_or_default::<FeedbackQuery>(&raw);
    let filter = match query.to_filter() {
        Ok(f) => f,
        Err(e) => {
            error = Some(e.to_string());
            FeedbackQuery::default().to_filter()?
        }
    };
    let page = state.store().list_feedback(&filter).await?;
    let ids: Vec<Uuid> = page.items.iter().map(|f| f.id.0).collect();
    let mut corrected = crate::ui::corrections::by_feedback(&state, &ids).await?;
    let items: Vec<Value> = page
        .items
        .into_iter()
        .map(|f| {
            let reasons = f.reasons();
            let long = f.text.chars().count() > EXCERPT;
            let excerpt: String = f.text.chars().take(EXCERPT).collect();
            // How German sentiment was read (amends_text::Audience).
            let read_as = (f.language == amends_domain::Language::De)
                .then(|| amends_app::analysis::audience_of(f.channel).as_str());
            let correction = corrected.remove(&f.id.0).map(|c| {
                context! { sentiment => c.sentiment, topics => c.topic_list(), user_name => c.user_name }
            });
            let out = FeedbackOut::from(f);
            context! {
                correction => correction,
                excerpt => excerpt,
                truncated => long,
                read_as => read_as,
                reasons => Value::from_serialize(&reasons),
                ..Value::from_serialize(&out)
            }
        })
        .collect();
    let next_link = page.next_cursor.map(|c| next_page_link("/feedback", &raw, c));
    let channels: Vec<&str> = Channel::ALL.iter().map(|c| c.as_str()).collect();
    let sentiments: Vec<&str> = SentimentLabel::ALL.iter().map(|s| s.as_str()).collect();
    let topics = topic_ids(&state);
    ui.page(
        &state,
        "feedback.html",
        context! {
            nav => "feedback",
            items => items,
            next_link => next_link,
            error => error,
            channels => channels,
            sentiments => sentiments,
            topics => topics,
            q => context! {
                channel => query.channel,
                sentiment => query.sentiment,
                topic => query.topic,
                rating => query.rating,
                language => query.language,
                customer_id => query.customer_id,
                has_case => query.has_case,
            },
        },
    )
}

/// "Open case" on an item without one: opens it and shows the case.
pub async fn open_case(IdButton { state, id, ui }: IdButton) -> Result<Response, UiError> {
    match detection::open_case_for(&state, FeedbackId(id), Some(ui.user.id)).await {
        Ok(case) => Ok(crate::ui::flash::to(&format!("/cases/{case}"), "flash-case-created")),
        Err(AppError::Conflict { .. }) => {
            let f = state.store().get_feedback(FeedbackId(id)).await?;
            let to = f
                .case_id
                .map_or_else(|| "/feedback".to_string(), |c| format!("/cases/{c}"));
            Ok(Redirect::to(&to).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

/// The fields of the "new rule" form, kept to show it again with errors.
#[derive(Debug, Default, Deserialize, Serialize)]
pub struct RuleForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    priority: String,
    #[serde(default)]
    rating_max: String,
    #[serde(default)]
    rating_min: String,
    #[serde(default)]
    sentiment: String,
    #[serde(default)]
    topic: String,
    #[serde(default)]
    signal: String,
    #[serde(default)]
    tier: String,
    #[serde(default)]
    clv_min: String,
    #[serde(default)]
    channel: String,
}

impl RuleForm {
    fn conditions(&self) -> Result<Conditions, amends_domain::ValidationError> {
        let opt = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
        let clv_min_cents = match opt(&self.clv_min) {
            None => None,
            Some(s) => Some(
                s.replace(['.', ' '], "")
                    .replace(',', ".")
                    .parse::<f64>()
                    .ok()
                    .filter(|v| v.is_finite() && *v >= 0.0 && *v < 1e13)
                    .map(|v| (v * 100.0).round() as i64)
                    .ok_or_else(|| {
                        amends_domain::ValidationError::new("clv_min", "CLV must be an amount such as 1000")
                    })?,
            ),
        };
        Ok(Conditions {
            rating_max: opt(&self.rating_max)
                .map(|s| s.parse::<Rating>().map_err(|e| e.for_field("rating_max")))
                .transpose()?,
            rating_min: opt(&self.rating_min)
                .map(|s| s.parse::<Rating>().map_err(|e| e.for_field("rating_min")))
                .transpose()?,
            sentiment: opt(&self.sentiment).map(|s| s.parse()).transpose()?,
            topic: opt(&self.topic),
            signal: opt(&self.signal),
            tier: opt(&self.tier).map(|s| s.parse::<Tier>()).transpose()?,
            clv_min_cents,
            channel: opt(&self.channel).map(|s| s.parse::<Channel>()).transpose()?,
        })
    }
}

/// The rules page; `window` is the attach window form typed back with its
/// error key when it was refused.
pub(crate) async fn render_rules(
    state: &AppState,
    ui: &UiUser,
    form: &RuleForm,
    errors: &BTreeMap<String, String>,
    window: Option<(&str, &str)>,
) -> Result<Response, UiError> {
    let rules = state.store().list_rules().await?;
    let (window_days, window_error) = match window {
        Some((typed, error)) => (typed.to_string(), Some(error)),
        None => (
            amends_app::case_merge::attach_setting(state).await?.days.to_string(),
            None,
        ),
    };
    let rules: Vec<Value> = rules
        .into_iter()
        .map(|r| {
            let c = r.parsed_conditions();
            context! {
                conditions => Value::from_serialize(&c),
                ..Value::from_serialize(&r)
            }
        })
        .collect();
    let topics = topic_ids(state);
    ui.page(
        state,
        "rules.html",
        context! {
            nav => "settings",
            rules => rules,
            can_manage => ui.user.role.can(Permission::ManageRules),
            form => Value::from_serialize(form),
            errors => errors,
            channels => Channel::ALL.iter().map(|c| c.as_str()).collect::<Vec<_>>(),
            priorities => Priority::ALL.iter().map(|p| p.as_str()).collect::<Vec<_>>(),
            sentiments => SentimentLabel::ALL.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
            signals => amends_domain::feedback::SIGNALS,
            tiers => Tier::ALL.iter().map(|t| t.as_str()).collect::<Vec<_>>(),
            topics => topics,
            window_days => window_days,
            window_error => window_error,
        },
    )
}

/// The new-rule form as the page first shows it.
pub(crate) fn blank_rule_form() -> RuleForm {
    RuleForm {
        action: "open_case".into(),
        priority: "normal".into(),
        ..RuleForm::default()
    }
}

pub async fn rules_page(State(state): State<AppState>, ui: UiUser) -> Result<Response, UiError> {
    let form = blank_rule_form();
    render_rules(&state, &ui, &form, &BTreeMap::new(), None).await
}

pub async fn create_rule(
    State(state): State<AppState>,
    CsrfForm(ui, form): CsrfForm<RuleForm>,
) -> Result<Response, UiError> {
    let created = match form.conditions() {
        Ok(conditions) => {
            let fields = RuleFields {
                name: form.name.clone(),
                position: None,
                enabled: Some(true),
                conditions,
                action: Some(form.action.clone()),
                priority: Some(form.priority.clone()),
            };
            detection_rules::create(&state, fields, ui.user.id).await
        }
        Err(e) => Err(e.into()),
    };
    match created {
        Ok(_) => Ok(crate::ui::flash::to("/settings/rules", "flash-saved")),
        Err(AppError::Validation { field, .. }) => {
            let field = field.trim_start_matches("conditions.").to_string();
            let key = match field.as_str() {
                "name" => "err-rule-name",
                "conditions" => "err-rule-conditions",
                "rating_min" | "rating_max" => "err-rule-rating",
                "clv_min" => "err-rule-clv",
                _ => "err-invalid",
            };
            let field = if field == "conditions" {
                "rating_max".to_string()
            } else {
                field
            };
            let mut errors = BTreeMap::new();
            errors.insert(field, key.to_string());
            let mut res = render_rules(&state, &ui, &form, &errors, None).await?;
            *res.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
            Ok(res)
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn toggle_rule(IdButton { state, id, ui }: IdButton) -> Result<Response, UiError> {
    detection_rules::toggle(&state, RuleId(id), ui.user.id).await?;
    Ok(crate::ui::flash::to("/settings/rules", "flash-saved"))
}

pub async fn delete_rule(IdButton { state, id, ui }: IdButton) -> Result<Response, UiError> {
    detection_rules::delete(&state, RuleId(id), ui.user.id).await?;
    Ok(crate::ui::flash::to("/settings/rules", "flash-deleted"))
}
