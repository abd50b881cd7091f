//! Churn risk: a logistic regression (`amends_stats::fit_logistic`) on each
//! customer's history, trained by the `churn_train` job and versioned in the
//! store; the open cases ranked by churn risk × customer value.
//!
//! Rows: one per customer and cut-off, the cut-offs at `now - k·30 days`
//! (k = 1 … [`SNAPSHOTS`]), for customers who joined before the cut-off and
//! had not left by then. Features use only what happened before the cut-off;
//! the label is whether the customer left within [`HORIZON_DAYS`] after it.
//! A customer is held out (for the AUC and the calibration table) when a
//! hash of their id puts them in the [`TEST_PERCENT`] share — all their
//! rows on the same side.

use crate::App;
use crate::error::{AppError, AppResult};
use crate::jobs::Failure;
use amends_domain::CaseId;
use amends_stats::{LogisticModel, calibration, fit_logistic, roc_auc};
use amends_store::{ChurnCase, ChurnFacts, ChurnModelRow, ChurnPoint, JobEffects, NewChurnModel};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use uuid::Uuid;

/// The label: the customer leaves within this many days after the cut-off.
pub const HORIZON_DAYS: i64 = 30;
/// Cut-offs per customer (every [`HORIZON_DAYS`] back from now).
pub const SNAPSHOTS: i64 = 12;
/// The share of customers held out, in percent.
pub const TEST_PERCENT: u64 = 25;
/// The L2 penalty of the fit (scikit-learn's `C = 1/α`).
pub const ALPHA: f64 = 1.0;
/// Calibration bins (deciles of the predicted risk).
pub const BINS: usize = 10;
/// Fewer training rows than this, or no churner among them: no model.
pub const MIN_ROWS: usize = 20;

/// A feature of a customer at a cut-off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Feature {
    /// Cases (failures) before the cut-off.
    Failures,
    /// 1 if a case was flagged as a repeated failure.
    RepeatFailure,
    /// Mean feedback sentiment (−1 … 1; 0 without feedback).
    SentimentMean,
    /// The latest feedback sentiment (0 without feedback).
    SentimentLast,
    /// The latest sentiment minus the mean of the earlier ones (0 with fewer than two).
    SentimentTrend,
    /// Median hours to the first response over the responded cases.
    WaitHours,
    /// Goodwill granted, in currency units.
    Goodwill,
    /// 1 for premium customers.
    Premium,
    /// 1 for enterprise customers.
    Enterprise,
    /// Days since the customer joined.
    TenureDays,
    /// Mean survey score (1–5; 3 without answers).
    SurveyMean,
    /// 1 if a survey was answered with 1 or 2.
    LowSurvey,
    /// Cases open at the cut-off.
    OpenCases,
    /// Days since the latest failure (the tenure without one).
    DaysSinceFailure,
}

/// The features in model order.
pub const FEATURES: [Feature; 14] = [
    Feature::Failures,
    Feature::RepeatFailure,
    Feature::SentimentMean,
    Feature::SentimentLast,
    Feature::SentimentTrend,
    Feature::WaitHours,
    Feature::Goodwill,
    Feature::Premium,
    Feature::Enterprise,
    Feature::TenureDays,
    Feature::SurveyMean,
    Feature::LowSurvey,
    Feature::OpenCases,
    Feature::DaysSinceFailure,
];

impl Feature {
    /// Its name in the API and the key of its Fluent label (`churn-feature-…`).
    #[must_use]
    pub fn key(self) -> &'static str {
        match self {
            Feature::Failures => "failures",
            Feature::RepeatFailure => "repeat_failure",
            Feature::SentimentMean => "sentiment_mean",
            Feature::SentimentLast => "sentiment_last",
            Feature::SentimentTrend => "sentiment_trend",
            Feature::WaitHours => "wait_hours",
            Feature::Goodwill => "goodwill",
            Feature::Premium => "premium",
            Feature::Enterprise => "enterprise",
            Feature::TenureDays => "tenure_days",
            Feature::SurveyMean => "survey_mean",
            Feature::LowSurvey => "low_survey",
            Feature::OpenCases => "open_cases",
            Feature::DaysSinceFailure => "days_since_failure",
        }
    }
}

