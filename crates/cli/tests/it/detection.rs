//! Detection (issue 4): feedback by API, bulk JSON/CSV and CLI import,
//! text analytics, detection rules and the stream UI — on both backends.

use crate::support::{Backend, TestApp, TestDb, csrf_of, get_html, post_form, problem, submit};
use serde_json::{Value, json};

const DE_COMPLAINT: &str = "Die Lieferung kam zwei Wochen zu spät und die Vase war kaputt. \
                            Das ist eine Frechheit, ich kündige mein Abo!";
const EN_PRAISE: &str = "Great service, the team was friendly and fast. Thank you so much!";

async fn feedback_by_api_opens_and_attaches_cases(b: Backend) {
    let app = TestApp::spawn(b).await;
    let tok = app.admin_token.clone();
    // An unknown email creates the customer.
    let f = app
        .post_json(
            "/api/v1/feedback",
            &tok,
            json!({"customer_email": "erika.muster@example.de", "channel": "api", "rating": 1, "text": DE_COMPLAINT}),
            201,
        )
        .await;
    assert_eq!(f["sentiment"]["label"], "negative", "{f}");
    assert!(f["sentiment"]["score"].as_f64().expect("score") < 0.0);
    assert_eq!(f["language"], "de");
    assert!(
        f["topics"].as_array().expect("topics").contains(&json!("delivery")),
        "{f}"
    );
    assert!(
        f["signals"]
            .as_array()
            .expect("signals")
            .contains(&json!("churn_intent")),
        "{f}"
    );
    assert_eq!(f["rule"]["name"], "Negative with churn intent", "{f}");
    assert!(
        f["rule"]["explanation"]
            .as_str()
            .expect("explanation")
            .contains("signal `churn_intent` found"),
        "{f}"
    );
    let case_id = f["case_id"].as_str().expect("a rule opened a case").to_string();
    let customer_id = f["customer_id"].as_str().expect("customer").to_string();
    let customer = app.get_json(&format!("/api/v1/customers/{customer_id}"), &tok).await;
    assert_eq!(customer["email"], "erika.muster@example.de");
    assert_eq!(customer["language"], "de");
    let case = app.get_json(&format!("/api/v1/cases/{case_id}"), &tok).await;
    assert_eq!(case["origin"], "feedback");
    assert_eq!(case["priority"], "high");
    assert_eq!(case["state"], "new");
    let events = app.get_json(&format!("/api/v1/cases/{case_id}/events"), &tok).await;
    assert!(events.to_string().contains("message_in"), "{events}");

    // Positive English feedback from the same customer (by id): no case.
    let p = app
        .post_json(
            "/api/v1/feedback",
            &tok,
            json!({"customer_id": customer_id, "channel": "widget", "rating": 5, "text": EN_PRAISE}),
            201,
        )
        .await;
    assert_eq!(p["sentiment"]["label"], "positive", "{p}");
    assert_eq!(p["language"], "en");
    assert!(p["case_id"].is_null(), "{p}");
    assert!(p["rule"].is_null());

    // A low rating naming the case attaches to it (another topic without
    // the reference would open its own case: tests/it/attach.rs).
    let a = app
        .post_json(
            "/api/v1/feedback",
            &tok,
            json!({"customer_email": "erika.muster@example.de", "channel": "survey", "rating": 2, "text": "Immer noch keine Antwort.",
                   "case_reference": &case_id[case_id.len() - 8..]}),
            201,
        )
        .await;
    assert_eq!(a["case_id"], case_id.as_str(), "{a}");
    assert_eq!(a["rule"]["name"], "Low rating");
    assert_eq!(a["customer_id"], customer_id.as_str(), "same customer");

    // A legal threat opens an urgent case even with a good rating.
    let res = app
        .post(
            "/api/v1/feedback",
            &tok,
            json!({"customer_email": "bob@example.com", "customer_name": "Bob Brown", "channel": "email",
                   "text": "If this is not fixed by Friday my lawyer will take legal action."}),
        )
        .await;
    let l: Value = res.json().await.expect("json");
    assert_eq!(l["rule"]["name"], "Legal threat", "{l}");
    let urgent = app
        .get_json(&format!("/api/v1/cases/{}", l["case_id"].as_str().expect("case")), &tok)
        .await;
    assert_eq!(urgent["priority"], "urgent");
    assert_eq!(l["customer_name"], "Bob Brown");

    // The stream: newest first, filters, cursor.
    let all = app.get_json("/api/v1/feedback", &tok).await;
    let items = all["items"].as_array().expect("items");
    assert_eq!(items.len(), 4);
    assert_eq!(items[0]["id"], l["id"], "newest first");
    for (q, n) in [
        // The churn complaint and the legal threat (signals make a text
        // negative), and "Immer noch keine Antwort." (no polar word, but a
        // survey answer is written to the company: audience `direct`).
        ("sentiment=negative", 3),
        ("channel=widget", 1),
        ("topic=delivery", 1),
        ("rating=2", 1),
        ("language=en", 2),
        ("has_case=no", 1),
        (&format!("customer_id={customer_id}") as &str, 3),
        ("created_from=2026-11-23T08:00:00Z&created_to=2026-11-23T10:00:00Z", 4),
        ("created_from=2026-11-24T00:00:00Z", 0),
    ] {
        let page = app.get_json(&format!("/api/v1/feedback?{q}"), &tok).await;
        assert_eq!(page["items"].as_array().map(Vec::len), Some(n), "{q}: {page}");
    }
    let p1 = app.get_json("/api/v1/feedback?limit=3", &tok).await;
    let cursor = p1["next_cursor"].as_str().expect("more");
    let p2 = app
        .get_json(&format!("/api/v1/feedback?limit=3&cursor={cursor}"), &tok)
        .await;
    assert_eq!(p2["items"].as_array().map(Vec::len), Some(1));
    assert!(p2["next_cursor"].is_null());
    let one = app
        .get_json(&format!("/api/v1/feedback/{}", f["id"].as_str().expect("id")), &tok)
        .await;
    assert_eq!(one["text"], DE_COMPLAINT);
    app.get_problem("/api/v1/feedback?sentiment=angry", &tok, 422).await;
    app.get_problem("/api/v1/feedback/01900000-0000-7000-8000-00000000abcd", &tok, 404)
        .await;

    // Opening a case by hand for the positive item; twice is a conflict.
    let pid = p["id"].as_str().expect("id");
    app.post_expect(&format!("/api/v1/feedback/{pid}/case"), &tok, json!(null), 201)
        .await;
    app.post_problem(&format!("/api/v1/feedback/{pid}/case"), &tok, json!(null), 409)
        .await;
}

