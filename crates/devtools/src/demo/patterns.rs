//! The demo's feedback stream of the last 180 days, with two planted
//! patterns the patterns report must find (and, without them, nothing):
//!
//! - waiting-time complaints are three times as frequent on weekday
//!   mornings 9–10 (the hour from 09:00, configured time zone): there, a
//!   fifth of the other feedback becomes a waiting-time complaint (8 % → 24 %);
//! - a release two days ago triples the billing complaints from then on;
//! - the checkout (a product component) draws the complaints: three in ten
//!   complaints name it whatever minute they came (its complaint share
//!   20 % → 32 %; the number of complaints does not change).
//!
//! Feedback on the web, the widget and in chat names its product
//! component (checkout, billing, account, search — by the minute it came).
//!
//! Everything else is stationary noise: a fifth of the feedback are
//! complaints (topics: waiting time 40 %, billing 20 %, delivery 20 %,
//! product defect and staff 10 % each), channels and cases drawn at random;
//! the praise names topics too (see [`PRAISE`]), so that the risk register
//! finds waiting time the most failure-prone topic — one without a
//! playbook.

use amends_domain::{CaseId, Channel, CustomerId, Language};
use amends_store::{FeedbackRecord, NewChangeEvent, NewCustomer};
use chrono::{DateTime, Datelike, Duration, NaiveTime, TimeZone, Timelike, Utc};
use chrono_tz::Tz;
use rand::Rng;
use rand::seq::IndexedRandom;
use rand_chacha::ChaCha8Rng;

/// Days the stream covers.
pub const STREAM_DAYS: i64 = 180;

const COMPLAINTS: &[(&str, &str, &str)] = &[
    (
        "waiting_time",
        "Über eine Stunde in der Warteschleife, das ist zu lange.",
        "Waited over an hour in the queue, far too long.",
    ),
    (
        "billing",
        "Die Rechnung ist falsch, es wurde zu viel abgebucht.",
        "The invoice is wrong, I was charged too much.",
    ),
    (
        "delivery",
        "Die Lieferung kam schon wieder zu spät.",
        "The delivery was late again.",
    ),
    (
        "product_defect",
        "Das Gerät ist nach einer Woche kaputt.",
        "The device broke after a week.",
    ),
    (
        "staff_behaviour",
        "Der Mitarbeiter war unfreundlich.",
        "The agent was rude to me.",
    ),
];
/// Weights of the complaint topics above (out of 10).
const WEIGHTS: [u32; 5] = [4, 2, 2, 1, 1];

/// The product components feedback is about, by the minute of the hour
/// (not by the random stream, so the rest of the demo stays as it was).
const COMPONENTS: [&str; 4] = ["checkout", "billing", "account", "search"];

/// The component of an item at `at`; with the plant, three in ten
/// complaints come from the checkout (by the second they came).
fn component_at(at: DateTime<Utc>, complaint: bool, plant: bool) -> &'static str {
    if plant && complaint && at.timestamp().rem_euclid(10) < 3 {
        return "checkout";
    }
    let minute = usize::try_from(at.timestamp().rem_euclid(3600) / 60).unwrap_or(0);
    COMPONENTS[minute % COMPONENTS.len()]
}

/// Praise and remarks about a topic: the other feedback names one by the
/// second it came (out of 20: delivery 5, billing 4, waiting time 2,
/// product and staff 1 each, none 7), so each topic has a failure rate of
/// its own (waiting time about 50 %, billing and delivery about 20 %).
const PRAISE: &[(&str, &str, &str)] = &[
    ("delivery", "Die Lieferung kam pünktlich.", "The delivery came on time."),
    (
        "billing",
        "Die Rechnung war korrekt und verständlich.",
        "The invoice was correct and clear.",
    ),
    (
        "waiting_time",
        "Kaum Wartezeit an der Hotline.",
        "Hardly any waiting time on the hotline.",
    ),
    (
        "product_defect",
        "Das Gerät läuft einwandfrei.",
        "The device works perfectly.",
    ),
    ("staff_behaviour", "Sehr freundliche Beratung.", "Very friendly advice."),
];

/// The praise topic of an item at `at` (an index of [`PRAISE`]), if any.
fn praise_at(at: DateTime<Utc>) -> Option<usize> {
    match at.timestamp().rem_euclid(20) {
        0..=4 => Some(0),
        5..=8 => Some(1),
        9 | 10 => Some(2),
        11 => Some(3),
        12 => Some(4),
        _ => None,
    }
}

const OTHERS: &[(&str, &str, &str, i32)] = &[
    ("positive", "Schnelle Hilfe, danke!", "Quick help, thank you!", 5),
    ("positive", "Alles gut geklappt.", "Everything worked fine.", 4),
    ("neutral", "Paket ist angekommen.", "Parcel arrived.", 3),
];

fn complaint_topic(rng: &mut ChaCha8Rng) -> usize {
    let mut r = rng.random_range(0..10u32);
    for (i, w) in WEIGHTS.iter().enumerate() {
        if r < *w {
            return i;
        }
        r -= w;
    }
    0
}

