//! Configuration: defaults → `amends.toml` → `AMENDS_*` environment → flags.

use amends_domain::Language;
use amends_store::Durability;
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};
use std::path::Path;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// `sqlite://amends.db` (default) or `postgres://user@host/db`.
    pub database_url: String,
    /// Address to listen on, e.g. `127.0.0.1:8080`; port 0 picks a free port.
    pub bind: String,
    /// The public base URL (links in mails; `https` makes cookies `Secure`).
    pub base_url: String,
    /// `normal` (survives a process crash) or `full` (fsync per commit).
    pub durability: Durability,
    /// Language of new users and of the login page.
    pub default_language: Language,
    /// IANA time zone for showing times, e.g. `Europe/Berlin`.
    pub timezone: String,
    /// Hours a login session lasts.
    pub session_hours: u32,
    /// Failed logins per IP and minute before further attempts are refused.
    pub login_attempts_per_minute: u32,
    /// A sentiment model trained with `amends text train` (default: the shipped model).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text_model: Option<std::path::PathBuf>,
    /// Outgoing mail (`[smtp]` in amends.toml; `AMENDS_SMTP_URL`, `AMENDS_SMTP_FROM`).
    pub smtp: SmtpConfig,
    /// Delay between resolution and the CSAT survey mail, e.g. `0s`, `4h`, `2d`.
    pub survey_delay: String,
    /// How long a survey link stays valid.
    pub survey_expiry: String,
    /// Survey fatigue: at most this many surveys per customer per `survey_period`.
    pub survey_max_per_period: u32,
    /// Customers with at least this lifetime value (cents), or of a premium
    /// or enterprise tier, get a "personal note" task when their case is resolved.
    pub personal_note_min_clv_cents: i64,
    pub survey_period: String,
    /// Delay between resolution and the check-in message.
    pub checkin_delay: String,
    /// How long before an SLA clock is due the assignee is warned, e.g. `1h`.
    pub sla_warn_before: String,
    /// Background workers per instance (0 disables them).
    pub job_workers: u32,
    /// How often an idle worker looks for due jobs.
    pub job_poll: String,
    /// How long a claimed job stays with its worker before others may take it over.
    pub job_lease: String,
    /// Attempts before a job is declared dead.
    pub job_max_attempts: u32,
    /// First retry delay; doubles with each attempt (capped at 1 h).
    pub job_backoff: String,
    /// Timeout of one webhook request.
    pub webhook_timeout: String,
    /// Feedback widget: posts per client IP and minute before 429.
    pub widget_posts_per_ip_minute: u32,
    /// Feedback widget: posts per site key and minute before 429.
    pub widget_posts_per_site_minute: u32,
    /// Email in by IMAP: `imap://user:pass@host:143/INBOX` or
    /// `imaps://user:pass@host:993/INBOX`; unset = no polling.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub imap_url: Option<String>,
    /// How often `amends serve` polls the IMAP mailbox, e.g. `60s`, `5m`.
    pub imap_poll_interval: String,
    /// A mailbox to move taken messages to (they are marked `\Seen` either way).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub imap_move_to: Option<String>,
    /// A PEM file of certificate authorities trusted for `imaps://` besides
    /// the public ones (a mail server with a company CA's certificate).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub imap_ca_file: Option<String>,
}

/// SMTP settings: `url` such as `smtp://host:25` (plain), `smtp://host:587?tls=required`
/// (STARTTLS), `smtps://user:pass@host` (TLS, port 465); `from` is the sender.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct SmtpConfig {
    pub url: Option<String>,
    pub from: String,
}

