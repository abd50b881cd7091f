//! Authentication and role checks on every API route.

use crate::support::{Backend, TestApp, csrf_of, get_html, html_of, post_form, problem};
use serde_json::json;

/// Every API route with a body that would be valid, and the lowest role
/// allowed to call it.
/// A template seeded by migration 0009.
const SEED_TEMPLATE: &str = "0194a000-0000-7000-8000-000000000101";

fn routes(
    case: &str,
    customer: &str,
    incident: &str,
    solution: &str,
    user: &str,
    account: &str,
) -> Vec<(&'static str, String, serde_json::Value, &'static str)> {
    vec![
        ("GET", "/api/v1/me".into(), json!(null), "agent"),
        ("GET", "/api/v1/users".into(), json!(null), "agent"),
        (
            "POST",
            "/api/v1/users".into(),
            json!({"username": "newbie", "role": "agent", "password": "long enough pw"}),
            "admin",
        ),
        ("GET", "/api/v1/audit".into(), json!(null), "lead"),
        ("GET", "/api/v1/tokens".into(), json!(null), "agent"),
        ("GET", "/api/v1/cases".into(), json!(null), "agent"),
        ("GET", format!("/api/v1/cases/{case}"), json!(null), "agent"),
        ("GET", format!("/api/v1/cases/{case}/events"), json!(null), "agent"),
        (
            "POST",
            format!("/api/v1/cases/{case}/notes"),
            json!({"body": "x"}),
            "agent",
        ),
        ("GET", "/api/v1/customers".into(), json!(null), "agent"),
        ("GET", format!("/api/v1/customers/{customer}"), json!(null), "agent"),
        ("GET", "/api/v1/accounts".into(), json!(null), "agent"),
        (
            "GET",
            format!("/api/v1/customers/{customer}/overview"),
            json!(null),
            "agent",
        ),
        (
            "GET",
            format!("/api/v1/accounts/{account}/overview"),
            json!(null),
            "agent",
        ),
        ("GET", "/api/v1/feedback".into(), json!(null), "agent"),
        (
            "POST",
            "/api/v1/feedback".into(),
            json!({"customer_id": customer, "channel": "api", "text": "Alles gut"}),
            "agent",
        ),
        (
            "POST",
            "/api/v1/feedback/bulk".into(),
            json!([{"customer_id": customer, "channel": "api", "text": "Alles gut"}]),
            "agent",
        ),
        ("GET", "/api/v1/detection-rules".into(), json!(null), "agent"),
        (
            "POST",
            "/api/v1/detection-rules".into(),
            json!({"name": "r", "conditions": {"rating_max": 1}}),
            "lead",
        ),
        (
            "POST",
            format!("/api/v1/cases/{case}/replies"),
            json!({"body": "Hallo"}),
            "agent",
        ),
        ("GET", format!("/api/v1/cases/{case}/follow-up"), json!(null), "agent"),
        ("POST", format!("/api/v1/cases/{case}/lead-review"), json!(null), "lead"),
        ("GET", "/api/v1/widget-sites".into(), json!(null), "lead"),
        (
            "POST",
            "/api/v1/widget-sites".into(),
            json!({"name": "Shop", "allowed_origins": ["https://shop.example"]}),
            "lead",
        ),
        ("GET", format!("/api/v1/cases/{case}/attachments"), json!(null), "agent"),
        ("POST", "/api/v1/mail/inbound".into(), json!(null), "admin"),
        ("GET", "/api/v1/mail/imap".into(), json!(null), "admin"),
        ("GET", "/api/v1/goodwill/catalog".into(), json!(null), "agent"),
        (
            "POST",
            "/api/v1/goodwill/catalog".into(),
            json!({"kind": "gift", "name_de": "Blumen", "name_en": "Flowers", "value_cents": 2000}),
            "admin",
        ),
        ("GET", "/api/v1/goodwill/limits".into(), json!(null), "agent"),
        ("GET", "/api/v1/goodwill/budget".into(), json!(null), "agent"),
        ("GET", "/api/v1/goodwill".into(), json!(null), "agent"),
        ("GET", "/api/v1/goodwill/ledger".into(), json!(null), "lead"),
        ("GET", format!("/api/v1/cases/{case}/assessment"), json!(null), "agent"),
        (
            "POST",
            format!("/api/v1/cases/{case}/goodwill"),
            json!({"kind": "voucher", "value_cents": 100, "reason": "x"}),
            "agent",
        ),
        ("GET", "/api/v1/incidents".into(), json!(null), "agent"),
        (
            "POST",
            "/api/v1/incidents".into(),
            json!({"kind": "outage", "title": "Checkout down", "severity": 3, "started_at": "2026-11-23T06:00:00Z"}),
            "lead",
        ),
        ("GET", format!("/api/v1/incidents/{incident}"), json!(null), "agent"),
        (
            "PUT",
            format!("/api/v1/incidents/{incident}"),
            json!({"kind": "outage", "title": "Checkout down", "severity": 3, "started_at": "2026-11-23T06:00:00Z"}),
            "lead",
        ),
        (
            "GET",
            format!("/api/v1/incidents/{incident}/affected"),
            json!(null),
            "agent",
        ),
        (
            "POST",
            format!("/api/v1/incidents/{incident}/affected"),
            json!([{"customer_external_id": "CRM-1", "facts": {"delay_minutes": 5}}]),
            "lead",
        ),
        (
            "POST",
            "/api/v1/incidents/alert".into(),
            json!({"version": "4", "groupKey": "g", "status": "firing", "alerts": [{"status": "firing", "startsAt": "2026-11-23T06:00:00Z"}]}),
            "lead",
        ),
        (
            "POST",
            format!("/api/v1/incidents/{incident}/resolve"),
            json!(null),
            "lead",
        ),
        ("GET", "/api/v1/goodwill/rules".into(), json!(null), "agent"),
        (
            "POST",
            "/api/v1/goodwill/rules".into(),
            json!({"name": "r", "condition": "delay_minutes > 1", "catalog_item_id": "0194a000-0000-7000-8000-000000000001"}),
            "admin",
        ),
        ("GET", "/api/v1/templates".into(), json!(null), "agent"),
        (
            "POST",
            "/api/v1/templates".into(),
            json!({"name": "t", "purpose": "reply", "language": "de", "body": "Hallo {{customer_name}}"}),
            "lead",
        ),
        (
            "GET",
            format!("/api/v1/templates/{SEED_TEMPLATE}"),
            json!(null),
            "agent",
        ),
        (
            "PUT",
            format!("/api/v1/templates/{SEED_TEMPLATE}"),
            json!({"name": "Antwort", "purpose": "reply", "language": "de", "body": "Hallo {{customer_name}}"}),
            "lead",
        ),
        (
            "POST",
            format!("/api/v1/templates/{SEED_TEMPLATE}/preview"),
            json!({"case_id": case}),
            "agent",
        ),
        (
            "DELETE",
            "/api/v1/templates/0194a000-0000-7000-8000-000000000104".into(),
            json!(null),
            "lead",
        ),
        ("GET", "/api/v1/solutions".into(), json!(null), "agent"),
        (
            "POST",
            "/api/v1/solutions".into(),
            json!({"title": "Neu", "body": "Text", "language": "de"}),
            "agent",
        ),
        (
            "GET",
            "/api/v1/solutions/search?q=rechnung".into(),
            json!(null),
            "agent",
        ),
        ("GET", format!("/api/v1/solutions/{solution}"), json!(null), "agent"),
        (
            "PUT",
            format!("/api/v1/solutions/{solution}"),
            json!({"title": "Rechnung", "body": "Text", "language": "de"}),
            "agent",
        ),
        (
            "GET",
            format!("/api/v1/solutions/{solution}/versions"),
            json!(null),
            "agent",
        ),
        ("GET", format!("/api/v1/cases/{case}/solutions"), json!(null), "agent"),
        (
            "POST",
            format!("/api/v1/cases/{case}/solutions"),
            json!({"solution_id": solution}),
            "agent",
        ),
        ("DELETE", format!("/api/v1/solutions/{solution}"), json!(null), "lead"),
        ("GET", "/api/v1/help-center/theme".into(), json!(null), "agent"),
        (
            "PUT",
            "/api/v1/help-center/theme".into(),
            json!({"title_de": "Hilfe", "title_en": "Help", "primary_color": "#112233", "background_color": "#ffffff"}),
            "lead",
        ),
        ("GET", "/api/v1/routing".into(), json!(null), "lead"),
        ("PUT", "/api/v1/routing".into(), json!({"enabled": false}), "admin"),
        ("GET", format!("/api/v1/routing/agents/{user}"), json!(null), "lead"),
        (
            "PUT",
            format!("/api/v1/routing/agents/{user}"),
            json!({"languages": ["de"], "available": false, "max_open": 5}),
            "admin",
        ),
        (
            "GET",
            format!("/api/v1/cases/{case}/fair-expectation"),
            json!(null),
            "agent",
        ),
        (
            "PUT",
            format!("/api/v1/cases/{case}/fair-expectation"),
            json!({"choice": "apology"}),
            "agent",
        ),
        ("GET", "/api/v1/analytics/fairness".into(), json!(null), "lead"),
        ("GET", "/api/v1/tier-offers".into(), json!(null), "lead"),
        ("GET", "/api/v1/settings/tier-offers".into(), json!(null), "lead"),
        (
            "PUT",
            "/api/v1/settings/tier-offers".into(),
            json!({"enabled": true, "upgrades": {"standard": "premium"}, "min_failures": 2, "window_days": 90, "cooldown_days": 180}),
            "admin",
        ),
        ("GET", "/api/v1/panel".into(), json!(null), "lead"),
        (
            "POST",
            "/api/v1/panel/invitations".into(),
            json!({"customer_ids": [customer]}),
            "lead",
        ),
        ("GET", "/api/v1/teams".into(), json!(null), "lead"),
        (
            "POST",
            "/api/v1/teams".into(),
            json!({"name": "Logistik", "rules": [{"kind": "topic", "value": "delivery"}]}),
            "lead",
        ),
        ("GET", "/api/v1/insights".into(), json!(null), "lead"),
        ("GET", "/api/v1/jobs".into(), json!(null), "admin"),
        ("GET", "/api/v1/webhooks".into(), json!(null), "admin"),
        ("GET", "/api/v1/analytics/deflection".into(), json!(null), "lead"),
        ("GET", "/api/v1/settings/auto-answer".into(), json!(null), "lead"),
        ("PUT", "/api/v1/settings/auto-answer".into(), json!([]), "admin"),
        (
            "POST",
            "/api/v1/webhooks".into(),
            json!({"url": "http://127.0.0.1:9/x", "events": ["*"]}),
            "admin",
        ),
    ]
}

