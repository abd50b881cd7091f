//! Throughput benchmark of [`Analyzer::analyze`] (called by `amends bench`
//! and the `bench` example). Not a timed test.

use std::fmt;
use std::time::Instant;

use crate::analyzer::Analyzer;

/// Result of [`bench`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BenchReport {
    /// Documents analysed.
    pub docs: usize,
    /// Bytes analysed.
    pub bytes: usize,
    /// Wall time in seconds.
    pub seconds: f64,
    /// Documents per second on one thread.
    pub docs_per_second: f64,
}

impl fmt::Display for BenchReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} documents ({:.1} bytes on average) in {:.3} s on one thread: {:.0} docs/s, {:.1} MB/s",
            self.docs,
            self.bytes as f64 / self.docs.max(1) as f64,
            self.seconds,
            self.docs_per_second,
            self.bytes as f64 / self.seconds.max(1e-9) / 1e6
        )
    }
}

/// Short German and English feedback written for this benchmark.
pub fn bench_corpus() -> Vec<&'static str> {
    vec![
        "Die Lieferung kam drei Tage zu spät und das Paket war beschädigt.",
        "Super Service, vielen Dank für die schnelle Hilfe!",
        "Ich warte seit zwei Wochen auf meine Erstattung. Das ist eine Frechheit.",
        "Der Mitarbeiter an der Hotline war sehr freundlich und kompetent.",
        "Die App stürzt bei jeder Bestellung ab, so kann ich nicht bezahlen.",
        "Wenn das nicht sofort geklärt wird, kündige ich meinen Vertrag.",
        "Rechnung doppelt abgebucht, bitte dringend korrigieren.",
        "Alles gut angekommen, gerne wieder.",
        "Nie wieder! Ich schalte meinen Anwalt ein.",
        "Zug fällt aus, Anschluss verpasst, keine Information am Bahnsteig.",
        "Das Produkt funktioniert nicht, obwohl es neu ist.",
        "Ganz okay, aber die Wartezeit am Telefon war zu lang.",
        "The delivery was late again and nobody answered my emails.",
        "Great support, the agent solved my problem in five minutes.",
        "I want to cancel my subscription, this is the third outage this month.",
        "The website keeps logging me out during checkout.",
        "I was charged twice for the same order, please fix this asap.",
        "Not bad, but the packaging could be better.",
        "My lawyer will contact you if I do not get a refund.",
        "Thanks, everything arrived on time and works perfectly.",
        "The staff at the counter was rude and unhelpful.",
        "Still waiting for a reply after three weeks.",
        "Product broke after two days, very disappointed.",
        "Okay.",
    ]
}

/// Analyse `docs` repeatedly on the calling thread for at least
/// `min_seconds` and report the throughput.
pub fn bench(analyzer: &Analyzer, docs: &[&str], min_seconds: f64) -> BenchReport {
    let mut count = 0usize;
    let mut bytes = 0usize;
    let mut sink = 0usize;
    let start = Instant::now();
    if !docs.is_empty() {
        loop {
            for d in docs {
                let a = analyzer.analyze(d, None);
                sink = sink.wrapping_add(a.topics.len() + a.signals.len());
                bytes += d.len();
            }
            count += docs.len();
            if start.elapsed().as_secs_f64() >= min_seconds {
                break;
            }
        }
    }
    std::hint::black_box(sink);
    let seconds = start.elapsed().as_secs_f64();
    BenchReport {
        docs: count,
        bytes,
        seconds,
        docs_per_second: count as f64 / seconds.max(1e-9),
    }
}
