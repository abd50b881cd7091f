//! `/api/v1/templates`: reply templates per purpose and language with
//! `{{variable}}` placeholders, and a preview rendered with a case's values.

use crate::api::json::ApiJson;
use crate::api::query::ApiQuery;
use crate::auth::Actor;
use crate::error::{ApiResult, Problem};
use crate::state::AppState;
use amends_domain::goodwill::GrantState;
use amends_domain::template::{TemplateDraft, TemplatePurpose, TemplateValues, render};
use amends_domain::{CaseId, IncidentId, Language, Permission};
use amends_store::{Case, GrantFilter, ReplyTemplate, Store, StoreError, TemplateFilter};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_templates, create_template))
        .routes(routes!(get_template, update_template, delete_template))
        .routes(routes!(preview_template))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct ListQuery {
    /// `reply`, `apology`, `solution`, `goodwill_offer`, `follow_up`, `incident_notice`, `incident_closing`.
    pub purpose: Option<String>,
    /// `de` or `en`.
    pub language: Option<String>,
    /// Only active templates (default false: all).
    #[serde(default)]
    pub active: Option<bool>,
}

/// A template to create or replace.
#[derive(Debug, Deserialize, ToSchema)]
pub struct TemplateIn {
    /// 1 to 100 characters.
    pub name: String,
    /// `reply`, `apology`, `solution`, `goodwill_offer`, `follow_up`, `incident_notice`, `incident_closing`.
    pub purpose: String,
    /// `de` or `en`.
    pub language: String,
    /// At most 200 characters; may use variables.
    #[serde(default)]
    pub subject: String,
    /// 1 to 10,000 characters. Variables: `{{customer_name}}`, `{{case_reference}}`,
    /// `{{case_subject}}`, `{{agent_name}}`, `{{incident_title}}`, `{{delay_minutes}}`, `{{goodwill}}`,
    /// `{{solution_title}}`, `{{solution_url}}` (the article last linked to the case; the URL only for public ones).
    pub body: String,
    #[serde(default = "yes")]
    pub active: bool,
}

fn yes() -> bool {
    true
}

impl TemplateIn {
    pub fn validate(&self) -> ApiResult<TemplateDraft> {
        Ok(TemplateDraft::parse(
            &self.name,
            &self.purpose,
            &self.language,
            &self.subject,
            &self.body,
            self.active,
        )?)
    }
}

/// Preview input: without a case, sample values are used.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct PreviewIn {
    #[serde(default)]
    pub case_id: Option<Uuid>,
}

/// A rendered template.
#[derive(Debug, Serialize, ToSchema)]
pub struct PreviewOut {
    pub subject: String,
    pub body: String,
}

/// The values a template gets for `case`, replied to by `agent_name`:
/// the customer, the case, its incident (title, and the customer's
/// `delay_minutes` fact from the affected upload) and the newest goodwill
/// granted on it (the catalog item's name in the customer's language, or
/// the amount).
pub async fn values_for_case(
    store: &Store,
    base_url: &str,
    case: &Case,
    agent_name: &str,
) -> Result<TemplateValues, StoreError> {
    let (mut incident_title, mut delay_minutes) = (None, None);
    if let Some(id) = case.incident_id {
        incident_title = Some(store.get_incident(IncidentId(id)).await?.title);
        match store.get_affected(IncidentId(id), case.customer_id.0).await {
            Ok(row) => {
                let facts: serde_json::Value = serde_json::from_str(&row.facts).unwrap_or_default();
                delay_minutes = facts.get("delay_minutes").map(|v| match v {
                    serde_json::Value::String(s) => s.clone(),
                    other => other.to_string(),
                });
            }
            Err(StoreError::NotFound(_)) => {}
            Err(e) => return Err(e),
        }
    }
    let lang = case.customer_language;
    let grants = store
        .list_grants(&GrantFilter {
            case_id: Some(case.id),
            state: Some(GrantState::Granted),
            limit: 1,
            ..GrantFilter::default()
        })
        .await?;
    let goodwill = match grants.first() {
        None => None,
        Some(g) => {
            let item = match g.catalog_item_id {
                Some(item) => match store.get_catalog_item(item).await {
                    Ok(c) => Some(if lang == Language::De { c.name_de } else { c.name_en }),
                    Err(StoreError::NotFound(_)) => None,
                    Err(e) => return Err(e),
                },
                None => None,
            };
            Some(item.unwrap_or_else(|| money(g.value_cents, &g.currency, lang)))
        }
    };
    let linked = store.case_solutions(case.id).await?;
    let solution = linked.last();
    Ok(TemplateValues {
        solution_title: solution.map(|s| s.title.clone()),
        solution_url: solution
            .filter(|s| s.public)
            .map(|s| format!("{}/help/articles/{}", base_url.trim_end_matches('/'), s.id)),
        customer_name: Some(case.customer_name.clone()),
        case_reference: Some(format!("#{}", case.id.short())),
        case_subject: Some(case.subject.clone()),
        agent_name: Some(agent_name.to_string()),
        incident_title,
        delay_minutes,
        goodwill,
    })
}

