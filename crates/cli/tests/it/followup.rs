//! Follow-up: the durable job queue, outgoing mail against a real local
//! SMTP server, surveys, check-ins and webhooks — on both backends.

use crate::support::{Backend, SmtpSink, TestApp, TestDb, header, problem, submit, survey_link, t0, wait_for};
use amends_store::{JobEffects, NewJob};
use chrono::Duration;
use serde_json::{Value, json};
use std::collections::HashSet;

fn test_job(i: usize, key: Option<String>) -> NewJob {
    NewJob {
        kind: "test".into(),
        payload: json!({"i": i}),
        run_at: t0(),
        dedupe_key: key,
        case_id: None,
        max_attempts: 3,
    }
}

async fn job_queue_claims_each_job_once(b: Backend) {
    let db = TestDb::new(b).await;
    let store = db.store().await;
    for i in 0..40 {
        store.enqueue_job(&test_job(i, None), t0()).await.expect("enqueue");
    }
    assert!(
        store
            .enqueue_job(&test_job(0, Some("k".into())), t0())
            .await
            .expect("first")
            .is_some()
    );
    assert!(
        store
            .enqueue_job(&test_job(0, Some("k".into())), t0())
            .await
            .expect("again")
            .is_none(),
        "a dedupe key enqueues once"
    );
    // Four workers claim concurrently: every job goes to exactly one.
    let mut handles = Vec::new();
    for w in 0..4 {
        let store = store.clone();
        handles.push(tokio::spawn(async move {
            let mut mine = Vec::new();
            loop {
                let got = store
                    .claim_jobs(&format!("w{w}"), t0(), Duration::days(1), 3)
                    .await
                    .expect("claim");
                if got.is_empty() {
                    return mine;
                }
                mine.extend(got.into_iter().map(|j| j.id));
            }
        }));
    }
    let mut all = Vec::new();
    for h in handles {
        all.extend(h.await.expect("worker"));
    }
    let unique: HashSet<_> = all.iter().collect();
    assert_eq!(all.len(), 41);
    assert_eq!(unique.len(), 41, "no job claimed twice");

    // Lease expiry: another worker takes over a job whose worker vanished.
    let id = store
        .enqueue_job(&test_job(99, Some("lease".into())), t0())
        .await
        .expect("enqueue")
        .expect("new");
    let later = t0() + Duration::minutes(1);
    let a = store
        .claim_jobs("a", later, Duration::seconds(10), 1)
        .await
        .expect("claim");
    assert_eq!(a.iter().map(|j| j.id).collect::<Vec<_>>(), vec![id]);
    assert!(
        store
            .claim_jobs("b", later + Duration::seconds(5), Duration::seconds(10), 1)
            .await
            .expect("claim")
            .is_empty()
    );
    let b2 = store
        .claim_jobs("b", later + Duration::seconds(11), Duration::seconds(10), 1)
        .await
        .expect("claim");
    assert_eq!(b2.len(), 1);
    assert_eq!(b2[0].attempts, 2);
    let fx = JobEffects::default();
    assert!(
        !store.complete_job(id, "a", &fx, later).await.expect("complete"),
        "the old worker lost its lease"
    );
    assert!(store.complete_job(id, "b", &fx, later).await.expect("complete"));

    // Retries, then dead, then retried by hand.
    let id = store
        .enqueue_job(&test_job(7, Some("dies".into())), t0())
        .await
        .expect("enqueue")
        .expect("new");
    let t = t0() + Duration::hours(1);
    store.claim_jobs("w", t, Duration::seconds(30), 1).await.expect("claim");
    store
        .fail_job(id, "w", "boom", Some(t + Duration::seconds(10)), &fx, t)
        .await
        .expect("fail");
    assert!(
        store
            .claim_jobs("w", t, Duration::seconds(30), 1)
            .await
            .expect("claim")
            .is_empty(),
        "backoff"
    );
    store
        .claim_jobs("w", t + Duration::seconds(10), Duration::seconds(30), 1)
        .await
        .expect("claim");
    store.fail_job(id, "w", "boom again", None, &fx, t).await.expect("dead");
    let dead = store.list_jobs(Some("dead"), 10).await.expect("list");
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].last_error.as_deref(), Some("boom again"));
    let j = store.retry_job(id, None, t).await.expect("retry");
    assert_eq!((j.state.as_str(), j.attempts), ("queued", 0));
    assert!(
        store.retry_job(id, None, t).await.is_err(),
        "only dead jobs are retried"
    );
}

