//! The [`Analyzer`]: language, sentiment, topics and signals of one text.

use std::cell::RefCell;
use std::sync::{Arc, OnceLock};

use serde::{Deserialize, Serialize};

use crate::audience::{Audience, GermanRule};
use crate::error::TextError;
use crate::features::{FeatureConfig, LexicalContext, RawCounts, raw_counts};
use crate::lang::{CONFIDENT_MARGIN, Language, LanguageScorer, LanguageScores, choose, language_scores};
use crate::lexicon::Lexicon;
use crate::matcher::Matcher;
use crate::model::TrainedModel;
use crate::sentiment::{LexiconScore, Sentiment, SentimentLabel, score};
use crate::signals::{Signal, default_matcher};
use crate::tokenize::{Folded, Tokens};
use crate::topics::Taxonomy;

/// Everything found in one text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Analysis {
    /// Detected (or hinted) language.
    pub language: Language,
    /// Document sentiment.
    pub sentiment: Sentiment,
    /// Ids of the taxonomy topics mentioned, in taxonomy order.
    pub topics: Vec<String>,
    /// Signals found, in [`Signal::ALL`] order.
    pub signals: Vec<Signal>,
}

/// Compound score above which (below minus which) the lexicon model says
/// positive (negative), per language. English uses VADER's own 0.05.
/// German scores are means over sentences (see [`crate::sentiment`]) and the
/// German lexicon is less precise than VADER's, so German needs more
/// evidence before leaving neutral.
pub(crate) const LEXICON_THRESHOLD_EN: f32 = 0.05;
pub(crate) const LEXICON_THRESHOLD_DE: f32 = 0.25;

/// The shipped German model: logistic regression trained on amends' own
/// German feedback corpus (`resources/amends/de-feedback.tsv`, written for
/// amends, Apache-2.0) by `eval -- build-default`; see
/// [`TrainOptions::shipped_german`].
const SHIPPED_GERMAN_MODEL: &[u8] = include_bytes!("../resources/amends/de-model.bin");

/// Shipped resources: lexicons and signal keywords.
pub(crate) struct Resources {
    de: Lexicon,
    en: Lexicon,
    signals: Matcher,
    /// The shipped German model (`None` only if the embedded file were
    /// broken, which a unit test rules out).
    de_model: Option<TrainedModel>,
}

/// Per-text working state, reused between calls on one thread.
#[derive(Default)]
pub(crate) struct Prepared {
    pub(crate) tokens: Tokens,
    pub(crate) folded: Folded,
    pub(crate) language: Option<Language>,
    pub(crate) lex: LexiconScore,
    scores: Vec<f32>,
    pub(crate) sentiments: Vec<f32>,
    ids: Vec<u32>,
    /// Length of the text in characters.
    pub(crate) chars: usize,
}

pub(crate) fn threshold(lang: Language) -> f32 {
    match lang {
        Language::De => LEXICON_THRESHOLD_DE,
        Language::En => LEXICON_THRESHOLD_EN,
    }
}

impl Resources {
    fn load() -> Resources {
        Resources {
            de: Lexicon::german(),
            en: Lexicon::english(),
            // The shipped keyword lists are checked by unit tests.
            signals: default_matcher()
                .unwrap_or_else(|_| Matcher::new(0, std::iter::empty(), true).unwrap_or_else(|e| unreachable!("{e}"))),
            de_model: TrainedModel::from_bytes(SHIPPED_GERMAN_MODEL).ok(),
        }
    }

    pub(crate) fn shared() -> Arc<Resources> {
        static SHARED: OnceLock<Arc<Resources>> = OnceLock::new();
        SHARED.get_or_init(|| Arc::new(Resources::load())).clone()
    }

    fn lexicon(&self, lang: Language) -> &Lexicon {
        match lang {
            Language::De => &self.de,
            Language::En => &self.en,
        }
    }

    /// Tokenise, detect the language and score with the lexicon.
    pub(crate) fn prepare(&self, text: &str, hint: Option<Language>, p: &mut Prepared) {
        p.tokens.fill(text);
        let mut scorer = LanguageScorer::default();
        for i in 0..p.tokens.len() {
            scorer.add(p.tokens.word(i));
        }
        let scores = scorer.scores();
        let lang = if hint.is_none() && scores.margin() < CONFIDENT_MARGIN {
            // Few function words to tell ("Yay! 300 followers", "DAMN
            // country BASTARDS!!!"): the words each sentiment lexicon knows
            // count as evidence too, as scoring a text in the other
            // language finds no sentiment at all.
            let with_lexicon = LanguageScores {
                de: scores.de + self.de.coverage(&p.tokens) as f32,
                en: scores.en + self.en.coverage(&p.tokens) as f32,
            };
            choose(with_lexicon, None)
        } else {
            choose(scores, hint)
        };
        p.language = Some(lang);
        if lang == Language::En {
            p.tokens.keep_short_tokens_whole();
        }
        p.lex = score(self.lexicon(lang), &p.tokens, &mut p.scores, &mut p.sentiments);
        p.folded.fill(text);
        p.chars = text.chars().count();
    }

