//! The churn model in words, in German or English: what the AUC means and
//! what each risk driver does to the odds of leaving ("each further failure
//! raises the odds of leaving by ×1.4").

use super::churn::{Driver, Feature, ModelCard};
use amends_domain::Language;
use amends_i18n::FluentValue;
use amends_i18n::catalog::I18n;
use amends_i18n::format::format_decimal;

/// The feature's label.
#[must_use]
pub fn feature(i18n: &I18n, lang: Language, f: Feature) -> String {
    i18n.t(lang, &format!("churn-feature-{}", f.key().replace('_', "-")), &[])
}

/// What one unit more of the driver does to the odds of leaving.
#[must_use]
pub fn driver(i18n: &I18n, lang: Language, d: &Driver) -> String {
    let key = if d.odds_ratio >= 1.0 {
        "churn-driver-raises"
    } else {
        "churn-driver-lowers"
    };
    let unit = i18n.t(lang, &format!("churn-unit-{}", d.feature.key().replace('_', "-")), &[]);
    i18n.t(
        lang,
        key,
        &[
            ("unit", FluentValue::from(unit)),
            ("factor", FluentValue::from(format_decimal(d.odds_ratio, 2, lang))),
        ],
    )
}

/// What the held-out AUC says, in one sentence.
#[must_use]
pub fn auc(i18n: &I18n, lang: Language, card: &ModelCard) -> String {
    let Some(auc) = card.auc else {
        return i18n.t(lang, "churn-auc-none", &[]);
    };
    let quality = if auc >= 0.8 {
        "good"
    } else if auc >= 0.7 {
        "fair"
    } else if auc > 0.6 {
        "weak"
    } else {
        "none"
    };
    i18n.t(
        lang,
        "churn-auc-sentence",
        &[
            ("auc", FluentValue::from(format_decimal(auc, 2, lang))),
            ("percent", FluentValue::from(format_decimal(auc * 100.0, 0, lang))),
            ("quality", FluentValue::from(quality)),
        ],
    )
}
