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
    let items = list["items"].as_array().expect("list");
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
    let held_out = plant_corrections(&app, 12).await;
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
                "--save",
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
    assert!(stdout.contains("saved as version 1 (inactive"), "{stdout}");
    let saved = app.store.list_text_models(10).await.expect("versions");
    assert_eq!(saved.len(), 1);
    assert_eq!(
        (saved[0].trained_by, saved[0].active, saved[0].n_held_out),
        (None, false, i64::try_from(held_out).expect("small"))
    );
    std::fs::remove_dir_all(&dir).ok();
}

/// Corrects `n` items: even ones about "Zorblax" negative, odd ones
/// about "Quibble" positive (words no shipped lexicon knows); the number
/// of them in the held-out quarter.
async fn plant_corrections(app: &TestApp, n: usize) -> usize {
    let mut held_out = 0;
    for i in 0..n {
        let (text, label) = if i % 2 == 0 {
            (format!("Zorblax {i} zorblax zorblax"), "negative")
        } else {
            (format!("Quibble {i} quibble quibble"), "positive")
        };
        let id = feedback(app, &text, None).await;
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
    held_out
}

async fn versions(app: &TestApp) -> serde_json::Value {
    app.get_json("/api/v1/text/models", &app.admin_token).await
}

/// Eight training requests at once: one queues the job, all name it.
async fn train_at_once(app: &TestApp) -> serde_json::Value {
    let answers = futures_util::future::join_all(
        (0..8).map(|_| app.post_json("/api/v1/text/models", &app.admin_token, json!({}), 202)),
    )
    .await;
    assert_eq!(answers.iter().filter(|a| a["queued"] == true).count(), 1, "{answers:?}");
    let job = answers[0]["job_id"].clone();
    assert!(
        job.is_string() && answers.iter().all(|a| a["job_id"] == job),
        "{answers:?}"
    );
    job
}

async fn company_model_is_trained_once_compared_and_switched(b: Backend) {
    let app = TestApp::spawn(b).await;
    // Nothing to train on yet.
    let p = app
        .post_problem("/api/v1/text/models", &app.admin_token, json!({}), 422)
        .await;
    assert_eq!(p["field"], "corrections", "{p}");
    let held_out = plant_corrections(&app, 24).await;
    let agent = app.token_for("anna", "agent").await;
    let lead = app.token_for("lena", "lead").await;
    app.post_problem("/api/v1/text/models", &agent, json!({}), 403).await;
    app.post_problem("/api/v1/text/models", &lead, json!({}), 403).await;
    app.get_problem("/api/v1/text/models", &agent, 403).await;

    // Many requests at once: one job, one version.
    train_at_once(&app).await;
    let list = crate::support::wait_for(60, "the text model to be trained", || async {
        let v = versions(&app).await;
        (v["items"].as_array().expect("items").len() == 1).then_some(v)
    })
    .await;
    app.jobs_settled().await;
    assert_eq!(
        versions(&app).await["items"].as_array().expect("items").len(),
        1,
        "one version"
    );
    let m = &list["items"][0];
    assert_eq!(m["version"], 1);
    assert_eq!(m["active"], false);
    assert_eq!(list["in_use"], serde_json::Value::Null);
    assert_eq!(m["n_held_out"], held_out);
    assert_eq!(m["n_corrections"], 24 - held_out);
    assert_eq!(m["n_train"], 24 - held_out);
    assert!(
        held_out > 0,
        "the planted ids put some corrections in the held-out quarter"
    );
    // The held-out items are ours: the shipped model knows neither word
    // (neutral, wrong on every one), the new model learnt both.
    assert_eq!(m["shipped_accuracy"], 0.0, "{m}");
    assert_eq!(m["new_accuracy"], 1.0, "{m}");
    assert_eq!(m["better"], true);
    let classes = m["per_class"].as_array().expect("per class");
    assert_eq!(
        classes.iter().map(|c| c["n"].as_u64().expect("n")).sum::<u64>(),
        held_out as u64
    );
    let admin = app.get_json("/api/v1/me", &app.admin_token).await;
    assert_eq!(m["trained_by"], admin["id"], "{m}");

    // A new Zorblax text, as the analyser in use reads it.
    let zorblax = || {
        app.post_json(
            "/api/v1/feedback",
            &app.admin_token,
            json!({"customer_email": "z@example.de", "channel": "api", "text": "Zorblax zorblax", "language": "de"}),
            201,
        )
    };
    // Before: the shipped model reads it as neutral.
    let before = zorblax().await;
    assert_eq!(before["sentiment"]["label"], "neutral", "{before}");
    let on = app
        .post_json("/api/v1/text/models/1/activate", &app.admin_token, json!({}), 200)
        .await;
    assert_eq!(on["active"], true);
    assert_eq!(versions(&app).await["in_use"], 1);
    let after = zorblax().await;
    assert_eq!(after["sentiment"]["label"], "negative", "{after}");
    app.post_problem("/api/v1/text/models/9/activate", &app.admin_token, json!({}), 404)
        .await;
    // Not a version number: no such version.
    app.post_problem("/api/v1/text/models/x/activate", &app.admin_token, json!({}), 404)
        .await;
    app.post_problem("/api/v1/text/models/1/activate", &lead, json!({}), 403)
        .await;
    let off = app
        .post("/api/v1/text/models/deactivate", &app.admin_token, json!({}))
        .await;
    assert_eq!(off.status(), 204);
    assert_eq!(versions(&app).await["in_use"], serde_json::Value::Null);

    // Switched on elsewhere (another instance writes the row): the
    // workers of this one follow within seconds.
    app.store
        .set_active_text_model(Some(1), None, app.clock.now())
        .await
        .expect("activate");
    crate::support::wait_for(20, "the instance to follow the active model", || async {
        (versions(&app).await["in_use"] == 1).then_some(())
    })
    .await;

    let audit = app
        .store
        .list_audit(Some("text_model"), None, None, 10)
        .await
        .expect("audit");
    let mut actions: Vec<&str> = audit.iter().map(|a| a.action.as_str()).collect();
    actions.sort_unstable();
    assert_eq!(
        actions,
        vec![
            "text_model.activate",
            "text_model.activate",
            "text_model.deactivate",
            "text_model.train"
        ]
    );
}

async fn corrections_are_paged_by_cursor(b: Backend) {
    let app = TestApp::spawn(b).await;
    plant_corrections(&app, 3).await;
    let first = app.get_json("/api/v1/corrections?limit=2", &app.admin_token).await;
    assert_eq!(first["items"].as_array().expect("items").len(), 2);
    let cursor = first["next_cursor"].as_str().expect("cursor");
    let second = app
        .get_json(
            &format!("/api/v1/corrections?limit=2&cursor={cursor}"),
            &app.admin_token,
        )
        .await;
    let items = second["items"].as_array().expect("items");
    assert_eq!(items.len(), 1);
    assert_eq!(second["next_cursor"], serde_json::Value::Null);
    // Newest first, no item twice.
    let ids: Vec<&str> = first["items"]
        .as_array()
        .expect("items")
        .iter()
        .chain(items)
        .map(|c| c["id"].as_str().expect("id"))
        .collect();
    let mut sorted = ids.clone();
    sorted.sort_unstable_by(|a, b| b.cmp(a));
    sorted.dedup();
    assert_eq!(ids, sorted);
    for bad in ["limit=0", "limit=201", "cursor=nonsense"] {
        app.get_problem(&format!("/api/v1/corrections?{bad}"), &app.admin_token, 422)
            .await;
    }
}

/// A training that failed for good (nothing to train on when it ran) does
/// not block the next request: eight requests at once then queue one new
/// job, which trains the version.
async fn a_failed_training_does_not_block_the_next_request(b: Backend) {
    let app = TestApp::spawn(b).await;
    let failing = amends_app::jobs::Task::TextTrain { trained_by: None }.job_with_attempts(
        1,
        crate::support::t0(),
        Some("text-train:after-0".into()),
        None,
    );
    let dead = app
        .store
        .enqueue_job(&failing, crate::support::t0())
        .await
        .expect("enqueue")
        .expect("a new job");
    crate::support::wait_for(60, "the training to fail for good", || async {
        (app.store.get_job(dead).await.expect("job").state == "dead").then_some(())
    })
    .await;
    plant_corrections(&app, 24).await;
    let job = train_at_once(&app).await;
    assert_ne!(
        job.as_str(),
        Some(dead.to_string().as_str()),
        "a new job, not the dead one"
    );
    crate::support::wait_for(60, "the text model to be trained", || async {
        let v = versions(&app).await;
        (v["items"].as_array().expect("items").len() == 1).then_some(())
    })
    .await;
    app.jobs_settled().await;
    assert_eq!(versions(&app).await["items"].as_array().expect("items").len(), 1);
    assert_eq!(
        app.store.get_job(dead).await.expect("job").state,
        "dead",
        "the failure stays on record"
    );
}

crate::both_backends!(
    corrections_are_stored_validated_and_exported,
    a_failed_training_does_not_block_the_next_request,
    train_from_corrections_holds_out_a_known_quarter,
    company_model_is_trained_once_compared_and_switched,
    corrections_are_paged_by_cursor,
);
