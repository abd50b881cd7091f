//! Search terms for the solution database and the help center.
//!
//! Both database backends index the same terms, computed here: words are
//! lowercased, stemmed with the Snowball stemmer of the text's language
//! (`Rechnungen` and `Rechnung` are both `rechnung`) and folded to ASCII
//! (`ä → a`, `ß → ss`), so SQLite FTS5 and PostgreSQL `tsvector` see the
//! same plain `[a-z0-9]+` tokens and return the same matches. Snowball does
//! not split German compounds, so long German words also yield their
//! [`SearchTerms::parts`] (suffixes of the stem): `Lieferverzögerung` is
//! found by `Verzögerung`.

use crate::Language;
use rust_stemmers::{Algorithm, Stemmer};
use std::sync::OnceLock;

/// A German stem at least this long yields compound parts.
const COMPOUND_MIN: usize = 9;
/// Shortest compound part (and shortest prefix left in front of it).
const PART_MIN: usize = 5;
const PREFIX_MIN: usize = 3;

/// The terms of one document.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchTerms {
    /// Stemmed, folded words in text order (stop words left out).
    pub words: Vec<String>,
    /// Suffixes of long German stems: the heads of compounds.
    pub parts: Vec<String>,
}

impl SearchTerms {
    /// `words` joined by spaces, as the index stores them.
    #[must_use]
    pub fn words_text(&self) -> String {
        self.words.join(" ")
    }

    /// `parts` joined by spaces.
    #[must_use]
    pub fn parts_text(&self) -> String {
        self.parts.join(" ")
    }
}

fn stemmer(lang: Language) -> &'static Stemmer {
    static DE: OnceLock<Stemmer> = OnceLock::new();
    static EN: OnceLock<Stemmer> = OnceLock::new();
    match lang {
        Language::De => DE.get_or_init(|| Stemmer::create(Algorithm::German)),
        Language::En => EN.get_or_init(|| Stemmer::create(Algorithm::English)),
    }
}

const STOP_DE: &[&str] = &[
    "aber", "als", "am", "an", "auch", "auf", "aus", "bei", "bin", "bis", "bitte", "da", "das", "dass", "dem", "den",
    "der", "des", "die", "dies", "diese", "dieser", "du", "ein", "eine", "einem", "einen", "einer", "es", "fur", "hab",
    "habe", "haben", "hat", "ich", "ihr", "im", "in", "ist", "ja", "kann", "man", "mein", "meine", "meinen", "meiner",
    "mich", "mir", "mit", "nach", "noch", "nur", "oder", "sich", "sie", "sind", "so", "um", "und", "uns", "von", "vom",
    "war", "was", "wenn", "wer", "wie", "wieso", "wir", "wird", "wo", "zu", "zum", "zur",
];

const STOP_EN: &[&str] = &[
    "a", "about", "am", "an", "and", "are", "as", "at", "be", "by", "can", "do", "does", "for", "from", "how", "i",
    "if", "in", "is", "it", "its", "me", "my", "of", "on", "or", "please", "so", "that", "the", "this", "to", "was",
    "we", "what", "when", "where", "which", "who", "why", "will", "with", "you", "your",
];

fn is_stop(folded: &str, lang: Language) -> bool {
    match lang {
        Language::De => STOP_DE.contains(&folded),
        Language::En => STOP_EN.contains(&folded),
    }
}

/// Lowercase ASCII folding of a stem (`ä → a`, `ß → ss`, other letters
/// lowercased; characters outside `[a-z0-9]` after folding are dropped so
/// both backends tokenise the result identically).
fn fold(word: &str) -> String {
    let mut out = String::with_capacity(word.len());
    for c in word.chars() {
        match c {
            'ä' | 'Ä' | 'à' | 'á' | 'â' => out.push('a'),
            'ö' | 'Ö' | 'ò' | 'ó' | 'ô' => out.push('o'),
            'ü' | 'Ü' | 'ù' | 'ú' | 'û' => out.push('u'),
            'é' | 'è' | 'ê' | 'ë' => out.push('e'),
            'ß' | 'ẞ' => out.push_str("ss"),
            c if c.is_ascii_alphanumeric() => out.push(c.to_ascii_lowercase()),
            _ => {}
        }
    }
    out
}

/// The words of `text`: runs of letters and digits, lowercased.
fn words(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
}

/// One stemmed, folded term, or `None` for a stop word or a word that folds to nothing.
#[must_use]
pub fn term(word: &str, lang: Language) -> Option<String> {
    let lower = word.to_lowercase();
    if is_stop(&fold(&lower), lang) {
        return None;
    }
    let stem = stemmer(lang).stem(&lower);
    let t = fold(&stem);
    (!t.is_empty()).then_some(t)
}

