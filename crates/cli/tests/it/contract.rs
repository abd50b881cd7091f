//! The API takes what its OpenAPI document calls valid and refuses what it
//! calls invalid (what `scripts/schemathesis.sh` checks by fuzzing): blank
//! query values and `limit` out of range are refused, whole floats are
//! integers, cursors have the documented form, text fields keep the rules
//! the document states for them.

use crate::support::{Backend, TestApp, create_user, get_html};
use amends_web::api::contract;
use serde_json::{Value, json};

async fn list_queries_refuse_what_the_document_refuses(b: Backend) {
    let app = TestApp::spawn(b).await;
    let tok = app.admin_token.clone();
    for (path, field) in [
        ("/api/v1/cases?state=", "state"),
        ("/api/v1/cases?view=%20", "view"),
        ("/api/v1/cases?assignee=", "assignee"),
        ("/api/v1/customers?tier=", "tier"),
        ("/api/v1/customers?q=", "q"),
        ("/api/v1/feedback?sentiment=", "sentiment"),
        ("/api/v1/feedback?has_case=", "has_case"),
        ("/api/v1/goodwill?state=", "state"),
        ("/api/v1/jobs?state=", "state"),
        ("/api/v1/cases?limit=0", "limit"),
        ("/api/v1/cases?limit=201", "limit"),
        ("/api/v1/customers?limit=201", "limit"),
        ("/api/v1/feedback?limit=0", "limit"),
        ("/api/v1/jobs?limit=501", "limit"),
        ("/api/v1/cases?cursor=eyJpZCI6IjAifQ", "cursor"),
        ("/api/v1/goodwill?format=xml", "format"),
    ] {
        let p = app.get_problem(path, &tok, 422).await;
        assert_eq!(p["field"], field, "{path}: {p}");
        assert!(p["detail"].as_str().is_some_and(|d| d.contains(field)), "{path}: {p}");
    }
    // Absent parameters keep their defaults; the bounds themselves are taken.
    for path in [
        "/api/v1/cases",
        "/api/v1/cases?limit=200&state=open&sort=due",
        "/api/v1/customers?limit=1",
        "/api/v1/feedback?limit=200",
        "/api/v1/jobs?limit=500&state=dead",
        "/api/v1/goodwill?state=pending",
    ] {
        assert_eq!(app.get(path, &tok).await.status(), 200, "{path}");
    }
    // Pages read an empty value as absent: links like these keep working.
    create_user(&app.store, "agent1", "agent").await;
    let agent = app.signed_in("agent1").await;
    for path in ["/inbox?state=&assignee=", "/feedback?sentiment=&limit="] {
        let (status, _) = get_html(&agent, &app, path).await;
        assert_eq!(status, 200, "{path}");
    }
}

async fn cursors_have_the_documented_form(b: Backend) {
    let app = TestApp::spawn(b).await;
    let tok = app.admin_token.clone();
    for n in 0..3 {
        app.customer(&format!("CRM-{n}"), "de", "standard").await;
    }
    let first = app.get_json("/api/v1/customers?limit=2", &tok).await;
    let cursor = first["next_cursor"].as_str().expect("a next page").to_string();
    assert_eq!(cursor.len(), 32, "{cursor}");
    assert!(
        cursor.bytes().all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c)),
        "{cursor}"
    );
    let next = app
        .get_json(&format!("/api/v1/customers?limit=2&cursor={cursor}"), &tok)
        .await;
    assert_eq!(next["items"].as_array().map(Vec::len), Some(1));
    assert_ne!(next["items"][0]["id"], first["items"][0]["id"]);

    // Sorted by due date, a cursor also holds the time: every case once.
    let customer = app.customer("CRM-cases", "de", "standard").await;
    for n in 0..3 {
        app.case(&customer, &format!("Fall {n}")).await;
    }
    let first = app.get_json("/api/v1/cases?sort=due&limit=2", &tok).await;
    let cursor = first["next_cursor"].as_str().expect("a next page").to_string();
    let parts: Vec<&str> = cursor.split('_').collect();
    assert_eq!(parts.len(), 3, "{cursor}");
    assert!(
        parts[1].parse::<i64>().is_ok() && parts[2].parse::<u32>().is_ok(),
        "{cursor}"
    );
    let next = app
        .get_json(&format!("/api/v1/cases?sort=due&limit=2&cursor={cursor}"), &tok)
        .await;
    let mut seen: Vec<String> = [&first, &next]
        .iter()
        .flat_map(|p| p["items"].as_array().cloned().unwrap_or_default())
        .map(|c| c["id"].to_string())
        .collect();
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 3, "{first} {next}");
}

