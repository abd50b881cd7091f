//! Translations with Fluent (German plurals and all): one `.ftl` catalogue
//! per language, embedded in the binary.

use amends_domain::Language;
use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use std::collections::HashMap;

pub const DE_FTL: &str = include_str!("../locales/de.ftl");
pub const EN_FTL: &str = include_str!("../locales/en.ftl");

pub struct I18n {
    bundles: HashMap<Language, FluentBundle<FluentResource>>,
}

impl I18n {
    pub fn new() -> anyhow::Result<Self> {
        let mut bundles = HashMap::new();
        for (lang, src) in [(Language::De, DE_FTL), (Language::En, EN_FTL)] {
            let res = FluentResource::try_new(src.to_string())
                .map_err(|(_, errs)| anyhow::anyhow!("{} catalogue has syntax errors: {errs:?}", lang.code()))?;
            let id: unic_langid::LanguageIdentifier = lang.code().parse()?;
            let mut bundle = FluentBundle::new_concurrent(vec![id]);
            bundle.set_use_isolating(false);
            bundle
                .add_resource(res)
                .map_err(|errs| anyhow::anyhow!("{} catalogue has duplicate keys: {errs:?}", lang.code()))?;
            bundles.insert(lang, bundle);
        }
        Ok(Self { bundles })
    }

    /// The message `key` in `lang`; the key itself if it is missing (a test
    /// makes sure none is).
    pub fn t(&self, lang: Language, key: &str, args: &[(&str, FluentValue<'_>)]) -> String {
        let Some(bundle) = self.bundles.get(&lang) else {
            return key.to_string();
        };
        let Some(msg) = bundle.get_message(key).and_then(|m| m.value()) else {
            return key.to_string();
        };
        let mut fargs = FluentArgs::new();
        for (k, v) in args {
            fargs.set(*k, v.clone());
        }
        let mut errors = vec![];
        bundle
            .format_pattern(msg, if args.is_empty() { None } else { Some(&fargs) }, &mut errors)
            .into_owned()
    }

    /// Every message key of a catalogue (for the completeness test).
    #[must_use]
    pub fn keys(src: &str) -> Vec<String> {
        src.lines()
            .filter_map(|l| {
                let (k, _) = l.split_once('=')?;
                let k = k.trim();
                (!l.starts_with(' ') && !l.starts_with('#') && !k.is_empty()).then(|| k.to_string())
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_catalogues_have_the_same_keys() {
        let mut de = I18n::keys(DE_FTL);
        let mut en = I18n::keys(EN_FTL);
        de.sort();
        en.sort();
        let only_de: Vec<_> = de.iter().filter(|k| !en.contains(k)).collect();
        let only_en: Vec<_> = en.iter().filter(|k| !de.contains(k)).collect();
        assert!(
            only_de.is_empty() && only_en.is_empty(),
            "only in de: {only_de:?}; only in en: {only_en:?}"
        );
        assert!(de.len() > 50, "catalogue unexpectedly small: {}", de.len());
    }

    #[test]
    fn german_plurals_work() {
        let i18n = I18n::new().expect("catalogues parse");
        let one = i18n.t(Language::De, "cases-count", &[("count", FluentValue::from(1))]);
        let many = i18n.t(Language::De, "cases-count", &[("count", FluentValue::from(3))]);
        assert_eq!(one, "1 Fall");
        assert_eq!(many, "3 Fälle");
    }
}
