//! Configuration: defaults → `amends.toml` → `AMENDS_*` environment → flags.
//!
//! Durations (`survey_delay = "4h"`) and the time zone are written as text
//! and parsed once, when the configuration is loaded: a bad value stops the
//! load with an error naming its key, and the rest of amends works with
//! [`chrono::Duration`] and [`chrono_tz::Tz`] values.

use amends_domain::Language;
use amends_domain::outbound::AllowList;
use amends_store::Durability;
use chrono::Duration;
use chrono_tz::Tz;
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
    /// Unset, it follows the address the server actually bound (`--bind`,
    /// port 0 included).
    pub base_url: String,
    /// True when `base_url` was not set: the server then names the address it bound.
    #[serde(skip)]
    pub base_url_from_bind: bool,
    /// `normal` (survives a process crash) or `full` (fsync per commit).
    pub durability: Durability,
    /// Language of new users and of the login page.
    pub default_language: Language,
    /// IANA time zone for showing times, e.g. `Europe/Berlin`.
    #[serde(with = "time_zone")]
    pub timezone: Tz,
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
    #[serde(with = "duration_text")]
    pub survey_delay: Duration,
    /// How long a survey link stays valid.
    #[serde(with = "duration_text")]
    pub survey_expiry: Duration,
    /// Survey fatigue: at most this many surveys per customer per `survey_period`.
    pub survey_max_per_period: u32,
    /// Customers with at least this lifetime value (cents), or of a premium
    /// or enterprise tier, get a "personal note" task when their case is resolved.
    pub personal_note_min_clv_cents: i64,
    #[serde(with = "duration_text")]
    pub survey_period: Duration,
    /// Delay between resolution and the check-in message.
    #[serde(with = "duration_text")]
    pub checkin_delay: Duration,
    /// How long before an SLA clock is due the assignee is warned, e.g. `1h`.
    #[serde(with = "duration_text")]
    pub sla_warn_before: Duration,
    /// Background workers per instance (0 disables them).
    pub job_workers: u32,
    /// How often an idle worker looks for due jobs.
    #[serde(with = "duration_text")]
    pub job_poll: Duration,
    /// How long a claimed job stays with its worker before others may take it over.
    #[serde(with = "duration_text")]
    pub job_lease: Duration,
    /// Attempts before a job is declared dead.
    pub job_max_attempts: u32,
    /// First retry delay; doubles with each attempt (capped at 1 h).
    #[serde(with = "duration_text")]
    pub job_backoff: Duration,
    /// Timeout of one webhook request.
    #[serde(with = "duration_text")]
    pub webhook_timeout: Duration,
    /// Internal webhook receivers allowed although not public: IP
    /// addresses, networks and host names, comma-separated, e.g.
    /// `10.0.0.0/8, hooks.internal` (default: public addresses only).
    #[serde(with = "allow_list")]
    pub webhook_allow: AllowList,
    /// Feedback widget: posts per client IP and minute before 429.
    pub widget_posts_per_ip_minute: u32,
    /// Feedback widget: posts per site key and minute before 429.
    pub widget_posts_per_site_minute: u32,
    /// Email in by IMAP: `imap://user:pass@host:143/INBOX` or
    /// `imaps://user:pass@host:993/INBOX`; unset = no polling.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub imap_url: Option<String>,
    /// How often `amends serve` polls the IMAP mailbox, e.g. `60s`, `5m`.
    #[serde(with = "duration_text")]
    pub imap_poll_interval: Duration,
    /// A mailbox to move taken messages to (they are marked `\Seen` either way).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub imap_move_to: Option<String>,
    /// A PEM file of certificate authorities trusted for `imaps://` besides
    /// the public ones (a mail server with a company CA's certificate).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub imap_ca_file: Option<String>,
    /// The bearer token a Prometheus scraper sends to `GET /metrics`
    /// (at least 16 characters); unset = `/metrics` is off (404).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metrics_token: Option<String>,
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
            base_url_from_bind: true,
            durability: Durability::Normal,
            default_language: Language::De,
            timezone: chrono_tz::Europe::Berlin,
            session_hours: 12,
            login_attempts_per_minute: 10,
            text_model: None,
            smtp: SmtpConfig::default(),
            survey_delay: Duration::hours(1),
            survey_expiry: Duration::days(14),
            survey_max_per_period: 1,
            personal_note_min_clv_cents: 500_000,
            survey_period: Duration::days(30),
            checkin_delay: Duration::days(3),
            sla_warn_before: Duration::hours(1),
            job_workers: 2,
            job_poll: Duration::seconds(1),
            job_lease: Duration::seconds(60),
            job_max_attempts: 8,
            job_backoff: Duration::seconds(10),
            webhook_timeout: Duration::seconds(10),
            webhook_allow: AllowList::default(),
            widget_posts_per_ip_minute: 10,
            widget_posts_per_site_minute: 300,
            imap_url: None,
            imap_poll_interval: Duration::seconds(60),
            imap_move_to: None,
            imap_ca_file: None,
            metrics_token: None,
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
        let given = Figment::new()
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
            .merge(Serialized::defaults(overrides));
        let base_url_from_bind = given.find_value("base_url").is_err();
        let mut cfg: Config = Figment::from(Serialized::defaults(Config::default()))
            .merge(given)
            .extract()
            .map_err(|e| describe(&e))?;
        cfg.base_url_from_bind = base_url_from_bind;
        cfg.check()?;
        Ok(cfg)
    }

    /// Keys that `AMENDS_*` variables may set (others, such as
    /// `AMENDS_TEST_…`, belong to tools and are ignored here).
    const KEYS: [&'static str; 30] = [
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
        "webhook_allow",
        "widget_posts_per_ip_minute",
        "widget_posts_per_site_minute",
        "imap_url",
        "imap_poll_interval",
        "imap_move_to",
        "imap_ca_file",
        "metrics_token",
    ];

    fn check(&self) -> Result<(), String> {
        if self.bind.parse::<std::net::SocketAddr>().is_err() {
            return Err(format!(
                "config key `bind`: `{}` is not an address like 127.0.0.1:8080",
                self.bind
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
        if self.imap_poll_interval < Duration::seconds(1) {
            return Err("config key `imap_poll_interval` must be at least 1s".into());
        }
        if let Some(url) = &self.imap_url {
            crate::imap::parse_url(url).map_err(|e| format!("config key `imap_url`: {e}"))?;
        }
        if let Some(file) = &self.imap_ca_file {
            crate::imap::trusted_roots(Some(file)).map_err(|e| format!("config key `imap_ca_file`: {e}"))?;
        }
        if self.metrics_token.as_ref().is_some_and(|t| t.trim().len() < 16) {
            return Err("config key `metrics_token` must be at least 16 characters".into());
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
}

/// A value the configuration writes as text: `parse` reads it; `expecting`
/// names the form in the error for anything that is not text.
fn from_text<'de, D: serde::Deserializer<'de>, T>(
    d: D,
    expecting: &'static str,
    parse: fn(&str) -> Result<T, String>,
) -> Result<T, D::Error> {
    struct Text<T> {
        expecting: &'static str,
        parse: fn(&str) -> Result<T, String>,
    }
    impl<T> serde::de::Visitor<'_> for Text<T> {
        type Value = T;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str(self.expecting)
        }
        fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<T, E> {
            (self.parse)(v).map_err(E::custom)
        }
    }
    d.deserialize_str(Text { expecting, parse })
}

/// Durations as the configuration writes them: `0s`, `50ms`, `15m`, `4h`,
/// `2d`, `1w` (see [`amends_domain::followup::parse_duration`]).
mod duration_text {
    use chrono::Duration;
    use serde::{Deserializer, Serializer};

    /// The duration in its largest whole unit: `90s`, `2h`, `14d`.
    pub fn text(d: Duration) -> String {
        let ms = d.num_milliseconds();
        for (unit, size) in [("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1_000)] {
            if ms != 0 && ms % size == 0 {
                return format!("{}{unit}", ms / size);
            }
        }
        if ms == 0 { "0s".into() } else { format!("{ms}ms") }
    }

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&text(*d))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        super::from_text(d, "a duration like 0s, 30m, 4h or 2d", |v| {
            amends_domain::followup::parse_duration("", v).map_err(|e| e.message)
        })
    }
}

/// The time zone as its IANA name, e.g. `Europe/Berlin`.
mod time_zone {
    use chrono_tz::Tz;
    use serde::{Deserializer, Serializer};

    pub fn serialize<S: Serializer>(tz: &Tz, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(tz.name())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Tz, D::Error> {
        super::from_text(d, "an IANA time zone like Europe/Berlin", |v| {
            v.parse()
                .map_err(|_| format!("`{v}` is not an IANA time zone like Europe/Berlin"))
        })
    }
}

/// The webhook allow-list as text: `10.0.0.0/8, hooks.internal`.
mod allow_list {
    use amends_domain::outbound::AllowList;
    use serde::{Deserializer, Serializer};

    pub fn serialize<S: Serializer>(list: &AllowList, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&list.to_string())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<AllowList, D::Error> {
        super::from_text(
            d,
            "IP addresses, networks and host names, e.g. \"10.0.0.0/8, hooks.internal\"",
            str::parse,
        )
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
        assert_eq!(c.timezone, chrono_tz::Europe::Berlin);
    }

    #[test]
    fn durations_are_written_in_their_largest_whole_unit() {
        for (d, text) in [
            (Duration::zero(), "0s"),
            (Duration::milliseconds(50), "50ms"),
            (Duration::milliseconds(1500), "1500ms"),
            (Duration::seconds(90), "90s"),
            (Duration::seconds(60), "1m"),
            (Duration::hours(4), "4h"),
            (Duration::days(14), "14d"),
        ] {
            assert_eq!(duration_text::text(d), text);
            assert_eq!(amends_domain::followup::parse_duration("", text), Ok(d), "{text}");
        }
    }

    #[test]
    fn durations_and_the_time_zone_are_parsed_on_load() {
        let dir = std::env::temp_dir().join(format!("amends-cfg-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let file = dir.join("amends.toml");
        let load = || Config::load(Some(file.as_path()), &Overrides::default());
        std::fs::write(
            &file,
            "survey_delay = \"0s\"\njob_poll = \"50ms\"\nsurvey_expiry = \"2w\"\ntimezone = \"America/New_York\"\n",
        )
        .expect("write");
        let c = load().expect("valid");
        assert_eq!(c.survey_delay, Duration::zero());
        assert_eq!(c.job_poll, Duration::milliseconds(50));
        assert_eq!(c.survey_expiry, Duration::weeks(2));
        assert_eq!(c.timezone, chrono_tz::America::New_York);
        assert_eq!(c.checkin_delay, Duration::days(3), "unset keys keep their defaults");
        std::fs::write(&file, "checkin_delay = \"soon\"\n").expect("write");
        let e = load().expect_err("bad duration");
        assert!(
            e.starts_with("config key `checkin_delay`: `soon` is not a duration"),
            "{e}"
        );
        std::fs::write(&file, "job_lease = 60\n").expect("write");
        let e = load().expect_err("a number is no duration");
        assert!(
            e.starts_with("config key `job_lease`: ") && e.contains("like 0s, 30m"),
            "{e}"
        );
        std::fs::write(&file, "timezone = \"Mars/Olympus\"\n").expect("write");
        let e = load().expect_err("bad time zone");
        assert!(
            e.starts_with("config key `timezone`: `Mars/Olympus` is not an IANA time zone"),
            "{e}"
        );
        std::fs::remove_dir_all(&dir).ok();
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
        assert!(ok.base_url_from_bind, "no base_url given: it follows the bound address");
        std::fs::write(&file, "base_url = \"https://help.example.com\"\n").expect("write");
        let set = Config::load(Some(file.as_path()), &Overrides::default()).expect("base_url set");
        assert!(!set.base_url_from_bind, "an explicit base_url is kept");
        assert_eq!(set.base_url, "https://help.example.com");
        std::fs::remove_dir_all(&dir).ok();
    }
}
