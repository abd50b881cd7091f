//! The trainable sentiment model: multinomial logistic regression on hashed
//! TF-IDF word and character n-grams plus lexicon features, and its file
//! format.
//!
//! File format (little endian):
//! `AMTXTMOD` magic (8 bytes) · format version u32 · header length u32 ·
//! header JSON ([`ModelHeader`]) · per hash bucket 4 × f32 (idf, weight for
//! negative, neutral, positive) · per lexicon feature 3 × f32 · 3 × f32 bias ·
//! FNV-1a 64 checksum of everything before it.

use serde::{Deserialize, Serialize};

use crate::error::TextError;
use crate::features::{FeatureConfig, N_LEXICON_FEATURES, RawCounts, tfidf_normalize};
use crate::hashing::fnv1a;
use crate::lang::Language;
use crate::sentiment::SentimentLabel;

/// First bytes of every model file.
pub const MODEL_MAGIC: &[u8; 8] = b"AMTXTMOD";
/// The format version this crate writes and reads. Version 2: the lexicon
/// hit feature is a share of the words, not a count (files of version 1
/// must be retrained).
pub const MODEL_FORMAT_VERSION: u32 = 2;

/// One labelled document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LabeledRow {
    /// The feedback text.
    pub text: String,
    /// Gold sentiment.
    pub sentiment: SentimentLabel,
    /// Language if known (else detected).
    #[serde(default)]
    pub language: Option<Language>,
}

/// Options for [`crate::train`] and [`crate::cross_validate`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainOptions {
    /// Feature extraction.
    pub features: FeatureConfig,
    /// Inverse regularisation strength (larger = less regularisation).
    pub c: f64,
    /// Most L-BFGS iterations.
    pub max_iter: usize,
    /// Seed for everything random (the fold assignment of cross-validation;
    /// training itself is deterministic).
    pub seed: u64,
    /// Language of rows that do not name one and whose language cannot be
    /// detected.
    pub default_language: Option<Language>,
}

impl Default for TrainOptions {
    fn default() -> Self {
        TrainOptions {
            features: FeatureConfig::default(),
            c: 10.0,
            max_iter: 300,
            seed: 42,
            default_language: None,
        }
    }
}

impl TrainOptions {
    /// How the shipped German model (`resources/amends/de-model.bin`) is
    /// trained from `resources/amends/de-feedback.tsv`: 2^16 buckets (a
    /// 1 MB file), C = 3, otherwise the defaults (chosen by leave-one-author-out
    /// on the hand-written part of the corpus, docs/TEXT_ANALYTICS.md).
    pub fn shipped_german() -> TrainOptions {
        let mut o = TrainOptions {
            c: 3.0,
            default_language: Some(Language::De),
            ..TrainOptions::default()
        };
        o.features.hash_bits = 16;
        o
    }
}

/// Metadata stored in the model file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelHeader {
    /// Feature extraction used in training (and so at prediction time).
    pub features: FeatureConfig,
    /// Number of dense lexicon features.
    pub dense_features: usize,
    /// Rows the model was trained on.
    pub trained_rows: usize,
    /// Training rows per class (negative, neutral, positive).
    pub class_counts: [usize; 3],
    /// Regularisation used.
    pub c: f64,
    /// L-BFGS iterations run.
    pub iterations: usize,
    /// Crate and version that wrote the file.
    pub created_by: String,
}

/// A trained sentiment model. Load with [`TrainedModel::from_bytes`], save
/// with [`TrainedModel::to_bytes`], use via [`crate::Analyzer::with_model`].
#[derive(Clone)]
pub struct TrainedModel {
    pub(crate) header: ModelHeader,
    /// Per bucket: idf, then weights for the 3 classes.
    pub(crate) table: Vec<[f32; 4]>,
    pub(crate) dense: Vec<[f32; 3]>,
    pub(crate) bias: [f32; 3],
}

impl std::fmt::Debug for TrainedModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TrainedModel")
            .field("header", &self.header)
            .finish_non_exhaustive()
    }
}

impl TrainedModel {
    /// Metadata.
    pub fn header(&self) -> &ModelHeader {
        &self.header
    }

