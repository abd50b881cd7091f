//! Proactive recovery (issue 6): an Alertmanager alert opens an incident,
//! affected customers are uploaded (twice), the fan-out creates exactly one
//! case, one queued notice in the customer's language and the rule's
//! goodwill per customer; bad uploads are reported per row; messages and
//! the closing update go out once; a crash after staging is resumed.

use crate::support::{Backend, SmtpSink, TestApp, csrf_of, html_of, post_form, problem, submit, t0, wait_for};
use amends_domain::{CustomerId, Email, Language, NonEmptyText, Tier};
use amends_store::{Batch, NewCustomer, NewJob};
use serde_json::{Value, json};

/// Inserts `n` customers `INC-0000…` (every third English, every tenth premium).
async fn customers(app: &TestApp, n: usize) {
    let mut batch = Batch::default();
    for i in 0..n {
        batch.customers.push(NewCustomer {
            id: CustomerId(amends_store::new_row_id(t0())),
            external_id: Some(format!("INC-{i:04}")),
            account_id: None,
            name: NonEmptyText::parse("name", &format!("Kundin {i}"), 200).expect("name"),
            email: Some(Email::parse(&format!("inc{i}@example.de")).expect("email")),
            language: if i.is_multiple_of(3) {
                Language::En
            } else {
                Language::De
            },
            tier: if i.is_multiple_of(10) {
                Tier::Premium
            } else {
                Tier::Standard
            },
            clv_cents: 10_000,
            consent_contact: true,
            consent_survey: true,
            created_at: t0(),
        });
    }
    app.store.insert_batch(&batch).await.expect("customers");
}

fn delay_of(i: usize) -> usize {
    (i * 7) % 400
}

/// The two rules of the issue: premium over 180 minutes → 100 EUR, others → 50 EUR.
async fn delay_rules(app: &TestApp) -> (String, String) {
    let fifty = app
        .post_json(
            "/api/v1/goodwill/catalog",
            &app.admin_token,
            json!({"kind": "voucher", "name_de": "Gutschein 50 €", "name_en": "Voucher EUR 50", "value_cents": 5000}),
            201,
        )
        .await;
    let catalog = app.get_json("/api/v1/goodwill/catalog", &app.admin_token).await;
    let hundred = catalog
        .as_array()
        .expect("array")
        .iter()
        .find(|i| i["value_cents"] == 10000)
        .expect("seeded 100 EUR voucher")["id"]
        .as_str()
        .expect("id")
        .to_string();
    app.post_expect(
        "/api/v1/goodwill/rules",
        &app.admin_token,
        json!({"name": "Premium, über 3 Stunden", "condition": "kind = delay and delay_minutes > 180 and tier = premium",
               "catalog_item_id": hundred}),
        201,
    )
    .await;
    let rule = app
        .post_json(
            "/api/v1/goodwill/rules",
            &app.admin_token,
            json!({"name": "Über 3 Stunden", "condition": "kind = delay AND delay_minutes > 180",
                   "catalog_item_id": fifty["id"]}),
            201,
        )
        .await;
    assert_eq!(rule["condition"], "kind = delay and delay_minutes > 180");
    (hundred, fifty["id"].as_str().expect("id").to_string())
}

fn alert(status: &str) -> Value {
    json!({
        "version": "4",
        "groupKey": "{}/{}:{alertname=\"FlightDelayed\"}",
        "status": status,
        "receiver": "amends",
        "groupLabels": {"alertname": "FlightDelayed"},
        "commonLabels": {"alertname": "FlightDelayed", "severity": "critical", "incident_kind": "delay", "service": "LH-2042"},
        "commonAnnotations": {"summary": "Flug LH 2042 verspätet",
            "summary_de": "Ihr Flug LH 2042 startete mit großer Verspätung.",
            "summary_en": "Your flight LH 2042 left with a long delay."},
        "externalURL": "http://alertmanager:9093",
        "alerts": [{"status": status, "labels": {"alertname": "FlightDelayed"}, "annotations": {},
            "startsAt": "2026-11-23T06:00:00Z",
            "endsAt": if status == "resolved" { "2026-11-23T10:00:00Z" } else { "0001-01-01T00:00:00Z" },
            "generatorURL": "http://prometheus/graph", "fingerprint": "f1"}]
    })
}

