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
            .merge(Env::prefixed("AMENDS_").only(&Self::KEYS))
            .merge(Serialized::defaults(overrides))
            .extract()
            .map_err(|e| describe(&e))?;
        cfg.check()?;
        Ok(cfg)
    }

    /// Keys that `AMENDS_*` variables may set (others, such as
    /// `AMENDS_TEST_…`, belong to tools and are ignored here).
    const KEYS: [&'static str; 9] = [
        "database_url",
        "bind",
        "base_url",
        "durability",
        "default_language",
        "timezone",
        "session_hours",
        "login_attempts_per_minute",
        "text_model",
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
        Ok(())
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
