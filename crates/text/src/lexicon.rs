//! Sentiment lexicons and the language rules that go with them (negators,
//! boosters, contrast words), built only from the openly licensed resources
//! in `resources/`:
//! - English: VADER lexicon (MIT) plus `resources/amends/en-lexicon.tsv`.
//! - German: German Polarity Lexicon as shipped by textblob-de (Apache-2.0)
//!   plus `resources/amends/de-lexicon.tsv`.
//! - Emoji: VADER's emoji descriptions, scored with the English lexicon.

use rust_stemmers::{Algorithm, Stemmer};

use crate::hashing::{FxMap, FxSet};
use crate::lang::{Language, is_stopword};
use crate::tokenize::fold_word;

const VADER_LEXICON: &str = include_str!("../resources/vader/vader_lexicon.txt");
const VADER_EMOJI: &str = include_str!("../resources/vader/emoji_utf8_lexicon.txt");
const GERMAN_POLARITY_XML: &str = include_str!("../resources/textblob-de/de-sentiment.xml");
const AMENDS_DE: &str = include_str!("../resources/amends/de-lexicon.tsv");
const AMENDS_EN: &str = include_str!("../resources/amends/en-lexicon.tsv");

/// Longest word (in bytes) that gets stem and compound lookups.
const MAX_WORD_BYTES: usize = 48;

/// Scale from the German Polarity Lexicon's -1..1 to VADER's -4..4.
const GERMAN_POLARITY_SCALE: f32 = 2.0;
/// German Polarity Lexicon entries below this |polarity| (its ±0.7 grade) are left out.
const WEAK_POLARITY: f32 = 0.9;

/// Booster increment (VADER's B_INCR).
pub(crate) const B_INCR: f32 = 0.293;
/// Dampener decrement (VADER's B_DECR).
pub(crate) const B_DECR: f32 = -0.293;

const EN_NEGATORS: &[&str] = &[
    "aint",
    "arent",
    "cannot",
    "cant",
    "couldnt",
    "darent",
    "didnt",
    "doesnt",
    "ain't",
    "aren't",
    "can't",
    "couldn't",
    "daren't",
    "didn't",
    "doesn't",
    "dont",
    "hadnt",
    "hasnt",
    "havent",
    "isnt",
    "mightnt",
    "mustnt",
    "neither",
    "don't",
    "hadn't",
    "hasn't",
    "haven't",
    "isn't",
    "mightn't",
    "mustn't",
    "neednt",
    "needn't",
    "never",
    "none",
    "nope",
    "nor",
    "not",
    "nothing",
    "nowhere",
    "oughtnt",
    "shant",
    "shouldnt",
    "uhuh",
    "wasnt",
    "werent",
    "oughtn't",
    "shan't",
    "shouldn't",
    "uh-uh",
    "wasn't",
    "weren't",
    "without",
    "wont",
    "wouldnt",
    "won't",
    "wouldn't",
    "rarely",
    "seldom",
    "despite",
];

const DE_NEGATORS: &[&str] = &[
    "nicht",
    "nich",
    "net",
    "kein",
    "keine",
    "keinen",
    "keinem",
    "keiner",
    "keines",
    "nie",
    "niemals",
    "nimmer",
    "nichts",
    "ohne",
    "weder",
    "nirgends",
    "keineswegs",
    "keinesfalls",
];

/// German negators that negate a preceding word when they end the clause
/// ("Das gefällt mir nicht.").
const DE_POST_NEGATORS: &[&str] = &["nicht", "nich", "net", "nie", "niemals", "keineswegs"];