/// What is stored as a model version's `model` JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredModel {
    pub features: Vec<Feature>,
    pub horizon_days: i64,
    #[serde(flatten)]
    pub fit: LogisticModel,
}

/// A customer's history, each list in time order.
#[derive(Debug, Default)]
struct History<'a> {
    cases: Vec<&'a ChurnCase>,
    sentiments: Vec<&'a ChurnPoint>,
    surveys: Vec<&'a ChurnPoint>,
    goodwill: Vec<&'a ChurnPoint>,
}

fn histories(facts: &ChurnFacts) -> HashMap<Uuid, History<'_>> {
    let mut out: HashMap<Uuid, History<'_>> = HashMap::new();
    for c in &facts.cases {
        out.entry(c.customer_id).or_default().cases.push(c);
    }
    for p in &facts.sentiments {
        out.entry(p.customer_id).or_default().sentiments.push(p);
    }
    for p in &facts.surveys {
        out.entry(p.customer_id).or_default().surveys.push(p);
    }
    for p in &facts.goodwill {
        out.entry(p.customer_id).or_default().goodwill.push(p);
    }
    for h in out.values_mut() {
        h.cases.sort_by_key(|c| (c.created_at, c.id));
        for list in [&mut h.sentiments, &mut h.surveys, &mut h.goodwill] {
            list.sort_by_key(|p| p.at);
        }
    }
    out
}

fn days(d: Duration) -> f64 {
    d.num_seconds() as f64 / 86_400.0
}

fn mean(xs: &[f64]) -> Option<f64> {
    (!xs.is_empty()).then(|| xs.iter().sum::<f64>() / xs.len() as f64)
}

/// The features (in [`FEATURES`] order) of a customer of `tier` who joined
/// at `joined`, from their history before `at`.
fn features(h: Option<&History<'_>>, tier: &str, joined: DateTime<Utc>, at: DateTime<Utc>) -> Vec<f64> {
    let empty = History::default();
    let h = h.unwrap_or(&empty);
    let cases: Vec<&ChurnCase> = h.cases.iter().copied().filter(|c| c.created_at < at).collect();
    let before = |ps: &[&ChurnPoint]| -> Vec<f64> { ps.iter().filter(|p| p.at < at).map(|p| p.value).collect() };
    let sentiments = before(&h.sentiments);
    let surveys = before(&h.surveys);
    let goodwill = before(&h.goodwill);
    let waits: Vec<f64> = cases
        .iter()
        .filter_map(|c| {
            c.first_responded_at
                .filter(|r| *r < at)
                .map(|r| days(r - c.created_at) * 24.0)
        })
        .collect();
    let trend = match sentiments.split_last() {
        Some((last, earlier)) if !earlier.is_empty() => last - mean(earlier).unwrap_or(0.0),
        _ => 0.0,
    };
    let tenure = days(at - joined).max(0.0);
    let flag = |b: bool| if b { 1.0 } else { 0.0 };
    vec![
        cases.len() as f64,
        flag(cases.iter().any(|c| c.repeat_failure == Some(true))),
        mean(&sentiments).unwrap_or(0.0),
        sentiments.last().copied().unwrap_or(0.0),
        trend,
        amends_stats::median(&waits).unwrap_or(0.0),
        goodwill.iter().sum::<f64>() / 100.0,
        flag(tier == "premium"),
        flag(tier == "enterprise"),
        tenure,
        mean(&surveys).unwrap_or(3.0),
        flag(surveys.iter().any(|s| *s <= 2.0)),
        cases.iter().filter(|c| c.ended_at.is_none_or(|e| e >= at)).count() as f64,
        cases.last().map_or(tenure, |c| days(at - c.created_at)),
    ]
}

/// Whether a customer is held out: FNV-1a of the id's bytes, mod 100.
#[must_use]
pub fn held_out(id: Uuid) -> bool {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in id.as_bytes() {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h % 100 < TEST_PERCENT
}

/// One training row.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub customer_id: Uuid,
    pub cutoff: DateTime<Utc>,
    pub features: Vec<f64>,
    pub churned: bool,
}

