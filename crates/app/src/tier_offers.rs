//! Tier upgrade offers: after a recovery survey rated 4–5, a customer whose
//! failures suggest a higher tier gets an offer by mail (through the
//! outbox, in their language) with a link to accept or decline
//! (`/offer/{token}`); never while a case of theirs is open, never twice
//! within the cooldown (`amends_domain::tier_offer`). Converted once their
//! tier is changed to the one offered.
//!
//! The link carries `base64url(offer id ‖ HMAC-SHA256(key, "offer" ‖ offer id)[..16])`.

use crate::App;
use crate::error::{AppError, AppResult};
use crate::jobs::{MailTask, Task};
use crate::mail::OutgoingMail;
use amends_domain::tier_offer::{NoOffer, OfferState, TierOfferRule};
use amends_domain::{CaseId, CustomerId, Tier, UserId};
use amends_i18n::FluentValue;
use amends_store::{Customer, OfferDraft, TierOfferRow, TierOfferSettings, new_row_id};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;
use uuid::Uuid;

/// The token of offer `id`'s link.
#[must_use]
pub fn token(app: &App, id: Uuid) -> String {
    let mut raw = id.as_bytes().to_vec();
    raw.extend_from_slice(&crate::fair::tag(app.survey_key(), b"offer", &[id.as_bytes()]));
    URL_SAFE_NO_PAD.encode(raw)
}

/// The offer a token names, if its tag is right.
pub async fn open(app: &App, token: &str) -> Option<TierOfferRow> {
    let raw = URL_SAFE_NO_PAD.decode(token.trim()).ok()?;
    if raw.len() != 32 {
        return None;
    }
    let id = Uuid::from_slice(&raw[..16]).ok()?;
    let want = crate::fair::tag(app.survey_key(), b"offer", &[id.as_bytes()]);
    if !bool::from(subtle::ConstantTimeEq::ct_eq(&raw[16..], &want[..])) {
        return None;
    }
    app.store().get_tier_offer(id).await.ok()
}

/// A short mail to a customer (`name` at `to`, in `lang`): a greeting, the
/// catalogue texts `{prefix}-subject`, `{prefix}-body` and `{prefix}-button`
/// (with `args`) and the link, as a job of the outbox for `purpose`
/// deduplicated by `dedupe`.
pub(crate) struct LinkMail<'a> {
    pub to: String,
    pub name: &'a str,
    pub lang: amends_domain::Language,
    pub prefix: &'a str,
    pub args: &'a [(&'a str, FluentValue<'a>)],
    pub link: String,
    pub purpose: &'a str,
    pub dedupe: String,
}

impl LinkMail<'_> {
    pub(crate) fn job(self, app: &App, now: DateTime<Utc>) -> amends_store::NewJob {
        let (i18n, lang, p) = (app.mail_renderer().i18n(), self.lang, self.prefix);
        let subject = i18n.t(lang, &format!("{p}-subject"), self.args);
        let greeting = i18n.t(
            lang,
            "mail-greeting",
            &[("name", FluentValue::from(self.name.to_string()))],
        );
        let body = i18n.t(lang, &format!("{p}-body"), self.args);
        let button = i18n.t(lang, &format!("{p}-button"), self.args);
        let link = self.link;
        let esc = |s: &str| {
            s.replace('&', "&amp;")
                .replace('<', "&lt;")
                .replace('>', "&gt;")
                .replace('"', "&quot;")
        };
        let html = format!(
            "<!doctype html><html lang=\"{}\"><body><p>{}</p><p>{}</p><p><a href=\"{}\">{}</a></p></body></html>",
            lang.code(),
            esc(&greeting),
            esc(&body),
            esc(&link),
            esc(&button)
        );
        let task = Task::Mail(MailTask {
            case_id: None,
            purpose: self.purpose.into(),
            author_id: None,
            mail: OutgoingMail {
                to: self.to,
                subject,
                text: format!("{greeting}\n\n{body}\n\n{button}: {link}\n"),
                html,
                message_id: app.mailer().new_message_id(new_row_id(now)),
                in_reply_to: None,
            },
            recorded: false,
        });
        task.job(app, now, Some(self.dedupe), None)
    }
}

/// The mail of an offer to `c` (none without an address or contact consent).
fn offer_mail(app: &App, id: Uuid, to: Tier, c: &Customer, now: DateTime<Utc>) -> Option<amends_store::NewJob> {
    let address = c.email.clone().filter(|_| c.consent_contact && c.erased_at.is_none())?;
    let tier = app.mail_renderer().i18n().t(c.language, &format!("tier-{to}"), &[]);
    let args = [("tier", FluentValue::from(tier))];
    let mail = LinkMail {
        to: address,
        name: &c.name,
        lang: c.language,
        prefix: "tier-offer-mail",
        args: &args,
        link: format!(
            "{}/offer/{}",
            app.config().base_url.trim_end_matches('/'),
            token(app, id)
        ),
        purpose: "tier_offer",
        dedupe: format!("tier_offer:{id}"),
    };
    Some(mail.job(app, now))
}

