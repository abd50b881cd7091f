//! `amends bench solutions`: solution search at scale (issue 5: p99 at
//! 100,000 articles), printed as figures and a ratio to a small reference
//! database; never asserted in tests.

use crate::timing::percentile;
use amends_app::solutions::{self, Search, terms_of};
use amends_domain::Language;
use amends_domain::solution::SolutionDraft;
use amends_store::{IndexTerms, Store};
use chrono::{DateTime, Utc};
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::time::Instant;

/// Service words the articles are written from (and queries ask for).
const DE_TOPICS: &[&str] = &[
    "Rechnung",
    "Lieferung",
    "Paket",
    "Rücksendung",
    "Erstattung",
    "Gutschein",
    "Passwort",
    "Konto",
    "Abbuchung",
    "Lastschrift",
    "Kündigung",
    "Vertrag",
    "Tarif",
    "Router",
    "Störung",
    "Verspätung",
    "Lieferverzögerung",
    "Zahlung",
    "Mahnung",
    "Adresse",
    "Bestellung",
    "Umtausch",
    "Garantie",
    "Reparatur",
    "Ersatzteil",
    "Termin",
    "Techniker",
    "Anschluss",
    "Datenvolumen",
    "Roaming",
    "Kundennummer",
    "Anmeldung",
    "Zugangsdaten",
    "Bonuspunkte",
    "Versand",
    "Zustellung",
    "Abholung",
    "Filiale",
    "Beschwerde",
    "Reklamation",
];
const EN_TOPICS: &[&str] = &[
    "invoice",
    "delivery",
    "parcel",
    "return",
    "refund",
    "voucher",
    "password",
    "account",
    "charge",
    "direct debit",
    "cancellation",
    "contract",
    "plan",
    "router",
    "outage",
    "delay",
    "payment",
    "reminder",
    "address",
    "order",
    "exchange",
    "warranty",
    "repair",
    "spare part",
    "appointment",
    "technician",
    "connection",
    "data allowance",
    "roaming",
    "customer number",
    "sign-in",
    "credentials",
    "loyalty points",
    "shipping",
    "pickup",
    "store",
    "complaint",
    "claim",
    "subscription",
    "upgrade",
];
const DE_FILLER: &[&str] = &[
    "Sie",
    "können",
    "Ihre",
    "im",
    "Kundenkonto",
    "unter",
    "Einstellungen",
    "ändern",
    "prüfen",
    "wir",
    "melden",
    "uns",
    "innerhalb",
    "von",
    "zwei",
    "Werktagen",
    "bitte",
    "halten",
    "bereit",
    "nach",
    "dem",
    "Klick",
    "auf",
    "erhalten",
    "eine",
    "Bestätigung",
    "per",
    "E-Mail",
    "falls",
    "das",
    "nicht",
    "klappt",
    "wenden",
    "sich",
    "an",
    "unseren",
    "Kundenservice",
    "schnell",
    "einfach",
    "sicher",
    "automatisch",
    "neue",
    "alte",
    "Schritt",
];
const EN_FILLER: &[&str] = &[
    "you",
    "can",
    "change",
    "your",
    "settings",
    "in",
    "the",
    "account",
    "we",
    "will",
    "get",
    "back",
    "within",
    "two",
    "working",
    "days",
    "please",
    "have",
    "ready",
    "after",
    "clicking",
    "receive",
    "a",
    "confirmation",
    "by",
    "email",
    "if",
    "that",
    "does",
    "not",
    "work",
    "contact",
    "our",
    "service",
    "team",
    "quickly",
    "simply",
    "safely",
    "automatically",
    "new",
    "old",
    "step",
];

/// A made-up word, so the vocabulary grows with the article count like a
/// real knowledge base's (product names, error codes, places).
fn rare_word(rng: &mut ChaCha8Rng) -> String {
    const SYL: &[&str] = &[
        "ka", "lo", "mer", "tin", "sa", "ber", "gu", "on", "ix", "re", "del", "pa", "zu", "ne", "or", "vi", "lan", "ko",
    ];
    let n = rng.random_range(2..=4);
    (0..n).map(|_| *SYL.choose(rng).unwrap_or(&"a")).collect()
}

