//! Rule-based document sentiment in the manner of VADER (Hutto & Gilbert
//! 2014), for English and German: lexicon valences adjusted by negation
//! ("not good", "nicht gut", "gefällt mir nicht."), boosters and dampeners
//! ("very", "sehr", "kaum"), ALL-CAPS emphasis, contrast ("but", "aber"),
//! and `!`/`?` emphasis, summed and squashed into a compound score in [-1, 1].

use serde::{Deserialize, Serialize};

use crate::error::TextError;
use crate::lang::Language;
use crate::lexicon::Lexicon;
use crate::tokenize::Tokens;

/// Document sentiment class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SentimentLabel {
    /// Negative.
    Negative,
    /// Neutral (or no opinion).
    Neutral,
    /// Positive.
    Positive,
}

impl SentimentLabel {
    /// All labels in class-index order.
    pub const ALL: [SentimentLabel; 3] = [
        SentimentLabel::Negative,
        SentimentLabel::Neutral,
        SentimentLabel::Positive,
    ];

    /// Lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            SentimentLabel::Negative => "negative",
            SentimentLabel::Neutral => "neutral",
            SentimentLabel::Positive => "positive",
        }
    }

    /// Class index 0..3 (negative, neutral, positive).
    pub fn index(self) -> usize {
        match self {
            SentimentLabel::Negative => 0,
            SentimentLabel::Neutral => 1,
            SentimentLabel::Positive => 2,
        }
    }

    /// Label from class index; out of range maps to neutral.
    pub fn from_index(i: usize) -> SentimentLabel {
        match i {
            0 => SentimentLabel::Negative,
            2 => SentimentLabel::Positive,
            _ => SentimentLabel::Neutral,
        }
    }

    /// Label of a score with VADER's convention: > t positive, < -t negative.
    pub fn from_score(score: f32, threshold: f32) -> SentimentLabel {
        if score > threshold {
            SentimentLabel::Positive
        } else if score < -threshold {
            SentimentLabel::Negative
        } else {
            SentimentLabel::Neutral
        }
    }
}

impl std::fmt::Display for SentimentLabel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for SentimentLabel {
    type Err = TextError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "negative" | "neg" => Ok(SentimentLabel::Negative),
            "neutral" | "neu" => Ok(SentimentLabel::Neutral),
            "positive" | "pos" => Ok(SentimentLabel::Positive),
            _ => Err(TextError::UnknownSentiment(s.to_owned())),
        }
    }
}

/// Sentiment of a document: label and a score in [-1, 1].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Sentiment {
    /// Class.
    pub label: SentimentLabel,
    /// Polarity in [-1, 1]; negative below zero.
    pub score: f32,
}

const C_INCR: f32 = 0.733;
const N_SCALAR: f32 = -0.74;

/// The lexicon scorer's raw output, also used as model features.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct LexiconScore {
    /// VADER-style compound in [-1, 1].
    pub(crate) compound: f32,
    /// Share of positive mass (VADER `pos`).
    pub(crate) pos: f32,
    /// Share of negative mass (VADER `neg`).
    pub(crate) neg: f32,
    /// Number of tokens with non-zero valence.
    pub(crate) hits: u32,
}

