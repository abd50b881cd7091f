//! `amends bench …`: the benchmarks of docs/BENCHMARKS.md, on scratch
//! databases; the measuring lives in `amends-devtools`, this prints it.

use amends_app::{Clock, Config};
use amends_store::Store;
use clap::Subcommand;

#[derive(Subcommand)]
pub enum BenchCommand {
    /// Incident fan-out: upload N affected customers (CSV, streamed) and
    /// time until every case, grant and outbox entry is committed; compare
    /// with a plain batched insert of the same rows. Uses a scratch
    /// database (temporary SQLite file, or a new database next to
    /// --database-url when it is a postgres:// URL).
    Incidents {
        /// Affected customers
        #[arg(long, default_value_t = 100_000)]
        affected: usize,
    },
    /// Solution search at scale: N generated articles (German and English),
    /// timed searches through the API's search path (p50/p95/p99), against a
    /// reference database of N/100 articles. Uses scratch databases
    /// (temporary SQLite files, or new databases next to --database-url when
    /// it is a postgres:// URL).
    Solutions {
        /// Articles in the large database
        #[arg(long, default_value_t = 100_000)]
        articles: usize,
        /// Timed searches per database
        #[arg(long, default_value_t = 1_000)]
        queries: usize,
    },
    /// The request figures over real HTTP: starts `amends serve` on a
    /// scratch database (temporary SQLite file, or a new database next to
    /// --database-url when it is a postgres:// URL), drives it over loopback
    /// with CONCURRENCY client tasks for SECONDS per figure (create a case,
    /// send feedback, read a case, list new cases), and runs plain one-row
    /// commits on the same disk in the same run for the ratio.
    Http {
        /// Client tasks sending at once (each on its keep-alive connection)
        #[arg(long, default_value_t = 16)]
        concurrency: usize,
        /// Seconds per figure
        #[arg(long, default_value_t = 10.0)]
        seconds: f64,
    },
    /// Inbox and customer-page queries at scale, against a small reference
    /// database. Uses scratch databases: temporary SQLite files, or new
    /// databases next to --database-url when it is a postgres:// URL.
    Inbox {
        /// Cases in the large database
        #[arg(long, default_value_t = 1_000_000)]
        cases: usize,
        /// Customers in the large database
        #[arg(long, default_value_t = 200_000)]
        customers: usize,
        /// Cases in the small reference database
        #[arg(long, default_value_t = 10_000)]
        reference_cases: usize,
        /// Timed runs per query (first and second page each)
        #[arg(long, default_value_t = 50)]
        iterations: usize,
    },
}

