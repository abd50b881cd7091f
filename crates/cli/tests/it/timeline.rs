//! The agent's workbench (issue 17): replies on the timeline at once with
//! their delivery state and a retry, internal mails kept apart from the
//! customer's messages, the confirmation after a form post, the pending
//! approvals count, and links that name the address actually bound — on
//! both backends.

use crate::support::{Backend, SmtpSink, TestApp, csrf_of, html_of, submit, wait_for};
use chrono::Duration;
use serde_json::{Value, json};

async fn events(app: &TestApp, case: &str) -> Vec<Value> {
    app.get_json(&format!("/api/v1/cases/{case}/events"), &app.admin_token)
        .await
        .as_array()
        .expect("events")
        .clone()
}

/// The reply events (`message_out`) of a case.
async fn replies(app: &TestApp, case: &str) -> Vec<Value> {
    events(app, case)
        .await
        .into_iter()
        .filter(|e| e["kind"] == "message_out")
        .collect()
}

async fn wait_delivery(app: &TestApp, case: &str, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
    wait_for(30, what, || async {
        replies(app, case).await.into_iter().find(|e| pred(&e["delivery"]))
    })
    .await
}

/// Retries message `job` of `case` with `token`; expects `status`, returns the body.
async fn retry(app: &TestApp, case: &str, job: &str, token: &str, status: u16) -> Value {
    let res = app
        .post(
            &format!("/api/v1/cases/{case}/messages/{job}/retry"),
            token,
            json!(null),
        )
        .await;
    let res = crate::support::expect_status(res, status, "retry").await;
    res.json().await.expect("json")
}

async fn reply(app: &TestApp, case: &str, body: &str) -> Value {
    app.post_json(
        &format!("/api/v1/cases/{case}/replies"),
        &app.admin_token,
        json!({ "body": body }),
        202,
    )
    .await
}

async fn reply_is_on_the_timeline_at_once_without_smtp(b: Backend) {
    let app = TestApp::spawn_with(b, |c| c.job_max_attempts = 2).await;
    let cust = app.customer("CRM-T1", "de", "standard").await;
    let case = app.case_id(&cust, "Paket fehlt").await;
    let q = reply(&app, &case, "Wir kümmern uns darum.").await;
    // At once: no worker has run, the reply is on the timeline, queued, and says why.
    let now = replies(&app, &case).await;
    assert_eq!(now.len(), 1, "{now:?}");
    let e = &now[0];
    assert_eq!(
        e["body"].as_str().map(|b| b.contains("Wir kümmern uns darum.")),
        Some(true)
    );
    assert_eq!(e["data"]["message_id"], q["message_id"]);
    assert_eq!(e["author"]["name"], "admin (test)");
    assert_eq!(e["delivery"]["state"], "queued", "{e}");
    assert_eq!(e["delivery"]["reason"], "no_smtp", "{e}");
    assert_eq!(e["delivery"]["job_id"], q["job_id"]);

    // The first attempt fails for want of SMTP: still queued, with the error, retryable.
    let e = wait_delivery(&app, &case, "a failed first attempt", |d| {
        d["attempts"] == 1 && d["error"].is_string()
    })
    .await;
    let d = &e["delivery"];
    assert_eq!(d["state"], "queued");
    assert_eq!(d["reason"], "no_smtp");
    assert!(
        d["error"]
            .as_str()
            .unwrap_or_default()
            .contains("SMTP is not configured"),
        "{d}"
    );
    assert_eq!(d["retryable"], true);
    assert_eq!(
        replies(&app, &case).await.len(),
        1,
        "a failed attempt adds no second entry"
    );

    // Retry by hand: runs now (second and last attempt), then it has failed.
    let job = d["job_id"].as_str().expect("job id").to_string();
    let other = app.case_id(&cust, "Anderer Fall").await;
    retry(&app, &other, &job, &app.admin_token, 404).await;
    let r = retry(&app, &case, &job, &app.admin_token, 202).await;
    assert_eq!(r["job_id"], job.as_str());
    let e = wait_delivery(&app, &case, "the message failed", |d| d["state"] == "failed").await;
    assert_eq!(e["delivery"]["reason"], "no_smtp");
    assert_eq!(e["delivery"]["retryable"], true);
    // A failed one can be retried again: fresh attempts.
    let r = retry(&app, &case, &job, &app.admin_token, 202).await;
    assert_eq!(r["state"], "queued");
    assert!(r["attempts"].as_i64() < Some(2), "fresh attempts: {r}");
    wait_delivery(&app, &case, "a fresh attempt", |d| {
        d["state"] == "queued" && d["attempts"] == 1 && d["error"].is_string()
    })
    .await;

    // The German case page shows it at once, in words.
    let admin = app.signed_in("admin").await;
    let html = html_of(&admin, &app, &format!("/cases/{case}")).await;
    assert!(
        html.contains("data-testid=\"delivery-state\">in der Warteschlange<"),
        "{html}"
    );
    assert!(html.contains("Es ist kein SMTP-Server eingerichtet"), "{html}");
    assert!(
        !html.contains("SMTP is not configured:"),
        "no English error text in German"
    );
}