async fn whole_floats_are_integers(b: Backend) {
    let app = TestApp::spawn(b).await;
    let tok = app.admin_token.clone();
    let r = app
        .put_json("/api/v1/privacy/retention", &tok, json!({"months": 12.0}), 200)
        .await;
    assert_eq!(r["months"], 12);
    let r = app
        .put_json("/api/v1/settings/attach-window", &tok, json!({"days": 3.0}), 200)
        .await;
    assert_eq!(r["days"], 3);
    let p = app
        .put_problem("/api/v1/privacy/retention", &tok, json!({"months": 12.5}), 422)
        .await;
    assert_eq!(p["field"], "months");
}

async fn text_fields_keep_their_documented_rules(b: Backend) {
    let app = TestApp::spawn(b).await;
    let tok = app.admin_token.clone();
    let item = |name: &str| json!({"kind": "voucher", "name_de": name, "name_en": "Voucher", "value_cents": 500});
    let p = app
        .post_problem("/api/v1/goodwill/catalog", &tok, item("Gutschein\u{7}"), 422)
        .await;
    assert_eq!(p["field"], "name_de");
    app.post_json("/api/v1/goodwill/catalog", &tok, item("Gutschein\t10 €"), 201)
        .await;

    // Optional text: blank is absent, but a control character is refused.
    let p = app
        .post_problem(
            "/api/v1/customers",
            &tok,
            json!({"name": "Kund:in", "external_id": "\u{85}"}),
            422,
        )
        .await;
    assert_eq!(p["field"], "external_id");
    app.post_json(
        "/api/v1/customers",
        &tok,
        json!({"name": "Kund:in", "external_id": "  "}),
        201,
    )
    .await;

    // An address's length counts characters, as `maxLength` does.
    let email = format!("{}@example.de", "ä".repeat(130));
    app.post_json(
        "/api/v1/customers",
        &tok,
        json!({"name": "Lange Adresse", "email": email}),
        201,
    )
    .await;
    let id = app.customer("CRM-churn", "de", "standard").await;
    let p = problem_of(
        app.patch(&format!("/api/v1/customers/{id}"), &tok, json!({"churned_at": " "}))
            .await,
    )
    .await;
    assert_eq!(p["field"], "churned_at");

    // A description's sent length counts.
    let long = format!("     {}", "x".repeat(19_999));
    let p = app
        .post_problem(
            "/api/v1/cases",
            &tok,
            json!({"customer_id": id, "subject": "Lang", "description": long, "channel": "email"}),
            422,
        )
        .await;
    assert_eq!(p["field"], "description");

    // An article's tag item is one tag, as the document's item pattern says.
    let article = |tags: Value| json!({"title": "Paket", "body": "Text", "language": "de", "tags": tags});
    let p = app
        .post_problem("/api/v1/solutions", &tok, article(json!(["lieferung,paket"])), 422)
        .await;
    assert_eq!(p["field"], "tags");
    app.post_json("/api/v1/solutions", &tok, article(json!(["lieferung", "paket"])), 201)
        .await;

    // A feedback item's address must be one, even beside a customer id.
    let p = app
        .post_problem(
            "/api/v1/feedback",
            &tok,
            json!({"customer_id": id, "customer_email": "\u{84}", "channel": "api", "text": "Kaputt"}),
            422,
        )
        .await;
    assert_eq!(p["field"], "customer_email");

    // A topic filter of 64 characters is taken whatever their bytes.
    let topic = "ü".repeat(64);
    assert_eq!(
        app.get(&format!("/api/v1/feedback?topic={topic}"), &tok).await.status(),
        200
    );
}

