//! Query strings with errors that name the parameter.

use crate::error::{ApiError, ApiResult};
use amends_store::Cursor;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use utoipa::IntoParams;
use uuid::Uuid;

pub struct ApiQuery<T>(pub T);

impl<T, S> FromRequestParts<S> for ApiQuery<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let q = parts.uri.query().unwrap_or_default();
        let parsed = parse_query(q)?;
        refuse_blank(q)?;
        Ok(ApiQuery(parsed))
    }
}

/// An API query parameter is absent or has a value: `state=` (or only
/// white space) is refused with the parameter named, as the document says
/// (`contract.rs` gives every string parameter `minLength` 1 and
/// [`crate::api::contract::VISIBLE_PATTERN`]). Pages keep reading such a
/// value as absent, so links like `/inbox?state=` still work.
pub fn refuse_blank(q: &str) -> Result<(), ApiError> {
    match form_urlencoded_parse(q).find(|(_, v)| v.chars().all(|c| c.is_whitespace() || c.is_control())) {
        Some((name, _)) => Err(ApiError::validation(
            name.to_string(),
            format!("query parameter `{name}` is empty; leave it out for the default"),
        )),
        None => Ok(()),
    }
}

/// Reads a list's `limit`: absent, or from 1 to `MAX` (what the document
/// states as `minimum` and `maximum`); anything else is refused, not
/// clamped.
pub fn page_limit<'de, D, const MAX: usize>(d: D) -> Result<Option<usize>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    let n = usize::deserialize(d)?;
    if (1..=MAX).contains(&n) {
        Ok(Some(n))
    } else {
        Err(serde::de::Error::custom(format!(
            "limit must be from 1 to {MAX}, got {n}"
        )))
    }
}

pub fn parse_query<T: DeserializeOwned>(q: &str) -> Result<T, ApiError> {
    let de = serde_urlencoded::Deserializer::new(form_urlencoded_parse(q));
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let msg = e.into_inner().to_string();
        let field = field_from_message(&msg).unwrap_or(path);
        ApiError::validation(field, format!("query parameter: {msg}"))
    })
}

/// A list page's query: the one sent, or the defaults and the error to show
/// above the list.
pub fn parse_or_default<T: DeserializeOwned + Default>(q: &str) -> (T, Option<String>) {
    match parse_query::<T>(q) {
        Ok(t) => (t, None),
        Err(e) => (T::default(), Some(e.to_string())),
    }
}

/// The link to the next page of the list at `path`: the query `q` with
/// every filter kept and the cursor replaced.
#[must_use]
pub fn next_page_link(path: &str, q: &str, cursor: String) -> String {
    let mut pairs: Vec<(String, String)> = form_urlencoded_parse(q)
        .into_owned()
        .filter(|(k, _)| k != "cursor")
        .collect();
    pairs.push(("cursor".into(), cursor));
    let qs: String = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish();
    format!("{path}?{qs}")
}

/// `missing field `x`` and `unknown field `x`` name a field that the
/// path (which points at the enclosing object) does not.
pub(crate) fn field_from_message(msg: &str) -> Option<String> {
    ["missing field `", "unknown field `"]
        .iter()
        .find_map(|p| msg.strip_prefix(p).and_then(|r| r.split('`').next()))
        .map(str::to_string)
}