async fn upload_csv(app: &TestApp, token: &str, incident: &str, csv: String) -> reqwest::Response {
    app.client
        .post(app.url(&format!("/api/v1/incidents/{incident}/affected")))
        .bearer_auth(token)
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .expect("upload")
}

async fn all_affected(app: &TestApp, incident: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut after = String::new();
    loop {
        let page = app
            .get_json(
                &format!("/api/v1/incidents/{incident}/affected?limit=400{after}"),
                &app.admin_token,
            )
            .await;
        let rows = page.as_array().expect("array").clone();
        let Some(last) = rows.last() else { break };
        after = format!("&after={}", last["customer_id"].as_str().expect("id"));
        out.extend(rows);
    }
    out
}

/// Notices of an incident, queued or sent (one per contactable customer).
async fn notices(app: &TestApp, incident: &str) -> i64 {
    let i = app
        .store
        .get_incident(amends_domain::IncidentId(incident.parse().expect("uuid")))
        .await
        .expect("incident");
    let stats = app.store.incident_stats(&i).await.expect("stats");
    stats.messages_by_state.iter().map(|(_, n)| n).sum()
}

async fn alert_then_upload_twice_fans_out_once(b: Backend) {
    let app = TestApp::spawn(b).await;
    customers(&app, 1000).await;
    let (hundred, fifty) = delay_rules(&app).await;
    let lead = app.token_for("lena", "lead").await;

    let first = app
        .post_json("/api/v1/incidents/alert", &lead, alert("firing"), 200)
        .await;
    assert_eq!(first["created"], true);
    let id = first["incident_id"].as_str().expect("id").to_string();
    // The same group again updates the one incident.
    let again: Value = app
        .post("/api/v1/incidents/alert", &lead, alert("firing"))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(again["created"], false);
    assert_eq!(again["incident_id"], first["incident_id"]);
    let list = app.get_json("/api/v1/incidents", &lead).await;
    assert_eq!(list.as_array().expect("array").len(), 1);
    let inc = app.get_json(&format!("/api/v1/incidents/{id}"), &lead).await;
    assert_eq!(inc["kind"], "delay");
    assert_eq!(inc["severity"], 4);
    assert_eq!(inc["component"], "LH-2042");
    assert_eq!(inc["status"], "open");

    let mut csv = String::from("customer_external_id,delay_minutes,order_id\n");
    for i in 0..1000 {
        csv.push_str(&format!("INC-{i:04},{},B-{i}\n", delay_of(i)));
    }
    let res = upload_csv(&app, &lead, &id, csv.clone()).await;
    assert_eq!(res.status(), 200);
    let r1: Value = res.json().await.expect("json");
    let over: Vec<usize> = (0..1000).filter(|i| delay_of(*i) > 180).collect();
    assert_eq!(r1["rows"], 1000);
    assert_eq!(r1["added"], 1000);
    assert_eq!(r1["errors"], json!([]));
    assert_eq!(r1["affected"], 1000);
    assert_eq!(r1["cases_created"], 1000);
    assert_eq!(r1["messages_queued"], 1000);
    assert_eq!(r1["goodwill_granted"], over.len());
    assert_eq!(r1["pending"], 0);

    // A retried upload creates nothing twice.
    let r2: Value = upload_csv(&app, &lead, &id, csv).await.json().await.expect("json");
    assert_eq!(r2["added"], 0);
    assert_eq!(r2["already_known"], 1000);
    assert_eq!(r2["cases_created"], 1000);
    assert_eq!(r2["messages_queued"], 1000);
    assert_eq!(r2["goodwill_granted"], over.len());

    // Exactly 1,000 cases from the incident, 1,000 message jobs in the customers' languages.
    let page = app
        .get_json(&format!("/api/v1/cases?incident_id={id}&state=open&limit=200"), &lead)
        .await;
    let items = page["items"].as_array().expect("items");
    assert_eq!(items.len(), 200, "{page}");
    assert!(
        items
            .iter()
            .all(|c| c["incident_id"] == json!(id) && c["origin"] == "incident")
    );
    assert!(page["next_cursor"].is_string());
    let by_state = app.store.count_cases_by_state().await.expect("count");
    assert_eq!(by_state.iter().map(|(_, n)| n).sum::<i64>(), 1000, "{by_state:?}");
    // One notice per customer, queued on the affected rows (their outbox
    // entries) and sent by one job per chunk, not one job per message.
    assert_eq!(notices(&app, &id).await, 1000);
    let jobs = app.store.count_jobs_of_kind("incident_notices").await.expect("jobs");
    assert_eq!(jobs.iter().map(|(_, n)| n).sum::<i64>(), 1, "{jobs:?}");
    let jobs = app.store.count_jobs_of_kind("incident_message").await.expect("jobs");
    assert!(jobs.is_empty(), "{jobs:?}");
    let rows = all_affected(&app, &id).await;
    assert_eq!(rows.len(), 1000);
    let mut cases = std::collections::HashSet::new();
    let mut expected_cents = 0;
    for row in &rows {
        let ext = row["external_id"].as_str().expect("external id");
        let i: usize = ext[4..].parse().expect("number");
        assert!(cases.insert(row["case_id"].as_str().expect("case").to_string()));
        assert_eq!(row["case_created"], true);
        assert_eq!(row["state"], "done");
        assert_eq!(row["language"], if i.is_multiple_of(3) { "en" } else { "de" }, "{row}");
        assert!(row["message_job_id"].is_string());
        let facts: Value = serde_json::from_str(row["facts"].as_str().expect("facts")).expect("json");
        assert_eq!(facts["delay_minutes"], delay_of(i));
        assert_eq!(facts["order_id"], format!("B-{i}"));
        if delay_of(i) > 180 {
            let cents = if i.is_multiple_of(10) { 10_000 } else { 5_000 };
            assert_eq!(row["goodwill_cents"], cents, "{row}");
            expected_cents += cents;
        } else {
            assert!(row["grant_id"].is_null(), "{row}");
        }
    }
    assert_eq!(cases.len(), 1000);
    // The fan-out stores no "created" event; the timeline works it out from
    // the case, its affected row and its grant (with and without goodwill).
    let incident = app.get_json(&format!("/api/v1/incidents/{id}"), &lead).await;
    let without = rows
        .iter()
        .find(|r| r["grant_id"].is_null())
        .expect("a row without goodwill");
    let with = rows
        .iter()
        .find(|r| r["grant_id"].is_string())
        .expect("a row with goodwill");
    for row in [without, with] {
        let case = row["case_id"].as_str().expect("case");
        let events = app.get_json(&format!("/api/v1/cases/{case}/events"), &lead).await;
        let events = events.as_array().expect("array");
        assert_eq!(events.len(), 1, "{events:?}");
        let created = &events[0];
        assert_eq!(created["kind"], "created", "{created}");
        assert_eq!(created["id"], json!(case));
        assert_eq!(created["data"]["origin"], "incident");
        assert_eq!(created["data"]["incident_id"], json!(id));
        assert_eq!(created["data"]["title"], incident["title"]);
        assert!(created["author"].is_null(), "{created}");
        let facts: Value = serde_json::from_str(row["facts"].as_str().expect("facts")).expect("json");
        assert_eq!(created["data"]["facts"], facts);
        if row["grant_id"].is_string() {
            assert_eq!(created["data"]["goodwill"]["grant_id"], row["grant_id"], "{created}");
            assert_eq!(created["data"]["goodwill"]["value_cents"], row["goodwill_cents"]);
            assert_eq!(created["data"]["goodwill"]["state"], "granted");
            assert_eq!(created["data"]["goodwill"]["automatic"], true);
        } else {
            assert!(created["data"]["goodwill"].is_null(), "{created}");
        }
    }
    let inc = app.get_json(&format!("/api/v1/incidents/{id}"), &lead).await;
    assert_eq!(inc["totals"]["goodwill_cents"], expected_cents);
    assert_eq!(inc["stats"]["cases_open"], 1000);
    // The grants are in the ledger, made by the rules.
    let grants = app.get_json("/api/v1/goodwill?state=granted", &lead).await;
    let grants = grants.as_array().expect("array");
    assert!(!grants.is_empty());
    assert!(
        grants.iter().all(|g| g["state"] == "granted"
            && (g["catalog_item_id"] == json!(hundred) || g["catalog_item_id"] == json!(fifty)))
    );

    // A resolved alert marks it mitigated, with its end.
    let res: Value = app
        .post("/api/v1/incidents/alert", &lead, alert("resolved"))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(res["status"], "mitigated");
    // Agents may look, not declare.
    let agent = app.token_for("anna", "agent").await;
    assert_eq!(app.get(&format!("/api/v1/incidents/{id}"), &agent).await.status(), 200);
    app.post_problem("/api/v1/incidents/alert", &agent, alert("firing"), 403)
        .await;
}

