//! Email in: one function for the MTA pipe (`amends mail ingest <
//! message.eml`) and `POST /api/v1/mail/inbound`. A reply threads onto its
//! case (In-Reply-To/References matching a Message-ID on the case's
//! timeline, or `[#<8-hex reference>]` in the subject, the reference the case
//! page shows, among the sender's own cases); other mail becomes
//! feedback (channel email) that runs through detection. Auto-replies and
//! bounces never open cases. Attachments are stored.

use crate::App;
use crate::detection::{self, FeedbackInput};
use crate::error::{AppError, AppResult};
use amends_domain::{CaseId, UserId, validate::Email};
use amends_store::{CaseFilter, EventKind, InboundMail, NewAttachment, NewEvent};
use mail_parser::{MessageParser, MimeHeaders};
use serde::Serialize;
use serde_json::json;

/// Largest message taken.
pub const MAIL_MAX: usize = 25 * 1024 * 1024;
/// Largest attachment stored (larger ones are listed as skipped).
pub const ATTACHMENT_MAX: usize = 10 * 1024 * 1024;
/// Most attachments stored per message.
const ATTACHMENTS_PER_MAIL: usize = 20;
/// Most bytes of a feedback item's `source` JSON (detection's limit).
const SOURCE_MAX: usize = 8 * 1024;

/// What happened to a message.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MailOutcome {
    /// threaded (added to an existing case), feedback (new feedback item),
    /// auto_reply or bounce (ignored: never open cases), duplicate (a
    /// Message-ID taken before, e.g. a retried delivery).
    pub outcome: String,
    pub case_id: Option<uuid::Uuid>,
    pub feedback_id: Option<uuid::Uuid>,
    pub attachments: usize,
}

fn strip_brackets(s: &str) -> String {
    s.trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .trim()
        .to_string()
}

/// The raw value of a header (trimmed, lowercase), if present.
fn header(msg: &mail_parser::Message<'_>, name: &str) -> Option<String> {
    msg.header_raw(name).map(|v| v.trim().to_ascii_lowercase())
}

fn is_auto_reply(msg: &mail_parser::Message<'_>) -> bool {
    if header(msg, "Auto-Submitted").is_some_and(|v| !v.is_empty() && !v.starts_with("no")) {
        return true;
    }
    if msg.header_raw("X-Autoreply").is_some() || msg.header_raw("X-Autorespond").is_some() {
        return true;
    }
    header(msg, "Precedence").is_some_and(|v| matches!(v.as_str(), "bulk" | "auto_reply" | "junk" | "list"))
}

fn is_bounce(msg: &mail_parser::Message<'_>) -> bool {
    if msg.is_content_type("multipart", "report") {
        return true;
    }
    let from = msg
        .from()
        .and_then(|a| a.first())
        .and_then(|a| a.address())
        .unwrap_or_default()
        .to_ascii_lowercase();
    let local = from.split('@').next().unwrap_or_default();
    local == "mailer-daemon" || local == "postmaster" || header(msg, "Return-Path").is_some_and(|v| v == "<>")
}

/// `[#1a2b3c4d]` in a subject.
fn subject_reference(subject: &str) -> Option<String> {
    let mut rest = subject;
    while let Some(i) = rest.find("[#") {
        let tail = &rest[i + 2..];
        if let Some(end) = tail.find(']') {
            let r = tail[..end].trim();
            if r.len() == 8 && r.chars().all(|c| c.is_ascii_hexdigit()) {
                return Some(r.to_ascii_lowercase());
            }
        }
        rest = tail;
    }
    None
}

/// The case with the short reference `reference` among the cases of the
/// customer who sent the mail: a reference alone lets nobody else write
/// into a customer's case.
async fn senders_case(state: &App, from: &str, reference: &str) -> AppResult<Option<CaseId>> {
    let Ok(email) = Email::parse(from) else {
        return Ok(None);
    };
    let Some(customer) = state.store().find_customer_by_email(&email).await? else {
        return Ok(None);
    };
    let filter = CaseFilter {
        customer_id: Some(customer.id),
        limit: 200,
        ..CaseFilter::default()
    };
    let cases = state.store().list_cases(&filter).await?;
    Ok(cases.items.into_iter().map(|c| c.id).find(|id| id.short() == reference))
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(max).collect();
        t.push('…');
        t
    }
}

/// The text without control characters other than line breaks and tabs
/// (which feedback refuses; a mail may carry them).
fn without_controls(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_control() || matches!(c, '\n' | '\r' | '\t'))
        .collect()
}

