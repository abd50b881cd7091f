//! What the benchmarks report of a query: its p50 and p99.

/// Timing of one query shape.
#[derive(Debug, Clone)]
pub struct QueryTiming {
    pub name: &'static str,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub rows: usize,
}

impl QueryTiming {
    /// The p50 and p99 of `samples` (milliseconds, in any order) of a
    /// query that returned `rows` rows.
    pub(crate) fn from_samples(name: &'static str, mut samples: Vec<f64>, rows: usize) -> Self {
        samples.sort_by(f64::total_cmp);
        Self {
            name,
            p50_ms: percentile(&samples, 0.5),
            p99_ms: percentile(&samples, 0.99),
            rows,
        }
    }
}

/// Milliseconds since `start`.
pub(crate) fn elapsed_ms(start: std::time::Instant) -> f64 {
    start.elapsed().as_secs_f64() * 1000.0
}

/// The value at fraction `p` of sorted samples (nearest rank).
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let idx = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[idx.min(sorted.len() - 1)]
}
