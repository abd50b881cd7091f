//! Print amends' English score for every text of a VADER ground-truth file
//! (`id<TAB>mean<TAB>text`), one `id<TAB>compound` line each, to set beside
//! VADER 3.3.2's own compound with `crates/text/scripts/vader_compare.py`.
//! `--no-hint` lets amends detect the language, as it must for feedback.
//!
//! ```text
//! cargo run --release -p amends-text --example vader_scores -- [--no-hint] ../shared/data/vader/tweets_GroundTruth.txt
//! ```

use amends_text::{Analyzer, Language};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let analyzer = Analyzer::default_model();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let hint = (!args.iter().any(|a| a == "--no-hint")).then_some(Language::En);
    for path in args.iter().filter(|a| !a.starts_with("--")) {
        for line in std::fs::read_to_string(path)?.lines() {
            let mut cols = line.splitn(3, '\t');
            let (Some(id), Some(_), Some(text)) = (cols.next(), cols.next(), cols.next()) else {
                continue;
            };
            println!("{id}\t{:.4}", analyzer.sentiment(text, hint).score);
        }
    }
    Ok(())
}