pub async fn run(cmd: &BenchCommand, database_url: Option<String>, config: Config) -> anyhow::Result<()> {
    let clock = Clock::System;
    match cmd {
        BenchCommand::Http { concurrency, seconds } => {
            let base = database_url.unwrap_or_else(|| "sqlite://amends.db".into());
            crate::bench_http::run(
                &base,
                crate::bench_http::Load {
                    concurrency: *concurrency,
                    seconds: *seconds,
                },
            )
            .await
        }
        BenchCommand::Incidents { affected } => {
            let base = database_url.clone().unwrap_or_else(|| "sqlite://amends.db".into());
            let url = amends_store::scratch::create(&base, "amends_bench_incidents").await?;
            let result = async {
                let store = Store::connect(&url, amends_store::Durability::Normal).await?;
                store.migrate().await?;
                let mut config = config.clone();
                config.database_url = url.clone();
                config.job_workers = 0;
                let state = amends_app::App::new(store.clone(), clock, config)?;
                let r = amends_devtools::bench::incident_fan_out(&state, Clock::System.now(), (*affected).max(1)).await;
                store.close().await;
                r
            }
            .await;
            amends_store::scratch::drop(&base, "amends_bench_incidents", &url).await?;
            let b = result?;
            let backend = if base.starts_with("postgres") {
                "PostgreSQL"
            } else {
                "SQLite"
            };
            println!("incident fan-out on {backend}: {} affected customers", b.affected);
            println!(
                "upload → committed: {:.2} s ({:.0} customers/s): {} cases, {} queued messages, {} goodwill grants",
                b.upload_seconds,
                b.affected as f64 / b.upload_seconds.max(1e-9),
                b.cases,
                b.messages,
                b.grants
            );
            println!(
                "plain batched insert of the same {} rows: {:.2} s ({:.0} rows/s); ratio fan-out / plain: {:.2}x",
                b.rows,
                b.baseline_seconds,
                b.rows as f64 / b.baseline_seconds.max(1e-9),
                b.upload_seconds / b.baseline_seconds.max(1e-9)
            );
            if let (Some(u), Some(p)) = (b.upload_cpu_seconds, b.baseline_cpu_seconds) {
                println!(
                    "CPU time of this process (all threads): fan-out {u:.2} s, plain insert {p:.2} s, ratio {:.2}x",
                    u / p.max(1e-9)
                );
            }
            Ok(())
        }
        BenchCommand::Solutions { articles, queries } => {
            let base = database_url.clone().unwrap_or_else(|| "sqlite://amends.db".into());
            let backend = if base.starts_with("postgres") {
                "PostgreSQL"
            } else {
                "SQLite"
            };
            let small = bench_search_on(
                &base,
                "amends_bench_search_small",
                (*articles / 100).max(1_000),
                *queries,
            )
            .await?;
            let large = bench_search_on(&base, "amends_bench_search_large", (*articles).max(1), *queries).await?;
            println!(
                "solution search on {backend} ({} queries each; all terms, then any term, then typo correction)",
                large.queries
            );
            println!("| articles | load | p50 | p95 | p99 | max | results/query |");
            println!("|---:|---:|---:|---:|---:|---:|---:|");
            for b in [&small, &large] {
                println!(
                    "| {} | {:.1} s | {:.2} ms | {:.2} ms | {:.2} ms | {:.2} ms | {:.1} |",
                    b.articles, b.load_seconds, b.p50_ms, b.p95_ms, b.p99_ms, b.max_ms, b.mean_results
                );
            }
            println!(
                "ratio {} / {} articles: p50 {:.1}x, p99 {:.1}x",
                large.articles,
                small.articles,
                large.p50_ms / small.p50_ms.max(1e-9),
                large.p99_ms / small.p99_ms.max(1e-9)
            );
            Ok(())
        }
        BenchCommand::Inbox {
            cases,
            customers,
            reference_cases,
            iterations,
        } => {
            let base = database_url.clone().unwrap_or_else(|| "sqlite://amends.db".into());
            let small = bench_inbox_on(
                &base,
                "amends_bench_small",
                *reference_cases / 5,
                *reference_cases,
                *iterations,
            )
            .await?;
            let big = bench_inbox_on(&base, "amends_bench_large", *customers, *cases, *iterations).await?;
            let backend = if base.starts_with("postgres") {
                "PostgreSQL"
            } else {
                "SQLite"
            };
            println!(
                "inbox benchmark on {backend}: {} cases / {} customers vs. {} cases reference",
                big.cases, big.customers, small.cases
            );
            println!(
                "load: {:.1} s for {} cases ({:.0} cases/s, bulk insert without timelines)",
                big.load_seconds,
                big.cases,
                big.cases as f64 / big.load_seconds.max(1e-9)
            );
            println!(
                "{:<20} {:>10} {:>10} {:>12} {:>8}",
                "query", "p50 ms", "p99 ms", "p50 ratio", "rows"
            );
            print_timings(&big.timings, &small.timings);
            println!("(p50 ratio = large / reference; about 1x means the query does not grow with the table)");
            println!("analytics reports (rows = cases or survey answers in the period):");
            print_timings(&big.analytics, &small.analytics);
            Ok(())
        }
    }
}

/// One line per query: the large run's p50 and p99 and its ratio to the reference run.
fn print_timings(big: &[amends_devtools::bench::QueryTiming], small: &[amends_devtools::bench::QueryTiming]) {
    for (b, s) in big.iter().zip(small) {
        println!(
            "{:<20} {:>10.2} {:>10.2} {:>11.1}x {:>8}",
            b.name,
            b.p50_ms,
            b.p99_ms,
            b.p50_ms / s.p50_ms.max(1e-6),
            b.rows
        );
    }
}

async fn bench_inbox_on(
    base: &str,
    name: &str,
    customers: usize,
    cases: usize,
    iterations: usize,
) -> anyhow::Result<amends_devtools::bench::InboxBench> {
    let url = amends_store::scratch::create(base, name).await?;
    eprintln!("generating {cases} cases for {customers} customers in {url} …");
    let result = async {
        let store = Store::connect(&url, amends_store::Durability::Normal).await?;
        store.migrate().await?;
        let r = amends_devtools::bench::inbox(&store, Clock::System.now(), customers.max(1), cases, iterations).await;
        store.close().await;
        r
    }
    .await;
    amends_store::scratch::drop(base, name, &url).await?;
    result
}

/// Runs the solution search benchmark on a scratch database next to `base`.
async fn bench_search_on(
    base: &str,
    name: &str,
    articles: usize,
    queries: usize,
) -> anyhow::Result<amends_devtools::bench_search::SearchBench> {
    let url = amends_store::scratch::create(base, name).await?;
    let result = async {
        let store = Store::connect(&url, amends_store::Durability::Normal).await?;
        store.migrate().await?;
        let r = amends_devtools::bench_search::solution_search(&store, Clock::System.now(), articles, queries).await;
        store.close().await;
        r
    }
    .await;
    amends_store::scratch::drop(base, name, &url).await?;
    result
}
