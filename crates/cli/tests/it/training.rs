//! Training cases over HTTP on planted cases whose outcome is known: the
//! best and failed recoveries are picked (in a known order) and the others
//! not; no name, e-mail, phone number, id or exact amount of the customer
//! appears in the JSON, the Markdown or the pages; German and English.

use crate::support::{Backend, TestApp, create_user, get_html, problem, t0};
use amends_domain::goodwill::GoodwillKind;
use amends_domain::{
    CaseId, CaseState, Channel, CustomerId, Email, Language, NonEmptyText, Origin, Priority, Tier, UserId,
};
use amends_store::{Batch, CaseRecord, EventKind, EventRecord, FeedbackRecord, GrantRecord, NewCustomer, SurveyRecord};
use chrono::{DateTime, Duration, Utc};
use serde_json::Value;

const NAMES: [&str; 9] = [
    "Zora Quendelbeck",
    "Ulf Brackwasser",
    "Ilse Morgentau",
    "Tamo Vierlinde",
    "Edda Kranichfeld",
    "Olaf Silberdistel",
    "Jorinde Sandhafer",
    "Boris Nebelkamp",
    "Wibke Lindwurz",
];

struct Plant {
    severity: i32,
    score: Option<i32>,
    negative_feedback: bool,
    reopened: bool,
    churned: bool,
    open: bool,
    /// Days before t0 the case was opened.
    age_days: i64,
}

/// 0, 1: best; 2, 3, 4: failed (low score, reopened, churned); 5, 6: neither;
/// 7: still open; 8: a best recovery resolved before the period.
fn plants() -> Vec<Plant> {
    let p = |severity, score, negative_feedback, reopened, churned| Plant {
        severity,
        score,
        negative_feedback,
        reopened,
        churned,
        open: false,
        age_days: 20,
    };
    vec![
        p(3, Some(5), false, false, false),
        p(1, Some(4), true, false, false),
        p(2, Some(1), false, false, false),
        p(2, Some(4), false, true, false),
        p(3, Some(3), false, false, true),
        p(1, Some(5), false, false, false),
        p(3, Some(3), false, false, false),
        Plant {
            open: true,
            ..p(3, Some(5), false, false, false)
        },
        Plant {
            age_days: 300,
            ..p(3, Some(5), false, false, false)
        },
    ]
}

fn customer(i: usize) -> NewCustomer {
    let at = t0() - Duration::days(500) + Duration::seconds(i as i64);
    let first = NAMES[i].split(' ').next().expect("first name").to_lowercase();
    NewCustomer {
        id: CustomerId::new_at(at, i as u128 + 17),
        external_id: Some(format!("KD-{}", 880_100 + i)),
        account_id: None,
        name: NonEmptyText::parse("name", NAMES[i], 200).expect("name"),
        email: Some(Email::parse(&format!("{first}.privat@example.org")).expect("email")),
        language: Language::De,
        tier: Tier::Premium,
        clv_cents: 50_000,
        consent_contact: true,
        consent_survey: true,
        created_at: at,
    }
}

fn event(
    case: CaseId,
    n: u128,
    kind: EventKind,
    author: Option<UserId>,
    body: &str,
    data: Option<&str>,
    at: DateTime<Utc>,
) -> EventRecord {
    EventRecord {
        id: amends_domain::ids::uuid_v7_at(at, n),
        case_id: case,
        kind,
        author_id: author,
        body: (!body.is_empty()).then(|| body.to_string()),
        data: data.map(str::to_string),
        created_at: at,
    }
}

