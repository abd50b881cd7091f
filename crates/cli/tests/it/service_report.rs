//! The service report ("what we did for you"): what a resolved case tells
//! its customer — in the survey mail, in the API, and sent on its own once
//! per resolution, also when many ask at once.

use crate::support::{Backend, SmtpSink, TestApp, wait_for};
use serde_json::{Value, json};

async fn app_with_smtp(b: Backend, sink: &SmtpSink) -> TestApp {
    TestApp::spawn_with_smtp(b, sink, |c| {
        c.survey_delay = chrono::Duration::zero();
    })
    .await
}

async fn events(app: &TestApp, case: &str) -> Vec<Value> {
    app.get(&format!("/api/v1/cases/{case}/events"), &app.admin_token)
        .await
        .json::<Vec<Value>>()
        .await
        .expect("events")
}

/// Waits until the case's message of `purpose` is delivered.
async fn sent(app: &TestApp, case: &str, purpose: &str) {
    wait_for(30, &format!("the {purpose} sent"), || async {
        events(app, case)
            .await
            .iter()
            .any(|e| e["data"]["purpose"] == purpose && e["delivery"]["state"] == "sent")
            .then_some(())
    })
    .await;
}

async fn post(app: &TestApp, path: &str, body: Value, status: u16) -> Value {
    app.post_json(path, &app.admin_token, body, status).await
}

/// A case with one reply sent, a 20 € voucher granted and a 50 € refund
/// refused, then resolved.
async fn resolved_case(app: &TestApp, customer: &str) -> String {
    let case = app.case_id(customer, "Paket beschädigt").await;
    post(
        app,
        &format!("/api/v1/cases/{case}/replies"),
        json!({"body": "Ersatz ist unterwegs."}),
        202,
    )
    .await;
    sent(app, &case, "reply").await;
    post(
        app,
        &format!("/api/v1/cases/{case}/goodwill"),
        json!({"kind": "voucher", "value_cents": 2000, "reason": "Entschuldigung"}),
        201,
    )
    .await;
    for to in ["acknowledged", "resolved"] {
        post(
            app,
            &format!("/api/v1/cases/{case}/transitions"),
            json!({"to": to}),
            200,
        )
        .await;
    }
    case
}

async fn the_report_tells_what_was_done_in_the_survey_and_the_api(b: Backend) {
    let sink = SmtpSink::start().await;
    let app = app_with_smtp(b, &sink).await;
    let cust = app.customer("SR-1", "de", "standard").await;

    // Not resolved: nothing to report, nothing to send.
    let open = app.case_id(&cust, "Noch offen").await;
    let r = app
        .get_json(&format!("/api/v1/cases/{open}/service-report"), &app.admin_token)
        .await;
    assert_eq!(r["report"], Value::Null, "{r}");
    assert_eq!(r["language"], "de");
    post(&app, &format!("/api/v1/cases/{open}/service-report"), json!(null), 409).await;

    let case = resolved_case(&app, &cust).await;
    let r = app
        .get_json(&format!("/api/v1/cases/{case}/service-report"), &app.admin_token)
        .await;
    let report = &r["report"];
    assert_eq!(report["messages_sent"], 1, "{r}");
    assert_eq!(report["goodwill_total_cents"], 2000);
    assert_eq!(report["goodwill"], json!([{"kind": "voucher", "value_cents": 2000}]));
    assert_eq!(report["proactive"], false);
    assert!(report["minutes_to_resolve"].as_i64().is_some_and(|m| m >= 0), "{r}");
    let text = r["text"].as_str().expect("text");
    for line in [
        "Hier sehen Sie, was wir dafür getan haben:",
        "Wir haben Ihnen einmal geschrieben.",
        "Als Entschuldigung: Gutschein im Wert von 20,00",
        "Gelöst nach",
    ] {
        assert!(text.contains(line), "{line} in {text}");
    }

    // The survey mail carries the report before its question.
    let survey = wait_for(30, "the survey mail", || async {
        sink.messages().into_iter().find(|m| m.contains("/survey/"))
    })
    .await;
    let said = survey
        .find("Gutschein im Wert von 20,00")
        .expect("goodwill in the survey mail");
    let asked = survey.find("Sagen Sie uns mit einem Klick").expect("the question");
    assert!(said < asked, "the report comes before the question");
    assert!(survey.contains("Was wir für Sie getan haben:"), "{survey}");
    assert!(survey.contains("Wir haben Ihnen einmal geschrieben."), "{survey}");

    // An English customer reads it in English.
    let emma = app.customer("SR-2", "en", "standard").await;
    let case_en = resolved_case(&app, &emma).await;
    let r = app
        .get_json(&format!("/api/v1/cases/{case_en}/service-report"), &app.admin_token)
        .await;
    assert_eq!(r["language"], "en");
    let text = r["text"].as_str().expect("text");
    assert!(text.contains("Here is what we did:"), "{text}");
    assert!(text.contains("As an apology: Voucher worth"), "{text}");
}

async fn sending_the_report_queues_one_mail_per_resolution(b: Backend) {
    let sink = SmtpSink::start().await;
    let app = app_with_smtp(b, &sink).await;
    let cust = app.customer("SR-3", "de", "standard").await;
    let case = resolved_case(&app, &cust).await;

    // Eight requests at once queue one mail.
    let path = format!("/api/v1/cases/{case}/service-report");
    let answers = futures_util::future::join_all((0..8).map(|_| post(&app, &path, json!(null), 202))).await;
    let queued = answers.iter().filter(|a| a["queued"] == true).count();
    assert_eq!(queued, 1, "{answers:?}");
    let job = &answers[0]["job_id"];
    assert!(answers.iter().all(|a| &a["job_id"] == job), "{answers:?}");

    let mail = wait_for(30, "the report mail", || async {
        sink.messages()
            .into_iter()
            .find(|m| m.contains("ist gelöst. Hier sehen Sie, was wir dafür getan haben"))
    })
    .await;
    assert!(mail.contains("Gutschein im Wert von 20,00"), "{mail}");
    let events = events(&app, &case).await;
    let reports: Vec<&Value> = events
        .iter()
        .filter(|e| e["kind"] == "message_out" && e["data"]["purpose"] == "service_report")
        .collect();
    assert_eq!(reports.len(), 1, "one report on the timeline");
    let short = &case[case.len() - 8..];
    assert_eq!(
        reports[0]["data"]["subject"],
        format!("Was wir für Sie getan haben [#{short}]")
    );

    // The report itself is not counted as a message "we wrote".
    sent(&app, &case, "service_report").await;
    let r = app.get_json(&path, &app.admin_token).await;
    assert_eq!(r["report"]["messages_sent"], 1, "{r}");
}

crate::both_backends!(
    the_report_tells_what_was_done_in_the_survey_and_the_api,
    sending_the_report_queues_one_mail_per_resolution,
);