/// The rows of every cut-off before `now` (see the module docs).
#[must_use]
pub fn rows(facts: &ChurnFacts, now: DateTime<Utc>) -> Vec<Row> {
    let hist = histories(facts);
    let mut out = Vec::new();
    for k in 1..=SNAPSHOTS {
        let cutoff = now - Duration::days(k * HORIZON_DAYS);
        let end = cutoff + Duration::days(HORIZON_DAYS);
        for c in &facts.customers {
            if c.created_at >= cutoff || c.churned_at.is_some_and(|t| t < cutoff) {
                continue;
            }
            out.push(Row {
                customer_id: c.id,
                cutoff,
                features: features(hist.get(&c.id), &c.tier, c.created_at, cutoff),
                churned: c.churned_at.is_some_and(|t| t < end),
            });
        }
    }
    out
}

/// A bin of the held-out calibration table.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CalibrationRow {
    pub n: u64,
    /// Mean predicted risk of the bin (0–1).
    pub mean_predicted: f64,
    /// Customers of the bin who left.
    pub churned: u64,
    /// churned ÷ n.
    pub observed: f64,
    /// 95 % Wilson interval of `observed`.
    pub low: f64,
    pub high: f64,
}

/// A trained model and how it did on the held-out customers.
#[derive(Debug, Clone, PartialEq)]
pub struct Trained {
    pub model: StoredModel,
    pub n_train: usize,
    pub n_test: usize,
    pub auc: Option<f64>,
    pub calibration: Vec<CalibrationRow>,
}

/// Fits the model on the training customers' rows and measures it on the
/// held-out ones. `None` with fewer than [`MIN_ROWS`] training rows or a
/// training set of one class.
#[must_use]
pub fn train_on(rows: &[Row]) -> Option<Trained> {
    let (test, train): (Vec<&Row>, Vec<&Row>) = rows.iter().partition(|r| held_out(r.customer_id));
    if train.len() < MIN_ROWS {
        return None;
    }
    let x: Vec<Vec<f64>> = train.iter().map(|r| r.features.clone()).collect();
    let y: Vec<bool> = train.iter().map(|r| r.churned).collect();
    let fit = fit_logistic(&x, &y, ALPHA)?;
    let predicted: Vec<f64> = test.iter().filter_map(|r| fit.predict(&r.features)).collect();
    let labels: Vec<bool> = test.iter().map(|r| r.churned).collect();
    let calibration = calibration(&predicted, &labels, BINS)
        .into_iter()
        .map(|b| CalibrationRow {
            n: b.n,
            mean_predicted: b.mean_predicted,
            churned: b.positives,
            observed: b.observed,
            low: b.ci.low,
            high: b.ci.high,
        })
        .collect();
    Some(Trained {
        auc: roc_auc(&predicted, &labels),
        model: StoredModel {
            features: FEATURES.to_vec(),
            horizon_days: HORIZON_DAYS,
            fit,
        },
        n_train: train.len(),
        n_test: test.len(),
        calibration,
    })
}

/// Trains a new version from the history up to now and makes it active;
/// `None` if there is not enough history yet.
pub async fn train(state: &App) -> AppResult<Option<ChurnModelRow>> {
    let now = state.now();
    let facts = state.store().churn_facts(now).await?;
    let Some(t) = train_on(&rows(&facts, now)) else {
        return Ok(None);
    };
    let row = state
        .store()
        .insert_churn_model(&NewChurnModel {
            trained_at: now,
            model: to_json(&t.model)?,
            n_train: i64::try_from(t.n_train).unwrap_or(i64::MAX),
            n_test: i64::try_from(t.n_test).unwrap_or(i64::MAX),
            auc: t.auc,
            calibration: to_json(&t.calibration)?,
        })
        .await?;
    tracing::info!(version = row.version, auc = ?row.auc, n_train = t.n_train, n_test = t.n_test, "churn model trained");
    Ok(Some(row))
}

/// JSON for a text column.
fn to_json<T: Serialize>(v: &T) -> AppResult<String> {
    serde_json::to_string(v).map_err(|e| AppError::Internal(e.to_string()))
}

/// The `churn_train` job: a new model version (nothing when there is not
/// enough history yet).
pub async fn train_job(state: &App) -> Result<JobEffects, Failure> {
    match train(state).await {
        Ok(Some(_)) => {}
        Ok(None) => tracing::info!("not enough customer history to train the churn model"),
        Err(e) => {
            tracing::error!(cause = ?e, "churn training failed");
            return Err(Failure::new(e.to_string()));
        }
    }
    Ok(JobEffects::default())
}