async fn bad_input_is_reported_and_nothing_is_made_twice(b: Backend) {
    let app = TestApp::spawn(b).await;
    customers(&app, 5).await;
    let tok = app.admin_token.clone();
    // Incident validation names the field.
    for (body, field) in [
        (
            json!({"kind": "flood", "title": "x", "severity": 2, "started_at": "2026-11-23T06:00:00Z"}),
            "kind",
        ),
        (
            json!({"kind": "delay", "title": " ", "severity": 2, "started_at": "2026-11-23T06:00:00Z"}),
            "title",
        ),
        (
            json!({"kind": "delay", "title": "x", "severity": 5, "started_at": "2026-11-23T06:00:00Z"}),
            "severity",
        ),
        (
            json!({"kind": "delay", "title": "x", "severity": 2, "started_at": "gestern"}),
            "started_at",
        ),
        (
            json!({"kind": "delay", "title": "x", "severity": 2, "started_at": "2026-11-23T06:00:00Z",
                "ended_at": "2026-11-22T06:00:00Z"}),
            "ended_at",
        ),
    ] {
        let p = app.post_problem("/api/v1/incidents", &tok, body, 422).await;
        assert_eq!(p["field"], field, "{p}");
    }
    let inc = app
        .post_json(
            "/api/v1/incidents",
            &tok,
            json!({"kind": "delivery", "title": "Paketzentrum Hamburg ausgefallen", "severity": 3,
                   "controllable": true, "started_at": "2026-11-23T06:00:00+01:00", "component": "hub-hh"}),
            201,
        )
        .await;
    let id = inc["id"].as_str().expect("id").to_string();

    // Not an Alertmanager payload.
    let p = app
        .post_problem("/api/v1/incidents/alert", &tok, json!({"hello": "world"}), 422)
        .await;
    assert!(p["detail"].as_str().expect("detail").contains("Alertmanager"), "{p}");
    let mut v3 = alert("firing");
    v3["version"] = json!("3");
    assert_eq!(
        app.post_problem("/api/v1/incidents/alert", &tok, v3, 422).await["field"],
        "version"
    );

    // Wrong header: nothing is taken.
    let p = problem(
        upload_csv(&app, &tok, &id, "kunde,verspaetung\nINC-0001,10\n".into()).await,
        422,
    )
    .await;
    assert_eq!(p["field"], "header");
    assert!(p["detail"].as_str().expect("detail").contains("customer_external_id"));
    let p = problem(
        upload_csv(
            &app,
            &tok,
            &id,
            "customer_external_id,delay_minutes,delay_minutes\nINC-0001,1,2\n".into(),
        )
        .await,
        422,
    )
    .await;
    assert!(p["detail"].as_str().expect("detail").contains("twice"), "{p}");
    // Unknown customers, duplicates and wrongly typed facts per row; the rest is processed.
    let csv = "customer_external_id,delay_minutes,amount\n\
               INC-0000,200,12.5\n\
               NOPE-1,200,1\n\
               INC-0001,drei Stunden,1\n\
               INC-0000,300,1\n\
               INC-0002,,\n\
               INC-0003,-5,1\n\
               ,5,1\n\
               INC-0004,1,2,3\n";
    let r: Value = upload_csv(&app, &tok, &id, csv.into())
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(r["rows"], 8, "{r}");
    assert_eq!(r["added"], 2, "{r}");
    assert_eq!(r["rejected"], 6, "{r}");
    let errors = r["errors"].as_array().expect("errors");
    let by_row = |n: u64| errors.iter().find(|e| e["row"] == n).cloned().unwrap_or(Value::Null);
    assert!(
        by_row(2)["message"].as_str().expect("msg").contains("no customer"),
        "{r}"
    );
    assert_eq!(by_row(3)["field"], "facts.delay_minutes");
    assert!(
        by_row(4)["message"]
            .as_str()
            .expect("msg")
            .contains("duplicate of row 1")
    );
    assert_eq!(by_row(6)["field"], "facts.delay_minutes");
    assert_eq!(by_row(7)["field"], "customer_external_id");
    assert_eq!(by_row(8)["field"], "row");
    assert_eq!(r["cases_created"], 2);
    // JSON: not an array, wrong types, wrong content type.
    let send = |body: String, ct: &'static str| {
        app.client
            .post(app.url(&format!("/api/v1/incidents/{id}/affected")))
            .bearer_auth(&tok)
            .header("content-type", ct)
            .body(body)
            .send()
    };
    let p = problem(
        send("{\"customer_external_id\": \"INC-0001\"}".into(), "application/json")
            .await
            .expect("send"),
        400,
    )
    .await;
    assert!(p["detail"].as_str().expect("detail").contains("JSON array"), "{p}");
    problem(
        send(
            "[{\"customer_external_id\": \"INC-0001\", \"facts\": {\"delay_minutes\": 1}}, {".into(),
            "application/json",
        )
        .await
        .expect("send"),
        400,
    )
    .await;
    let r: Value = send(
        json!([{"customer_external_id": "INC-0003", "facts": {"delay_minutes": [1]}},
               {"customer_external_id": "INC-0004", "facts": {"order_id": "A-1"}, "extra": 1},
               {"customer_external_id": "INC-0001", "facts": {"delay_minutes": 1}}])
        .to_string(),
        "application/json",
    )
    .await
    .expect("send")
    .json()
    .await
    .expect("json");
    // INC-0001 was taken by the broken body before (rows before a break stay taken).
    assert_eq!(r["rejected"], 2, "{r}");
    assert_eq!(r["errors"][0]["field"], "facts.delay_minutes", "{r}");
    assert_eq!(r["errors"][1]["field"], "extra", "{r}");
    assert_eq!(r["affected"], 3, "{r}");
    problem(send("a;b".into(), "application/xml").await.expect("send"), 415).await;
    // Nothing was made twice.
    assert_eq!(notices(&app, &id).await, 3);
    // A bad goodwill rule names its problem.
    let p = app
        .post_problem(
            "/api/v1/goodwill/rules",
            &tok,
            json!({"name": "x", "condition": "delay_minutes", "catalog_item_id": uuid::Uuid::nil()}),
            422,
        )
        .await;
    assert_eq!(p["field"], "condition");
    let p = app
        .post_problem(
            "/api/v1/goodwill/rules",
            &tok,
            json!({"name": "x", "condition": "delay_minutes > 3", "catalog_item_id": uuid::Uuid::nil()}),
            422,
        )
        .await;
    assert_eq!(p["field"], "catalog_item_id");
    app.get_problem(&format!("/api/v1/incidents/{}", uuid::Uuid::nil()), &tok, 404)
        .await;
}

