//! "What would you consider fair?": the public link a reply template can
//! carry (`{{fair_url}}`), the customer's answer on it, the agent's note of
//! an answer, and what a case shows (the newest answer counts; every
//! answer stays in its history and on the timeline).
//!
//! A link carries `base64url(case id ‖ expiry (unix seconds, 8 bytes) ‖
//! HMAC-SHA256(key, "fair" ‖ case id ‖ expiry)[..16])` with the survey key:
//! it names one case, cannot be altered or extended, and expires
//! [`LINK_DAYS`] days after it was made. Answering again before then
//! replaces the answer that counts.

use crate::App;
use crate::error::AppResult;
use amends_domain::fair::{Comparison, FairAnswer, FairSource, compare, expected_cents};
use amends_domain::{CaseId, UserId};
use amends_store::{Case, FairExpectationRow};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use utoipa::ToSchema;
use uuid::Uuid;

/// How long a link may be answered.
pub const LINK_DAYS: i64 = 30;

/// The first 16 bytes of HMAC-SHA256(`key`, `domain` ‖ `parts`…): the tag
/// of a public link (the domain keeps the links of different kinds apart).
pub(crate) fn tag(key: &[u8], domain: &[u8], parts: &[&[u8]]) -> [u8; 16] {
    let mut m =
        <Hmac<Sha256> as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!("HMAC takes a key of any length"));
    m.update(domain);
    for p in parts {
        m.update(p);
    }
    let full = m.finalize().into_bytes();
    let mut out = [0u8; 16];
    out.copy_from_slice(&full[..16]);
    out
}

/// The token of a link to case `case`'s fair page, answerable until `expires`.
#[must_use]
pub fn token(app: &App, case: CaseId, expires: DateTime<Utc>) -> String {
    let secs = expires.timestamp();
    let mut raw = case.0.as_bytes().to_vec();
    raw.extend_from_slice(&secs.to_be_bytes());
    raw.extend_from_slice(&tag(
        app.survey_key(),
        b"fair",
        &[case.0.as_bytes(), &secs.to_be_bytes()],
    ));
    URL_SAFE_NO_PAD.encode(raw)
}

/// The public address of case `case`'s fair page, valid [`LINK_DAYS`] from now.
#[must_use]
pub fn link(app: &App, case: CaseId) -> String {
    let expires = app.now() + Duration::days(LINK_DAYS);
    format!(
        "{}/fair/{}",
        app.config().base_url.trim_end_matches('/'),
        token(app, case, expires)
    )
}

/// Why a fair link cannot be answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FairLinkProblem {
    /// Malformed, altered, or for a case that is gone.
    Invalid,
    Expired,
}

/// The case a link names, if its tag is right, it has not expired and the case exists.
pub async fn open(app: &App, token: &str) -> Result<Case, FairLinkProblem> {
    let raw = URL_SAFE_NO_PAD
        .decode(token.trim())
        .map_err(|_| FairLinkProblem::Invalid)?;
    if raw.len() != 40 {
        return Err(FairLinkProblem::Invalid);
    }
    let case = Uuid::from_slice(&raw[..16]).map_err(|_| FairLinkProblem::Invalid)?;
    let mut secs = [0u8; 8];
    secs.copy_from_slice(&raw[16..24]);
    let secs = i64::from_be_bytes(secs);
    let want = tag(app.survey_key(), b"fair", &[case.as_bytes(), &secs.to_be_bytes()]);
    if !bool::from(subtle::ConstantTimeEq::ct_eq(&raw[24..], &want[..])) {
        return Err(FairLinkProblem::Invalid);
    }
    if secs <= app.now().timestamp() {
        return Err(FairLinkProblem::Expired);
    }
    app.store()
        .get_case(CaseId(case))
        .await
        .map_err(|_| FairLinkProblem::Invalid)
}

