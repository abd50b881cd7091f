//! The mail quarantine (issue 18): mail the pipe or the poller cannot take
//! is kept whole, once, for an admin to release or delete — in the API and
//! the UI — and the MTA pipe asks for a retry only when nothing was kept.

use crate::mailin::mail_ingest;
use crate::support::{Backend, TestApp, csrf_of, get_html, html_of, post_form, problem};
use serde_json::{Value, json};

const NO_FROM: &[u8] =
    b"To: service@amends.example\r\nSubject: Ohne Absender\r\nMessage-ID: <q-1@mail.example>\r\n\r\n\
Meine Bestellung 4711 ist nie angekommen und niemand antwortet. Ich k\xc3\xbcndige!\r\n";

async fn pipe(app: &TestApp, raw: &[u8]) -> (Option<i32>, String) {
    let out = mail_ingest(app.db_url(), raw.to_vec()).await.expect("join");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code(), text)
}

async fn quarantine(app: &TestApp, all: bool) -> Vec<Value> {
    let path = if all {
        "/api/v1/mail/quarantine?all=true"
    } else {
        "/api/v1/mail/quarantine"
    };
    serde_json::from_value(app.get_json(path, &app.admin_token).await).expect("list")
}

async fn email_feedback_from(app: &TestApp, from: &str) -> usize {
    let items = app.get_json("/api/v1/feedback?channel=email", &app.admin_token).await;
    items["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|f| f["source"]["from"] == from)
        .count()
}

async fn rejected_mail_is_kept_once_and_released_by_an_admin(b: Backend) {
    let app = TestApp::spawn(b).await;

    // The pipe keeps the mail and says so: exit 0, so the MTA does not bounce it.
    for _ in 0..2 {
        let (code, out) = pipe(&app, NO_FROM).await;
        assert_eq!(code, Some(0), "{out}");
        assert!(out.contains("quarantined as"), "{out}");
    }
    // An empty message is still refused: there is nothing to keep.
    let (code, out) = pipe(&app, b"\r\n").await;
    assert_eq!(code, Some(1), "{out}");

    let list = quarantine(&app, false).await;
    assert_eq!(list.len(), 1, "the same bytes land once: {list:?}");
    let item = &list[0];
    assert_eq!(item["reason_code"], "no_sender", "{item}");
    assert_eq!(item["source"], "pipe");
    assert_eq!(item["subject"], "Ohne Absender");
    assert!(item["sender"].is_null() && item["closed_at"].is_null(), "{item}");
    let id = item["id"].as_str().expect("id").to_string();

    // The original, byte for byte.
    let res = app
        .get(&format!("/api/v1/mail/quarantine/{id}/raw"), &app.admin_token)
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "message/rfc822");
    assert_eq!(res.bytes().await.expect("bytes").as_ref(), NO_FROM);

    // Agents may not see or release it.
    let agent = app.token_for("agent1", "agent").await;
    problem(app.get("/api/v1/mail/quarantine", &agent).await, 403).await;
    app.post_problem(&format!("/api/v1/mail/quarantine/{id}/release"), &agent, json!({}), 403)
        .await;

    // Without a sender it still cannot be taken: 422 on `sender`, and it stays.
    let p = app
        .post_problem(
            &format!("/api/v1/mail/quarantine/{id}/release"),
            &app.admin_token,
            json!({}),
            422,
        )
        .await;
    assert_eq!(p["field"], "sender", "{p}");
    let p = app
        .post_problem(
            &format!("/api/v1/mail/quarantine/{id}/release"),
            &app.admin_token,
            json!({"sender": "kein-absender"}),
            422,
        )
        .await;
    assert_eq!(p["field"], "sender", "{p}");
    assert_eq!(quarantine(&app, false).await.len(), 1);

    // Released by eight admins at once with the sender's address: taken once.
    let release = |_| {
        let app = &app;
        let id = id.clone();
        async move {
            app.post(
                &format!("/api/v1/mail/quarantine/{id}/release"),
                &app.admin_token,
                json!({"sender": "erika@example.de"}),
            )
            .await
            .status()
            .as_u16()
        }
    };
    let mut codes = futures_util::future::join_all((0..8).map(release)).await;
    codes.sort_unstable();
    assert_eq!(codes, [200, 409, 409, 409, 409, 409, 409, 409]);
    assert_eq!(email_feedback_from(&app, "erika@example.de").await, 1);
    assert!(quarantine(&app, false).await.is_empty());
    let all = quarantine(&app, true).await;
    assert_eq!(all[0]["outcome"], "released: feedback", "{all:?}");

    // Delete: the bytes go, the record stays; a second delete is a conflict.
    let (code, out) = pipe(&app, b"nur ein Satz ohne Kopfzeilen").await;
    assert_eq!(code, Some(0), "{out}");
    let other = quarantine(&app, false).await[0]["id"].as_str().expect("id").to_string();
    let res = app
        .delete(&format!("/api/v1/mail/quarantine/{other}"), &app.admin_token)
        .await;
    assert_eq!(res.status(), 204);
    problem(
        app.delete(&format!("/api/v1/mail/quarantine/{other}"), &app.admin_token)
            .await,
        409,
    )
    .await;
    let res = app
        .get(&format!("/api/v1/mail/quarantine/{other}/raw"), &app.admin_token)
        .await;
    assert!(res.bytes().await.expect("bytes").is_empty());
    assert_eq!(quarantine(&app, true).await.len(), 2);

    // Every step is in the audit log.
    let audit = app
        .get_json("/api/v1/audit?entity=mail_quarantine", &app.admin_token)
        .await;
    let actions: Vec<&str> = audit
        .as_array()
        .expect("audit")
        .iter()
        .filter_map(|a| a["action"].as_str())
        .collect();
    for a in ["mail.quarantine", "mail.release", "mail.delete"] {
        assert!(actions.contains(&a), "{a} in {actions:?}");
    }
}

