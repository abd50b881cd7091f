//! Signals that call for action beyond sentiment: churn intent, urgency and
//! legal threats, in German and English. Keyword syntax as in
//! [`crate::matcher`]; a negation right before a signal phrase cancels it
//! ("ich will nicht kündigen").

use serde::{Deserialize, Serialize};

use crate::lang::Language;
use crate::matcher::Matcher;

/// A signal found in a text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Signal {
    /// The customer threatens to leave or cancel.
    ChurnIntent,
    /// The customer asks for immediate action.
    Urgency,
    /// The customer threatens legal steps.
    LegalThreat,
}

impl Signal {
    /// All signals in label order.
    pub const ALL: [Signal; 3] = [Signal::ChurnIntent, Signal::Urgency, Signal::LegalThreat];

    /// snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Signal::ChurnIntent => "churn_intent",
            Signal::Urgency => "urgency",
            Signal::LegalThreat => "legal_threat",
        }
    }
}

impl std::fmt::Display for Signal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

const CHURN_DE: &[&str] = &[
    "kündigen",
    "kündigung",
    "gekündigt",
    "kündige",
    "nie wieder",
    "nie mehr",
    "nicht mehr bestellen",
    "nicht mehr kaufen",
    "nicht mehr buchen",
    "nicht mehr fahren",
    "anbieter wechseln",
    "wechsle* anbieter",
    "wechseln anbieter",
    "zur konkurrenz",
    "=konkurrenz",
    "vertrag beenden",
    "abo beenden",
    "mitgliedschaft beenden",
    "konto löschen",
    "account löschen",
    "das letzte mal",
    "letzte bestellung",
    "kunde gewesen",
    "=abbestellen",
    "woanders bestellen",
    "woanders kaufen",
];
const CHURN_EN: &[&str] = &[
    "cancel subscription",
    "cancel account",
    "cancel membership",
    "cancel contract",
    "cancel service",
    "cancel plan",
    "cancellation",
    "close account",
    "delete account",
    "never again",
    "never buy",
    "never order",
    "never use",
    "never fly",
    "never shop",
    "never come back",
    "switch provider",
    "switching provider",
    "switch carrier",
    "competitor",
    "business elsewhere",
    "go elsewhere",
    "going elsewhere",
    "shop elsewhere",
    "last time i",
    "lost customer",
    "lost me",
    "=unsubscribe",
    "look for alternative",
    "looking for alternative",
    "done with you",
    "leave you",
];
const URGENCY_DE: &[&str] = &[
    "dringend",
    "sofort",
    "umgehend",
    "unverzüglich",
    "schnellstmöglich",
    "so schnell wie möglich",
    "=asap",
    "=eilt",
    "=eilig",
    "notfall",
    "=frist",
    "heute noch",
    "höchste zeit",
];
const URGENCY_EN: &[&str] = &[
    "urgent",
    "urgently",
    "=asap",
    "immediately",
    "right away",
    "as soon as possible",
    "emergency",
    "right now",
    "time sensitive",
    "deadline",
];
const LEGAL_DE: &[&str] = &[
    "anwalt",
    "anwältin",
    "anwaltlich",
    "rechtliche schritte",
    "rechtsweg",
    "vor gericht",
    "gerichtlich*",
    "=klage",
    "klage einreichen",
    "verklagen",
    "sammelklage",
    "verbraucherzentrale",
    "verbraucherschutz",
    "schlichtungsstelle",
    "ombudsstelle",
    "ombudsmann",
    "strafanzeige",
    "anzeige erstatten",
    "bundesnetzagentur",
    "schadensersatz",
    "schadenersatz",
    "abmahnung",
    "juristisch",
    "rechtsschutz",
];
const LEGAL_EN: &[&str] = &[
    "lawyer",
    "attorney",
    "=sue",
    "=suing",
    "lawsuit",
    "legal action",
    "legal steps",
    "take legal",
    "court",
    "small claims",
    "consumer protection",
    "trading standards",
    "ombudsman",
    "solicitor",
    "better business bureau",
    "=bbb",
    "class action",
    "report you",
];

/// The shipped signal matcher.
pub(crate) fn default_matcher() -> Result<Matcher, String> {
    let lists: [(Signal, Language, &[&str]); 6] = [
        (Signal::ChurnIntent, Language::De, CHURN_DE),
        (Signal::ChurnIntent, Language::En, CHURN_EN),
        (Signal::Urgency, Language::De, URGENCY_DE),
        (Signal::Urgency, Language::En, URGENCY_EN),
        (Signal::LegalThreat, Language::De, LEGAL_DE),
        (Signal::LegalThreat, Language::En, LEGAL_EN),
    ];
    let keywords = lists.into_iter().flat_map(|(signal, lang, words)| {
        let label = Signal::ALL.iter().position(|s| *s == signal).unwrap_or(0) as u16;
        words.iter().map(move |w| (label, lang, *w))
    });
    Matcher::new(Signal::ALL.len(), keywords, true)
}