async fn app_with_smtp(b: Backend, sink: &SmtpSink) -> TestApp {
    TestApp::spawn_with_smtp(b, sink, |c| {
        c.smtp.from = "Service <service@amends.test>".into();
        c.survey_delay = chrono::Duration::zero();
        c.job_max_attempts = 3;
    })
    .await
}

async fn events_of(app: &TestApp, case: &str) -> Vec<Value> {
    app.get(&format!("/api/v1/cases/{case}/events"), &app.admin_token)
        .await
        .json::<Vec<Value>>()
        .await
        .expect("events")
}

async fn wait_event(app: &TestApp, case: &str, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
    wait_for(30, what, || async {
        events_of(app, case).await.into_iter().find(|e| pred(e))
    })
    .await
}

async fn transition(app: &TestApp, case: &str, to: &str) -> reqwest::Response {
    app.post(
        &format!("/api/v1/cases/{case}/transitions"),
        &app.admin_token,
        json!({"to": to}),
    )
    .await
}

async fn reply_goes_out_once_with_message_id_and_retries(b: Backend) {
    let sink = SmtpSink::start().await;
    let app = app_with_smtp(b, &sink).await;
    let cust = app.customer("CRM-1", "de", "standard").await;
    let case = app.case(&cust, "Paket kam beschädigt an").await;
    let id = case["id"].as_str().expect("id");
    sink.refuse_next(1);
    let send = || async {
        app.client
            .post(app.url(&format!("/api/v1/cases/{id}/replies")))
            .bearer_auth(&app.admin_token)
            .header("idempotency-key", "reply-1")
            .json(&json!({"body": "Es tut mir leid. Dabei kann ich Ihnen helfen: Ersatz ist unterwegs."}))
            .send()
            .await
            .expect("reply")
    };
    let res = send().await;
    assert_eq!(res.status(), 202);
    let q: Value = res.json().await.expect("json");
    assert_eq!(q["queued"], true);
    let again: Value = send().await.json().await.expect("json");
    assert_eq!(again["queued"], false, "same idempotency key queues nothing");
    assert_eq!(again["message_id"], q["message_id"]);

    // The SMTP server refused once: the outbox shows the error and a retry.
    let job = wait_for(30, "a failed attempt", || async {
        let f = app
            .get_json(&format!("/api/v1/cases/{id}/follow-up"), &app.admin_token)
            .await;
        f["outbox"]
            .as_array()
            .and_then(|o| o.first().cloned())
            .filter(|j| j["attempts"] == 1 && j["state"] == "queued")
    })
    .await;
    assert!(job["last_error"].as_str().unwrap_or_default().contains("451"), "{job}");
    assert!(sink.messages().is_empty());
    app.clock.advance(Duration::minutes(5));
    let mails = sink.wait_for(1).await;
    let mail = &mails[0];
    let mid = q["message_id"].as_str().expect("message id");
    assert_eq!(header(mail, "Message-ID"), Some(format!("<{mid}>").as_str()));
    assert_eq!(header(mail, "To"), Some("crm-1@example.de"));
    assert!(mail.contains("Dabei kann ich Ihnen helfen"), "{mail}");
    assert!(mail.contains("text/html"), "HTML part");
    assert!(mail.contains("Guten Tag Kunde CRM-1"), "German frame");
    let ev = wait_event(&app, id, "message_out on the timeline", |e| e["kind"] == "message_out").await;
    assert_eq!(ev["data"]["message_id"], mid);
    assert_eq!(ev["data"]["purpose"], "reply");
    app.jobs_settled().await;
    assert_eq!(sink.messages().len(), 1, "sent once");

    // A reply that greets by itself (a template) gets no second greeting from the frame.
    app.post_expect(
        &format!("/api/v1/cases/{id}/replies"),
        &app.admin_token,
        json!({"body": "Guten Tag Kunde CRM-1,\n\nes tut uns leid. Ersatz ist unterwegs.", "subject": "Ersatz ist unterwegs"}),
        202,
    )
    .await;
    let mails = sink.wait_for(2).await;
    let own = crate::support::decode_qp(&mails[1]);
    assert!(own.contains("Ersatz ist unterwegs"), "{own}");
    let text_part = own.split("text/html").next().unwrap_or_default();
    assert_eq!(text_part.matches("Guten Tag Kunde CRM-1").count(), 1, "{own}");
    assert_eq!(
        header(&mails[1], "Subject"),
        Some("Ersatz ist unterwegs"),
        "the template's subject"
    );
    let p = app
        .post_problem(
            &format!("/api/v1/cases/{id}/replies"),
            &app.admin_token,
            json!({"body": "x", "subject": "zwei\nZeilen"}),
            422,
        )
        .await;
    assert_eq!(p["field"], "subject");

    // Bad input: empty body, unknown case, a customer without email.
    app.post_problem(
        &format!("/api/v1/cases/{id}/replies"),
        &app.admin_token,
        json!({"body": " "}),
        422,
    )
    .await;
    app.post_problem(
        "/api/v1/cases/0193a000-0000-7000-8000-000000000000/replies",
        &app.admin_token,
        json!({"body": "x"}),
        404,
    )
    .await;
}

