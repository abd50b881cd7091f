//! Corrections of feedback sentiment and topics: stored with an audit
//! entry, the newest wins, validation names the field, agents correct but
//! do not list, the CSV export, and `amends text train --from-corrections`.

use crate::support::{Backend, TestApp};
use serde_json::json;

const DE_TEXT: &str = "Die Lieferung kam zu spät und niemand hilft mir";

async fn feedback(app: &TestApp, text: &str, rating: Option<u8>) -> String {
    let f = app
        .post_json(
            "/api/v1/feedback",
            &app.admin_token,
            json!({"customer_email": "erika@example.de", "channel": "api", "rating": rating, "text": text, "language": "de"}),
            201,
        )
        .await;
    f["id"].as_str().expect("id").to_owned()
}

async fn corrections_are_stored_validated_and_exported(b: Backend) {
    let app = TestApp::spawn(b).await;
    let agent = app.token_for("anna", "agent").await;
    let lead = app.token_for("lena", "lead").await;
    let id = feedback(&app, DE_TEXT, Some(1)).await;
    let path = format!("/api/v1/feedback/{id}/corrections");
    app.post_json(
        &path,
        &agent,
        json!({"sentiment": "positive", "topics": ["billing"]}),
        201,
    )
    .await;
    // The newest correction wins; topics come back in taxonomy order.
    app.post_json(
        &path,
        &agent,
        json!({"sentiment": "neutral", "topics": ["billing", "delivery"]}),
        201,
    )
    .await;
    let list = app.get_json("/api/v1/corrections", &lead).await;
    let items = list.as_array().expect("list");
    assert_eq!(items.len(), 1, "{list}");
    assert_eq!(items[0]["feedback_id"], id.as_str());
    assert_eq!(items[0]["sentiment"], "neutral");
    assert_eq!(items[0]["topics"], json!(["delivery", "billing"]));
    assert_eq!(items[0]["original_sentiment"], "negative", "{list}");
    assert_eq!(items[0]["user_name"], "anna (test)");
    assert_eq!(items[0]["text"], DE_TEXT);

    for (body, field) in [
        (json!({"sentiment": "angry", "topics": []}), "sentiment"),
        (json!({"sentiment": "negative", "topics": ["weather"]}), "topics"),
    ] {
        let p = app.post_problem(&path, &agent, body, 422).await;
        assert_eq!(p["field"], field, "{p}");
    }
    let missing = format!("/api/v1/feedback/{}/corrections", uuid::Uuid::nil());
    app.post_problem(&missing, &agent, json!({"sentiment": "negative"}), 404)
        .await;
    // Agents correct, but only leads and admins see the training data.
    app.get_problem("/api/v1/corrections", &agent, 403).await;

    let csv = app.get("/api/v1/corrections?format=csv", &lead).await;
    assert_eq!(csv.status(), 200);
    assert_eq!(
        csv.text().await.expect("csv"),
        format!("text,sentiment,language\n{DE_TEXT},neutral,de\n")
    );

    let audit = app
        .store
        .list_audit(Some("feedback"), Some(&id), None, 10)
        .await
        .expect("audit");
    let corrected: Vec<_> = audit.iter().filter(|a| a.action == "feedback.correct").collect();
    assert_eq!(corrected.len(), 2, "one entry per correction: {audit:?}");
}

async fn train_from_corrections_holds_out_a_known_quarter(b: Backend) {
    let app = TestApp::spawn(b).await;
    let mut held_out = 0;
    for i in 0..12 {
        let negative = i % 2 == 0;
        let text = if negative {
            format!("Paket {i} kam kaputt an, schlechter Service")
        } else {
            format!("Paket {i} kam schnell, danke, super Service")
        };
        let id = feedback(&app, &text, None).await;
        let label = if negative { "negative" } else { "positive" };
        app.post_json(
            &format!("/api/v1/feedback/{id}/corrections"),
            &app.admin_token,
            json!({"sentiment": label, "topics": []}),
            201,
        )
        .await;
        if amends_app::corrections::held_out(id.parse().expect("uuid")) {
            held_out += 1;
        }
    }
    // Rated feedback: 1, 2 and 5 are weak labels, 3 is none.
    for (rating, text) in [(1, "Furchtbar"), (2, "Schlecht"), (3, "Geht so"), (5, "Wunderbar")] {
        feedback(&app, text, Some(rating)).await;
    }
    let dir = std::env::temp_dir().join(format!("amends-corrections-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).expect("dir");
    let out = dir.join("company.model");
    let (url, out_arg) = (app.db_url(), out.display().to_string());
    let run = tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_amends"))
            .env_remove("AMENDS_DATABASE_URL")
            .env("AMENDS_LOG", "warn")
            .args([
                "--database-url",
                &url,
                "text",
                "train",
                "--from-corrections",
                "--out",
                &out_arg,
            ])
            .output()
            .expect("run")
    })
    .await
    .expect("join");
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(run.status.success(), "{stdout}{}", String::from_utf8_lossy(&run.stderr));
    let expected = format!(
        "held out: {held_out} corrections; training on {} rows ({} corrections, 0 CSV rows, 3 weak labels from ratings)",
        12 - held_out + 3,
        12 - held_out
    );
    assert!(stdout.contains(&expected), "{stdout}\nexpected: {expected}");
    assert!(
        stdout.contains("accuracy on the held-out corrections: shipped model"),
        "{stdout}"
    );
    assert!(out.exists(), "the model file is written");
    std::fs::remove_dir_all(&dir).ok();
}

crate::both_backends!(
    corrections_are_stored_validated_and_exported,
    train_from_corrections_holds_out_a_known_quarter,
);
