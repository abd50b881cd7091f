//! Email in by IMAP polling: `imap_url` names a mailbox
//! (`imap://user:pass@host:143/INBOX` plain, `imaps://…:993/INBOX` TLS with
//! rustls and the webpki roots, plus the authorities of `imap_ca_file`).
//! Every `imap_poll_interval` (and once at start) `amends serve` fetches
//! the UNSEEN messages (`BODY.PEEK[]`, so a fetch alone marks nothing),
//! hands each to [`crate::mailin::ingest`] — the
//! same function as the MTA pipe and the API — and only then sets `\Seen`
//! (and moves it to `imap_move_to`, if set). A crash between ingest and
//! `\Seen` fetches the message again on the next poll; ingest recognises its
//! Message-ID and takes it once. A message that cannot be taken (not RFC
//! 822, no From) is never marked `\Seen`: it stays unread in the mailbox for
//! a person to see, is kept in the mail quarantine (`crate::quarantine`),
//! is counted as rejected and logged, and this instance
//! does not fetch it again until it restarts (so it neither comes back every
//! interval nor holds up the messages after it). An unreachable server or a refused login is
//! logged, kept in [`ImapStatus`] (Settings → Background jobs, `GET
//! /api/v1/mail/imap`) and tried again at the next interval.
//!
//! With several instances on one database, set `imap_url` on one of them:
//! two pollers of one mailbox may both take a message they fetched at the
//! same moment.

use crate::App;
use crate::error::AppError;
use crate::quarantine::Taken;
use chrono::{DateTime, Utc};
use futures_util::TryStreamExt;
use serde::Serialize;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::watch;

/// Longest wait for one step (connect, login, a command, one message).
const STEP_TIMEOUT: Duration = Duration::from_secs(60);
/// Most messages taken in one poll (the rest come with the next one).
const BATCH: usize = 500;

/// A parsed `imap_url`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImapUrl {
    pub tls: bool,
    pub host: String,
    pub port: u16,
    pub user: String,
    pub password: String,
    pub mailbox: String,
}

/// Parses and checks an `imap_url` without connecting. Errors never contain the password.
pub fn parse_url(raw: &str) -> Result<ImapUrl, String> {
    let shown = crate::mail::redact(raw);
    // Not echoed: an unparsable value may hold a password we cannot find.
    let u = url::Url::parse(raw).map_err(|e| format!("not a URL like imaps://user:password@host/INBOX ({e})"))?;
    let tls = match u.scheme() {
        "imap" => false,
        "imaps" => true,
        _ => return Err(format!("`{shown}` must start with imap:// or imaps://")),
    };
    let host = u
        .host_str()
        .filter(|h| !h.is_empty())
        .ok_or_else(|| format!("`{shown}` names no host"))?
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_string();
    let decode = |s: &str| {
        percent_decode(s).ok_or_else(|| format!("`{shown}`: the user or password is not valid percent-encoded UTF-8"))
    };
    let user = decode(u.username())?;
    let password = decode(u.password().unwrap_or_default())?;
    if user.is_empty() {
        return Err(format!(
            "`{shown}` names no user: write imap://user:password@host/INBOX"
        ));
    }
    let mailbox = decode(u.path().trim_start_matches('/'))?;
    let mailbox = if mailbox.is_empty() {
        "INBOX".to_string()
    } else {
        mailbox
    };
    if mailbox.contains(['\r', '\n', '"', '\\']) {
        return Err(format!(
            "`{shown}`: the mailbox name contains a character that is not allowed"
        ));
    }
    Ok(ImapUrl {
        tls,
        port: u.port().unwrap_or(if tls { 993 } else { 143 }),
        host,
        user,
        password,
        mailbox,
    })
}

fn percent_decode(s: &str) -> Option<String> {
    percent_encoding::percent_decode_str(s)
        .decode_utf8()
        .ok()
        .map(std::borrow::Cow::into_owned)
}

/// What one poll did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct PollReport {
    /// Unseen messages fetched.
    pub fetched: usize,
    /// Taken as new feedback or threaded onto a case.
    pub ingested: usize,
    /// Taken before (same Message-ID), e.g. after a crash before `\Seen` was set.
    pub duplicates: usize,
    /// Auto-replies and bounces (open nothing).
    pub ignored: usize,
    /// Messages that cannot be taken (not RFC 822, no From); left unseen
    /// in the mailbox and not fetched again by this instance.
    pub rejected: usize,
}