async fn dead_mail_shows_on_the_case_and_can_be_retried(b: Backend) {
    let sink = SmtpSink::start().await;
    let app = app_with_smtp(b, &sink).await;
    let cust = app.customer("CRM-2", "en", "standard").await;
    let id = app.case_id(&cust, "Refund missing").await;
    sink.refuse_next(3);
    app.post_expect(
        &format!("/api/v1/cases/{id}/replies"),
        &app.admin_token,
        json!({"body": "We are on it."}),
        202,
    )
    .await;
    let mail_job = |want_state: &'static str, want_attempts: i64| {
        let app = &app;
        async move {
            wait_for(
                30,
                &format!("mail job {want_state} after {want_attempts} attempts"),
                || async {
                    let jobs: Vec<Value> = app.get("/api/v1/jobs", &app.admin_token).await.json().await.ok()?;
                    jobs.into_iter()
                        .find(|j| j["kind"] == "mail" && j["state"] == want_state && j["attempts"] == want_attempts)
                },
            )
            .await
        }
    };
    mail_job("queued", 1).await;
    app.clock.advance(Duration::hours(2));
    mail_job("queued", 2).await;
    app.clock.advance(Duration::hours(2));
    mail_job("dead", 3).await;
    let ev = wait_event(&app, &id, "delivery_failed", |e| e["kind"] == "delivery_failed").await;
    assert!(ev["data"]["error"].as_str().unwrap_or_default().contains("451"));
    let dead: Vec<Value> = app
        .get("/api/v1/jobs?state=dead", &app.admin_token)
        .await
        .json()
        .await
        .expect("json");
    let job = dead.iter().find(|j| j["kind"] == "mail").expect("dead mail job");
    let agent = app.token_for("agent1", "agent").await;
    app.post_problem(
        &format!("/api/v1/jobs/{}/retry", job["id"].as_str().expect("id")),
        &agent,
        json!(null),
        403,
    )
    .await;
    app.post_expect(
        &format!("/api/v1/jobs/{}/retry", job["id"].as_str().expect("id")),
        &app.admin_token,
        json!(null),
        200,
    )
    .await;
    let mails = sink.wait_for(1).await;
    assert!(mails[0].contains("We are on it."));
    app.get_problem("/api/v1/jobs?state=sometimes", &app.admin_token, 422)
        .await;
}