async fn messages_and_closing_update_go_out_once(b: Backend) {
    let sink = SmtpSink::start().await;
    let app = TestApp::spawn_with_smtp(b, &sink, |c| {
        c.smtp.from = "Service <service@amends.test>".into();
    })
    .await;
    customers(&app, 3).await;
    delay_rules(&app).await;
    let hook: Value = app
        .post(
            "/api/v1/webhooks",
            &app.admin_token,
            json!({"url": "http://127.0.0.1:9/hook", "events": ["incident.created", "incident.updated", "incident.fanned_out"]}),
        )
        .await
        .json()
        .await
        .expect("json");
    let hook_id = hook["id"].as_str().expect("hook").to_string();
    // INC-0001 already has an open case: it is updated, not doubled.
    let c1 = app
        .store
        .customers_by_external_ids(&["INC-0001".into()])
        .await
        .expect("c")[0]
        .id;
    let open = app.case(&c1.to_string(), "Koffer fehlt").await;
    let res = app
        .post(
            "/api/v1/incidents",
            &app.admin_token,
            json!({"kind": "delay", "title": "Flug LH 2042 verspätet", "severity": 4, "started_at": "2026-11-23T06:00:00Z",
                   "summary_de": "Ihr Flug startete vier Stunden später.", "summary_en": "Your flight left four hours late."}),
        )
        .await;
    let id = res.json::<Value>().await.expect("json")["id"]
        .as_str()
        .expect("id")
        .to_string();
    let r: Value = app
        .post(
            &format!("/api/v1/incidents/{id}/affected"),
            &app.admin_token,
            json!([{"customer_external_id": "INC-0000", "facts": {"delay_minutes": 240}},
                   {"customer_external_id": "INC-0001", "facts": {"delay_minutes": 240}},
                   {"customer_external_id": "INC-0002", "facts": {"delay_minutes": 30}}]),
        )
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(r["cases_created"], 2, "{r}");
    assert_eq!(r["cases_updated"], 1, "{r}");
    assert_eq!(r["messages_queued"], 3, "{r}");
    let mails = sink.wait_for(3).await;
    let to = |who: &str| {
        mails
            .iter()
            .find(|m| crate::support::header(m, "To") == Some(who))
            .cloned()
            .unwrap_or_else(|| panic!("no mail to {who}: {mails:?}"))
    };
    let en = crate::support::decode_qp(&to("inc0@example.de"));
    assert!(en.contains("We apologise"), "{en}");
    assert!(en.contains("Your flight left four hours late."), "{en}");
    assert!(en.contains("Voucher EUR 100"), "premium over 180 minutes: {en}");
    let de = crate::support::decode_qp(&to("inc1@example.de"));
    assert!(de.contains("Verz=C3=B6gerung") || de.contains("Verzögerung"), "{de}");
    assert!(de.contains("Gutschein 50"), "{de}");
    let de2 = crate::support::decode_qp(&to("inc2@example.de"));
    assert!(!de2.contains("gutgeschrieben"), "no goodwill under 180 minutes: {de2}");
    // The open case got the incident on its timeline and the message.
    let events = app
        .get_json(
            &format!("/api/v1/cases/{}/events", open["id"].as_str().expect("id")),
            &app.admin_token,
        )
        .await;
    let kinds: Vec<&str> = events
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|e| e["kind"].as_str())
        .collect();
    assert!(kinds.contains(&"update") && kinds.contains(&"goodwill"), "{kinds:?}");
    wait_for(10, "message_out on the case", || async {
        let ev: Value = app
            .get(
                &format!("/api/v1/cases/{}/events", open["id"].as_str().expect("id")),
                &app.admin_token,
            )
            .await
            .json()
            .await
            .ok()?;
        ev.as_array()?.iter().any(|e| e["kind"] == "message_out").then_some(())
    })
    .await;

    // An English closing template replaces the built-in English text; German keeps the built-in one.
    app.post_expect(
        "/api/v1/templates",
        &app.admin_token,
        json!({"name": "All clear", "purpose": "incident_closing", "language": "en",
               "subject": "All clear: {{incident_title}}",
               "body": "The delay is behind us ({{delay_minutes}} minutes for you). Reference {{case_reference}}."}),
        201,
    )
    .await;
    // Resolving sends the closing update once, even when asked twice.
    let done = app
        .post_json(
            &format!("/api/v1/incidents/{id}/resolve"),
            &app.admin_token,
            json!({}),
            200,
        )
        .await;
    assert_eq!(done["status"], "resolved");
    assert_eq!(done["totals"]["closing_messages"], 3);
    let again: Value = app
        .post(&format!("/api/v1/incidents/{id}/resolve"), &app.admin_token, json!({}))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(again["totals"]["closing_messages"], 3);
    let mails = sink.wait_for(6).await;
    app.jobs_settled().await;
    assert_eq!(sink.messages().len(), 6, "{mails:?}");
    let en_closing = mails
        .iter()
        .find(|m| crate::support::header(m, "To") == Some("inc0@example.de") && m.contains("All clear"))
        .map(|m| crate::support::decode_qp(m))
        .unwrap_or_else(|| panic!("English closing from the template: {mails:?}"));
    assert!(en_closing.contains("(240 minutes for you)"), "{en_closing}");
    let closing: Vec<&String> = mails
        .iter()
        .filter(|m| m.contains("behoben") || m.contains("All clear"))
        .collect();
    assert_eq!(closing.len(), 3);
    // Subscribers heard of it: created, fanned out, updated (resolved, asked twice).
    let events = wait_for(10, "incident webhook deliveries", || async {
        let list: Value = app
            .get(&format!("/api/v1/webhooks/{hook_id}/deliveries"), &app.admin_token)
            .await
            .json()
            .await
            .ok()?;
        let mut kinds: Vec<String> = list
            .as_array()?
            .iter()
            .filter_map(|d| d["event"].as_str().map(str::to_string))
            .collect();
        kinds.sort();
        (kinds.len() >= 4).then_some(kinds)
    })
    .await;
    assert_eq!(
        events,
        [
            "incident.created",
            "incident.fanned_out",
            "incident.updated",
            "incident.updated"
        ]
    );
    // A resolved incident takes no more affected customers.
    let p = app
        .post_problem(
            &format!("/api/v1/incidents/{id}/affected"),
            &app.admin_token,
            json!([{"customer_external_id": "INC-0002"}]),
            409,
        )
        .await;
    assert_eq!(p["field"], "status");
}