const EN_BOOSTERS_UP: &[&str] = &[
    "absolutely",
    "amazingly",
    "awfully",
    "completely",
    "considerable",
    "considerably",
    "decidedly",
    "deeply",
    "effing",
    "enormous",
    "enormously",
    "entirely",
    "especially",
    "exceptional",
    "exceptionally",
    "extreme",
    "extremely",
    "fabulously",
    "flipping",
    "flippin",
    "frackin",
    "fracking",
    "fricking",
    "frickin",
    "frigging",
    "friggin",
    "fully",
    "fuckin",
    "fucking",
    "fuggin",
    "fugging",
    "greatly",
    "hella",
    "highly",
    "hugely",
    "incredible",
    "incredibly",
    "intensely",
    "major",
    "majorly",
    "more",
    "most",
    "particularly",
    "purely",
    "quite",
    "really",
    "remarkably",
    "so",
    "substantially",
    "thoroughly",
    "total",
    "totally",
    "tremendous",
    "tremendously",
    "uber",
    "unbelievably",
    "unusually",
    "utter",
    "utterly",
    "very",
];
const EN_BOOSTERS_DOWN: &[&str] = &[
    "almost",
    "barely",
    "hardly",
    "kinda",
    "kindof",
    "kind-of",
    "less",
    "little",
    "marginal",
    "marginally",
    "occasional",
    "occasionally",
    "partly",
    "scarce",
    "scarcely",
    "slight",
    "slightly",
    "somewhat",
    "sorta",
    "sortof",
    "sort-of",
];
const DE_BOOSTERS_UP: &[&str] = &[
    "sehr",
    "extrem",
    "total",
    "völlig",
    "voellig",
    "absolut",
    "echt",
    "wirklich",
    "besonders",
    "äußerst",
    "äusserst",
    "unglaublich",
    "richtig",
    "so",
    "mega",
    "voll",
    "ganz",
    "höchst",
    "ausgesprochen",
    "außerordentlich",
    "enorm",
    "zutiefst",
    "komplett",
    "überaus",
    "dermaßen",
    "derart",
    "viel",
    "wahnsinnig",
    "super",
    "sowas",
    "superschnell",
    "immer",
];
const DE_BOOSTERS_DOWN: &[&str] = &[
    "etwas",
    "bisschen",
    "bißchen",
    "wenig",
    "kaum",
    "leicht",
    "eher",
    "relativ",
    "halbwegs",
    "einigermaßen",
    "teilweise",
    "ziemlich",
    "fast",
    "beinahe",
    "recht",
];

const EN_CONTRAST: &[&str] = &["but"];
const DE_CONTRAST: &[&str] = &["aber", "jedoch", "allerdings", "trotzdem", "dennoch"];

/// A sentiment lexicon for one language with its modifier rules.
pub(crate) struct Lexicon {
    pub(crate) language: Language,
    words: FxMap<String, f32>,
    /// Stem of the folded lowercase form -> valence (German only).
    stems: FxMap<String, f32>,
    /// German: amends' own single-word entries, the only source for nouns.
    noun_words: FxMap<String, f32>,
    /// German: stems of `noun_words`.
    noun_stems: FxMap<String, f32>,
    /// Two-word entries, keyed "first second", found at the second word.
    phrases: FxMap<String, f32>,
    phrase_ends: FxSet<String>,
    boosters: FxMap<String, f32>,
    negators: FxSet<String>,
    post_negators: FxSet<String>,
    contrast: FxSet<String>,
    /// Emoji -> valence (shared by both languages).
    emoji: FxMap<char, f32>,
    stemmer: Stemmer,
}

impl std::fmt::Debug for Lexicon {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lexicon")
            .field("language", &self.language)
            .field("words", &self.words.len())
            .field("stems", &self.stems.len())
            .finish_non_exhaustive()
    }
}

/// Stem of each entry's folded form -> mean valence, for stems whose entries
/// agree in sign.
fn stem_index(words: &FxMap<String, f32>, stemmer: &Stemmer) -> FxMap<String, f32> {
    let mut acc: FxMap<String, (f32, u32, bool)> = FxMap::default();
    let mut folded = String::new();
    for (w, &v) in words {
        if !w.chars().any(char::is_alphabetic) {
            continue;
        }
        folded.clear();
        fold_word(w, &mut folded);
        let stem = stemmer.stem(&folded).into_owned();
        if stem.chars().count() < 3 {
            continue;
        }
        let e = acc.entry(stem).or_insert((0.0, 0, false));
        if e.1 > 0 && (e.0 > 0.0) != (v > 0.0) {
            e.2 = true; // conflicting signs
        }
        e.0 += v;
        e.1 += 1;
    }
    acc.into_iter()
        .filter(|(_, (_, _, conflict))| !conflict)
        .map(|(s, (sum, n, _))| (s, sum / n as f32))
        .collect()
}