/// Score a tokenised text with `lex`. `scratch` is a reusable buffer;
/// `sentiments` receives the adjusted valence of every token.
pub(crate) fn score(lex: &Lexicon, t: &Tokens, scratch: &mut Vec<f32>, sentiments: &mut Vec<f32>) -> LexiconScore {
    let n = t.len();
    sentiments.clear();
    if n == 0 {
        return LexiconScore::default();
    }
    let en = lex.language == Language::En;
    // Lexicon value of every token (NaN = not in lexicon).
    scratch.clear();
    scratch.extend((0..n).map(|i| {
        // A German noun takes its valence only from amends' own list: the
        // polarity lexicon's nouns are left out, and its adjectives and
        // verbs must not reach a noun through a shared form or stem
        // ("Preis" is not "preisen", "Nähe" not "nähen").
        let v = if !en && t.capitalised_mid_sentence(i) {
            lex.noun_valence(t.word(i))
        } else {
            lex.valence(t.word(i), t.raw(i))
        };
        v.unwrap_or(f32::NAN)
    }));
    if !en {
        // German boosters that are also lexicon words ("echt", "super")
        // only boost when a sentiment word follows.
        for i in 0..n.saturating_sub(1) {
            if !scratch[i].is_nan() && !scratch[i + 1].is_nan() && lex.booster(t.word(i)).is_some() {
                scratch[i] = f32::NAN;
            }
        }
    }
    let in_lex = |vals: &[f32], i: usize| !vals[i].is_nan();
    let upper_count = t.upper.iter().filter(|u| **u).count();
    let cap_diff = upper_count > 0 && upper_count < n;

    for i in 0..n {
        let w = t.word(i);
        // VADER ignores boosters as sentiment words; German "super" is both.
        if lex.booster(w).is_some() && (en || !in_lex(scratch, i)) {
            sentiments.push(0.0);
            continue;
        }
        if en && w == "kind" && i + 1 < n && t.word(i + 1) == "of" {
            sentiments.push(0.0);
            continue;
        }
        // Two-word entries ("zu spät", "funktioniert nicht") replace both words.
        if i > 0
            && let Some(v) = lex.phrase(t.word(i - 1), w)
        {
            if let Some(prev) = sentiments.last_mut() {
                *prev = 0.0;
            }
            let negated = i > 1 && lex.is_negator(t.word(i - 2));
            sentiments.push(if negated { v * N_SCALAR } else { v });
            continue;
        }
        let base = scratch[i];
        if base.is_nan() {
            sentiments.push(0.0);
            continue;
        }
        let mut valence = base;
        if en {
            if w == "no" && i + 1 < n && in_lex(scratch, i + 1) {
                valence = 0.0;
            }
            if (i > 0 && t.word(i - 1) == "no")
                || (i > 1 && t.word(i - 2) == "no")
                || (i > 2 && t.word(i - 3) == "no" && matches!(t.word(i - 1), "or" | "nor"))
            {
                valence = base * N_SCALAR;
            }
        }
        if t.upper[i] && cap_diff {
            valence += if valence > 0.0 { C_INCR } else { -C_INCR };
        }
        let mut negated = false;
        for start in 0..3 {
            if i <= start {
                break;
            }
            let p = i - start - 1;
            if in_lex(scratch, p) {
                continue;
            }
            // Stop at a clause boundary (German only; VADER does not).
            if !en && t.clause_end[p] {
                break;
            }
            let pw = t.word(p);
            if let Some(b) = lex.booster(pw) {
                let mut s = if valence < 0.0 { -b } else { b };
                if t.upper[p] && cap_diff {
                    s += if valence > 0.0 { C_INCR } else { -C_INCR };
                }
                s *= [1.0, 0.95, 0.9][start];
                valence += s;
            }
            let (v, neg) = negation_check(lex, t, valence, start, i);
            valence = v;
            negated |= neg;
            if en && start == 2 {
                valence = special_idioms(t, valence, i);
            }
        }
        if en {
            valence = least_check(t, scratch, valence, i);
        } else if !negated {
            valence = post_negation(lex, t, scratch, valence, i);
        }
        sentiments.push(valence);
    }

    // Sentences: VADER is meant for sentences and its authors suggest
    // averaging sentence scores for paragraphs. German texts score as the
    // mean of their sentences' compounds, so that a few polar words in a long
    // neutral text do not saturate the score. English keeps VADER's
    // whole-text score (one "sentence"), which is what VADER is measured on.
    let mut compounds_sum = 0.0f32;
    let mut n_sentences = 0usize;
    let mut start = 0;
    let (mut excl, mut quest) = (0usize, 0usize);
    for i in 0..n {
        let (e, q, end) = t.marks[i];
        excl += usize::from(e);
        quest += usize::from(q);
        if (end && !en) || i + 1 == n {
            let sent = &mut sentiments[start..=i];
            // Contrast: what follows "but"/"aber" counts more.
            if let Some(bi) = (start..=i).find(|&k| lex.is_contrast(t.word(k))) {
                let bi = bi - start;
                for (si, s) in sent.iter_mut().enumerate() {
                    if si < bi {
                        *s *= 0.5;
                    } else if si > bi {
                        *s *= 1.5;
                    }
                }
            }
            let mut sum: f32 = sent.iter().sum();
            let emphasis = punctuation_emphasis(excl, quest);
            if sum > 0.0 {
                sum += emphasis;
            } else if sum < 0.0 {
                sum -= emphasis;
            }
            compounds_sum += normalize(sum);
            n_sentences += 1;
            start = i + 1;
            excl = 0;
            quest = 0;
        }
    }
    let compound = if n_sentences == 0 {
        0.0
    } else {
        compounds_sum / n_sentences as f32
    };
    let emphasis = punctuation_emphasis(t.exclamations, t.questions);
    let (mut pos_sum, mut neg_sum, mut neutral, mut hits) = (0.0f32, 0.0f32, 0u32, 0u32);
    for &s in sentiments.iter() {
        if s > 0.0 {
            pos_sum += s + 1.0;
            hits += 1;
        } else if s < 0.0 {
            neg_sum += s - 1.0;
            hits += 1;
        } else {
            neutral += 1;
        }
    }
    if pos_sum > neg_sum.abs() {
        pos_sum += emphasis;
    } else if pos_sum < neg_sum.abs() {
        neg_sum -= emphasis;
    }
    let total = pos_sum + neg_sum.abs() + neutral as f32;
    let (pos, neg) = if total > 0.0 {
        (pos_sum / total, neg_sum.abs() / total)
    } else {
        (0.0, 0.0)
    };
    LexiconScore {
        compound,
        pos,
        neg,
        hits,
    }
}

