//! Reply templates (issue 5): CRUD over the API with validation of
//! variables, a preview rendered for a case, role checks, the settings page
//! with errors next to the field, and the picker on the case page.

use crate::support::{Backend, TestApp, create_user, csrf_of, get_html, post_form, problem};
use serde_json::{Value, json};

/// Seeded by migration 0009: the English `reply` template.
const SEED_REPLY_EN: &str = "0194a000-0000-7000-8000-000000000102";

async fn list(app: &TestApp, query: &str, token: &str) -> Vec<Value> {
    let res = app.get(&format!("/api/v1/templates{query}"), token).await;
    assert_eq!(res.status(), 200, "list {query}");
    res.json::<Vec<Value>>().await.expect("json")
}

async fn crud_validation_and_roles(b: Backend) {
    let app = TestApp::spawn(b).await;
    let agent = app.token_for("agent1", "agent").await;
    let lead = app.token_for("lead1", "lead").await;

    // Four seeded templates; filters by purpose and language.
    let all = list(&app, "", &agent).await;
    assert_eq!(all.len(), 4, "{all:?}");
    let de_apology = list(&app, "?purpose=apology&language=de", &agent).await;
    assert_eq!(de_apology.len(), 1);
    assert_eq!(de_apology[0]["language"], "de");
    assert_eq!(de_apology[0]["purpose"], "apology");
    let bad = app.get("/api/v1/templates?purpose=memo", &agent).await;
    assert_eq!(problem(bad, 422).await["field"], "purpose");

    // Agents read but do not change.
    let body = json!({"name": "Kulanz", "purpose": "goodwill_offer", "language": "de",
        "subject": "Für {{case_reference}}", "body": "Hallo {{customer_name}}, wir schenken Ihnen {{goodwill}}."});
    app.post_problem("/api/v1/templates", &agent, body.clone(), 403).await;

    // A lead creates, reads, replaces and deletes.
    let created = app.post_json("/api/v1/templates", &lead, body, 201).await;
    let id = created["id"].as_str().expect("id").to_string();
    assert_eq!(created["purpose"], "goodwill_offer");
    assert_eq!(created["active"], true);
    let got = app.get_json(&format!("/api/v1/templates/{id}"), &agent).await;
    assert_eq!(got["body"], created["body"]);

    let updated = app
        .put_json(
            &format!("/api/v1/templates/{id}"),
            &lead,
            json!({"name": "Kulanz (alt)", "purpose": "goodwill_offer", "language": "de",
            "body": "Hallo {{customer_name}}", "active": false}),
            200,
        )
        .await;
    assert_eq!(updated["name"], "Kulanz (alt)");
    assert_eq!(updated["active"], false);
    assert_eq!(list(&app, "", &agent).await.len(), 5);
    let active = list(&app, "?active=true", &agent).await;
    assert_eq!(active.len(), 4, "the inactive one is left out");
    assert!(active.iter().all(|t| t["id"] != id.as_str()));

    // Validation: unknown variable, unclosed placeholder, lengths — each names its field.
    let p = app
        .post_problem(
            "/api/v1/templates",
            &lead,
            json!({"name": "x", "purpose": "reply", "language": "en", "body": "Dear {{customer_nam}}"}),
            422,
        )
        .await;
    assert_eq!(p["field"], "body");
    assert!(p["detail"].as_str().expect("detail").contains("customer_nam"), "{p}");
    let res = app
        .post(
            "/api/v1/templates",
            &lead,
            json!({"name": "x", "purpose": "reply", "language": "en", "subject": "Case {{case_reference", "body": "b"}),
        )
        .await;
    assert_eq!(problem(res, 422).await["field"], "subject");
    let res = app
        .post(
            "/api/v1/templates",
            &lead,
            json!({"name": "x".repeat(101), "purpose": "reply", "language": "en", "body": "b"}),
        )
        .await;
    assert_eq!(problem(res, 422).await["field"], "name");
    let res = app
        .post(
            "/api/v1/templates",
            &lead,
            json!({"name": "x", "purpose": "reply", "language": "fr", "body": "b"}),
        )
        .await;
    assert_eq!(problem(res, 422).await["field"], "language");
    assert_eq!(list(&app, "", &agent).await.len(), 5, "nothing invalid was stored");

    // Delete: agents may not, leads may; then it is gone.
    problem(app.delete(&format!("/api/v1/templates/{id}"), &agent).await, 403).await;
    assert_eq!(
        app.delete(&format!("/api/v1/templates/{id}"), &lead).await.status(),
        204
    );
    app.get_problem(&format!("/api/v1/templates/{id}"), &agent, 404).await;
    problem(app.delete(&format!("/api/v1/templates/{id}"), &lead).await, 404).await;

    // The routes are in the OpenAPI document.
    let spec: Value = app.get_anonymous("/api/openapi.json").await.json().await.expect("json");
    for path in [
        "/api/v1/templates",
        "/api/v1/templates/{id}",
        "/api/v1/templates/{id}/preview",
    ] {
        assert!(spec["paths"][path].is_object(), "OpenAPI lacks {path}");
    }

    // Every change is in the audit log.
    let audit = app.get_json("/api/v1/audit?entity=template", &lead).await;
    let text = audit.to_string();
    for action in ["template.create", "template.update", "template.delete"] {
        assert!(text.contains(action), "{action} in {text}");
    }
}

