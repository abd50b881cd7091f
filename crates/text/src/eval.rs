//! Evaluation: accuracy, macro-/micro-F1, per-class precision/recall/F1 and
//! the confusion matrix; k-fold cross-validation of [`crate::train`].

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::analyzer::Analyzer;
use crate::error::TextError;
use crate::hashing::SplitMix64;
use crate::model::{LabeledRow, TrainOptions};
use crate::sentiment::SentimentLabel;

/// Precision, recall and F1 of one class.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ClassMetrics {
    /// The class.
    pub label: SentimentLabel,
    /// Precision.
    pub precision: f64,
    /// Recall.
    pub recall: f64,
    /// F1.
    pub f1: f64,
    /// Number of gold rows of this class.
    pub support: usize,
}

/// Scores of predictions against gold labels.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvalReport {
    /// Number of rows.
    pub n: usize,
    /// Share of correct predictions.
    pub accuracy: f64,
    /// Unweighted mean of the per-class F1.
    pub macro_f1: f64,
    /// Micro-averaged F1 over the three classes (equals accuracy for
    /// single-label classification).
    pub micro_f1: f64,
    /// Accuracy of always predicting the most frequent gold class.
    pub majority_baseline: f64,
    /// Per class, in negative, neutral, positive order.
    pub per_class: Vec<ClassMetrics>,
    /// `confusion[gold][predicted]`, classes in negative, neutral, positive order.
    pub confusion: [[usize; 3]; 3],
}

impl EvalReport {
    /// Build a report from (gold, predicted) pairs.
    pub fn from_pairs(pairs: impl IntoIterator<Item = (SentimentLabel, SentimentLabel)>) -> EvalReport {
        let mut confusion = [[0usize; 3]; 3];
        for (g, p) in pairs {
            confusion[g.index()][p.index()] += 1;
        }
        let n: usize = confusion.iter().flatten().sum();
        let correct: usize = (0..3).map(|i| confusion[i][i]).sum();
        let ratio = |a: usize, b: usize| if b == 0 { 0.0 } else { a as f64 / b as f64 };
        let per_class: Vec<ClassMetrics> = SentimentLabel::ALL
            .iter()
            .map(|&label| {
                let i = label.index();
                let tp = confusion[i][i];
                let predicted: usize = (0..3).map(|g| confusion[g][i]).sum();
                let support: usize = confusion[i].iter().sum();
                let precision = ratio(tp, predicted);
                let recall = ratio(tp, support);
                let f1 = if precision + recall > 0.0 {
                    2.0 * precision * recall / (precision + recall)
                } else {
                    0.0
                };
                ClassMetrics {
                    label,
                    precision,
                    recall,
                    f1,
                    support,
                }
            })
            .collect();
        let accuracy = ratio(correct, n);
        // Micro-F1: pooled TP/FP/FN over classes; for single-label data FP = FN = errors.
        let micro_f1 = if n == 0 {
            0.0
        } else {
            2.0 * correct as f64 / (2.0 * correct as f64 + 2.0 * (n - correct) as f64)
        };
        let macro_f1 = per_class.iter().map(|c| c.f1).sum::<f64>() / 3.0;
        let majority = per_class.iter().map(|c| c.support).max().unwrap_or(0);
        EvalReport {
            n,
            accuracy,
            macro_f1,
            micro_f1,
            majority_baseline: ratio(majority, n),
            per_class,
            confusion,
        }
    }

    /// The confusion matrix as a Markdown table.
    pub fn confusion_markdown(&self) -> String {
        let mut s = String::from("| gold \\ predicted | negative | neutral | positive |\n|---|---:|---:|---:|\n");
        for (g, row) in self.confusion.iter().enumerate() {
            s.push_str(&format!(
                "| {} | {} | {} | {} |\n",
                SentimentLabel::from_index(g),
                row[0],
                row[1],
                row[2]
            ));
        }
        s
    }
}