/// VADER's negation window, including its "never so/this" and "without doubt"
/// idioms. Returns the new valence and whether a negation applied.
fn negation_check(lex: &Lexicon, t: &Tokens, valence: f32, start: usize, i: usize) -> (f32, bool) {
    let w = |k: usize| t.word(i - k);
    match start {
        0 => {
            if lex.is_negator(w(1)) {
                return (valence * N_SCALAR, true);
            }
        }
        1 => {
            if w(2) == "never" && matches!(w(1), "so" | "this") {
                return (valence * 1.25, false);
            } else if w(2) == "without" && w(1) == "doubt" {
                return (valence, false);
            } else if lex.is_negator(w(2)) {
                return (valence * N_SCALAR, true);
            }
        }
        _ => {
            if lex.language == Language::En
                && ((w(3) == "never" && matches!(w(2), "so" | "this")) || matches!(w(1), "so" | "this"))
            {
                return (valence * 1.25, false);
            } else if w(3) == "without" && (w(2) == "doubt" || w(1) == "doubt") {
                return (valence, false);
            } else if lex.is_negator(w(3)) {
                return (valence * N_SCALAR, true);
            }
        }
    }
    (valence, false)
}

/// VADER's idioms whose valence replaces the word's ("kiss of death",
/// "bus stop"), on the VADER scale.
const SPECIAL_CASES: [(&str, f32); 9] = [
    ("the shit", 3.0),
    ("the bomb", 3.0),
    ("bad ass", 1.5),
    ("badass", 1.5),
    ("bus stop", 0.0),
    ("yeah right", -2.0),
    ("kiss of death", -1.5),
    ("to die for", 3.0),
    ("beating heart", 3.5),
];

/// VADER's two-word dampeners, which only its idiom check sees.
const DAMPENER_BIGRAMS: [&str; 2] = ["kind of", "sort of"];

/// VADER's idiom check for the word `i` (run for English, as VADER does,
/// when the third word before it is no lexicon word): an idiom around the
/// word sets its valence; "kind of"/"sort of" before it dampens it.
fn special_idioms(t: &Tokens, valence: f32, i: usize) -> f32 {
    let n = t.len();
    // Whether the words `range` spell `phrase`, without allocating.
    let spell = |range: std::ops::Range<usize>, phrase: &str| {
        let mut parts = phrase.split(' ');
        range.clone().all(|k| parts.next() == Some(t.word(k))) && parts.next().is_none()
    };
    let special = |range: std::ops::Range<usize>| {
        SPECIAL_CASES
            .iter()
            .find(|(p, _)| spell(range.clone(), p))
            .map(|&(_, v)| v)
    };
    let mut valence = valence;
    let before = [i - 1..i + 1, i - 2..i + 1, i - 2..i, i - 3..i, i - 3..i - 1];
    if let Some(v) = before.into_iter().find_map(special) {
        valence = v;
    }
    if n - 1 > i
        && let Some(v) = special(i..i + 2)
    {
        valence = v;
    }
    if n - 1 > i + 1
        && let Some(v) = special(i..i + 3)
    {
        valence = v;
    }
    for r in [i - 3..i, i - 3..i - 1, i - 2..i] {
        if DAMPENER_BIGRAMS.iter().any(|p| spell(r.clone(), p)) {
            valence += crate::lexicon::B_DECR;
        }
    }
    valence
}

/// "least" as negation ("the least compelling"), not "at least".
fn least_check(t: &Tokens, vals: &[f32], valence: f32, i: usize) -> f32 {
    if i > 1 && vals[i - 1].is_nan() && t.word(i - 1) == "least" {
        if t.word(i - 2) != "at" && t.word(i - 2) != "very" {
            return valence * N_SCALAR;
        }
    } else if i > 0 && vals[i - 1].is_nan() && t.word(i - 1) == "least" {
        return valence * N_SCALAR;
    }
    valence
}

/// German clause-final negation: "Das gefällt mir nicht.", "klappt leider nicht".
fn post_negation(lex: &Lexicon, t: &Tokens, vals: &[f32], valence: f32, i: usize) -> f32 {
    if t.clause_end[i] {
        return valence;
    }
    let n = t.len();
    for (j, v) in vals.iter().enumerate().take(n.min(i + 5)).skip(i + 1) {
        if !v.is_nan() {
            break;
        }
        let w = t.word(j);
        if lex.is_post_negator(w) {
            let final_word = t.clause_end[j] || j + 1 == n || t.word(j + 1) == "mehr";
            return if final_word { valence * N_SCALAR } else { valence };
        }
        if t.clause_end[j] {
            break;
        }
    }
    valence
}

fn punctuation_emphasis(exclamations: usize, questions: usize) -> f32 {
    let ep = exclamations.min(4) as f32 * 0.292;
    let qm = match questions {
        0 | 1 => 0.0,
        2 | 3 => questions as f32 * 0.18,
        _ => 0.96,
    };
    ep + qm
}

/// VADER's normalisation of a valence sum into [-1, 1] (alpha = 15).
fn normalize(score: f32) -> f32 {
    (score / (score * score + 15.0).sqrt()).clamp(-1.0, 1.0)
}
