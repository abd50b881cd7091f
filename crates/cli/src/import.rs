//! `amends import feedback`: streams a CSV file through
//! `amends_app::import::import_csv` and shows its progress (a bar on a
//! terminal, a log line every few seconds otherwise).

use amends_app::App;
use amends_app::import::{ImportOutcome, Progress};
use amends_domain::UserId;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::{IsTerminal, Read};
use std::path::Path;
use std::time::{Duration, Instant};

/// Seconds between two progress lines when standard error is no terminal.
const LOG_EVERY: Duration = Duration::from_secs(5);

/// Shows how far an import is: rows/s and, for a file of known size, the ETA.
struct Reporter {
    started: Instant,
    total_bytes: Option<u64>,
    bar: Option<ProgressBar>,
    last_log: Instant,
}

impl Reporter {
    fn new(total_bytes: Option<u64>, terminal: bool) -> Self {
        let bar = terminal.then(|| {
            let bar = match total_bytes {
                Some(n) => ProgressBar::with_draw_target(Some(n), ProgressDrawTarget::stderr()).with_style(
                    ProgressStyle::with_template("{bar:30} {percent:>3}% {msg} ETA {eta}")
                        .unwrap_or_else(|_| ProgressStyle::default_bar()),
                ),
                None => ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr()).with_style(
                    ProgressStyle::with_template("{spinner} {msg}")
                        .unwrap_or_else(|_| ProgressStyle::default_spinner()),
                ),
            };
            bar.enable_steady_tick(Duration::from_millis(250));
            bar
        });
        Self {
            started: Instant::now(),
            total_bytes,
            bar,
            last_log: Instant::now(),
        }
    }

    fn rate(&self, p: &Progress) -> f64 {
        p.rows as f64 / self.started.elapsed().as_secs_f64().max(1e-3)
    }

    /// Seconds left, from the share of the file read so far.
    fn eta(&self, p: &Progress) -> Option<f64> {
        let total = self.total_bytes? as f64;
        let done = p.bytes as f64;
        (done > 0.0).then(|| self.started.elapsed().as_secs_f64() * (total - done).max(0.0) / done)
    }

    fn update(&mut self, p: &Progress) {
        let msg = format!(
            "{} rows, {:.0} rows/s ({} added, {} imported before, {} with problems)",
            p.rows,
            self.rate(p),
            p.added,
            p.duplicates,
            p.errors
        );
        if let Some(bar) = &self.bar {
            bar.set_position(p.bytes);
            bar.set_message(msg);
        } else if self.last_log.elapsed() >= LOG_EVERY {
            self.last_log = Instant::now();
            let eta = self.eta(p).map_or_else(String::new, |s| format!(", ETA {s:.0} s"));
            eprintln!("import: {msg}{eta}");
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

/// Imports the feedback CSV at `file` (`-`: standard input) and prints
/// what it did; fails, with a hint, on a file that cannot be read as one.
pub async fn import_feedback(state: &App, file: &Path, actor: Option<UserId>) -> anyhow::Result<ImportOutcome> {
    let (reader, size): (Box<dyn Read + Send>, Option<u64>) = if file.as_os_str() == "-" {
        (Box::new(std::io::stdin()), None)
    } else {
        let f = std::fs::File::open(file).map_err(|e| anyhow::anyhow!("cannot read `{}`: {e}", file.display()))?;
        let size = f.metadata().ok().map(|m| m.len());
        (Box::new(f), size)
    };
    let mut reporter = Reporter::new(size, std::io::stderr().is_terminal());
    let out = amends_app::import::import_csv(state, reader, actor, |p| reporter.update(p)).await;
    reporter.finish();
    let out = out.map_err(|e| {
        anyhow::anyhow!(
            "cannot import `{}`: {e}\nhint: the file must be CSV (separated by commas, semicolons or tabs; UTF-8, UTF-16 or \
             Windows-1252) whose first row names the columns: `text` and `customer_email` or `customer_id`, optionally customer_name, channel, rating, \
             language, external_id (see docs/IMPORT.md)",
            file.display()
        )
    })?;
    for e in &out.errors {
        eprintln!(
            "row {}: {}{}",
            e.row,
            if e.field.is_empty() {
                String::new()
            } else {
                format!("{}: ", e.field)
            },
            e.message
        );
    }
    if out.error_count > out.errors.len() {
        eprintln!("… and {} more rows with problems", out.error_count - out.errors.len());
    }
    println!(
        "imported {} feedback items ({} with a recovery case); {} rows skipped; {} rows imported before",
        out.added, out.with_case, out.error_count, out.duplicates
    );
    if out.added == 0 && out.duplicates == 0 && out.error_count > 0 {
        anyhow::bail!("no row could be imported; fix the rows listed above");
    }
    Ok(out)
}
