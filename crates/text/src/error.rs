//! The one error type of this crate. Every message says what to fix.

use std::path::PathBuf;

/// Errors of text analytics: bad input files, bad model files, bad options.
#[derive(Debug, thiserror::Error)]
pub enum TextError {
    /// A language code other than `de` or `en`.
    #[error("unknown language `{0}`: use `de` or `en`")]
    UnknownLanguage(String),
    /// An audience other than `direct` or `public`.
    #[error("unknown audience `{0}`: use `direct` (written to the company) or `public` (posts that mention it)")]
    UnknownAudience(String),
    /// A sentiment label other than negative, neutral or positive.
    #[error("unknown sentiment `{0}`: use `negative`, `neutral` or `positive`")]
    UnknownSentiment(String),
    /// A file could not be read.
    #[error("cannot read `{path}`: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },
    /// A labelled data file is malformed; names the line (1-based) and what to fix.
    #[error("{source_name}, line {line}: {message}")]
    Data {
        /// File name or other description of the input.
        source_name: String,
        /// 1-based line number.
        line: usize,
        /// What is wrong and how to fix it.
        message: String,
    },
    /// The bytes are not a model file this version can load.
    #[error("not a usable amends text model: {0}")]
    BadModel(String),
    /// A taxonomy definition is invalid.
    #[error("invalid taxonomy: {0}")]
    Taxonomy(String),
    /// Training or evaluation options are invalid, or the data is too small for them.
    #[error("cannot train: {0}")]
    Training(String),
}
