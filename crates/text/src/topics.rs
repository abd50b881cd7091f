//! Topic/aspect taxonomy: named topics with German and English keywords,
//! editable by admins as JSON or TOML (any serde format), matched with
//! stemming and German compound awareness (see [`crate::matcher`] for the
//! keyword syntax).

use serde::{Deserialize, Serialize};

use crate::error::TextError;
use crate::lang::Language;
use crate::matcher::{Matcher, check_keyword};

/// One topic with its keywords per language.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Topic {
    /// Stable identifier reported in [`crate::Analysis::topics`], e.g. `delivery`.
    pub id: String,
    /// German keywords.
    #[serde(default)]
    pub de: Vec<String>,
    /// English keywords.
    #[serde(default)]
    pub en: Vec<String>,
}

/// A set of topics. `Taxonomy::default()` is the shipped one.
///
/// JSON form: `{"topics": [{"id": "delivery", "de": ["lieferung"], "en": ["delivery"]}]}`;
/// TOML form: `[[topics]]` tables with the same keys.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Taxonomy {
    /// The topics, reported in this order.
    pub topics: Vec<Topic>,
}

fn strings(words: &[&str]) -> Vec<String> {
    words.iter().map(|w| (*w).to_owned()).collect()
}

impl Default for Taxonomy {
    fn default() -> Self {
        let t = |id: &str, de: &[&str], en: &[&str]| Topic {
            id: id.to_owned(),
            de: strings(de),
            en: strings(en),
        };
        Taxonomy {
            topics: vec![
                t(
                    "delivery",
                    &[
                        "lieferung",
                        "liefern",
                        "geliefert",
                        "versand",
                        "versendet",
                        "verschickt",
                        "paket",
                        "päckchen",
                        "zustellung",
                        "zugestellt",
                        "sendung",
                        "kurier",
                        "spedition",
                        "=dhl",
                        "=dpd",
                        "=hermes",
                        "=gls",
                        "=bote",
                        "sendungsverfolgung",
                        "=porto",
                        "rücksendung",
                        "retoure",
                    ],
                    &[
                        "delivery",
                        "deliver",
                        "delivered",
                        "shipping",
                        "shipment",
                        "ship",
                        "parcel",
                        "package",
                        "courier",
                        "tracking",
                        "dispatch",
                        "postage",
                        "=dhl",
                        "=ups",
                        "=fedex",
                        "=usps",
                        "return label",
                    ],
                ),
                t(
                    "billing",
                    &[
                        "rechnung",
                        "abbuchung",
                        "abgebucht",
                        "lastschrift",
                        "zahlung",
                        "bezahlt",
                        "bezahlen",
                        "gezahlt",
                        "*preis*",
                        "*kosten*",
                        "gebühr",
                        "erstattung",
                        "erstattet",
                        "=geld",
                        "geld zurück",
                        "überweisung",
                        "mahnung",
                        "inkasso",
                        "tarif",
                        "=euro",
                        "=eur",
                        "teuer",
                        "überteuert",
                        "gutschrift",
                        "abo",
                    ],
                    &[
                        "bill",
                        "billing",
                        "billed",
                        "invoice",
                        "charge",
                        "charged",
                        "overcharged",
                        "payment",
                        "pay",
                        "paid",
                        "refund",
                        "price",
                        "pricing",
                        "fee",
                        "money",
                        "expensive",
                        "overpriced",
                        "cost",
                        "credit card",
                        "subscription fee",
                        "debit",
                        "receipt",
                    ],
                ),
                t(
                    "product_defect",
                    &[
                        "defekt",
                        "kaputt",
                        "funktioniert nicht",
                        "geht nicht",
                        "mangel",
                        "mangelhaft",
                        "beschädigt",
                        "fehlerhaft",
                        "reklamation",
                        "garantie",
                        "gewährleistung",
                        "zerbrochen",
                        "gebrochen",
                        "gerissen",
                        "undicht",
                        "qualität",
                        "umtausch",
                        "falsche artikel",
                        "falscher artikel",
                    ],
                    &[
                        "broken",
                        "broke",
                        "defect",
                        "defective",
                        "faulty",
                        "damaged",
                        "damage",
                        "doesnt work",
                        "does not work",
                        "not working",
                        "stopped working",
                        "malfunction",
                        "quality",
                        "warranty",
                        "fell apart",
                        "cracked",
                        "leaking",
                        "wrong item",
                        "replacement",
                    ],
                ),
                t(
                    "staff_behaviour",
                    &[
                        "mitarbeiter",
                        "mitarbeiterin",
                        "personal",
                        "unfreundlich",
                        "freundlich",
                        "unhöflich",
                        "höflich",
                        "berater",
                        "beraterin",
                        "verkäufer",
                        "verkäuferin",
                        "schaffner",
                        "zugbegleiter",
                        "=fahrer",
                        "busfahrer",
                        "kundenservice",
                        "kundendienst",
                        "servicemitarbeiter",
                        "hotline",
                        "arrogant",
                        "respektlos",
                        "inkompetent",
                        "kompetent",
                        "hilfsbereit",
                        "angeschrien",
                        "beleidigt",
                        "unverschämt",
                    ],
                    &[
                        "staff",
                        "employee",
                        "rude",
                        "unfriendly",
                        "friendly",
                        "polite",
                        "impolite",
                        "agent",
                        "representative",
                        "customer service",
                        "support team",
                        "cashier",
                        "driver",
                        "waiter",
                        "waitress",
                        "manager",
                        "attitude",
                        "unprofessional",
                        "professional",
                        "helpful",
                        "unhelpful",
                        "incompetent",
                        "disrespectful",
                        "yelled",
                        "hotline",
                    ],
                ),
                t(
                    "waiting_time",
                    &[
                        "wartezeit",
                        "warteschleife",
                        "warteschlange",
                        "=warten",
                        "=warte",
                        "=wartet",
                        "=wartete",
                        "=warteten",
                        "gewartet",
                        "=schlange",
                        "anstehen",
                        "ewig",
                        "stunden gewartet",
                        "bearbeitungszeit",
                        "keine antwort",
                        "keine rückmeldung",
                        "immer noch keine",
                        "dauert",
                    ],
                    &[
                        "wait",
                        "waiting",
                        "waited",
                        "on hold",
                        "queue",
                        "took forever",
                        "forever",
                        "response time",
                        "no response",
                        "no reply",
                        "still waiting",
                        "hours",
                        "slow",
                    ],
                ),
                t(
                    "app_website",
                    &[
                        "=app",
                        "=apps",
                        "webseite",
                        "website",
                        "internetseite",
                        "homepage",
                        "onlineshop",
                        "=online",
                        "login",
                        "einloggen",
                        "eingeloggt",
                        "passwort",
                        "kundenkonto",
                        "portal",
                        "absturz",
                        "abgestürzt",
                        "stürzt ab",
                        "=update",
                        "navigator",
                        "browser",
                        "checkout",
                        "fehlermeldung",
                        "=bug",
                        "=link",
                        "=seite",
                        "=shop",
                    ],
                    &[
                        "app",
                        "website",
                        "site",
                        "web",
                        "webpage",
                        "login",
                        "log in",
                        "password",
                        "account",
                        "crash",
                        "crashes",
                        "crashed",
                        "bug",
                        "error message",
                        "update",
                        "online",
                        "browser",
                        "checkout",
                        "loading",
                        "link",
                        "page",
                    ],
                ),
                t(
                    "delay",
                    &[
                        "verspätung",
                        "verspätet",
                        "verzögerung",
                        "verzögert",
                        "=spät",
                        "zu spät",
                        "verpasst",
                        "anschluss",
                        "ausfall",
                        "ausgefallen",
                        "fällt aus",
                        "noch nicht angekommen",
                        "immer noch nicht",
                        "überfällig",
                        "verschoben",
                    ],
                    &[
                        "delay",
                        "delayed",
                        "late",
                        "running late",
                        "behind schedule",
                        "missed connection",
                        "overdue",
                        "postponed",
                        "cancelled",
                        "canceled",
                        "still not arrived",
                        "hasnt arrived",
                        "not arrived yet",
                    ],
                ),
            ],
        }
    }
}