/// The terms of a document in language `lang`.
#[must_use]
pub fn index_terms(text: &str, lang: Language) -> SearchTerms {
    let mut out = SearchTerms::default();
    for w in words(text) {
        let Some(t) = term(&w, lang) else { continue };
        if lang == Language::De && t.len() >= COMPOUND_MIN && t.is_ascii() {
            for start in PREFIX_MIN..=t.len() - PART_MIN {
                out.parts.push(t[start..].to_string());
            }
        }
        out.words.push(t);
    }
    out
}

/// The terms of a query in language `lang`, without duplicates, in order.
#[must_use]
pub fn query_terms(query: &str, lang: Language) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for w in words(query) {
        if let Some(t) = term(&w, lang)
            && !out.contains(&t)
        {
            out.push(t);
        }
    }
    out
}

/// The closest known term to a misspelt `term` among `candidates`
/// (`(term, documents containing it)`): at most one edit for terms up to 5
/// letters, two for longer ones (Damerau–Levenshtein); ties go to the term
/// in more documents. `None` when nothing is close enough.
#[must_use]
pub fn closest<'a>(term: &str, candidates: impl IntoIterator<Item = (&'a str, i64)>) -> Option<&'a str> {
    let limit = if term.chars().count() <= 5 { 1 } else { 2 };
    candidates
        .into_iter()
        .filter(|(c, _)| *c != term)
        .filter_map(|(c, docs)| {
            let d = strsim::damerau_levenshtein(term, c);
            (d <= limit).then_some((d, -docs, c))
        })
        .min()
        .map(|(_, _, c)| c)
}

/// Terms shared by two term lists, weighted by rarity: a similarity score
/// for "similar cases" (Jaccard index of the two term sets).
#[must_use]
pub fn similarity(a: &[String], b: &[String]) -> f64 {
    use std::collections::HashSet;
    let sa: HashSet<&str> = a.iter().map(String::as_str).collect();
    let sb: HashSet<&str> = b.iter().map(String::as_str).collect();
    if sa.is_empty() || sb.is_empty() {
        return 0.0;
    }
    let shared = sa.intersection(&sb).count();
    #[allow(clippy::cast_precision_loss)]
    let score = shared as f64 / (sa.len() + sb.len() - shared) as f64;
    score
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stop_words_are_folded_like_the_words_they_match() {
        for w in STOP_DE.iter().chain(STOP_EN) {
            assert_eq!(fold(w), *w);
        }
        assert_eq!(term("für", Language::De), None);
    }

    #[test]
    fn german_plural_and_singular_share_a_term() {
        assert_eq!(
            query_terms("Rechnungen", Language::De),
            query_terms("Rechnung", Language::De)
        );
        assert_eq!(query_terms("Rechnung", Language::De), vec!["rechnung"]);
    }

    #[test]
    fn umlauts_fold_after_stemming() {
        let t = index_terms("Verzögerung der Lieferung", Language::De);
        assert_eq!(t.words, vec!["verzoger", "liefer"]);
    }

    #[test]
    fn english_stems_and_drops_stop_words() {
        assert_eq!(
            query_terms("How do I download my invoices?", Language::En),
            vec!["download", "invoic"]
        );
    }

    #[test]
    fn german_compounds_yield_their_heads() {
        let t = index_terms("Lieferverzögerung", Language::De);
        let q = query_terms("Verzögerung", Language::De);
        assert!(t.parts.contains(&q[0]), "{t:?} should contain {q:?}");
        assert!(index_terms("Lieferverzögerung", Language::En).parts.is_empty());
    }

    #[test]
    fn tokens_are_plain_ascii_words() {
        let t = index_terms("<script>alert('x')</script> Café ½ naïve O'Brien 42", Language::En);
        for w in t.words.iter().chain(&t.parts) {
            assert!(
                !w.is_empty() && w.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()),
                "{w:?}"
            );
        }
        assert!(query_terms("!!! ??? ...", Language::De).is_empty());
    }

    #[test]
    fn closest_corrects_one_or_two_edits() {
        let vocab = [("rechnung", 10), ("lieferung", 5), ("rechn", 1)];
        assert_eq!(closest("rehcnung", vocab), Some("rechnung"));
        assert_eq!(closest("liferung", vocab), Some("lieferung"));
        assert_eq!(closest("paket", vocab), None);
        assert_eq!(closest("rechnung", vocab), None, "a known term is not corrected");
    }

    #[test]
    fn similarity_is_jaccard() {
        let a = vec!["a".to_string(), "b".to_string()];
        let b = vec!["b".to_string(), "c".to_string()];
        assert!((similarity(&a, &b) - 1.0 / 3.0).abs() < 1e-9);
        assert!(similarity(&a, &[]).abs() < f64::EPSILON);
    }
}
