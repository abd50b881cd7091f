//! The storage suite: one set of stories, run against SQLite and PostgreSQL.

use crate::support::{Backend, TestDb, create_user, t0};
use amends_domain::sla::{DueDates, SlaTargets};
use amends_domain::{CaseId, CaseState, Channel, CustomerId, Email, Language, NonEmptyText, Origin, Priority, Tier};
use amends_store::{
    AssigneeFilter, Batch, CaseFilter, CaseSort, CustomerFilter, EventKind, NewCase, NewCustomer, NewEvent, Store,
    StoreError, WidgetSiteInput,
};
use chrono::Duration;

fn customer(n: u32, tier: Tier) -> NewCustomer {
    let at = t0() + Duration::seconds(i64::from(n));
    NewCustomer {
        id: CustomerId::new_at(at, u128::from(n) * 7919),
        external_id: Some(format!("EXT-{n}")),
        account_id: None,
        name: NonEmptyText::parse("name", &format!("Kundin Nummer {n}"), 200).expect("name"),
        email: Some(Email::parse(&format!("k{n}@example.de")).expect("email")),
        language: if n.is_multiple_of(2) {
            Language::De
        } else {
            Language::En
        },
        tier,
        clv_cents: i64::from(n) * 1000,
        consent_contact: true,
        consent_survey: true,
        created_at: at,
    }
}

fn case(cust: &NewCustomer, n: u32, minutes: i64, priority: Priority) -> NewCase {
    let at = t0() + Duration::minutes(minutes);
    NewCase {
        id: CaseId::new_at(at, u128::from(n) * 104_729),
        customer_id: cust.id,
        subject: NonEmptyText::parse("subject", &format!("Fall {n}"), 200).expect("subject"),
        description: "Paket kam nicht an".into(),
        channel: Channel::Email,
        origin: Origin::Api,
        priority,
        tier: cust.tier,
        assignee_id: None,
        due: DueDates::from_start(at, SlaTargets::default_for(cust.tier, priority)),
        created_at: at,
        author: None,
        route: None,
    }
}

async fn customers_are_unique_and_pageable(b: Backend) {
    let db = TestDb::new(b).await;
    let s = db.store().await;
    let c1 = customer(1, Tier::Premium);
    let got = s.insert_customer(&c1, None).await.expect("insert");
    assert_eq!(got.id, c1.id);
    assert_eq!(got.tier, Tier::Premium);
    assert_eq!(s.get_customer(c1.id).await.expect("get").name, "Kundin Nummer 1");
    assert_eq!(s.get_customer_by_external_id("EXT-1").await.expect("by ext").id, c1.id);
    let found = s
        .find_customer_by_email(&Email::parse("k1@example.de").expect("email"))
        .await
        .expect("by email");
    assert_eq!(found.map(|c| c.id), Some(c1.id));

    // Same external id again: a conflict naming the field, nothing written.
    let mut dup = customer(2, Tier::Standard);
    dup.external_id = Some("EXT-1".into());
    match s.insert_customer(&dup, None).await {
        Err(StoreError::Conflict { field, .. }) => assert_eq!(field, Some("external_id")),
        other => panic!("expected conflict, got {other:?}"),
    }
    assert_eq!(s.count_customers().await.expect("count"), 1);

    // Upsert: update the existing one, create a new one.
    let mut again = customer(3, Tier::Enterprise);
    again.external_id = Some("EXT-1".into());
    let (updated, created) = s.upsert_customer_by_external_id(&again, None).await.expect("upsert");
    assert!(!created);
    assert_eq!(updated.id, c1.id);
    assert_eq!(updated.tier, Tier::Enterprise);
    let (_, created) = s
        .upsert_customer_by_external_id(&customer(4, Tier::Standard), None)
        .await
        .expect("upsert new");
    assert!(created);

    for n in 10..17 {
        s.insert_customer(&customer(n, Tier::Standard), None)
            .await
            .expect("insert");
    }
    // 9 customers, pages of 4: 4 + 4 + 1, newest first, no duplicates.
    let mut seen = Vec::new();
    let mut cursor = None;
    loop {
        let page = s
            .list_customers(&CustomerFilter {
                cursor: cursor.clone(),
                limit: 4,
                ..CustomerFilter::default()
            })
            .await
            .expect("list");
        seen.extend(page.items.iter().map(|c| c.id));
        match page.next_cursor {
            Some(c) => cursor = amends_store::Cursor::decode(&c),
            None => break,
        }
    }
    assert_eq!(seen.len(), 9);
    let mut sorted = seen.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(seen, sorted, "newest first");
    let by_name = s
        .list_customers(&CustomerFilter {
            q: Some("kundin nummer 1".into()),
            limit: 50,
            ..CustomerFilter::default()
        })
        .await
        .expect("search");
    // EXT-1 was renamed to "Kundin Nummer 3" by the upsert; 10..=16 match.
    assert_eq!(by_name.items.len(), 7, "prefix match is case-insensitive");
    let wildcard = s
        .list_customers(&CustomerFilter {
            q: Some("%".into()),
            limit: 50,
            ..CustomerFilter::default()
        })
        .await
        .expect("search");
    assert!(
        wildcard.items.is_empty(),
        "LIKE wildcards in the query are taken literally"
    );
}

