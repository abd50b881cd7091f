//! Merging duplicate customers (issues 17, 18): everything of the duplicate
//! moves to the survivor, the figures add up, concurrent merges of one pair
//! succeed once; the API, the UI, the CLI; and renaming accounts.

use crate::support::{Backend, TestApp, create_user, csrf_of, get_html, html_of, new_customer, post_form, problem, t0};
use amends_domain::goodwill::GoodwillKind;
use amends_domain::{CaseId, CaseState, Channel, Language, Tier};
use amends_store::{Batch, FeedbackRecord, GrantRecord, SurveyRecord};
use chrono::Duration;
use serde_json::{Value, json};

/// A customer `n` of `prefix` with `cases` resolved cases, each with
/// feedback, an answered survey (score `score`) and a grant of `cents`.
fn history(
    b: &mut Batch,
    c: &amends_store::NewCustomer,
    cases: u32,
    score: i32,
    cents: i64,
    by: amends_domain::UserId,
) {
    for i in 0..cases {
        let at = t0() - Duration::days(20) + Duration::hours(i64::from(i));
        let id = CaseId::new_at(at, u128::from(i) + c.id.0.as_u128() % 1000);
        let mut case = crate::support::case_record(id, c, at, &format!("Fall {i} von {}", c.name), "Paket kaputt");
        case.state = CaseState::Resolved;
        case.first_responded_at = Some(at + Duration::minutes(30));
        case.resolved_at = Some(at + Duration::hours(2));
        b.cases.push(case);
        b.surveys.push(SurveyRecord {
            id: amends_store::new_row_id(at + Duration::hours(3)),
            case_id: id,
            customer_id: c.id,
            language: Language::De,
            sent_at: at + Duration::hours(3),
            answered_at: at + Duration::hours(4),
            score,
            solved: Some(true),
        });
        b.feedback.push(FeedbackRecord {
            id: amends_store::new_row_id(at),
            customer_id: c.id,
            case_id: Some(id),
            channel: Channel::Email,
            rating: Some(2),
            text: "Das Paket kam kaputt an".into(),
            language: Language::De,
            sentiment: "negative",
            topics: vec![],
            component: None,
            created_at: at,
        });
        b.grants.push(GrantRecord {
            id: amends_store::new_row_id(at + Duration::hours(1)),
            case_id: id,
            customer_id: c.id,
            kind: GoodwillKind::Voucher,
            value_cents: cents,
            reason: "Kulanz".into(),
            requested_by: by,
            granted_at: at + Duration::hours(1),
        });
    }
}

/// Two Anna Schulz: the older with 2 cases (score 2, 10 EUR each), the
/// newer ("anna schulz", premium, an email address, no survey consent) with
/// 3 cases (score 5, 25 EUR each). Returns (older, newer).
async fn two_annas(app: &TestApp) -> (String, String) {
    let by = create_user(&app.store, "gw", "admin").await;
    let mut keep = new_customer("ANNA", 1, t0() - Duration::days(40));
    keep.name = amends_domain::NonEmptyText::parse("name", "Anna Schulz", 200).expect("name");
    keep.email = None;
    let mut dup = new_customer("SCHULZ", 2, t0() - Duration::days(30));
    dup.name = amends_domain::NonEmptyText::parse("name", "anna schulz", 200).expect("name");
    dup.tier = Tier::Premium;
    dup.clv_cents = 30_000;
    dup.consent_survey = false;
    let mut b = Batch::default();
    history(&mut b, &keep, 2, 2, 1000, by);
    history(&mut b, &dup, 3, 5, 2500, by);
    b.customers = vec![keep.clone(), dup.clone()];
    app.store.insert_batch(&b).await.expect("seed");
    (keep.id.to_string(), dup.id.to_string())
}

/// Customer `id`'s figures from the 360 API.
async fn facts(app: &TestApp, id: &str) -> Value {
    app.get_json(&format!("/api/v1/customers/{id}/overview"), &app.admin_token)
        .await["facts"]
        .clone()
}

fn int(v: &Value, k: &str) -> i64 {
    v[k].as_i64().unwrap_or_else(|| panic!("{k} in {v}"))
}

