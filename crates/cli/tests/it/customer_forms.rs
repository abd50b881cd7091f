//! Customers and accounts in the UI (issue 17): create and edit a customer
//! with errors next to the field, the list of accounts with its create
//! form; each change through the use cases with its audit entry.

use crate::support::{Backend, TestApp, csrf_of, get_html, post_form};
use serde_json::Value;

async fn create_edit_and_accounts(b: Backend) {
    let app = TestApp::spawn(b).await;
    let client = app.signed_in("admin").await;
    let (status, html) = get_html(&client, &app, "/customers/new").await;
    assert_eq!(status, 200);
    let csrf = csrf_of(&html);

    // Errors next to their fields, the typed values kept.
    let (status, html) = post_form(
        &client,
        &app,
        "/customers",
        &[
            ("csrf", &csrf),
            ("name", " "),
            ("email", "no-address"),
            ("clv", "-3"),
            ("language", "de"),
            ("tier", "gold"),
        ],
    )
    .await;
    assert_eq!(status, 422);
    for id in ["name-error", "email-error", "clv-error", "tier-error"] {
        assert!(html.contains(&format!("id=\"{id}\"")), "{id}: {html}");
    }
    assert!(html.contains("value=\"no-address\""));

    // Created; the same address again is an error at the email field.
    let form = [
        ("csrf", csrf.as_str()),
        ("name", "Anna Schulz"),
        ("email", "anna@example.de"),
        ("external_id", "CRM-1"),
        ("clv", "1.234,50"),
        ("language", "de"),
        ("tier", "premium"),
        ("consent_contact", "on"),
    ];
    let (status, _) = post_form(&client, &app, "/customers", &form).await;
    assert_eq!(status, 303);
    let list = app.get_json("/api/v1/customers?q=schulz", &app.admin_token).await;
    let c = &list["items"][0];
    assert_eq!(c["name"], "Anna Schulz");
    assert_eq!(c["clv_cents"], 123_450);
    assert_eq!(c["tier"], "premium");
    assert_eq!(c["consent_contact"], true);
    assert_eq!(c["consent_survey"], false);
    let id = c["id"].as_str().expect("id").to_string();
    let mut again = form;
    again[3] = ("external_id", "CRM-2");
    let (status, html) = post_form(&client, &app, "/customers", &again).await;
    assert_eq!(status, 422);
    assert!(html.contains("id=\"email-error\""), "{html}");

    // Edited: name, language, consents, churn date; a bad date is an error.
    let (status, html) = get_html(&client, &app, &format!("/customers/{id}/edit")).await;
    assert_eq!(status, 200);
    assert!(html.contains("value=\"1234,50\""), "{html}");
    let path = format!("/customers/{id}/edit");
    let (status, html) = post_form(
        &client,
        &app,
        &path,
        &[
            ("csrf", &csrf),
            ("name", "Anna Schulz-Berg"),
            ("language", "en"),
            ("tier", "premium"),
            ("clv", "10"),
            ("churned_at", "30.11.2026"),
        ],
    )
    .await;
    assert_eq!(status, 422);
    assert!(html.contains("id=\"churned_at-error\""));
    let (status, _) = post_form(
        &client,
        &app,
        &path,
        &[
            ("csrf", &csrf),
            ("name", "Anna Schulz-Berg"),
            ("email", "anna@example.de"),
            ("language", "en"),
            ("tier", "enterprise"),
            ("clv", "10"),
            ("consent_survey", "on"),
            ("churned_at", "2026-11-30"),
        ],
    )
    .await;
    assert_eq!(status, 303);
    let c: Value = app.get_json(&format!("/api/v1/customers/{id}"), &app.admin_token).await;
    assert_eq!(c["name"], "Anna Schulz-Berg");
    assert_eq!(c["language"], "en");
    assert_eq!(c["tier"], "enterprise");
    assert_eq!(c["clv_cents"], 1000);
    assert_eq!(c["external_id"], "CRM-1");
    assert_eq!(c["consent_contact"], false);
    assert!(c["churned_at"].as_str().expect("churned").starts_with("2026-11-30"));

    // Accounts: the list, an error next to the name, a new account.
    let (status, _) = post_form(&client, &app, "/accounts", &[("csrf", &csrf), ("name", "")]).await;
    assert_eq!(status, 422);
    let (status, _) = post_form(
        &client,
        &app,
        "/accounts",
        &[("csrf", &csrf), ("name", "Schulz Logistik")],
    )
    .await;
    assert_eq!(status, 303);
    let (status, html) = post_form(
        &client,
        &app,
        "/accounts",
        &[("csrf", &csrf), ("name", "Schulz Logistik")],
    )
    .await;
    assert_eq!(status, 422);
    assert!(html.contains("id=\"name-error\""));
    let (_, html) = get_html(&client, &app, "/accounts").await;
    assert!(html.contains("Schulz Logistik"));

    // Every change left its audit entry.
    let audit = app.get_json("/api/v1/audit?limit=50", &app.admin_token).await;
    let actions: Vec<&str> = audit
        .as_array()
        .expect("entries")
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    for a in ["customer.create", "customer.update", "account.create"] {
        assert!(actions.contains(&a), "{a} in {actions:?}");
    }
}

crate::both_backends!(create_edit_and_accounts);
