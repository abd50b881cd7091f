//! Keyword and phrase matching for topics and signals, compound-aware for
//! German and stem-based for both languages, in one Aho–Corasick pass over
//! the folded text (see [`crate::tokenize::Folded`]).
//!
//! Keyword syntax (one keyword may have several words = a phrase; up to
//! [`MAX_GAP`] other words may stand between the words of a phrase):
//! - `word`: matches any word with the same Snowball stem. In German, a word
//!   whose stem has at least 4 letters also matches inside compounds
//!   (`verzögerung` matches `Lieferverzögerung`).
//! - `=word`: the exact word only (after lowercasing and folding umlauts).
//! - `word*`: words starting with `word`; `*word`: words ending with `word`;
//!   `*word*`: words containing `word`.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use rust_stemmers::{Algorithm, Stemmer};

use crate::lang::Language;
use crate::tokenize::Folded;

/// Most words allowed between two words of a phrase.
pub(crate) const MAX_GAP: usize = 3;

#[derive(Debug, Clone, PartialEq)]
enum Mode {
    /// Same stem (or the same word).
    Stem,
    /// Exactly this word.
    Exact,
    /// Word starts with.
    Prefix,
    /// Word ends with.
    Suffix,
    /// Word contains.
    Substring,
}

#[derive(Debug, Clone)]
struct WordPat {
    /// Folded word (or affix) as written.
    text: String,
    /// Snowball stem of `text` in the keyword's language.
    stem: String,
    /// Text searched for in the folded document by Aho–Corasick.
    anchor: String,
    mode: Mode,
    lang: Language,
}

#[derive(Debug, Clone)]
struct Pattern {
    label: u16,
    words: Vec<WordPat>,
}

/// Negation words (folded) that cancel a signal right before it
/// ("ich will nicht kündigen", "I won't cancel").
const GUARD_NEGATORS: &[&str] = &[
    "nicht", "kein", "keine", "keinen", "nie", "niemals", "not", "never", "dont", "wont", "didnt", "doesnt", "wouldnt",
    "no",
];

pub(crate) struct Stemmers {
    de: Stemmer,
    en: Stemmer,
}

impl Stemmers {
    pub(crate) fn new() -> Self {
        Stemmers {
            de: Stemmer::create(Algorithm::German),
            en: Stemmer::create(Algorithm::English),
        }
    }
    pub(crate) fn stem<'a>(&self, lang: Language, word: &'a str) -> std::borrow::Cow<'a, str> {
        match lang {
            Language::De => self.de.stem(word),
            Language::En => self.en.stem(word),
        }
    }
}

/// A compiled set of labelled keywords.
pub(crate) struct Matcher {
    ac: Option<AhoCorasick>,
    patterns: Vec<Pattern>,
    n_labels: usize,
    guard_negation: bool,
    stemmers: Stemmers,
}

impl std::fmt::Debug for Matcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Matcher")
            .field("patterns", &self.patterns.len())
            .field("labels", &self.n_labels)
            .finish_non_exhaustive()
    }
}

fn fold(s: &str) -> String {
    let mut f = Folded::default();
    f.fill(s);
    f.text.trim().to_owned()
}

fn common_prefix<'a>(a: &'a str, b: &str) -> &'a str {
    let mut end = 0;
    for ((i, ca), cb) in a.char_indices().zip(b.chars()) {
        if ca != cb {
            break;
        }
        end = i + ca.len_utf8();
    }
    &a[..end]
}

/// Check the syntax of one keyword.
pub(crate) fn check_keyword(keyword: &str, lang: Language) -> Result<(), String> {
    compile_keyword(keyword, lang, &Stemmers::new()).map(|_| ())
}

/// Compile one keyword into its words. Errors say what is wrong.
fn compile_keyword(keyword: &str, lang: Language, stemmers: &Stemmers) -> Result<Vec<WordPat>, String> {
    let mut words = Vec::new();
    for part in keyword.split_whitespace() {
        let exact = part.starts_with('=');
        let body = part.trim_start_matches('=');
        let lead = body.starts_with('*');
        let trail = body.ends_with('*');
        let core = body.trim_matches('*');
        if core.contains('*') || core.contains('=') {
            return Err(format!(
                "`{part}`: `*` only at the start or end of a word, `=` only at the start"
            ));
        }
        if exact && (lead || trail) {
            return Err(format!("`{part}`: use either `=` or `*`, not both"));
        }
        let folded = fold(core);
        for sub in folded.split(' ').filter(|s| !s.is_empty()) {
            let stem = stemmers.stem(lang, sub).into_owned();
            let (mode, anchor) = if exact {
                (Mode::Exact, format!(" {sub} "))
            } else if lead && trail {
                (Mode::Substring, sub.to_owned())
            } else if trail {
                (Mode::Prefix, format!(" {sub}"))
            } else if lead {
                (Mode::Suffix, format!("{sub} "))
            } else {
                let root = common_prefix(sub, &stem);
                if lang == Language::De && root.chars().count() >= 4 {
                    (Mode::Substring, root.to_owned())
                } else if root.is_empty() {
                    (Mode::Stem, format!(" {sub}"))
                } else {
                    (Mode::Stem, format!(" {root}"))
                }
            };
            words.push(WordPat {
                text: sub.to_owned(),
                stem,
                anchor,
                mode,
                lang,
            });
        }
    }
    if words.is_empty() {
        return Err(format!("keyword `{keyword}` has no letters or digits"));
    }
    Ok(words)
}