/// The poller's state, for admins.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct ImapStatus {
    /// True when `imap_url` is set.
    pub configured: bool,
    /// The mailbox URL without its password.
    pub mailbox: Option<String>,
    /// Polls since this instance started (successful or not).
    pub polls: u64,
    pub last_poll_at: Option<DateTime<Utc>>,
    pub last_success_at: Option<DateTime<Utc>>,
    /// The error of the last poll (cleared by a successful one).
    pub last_error: Option<String>,
    pub last_report: Option<PollReport>,
    /// Messages ingested by this instance since it started.
    pub ingested_total: u64,
    /// Messages this instance could not take, left unseen in the mailbox.
    pub held_unseen: usize,
}

/// The poller's in-memory status (per instance), and the messages it
/// could not take (by UIDVALIDITY and UID), which it does not fetch again.
#[derive(Debug, Default)]
pub struct StatusCell {
    status: std::sync::Mutex<ImapStatus>,
    held: std::sync::Mutex<std::collections::BTreeSet<(u32, u32)>>,
}

impl StatusCell {
    #[must_use]
    pub fn new(url: Option<&str>) -> Self {
        StatusCell {
            status: std::sync::Mutex::new(ImapStatus {
                configured: url.is_some(),
                mailbox: url.map(crate::mail::redact),
                ..ImapStatus::default()
            }),
            held: std::sync::Mutex::default(),
        }
    }

    /// Whether the message `(uid_validity, uid)` could not be taken before.
    fn is_held(&self, message: (u32, u32)) -> bool {
        self.held.lock().is_ok_and(|h| h.contains(&message))
    }

    /// Remembers that the message `(uid_validity, uid)` cannot be taken.
    fn hold(&self, message: (u32, u32)) {
        let held = self.held.lock().map(|mut h| {
            h.insert(message);
            h.len()
        });
        if let (Ok(n), Ok(mut s)) = (held, self.status.lock()) {
            s.held_unseen = n;
        }
    }

    #[must_use]
    pub fn get(&self) -> ImapStatus {
        self.status.lock().map(|s| s.clone()).unwrap_or_default()
    }

    fn record(&self, at: DateTime<Utc>, result: &Result<PollReport, String>) {
        if let Ok(mut s) = self.status.lock() {
            s.polls += 1;
            s.last_poll_at = Some(at);
            match result {
                Ok(r) => {
                    s.last_success_at = Some(at);
                    s.last_error = None;
                    s.ingested_total += r.ingested as u64;
                    s.last_report = Some(r.clone());
                }
                Err(e) => s.last_error = Some(e.clone()),
            }
        }
    }
}

async fn step<T, E: std::fmt::Display>(
    what: &str,
    fut: impl std::future::Future<Output = Result<T, E>>,
) -> Result<T, String> {
    match tokio::time::timeout(STEP_TIMEOUT, fut).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(format!("{what}: {e}")),
        Err(_) => Err(format!("{what}: no answer within {} s", STEP_TIMEOUT.as_secs())),
    }
}

/// Polls the configured mailbox once and records the outcome in the status.
/// Errors are texts naming the server (without the password).
pub async fn poll_once(state: &App) -> Result<PollReport, String> {
    let result = match state.config().imap_url.as_deref() {
        None => Err("IMAP is not configured: set imap_url (AMENDS_IMAP_URL)".to_string()),
        Some(raw) => match parse_url(raw) {
            Err(e) => Err(format!("config key `imap_url`: {e}")),
            Ok(url) => poll_url(state, &url).await.map_err(|e| {
                format!(
                    "IMAP {}://{}:{}/{}: {e}",
                    if url.tls { "imaps" } else { "imap" },
                    url.host,
                    url.port,
                    url.mailbox
                )
            }),
        },
    };
    state.imap_status().record(state.now(), &result);
    match &result {
        Ok(r) if r.fetched > 0 => tracing::info!(
            fetched = r.fetched,
            ingested = r.ingested,
            duplicates = r.duplicates,
            ignored = r.ignored,
            rejected = r.rejected,
            "IMAP poll"
        ),
        Ok(_) => tracing::debug!("IMAP poll: no unseen messages"),
        Err(e) => tracing::warn!(error = %e, "IMAP poll failed; trying again at the next interval"),
    }
    result
}