fn set(words: &[&str]) -> FxSet<String> {
    words.iter().map(|w| (*w).to_owned()).collect()
}

/// `word<TAB>valence` lines; `#` comments and blank lines skipped.
fn parse_tsv(text: &str) -> impl Iterator<Item = (&str, f32)> {
    text.lines().filter_map(|line| {
        let line = line.trim_end_matches('\r');
        if line.is_empty() || line.starts_with('#') {
            return None;
        }
        let mut parts = line.split('\t');
        let word = parts.next()?;
        let value: f32 = parts.next()?.trim().parse().ok()?;
        Some((word, value))
    })
}

/// `form="…"` and `polarity="…"` of each `<word …/>` element.
fn parse_polarity_xml(xml: &str) -> impl Iterator<Item = (&str, f32, &str)> {
    xml.lines().filter_map(|line| {
        let line = line.trim();
        if !line.starts_with("<word ") {
            return None;
        }
        let form = attr(line, "form")?;
        let polarity: f32 = attr(line, "polarity")?.parse().ok()?;
        Some((form, polarity, attr(line, "pos").unwrap_or("")))
    })
}

fn attr<'a>(element: &'a str, name: &str) -> Option<&'a str> {
    let key = format!(" {name}=\"");
    let start = element.find(&key)? + key.len();
    let len = element[start..].find('"')?;
    Some(&element[start..start + len])
}

fn vader_words() -> impl Iterator<Item = (&'static str, f32)> {
    VADER_LEXICON.lines().filter_map(|line| {
        let mut parts = line.split('\t');
        let word = parts.next()?;
        let value: f32 = parts.next()?.trim().parse().ok()?;
        Some((word, value))
    })
}

fn emoji_valences(en_words: &FxMap<String, f32>) -> FxMap<char, f32> {
    let mut map = FxMap::default();
    for line in VADER_EMOJI.lines() {
        let mut parts = line.split('\t');
        let (Some(emoji), Some(desc)) = (parts.next(), parts.next()) else {
            continue;
        };
        let mut chars = emoji.chars().filter(|c| !matches!(c, '\u{FE0F}' | '\u{200D}'));
        let (Some(c), None) = (chars.next(), chars.next()) else {
            continue; // multi-character sequences are not looked up
        };
        let v: f32 = desc
            .split(|c: char| !c.is_alphanumeric() && c != '-')
            .filter_map(|w| en_words.get(&w.to_lowercase()))
            .sum();
        if v != 0.0 {
            map.insert(c, v.clamp(-3.5, 3.5));
        }
    }
    map
}

impl Lexicon {
    /// English: VADER lexicon + amends additions.
    pub(crate) fn english() -> Lexicon {
        let mut words: FxMap<String, f32> = FxMap::default();
        for (w, v) in parse_tsv(AMENDS_EN) {
            words.insert(w.to_lowercase(), v);
        }
        for (w, v) in vader_words() {
            words.insert(w.to_owned(), v);
        }
        let emoji = emoji_valences(&words);
        let mut boosters = FxMap::default();
        for w in EN_BOOSTERS_UP {
            boosters.insert((*w).to_owned(), B_INCR);
        }
        for w in EN_BOOSTERS_DOWN {
            boosters.insert((*w).to_owned(), B_DECR);
        }
        Lexicon {
            language: Language::En,
            words,
            stems: FxMap::default(),
            noun_words: FxMap::default(),
            noun_stems: FxMap::default(),
            phrases: FxMap::default(),
            phrase_ends: FxSet::default(),
            boosters,
            negators: set(EN_NEGATORS),
            post_negators: FxSet::default(),
            contrast: set(EN_CONTRAST),
            emoji,
            stemmer: Stemmer::create(Algorithm::English),
        }
    }