/// An answer as the API takes it.
#[derive(Debug, Clone, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FairExpectationIn {
    /// `apology` (an apology is enough), `replacement`, `refund`, `voucher` or `other`.
    #[schema(value_type = FairChoiceName)]
    pub choice: String,
    /// What the customer named, in cents of EUR (0–10,000,000).
    #[serde(default)]
    #[schema(minimum = 0, maximum = 10_000_000)]
    pub amount_cents: Option<i64>,
    /// In the customer's words, at most 2,000 characters; needed for `other`.
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub note: Option<String>,
}

/// The choices of an answer.
#[derive(ToSchema)]
#[allow(dead_code)]
pub enum FairChoiceName {
    #[schema(rename = "apology")]
    Apology,
    #[schema(rename = "replacement")]
    Replacement,
    #[schema(rename = "refund")]
    Refund,
    #[schema(rename = "voucher")]
    Voucher,
    #[schema(rename = "other")]
    Other,
}

/// One answer.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct FairExpectationView {
    pub id: Uuid,
    #[schema(value_type = FairChoiceName)]
    pub choice: String,
    pub amount_cents: Option<i64>,
    pub note: Option<String>,
    /// `customer` (on the public page) or `agent` (typed in).
    pub source: String,
    pub author_name: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl From<FairExpectationRow> for FairExpectationView {
    fn from(r: FairExpectationRow) -> Self {
        Self {
            id: r.id,
            choice: r.choice,
            amount_cents: r.amount_cents,
            note: r.note,
            source: r.source,
            author_name: r.author_name,
            created_at: r.created_at,
        }
    }
}

/// What a case shows: the answer that counts, every answer, and how the
/// goodwill granted compares.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct FairExpectationOut {
    pub case_id: Uuid,
    /// The newest answer (none yet: `null`).
    pub current: Option<FairExpectationView>,
    /// Every answer, newest first.
    pub history: Vec<FairExpectationView>,
    /// What the customer expects in cents of EUR: 0 for an apology, else the amount they named.
    pub expected_cents: Option<i64>,
    /// Goodwill granted on the case (EUR).
    pub granted_cents: i64,
    /// `met`, `short` or `unknown` (no amount named); `null` without an answer.
    #[schema(value_type = Option<String>)]
    pub comparison: Option<Comparison>,
    /// A link the customer can answer on (valid 30 days).
    pub link: String,
}

/// The expectation of case `case`.
pub async fn get(app: &App, case: CaseId) -> AppResult<FairExpectationOut> {
    let c = app.store().get_case(case).await?;
    let rows = app.store().fair_expectations(case).await?;
    let granted_cents = app.store().case_granted_eur_cents(case).await?;
    let history: Vec<FairExpectationView> = rows.into_iter().map(Into::into).collect();
    let current = history.first().cloned();
    let expected = current.as_ref().and_then(|v| {
        v.choice
            .parse()
            .ok()
            .and_then(|choice| expected_cents(choice, v.amount_cents))
    });
    Ok(FairExpectationOut {
        case_id: c.id.0,
        comparison: current.as_ref().map(|_| compare(expected, granted_cents)),
        expected_cents: expected,
        granted_cents,
        current,
        history,
        link: link(app, case),
    })
}

/// Records an answer typed by agent `actor`.
pub async fn set_by_agent(
    app: &App,
    case: CaseId,
    input: &FairExpectationIn,
    actor: UserId,
) -> AppResult<FairExpectationOut> {
    let answer = FairAnswer::parse(&input.choice, input.amount_cents, input.note.as_deref())?;
    app.store()
        .add_fair_expectation(case, &answer, FairSource::Agent, Some(actor), app.now())
        .await?;
    get(app, case).await
}

/// Records the customer's answer on the public page of `case`.
pub async fn answer(app: &App, case: &Case, answer: &FairAnswer) -> AppResult<FairExpectationRow> {
    Ok(app
        .store()
        .add_fair_expectation(case.id, answer, FairSource::Customer, None, app.now())
        .await?)
}
