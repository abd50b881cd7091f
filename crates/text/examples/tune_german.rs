//! How the German default combination (`GermanRule`) was chosen.
//!
//! ```text
//! cargo run --release -p amends-text --example tune_german -- [SHARED_DATA_DIR] [--corpus FILE] [--c 3] [--hash-bits 16] [--lexicon-weight 1] (and the other training flags of `eval`) [--dump SCORES.tsv] [--test FILE ...] [--top 12]
//! ```
//! Trains a German model on the corpus (default: amends' own
//! `resources/amends/de-feedback.tsv`, as `TrainOptions::shipped_german`),
//! scores every row of GermEval 2017 dev with the lexicon (`l`) and that
//! model (`m`), and searches the thresholds of `GermanRule` on the **even**
//! rows (calibration). It prints the best settings with their accuracy on
//! the **odd** rows (held out, never used to choose) and on all rows, next to
//! `GermanRule::SHIPPED` and the majority baselines. Nothing of GermEval goes
//! into the model: it only decides among a few thresholds.

#[path = "common/flags.rs"]
mod flags;

use flags::{flag, train_options};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use amends_text::{
    Analyzer, EvalReport, GermanRule, LabeledRow, Language, SentimentLabel, TrainOptions, find_shared_data_dir,
    read_labeled, train,
};

/// What the rule needs of one GermEval row.
struct Scored {
    gold: SentimentLabel,
    /// `None` for German; the default label for texts detected as English.
    english: Option<SentimentLabel>,
    lexicon: f32,
    model: f32,
    /// Taxonomy topics found (default taxonomy).
    topics: usize,
    /// The model's most probable class.
    model_label: SentimentLabel,
    chars: usize,
}

fn predict(rule: &GermanRule, s: &Scored) -> SentimentLabel {
    s.english.unwrap_or_else(|| rule.label(s.lexicon, s.model, s.chars))
}

/// Share of `rows` for which `hit` holds.
fn share<'a>(rows: impl IntoIterator<Item = &'a Scored>, hit: impl Fn(&Scored) -> bool) -> f64 {
    let (mut total, mut hits) = (0usize, 0usize);
    for s in rows {
        total += 1;
        hits += usize::from(hit(s));
    }
    hits as f64 / total.max(1) as f64
}

/// The rows with an even (`Some(0)`) or odd (`Some(1)`) index, or all (`None`).
fn half(rows: &[Scored], parity: Option<usize>) -> impl Iterator<Item = &Scored> {
    rows.iter()
        .enumerate()
        .filter(move |(i, _)| parity.is_none_or(|p| i % 2 == p))
        .map(|(_, s)| s)
}

/// Accuracy of `rule` on `rows`.
fn accuracy<'a>(rule: &GermanRule, rows: impl IntoIterator<Item = &'a Scored>) -> f64 {
    share(rows, |s| predict(rule, s) == s.gold)
}

/// Accuracy of the model's most probable class (audience `direct`).
fn model_alone(rows: &[Scored]) -> f64 {
    share(rows, |s| s.english.unwrap_or(s.model_label) == s.gold)
}

/// (accuracy on even rows, odd rows, all rows, macro-F1 on all, positives predicted).
fn score(rule: &GermanRule, rows: &[Scored]) -> (f64, f64, f64, f64, usize) {
    let report = EvalReport::from_pairs(rows.iter().map(|s| (s.gold, predict(rule, s))));
    let positives = rows
        .iter()
        .filter(|s| predict(rule, s) == SentimentLabel::Positive)
        .count();
    (
        accuracy(rule, half(rows, Some(0))),
        accuracy(rule, half(rows, Some(1))),
        report.accuracy,
        report.macro_f1,
        positives,
    )
}

fn grid() -> Vec<GermanRule> {
    let mut out = Vec::new();
    for neg_lexicon in [0.0, 0.05, 0.1, 0.15, 0.2, 0.25] {
        for neg_model in [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6] {
            for pos_lexicon in [0.25, 0.45] {
                for pos_model in [0.3, 0.6] {
                    for long_text in [140, 200, 300] {
                        for long_neg_lexicon in [0.05, 0.1, 0.2, 0.3, 0.5] {
                            for long_neg_model in [0.0, 0.3, 0.5, 0.7, 0.9] {
                                out.push(GermanRule {
                                    neg_lexicon,
                                    neg_model,
                                    pos_lexicon,
                                    pos_model,
                                    long_text,
                                    long_neg_lexicon,
                                    long_neg_model,
                                });
                            }
                        }
                    }
                }
            }
        }
    }
    out
}

