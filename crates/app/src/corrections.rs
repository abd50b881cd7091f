//! Corrections of a feedback item's sentiment and topics, and how they
//! become training data: the labelled rows of the export, the weak labels of
//! rated feedback (1–2 negative, 4–5 positive), and the deterministic
//! held-out part of the corrections on which a new model is compared with
//! the shipped one. Figures: `docs/ANALYTICS.md`, "Corrections".

use crate::{App, AppError, AppResult};
use amends_domain::feedback::SentimentLabel;
use amends_domain::{FeedbackId, UserId};
use amends_store::{Correction, Cursor, NewCorrection, Page, RatedText, StoreError};
use amends_text::LabeledRow;
use uuid::Uuid;

/// The most topics a correction may name.
pub const TOPICS_MAX: usize = 20;

/// Validates and stores a correction of `feedback` by `actor` (with its
/// audit entry); the newest correction of an item wins. Returns its id.
pub async fn correct(
    state: &App,
    feedback: Uuid,
    sentiment: &str,
    topics: &[String],
    actor: UserId,
) -> AppResult<Uuid> {
    let sentiment: SentimentLabel = sentiment
        .trim()
        .parse()
        .map_err(|_| AppError::validation("sentiment", "sentiment must be negative, neutral or positive"))?;
    let topics = valid_topics(state, topics)?;
    state
        .store()
        .insert_correction(&NewCorrection {
            feedback_id: FeedbackId(feedback),
            user_id: actor,
            sentiment,
            topics,
            at: state.now(),
        })
        .await
        .map_err(|e| match e {
            StoreError::NotFound(_) => AppError::NotFound("feedback".into()),
            e => e.into(),
        })
}

/// The topics, each an id of the analyser's taxonomy, without repeats, in
/// taxonomy order.
fn valid_topics(state: &App, topics: &[String]) -> AppResult<Vec<String>> {
    if topics.len() > TOPICS_MAX {
        return Err(AppError::validation(
            "topics",
            format!("at most {TOPICS_MAX} topics, got {}", topics.len()),
        ));
    }
    let analyzer = state.analyzer();
    let taxonomy = analyzer.taxonomy();
    if let Some(bad) = topics.iter().find(|t| !taxonomy.ids().any(|id| id == t.trim())) {
        let known: Vec<&str> = taxonomy.ids().collect();
        return Err(AppError::validation(
            "topics",
            format!(
                "`{}` is not a topic; use one of {}",
                amends_domain::validate::truncate(bad, 40),
                known.join(", ")
            ),
        ));
    }
    Ok(taxonomy
        .ids()
        .filter(|id| topics.iter().any(|t| t.trim() == *id))
        .map(str::to_owned)
        .collect())
}

/// The newest correction of every corrected item, newest first.
pub async fn list(state: &App) -> AppResult<Vec<Correction>> {
    Ok(state.store().list_corrections().await?)
}

/// A page of [`list`] after `cursor`, at most `limit`.
pub async fn page(state: &App, cursor: Option<&Cursor>, limit: usize) -> AppResult<Page<Correction>> {
    Ok(state.store().page_corrections(cursor, limit).await?)
}

/// The newest correction of each corrected item with an id in `[low, high]`.
pub async fn latest_between(state: &App, low: Uuid, high: Uuid) -> AppResult<Vec<Correction>> {
    Ok(state.store().latest_corrections_between(low, high).await?)
}

/// The newest correction of one item, if any.
pub async fn latest(state: &App, feedback: Uuid) -> AppResult<Option<Correction>> {
    Ok(state.store().latest_correction(FeedbackId(feedback)).await?)
}

/// The corrections as a `text,sentiment,language` CSV that
/// `amends text train --data` reads.
pub fn to_csv(corrections: &[Correction]) -> AppResult<String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(["text", "sentiment", "language"])
        .map_err(AppError::internal)?;
    for c in corrections {
        w.write_record([c.text.as_str(), c.sentiment.as_str(), c.language.as_str()])
            .map_err(AppError::internal)?;
    }
    let bytes = w.into_inner().map_err(AppError::internal)?;
    String::from_utf8(bytes).map_err(AppError::internal)
}

