//! Text analytics for amends: language detection (German/English), document
//! sentiment, topic tags from a configurable taxonomy, and churn/urgency/legal
//! signals; plus training and evaluation of sentiment models on a company's
//! own labelled feedback.
//!
//! No I/O happens except in the functions that say they read files
//! ([`read_labeled`], [`load_eval_sets`], [`Analyzer::from_model_file`]).
//! See `docs/TEXT_ANALYTICS.md` for method, resources, licences and results.

mod analyzer;
mod audience;
mod bench;
mod dataset;
mod error;
mod eval;
mod features;
mod hashing;
mod lang;
mod lexicon;
mod matcher;
mod model;
mod optimize;
pub mod search;
mod sentiment;
mod signals;
mod tokenize;
mod topics;
mod train;

pub use analyzer::{Analysis, Analyzer};
pub use audience::{Audience, GermanRule};
pub use bench::{BenchReport, bench, bench_corpus};
pub use dataset::{
    EvalSet, find_shared_data_dir, load_eval_sets, parse_labeled, read_labeled, read_vader_ground_truth,
};
pub use error::TextError;
pub use eval::{ClassMetrics, EvalReport, cross_validate, evaluate};
pub use features::FeatureConfig;
pub use lang::{Language, LanguageScores};
pub use model::{LabeledRow, MODEL_FORMAT_VERSION, MODEL_MAGIC, ModelHeader, TrainOptions, TrainedModel};
pub use sentiment::{Sentiment, SentimentLabel};
pub use signals::Signal;
pub use topics::{Taxonomy, Topic};

/// Train a sentiment model on labelled rows (deterministic).
///
/// Save it with [`TrainedModel::to_bytes`] and load it with
/// [`Analyzer::from_model_bytes`].
pub fn train(rows: &[LabeledRow], options: &TrainOptions) -> Result<TrainedModel, TextError> {
    let analyzer = Analyzer::default_model();
    train::train_with(analyzer.resources(), rows, options)
}
