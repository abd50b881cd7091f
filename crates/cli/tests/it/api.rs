//! The REST API over real HTTP, on both backends.

use crate::support::{Backend, TestApp, problem};
use serde_json::{Value, json};

async fn customers_contract(b: Backend) {
    let app = TestApp::spawn(b).await;
    let tok = app.admin_token.clone();
    let c = app
        .post_json(
            "/api/v1/customers",
            &tok,
            json!({"external_id": "CRM-1", "name": "Jürgen Weiß", "email": "j.weiss@example.de", "language": "de", "tier": "premium"}),
            201,
        )
        .await;
    let id = c["id"].as_str().expect("id").to_string();
    assert_eq!(c["name"], "Jürgen Weiß");
    assert_eq!(c["tier"], "premium");

    let p = app
        .post_problem(
            "/api/v1/customers",
            &tok,
            json!({"external_id": "CRM-1", "name": "Someone else"}),
            409,
        )
        .await;
    assert_eq!(p["field"], "external_id");

    // PUT by external id updates a known customer and creates an unknown one.
    let c = app
        .put_json(
            "/api/v1/customers/by-external-id/CRM-1",
            &tok,
            json!({"name": "Jürgen Weiß", "tier": "enterprise", "language": "en"}),
            200,
        )
        .await;
    assert_eq!(c["id"], id.as_str());
    assert_eq!(c["tier"], "enterprise");
    app.put_expect(
        "/api/v1/customers/by-external-id/CRM-2",
        &tok,
        json!({"name": "Neue Kundin"}),
        201,
    )
    .await;

    let got = app.get_json(&format!("/api/v1/customers/{id}"), &tok).await;
    assert_eq!(got["language"], "en");
    let patched = app
        .patch(
            &format!("/api/v1/customers/{id}"),
            &tok,
            json!({"email": "neu@example.de", "clv_cents": 99900}),
        )
        .await;
    assert_eq!(patched.status(), 200);
    let list = app.get_json("/api/v1/customers?limit=1", &tok).await;
    assert_eq!(list["items"].as_array().map(Vec::len), Some(1));
    let next = list["next_cursor"].as_str().expect("a second page");
    let list2 = app
        .get_json(&format!("/api/v1/customers?limit=1&cursor={next}"), &tok)
        .await;
    assert_ne!(list["items"][0]["id"], list2["items"][0]["id"]);

    let acc = app
        .post_json("/api/v1/accounts", &tok, json!({"name": "Müller Logistik GmbH"}), 201)
        .await;
    app.post_expect(
        "/api/v1/customers",
        &tok,
        json!({"name": "Einkauf Müller", "account_id": acc["id"], "tier": "enterprise"}),
        201,
    )
    .await;
    app.post_problem(
        "/api/v1/customers",
        &tok,
        json!({"name": "Niemand", "account_id": "01900000-0000-7000-8000-000000000000"}),
        404,
    )
    .await;
}