/// A correction as a labelled row (`None` for a row with an unknown label).
#[must_use]
pub fn labelled(c: &Correction) -> Option<LabeledRow> {
    Some(LabeledRow {
        text: c.text.clone(),
        sentiment: c.sentiment.parse().ok()?,
        language: c.language.parse().ok(),
    })
}

/// Whether the correction of `feedback` belongs to the held-out quarter:
/// the top two bits of the FNV-1a hash of the id's 16 bytes are zero. Deterministic, so
/// a correction stays on its side from one training to the next.
#[must_use]
pub fn held_out(feedback: Uuid) -> bool {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in feedback.as_bytes() {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h >> 62 == 0
}

/// The weak label of a rating: 1–2 negative, 4–5 positive, 3 (and
/// anything else) none.
#[must_use]
pub fn weak_label(rating: i32) -> Option<amends_text::SentimentLabel> {
    match rating {
        1 | 2 => Some(amends_text::SentimentLabel::Negative),
        4 | 5 => Some(amends_text::SentimentLabel::Positive),
        _ => None,
    }
}

/// What a company model is trained and tested on.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TrainingSet {
    /// Corrections outside the held-out part, the labelled CSV rows and the
    /// weak labels.
    pub train: Vec<LabeledRow>,
    /// The held-out corrections.
    pub held_out: Vec<LabeledRow>,
    /// Of `train`: corrections, CSV rows, weak labels.
    pub n_corrections: usize,
    pub n_csv: usize,
    pub n_weak: usize,
}

/// Splits the corrections by [`held_out`] and adds `csv` rows and the weak
/// labels of `rated` feedback. A corrected item gives no weak label (its
/// correction is the better label, and a held-out item must not be trained on).
#[must_use]
pub fn training_set(corrections: &[Correction], rated: &[RatedText], csv: Vec<LabeledRow>) -> TrainingSet {
    let mut set = TrainingSet {
        n_csv: csv.len(),
        ..TrainingSet::default()
    };
    for c in corrections {
        if let Some(row) = labelled(c) {
            if held_out(c.feedback_id) {
                set.held_out.push(row);
            } else {
                set.train.push(row);
                set.n_corrections += 1;
            }
        }
    }
    set.train.extend(csv);
    for r in rated {
        if corrections.iter().any(|c| c.feedback_id == r.feedback_id) {
            continue;
        }
        if let Some(sentiment) = weak_label(r.rating) {
            set.train.push(LabeledRow {
                text: r.text.clone(),
                sentiment,
                language: r.language.parse().ok(),
            });
            set.n_weak += 1;
        }
    }
    set
}