    /// The shipped German model, if it loaded.
    pub(crate) fn shipped_german_model(&self) -> Option<&TrainedModel> {
        self.de_model.as_ref()
    }
}

impl Prepared {
    pub(crate) fn lang(&self) -> Language {
        self.language.unwrap_or(Language::De)
    }

    pub(crate) fn raw_counts(&mut self, _res: &Resources, cfg: &FeatureConfig, out: &mut RawCounts) {
        let lang = self.lang();
        let ctx = LexicalContext {
            lex: self.lex,
            threshold: threshold(lang),
            is_english: lang == Language::En,
            has_exclamation: self.tokens.exclamations > 0,
            has_question: self.tokens.questions > 0,
        };
        raw_counts(cfg, &self.folded, &ctx, &mut self.ids, out);
    }
}

struct CompiledTaxonomy {
    taxonomy: Taxonomy,
    matcher: Matcher,
}

/// Analyses feedback texts. Cheap to clone and share (`Send + Sync`).
#[derive(Clone)]
pub struct Analyzer {
    res: Arc<Resources>,
    topics: Arc<CompiledTaxonomy>,
    model: Option<Arc<TrainedModel>>,
    audience: Audience,
}

impl std::fmt::Debug for Analyzer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Analyzer")
            .field("topics", &self.topics.taxonomy.topics.len())
            .field("model", &self.model.as_ref().map(|m| m.header().trained_rows))
            .field("audience", &self.audience)
            .finish_non_exhaustive()
    }
}

struct Scratch {
    prepared: Prepared,
    raw: RawCounts,
    labels: Vec<u16>,
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch {
        prepared: Prepared::default(),
        raw: RawCounts::default(),
        labels: Vec::new(),
    });
}

fn default_topics() -> Arc<CompiledTaxonomy> {
    static TOPICS: OnceLock<Arc<CompiledTaxonomy>> = OnceLock::new();
    TOPICS
        .get_or_init(|| {
            let taxonomy = Taxonomy::default();
            let matcher = taxonomy
                .compile()
                .unwrap_or_else(|_| Matcher::new(0, std::iter::empty(), false).unwrap_or_else(|e| unreachable!("{e}")));
            Arc::new(CompiledTaxonomy { taxonomy, matcher })
        })
        .clone()
}

impl Analyzer {
    /// The shipped model: lexicon-based sentiment from openly licensed
    /// resources (VADER, German Polarity Lexicon, amends' own word lists),
    /// for German combined with the shipped German model trained on amends'
    /// own corpus (a polar label needs both to agree); the default taxonomy
    /// and signal keywords. Loading is done once per process; later calls
    /// are cheap.
    pub fn default_model() -> Analyzer {
        Analyzer {
            res: Resources::shared(),
            topics: default_topics(),
            model: None,
            audience: Audience::default(),
        }
    }

    /// The default analyzer with sentiment from a trained model file
    /// (written by [`TrainedModel::to_bytes`]).
    pub fn from_model_bytes(bytes: &[u8]) -> Result<Analyzer, TextError> {
        Ok(Analyzer::default_model().with_model(TrainedModel::from_bytes(bytes)?))
    }