impl Default for SmtpConfig {
    fn default() -> Self {
        Self {
            url: None,
            from: "amends <amends@localhost>".into(),
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Self {
            database_url: "sqlite://amends.db".into(),
            bind: "127.0.0.1:8080".into(),
            base_url: "http://127.0.0.1:8080".into(),
            durability: Durability::Normal,
            default_language: Language::De,
            timezone: "Europe/Berlin".into(),
            session_hours: 12,
            login_attempts_per_minute: 10,
            text_model: None,
            smtp: SmtpConfig::default(),
            survey_delay: "1h".into(),
            survey_expiry: "14d".into(),
            survey_max_per_period: 1,
            personal_note_min_clv_cents: 500_000,
            survey_period: "30d".into(),
            checkin_delay: "3d".into(),
            sla_warn_before: "1h".into(),
            job_workers: 2,
            job_poll: "1s".into(),
            job_lease: "60s".into(),
            job_max_attempts: 8,
            job_backoff: "10s".into(),
            webhook_timeout: "10s".into(),
            widget_posts_per_ip_minute: 10,
            widget_posts_per_site_minute: 300,
            imap_url: None,
            imap_poll_interval: "60s".into(),
            imap_move_to: None,
            imap_ca_file: None,
        }
    }
}

/// Flags from the command line; `None` means "not given".
#[derive(Debug, Clone, Default, Serialize)]
pub struct Overrides {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bind: Option<String>,
}

impl Config {
    /// Loads the layered configuration. `file` defaults to `./amends.toml`
    /// (ignored if missing; an explicitly named file must exist).
    pub fn load(file: Option<&Path>, overrides: &Overrides) -> Result<Self, String> {
        let path = file.unwrap_or_else(|| Path::new("amends.toml"));
        if file.is_some() && !path.exists() {
            return Err(format!("config file `{}` does not exist", path.display()));
        }
        let cfg: Config = Figment::from(Serialized::defaults(Config::default()))
            .merge(Toml::file(path))
            .merge(Env::prefixed("AMENDS_").filter_map(|k| {
                let k = k.as_str().to_ascii_lowercase();
                match k.as_str() {
                    "smtp_url" => Some("smtp.url".to_string().into()),
                    "smtp_from" => Some("smtp.from".to_string().into()),
                    k if Self::KEYS.contains(&k) => Some(k.to_string().into()),
                    _ => None,
                }
            }))
            .merge(Serialized::defaults(overrides))
            .extract()
            .map_err(|e| describe(&e))?;
        cfg.check()?;
        Ok(cfg)
    }

    /// Keys that `AMENDS_*` variables may set (others, such as
    /// `AMENDS_TEST_…`, belong to tools and are ignored here).
    const KEYS: [&'static str; 28] = [
        "database_url",
        "bind",
        "base_url",
        "durability",
        "default_language",
        "timezone",
        "session_hours",
        "login_attempts_per_minute",
        "text_model",
        "survey_delay",
        "survey_expiry",
        "survey_max_per_period",
        "personal_note_min_clv_cents",
        "survey_period",
        "checkin_delay",
        "sla_warn_before",
        "job_workers",
        "job_poll",
        "job_lease",
        "job_max_attempts",
        "job_backoff",
        "webhook_timeout",
        "widget_posts_per_ip_minute",
        "widget_posts_per_site_minute",
        "imap_url",
        "imap_poll_interval",
        "imap_move_to",
        "imap_ca_file",
    ];

    fn check(&self) -> Result<(), String> {
        if self.bind.parse::<std::net::SocketAddr>().is_err() {
            return Err(format!(
                "config key `bind`: `{}` is not an address like 127.0.0.1:8080",
                self.bind
            ));
        }
        if self.timezone.parse::<chrono_tz::Tz>().is_err() {
            return Err(format!(
                "config key `timezone`: `{}` is not an IANA time zone like Europe/Berlin",
                self.timezone
            ));
        }
        if !(self.base_url.starts_with("http://") || self.base_url.starts_with("https://")) {
            return Err(format!(
                "config key `base_url`: `{}` must start with http:// or https://",
                self.base_url
            ));
        }
        if self.session_hours == 0 {
            return Err("config key `session_hours` must be at least 1".into());
        }
        for (key, v) in [
            ("survey_delay", &self.survey_delay),
            ("survey_expiry", &self.survey_expiry),
            ("survey_period", &self.survey_period),
            ("checkin_delay", &self.checkin_delay),
            ("sla_warn_before", &self.sla_warn_before),
            ("job_poll", &self.job_poll),
            ("job_lease", &self.job_lease),
            ("job_backoff", &self.job_backoff),
            ("webhook_timeout", &self.webhook_timeout),
            ("imap_poll_interval", &self.imap_poll_interval),
        ] {
            amends_domain::followup::parse_duration(key, v)
                .map_err(|e| format!("config key `{key}`: {}", e.message))?;
        }
        if self.duration(&self.imap_poll_interval) < chrono::Duration::seconds(1) {
            return Err("config key `imap_poll_interval` must be at least 1s".into());
        }
        if let Some(url) = &self.imap_url {
            crate::imap::parse_url(url).map_err(|e| format!("config key `imap_url`: {e}"))?;
        }
        if let Some(file) = &self.imap_ca_file {
            crate::imap::trusted_roots(Some(file)).map_err(|e| format!("config key `imap_ca_file`: {e}"))?;
        }
        if self.job_max_attempts == 0 {
            return Err("config key `job_max_attempts` must be at least 1".into());
        }
        if let Some(url) = &self.smtp.url {
            crate::mail::check_url(url).map_err(|e| format!("config key `smtp.url`: {e}"))?;
        }
        crate::mail::parse_mailbox(&self.smtp.from).map_err(|e| format!("config key `smtp.from`: {e}"))?;
        Ok(())
    }