async fn every_route_needs_a_token_and_the_right_role(b: Backend) {
    let app = TestApp::spawn(b).await;
    let cust = app.customer("CRM-1", "de", "standard").await;
    let case_id = app.case_id(&cust, "Test").await;
    let agent = app.token_for("agent1", "agent").await;
    let lead = app.token_for("lead1", "lead").await;
    let incident: serde_json::Value = app
        .post(
            "/api/v1/incidents",
            &app.admin_token,
            json!({"kind": "delay", "title": "Verspätung", "severity": 2, "started_at": "2026-11-23T06:00:00Z"}),
        )
        .await
        .json()
        .await
        .expect("json");
    let incident = incident["id"].as_str().expect("id").to_string();
    let solution: serde_json::Value = app
        .post(
            "/api/v1/solutions",
            &app.admin_token,
            json!({"title": "Rechnung", "body": "Text", "language": "de"}),
        )
        .await
        .json()
        .await
        .expect("json");
    let solution = solution["id"].as_str().expect("id").to_string();
    let me = app.get_json("/api/v1/me", &lead).await;
    let user = me["id"].as_str().expect("id").to_string();
    let account: serde_json::Value = app
        .post("/api/v1/accounts", &app.admin_token, json!({"name": "Muster GmbH"}))
        .await
        .json()
        .await
        .expect("json");
    let account = account["id"].as_str().expect("id").to_string();
    for (method, path, body, min_role) in routes(&case_id, &cust, &incident, &solution, &user, &account) {
        let m: reqwest::Method = method.parse().expect("method");
        // No token: 401 everywhere.
        let mut req = app.client.request(m.clone(), app.url(&path));
        if !body.is_null() {
            req = req.json(&body);
        }
        let res = req.send().await.expect("request");
        problem(res, 401).await;
        // A wrong token: 401.
        let res = app
            .client
            .request(m.clone(), app.url(&path))
            .bearer_auth("amd_not-a-real-token")
            .send()
            .await
            .expect("request");
        assert_eq!(res.status(), 401, "{method} {path}");
        for (role, token) in [("agent", &agent), ("lead", &lead)] {
            let mut req = app.client.request(m.clone(), app.url(&path)).bearer_auth(token);
            if !body.is_null() {
                req = req.json(&body);
            }
            let res = req.send().await.expect("request");
            let status = res.status().as_u16();
            let text = res.text().await.unwrap_or_default();
            let allowed = match min_role {
                "agent" => true,
                "lead" => role == "lead",
                _ => false,
            };
            if allowed {
                assert!(
                    status < 400,
                    "{role} should be allowed {method} {path}, got {status}: {text}"
                );
            } else {
                assert_eq!(status, 403, "{role} must be refused {method} {path}");
            }
        }
    }
    // Admin may create users; the new user's token then works.
    app.post_expect(
        "/api/v1/users",
        &app.admin_token,
        json!({"username": "emma", "role": "agent", "password": "long enough pw", "language": "en"}),
        201,
    )
    .await;
    let weak = app
        .post(
            "/api/v1/users",
            &app.admin_token,
            json!({"username": "x", "role": "agent", "password": "short"}),
        )
        .await;
    assert_eq!(problem(weak, 422).await["field"], "password");
    let bad_role = app
        .post(
            "/api/v1/users",
            &app.admin_token,
            json!({"username": "y", "role": "boss", "password": "long enough pw"}),
        )
        .await;
    assert_eq!(problem(bad_role, 422).await["field"], "role");
}