/// The authorities an `imaps://` server's certificate may chain to: the
/// public ones (webpki roots) and those of the PEM file `ca_file`.
pub fn trusted_roots(ca_file: Option<&str>) -> Result<tokio_rustls::rustls::RootCertStore, String> {
    use tokio_rustls::rustls::pki_types::CertificateDer;
    use tokio_rustls::rustls::pki_types::pem::PemObject;
    let mut roots = tokio_rustls::rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    let Some(path) = ca_file else { return Ok(roots) };
    let pem = std::fs::read(path).map_err(|e| format!("cannot read the CA file `{path}`: {e}"))?;
    let certs = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("the CA file `{path}` is not PEM: {e}"))?;
    if certs.is_empty() {
        return Err(format!(
            "the CA file `{path}` holds no certificate (expected -----BEGIN CERTIFICATE-----)"
        ));
    }
    for (i, cert) in certs.into_iter().enumerate() {
        roots.add(cert).map_err(|e| {
            format!(
                "certificate {} of the CA file `{path}` is not a usable authority: {e}",
                i + 1
            )
        })?;
    }
    Ok(roots)
}

async fn poll_url(state: &App, url: &ImapUrl) -> Result<PollReport, String> {
    let tcp = step(
        "cannot connect",
        tokio::net::TcpStream::connect((url.host.as_str(), url.port)),
    )
    .await?;
    if url.tls {
        let roots = trusted_roots(state.config().imap_ca_file.as_deref()).map_err(|e| format!("TLS: {e}"))?;
        let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
        let config = tokio_rustls::rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| format!("TLS: {e}"))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        let name = tokio_rustls::rustls::pki_types::ServerName::try_from(url.host.clone())
            .map_err(|e| format!("TLS: `{}` is not a valid server name: {e}", url.host))?;
        let stream = step(
            "TLS handshake",
            tokio_rustls::TlsConnector::from(Arc::new(config)).connect(name, tcp),
        )
        .await?;
        session(state, url, stream).await
    } else {
        session(state, url, tcp).await
    }
}

async fn session<S>(state: &App, url: &ImapUrl, stream: S) -> Result<PollReport, String>
where
    S: AsyncRead + AsyncWrite + Unpin + std::fmt::Debug + Send,
{
    let mut client = async_imap::Client::new(stream);
    let greeting = step("no greeting", client.read_response()).await?;
    if greeting.is_none() {
        return Err("the server closed the connection before its greeting".into());
    }
    let mut session = step("login", async {
        client
            .login(&url.user, &url.password)
            .await
            .map_err(|(e, _)| format!("as `{}` refused ({e})", url.user))
    })
    .await?;
    let result = take_unseen(state, url, &mut session).await;
    // Logging out is a courtesy; the outcome is already decided.
    let _ = tokio::time::timeout(Duration::from_secs(5), session.logout()).await;
    result
}

async fn take_unseen<S>(state: &App, url: &ImapUrl, session: &mut async_imap::Session<S>) -> Result<PollReport, String>
where
    S: AsyncRead + AsyncWrite + Unpin + std::fmt::Debug + Send,
{
    let mailbox = step(
        &format!("cannot open mailbox `{}`", url.mailbox),
        session.select(&url.mailbox),
    )
    .await?;
    let validity = mailbox.uid_validity.unwrap_or_default();
    let held = state.imap_status();
    let mut uids: Vec<u32> = step("UID SEARCH UNSEEN", session.uid_search("UNSEEN"))
        .await?
        .into_iter()
        .filter(|uid| !held.is_held((validity, *uid)))
        .collect();
    uids.sort_unstable();
    uids.truncate(BATCH);
    let move_to = state.config().imap_move_to.clone().filter(|m| !m.trim().is_empty());
    let mut report = PollReport::default();
    for uid in uids {
        let fetched: Vec<async_imap::types::Fetch> = step(&format!("fetch message UID {uid}"), async {
            session
                .uid_fetch(uid.to_string(), "BODY.PEEK[]")
                .await?
                .try_collect()
                .await
        })
        .await?;
        // A message expunged since the search: nothing to do.
        let Some(raw) = fetched.iter().find_map(|f| f.body()) else {
            continue;
        };
        report.fetched += 1;
        match crate::quarantine::ingest_or_quarantine(state, raw, crate::quarantine::Source::Imap).await {
            Ok(Taken::Mail(out)) => match out.outcome.as_str() {
                "feedback" | "threaded" => report.ingested += 1,
                "duplicate" => report.duplicates += 1,
                _ => report.ignored += 1,
            },
            Ok(Taken::Quarantined { id, reason, .. }) => {
                // Kept in the quarantine for an admin, and never marked
                // seen: the message also stays in the mailbox.
                tracing::warn!(uid, %id, error = %reason, "IMAP message cannot be taken; quarantined and left unseen");
                report.rejected += 1;
                held.hold((validity, uid));
                continue;
            }
            Err(AppError::BadRequest(e) | AppError::Validation { message: e, .. }) => {
                // Never marked seen: the message stays in the mailbox.
                tracing::warn!(uid, error = %e, "IMAP message cannot be taken; left unseen in the mailbox");
                report.rejected += 1;
                held.hold((validity, uid));
                continue;
            }
            // The database is unavailable: leave the message unseen for the next poll.
            Err(e) => return Err(format!("message UID {uid} not stored: {e:?}")),
        }
        step(&format!("mark message UID {uid} seen"), async {
            session
                .uid_store(uid.to_string(), "+FLAGS.SILENT (\\Seen)")
                .await?
                .try_collect::<Vec<_>>()
                .await
        })
        .await?;
        if let Some(target) = &move_to
            && let Err(e) = step(
                &format!("move message UID {uid} to `{target}`"),
                session.uid_mv(uid.to_string(), target),
            )
            .await
        {
            // It is seen, so it will not be taken twice; say why it stayed.
            tracing::warn!(uid, error = %e, "IMAP move failed; the message stays (seen) in the mailbox");
        }
    }
    Ok(report)
}