/// A survey of `case` was answered with `score`: makes an offer if this is
/// the moment. Gives the offer, or why none was made.
pub async fn on_survey_answer(
    app: &App,
    customer: CustomerId,
    case: Option<CaseId>,
    score: i32,
) -> AppResult<Result<TierOfferRow, NoOffer>> {
    let rule = app.store().tier_offer_settings().await?.rule();
    if !rule.enabled {
        return Ok(Err(NoOffer::Disabled));
    }
    let now = app.now();
    let draft = OfferDraft {
        id: new_row_id(now),
        customer,
        case,
        score,
    };
    let made = app
        .store()
        .make_tier_offer(&draft, &rule, |to, c| offer_mail(app, draft.id, to, c, now), now)
        .await?;
    if made.is_ok() {
        app.wake_workers();
    }
    Ok(made)
}

/// Moves the offer a customer's link names (opened on view; accepted or declined).
pub async fn step(app: &App, offer: Uuid, to: OfferState) -> AppResult<bool> {
    Ok(app.store().step_tier_offer(offer, to, app.now()).await?)
}

/// The rule as the API shows and takes it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TierOfferSettingsIo {
    pub enabled: bool,
    /// Tier → the higher tier offered, e.g. `{"standard": "premium"}`.
    #[schema(value_type = Object)]
    pub upgrades: BTreeMap<String, String>,
    /// Cases within `window_days` needed (1–100).
    #[schema(minimum = 1, maximum = 100)]
    pub min_failures: i64,
    /// 1–730.
    #[schema(minimum = 1, maximum = 730)]
    pub window_days: i64,
    /// No second offer to a customer within this many days (1–3650).
    #[schema(minimum = 1, maximum = 3650)]
    pub cooldown_days: i64,
}

impl From<&TierOfferSettings> for TierOfferSettingsIo {
    fn from(s: &TierOfferSettings) -> Self {
        Self {
            enabled: s.enabled,
            upgrades: s.upgrade_map(),
            min_failures: i64::from(s.min_failures),
            window_days: i64::from(s.window_days),
            cooldown_days: i64::from(s.cooldown_days),
        }
    }
}

pub async fn settings(app: &App) -> AppResult<TierOfferSettingsIo> {
    Ok((&app.store().tier_offer_settings().await?).into())
}

pub async fn set_settings(app: &App, s: &TierOfferSettingsIo, actor: UserId) -> AppResult<TierOfferSettingsIo> {
    let rule = TierOfferRule::parse(s.enabled, &s.upgrades, s.min_failures, s.window_days, s.cooldown_days)?;
    Ok((&app
        .store()
        .set_tier_offer_settings(&rule, Some(actor), app.now())
        .await?)
        .into())
}

/// One offer.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TierOfferOut {
    pub id: Uuid,
    pub customer_id: Uuid,
    pub customer_name: String,
    pub case_id: Option<Uuid>,
    pub from_tier: String,
    pub to_tier: String,
    /// offered, opened, accepted, declined or converted.
    pub state: String,
    pub offered_at: DateTime<Utc>,
    pub opened_at: Option<DateTime<Utc>>,
    pub decided_at: Option<DateTime<Utc>>,
    pub converted_at: Option<DateTime<Utc>>,
}

/// The offers with their funnel.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TierOffersOut {
    pub offers: Vec<TierOfferOut>,
    pub offered: u64,
    pub opened: u64,
    pub accepted: u64,
    pub converted: u64,
    /// Converted in percent of the offers (none without offers).
    pub conversion_pct: Option<f64>,
}

pub async fn list(app: &App) -> AppResult<TierOffersOut> {
    let rows = app.store().list_tier_offers().await?;
    let count = |f: &dyn Fn(&TierOfferRow) -> bool| rows.iter().filter(|r| f(r)).count() as u64;
    let offered = rows.len() as u64;
    let opened = count(&|r| r.opened_at.is_some());
    let accepted = count(&|r| r.state == "accepted" || r.state == "converted");
    let converted = count(&|r| r.state == "converted");
    Ok(TierOffersOut {
        conversion_pct: (offered > 0).then(|| 100.0 * converted as f64 / offered as f64),
        offers: rows
            .into_iter()
            .map(|r| TierOfferOut {
                id: r.id,
                customer_id: r.customer_id,
                customer_name: r.customer_name,
                case_id: r.case_id,
                from_tier: r.from_tier,
                to_tier: r.to_tier,
                state: r.state,
                offered_at: r.offered_at,
                opened_at: r.opened_at,
                decided_at: r.decided_at,
                converted_at: r.converted_at,
            })
            .collect(),
        offered,
        opened,
        accepted,
        converted,
    })
}

/// An offer that cannot be found is a 404.
pub fn not_found() -> AppError {
    AppError::NotFound("tier offer".into())
}
