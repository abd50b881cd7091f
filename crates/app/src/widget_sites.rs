//! Widget sites: a site's public key, the origins allowed to post, its
//! language and micro-survey settings, validated from raw fields.

use crate::App;
use crate::error::AppResult;
use amends_domain::{UserId, ValidationError};
use amends_store::{WidgetSite, WidgetSiteInput};
use serde::Deserialize;

/// Raw site fields from the API or the settings page.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SiteFields {
    #[schema(example = "Webshop")]
    pub name: Option<String>,
    /// Origins allowed to post, e.g. `https://shop.example` (scheme, host, optional port).
    #[schema(example = json!(["https://shop.example"]))]
    pub allowed_origins: Option<Vec<String>>,
    /// de or en: the language of the widget's texts.
    pub language: Option<String>,
    pub enabled: Option<bool>,
    /// Micro-survey question in German (empty: no survey).
    pub survey_question_de: Option<String>,
    /// Micro-survey question in English.
    pub survey_question_en: Option<String>,
    /// exit_intent or after_seconds (empty: no survey).
    pub survey_trigger: Option<String>,
    /// Seconds on a page before the survey shows (trigger after_seconds).
    pub survey_after_seconds: Option<i32>,
    /// At most one survey per visitor per this many days (1 to 3,650, default 30).
    #[schema(minimum = 1, maximum = 3650)]
    pub survey_period_days: Option<i32>,
}

fn blank_to_none(v: Option<String>) -> Option<String> {
    v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
}

/// Normalises an origin: `scheme://host[:port]`, lowercase, no path.
pub fn parse_origin(raw: &str) -> Result<String, ValidationError> {
    let err = || {
        ValidationError::new(
            "allowed_origins",
            format!(
                "`{}` is not an origin like https://shop.example or http://localhost:3000 (no path)",
                raw.chars().take(100).collect::<String>()
            ),
        )
    };
    let s = raw.trim().trim_end_matches('/');
    let url = url::Url::parse(s).map_err(|_| err())?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() || url.path() != "/" {
        return Err(err());
    }
    if url.query().is_some() || url.fragment().is_some() || !url.username().is_empty() {
        return Err(err());
    }
    Ok(url.origin().ascii_serialization())
}