fn run(args: &[String]) -> Result<(), String> {
    let dir = match args.first().filter(|a| !a.starts_with("--")) {
        Some(d) => PathBuf::from(d),
        None => find_shared_data_dir().ok_or("pass the shared/data directory or set AMENDS_SHARED_DATA")?,
    };
    let corpus = flag(args, "--corpus").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("resources/amends/de-feedback.tsv"),
        PathBuf::from,
    );
    let options = train_options(args, TrainOptions::shipped_german())?;
    let training: Vec<LabeledRow> = read_labeled(&corpus).map_err(|e| e.to_string())?;
    let model = train(&training, &options).map_err(|e| e.to_string())?;
    let lexicon = Analyzer::default_model();
    let with_model = Analyzer::default_model().with_model(model);
    let score_rows = |rows: &[LabeledRow]| -> Vec<Scored> {
        rows.iter()
            .map(|r| {
                let default = lexicon.sentiment(&r.text, None);
                let trained = with_model.sentiment(&r.text, None);
                Scored {
                    gold: r.sentiment,
                    english: (lexicon.detect_language(&r.text) == Language::En).then_some(default.label),
                    lexicon: default.score,
                    model: trained.score,
                    model_label: trained.label,
                    topics: lexicon.analyze(&r.text, None).topics.len(),
                    chars: r.text.chars().count(),
                }
            })
            .collect()
    };
    let dev = read_labeled(&dir.join("germeval2017/dev.tsv")).map_err(|e| e.to_string())?;
    let rows = score_rows(&dev);
    let mut tests: Vec<(String, Vec<Scored>)> = Vec::new();
    for (i, a) in args.iter().enumerate() {
        if a == "--test" {
            let path = args.get(i + 1).ok_or("--test needs a FILE")?;
            let name = Path::new(path)
                .file_stem()
                .map_or_else(|| path.clone(), |s| s.to_string_lossy().into_owned());
            tests.push((
                name,
                score_rows(&read_labeled(Path::new(path)).map_err(|e| e.to_string())?),
            ));
        }
    }
    if let Some(path) = flag(args, "--dump") {
        let mut out = String::from("set\tgold\tenglish\tlexicon\tmodel\tmodel_label\tchars\ttopics\n");
        let dev_set = [("germeval".to_owned(), rows)];
        for (name, set) in dev_set.iter().chain(&tests) {
            for s in set {
                out.push_str(&format!(
                    "{name}\t{:?}\t{}\t{}\t{}\t{:?}\t{}\t{}\n",
                    s.gold,
                    s.english.is_some(),
                    s.lexicon,
                    s.model,
                    s.model_label,
                    s.chars,
                    s.topics
                ));
            }
        }
        std::fs::write(&path, out).map_err(|e| format!("cannot write {path}: {e}"))?;
        return Ok(());
    }
    let neutral = |parity: Option<usize>| share(half(&rows, parity), |s| s.gold == SentimentLabel::Neutral);
    println!(
        "corpus {} ({} rows), C {}, 2^{} buckets",
        corpus.display(),
        training.len(),
        options.c,
        options.features.hash_bits
    );
    println!(
        "majority (neutral): even {:.3}  odd {:.3}  all {:.3}",
        neutral(Some(0)),
        neutral(Some(1)),
        neutral(None)
    );
    println!("model alone (most probable class): all {:.3}", model_alone(&rows));
    for (name, set) in &tests {
        println!(
            "test {name}: {} rows, neutral share {:.3}, model alone {:.3}",
            set.len(),
            share(set, |s| s.gold == SentimentLabel::Neutral),
            model_alone(set)
        );
    }
    let line = |name: &str, rule: &GermanRule| {
        let (even, odd, all, macro_f1, positives) = score(rule, &rows);
        let on_tests: String = tests
            .iter()
            .map(|(n, set)| format!("{n} {:.3}  ", accuracy(rule, set)))
            .collect();
        println!(
            "{name:<9} even {even:.3}  odd {odd:.3}  all {all:.3}  macro-F1 {macro_f1:.3}  positives {positives:>4}  {on_tests}{rule:?}"
        );
    };
    line("shipped", &GermanRule::SHIPPED);
    let mut ranked: Vec<(f64, GermanRule)> = grid().into_iter().map(|r| (score(&r, &rows).0, r)).collect();
    ranked.sort_by(|a, b| b.0.total_cmp(&a.0));
    let top = flag(args, "--top").and_then(|t| t.parse().ok()).unwrap_or(12);
    for (i, (_, rule)) in ranked.iter().take(top).enumerate() {
        line(&format!("even #{}", i + 1), rule);
    }
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("tune_german: {e}");
            ExitCode::FAILURE
        }
    }
}
