//! Goodwill reasons as codes, read in each reader's language (API, the
//! approvals page, refusals), old English reasons converted by migration
//! 0027, and goodwill as a free amount from the case page with its error
//! beside the field.

use crate::support::{Backend, TestApp, csrf_of, get_html, post_form, run_sql, t0};
use amends_domain::Language;
use serde_json::{Value, json};

const GERMAN_WHY: &str =
    "900,00 € braucht die Freigabe einer Teamleitung: mehr als die Grenze je Gewährung von 50,00 €";
const ENGLISH_WHY: &str = "€900.00 needs approval by a lead: above the limit per grant of €50.00";

/// An agent's request of 900 EUR (above the 50 EUR limit) on a new case.
async fn pending_request(app: &TestApp, agent: &str) -> (String, Value) {
    let cust = app.customer("CRM-R1", "de", "standard").await;
    let case = app.case_id(&cust, "Paket verloren").await;
    let g = app
        .post_json(
            &format!("/api/v1/cases/{case}/goodwill"),
            agent,
            json!({"kind": "refund", "value_cents": 90_000, "reason": "Ware verloren"}),
            202,
        )
        .await;
    (case, g)
}

async fn reasons_are_codes_in_the_readers_language(b: Backend) {
    let app = TestApp::spawn(b).await;
    let agent = app.token_for("anna", "agent").await;
    let (_, g) = pending_request(&app, &agent).await;
    assert_eq!(
        g["approval"],
        json!({"code": "limit", "value_cents": 90_000, "limit": {"limit": "per_grant", "max": 5_000}})
    );
    assert_eq!(g["approval_reason"], GERMAN_WHY, "the German agent reads German");
    // An English lead reads the same request in English.
    let emma = app.token_for("emma", "lead").await;
    let user = app.store.get_user_by_username("emma").await.expect("emma");
    app.store
        .set_user_language(user.id, Language::En, t0())
        .await
        .expect("language");
    let queue = app.get_json("/api/v1/goodwill?state=pending", &emma).await;
    assert_eq!(queue[0]["approval_reason"], ENGLISH_WHY, "{queue}");
    assert_eq!(queue[0]["approval"]["code"], "limit");
    // The German lead's approvals page says it in German, and so does the
    // refusal when she tries to decide her own request.
    app.token_for("lena", "lead").await;
    let lena = app.signed_in("lena").await;
    let (status, html) = get_html(&lena, &app, "/goodwill/approvals").await;
    assert_eq!(status, 200);
    assert!(html.contains(GERMAN_WHY), "{html}");
    assert!(!html.contains("needs approval"), "no English on the German page");
    let cust = app.customer("CRM-R2", "de", "standard").await;
    let case = app.case_id(&cust, "Zweiter Fall").await;
    let page = format!("/cases/{case}");
    let (_, html) = get_html(&lena, &app, &page).await;
    let csrf = csrf_of(&html);
    let form = [
        ("csrf", csrf.as_str()),
        ("catalog_item_id", "free"),
        ("kind", "refund"),
        ("amount", "600"),
        ("reason", "Großer Schaden"),
    ];
    let (status, _) = post_form(&lena, &app, &format!("{page}/goodwill"), &form).await;
    assert_eq!(status, 303, "above the lead's own 500 EUR: requested");
    let mine = app.get_json("/api/v1/goodwill?state=pending", &emma).await;
    let own = mine
        .as_array()
        .expect("list")
        .iter()
        .find(|g| g["value_cents"] == 60_000)
        .expect("the lead's request");
    let id = own["id"].as_str().expect("id");
    let form = [("csrf", csrf.as_str()), ("decision", "approve"), ("reason", "passt")];
    let (status, html) = post_form(&lena, &app, &format!("/goodwill/{id}/decide"), &form).await;
    assert_eq!(status, 200);
    assert!(
        html.contains("Die eigene Anfrage entscheidet eine andere Teamleitung."),
        "{html}"
    );
    // The API keeps its English problem text for the same refusal.
    let lena_token = {
        let u = app.store.get_user_by_username("lena").await.expect("lena");
        amends_app::service::create_token(&app.store, t0(), u.id, "t", None)
            .await
            .expect("token")
            .1
    };
    let p = app
        .post_problem(
            &format!("/api/v1/goodwill/{id}/approve"),
            &lena_token,
            json!({"reason": "ok"}),
            403,
        )
        .await;
    assert!(
        p["detail"]
            .as_str()
            .expect("detail")
            .contains("your own goodwill request"),
        "{p}"
    );
}

/// Requests stored with an English reason before 0027 get their code from
/// the migration's conversion, and are then read in German.
async fn old_english_reasons_become_codes(b: Backend) {
    let app = TestApp::spawn(b).await;
    let agent = app.token_for("anna", "agent").await;
    pending_request(&app, &agent).await;
    let legacy = "900.00 needs approval by a lead: above the limit per grant of 50.00";
    run_sql(
        &app,
        b,
        &format!("UPDATE goodwill_grants SET approval_details = NULL, approval_reason = '{legacy}'"),
    )
    .await;
    let before = app.get_json("/api/v1/goodwill?state=pending", &agent).await;
    assert_eq!(before[0]["approval"], Value::Null);
    assert_eq!(before[0]["approval_reason"], legacy, "unconverted: the stored text");
    let migration = match b {
        Backend::Sqlite => include_str!("../../../store/migrations/sqlite/0027_goodwill_reason_codes.sql"),
        Backend::Postgres => include_str!("../../../store/migrations/postgres/0027_goodwill_reason_codes.sql"),
    };
    let updates = &migration[migration.find("UPDATE").expect("conversion")..];
    run_sql(&app, b, updates).await;
    let after = app.get_json("/api/v1/goodwill?state=pending", &agent).await;
    assert_eq!(
        after[0]["approval"],
        json!({"code": "limit", "value_cents": 90_000, "limit": {"limit": "per_grant", "max": 5_000}})
    );
    assert_eq!(after[0]["approval_reason"], GERMAN_WHY);
}