    /// German: polarity lexicon + amends additions; emoticons from VADER.
    pub(crate) fn german() -> Lexicon {
        let stemmer = Stemmer::create(Algorithm::German);
        let mut words: FxMap<String, f32> = FxMap::default();
        let mut en_words: FxMap<String, f32> = FxMap::default();
        for (w, v) in vader_words() {
            en_words.insert(w.to_owned(), v);
            // Emoticons such as ":)" or "<3" are language independent.
            if !w.chars().any(char::is_alphabetic) {
                words.insert(w.to_owned(), v);
            }
        }
        let emoji = emoji_valences(&en_words);
        drop(en_words);
        for (form, polarity, pos) in parse_polarity_xml(GERMAN_POLARITY_XML) {
            // Nouns in the polarity lexicon are mostly topical ("Schulreform",
            // "Entlassung", "Sommer") rather than evaluative; amends' own list
            // adds the evaluative service nouns ("Verspätung", "Frechheit").
            if pos == "NN" {
                continue;
            }
            // The lexicon grades polarity as ±1.0 (clear) or ±0.7 (weak or
            // dependent on context: "frei", "hoch", "direkt", "steuern",
            // "brennen"). Without knowing what a text is about, the weak
            // entries mostly give neutral reports a polarity; clear
            // complaint words are ±1.0 or in amends' own list.
            if polarity.abs() < WEAK_POLARITY {
                continue;
            }
            if polarity != 0.0 {
                let v = polarity * GERMAN_POLARITY_SCALE;
                let key = form.to_lowercase();
                // Keep the stronger value when noun and adjective share a form.
                let e = words.entry(key).or_insert(0.0);
                if v.abs() > e.abs() {
                    *e = v;
                }
            }
        }
        let mut phrases = FxMap::default();
        let mut phrase_ends = FxSet::default();
        let mut noun_words: FxMap<String, f32> = FxMap::default();
        for (w, v) in parse_tsv(AMENDS_DE) {
            let w = w.to_lowercase();
            if let Some((_, last)) = w.rsplit_once(' ') {
                phrase_ends.insert(last.to_owned());
                phrases.insert(w, v);
            } else {
                noun_words.insert(w.clone(), v);
                words.insert(w, v);
            }
        }
        let stems = stem_index(&words, &stemmer);
        let noun_stems = stem_index(&noun_words, &stemmer);
        let mut boosters = FxMap::default();
        for w in DE_BOOSTERS_UP {
            boosters.insert((*w).to_owned(), B_INCR);
        }
        for w in DE_BOOSTERS_DOWN {
            boosters.insert((*w).to_owned(), B_DECR);
        }
        Lexicon {
            language: Language::De,
            words,
            stems,
            noun_words,
            noun_stems,
            phrases,
            phrase_ends,
            boosters,
            negators: set(DE_NEGATORS),
            post_negators: set(DE_POST_NEGATORS),
            contrast: set(DE_CONTRAST),
            emoji,
            stemmer,
        }
    }

    /// Valence of a lowercase word (and its unstripped form, for emoticons).
    pub(crate) fn valence(&self, word: &str, raw: Option<&str>) -> Option<f32> {
        if let Some(&v) = self.words.get(word) {
            return Some(v);
        }
        if let Some(raw) = raw
            && let Some(&v) = self.words.get(raw)
        {
            return Some(v);
        }
        let mut chars = word.chars();
        if let (Some(c), None) = (chars.next(), chars.clone().next())
            && let Some(&v) = self.emoji.get(&c)
        {
            return Some(v);
        }
        if self.language == Language::De {
            return self.german_fallback(word, &self.stems);
        }
        None
    }

    /// How many tokens of `t` this lexicon gives a valence (evidence of the
    /// language when function words are missing).
    pub(crate) fn coverage(&self, t: &crate::tokenize::Tokens) -> usize {
        (0..t.len())
            .filter(|&i| self.booster(t.word(i)).is_some() || self.valence(t.word(i), t.raw(i)).is_some())
            .count()
    }

    /// Valence of a German noun (see [`crate::sentiment`]): amends' own
    /// entries by form, stem or compound head only.
    pub(crate) fn noun_valence(&self, word: &str) -> Option<f32> {
        if let Some(&v) = self.noun_words.get(word) {
            return Some(v);
        }
        self.german_fallback(word, &self.noun_stems)
    }