async fn negative_survey_answer_reopens_the_case(b: Backend) {
    let sink = SmtpSink::start().await;
    let app = app_with_smtp(b, &sink).await;
    let cust = app.customer("CRM-3", "de", "premium").await;
    let id = app.case_id(&cust, "Lieferung verspätet").await;
    assert_eq!(transition(&app, &id, "acknowledged").await.status(), 200);
    assert_eq!(transition(&app, &id, "resolved").await.status(), 200);
    let p = problem(transition(&app, &id, "followed_up").await, 409).await;
    assert!(p["detail"].as_str().unwrap_or_default().contains("follow-up"), "{p}");

    let mails = sink.wait_for(1).await;
    assert!(mails[0].contains("Wie zufrieden"), "German survey: {}", mails[0]);
    let path = survey_link(&mails[0]);
    let page = app.get_anonymous(&path).await;
    assert_eq!(page.status(), 200);
    assert!(page.text().await.expect("text").contains("Ihre Bewertung"));

    // Tampered token: 400. Score 9: 422.
    let mut tampered = path.clone();
    let last = tampered.pop().expect("char");
    tampered.push(if last == 'A' { 'B' } else { 'A' });
    let res = app.get_anonymous(&tampered).await;
    assert_eq!(res.status(), 400);
    let res = app.get_anonymous("/survey/not-a-token").await;
    assert_eq!(res.status(), 400);
    let res = submit(&app.client, &app, &path, &[("score", "9")]).await;
    assert_eq!(res.status(), 422);

    let res = submit(
        &app.client,
        &app,
        &path,
        &[
            ("score", "2"),
            ("comment", "Immer noch nicht angekommen."),
            ("solved", "no"),
        ],
    )
    .await;
    assert_eq!(res.status(), 200);
    let got = app.get_json(&format!("/api/v1/cases/{id}"), &app.admin_token).await;
    assert_eq!(got["state"], "reopened");
    let events = events_of(&app, &id).await;
    let answer = events
        .iter()
        .find(|e| e["kind"] == "survey_answered")
        .expect("answer on the timeline");
    assert_eq!(answer["data"]["score"], 2);
    assert_eq!(answer["body"], "Immer noch nicht angekommen.");
    assert!(
        events
            .iter()
            .any(|e| e["kind"] == "state_change" && e["data"]["to"] == "reopened")
    );
    assert!(
        events
            .iter()
            .any(|e| e["kind"] == "follow_up" && e["data"]["what"] == "lead_attention")
    );
    let f = app
        .get_json(&format!("/api/v1/cases/{id}/follow-up"), &app.admin_token)
        .await;
    assert_eq!(f["lead_attention"], true);
    assert_eq!(f["surveys"][0]["state"], "answered");

    // Single use.
    let res = submit(&app.client, &app, &path, &[("score", "5")]).await;
    assert_eq!(res.status(), 409);
    let res = app.get_anonymous(&path).await;
    assert_eq!(res.status(), 409);
}

async fn high_value_customers_get_a_personal_note_task(b: Backend) {
    let sink = SmtpSink::start().await;
    let app = app_with_smtp(b, &sink).await;
    let vip = app.customer("CRM-VIP", "de", "premium").await;
    let case = app.case(&vip, "Falsche Rechnung").await;
    let case = case["id"].as_str().expect("id").to_string();
    transition(&app, &case, "acknowledged").await;
    transition(&app, &case, "resolved").await;
    wait_event(&app, &case, "personal note task", |e| {
        e["data"]["what"] == "personal_note_task"
    })
    .await;
    app.post_expect(
        &format!("/api/v1/cases/{case}/personal-note/done"),
        &app.admin_token,
        json!(null),
        201,
    )
    .await;
    app.post_problem(
        &format!("/api/v1/cases/{case}/personal-note/done"),
        &app.admin_token,
        json!(null),
        409,
    )
    .await;
    // A standard customer with a small value gets no such task.
    let std = app.customer("CRM-STD", "de", "standard").await;
    let c2 = app.case(&std, "Kleines Problem").await;
    let c2 = c2["id"].as_str().expect("id").to_string();
    transition(&app, &c2, "acknowledged").await;
    transition(&app, &c2, "resolved").await;
    wait_event(&app, &c2, "survey scheduled", |e| {
        e["data"]["what"] == "survey_scheduled"
    })
    .await;
    assert!(
        !events_of(&app, &c2)
            .await
            .iter()
            .any(|e| e["data"]["what"] == "personal_note_task"),
        "no task for standard customers"
    );
    app.post_problem(
        &format!("/api/v1/cases/{c2}/personal-note/done"),
        &app.admin_token,
        json!(null),
        409,
    )
    .await;
}