async fn bad_feedback_gets_clear_errors(b: Backend) {
    let app = TestApp::spawn(b).await;
    let tok = app.admin_token.clone();
    let cust = app.customer("CRM-1", "de", "standard").await;
    let cases = [
        (
            json!({"customer_id": cust, "channel": "api", "text": "   "}),
            422,
            "text",
        ),
        (
            json!({"customer_id": cust, "channel": "api", "text": "x".repeat(1_000_000)}),
            422,
            "text",
        ),
        (
            json!({"customer_id": cust, "channel": "api", "rating": 7, "text": "ok"}),
            422,
            "rating",
        ),
        (
            json!({"customer_id": cust, "channel": "fax", "text": "ok"}),
            422,
            "channel",
        ),
        (json!({"channel": "api", "text": "ok"}), 422, "customer_id"),
        (
            json!({"customer_email": "not-an-email", "channel": "api", "text": "ok"}),
            422,
            "customer_email",
        ),
        (
            json!({"customer_id": "01900000-0000-7000-8000-00000000abcd", "channel": "api", "text": "ok"}),
            422,
            "customer_id",
        ),
        (
            json!({"customer_id": cust, "channel": "api", "text": "ok", "mood": 1}),
            422,
            "mood",
        ),
        (
            json!({"customer_id": cust, "channel": "api", "text": "ok", "source": [1]}),
            422,
            "source",
        ),
    ];
    for (body, status, field) in cases {
        let res = app.post("/api/v1/feedback", &tok, body).await;
        let p = problem(res, status).await;
        assert_eq!(p["field"], field, "{p}");
    }
    // More than the body limit: a clear 400, not a crash.
    app.post_problem(
        "/api/v1/feedback",
        &tok,
        json!({"customer_id": cust, "channel": "api", "text": "x".repeat(1_100_000)}),
        400,
    )
    .await;
    // HTML is stored as sent (and escaped when shown, see the UI test).
    let f = app
        .post_json(
            "/api/v1/feedback",
            &tok,
            json!({"customer_id": cust, "channel": "web", "text": "<script>alert('x')</script> kaputt"}),
            201,
        )
        .await;
    assert_eq!(f["text"], "<script>alert('x')</script> kaputt");
}