async fn cases_follow_the_state_machine(b: Backend) {
    let db = TestDb::new(b).await;
    let s = db.store().await;
    let agent = create_user(&s, "agent1", "agent").await;
    let c = customer(1, Tier::Standard);
    s.insert_customer(&c, None).await.expect("customer");
    let nc = case(&c, 1, 0, Priority::Normal);
    let created = s.insert_case(&nc).await.expect("case");
    assert_eq!(created.state, CaseState::New);
    assert_eq!(created.customer_name, "Kundin Nummer 1");
    assert_eq!(created.first_response_due_at, t0() + Duration::hours(8));

    // Invalid: new -> closed.
    match s
        .transition_case(nc.id, CaseState::Closed, Some(agent), None, t0())
        .await
    {
        Err(StoreError::Transition(e)) => assert_eq!(e.allowed, vec![CaseState::Acknowledged, CaseState::InProgress]),
        other => panic!("expected transition error, got {other:?}"),
    }
    assert_eq!(
        s.get_case(nc.id).await.expect("get").state,
        CaseState::New,
        "nothing changed"
    );

    let t1 = t0() + Duration::minutes(30);
    let ack = s
        .transition_case(
            nc.id,
            CaseState::Acknowledged,
            Some(agent),
            Some("Entschuldigung gesendet"),
            t1,
        )
        .await
        .expect("ack");
    assert_eq!(ack.state, CaseState::Acknowledged);
    assert_eq!(ack.first_responded_at, Some(t1));
    assert_eq!(ack.version, created.version + 1);
    let resolved = s
        .transition_case(nc.id, CaseState::Resolved, Some(agent), None, t1 + Duration::hours(1))
        .await
        .expect("resolve");
    assert_eq!(resolved.resolved_at, Some(t1 + Duration::hours(1)));
    let reopened = s
        .transition_case(nc.id, CaseState::Reopened, Some(agent), None, t1 + Duration::hours(2))
        .await
        .expect("reopen");
    assert_eq!(reopened.resolved_at, None);
    assert_eq!(reopened.first_responded_at, Some(t1), "first response stays");

    let assigned = s
        .assign_case(nc.id, Some(agent), Some(agent), t1 + Duration::hours(2))
        .await
        .expect("assign");
    assert_eq!(assigned.assignee(), Some(agent));
    assert_eq!(assigned.assignee_name.as_deref(), Some("agent1 (test)"));
    let note = s
        .add_event(
            nc.id,
            &NewEvent {
                kind: EventKind::Note,
                author: Some(agent),
                body: Some("Rückruf morgen <b>10 Uhr</b>".into()),
                data: serde_json::Value::Null,
                at: t1 + Duration::hours(3),
            },
        )
        .await
        .expect("note");
    assert_eq!(
        note.body.as_deref(),
        Some("Rückruf morgen <b>10 Uhr</b>"),
        "stored as given"
    );

    let kinds: Vec<EventKind> = s
        .list_events(nc.id)
        .await
        .expect("events")
        .iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(
        kinds,
        vec![
            EventKind::Created,
            EventKind::StateChange,
            EventKind::StateChange,
            EventKind::StateChange,
            EventKind::Assignment,
            EventKind::Note
        ]
    );
    let audit = s
        .list_audit(Some("case"), Some(&nc.id.to_string()), None, 50)
        .await
        .expect("audit");
    assert!(
        audit
            .iter()
            .any(|a| a.action == "case.transition" && a.actor_id == Some(agent.0))
    );
    assert!(audit.iter().any(|a| a.action == "case.create"));

    // Unknown ids are not found, not errors.
    let missing = CaseId::new_at(t0(), 1);
    assert!(matches!(s.get_case(missing).await, Err(StoreError::NotFound("case"))));
    let orphan = NewCase {
        customer_id: CustomerId::new_at(t0(), 5),
        ..case(&c, 9, 1, Priority::Low)
    };
    assert!(matches!(
        s.insert_case(&orphan).await,
        Err(StoreError::NotFound("customer"))
    ));
}

