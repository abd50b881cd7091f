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
    /// Feedback import: a generated CSV of N rows (German and English) into
    /// a scratch database through `amends import feedback`, then the same
    /// file again (adds nothing). Prints rows/s, wall time and peak RSS.
    Import {
        /// Rows of the generated file
        #[arg(long, default_value_t = 1_000_000)]
        rows: usize,
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
    /// The analytics reports (dashboard, recovery paradox, patterns, ROI)
    /// on the database at --database-url itself, kept afterwards: an empty
    /// database is first filled with the inbox benchmark's data set, one
    /// that has cases is measured as it is (so a data set of 1,000,000
    /// cases is loaded once). The reference figures come from a scratch
    /// database of --reference-cases cases.
    Analytics {
        /// Cases to generate when the database has none
        #[arg(long, default_value_t = 1_000_000)]
        cases: usize,
        /// Customers to generate when the database has none
        #[arg(long, default_value_t = 200_000)]
        customers: usize,
        /// Cases in the small reference database
        #[arg(long, default_value_t = 10_000)]
        reference_cases: usize,
        /// Timed runs per report
        #[arg(long, default_value_t = 20)]
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
                let (store, state) = scratch_app(&url, &config, clock).await?;
                let r = amends_devtools::bench::incident_fan_out(&state, Clock::System.now(), (*affected).max(1)).await;
                store.close().await;
                r
            }
            .await;
            amends_store::scratch::drop(&base, "amends_bench_incidents", &url).await?;
            let b = result?;
            let backend = backend_name(&base);
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
        BenchCommand::Import { rows } => bench_import(database_url, config, (*rows).max(1)).await,
        BenchCommand::Solutions { articles, queries } => {
            let base = database_url.clone().unwrap_or_else(|| "sqlite://amends.db".into());
            let backend = backend_name(&base);
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
        BenchCommand::Analytics {
            cases,
            customers,
            reference_cases,
            iterations,
        } => {
            let base = database_url.clone().unwrap_or_else(|| "sqlite://amends.db".into());
            bench_analytics(&base, *customers, *cases, *reference_cases, *iterations).await
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
            let backend = backend_name(&base);
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

/// The analytics reports on the database at `url` (filled first if it has
/// no cases) against a scratch reference database next to it.
async fn bench_analytics(
    url: &str,
    customers: usize,
    cases: usize,
    reference_cases: usize,
    iterations: usize,
) -> anyhow::Result<()> {
    let now = Clock::System.now();
    let small_url = amends_store::scratch::create(url, "amends_bench_analytics_small").await?;
    let small = async {
        let store = Store::connect(&small_url, amends_store::Durability::Normal).await?;
        store.migrate().await?;
        amends_devtools::bench::load(&store, now, (reference_cases / 5).max(1), reference_cases).await?;
        let r = amends_devtools::bench_analytics::analytics(&store, now, iterations).await;
        store.close().await;
        r
    }
    .await;
    amends_store::scratch::drop(url, "amends_bench_analytics_small", &small_url).await?;
    let small = small?;
    let store = Store::connect(url, amends_store::Durability::Normal).await?;
    store.migrate().await?;
    let existing = store
        .count_cases(&amends_store::CaseFilter::default(), i64::MAX)
        .await?;
    if existing == 0 {
        eprintln!("generating {cases} cases for {customers} customers in {url} …");
        let seconds = amends_devtools::bench::load(&store, now, customers.max(1), cases).await?;
        eprintln!("loaded in {seconds:.1} s");
    }
    let total = store
        .count_cases(&amends_store::CaseFilter::default(), i64::MAX)
        .await?;
    let big = amends_devtools::bench_analytics::analytics(&store, now, iterations).await;
    store.close().await;
    let big = big?;
    println!(
        "analytics reports on {}: {total} cases vs. {reference_cases} cases reference",
        backend_name(url)
    );
    println!(
        "{:<20} {:>10} {:>10} {:>12} {:>8}",
        "report", "p50 ms", "p99 ms", "p50 ratio", "rows"
    );
    print_timings(&big, &small);
    Ok(())
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

/// `amends bench import`: generate, import, import again; print the figures.
async fn bench_import(database_url: Option<String>, config: Config, rows: usize) -> anyhow::Result<()> {
    let base = database_url.unwrap_or_else(|| "sqlite://amends.db".into());
    let dir = std::env::temp_dir().join(format!("amends-bench-import-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let file = dir.join("feedback.csv");
    let bytes = amends_devtools::bench_import::write_feedback_csv(&file, rows)?;
    eprintln!(
        "generated {rows} rows ({:.0} MB) in {}",
        bytes as f64 / 1e6,
        file.display()
    );
    let url = amends_store::scratch::create(&base, "amends_bench_import").await?;
    let result = async {
        let (store, state) = scratch_app(&url, &config, Clock::System).await?;
        let started = std::time::Instant::now();
        let first = crate::import::import_feedback(&state, &file, None).await?;
        let first_secs = started.elapsed().as_secs_f64();
        let rss_first = amends_devtools::bench_import::peak_rss_mib();
        let started = std::time::Instant::now();
        let again = crate::import::import_feedback(&state, &file, None).await?;
        let again_secs = started.elapsed().as_secs_f64();
        store.close().await;
        anyhow::Ok((first, first_secs, rss_first, again, again_secs))
    }
    .await;
    amends_store::scratch::drop(&base, "amends_bench_import", &url).await?;
    let _ = std::fs::remove_dir_all(&dir);
    let (first, first_secs, rss_first, again, again_secs) = result?;
    let backend = backend_name(&base);
    let rss = |r: Option<f64>| r.map_or_else(|| "unknown".into(), |m| format!("{m:.0} MiB"));
    println!("feedback import on {backend}: {rows} rows");
    println!(
        "first run: {:.1} s ({:.0} rows/s): {} added, {} with a recovery case, {} skipped; peak RSS {}",
        first_secs,
        rows as f64 / first_secs.max(1e-9),
        first.added,
        first.with_case,
        first.error_count,
        rss(rss_first)
    );
    println!(
        "same file again: {:.1} s ({:.0} rows/s): {} added, {} imported before; peak RSS {}",
        again_secs,
        rows as f64 / again_secs.max(1e-9),
        again.added,
        again.duplicates,
        rss(amends_devtools::bench_import::peak_rss_mib())
    );
    Ok(())
}

/// The backend a database URL names.
fn backend_name(url: &str) -> &'static str {
    if url.starts_with("postgres") {
        "PostgreSQL"
    } else {
        "SQLite"
    }
}

/// The migrated scratch database at `url` and an `App` on it without job workers.
async fn scratch_app(url: &str, config: &Config, clock: Clock) -> anyhow::Result<(Store, amends_app::App)> {
    let store = Store::connect(url, amends_store::Durability::Normal).await?;
    store.migrate().await?;
    let mut config = config.clone();
    config.database_url = url.to_string();
    config.job_workers = 0;
    let state = amends_app::App::new(store.clone(), clock, config)?;
    Ok((store, state))
}