async fn tokens_can_be_created_and_revoked(b: Backend) {
    let app = TestApp::spawn(b).await;
    let agent = app.token_for("agent1", "agent").await;
    let created = app
        .post_json("/api/v1/tokens", &agent, json!({"name": "crm-sync"}), 201)
        .await;
    let token = created["token"].as_str().expect("token").to_string();
    assert!(token.starts_with("amd_"));
    assert_eq!(app.get("/api/v1/me", &token).await.status(), 200);
    let list = app.get_json("/api/v1/tokens", &agent).await;
    assert!(list.to_string().contains("crm-sync"));
    assert!(!list.to_string().contains(&token), "secrets are never listed");
    let id = created["id"].as_str().expect("id");
    let del = app.delete(&format!("/api/v1/tokens/{id}"), &agent).await;
    assert_eq!(del.status(), 204);
    assert_eq!(app.get("/api/v1/me", &token).await.status(), 401, "revoked");
    // The audit log recorded who did it (leads may read it).
    let lead = app.token_for("lead1", "lead").await;
    let audit = app.get_json("/api/v1/audit?entity=user", &lead).await;
    assert!(audit.to_string().contains("token.revoke"));
}

async fn session_writes_need_the_csrf_token(b: Backend) {
    let app = TestApp::spawn(b).await;
    let client = app.signed_in("admin").await;
    // Reads with the session cookie work.
    assert_eq!(
        client.get(app.url("/api/v1/me")).send().await.expect("me").status(),
        200
    );
    // Writes without the CSRF header are refused.
    let res = client
        .post(app.url("/api/v1/customers"))
        .json(&json!({"name": "Via Session"}))
        .send()
        .await
        .expect("post");
    problem(res, 403).await;
    // The token is in every page; with it the write works.
    let html = html_of(&client, &app, "/settings").await;
    let csrf = csrf_of(&html);
    let res = client
        .post(app.url("/api/v1/customers"))
        .header("x-csrf-token", &csrf)
        .json(&json!({"name": "Via Session"}))
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), 201);
    // A cross-site request is refused even with the token.
    let res = client
        .post(app.url("/api/v1/customers"))
        .header("x-csrf-token", &csrf)
        .header("sec-fetch-site", "cross-site")
        .json(&json!({"name": "Evil"}))
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), 403);
}