async fn replies_are_sent_once_and_retried_from_the_case(b: Backend) {
    let sink = SmtpSink::start().await;
    let app = TestApp::spawn_with_smtp(b, &sink, |c| c.job_max_attempts = 2).await;
    let cust = app.customer("CRM-T2", "en", "standard").await;
    let case = app.case_id(&cust, "Refund missing").await;
    reply(&app, &case, "We are on it.").await;
    let e = wait_delivery(&app, &case, "the reply sent", |d| d["state"] == "sent").await;
    assert!(e["delivery"]["sent_at"].is_string(), "{e}");
    assert_eq!(e["delivery"]["retryable"], false);
    app.jobs_settled().await;
    assert_eq!(replies(&app, &case).await.len(), 1, "sending adds no second entry");
    assert_eq!(sink.messages().len(), 1);
    let job = e["delivery"]["job_id"].as_str().expect("job").to_string();
    let p = retry(&app, &case, &job, &app.admin_token, 409).await;
    assert!(p["detail"].as_str().unwrap_or_default().contains("sent"), "{p}");

    // Refused twice: failed (temporary); retried from the case, it goes out.
    sink.refuse_next(2);
    reply(&app, &case, "Second try.").await;
    let e = wait_delivery(&app, &case, "the first attempt refused", |d| {
        d["attempts"] == 1 && d["error"].is_string()
    })
    .await;
    assert_eq!(e["delivery"]["reason"], "temporary", "{e}");
    app.clock.advance(Duration::hours(2));
    let e = wait_delivery(&app, &case, "the reply failed", |d| d["state"] == "failed").await;
    let job = e["delivery"]["job_id"].as_str().expect("job").to_string();
    let agent = app.token_for("anna", "agent").await;
    retry(&app, &case, &job, &agent, 202).await;
    sink.wait_for(2).await;
    wait_delivery(&app, &case, "the retried reply sent", |d| {
        d["job_id"] == job.as_str() && d["state"] == "sent"
    })
    .await;
    assert_eq!(replies(&app, &case).await.len(), 2);
}

async fn internal_mails_stay_apart_from_the_customers_messages(b: Backend) {
    let sink = SmtpSink::start().await;
    let app = TestApp::spawn_with_smtp(b, &sink, |_| {}).await;
    let cust = app.customer("CRM-T3", "de", "standard").await;
    let case = app.case_id(&cust, "Koffer beschädigt").await;
    let agent = app.token_for("anna", "agent").await;
    app.post_expect(
        "/api/v1/users",
        &app.admin_token,
        json!({"username": "lisa", "role": "lead", "password": "long enough pw", "language": "de",
               "email": "lisa@example.de", "display_name": "Lisa Lead"}),
        201,
    )
    .await;
    app.post_expect(
        &format!("/api/v1/cases/{case}/goodwill"),
        &agent,
        json!({"kind": "refund", "value_cents": 8000, "currency": "EUR", "reason": "Koffer ersetzt"}),
        202,
    )
    .await;
    sink.wait_for(1).await;
    app.jobs_settled().await;
    let ev = events(&app, &case).await;
    assert!(
        !ev.iter().any(|e| e["kind"] == "message_out"),
        "the approval request is no message to the customer: {ev:?}"
    );
    let internal = ev
        .iter()
        .find(|e| e["data"]["what"] == "internal_mail_sent")
        .expect("internal mail on the timeline");
    assert_eq!(internal["data"]["internal"], true);
    assert_eq!(internal["data"]["to"], "lisa@example.de");
    assert_eq!(internal["data"]["purpose"], "approval");
    // The case page lists it under internal mails, not under the customer's messages.
    let admin = app.signed_in("admin").await;
    let html = html_of(&admin, &app, &format!("/cases/{case}")).await;
    let internal_list = html
        .split("data-testid=\"internal-outbox\"")
        .nth(1)
        .expect("internal list");
    assert!(internal_list.contains("lisa@example.de"), "{html}");
    let customer_list = html
        .split("Nachrichten an die Kundschaft")
        .nth(1)
        .and_then(|s| s.split("data-testid=\"internal-outbox\"").next())
        .expect("customer list");
    assert!(!customer_list.contains("lisa@example.de"), "{customer_list}");
}