impl Matcher {
    /// Build from `(label, language, keyword)` triples.
    pub(crate) fn new<'a>(
        n_labels: usize,
        keywords: impl IntoIterator<Item = (u16, Language, &'a str)>,
        guard_negation: bool,
    ) -> Result<Matcher, String> {
        let stemmers = Stemmers::new();
        let mut patterns = Vec::new();
        for (label, lang, kw) in keywords {
            let words = compile_keyword(kw, lang, &stemmers)?;
            patterns.push(Pattern { label, words });
        }
        let ac = if patterns.is_empty() {
            None
        } else {
            let anchors: Vec<&str> = patterns.iter().map(|p| p.words[0].anchor.as_str()).collect();
            Some(
                AhoCorasickBuilder::new()
                    .match_kind(MatchKind::Standard)
                    .build(anchors)
                    .map_err(|e| format!("cannot build keyword matcher: {e}"))?,
            )
        };
        Ok(Matcher {
            ac,
            patterns,
            n_labels,
            guard_negation,
            stemmers,
        })
    }

    fn word_matches(&self, wp: &WordPat, token: &str) -> bool {
        match wp.mode {
            Mode::Exact => token == wp.text,
            Mode::Prefix => token.starts_with(&wp.text),
            Mode::Suffix => token.ends_with(&wp.text),
            Mode::Substring => token.contains(&wp.anchor),
            Mode::Stem => token == wp.text || self.stemmers.stem(wp.lang, token) == wp.stem,
        }
    }

    /// Labels found in `doc`, in label order, each once; only keywords of
    /// `lang` when given.
    pub(crate) fn find(&self, doc: &Folded, lang: Option<Language>, out: &mut Vec<u16>) {
        out.clear();
        let Some(ac) = &self.ac else { return };
        let mut seen = vec![false; self.n_labels];
        for m in ac.find_overlapping_iter(doc.text.as_str()) {
            let pat = &self.patterns[m.pattern().as_usize()];
            let label = pat.label as usize;
            if label >= seen.len() || seen[label] {
                continue;
            }
            let first = &pat.words[0];
            if lang.is_some_and(|l| l != first.lang) {
                continue;
            }
            // Anchors with a leading space start one byte before their token.
            let pos = if first.anchor.starts_with(' ') {
                m.start() + 1
            } else {
                m.start()
            };
            let Some(ti) = doc.token_at(pos) else { continue };
            if !self.word_matches(first, doc.token(ti)) {
                continue;
            }
            let mut cur = ti;
            let mut ok = true;
            for wp in &pat.words[1..] {
                let end = doc.len().min(cur + 2 + MAX_GAP);
                match (cur + 1..end).find(|&j| self.word_matches(wp, doc.token(j))) {
                    Some(j) => cur = j,
                    None => {
                        ok = false;
                        break;
                    }
                }
            }
            if !ok {
                continue;
            }
            if self.guard_negation
                && (1..=3).any(|k| ti >= k && GUARD_NEGATORS.contains(&doc.token(ti - k)))
                && !GUARD_NEGATORS.contains(&first.text.as_str())
            {
                continue;
            }
            seen[label] = true;
        }
        out.extend(seen.iter().enumerate().filter(|(_, s)| **s).map(|(i, _)| i as u16));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(m: &Matcher, text: &str) -> Vec<u16> {
        let mut f = Folded::default();
        f.fill(text);
        let mut out = Vec::new();
        m.find(&f, None, &mut out);
        out
    }

    #[test]
    fn german_compounds_and_stems() {
        let m = Matcher::new(
            3,
            [
                (0, Language::De, "lieferung"),
                (1, Language::De, "verzögerung"),
                (2, Language::De, "=app"),
            ],
            false,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(labels(&m, "Lieferverzögerung seit Tagen"), [0, 1]);
        assert_eq!(labels(&m, "Die Lieferungen kamen"), [0]);
        assert_eq!(labels(&m, "Die App stürzt ab"), [2]);
        assert_eq!(labels(&m, "Apparat kaputt"), Vec::<u16>::new());
    }

    #[test]
    fn english_stems_phrases_and_guard() {
        let m = Matcher::new(
            2,
            [(0, Language::En, "cancel subscription"), (1, Language::En, "=sue")],
            true,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(labels(&m, "I will cancel my subscription today"), [0]);
        assert_eq!(labels(&m, "Cancelling the subscriptions."), [0]);
        assert_eq!(labels(&m, "I don't want to cancel my subscription"), Vec::<u16>::new());
        assert_eq!(labels(&m, "We will SUE you"), [1]);
        assert_eq!(labels(&m, "There is an issue"), Vec::<u16>::new());
    }

    #[test]
    fn rejects_bad_keywords() {
        assert!(Matcher::new(1, [(0, Language::En, "a*b")], false).is_err());
        assert!(Matcher::new(1, [(0, Language::En, "=*x")], false).is_err());
        assert!(Matcher::new(1, [(0, Language::En, "!!")], false).is_err());
    }
}
