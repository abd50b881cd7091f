//! Customer 360 and the B2B account view (issue 5): figures (cases, prior
//! failures, goodwill received, CSAT), sentiment over time with its chart,
//! survey answers, every feedback item; an account's customers, their open
//! cases, goodwill and value — over the API and in the UI.

use crate::support::{Backend, SmtpSink, TestApp, create_user, csrf_of, html_of, submit, survey_link, wait_for};
use chrono::Duration;
use serde_json::{Value, json};

async fn json_of(res: reqwest::Response) -> Value {
    assert!(res.status().is_success(), "{}", res.status());
    res.json().await.expect("json")
}

async fn customer(app: &TestApp, body: Value) -> String {
    let c = json_of(app.post("/api/v1/customers", &app.admin_token, body).await).await;
    c["id"].as_str().expect("id").to_string()
}

async fn customer_and_account_overview(b: Backend) {
    let sink = SmtpSink::start().await;
    let app = TestApp::spawn_with_smtp(b, &sink, |c| {
        c.survey_delay = chrono::Duration::zero();
    })
    .await;
    let agent = app.token_for("agent1", "agent").await;
    let account = json_of(
        app.post("/api/v1/accounts", &agent, json!({"name": "Muster GmbH"}))
            .await,
    )
    .await;
    let account_id = account["id"].as_str().expect("id").to_string();
    let petra = customer(
        &app,
        json!({"external_id": "B2B-1", "name": "Petra Muster", "email": "petra@muster.example", "language": "de",
            "tier": "enterprise", "clv_cents": 1_000_000, "account_id": account_id}),
    )
    .await;
    let olaf = customer(
        &app,
        json!({"external_id": "B2B-2", "name": "Olaf Muster", "email": "olaf@muster.example", "language": "de",
            "tier": "premium", "clv_cents": 200_000, "account_id": account_id}),
    )
    .await;
    let outsider = app.customer("CRM-X", "de", "standard").await;
    app.case(&outsider, "Nicht im Konto").await;

    // Petra: bad feedback opens a case; a second case is resolved, surveyed
    // and answered with 4 stars; goodwill on it.
    let f = json_of(
        app.post(
            "/api/v1/feedback",
            &agent,
            json!({"customer_id": petra, "channel": "api", "rating": 1, "language": "de",
                "text": "Sehr schlecht, die Lieferung ist kaputt angekommen und niemand hilft."}),
        )
        .await,
    )
    .await;
    assert!(f["case_id"].is_string(), "a rule opened a case");
    let c2_id = app.case_id(&petra, "Rechnung falsch").await;
    app.post_expect(
        &format!("/api/v1/cases/{c2_id}/goodwill"),
        &agent,
        json!({"kind": "voucher", "value_cents": 2500, "reason": "Entschuldigung"}),
        201,
    )
    .await;
    for to in ["acknowledged", "resolved"] {
        app.post_expect(
            &format!("/api/v1/cases/{c2_id}/transitions"),
            &agent,
            json!({"to": to}),
            200,
        )
        .await;
    }
    let mail = wait_for(30, "survey mail", || async {
        sink.messages().into_iter().find(|m| m.contains("/survey/"))
    })
    .await;
    let path = survey_link(&crate::support::decode_qp(&mail));
    let res = submit(
        &app.client,
        &app,
        &path,
        &[("score", "4"), ("comment", "Gut gelöst."), ("solved", "yes")],
    )
    .await;
    assert_eq!(res.status(), 200);
    let c3 = app.case(&olaf, "Zugang gesperrt").await;

    // Forty days later Petra is happy.
    app.clock.advance(Duration::days(40));
    let f = json_of(
        app.post(
            "/api/v1/feedback",
            &agent,
            json!({"customer_id": petra, "channel": "api", "rating": 5, "language": "de",
                "text": "Alles super, vielen Dank, ich bin sehr zufrieden!"}),
        )
        .await,
    )
    .await;
    assert!(f["case_id"].is_null());

    // Customer 360 over the API.
    let o = json_of(app.get(&format!("/api/v1/customers/{petra}/overview"), &agent).await).await;
    assert_eq!(o["customer"]["name"], "Petra Muster");
    assert_eq!(o["account"]["name"], "Muster GmbH");
    let facts = &o["facts"];
    assert_eq!(facts["total_cases"], 2);
    assert_eq!(facts["open_cases"], 1);
    assert_eq!(facts["prior_failures"], 2);
    assert_eq!(facts["goodwill_granted_cents"], 2500);
    assert_eq!(facts["feedback_count"], 2);
    assert_eq!(facts["surveys_answered"], 1);
    assert_eq!(facts["average_csat"], 4.0);
    let months = o["sentiment"].as_array().expect("sentiment");
    assert_eq!(months.len(), 2, "{months:?}");
    assert_eq!(months[0]["month"], "2026-11");
    assert_eq!(months[1]["month"], "2027-01");
    assert!(months[0]["average"].as_f64().expect("avg") < 0.0);
    assert!(months[1]["average"].as_f64().expect("avg") > 0.0);
    assert_eq!(o["sentiment_trend"], "improving");
    let surveys = o["surveys"].as_array().expect("surveys");
    assert_eq!(surveys.len(), 1);
    assert_eq!(surveys[0]["score"], 4);
    assert_eq!(surveys[0]["solved"], true);
    assert_eq!(surveys[0]["case_subject"], "Rechnung falsch");
    let plain = json_of(app.get(&format!("/api/v1/customers/{olaf}/overview"), &agent).await).await;
    assert_eq!(plain["sentiment"], json!([]));
    assert_eq!(plain["sentiment_trend"], "unknown");
    assert_eq!(plain["facts"]["average_csat"], Value::Null);
    app.get_problem(
        "/api/v1/customers/0194a000-0000-7000-8000-00000000dead/overview",
        &agent,
        404,
    )
    .await;

    // The account view over the API.
    let a = json_of(
        app.get(&format!("/api/v1/accounts/{account_id}/overview"), &agent)
            .await,
    )
    .await;
    assert_eq!(a["account"]["name"], "Muster GmbH");
    assert_eq!(
        a["totals"],
        json!({"customers": 2, "open_cases": 2, "total_cases": 3, "goodwill_cents": 2500, "clv_cents": 1_200_000})
    );
    let names: Vec<&str> = a["customers"]
        .as_array()
        .expect("customers")
        .iter()
        .map(|c| c["name"].as_str().expect("name"))
        .collect();
    assert_eq!(names, ["Olaf Muster", "Petra Muster"]);
    assert_eq!(a["customers"][1]["goodwill_cents"], 2500);
    assert_eq!(a["customers"][1]["open_cases"], 1);
    let open: Vec<&str> = a["open_cases"]
        .as_array()
        .expect("open cases")
        .iter()
        .map(|c| c["id"].as_str().expect("id"))
        .collect();
    assert_eq!(open.len(), 2);
    assert!(open.contains(&c3["id"].as_str().expect("id")));
    assert!(!open.contains(&c2_id.as_str()), "resolved cases are not open");
    app.get_problem(
        "/api/v1/accounts/0194a000-0000-7000-8000-00000000dead/overview",
        &agent,
        404,
    )
    .await;
    app.get_problem("/api/v1/accounts/not-a-uuid/overview", &agent, 422)
        .await;

    // The UI: customer page with the chart and its text alternative.
    create_user(&app.store, "anna", "agent").await;
    let ui = app.signed_in("anna").await;
    let html = html_of(&ui, &app, &format!("/customers/{petra}")).await;
    assert!(html.contains("data-testid=\"sentiment-chart\""), "chart");
    assert!(html.contains("role=\"img\" aria-labelledby=\"sentiment-svg-title sentiment-svg-desc\""));
    assert!(html.contains("Die Stimmung wird besser."), "trend in words");
    assert!(html.contains("data-testid=\"sentiment-table\""), "table alternative");
    assert!(html.contains("data-testid=\"fact-prior-failures\">2<"));
    assert!(html.contains("data-testid=\"fact-goodwill\">25,00 €<"));
    assert!(html.contains("data-testid=\"fact-csat\">4,0 / 5"));
    assert!(html.contains("4 von 5"), "survey answer");
    assert!(html.contains("Gut gelöst."));
    assert!(html.contains("Alles super, vielen Dank"), "feedback item");
    assert_eq!(html.matches("data-testid=\"customer-feedback\"").count(), 2);
    assert!(
        html.contains(&format!("href=\"/accounts/{account_id}\"")),
        "account link"
    );
    // The case page's customer card has the 360 too.
    let side = html_of(&ui, &app, &format!("/cases/{}", c3["id"].as_str().expect("id"))).await;
    assert!(
        side.contains(&format!("href=\"/accounts/{account_id}\"")),
        "account on the case page"
    );
    let side = html_of(&ui, &app, &format!("/cases/{c2_id}")).await;
    assert!(side.contains("data-testid=\"side-goodwill\">Erhaltene Kulanz: 25,00 €<"));
    assert!(side.contains("data-testid=\"side-sentiment\">Die Stimmung wird besser.<"));
    // In English too.
    let csrf = csrf_of(&html);
    let res = submit(
        &ui,
        &app,
        "/settings/language",
        &[("csrf", csrf.as_str()), ("language", "en")],
    )
    .await;
    assert!(res.status().is_redirection(), "{}", res.status());
    let en = html_of(&ui, &app, &format!("/customers/{petra}")).await;
    assert!(en.contains("Sentiment over time") && en.contains("The sentiment is improving."));
    assert!(en.contains("data-testid=\"fact-csat\">4.0 / 5"));
    assert!(en.contains("Failures in the last 12 months"));
    let en_account = html_of(&ui, &app, &format!("/accounts/{account_id}")).await;
    assert!(en_account.contains("Business account") && en_account.contains("€12,000.00"));
    let res = submit(
        &ui,
        &app,
        "/settings/language",
        &[("csrf", csrf.as_str()), ("language", "de")],
    )
    .await;
    assert!(res.status().is_redirection());
    // The account page.
    let res = ui
        .get(app.url(&format!("/accounts/{account_id}")))
        .send()
        .await
        .expect("get");
    assert_eq!(res.status(), 200);
    let html = res.text().await.expect("html");
    assert!(html.contains("Muster GmbH") && html.contains("Geschäftskunde"));
    assert_eq!(html.matches("data-testid=\"account-customer\"").count(), 2);
    assert!(html.contains("data-testid=\"account-value\">12.000,00 €<"));
    assert!(html.contains("data-testid=\"account-open\">2<"));
    assert!(html.contains("Zugang gesperrt"), "open case listed");
    assert!(!html.contains("Nicht im Konto"), "other customers' cases stay out");
    let res = ui
        .get(app.url("/accounts/0194a000-0000-7000-8000-00000000dead"))
        .send()
        .await
        .expect("get");
    assert_eq!(res.status(), 404);
    // Signed out: to the login page.
    let res = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
        .get(app.url(&format!("/accounts/{account_id}")))
        .send()
        .await
        .expect("get");
    assert!(res.status().is_redirection() || res.status() == 401, "{}", res.status());
}

crate::both_backends!(customer_and_account_overview);
