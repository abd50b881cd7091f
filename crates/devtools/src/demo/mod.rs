//! A realistic, seeded demo data set: B2B accounts, customers in German and
//! English, and recovery cases over 18 months in every state with timelines.

use amends_app::service::{UserInput, create_user};
use amends_domain::sla::{DueDates, SlaTargets};
use amends_domain::{
    AccountId, CaseId, CaseState, Channel, CustomerId, Email, Language, NonEmptyText, Origin, Priority, Tier, UserId,
};
use amends_store::{Batch, CaseRecord, EventKind, EventRecord, NewCustomer, Store};
use chrono::{DateTime, Duration, Utc};
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::json;

mod fair;
mod feedback;
mod incident;
mod insights;
mod outcomes;
pub mod patterns;
mod playbooks;
mod self_service;
mod solutions;

pub use fair::{FairDemo, fair};
pub use feedback::feedback;
pub use incident::incident;
pub use insights::{fixed_loop, teams};
pub use playbooks::playbooks;
pub use self_service::self_service;
pub use solutions::solutions;

/// The password of every demo user (printed at start-up).
pub const DEMO_PASSWORD: &str = "amends-demo";

#[derive(Debug, Clone, Copy)]
pub struct DemoOptions {
    pub customers: usize,
    pub cases: usize,
    pub seed: u64,
    /// Write case timelines too (benchmarks of case lists may skip them).
    pub events: bool,
    /// Feedback items of the 180-day stream the patterns report reads.
    pub stream: usize,
    /// Plant the patterns in the stream (see [`patterns`]).
    pub patterns: bool,
}

impl Default for DemoOptions {
    fn default() -> Self {
        Self {
            customers: 400,
            cases: 1500,
            seed: 42,
            events: true,
            stream: 30_000,
            patterns: true,
        }
    }
}

#[derive(Debug)]
pub struct DemoSummary {
    pub users: Vec<(String, String)>,
    pub accounts: usize,
    pub customers: usize,
    pub cases: usize,
    pub events: usize,
}

const FIRST_DE: &[&str] = &[
    "Anna", "Lukas", "Sophie", "Jonas", "Marie", "Felix", "Lea", "Paul", "Hannah", "Moritz", "Jana", "Tobias",
    "Katrin", "Stefan", "Sabine", "Jürgen", "Ayşe", "Mehmet", "Özlem", "Björn",
];
const LAST_DE: &[&str] = &[
    "Müller",
    "Schmidt",
    "Schneider",
    "Fischer",
    "Weber",
    "Meyer",
    "Wagner",
    "Becker",
    "Schulz",
    "Hoffmann",
    "Koch",
    "Richter",
    "Klein",
    "Wolf",
    "Schröder",
    "Neumann",
    "Schwarz",
    "Zimmermann",
    "Braun",
    "Krüger",
];
const FIRST_EN: &[&str] = &[
    "Emma", "Oliver", "Amelia", "George", "Isla", "Harry", "Ava", "Noah", "Mia", "Jack", "Grace", "Leo",
];
const LAST_EN: &[&str] = &[
    "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Evans", "Thomas",
];
const COMPANIES: &[&str] = &[
    "Müller Logistik GmbH",
    "Nordlicht Energie AG",
    "Bergmann & Söhne KG",
    "Alpen Reisen GmbH",
    "Hansa Handel GmbH",
    "Rheinwerk Maschinenbau AG",
    "Brightside Retail Ltd",
    "Thames Software Ltd",
    "Sonnenschein Apotheken",
    "Kaiser Versicherungen AG",
    "Lindenhof Hotels GmbH",
    "Atlas Freight Ltd",
];