async fn staged_rows_are_resumed_after_a_crash(b: Backend) {
    let app = TestApp::spawn(b).await;
    customers(&app, 50).await;
    let res = app
        .post(
            "/api/v1/incidents",
            &app.admin_token,
            json!({"kind": "outage", "title": "Checkout down", "severity": 2, "started_at": "2026-11-23T06:00:00Z"}),
        )
        .await;
    let id = res.json::<Value>().await.expect("json")["id"]
        .as_str()
        .expect("id")
        .to_string();
    let incident = amends_domain::IncidentId(id.parse().expect("uuid"));
    // An upload that died after staging: rows are pending, its fan-out job is due.
    let ids: Vec<String> = (0..50).map(|i| format!("INC-{i:04}")).collect();
    let found = app.store.customers_by_external_ids(&ids).await.expect("customers");
    let rows: Vec<(uuid::Uuid, String)> = found.iter().map(|c| (c.id, "{}".to_string())).collect();
    let job = NewJob {
        kind: "incident_fan_out".into(),
        payload: json!({"incident_id": id}),
        run_at: t0(),
        dedupe_key: Some(format!("incident-fan-out:{id}:crash")),
        case_id: None,
        max_attempts: 3,
    };
    assert_eq!(
        app.store
            .stage_affected(incident, &rows, &job, t0())
            .await
            .expect("stage"),
        50
    );
    let done = wait_for(20, "the fan-out job", || async {
        let i = app.store.get_incident(incident).await.ok()?;
        (i.processed_count == 50).then_some(i)
    })
    .await;
    assert_eq!(done.cases_created, 50);
    assert_eq!(done.messages_queued, 50);
    // Staging the same rows again adds nothing.
    assert_eq!(
        app.store
            .stage_affected(incident, &rows, &job, t0())
            .await
            .expect("stage"),
        0
    );
}

