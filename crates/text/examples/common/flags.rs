//! Command-line flags shared by the `eval` and `tune_german` examples.

use amends_text::TrainOptions;

/// The value after `name`, if given.
pub fn flag(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .cloned()
}

/// `base` with the training flags of `args` applied: `--seed`, `--c`,
/// `--lexicon-weight`, `--hash-bits`, `--word-ngrams`, `--char-ngrams MIN-MAX`.
pub fn train_options(args: &[String], base: TrainOptions) -> Result<TrainOptions, String> {
    let mut o = base;
    if let Some(s) = flag(args, "--seed") {
        o.seed = s.parse().map_err(|_| format!("--seed: `{s}` is not a number"))?;
    }
    if let Some(c) = flag(args, "--c") {
        o.c = c.parse().map_err(|_| format!("--c: `{c}` is not a number"))?;
    }
    if let Some(w) = flag(args, "--lexicon-weight") {
        o.features.lexicon_weight = w
            .parse()
            .map_err(|_| format!("--lexicon-weight: `{w}` is not a number"))?;
    }
    if let Some(b) = flag(args, "--hash-bits") {
        o.features.hash_bits = b.parse().map_err(|_| format!("--hash-bits: `{b}` is not a number"))?;
    }
    if let Some(n) = flag(args, "--word-ngrams") {
        o.features.word_ngrams = n.parse().map_err(|_| format!("--word-ngrams: `{n}` is not a number"))?;
    }
    if let Some(r) = flag(args, "--char-ngrams") {
        let (lo, hi) = r
            .split_once('-')
            .and_then(|(a, b)| Some((a.parse().ok()?, b.parse().ok()?)))
            .ok_or_else(|| format!("--char-ngrams: `{r}` is not MIN-MAX (0-0 = none)"))?;
        o.features.char_min = lo;
        o.features.char_max = hi;
    }
    Ok(o)
}
