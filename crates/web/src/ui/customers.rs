//! Customer list, customer page (360: profile, figures, every case and
//! feedback item, goodwill, survey answers, sentiment over time as an inline
//! SVG chart) and the B2B account page.

use crate::query::parse_cursor;
use crate::state::AppState;
use crate::ui::UiError;
use crate::ui::inbox::row;
use crate::ui::session::UiUser;
use amends_domain::{CustomerId, Permission};
use amends_store::{CaseFilter, CustomerFilter};
use axum::extract::{Path, Query, State};
use axum::response::Response;
use minijinja::{Value, context};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Deserialize)]
pub struct ListQuery {
    q: Option<String>,
    cursor: Option<String>,
}

pub async fn list(State(state): State<AppState>, ui: UiUser, Query(q): Query<ListQuery>) -> Result<Response, UiError> {
    let filter = CustomerFilter {
        q: q.q.clone(),
        cursor: parse_cursor(q.cursor.as_deref()).map_err(UiError::from)?,
        limit: 50,
        ..CustomerFilter::default()
    };
    let page_data = state.store().list_customers(&filter).await?;
    let next_link = page_data.next_cursor.map(|c| {
        let qs: String = form_urlencoded::Serializer::new(String::new())
            .append_pair("q", q.q.as_deref().unwrap_or_default())
            .append_pair("cursor", &c)
            .finish();
        format!("/customers?{qs}")
    });
    ui.page(
        &state,
        "customers.html",
        context! {
            nav => "customers",
            customers => Value::from_serialize(&page_data.items),
            q => q.q,
            next_link => next_link,
        },
    )
}

#[derive(Deserialize)]
pub struct CustomerQuery {
    cursor: Option<String>,
    /// `erased` or `erased-before` after an erasure (the notice to show).
    privacy: Option<String>,
}

pub async fn page(
    State(state): State<AppState>,
    ui: UiUser,
    Path(id): Path<Uuid>,
    Query(q): Query<CustomerQuery>,
) -> Result<Response, UiError> {
    let overview = match amends_app::overview::customer_overview(&state, CustomerId(id)).await {
        Err(amends_app::AppError::NotFound(_)) => return crate::ui::customer_merge::gone(&state, CustomerId(id)).await,
        other => other?,
    };
    let mut customer = overview.customer.clone();
    if customer.erased_at.is_some() {
        customer.name = amends_app::privacy::pseudonym(customer.id, ui.lang())?;
    }
    let account = overview.account.clone();
    let feedback = state
        .store()
        .list_feedback(&amends_store::FeedbackFilter {
            customer_id: Some(customer.id),
            limit: FEEDBACK_SHOWN,
            ..amends_store::FeedbackFilter::default()
        })
        .await?;
    let cases = state
        .store()
        .list_cases(&CaseFilter {
            customer_id: Some(customer.id),
            cursor: parse_cursor(q.cursor.as_deref()).map_err(UiError::from)?,
            limit: 50,
            ..CaseFilter::default()
        })
        .await?;
    let goodwill = state
        .store()
        .list_grants(&amends_store::GrantFilter {
            customer_id: Some(customer.id),
            limit: 200,
            ..amends_store::GrantFilter::default()
        })
        .await?;
    let now = state.now();
    let next_link = cases.next_cursor.map(|c| format!("/customers/{id}?cursor={c}"));
    let rows: Vec<Value> = cases.items.into_iter().map(|c| row(c, now)).collect();
    ui.page(&state, "customer.html", context! {
            nav => "customers",
            customer => Value::from_serialize(&customer),
            account => Value::from_serialize(&account),
            rows => rows,
            open_count => overview.facts.open_cases,
            next_link => next_link,
            goodwill => Value::from_serialize(&goodwill),
            facts => Value::from_serialize(overview.facts),
            surveys => Value::from_serialize(&overview.surveys),
            feedback => feedback.items.iter().map(|f| {
                let excerpt: String = f.text.chars().take(300).collect();
                context! { created_at => f.created_at, channel => f.channel.as_str(), sentiment => f.sentiment.as_str(),
                    rating => f.rating, case_id => f.case_id, truncated => excerpt.len() < f.text.len(), excerpt => excerpt }
            }).collect::<Vec<_>>(),
            csat => overview.facts.average_csat.map(|v| decimal(v, 1, ui.lang())),
            sentiment_rows => overview.sentiment.iter().map(|m| context! { month => m.month.clone(),
                average => decimal(m.average, 2, ui.lang()), count => m.count, negative => m.negative }).collect::<Vec<_>>(),
            feedback_more => feedback.next_cursor.is_some(),
            sentiment => Value::from_serialize(&overview.sentiment),
            trend => overview.trend.as_str(),
            chart => Value::from_serialize(sentiment_chart(&overview.sentiment)),
            can_export => ui.user.role.can(Permission::ExportPersonalData),
            can_erase => ui.user.role.can(Permission::ErasePersonalData),
            can_merge => ui.user.role.can(Permission::MergeCustomers),
            privacy_notice => match q.privacy.as_deref() {
                Some("erased") => Some("privacy-erased-notice"),
                Some("erased-before") => Some("privacy-erased-already"),
                _ => None,
            },
        })
}

/// `v` with `places` decimals in the UI language's notation (`4,5` / `4.5`).
fn decimal(v: f64, places: usize, lang: amends_domain::Language) -> String {
    let s = format!("{v:.places$}");
    if lang == amends_domain::Language::De {
        s.replace('.', ",")
    } else {
        s
    }
}

