//! Features of the trainable model: hashed word uni/bi-grams and
//! character n-grams within words (like scikit-learn's `char_wb`), each
//! group TF-IDF weighted (sublinear tf) and L2-normalised, plus a few dense
//! features from the lexicon scorer.

use serde::{Deserialize, Serialize};

use crate::hashing::{fnv1a, fnv1a_continue};
use crate::sentiment::LexiconScore;
use crate::tokenize::Folded;

/// Number of dense lexicon features.
pub(crate) const N_LEXICON_FEATURES: usize = 9;

/// How text becomes features; stored in the model file.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FeatureConfig {
    /// log2 of the number of hash buckets (10..=24).
    pub hash_bits: u8,
    /// Longest word n-gram (1..=3).
    pub word_ngrams: u8,
    /// Shortest character n-gram (0 = no character n-grams).
    pub char_min: u8,
    /// Longest character n-gram.
    pub char_max: u8,
    /// Scale of the dense lexicon features (0 = off).
    pub lexicon_weight: f32,
}

impl Default for FeatureConfig {
    fn default() -> Self {
        FeatureConfig {
            hash_bits: 18,
            word_ngrams: 2,
            char_min: 2,
            char_max: 5,
            lexicon_weight: 1.0,
        }
    }
}

impl FeatureConfig {
    pub(crate) fn n_buckets(&self) -> usize {
        1usize << self.hash_bits
    }

    pub(crate) fn check(&self) -> Result<(), String> {
        if !(10..=24).contains(&self.hash_bits) {
            return Err(format!("hash_bits must be between 10 and 24, got {}", self.hash_bits));
        }
        if !(1..=3).contains(&self.word_ngrams) {
            return Err(format!("word_ngrams must be 1, 2 or 3, got {}", self.word_ngrams));
        }
        if self.char_min > self.char_max || self.char_max > 8 {
            return Err(format!(
                "char n-grams must satisfy char_min <= char_max <= 8, got {}..{}",
                self.char_min, self.char_max
            ));
        }
        if !self.lexicon_weight.is_finite() || self.lexicon_weight < 0.0 {
            return Err("lexicon_weight must be a finite number >= 0".to_owned());
        }
        Ok(())
    }

    #[inline]
    fn bucket(&self, h: u64) -> u32 {
        let h = (h ^ (h >> 29)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        (h >> (64 - u32::from(self.hash_bits))) as u32
    }
}

/// Raw term counts of one document per group, as sorted (bucket, count).
#[derive(Debug, Default, Clone)]
pub(crate) struct RawCounts {
    pub(crate) words: Vec<(u32, f32)>,
    pub(crate) chars: Vec<(u32, f32)>,
    pub(crate) dense: [f32; N_LEXICON_FEATURES],
}

fn count(ids: &mut [u32], out: &mut Vec<(u32, f32)>) {
    out.clear();
    ids.sort_unstable();
    let mut i = 0;
    while i < ids.len() {
        let mut j = i + 1;
        while j < ids.len() && ids[j] == ids[i] {
            j += 1;
        }
        out.push((ids[i], (j - i) as f32));
        i = j;
    }
}

/// What the dense lexicon features are computed from.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LexicalContext {
    pub(crate) lex: LexiconScore,
    /// Label threshold of the text's language.
    pub(crate) threshold: f32,
    pub(crate) is_english: bool,
    pub(crate) has_exclamation: bool,
    pub(crate) has_question: bool,
}

/// Extract raw counts. `scratch` is reused between calls.
pub(crate) fn raw_counts(
    cfg: &FeatureConfig,
    folded: &Folded,
    ctx: &LexicalContext,
    scratch: &mut Vec<u32>,
    out: &mut RawCounts,
) {
    // Word n-grams.
    scratch.clear();
    let n = folded.len();
    let mut prev: Option<u64> = None;
    let mut prev2: Option<u64> = None;
    for i in 0..n {
        let tok = folded.token(i);
        let h = fnv1a(1, tok.as_bytes());
        scratch.push(cfg.bucket(h));
        if cfg.word_ngrams >= 2
            && let Some(p) = prev
        {
            scratch.push(cfg.bucket(fnv1a_continue(p ^ 0x2, tok.as_bytes())));
            if cfg.word_ngrams >= 3
                && let Some(p2) = prev2
            {
                scratch.push(cfg.bucket(fnv1a_continue(p2 ^ 0x3, tok.as_bytes())));
            }
        }
        prev2 = prev.map(|p| fnv1a_continue(p ^ 0x7, tok.as_bytes()));
        prev = Some(h);
    }
    count(scratch, &mut out.words);

    // Character n-grams within " word ".
    scratch.clear();
    if cfg.char_min > 0 {
        let (lo, hi) = (usize::from(cfg.char_min), usize::from(cfg.char_max));
        let mut chars: Vec<(usize, usize)> = Vec::new();
        for i in 0..n {
            let tok = folded.token(i);
            // byte ranges of each char of " tok "
            chars.clear();
            chars.push((0, 0));
            chars.extend(tok.char_indices().map(|(p, c)| (p, p + c.len_utf8())));
            chars.push((0, 0));
            let m = chars.len();
            for start in 0..m {
                let mut h = fnv1a(4, &[]);
                for (len, &(s, e)) in chars[start..m.min(start + hi)].iter().enumerate() {
                    h = if s == e {
                        fnv1a_continue(h, b" ")
                    } else {
                        fnv1a_continue(h, &tok.as_bytes()[s..e])
                    };
                    if len + 1 >= lo {
                        scratch.push(cfg.bucket(h ^ 0x55));
                    }
                }
            }
        }
    }
    count(scratch, &mut out.chars);

    let w = cfg.lexicon_weight;
    let b = |x: bool| if x { 1.0 } else { 0.0 };
    let (lex, threshold) = (&ctx.lex, ctx.threshold);
    out.dense = [
        lex.compound * w,
        lex.pos * w,
        lex.neg * w,
        b(lex.compound > threshold) * w,
        b(lex.compound < -threshold) * w,
        // Share of words with a lexicon valence: independent of length, so
        // repeating a complaint does not change it (format version 2; a raw
        // count capped at 10 made a repeated complaint look like a long,
        // friendly letter).
        (lex.hits as f32 / n.max(1) as f32).min(1.0) * w,
        b(ctx.has_exclamation) * w,
        b(ctx.has_question) * w,
        b(ctx.is_english) * w,
    ];
}

/// TF-IDF weight and L2-normalise one group in place; buckets with idf 0
/// (never seen in training) are dropped.
pub(crate) fn tfidf_normalize(group: &mut Vec<(u32, f32)>, idf: impl Fn(u32) -> f32) {
    group.retain_mut(|(b, v)| {
        let w = idf(*b);
        *v = (1.0 + v.ln()) * w;
        w > 0.0
    });
    let norm = group.iter().map(|(_, v)| v * v).sum::<f32>().sqrt();
    if norm > 0.0 {
        for (_, v) in group.iter_mut() {
            *v /= norm;
        }
    }
}
