//! Analyse texts given as arguments (audience `public`, and the sentiment for
//! audience `direct`) and explain the lexicon score.
//!
//! ```text
//! cargo run --release -p amends-text --example classify -- "Die Lieferung kam zu spät!" "Great service"
//! ```

use amends_text::{Analyzer, Audience};

fn main() {
    let analyzer = Analyzer::default_model();
    for text in std::env::args().skip(1) {
        let analysis = analyzer.analyze(&text, None);
        println!("{text}");
        println!("  {}", serde_json::to_string(&analysis).unwrap_or_default());
        let direct = analyzer.clone().with_audience(Audience::Direct).sentiment(&text, None);
        println!("  written to the company (audience direct): {direct:?}");
        println!("  words: {:?}", analyzer.explain(&text, None));
    }
}