/// Feedback items listed on the customer page (newest first).
const FEEDBACK_SHOWN: usize = 50;

/// Geometry of the sentiment chart, drawn as inline SVG by the template.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Chart {
    pub width: u32,
    pub height: u32,
    /// `x,y x,y …` for the polyline.
    pub points: String,
    pub dots: Vec<ChartDot>,
    /// y of the scores +1, 0 and −1.
    pub y_top: f64,
    pub y_zero: f64,
    pub y_bottom: f64,
    pub x_left: f64,
    pub x_right: f64,
    pub first_month: String,
    pub last_month: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChartDot {
    pub x: f64,
    pub y: f64,
    pub month: String,
    /// Mean score rounded to two decimals.
    pub average: f64,
    pub count: u32,
    /// `negative`, `neutral` or `positive` (for the colour).
    pub label: &'static str,
}

const CHART_W: u32 = 640;
const CHART_H: u32 = 180;
const PAD_LEFT: f64 = 36.0;
const PAD_RIGHT: f64 = 12.0;
const PAD_Y: f64 = 14.0;

fn month_index(m: &str) -> Option<i64> {
    let (y, mo) = m.split_once('-')?;
    Some(y.parse::<i64>().ok()? * 12 + mo.parse::<i64>().ok()? - 1)
}

/// Places each month by its distance from the first (gaps stay visible)
/// and its mean score between +1 (top) and −1 (bottom). `None` without data.
#[must_use]
pub fn sentiment_chart(months: &[amends_domain::customer::SentimentMonth]) -> Option<Chart> {
    let first = months.first()?;
    let last = months.last()?;
    let i0 = month_index(&first.month)?;
    let span = (month_index(&last.month)? - i0).max(1);
    let (w, h) = (f64::from(CHART_W), f64::from(CHART_H));
    let (x_left, x_right) = (PAD_LEFT, w - PAD_RIGHT);
    let (y_top, y_bottom) = (PAD_Y, h - PAD_Y - 14.0);
    let y_zero = f64::midpoint(y_top, y_bottom);
    let round1 = |v: f64| (v * 10.0).round() / 10.0;
    let dots: Vec<ChartDot> = months
        .iter()
        .filter_map(|m| {
            let i = month_index(&m.month)? - i0;
            #[allow(clippy::cast_precision_loss)] // month offsets are small
            let x = if months.len() == 1 {
                f64::midpoint(x_left, x_right)
            } else {
                x_left + (x_right - x_left) * (i as f64) / (span as f64)
            };
            let a = m.average.clamp(-1.0, 1.0);
            let y = y_zero - a * (y_zero - y_top);
            Some(ChartDot {
                x: round1(x),
                y: round1(y),
                month: m.month.clone(),
                average: (a * 100.0).round() / 100.0,
                count: m.count,
                label: if a < -0.05 {
                    "negative"
                } else if a > 0.05 {
                    "positive"
                } else {
                    "neutral"
                },
            })
        })
        .collect();
    let points = dots
        .iter()
        .map(|d| format!("{},{}", d.x, d.y))
        .collect::<Vec<_>>()
        .join(" ");
    Some(Chart {
        width: CHART_W,
        height: CHART_H,
        points,
        dots,
        y_top,
        y_zero,
        y_bottom,
        x_left,
        x_right,
        first_month: first.month.clone(),
        last_month: last.month.clone(),
    })
}

pub async fn account_page(
    State(state): State<AppState>,
    ui: UiUser,
    Path(id): Path<Uuid>,
) -> Result<Response, UiError> {
    let o = amends_app::overview::account_overview(&state, amends_domain::AccountId(id)).await?;
    let now = state.now();
    let rows: Vec<Value> = o.open_cases.into_iter().map(|c| row(c, now)).collect();
    ui.page(
        &state,
        "account.html",
        context! {
            nav => "customers",
            account => Value::from_serialize(&o.account),
            customers => Value::from_serialize(&o.customers),
            totals => Value::from_serialize(o.totals),
            rows => rows,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::sentiment_chart;
    use amends_domain::customer::SentimentMonth;

    fn m(month: &str, average: f64) -> SentimentMonth {
        SentimentMonth {
            month: month.into(),
            average,
            count: 2,
            negative: 0,
        }
    }

    #[test]
    fn chart_places_months_by_time_and_scores_by_height() {
        assert!(sentiment_chart(&[]).is_none());
        let c = sentiment_chart(&[m("2025-11", -1.0), m("2025-12", 0.0), m("2026-03", 1.0)]).expect("chart");
        assert_eq!(c.dots.len(), 3);
        assert!((c.dots[0].x - c.x_left).abs() < 0.1 && (c.dots[2].x - c.x_right).abs() < 0.1);
        // December is one month of four after November.
        let quarter = c.x_left + (c.x_right - c.x_left) / 4.0;
        assert!((c.dots[1].x - quarter).abs() < 0.1, "{} vs {quarter}", c.dots[1].x);
        assert!((c.dots[0].y - c.y_bottom).abs() < 0.1 && (c.dots[2].y - c.y_top).abs() < 0.1);
        assert!((c.dots[1].y - c.y_zero).abs() < 0.1);
        assert_eq!(
            [c.dots[0].label, c.dots[1].label, c.dots[2].label],
            ["negative", "neutral", "positive"]
        );
        assert_eq!(c.points.split(' ').count(), 3);
        let one = sentiment_chart(&[m("2026-01", 0.5)]).expect("chart");
        assert_eq!(one.first_month, one.last_month);
    }
}