async fn list_items_are_one_value_each(b: Backend) {
    let app = TestApp::spawn(b).await;
    let tok = app.admin_token.clone();
    let agent = create_user(&app.store, "agent1", "agent").await;
    let path = format!("/api/v1/routing/agents/{}", agent.0);
    let profile = |languages: Value| json!({"languages": languages, "available": true, "max_open": 5.0});
    let p = app.put_problem(&path, &tok, profile(json!(["de", ""])), 422).await;
    assert_eq!(p["field"], "languages");
    let ok = app.put_json(&path, &tok, profile(json!(["de", "en"])), 200).await;
    assert_eq!(ok["profile"]["max_open"], 5);
}

async fn problem_of(res: reqwest::Response) -> Value {
    crate::support::problem(res, 422).await
}

crate::both_backends!(
    list_queries_refuse_what_the_document_refuses,
    cursors_have_the_documented_form,
    whole_floats_are_integers,
    text_fields_keep_their_documented_rules,
    list_items_are_one_value_each,
);

/// Every rule of the tables in `contract.rs` is in the document, and every
/// string query parameter refuses a blank value.
#[test]
fn openapi_states_the_text_rules_and_query_values() {
    let spec = serde_json::to_value(amends_web::api::openapi()).expect("document");
    let prop = |schema: &str, field: &str| spec["components"]["schemas"][schema]["properties"][field].clone();
    for (schema, field, max) in contract::TEXT_FIELDS {
        let p = prop(schema, field);
        assert_eq!(
            (p["minLength"].clone(), p["maxLength"].clone()),
            (json!(1), json!(max)),
            "{schema}.{field}"
        );
        assert_eq!(p["pattern"], contract::TEXT_PATTERN, "{schema}.{field}");
    }
    for (schema, field, max) in contract::OPTIONAL_TEXT_FIELDS {
        let p = prop(schema, field);
        assert_eq!(p["maxLength"], *max, "{schema}.{field}");
        assert_eq!(p["pattern"], contract::OPTIONAL_TEXT_PATTERN, "{schema}.{field}");
    }
    for (schema, field, max) in contract::LONG_TEXT_FIELDS {
        assert_eq!(prop(schema, field)["maxLength"], *max, "{schema}.{field}");
    }
    for (schema, field) in contract::EMAIL_FIELDS {
        assert_eq!(
            prop(schema, field)["pattern"],
            contract::EMAIL_PATTERN,
            "{schema}.{field}"
        );
    }
    for (schema, field, pattern) in contract::ITEM_PATTERNS {
        assert_eq!(prop(schema, field)["items"]["pattern"], *pattern, "{schema}.{field}");
    }
    for (schema, field, words) in contract::FIELD_WORDS {
        assert_eq!(
            prop(schema, field)["$ref"],
            format!("#/components/schemas/{words}"),
            "{schema}.{field}"
        );
    }
    for (schema, field, words) in contract::ITEM_WORDS {
        let item = prop(schema, field)["items"]["$ref"].clone();
        assert_eq!(item, format!("#/components/schemas/{words}"), "{schema}.{field}");
    }
    let mut wrong = Vec::new();
    for (path, item) in spec["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            for p in op["parameters"].as_array().into_iter().flatten() {
                let s = &p["schema"];
                if p["in"] != "query" || s["type"] != "string" {
                    continue;
                }
                let name = p["name"].as_str().unwrap_or_default();
                if s["minLength"] != 1 || !(s.get("pattern").is_some() || s.get("format").is_some()) {
                    wrong.push(format!("{method} {path} `{name}`: {s}"));
                }
                if name == "cursor" && s["pattern"] != amends_store::Cursor::PATTERN {
                    wrong.push(format!("{method} {path}: cursor without its pattern"));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    let text = spec.to_string();
    for r in text.split("\"$ref\":\"#/components/schemas/").skip(1) {
        let name = r.split('"').next().unwrap_or_default();
        assert!(
            spec["components"]["schemas"].get(name).is_some(),
            "unresolved reference {name}"
        );
    }
    let cases = &spec["paths"]["/api/v1/cases"]["get"]["parameters"];
    let state = cases
        .as_array()
        .into_iter()
        .flatten()
        .find(|p| p["name"] == "state")
        .expect("state");
    let pattern = state["schema"]["pattern"].as_str().expect("a pattern");
    assert!(
        pattern.contains("waiting_on_customer") && pattern.starts_with("^(all|open|"),
        "{pattern}"
    );
}