/// Every operation of `/api/openapi.json` has an entry in the permission
/// table, and the table is what the server enforces: no token is 401; a
/// role without the permission is 403 whatever the body (checked before
/// the input), a role with it is never refused.
async fn every_openapi_operation_has_an_enforced_permission(b: Backend) {
    use amends_domain::Role;
    use amends_web::auth::permissions::{API_ROUTES, PUBLIC_API_ROUTES, api_need};
    let app = TestApp::spawn(b).await;
    let agent = app.token_for("agent1", "agent").await;
    let lead = app.token_for("lead1", "lead").await;
    let doc: serde_json::Value = app.get_anonymous("/api/openapi.json").await.json().await.expect("json");
    let paths = doc["paths"].as_object().expect("paths");
    let mut operations = Vec::new();
    let mut public = Vec::new();
    for (path, item) in paths {
        for method in ["get", "post", "put", "patch", "delete"] {
            let Some(op) = item.get(method) else { continue };
            let m = method.to_uppercase();
            if op["security"] == json!([]) {
                public.push((m, path.clone()));
            } else {
                operations.push((m, path.clone()));
            }
        }
    }
    // The operations that take no token are exactly the listed public ones,
    // and they answer without a token (the widget key decides).
    let listed: Vec<_> = PUBLIC_API_ROUTES
        .iter()
        .map(|(m, p)| ((*m).to_string(), (*p).to_string()))
        .collect();
    public.sort();
    let mut expected = listed.clone();
    expected.sort();
    assert_eq!(public, expected, "operations documented without a token");
    for (method, path) in &listed {
        let m: reqwest::Method = method.parse().expect("method");
        let mut req = app
            .client
            .request(m.clone(), app.url(&format!("{path}?key=no-such-key")));
        if m != reqwest::Method::GET {
            req = req.json(&json!({}));
        }
        let status = req.send().await.expect("request").status().as_u16();
        assert_eq!(status, 404, "{method} {path} without a token and with an unknown key");
    }
    assert!(
        operations.len() >= 100,
        "only {} operations documented",
        operations.len()
    );
    let missing: Vec<_> = operations
        .iter()
        .filter(|(m, p)| api_need(&m.parse().expect("method"), p).is_none())
        .collect();
    assert!(missing.is_empty(), "operations without a permission entry: {missing:?}");
    let stale: Vec<_> = API_ROUTES
        .iter()
        .filter(|(m, p, _)| !operations.iter().any(|(om, op)| om == m && op == p))
        .collect();
    assert!(
        stale.is_empty(),
        "permission entries for no documented operation: {stale:?}"
    );
    let some_id = uuid::Uuid::now_v7().to_string();
    for (method, template) in &operations {
        let path = template
            .replace("{tier}", "standard")
            .replace("{priority}", "normal")
            .replace("{external_id}", "CRM-nobody")
            .replace("{id}", &some_id)
            .replace("{version}", "1")
            .replace("{step}", "1")
            .replace("{job_id}", &some_id)
            .replace("{event_id}", &some_id);
        assert!(!path.contains('{'), "fill the parameters of {template}");
        let m: reqwest::Method = method.parse().expect("method");
        let send = |token: Option<&str>| {
            let mut req = app.client.request(m.clone(), app.url(&path));
            if let Some(t) = token {
                req = req.bearer_auth(t);
            }
            if m != reqwest::Method::GET {
                req = req.json(&json!({}));
            }
            req.send()
        };
        let status = send(None).await.expect("request").status().as_u16();
        assert_eq!(status, 401, "{method} {template} without a token");
        let need = api_need(&m, template).expect("checked above");
        for (role, token) in [(Role::Agent, &agent), (Role::Lead, &lead)] {
            let status = send(Some(token)).await.expect("request").status().as_u16();
            let allowed = need.missing_for(role).is_none();
            if allowed {
                assert!(
                    status != 401 && status != 403,
                    "{role:?} may {method} {template} but got {status}"
                );
            } else {
                assert_eq!(
                    status, 403,
                    "{role:?} must be refused {method} {template} before its input is read"
                );
            }
        }
    }
}

