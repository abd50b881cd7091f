//! The feedback file of `amends bench import`: N rows of generated German
//! and English feedback (built at run time from phrase lists, seeded), from
//! one customer per 20 rows, written as CSV in the format of
//! `amends import feedback`.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::io::Write;
use std::path::Path;

const DE_OPENINGS: &[&str] = &[
    "Die Lieferung kam",
    "Mein Paket wurde",
    "Die Rechnung war",
    "Der Kundenservice hat",
    "Die Bestellung ist",
    "Die App hat",
    "Der Techniker kam",
    "Die Rückerstattung wurde",
];
const DE_GOOD: &[&str] = &[
    "pünktlich und gut verpackt an. Vielen Dank!",
    "schnell bearbeitet, sehr freundlich.",
    "genau wie beschrieben, alles bestens.",
    "zuverlässig wie immer, gerne wieder.",
];
const DE_BAD: &[&str] = &[
    "drei Tage zu spät, der Karton war beschädigt.",
    "falsch berechnet und niemand antwortet auf meine Mails.",
    "schon wieder nicht erledigt, ich bin sehr enttäuscht.",
    "unfreundlich und die Wartezeit war viel zu lang.",
];
const DE_CHURN: &[&str] = &[
    " Ich kündige meinen Vertrag.",
    " Wenn das so bleibt, wechsle ich zur Konkurrenz.",
];
const EN_OPENINGS: &[&str] = &[
    "The delivery",
    "My parcel",
    "The invoice",
    "Your support team",
    "The order",
    "The app",
    "The technician",
    "The refund",
];
const EN_GOOD: &[&str] = &[
    "arrived on time and well packed. Thank you!",
    "was handled quickly, very friendly.",
    "was exactly as described, great service.",
    "was reliable as always, will order again.",
];
const EN_BAD: &[&str] = &[
    "was three days late and the box was damaged.",
    "was wrong and nobody answers my emails.",
    "is still not fixed, I am really disappointed.",
    "was rude and the waiting time was far too long.",
];
const EN_CHURN: &[&str] = &[
    " I am cancelling my contract.",
    " If this goes on I will switch to a competitor.",
];

fn pick<'a>(rng: &mut ChaCha8Rng, list: &[&'a str]) -> &'a str {
    list[rng.random_range(0..list.len())]
}

/// Writes `rows` feedback rows to `path` (header `customer_email,
/// customer_name,rating,text,language,order_id`): half German, half
/// English; ratings mostly 4–5, one in ten 1–2 (those open or join a case
/// by the "Low rating" rule), a few with a churn threat. Gives the bytes written.
pub fn write_feedback_csv(path: &Path, rows: usize) -> anyhow::Result<u64> {
    let file = std::fs::File::create(path)?;
    let mut w = std::io::BufWriter::with_capacity(1 << 20, file);
    let mut rng = ChaCha8Rng::seed_from_u64(19);
    let customers = (rows / 20).max(1);
    writeln!(w, "customer_email,customer_name,rating,text,language,order_id")?;
    let mut written = 0u64;
    for i in 0..rows {
        let c = rng.random_range(0..customers);
        let german = c % 2 == 0;
        let rating: u8 = match rng.random_range(0..100) {
            0..5 => 1,
            5..10 => 2,
            10..25 => 3,
            25..60 => 4,
            _ => 5,
        };
        let bad = rating <= 3;
        let churn = bad && rng.random_range(0..20) == 0;
        let (opening, rest, tail, lang) = if german {
            (
                pick(&mut rng, DE_OPENINGS),
                pick(&mut rng, if bad { DE_BAD } else { DE_GOOD }),
                if churn { pick(&mut rng, DE_CHURN) } else { "" },
                "de",
            )
        } else {
            (
                pick(&mut rng, EN_OPENINGS),
                pick(&mut rng, if bad { EN_BAD } else { EN_GOOD }),
                if churn { pick(&mut rng, EN_CHURN) } else { "" },
                "en",
            )
        };
        let line = format!(
            "kunde{c}@example.{},Kunde {c},{rating},\"{opening} {rest}{tail}\",{lang},B-{i}\n",
            if german { "de" } else { "com" }
        );
        w.write_all(line.as_bytes())?;
        written += line.len() as u64;
    }
    w.flush()?;
    Ok(written)
}

/// The peak resident set size of this process in MiB (`VmHWM` of
/// /proc/self/status), where Linux tells it.
#[must_use]
pub fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kib: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kib / 1024.0)
}
