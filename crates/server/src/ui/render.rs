//! Rendering of pages: minijinja templates embedded in the binary, the
//! `t()` translation function and locale-aware filters for dates, money
//! and durations.

use crate::ui::i18n::I18n;
use amends_domain::Language;
use chrono::{DateTime, Utc};
use fluent_bundle::FluentValue;
use minijinja::value::Kwargs;
use minijinja::{Environment, Error, ErrorKind, State, Value};
use std::sync::Arc;

macro_rules! templates {
    ($($name:literal),+ $(,)?) => {
        /// Every template, embedded at compile time.
        pub const TEMPLATES: &[(&str, &str)] = &[$(($name, include_str!(concat!("../../templates/", $name)))),+];
    };
}

templates!(
    "base.html",
    "case_rows.html",
    "login.html",
    "inbox.html",
    "case.html",
    "case_new.html",
    "customer.html",
    "customers.html",
    "settings.html",
    "users.html",
    "sla.html",
    "sla_report.html",
    "audit.html",
    "feedback.html",
    "rules.html",
    "survey.html",
    "jobs.html",
    "webhooks.html",
    "mail.html",
    "widget_sites.html",
    "mail.txt",
    "approvals.html",
    "ledger.html",
    "goodwill_settings.html",
    "incidents.html",
    "incident.html",
    "templates.html",
    "solutions.html",
    "solution.html",
    "solution_edit.html",
    "help_settings.html",
    "help.html",
    "routing.html",
    "account.html",
);

pub struct Ui {
    env: Environment<'static>,
    i18n: Arc<I18n>,
}

fn lang_of(state: &State) -> Language {
    state
        .lookup("lang")
        .and_then(|v| v.as_str().map(str::to_string))
        .and_then(|s| s.parse().ok())
        .unwrap_or_default()
}

fn parse_time(v: &Value) -> Option<DateTime<Utc>> {
    let s = v.as_str()?;
    DateTime::parse_from_rfc3339(s).ok().map(|d| d.with_timezone(&Utc))
}

fn now_of(state: &State) -> DateTime<Utc> {
    state.lookup("now").as_ref().and_then(parse_time).unwrap_or_default()
}

/// "3 h 20 min", "2 d 4 h", "12 min" (units are the same in de and en).
#[must_use]
pub fn human_duration(secs: i64) -> String {
    let secs = secs.abs();
    let (d, h, m) = (secs / 86_400, (secs % 86_400) / 3600, (secs % 3600) / 60);
    let unit_d = "d";
    if d > 0 {
        if h > 0 {
            format!("{d} {unit_d} {h} h")
        } else {
            format!("{d} {unit_d}")
        }
    } else if h > 0 {
        if m > 0 {
            format!("{h} h {m} min")
        } else {
            format!("{h} h")
        }
    } else {
        format!("{} min", m.max(1))
    }
}

/// `1.234,50 €` in German, `€1,234.50` in English.
#[must_use]
pub fn format_money(cents: i64, lang: Language) -> String {
    let neg = cents < 0;
    let cents = cents.unsigned_abs();
    let (units, rest) = (cents / 100, cents % 100);
    let digits = units.to_string();
    let sep = if lang == Language::De { '.' } else { ',' };
    let mut grouped = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push(sep);
        }
        grouped.push(ch);
    }
    let sign = if neg { "-" } else { "" };
    match lang {
        Language::De => format!("{sign}{grouped},{rest:02} €"),
        Language::En => format!("{sign}€{grouped}.{rest:02}"),
    }
}