/// The `source` of a mail's feedback item: subject, sender, Message-ID and
/// as many of the attachment entries as fit in detection's 8 KiB; when
/// some are left out, `attachments_total` says how many the mail had (the
/// case timeline lists them all).
fn feedback_source(
    subject: &str,
    from: &str,
    message_id: Option<&str>,
    listed: &[serde_json::Value],
) -> serde_json::Value {
    let mut source = json!({"subject": truncate(subject, 300), "from": truncate(from, 300)});
    if let Some(m) = message_id {
        source["message_id"] = truncate(m, 300).into();
    }
    if listed.is_empty() {
        return source;
    }
    // Room for the keys `attachments` and `attachments_total` and the count.
    let mut size = source.to_string().len() + 64;
    let mut kept = Vec::new();
    for entry in listed {
        let n = entry.to_string().len() + 1;
        if size + n > SOURCE_MAX {
            break;
        }
        size += n;
        kept.push(entry.clone());
    }
    if kept.len() < listed.len() {
        source["attachments_total"] = listed.len().into();
    }
    source["attachments"] = kept.into();
    source
}

/// Takes one raw RFC 822 message. Its text is kept whole however long
/// (the message is at most [`MAIL_MAX`]); detection analyses its beginning.
pub async fn ingest(state: &App, raw: &[u8], actor: Option<UserId>) -> AppResult<MailOutcome> {
    if raw.iter().all(u8::is_ascii_whitespace) {
        return Err(AppError::BadRequest(
            "the message is empty; pipe a whole RFC 822 message".into(),
        ));
    }
    if raw.len() > MAIL_MAX {
        return Err(AppError::BadRequest(format!(
            "the message has {} bytes; at most {} MiB are taken",
            raw.len(),
            MAIL_MAX / (1024 * 1024)
        )));
    }
    let msg = MessageParser::default()
        .parse(raw)
        .ok_or_else(|| AppError::BadRequest("this is not an RFC 822 message (no headers found)".into()))?;
    let from = msg.from().and_then(|a| a.first());
    let from_addr = from.and_then(|a| a.address()).map(str::to_string);
    let from_name = from.and_then(|a| a.name()).map(str::to_string);
    let Some(from_addr) = from_addr.filter(|a| a.contains('@')) else {
        return Err(AppError::validation("from", "the message has no From address"));
    };
    let subject = msg.subject().unwrap_or_default().trim().to_string();
    let message_id = msg.message_id().map(strip_brackets);
    let ignored = |outcome: &str| MailOutcome {
        outcome: outcome.into(),
        case_id: None,
        feedback_id: None,
        attachments: 0,
    };
    if is_bounce(&msg) {
        tracing::info!(from = %from_addr, "bounce ignored");
        return Ok(ignored("bounce"));
    }
    if is_auto_reply(&msg) {
        tracing::info!(from = %from_addr, "auto-reply ignored");
        return Ok(ignored("auto_reply"));
    }
    if let Some(m) = &message_id
        && state.store().inbound_mail_seen(m).await?
    {
        tracing::info!(message_id = %m, "mail taken before; ignored");
        return Ok(ignored("duplicate"));
    }
    let body = msg.body_text(0).map(|b| without_controls(b.trim())).unwrap_or_default();
    let subject = without_controls(&subject);
    let now = state.now();

    // Attachments.
    let mut attachments = Vec::new();
    let mut listed = Vec::new();
    for (i, part) in msg.attachments().enumerate() {
        let filename = part
            .attachment_name()
            .map(|n| truncate(n.trim(), 200))
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| format!("attachment-{}", i + 1));
        let content_type = part.content_type().map_or_else(
            || "application/octet-stream".to_string(),
            |ct| match ct.subtype() {
                Some(st) => format!("{}/{}", ct.ctype(), st).to_ascii_lowercase(),
                None => ct.ctype().to_ascii_lowercase(),
            },
        );
        let bytes = part.contents();
        if bytes.len() > ATTACHMENT_MAX || attachments.len() >= ATTACHMENTS_PER_MAIL {
            listed.push(
                json!({"filename": filename, "content_type": content_type, "size": bytes.len(),
                "skipped": "too large or too many"}),
            );
            continue;
        }
        let id = amends_store::new_row_id(now);
        listed.push(json!({"id": id, "filename": filename, "content_type": content_type, "size": bytes.len()}));
        attachments.push(NewAttachment {
            id,
            filename,
            content_type,
            bytes: bytes.to_vec(),
        });
    }

    // A reply to a case?
    let mut refs: Vec<String> = Vec::new();
    for h in [msg.in_reply_to(), msg.references()] {
        if let Some(list) = h.as_text_list() {
            refs.extend(list.iter().map(|s| strip_brackets(s)));
        }
    }
    let mut case = state.store().find_case_by_message_ids(&refs).await?;
    if case.is_none()
        && let Some(r) = subject_reference(&subject)
    {
        case = senders_case(state, &from_addr, &r).await?;
    }
    let n_attachments = attachments.len();
    if let Some(case_id) = case {
        let text = if body.is_empty() { subject.clone() } else { body.clone() };
        let event = NewEvent {
            kind: EventKind::MessageIn,
            author: None,
            body: Some(text),
            data: json!({"channel": "email", "message_id": message_id, "from": from_addr, "subject": subject,
                "attachments": listed, "attach": amends_domain::attach::AttachReason::Reply}),
            at: now,
        };
        state
            .store()
            .record_inbound_mail(&InboundMail {
                case_id: Some(case_id),
                feedback_id: None,
                message_id: message_id.clone(),
                event: Some(event),
                attachments,
                actor,
                at: now,
            })
            .await?;
        return Ok(MailOutcome {
            outcome: "threaded".into(),
            case_id: Some(case_id.0),
            feedback_id: None,
            attachments: n_attachments,
        });
    }

    // New feedback through detection.
    let text = match (subject.is_empty(), body.is_empty()) {
        (true, true) => "(empty message)".to_string(),
        (true, false) => body.clone(),
        (false, true) => subject.clone(),
        (false, false) => format!("{subject}\n\n{body}"),
    };
    let source = feedback_source(&subject, &from_addr, message_id.as_deref(), &listed);
    let input = FeedbackInput {
        customer_id: None,
        customer_email: Some(from_addr.clone()),
        customer_name: from_name.map(|n| truncate(n.trim(), 190)).filter(|n| !n.is_empty()),
        channel: "email".into(),
        rating: None,
        text,
        language: None,
        source: Some(source),
        case_reference: None,
        component: None,
        whole_text: true,
    };
    let done = detection::ingest_one(state, input, actor).await?;
    if !attachments.is_empty() || done.case_id.is_some() {
        // The case timeline lists the attachments with the message (the
        // detection path already wrote the message text).
        state
            .store()
            .record_inbound_mail(&InboundMail {
                case_id: done.case_id,
                feedback_id: Some(done.id),
                message_id: message_id.clone(),
                event: (done.case_id.is_some() && !listed.is_empty()).then(|| NewEvent {
                    kind: EventKind::Note,
                    author: None,
                    body: None,
                    data: json!({"channel": "email", "message_id": message_id, "attachments": listed}),
                    at: now,
                }),
                attachments,
                actor,
                at: now,
            })
            .await?;
    }
    // Automatic answers never hold up taking the mail; one may open the case.
    let mut case_id = done.case_id;
    match crate::self_service::after_inbound_mail(state, done.id, message_id.clone()).await {
        Ok(outcome) => {
            tracing::debug!(feedback = %done.id.0, ?outcome, "automatic answer");
            if case_id.is_none() {
                case_id = state.store().get_feedback(done.id).await?.case_id.map(CaseId);
            }
        }
        Err(e) => tracing::warn!(feedback = %done.id.0, error = %e, "automatic answer failed"),
    }
    Ok(MailOutcome {
        outcome: "feedback".into(),
        case_id: case_id.map(|c| c.0),
        feedback_id: Some(done.id.0),
        attachments: n_attachments,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_source_of_a_mail_with_many_attachments_fits_and_says_how_many() {
        let listed: Vec<serde_json::Value> = (0..150)
            .map(|i| json!({"filename": format!("{i}-{}", "x".repeat(200)), "content_type": "image/png", "size": 1}))
            .collect();
        let long = "ü".repeat(5_000);
        let source = feedback_source(&long, &long, Some(&long), &listed);
        assert!(source.to_string().len() <= SOURCE_MAX, "{}", source.to_string().len());
        assert_eq!(source["attachments_total"], 150);
        let kept = source["attachments"].as_array().expect("list").len();
        assert!((10..150).contains(&kept), "{kept}");
        let few = feedback_source("s", "a@b.de", None, &listed[..2]);
        assert_eq!(few["attachments"].as_array().expect("list").len(), 2);
        assert!(few.get("attachments_total").is_none());
    }

    #[test]
    fn control_characters_are_dropped_but_line_breaks_kept() {
        assert_eq!(without_controls("a\u{c}b\r\n\tc\u{1b}"), "ab\r\n\tc");
    }
}
