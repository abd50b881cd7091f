//! Refusals, bad requests and unreadable rule conditions speak the reader's
//! language: no developer English on a German page.

use crate::support::{Backend, TestApp, create_user, csrf_of, get_html, post_form};

/// `text` as the page template escapes it.
fn html_text(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#x27;")
}

/// A goodwill rule whose condition cannot be used says why in German, and
/// in English once the admin switches.
async fn rule_condition_problems_in_the_admins_language(b: Backend) {
    let app = TestApp::spawn(b).await;
    create_user(&app.store, "adam", "admin").await;
    let adam = app.signed_in("adam").await;
    let (_, html) = get_html(&adam, &app, "/settings/goodwill").await;
    let csrf = csrf_of(&html);
    let item = app.store.list_catalog(false).await.expect("catalog")[0].id.to_string();
    let rule = |condition: &'static str, applies_to: &'static str| {
        let (csrf, item, adam, app) = (csrf.clone(), item.clone(), &adam, &app);
        async move {
            let form = [
                ("csrf", csrf.as_str()),
                ("name", "Test"),
                ("condition", condition),
                ("catalog_item_id", item.as_str()),
                ("applies_to", applies_to),
            ];
            post_form(adam, app, "/settings/goodwill/rules", &form).await
        }
    };
    let cases = [
        (
            "delay_minutes 180",
            "incident",
            "In „delay_minutes 180“ fehlt ein Vergleich",
        ),
        (
            "kind = flood",
            "incident",
            "„flood“ ist kein Wert von kind; möglich sind: outage, delay",
        ),
        (
            "tier >= gold",
            "incident",
            "In „tier >= gold“ vergleicht >= nur Zahlen.",
        ),
        (
            "delay_minutes > 10",
            "case",
            "Eine Fall-Regel kann „delay_minutes“ nicht verwenden",
        ),
        ("repeat_failure = 3", "case", "„repeat_failure“ ist true oder false."),
    ];
    for (condition, scope, german) in cases {
        let (status, html) = rule(condition, scope).await;
        assert_eq!(status, 422, "{condition}");
        assert!(html.contains("id=\"rule-condition-error\""), "{condition}: {html}");
        assert!(html.contains(&html_text(german)), "{condition}: want {german}");
        for english in [
            "has no comparison",
            "must be one of",
            "compares numbers",
            "cannot use",
            "is true or false",
        ] {
            assert!(
                !html.contains(english),
                "{condition}: English `{english}` on a German page"
            );
        }
    }
    let form = [("csrf", csrf.as_str()), ("language", "en")];
    post_form(&adam, &app, "/settings/language", &form).await;
    let (_, html) = rule("kind = flood", "incident").await;
    assert!(
        html.contains(&html_text("“flood” is not a value of kind; possible: outage, delay")),
        "{html}"
    );
    // The API keeps its English detail.
    let token = app.token_for("api-admin", "admin").await;
    let res = app
        .post(
            "/api/v1/goodwill/rules",
            &token,
            serde_json::json!({"name": "x", "condition": "kind = flood", "catalog_item_id": item}),
        )
        .await;
    assert_eq!(res.status(), 422);
    let body: serde_json::Value = res.json().await.expect("json");
    assert!(body.to_string().contains("kind must be one of"), "{body}");
}

/// A page the role may not open, an expired form and a malformed request
/// answer with a page in the reader's language, inside the layout.
async fn refusals_in_the_readers_language(b: Backend) {
    let app = TestApp::spawn(b).await;
    create_user(&app.store, "anna", "agent").await;
    let anna = app.signed_in("anna").await;
    let (status, html) = get_html(&anna, &app, "/settings/users").await;
    assert_eq!(status, 403);
    assert!(html.contains("data-testid=\"error-page\""), "{html}");
    assert!(
        html.contains("Nicht erlaubt") && html.contains("Ihre Rolle darf diese Seite nicht öffnen."),
        "{html}"
    );
    assert!(!html.contains("Not allowed") && !html.contains("your role"), "{html}");
    assert!(html.contains("lang=\"de\""), "{html}");

    let (status, html) = post_form(&anna, &app, "/cases/new", &[("csrf", "wrong"), ("subject", "x")]).await;
    assert_eq!(status, 403);
    assert!(html.contains("Das Formular ist abgelaufen"), "{html}");

    let (_, page) = get_html(&anna, &app, "/inbox").await;
    let csrf = csrf_of(&page);
    let (status, html) = post_form(&anna, &app, "/settings/routing", &[("csrf", csrf.as_str())]).await;
    assert!(status == 400 || status == 403, "{status}");
    assert!(
        !html.contains("incomplete or malformed") && !html.contains("must be"),
        "{html}"
    );

    let form = [("csrf", csrf.as_str()), ("language", "en")];
    post_form(&anna, &app, "/settings/language", &form).await;
    let (status, html) = get_html(&anna, &app, "/settings/users").await;
    assert_eq!(status, 403);
    assert!(
        html.contains("Not allowed") && html.contains("Your role may not open this page."),
        "{html}"
    );

    // Without a session: the browser's language.
    let res = app
        .client
        .get(app.url("/help/articles/00000000-0000-0000-0000-000000000000"))
        .header("accept-language", "en-GB,en;q=0.8")
        .send()
        .await
        .expect("get");
    assert_eq!(res.status(), 404);
    let html = res.text().await.expect("body");
    assert!(html.contains("lang=\"en\""), "{html}");
}

crate::both_backends!(
    rule_condition_problems_in_the_admins_language,
    refusals_in_the_readers_language,
);