async fn preview_renders_the_case(b: Backend) {
    let app = TestApp::spawn(b).await;
    let agent = app.token_for("agent1", "agent").await;
    let cust = app.customer("CRM-7", "en", "standard").await;
    let case = app.case(&cust, "Parcel never arrived").await;
    let case_id = case["id"].as_str().expect("id");
    let short = &case_id.replace('-', "")[24..];

    let out = app
        .post_json(
            &format!("/api/v1/templates/{SEED_REPLY_EN}/preview"),
            &agent,
            json!({"case_id": case_id}),
            200,
        )
        .await;
    let body = out["body"].as_str().expect("body");
    let subject = out["subject"].as_str().expect("subject");
    assert!(body.starts_with("Hello Kunde CRM-7,"), "{body}");
    assert!(body.contains("\"Parcel never arrived\""), "{body}");
    assert!(body.contains("agent1 (test)"), "the replying agent signs: {body}");
    assert!(!body.contains("{{"), "{body}");
    assert_eq!(subject, format!("Your request #{short}: Parcel never arrived"));

    // Without a case: sample values.
    let out: Value = app
        .post(&format!("/api/v1/templates/{SEED_REPLY_EN}/preview"), &agent, json!({}))
        .await
        .json()
        .await
        .expect("json");
    assert!(
        out["body"].as_str().expect("body").starts_with("Hello Jane Doe,"),
        "{out}"
    );

    // Goodwill granted on the case: the catalog item's name in the customer's language.
    let offer: Value = app
        .post(
            "/api/v1/templates",
            &app.admin_token,
            json!({"name": "Offer", "purpose": "goodwill_offer", "language": "en",
                "subject": "{{incident_title}}", "body": "We give you {{goodwill}} ({{delay_minutes}})."}),
        )
        .await
        .json()
        .await
        .expect("json");
    let offer_id = offer["id"].as_str().expect("id");
    let preview = |case: String| {
        let app = &app;
        let agent = &agent;
        async move {
            let res = app
                .post_expect(
                    &format!("/api/v1/templates/{offer_id}/preview"),
                    agent,
                    json!({"case_id": case}),
                    200,
                )
                .await;
            res.json::<Value>().await.expect("json")
        }
    };
    let out = preview(case_id.to_string()).await;
    assert_eq!(out["body"], "We give you  ().", "no goodwill yet: empty");
    app.post_expect(
        &format!("/api/v1/cases/{case_id}/goodwill"),
        &app.admin_token,
        json!({"catalog_item_id": "0194a000-0000-7000-8000-000000000001", "reason": "Paket verloren"}),
        201,
    )
    .await;
    let out = preview(case_id.to_string()).await;
    assert_eq!(out["body"], "We give you Voucher EUR 10 ().");

    // A case opened by an incident: its title and the customer's delay.
    app.customer("CRM-8", "en", "standard").await;
    let incident: Value = app
        .post(
            "/api/v1/incidents",
            &app.admin_token,
            json!({"kind": "delay", "title": "Train 42 late", "severity": 2, "started_at": "2026-11-23T06:00:00Z"}),
        )
        .await
        .json()
        .await
        .expect("json");
    let incident_id = incident["id"].as_str().expect("id");
    app.post_expect(
        &format!("/api/v1/incidents/{incident_id}/affected"),
        &app.admin_token,
        json!([{"customer_external_id": "CRM-8", "facts": {"delay_minutes": 95}}]),
        200,
    )
    .await;
    let cases = app
        .get_json(&format!("/api/v1/cases?incident_id={incident_id}"), &agent)
        .await;
    let incident_case = cases["items"][0]["id"]
        .as_str()
        .expect("case of the incident")
        .to_string();
    let out = preview(incident_case).await;
    assert_eq!(out["subject"], "Train 42 late");
    assert_eq!(out["body"], "We give you  (95).");

    // An unknown case or template is a 404.
    app.post_problem(
        &format!("/api/v1/templates/{SEED_REPLY_EN}/preview"),
        &agent,
        json!({"case_id": "0194a000-0000-7000-8000-00000000dead"}),
        404,
    )
    .await;
    app.post_problem(
        "/api/v1/templates/0194a000-0000-7000-8000-00000000dead/preview",
        &agent,
        json!({}),
        404,
    )
    .await;
}

