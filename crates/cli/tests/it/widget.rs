//! The feedback widget (issue 4): sites, `/widget.js`, the public endpoint
//! with CORS, origin checks, honeypot and rate limits — on both backends.

use crate::support::{Backend, TestApp, csrf_of, html_of, post_form, problem};
use serde_json::{Value, json};

const SHOP: &str = "http://shop.example:8081";
const DE_COMPLAINT: &str = "Die Lieferung kam zwei Wochen zu spät und die Vase war kaputt. \
                            Das ist eine Frechheit, ich kündige mein Abo!";

async fn site(app: &TestApp, extra: Value) -> Value {
    let mut body = json!({"name": "Webshop", "allowed_origins": [SHOP, "https://www.shop.example/"], "language": "de"});
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        for (k, v) in e {
            b.insert(k.clone(), v.clone());
        }
    }
    let res = app
        .post_expect("/api/v1/widget-sites", &app.admin_token, body, 201)
        .await;
    res.json().await.expect("json")
}

async fn post_public(app: &TestApp, key: &str, origin: Option<&str>, body: Value) -> reqwest::Response {
    let mut req = app
        .client
        .post(app.url(&format!("/api/v1/public/feedback?site_key={key}")))
        .json(&body);
    if let Some(o) = origin {
        req = req.header("origin", o);
    }
    req.send().await.expect("request")
}

async fn widget_feedback(app: &TestApp) -> Vec<Value> {
    let list = app.get_json("/api/v1/feedback?channel=widget", &app.admin_token).await;
    list["items"].as_array().expect("items").clone()
}

async fn sites_are_managed_by_leads_and_validated(b: Backend) {
    let app = TestApp::spawn(b).await;
    let s = site(
        &app,
        json!({"survey_question_de": "Haben Sie gefunden, was Sie suchen?", "survey_trigger": "after_seconds",
               "survey_after_seconds": 20, "survey_period_days": 7}),
    )
    .await;
    let key = s["site_key"].as_str().expect("key");
    assert!(key.starts_with("pk_"), "{s}");
    assert_eq!(s["allowed_origins"], json!([SHOP, "https://www.shop.example"]));
    assert!(
        s["embed"]
            .as_str()
            .expect("embed")
            .contains("/widget.js\" data-site-key=\"pk_")
    );
    let agent = app.token_for("agent1", "agent").await;
    app.get_problem("/api/v1/widget-sites", &agent, 403).await;
    let lead = app.token_for("lead1", "lead").await;
    let res = app.get("/api/v1/widget-sites", &lead).await;
    assert_eq!(res.status(), 200);
    for (body, field) in [
        (
            json!({"name": "x", "allowed_origins": ["https://x.example/path"]}),
            "allowed_origins",
        ),
        (json!({"name": "x", "allowed_origins": []}), "allowed_origins"),
        (json!({"name": "", "allowed_origins": [SHOP]}), "name"),
        (
            json!({"name": "x", "allowed_origins": [SHOP], "survey_trigger": "sometimes", "survey_question_de": "?"}),
            "survey_trigger",
        ),
        (
            json!({"name": "x", "allowed_origins": [SHOP], "survey_trigger": "after_seconds", "survey_question_de": "?"}),
            "survey_after_seconds",
        ),
    ] {
        let res = app.post("/api/v1/widget-sites", &app.admin_token, body.clone()).await;
        assert_eq!(problem(res, 422).await["field"], field, "{body}");
    }
    // The script and the public configuration.
    let js = app.get_anonymous("/widget.js").await;
    assert_eq!(js.status(), 200);
    assert!(
        js.headers()["content-type"]
            .to_str()
            .expect("ct")
            .starts_with("text/javascript")
    );
    assert!(js.text().await.expect("text").contains("data-site-key"));
    let cfg = app
        .client
        .get(app.url(&format!("/api/v1/public/widget-config?site_key={key}")))
        .header("origin", SHOP)
        .send()
        .await
        .expect("config");
    assert_eq!(cfg.status(), 200);
    assert_eq!(cfg.headers()["access-control-allow-origin"], SHOP);
    let cfg: Value = cfg.json().await.expect("json");
    assert_eq!(cfg["language"], "de");
    assert_eq!(cfg["survey"]["trigger"], "after_seconds");
    assert_eq!(cfg["survey"]["after_seconds"], 20);
    assert_eq!(cfg["survey"]["period_days"], 7);
    // Disable, then the widget is refused.
    let id = s["id"].as_str().expect("id");
    let res = app
        .patch(&format!("/api/v1/widget-sites/{id}"), &lead, json!({"enabled": false}))
        .await;
    assert_eq!(res.status(), 200);
    let res = post_public(&app, key, Some(SHOP), json!({"comment": "Hallo"})).await;
    problem(res, 403).await;
    let res = app.delete(&format!("/api/v1/widget-sites/{id}"), &lead).await;
    assert_eq!(res.status(), 204);
    let res = post_public(&app, key, Some(SHOP), json!({"comment": "Hallo"})).await;
    problem(res, 404).await;
}