async fn positive_answer_check_in_fatigue_and_expiry(b: Backend) {
    let sink = SmtpSink::start().await;
    let app = app_with_smtp(b, &sink).await;
    let cust = app.customer("CRM-4", "en", "standard").await;
    let a = app.case(&cust, "Wrong size").await;
    let a = a["id"].as_str().expect("id").to_string();
    transition(&app, &a, "acknowledged").await;
    transition(&app, &a, "resolved").await;
    let mails = sink.wait_for(1).await;
    assert!(mails[0].contains("How satisfied"), "English survey");
    let path = survey_link(&mails[0]);
    let res = submit(
        &app.client,
        &app,
        &path,
        &[("score", "5"), ("comment", "Great, thanks!")],
    )
    .await;
    assert_eq!(res.status(), 200);
    let got = app.get_json(&format!("/api/v1/cases/{a}"), &app.admin_token).await;
    assert_eq!(got["state"], "followed_up", "a positive answer completes the follow-up");

    // Survey fatigue: a second resolution for the same customer within the period sends no survey.
    let b2 = app.case(&cust, "Another issue").await;
    let b2 = b2["id"].as_str().expect("id").to_string();
    transition(&app, &b2, "acknowledged").await;
    transition(&app, &b2, "resolved").await;
    let ev = wait_event(&app, &b2, "survey skipped", |e| e["data"]["what"] == "survey_skipped").await;
    assert_eq!(ev["data"]["reason"], "fatigue");
    let p = problem(transition(&app, &b2, "followed_up").await, 409).await;
    assert_eq!(p["field"], "to");

    // The check-in goes out days later and completes the follow-up of case b2.
    app.clock.advance(Duration::days(3) + Duration::minutes(1));
    wait_for(30, "followed_up after the check-in", || async {
        let c: Value = app
            .get(&format!("/api/v1/cases/{b2}"), &app.admin_token)
            .await
            .json()
            .await
            .ok()?;
        (c["state"] == "followed_up").then_some(())
    })
    .await;
    let mails = sink.messages();
    assert_eq!(
        mails
            .iter()
            .filter(|m| m.contains("Is everything alright now?"))
            .count(),
        2,
        "one check-in per case"
    );
    let ev = wait_event(&app, &b2, "check-in on the timeline", |e| {
        e["kind"] == "message_out" && e["data"]["purpose"] == "check_in"
    })
    .await;
    assert!(ev["data"]["message_id"].as_str().is_some());

    // Expiry: a survey link older than survey_expiry is refused with 410.
    let other = app.customer("CRM-5", "de", "standard").await;
    let c = app.case(&other, "Rechnung falsch").await;
    let c = c["id"].as_str().expect("id").to_string();
    transition(&app, &c, "acknowledged").await;
    transition(&app, &c, "resolved").await;
    let mail = wait_for(30, "survey for CRM-5", || async {
        sink.messages()
            .into_iter()
            .find(|m| m.contains("crm-5@example.de") && m.contains("/survey/"))
    })
    .await;
    let path = survey_link(&mail);
    app.clock.advance(Duration::days(15));
    let res = app.get_anonymous(&path).await;
    assert_eq!(res.status(), 410);
    let res = submit(&app.client, &app, &path, &[("score", "1")]).await;
    assert_eq!(res.status(), 410);
}

