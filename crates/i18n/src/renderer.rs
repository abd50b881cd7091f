//! The template engine of pages and mails: minijinja with auto-escaping
//! for HTML, the `t()` translation function and locale-aware filters for
//! dates, money, ages and SLA countdowns.

use crate::catalog::I18n;
use crate::format::{countdown_unit, duration_parts, format_decimal, format_money, format_percent};
use crate::reasons;
use amends_domain::Language;
use amends_domain::goodwill::{ApprovalReason, AutomaticReason};
use chrono::{DateTime, Utc};
use fluent_bundle::FluentValue;
use minijinja::value::Kwargs;
use minijinja::{Environment, Error, ErrorKind, State, Value};
use std::sync::Arc;

/// Compiled templates with the translation function and filters.
pub struct Renderer {
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

/// The attribute `name` of `v` as a `T` (a reason's code and parameters).
fn coded<T: serde::de::DeserializeOwned>(v: &Value, name: &str) -> Option<T> {
    let attr = v.get_attr(name).ok().filter(|a| !a.is_undefined() && !a.is_none())?;
    serde_json::to_value(&attr)
        .ok()
        .and_then(|j| serde_json::from_value(j).ok())
}

fn text_attr(v: &Value, name: &str) -> String {
    v.get_attr(name)
        .ok()
        .and_then(|a| a.as_str().map(str::to_string))
        .unwrap_or_default()
}

fn now_of(state: &State) -> DateTime<Utc> {
    state.lookup("now").as_ref().and_then(parse_time).unwrap_or_default()
}

impl Renderer {
    /// An engine for `templates` (name, source), dates shown in `tz`.
    pub fn new(tz: chrono_tz::Tz, templates: &[(&'static str, &'static str)]) -> anyhow::Result<Self> {
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
        for (name, src) in templates {
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
        // `{{ x|num(1) }}` → `4,6` / `4.6`; `{{ x|pct(1) }}` (x in 0–100) → `69,3 %` / `69.3%`.
        env.add_filter("num", |state: &State, v: f64, decimals: Option<usize>| {
            format_decimal(v, decimals.unwrap_or(0), lang_of(state))
        });
        env.add_filter("pct", |state: &State, v: f64, decimals: Option<usize>| {
            format_percent(v, decimals.unwrap_or(1), lang_of(state))
        });
        let i = i18n.clone();
        env.add_filter("age", move |state: &State, v: Value| -> String {
            let Some(t) = parse_time(&v) else {
                return String::new();
            };
            let (unit, n) = countdown_unit((now_of(state) - t).num_seconds());
            i.t(lang_of(state), &format!("ago-{unit}"), &[("n", FluentValue::from(n))])
        });
        // `{{ minutes|minutes }}` → `6 Tage`, `1 Std. 30 Min.` / `6 days`, `1 h 30 min`.
        let i = i18n.clone();
        env.add_filter("minutes", move |state: &State, v: i64| -> String {
            let lang = lang_of(state);
            duration_parts(v.saturating_mul(60))
                .into_iter()
                .map(|(unit, n)| i.t(lang, &format!("dur-{unit}"), &[("n", FluentValue::from(n))]))
                .collect::<Vec<_>>()
                .join(" ")
        });
        let i = i18n.clone();
        env.add_filter("countdown", move |state: &State, v: Value| -> String {
            let Some(due) = parse_time(&v) else {
                return String::new();
            };
            let secs = (due - now_of(state)).num_seconds();
            let (unit, n) = countdown_unit(secs);
            let key = if secs >= 0 {
                format!("sla-in-{unit}")
            } else {
                format!("sla-over-{unit}")
            };
            i.t(lang_of(state), &key, &[("n", FluentValue::from(n))])
        });
        // `{{ g|approval_why }}`, `{{ g|grant_why }}`: a grant's reasons in the reader's language.
        let i = i18n.clone();
        env.add_filter("approval_why", move |state: &State, g: Value| -> String {
            match coded::<ApprovalReason>(&g, "approval") {
                Some(r) => reasons::approval_text(&i, lang_of(state), &r),
                None => text_attr(&g, "approval_reason"),
            }
        });
        let i = i18n.clone();
        env.add_filter("grant_why", move |state: &State, g: Value| -> String {
            match coded::<AutomaticReason>(&g, "automatic") {
                Some(r) => reasons::automatic_text(&i, lang_of(state), &r),
                None => text_attr(&g, "reason"),
            }
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

    /// The catalogues, for texts built outside templates.
    #[must_use]
    pub fn i18n(&self) -> &I18n {
        &self.i18n
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
