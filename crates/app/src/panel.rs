//! The feature-feedback panel: recovered customers (a failure, then a
//! survey answered with 4–5) as a segment with a filter and CSV export,
//! and invitations by mail through the outbox — only with contact consent
//! and an address, never to a customer already at the survey fatigue limit
//! (`amends_domain::followup::may_survey`), never twice. The link in the
//! mail (`/panel/join/{token}`) records the membership.
//!
//! The link carries `base64url(customer id ‖ HMAC-SHA256(key, "panel" ‖ customer id)[..16])`.

use crate::App;
use crate::error::AppResult;
use amends_domain::followup::may_survey;
use amends_domain::{CustomerId, Language, Tier, UserId};
use amends_store::{PanelCandidate, PanelFilter};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// Why a recovered customer cannot be invited.
#[must_use]
pub fn blocked(c: &PanelCandidate, max_per_period: u32) -> Option<&'static str> {
    if c.joined_at.is_some() {
        Some("member")
    } else if c.invited_at.is_some() {
        Some("invited")
    } else if !c.consent_contact {
        Some("no_consent")
    } else if c.email.as_deref().is_none_or(str::is_empty) {
        Some("no_email")
    } else if !may_survey(c.recent_surveys, max_per_period) {
        Some("fatigue")
    } else {
        None
    }
}

/// One recovered customer of the segment.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PanelRow {
    pub customer_id: Uuid,
    pub name: String,
    pub email: Option<String>,
    pub language: String,
    pub tier: String,
    pub best_score: i32,
    pub last_answered_at: DateTime<Utc>,
    pub invited_at: Option<DateTime<Utc>>,
    pub joined_at: Option<DateTime<Utc>>,
    /// Why they cannot be invited now: `member`, `invited`, `no_consent`,
    /// `no_email` or `fatigue` (surveys up to the limit of the period);
    /// `null`: they can.
    pub blocked: Option<String>,
}

/// The segment.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PanelOut {
    pub customers: Vec<PanelRow>,
    pub invitable: u64,
    pub invited: u64,
    pub members: u64,
}

/// Reads the filter's raw values (empty: any).
pub fn filter(language: Option<&str>, tier: Option<&str>, not_invited: bool) -> AppResult<PanelFilter> {
    let language = match language.map(str::trim).filter(|s| !s.is_empty()) {
        Some(l) => Some(
            l.parse::<Language>()
                .map_err(|e: amends_domain::ValidationError| e.for_field("language"))?,
        ),
        None => None,
    };
    let tier = match tier.map(str::trim).filter(|s| !s.is_empty()) {
        Some(t) => Some(t.parse::<Tier>()?),
        None => None,
    };
    Ok(PanelFilter {
        language,
        tier,
        not_invited,
    })
}

pub async fn segment(app: &App, f: &PanelFilter) -> AppResult<PanelOut> {
    let since = app.now() - app.config().survey_period;
    let max = app.config().survey_max_per_period;
    let rows = app.store().panel_candidates(f, since).await?;
    let customers: Vec<PanelRow> = rows
        .iter()
        .map(|c| PanelRow {
            customer_id: c.customer_id,
            name: c.name.clone(),
            email: c.email.clone(),
            language: c.language.clone(),
            tier: c.tier.clone(),
            best_score: c.best_score,
            last_answered_at: c.last_answered_at,
            invited_at: c.invited_at,
            joined_at: c.joined_at,
            blocked: blocked(c, max).map(str::to_string),
        })
        .collect();
    let count = |f: &dyn Fn(&PanelRow) -> bool| customers.iter().filter(|r| f(r)).count() as u64;
    Ok(PanelOut {
        invitable: count(&|r| r.blocked.is_none()),
        invited: count(&|r| r.invited_at.is_some()),
        members: count(&|r| r.joined_at.is_some()),
        customers,
    })
}