    /// Stem lookup, then compound head lookup ("Zugausfall" -> "ausfall").
    fn german_fallback(&self, word: &str, stems: &FxMap<String, f32>) -> Option<f32> {
        // Longer "words" are not German words (URLs, hashes, key mashing).
        if word.len() < 4
            || word.len() > MAX_WORD_BYTES
            || is_stopword(Language::De, word)
            || !word.chars().all(char::is_alphabetic)
        {
            return None;
        }
        let mut folded = String::with_capacity(word.len() + 2);
        fold_word(word, &mut folded);
        let stem = self.stemmer.stem(&folded);
        if let Some(&v) = stems.get(stem.as_ref()) {
            return Some(v);
        }
        // Compound: the head (last part) carries the meaning. Modifier >= 3
        // bytes, head >= 5 bytes; longest head first.
        let s = stem.as_ref();
        if s.len() >= 8 {
            for (pos, _) in s.char_indices().skip(3) {
                let head = &s[pos..];
                if head.len() < 5 {
                    break;
                }
                if let Some(&v) = stems.get(head) {
                    return Some(v);
                }
            }
        }
        None
    }

    /// Valence of a two-word entry ending at `second`, if any.
    pub(crate) fn phrase(&self, first: &str, second: &str) -> Option<f32> {
        if !self.phrase_ends.contains(second) {
            return None;
        }
        let mut key = String::with_capacity(first.len() + second.len() + 1);
        key.push_str(first);
        key.push(' ');
        key.push_str(second);
        self.phrases.get(&key).copied()
    }

    pub(crate) fn booster(&self, word: &str) -> Option<f32> {
        self.boosters.get(word).copied()
    }

    pub(crate) fn is_negator(&self, word: &str) -> bool {
        self.negators.contains(word) || (self.language == Language::En && word.contains("n't"))
    }

    pub(crate) fn is_post_negator(&self, word: &str) -> bool {
        self.post_negators.contains(word)
    }

    pub(crate) fn is_contrast(&self, word: &str) -> bool {
        self.contrast.contains(word)
    }

    /// Number of single-word entries (for diagnostics).
    #[cfg(test)]
    pub(crate) fn size(&self) -> usize {
        self.words.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loads_shipped_lexicons() {
        let en = Lexicon::english();
        assert!(en.size() > 7000);
        assert_eq!(en.valence("good", None), Some(1.9));
        assert_eq!(en.valence("", Some(":)")), Some(2.0));
        assert!(en.valence("😠", None).is_some_and(|v| v < 0.0));
        assert!(en.valence("😡", None).is_some_and(|v| v < 0.0));
        let de = Lexicon::german();
        assert!(de.size() > 2500, "{}", de.size());
        // The polarity lexicon's weak (±0.7) entries are left out.
        assert_eq!(de.valence("steuern", None), None);
        assert_eq!(de.valence("direkt", None), None);
        // Nouns: amends' entries (and their compounds) only.
        assert_eq!(de.noun_valence("preis"), None);
        assert_eq!(de.noun_valence("nähe"), None);
        assert!(de.noun_valence("zugausfall").is_some_and(|v| v < 0.0));
        assert!(de.noun_valence("frechheit").is_some_and(|v| v < 0.0));
        assert!(de.valence("gut", None).is_some_and(|v| v > 0.0));
        // Inflected forms via stem.
        assert!(de.valence("schlechten", None).is_some_and(|v| v < 0.0));
        assert!(de.valence("freundlichen", None).is_some_and(|v| v > 0.0));
        // Compound heads.
        assert!(de.valence("zugausfall", None).is_some_and(|v| v < 0.0));
        assert!(de.valence("lieferverzögerungen", None).is_some_and(|v| v < 0.0));
        // Function words are not looked up by stem ("schon" is not "schön").
        assert_eq!(de.valence("schon", None), None);
        assert!(de.phrase("zu", "spät").is_some_and(|v| v < 0.0));
    }
}