async fn waiting_on_the_customer_pauses_the_sla(b: Backend) {
    let db = TestDb::new(b).await;
    let s = db.store().await;
    let c = customer(1, Tier::Standard);
    s.insert_customer(&c, None).await.expect("customer");
    let nc = case(&c, 1, 0, Priority::Normal);
    let created = s.insert_case(&nc).await.expect("case");
    s.transition_case(nc.id, CaseState::InProgress, None, None, t0() + Duration::hours(1))
        .await
        .expect("work");
    let waiting = s
        .transition_case(
            nc.id,
            CaseState::WaitingOnCustomer,
            None,
            None,
            t0() + Duration::hours(2),
        )
        .await
        .expect("wait");
    assert_eq!(waiting.sla_paused_at, Some(t0() + Duration::hours(2)));
    assert_eq!(
        waiting.resolution_due_at, created.resolution_due_at,
        "due dates stay while paused"
    );
    let back = s
        .transition_case(nc.id, CaseState::InProgress, None, None, t0() + Duration::hours(5))
        .await
        .expect("resume");
    assert_eq!(back.sla_paused_at, None);
    assert_eq!(
        back.resolution_due_at,
        created.resolution_due_at + Duration::hours(3),
        "moved by the pause"
    );
    assert_eq!(
        back.first_response_due_at, created.first_response_due_at,
        "first response was met before"
    );
}