/// The CSRF token of a signed-in client (from the settings page).
async fn settings_csrf(client: &reqwest::Client, app: &TestApp) -> String {
    csrf_of(&html_of(client, app, "/settings").await)
}

async fn incident_pages_forms_and_roles(b: Backend) {
    let app = TestApp::spawn(b).await;
    customers(&app, 3).await;
    crate::support::create_user(&app.store, "lena", "lead").await;
    crate::support::create_user(&app.store, "anna", "agent").await;
    let lead = app.signed_in("lena").await;
    let csrf = settings_csrf(&lead, &app).await;
    let page = lead.get(app.url("/incidents")).send().await.expect("get");
    assert_eq!(page.status(), 200);
    // Field errors next to the fields, the input kept.
    let res = submit(
        &lead,
        &app,
        "/incidents",
        &[
            ("csrf", csrf.as_str()),
            ("kind", "delay"),
            ("title", " "),
            ("severity", "3"),
            ("started_at", "2026-11-23T08:00"),
            ("summary_de", "<b>kept</b>"),
        ],
    )
    .await;
    assert_eq!(res.status(), 200);
    let html = res.text().await.expect("text");
    assert!(html.contains("id=\"inc-title-error\""), "{html}");
    assert!(html.contains("&lt;b&gt;kept&lt;"), "escaped and kept");
    let res = submit(
        &lead,
        &app,
        "/incidents",
        &[
            ("csrf", csrf.as_str()),
            ("kind", "delay"),
            ("title", "Zug <ICE 71> fällt aus"),
            ("severity", "3"),
            ("controllable", "on"),
            ("started_at", "2026-11-23T08:00"),
        ],
    )
    .await;
    assert_eq!(res.status(), 303);
    let loc = res.headers()["location"].to_str().expect("location").to_string();
    let id = loc.trim_start_matches("/incidents/").to_string();
    // Upload through the form: report and per-row problems on the page.
    let res = submit(
        &lead,
        &app,
        &format!("{loc}/affected"),
        &[
            ("csrf", csrf.as_str()),
            (
                "csv",
                "customer_external_id,delay_minutes\nINC-0000,200\nINC-0001,20\nNOPE,1\n",
            ),
        ],
    )
    .await;
    assert_eq!(res.status(), 200);
    let html = res.text().await.expect("text");
    assert!(html.contains("data-testid=\"upload-report\""), "{html}");
    assert!(html.contains("NOPE"), "the unknown row is listed");
    assert!(html.contains("data-testid=\"total-cases\">2<"), "{html}");
    assert!(html.contains("Zug &lt;ICE 71&gt; fällt aus"), "title escaped");
    let totals: Value = lead
        .get(app.url(&format!("{loc}/progress")))
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    assert_eq!(totals["pending"], 0);
    assert_eq!(totals["affected"], 2);
    // A wrong header is shown, nothing taken.
    let html = submit(
        &lead,
        &app,
        &format!("{loc}/affected"),
        &[("csrf", csrf.as_str()), ("csv", "kunde\nINC-0002\n")],
    )
    .await
    .text()
    .await
    .expect("text");
    assert!(html.contains("data-testid=\"upload-error\""), "{html}");
    // Forged CSRF and agents are refused.
    assert_eq!(
        post_form(&lead, &app, &format!("{loc}/resolve"), &[("csrf", "forged")])
            .await
            .0,
        403
    );
    let agent = app.signed_in("anna").await;
    let agent_csrf = settings_csrf(&agent, &app).await;
    assert_eq!(agent.get(app.url(&loc)).send().await.expect("get").status(), 200);
    for path in [
        "/incidents".to_string(),
        format!("{loc}/resolve"),
        format!("{loc}/affected"),
    ] {
        assert_eq!(
            post_form(
                &agent,
                &app,
                &path,
                &[
                    ("csrf", agent_csrf.as_str()),
                    ("csv", "x"),
                    ("kind", "delay"),
                    ("title", "x"),
                    ("severity", "2"),
                    ("started_at", "2026-11-23T08:00"),
                ]
            )
            .await
            .0,
            403,
            "agent {path}"
        );
    }
    // Resolve through the form.
    assert_eq!(
        post_form(&lead, &app, &format!("{loc}/resolve"), &[("csrf", csrf.as_str())])
            .await
            .0,
        303
    );
    let i = app
        .store
        .get_incident(amends_domain::IncidentId(id.parse().expect("uuid")))
        .await
        .expect("incident");
    assert_eq!(i.status.as_str(), "resolved");
    assert_eq!(i.closing_messages, 2);
    // Goodwill rules on the settings page (admins): a bad condition is shown next to the field.
    crate::support::create_user(&app.store, "adam", "admin").await;
    let admin = app.signed_in("adam").await;
    let admin_csrf = settings_csrf(&admin, &app).await;
    let item = app.store.list_catalog(true).await.expect("catalog")[0].id.to_string();
    let res = submit(
        &admin,
        &app,
        "/settings/goodwill/rules",
        &[
            ("csrf", admin_csrf.as_str()),
            ("name", "Lange Verspätung"),
            ("condition", "delay_minutes >"),
            ("catalog_item_id", item.as_str()),
        ],
    )
    .await;
    let html = res.text().await.expect("text");
    assert!(html.contains("id=\"rule-condition-error\""), "{html}");
    assert_eq!(
        post_form(
            &admin,
            &app,
            "/settings/goodwill/rules",
            &[
                ("csrf", admin_csrf.as_str()),
                ("name", "Lange Verspätung"),
                ("condition", "delay_minutes > 120"),
                ("catalog_item_id", item.as_str()),
            ]
        )
        .await
        .0,
        303
    );
    let html = html_of(&admin, &app, "/settings/goodwill").await;
    assert!(html.contains("delay_minutes &gt; 120"), "rule listed");
    assert_eq!(
        post_form(
            &lead,
            &app,
            "/settings/goodwill/rules",
            &[
                ("csrf", csrf.as_str()),
                ("name", "x"),
                ("condition", "delay_minutes > 1"),
                ("catalog_item_id", item.as_str()),
            ]
        )
        .await
        .0,
        403,
        "leads do not manage goodwill rules"
    );
}

crate::both_backends!(
    incident_pages_forms_and_roles,
    alert_then_upload_twice_fans_out_once,
    bad_input_is_reported_and_nothing_is_made_twice,
    messages_and_closing_update_go_out_once,
    staged_rows_are_resumed_after_a_crash,
);