async fn public_posts_check_key_origin_and_honeypot(b: Backend) {
    // Every request counts against the per-IP limit; this test sends many.
    let app = TestApp::spawn_with(b, |c| c.widget_posts_per_ip_minute = 1000).await;
    let s = site(&app, json!({})).await;
    let key = s["site_key"].as_str().expect("key").to_string();

    // Unknown key and disallowed or missing origin: clear 4xx, no CORS headers.
    let res = post_public(&app, "pk_unknown", Some(SHOP), json!({"comment": "Hallo"})).await;
    assert!(res.headers().get("access-control-allow-origin").is_none());
    problem(res, 404).await;
    let res = post_public(&app, &key, Some("https://evil.example"), json!({"comment": "Hallo"})).await;
    assert!(res.headers().get("access-control-allow-origin").is_none());
    assert!(
        problem(res, 403).await["detail"]
            .as_str()
            .expect("detail")
            .contains("not allowed")
    );
    problem(post_public(&app, &key, None, json!({"comment": "Hallo"})).await, 403).await;

    // The preflight: allowed origin → 204 with CORS headers; others → 403 without.
    let pre = |origin: &'static str| {
        app.client
            .request(
                reqwest::Method::OPTIONS,
                app.url(&format!("/api/v1/public/feedback?site_key={key}")),
            )
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "content-type")
            .send()
    };
    let ok = pre(SHOP).await.expect("preflight");
    assert_eq!(ok.status(), 204);
    assert_eq!(ok.headers()["access-control-allow-origin"], SHOP);
    assert!(
        ok.headers()["access-control-allow-methods"]
            .to_str()
            .expect("m")
            .contains("POST")
    );
    assert!(
        ok.headers()["access-control-allow-headers"]
            .to_str()
            .expect("h")
            .contains("content-type")
    );
    let bad = pre("https://evil.example").await.expect("preflight");
    assert_eq!(bad.status(), 403);
    assert!(bad.headers().get("access-control-allow-origin").is_none());

    // Bad input: clear 4xx.
    let res = post_public(&app, &key, Some(SHOP), json!({"comment": "   "})).await;
    assert_eq!(problem(res, 422).await["field"], "comment");
    let res = post_public(&app, &key, Some(SHOP), json!({"comment": "x".repeat(5001)})).await;
    assert_eq!(problem(res, 422).await["field"], "comment");
    let res = post_public(&app, &key, Some(SHOP), json!({"comment": "ok", "rating": 9})).await;
    assert_eq!(problem(res, 422).await["field"], "rating");
    let res = post_public(&app, &key, Some(SHOP), json!({"comment": "ok", "email": "nope"})).await;
    assert_eq!(problem(res, 422).await["field"], "email");
    let res = app
        .client
        .post(app.url(&format!("/api/v1/public/feedback?site_key={key}")))
        .header("origin", SHOP)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .expect("req");
    problem(res, 400).await;
    // A wrong method is problem+json too.
    let res = app.get_anonymous("/api/v1/public/feedback").await;
    problem(res, 405).await;

    // The honeypot: accepted, but nothing is stored.
    let res = post_public(
        &app,
        &key,
        Some(SHOP),
        json!({"comment": "Buy cheap pills", "website": "http://spam.example"}),
    )
    .await;
    assert_eq!(res.status(), 202);
    assert!(widget_feedback(&app).await.is_empty());

    // HTML is stored as sent; the stream shows it escaped.
    let res = post_public(
        &app,
        &key,
        Some(SHOP),
        json!({"comment": "<script>alert('x')</script> Alles gut.", "rating": 4}),
    )
    .await;
    assert_eq!(res.status(), 202);
    assert_eq!(res.headers()["access-control-allow-origin"], SHOP);
    let items = widget_feedback(&app).await;
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["text"], "<script>alert('x')</script> Alles gut.");
    assert!(items[0]["case_id"].is_null());

    // A negative German complaint with an email opens a case for that customer.
    let res = post_public(
        &app,
        &key,
        Some("https://www.shop.example"),
        json!({"comment": DE_COMPLAINT, "rating": 1, "email": "erika@example.de", "page": "https://www.shop.example/kasse"}),
    )
    .await;
    assert_eq!(res.status(), 202);
    let items = widget_feedback(&app).await;
    assert_eq!(items.len(), 2);
    let f = &items[0];
    assert_eq!(f["language"], "de");
    assert_eq!(f["sentiment"]["label"], "negative", "{f}");
    let case_id = f["case_id"].as_str().expect("a case was opened");
    let case = app
        .get_json(&format!("/api/v1/cases/{case_id}"), &app.admin_token)
        .await;
    assert_eq!(case["channel"], "widget");
    assert_eq!(case["state"], "new");
    let customer = app
        .get_json(
            &format!("/api/v1/customers/{}", f["customer_id"].as_str().expect("customer")),
            &app.admin_token,
        )
        .await;
    assert_eq!(customer["email"], "erika@example.de");
    assert_eq!(f["source"]["page"], "https://www.shop.example/kasse", "{f}");

    // The stream page escapes the comment.
    let client = app.signed_in("admin").await;
    let html = html_of(&client, &app, "/feedback?channel=widget").await;
    assert!(html.contains("&lt;script&gt;alert("), "escaped");
    assert!(!html.contains("<script>alert("), "never raw");
    // The settings page lists the site with its embed tag.
    let html = html_of(&client, &app, "/settings/widget").await;
    assert!(html.contains("Webshop"), "{html}");
    assert!(html.contains(&format!("data-site-key=&quot;{key}&quot;")), "{html}");
}