impl fmt::Display for EvalReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "documents:          {}", self.n)?;
        writeln!(f, "accuracy:           {:.4}", self.accuracy)?;
        writeln!(f, "micro-F1:           {:.4}", self.micro_f1)?;
        writeln!(f, "macro-F1:           {:.4}", self.macro_f1)?;
        writeln!(f, "majority baseline:  {:.4}", self.majority_baseline)?;
        writeln!(f)?;
        writeln!(f, "class       precision  recall     F1   support")?;
        for c in &self.per_class {
            writeln!(
                f,
                "{:<10} {:>10.4} {:>7.4} {:>6.4} {:>9}",
                c.label.as_str(),
                c.precision,
                c.recall,
                c.f1,
                c.support
            )?;
        }
        writeln!(f)?;
        writeln!(f, "confusion (rows gold, columns predicted)")?;
        writeln!(f, "{:<10} {:>9} {:>9} {:>9}", "", "negative", "neutral", "positive")?;
        for (g, row) in self.confusion.iter().enumerate() {
            writeln!(
                f,
                "{:<10} {:>9} {:>9} {:>9}",
                SentimentLabel::from_index(g).as_str(),
                row[0],
                row[1],
                row[2]
            )?;
        }
        Ok(())
    }
}

/// Evaluate an analyzer's sentiment on labelled rows (each row's language
/// is passed as hint).
pub fn evaluate(analyzer: &Analyzer, rows: &[LabeledRow]) -> EvalReport {
    EvalReport::from_pairs(
        rows.iter()
            .map(|r| (r.sentiment, analyzer.sentiment(&r.text, r.language).label)),
    )
}

/// Stratified k-fold cross-validation of [`crate::train`]: every row is
/// predicted by a model that did not see it; the report pools all folds.
/// Fold assignment is deterministic given `options.seed`.
pub fn cross_validate(rows: &[LabeledRow], k: usize, options: &TrainOptions) -> Result<EvalReport, TextError> {
    if k < 2 {
        return Err(TextError::Training(format!(
            "cross-validation needs at least 2 folds, got {k}"
        )));
    }
    if rows.len() < k * 2 {
        return Err(TextError::Training(format!(
            "{} rows are too few for {k} folds; need at least {}",
            rows.len(),
            k * 2
        )));
    }
    let mut fold_of = vec![0usize; rows.len()];
    let mut rng = SplitMix64::new(options.seed);
    let mut offset = 0;
    for label in SentimentLabel::ALL {
        let mut idx: Vec<usize> = (0..rows.len()).filter(|&i| rows[i].sentiment == label).collect();
        rng.shuffle(&mut idx);
        for (j, &i) in idx.iter().enumerate() {
            fold_of[i] = (j + offset) % k;
        }
        offset += idx.len();
    }
    let mut pairs = Vec::with_capacity(rows.len());
    for fold in 0..k {
        let train_rows: Vec<LabeledRow> = rows
            .iter()
            .zip(&fold_of)
            .filter(|(_, f)| **f != fold)
            .map(|(r, _)| r.clone())
            .collect();
        let model = crate::train(&train_rows, options)?;
        let analyzer = Analyzer::default_model().with_model(model);
        for (r, _) in rows.iter().zip(&fold_of).filter(|(_, f)| **f == fold) {
            pairs.push((r.sentiment, analyzer.sentiment(&r.text, r.language).label));
        }
    }
    Ok(EvalReport::from_pairs(pairs))
}

#[cfg(test)]
mod tests {
    use super::*;
    use SentimentLabel::*;

    #[test]
    fn metrics_by_hand() {
        let r = EvalReport::from_pairs([
            (Negative, Negative),
            (Negative, Neutral),
            (Neutral, Neutral),
            (Neutral, Neutral),
            (Positive, Negative),
        ]);
        assert_eq!(r.n, 5);
        assert!((r.accuracy - 0.6).abs() < 1e-12);
        assert!((r.micro_f1 - 0.6).abs() < 1e-12);
        // negative: P 1/2 R 1/2 F 0.5; neutral: P 2/3 R 1 F 0.8; positive: 0.
        assert!((r.macro_f1 - (0.5 + 0.8) / 3.0).abs() < 1e-9);
        assert_eq!(r.confusion[2][0], 1);
        assert!((r.majority_baseline - 0.4).abs() < 1e-12);
        let text = r.to_string();
        assert!(text.contains("macro-F1") && text.contains("confusion"));
    }
}