/// Plants the cases; their ids in the order of [`plants`].
async fn seed(app: &TestApp, agent: UserId) -> Vec<CaseId> {
    let mut b = Batch::default();
    let mut ids = Vec::new();
    for (i, p) in plants().iter().enumerate() {
        let c = customer(i);
        let created = t0() - Duration::days(p.age_days) + Duration::minutes(i as i64);
        let id = CaseId::new_at(created, i as u128 + 1);
        let resolved = created + Duration::hours(26);
        let first = NAMES[i].split(' ').next().expect("first");
        let last = NAMES[i].split(' ').nth(1).expect("last");
        let email = c.email.as_ref().map(|e| e.as_str().to_string()).expect("email");
        b.cases.push(CaseRecord {
            id,
            customer_id: c.id.0,
            subject: format!("Bestellung 4471{i}09 von {last} beschädigt"),
            description: format!(
                "Ich bin {} ({email}, Tel. +49 171 555012{i}). Meine Kundennummer ist {}. \
                 Ich habe 47,60 € bezahlt, siehe https://shop.example.com/orders/{}.",
                NAMES[i],
                c.external_id.as_deref().expect("external id"),
                c.id.0
            ),
            channel: Channel::Email,
            origin: Origin::Manual,
            state: if p.open {
                CaseState::InProgress
            } else {
                CaseState::Closed
            },
            priority: Priority::High,
            tier: Tier::Premium,
            assignee_id: Some(agent),
            first_response_due_at: created + Duration::hours(4),
            resolution_due_at: created + Duration::hours(48),
            first_responded_at: Some(created + Duration::hours(1)),
            resolved_at: (!p.open).then_some(resolved),
            closed_at: (!p.open).then_some(resolved + Duration::hours(1)),
            sla_paused_at: None,
            severity: Some(p.severity),
            repeat_failure: Some(false),
            controllable: Some(true),
            created_at: created,
            updated_at: resolved,
            incident_id: None,
        });
        b.events.push(event(
            id,
            1,
            EventKind::MessageIn,
            None,
            &format!("Hallo, hier {first} {last}, bitte rufen Sie 0171 555012{i} an."),
            None,
            created + Duration::minutes(10),
        ));
        b.events.push(event(
            id,
            2,
            EventKind::MessageOut,
            Some(agent),
            &format!("Liebe Frau {last}, wir erstatten Ihnen 47,60 €. Ihr agent1"),
            None,
            created + Duration::minutes(135),
        ));
        if p.reopened {
            b.events.push(event(
                id,
                3,
                EventKind::StateChange,
                Some(agent),
                "",
                Some(r#"{"from":"resolved","to":"reopened"}"#),
                created + Duration::hours(30),
            ));
        }
        if let (Some(score), false) = (p.score, p.open) {
            b.surveys.push(SurveyRecord {
                id: amends_domain::ids::uuid_v7_at(resolved, i as u128),
                case_id: id,
                customer_id: c.id,
                language: Language::De,
                sent_at: resolved + Duration::hours(1),
                answered_at: resolved + Duration::hours(5),
                score,
                solved: Some(score >= 4),
            });
        }
        if p.negative_feedback {
            b.feedback.push(FeedbackRecord {
                id: amends_domain::ids::uuid_v7_at(created, i as u128),
                customer_id: c.id,
                case_id: Some(id),
                channel: Channel::Email,
                rating: Some(2),
                text: format!("Sehr ärgerlich, {first}"),
                language: Language::De,
                sentiment: "negative",
                topics: vec!["delivery".into()],
                component: None,
                created_at: created,
            });
        }
        b.grants.push(GrantRecord {
            id: amends_domain::ids::uuid_v7_at(created + Duration::hours(3), i as u128),
            case_id: id,
            customer_id: c.id,
            kind: GoodwillKind::Voucher,
            value_cents: 4_760,
            reason: format!("Entschuldigung an {last}"),
            requested_by: agent,
            granted_at: created + Duration::hours(3),
        });
        if p.churned {
            b.churned.push((c.id, created + Duration::days(5)));
        }
        b.customers.push(c);
        ids.push(id);
    }
    app.store.insert_batch(&b).await.expect("seed");
    ids
}

fn listed(v: &Value) -> Vec<String> {
    v["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .map(|c| c["id"].as_str().expect("id").to_string())
        .collect()
}

/// Nothing that names the customer, the agent or the exact amount (the
/// random CSRF token of a page left out).
fn assert_anonymous(text: &str, what: &str) {
    let text = &match text.contains("name=\"csrf\"") {
        true => text.replace(&crate::support::csrf_of(text), ""),
        false => text.to_string(),
    };
    for (i, name) in NAMES.iter().enumerate() {
        let c = customer(i);
        let mut secrets: Vec<String> = name.split(' ').map(str::to_string).collect();
        secrets.push(c.email.as_ref().expect("email").as_str().to_string());
        secrets.push(c.external_id.clone().expect("external id"));
        secrets.push(c.id.0.to_string());
        secrets.push(format!("555012{i}"));
        secrets.push("agent1".into());
        secrets.push("47,60".into());
        secrets.push("4760".into());
        secrets.push("shop.example.com".into());
        for s in secrets {
            assert!(
                !text.to_lowercase().contains(&s.to_lowercase()),
                "{what} contains `{s}`: {text}"
            );
        }
    }
}

async fn training_cases_pick_best_and_failed_recoveries_anonymised(b: Backend) {
    let app = TestApp::spawn(b).await;
    let agent = create_user(&app.store, "agent1", "agent").await;
    let ids = seed(&app, agent).await;
    let id = |i: usize| ids[i].0.to_string();

    let best = app.get_json("/api/v1/training/cases", &app.admin_token).await;
    assert_eq!(best["outcome"], "best", "{best}");
    assert_eq!(best["days"], 180);
    assert_eq!(listed(&best), [id(0), id(1)], "{best}");
    assert_eq!(best["cases"][0]["survey_score"], 5);
    assert_eq!(best["cases"][0]["goodwill_euros"], 50, "47.60 rounds to 50");
    assert_eq!(best["cases"][0]["goodwill"], "ca. 50 €");
    assert_eq!(best["cases"][0]["days_to_resolve"], 1);
    assert_eq!(best["cases"][0]["title"], "E-Mail · Premium · Schwere 3");
    let failed = app
        .get_json("/api/v1/training/cases?outcome=failed", &app.admin_token)
        .await;
    // Low score first (1), then churned (score 3), then reopened (score 4).
    assert_eq!(listed(&failed), [id(2), id(4), id(3)], "{failed}");
    assert_eq!(failed["cases"][1]["churned"], true);
    assert_eq!(failed["cases"][2]["reopened"], true);
    // A longer period also finds the old best recovery.
    let year = app
        .get_json("/api/v1/training/cases?outcome=best&days=366", &app.admin_token)
        .await;
    assert_eq!(listed(&year), [id(0), id(8), id(1)], "{year}");
    for text in [best.to_string(), failed.to_string(), year.to_string()] {
        assert_anonymous(&text, "list");
    }

    // The study of the best recovery, in German.
    let s = app
        .get_json(&format!("/api/v1/training/cases/{}", id(0)), &app.admin_token)
        .await;
    assert_eq!(s["ending"]["outcome"], "best", "{s}");
    assert_eq!(s["ending"]["survey_score"], 5);
    assert_eq!(s["ending"]["retained"], true);
    assert_eq!(s["ending"]["goodwill"], "ca. 50 €");
    assert_eq!(s["ending"]["resolved_after"], "1 d 2 h");
    assert_eq!(
        s["situation"]["subject"],
        "Bestellung [Bestellnr.] von Kund:in A beschädigt"
    );
    assert_eq!(
        s["situation"]["customer_words"][0],
        "Ich bin Kund:in A ([E-Mail], Tel. [Telefon]). Meine Kundennummer ist [ID]. \
         Ich habe ca. 50 € bezahlt, siehe [Link]."
    );
    let steps = s["steps"].as_array().expect("steps");
    assert_eq!(steps[0]["when"], "Tag 1, nach 10 min", "{s}");
    assert_eq!(steps[0]["who"], "Kund:in A");
    assert_eq!(steps[0]["text"], "Hallo, hier Kund:in A, bitte rufen Sie [Telefon] an.");
    assert_eq!(steps[1]["when"], "Tag 1, nach 2 h 15 min");
    assert_eq!(steps[1]["who"], "Agent 1");
    assert_eq!(
        steps[1]["text"],
        "Liebe Frau Kund:in A, wir erstatten Ihnen ca. 50 €. Ihr Agent 1"
    );
    assert_eq!(steps[2]["what"], "Kulanz gewährt: Gutschein, ca. 50 €");
    assert_eq!(steps[2]["text"], "Entschuldigung an Kund:in A");
    assert_eq!(
        s["questions"],
        serde_json::json!([
            "Welcher Schritt hat für die Kundschaft den Unterschied gemacht, und kann er im Team zur Gewohnheit werden?",
            "Der Fehler war schwer. Wie wurde sein Gewicht gegenüber der Kundschaft anerkannt?",
            "War die Kulanz angemessen? Hätte eine Entschuldigung allein gereicht?"
        ])
    );
    assert_anonymous(&s.to_string(), "study");

    // Markdown, and every study anonymised.
    for i in 0..9 {
        if i == 7 {
            continue;
        }
        let res = app
            .get(
                &format!("/api/v1/training/cases/{}?format=markdown", id(i)),
                &app.admin_token,
            )
            .await;
        assert_eq!(res.status(), 200);
        let ct = res.headers()["content-type"].to_str().expect("ct").to_string();
        assert!(ct.starts_with("text/markdown"), "{ct}");
        let md = res.text().await.expect("md");
        assert!(md.starts_with("# E-Mail · Premium · Schwere "), "{md}");
        assert!(md.contains("## Fragen zur Diskussion\n\n1. "), "{md}");
        assert!(
            md.contains("- **Tag 1, nach 2 h 15 min** — Agent 1: Antwort an Kunden"),
            "{md}"
        );
        assert_anonymous(&md, "markdown");
        let json = app
            .get_json(&format!("/api/v1/training/cases/{}", id(i)), &app.admin_token)
            .await;
        assert_anonymous(&json.to_string(), "study json");
    }

    // Errors and permissions.
    let res = app
        .get(&format!("/api/v1/training/cases/{}", id(7)), &app.admin_token)
        .await;
    problem(res, 404).await;
    let res = app.get("/api/v1/training/cases?outcome=worst", &app.admin_token).await;
    assert!(problem(res, 422).await.to_string().contains("outcome"));
    let res = app.get("/api/v1/training/cases?days=0", &app.admin_token).await;
    assert!(problem(res, 422).await.to_string().contains("days"));
    let res = app
        .get(
            &format!("/api/v1/training/cases/{}?format=pdf", id(0)),
            &app.admin_token,
        )
        .await;
    problem(res, 422).await;
    let agent_token = amends_app::service::create_token(&app.store, t0(), agent, "t", None)
        .await
        .expect("token")
        .1;
    let res = app.get("/api/v1/training/cases", &agent_token).await;
    problem(res, 403).await;
}

async fn training_pages_in_german_and_english(b: Backend) {
    let app = TestApp::spawn(b).await;
    let agent = create_user(&app.store, "agent1", "agent").await;
    let ids = seed(&app, agent).await;
    let lead_id = create_user(&app.store, "lead1", "lead").await;
    let lead = app.signed_in("lead1").await;
    let (status, html) = get_html(&lead, &app, "/training?outcome=failed").await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("Gescheiterte Wiedergutmachungen"), "{html}");
    for i in [2, 3, 4] {
        assert!(html.contains(&format!("/training/{}", ids[i].0)), "case {i} listed");
    }
    assert!(
        !html.contains(&format!("/training/{}", ids[0].0)),
        "a best recovery is not failed"
    );
    assert!(html.contains("href=\"/training\""), "navigation links the page");
    assert_anonymous(&html, "list page");
    let (status, html) = get_html(&lead, &app, &format!("/training/{}", ids[0].0)).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("Fragen zur Diskussion"), "{html}");
    assert!(
        html.contains("Liebe Frau Kund:in A, wir erstatten Ihnen ca. 50 €."),
        "{html}"
    );
    assert!(html.contains("?format=markdown"), "a Markdown download");
    assert_anonymous(&html, "study page");
    let (status, html) = get_html(&lead, &app, "/training?outcome=worst").await;
    assert_eq!(status, 200);
    assert!(html.contains("Wähle beste oder gescheiterte"), "{html}");

    app.store
        .set_user_language(lead_id, Language::En, t0())
        .await
        .expect("language");
    let (status, html) = get_html(&lead, &app, "/training").await;
    assert_eq!(status, 200);
    assert!(html.contains("Best recoveries"), "{html}");
    let (status, html) = get_html(&lead, &app, &format!("/training/{}", ids[0].0)).await;
    assert_eq!(status, 200);
    assert!(html.contains("Questions for discussion"), "{html}");
    assert!(
        html.contains("Liebe Frau Customer A, wir erstatten Ihnen about €50. Ihr Agent 1"),
        "{html}"
    );
    assert!(html.contains("day 1, after 2 h 15 min"), "{html}");
    assert_anonymous(&html, "English study page");

    let agent_ui = app.signed_in("agent1").await;
    let (status, _) = get_html(&agent_ui, &app, "/training").await;
    assert_eq!(status, 403);
}

crate::both_backends!(
    training_cases_pick_best_and_failed_recoveries_anonymised,
    training_pages_in_german_and_english,
);