impl Taxonomy {
    /// Parse a taxonomy from JSON and check it.
    pub fn from_json(json: &str) -> Result<Taxonomy, TextError> {
        let t: Taxonomy =
            serde_json::from_str(json).map_err(|e| TextError::Taxonomy(format!("not valid taxonomy JSON: {e}")))?;
        t.validate()?;
        Ok(t)
    }

    /// The taxonomy as pretty JSON (e.g. as a starting point for admins).
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// Check ids (non-empty, unique) and keyword syntax.
    pub fn validate(&self) -> Result<(), TextError> {
        self.compile().map(|_| ())
    }

    /// Topic ids in order.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.topics.iter().map(|t| t.id.as_str())
    }

    pub(crate) fn compile(&self) -> Result<Matcher, TextError> {
        if self.topics.len() > usize::from(u16::MAX) {
            return Err(TextError::Taxonomy("at most 65535 topics".to_owned()));
        }
        let mut seen = std::collections::HashSet::new();
        for t in &self.topics {
            if t.id.trim().is_empty() {
                return Err(TextError::Taxonomy(
                    "a topic has an empty `id`; give every topic an id".to_owned(),
                ));
            }
            if !seen.insert(t.id.as_str()) {
                return Err(TextError::Taxonomy(format!(
                    "topic id `{}` appears twice; ids must be unique",
                    t.id
                )));
            }
            for (lang, kws) in [(Language::De, &t.de), (Language::En, &t.en)] {
                for k in kws {
                    check_keyword(k, lang).map_err(|e| {
                        TextError::Taxonomy(format!(
                            "topic `{}`, {lang} keyword: {e} (syntax: word, =exact, prefix*, *suffix, *infix*)",
                            t.id
                        ))
                    })?;
                }
            }
        }
        let keywords = self.topics.iter().enumerate().flat_map(|(i, t)| {
            t.de.iter()
                .map(move |k| (i as u16, Language::De, k.as_str()))
                .chain(t.en.iter().map(move |k| (i as u16, Language::En, k.as_str())))
        });
        Matcher::new(self.topics.len(), keywords, false).map_err(TextError::Taxonomy)
    }
}