async fn admins_release_quarantined_mail_in_the_ui(b: Backend) {
    let app = TestApp::spawn(b).await;
    let (code, out) = pipe(&app, NO_FROM).await;
    assert_eq!(code, Some(0), "{out}");
    let id = quarantine(&app, false).await[0]["id"].as_str().expect("id").to_string();

    let admin = app.signed_in("admin").await;
    let page = html_of(&admin, &app, "/settings").await;
    assert!(page.contains("1 Mail in Quarantäne"), "the settings page counts it");
    let page = html_of(&admin, &app, "/settings/mail").await;
    assert!(page.contains("Die Mail nennt keinen Absender."), "{page}");
    let csrf = csrf_of(&page);

    // No sender: the error stands next to the field, in German.
    let path = format!("/settings/mail/{id}/release");
    let (status, page) = post_form(&admin, &app, &path, &[("csrf", &csrf), ("sender", "")]).await;
    assert_eq!(status, 422);
    assert!(page.contains("Geben Sie seine Adresse an"), "{page}");
    assert!(page.contains(&format!("id=\"sender-error-{id}\"")), "{page}");

    // With the address it is taken and the list is empty.
    let (status, _) = post_form(&admin, &app, &path, &[("csrf", &csrf), ("sender", "erika@example.de")]).await;
    assert!(status == 200 || status == 303, "{status}");
    let page = html_of(&admin, &app, "/settings/mail").await;
    assert!(page.contains("Die Quarantäne ist leer"), "{page}");
    assert_eq!(email_feedback_from(&app, "erika@example.de").await, 1);

    // Agents are turned away.
    app.token_for("agent1", "agent").await;
    let agent = app.signed_in("agent1").await;
    let (status, _) = get_html(&agent, &app, "/settings/mail").await;
    assert_eq!(status, 403);
}

/// With the database out of reach nothing is kept: the pipe exits 75
/// (EX_TEMPFAIL), so the MTA holds the message and tries again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pipe_asks_for_a_retry_when_the_database_is_down() {
    let url = "postgres://postgres@127.0.0.1:1/none".to_string();
    let out = mail_ingest(url, NO_FROM.to_vec()).await.expect("join");
    assert_eq!(out.status.code(), Some(75), "{}", String::from_utf8_lossy(&out.stderr));
}

crate::both_backends!(
    rejected_mail_is_kept_once_and_released_by_an_admin,
    admins_release_quarantined_mail_in_the_ui,
);
