//! Training of the sentiment model: features of labelled rows (prepared
//! by the analyser's shipped resources), then the optimiser.

use crate::analyzer::{Prepared, Resources};
use crate::error::TextError;
use crate::features::{N_LEXICON_FEATURES, RawCounts, tfidf_normalize};
use crate::model::{LabeledRow, ModelHeader, TrainOptions, TrainedModel};
use crate::optimize::{self, K, SparseRows};

/// Train a model on labelled rows. Deterministic.
pub(crate) fn train_with(
    res: &Resources,
    rows: &[LabeledRow],
    options: &TrainOptions,
) -> Result<TrainedModel, TextError> {
    let cfg = options.features;
    cfg.check().map_err(TextError::Training)?;
    if !(options.c.is_finite() && options.c > 0.0) {
        return Err(TextError::Training(format!(
            "c must be a positive number, got {}",
            options.c
        )));
    }
    if rows.len() < 3 {
        return Err(TextError::Training(format!(
            "need at least 3 labelled rows, got {}",
            rows.len()
        )));
    }
    let mut class_counts = [0usize; 3];
    for r in rows {
        class_counts[r.sentiment.index()] += 1;
    }
    if class_counts.iter().filter(|c| **c > 0).count() < 2 {
        return Err(TextError::Training(
            "all rows have the same sentiment; add rows of at least two classes".to_owned(),
        ));
    }
    let n_buckets = cfg.n_buckets();
    let mut prepared = Prepared::default();
    let mut raws: Vec<RawCounts> = Vec::with_capacity(rows.len());
    let mut df = vec![0u32; n_buckets];
    for r in rows {
        let hint = r.language.or(options.default_language);
        res.prepare(&r.text, hint, &mut prepared);
        let mut raw = RawCounts::default();
        prepared.raw_counts(res, &cfg, &mut raw);
        for &(b, _) in raw.words.iter().chain(&raw.chars) {
            df[b as usize] += 1;
        }
        raws.push(raw);
    }
    let n = rows.len() as f32;
    let idf: Vec<f32> = df
        .iter()
        .map(|&d| {
            if d == 0 {
                0.0
            } else {
                ((1.0 + n) / (1.0 + d as f32)).ln() + 1.0
            }
        })
        .collect();
    // Compact column ids for the buckets in use.
    let mut col = vec![u32::MAX; n_buckets];
    let mut buckets: Vec<u32> = Vec::new();
    for (b, &d) in df.iter().enumerate() {
        if d > 0 {
            col[b] = buckets.len() as u32;
            buckets.push(b as u32);
        }
    }
    let n_sparse = buckets.len();
    let mut x = SparseRows {
        offsets: vec![0],
        indices: Vec::new(),
        values: Vec::new(),
        n_features: n_sparse + N_LEXICON_FEATURES,
    };
    for raw in &mut raws {
        for group in [&mut raw.words, &mut raw.chars] {
            tfidf_normalize(group, |b| idf[b as usize]);
            for &(b, v) in group.iter() {
                x.indices.push(col[b as usize]);
                x.values.push(v);
            }
        }
        for (j, &v) in raw.dense.iter().enumerate() {
            if v != 0.0 {
                x.indices.push((n_sparse + j) as u32);
                x.values.push(v);
            }
        }
        x.offsets.push(x.indices.len());
    }
    drop(raws);
    let y: Vec<usize> = rows.iter().map(|r| r.sentiment.index()).collect();
    let fitted = optimize::fit(&x, &y, options.c, options.max_iter, 1e-5);
    let p = &fitted.params;
    let mut table = vec![[0f32; 4]; n_buckets];
    for (b, row) in table.iter_mut().enumerate() {
        row[0] = idf[b];
        if col[b] != u32::MAX {
            let j = col[b] as usize * K;
            row[1] = p[j] as f32;
            row[2] = p[j + 1] as f32;
            row[3] = p[j + 2] as f32;
        }
    }
    let dense = (0..N_LEXICON_FEATURES)
        .map(|d| {
            let j = (n_sparse + d) * K;
            [p[j] as f32, p[j + 1] as f32, p[j + 2] as f32]
        })
        .collect();
    let bo = x.n_features * K;
    let bias = [p[bo] as f32, p[bo + 1] as f32, p[bo + 2] as f32];
    let header = ModelHeader {
        features: cfg,
        dense_features: N_LEXICON_FEATURES,
        trained_rows: rows.len(),
        class_counts,
        c: options.c,
        iterations: fitted.iterations,
        created_by: concat!("amends-text ", env!("CARGO_PKG_VERSION")).to_owned(),
    };
    let _ = fitted.objective;
    Ok(TrainedModel {
        header,
        table,
        dense,
        bias,
    })
}
