//! What the benchmarks report of a query: its p50 and p99.

/// Timing of one query shape.
#[derive(Debug, Clone)]
pub struct QueryTiming {
    pub name: &'static str,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub rows: usize,
}

/// The value at fraction `p` of sorted samples (nearest rank).
pub(crate) fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let idx = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[idx.min(sorted.len() - 1)]
}
