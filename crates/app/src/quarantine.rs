//! Mail that cannot be taken is kept, not lost. When the MTA pipe or the
//! IMAP poller hands over a message [`crate::mailin::ingest`] refuses (not
//! RFC 822, no sender, too large), it goes to the quarantine whole; an
//! admin sees it under Settings → Mail quarantine and releases it (with a
//! sender address where it had none) or deletes it. The same bytes land
//! once, however often the MTA retries or the poller fetches them.

use crate::App;
use crate::error::{AppError, AppResult};
use crate::mailin::{self, MAIL_MAX, MailOutcome};
use amends_domain::UserId;
use amends_store::{NewQuarantined, QuarantinedMail};
use mail_parser::MessageParser;
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// Where a message came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// `amends mail ingest` (the MTA pipe).
    Pipe,
    /// The IMAP poller.
    Imap,
}

impl Source {
    fn as_str(self) -> &'static str {
        match self {
            Source::Pipe => "pipe",
            Source::Imap => "imap",
        }
    }
}

/// What became of a message handed over.
#[derive(Debug, Clone)]
pub enum Taken {
    /// Ingested as usual.
    Mail(MailOutcome),
    /// Kept in the quarantine (`new` is false when the same bytes were there).
    Quarantined { id: Uuid, reason: String, new: bool },
}

/// Ingests `raw`; a message ingest refuses goes to the quarantine instead.
/// An empty message is still an error (there is nothing to keep), and so
/// is a database failure (the caller retries: nothing was taken).
pub async fn ingest_or_quarantine(state: &App, raw: &[u8], source: Source) -> AppResult<Taken> {
    match mailin::ingest(state, raw, None).await {
        Ok(out) => Ok(Taken::Mail(out)),
        Err(e @ (AppError::BadRequest(_) | AppError::Validation { .. }))
            if !raw.iter().all(u8::is_ascii_whitespace) =>
        {
            let reason = e.to_string();
            let reason_code = match &e {
                AppError::Validation { field, .. } if field == "from" => "no_sender",
                _ if raw.len() > MAIL_MAX => "too_large",
                _ if reason.contains("RFC 822") => "not_mail",
                _ => "unreadable",
            };
            let kept = &raw[..raw.len().min(MAIL_MAX)];
            let parsed = MessageParser::default().parse(kept);
            let sender = parsed
                .as_ref()
                .and_then(|m| m.from())
                .and_then(|a| a.first())
                .and_then(|a| a.address())
                .map(|a| a.chars().take(254).collect());
            let subject = parsed
                .as_ref()
                .and_then(|m| m.subject())
                .map(|s| s.chars().take(200).collect());
            let (id, new) = state
                .store()
                .quarantine_mail(&NewQuarantined {
                    source: source.as_str(),
                    reason_code,
                    reason: reason.clone(),
                    sender,
                    subject,
                    sha256: format!("{:x}", Sha256::digest(kept)),
                    raw: kept.to_vec(),
                    at: state.now(),
                })
                .await?;
            tracing::warn!(%id, new, source = source.as_str(), %reason, "inbound mail quarantined");
            Ok(Taken::Quarantined { id, reason, new })
        }
        Err(e) => Err(e),
    }
}

/// The quarantined messages, newest first: the open ones, or all.
pub async fn list(state: &App, open_only: bool) -> AppResult<Vec<QuarantinedMail>> {
    Ok(state.store().list_quarantine(open_only).await?)
}

/// Takes a quarantined message after all, as if it had just arrived;
/// `sender` (an email address) replaces or supplies its From. When it
/// still cannot be taken the message stays in the quarantine and the
/// error says why (field `sender` when the address is the problem).
pub async fn release(state: &App, id: Uuid, sender: Option<&str>, actor: UserId) -> AppResult<MailOutcome> {
    let sender = sender.map(str::trim).filter(|s| !s.is_empty());
    if let Some(s) = sender {
        check_address(s)?;
    }
    let now = state.now();
    let store = state.store();
    store.claim_quarantined(id, actor, now).await?;
    let taken = match store.quarantined_raw(id).await {
        Ok(raw) => {
            let raw = match sender {
                Some(s) => with_sender(&raw, s),
                None => raw,
            };
            mailin::ingest(state, &raw, Some(actor)).await
        }
        Err(e) => Err(e.into()),
    };
    match taken {
        Ok(out) => {
            store.finish_release(id, actor, now, &out.outcome).await?;
            Ok(out)
        }
        Err(e) => {
            store.unclaim_quarantined(id).await?;
            Err(match e {
                AppError::Validation { field, message } if field == "from" => AppError::Validation {
                    field: "sender".into(),
                    message: format!("{message}; give the sender's address"),
                },
                e => e,
            })
        }
    }
}