impl SiteFields {
    /// Validates all fields (absent ones take the values of `cur`, or defaults).
    pub fn validate(self, cur: Option<&WidgetSite>) -> Result<WidgetSiteInput, ValidationError> {
        let name = self.name.or_else(|| cur.map(|c| c.name.clone())).unwrap_or_default();
        let name = amends_domain::NonEmptyText::parse("name", &name, 100)?.into_inner();
        let origins_raw = self
            .allowed_origins
            .or_else(|| cur.map(WidgetSite::origins))
            .unwrap_or_default();
        if origins_raw.is_empty() {
            return Err(ValidationError::new(
                "allowed_origins",
                "give at least one allowed origin, e.g. https://shop.example",
            ));
        }
        if origins_raw.len() > 20 {
            return Err(ValidationError::new("allowed_origins", "at most 20 origins per site"));
        }
        let mut allowed_origins = Vec::new();
        for o in &origins_raw {
            let o = parse_origin(o)?;
            if !allowed_origins.contains(&o) {
                allowed_origins.push(o);
            }
        }
        let language = match self.language {
            Some(l) => l.parse::<amends_domain::Language>()?,
            None => cur.map_or(amends_domain::Language::De, |c| c.language),
        };
        let enabled = self.enabled.or(cur.map(|c| c.enabled)).unwrap_or(true);
        let keep = |v: Option<String>, c: Option<String>| match v {
            Some(v) => blank_to_none(Some(v)),
            None => c,
        };
        let survey_question_de = keep(self.survey_question_de, cur.and_then(|c| c.survey_question_de.clone()));
        let survey_question_en = keep(self.survey_question_en, cur.and_then(|c| c.survey_question_en.clone()));
        for (field, q) in [
            ("survey_question_de", &survey_question_de),
            ("survey_question_en", &survey_question_en),
        ] {
            if q.as_ref().is_some_and(|q| q.chars().count() > 300) {
                return Err(ValidationError::new(
                    field,
                    "a survey question must be at most 300 characters",
                ));
            }
        }
        let survey_trigger = keep(self.survey_trigger, cur.and_then(|c| c.survey_trigger.clone()));
        let survey_after_seconds = self.survey_after_seconds.or(cur.and_then(|c| c.survey_after_seconds));
        match survey_trigger.as_deref() {
            None | Some("exit_intent") => {}
            Some("after_seconds") => {
                if !survey_after_seconds.is_some_and(|n| (1..=3600).contains(&n)) {
                    return Err(ValidationError::new(
                        "survey_after_seconds",
                        "with trigger after_seconds give survey_after_seconds between 1 and 3600",
                    ));
                }
            }
            Some(other) => {
                return Err(ValidationError::new(
                    "survey_trigger",
                    format!("survey_trigger must be exit_intent or after_seconds, got `{other}`"),
                ));
            }
        }
        if survey_trigger.is_some() && survey_question_de.is_none() && survey_question_en.is_none() {
            return Err(ValidationError::new(
                "survey_question_de",
                "a survey needs a question (German or English)",
            ));
        }
        let survey_period_days = self
            .survey_period_days
            .or(cur.map(|c| c.survey_period_days))
            .unwrap_or(30);
        if !(1..=3650).contains(&survey_period_days) {
            return Err(ValidationError::new(
                "survey_period_days",
                "survey_period_days must be between 1 and 3650",
            ));
        }
        Ok(WidgetSiteInput {
            name,
            allowed_origins,
            language,
            enabled,
            survey_question_de,
            survey_question_en,
            survey_after_seconds: if survey_trigger.as_deref() == Some("after_seconds") {
                survey_after_seconds
            } else {
                None
            },
            survey_trigger,
            survey_period_days,
        })
    }
}

/// A new public site key: `pk_` and 24 hex digits.
#[must_use]
pub fn new_site_key() -> String {
    let hex = uuid::Uuid::new_v4().simple().to_string();
    format!("pk_{}", &hex[..24])
}

pub async fn create_site(app: &App, fields: SiteFields, actor: UserId) -> AppResult<WidgetSite> {
    let input = fields.validate(None)?;
    Ok(app
        .store()
        .insert_widget_site(&new_site_key(), &input, Some(actor), app.now())
        .await?)
}

pub async fn update_site(app: &App, id: uuid::Uuid, fields: SiteFields, actor: UserId) -> AppResult<WidgetSite> {
    let cur = app.store().get_widget_site(id).await?;
    let input = fields.validate(Some(&cur))?;
    Ok(app
        .store()
        .update_widget_site(id, &input, Some(actor), app.now())
        .await?)
}

/// Deletes widget site `id`; its key stops working at once.
pub async fn delete_site(app: &App, id: uuid::Uuid, actor: UserId) -> AppResult<()> {
    Ok(app.store().delete_widget_site(id, Some(actor), app.now()).await?)
}

/// The `<script>` tag a site embeds.
#[must_use]
pub fn embed_tag(base_url: &str, key: &str) -> String {
    format!(
        "<script src=\"{}/widget.js\" data-site-key=\"{key}\" async></script>",
        base_url.trim_end_matches('/')
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_normalised() {
        assert_eq!(
            parse_origin("https://Shop.Example/").expect("ok"),
            "https://shop.example"
        );
        assert_eq!(
            parse_origin("http://127.0.0.1:3000").expect("ok"),
            "http://127.0.0.1:3000"
        );
        assert!(parse_origin("https://shop.example/path").is_err());
        assert!(parse_origin("ftp://x").is_err());
        assert!(parse_origin("shop.example").is_err());
    }
}