/// Each signed-in page of the UI router (every route has an entry in the
/// permission table; a unit test of `amends-web` checks that) opened and
/// each form posted as an agent and as a lead: a role without the
/// permission gets 403 before its form is read, a role with it is never
/// refused.
async fn every_ui_route_enforces_its_permission(b: Backend) {
    use amends_domain::Role;
    use amends_web::auth::permissions::UI_ROUTES;
    let app = TestApp::spawn(b).await;
    crate::support::create_user(&app.store, "agent1", "agent").await;
    crate::support::create_user(&app.store, "lead1", "lead").await;
    let some_id = uuid::Uuid::now_v7().to_string();
    let mut checked = 0;
    for (username, role) in [("agent1", Role::Agent), ("lead1", Role::Lead)] {
        let client = app.signed_in(username).await;
        let (_, html) = get_html(&client, &app, "/settings").await;
        let csrf = csrf_of(&html);
        for (method, template, need) in UI_ROUTES {
            // Public pages take no user; signing out would end this client's session.
            let Some(need) = need else { continue };
            if *template == "/logout" {
                continue;
            }
            let path = template.replace("{id}", &some_id).replace("{version}", "1");
            let status = if *method == "GET" {
                get_html(&client, &app, &path).await.0
            } else {
                post_form(&client, &app, &path, &[("csrf", &csrf)]).await.0
            };
            let allowed = need.missing_for(role).is_none();
            if allowed {
                assert_ne!(status, 403, "{role:?} may {method} {template}");
            } else {
                assert_eq!(
                    status, 403,
                    "{role:?} must be refused {method} {template} before its form is read"
                );
            }
            checked += 1;
        }
        // Still signed in: every answer above came to a signed-in user.
        assert_eq!(
            get_html(&client, &app, "/inbox").await.0,
            200,
            "{username} was signed out"
        );
    }
    assert!(checked > 150, "checked only {checked} route and role pairs");
}

crate::both_backends!(
    every_route_needs_a_token_and_the_right_role,
    tokens_can_be_created_and_revoked,
    session_writes_need_the_csrf_token,
    every_openapi_operation_has_an_enforced_permission,
    every_ui_route_enforces_its_permission,
);