/// The dedupe key of the weekly training in the week of `now`.
#[must_use]
pub fn week_key(now: DateTime<Utc>) -> String {
    format!("churn-train:{}", now.timestamp().div_euclid(7 * 24 * 3600))
}

/// Queues a training (`dedupe_key`: the week's, or none for one on demand)
/// and wakes the workers; the job's id, none if that week's is queued already.
pub async fn schedule(state: &App, dedupe_key: Option<String>) -> AppResult<Option<Uuid>> {
    let now = state.now();
    let job = crate::jobs::Task::ChurnTrain.job(state, now, dedupe_key, None);
    let id = state.store().enqueue_job(&job, now).await?;
    state.wake_workers();
    Ok(id)
}

/// A risk driver: a feature's coefficient and what one unit more does to the odds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Driver {
    pub feature: Feature,
    /// Change of the log-odds per standard deviation of the feature.
    pub coefficient: f64,
    /// Factor on the odds of leaving per unit more of the feature.
    pub odds_ratio: f64,
}

/// The active model as the report shows it.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ModelCard {
    pub version: i64,
    pub trained_at: DateTime<Utc>,
    pub horizon_days: i64,
    pub n_train: i64,
    pub n_test: i64,
    /// Held-out area under the ROC curve; none when the held-out customers
    /// are all of one class.
    pub auc: Option<f64>,
    pub calibration: Vec<CalibrationRow>,
    /// Features by the size of their coefficient, largest first.
    pub drivers: Vec<Driver>,
}

/// An open case ranked by its customer's churn risk × value.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct RiskCase {
    pub case_id: Uuid,
    pub subject: String,
    pub state: String,
    pub assignee_id: Option<Uuid>,
    pub customer_id: Uuid,
    pub customer_name: String,
    pub tier: String,
    /// Predicted probability that the customer leaves within the horizon.
    pub risk: f64,
    /// The customer's lifetime value in cents.
    pub value_cents: i64,
    /// risk × value in cents: the value expected to be lost.
    pub score: f64,
    /// The case in the UI.
    pub link: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ChurnReport {
    /// None until a model was trained.
    pub model: Option<ModelCard>,
    /// Open cases by score, highest first.
    pub cases: Vec<RiskCase>,
}

/// The most cases the report lists.
pub const MAX_LIMIT: usize = 500;

fn card(row: &ChurnModelRow) -> AppResult<(ModelCard, StoredModel)> {
    let bad = |e: serde_json::Error| AppError::Internal(format!("churn model {} unreadable: {e}", row.version));
    let model: StoredModel = serde_json::from_str(&row.model).map_err(bad)?;
    let calibration: Vec<CalibrationRow> = serde_json::from_str(&row.calibration).map_err(bad)?;
    let mut drivers: Vec<Driver> = model
        .features
        .iter()
        .enumerate()
        .map(|(i, f)| Driver {
            feature: *f,
            coefficient: model.fit.coefficients.get(i).copied().unwrap_or(0.0),
            odds_ratio: model.fit.odds_ratio_per_unit(i).unwrap_or(1.0),
        })
        .collect();
    drivers.sort_by(|a, b| b.coefficient.abs().total_cmp(&a.coefficient.abs()));
    Ok((
        ModelCard {
            version: row.version,
            trained_at: row.trained_at,
            horizon_days: model.horizon_days,
            n_train: row.n_train,
            n_test: row.n_test,
            auc: row.auc,
            calibration,
            drivers,
        },
        model,
    ))
}

/// The active model and the open cases (of `assignee` only, if given)
/// ranked by risk × value, at most `limit` (1 to [`MAX_LIMIT`], default 50).
pub async fn report(state: &App, assignee: Option<Uuid>, limit: Option<usize>) -> AppResult<ChurnReport> {
    let limit = limit.unwrap_or(50);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(AppError::validation(
            "limit",
            format!("limit must be 1 to {MAX_LIMIT}, got {limit}"),
        ));
    }
    let Some(row) = state.store().active_churn_model().await? else {
        return Ok(ChurnReport {
            model: None,
            cases: Vec::new(),
        });
    };
    let (card, model) = card(&row)?;
    if model.features != FEATURES {
        // A model of other features cannot score today's: train again.
        return Ok(ChurnReport {
            model: Some(card),
            cases: Vec::new(),
        });
    }
    Ok(ChurnReport {
        model: Some(card),
        cases: rank_paged(state, &model.fit, assignee, limit, RANK_PAGE).await?,
    })
}

