//! The company's own sentiment model: trained from the corrections, any
//! labelled CSV rows and the weak labels of rated feedback
//! ([`crate::corrections::training_set`]), tested against the shipped model
//! on the held-out corrections, stored as a version, switched on and off
//! by an admin. Every instance follows the active version ([`sync`]).
//! Figures: `docs/ANALYTICS.md`, "Corrections".

use crate::corrections::{TrainingSet, accuracy, training_set};
use crate::jobs::{Failure, Task};
use crate::{App, AppError, AppResult};
use amends_domain::UserId;
use amends_store::{JobEffects, NewTextModel, Store, StoreError, TextModelRow};
use amends_text::{Analyzer, Audience, LabeledRow, SentimentLabel, TrainOptions, TrainedModel};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The most versions the list shows.
pub const LIST_MAX: i64 = 100;

/// One class's figures on the held-out corrections.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ClassFigures {
    /// `negative`, `neutral` or `positive`.
    pub label: String,
    /// Held-out corrections with this label.
    pub n: usize,
    /// Share of them the shipped model labels right; none without any.
    pub shipped_recall: Option<f64>,
    /// Share of them the new model labels right; none without any.
    pub new_recall: Option<f64>,
}

/// The accuracy of the shipped and the new model on the held-out corrections.
#[derive(Debug, Clone, PartialEq)]
pub struct Figures {
    pub shipped_accuracy: Option<f64>,
    pub new_accuracy: Option<f64>,
    pub per_class: Vec<ClassFigures>,
}

/// A trained model version with its figures.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct TextModel {
    pub version: i64,
    pub trained_at: DateTime<Utc>,
    /// Who trained it; none for `amends text train --save`.
    pub trained_by: Option<Uuid>,
    pub trained_by_name: Option<String>,
    /// Rows trained on: corrections outside the held-out part, CSV rows and weak labels.
    pub n_train: i64,
    pub n_corrections: i64,
    pub n_csv: i64,
    pub n_weak: i64,
    /// Held-out corrections both models were tested on.
    pub n_held_out: i64,
    /// Accuracy of the shipped model on the held-out corrections (0–1); none without any.
    pub shipped_accuracy: Option<f64>,
    /// Accuracy of this model on the held-out corrections (0–1); none without any.
    pub new_accuracy: Option<f64>,
    pub per_class: Vec<ClassFigures>,
    /// Whether it beats the shipped model on the held-out corrections
    /// (strictly higher accuracy); none without held-out corrections.
    pub better: Option<bool>,
    /// The analyser uses it for new feedback.
    pub active: bool,
}

impl TextModel {
    fn from_row(r: TextModelRow) -> Self {
        let better = match (r.shipped_accuracy, r.new_accuracy) {
            (Some(s), Some(n)) => Some(n > s),
            _ => None,
        };
        TextModel {
            version: r.version,
            trained_at: r.trained_at,
            trained_by: r.trained_by,
            trained_by_name: r.trained_by_name,
            n_train: r.n_train,
            n_corrections: r.n_corrections,
            n_csv: r.n_csv,
            n_weak: r.n_weak,
            n_held_out: r.n_held_out,
            shipped_accuracy: r.shipped_accuracy,
            new_accuracy: r.new_accuracy,
            per_class: serde_json::from_str(&r.per_class).unwrap_or_default(),
            better,
            active: r.active,
        }
    }
}

/// The training set from the database: corrections, `csv` rows and the
/// weak labels of rated feedback.
pub async fn load_set(store: &Store, csv: Vec<LabeledRow>) -> AppResult<TrainingSet> {
    Ok(training_set(
        &store.list_corrections().await?,
        &store.rated_feedback().await?,
        csv,
    ))
}

/// Trains a model on `set.train` and compares it with the shipped model
/// on `set.held_out`. CPU work: call it off the async threads.
pub fn train_on(set: &TrainingSet, opts: &TrainOptions) -> AppResult<(TrainedModel, Figures)> {
    let model = amends_text::train(&set.train, opts).map_err(|e| AppError::validation("corrections", e.to_string()))?;
    let shipped = Analyzer::default_model().with_audience(Audience::Direct);
    let new = Analyzer::default_model().with_model(model.clone());
    let figures = compare(&set.held_out, &shipped, &new);
    Ok((model, figures))
}

/// Accuracy and per-class recall of `shipped` and `new` on `rows`.
#[must_use]
pub fn compare(rows: &[LabeledRow], shipped: &Analyzer, new: &Analyzer) -> Figures {
    let label = |a: &Analyzer, r: &LabeledRow| a.sentiment(&r.text, r.language).label;
    let per_class = SentimentLabel::ALL
        .iter()
        .map(|class| {
            let of: Vec<LabeledRow> = rows.iter().filter(|r| r.sentiment == *class).cloned().collect();
            ClassFigures {
                label: class.as_str().to_owned(),
                n: of.len(),
                shipped_recall: accuracy(&of, |r| label(shipped, r)),
                new_recall: accuracy(&of, |r| label(new, r)),
            }
        })
        .collect();
    Figures {
        shipped_accuracy: accuracy(rows, |r| label(shipped, r)),
        new_accuracy: accuracy(rows, |r| label(new, r)),
        per_class,
    }
}