async fn a_flood_of_posts_is_rate_limited(b: Backend) {
    let app = TestApp::spawn_with(b, |c| {
        c.widget_posts_per_ip_minute = 5;
        c.widget_posts_per_site_minute = 1000;
    })
    .await;
    let s = site(&app, json!({})).await;
    let key = s["site_key"].as_str().expect("key").to_string();
    let mut statuses = Vec::new();
    for i in 0..8 {
        let res = post_public(
            &app,
            &key,
            Some(SHOP),
            json!({"comment": format!("Alles gut {i}"), "rating": 5}),
        )
        .await;
        statuses.push(res.status().as_u16());
        if res.status() == 429 {
            assert_eq!(
                res.headers()["access-control-allow-origin"],
                SHOP,
                "the page can read the 429"
            );
            let p = problem(res, 429).await;
            assert_eq!(p["type"], "/problems/rate-limited");
        }
    }
    assert_eq!(statuses, [202, 202, 202, 202, 202, 429, 429, 429]);
    assert_eq!(widget_feedback(&app).await.len(), 5, "nothing lost, nothing extra");
    // The next minute the client may post again.
    app.clock.advance(chrono::Duration::seconds(60));
    let res = post_public(&app, &key, Some(SHOP), json!({"comment": "Wieder da", "rating": 5})).await;
    assert_eq!(res.status(), 202);

    // Per site key: a low limit stops many clients of one site too.
    let app = TestApp::spawn_with(b, |c| {
        c.widget_posts_per_ip_minute = 1000;
        c.widget_posts_per_site_minute = 3;
    })
    .await;
    let s = site(&app, json!({})).await;
    let key = s["site_key"].as_str().expect("key").to_string();
    for _ in 0..3 {
        let res = post_public(&app, &key, Some(SHOP), json!({"comment": "Gut", "rating": 5})).await;
        assert_eq!(res.status(), 202);
    }
    problem(
        post_public(&app, &key, Some(SHOP), json!({"comment": "Gut", "rating": 5})).await,
        429,
    )
    .await;
}