    /// Serialise to the versioned model file format.
    pub fn to_bytes(&self) -> Vec<u8> {
        let header = serde_json::to_vec(&self.header).unwrap_or_default();
        let mut out = Vec::with_capacity(24 + header.len() + self.table.len() * 16 + self.dense.len() * 12 + 12);
        out.extend_from_slice(MODEL_MAGIC);
        out.extend_from_slice(&MODEL_FORMAT_VERSION.to_le_bytes());
        out.extend_from_slice(&(header.len() as u32).to_le_bytes());
        out.extend_from_slice(&header);
        for row in &self.table {
            for v in row {
                out.extend_from_slice(&v.to_le_bytes());
            }
        }
        for row in &self.dense {
            for v in row {
                out.extend_from_slice(&v.to_le_bytes());
            }
        }
        for v in &self.bias {
            out.extend_from_slice(&v.to_le_bytes());
        }
        let sum = fnv1a(0, &out);
        out.extend_from_slice(&sum.to_le_bytes());
        out
    }

    /// Load a model file; errors say what is wrong with the file.
    pub fn from_bytes(bytes: &[u8]) -> Result<TrainedModel, TextError> {
        let bad = |m: &str| TextError::BadModel(m.to_owned());
        if bytes.len() < 8 || &bytes[..8] != MODEL_MAGIC {
            return Err(bad(
                "the file does not start with `AMTXTMOD`; pass a model written by `amends text train` (or `TrainedModel::to_bytes`)",
            ));
        }
        if bytes.len() < 24 {
            return Err(bad("the file is truncated; copy it again or retrain"));
        }
        let version = u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]);
        if version != MODEL_FORMAT_VERSION {
            return Err(TextError::BadModel(format!(
                "model format version {version} is not supported (this build reads version {MODEL_FORMAT_VERSION}); retrain the model with this version"
            )));
        }
        let (body, sum) = bytes.split_at(bytes.len() - 8);
        let mut sb = [0u8; 8];
        sb.copy_from_slice(sum);
        if fnv1a(0, body) != u64::from_le_bytes(sb) {
            return Err(bad(
                "checksum mismatch: the file is damaged or truncated; copy it again or retrain",
            ));
        }
        let hlen = u32::from_le_bytes([bytes[12], bytes[13], bytes[14], bytes[15]]) as usize;
        let rest = &body[16..];
        if hlen > rest.len() {
            return Err(bad("header length exceeds the file; the file is damaged"));
        }
        let header: ModelHeader = serde_json::from_slice(&rest[..hlen])
            .map_err(|e| TextError::BadModel(format!("unreadable header: {e}")))?;
        header.features.check().map_err(TextError::BadModel)?;
        if header.dense_features != N_LEXICON_FEATURES {
            return Err(TextError::BadModel(format!(
                "model has {} lexicon features, this build uses {N_LEXICON_FEATURES}; retrain the model",
                header.dense_features
            )));
        }
        let n_buckets = header.features.n_buckets();
        let floats = &rest[hlen..];
        let want = (n_buckets * 4 + header.dense_features * 3 + 3) * 4;
        if floats.len() != want {
            return Err(TextError::BadModel(format!(
                "expected {want} bytes of weights, found {}; the file is damaged",
                floats.len()
            )));
        }
        let mut it = floats
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]));
        let mut next = || it.next().unwrap_or(0.0);
        let table = (0..n_buckets).map(|_| [next(), next(), next(), next()]).collect();
        let dense = (0..header.dense_features).map(|_| [next(), next(), next()]).collect();
        let bias = [next(), next(), next()];
        Ok(TrainedModel {
            header,
            table,
            dense,
            bias,
        })
    }

    /// Class probabilities (negative, neutral, positive) of a prepared text.
    pub(crate) fn predict(&self, raw: &mut RawCounts) -> [f32; 3] {
        let table = &self.table;
        let idf = |b: u32| table.get(b as usize).map_or(0.0, |r| r[0]);
        let mut z = self.bias;
        for group in [&mut raw.words, &mut raw.chars] {
            tfidf_normalize(group, idf);
            for &(b, v) in group.iter() {
                let r = &self.table[b as usize];
                z[0] += r[1] * v;
                z[1] += r[2] * v;
                z[2] += r[3] * v;
            }
        }
        for (w, &v) in self.dense.iter().zip(&raw.dense) {
            z[0] += w[0] * v;
            z[1] += w[1] * v;
            z[2] += w[2] * v;
        }
        softmax(z)
    }
}

fn softmax(z: [f32; 3]) -> [f32; 3] {
    let m = z[0].max(z[1]).max(z[2]);
    let e = [(z[0] - m).exp(), (z[1] - m).exp(), (z[2] - m).exp()];
    let s = e[0] + e[1] + e[2];
    [e[0] / s, e[1] / s, e[2] / s]
}
