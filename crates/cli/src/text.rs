//! `amends text …`: classify, train and evaluate sentiment models. Thin
//! glue over the `amends-text` crate; only `train --from-corrections`
//! reads the database (the logic is in `amends_app::corrections`).

use amends_text::{Analyzer, Audience, Language, TrainOptions, cross_validate, evaluate, read_labeled, train};
use clap::Subcommand;
use std::path::{Path, PathBuf};

#[derive(Subcommand)]
pub enum TextCommand {
    /// Analyse one text: language, sentiment, topics, signals, and why
    Classify {
        /// The text to analyse
        text: String,
        /// A model trained with `amends text train` (default: the shipped model)
        #[arg(long)]
        model: Option<PathBuf>,
        /// de or en (default: detected)
        #[arg(long)]
        language: Option<String>,
        /// Who the text was written for: `direct` (to the company: e-mail,
        /// widget, survey) or `public` (a post that mentions it). Decides how
        /// the shipped German model labels; no effect with --model
        #[arg(long, default_value = "public")]
        audience: String,
    },
    /// Train a sentiment model from labelled CSV/TSV (columns `text` and
    /// `sentiment`) and/or, with --from-corrections, from the corrections in
    /// the database plus the weak labels of rated feedback
    Train {
        #[arg(long, required_unless_present = "from_corrections")]
        data: Option<PathBuf>,
        /// Also train on the corrections (a held-out quarter is kept for the
        /// accuracy comparison) and on rated feedback (1–2 negative, 4–5 positive)
        #[arg(long)]
        from_corrections: bool,
        /// Where to write the model file
        #[arg(long, required_unless_present = "save")]
        out: Option<PathBuf>,
        /// With --from-corrections: store the model as a new (inactive)
        /// version in the database, with its held-out accuracy
        #[arg(long, requires = "from_corrections")]
        save: bool,
        /// Random seed (same data and seed give the same model)
        #[arg(long, default_value_t = 42)]
        seed: u64,
    },
    /// Evaluate a model on labelled CSV/TSV: accuracy, macro-F1, micro-F1, confusion matrix
    Eval {
        #[arg(long)]
        data: PathBuf,
        /// A model file (default: the shipped model)
        #[arg(long)]
        model: Option<PathBuf>,
        /// `direct` (texts written to the company) or `public` (posts that
        /// mention it): how the shipped German model labels; no effect with --model
        #[arg(long, default_value = "public")]
        audience: String,
        /// Also train and test by k-fold cross-validation on the same data
        #[arg(long)]
        folds: Option<usize>,
    },
}

fn analyzer(model: Option<&Path>, audience: &str) -> anyhow::Result<Analyzer> {
    let audience: Audience = audience.parse().map_err(|e| anyhow::anyhow!("--audience: {e}"))?;
    let analyzer = match model {
        Some(p) => {
            Analyzer::from_model_file(p).map_err(|e| anyhow::anyhow!("cannot load the model `{}`: {e}", p.display()))?
        }
        None => Analyzer::default_model(),
    };
    Ok(analyzer.with_audience(audience))
}

pub async fn run(cmd: &TextCommand, cli: &crate::Cli) -> anyhow::Result<()> {
    match cmd {
        TextCommand::Classify {
            text,
            model,
            language,
            audience,
        } => {
            let hint = language
                .as_deref()
                .map(|l| l.parse::<Language>())
                .transpose()
                .map_err(|e| anyhow::anyhow!("--language: {e}"))?;
            let a = analyzer(model.as_deref(), audience)?;
            let analysis = a.analyze(text, hint);
            println!("{}", serde_json::to_string_pretty(&analysis)?);
            for (why, weight) in a.explain(text, hint) {
                println!("  {weight:+.2}  {why}");
            }
            Ok(())
        }
        TextCommand::Train {
            data,
            from_corrections,
            out,
            save,
            seed,
        } => {
            let csv = data.as_deref().map(read_labeled).transpose()?.unwrap_or_default();
            let opts = TrainOptions {
                seed: *seed,
                ..TrainOptions::default()
            };
            if *from_corrections {
                let store = crate::open_store(&crate::load_config(cli, None)?).await?;
                return train_from_corrections(&store, csv, &opts, out.as_deref(), *save).await;
            }
            let model = train(&csv, &opts)?;
            println!("trained on {} rows", csv.len());
            let out = out
                .as_deref()
                .ok_or_else(|| anyhow::anyhow!("--out is needed without --save"))?;
            write_model(&model, out)
        }
        TextCommand::Eval {
            data,
            model,
            audience,
            folds,
        } => {
            let rows = read_labeled(data)?;
            let a = analyzer(model.as_deref(), audience)?;
            let which = model.as_ref().map_or_else(
                || format!("shipped model, audience {}", a.audience().as_str()),
                |m| m.display().to_string(),
            );
            println!("## {} rows, {which}\n{}", rows.len(), evaluate(&a, &rows));
            if let Some(k) = folds {
                let report = cross_validate(&rows, *k, &TrainOptions::default())?;
                println!("## trained model, {k}-fold cross-validation\n{report}");
            }
            Ok(())
        }
    }
}

/// `train --from-corrections`: the training set of `amends_app::corrections`,
/// the accuracy of the shipped and the new model on the held-out
/// corrections, then the model file and, with `--save`, a new (inactive)
/// version in the database.
async fn train_from_corrections(
    store: &amends_store::Store,
    csv: Vec<amends_text::LabeledRow>,
    opts: &TrainOptions,
    out: Option<&Path>,
    save: bool,
) -> anyhow::Result<()> {
    use amends_app::text_models::{load_set, train_on};
    let set = load_set(store, csv)
        .await
        .map_err(|e| anyhow::anyhow!(e.for_operator()))?;
    println!(
        "held out: {} corrections; training on {} rows ({} corrections, {} CSV rows, {} weak labels from ratings)",
        set.held_out.len(),
        set.train.len(),
        set.n_corrections,
        set.n_csv,
        set.n_weak
    );
    let (model, figures) = train_on(&set, opts).map_err(|e| anyhow::anyhow!(e.for_operator()))?;
    let percent = |x: Option<f64>| {
        x.map_or_else(
            || "n/a (no held-out corrections)".to_owned(),
            |x| format!("{:.1} %", 100.0 * x),
        )
    };
    println!(
        "accuracy on the held-out corrections: shipped model {}, new model {}",
        percent(figures.shipped_accuracy),
        percent(figures.new_accuracy)
    );
    if let Some(out) = out {
        write_model(&model, out)?;
    }
    if save {
        let now = amends_app::clock::Clock::System.now();
        let version = amends_app::text_models::save(store, &model, &set, &figures, None, now)
            .await
            .map_err(|e| anyhow::anyhow!(e.for_operator()))?;
        println!(
            "saved as version {version} (inactive; switch it on under Corrections or with POST /api/v1/text/models/{version}/activate)"
        );
    }
    Ok(())
}

/// Writes a model file and says how to load it.
fn write_model(model: &amends_text::TrainedModel, out: &Path) -> anyhow::Result<()> {
    std::fs::write(out, model.to_bytes()).map_err(|e| anyhow::anyhow!("cannot write `{}`: {e}", out.display()))?;
    println!(
        "model written to {} (load it with text_model = \"{}\")",
        out.display(),
        out.display()
    );
    Ok(())
}
