//! Developer tooling that the `amends` binary links behind its `demo` and
//! `bench` subcommands: a seeded, realistic demo data set and the
//! benchmarks of the inbox, the incident fan-out and the solution search.
//! Not part of the production library: nothing in `amends-app` or
//! `amends-web` depends on it.

pub mod bench;
pub mod bench_analytics;
pub mod bench_import;
pub mod bench_search;
pub mod demo;
mod timing;

pub use timing::percentile;