async fn cases_contract(b: Backend) {
    let app = TestApp::spawn(b).await;
    let tok = app.admin_token.clone();
    let cust = app.customer("CRM-7", "de", "premium").await;
    let case = app
        .post_json(
            "/api/v1/cases",
            &tok,
            json!({"customer_id": cust, "subject": "Lieferung beschädigt", "description": "Vase zerbrochen", "channel": "email"}),
            201,
        )
        .await;
    assert_eq!(case["state"], "new");
    assert_eq!(case["origin"], "api");
    assert_eq!(case["first_response_due_at"], "2026-11-23T13:00:00Z", "premium: 4 h");
    assert_eq!(case["resolution_due_at"], "2026-11-25T09:00:00Z", "premium: 48 h");
    assert_eq!(case["sla"]["policy"], "premium/normal");
    let id = case["id"].as_str().expect("id").to_string();

    let got = app.get_json(&format!("/api/v1/cases/{id}"), &tok).await;
    assert_eq!(got["subject"], "Lieferung beschädigt");
    assert_eq!(got["allowed_transitions"], json!(["acknowledged", "in_progress"]));

    let p = app
        .post_problem(
            &format!("/api/v1/cases/{id}/transitions"),
            &tok,
            json!({"to": "closed"}),
            409,
        )
        .await;
    assert_eq!(p["type"], "/problems/invalid-transition");
    assert_eq!(p["allowed"], json!(["acknowledged", "in_progress"]));
    let acked = app
        .post_json(
            &format!("/api/v1/cases/{id}/transitions"),
            &tok,
            json!({"to": "acknowledged", "note": "Entschuldigung"}),
            200,
        )
        .await;
    assert_eq!(acked["state"], "acknowledged");
    assert_eq!(acked["sla"]["first_response"]["met_at"], "2026-11-23T09:00:00Z");

    let unknown_state = app
        .post(
            &format!("/api/v1/cases/{id}/transitions"),
            &tok,
            json!({"to": "teleported"}),
        )
        .await;
    assert_eq!(problem(unknown_state, 422).await["field"], "to");

    app.post_expect(
        &format!("/api/v1/cases/{id}/notes"),
        &tok,
        json!({"body": "Ersatz ist unterwegs"}),
        201,
    )
    .await;
    let me = app.get_json("/api/v1/me", &tok).await;
    app.post_expect(
        &format!("/api/v1/cases/{id}/assign"),
        &tok,
        json!({"assignee_id": me["id"]}),
        200,
    )
    .await;
    let patched = app
        .patch(&format!("/api/v1/cases/{id}"), &tok, json!({"priority": "urgent"}))
        .await;
    let patched: Value = patched.json().await.expect("json");
    assert_eq!(patched["priority"], "urgent");
    assert_eq!(
        patched["resolution_due_at"], "2026-11-23T21:00:00Z",
        "premium urgent: 12 h"
    );

    let events = app.get_json(&format!("/api/v1/cases/{id}/events"), &tok).await;
    let kinds: Vec<&str> = events
        .as_array()
        .expect("array")
        .iter()
        .map(|e| e["kind"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(kinds, vec!["created", "state_change", "note", "assignment", "update"]);
    assert_eq!(events[1]["body"], "Entschuldigung");
    assert_eq!(events[1]["author"]["name"], "admin (test)");

    for n in 0..4 {
        app.case(&cust, &format!("Weiterer Fall {n}")).await;
    }
    let mine = app.get_json("/api/v1/cases?assignee=me", &tok).await;
    assert_eq!(mine["items"].as_array().map(Vec::len), Some(1));
    let open = app
        .get_json(&format!("/api/v1/cases?state=new&customer_id={cust}&limit=3"), &tok)
        .await;
    assert_eq!(open["items"].as_array().map(Vec::len), Some(3));
    let next = open["next_cursor"].as_str().expect("next page");
    let rest = app
        .get_json(
            &format!("/api/v1/cases?state=new&customer_id={cust}&limit=3&cursor={next}"),
            &tok,
        )
        .await;
    assert_eq!(rest["items"].as_array().map(Vec::len), Some(1));
    assert!(rest["next_cursor"].is_null());
    let bad_filter = app.get("/api/v1/cases?state=sleeping", &tok).await;
    assert_eq!(problem(bad_filter, 422).await["field"], "state");
    let bad_sort = app.get("/api/v1/cases?sort=random", &tok).await;
    assert_eq!(problem(bad_sort, 422).await["field"], "sort");
    let bad_cursor = app.get("/api/v1/cases?cursor=xyz", &tok).await;
    assert_eq!(problem(bad_cursor, 422).await["field"], "cursor");
    let bad_param = app.get("/api/v1/cases?colour=red", &tok).await;
    assert_eq!(problem(bad_param, 422).await["field"], "colour");
    let bad_time = app.get("/api/v1/cases?created_from=yesterday", &tok).await;
    assert_eq!(problem(bad_time, 422).await["field"], "created_from");
}

async fn bad_input_is_rejected_and_nothing_is_written(b: Backend) {
    let app = TestApp::spawn(b).await;
    let tok = app.admin_token.clone();
    let cust = app.customer("CRM-9", "en", "standard").await;
    let send_raw = |body: &'static str, ct: &'static str| {
        let req = app
            .client
            .post(app.url("/api/v1/cases"))
            .bearer_auth(&tok)
            .header("content-type", ct)
            .body(body);
        async move { req.send().await.expect("request") }
    };
    problem(send_raw("{\"customer_id\": ", "application/json").await, 400).await;
    problem(send_raw("subject=x", "application/x-www-form-urlencoded").await, 415).await;

    let cases: Vec<(Value, &str)> = vec![
        (
            json!({"customer_id": cust, "subject": "x", "channel": "email", "colour": "red"}),
            "colour",
        ),
        (
            json!({"customer_id": cust, "subject": 42, "channel": "email"}),
            "subject",
        ),
        (json!({"customer_id": cust, "channel": "email"}), "subject"),
        (
            json!({"customer_id": cust, "subject": "x".repeat(201), "channel": "email"}),
            "subject",
        ),
        (
            json!({"customer_id": cust, "subject": "   ", "channel": "email"}),
            "subject",
        ),
        (
            json!({"customer_id": cust, "subject": "x", "channel": "pigeon"}),
            "channel",
        ),
        (
            json!({"customer_id": cust, "subject": "x", "channel": "email", "priority": "whenever"}),
            "priority",
        ),
        (
            json!({"customer_id": "not-a-uuid", "subject": "x", "channel": "email"}),
            "customer_id",
        ),
        (
            json!({"customer_id": "01900000-0000-7000-8000-000000000000", "subject": "x", "channel": "email"}),
            "customer_id",
        ),
    ];
    for (body, field) in cases {
        let p = app.post_problem("/api/v1/cases", &tok, body.clone(), 422).await;
        assert_eq!(p["field"], field, "body {body}: {p}");
        assert!(!p["detail"].as_str().unwrap_or_default().is_empty());
    }
    let customers: Vec<(Value, &str)> = vec![
        (json!({"name": "A", "email": "not-an-email"}), "email"),
        (json!({"name": "A", "language": "fr"}), "language"),
        (json!({"name": "A", "tier": "gold"}), "tier"),
        (json!({"name": ""}), "name"),
        (json!({"name": "A", "clv_cents": -5}), "clv_cents"),
        (json!({"name": "A", "clv_cents": "lots"}), "clv_cents"),
    ];
    for (body, field) in customers {
        let p = app.post_problem("/api/v1/customers", &tok, body.clone(), 422).await;
        assert_eq!(p["field"], field, "body {body}: {p}");
    }
    let lang = app
        .post_problem("/api/v1/customers", &tok, json!({"name": "A", "language": "fr"}), 422)
        .await;
    assert!(lang["detail"].as_str().unwrap_or_default().contains("`de` or `en`"));

    // Nothing was written by any of these.
    let list = app.get_json("/api/v1/cases", &tok).await;
    assert_eq!(list["items"].as_array().map(Vec::len), Some(0));
    assert_eq!(app.store.count_customers().await.expect("count"), 1);

    app.get_problem("/api/v1/cases/not-a-uuid", &tok, 422).await;
    app.get_problem("/api/v1/cases/01900000-0000-7000-8000-000000000000", &tok, 404)
        .await;
    app.get_problem("/api/v1/no-such-route", &tok, 404).await;
    let wrong_method = app.delete("/api/v1/cases", &tok).await;
    problem(wrong_method, 405).await;
    let huge = "x".repeat(2 * 1024 * 1024);
    let res = app
        .client
        .post(app.url("/api/v1/cases"))
        .bearer_auth(&tok)
        .header("content-type", "application/json")
        .body(format!("{{\"subject\": \"{huge}\"}}"))
        .send()
        .await
        .expect("req");
    assert!(res.status().is_client_error(), "{}", res.status());
}

async fn docs_and_probes(b: Backend) {
    let token = "scrape-me-0123456789";
    let app = TestApp::spawn_with(b, |c| c.metrics_token = Some(token.into())).await;
    let health = app.get_anonymous("/healthz").await;
    assert_eq!(health.status(), 200);
    let ready = app.get_anonymous("/readyz").await;
    assert_eq!(ready.status(), 200);
    let spec: Value = app.get_anonymous("/api/openapi.json").await.json().await.expect("json");
    assert!(spec["openapi"].as_str().unwrap_or_default().starts_with("3."));
    for path in [
        "/api/v1/cases",
        "/api/v1/cases/{id}",
        "/api/v1/cases/{id}/transitions",
        "/api/v1/customers",
        "/api/v1/customers/by-external-id/{external_id}",
    ] {
        assert!(spec["paths"][path].is_object(), "OpenAPI lacks {path}");
    }
    // Each request body names its own schema: goodwill rules and detection
    // rules are two different bodies.
    let body_schema = |path: &str| {
        let r = spec["paths"][path]["post"]["requestBody"]["content"]["application/json"]["schema"]["$ref"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let name = r.rsplit('/').next().unwrap_or_default().to_string();
        (name.clone(), spec["components"]["schemas"][name].clone())
    };
    let (goodwill, goodwill_schema) = body_schema("/api/v1/goodwill/rules");
    let (detection, detection_schema) = body_schema("/api/v1/detection-rules");
    assert!(
        !goodwill.is_empty() && !detection.is_empty(),
        "both bodies are documented"
    );
    assert_ne!(goodwill, detection, "two bodies share one schema name");
    assert!(
        goodwill_schema["properties"]["catalog_item_id"].is_object(),
        "{goodwill}: {goodwill_schema}"
    );
    assert!(
        detection_schema["properties"]["catalog_item_id"].is_null(),
        "{detection}: {detection_schema}"
    );
    for sent in [None, Some("wrong-token-0123456789")] {
        let mut req = app.client.get(app.url("/metrics"));
        if let Some(t) = sent {
            req = req.bearer_auth(t);
        }
        assert_eq!(
            req.send().await.expect("metrics").status(),
            401,
            "metrics with {sent:?}"
        );
    }
    let metrics = app
        .client
        .get(app.url("/metrics"))
        .bearer_auth(token)
        .send()
        .await
        .expect("metrics");
    assert_eq!(metrics.status(), 200);
    let text = metrics.text().await.expect("text");
    assert!(text.contains("http_requests_total"), "{text}");
    assert!(
        text.contains("route=\"/readyz\""),
        "requests are counted by route template"
    );
    let off = TestApp::spawn(b).await;
    assert_eq!(
        off.get_anonymous("/metrics").await.status(),
        404,
        "metrics are off without metrics_token"
    );
    let docs = app.get_anonymous("/api/docs/").await;
    assert_eq!(docs.status(), 200);
    assert!(
        docs.text().await.expect("text").contains("swagger"),
        "docs page is served offline"
    );
}

crate::both_backends!(
    customers_contract,
    cases_contract,
    bad_input_is_rejected_and_nothing_is_written,
    docs_and_probes,
);

/// Every `(path, method, operation)` of the OpenAPI document.
fn operations(spec: &Value) -> Vec<(String, String, Value)> {
    let mut ops = Vec::new();
    for (path, item) in spec["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            if ["get", "put", "post", "delete", "patch"].contains(&method.as_str()) {
                ops.push((path.clone(), method.clone(), op.clone()));
            }
        }
    }
    ops
}

/// The cheap half of `scripts/schemathesis.sh`: the document states the
/// errors every operation can answer, as problem+json, and puts each
/// parameter where the server reads it.
#[test]
fn openapi_contract() {
    let spec = serde_json::to_value(amends_web::api::openapi()).expect("document");
    let ops = operations(&spec);
    assert!(ops.len() > 100, "{} operations", ops.len());
    for (schema, field, max) in amends_web::api::contract::TEXT_FIELDS {
        let p = &spec["components"]["schemas"][schema]["properties"][field];
        assert_eq!(p["maxLength"], *max, "{schema}.{field}");
        assert_eq!(
            p["pattern"],
            amends_web::api::contract::TEXT_PATTERN,
            "{schema}.{field}"
        );
    }
    let mut wrong = Vec::new();
    for (path, method, op) in &ops {
        let at = format!("{} {path}", method.to_uppercase());
        let responses = op["responses"].as_object().expect("responses");
        // The widget's public endpoints take no token (`security: []`).
        let mut needed = if op["security"] == json!([]) {
            vec!["404"]
        } else {
            vec!["401", "403"]
        };
        if path.contains('{') {
            needed.push("404");
        }
        if op.get("requestBody").is_some() {
            needed.extend(["400", "415", "422"]);
        }
        for status in needed {
            if !responses.contains_key(status) {
                wrong.push(format!("{at}: no {status}"));
            }
        }
        for (status, response) in responses {
            if status.starts_with('4') || status.starts_with('5') {
                let types: Vec<&String> = response["content"]
                    .as_object()
                    .map(|c| c.keys().collect())
                    .unwrap_or_default();
                if types != ["application/problem+json"] {
                    wrong.push(format!("{at}: {status} is {types:?}, not problem+json"));
                }
            }
        }
        for p in op["parameters"].as_array().into_iter().flatten() {
            let name = p["name"].as_str().unwrap_or_default();
            let placeholder = format!("{{{name}}}");
            match p["in"].as_str() {
                Some("path") if !path.contains(&placeholder) => {
                    wrong.push(format!("{at}: `{name}` is not in the path"));
                }
                Some("query") if p["schema"].to_string().contains("\"null\"") => {
                    wrong.push(format!("{at}: query parameter `{name}` may be null"));
                }
                _ => {}
            }
        }
        for placeholder in path.split('{').skip(1).filter_map(|s| s.split('}').next()) {
            let declared = op["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|p| p["name"] == placeholder && p["in"] == "path");
            if !declared {
                wrong.push(format!("{at}: path parameter `{placeholder}` undeclared"));
            }
        }
    }
    assert!(wrong.is_empty(), "{} problems:\n{}", wrong.len(), wrong.join("\n"));
}