    /// A duration key, checked by `check` (falls back to zero if it were invalid).
    #[must_use]
    pub fn duration(&self, value: &str) -> chrono::Duration {
        amends_domain::followup::parse_duration("", value).unwrap_or_else(|_| chrono::Duration::zero())
    }

    #[must_use]
    pub fn tz(&self) -> chrono_tz::Tz {
        self.timezone.parse().unwrap_or(chrono_tz::Europe::Berlin)
    }
}

/// Turns a figment error into one line naming the key and the problem.
fn describe(e: &figment::Error) -> String {
    let key = if e.path.is_empty() {
        String::new()
    } else {
        format!("config key `{}`: ", e.path.join("."))
    };
    let source = e
        .metadata
        .as_ref()
        .map(|m| format!(" (from {})", m.name))
        .unwrap_or_default();
    format!("{key}{}{source}", e.kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid() {
        let c = Config::default();
        assert!(c.check().is_ok());
        assert_eq!(c.tz(), chrono_tz::Europe::Berlin);
    }

    #[test]
    fn bad_values_name_the_key() {
        let dir = std::env::temp_dir().join(format!("amends-cfg-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let file = dir.join("amends.toml");
        std::fs::write(&file, "durability = \"sometimes\"\n").expect("write");
        let e = Config::load(Some(file.as_path()), &Overrides::default()).expect_err("bad durability");
        assert!(e.contains("durability"), "{e}");
        std::fs::write(&file, "bind = \"nowhere\"\n").expect("write");
        let e = Config::load(Some(file.as_path()), &Overrides::default()).expect_err("bad bind");
        assert!(e.contains("`bind`"), "{e}");
        std::fs::write(&file, "imap_url = \"pop3://u:topsecret@host/INBOX\"\n").expect("write");
        let e = Config::load(Some(file.as_path()), &Overrides::default()).expect_err("bad imap url");
        assert!(e.contains("`imap_url`") && !e.contains("topsecret"), "{e}");
        std::fs::write(&file, "imap_poll_interval = \"0s\"\n").expect("write");
        let e = Config::load(Some(file.as_path()), &Overrides::default()).expect_err("bad interval");
        assert!(e.contains("`imap_poll_interval`"), "{e}");
        std::fs::write(&file, "imap_ca_file = \"/nonexistent/ca.pem\"\n").expect("write");
        let e = Config::load(Some(file.as_path()), &Overrides::default()).expect_err("missing CA file");
        assert!(e.contains("`imap_ca_file`") && e.contains("cannot read"), "{e}");
        std::fs::write(&file, "colour = \"blue\"\n").expect("write");
        let e = Config::load(Some(file.as_path()), &Overrides::default()).expect_err("unknown key");
        assert!(e.contains("colour"), "{e}");
        let ok = Config::load(
            None,
            &Overrides {
                bind: Some("127.0.0.1:0".into()),
                ..Overrides::default()
            },
        )
        .expect("flags override");
        assert_eq!(ok.bind, "127.0.0.1:0");
        std::fs::remove_dir_all(&dir).ok();
    }
}
