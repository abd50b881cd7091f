//! Webhooks: subscriptions per event, HMAC-SHA256 signed JSON payloads,
//! delivered by the job queue (retries with backoff), with a delivery log.
//!
//! A receiver checks `X-Amends-Signature: sha256=<hex>`, the HMAC-SHA256
//! of the raw request body under the subscription's secret (shown once
//! when the webhook is created). `X-Amends-Event` names the event,
//! `X-Amends-Delivery` is unique per delivery (the same on retries, so a
//! receiver can drop duplicates).

use crate::App;
use crate::error::{AppError, AppResult};
use crate::jobs::{DomainEvent, Failure, Task};
use amends_domain::UserId;
use amends_store::{DeliveryUpdate, Job, JobEffects, NewDelivery, Webhook, new_row_id};
use hmac::{Hmac, Mac};
use serde_json::json;
use sha2::Sha256;
use uuid::Uuid;

/// Events a webhook may subscribe to (`*` means all).
pub const EVENTS: [&str; 10] = [
    "case.created",
    "case.state_changed",
    "survey.answered",
    "goodwill.granted",
    "incident.created",
    "incident.updated",
    "incident.fanned_out",
    "pattern.detected",
    "insight.created",
    "insight.fixed",
];

/// `sha256=<hex>` of `body` under `secret`.
#[must_use]
pub fn signature(secret: &str, body: &[u8]) -> String {
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    m.update(body);
    let bytes = m.finalize().into_bytes();
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256={hex}")
}

/// Validates and stores a subscription; gives it with its secret.
pub async fn create(state: &App, url: &str, events: &[String], actor: UserId) -> AppResult<(Webhook, String)> {
    let url = url.trim();
    let parsed =
        reqwest::Url::parse(url).map_err(|e| AppError::validation("url", format!("`{url}` is not a URL: {e}")))?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() || url.len() > 2000 {
        return Err(AppError::validation(
            "url",
            "url must be an http:// or https:// address",
        ));
    }
    crate::outbound::check_url(&parsed, &state.config().webhook_allow).map_err(|e| AppError::validation("url", e))?;
    let mut list: Vec<String> = events
        .iter()
        .map(|e| e.trim().to_string())
        .filter(|e| !e.is_empty())
        .collect();
    list.sort();
    list.dedup();
    if list.is_empty() {
        return Err(AppError::validation(
            "events",
            format!("name at least one event: {} or *", EVENTS.join(", ")),
        ));
    }
    if let Some(bad) = list.iter().find(|e| *e != "*" && !EVENTS.contains(&e.as_str())) {
        return Err(AppError::validation(
            "events",
            format!("unknown event `{bad}`; known: {}", EVENTS.join(", ")),
        ));
    }
    let secret = format!("whsec_{}", crate::secret::new_api_token().trim_start_matches("amd_"));
    let now = state.now();
    let hook = state
        .store()
        .insert_webhook(new_row_id(now), url, &list, &secret, Some(actor), now)
        .await?;
    Ok((hook, secret))
}

/// One delivery (and its job) per webhook that wants this event.
pub async fn fan_out(state: &App, job: &Job, e: &DomainEvent) -> Result<JobEffects, Failure> {
    let mut fx = JobEffects::default();
    let hooks = state.store().list_webhooks().await?;
    let now = state.now();
    for h in hooks.iter().filter(|h| h.wants(&e.kind)) {
        let id = new_row_id(now);
        let payload = json!({
            "id": id,
            "event": e.kind,
            "occurred_at": e.at,
            "case_id": e.case_id,
            "data": e.data,
        })
        .to_string();
        fx.new_deliveries.push(NewDelivery {
            id,
            webhook_id: h.id,
            event: e.kind.clone(),
            payload,
        });
        fx.jobs.push(Task::Webhook { delivery_id: id }.job(
            state,
            now,
            Some(format!("webhook:{}:{}", job.id, h.id)),
            None,
        ));
    }
    Ok(fx)
}

/// Posts one delivery. A 2xx answer is success; anything else is retried.
pub async fn deliver(state: &App, delivery_id: Uuid, last: bool) -> Result<JobEffects, Failure> {
    let d = state.store().get_delivery(delivery_id).await?;
    let hook = state.store().get_webhook(d.webhook_id).await?;
    let update = |ok: bool, status: Option<i32>, error: Option<String>| JobEffects {
        delivery: Some(DeliveryUpdate {
            id: delivery_id,
            state: if ok {
                "delivered".into()
            } else if last {
                "failed".into()
            } else {
                "pending".into()
            },
            status,
            error,
        }),
        ..JobEffects::default()
    };
    if !hook.active {
        return Ok(update(false, None, Some("webhook was deleted".into())));
    }
    // Saved before the rules or the allow-list changed: refused for good.
    let refused = reqwest::Url::parse(&hook.url)
        .map_err(|e| e.to_string())
        .and_then(|url| crate::outbound::check_url(&url, &state.config().webhook_allow));
    if let Err(err) = refused {
        let mut fx = update(false, None, Some(err.clone()));
        if let Some(d) = fx.delivery.as_mut() {
            d.state = "failed".into();
        }
        return Err(Failure {
            fx,
            error: err,
            permanent: true,
        });
    }
    let res = state
        .http()
        .post(&hook.url)
        .header("content-type", "application/json")
        .header("user-agent", "amends-webhooks/1")
        .header("x-amends-event", &d.event)
        .header("x-amends-delivery", d.id.to_string())
        .header("x-amends-signature", signature(&hook.secret, d.payload.as_bytes()))
        .body(d.payload.clone())
        .send()
        .await;
    match res {
        Ok(r) if r.status().is_success() => Ok(update(true, Some(i32::from(r.status().as_u16())), None)),
        Ok(r) => {
            let status = r.status().as_u16();
            let err = format!("the receiver answered HTTP {status}");
            Err(Failure {
                fx: update(false, Some(i32::from(status)), Some(err.clone())),
                error: err,
                permanent: false,
            })
        }
        Err(e) => {
            let err = if e.is_timeout() {
                "the receiver did not answer in time".to_string()
            } else {
                format!("request failed: {e}")
            };
            Err(Failure {
                fx: update(false, None, Some(err.clone())),
                error: err,
                permanent: false,
            })
        }
    }
}

/// Switches webhook `id` off; it gets no more deliveries.
pub async fn deactivate(state: &App, id: Uuid, actor: UserId) -> AppResult<()> {
    Ok(state.store().deactivate_webhook(id, Some(actor), state.now()).await?)
}

#[cfg(test)]
mod tests {
    #[test]
    fn signature_is_hmac_sha256_hex() {
        // RFC 4231 test case 2.
        assert_eq!(
            super::signature("Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