/// A local webhook receiver: answers 500 to the first request, then 200.
pub(crate) async fn receiver() -> (
    String,
    std::sync::Arc<std::sync::Mutex<Vec<(axum::http::HeaderMap, String)>>>,
) {
    use axum::routing::post;
    let seen: std::sync::Arc<std::sync::Mutex<Vec<(axum::http::HeaderMap, String)>>> = Default::default();
    let s = seen.clone();
    let app = axum::Router::new().route(
        "/hook",
        post(move |headers: axum::http::HeaderMap, body: String| {
            let s = s.clone();
            async move {
                let mut list = s.lock().expect("lock");
                list.push((headers, body));
                if list.len() == 1 {
                    axum::http::StatusCode::INTERNAL_SERVER_ERROR
                } else {
                    axum::http::StatusCode::OK
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}/hook", listener.local_addr().expect("addr"));
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (url, seen)
}

async fn webhooks_are_signed_retried_and_logged(b: Backend) {
    use hmac::{Hmac, Mac};
    let app = TestApp::spawn(b).await;
    let (url, seen) = receiver().await;
    for bad in [
        json!({"url": "ftp://x", "events": ["case.created"]}),
        json!({"url": url, "events": ["case.exploded"]}),
        json!({"url": url, "events": []}),
    ] {
        app.post_problem("/api/v1/webhooks", &app.admin_token, bad, 422).await;
    }
    let agent = app.token_for("agent1", "agent").await;
    app.post_problem("/api/v1/webhooks", &agent, json!({"url": url, "events": ["*"]}), 403)
        .await;
    let hook = app
        .post_json(
            "/api/v1/webhooks",
            &app.admin_token,
            json!({"url": url, "events": ["case.created"]}),
            201,
        )
        .await;
    let secret = hook["secret"].as_str().expect("secret once").to_string();
    let hook_id = hook["id"].as_str().expect("id").to_string();
    let list: Vec<Value> = app
        .get("/api/v1/webhooks", &app.admin_token)
        .await
        .json()
        .await
        .expect("json");
    assert!(list[0].get("secret").is_none(), "the secret is shown once");

    let cust = app.customer("CRM-6", "de", "standard").await;
    let case = app.case(&cust, "Webhook test").await;
    let seen1 = seen.clone();
    wait_for(30, "first delivery", || {
        let s = seen1.clone();
        async move { (s.lock().expect("lock").len() == 1).then_some(()) }
    })
    .await;
    let log: Vec<Value> = app
        .get(&format!("/api/v1/webhooks/{hook_id}/deliveries"), &app.admin_token)
        .await
        .json()
        .await
        .expect("json");
    let d = wait_for(30, "failed attempt logged", || async {
        let log: Vec<Value> = app
            .get(&format!("/api/v1/webhooks/{hook_id}/deliveries"), &app.admin_token)
            .await
            .json()
            .await
            .ok()?;
        log.into_iter().find(|d| d["attempts"] == 1)
    })
    .await;
    assert!(!log.is_empty());
    assert_eq!(d["state"], "pending");
    assert_eq!(d["last_status"], 500);
    app.clock.advance(Duration::minutes(10));
    let seen2 = seen.clone();
    wait_for(30, "retried delivery", || {
        let s = seen2.clone();
        async move { (s.lock().expect("lock").len() >= 2).then_some(()) }
    })
    .await;
    let (headers, body) = seen.lock().expect("lock")[1].clone();
    assert_eq!(headers["x-amends-event"], "case.created");
    let mut mac = <Hmac<sha2::Sha256> as Mac>::new_from_slice(secret.as_bytes()).expect("key");
    mac.update(body.as_bytes());
    let want: String = mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(
        headers["x-amends-signature"].to_str().expect("ascii"),
        format!("sha256={want}")
    );
    let payload: Value = serde_json::from_str(&body).expect("json body");
    assert_eq!(payload["event"], "case.created");
    assert_eq!(payload["case_id"], case["id"]);
    let d = wait_for(30, "delivered", || async {
        let log: Vec<Value> = app
            .get(&format!("/api/v1/webhooks/{hook_id}/deliveries"), &app.admin_token)
            .await
            .json()
            .await
            .ok()?;
        log.into_iter().find(|d| d["state"] == "delivered")
    })
    .await;
    assert_eq!(d["attempts"], 2);
    assert_eq!(d["last_status"], 200);
    // Only subscribed events are sent: a state change is not.
    transition(&app, case["id"].as_str().expect("id"), "acknowledged").await;
    let res = app
        .delete(&format!("/api/v1/webhooks/{hook_id}"), &app.admin_token)
        .await;
    assert_eq!(res.status(), 204);
    assert_eq!(seen.lock().expect("lock").len(), 2);
}

crate::both_backends!(
    job_queue_claims_each_job_once,
    reply_goes_out_once_with_message_id_and_retries,
    dead_mail_shows_on_the_case_and_can_be_retried,
    negative_survey_answer_reopens_the_case,
    positive_answer_check_in_fatigue_and_expiry,
    high_value_customers_get_a_personal_note_task,
    webhooks_are_signed_retried_and_logged,
);