async fn case_lists_filter_and_paginate(b: Backend) {
    let db = TestDb::new(b).await;
    let s = db.store().await;
    let agent = create_user(&s, "agent1", "agent").await;
    let std_c = customer(1, Tier::Standard);
    let prem_c = customer(2, Tier::Premium);
    s.insert_customer(&std_c, None).await.expect("c1");
    s.insert_customer(&prem_c, None).await.expect("c2");
    let mut ids = Vec::new();
    for n in 0..12u32 {
        let cust = if n.is_multiple_of(3) { &prem_c } else { &std_c };
        let prio = if n.is_multiple_of(4) {
            Priority::Urgent
        } else {
            Priority::Normal
        };
        let nc = case(cust, n, i64::from(n) * 10, prio);
        s.insert_case(&nc).await.expect("case");
        ids.push(nc.id);
    }
    s.transition_case(ids[0], CaseState::Acknowledged, None, None, t0())
        .await
        .expect("ack");
    s.assign_case(ids[1], Some(agent), None, t0()).await.expect("assign");

    let list = |f: CaseFilter| {
        let s = s.clone();
        async move { s.list_cases(&f).await.expect("list") }
    };
    let newest = list(CaseFilter {
        limit: 5,
        ..CaseFilter::default()
    })
    .await;
    assert_eq!(newest.items[0].id, ids[11], "newest first");
    // Walk all pages sorted by due date: ascending, complete, no repeats.
    let mut all = Vec::new();
    let mut cursor = None;
    loop {
        let p = list(CaseFilter {
            sort: CaseSort::Due,
            cursor,
            limit: 5,
            ..CaseFilter::default()
        })
        .await;
        all.extend(p.items.iter().map(|c| (c.resolution_due_at, c.id)));
        match p.next_cursor {
            Some(c) => cursor = amends_store::Cursor::decode(&c),
            None => break,
        }
    }
    assert_eq!(all.len(), 12);
    assert!(all.windows(2).all(|w| w[0] <= w[1]), "ascending by due date");

    let acked = list(CaseFilter {
        states: vec![CaseState::Acknowledged],
        limit: 50,
        ..CaseFilter::default()
    })
    .await;
    assert_eq!(acked.items.len(), 1);
    let mine = list(CaseFilter {
        assignee: Some(AssigneeFilter::User(agent)),
        limit: 50,
        ..CaseFilter::default()
    })
    .await;
    assert_eq!(mine.items.iter().map(|c| c.id).collect::<Vec<_>>(), vec![ids[1]]);
    let unassigned = list(CaseFilter {
        assignee: Some(AssigneeFilter::Unassigned),
        limit: 50,
        ..CaseFilter::default()
    })
    .await;
    assert_eq!(unassigned.items.len(), 11);
    let premium = list(CaseFilter {
        tier: Some(Tier::Premium),
        limit: 50,
        ..CaseFilter::default()
    })
    .await;
    assert_eq!(premium.items.len(), 4);
    let of_customer = list(CaseFilter {
        customer_id: Some(prem_c.id),
        limit: 50,
        ..CaseFilter::default()
    })
    .await;
    assert_eq!(of_customer.items.len(), 4);
    let window = list(CaseFilter {
        created_from: Some(t0() + Duration::minutes(20)),
        created_to: Some(t0() + Duration::minutes(50)),
        limit: 50,
        ..CaseFilter::default()
    })
    .await;
    assert_eq!(window.items.len(), 3, "minutes 20, 30, 40");
    let due_soon = list(CaseFilter {
        due_before: Some(t0() + Duration::hours(25)),
        limit: 50,
        ..CaseFilter::default()
    })
    .await;
    // Urgent cases: standard 72h/4 = 18h, premium 48h/4 = 12h.
    assert_eq!(due_soon.items.len(), 3);
    let counts = s.count_cases_by_state().await.expect("counts");
    assert!(counts.contains(&(CaseState::New, 11)));
}