/// Stores a trained model as the next (inactive) version; its number.
pub async fn save(
    store: &Store,
    model: &TrainedModel,
    set: &TrainingSet,
    figures: &Figures,
    trained_by: Option<UserId>,
    now: DateTime<Utc>,
) -> AppResult<i64> {
    let n = |x: usize| i64::try_from(x).unwrap_or(i64::MAX);
    Ok(store
        .insert_text_model(&NewTextModel {
            model: model.to_bytes(),
            trained_at: now,
            trained_by,
            n_train: n(set.train.len()),
            n_corrections: n(set.n_corrections),
            n_csv: n(set.n_csv),
            n_weak: n(set.n_weak),
            n_held_out: n(set.held_out.len()),
            shipped_accuracy: figures.shipped_accuracy,
            new_accuracy: figures.new_accuracy,
            per_class: serde_json::to_string(&figures.per_class).map_err(AppError::internal)?,
        })
        .await?)
}

/// Trains on the database's training set and stores the version; its number.
pub async fn train(state: &App, trained_by: Option<UserId>) -> AppResult<i64> {
    let set = load_set(state.store(), Vec::new()).await?;
    let (model, figures, set) =
        tokio::task::spawn_blocking(move || train_on(&set, &TrainOptions::default()).map(|(m, f)| (m, f, set)))
            .await
            .map_err(AppError::internal)??;
    let version = save(state.store(), &model, &set, &figures, trained_by, state.now()).await?;
    tracing::info!(version, n_train = set.train.len(), new = ?figures.new_accuracy, shipped = ?figures.shipped_accuracy, "text model trained");
    Ok(version)
}

/// The `text_train` job.
pub async fn train_job(state: &App, trained_by: Option<UserId>) -> Result<JobEffects, Failure> {
    match train(state, trained_by).await {
        Ok(_) => Ok(JobEffects::default()),
        Err(e @ AppError::Validation { .. }) => Err(Failure {
            error: e.to_string(),
            permanent: true,
            fx: JobEffects::default(),
        }),
        Err(e) => Err(Failure::new(e.to_string())),
    }
}

/// A queued training.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Scheduled {
    /// The training job (the one queued already, if another request was first).
    pub job_id: Option<Uuid>,
    /// False if a training of the same data was queued already.
    pub queued: bool,
}

/// At most this many failed trainings after one version are skipped over
/// when a new request looks for its job's key (see [`schedule`]).
const MAX_FAILED_TRAININGS: u32 = 1000;

/// Queues a training by `actor`. The job's dedupe key names the newest
/// version and how many trainings after it failed for good
/// (`text-train:after-N`, then `…:retry-1`, `…:retry-2`), so requests at
/// once (on any instance) queue one training, the next one is possible
/// once it stored its version, and a training that failed does not block
/// the next request. 422 when there is nothing to train on.
pub async fn schedule(state: &App, actor: UserId) -> AppResult<Scheduled> {
    let set = load_set(state.store(), Vec::new()).await?;
    trainable(&set.train)?;
    let latest = state.store().latest_text_model_version().await?.unwrap_or(0);
    let key = training_key(state, latest).await?;
    let now = state.now();
    let job = Task::TextTrain {
        trained_by: Some(actor),
    }
    .job(state, now, Some(key.clone()), None);
    let id = state.store().enqueue_job(&job, now).await?;
    state.wake_workers();
    Ok(match id {
        Some(id) => Scheduled {
            job_id: Some(id),
            queued: true,
        },
        None => Scheduled {
            job_id: state.store().job_id_by_dedupe_key(&key).await?,
            queued: false,
        },
    })
}

/// The dedupe key of the next training after version `latest`: the first of
/// `text-train:after-N`, `…:retry-1`, … whose job is not dead (a dead job
/// failed for good; one an admin retries is queued again and keeps its key).
async fn training_key(state: &App, latest: i64) -> AppResult<String> {
    let base = format!("text-train:after-{latest}");
    for failed in 0..MAX_FAILED_TRAININGS {
        let key = if failed == 0 {
            base.clone()
        } else {
            format!("{base}:retry-{failed}")
        };
        if state.store().job_state_by_dedupe_key(&key).await?.as_deref() != Some("dead") {
            return Ok(key);
        }
    }
    Err(AppError::validation(
        "corrections",
        format!("{MAX_FAILED_TRAININGS} trainings failed since version {latest}; see the job list for why"),
    ))
}

