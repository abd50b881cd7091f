//! Reproduce the numbers in docs/TEXT_ANALYTICS.md.
//!
//! ```text
//! cargo run --release -p amends-text --example eval -- default [SHARED_DATA_DIR] [--audience public|direct]
//! cargo run --release -p amends-text --example eval -- cv [SHARED_DATA_DIR] [--folds 5] [--seed 42] [--c 10]
//! cargo run --release -p amends-text --example eval -- train --data FILE --out MODEL
//! cargo run --release -p amends-text --example eval -- eval --data FILE [--model MODEL] [--audience public|direct]
//! cargo run --release -p amends-text --example eval -- build-default
//! ```
//! `build-default` retrains the shipped German model
//! `resources/amends/de-model.bin` from `resources/amends/de-feedback.tsv`
//! (`TrainOptions::shipped_german`); rebuild afterwards to embed it.
//! `train` and `cv` also take `--hash-bits N`, `--lexicon-weight W`,
//! `--word-ngrams N` and `--char-ngrams MIN-MAX` (`0-0`: none).
//! SHARED_DATA_DIR defaults to `$AMENDS_SHARED_DATA` or `../shared/data`.

#[path = "common/flags.rs"]
mod flags;

use flags::{flag, train_options};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use amends_text::{
    Analyzer, Audience, TextError, TrainOptions, cross_validate, evaluate, find_shared_data_dir, load_eval_sets,
    read_labeled, train,
};

fn data_dir(args: &[String]) -> Result<PathBuf, String> {
    match args.get(1).filter(|a| !a.starts_with("--")) {
        Some(d) => Ok(PathBuf::from(d)),
        None => find_shared_data_dir().ok_or_else(|| "pass the shared/data directory or set AMENDS_SHARED_DATA".into()),
    }
}

/// amends' held-out German test sets: texts written to companies by three
/// authors whose texts are not in the training corpus.
const HELD_OUT: [&str; 3] = ["de-test.tsv", "de-test-factual.tsv", "de-test-survey.tsv"];

fn audience(args: &[String]) -> Result<Audience, String> {
    flag(args, "--audience").map_or(Ok(Audience::default()), |a| {
        a.parse().map_err(|e: TextError| e.to_string())
    })
}

fn options(args: &[String]) -> Result<TrainOptions, String> {
    train_options(args, TrainOptions::default())
}

fn run(args: &[String]) -> Result<(), String> {
    let err = |e: TextError| e.to_string();
    match args.first().map(String::as_str) {
        Some("default") => {
            let dir = data_dir(args)?;
            let analyzer = Analyzer::default_model().with_audience(audience(args)?);
            let which = analyzer.audience().as_str();
            for set in load_eval_sets(&dir).map_err(err)? {
                println!(
                    "## {} ({}, default model, audience {which})\n{}",
                    set.name,
                    set.language,
                    evaluate(&analyzer, &set.rows)
                );
            }
            // amends' own held-out German test sets (never trained on), in
            // both audiences.
            for name in HELD_OUT {
                let path = Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("resources/amends")
                    .join(name);
                let rows = read_labeled(&path).map_err(err)?;
                for a in [Audience::Direct, Audience::Public] {
                    let report = evaluate(&Analyzer::default_model().with_audience(a), &rows);
                    println!(
                        "## amends {name} (de, default model, audience {})\n{report}",
                        a.as_str()
                    );
                    println!("{}", report.confusion_markdown());
                }
            }
        }
        Some("cv") => {
            let dir = data_dir(args)?;
            let folds: usize =
                flag(args, "--folds").map_or(Ok(5), |f| f.parse().map_err(|_| format!("--folds: `{f}`")))?;
            let opts = options(args)?;
            let rows = read_labeled(&dir.join("germeval2017/dev.tsv")).map_err(err)?;
            let start = std::time::Instant::now();
            let report = cross_validate(&rows, folds, &opts).map_err(err)?;
            println!(
                "## germeval2017-dev, trained model, {folds}-fold stratified CV (seed {}, C {})\n{report}\n({:.1} s)",
                opts.seed,
                opts.c,
                start.elapsed().as_secs_f64()
            );
            println!("{}", report.confusion_markdown());
        }
        Some("train") => {
            let data = flag(args, "--data").ok_or("train needs --data FILE")?;
            let out = flag(args, "--out").ok_or("train needs --out MODEL")?;
            let rows = read_labeled(Path::new(&data)).map_err(err)?;
            let model = train(&rows, &options(args)?).map_err(err)?;
            std::fs::write(&out, model.to_bytes()).map_err(|e| format!("cannot write {out}: {e}"))?;
            println!("trained on {} rows, wrote {out}", rows.len());
        }
        Some("eval") => {
            let data = flag(args, "--data").ok_or("eval needs --data FILE")?;
            let analyzer = match flag(args, "--model") {
                Some(m) => Analyzer::from_model_file(Path::new(&m)).map_err(err)?,
                None => Analyzer::default_model(),
            }
            .with_audience(audience(args)?);
            let rows = read_labeled(Path::new(&data)).map_err(err)?;
            println!("{}", evaluate(&analyzer, &rows));
        }
        Some("build-default") => {
            let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("resources/amends");
            let rows = read_labeled(&dir.join("de-feedback.tsv")).map_err(err)?;
            let model = train(&rows, &TrainOptions::shipped_german()).map_err(err)?;
            let out = dir.join("de-model.bin");
            std::fs::write(&out, model.to_bytes()).map_err(|e| format!("cannot write {}: {e}", out.display()))?;
            println!(
                "trained on {} rows ({:?} negative/neutral/positive), wrote {}; rebuild to embed it",
                rows.len(),
                model.header().class_counts,
                out.display()
            );
        }
        _ => return Err("usage: eval default|cv|train|eval … (see the file header)".into()),
    }
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