async fn users_tokens_and_sessions(b: Backend) {
    let db = TestDb::new(b).await;
    let s = db.store().await;
    let u = create_user(&s, "lena", "lead").await;
    let dup = amends_app::service::create_user(
        &s,
        t0(),
        amends_app::service::UserInput {
            username: "lena".into(),
            display_name: None,
            email: None,
            role: "agent".into(),
            language: None,
            password: "long enough password".into(),
        },
        None,
    )
    .await;
    assert!(dup.is_err(), "username taken");
    let name = NonEmptyText::parse("name", "crm", 100).expect("name");
    let tok = s.insert_token(u, &name, "hash-1", t0(), Some(u)).await.expect("token");
    assert_eq!(
        s.user_by_token_hash("hash-1", t0())
            .await
            .expect("lookup")
            .map(|x| x.id),
        Some(u)
    );
    assert!(s.user_by_token_hash("hash-2", t0()).await.expect("lookup").is_none());
    s.revoke_token(u, tok.id, t0()).await.expect("revoke");
    assert!(s.user_by_token_hash("hash-1", t0()).await.expect("lookup").is_none());
    assert!(matches!(
        s.revoke_token(u, tok.id, t0()).await,
        Err(StoreError::NotFound(_))
    ));

    s.insert_session("sess-1", u, "csrf-1", t0(), t0() + Duration::hours(1))
        .await
        .expect("session");
    let live = s.get_session("sess-1", t0()).await.expect("get").expect("live");
    assert_eq!(live.csrf_token, "csrf-1");
    assert!(
        s.get_session("sess-1", t0() + Duration::hours(2))
            .await
            .expect("get")
            .is_none(),
        "expired"
    );
    assert_eq!(s.purge_sessions(t0() + Duration::hours(2)).await.expect("purge"), 1);
    let lang = s.set_user_language(u, Language::En, t0()).await.expect("language");
    assert_eq!(lang.language, Language::En);
}

async fn batches_are_all_or_nothing(b: Backend) {
    let db = TestDb::new(b).await;
    let s: Store = db.store().await;
    let summary = amends_devtools::demo::generate(
        &s,
        t0(),
        amends_devtools::demo::DemoOptions {
            customers: 60,
            cases: 200,
            seed: 7,
            events: true,
            stream: 0,
            patterns: false,
        },
    )
    .await
    .expect("demo");
    assert_eq!(summary.cases, 200);
    assert!(
        summary.events >= 400,
        "every demo case has a timeline: {}",
        summary.events
    );
    let some = s
        .list_cases(&CaseFilter {
            limit: 5,
            ..CaseFilter::default()
        })
        .await
        .expect("list");
    for c in &some.items {
        let events = s.list_events(c.id).await.expect("events");
        assert_eq!(
            events.first().map(|e| e.kind),
            Some(EventKind::Created),
            "timeline starts with `created`"
        );
        assert!(
            events.iter().any(|e| e.kind == EventKind::MessageIn),
            "the customer's message is on it"
        );
    }
    assert_eq!(s.count_customers().await.expect("count"), 60);
    let counts = s.count_cases_by_state().await.expect("counts");
    assert!(counts.len() >= 6, "demo cases cover the states: {counts:?}");
    // A batch with a duplicate id fails whole: nothing of it stays.
    let c = customer(1, Tier::Standard);
    let batch = Batch {
        customers: vec![c.clone(), c],
        ..Batch::default()
    };
    assert!(s.insert_batch(&batch).await.is_err());
    assert_eq!(s.count_customers().await.expect("count"), 60);
}

crate::both_backends!(
    customers_are_unique_and_pageable,
    cases_follow_the_state_machine,
    waiting_on_the_customer_pauses_the_sla,
    case_lists_filter_and_paginate,
    users_tokens_and_sessions,
    batches_are_all_or_nothing,
    inbox_queries_use_indexes,
);

/// The two backends' migrations produce the same tables, columns and indexes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_and_postgres_schemas_match() {
    let a = TestDb::new(Backend::Sqlite).await;
    let b = TestDb::new(Backend::Postgres).await;
    let (sa, sb) = (a.store().await, b.store().await);
    assert_eq!(
        sa.schema_columns().await.expect("sqlite"),
        sb.schema_columns().await.expect("pg")
    );
    assert_eq!(
        sa.schema_indexes().await.expect("sqlite"),
        sb.schema_indexes().await.expect("pg")
    );
}