/// An amount for a customer: euros as the UI writes them, other currencies with their code.
fn money(cents: i64, currency: &str, lang: Language) -> String {
    if currency == "EUR" {
        crate::ui::render::format_money(cents, lang)
    } else {
        format!("{}.{:02} {currency}", cents / 100, (cents % 100).abs())
    }
}

/// Renders subject and body of `t` with `values`.
#[must_use]
pub fn render_template(t: &ReplyTemplate, values: &TemplateValues) -> PreviewOut {
    PreviewOut {
        subject: render(&t.subject, values),
        body: render(&t.body, values),
    }
}

/// Reply templates, optionally by purpose, language and active flag.
#[utoipa::path(get, path = "/templates", tag = "templates", params(ListQuery),
    responses((status = 200, body = Vec<Object>), (status = 422, body = Problem)))]
async fn list_templates(
    State(state): State<AppState>,
    actor: Actor,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<Vec<ReplyTemplate>>> {
    actor.require(Permission::ReadCases)?;
    let filter = TemplateFilter {
        purpose: q.purpose.as_deref().map(str::parse::<TemplatePurpose>).transpose()?,
        language: q.language.as_deref().map(str::parse::<Language>).transpose()?,
        active_only: q.active.unwrap_or(false),
    };
    Ok(Json(state.store().list_templates(filter).await?))
}

/// Add a reply template (leads and admins).
#[utoipa::path(post, path = "/templates", tag = "templates", request_body = TemplateIn,
    responses((status = 201, body = Object), (status = 422, body = Problem)))]
async fn create_template(
    State(state): State<AppState>,
    actor: Actor,
    ApiJson(body): ApiJson<TemplateIn>,
) -> ApiResult<(StatusCode, Json<ReplyTemplate>)> {
    actor.require(Permission::ManageTemplates)?;
    let draft = body.validate()?;
    let t = state
        .store()
        .save_template(None, &draft, Some(actor.user.id), state.now())
        .await?;
    Ok((StatusCode::CREATED, Json(t)))
}

#[utoipa::path(get, path = "/templates/{id}", tag = "templates", params(("id" = Uuid, Path)),
    responses((status = 200, body = Object), (status = 404, body = Problem)))]
async fn get_template(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<ReplyTemplate>> {
    actor.require(Permission::ReadCases)?;
    Ok(Json(state.store().get_template(id).await?))
}

/// Replace a reply template (leads and admins).
#[utoipa::path(put, path = "/templates/{id}", tag = "templates", params(("id" = Uuid, Path)), request_body = TemplateIn,
    responses((status = 200, body = Object), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn update_template(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<Uuid>,
    ApiJson(body): ApiJson<TemplateIn>,
) -> ApiResult<Json<ReplyTemplate>> {
    actor.require(Permission::ManageTemplates)?;
    let draft = body.validate()?;
    Ok(Json(
        state
            .store()
            .save_template(Some(id), &draft, Some(actor.user.id), state.now())
            .await?,
    ))
}

/// Delete a reply template (leads and admins).
#[utoipa::path(delete, path = "/templates/{id}", tag = "templates", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 404, body = Problem)))]
async fn delete_template(State(state): State<AppState>, actor: Actor, Path(id): Path<Uuid>) -> ApiResult<StatusCode> {
    actor.require(Permission::ManageTemplates)?;
    state
        .store()
        .delete_template(id, Some(actor.user.id), state.now())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Render a template: with `case_id`, for that case's customer and the
/// calling agent; without, with sample values in the template's language.
#[utoipa::path(post, path = "/templates/{id}/preview", tag = "templates", params(("id" = Uuid, Path)),
    request_body = PreviewIn,
    responses((status = 200, body = PreviewOut), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn preview_template(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<Uuid>,
    ApiJson(body): ApiJson<PreviewIn>,
) -> ApiResult<Json<PreviewOut>> {
    actor.require(Permission::ReadCases)?;
    let t = state.store().get_template(id).await?;
    let values = match body.case_id {
        Some(case_id) => {
            let case = state.store().get_case(CaseId(case_id)).await?;
            values_for_case(state.store(), &state.config().base_url, &case, &actor.user.display_name).await?
        }
        None => TemplateValues::sample(t.language),
    };
    Ok(Json(render_template(&t, &values)))
}
