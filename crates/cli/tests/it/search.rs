//! The search box (issue 17): one query over cases (a word of a message or
//! note, the reference), customers (any part of the name), accounts and
//! articles (typos corrected), as `GET /api/v1/search` and the `/search`
//! page; `GET /api/v1/customers?q=` by any part of the name.

use crate::support::{Backend, TestApp, get_html, problem};
use serde_json::{Value, json};

async fn search(app: &TestApp, token: &str, q: &str) -> Value {
    let res = app.get(&format!("/api/v1/search?q={}", encode(q)), token).await;
    assert_eq!(res.status(), 200, "search {q}");
    res.json().await.expect("json")
}

/// `s` percent-encoded for a query string.
pub(crate) fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn ids(v: &Value, kind: &str) -> Vec<String> {
    v[kind]
        .as_array()
        .expect(kind)
        .iter()
        .map(|x| x["id"].as_str().expect("id").to_string())
        .collect()
}

async fn named_customer(app: &TestApp, name: &str, email: &str) -> String {
    let v = app
        .post_json(
            "/api/v1/customers",
            &app.admin_token,
            json!({"name": name, "email": email, "language": "de", "tier": "standard"}),
            201,
        )
        .await;
    v["id"].as_str().expect("id").to_string()
}

async fn finds_every_kind(b: Backend) {
    let app = TestApp::spawn(b).await;
    let agent = app.token_for("agent1", "agent").await;
    let anna = named_customer(&app, "Anna Schulz", "anna@example.de").await;
    let bernd = named_customer(&app, "Bernd Schulze", "bernd@example.de").await;
    let other = named_customer(&app, "Carla Meyer", "carla@example.de").await;
    let case = app.case(&anna, "Rückruf gewünscht").await;
    let case_id = case["id"].as_str().expect("id").to_string();
    let other_case = app.case(&other, "Paket beschädigt").await;
    app.post_expect(
        &format!("/api/v1/cases/{case_id}/notes"),
        &agent,
        json!({"body": "Kundin meldet eine defekte Kaffeemaschine, Seriennummer XK-4411"}),
        201,
    )
    .await;
    app.post_expect("/api/v1/accounts", &agent, json!({"name": "Schulz Logistik GmbH"}), 201)
        .await;
    app.post_expect(
        "/api/v1/solutions",
        &agent,
        json!({"title": "Rückerstattung beantragen", "body": "So beantragen Sie eine Rückerstattung.",
                "language": "de", "tags": ["billing"], "public": true}),
        201,
    )
    .await;

    // A case by a word of its note (right after the write), by a word
    // prefix, by its subject and by its reference; not the other case.
    for q in ["Kaffeemaschine", "kaffee", "rückruf", "seriennummer"] {
        let v = search(&app, &agent, q).await;
        assert_eq!(ids(&v, "cases"), vec![case_id.clone()], "{q}");
    }
    let reference = case_id.replace('-', "");
    let reference = &reference[reference.len() - 8..];
    let v = search(&app, &agent, &format!("#{reference}")).await;
    assert_eq!(ids(&v, "cases"), vec![case_id.clone()]);
    assert_eq!(v["cases"][0]["reference"], reference);
    assert_eq!(v["cases"][0]["customer_name"], "Anna Schulz");
    let v = search(&app, &agent, &case_id).await;
    assert_eq!(ids(&v, "cases"), vec![case_id.clone()]);
    let v = search(&app, &agent, "Paket").await;
    assert_eq!(
        ids(&v, "cases"),
        vec![other_case["id"].as_str().expect("id").to_string()]
    );

    // Customers by any part of the name, any case; accounts too.
    let v = search(&app, &agent, "schulz").await;
    assert_eq!(ids(&v, "customers"), vec![bernd.clone(), anna.clone()]);
    assert_eq!(v["accounts"][0]["name"], "Schulz Logistik GmbH");
    let list = app.get_json("/api/v1/customers?q=SCHULZ", &agent).await;
    assert_eq!(ids(&list, "items"), vec![bernd.clone(), anna.clone()]);
    let list = app.get_json("/api/v1/customers?q=ulze", &agent).await;
    assert_eq!(ids(&list, "items"), vec![bernd.clone()]);
    let list = app.get_json("/api/v1/customers?q=anna%40example.de", &agent).await;
    assert_eq!(ids(&list, "items"), vec![anna.clone()]);
    let list = app.get_json("/api/v1/customers?q=100%25", &agent).await;
    assert!(ids(&list, "items").is_empty());

    // An article by a typo.
    let v = search(&app, &agent, "Rückerstatung").await;
    assert_eq!(v["articles"][0]["title"], "Rückerstattung beantragen");

    // Nothing, and invalid input.
    let v = search(&app, &agent, "zzzqqq").await;
    for kind in ["cases", "customers", "accounts", "articles"] {
        assert!(v[kind].as_array().expect(kind).is_empty(), "{kind}");
    }
    let v = search(&app, &agent, "\" * OR NEAR( -").await;
    assert!(v["cases"].as_array().expect("cases").is_empty());
    for (path, field) in [
        ("/api/v1/search", "q"),
        ("/api/v1/search?q=%20%20", "q"),
        ("/api/v1/search?q=a&limit=0", "limit"),
        ("/api/v1/search?q=a&limit=51", "limit"),
        ("/api/v1/search?q=a&limit=x", "limit"),
    ] {
        let res = app.get(path, &agent).await;
        assert_eq!(problem(res, 422).await["field"], field, "{path}");
    }
    let long = "a".repeat(201);
    let res = app.get(&format!("/api/v1/search?q={long}"), &agent).await;
    assert_eq!(problem(res, 422).await["field"], "q");

    // Signed in only; every role may search.
    let res = reqwest::Client::new()
        .get(app.url("/api/v1/search?q=schulz"))
        .send()
        .await
        .expect("send");
    assert_eq!(res.status(), 401);
    let lead = app.token_for("lead1", "lead").await;
    assert_eq!(
        ids(&search(&app, &lead, "Kaffeemaschine").await, "cases"),
        vec![case_id.clone()]
    );

    // The page: grouped results that link to the pages, in both languages.
    let client = app.signed_in("admin").await;
    let (status, html) = get_html(&client, &app, "/search?q=Schulz").await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains(&format!("href=\"/customers/{anna}\"")), "{html}");
    assert!(html.contains("data-testid=\"search-customers\""));
    assert!(html.contains("data-testid=\"search-accounts\""));
    let (_, html) = get_html(&client, &app, "/search?q=Kaffeemaschine").await;
    assert!(html.contains(&format!("href=\"/cases/{case_id}\"")));
    let (status, html) = get_html(&client, &app, &format!("/search?q={long}")).await;
    assert_eq!(status, 200);
    assert!(html.contains("id=\"q-error\""));
    let (_, html) = get_html(&client, &app, "/search?q=zzzqqq").await;
    assert!(html.contains("data-testid=\"search-empty\""));
    let (_, html) = get_html(&client, &app, "/inbox").await;
    assert!(html.contains("data-search-box"));
}

crate::both_backends!(finds_every_kind);