/// The widget and token forms show their input errors in the user's
/// language, not the validator's English.
async fn site_and_token_errors_in_the_users_language(b: Backend) {
    let app = TestApp::spawn(b).await;
    let client = app.signed_in("admin").await;
    let csrf = csrf_of(&html_of(&client, &app, "/settings/widget").await);
    let site = |origins: &'static str, after: &'static str| {
        let csrf = csrf.clone();
        let (client, app) = (&client, &app);
        async move {
            let form = [
                ("csrf", csrf.as_str()),
                ("name", "Webshop"),
                ("allowed_origins", origins),
                ("survey_trigger", "after_seconds"),
                ("survey_question_de", "Wie war es?"),
                ("survey_after_seconds", after),
            ];
            post_form(client, app, "/settings/widget", &form).await
        }
    };
    let (status, html) = site("kein ursprung", "10").await;
    assert_eq!(status, 422, "{html}");
    assert!(html.contains("Bitte die erlaubten Ursprünge wie https:"), "{html}");
    let (_, html) = site("https://shop.example", "zehn").await;
    assert!(
        html.contains("Bitte die Sekunden bis zur Umfrage als ganze Zahl"),
        "{html}"
    );
    assert!(!html.contains("not a whole number"), "{html}");
    let (_, html) = site("https://shop.example", "99999").await;
    assert!(
        html.contains("Bitte die Sekunden bis zur Umfrage als ganze Zahl"),
        "{html}"
    );
    let csrf = csrf_of(&html_of(&client, &app, "/settings").await);
    let (_, html) = post_form(
        &client,
        &app,
        "/settings/tokens",
        &[("csrf", csrf.as_str()), ("name", " ")],
    )
    .await;
    assert!(html.contains("Bitte dem Token einen Namen geben"), "{html}");
    // Webhooks: an inward address is refused in words the admin reads.
    let csrf = csrf_of(&html_of(&client, &app, "/settings/webhooks").await);
    let form = [
        ("csrf", csrf.as_str()),
        ("url", "http://169.254.169.254/latest"),
        ("events", "*"),
    ];
    let (_, html) = post_form(&client, &app, "/settings/webhooks", &form).await;
    assert!(html.contains("interne Adressen (localhost, private Netze"), "{html}");
    let form = [("csrf", csrf.as_str()), ("url", "https://hooks.example.com/x")];
    let (_, html) = post_form(&client, &app, "/settings/webhooks", &form).await;
    assert!(html.contains("Bitte mindestens ein Ereignis wählen."), "{html}");
}

crate::both_backends!(
    sites_are_managed_by_leads_and_validated,
    site_and_token_errors_in_the_users_language,
    public_posts_check_key_origin_and_honeypot,
    a_flood_of_posts_is_rate_limited,
);
