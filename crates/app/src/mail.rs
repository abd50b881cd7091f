//! Outgoing mail over SMTP with lettre (tokio + rustls, no native TLS).
//!
//! `smtp.url` selects the transport: `smtp://host:port` (plain, e.g. a
//! local relay), `smtp://user:pass@host:587?tls=required` (STARTTLS, also
//! `?tls=opportunistic`), `smtps://user:pass@host` (implicit TLS, port 465
//! by default). Mails are multipart/alternative (plain text + HTML) with a
//! Message-ID made when the mail is queued, so a retried send carries the
//! same id and replies thread back to the case.

use lettre::message::header::{ContentTransferEncoding, ContentType};
use lettre::message::{Body, Mailbox, MultiPart, SinglePart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// Checks an SMTP URL without connecting.
pub fn check_url(url: &str) -> Result<(), String> {
    if !(url.starts_with("smtp://") || url.starts_with("smtps://")) {
        return Err(format!("`{url}` must start with smtp:// or smtps://"));
    }
    AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
        .map(|_| ())
        .map_err(|e| format!("`{}` is not a usable SMTP URL: {e}", redact(url)))
}

/// The URL without its password, for logs and errors.
#[must_use]
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => format!("{}://***@{}", &url[..s], &url[at + 1..]),
        _ => url.to_string(),
    }
}

pub fn parse_mailbox(s: &str) -> Result<Mailbox, String> {
    s.parse::<Mailbox>()
        .map_err(|e| format!("`{s}` is not a mail address like `Name <name@example.com>`: {e}"))
}

/// A mail ready to send (stored in the outbox job, so retries send the same mail).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct OutgoingMail {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// Without angle brackets, e.g. `0193…@amends.example.com`.
    pub message_id: String,
    pub in_reply_to: Option<String>,
}

/// The SMTP transport, if configured.
#[derive(Clone)]
pub struct Mailer {
    transport: Option<AsyncSmtpTransport<Tokio1Executor>>,
    from: Mailbox,
    domain: String,
}

impl Mailer {
    pub fn new(url: Option<&str>, from: &str, base_url: &str) -> anyhow::Result<Self> {
        let transport = match url {
            Some(u) => Some(
                AsyncSmtpTransport::<Tokio1Executor>::from_url(u)
                    .map_err(|e| anyhow::anyhow!("smtp.url `{}`: {e}", redact(u)))?
                    .timeout(Some(Duration::from_secs(20)))
                    .build(),
            ),
            None => None,
        };
        let from = parse_mailbox(from).map_err(|e| anyhow::anyhow!("smtp.from: {e}"))?;
        let domain = base_url
            .split("://")
            .nth(1)
            .unwrap_or("localhost")
            .split(['/', ':'])
            .next()
            .filter(|h| !h.is_empty())
            .unwrap_or("localhost")
            .to_string();
        Ok(Self {
            transport,
            from,
            domain,
        })
    }

    #[must_use]
    pub fn configured(&self) -> bool {
        self.transport.is_some()
    }

    /// A fresh Message-ID (without brackets) on our domain.
    #[must_use]
    pub fn new_message_id(&self, id: uuid::Uuid) -> String {
        format!("{}@{}", id.simple(), self.domain)
    }

    /// Sends one mail. Errors are texts for the job log (retried by the caller).
    pub async fn send(&self, mail: &OutgoingMail) -> Result<(), String> {
        let Some(transport) = &self.transport else {
            return Err("SMTP is not configured: set smtp.url (AMENDS_SMTP_URL)".into());
        };
        let to: Mailbox = parse_mailbox(&mail.to)?;
        let mut b = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(mail.subject.clone())
            .message_id(Some(format!("<{}>", mail.message_id)));
        if let Some(r) = &mail.in_reply_to {
            b = b.in_reply_to(format!("<{r}>")).references(format!("<{r}>"));
        }
        // Quoted-printable keeps both parts readable and line lengths legal.
        let qp = |s: &str| {
            Body::new_with_encoding(s.to_string(), ContentTransferEncoding::QuotedPrintable)
                .map_err(|_| "cannot encode the mail body".to_string())
        };
        let msg = b
            .multipart(
                MultiPart::alternative()
                    .singlepart(
                        SinglePart::builder()
                            .header(ContentType::TEXT_PLAIN)
                            .body(qp(&mail.text)?),
                    )
                    .singlepart(
                        SinglePart::builder()
                            .header(ContentType::TEXT_HTML)
                            .body(qp(&mail.html)?),
                    ),
            )
            .map_err(|e| format!("cannot build the mail: {e}"))?;
        transport.send(msg).await.map(|_| ()).map_err(|e| format!("SMTP: {e}"))
    }
}

/// The templates of every outgoing mail, embedded at compile time.
pub const MAIL_TEMPLATES: &[(&str, &str)] = &[
    ("mail.txt", include_str!("../templates/mail.txt")),
    ("mail.html", include_str!("../templates/mail.html")),
];

/// The engine that renders mails (dates shown in `tz`).
pub fn renderer(tz: chrono_tz::Tz) -> anyhow::Result<amends_i18n::Renderer> {
    amends_i18n::Renderer::new(tz, MAIL_TEMPLATES)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_checked_and_redacted() {
        assert!(check_url("smtp://127.0.0.1:2525").is_ok());
        assert!(check_url("smtps://user:secret@mail.example.com").is_ok());
        assert!(check_url("smtp://mail.example.com:587?tls=required").is_ok());
        assert!(check_url("http://mail.example.com").is_err());
        assert_eq!(
            redact("smtps://user:secret@mail.example.com"),
            "smtps://***@mail.example.com"
        );
        assert!(parse_mailbox("amends <a@example.com>").is_ok());
        assert!(parse_mailbox("not an address").is_err());
    }
}
