//! Insight routing (issue 20): teams with rules read once (422 naming the
//! field), feedback and resolved cases routed into insights grouped by
//! cause (idempotent; ten items at once make one insight with ten
//! reports), fixed in a release, the reporters told once each in their
//! language even with eight clicks at once, and the pages in German and
//! English.

use crate::support::{Backend, SmtpSink, TestApp, csrf_of, get_html, post_form, wait_for};
use serde_json::{Value, json};

const DE_DELIVERY: &str = "Die Lieferung kam zwei Wochen zu spät und die Vase war kaputt. Das ist ärgerlich.";
const EN_DELIVERY: &str = "The delivery arrived two weeks late and the parcel was damaged. Very annoying.";

async fn team(app: &TestApp, token: &str, name: &str, rules: Value) -> Value {
    app.post_json("/api/v1/teams", token, json!({"name": name, "rules": rules}), 201)
        .await
}

async fn feedback(app: &TestApp, email: &str, lang: &str, text: &str, component: Option<&str>) -> Value {
    app.post_json(
        "/api/v1/feedback",
        &app.admin_token,
        json!({"customer_email": email, "channel": "api", "rating": 1, "text": text, "language": lang,
               "component": component}),
        201,
    )
    .await
}

async fn insights(app: &TestApp, query: &str) -> Vec<Value> {
    app.get_json(&format!("/api/v1/insights{query}"), &app.admin_token)
        .await
        .as_array()
        .expect("list")
        .clone()
}