/// The segment as CSV (UTF-8, comma, header row).
#[must_use]
pub fn csv(p: &PanelOut) -> String {
    let field = |s: &str| {
        // Cells a spreadsheet would run as a formula get a leading apostrophe.
        let s = if s.starts_with(['=', '+', '-', '@']) {
            format!("'{s}")
        } else {
            s.to_string()
        };
        if s.contains([',', '"', '\n', '\r']) {
            format!("\"{}\"", s.replace('"', "\"\""))
        } else {
            s
        }
    };
    let mut out =
        String::from("customer_id,name,email,language,tier,best_score,last_answered_at,invited_at,joined_at,blocked\n");
    for r in &p.customers {
        let cells = [
            r.customer_id.to_string(),
            field(&r.name),
            field(r.email.as_deref().unwrap_or("")),
            r.language.clone(),
            r.tier.clone(),
            r.best_score.to_string(),
            r.last_answered_at.to_rfc3339(),
            r.invited_at.map(|t| t.to_rfc3339()).unwrap_or_default(),
            r.joined_at.map(|t| t.to_rfc3339()).unwrap_or_default(),
            r.blocked.clone().unwrap_or_default(),
        ];
        out.push_str(&cells.join(","));
        out.push('\n');
    }
    out
}

/// Whom to invite.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InvitationsIn {
    /// Customers of the segment (1–500).
    #[schema(min_items = 1, max_items = 500)]
    pub customer_ids: Vec<Uuid>,
}

/// A customer not invited, and why.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Skipped {
    pub customer_id: Uuid,
    /// `not_recovered` (not in the segment) or a `blocked` reason.
    pub reason: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct InvitationsOut {
    pub invited: Vec<Uuid>,
    pub skipped: Vec<Skipped>,
}

/// The token of `customer`'s join link.
#[must_use]
pub fn token(app: &App, customer: Uuid) -> String {
    let mut raw = customer.as_bytes().to_vec();
    raw.extend_from_slice(&crate::fair::tag(app.survey_key(), b"panel", &[customer.as_bytes()]));
    URL_SAFE_NO_PAD.encode(raw)
}

/// The customer a join token names, if its tag is right.
#[must_use]
pub fn verify(app: &App, token: &str) -> Option<CustomerId> {
    let raw = URL_SAFE_NO_PAD.decode(token.trim()).ok()?;
    if raw.len() != 32 {
        return None;
    }
    let id = Uuid::from_slice(&raw[..16]).ok()?;
    let want = crate::fair::tag(app.survey_key(), b"panel", &[id.as_bytes()]);
    bool::from(subtle::ConstantTimeEq::ct_eq(&raw[16..], &want[..])).then_some(CustomerId(id))
}

fn invitation(app: &App, c: &PanelCandidate, now: DateTime<Utc>) -> Option<amends_store::NewJob> {
    let mail = crate::tier_offers::LinkMail {
        to: c.email.clone()?,
        name: &c.name,
        lang: c.language.parse::<Language>().unwrap_or(Language::De),
        prefix: "tier-panel-mail",
        args: &[],
        link: format!(
            "{}/panel/join/{}",
            app.config().base_url.trim_end_matches('/'),
            token(app, c.customer_id)
        ),
        purpose: "panel",
        dedupe: format!("panel:{}", c.customer_id),
    };
    Some(mail.job(app, now))
}

/// Invites the customers of `input` who may be invited; tells why the others were not.
pub async fn invite(app: &App, input: &InvitationsIn, actor: UserId) -> AppResult<InvitationsOut> {
    if input.customer_ids.is_empty() || input.customer_ids.len() > 500 {
        return Err(amends_domain::ValidationError::new("customer_ids", "give 1 to 500 customer ids").into());
    }
    let now = app.now();
    let since = now - app.config().survey_period;
    let max = app.config().survey_max_per_period;
    let all = app.store().panel_candidates(&PanelFilter::default(), since).await?;
    let mut out = InvitationsOut {
        invited: Vec::new(),
        skipped: Vec::new(),
    };
    for id in &input.customer_ids {
        let skip = |reason: &str| Skipped {
            customer_id: *id,
            reason: reason.to_string(),
        };
        let Some(c) = all.iter().find(|c| c.customer_id == *id) else {
            out.skipped.push(skip("not_recovered"));
            continue;
        };
        if let Some(why) = blocked(c, max) {
            out.skipped.push(skip(why));
            continue;
        }
        let Some(job) = invitation(app, c, now) else {
            out.skipped.push(skip("no_email"));
            continue;
        };
        if app
            .store()
            .invite_to_panel(CustomerId(*id), &job, Some(actor), now)
            .await?
        {
            out.invited.push(*id);
        } else {
            out.skipped.push(skip("invited"));
        }
    }
    if !out.invited.is_empty() {
        app.wake_workers();
    }
    Ok(out)
}

/// The customer followed their invitation's link.
pub async fn join(app: &App, customer: CustomerId) -> AppResult<bool> {
    Ok(app.store().join_panel(customer, app.now()).await?)
}