async fn forms_confirm_and_leads_see_pending_approvals(b: Backend) {
    let app = TestApp::spawn(b).await;
    let cust = app.customer("CRM-T4", "de", "standard").await;
    let case = app.case_id(&cust, "Falsche Rechnung").await;
    let admin = app.signed_in("admin").await;
    let page = html_of(&admin, &app, &format!("/cases/{case}")).await;
    assert!(
        !page.contains("data-testid=\"flash\""),
        "no confirmation before an action"
    );
    assert!(!page.contains("approvals-badge"), "no badge without pending requests");
    let csrf = csrf_of(&page);
    let res = submit(
        &admin,
        &app,
        &format!("/cases/{case}/note"),
        &[("csrf", &csrf), ("body", "Rückruf morgen")],
    )
    .await;
    assert_eq!(res.status(), 303);
    let page = html_of(&admin, &app, &format!("/cases/{case}")).await;
    assert!(
        page.contains("<p class=\"flash\" role=\"status\" data-testid=\"flash\">Notiz gespeichert.</p>"),
        "{page}"
    );
    let again = html_of(&admin, &app, &format!("/cases/{case}")).await;
    assert!(!again.contains("data-testid=\"flash\""), "shown once");
    // The reply form: queued at once, confirmed.
    let res = submit(
        &admin,
        &app,
        &format!("/cases/{case}/reply"),
        &[
            ("csrf", &csrf),
            ("body", "Wir korrigieren die Rechnung."),
            ("key", "k1"),
        ],
    )
    .await;
    assert_eq!(res.status(), 303);
    let page = html_of(&admin, &app, &format!("/cases/{case}")).await;
    assert!(page.contains("Antwort steht im Verlauf und wird gesendet."), "{page}");
    assert!(page.contains("Wir korrigieren die Rechnung."));
    // A forged cookie shows nothing but catalogue keys.
    let res = app
        .client
        .get(app.url("/login"))
        .header("cookie", "amends_flash=<b>x</b>")
        .send()
        .await
        .expect("get");
    assert!(!res.text().await.expect("text").contains("<b>x</b>"));

    // A pending request: leads and admins see the count next to "Approvals".
    let agent = app.token_for("anna", "agent").await;
    app.post_expect(
        &format!("/api/v1/cases/{case}/goodwill"),
        &agent,
        json!({"kind": "refund", "value_cents": 8000, "currency": "EUR", "reason": "Doppelt berechnet"}),
        202,
    )
    .await;
    let page = html_of(&admin, &app, "/inbox").await;
    assert!(page.contains("data-testid=\"approvals-badge\""), "{page}");
    assert!(page.contains("1 Anfrage wartet auf Freigabe"), "{page}");
    let agent_ui = app.signed_in("anna").await;
    assert!(!html_of(&agent_ui, &app, "/inbox").await.contains("approvals-badge"));
}

async fn links_name_the_address_actually_bound(b: Backend) {
    let app = TestApp::spawn(b).await;
    let site = app
        .post_json(
            "/api/v1/widget-sites",
            &app.admin_token,
            json!({"name": "Shop", "allowed_origins": ["https://shop.example"], "language": "de"}),
            201,
        )
        .await;
    let embed = site["embed"].as_str().expect("embed");
    assert!(
        embed.contains(&format!("{}/widget.js", app.base)),
        "{embed} names {}",
        app.base
    );
    assert!(!app.base.ends_with(":0") && !embed.contains(":8080/"), "{embed}");

    let set = TestApp::spawn_with(b, |c| {
        c.base_url = "https://help.example.com".into();
        c.base_url_from_bind = false;
    })
    .await;
    let site = set
        .post_json(
            "/api/v1/widget-sites",
            &set.admin_token,
            json!({"name": "Shop", "allowed_origins": ["https://shop.example"], "language": "de"}),
            201,
        )
        .await;
    assert!(
        site["embed"]
            .as_str()
            .expect("embed")
            .contains("https://help.example.com/widget.js"),
        "{site}"
    );
}

crate::both_backends!(
    reply_is_on_the_timeline_at_once_without_smtp,
    replies_are_sent_once_and_retried_from_the_case,
    internal_mails_stay_apart_from_the_customers_messages,
    forms_confirm_and_leads_see_pending_approvals,
    links_name_the_address_actually_bound,
);