async fn teams_rules_and_roles(b: Backend) {
    let app = TestApp::spawn(b).await;
    let agent = app.token_for("agent1", "agent").await;
    let lead = app.token_for("lead1", "lead").await;
    let body = json!({"name": "Logistik", "rules": [{"kind": "topic", "value": "delivery"}]});
    app.post_problem("/api/v1/teams", &agent, body.clone(), 403).await;
    app.get_problem("/api/v1/insights", &agent, 403).await;
    let me = app.get_json("/api/v1/me", &lead).await;
    let mut with_member = body.clone();
    with_member["members"] = json!([me["id"]]);
    with_member["digest"] = json!("weekly");
    let t = app.post_json("/api/v1/teams", &lead, with_member, 201).await;
    assert_eq!(t["digest"], "weekly");
    assert_eq!(t["members"][0]["user_id"], me["id"]);
    assert_eq!(t["rules"], json!([{"kind": "topic", "value": "delivery"}]));
    // The same name again: 409 naming the field.
    let e = app.post_problem("/api/v1/teams", &lead, body, 409).await;
    assert_eq!(e["field"], "name", "{e}");
    // Rules are read when saved; the error names the rule and the part.
    let e = app
        .post_problem(
            "/api/v1/teams",
            &lead,
            json!({"name": "X", "rules": [{"kind": "topic", "value": "billing"}, {"kind": "signal", "value": "angry"}]}),
            422,
        )
        .await;
    assert_eq!(e["field"], "rules[1].value", "{e}");
    let e = app
        .post_problem(
            "/api/v1/teams",
            &lead,
            json!({"name": "X", "rules": [{"kind": "colour", "value": "red"}]}),
            422,
        )
        .await;
    assert_eq!(e["field"], "rules[0].kind", "{e}");
    let e = app
        .post_problem("/api/v1/teams", &lead, json!({"name": "X", "digest": "hourly"}), 422)
        .await;
    assert_eq!(e["field"], "digest", "{e}");
    // The channel webhook keeps the outbound rules: no internal addresses.
    let e = app
        .post_problem(
            "/api/v1/teams",
            &lead,
            json!({"name": "X", "webhook_url": "http://10.1.2.3/hook"}),
            422,
        )
        .await;
    assert_eq!(e["field"], "webhook_url", "{e}");
    let id = t["id"].as_str().expect("id");
    let res = app
        .patch(
            &format!("/api/v1/teams/{id}"),
            &lead,
            json!({"rules": [{"kind": "component", "value": "Checkout"}]}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let t: Value = res.json().await.expect("json");
    assert_eq!(t["rules"], json!([{"kind": "component", "value": "checkout"}]));
    assert_eq!(t["digest"], "weekly", "what the patch leaves out stays");
    assert_eq!(app.delete(&format!("/api/v1/teams/{id}"), &agent).await.status(), 403);
    assert_eq!(app.delete(&format!("/api/v1/teams/{id}"), &lead).await.status(), 204);
    app.get_problem(&format!("/api/v1/teams/{id}"), &lead, 404).await;
    let audit = app
        .get_json("/api/v1/audit?entity=team", &app.admin_token)
        .await
        .to_string();
    for action in ["team.create", "team.update", "team.delete"] {
        assert!(audit.contains(action), "{action} in {audit}");
    }
}

async fn feedback_is_grouped_by_cause(b: Backend) {
    let app = TestApp::spawn(b).await;
    let tok = app.admin_token.clone();
    let logistics = team(&app, &tok, "Logistik", json!([{"kind": "topic", "value": "delivery"}])).await;
    let product = team(
        &app,
        &tok,
        "Produkt",
        json!([{"kind": "component", "value": "checkout"}]),
    )
    .await;
    feedback(&app, "a@example.de", "de", DE_DELIVERY, None).await;
    feedback(&app, "b@example.com", "en", EN_DELIVERY, Some("Checkout")).await;
    let third = feedback(&app, "a@example.de", "de", DE_DELIVERY, None).await;
    // Feedback no rule matches goes nowhere.
    feedback(
        &app,
        "c@example.com",
        "en",
        "The app crashes when I open my invoices.",
        None,
    )
    .await;

    let all = insights(&app, "").await;
    assert_eq!(all.len(), 2, "{all:?}");
    let l = insights(&app, &format!("?team_id={}", logistics["id"].as_str().expect("valid"))).await;
    assert_eq!(l.len(), 1);
    assert_eq!(l[0]["cause"], "topic:delivery");
    assert_eq!(
        (l[0]["reports"].as_i64(), l[0]["customers"].as_i64()),
        (Some(3), Some(2))
    );
    assert_eq!(l[0]["state"], "open");
    let p = insights(&app, &format!("?team_id={}", product["id"].as_str().expect("valid"))).await;
    assert_eq!(p[0]["cause"], "component:checkout");
    assert_eq!(p[0]["reports"], 1);
    let detail = app
        .get_json(
            &format!("/api/v1/insights/{}", l[0]["id"].as_str().expect("valid")),
            &tok,
        )
        .await;
    let reports = detail["reports"].as_array().expect("reports");
    assert_eq!(reports.len(), 3);
    assert_eq!(reports[0]["source_id"], third["id"], "newest first");
    assert_eq!(reports[0]["quote"], DE_DELIVERY);
    assert_eq!(insights(&app, "?state=fixed").await.len(), 0);
    let e = app.get_problem("/api/v1/insights?state=done", &tok, 422).await;
    assert_eq!(e["field"], "state", "{e}");
}

async fn ten_at_once_make_one_insight(b: Backend) {
    let app = TestApp::spawn(b).await;
    team(
        &app,
        &app.admin_token,
        "Logistik",
        json!([{"kind": "topic", "value": "delivery"}]),
    )
    .await;
    let posts = (0..10).map(|i| {
        let app = &app;
        async move {
            feedback(app, &format!("k{i}@example.de"), "de", DE_DELIVERY, None).await;
        }
    });
    futures_util::future::join_all(posts).await;
    let all = insights(&app, "").await;
    assert_eq!(all.len(), 1, "{all:?}");
    assert_eq!(
        (all[0]["reports"].as_i64(), all[0]["customers"].as_i64()),
        (Some(10), Some(10))
    );
    // The same item filed again adds nothing (as when an import is re-run
    // or an event is retried).
    let detail = app
        .get_json(
            &format!("/api/v1/insights/{}", all[0]["id"].as_str().expect("valid")),
            &app.admin_token,
        )
        .await;
    let r = &detail["reports"][0];
    let again = amends_store::NewReport {
        team_id: all[0]["team_id"].as_str().expect("valid").parse().expect("valid"),
        cause_key: "topic:delivery".into(),
        source: "feedback",
        source_id: r["source_id"].as_str().expect("valid").parse().expect("valid"),
        customer_id: amends_domain::CustomerId(r["customer_id"].as_str().expect("valid").parse().expect("valid")),
        case_id: None,
        reported_at: crate::support::t0(),
    };
    let made = app
        .store
        .file_reports(&[again.clone(), again], crate::support::t0())
        .await
        .expect("file");
    assert!(made.is_empty());
    let all = insights(&app, "").await;
    assert_eq!((all.len(), all[0]["reports"].as_i64()), (1, Some(10)));
}

/// A resolved case's summary joins the insight of its cause.
async fn resolved_cases_are_routed(b: Backend) {
    let app = TestApp::spawn(b).await;
    let tok = app.admin_token.clone();
    team(&app, &tok, "Logistik", json!([{"kind": "topic", "value": "delivery"}])).await;
    let f = feedback(&app, "r@example.de", "de", DE_DELIVERY, None).await;
    let case = f["case_id"].as_str().expect("a rule opened a case").to_string();
    for to in ["in_progress", "resolved"] {
        app.post_json(
            &format!("/api/v1/cases/{case}/transitions"),
            &tok,
            json!({"to": to}),
            200,
        )
        .await;
    }
    let i = wait_for(20, "the resolved case filed", || async {
        let all = insights(&app, "").await;
        (all.len() == 1 && all[0]["reports"] == 2).then(|| all[0].clone())
    })
    .await;
    assert_eq!(i["customers"], 1);
    app.jobs_settled().await;
    assert_eq!(insights(&app, "").await[0]["reports"], 2, "filed once");
}

async fn fixed_in_a_release_tells_each_reporter_once(b: Backend) {
    let sink = SmtpSink::start().await;
    let app = TestApp::spawn_with_smtp(b, &sink, |_| {}).await;
    let tok = app.admin_token.clone();
    let lead = app.token_for("lead1", "lead").await;
    let agent = app.token_for("agent1", "agent").await;
    team(&app, &tok, "Logistik", json!([{"kind": "topic", "value": "delivery"}])).await;
    let de = feedback(&app, "erika@example.de", "de", DE_DELIVERY, None).await;
    feedback(&app, "erika@example.de", "de", DE_DELIVERY, None).await;
    feedback(&app, "john@example.com", "en", EN_DELIVERY, None).await;
    let quiet = feedback(&app, "quiet@example.com", "en", EN_DELIVERY, None).await;
    let res = app
        .patch(
            &format!("/api/v1/customers/{}", quiet["customer_id"].as_str().expect("valid")),
            &tok,
            json!({"consent_contact": false}),
        )
        .await;
    assert_eq!(res.status(), 200);
    app.jobs_settled().await;
    let before = sink.messages().len();
    let id = insights(&app, "").await[0]["id"].as_str().expect("id").to_string();

    // Not fixed yet: nothing to tell.
    app.post_problem(
        &format!("/api/v1/insights/{id}/notify-reporters"),
        &lead,
        json!(null),
        409,
    )
    .await;
    app.post_problem(
        &format!("/api/v1/insights/{id}/fixed"),
        &agent,
        json!({"release": "2.4.1"}),
        403,
    )
    .await;
    let e = app
        .post_problem(
            &format!("/api/v1/insights/{id}/fixed"),
            &lead,
            json!({"release": "  "}),
            422,
        )
        .await;
    assert_eq!(e["field"], "release", "{e}");
    let a = app
        .post_json(&format!("/api/v1/insights/{id}/acknowledge"), &lead, json!(null), 200)
        .await;
    assert_eq!(a["state"], "acknowledged");
    let f = app
        .post_json(
            &format!("/api/v1/insights/{id}/fixed"),
            &lead,
            json!({"release": "2.4.1", "summary_de": "verspätete Lieferungen", "summary_en": "late deliveries"}),
            200,
        )
        .await;
    assert_eq!(
        (f["state"].as_str(), f["release"].as_str()),
        (Some("fixed"), Some("2.4.1"))
    );
    let e = app
        .post_problem(
            &format!("/api/v1/insights/{id}/fixed"),
            &lead,
            json!({"release": "2.4.2"}),
            409,
        )
        .await;
    assert!(e["detail"].as_str().unwrap_or_default().contains("fixed"), "{e}");

    // Eight clicks at once: each customer once.
    let clicks = (0..8).map(|_| {
        let (app, lead, id) = (&app, &lead, &id);
        async move {
            app.post_json(
                &format!("/api/v1/insights/{id}/notify-reporters"),
                lead,
                json!(null),
                200,
            )
            .await
        }
    });
    let outs = futures_util::future::join_all(clicks).await;
    let notified: u64 = outs.iter().map(|o| o["notified"].as_u64().expect("notified")).sum();
    assert_eq!(notified, 2, "{outs:?}");
    assert!(
        outs.iter().all(|o| o["customers"] == 3 && o["notified_total"] == 2),
        "{outs:?}"
    );
    assert_eq!(
        outs.iter().map(|o| o["skipped"].as_u64().expect("valid")).max(),
        Some(1),
        "no consent"
    );
    sink.wait_for(before + 2).await;
    app.jobs_settled().await;
    let mails = &sink.messages()[before..];
    assert_eq!(mails.len(), 2, "{mails:?}");
    let to_erika = mails
        .iter()
        .find(|m| m.contains("erika@example.de"))
        .expect("German mail");
    let text = crate::support::decode_qp(to_erika);
    assert!(
        text.contains("Version 2.4.1") && text.contains("verspätete Lieferungen"),
        "{text}"
    );
    let to_john = mails
        .iter()
        .find(|m| m.contains("john@example.com"))
        .expect("English mail");
    let text = crate::support::decode_qp(to_john);
    assert!(
        text.contains("release 2.4.1") && text.contains("late deliveries"),
        "{text}"
    );
    assert!(!mails.iter().any(|m| m.contains("quiet@example.com")));
    // The customer's case shows the notice; the insight counts it.
    let case = de["case_id"].as_str().expect("case");
    let events = app
        .get_json(&format!("/api/v1/cases/{case}/events"), &tok)
        .await
        .to_string();
    assert!(events.contains("insight_fixed"), "{events}");
    let i = app.get_json(&format!("/api/v1/insights/{id}"), &tok).await;
    assert_eq!(i["insight"]["notified"], 2);
    // Another click later: nobody twice.
    let again = app
        .post_json(
            &format!("/api/v1/insights/{id}/notify-reporters"),
            &lead,
            json!(null),
            200,
        )
        .await;
    assert_eq!(
        (again["notified"].as_u64(), again["already"].as_u64()),
        (Some(0), Some(2))
    );
    let audit = app.get_json("/api/v1/audit?entity=insight", &tok).await.to_string();
    for action in [
        "insight.create",
        "insight.acknowledge",
        "insight.fixed",
        "insight.notify",
    ] {
        assert!(audit.contains(action), "{action} in {audit}");
    }
}

async fn pages_in_both_languages(b: Backend) {
    let app = TestApp::spawn(b).await;
    team(
        &app,
        &app.admin_token,
        "Logistik",
        json!([{"kind": "topic", "value": "delivery"}]),
    )
    .await;
    feedback(&app, "p@example.de", "de", DE_DELIVERY, None).await;
    crate::support::create_user(&app.store, "lead1", "lead").await;
    let lead = app.signed_in("lead1").await;
    let (status, html) = get_html(&lead, &app, "/insights").await;
    assert_eq!(status, 200);
    assert!(html.contains("Erkenntnisse") && html.contains("1 Meldung"), "{html}");
    assert!(html.contains("Lieferung"), "the topic in German: {html}");
    let id = insights(&app, "").await[0]["id"].as_str().expect("valid").to_string();
    let (status, page) = get_html(&lead, &app, &format!("/insights/{id}")).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Als behoben markieren"), "{page}");
    let csrf = csrf_of(&page);
    let (status, html) = post_form(
        &lead,
        &app,
        &format!("/insights/{id}/state"),
        &[("csrf", &csrf), ("to", "fixed"), ("release", "")],
    )
    .await;
    assert_eq!(status, 422);
    assert!(html.contains("Bitte geben Sie die Version an"), "{html}");
    let (status, _) = post_form(
        &lead,
        &app,
        &format!("/insights/{id}/state"),
        &[("csrf", &csrf), ("to", "fixed"), ("release", "2.4.1")],
    )
    .await;
    assert_eq!(status, 303);
    let (status, _) = post_form(&lead, &app, &format!("/insights/{id}/notify"), &[("csrf", &csrf)]).await;
    assert_eq!(status, 303);
    let (_, html) = get_html(&lead, &app, &format!("/insights/{id}?notified=1")).await;
    assert!(html.contains("1 Kund:in wird informiert."), "{html}");
    assert!(html.contains("Behoben in Version 2.4.1"));
    let (status, html) = get_html(&lead, &app, "/teams").await;
    assert_eq!(status, 200);
    assert!(html.contains("Team anlegen"), "{html}");
    // A bad rule in the form names its field.
    let (status, html) = post_form(
        &lead,
        &app,
        "/teams",
        &[("csrf", &csrf), ("name", "Billing"), ("rules", "signal: angry")],
    )
    .await;
    assert_eq!(status, 422);
    assert!(html.contains("rules[0].value"), "{html}");
    // English.
    let res = crate::support::submit(
        &lead,
        &app,
        "/settings/language",
        &[("csrf", &csrf), ("language", "en")],
    )
    .await;
    assert!(res.status().is_redirection());
    let (_, html) = get_html(&lead, &app, "/insights").await;
    assert!(
        html.contains("Insights") && html.contains("Fixed in release 2.4.1"),
        "{html}"
    );
    // Agents do not see the inbox.
    crate::support::create_user(&app.store, "agent1", "agent").await;
    let agent = app.signed_in("agent1").await;
    let (status, _) = get_html(&agent, &app, "/insights").await;
    assert_eq!(status, 403);
}

/// The daily digest: the members of a daily team get the day's new
/// insights the next day, in their language, once.
async fn daily_digest_once_per_day(b: Backend) {
    let sink = SmtpSink::start().await;
    let app = TestApp::spawn_with_smtp(b, &sink, |_| {}).await;
    let tok = app.admin_token.clone();
    let member = app
        .post_json(
            "/api/v1/users",
            &tok,
            json!({"username": "lisa", "role": "lead", "password": "long enough pw", "language": "en",
                   "email": "lisa@example.com"}),
            201,
        )
        .await;
    app.post_json(
        "/api/v1/teams",
        &tok,
        json!({"name": "Logistik", "digest": "daily", "members": [member["id"]],
               "rules": [{"kind": "topic", "value": "delivery"}]}),
        201,
    )
    .await;
    feedback(&app, "d1@example.de", "de", DE_DELIVERY, None).await;
    feedback(&app, "d2@example.com", "en", EN_DELIVERY, None).await;
    app.jobs_settled().await;
    let digests = |msgs: Vec<String>| msgs.into_iter().filter(|m| m.contains("lisa@example.com")).count();
    assert_eq!(digests(sink.messages()), 0, "nothing before the day is over");
    app.clock.advance(chrono::Duration::days(1));
    wait_for(20, "the digest", || async {
        (digests(sink.messages()) == 1).then_some(())
    })
    .await;
    let mail = sink
        .messages()
        .into_iter()
        .find(|m| m.contains("lisa@example.com"))
        .expect("digest");
    let text = crate::support::decode_qp(&mail);
    assert!(text.contains("1 new insight"), "{text}");
    assert!(text.contains("Topic “Delivery”: 2 reports from 2 customers"), "{text}");
    // Later the same day: no second digest.
    app.clock.advance(chrono::Duration::hours(2));
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    app.jobs_settled().await;
    assert_eq!(digests(sink.messages()), 1);
}

/// A team's channel hears of a new insight in the team's language; a
/// failed post is retried.
async fn the_channel_hears_of_new_insights(b: Backend) {
    let app = TestApp::spawn(b).await;
    let (url, seen) = crate::followup::receiver().await;
    app.post_json(
        "/api/v1/teams",
        &app.admin_token,
        json!({"name": "Logistik", "webhook_url": url, "language": "de",
               "rules": [{"kind": "topic", "value": "delivery"}]}),
        201,
    )
    .await;
    feedback(&app, "w@example.de", "de", DE_DELIVERY, None).await;
    wait_for(20, "the first post", || async {
        (!seen.lock().expect("lock").is_empty()).then_some(())
    })
    .await;
    // The receiver answered 500 the first time: the job tries again later.
    for _ in 0..20 {
        if seen.lock().expect("lock").len() >= 2 {
            break;
        }
        app.clock.advance(chrono::Duration::minutes(5));
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    }
    let posts = seen.lock().expect("lock").clone();
    assert_eq!(posts.len(), 2, "one retry");
    let body: Value = serde_json::from_str(&posts[1].1).expect("json");
    assert_eq!(
        body["text"], "Neue Erkenntnis für Logistik: Thema „Lieferung“ (1 Kund:in)",
        "{body}"
    );
}

/// A lead changes a team's rules, members and webhook on the teams page
/// (a bad rule names its field and changes nothing) and deletes it.
async fn teams_are_edited_and_deleted_on_the_page(b: Backend) {
    let app = TestApp::spawn(b).await;
    let created = team(
        &app,
        &app.admin_token,
        "Logistik",
        json!([{"kind": "topic", "value": "delivery"}]),
    )
    .await;
    let id = created["id"].as_str().expect("id").to_string();
    crate::support::create_user(&app.store, "lead1", "lead").await;
    let lead = app.signed_in("lead1").await;
    let (status, html) = get_html(&lead, &app, "/teams").await;
    assert_eq!(status, 200);
    assert!(html.contains(&format!("/teams/{id}")), "an edit link: {html}");
    let (status, page) = get_html(&lead, &app, &format!("/teams/{id}")).await;
    assert_eq!(status, 200);
    assert!(page.contains("Team „Logistik“ bearbeiten"), "{page}");
    assert!(page.contains("topic: delivery"), "the rules as typed: {page}");
    let csrf = csrf_of(&page);
    let (status, html) = post_form(
        &lead,
        &app,
        &format!("/teams/{id}"),
        &[("csrf", &csrf), ("name", "Logistik"), ("rules", "signal: angry")],
    )
    .await;
    assert_eq!(status, 422);
    assert!(html.contains("rules[0].value"), "{html}");
    let unchanged = app.get_json(&format!("/api/v1/teams/{id}"), &app.admin_token).await;
    assert_eq!(unchanged["rules"], json!([{"kind": "topic", "value": "delivery"}]));
    let (status, _) = post_form(
        &lead,
        &app,
        &format!("/teams/{id}"),
        &[
            ("csrf", &csrf),
            ("name", "Versand"),
            ("digest", "weekly"),
            ("language", "en"),
            ("rules", "topic: delivery\ncomponent: checkout"),
        ],
    )
    .await;
    assert_eq!(status, 303);
    let saved = app.get_json(&format!("/api/v1/teams/{id}"), &app.admin_token).await;
    assert_eq!(saved["name"], "Versand");
    assert_eq!(saved["digest"], "weekly");
    assert_eq!(saved["language"], "en");
    assert_eq!(
        saved["rules"],
        json!([{"kind": "topic", "value": "delivery"}, {"kind": "component", "value": "checkout"}])
    );
    // Agents may not change teams.
    crate::support::create_user(&app.store, "agent1", "agent").await;
    let agent = app.signed_in("agent1").await;
    let (status, _) = get_html(&agent, &app, &format!("/teams/{id}")).await;
    assert_eq!(status, 403);
    // Deleting needs the box ticked.
    let (status, html) = post_form(&lead, &app, &format!("/teams/{id}/delete"), &[("csrf", &csrf)]).await;
    assert_eq!(status, 422);
    assert!(html.contains("Bitte bestätigen Sie das Löschen"), "{html}");
    let (status, _) = get_html(&lead, &app, &format!("/teams/{id}")).await;
    assert_eq!(status, 200, "still there");
    let (status, _) = post_form(
        &lead,
        &app,
        &format!("/teams/{id}/delete"),
        &[("csrf", &csrf), ("confirm", "yes")],
    )
    .await;
    assert_eq!(status, 303);
    let (status, _) = get_html(&lead, &app, &format!("/teams/{id}")).await;
    assert_eq!(status, 404);
}

/// Feedback that was stored but not routed (here: before its team
/// existed; in production a crash between the two commits) is filed by
/// the next daily sweep, once.
async fn the_daily_sweep_files_what_routing_left_out(b: Backend) {
    let app = TestApp::spawn(b).await;
    feedback(&app, "r1@example.de", "de", DE_DELIVERY, None).await;
    feedback(&app, "r2@example.com", "en", EN_DELIVERY, None).await;
    team(
        &app,
        &app.admin_token,
        "Logistik",
        json!([{"kind": "topic", "value": "delivery"}]),
    )
    .await;
    app.jobs_settled().await;
    assert!(insights(&app, "").await.is_empty(), "not routed yet");
    app.clock.advance(chrono::Duration::days(1));
    wait_for(20, "the refiled insight", || async {
        let l = insights(&app, "").await;
        (l.len() == 1 && l[0]["reports"] == 2).then_some(())
    })
    .await;
    // The next day's sweep adds nothing twice.
    app.clock.advance(chrono::Duration::days(1));
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    app.jobs_settled().await;
    let l = insights(&app, "").await;
    assert_eq!((l.len(), l[0]["reports"].as_i64()), (1, Some(2)), "{l:?}");
}

crate::both_backends!(
    teams_rules_and_roles,
    the_daily_sweep_files_what_routing_left_out,
    teams_are_edited_and_deleted_on_the_page,
    feedback_is_grouped_by_cause,
    ten_at_once_make_one_insight,
    resolved_cases_are_routed,
    fixed_in_a_release_tells_each_reporter_once,
    pages_in_both_languages,
    daily_digest_once_per_day,
    the_channel_hears_of_new_insights,
);