/// Both affected by one incident: after the merge one row stays.
async fn incident_for_both(app: &TestApp, lead: &str) -> String {
    let inc = app
        .post_json(
            "/api/v1/incidents",
            lead,
            json!({"title": "Paketzentrum überflutet", "kind": "delay", "severity": 2,
                "started_at": "2026-11-23T06:00:00Z"}),
            201,
        )
        .await;
    let id = inc["id"].as_str().expect("id").to_string();
    let csv = "customer_external_id,delay_minutes\nANNA-1,30\nSCHULZ-2,45\n";
    let res = app
        .client
        .post(app.url(&format!("/api/v1/incidents/{id}/affected")))
        .bearer_auth(lead)
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .expect("upload");
    assert!(
        res.status().is_success(),
        "upload: {}",
        res.text().await.unwrap_or_default()
    );
    app.jobs_settled().await;
    id
}

async fn merge_moves_everything_and_the_figures_add_up(b: Backend) {
    let app = TestApp::spawn(b).await;
    let lead = app.token_for("lena", "lead").await;
    let agent = app.token_for("anton", "agent").await;
    let (keep, dup) = two_annas(&app).await;
    let incident = incident_for_both(&app, &lead).await;
    let (before_keep, before_dup) = (facts(&app, &keep).await, facts(&app, &dup).await);
    let kpis = app.get_json("/api/v1/analytics/kpis?days=90", &lead).await["current"].clone();
    let pairs = app.get_json("/api/v1/customers/duplicates", &agent).await;
    assert_eq!(pairs[0]["first"]["id"], keep.as_str(), "{pairs}");
    assert_eq!(pairs[0]["second"]["id"], dup.as_str());
    assert_eq!(pairs[0]["reason"], "same_name");

    let path = format!("/api/v1/customers/{keep}/merge");
    let p = problem(app.post(&path, &agent, json!({"duplicate_id": dup})).await, 403).await;
    assert!(p["detail"].as_str().is_some(), "{p}");
    let p = problem(app.post(&path, &lead, json!({"duplicate_id": keep})).await, 422).await;
    assert_eq!(p["field"], "duplicate_id");
    let nobody = "0194a000-0000-7000-8000-00000000dead";
    problem(app.post(&path, &lead, json!({"duplicate_id": nobody})).await, 404).await;

    let out = app.post_json(&path, &lead, json!({"duplicate_id": dup}), 200).await;
    let moved = &out["moved"];
    assert_eq!(int(moved, "cases"), int(&before_dup, "total_cases"), "{out}");
    assert_eq!(int(moved, "feedback"), int(&before_dup, "feedback_count"));
    assert_eq!(int(moved, "surveys"), 3);
    assert_eq!(int(moved, "grants"), 3);
    assert_eq!(int(moved, "incidents"), 1);
    let c = &out["customer"];
    assert_eq!(c["id"], keep.as_str());
    assert_eq!(c["name"], "Anna Schulz");
    assert_eq!(c["email"], "schulz2@example.de", "an empty field is filled");
    assert_eq!(c["external_id"], "ANNA-1", "the survivor's own value stays");
    assert_eq!(c["tier"], "premium", "the higher tier stays");
    assert_eq!(c["clv_cents"], 30_000);
    assert_eq!(c["consent_survey"], false, "a consent only if both gave it");

    let after = facts(&app, &keep).await;
    for k in [
        "total_cases",
        "feedback_count",
        "surveys_answered",
        "goodwill_granted_cents",
        "prior_failures",
    ] {
        assert_eq!(
            int(&after, k),
            int(&before_keep, k) + int(&before_dup, k),
            "{k}: {after}"
        );
    }
    let csat = after["average_csat"].as_f64().expect("csat");
    assert!((csat - (2.0 * 2.0 + 3.0 * 5.0) / 5.0).abs() < 1e-9, "{after}");
    let kpis_after = app.get_json("/api/v1/analytics/kpis?days=90", &lead).await["current"].clone();
    assert_eq!(kpis, kpis_after, "the analytics count the same answers");
    let affected = app
        .get_json(&format!("/api/v1/incidents/{incident}/affected"), &lead)
        .await;
    let rows = affected.as_array().expect("rows");
    assert_eq!(rows.len(), 1, "one row per incident and customer: {affected}");
    assert_eq!(rows[0]["customer_id"], keep.as_str());

    let gone = problem(app.get(&format!("/api/v1/customers/{dup}"), &lead).await, 404).await;
    assert!(gone["detail"].as_str().expect("detail").contains(&keep), "{gone}");
    let again = problem(app.post(&path, &lead, json!({"duplicate_id": dup})).await, 409).await;
    assert!(again["detail"].as_str().expect("detail").contains("merged"), "{again}");
    let audit = app
        .get_json(
            &format!("/api/v1/audit?entity=customer&entity_id={keep}"),
            &app.admin_token,
        )
        .await;
    let entry = audit
        .as_array()
        .expect("audit")
        .iter()
        .find(|e| e["action"] == "customer.merge")
        .cloned()
        .expect("a customer.merge entry");
    assert_eq!(entry["detail"]["duplicate"], dup.as_str(), "{entry}");
    assert_eq!(entry["detail"]["moved"]["cases"], moved["cases"]);
}