impl Ui {
    pub fn new(tz: chrono_tz::Tz) -> anyhow::Result<Self> {
        let i18n = Arc::new(I18n::new()?);
        let mut env = Environment::new();
        env.set_auto_escape_callback(|name| {
            if name.ends_with(".html") {
                minijinja::AutoEscape::Html
            } else {
                minijinja::AutoEscape::None
            }
        });
        env.set_undefined_behavior(minijinja::UndefinedBehavior::Lenient);
        for (name, src) in TEMPLATES {
            env.add_template(name, src)?;
        }
        let i = i18n.clone();
        env.add_function(
            "t",
            move |state: &State, key: &str, kwargs: Kwargs| -> Result<String, Error> {
                let mut args: Vec<(String, FluentValue<'static>)> = Vec::new();
                for k in kwargs.args() {
                    let v: Value = kwargs.get(k)?;
                    let fv = if let Some(n) = v.as_i64() {
                        FluentValue::from(n)
                    } else {
                        FluentValue::from(v.to_string())
                    };
                    args.push((k.to_string(), fv));
                }
                let borrowed: Vec<(&str, FluentValue<'_>)> =
                    args.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
                Ok(i.t(lang_of(state), key, &borrowed))
            },
        );
        env.add_filter("dt", move |state: &State, v: Value| -> String {
            let Some(t) = parse_time(&v) else {
                return String::new();
            };
            let local = t.with_timezone(&tz);
            match lang_of(state) {
                Language::De => local.format("%d.%m.%Y %H:%M").to_string(),
                Language::En => local.format("%d %b %Y, %H:%M").to_string(),
            }
        });
        env.add_filter("date", move |state: &State, v: Value| -> String {
            let Some(t) = parse_time(&v) else {
                return String::new();
            };
            let local = t.with_timezone(&tz);
            match lang_of(state) {
                Language::De => local.format("%d.%m.%Y").to_string(),
                Language::En => local.format("%d %b %Y").to_string(),
            }
        });
        env.add_filter("money", |state: &State, cents: i64| format_money(cents, lang_of(state)));
        let i = i18n.clone();
        env.add_filter("age", move |state: &State, v: Value| -> String {
            let Some(t) = parse_time(&v) else {
                return String::new();
            };
            let d = human_duration((now_of(state) - t).num_seconds());
            i.t(lang_of(state), "time-ago", &[("d", FluentValue::from(d))])
        });
        let i = i18n.clone();
        env.add_filter("countdown", move |state: &State, v: Value| -> String {
            let Some(due) = parse_time(&v) else {
                return String::new();
            };
            let secs = (due - now_of(state)).num_seconds();
            let d = FluentValue::from(human_duration(secs));
            let key = if secs >= 0 { "sla-left" } else { "sla-overdue" };
            i.t(lang_of(state), key, &[("d", d)])
        });
        env.add_filter("iso", |v: Value| -> String {
            parse_time(&v).map(|t| t.to_rfc3339()).unwrap_or_default()
        });
        Ok(Self { env, i18n })
    }

    /// Renders template `name` with `ctx`.
    pub fn render(&self, name: &str, ctx: Value) -> Result<String, Error> {
        self.env.get_template(name)?.render(ctx)
    }

    pub fn t(&self, lang: Language, key: &str) -> String {
        self.i18n.t(lang, key, &[])
    }

    /// Checks that a template exists (used in tests).
    pub fn has(&self, name: &str) -> bool {
        self.env.get_template(name).is_ok()
    }
}

/// An error raised while rendering, for `?` in handlers.
pub fn render_error(e: &Error) -> Error {
    Error::new(ErrorKind::InvalidOperation, e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_and_durations_follow_the_locale() {
        assert_eq!(format_money(123_450, Language::De), "1.234,50 €");
        assert_eq!(format_money(123_450, Language::En), "€1,234.50");
        assert_eq!(format_money(5, Language::De), "0,05 €");
        assert_eq!(format_money(100_000_000, Language::De), "1.000.000,00 €");
        assert_eq!(human_duration(3 * 3600 + 20 * 60), "3 h 20 min");
        assert_eq!(human_duration(-(2 * 86_400 + 4 * 3600)), "2 d 4 h");
        assert_eq!(human_duration(10), "1 min");
    }
}