/// When the planted release happened.
#[must_use]
pub fn release_at(now: DateTime<Utc>) -> DateTime<Utc> {
    now - Duration::days(2)
}

/// The planted release (a change event); recorded with or without its effect.
#[must_use]
pub fn release(now: DateTime<Utc>) -> NewChangeEvent {
    NewChangeEvent {
        kind: "release".into(),
        title: "Billing 2.4".into(),
        component: Some("billing".into()),
        at: release_at(now),
    }
}

/// A random time in the stream: 85 % in the hours 8–20 local.
fn when(rng: &mut ChaCha8Rng, now: DateTime<Utc>, tz: Tz) -> Option<DateTime<Utc>> {
    let day = now.with_timezone(&tz).date_naive() - Duration::days(rng.random_range(0..STREAM_DAYS));
    let hour = if rng.random_bool(0.85) {
        rng.random_range(8..20)
    } else {
        *[0, 1, 2, 3, 4, 5, 6, 7, 20, 21, 22, 23].choose(rng)?
    };
    let t = NaiveTime::from_hms_opt(hour, rng.random_range(0..60), rng.random_range(0..60))?;
    let at = tz.from_local_datetime(&day.and_time(t)).earliest()?.with_timezone(&Utc);
    (at < now).then_some(at)
}

/// The stream: `items` feedback items (plus the planted billing complaints),
/// a third of them on a random demo case.
#[must_use]
pub fn stream(
    rng: &mut ChaCha8Rng,
    items: usize,
    customers: &[NewCustomer],
    cases: &[(CaseId, CustomerId)],
    now: DateTime<Utc>,
    tz: Tz,
    plant: bool,
) -> Vec<FeedbackRecord> {
    let channels = [
        Channel::Email,
        Channel::Chat,
        Channel::Web,
        Channel::Social,
        Channel::Widget,
    ];
    let mut out = Vec::with_capacity(items + 64);
    let language = |id: CustomerId| {
        customers
            .iter()
            .find(|c| c.id == id)
            .map_or(Language::De, |c| c.language)
    };
    let mut push = |rng: &mut ChaCha8Rng, at: DateTime<Utc>, complaint: Option<usize>| {
        let (case_id, customer_id) = match cases.choose(rng) {
            Some((case, customer)) if rng.random_bool(0.33) => (Some(*case), *customer),
            _ => match customers.choose(rng) {
                Some(c) => (None, c.id),
                None => return,
            },
        };
        let german = language(customer_id) == Language::De;
        let (sentiment, text, rating, topics) = match complaint {
            Some(i) => {
                let (topic, de, en) = COMPLAINTS[i];
                (
                    "negative",
                    if german { de } else { en },
                    1 + i32::from(rng.random_bool(0.5)),
                    vec![topic.to_string()],
                )
            }
            None => {
                let (s, de, en, r) = *OTHERS.choose(rng).unwrap_or(&OTHERS[0]);
                match praise_at(at) {
                    Some(i) => {
                        let (topic, de, en) = PRAISE[i];
                        (s, if german { de } else { en }, r, vec![topic.to_string()])
                    }
                    None => (s, if german { de } else { en }, r, Vec::new()),
                }
            }
        };
        // The order of the draws is that of the stream before components.
        let id = amends_domain::ids::uuid_v7_at(at, rng.random());
        let channel = *channels.choose(rng).unwrap_or(&Channel::Email);
        out.push(FeedbackRecord {
            id,
            customer_id,
            case_id,
            channel,
            // Web, widget and chat know the page the customer was on.
            component: matches!(channel, Channel::Web | Channel::Widget | Channel::Chat)
                .then(|| component_at(at, complaint.is_some(), plant).to_string()),
            rating: Some(rating),
            text: text.to_string(),
            language: if german { Language::De } else { Language::En },
            sentiment,
            topics,
            created_at: at,
        });
    };
    for _ in 0..items {
        let Some(at) = when(rng, now, tz) else { continue };
        let mut complaint = rng.random_bool(0.2).then(|| complaint_topic(rng));
        let local = at.with_timezone(&tz);
        let weekday_morning = local.weekday().number_from_monday() <= 5 && local.hour() == 9;
        if plant && complaint.is_none() && weekday_morning && rng.random_bool(0.2) {
            complaint = Some(0);
        }
        push(rng, at, complaint);
    }
    if plant {
        // Twice the usual billing complaints again from the release on.
        let start = release_at(now);
        let per_day = items as f64 / STREAM_DAYS as f64 * 0.2 * 0.2;
        let extra = (2.0 * per_day * (now - start).num_minutes() as f64 / 1440.0).round() as usize;
        for _ in 0..extra {
            let at = start + Duration::minutes(rng.random_range(0..(now - start).num_minutes().max(1)));
            push(rng, at, Some(1));
        }
    }
    out
}