/// Many merges of one pair at once, and crossing pairs (A←B and B←A):
/// exactly one succeeds per pair, the others get 409, nothing is lost.
async fn concurrent_merges_one_wins_per_pair(b: Backend) {
    let app = TestApp::spawn(b).await;
    let lead = app.token_for("lena", "lead").await;
    let mut ids = Vec::new();
    for n in 0..4 {
        let c = app.customer(&format!("PAIR-{n}"), "de", "standard").await;
        for k in 0..3 {
            app.case(&c, &format!("Fall {k}")).await;
        }
        ids.push(c);
    }
    let merge = |keep: String, dup: String| {
        let app = &app;
        let lead = lead.clone();
        async move {
            app.post(
                &format!("/api/v1/customers/{keep}/merge"),
                &lead,
                json!({"duplicate_id": dup}),
            )
            .await
            .status()
            .as_u16()
        }
    };
    let mut calls = Vec::new();
    for _ in 0..6 {
        calls.push(merge(ids[0].clone(), ids[1].clone()));
    }
    for i in 0..6 {
        let (k, d) = if i % 2 == 0 { (2, 3) } else { (3, 2) };
        calls.push(merge(ids[k].clone(), ids[d].clone()));
    }
    let codes = futures_util::future::join_all(calls).await;
    let same: Vec<u16> = codes[..6].to_vec();
    let crossing: Vec<u16> = codes[6..].to_vec();
    for (what, list) in [("same pair", &same), ("crossing pair", &crossing)] {
        assert_eq!(list.iter().filter(|c| **c == 200).count(), 1, "{what}: {list:?}");
        assert!(list.iter().all(|c| *c == 200 || *c == 409), "{what}: {list:?}");
    }
    let total = |id: String| {
        let app = &app;
        async move { int(&facts(app, &id).await, "total_cases") }
    };
    assert_eq!(total(ids[0].clone()).await, 6);
    // Even calls kept ids[2], odd ones ids[3].
    let won = crossing.iter().position(|c| *c == 200).unwrap_or_default();
    let survivor = if won % 2 == 0 { &ids[2] } else { &ids[3] };
    assert_eq!(total(survivor.clone()).await, 6, "{crossing:?}");
    let all = app.get_json("/api/v1/customers?limit=200", &lead).await;
    assert_eq!(all["items"].as_array().map(Vec::len), Some(2), "{all}");
}