/// The case page grants a free amount within the agent's limit, requests
/// one above it, and names a bad amount beside the field in the agent's
/// language; the catalog is listed cheapest first.
async fn a_free_amount_from_the_case_page(b: Backend) {
    let app = TestApp::spawn(b).await;
    let agent = app.token_for("anna", "agent").await;
    let cust = app.customer("CRM-R3", "de", "standard").await;
    let case = app.case_id(&cust, "Lieferung zu spät").await;
    let anna = app.signed_in("anna").await;
    let page = format!("/cases/{case}");
    let (_, html) = get_html(&anna, &app, &page).await;
    let values: Vec<i64> = html
        .split("<option value=\"")
        .filter_map(|o| {
            o.split_once("\">")?
                .1
                .split(" (")
                .nth(1)?
                .split(" €")
                .next()
                .map(str::to_string)
        })
        .filter_map(|v| v.replace(['.', ','], "").parse().ok())
        .collect();
    assert!(values.len() >= 3, "catalog options: {values:?}");
    assert!(values.is_sorted(), "cheapest first: {values:?}");
    assert!(html.contains("Ihr Limit je Gewährung: 50,00 €."));
    let csrf = csrf_of(&html);
    let post = |amount: &'static str| {
        let csrf = csrf.clone();
        let (anna, app, page) = (&anna, &app, &page);
        async move {
            let form = [
                ("csrf", csrf.as_str()),
                ("catalog_item_id", "free"),
                ("kind", "voucher"),
                ("amount", amount),
                ("reason", "Lieferung drei Tage zu spät"),
            ];
            post_form(anna, app, &format!("{page}/goodwill"), &form).await
        }
    };
    let (status, html) = post("zwölf").await;
    assert_eq!(status, 422);
    assert!(html.contains(r#"id="gw-amount" name="amount""#) && html.contains(r#"aria-describedby="gw-amount-error""#));
    assert!(
        html.contains(r#"<span id="gw-amount-error" class="field-error" data-testid="amount-error">Bitte einen Betrag wie 25 oder 12,50 eingeben"#),
        "the error beside the field, in German"
    );
    let (status, _) = post("-5").await;
    assert_eq!(status, 422, "goodwill is never negative");
    let (status, _) = post("12,50").await;
    assert_eq!(status, 303);
    let (status, _) = post("80").await;
    assert_eq!(status, 303);
    let grants = app.get_json(&format!("/api/v1/goodwill?case_id={case}"), &agent).await;
    let got: Vec<(i64, &str)> = grants
        .as_array()
        .expect("list")
        .iter()
        .map(|g| {
            (
                g["value_cents"].as_i64().expect("value"),
                g["state"].as_str().expect("state"),
            )
        })
        .collect();
    assert_eq!(got, [(8_000, "pending"), (1_250, "granted")], "newest first");
    // In English, the same error in English.
    let user = app.store.get_user_by_username("anna").await.expect("anna");
    app.store
        .set_user_language(user.id, Language::En, t0())
        .await
        .expect("language");
    let (status, html) = post("twelve").await;
    assert_eq!(status, 422);
    assert!(html.contains("Please enter an amount such as 25 or 12.50"), "{html}");
}

/// Input errors on the goodwill settings page (catalogue, limits, budget)
/// are shown in the admin's language, not as the validator's English.
async fn goodwill_settings_errors_in_the_admins_language(b: Backend) {
    let app = TestApp::spawn(b).await;
    crate::support::create_user(&app.store, "adam", "admin").await;
    let adam = app.signed_in("adam").await;
    let (_, html) = get_html(&adam, &app, "/settings/goodwill").await;
    let csrf = csrf_of(&html);
    let catalog = |value: &'static str, currency: &'static str| {
        let csrf = csrf.clone();
        let (adam, app) = (&adam, &app);
        async move {
            let form = [
                ("csrf", csrf.as_str()),
                ("kind", "voucher"),
                ("name_de", "Gutschein"),
                ("name_en", "Voucher"),
                ("value", value),
                ("currency", currency),
            ];
            post_form(adam, app, "/settings/goodwill/catalog", &form).await.1
        }
    };
    let html = catalog("zwölf", "EUR").await;
    assert!(html.contains("Bitte einen Betrag wie 25 oder 12,50 eingeben"), "{html}");
    assert!(!html.contains("must be"), "no English validator text: {html}");
    let html = catalog("12", "EURO").await;
    assert!(
        html.contains("Bitte einen Währungscode aus drei Buchstaben eingeben"),
        "{html}"
    );
    let form = [("csrf", csrf.as_str()), ("amount", "-5")];
    let html = post_form(&adam, &app, "/settings/goodwill/budget", &form).await.1;
    assert!(html.contains("id=\"budget-error\""), "{html}");
    assert!(html.contains("Bitte einen Betrag wie 25 oder 12,50 eingeben"), "{html}");
    let form = [("csrf", csrf.as_str()), ("role", "agent"), ("per_grant", "viel")];
    let html = post_form(&adam, &app, "/settings/goodwill/limits", &form).await.1;
    assert!(html.contains("Bitte einen Betrag wie 25 oder 12,50 eingeben"), "{html}");
}

crate::both_backends!(
    reasons_are_codes_in_the_readers_language,
    old_english_reasons_become_codes,
    a_free_amount_from_the_case_page,
    goodwill_settings_errors_in_the_admins_language,
);
