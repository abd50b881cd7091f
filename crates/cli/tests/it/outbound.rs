//! Webhooks reach public addresses only: an internal address in any
//! spelling is refused when a webhook is saved, and a saved URL that points
//! inward is refused when delivered, without any request reaching it.

use crate::support::{Backend, TestApp, problem, t0, wait_for};
use amends_domain::outbound::AllowList;
use serde_json::{Value, json};

async fn internal_webhook_urls_are_refused(b: Backend) {
    let app = TestApp::spawn_with(b, |c| c.webhook_allow = AllowList::default()).await;
    for url in [
        "http://169.254.169.254/latest/meta-data/",
        "http://127.0.0.1:8080/hook",
        "http://localhost/hook",
        "http://[::1]/hook",
        "http://0.0.0.0/hook",
        "http://2130706433/hook",
        "http://0x7f.1/hook",
        "http://10.0.0.1/hook",
        "http://192.168.178.1/hook",
        "http://metadata.google.internal/computeMetadata/v1/",
        "http://[::ffff:169.254.169.254]/hook",
        "https://api.localhost/hook",
    ] {
        let p = problem(
            app.post(
                "/api/v1/webhooks",
                &app.admin_token,
                json!({"url": url, "events": ["*"]}),
            )
            .await,
            422,
        )
        .await;
        assert_eq!(p["field"], "url", "{url}: {p}");
        let detail = p["detail"].as_str().unwrap_or_default();
        assert!(detail.contains("only to public addresses"), "{url}: {detail}");
    }
    let res = app
        .post(
            "/api/v1/webhooks",
            &app.admin_token,
            json!({"url": "https://hooks.example.com/amends", "events": ["*"]}),
        )
        .await;
    assert_eq!(res.status(), 201, "a public receiver is accepted");
}

async fn an_allow_listed_internal_receiver_is_accepted(b: Backend) {
    let app = TestApp::spawn_with(b, |c| {
        c.webhook_allow = "10.0.0.0/8, hooks.internal".parse().unwrap_or_default();
    })
    .await;
    for url in ["http://10.1.2.3/hook", "http://hooks.internal/amends"] {
        let res = app
            .post(
                "/api/v1/webhooks",
                &app.admin_token,
                json!({"url": url, "events": ["*"]}),
            )
            .await;
        assert_eq!(res.status(), 201, "{url}");
    }
    let p = problem(
        app.post(
            "/api/v1/webhooks",
            &app.admin_token,
            json!({"url": "http://192.168.0.1/hook", "events": ["*"]}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(p["field"], "url");
}

/// A webhook stored while its address was allowed (or before these rules)
/// is not called once the address is refused: one failed delivery, no retry.
async fn a_saved_url_that_points_inward_is_not_called(b: Backend) {
    let (url, seen) = crate::followup::receiver().await;
    let app = TestApp::spawn_with(b, |c| c.webhook_allow = AllowList::default()).await;
    let hook = app
        .store
        .insert_webhook(
            amends_store::new_row_id(t0()),
            &url,
            &["*".to_string()],
            "whsec_test",
            None,
            t0(),
        )
        .await
        .expect("webhook row");
    let cust = app.customer("CRM-SSRF", "de", "standard").await;
    app.case(&cust, "Webhook to an internal address").await;
    let d = wait_for(30, "refused delivery", || async {
        let log: Vec<Value> = app
            .get(&format!("/api/v1/webhooks/{}/deliveries", hook.id), &app.admin_token)
            .await
            .json()
            .await
            .ok()?;
        log.into_iter().find(|d| d["state"] == "failed")
    })
    .await;
    assert_eq!(d["attempts"], 1, "{d}");
    let error = d["last_error"].as_str().unwrap_or_default();
    assert!(error.contains("loopback"), "{d}");
    assert!(seen.lock().expect("lock").is_empty(), "the receiver was called");
}

crate::both_backends!(
    internal_webhook_urls_are_refused,
    an_allow_listed_internal_receiver_is_accepted,
    a_saved_url_that_points_inward_is_not_called,
);
