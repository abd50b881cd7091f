//! Who a German text was written for ([`Audience`]) and how the default
//! German sentiment combines lexicon and shipped model for public posts
//! ([`GermanRule`]).

use serde::{Deserialize, Serialize};

use crate::error::TextError;
use crate::sentiment::SentimentLabel;

/// Who a German text was written for; it decides how the shipped German
/// model labels it (no effect on English texts or on a trained model set
/// with [`crate::Analyzer::with_model`]).
///
/// Feedback written *to* a company (e-mail, widget, survey, chat) is almost
/// always about its service, and a complaint often has no polar word at all
/// ("Paket seit neun Tagen unterwegs"). Public posts that merely *mention*
/// a company (social media) are mostly news, questions and chatter, and
/// their polar words are often about something else. The two need different
/// operating points (docs/TEXT_ANALYTICS.md, "Two audiences").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Audience {
    /// Written to the company: the shipped German model's most probable
    /// class; the score is its P(positive) − P(negative).
    Direct,
    /// Public posts that mention the company, or texts of unknown origin:
    /// polar only where lexicon and model agree ([`GermanRule::SHIPPED`]);
    /// the score is the lexicon compound. The default.
    #[default]
    Public,
}

impl Audience {
    /// `direct` or `public`.
    pub fn as_str(self) -> &'static str {
        match self {
            Audience::Direct => "direct",
            Audience::Public => "public",
        }
    }
}

impl std::str::FromStr for Audience {
    type Err = TextError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "direct" => Ok(Audience::Direct),
            "public" => Ok(Audience::Public),
            _ => Err(TextError::UnknownAudience(s.to_string())),
        }
    }
}

/// How the default German sentiment combines the lexicon compound `l` and
/// the shipped model's score `m` (P(positive) − P(negative)): a polar label
/// needs both to agree, otherwise neutral. [`GermanRule::SHIPPED`] was chosen
/// on the even rows of GermEval 2017 dev and is reported on the odd rows
/// (docs/TEXT_ANALYTICS.md, `examples/tune_german.rs`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct GermanRule {
    /// Negative: `l < -neg_lexicon` and `m < -neg_model`.
    pub neg_lexicon: f32,
    /// See `neg_lexicon`.
    pub neg_model: f32,
    /// Positive: `l > pos_lexicon` and `m > pos_model`.
    pub pos_lexicon: f32,
    /// See `pos_lexicon`.
    pub pos_model: f32,
    /// Texts longer than this (characters) are often reports, news and
    /// stories; a negative label there needs `l < -long_neg_lexicon` and
    /// `m < -long_neg_model`.
    pub long_text: usize,
    /// See `long_text`.
    pub long_neg_lexicon: f32,
    /// See `long_text`.
    pub long_neg_model: f32,
}

impl GermanRule {
    /// The rule of [`crate::Analyzer::default_model`]. Where settings were
    /// near-equal on the calibration rows, the one that keeps customer praise
    /// positive ("Danke für die Hilfe!" has a lexicon score of 0.44) and long
    /// complaints negative.
    pub const SHIPPED: GermanRule = GermanRule {
        neg_lexicon: 0.1,
        neg_model: 0.1,
        pos_lexicon: 0.25,
        pos_model: 0.6,
        long_text: 200,
        long_neg_lexicon: 0.2,
        long_neg_model: 0.7,
    };

    /// The label for lexicon compound `lexicon`, model score `model` and a
    /// text of `chars` characters.
    pub fn label(&self, lexicon: f32, model: f32, chars: usize) -> SentimentLabel {
        let (neg_lexicon, neg_model) = if chars > self.long_text {
            (self.long_neg_lexicon, self.long_neg_model)
        } else {
            (self.neg_lexicon, self.neg_model)
        };
        if lexicon < -neg_lexicon && model < -neg_model {
            SentimentLabel::Negative
        } else if lexicon > self.pos_lexicon && model > self.pos_model {
            SentimentLabel::Positive
        } else {
            SentimentLabel::Neutral
        }
    }
}