fn article(rng: &mut ChaCha8Rng, lang: Language) -> SolutionDraft {
    let (topics, filler) = match lang {
        Language::De => (DE_TOPICS, DE_FILLER),
        Language::En => (EN_TOPICS, EN_FILLER),
    };
    let pick = |rng: &mut ChaCha8Rng, list: &[&str]| (*list.choose(rng).unwrap_or(&"x")).to_string();
    let title = format!("{} {} {}", pick(rng, topics), pick(rng, filler), pick(rng, topics));
    let words = rng.random_range(60..160);
    let mut body = String::with_capacity(words * 9);
    for i in 0..words {
        let w = match rng.random_range(0..10) {
            0..=1 => pick(rng, topics),
            2 => rare_word(rng),
            _ => pick(rng, filler),
        };
        body.push_str(&w);
        body.push(if i % 12 == 11 { '.' } else { ' ' });
    }
    SolutionDraft {
        title,
        body,
        language: lang,
        tags: vec![pick(rng, topics).to_lowercase().replace(' ', "-")],
        public: rng.random_bool(0.5),
    }
}

/// Queries as people type them: one or two service words, a natural
/// question, a plural, a typo, a compound head, a prefix, a miss.
fn queries(rng: &mut ChaCha8Rng, n: usize) -> Vec<(String, Option<Language>)> {
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let q = match i % 8 {
            0 => (
                (*DE_TOPICS.choose(rng).unwrap_or(&"Rechnung")).to_string(),
                Some(Language::De),
            ),
            1 => (
                format!(
                    "{} {}",
                    DE_TOPICS.choose(rng).unwrap_or(&"a"),
                    DE_TOPICS.choose(rng).unwrap_or(&"b")
                ),
                Some(Language::De),
            ),
            2 => (
                format!(
                    "Wie kann ich meine {} ändern?",
                    DE_TOPICS.choose(rng).unwrap_or(&"Adresse")
                ),
                Some(Language::De),
            ),
            3 => ("Rechnungen".into(), Some(Language::De)),
            4 => ("Rehcnung".into(), Some(Language::De)),
            5 => ("Verzögerung".into(), Some(Language::De)),
            6 => (format!("how do I {}", EN_TOPICS.choose(rng).unwrap_or(&"refund")), None),
            _ => ("Quantenverschränkung".into(), Some(Language::De)),
        };
        out.push(q);
    }
    out
}

/// Figures of one database size.
#[derive(Debug, Clone)]
pub struct SearchBench {
    pub articles: usize,
    pub load_seconds: f64,
    pub queries: usize,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    /// Mean results per query.
    pub mean_results: f64,
}

/// Loads `articles` generated articles (half German, half English) into
/// `store` and times `queries` searches through the same code path as
/// the API (`solutions::search`: all terms, any term, typo correction).
pub async fn solution_search(
    store: &Store,
    now: DateTime<Utc>,
    articles: usize,
    queries_n: usize,
) -> anyhow::Result<SearchBench> {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let started = Instant::now();
    let mut left = articles;
    while left > 0 {
        let n = left.min(2_000);
        let rows: Vec<(SolutionDraft, IndexTerms)> = (0..n)
            .map(|i| {
                let lang = if (left - i).is_multiple_of(2) {
                    Language::De
                } else {
                    Language::En
                };
                let d = article(&mut rng, lang);
                let t = terms_of(&d.title, &d.body, &d.tags, d.language);
                (d, t)
            })
            .collect();
        store.insert_solutions_bulk(&rows, None, now).await?;
        left -= n;
    }
    let load_seconds = started.elapsed().as_secs_f64();
    store.analyze().await?;
    let qs = queries(&mut rng, queries_n.max(8));
    // One warm-up pass over a few queries (page cache, prepared statements).
    for (q, lang) in qs.iter().take(8) {
        search_once(store, q, *lang).await?;
    }
    let mut samples = Vec::with_capacity(qs.len());
    let mut results = 0usize;
    for (q, lang) in &qs {
        let t = Instant::now();
        results += search_once(store, q, *lang).await?;
        samples.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    samples.sort_by(f64::total_cmp);
    #[allow(clippy::cast_precision_loss)]
    let mean_results = results as f64 / qs.len() as f64;
    Ok(SearchBench {
        articles,
        load_seconds,
        queries: qs.len(),
        p50_ms: percentile(&samples, 0.5),
        p95_ms: percentile(&samples, 0.95),
        p99_ms: percentile(&samples, 0.99),
        max_ms: samples.last().copied().unwrap_or_default(),
        mean_results,
    })
}

async fn search_once(store: &Store, q: &str, language: Option<Language>) -> anyhow::Result<usize> {
    let r = solutions::search(
        store,
        &Search {
            query: q,
            language,
            public_only: false,
            limit: solutions::SEARCH_LIMIT,
        },
    )
    .await?;
    Ok(r.results.len())
}