async fn settings_page_and_case_picker(b: Backend) {
    let app = TestApp::spawn(b).await;
    create_user(&app.store, "lead1", "lead").await;
    create_user(&app.store, "agent1", "agent").await;
    let lead = app.signed_in("lead1").await;
    let agent = app.signed_in("agent1").await;

    // Agents see the list without the form, and cannot post.
    let (status, html) = get_html(&agent, &app, "/settings/templates").await;
    assert_eq!(status, 200);
    assert!(html.contains("Entschuldigung (Deutsch)"), "seeded templates listed");
    assert!(!html.contains("id=\"template-form\""), "no form for agents");
    let csrf = csrf_of(&get_html(&agent, &app, "/settings").await.1);
    let (status, html) = post_form(
        &agent,
        &app,
        "/settings/templates",
        &[
            ("csrf", &csrf),
            ("name", "x"),
            ("purpose", "reply"),
            ("language", "de"),
            ("body", "b"),
        ],
    )
    .await;
    assert_eq!(status, 403);
    assert!(
        html.contains("Ihre Rolle darf diese Seite nicht öffnen") && !html.contains("Formular ist abgelaufen"),
        "refused for the role, not the CSRF token: {html}"
    );

    // A lead gets the error next to the field, with the variable named.
    let (status, html) = get_html(&lead, &app, "/settings/templates").await;
    assert_eq!(status, 200);
    assert!(html.contains("id=\"template-form\""));
    let csrf = csrf_of(&html);
    // The follow-up template "Nachfassen" through the form, with `body`.
    let save = |body| {
        let form = [
            ("csrf", csrf.as_str()),
            ("name", "Nachfassen"),
            ("purpose", "follow_up"),
            ("language", "de"),
            ("subject", ""),
            ("body", body),
            ("active", "on"),
        ];
        let (lead, app) = (&lead, &app);
        async move { post_form(lead, app, "/settings/templates", &form).await }
    };
    let (status, html) = save("Hallo {{kundenname}}").await;
    assert_eq!(status, 422);
    let error = html
        .split("id=\"body-error\"")
        .nth(1)
        .expect("error next to the body field");
    assert!(
        error.split("</small>").next().expect("small").contains("kundenname"),
        "{error}"
    );
    assert!(html.contains("Hallo {{kundenname}}</textarea>"), "input kept");
    assert!(!html.contains("id=\"name-error\""));

    // A forged CSRF token is refused.
    let (status, html) = post_form(
        &lead,
        &app,
        "/settings/templates",
        &[
            ("csrf", "forged"),
            ("name", "x"),
            ("purpose", "reply"),
            ("language", "de"),
            ("body", "b"),
        ],
    )
    .await;
    assert_eq!(status, 403);
    assert!(html.contains("Das Formular ist abgelaufen"), "{html}");

    // Valid: saved, listed; edit then delete.
    let (status, _) = save("Hallo {{customer_name}}, ist alles gut?").await;
    assert_eq!(status, 303);
    let lead_token = app.token_for("lead2", "lead").await;
    let created = list(&app, "?purpose=follow_up", &lead_token).await;
    assert_eq!(created.len(), 1);
    let id = created[0]["id"].as_str().expect("id").to_string();
    let (status, html) = get_html(&lead, &app, &format!("/settings/templates/{id}")).await;
    assert_eq!(status, 200);
    assert!(html.contains(&format!("name=\"id\" value=\"{id}\"")), "edit form");
    let (status, _) = post_form(
        &lead,
        &app,
        "/settings/templates",
        &[
            ("csrf", &csrf),
            ("id", &id),
            ("name", "Nachfassen 2"),
            ("purpose", "follow_up"),
            ("language", "de"),
            ("body", "Hallo {{customer_name}}"),
        ],
    )
    .await;
    assert_eq!(status, 303);
    let t = app.get_json(&format!("/api/v1/templates/{id}"), &lead_token).await;
    assert_eq!(t["name"], "Nachfassen 2");
    assert_eq!(t["active"], false, "unticked checkbox deactivates");
    let (status, _) = post_form(
        &lead,
        &app,
        &format!("/settings/templates/{id}/delete"),
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(status, 303);
    assert!(list(&app, "?purpose=follow_up", &lead_token).await.is_empty());

    // The case page offers the active templates in the customer's language,
    // rendered for the case.
    let cust = app.customer("CRM-1", "de", "standard").await;
    let case_id = app.case_id(&cust, "Rechnung doppelt").await;
    let (status, html) = get_html(&agent, &app, &format!("/cases/{case_id}")).await;
    assert_eq!(status, 200);
    let picker = html
        .split("data-testid=\"template-picker\"")
        .nth(1)
        .and_then(|s| s.split("</select>").next())
        .expect("template picker");
    assert!(picker.contains("Entschuldigung (Deutsch)"), "{picker}");
    assert!(
        picker.contains("Guten Tag Kunde CRM-1,"),
        "rendered for the customer: {picker}"
    );
    assert!(!picker.contains("Apology (English)"), "only the customer's language");
    assert!(!picker.contains("{{"), "no raw placeholders: {picker}");
    // Nobody answered yet: the apology comes first, marked as suggested.
    let first = picker.split("<option value=\"").nth(2).expect("first template");
    assert!(first.contains("data-suggested=\"true\""), "{picker}");
    assert!(
        first.contains("Entschuldigung (Deutsch)") && first.contains("empfohlen"),
        "{first}"
    );
}

crate::both_backends!(
    crud_validation_and_roles,
    preview_renders_the_case,
    settings_page_and_case_picker,
);