/// Deletes a quarantined message (its bytes are dropped; the row and the
/// audit entry say who did it and when).
pub async fn delete(state: &App, id: Uuid, actor: UserId) -> AppResult<()> {
    Ok(state.store().delete_quarantined(id, actor, state.now()).await?)
}

/// The rules of every address (`amends_domain::Email`, which keeps
/// semicolons and quotes out of the From header too).
fn check_address(s: &str) -> AppResult<()> {
    amends_domain::Email::parse(s)
        .map(|_| ())
        .map_err(|_| AppError::validation("sender", "must be an email address such as name@example.com"))
}

/// `raw` with `sender` as its only From: the header block keeps its other
/// lines; a message without a header block gets one.
fn with_sender(raw: &[u8], sender: &str) -> Vec<u8> {
    let from = format!("From: <{sender}>\r\n");
    let end = find(raw, b"\r\n\r\n").or_else(|| find(raw, b"\n\n"));
    let first_line = raw.split(|b| *b == b'\n').next().unwrap_or_default();
    let looks_like_header = first_line
        .iter()
        .position(|b| *b == b':')
        .is_some_and(|i| i > 0 && first_line[..i].iter().all(|b| b.is_ascii_graphic()));
    let mut out = from.into_bytes();
    match end {
        Some(end) if looks_like_header => {
            let mut skipping = false;
            for line in raw[..end].split_inclusive(|b| *b == b'\n') {
                let continuation = line.first().is_some_and(|b| *b == b' ' || *b == b'\t');
                if !continuation {
                    skipping = line.len() >= 5 && line[..5].eq_ignore_ascii_case(b"from:");
                }
                if !skipping {
                    out.extend_from_slice(line);
                }
            }
            if !out.ends_with(b"\n") {
                out.extend_from_slice(b"\r\n");
            }
            out.extend_from_slice(&raw[end..]);
        }
        _ => {
            out.extend_from_slice(b"Content-Type: text/plain; charset=utf-8\r\n\r\n");
            out.extend_from_slice(raw);
        }
    }
    out
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::{check_address, with_sender};

    fn parsed(raw: &[u8]) -> (String, String, String) {
        let m = mail_parser::MessageParser::default().parse(raw).expect("parses");
        let from = m
            .from()
            .and_then(|a| a.first())
            .and_then(|a| a.address())
            .unwrap_or("")
            .to_string();
        (
            from,
            m.subject().unwrap_or("").to_string(),
            m.body_text(0).unwrap_or_default().trim().to_string(),
        )
    }

    #[test]
    fn a_sender_replaces_a_broken_from_and_keeps_the_rest() {
        let raw = b"Subject: Kaputt\r\nFrom: niemand\r\n  (folded)\r\nTo: a@b.de\r\n\r\nDie Vase ist kaputt.\r\n";
        let (from, subject, body) = parsed(&with_sender(raw, "erika@example.de"));
        assert_eq!(from, "erika@example.de");
        assert_eq!(subject, "Kaputt");
        assert_eq!(body, "Die Vase ist kaputt.");
    }

    #[test]
    fn a_message_without_headers_gets_them() {
        let (from, _, body) = parsed(&with_sender(b"Hallo, meine Bestellung fehlt.\n", "max@example.de"));
        assert_eq!(from, "max@example.de");
        assert_eq!(body, "Hallo, meine Bestellung fehlt.");
    }

    #[test]
    fn addresses_are_checked() {
        assert!(check_address("erika@example.de").is_ok());
        for bad in [
            "",
            "erika",
            "@example.de",
            "erika@localhost",
            "a b@example.de",
            "x@y.de>\r\nBcc: z@z.de",
        ] {
            assert!(check_address(bad).is_err(), "{bad}");
        }
    }
}