async fn detection_rules_are_managed_by_leads(b: Backend) {
    let app = TestApp::spawn(b).await;
    let agent = app.token_for("agent1", "agent").await;
    let lead = app.token_for("lead1", "lead").await;
    let rules = app.get_json("/api/v1/detection-rules", &agent).await;
    let names: Vec<&str> = rules
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|r| r["name"].as_str())
        .collect();
    assert_eq!(names, ["Legal threat", "Negative with churn intent", "Low rating"]);
    let body = json!({"name": "Premium unhappy", "conditions": {"tier": "premium", "sentiment": "negative"},
                      "action": "open_case", "priority": "high", "position": 5});
    app.post_problem("/api/v1/detection-rules", &agent, body.clone(), 403)
        .await;
    let rule = app.post_json("/api/v1/detection-rules", &lead, body, 201).await;
    let id = rule["id"].as_str().expect("id").to_string();
    // Premium negative feedback now fires the new rule first.
    let cust = app.customer("VIP-1", "de", "premium").await;
    let complaint =
        json!({"customer_id": cust, "channel": "email", "text": "Der Service war furchtbar und unfreundlich."});
    let f = app.post_json("/api/v1/feedback", &agent, complaint.clone(), 201).await;
    assert_eq!(f["rule"]["name"], "Premium unhappy", "{f}");
    // Disabled, it no longer fires.
    let res = app
        .patch(
            &format!("/api/v1/detection-rules/{id}"),
            &lead,
            json!({"enabled": false}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let f = app.post_json("/api/v1/feedback", &agent, complaint.clone(), 201).await;
    assert!(f["rule"].is_null(), "{f}");
    for (body, field) in [
        (json!({"name": "x", "conditions": {}}), "conditions"),
        (
            json!({"name": "x", "conditions": {"rating_max": 9}}),
            "conditions.rating_max",
        ),
        (
            json!({"name": "x", "conditions": {"signal": "shouting"}}),
            "conditions.signal",
        ),
        (json!({"name": "", "conditions": {"rating_max": 1}}), "name"),
        (
            json!({"name": "x", "conditions": {"rating_max": 1}, "priority": "asap"}),
            "priority",
        ),
    ] {
        let p = app.post_problem("/api/v1/detection-rules", &lead, body, 422).await;
        assert_eq!(p["field"], field, "{p}");
    }
    let del = app.delete(&format!("/api/v1/detection-rules/{id}"), &lead).await;
    assert_eq!(del.status(), 204);
    app.get_problem(&format!("/api/v1/detection-rules/{id}"), &lead, 404)
        .await;
    let audit = app.get_json("/api/v1/audit?entity=detection_rule", &lead).await;
    assert!(audit.to_string().contains("rule.delete"));
}

async fn bulk_feedback_reports_rows_and_keeps_good_ones(b: Backend) {
    let app = TestApp::spawn(b).await;
    let tok = app.admin_token.clone();
    let out = app
        .post_json(
            "/api/v1/feedback/bulk",
            &tok,
            json!([
                {"customer_email": "a@example.de", "channel": "api", "rating": 1, "text": DE_COMPLAINT},
                {"customer_email": "a@example.de", "channel": "api", "rating": 9, "text": "x"},
                {"customer_email": "b@example.com", "channel": "api", "text": EN_PRAISE},
                {"channel": "api", "text": "no customer"},
                {"customer_email": "c@example.com", "channel": "api", "text": ""},
                {"customer_email": "c@example.com", "text": "missing channel"},
            ]),
            200,
        )
        .await;
    assert_eq!(out["created"], 2, "{out}");
    assert_eq!(out["with_case"], 1, "{out}");
    let errors: Vec<(u64, String)> = out["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| {
            (
                e["row"].as_u64().unwrap_or(0),
                e["field"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    assert_eq!(
        errors,
        [
            (2, "rating".to_string()),
            (4, "customer_id".to_string()),
            (5, "text".to_string()),
            (6, "channel".to_string())
        ]
    );

    let csv = "customer_email,customer_name,rating,text,order_id\n\
               d@example.de,Doris,1,\"Paket nie angekommen, ich will mein Geld zurück! Ich kündige.\",A-1\n\
               e@example.com,Eve,5,Lovely,A-2\n\
               f@example.com,Fay,nine,bad rating,A-3\n\
               g@example.com,Gus,3,,A-4\n\
               h@example.com,Hal,2\n";
    let res = app
        .client
        .post(app.url("/api/v1/feedback/bulk"))
        .bearer_auth(&tok)
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .expect("csv");
    assert_eq!(res.status(), 200);
    let out: Value = res.json().await.expect("json");
    assert_eq!(out["created"], 2, "{out}");
    let rows: Vec<u64> = out["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|e| e["row"].as_u64())
        .collect();
    assert_eq!(rows, [3, 4, 5], "{out}");
    let csv_items = app.get_json("/api/v1/feedback?channel=csv", &tok).await;
    let items = csv_items["items"].as_array().expect("items");
    assert_eq!(items.len(), 2);
    assert_eq!(items[1]["source"]["order_id"], "A-1", "{csv_items}");
    assert!(!items[1]["case_id"].is_null(), "the complaint opened a case");

    // Wrong content type, missing header columns, too many rows.
    let res = app
        .client
        .post(app.url("/api/v1/feedback/bulk"))
        .bearer_auth(&tok)
        .header("content-type", "text/plain")
        .body("hello")
        .send()
        .await
        .expect("plain");
    problem(res, 415).await;
    let res = app
        .client
        .post(app.url("/api/v1/feedback/bulk"))
        .bearer_auth(&tok)
        .header("content-type", "text/csv")
        .body("email,comment\na@b.de,x\n")
        .send()
        .await
        .expect("csv");
    assert_eq!(problem(res, 422).await["field"], "csv");
    let many: Vec<Value> = (0..10_001)
        .map(|_| json!({"customer_email": "a@example.de", "channel": "api", "text": "x"}))
        .collect();
    let p = app.post_problem("/api/v1/feedback/bulk", &tok, json!(many), 422).await;
    assert_eq!(p["field"], "items");
}

async fn import_feedback_from_the_command_line(b: Backend) {
    let db = TestDb::new(b).await;
    let dir = std::env::temp_dir().join(format!("amends-import-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).expect("dir");
    let file = dir.join("feedback.csv");
    std::fs::write(
        &file,
        "customer_email,rating,text,language\n\
         anna@example.de,1,\"Die Rechnung ist falsch, ich kündige!\",de\n\
         ben@example.com,4,Fine,en\n\
         broken,3,x,de\n",
    )
    .expect("write");
    let (ok, stdout, stderr) = crate::imports::import(&db.url, &file).await;
    assert!(ok, "{stdout}{stderr}");
    assert!(
        stdout.contains("imported 2 feedback items (1 with a recovery case); 1 rows skipped"),
        "{stdout}"
    );
    assert!(stderr.contains("row 3: customer_email:"), "{stderr}");
    let store = db.store().await;
    let page = store
        .list_feedback(&amends_store::FeedbackFilter {
            limit: 10,
            ..Default::default()
        })
        .await
        .expect("list");
    assert_eq!(page.items.len(), 2);
    std::fs::remove_dir_all(&dir).ok();
}

async fn stream_and_rules_pages(b: Backend) {
    let app = TestApp::spawn(b).await;
    let tok = app.admin_token.clone();
    let cust = app.customer("CRM-9", "de", "standard").await;
    for text in [DE_COMPLAINT, "<script>alert('pwned')</script> Alles gut.", EN_PRAISE] {
        app.post_expect(
            "/api/v1/feedback",
            &tok,
            json!({"customer_id": cust, "channel": "api", "text": text}),
            201,
        )
        .await;
    }
    let client = app.signed_in("admin").await;
    let get = |path: &str| {
        let client = client.clone();
        let url = app.url(path);
        async move {
            let res = client.get(url).send().await.expect("get");
            (res.status().as_u16(), res.text().await.expect("text"))
        }
    };
    let (status, html) = get("/feedback").await;
    assert_eq!(status, 200);
    assert!(html.contains("&lt;script&gt;alert("), "escaped");
    assert!(!html.contains("<script>alert("), "never raw");
    assert!(
        html.contains("Regel „Negative with churn intent“ hat ausgelöst"),
        "{html}"
    );
    assert!(html.contains("Abwanderungsabsicht"));
    assert!(html.contains("Fall eröffnen"), "items without a case offer one");
    let (_, neg) = get("/feedback?sentiment=negative&topic=delivery").await;
    assert_eq!(neg.matches("data-testid=\"feedback-item\"").count(), 1);
    let (_, bad) = get("/feedback?rating=zehn").await;
    assert!(bad.contains("role=\"alert\""), "bad filters are shown, not a crash");
    let csrf = csrf_of(&html);
    // Open a case for an item without one.
    let without = app.get_json("/api/v1/feedback?has_case=no&limit=1", &tok).await;
    let fid = without["items"][0]["id"].as_str().expect("id").to_string();
    let res = submit(
        &client,
        &app,
        &format!("/feedback/{fid}/case"),
        &[("csrf", csrf.as_str())],
    )
    .await;
    assert_eq!(res.status(), 303);
    let loc = res.headers()["location"].to_str().expect("loc").to_string();
    assert!(loc.starts_with("/cases/"), "{loc}");
    assert_eq!(
        post_form(&client, &app, &format!("/feedback/{fid}/case"), &[("csrf", "wrong")])
            .await
            .0,
        403
    );

    // Rules page: create (with a field error first), toggle, delete.
    let (status, rules) = get("/settings/rules").await;
    assert_eq!(status, 200);
    assert!(rules.contains("Low rating"));
    let res = submit(
        &client,
        &app,
        "/settings/rules",
        &[
            ("csrf", csrf.as_str()),
            ("name", "Nothing"),
            ("action", "open_case"),
            ("priority", "normal"),
        ],
    )
    .await;
    assert_eq!(res.status(), 422);
    assert!(
        res.text()
            .await
            .expect("text")
            .contains("Wählen Sie mindestens eine Bedingung.")
    );
    assert_eq!(
        post_form(
            &client,
            &app,
            "/settings/rules",
            &[
                ("csrf", csrf.as_str()),
                ("name", "Billing anger"),
                ("topic", "billing"),
                ("sentiment", "negative"),
                ("action", "attach_or_open"),
                ("priority", "high"),
                ("clv_min", "1.000,50"),
            ]
        )
        .await
        .0,
        303
    );
    let list = app.get_json("/api/v1/detection-rules", &tok).await;
    let rule = list
        .as_array()
        .expect("rules")
        .iter()
        .find(|r| r["name"] == "Billing anger")
        .expect("created")
        .clone();
    assert_eq!(rule["conditions"]["clv_min_cents"], 100_050);
    let id = rule["id"].as_str().expect("id");
    assert_eq!(
        post_form(
            &client,
            &app,
            &format!("/settings/rules/{id}/toggle"),
            &[("csrf", csrf.as_str())]
        )
        .await
        .0,
        303
    );
    let r = app.get_json(&format!("/api/v1/detection-rules/{id}"), &tok).await;
    assert_eq!(r["enabled"], false);
    assert_eq!(
        post_form(
            &client,
            &app,
            &format!("/settings/rules/{id}/delete"),
            &[("csrf", csrf.as_str())]
        )
        .await
        .0,
        303
    );
    app.get_problem(&format!("/api/v1/detection-rules/{id}"), &tok, 404)
        .await;
}

/// German feedback written to the company is labelled for audience
/// `direct`, a social-media post for audience `public` (amends_text::Audience).
async fn the_channel_decides_the_audience_of_german_text(b: Backend) {
    let app = TestApp::spawn(b).await;
    let tok = app.admin_token.clone();
    let text = "Ich warte seit einer Stunde in der Warteschleife.";
    for (channel, want) in [("widget", "negative"), ("email", "negative"), ("social", "neutral")] {
        let f = app
            .post_json(
                "/api/v1/feedback",
                &tok,
                json!({"customer_email": "kim@example.de", "channel": channel, "text": text, "language": "de"}),
                201,
            )
            .await;
        assert_eq!(f["sentiment"]["label"], want, "{channel}: {f}");
    }
    // The stream says how each German item was read.
    let client = app.signed_in("admin").await;
    let (_, html) = get_html(&client, &app, "/feedback").await;
    assert_eq!(html.matches("data-read-as=\"direct\"").count(), 2, "{html}");
    assert_eq!(html.matches("data-read-as=\"public\"").count(), 1, "{html}");
    assert!(html.contains("Gelesen als öffentlicher Beitrag"), "{html}");
}

crate::both_backends!(
    the_channel_decides_the_audience_of_german_text,
    feedback_by_api_opens_and_attaches_cases,
    bad_feedback_gets_clear_errors,
    detection_rules_are_managed_by_leads,
    bulk_feedback_reports_rows_and_keeps_good_ones,
    import_feedback_from_the_command_line,
    stream_and_rules_pages,
);