/// 422 unless `rows` has at least 3 rows of at least two classes.
fn trainable(rows: &[LabeledRow]) -> AppResult<()> {
    let classes = SentimentLabel::ALL
        .iter()
        .filter(|c| rows.iter().any(|r| r.sentiment == **c))
        .count();
    if rows.len() < 3 || classes < 2 {
        return Err(AppError::validation(
            "corrections",
            format!(
                "nothing to train on yet: need at least 3 labelled rows of two sentiments, got {} row(s) of {classes}",
                rows.len()
            ),
        ));
    }
    Ok(())
}

/// The versions, newest first.
pub async fn list(state: &App) -> AppResult<Vec<TextModel>> {
    Ok(state
        .store()
        .list_text_models(LIST_MAX)
        .await?
        .into_iter()
        .map(TextModel::from_row)
        .collect())
}

/// One version.
pub async fn get(state: &App, version: i64) -> AppResult<TextModel> {
    Ok(TextModel::from_row(state.store().get_text_model(version).await?))
}

/// Switches version `version` on (`None`: back to the shipped model) with
/// its audit entry, and uses it at once on this instance.
pub async fn activate(state: &App, version: Option<i64>, actor: UserId) -> AppResult<()> {
    if let Some(v) = version {
        // A file that does not load is refused before it is switched on.
        load(state.store(), v).await?;
    }
    state
        .store()
        .set_active_text_model(version, Some(actor), state.now())
        .await
        .map_err(|e| match e {
            StoreError::NotFound(_) => AppError::NotFound("text model".into()),
            e => e.into(),
        })?;
    sync(state).await
}

async fn load(store: &Store, version: i64) -> AppResult<TrainedModel> {
    let bytes = store.text_model_bytes(version).await.map_err(|e| match e {
        StoreError::NotFound(_) => AppError::NotFound("text model".into()),
        e => e.into(),
    })?;
    TrainedModel::from_bytes(&bytes).map_err(|e| AppError::Internal(format!("text model {version} unreadable: {e}")))
}

/// Makes the analyser use the active version if it does not already
/// (an index read when nothing changed). Called at start, after a switch
/// and by the workers every few seconds, so every instance follows.
pub async fn sync(state: &App) -> AppResult<()> {
    let active = state.store().active_text_model_version().await?;
    if active == state.text_model_version() {
        return Ok(());
    }
    match active {
        Some(v) => {
            let model = load(state.store(), v).await?;
            state.use_text_model(Some((v, model)));
        }
        None => state.use_text_model(None),
    }
    tracing::info!(version = ?active, "text model in use");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use amends_text::SentimentLabel as L;

    fn row(text: &str, sentiment: L) -> LabeledRow {
        LabeledRow {
            text: text.into(),
            sentiment,
            language: Some(amends_text::Language::En),
        }
    }

    #[test]
    fn trainable_needs_three_rows_of_two_classes() {
        assert!(trainable(&[row("a", L::Negative), row("b", L::Positive)]).is_err());
        assert!(trainable(&[row("a", L::Negative), row("b", L::Negative), row("c", L::Negative)]).is_err());
        assert!(trainable(&[row("a", L::Negative), row("b", L::Negative), row("c", L::Positive)]).is_ok());
    }

    #[test]
    fn compare_counts_accuracy_and_recall_per_class() {
        let shipped = Analyzer::default_model().with_audience(Audience::Direct);
        let rows = vec![
            row("This is terrible, awful and broken.", L::Negative),
            row("Great, wonderful, thank you so much!", L::Positive),
            row("Great, wonderful, thank you so much!", L::Negative),
        ];
        let f = compare(&rows, &shipped, &shipped);
        assert_eq!(f.shipped_accuracy, Some(2.0 / 3.0));
        assert_eq!(f.new_accuracy, f.shipped_accuracy);
        let neg = &f.per_class[0];
        assert_eq!(
            (neg.label.as_str(), neg.n, neg.shipped_recall),
            ("negative", 2, Some(0.5))
        );
        let neutral = &f.per_class[1];
        assert_eq!((neutral.n, neutral.shipped_recall), (0, None));
        assert_eq!(f.per_class[2].shipped_recall, Some(1.0));
    }

    #[test]
    fn better_only_when_strictly_more_accurate() {
        let r = |shipped, new| TextModelRow {
            version: 1,
            trained_at: chrono::DateTime::<Utc>::from_timestamp(0, 0).expect("time"),
            trained_by: None,
            trained_by_name: None,
            n_train: 3,
            n_corrections: 0,
            n_csv: 0,
            n_weak: 3,
            n_held_out: 0,
            shipped_accuracy: shipped,
            new_accuracy: new,
            per_class: "[]".into(),
            active: false,
        };
        assert_eq!(TextModel::from_row(r(Some(0.5), Some(0.5))).better, Some(false));
        assert_eq!(TextModel::from_row(r(Some(0.5), Some(0.6))).better, Some(true));
        assert_eq!(TextModel::from_row(r(None, None)).better, None);
    }
}