fn form_urlencoded_parse(q: &str) -> form_urlencoded::Parse<'_> {
    form_urlencoded::parse(q.as_bytes())
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct FeedbackQuery {
    #[param(value_type = Option<crate::vocab::Channel>)]
    pub channel: Option<String>,
    /// negative, neutral, positive
    #[param(pattern = "^(negative|neutral|positive)$")]
    pub sentiment: Option<String>,
    /// A topic id, e.g. `delivery` (at most 64 characters).
    #[param(max_length = 64)]
    pub topic: Option<String>,
    /// 1–5
    #[param(pattern = "^[+]?0*[1-5]$")]
    pub rating: Option<String>,
    /// de, en
    #[param(value_type = Option<crate::vocab::Language>)]
    pub language: Option<String>,
    pub customer_id: Option<Uuid>,
    /// `yes` for items with a case, `no` for items without.
    #[param(pattern = "^(yes|no|true|false)$")]
    pub has_case: Option<String>,
    /// Created at or after (RFC 3339).
    pub created_from: Option<DateTime<Utc>>,
    /// Created before (RFC 3339).
    pub created_to: Option<DateTime<Utc>>,
    pub cursor: Option<String>,
    /// 1–200, default 50
    #[param(minimum = 1, maximum = 200)]
    #[serde(default, deserialize_with = "page_limit::<_, 200>")]
    pub limit: Option<usize>,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CaseQuery {
    /// A saved view: `open` (open cases, due first), `mine`, `unassigned`,
    /// `soon` (open, not yet overdue, resolution due within the SLA warning
    /// window), `overdue`, `premium`, `enterprise`, `all` (newest first).
    /// Other parameters narrow it further — except for `churn`: the open
    /// cases ranked by churn risk × customer value (agents: their own), the
    /// top `limit` in one page.
    #[param(value_type = Option<crate::vocab::CaseView>)]
    pub view: Option<String>,
    /// Comma-separated states, `open` for all unresolved states, or `all`.
    /// (`contract.rs` states the pattern from the domain's states.)
    pub state: Option<String>,
    /// A user id, `me`, `none` for unassigned, or `all`.
    #[param(
        pattern = "^(me|none|all|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|[0-9a-fA-F]{32})$"
    )]
    pub assignee: Option<String>,
    pub customer_id: Option<Uuid>,
    /// standard, premium, enterprise
    #[param(value_type = Option<crate::vocab::Tier>)]
    pub tier: Option<String>,
    /// manual, api, feedback, email, incident
    #[param(value_type = Option<crate::vocab::Origin>)]
    pub origin: Option<String>,
    /// Cases of this incident.
    pub incident_id: Option<Uuid>,
    /// Created at or after (RFC 3339).
    pub created_from: Option<DateTime<Utc>>,
    /// Created before (RFC 3339).
    pub created_to: Option<DateTime<Utc>>,
    /// Resolution due before (RFC 3339).
    pub due_before: Option<DateTime<Utc>>,
    /// `newest` (default) or `due`.
    #[param(pattern = "^(newest|due)$")]
    pub sort: Option<String>,
    pub cursor: Option<String>,
    /// 1–200, default 50
    #[param(minimum = 1, maximum = 200)]
    #[serde(default, deserialize_with = "page_limit::<_, 200>")]
    pub limit: Option<usize>,
}

/// Parses an opaque cursor from a previous page.
pub fn parse_cursor(raw: Option<&str>) -> ApiResult<Option<Cursor>> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => Cursor::decode(s).map(Some).ok_or_else(|| {
            ApiError::validation(
                "cursor",
                "cursor is not one this server made; pass `next_cursor` from a page as it is",
            )
        }),
    }
}

/// The period and the cases an analytics request looks at.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AnalyticsQuery {
    /// The last N days up to now (1–366, default 30).
    #[param(minimum = 1, maximum = 366)]
    pub days: Option<i64>,
    /// Only cases that came in on this channel.
    #[param(value_type = Option<crate::vocab::Channel>)]
    pub channel: Option<amends_domain::Channel>,
    /// Only cases of customers of this tier.
    #[param(value_type = Option<crate::vocab::Tier>)]
    pub tier: Option<amends_domain::Tier>,
    /// Only cases assigned to this agent (leads and admins; agents always see their own).
    pub agent: Option<uuid::Uuid>,
    /// Days after the resolution at which a customer must still be a customer to count as retained (0–365, default 30).
    #[param(minimum = 0, maximum = 365)]
    pub settle_days: Option<i64>,
    /// `satisfaction` (default) or `retention` (paradox only).
    #[param(value_type = Option<String>, pattern = "^(satisfaction|retention)$")]
    pub outcome: Option<amends_app::analytics::paradox::Outcome>,
}