/// The poller of `amends serve`: polls at start and then every
/// `imap_poll_interval` until `shutdown` turns true. `None` without `imap_url`.
pub fn start(state: &App, shutdown: &watch::Receiver<bool>) -> Option<tokio::task::JoinHandle<()>> {
    state.config().imap_url.as_ref()?;
    let state = state.clone();
    let mut shutdown = shutdown.clone();
    let every = state
        .config()
        .imap_poll_interval
        .to_std()
        .unwrap_or(Duration::from_secs(60))
        .max(Duration::from_secs(1));
    Some(tokio::spawn(async move {
        loop {
            if *shutdown.borrow() {
                break;
            }
            let _ = poll_once(&state).await;
            tokio::select! {
                () = tokio::time::sleep(every) => {}
                _ = shutdown.changed() => {}
            }
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_parsed_with_defaults_and_decoded() {
        let u = parse_url("imaps://service%40firma.de:p%40ss%3Aw@mail.firma.de/Support").expect("ok");
        assert_eq!(
            u,
            ImapUrl {
                tls: true,
                host: "mail.firma.de".into(),
                port: 993,
                user: "service@firma.de".into(),
                password: "p@ss:w".into(),
                mailbox: "Support".into(),
            }
        );
        let u = parse_url("imap://amends:secret@127.0.0.1:10143").expect("ok");
        assert!(!u.tls);
        assert_eq!((u.port, u.mailbox.as_str()), (10143, "INBOX"));
        assert_eq!(parse_url("imap://a:b@h/").expect("ok").port, 143);
    }

    #[test]
    fn bad_urls_are_refused_without_showing_the_password() {
        for bad in [
            "pop3://u:topsecret@host/INBOX",
            "imap://:topsecret@host/INBOX",
            "imap://u:topsecret@/INBOX",
            "not a url topsecret",
        ] {
            let e = parse_url(bad).expect_err(bad);
            assert!(!e.contains("topsecret"), "{e}");
        }
        assert!(parse_url("http://u:p@host").expect_err("scheme").contains("imap://"));
    }

    #[test]
    fn messages_that_cannot_be_taken_are_held_per_mailbox_validity() {
        let cell = StatusCell::new(Some("imap://u:p@h/INBOX"));
        assert!(!cell.is_held((7, 42)));
        cell.hold((7, 42));
        cell.hold((7, 42));
        assert!(cell.is_held((7, 42)));
        assert!(!cell.is_held((8, 42)), "a new UIDVALIDITY is a new mailbox");
        assert_eq!(cell.get().held_unseen, 1);
    }

    #[test]
    fn status_records_success_and_error() {
        let cell = StatusCell::new(Some("imap://u:topsecret@h/INBOX"));
        let at = chrono::DateTime::<Utc>::from_timestamp(1_800_000_000, 0).expect("time");
        assert_eq!(cell.get().mailbox.as_deref(), Some("imap://***@h/INBOX"));
        cell.record(
            at,
            &Ok(PollReport {
                fetched: 3,
                ingested: 2,
                ..PollReport::default()
            }),
        );
        cell.record(at, &Err("down".into()));
        let s = cell.get();
        assert_eq!((s.polls, s.ingested_total), (2, 2));
        assert_eq!(s.last_error.as_deref(), Some("down"));
        assert_eq!(s.last_success_at, Some(at));
    }
}