/// A tier, priority, language or role stored outside the domain's values
/// reads as an error, not as a default (PostgreSQL: the test writes the
/// bad values with its own connection, as a broken import could).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stored_codes_outside_the_domain_are_errors_not_defaults() {
    use sqlx::Connection;
    let db = TestDb::new(Backend::Postgres).await;
    let s = db.store().await;
    let agent = create_user(&s, "agent1", "agent").await;
    let c = customer(1, Tier::Premium);
    s.insert_customer(&c, None).await.expect("customer");
    let nc = case(&c, 1, 0, Priority::High);
    s.insert_case(&nc).await.expect("case");
    let site = s
        .insert_widget_site(
            "pk_codes",
            &WidgetSiteInput {
                name: "Shop".into(),
                allowed_origins: vec!["https://shop.example".into()],
                language: Language::En,
                enabled: true,
                survey_question_de: None,
                survey_question_en: None,
                survey_trigger: None,
                survey_after_seconds: None,
                survey_period_days: 30,
            },
            None,
            t0(),
        )
        .await
        .expect("site");
    let survey = uuid::Uuid::now_v7();
    let mut conn = sqlx::PgConnection::connect(&db.url).await.expect("connect");
    sqlx::query(
        "INSERT INTO surveys (id, case_id, customer_id, language, state, created_at, expires_at) \
         VALUES ($1, $2, $3, 'en', 'scheduled', $4, $4)",
    )
    .bind(survey)
    .bind(nc.id.0)
    .bind(c.id.0)
    .bind(t0())
    .execute(&mut conn)
    .await
    .expect("survey");
    let (from, to) = (t0() - Duration::days(1), t0() + Duration::days(1));

    // Valid codes read as their values.
    assert_eq!(s.get_widget_site(site.id).await.expect("site").language, Language::En);
    assert_eq!(s.get_survey(survey).await.expect("survey").language, Language::En);
    let stats = s.sla_stats(from, to, t0()).await.expect("stats");
    assert_eq!((stats[0].tier, stats[0].priority), (Tier::Premium, Priority::High));
    let routing = s.get_agent_routing(agent).await.expect("routing");
    assert_eq!(routing.role, amends_domain::Role::Agent);

    for sql in [
        "UPDATE widget_sites SET language = 'fr'",
        "UPDATE surveys SET language = 'fr'",
        "UPDATE cases SET tier = 'gold'",
        "UPDATE users SET role = 'boss'",
    ] {
        sqlx::query(sql).execute(&mut conn).await.expect(sql);
    }
    assert!(s.get_widget_site(site.id).await.is_err(), "widget language `fr`");
    assert!(s.get_survey(survey).await.is_err(), "survey language `fr`");
    assert!(s.sla_stats(from, to, t0()).await.is_err(), "case tier `gold`");
    assert!(s.get_agent_routing(agent).await.is_err(), "role `boss`");
}

async fn inbox_queries_use_indexes(b: Backend) {
    let db = TestDb::new(b).await;
    let s = db.store().await;
    let agent = create_user(&s, "agent1", "agent").await;
    let c = customer(1, Tier::Premium);
    s.insert_customer(&c, None).await.expect("customer");
    let mut filters = amends_devtools::bench::hot_filters(agent, c.id, t0());
    // The inbox of one incident ("from incident X").
    filters.push((
        "from incident",
        amends_store::CaseFilter {
            incident_id: Some(uuid::Uuid::now_v7()),
            limit: 50,
            ..amends_store::CaseFilter::default()
        },
    ));
    for (name, f) in filters {
        let plan = s.explain_list_cases(&f).await.expect("plan");
        let full_scan = match b {
            // "SCAN c" without "USING … INDEX" reads the whole cases table.
            Backend::Sqlite => plan
                .lines()
                .any(|l| l.trim() == "SCAN c" || (l.contains("SCAN c ") && !l.contains("INDEX"))),
            Backend::Postgres => plan.contains("Seq Scan on cases"),
        };
        assert!(!full_scan, "{name}: the cases table is scanned in full:\n{plan}");
        // SQLite plans do not depend on table sizes: an index must also give
        // the order, so a page never sorts all matching cases.
        if b == Backend::Sqlite {
            assert!(!plan.contains("TEMP B-TREE"), "{name}: sorts every match:\n{plan}");
        }
    }
}