/// (German subject, German description, English subject, English description)
const PROBLEMS: &[(&str, &str, &str, &str)] = &[
    (
        "Lieferung kam beschädigt an",
        "Der Karton war eingedrückt und die Vase zerbrochen. Ich bin sehr enttäuscht.",
        "Delivery arrived damaged",
        "The box was crushed and the vase inside was broken. Very disappointed.",
    ),
    (
        "Paket seit zwei Wochen nicht angekommen",
        "Die Sendungsverfolgung zeigt seit zehn Tagen keinen Fortschritt.",
        "Parcel missing for two weeks",
        "Tracking has not moved for ten days.",
    ),
    (
        "Rechnung doppelt abgebucht",
        "Der Betrag wurde zweimal von meinem Konto abgebucht. Bitte erstatten Sie ihn.",
        "Charged twice for one invoice",
        "The amount was taken from my account twice. Please refund it.",
    ),
    (
        "App stürzt beim Bezahlen ab",
        "Seit dem letzten Update schließt sich die App, sobald ich bezahlen will.",
        "App crashes at checkout",
        "Since the last update the app closes as soon as I try to pay.",
    ),
    (
        "Unfreundlicher Mitarbeiter an der Hotline",
        "Ich wurde am Telefon unterbrochen und abgewimmelt.",
        "Rude agent on the hotline",
        "I was interrupted and brushed off on the phone.",
    ),
    (
        "Flug um fünf Stunden verspätet",
        "Wir haben den Anschlussflug verpasst und mussten im Hotel übernachten.",
        "Flight delayed by five hours",
        "We missed our connection and had to stay in a hotel overnight.",
    ),
    (
        "Produkt nach einer Woche defekt",
        "Das Gerät lässt sich nicht mehr einschalten. Garantie?",
        "Product broken after one week",
        "The device no longer switches on. Is this covered by warranty?",
    ),
    (
        "Warteschleife über eine Stunde",
        "Ich habe 70 Minuten gewartet und wurde dann aus der Leitung geworfen.",
        "On hold for over an hour",
        "I waited 70 minutes and was then disconnected.",
    ),
    (
        "Falscher Artikel geliefert",
        "Bestellt habe ich Größe M, geliefert wurde XL.",
        "Wrong item delivered",
        "I ordered size M and received XL.",
    ),
    (
        "Kündigung wurde nicht bestätigt",
        "Ich habe vor einem Monat gekündigt und werde weiter belastet.",
        "Cancellation not confirmed",
        "I cancelled a month ago and I am still being charged.",
    ),
    (
        "Ausfall des Kundenportals",
        "Seit heute Morgen kann sich niemand aus unserem Team anmelden.",
        "Customer portal outage",
        "Since this morning nobody on our team can log in.",
    ),
    (
        "Techniker nicht erschienen",
        "Der vereinbarte Termin wurde ohne Nachricht nicht wahrgenommen.",
        "Technician did not show up",
        "The agreed appointment was missed without any notice.",
    ),
];

const NOTES_DE: &[&str] = &[
    "Kundin angerufen, Entschuldigung ausgesprochen. Ersatz ist unterwegs.",
    "Mit Logistik geklärt: Schaden beim Transport entstanden.",
    "Gutschrift veranlasst, Kunde war zufrieden.",
    "Rückruf vereinbart für morgen 10 Uhr.",
];
const NOTES_EN: &[&str] = &[
    "Called the customer and apologised. A replacement is on its way.",
    "Checked with logistics: damaged in transit.",
    "Issued a credit note; the customer was happy with it.",
    "Agreed a call back for tomorrow at 10 am.",
];
const REPLY_DE: &str =
    "Es tut mir leid, dass das passiert ist. Dabei kann ich Ihnen helfen: Wir kümmern uns sofort darum.";
const REPLY_EN: &str = "I am sorry this happened. Here is how I can help: we are taking care of it right away.";

fn pick<'a, T>(rng: &mut ChaCha8Rng, items: &'a [T]) -> &'a T {
    items.choose(rng).unwrap_or(&items[0])
}

fn ascii_slug(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            'ä' => "ae".to_string(),
            'ö' => "oe".to_string(),
            'ü' => "ue".to_string(),
            'ß' => "ss".to_string(),
            'ş' => "s".to_string(),
            'Ö' => "oe".to_string(),
            'Ü' => "ue".to_string(),
            'Ä' => "ae".to_string(),
            c if c.is_ascii_alphanumeric() => c.to_ascii_lowercase().to_string(),
            _ => String::new(),
        })
        .collect()
}

/// The states a case passes through to reach `end`, after `new`.
fn path_to(end: CaseState) -> Vec<CaseState> {
    use CaseState::*;
    match end {
        New => vec![],
        Acknowledged => vec![Acknowledged],
        InProgress => vec![Acknowledged, InProgress],
        WaitingOnCustomer => vec![Acknowledged, InProgress, WaitingOnCustomer],
        Resolved => vec![Acknowledged, InProgress, Resolved],
        FollowedUp => vec![Acknowledged, InProgress, Resolved, FollowedUp],
        Closed => vec![Acknowledged, InProgress, Resolved, FollowedUp, Closed],
        Reopened => vec![Acknowledged, InProgress, Resolved, Reopened],
    }
}