    /// Load a trained model file from disk.
    pub fn from_model_file(path: &std::path::Path) -> Result<Analyzer, TextError> {
        let bytes = std::fs::read(path).map_err(|source| TextError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Analyzer::from_model_bytes(&bytes)
    }

    /// Use a trained model for sentiment.
    pub fn with_model(mut self, model: TrainedModel) -> Analyzer {
        self.model = Some(Arc::new(model));
        self
    }

    /// Label German texts for this audience (see [`Audience`]). Cheap: clone
    /// a shared analyzer and set the audience per text.
    pub fn with_audience(mut self, audience: Audience) -> Analyzer {
        self.audience = audience;
        self
    }

    /// The audience German texts are labelled for.
    pub fn audience(&self) -> Audience {
        self.audience
    }

    /// Use another taxonomy for topics.
    pub fn with_taxonomy(mut self, taxonomy: Taxonomy) -> Result<Analyzer, TextError> {
        let matcher = taxonomy.compile()?;
        self.topics = Arc::new(CompiledTaxonomy { taxonomy, matcher });
        Ok(self)
    }

    /// The taxonomy in use.
    pub fn taxonomy(&self) -> &Taxonomy {
        &self.topics.taxonomy
    }

    /// The trained model in use, if any.
    pub fn model(&self) -> Option<&TrainedModel> {
        self.model.as_deref()
    }

    pub(crate) fn resources(&self) -> &Resources {
        &self.res
    }

    /// Analyse one text. `language_hint` is used when detection is not
    /// confident (short or empty texts); never panics.
    pub fn analyze(&self, text: &str, language_hint: Option<Language>) -> Analysis {
        SCRATCH.with(|cell| match cell.try_borrow_mut() {
            Ok(mut s) => self.analyze_with(text, language_hint, &mut s),
            Err(_) => self.analyze_with(
                text,
                language_hint,
                &mut Scratch {
                    prepared: Prepared::default(),
                    raw: RawCounts::default(),
                    labels: Vec::new(),
                },
            ),
        })
    }

    fn analyze_with(&self, text: &str, hint: Option<Language>, s: &mut Scratch) -> Analysis {
        let Scratch { prepared, raw, labels } = s;
        self.res.prepare(text, hint, prepared);
        let language = prepared.lang();
        let sentiment = self.sentiment_of(prepared, raw);
        self.topics.matcher.find(&prepared.folded, Some(language), labels);
        let topics = labels
            .iter()
            .filter_map(|&i| self.topics.taxonomy.topics.get(usize::from(i)))
            .map(|t| t.id.clone())
            .collect();
        self.res.signals.find(&prepared.folded, None, labels);
        let signals = labels
            .iter()
            .filter_map(|&i| Signal::ALL.get(usize::from(i)).copied())
            .collect::<Vec<Signal>>();
        // A customer who threatens to leave or to sue is not satisfied,
        // whatever the polite words around it ("I will contact my lawyer").
        let sentiment = if signals
            .iter()
            .any(|s| matches!(s, Signal::ChurnIntent | Signal::LegalThreat))
            && sentiment.label != SentimentLabel::Negative
        {
            Sentiment {
                label: SentimentLabel::Negative,
                score: sentiment.score.min(-0.3),
            }
        } else {
            sentiment
        };
        Analysis {
            language,
            sentiment,
            topics,
            signals,
        }
    }

    fn sentiment_of(&self, prepared: &mut Prepared, raw: &mut RawCounts) -> Sentiment {
        match &self.model {
            Some(model) => {
                prepared.raw_counts(&self.res, &model.header().features, raw);
                model_sentiment(&model.predict(raw))
            }
            None => {
                let c = prepared.lex.compound;
                match (prepared.lang(), &self.res.de_model) {
                    (Language::De, Some(model)) => {
                        prepared.raw_counts(&self.res, &model.header().features, raw);
                        let p = model.predict(raw);
                        match self.audience {
                            Audience::Public => Sentiment {
                                label: GermanRule::SHIPPED.label(c, p[2] - p[0], prepared.chars),
                                score: c,
                            },
                            Audience::Direct => model_sentiment(&p),
                        }
                    }
                    (lang, _) => Sentiment {
                        label: SentimentLabel::from_score(c, threshold(lang)),
                        score: c,
                    },
                }
            }
        }
    }

    /// The shipped German model that [`Analyzer::default_model`] combines
    /// with the lexicon for German texts (not used when a trained model is
    /// set with [`Analyzer::with_model`]).
    pub fn shipped_german_model(&self) -> Option<&TrainedModel> {
        self.res.shipped_german_model()
    }

    /// Sentiment only (skips topics and signals).
    pub fn sentiment(&self, text: &str, language_hint: Option<Language>) -> Sentiment {
        SCRATCH.with(|cell| match cell.try_borrow_mut() {
            Ok(mut s) => {
                let Scratch { prepared, raw, .. } = &mut *s;
                self.res.prepare(text, language_hint, prepared);
                self.sentiment_of(prepared, raw)
            }
            Err(_) => self.analyze(text, language_hint).sentiment,
        })
    }

    /// Why the lexicon scored a text as it did: every word with a non-zero
    /// valence after negation, boosters and contrast, in text order.
    pub fn explain(&self, text: &str, language_hint: Option<Language>) -> Vec<(String, f32)> {
        let mut p = Prepared::default();
        self.res.prepare(text, language_hint, &mut p);
        (0..p.tokens.len())
            .filter(|&i| p.sentiments.get(i).is_some_and(|v| *v != 0.0))
            .map(|i| (p.tokens.word(i).to_owned(), p.sentiments[i]))
            .collect()
    }

    /// Detect the language of `text`; German when undecidable.
    pub fn detect_language(&self, text: &str) -> Language {
        choose(language_scores(text), None)
    }

    /// Evidence for each language (for callers that want a confidence).
    pub fn language_scores(&self, text: &str) -> LanguageScores {
        language_scores(text)
    }
}

/// A model's sentiment from its class probabilities (negative, neutral,
/// positive): the most probable class, scored P(positive) − P(negative).
fn model_sentiment(p: &[f32; 3]) -> Sentiment {
    let best = (0..3).max_by(|&a, &b| p[a].total_cmp(&p[b])).unwrap_or(1);
    Sentiment {
        label: SentimentLabel::from_index(best),
        score: (p[2] - p[0]).clamp(-1.0, 1.0),
    }
}