/// Customers whose history the ranking reads at a time.
pub const RANK_PAGE: usize = 100;

/// [`rank`] without reading every history: the customers with an open case
/// (of `assignee`, if given) a page of `page` at a time, by id; each page's
/// histories are read, its cases ranked and merged into the best `limit`
/// so far. The same ranking as [`rank`] over all facts, in memory bounded
/// by `page` customers and `limit` cases.
pub async fn rank_paged(
    state: &App,
    fit: &LogisticModel,
    assignee: Option<Uuid>,
    limit: usize,
    page: usize,
) -> AppResult<Vec<RiskCase>> {
    let now = state.now();
    let page = page.max(1);
    let mut best: Vec<RiskCase> = Vec::new();
    let mut after = None;
    loop {
        let ids = state
            .store()
            .churn_open_customers(assignee, after, i64::try_from(page).unwrap_or(i64::MAX))
            .await?;
        let Some(last) = ids.last().copied() else {
            break;
        };
        let facts = state.store().churn_facts_of(&ids, now).await?;
        best.extend(rank(&facts, fit, now, assignee, limit));
        by_score(&mut best);
        best.truncate(limit);
        if ids.len() < page {
            break;
        }
        after = Some(last);
    }
    Ok(best)
}

/// Highest score first; ties by risk, then by case id.
fn by_score(cases: &mut [RiskCase]) {
    cases.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then(b.risk.total_cmp(&a.risk))
            .then(a.case_id.cmp(&b.case_id))
    });
}

/// The open cases (of `assignee` only, if given) ranked by risk × value,
/// at most `limit`, as case rows (the inbox's `churn` view); none without
/// an active model.
pub async fn open_cases_by_risk(
    state: &App,
    assignee: Option<Uuid>,
    limit: usize,
) -> AppResult<Vec<amends_store::Case>> {
    let ranked = report(state, assignee, Some(limit.clamp(1, MAX_LIMIT))).await?.cases;
    let ids: Vec<CaseId> = ranked.iter().map(|r| CaseId(r.case_id)).collect();
    let mut by_id: HashMap<CaseId, amends_store::Case> = state
        .store()
        .cases_by_ids(&ids)
        .await?
        .into_iter()
        .map(|c| (c.id, c))
        .collect();
    Ok(ids.iter().filter_map(|id| by_id.remove(id)).collect())
}

/// The open cases of customers who have not left, by risk × value.
#[must_use]
pub fn rank(
    facts: &ChurnFacts,
    fit: &LogisticModel,
    now: DateTime<Utc>,
    assignee: Option<Uuid>,
    limit: usize,
) -> Vec<RiskCase> {
    let hist = histories(facts);
    let mut risk: HashMap<Uuid, f64> = HashMap::new();
    let customers: HashMap<Uuid, &amends_store::ChurnCustomer> = facts
        .customers
        .iter()
        .filter(|c| c.churned_at.is_none())
        .map(|c| (c.id, c))
        .collect();
    let mut out: Vec<RiskCase> = Vec::new();
    for case in facts
        .cases
        .iter()
        .filter(|c| c.open && (assignee.is_none() || c.assignee_id == assignee))
    {
        let Some(customer) = customers.get(&case.customer_id) else {
            continue;
        };
        let r = *risk.entry(customer.id).or_insert_with(|| {
            fit.predict(&features(
                hist.get(&customer.id),
                &customer.tier,
                customer.created_at,
                now,
            ))
            .unwrap_or(0.0)
        });
        out.push(RiskCase {
            case_id: case.id,
            subject: case.subject.clone(),
            state: case.state.clone(),
            assignee_id: case.assignee_id,
            customer_id: customer.id,
            customer_name: customer.name.clone(),
            tier: customer.tier.clone(),
            risk: r,
            value_cents: customer.clv_cents,
            score: r * customer.clv_cents as f64,
            link: format!("/cases/{}", case.id),
        });
    }
    by_score(&mut out);
    out.truncate(limit);
    out
}
