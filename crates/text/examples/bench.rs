//! Throughput of `Analyzer::analyze` on short feedback, one thread.
//!
//! ```text
//! cargo run --release -p amends-text --example bench [-- SECONDS [MODEL_FILE]]
//! ```

use amends_text::{Analyzer, bench, bench_corpus};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let seconds: f64 = args.first().and_then(|s| s.parse().ok()).unwrap_or(3.0);
    let analyzer = match args.get(1) {
        Some(path) => match Analyzer::from_model_file(std::path::Path::new(path)) {
            Ok(a) => a,
            Err(e) => {
                eprintln!("error: {e}");
                std::process::exit(1);
            }
        },
        None => Analyzer::default_model(),
    };
    let docs = bench_corpus();
    let _warm = bench(&analyzer, &docs, 0.2);
    println!("{}", bench(&analyzer, &docs, seconds));
}