/// The UI: the duplicates page, the search for the other customer, the
/// confirmation with counts, the flash; an old link leads to the survivor.
/// The CLI: a merge, and a hint on a bad id. Accounts: rename in API and UI.
async fn merge_in_the_ui_and_from_the_command_line(b: Backend) {
    let app = TestApp::spawn(b).await;
    let (keep, dup) = two_annas(&app).await;
    create_user(&app.store, "lena", "lead").await;
    create_user(&app.store, "anton", "agent").await;
    let lena = app.signed_in("lena").await;
    let list = html_of(&lena, &app, "/customers/duplicates").await;
    assert!(
        list.contains(&format!("/customers/{keep}/merge?duplicate_id={dup}")),
        "{list}"
    );
    let anton = app.signed_in("anton").await;
    let (status, _) = get_html(&anton, &app, &format!("/customers/{keep}/merge")).await;
    assert_eq!(status, 403, "agents do not merge");
    let found = html_of(&lena, &app, &format!("/customers/{keep}/merge?q=schulz")).await;
    assert!(
        found.contains(&format!("duplicate_id={dup}")),
        "the search finds the other"
    );
    assert!(
        !found.contains(&format!("duplicate_id={keep}\"")),
        "not the customer itself"
    );
    let confirm = html_of(&lena, &app, &format!("/customers/{keep}/merge?duplicate_id={dup}")).await;
    assert!(confirm.contains(r#"data-testid="merge-count-cases">3<"#), "{confirm}");
    assert!(confirm.contains("Jetzt zusammenführen"), "German page");
    let csrf = csrf_of(&confirm);
    let (status, body) = post_form(
        &lena,
        &app,
        &format!("/customers/{keep}/merge"),
        &[("csrf", &csrf), ("duplicate_id", &keep)],
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("nicht mit sich selbst"), "the error in German");
    let res = lena
        .post(app.url(&format!("/customers/{keep}/merge")))
        .form(&[("csrf", csrf.as_str()), ("duplicate_id", dup.as_str())])
        .send()
        .await
        .expect("merge");
    assert_eq!(res.status(), 303);
    let page = html_of(&lena, &app, &format!("/customers/{keep}")).await;
    assert!(page.contains("zusammengeführt"), "the flash");
    let old = lena
        .get(app.url(&format!("/customers/{dup}")))
        .send()
        .await
        .expect("old link");
    assert_eq!(old.status(), 303);
    assert_eq!(
        old.headers().get("location").and_then(|v| v.to_str().ok()),
        Some(format!("/customers/{keep}").as_str())
    );

    use crate::cli::run_on;
    let a = app.customer("CLI-A", "de", "standard").await;
    let c = app.customer("CLI-B", "de", "enterprise").await;
    app.case(&c, "Toaster").await;
    let url = app.db_url();
    let (code, _, err) = run_on(&url, &["customers", "merge", &a, &c, "--user", "anton"], None).await;
    assert_ne!(code, 0);
    assert!(err.contains("may not merge"), "{err}");
    let (code, _, err) = run_on(&url, &["customers", "merge", &a, "kunde-b", "--user", "lena"], None).await;
    assert_ne!(code, 0);
    assert!(err.contains("not a customer id"), "{err}");
    let (code, out, err) = run_on(&url, &["customers", "merge", &a, &c, "--user", "lena"], None).await;
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("moved 1 cases"), "{out}");
    let (code, _, err) = run_on(&url, &["customers", "merge", &a, &c, "--user", "lena"], None).await;
    assert_ne!(code, 0);
    assert!(err.contains("merged into"), "{err}");

    let tok = &app.admin_token;
    let acc = app
        .post_json("/api/v1/accounts", tok, json!({"name": "Müller GmbH"}), 201)
        .await;
    app.post_json("/api/v1/accounts", tok, json!({"name": "Schmidt AG"}), 201)
        .await;
    let acc = acc["id"].as_str().expect("id").to_string();
    let renamed = app
        .patch(
            &format!("/api/v1/accounts/{acc}"),
            tok,
            json!({"name": "Müller Logistik GmbH"}),
        )
        .await;
    assert_eq!(renamed.status(), 200);
    problem(
        app.patch(&format!("/api/v1/accounts/{acc}"), tok, json!({"name": "Schmidt AG"}))
            .await,
        409,
    )
    .await;
    let p = problem(
        app.patch(&format!("/api/v1/accounts/{acc}"), tok, json!({"name": " "}))
            .await,
        422,
    )
    .await;
    assert_eq!(p["field"], "name");
    let form = html_of(&anton, &app, &format!("/accounts/{acc}/edit")).await;
    let csrf = csrf_of(&form);
    let (status, body) = post_form(
        &anton,
        &app,
        &format!("/accounts/{acc}/edit"),
        &[("csrf", &csrf), ("name", "Schmidt AG")],
    )
    .await;
    assert_eq!(status, 422);
    assert!(body.contains("gibt es schon"), "the field error in German");
    let (status, _) = post_form(
        &anton,
        &app,
        &format!("/accounts/{acc}/edit"),
        &[("csrf", &csrf), ("name", "Müller & Söhne")],
    )
    .await;
    assert_eq!(status, 303);
    let list = html_of(&anton, &app, "/accounts").await;
    assert!(list.contains("Müller &amp; Söhne"), "{list}");
}

/// The never-failed baseline follows the customers' cases: a new case
/// takes its customer out, and a merge moves the mark with the cases.
async fn the_never_failed_mark_follows_cases_through_merges(b: Backend) {
    let app = TestApp::spawn(b).await;
    let by = create_user(&app.store, "gw", "admin").await;
    let never = |app: &TestApp| {
        let store = app.store.clone();
        async move {
            let nf = store
                .never_failed(t0() - Duration::days(1), t0(), t0(), None)
                .await
                .expect("never failed");
            (nf.customers, nf.ratings)
        }
    };
    let quiet = new_customer("QUIET", 1, t0() - Duration::days(90));
    let other = new_customer("OTHER", 2, t0() - Duration::days(90));
    let failed = new_customer("FAILED", 3, t0() - Duration::days(90));
    let mut batch = Batch {
        customers: vec![quiet.clone(), other.clone(), failed.clone()],
        ..Batch::default()
    };
    // QUIET rates the shop today, without a complaint.
    batch.feedback.push(rating_of(&quiet));
    app.store.insert_batch(&batch).await.expect("customers");
    assert_eq!(never(&app).await, (3, 1), "no cases yet; QUIET's rating counts");

    let mut with_case = Batch::default();
    history(&mut with_case, &failed, 1, 2, 500, by);
    app.store.insert_batch(&with_case).await.expect("a case");
    assert_eq!(never(&app).await, (2, 1), "a case takes its customer out");

    // The customer with the case is merged into a quiet one: the survivor
    // now has a case, the duplicate is gone.
    let merge =
        |survivor: &amends_store::NewCustomer, duplicate: &amends_store::NewCustomer| amends_store::CustomerMerge {
            survivor: survivor.id,
            duplicate: duplicate.id,
            actor: Some(by),
            at: t0(),
        };
    app.store.merge_customers(&merge(&quiet, &failed)).await.expect("merge");
    assert_eq!(
        never(&app).await,
        (1, 0),
        "only OTHER is left without a case; QUIET's rating no longer counts"
    );
    app.store
        .merge_customers(&merge(&other, &quiet))
        .await
        .expect("merge again");
    assert_eq!(never(&app).await, (0, 0), "the cases and the rating moved on to OTHER");

    // A case opened through the API unmarks its customer's rating.
    let mut fresh_batch = Batch::default();
    let fresh = new_customer("FRESH", 4, t0() - Duration::days(90));
    fresh_batch.customers.push(fresh.clone());
    let mut rating = rating_of(&fresh);
    rating.id = amends_store::new_row_id(t0() - Duration::hours(2));
    fresh_batch.feedback.push(rating);
    app.store.insert_batch(&fresh_batch).await.expect("fresh customer");
    assert_eq!(never(&app).await, (1, 1), "FRESH and its rating count");
    app.case(&fresh.id.to_string(), "Paket fehlt").await;
    assert_eq!(
        never(&app).await,
        (0, 0),
        "its first case takes FRESH and its rating out"
    );

    // Feedback is marked by the statement that inserts it: a rating of a
    // customer with a case stays out, one of a new customer (created by
    // the same write) counts.
    let ratings_until_later = |app: &TestApp| {
        let store = app.store.clone();
        async move {
            store
                .never_failed(t0() - Duration::days(1), t0() + Duration::hours(1), t0(), None)
                .await
                .expect("never failed")
                .ratings
        }
    };
    let rate = |who: Value| {
        let mut body = json!({"channel": "widget", "rating": 5, "text": "Alles bestens, danke!"});
        if let (Some(b), Some(w)) = (body.as_object_mut(), who.as_object()) {
            b.extend(w.clone());
        }
        body
    };
    app.post_json(
        "/api/v1/feedback",
        &app.admin_token,
        rate(json!({"customer_id": fresh.id})),
        201,
    )
    .await;
    assert_eq!(
        ratings_until_later(&app).await,
        0,
        "FRESH has a case: its new rating stays out"
    );
    app.post_json(
        "/api/v1/feedback",
        &app.admin_token,
        rate(json!({"customer_email": "neu@example.com"})),
        201,
    )
    .await;
    assert_eq!(ratings_until_later(&app).await, 1, "a new customer's rating counts");
}

/// A rating of 5 by `customer`, twelve hours before `t0`.
fn rating_of(customer: &amends_store::NewCustomer) -> FeedbackRecord {
    FeedbackRecord {
        id: amends_store::new_row_id(t0() - Duration::hours(12)),
        customer_id: customer.id,
        case_id: None,
        channel: Channel::Widget,
        rating: Some(5),
        text: "Alles bestens".into(),
        language: Language::De,
        sentiment: "positive",
        topics: vec![],
        component: None,
        created_at: t0() - Duration::hours(12),
    }
}

crate::both_backends!(
    the_never_failed_mark_follows_cases_through_merges,
    merge_moves_everything_and_the_figures_add_up,
    concurrent_merges_one_wins_per_pair,
    merge_in_the_ui_and_from_the_command_line,
);