/// Routing profiles for the demo agents (routing itself stays off until an
/// admin switches it on under Settings → Users); existing profiles are kept.
async fn demo_routing(store: &Store, user: UserId, username: &str, now: DateTime<Utc>) -> anyhow::Result<()> {
    use amends_domain::routing::RoutingProfile;
    let (languages, skills): (&[Language], &[&str]) = match username {
        "anna" => (&[Language::De], &["billing", "delivery"]),
        "ben" => (&[Language::De, Language::En], &["product_defect", "waiting_time"]),
        "emma" => (&[Language::En], &["app_website", "delivery"]),
        _ => return Ok(()),
    };
    if store.get_agent_routing(user).await?.profile.is_some() {
        return Ok(());
    }
    let profile = RoutingProfile {
        languages: languages.to_vec(),
        skills: skills.iter().map(|s| (*s).to_string()).collect(),
        tiers: None,
        available: true,
        max_open: 150,
    };
    store.set_routing_profile(user, &profile, None, now).await?;
    Ok(())
}

/// Creates demo users (if missing) and fills the database.
pub async fn generate(store: &Store, now: DateTime<Utc>, opts: DemoOptions) -> anyhow::Result<DemoSummary> {
    let mut rng = ChaCha8Rng::seed_from_u64(opts.seed);
    let id_bits = move |rng: &mut ChaCha8Rng| rng.random::<u128>();
    let people = [
        ("admin", "Admin", "admin", Language::De),
        ("lena", "Lena Vogel (Lead)", "lead", Language::De),
        ("anna", "Anna Berger", "agent", Language::De),
        ("ben", "Ben Krause", "agent", Language::De),
        ("emma", "Emma Clarke", "agent", Language::En),
    ];
    let mut users = Vec::new();
    let mut agents: Vec<UserId> = Vec::new();
    let mut admin = None;
    for (username, name, role, lang) in people {
        let user = match store.get_user_by_username(username).await {
            Ok(u) => u,
            Err(_) => create_user(
                store,
                now,
                UserInput {
                    username: username.into(),
                    display_name: Some(name.into()),
                    email: Some(format!("{username}@amends.example")),
                    role: role.into(),
                    language: Some(lang.code().into()),
                    password: DEMO_PASSWORD.into(),
                },
                None,
            )
            .await
            .map_err(|e| anyhow::anyhow!("creating demo user {username}: {e}"))?,
        };
        if role == "admin" {
            admin = Some(user.id);
        } else {
            agents.push(user.id);
        }
        demo_routing(store, user.id, username, now).await?;
        users.push((username.to_string(), role.to_string()));
    }

    let mut batch = Batch::default();
    let start = now - Duration::days(540);
    let n_accounts = (opts.customers / 20).clamp(1, COMPANIES.len() * 10);
    for i in 0..n_accounts {
        let at = start - Duration::days(rng.random_range(0..200));
        let base = COMPANIES[i % COMPANIES.len()];
        let name = if i < COMPANIES.len() {
            base.to_string()
        } else {
            format!("{base} ({})", i / COMPANIES.len() + 1)
        };
        batch
            .accounts
            .push((AccountId::new_at(at, id_bits(&mut rng)), name, at));
    }
    for i in 0..opts.customers {
        let english = rng.random_bool(0.3);
        let (first, last) = if english {
            (*pick(&mut rng, FIRST_EN), *pick(&mut rng, LAST_EN))
        } else {
            (*pick(&mut rng, FIRST_DE), *pick(&mut rng, LAST_DE))
        };
        let b2b = rng.random_bool(0.25);
        let account = if b2b {
            batch.accounts.choose(&mut rng).map(|a| a.0)
        } else {
            None
        };
        let tier = match (b2b, rng.random_range(0..10)) {
            (true, 0..=5) => Tier::Enterprise,
            (_, 0..=6) => Tier::Standard,
            _ => Tier::Premium,
        };
        let clv_cents = match tier {
            Tier::Standard => rng.random_range(5_000..150_000),
            Tier::Premium => rng.random_range(100_000..800_000),
            Tier::Enterprise => rng.random_range(1_000_000..25_000_000),
        };
        let at = start + Duration::minutes(rng.random_range(0..540 * 24 * 60 / 2));
        let domain = if b2b {
            "firma.example"
        } else if english {
            "mail.example.co.uk"
        } else {
            "post.example.de"
        };
        let email = Email::parse(&format!("{}.{}{}@{domain}", ascii_slug(first), ascii_slug(last), i))?;
        batch.customers.push(NewCustomer {
            id: CustomerId::new_at(at, id_bits(&mut rng)),
            external_id: Some(format!("CRM-{:06}", 10_000 + i)),
            account_id: account,
            name: NonEmptyText::parse("name", &format!("{first} {last}"), 200)?,
            email: Some(email),
            language: if english { Language::En } else { Language::De },
            tier,
            clv_cents,
            consent_contact: true,
            consent_survey: rng.random_bool(0.9),
            created_at: at,
        });
    }
    // Accounts and customers first; cases follow in chunks so memory stays flat.
    store.insert_batch(&batch).await?;
    let customers = std::mem::take(&mut batch.customers);
    let accounts = batch.accounts.len();
    let mut total_cases = 0;
    let mut total_events = 0;
    if customers.is_empty() {
        return Ok(DemoSummary {
            users,
            accounts,
            customers: 0,
            cases: 0,
            events: 0,
        });
    }
    let mut chunk = Batch::default();

    let channels = [
        Channel::Email,
        Channel::Phone,
        Channel::Chat,
        Channel::Web,
        Channel::Social,
        Channel::Widget,
    ];
    let priorities = [
        Priority::Low,
        Priority::Normal,
        Priority::Normal,
        Priority::Normal,
        Priority::High,
        Priority::Urgent,
    ];
    let total_minutes = 540 * 24 * 60;
    // Three in five customers have failures; the others are the never-failed
    // baseline of the recovery paradox. Outcomes draw from their own stream.
    let failing = (customers.len() * 3 / 5).max(1);
    let mut out_rng = ChaCha8Rng::seed_from_u64(opts.seed ^ 0x5eed_0f0c);
    let mut outcomes = outcomes::Outcomes::default();
    let mut stream_cases: Vec<(CaseId, amends_domain::CustomerId)> = Vec::new();
    for _ in 0..opts.cases {
        let customer = pick(&mut rng, &customers[..failing]).clone();
        let created = now - Duration::minutes(rng.random_range(5..total_minutes));
        let age_days = (now - created).num_days();
        let end = if age_days > 30 {
            *pick(
                &mut rng,
                &[
                    CaseState::Closed,
                    CaseState::Closed,
                    CaseState::FollowedUp,
                    CaseState::Resolved,
                    CaseState::Reopened,
                ],
            )
        } else if age_days > 3 {
            *pick(
                &mut rng,
                &[
                    CaseState::InProgress,
                    CaseState::WaitingOnCustomer,
                    CaseState::Resolved,
                    CaseState::Closed,
                    CaseState::Acknowledged,
                ],
            )
        } else {
            *pick(
                &mut rng,
                &[
                    CaseState::New,
                    CaseState::New,
                    CaseState::Acknowledged,
                    CaseState::InProgress,
                    CaseState::WaitingOnCustomer,
                ],
            )
        };
        let problem_index = rng.random_range(0..PROBLEMS.len());
        let problem = &PROBLEMS[problem_index];
        // Billing, staff, wrong items, cancellations and no-shows are the
        // company's own doing; most customers see them so.
        let controllable = [2, 4, 8, 9, 11].contains(&problem_index) != out_rng.random_bool(0.1);
        let german = customer.language == Language::De;
        let (subject, description) = if german {
            (problem.0, problem.1)
        } else {
            (problem.2, problem.3)
        };
        let priority = *pick(&mut rng, &priorities);
        let due = DueDates::from_start(created, SlaTargets::default_for(customer.tier, priority));
        let id = CaseId::new_at(created, id_bits(&mut rng));
        let assignee = if end == CaseState::New && rng.random_bool(0.6) {
            None
        } else {
            agents.choose(&mut rng).copied()
        };
        let channel = *pick(&mut rng, &channels);
        let mut t = created;
        let mut seq: u128 = 0;
        let mut ev = |kind: EventKind,
                      author: Option<UserId>,
                      body: Option<String>,
                      data: serde_json::Value,
                      at: DateTime<Utc>,
                      rng: &mut ChaCha8Rng| {
            // A rising counter in the first random bits keeps same-time events in order.
            seq += 1;
            let random = u128::from(rng.random::<u64>());
            if !opts.events {
                return;
            }
            chunk.events.push(EventRecord {
                id: amends_domain::ids::uuid_v7_at(at, (seq << 64) | random),
                case_id: id,
                kind,
                author_id: author,
                body,
                data: Some(data.to_string()),
                created_at: at,
            });
        };
        ev(
            EventKind::Created,
            None,
            None,
            json!({"channel": channel, "origin": "manual", "priority": priority}),
            t,
            &mut rng,
        );
        ev(
            EventKind::MessageIn,
            None,
            Some(description.to_string()),
            json!({"channel": channel}),
            t,
            &mut rng,
        );
        let mut first_responded_at = None;
        let mut resolved_at = None;
        let mut closed_at = None;
        let mut prev = CaseState::New;
        // Some cases breach their first-response target; most do not.
        let max_step = if rng.random_bool(0.2) { 600 } else { 180 };
        for st in path_to(end) {
            t += Duration::minutes(rng.random_range(10..max_step.max(11)));
            if t > now {
                t = now;
            }
            if first_responded_at.is_none() {
                first_responded_at = Some(t);
                let reply = if german { REPLY_DE } else { REPLY_EN };
                ev(
                    EventKind::MessageOut,
                    assignee,
                    Some(reply.to_string()),
                    json!({"channel": channel}),
                    t,
                    &mut rng,
                );
            }
            if st == CaseState::InProgress && rng.random_bool(0.7) {
                let note = if german {
                    *pick(&mut rng, NOTES_DE)
                } else {
                    *pick(&mut rng, NOTES_EN)
                };
                ev(
                    EventKind::Note,
                    assignee,
                    Some(note.to_string()),
                    serde_json::Value::Null,
                    t,
                    &mut rng,
                );
            }
            match st {
                CaseState::Resolved => resolved_at = Some(t),
                CaseState::Closed => closed_at = Some(t),
                CaseState::Reopened => {
                    resolved_at = None;
                }
                _ => {}
            }
            ev(
                EventKind::StateChange,
                assignee,
                None,
                json!({"from": prev, "to": st}),
                t,
                &mut rng,
            );
            prev = st;
        }
        chunk.cases.push(CaseRecord {
            id,
            customer_id: customer.id.0,
            subject: subject.to_string(),
            description: description.to_string(),
            channel,
            origin: Origin::Manual,
            state: end,
            priority,
            tier: customer.tier,
            assignee_id: assignee,
            first_response_due_at: due.first_response_due_at,
            resolution_due_at: due.resolution_due_at,
            first_responded_at,
            resolved_at,
            closed_at,
            sla_paused_at: (end == CaseState::WaitingOnCustomer).then_some(t),
            severity: Some(rng.random_range(1..=4)),
            repeat_failure: Some(out_rng.random_bool(0.35)),
            controllable: Some(controllable),
            created_at: created,
            updated_at: t,
            incident_id: None,
        });
        if opts.stream > 0 {
            stream_cases.push((id, customer.id));
        }
        if let Some(record) = chunk.cases.last().cloned() {
            outcomes.case(&mut out_rng, &record, &customer, &agents, now, &mut chunk);
        }
        if chunk.cases.len() >= 10_000 {
            total_cases += chunk.cases.len();
            total_events += chunk.events.len();
            store.insert_batch(&chunk).await?;
            chunk = Batch::default();
            // The triggers' statements are planned with the statistics of
            // the moment: refreshed as the tables double, so that a large
            // load on PostgreSQL does not keep the plans of empty tables.
            if (total_cases / 10_000).is_power_of_two() {
                store.analyze().await?;
            }
        }
    }
    total_cases += chunk.cases.len();
    total_events += chunk.events.len();
    outcomes.finish(&mut out_rng, &customers, failing, now, &mut chunk);
    let mut stream_rng = ChaCha8Rng::seed_from_u64(opts.seed ^ 0x0057_4ea7);
    chunk.feedback = patterns::stream(
        &mut stream_rng,
        opts.stream,
        &customers,
        &stream_cases,
        now,
        chrono_tz::Europe::Berlin,
        opts.patterns,
    );
    store.insert_batch(&chunk).await?;
    if let (true, Some(admin)) = (opts.stream > 0, admin) {
        store.insert_change_event(&patterns::release(now), admin, now).await?;
    }
    Ok(DemoSummary {
        users,
        accounts,
        customers: customers.len(),
        cases: total_cases,
        events: total_events,
    })
}
