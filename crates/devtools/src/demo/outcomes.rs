//! What happened after each demo failure, so the analytics pages tell a
//! true story: answered surveys, goodwill, customers who stay or leave, and
//! the ratings of customers who never had a failure.
//!
//! Planted: the service recovery paradox in one segment only. Recovered
//! first, minor, uncontrollable failures rate 4.6 on average and churn
//! least; other recovered failures rate about 4.0, unrecovered ones about
//! 2.2, and never-failed customers about 4.2.

use amends_domain::goodwill::GoodwillKind;
use amends_domain::{CustomerId, Language, UserId};
use amends_store::{Batch, CaseRecord, GrantRecord, NewCustomer, RatingRecord, SurveyRecord};
use chrono::{DateTime, Duration, Utc};
use rand::Rng;
use rand::seq::IndexedRandom;
use rand_chacha::ChaCha8Rng;
use std::collections::HashMap;

/// A score drawn around `mean` (1–5).
fn score(rng: &mut ChaCha8Rng, mean: f64) -> i32 {
    let noise: f64 = rng.random_range(-1.0..1.0) + rng.random_range(-0.6..0.6);
    (mean + noise).round().clamp(1.0, 5.0) as i32
}

const RATING_TEXTS: &[(&str, &str)] = &[
    ("Alles bestens, danke.", "All good, thank you."),
    ("Zufrieden mit dem Service.", "Happy with the service."),
    ("Läuft ohne Probleme.", "Works without any problems."),
    ("Ganz okay.", "It is okay."),
];

/// Where each customer stands after their failures.
#[derive(Default)]
pub struct Outcomes {
    /// Customer → churn chance after their latest failure, its resolution,
    /// and how many failures they had.
    churn: HashMap<CustomerId, (f64, DateTime<Utc>, u32)>,
}

impl Outcomes {
    /// The survey answer, goodwill and churn risk of one demo case.
    pub fn case(
        &mut self,
        rng: &mut ChaCha8Rng,
        case: &CaseRecord,
        customer: &NewCustomer,
        agents: &[UserId],
        now: DateTime<Utc>,
        batch: &mut Batch,
    ) {
        let Some(resolved) = case.resolved_at.or(case.closed_at) else {
            return;
        };
        let minor = case.severity.is_some_and(|s| s <= 2);
        let first = case.repeat_failure == Some(false);
        let uncontrollable = case.controllable == Some(false);
        let profile = minor && first && uncontrollable;
        let fast = case
            .first_responded_at
            .is_some_and(|r| r - case.created_at <= Duration::hours(4));
        let recovered = rng.random_bool(if fast { 0.8 } else { 0.6 });
        let goodwill = rng.random_bool(0.3);
        let requested_by = agents.choose(rng).copied();
        if let (true, Some(by)) = (goodwill, requested_by) {
            batch.grants.push(GrantRecord {
                id: amends_domain::ids::uuid_v7_at(resolved, rng.random()),
                case_id: case.id,
                customer_id: customer.id,
                kind: *[GoodwillKind::Voucher, GoodwillKind::Refund, GoodwillKind::Discount]
                    .choose(rng)
                    .unwrap_or(&GoodwillKind::Voucher),
                value_cents: rng.random_range(10..=60) * 100,
                reason: "Entschuldigung für die Unannehmlichkeiten".into(),
                requested_by: by,
                granted_at: resolved,
            });
        }
        let churn_chance = match (recovered, profile) {
            (true, true) => 0.04,
            (true, false) => 0.14,
            (false, _) => 0.4,
        };
        // Whether a customer leaves depends on how their latest failure went
        // and on how many they had.
        let entry = self.churn.entry(customer.id).or_insert((churn_chance, resolved, 0));
        entry.2 += 1;
        if resolved >= entry.1 {
            (entry.0, entry.1) = (churn_chance, resolved);
        }
        if !customer.consent_survey || !rng.random_bool(0.65) {
            return;
        }
        let sent = resolved + Duration::hours(rng.random_range(2..48));
        let answered = sent + Duration::hours(rng.random_range(1..72));
        if answered >= now {
            return;
        }
        let mean = match (recovered, profile) {
            (true, true) => 4.65,
            (true, false) => 3.95,
            (false, _) => 2.2,
        };
        batch.surveys.push(SurveyRecord {
            id: amends_domain::ids::uuid_v7_at(answered, rng.random()),
            case_id: case.id,
            customer_id: customer.id,
            language: customer.language,
            sent_at: sent,
            answered_at: answered,
            score: score(rng, mean),
            solved: Some(recovered),
        });
    }

    /// Ratings and churn of the customers who never had a failure, and the
    /// churn of the others.
    pub fn finish(
        self,
        rng: &mut ChaCha8Rng,
        customers: &[NewCustomer],
        failing: usize,
        now: DateTime<Utc>,
        batch: &mut Batch,
    ) {
        for c in customers.iter().skip(failing) {
            for _ in 0..rng.random_range(1..=3) {
                let at =
                    c.created_at + Duration::minutes(rng.random_range(0..((now - c.created_at).num_minutes().max(1))));
                let text = RATING_TEXTS.choose(rng).unwrap_or(&RATING_TEXTS[0]);
                batch.ratings.push(RatingRecord {
                    id: amends_domain::ids::uuid_v7_at(at, rng.random()),
                    customer_id: c.id,
                    rating: score(rng, 4.2).max(3),
                    text: if c.language == Language::De { text.0 } else { text.1 }.to_string(),
                    language: c.language,
                    created_at: at,
                });
            }
            if rng.random_bool(0.1) {
                let from = c.created_at + Duration::days(rng.random_range(0..400));
                Self::leave_after(rng, c.id, from, now, batch);
            }
        }
        let mut churn: Vec<_> = self.churn.into_iter().collect();
        churn.sort_by_key(|(id, _)| id.0);
        for (customer, (chance, from, failures)) in churn {
            // Each failure after the first makes leaving a quarter likelier.
            let chance = (chance * (1.0 + f64::from(failures.saturating_sub(1)) / 4.0)).min(0.9);
            if rng.random_bool(chance) {
                Self::leave_after(rng, customer, from, now, batch);
            }
        }
    }

    fn leave_after(rng: &mut ChaCha8Rng, id: CustomerId, from: DateTime<Utc>, now: DateTime<Utc>, batch: &mut Batch) {
        let at = from + Duration::days(rng.random_range(5..60));
        if at < now {
            batch.churned.push((id, at));
        }
    }
}