/// The share of `rows` whose label `predict` gets right; `None` for no rows.
pub fn accuracy(rows: &[LabeledRow], predict: impl Fn(&LabeledRow) -> amends_text::SentimentLabel) -> Option<f64> {
    if rows.is_empty() {
        return None;
    }
    let right = rows.iter().filter(|r| predict(r) == r.sentiment).count();
    #[allow(clippy::cast_precision_loss)]
    Some(right as f64 / rows.len() as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use amends_text::SentimentLabel as L;
    use chrono::TimeZone;

    fn correction(n: u128, sentiment: &str) -> Correction {
        Correction {
            id: id(n),
            feedback_id: id(n),
            user_id: Uuid::from_u128(1),
            user_name: "Anna".into(),
            sentiment: sentiment.into(),
            topics: "[]".into(),
            created_at: chrono::Utc
                .with_ymd_and_hms(2026, 12, 1, 9, 0, 0)
                .single()
                .expect("time"),
            text: format!("text {n}"),
            language: "de".into(),
            original_sentiment: "neutral".into(),
            original_topics: "[]".into(),
        }
    }

    #[test]
    fn held_out_is_the_top_two_bits_of_the_fnv_hash() {
        // FNV-1a of 16 zero bytes: 0x88201fb960ff6465 (top bits 10: not held out).
        assert!(!held_out(Uuid::nil()));
        let picked: Vec<u128> = (1..=40).filter(|i| held_out(id(*i))).collect();
        assert_eq!(picked, KNOWN_HELD_OUT);
        // Deterministic.
        assert_eq!(held_out(Uuid::from_u128(7)), held_out(Uuid::from_u128(7)));
    }

    /// Of the ids `i × GOLDEN` (wrapping) for i in 1..=40 (computed by Python).
    const KNOWN_HELD_OUT: &[u128] = &[6, 22, 31, 34, 39];
    const GOLDEN: u128 = 0x9E37_79B9_7F4A_7C15_F39C_C060_5CED_C834;

    fn id(i: u128) -> Uuid {
        Uuid::from_u128(i.wrapping_mul(GOLDEN))
    }

    #[test]
    fn weak_labels_of_ratings() {
        let got: Vec<_> = (0..=6).map(weak_label).collect();
        assert_eq!(
            got,
            vec![
                None,
                Some(L::Negative),
                Some(L::Negative),
                None,
                Some(L::Positive),
                Some(L::Positive),
                None
            ]
        );
    }

    #[test]
    fn training_set_splits_corrections_and_skips_weak_labels_of_corrected_items() {
        let corrections: Vec<Correction> = (1..=40).map(|i| correction(i, "negative")).collect();
        let rated = vec![
            RatedText {
                feedback_id: id(1),
                text: "corrected".into(),
                language: "de".into(),
                rating: 5,
            },
            RatedText {
                feedback_id: Uuid::from_u128(100),
                text: "great".into(),
                language: "en".into(),
                rating: 5,
            },
            RatedText {
                feedback_id: Uuid::from_u128(101),
                text: "so-so".into(),
                language: "en".into(),
                rating: 3,
            },
            RatedText {
                feedback_id: Uuid::from_u128(102),
                text: "bad".into(),
                language: "en".into(),
                rating: 1,
            },
        ];
        let csv = vec![LabeledRow {
            text: "csv".into(),
            sentiment: L::Neutral,
            language: None,
        }];
        let set = training_set(&corrections, &rated, csv);
        assert_eq!(set.held_out.len(), KNOWN_HELD_OUT.len());
        assert_eq!(set.n_corrections, 40 - KNOWN_HELD_OUT.len());
        assert_eq!((set.n_csv, set.n_weak), (1, 2));
        assert_eq!(set.train.len(), 40 - KNOWN_HELD_OUT.len() + 1 + 2);
        assert!(set.train.iter().all(|r| r.text != "corrected"));
    }

    #[test]
    fn accuracy_is_the_share_predicted_right() {
        let rows = vec![
            LabeledRow {
                text: "a".into(),
                sentiment: L::Negative,
                language: None,
            },
            LabeledRow {
                text: "b".into(),
                sentiment: L::Positive,
                language: None,
            },
            LabeledRow {
                text: "c".into(),
                sentiment: L::Neutral,
                language: None,
            },
            LabeledRow {
                text: "d".into(),
                sentiment: L::Negative,
                language: None,
            },
        ];
        assert_eq!(accuracy(&rows, |_| L::Negative), Some(0.5));
        assert_eq!(accuracy(&rows, |r| r.sentiment), Some(1.0));
        assert_eq!(accuracy(&[], |_| L::Negative), None);
    }

    #[test]
    fn csv_export_quotes_and_keeps_the_columns() {
        let mut c = correction(3, "positive");
        c.text = "Gut, \"sehr\" gut".into();
        assert_eq!(
            to_csv(&[c]).expect("csv"),
            "text,sentiment,language\n\"Gut, \"\"sehr\"\" gut\",positive,de\n"
        );
    }
}