impl AnalyticsQuery {
    /// The scope of the request; an agent's is always their own cases.
    pub fn scope(
        &self,
        now: chrono::DateTime<chrono::Utc>,
        user: &amends_store::User,
    ) -> amends_app::AppResult<amends_app::analytics::Scope> {
        let agent = if user.role.can(amends_domain::Permission::ReadAudit) {
            self.agent.map(amends_domain::UserId)
        } else {
            Some(user.id)
        };
        let filter = amends_store::AnalyticsFilter {
            channel: self.channel,
            tier: self.tier,
            assignee: agent,
        };
        amends_app::analytics::Scope::last_days(now, self.days, filter)
    }
}

/// The ROI calculator's query: the period and filter of [`AnalyticsQuery`]
/// plus the what-if inputs (defaults: 45.00 per hour, 30 minutes per case,
/// 5×, 36 months).
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RoiQuery {
    /// The last N days up to now (1–366, default 180).
    #[param(minimum = 1, maximum = 366)]
    pub days: Option<i64>,
    /// Only cases that came in on this channel.
    #[param(value_type = Option<crate::vocab::Channel>)]
    pub channel: Option<amends_domain::Channel>,
    /// Only cases of customers of this tier.
    #[param(value_type = Option<crate::vocab::Tier>)]
    pub tier: Option<amends_domain::Tier>,
    /// Only cases assigned to this agent.
    pub agent: Option<uuid::Uuid>,
    /// Days after the resolution at which a customer must still be a customer to count as retained (0–365, default 30).
    #[param(minimum = 0, maximum = 365)]
    pub settle_days: Option<i64>,
    /// Cost of one agent hour in cents (0–1,000,000).
    #[param(minimum = 0, maximum = 1_000_000)]
    pub hourly_cost_cents: Option<i64>,
    /// Handling time per case in minutes (0–10,000).
    #[param(minimum = 0, maximum = 10_000)]
    pub minutes_per_case: Option<i64>,
    /// Winning a new customer costs this many times keeping one (1–100; research: 5–25).
    #[param(minimum = 1, maximum = 100)]
    pub acquisition_multiple: Option<f64>,
    /// Months over which a customer's lifetime value is earned (1–240).
    #[param(minimum = 1, maximum = 240)]
    pub lifetime_months: Option<i64>,
}

impl RoiQuery {
    /// The period and filter as an analytics query.
    #[must_use]
    pub fn analytics(&self) -> AnalyticsQuery {
        AnalyticsQuery {
            days: Some(self.days.unwrap_or(180)),
            channel: self.channel,
            tier: self.tier,
            agent: self.agent,
            settle_days: self.settle_days,
            outcome: None,
        }
    }

    /// The what-if inputs, defaults where not given.
    #[must_use]
    pub fn what_if(&self) -> amends_app::analytics::roi::WhatIf {
        let d = amends_app::analytics::roi::WhatIf::default();
        amends_app::analytics::roi::WhatIf {
            hourly_cost_cents: self.hourly_cost_cents.unwrap_or(d.hourly_cost_cents),
            minutes_per_case: self.minutes_per_case.unwrap_or(d.minutes_per_case),
            acquisition_multiple: self.acquisition_multiple.unwrap_or(d.acquisition_multiple),
            lifetime_months: self.lifetime_months.unwrap_or(d.lifetime_months),
        }
    }
}

/// The period and filter of the patterns report.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PatternsQuery {
    /// The last N days up to now (1–366, default 90).
    #[param(minimum = 1, maximum = 366)]
    pub days: Option<i64>,
    /// Only feedback that came in on this channel.
    #[param(value_type = Option<crate::vocab::Channel>)]
    pub channel: Option<amends_domain::Channel>,
    /// Only feedback of customers of this tier.
    #[param(value_type = Option<crate::vocab::Tier>)]
    pub tier: Option<amends_domain::Tier>,
    /// Days before and after each change event that are compared (1–60, default 7).
    #[param(minimum = 1, maximum = 60)]
    pub window_days: Option<i64>,
}

/// The churn report's query.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ChurnQuery {
    /// The most open cases to list (1–500, default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<usize>,
}

/// The request's media type, lower case ("" if none).
pub fn content_type(headers: &axum::http::HeaderMap) -> String {
    headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase()
}
