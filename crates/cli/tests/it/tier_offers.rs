//! Tier upgrade offers (issue 20): the rule's settings, the moment (only
//! after a survey rated 4–5, never during an open case, never twice within
//! the cooldown), the offer mail through the outbox, its link (opened,
//! accepted), conversion when the tier changes, and eight concurrent
//! survey answers making one offer.

use crate::support::{Backend, SmtpSink, TestApp, csrf_of, get_html, post_form, submit, survey_link};
use chrono::Duration;
use serde_json::{Value, json};

async fn app_with_smtp(b: Backend, sink: &SmtpSink) -> TestApp {
    TestApp::spawn_with_smtp(b, sink, |c| {
        c.smtp.from = "Service <service@amends.test>".into();
        c.survey_delay = chrono::Duration::zero();
        c.survey_max_per_period = 100;
    })
    .await
}

async fn resolve(app: &TestApp, id: &str) {
    for to in ["acknowledged", "resolved"] {
        let res = app
            .post(
                &format!("/api/v1/cases/{id}/transitions"),
                &app.admin_token,
                json!({"to": to}),
            )
            .await;
        assert_eq!(res.status(), 200, "{to}");
    }
}

/// The survey path of the mail about `subject`, waiting for it.
async fn survey_of(sink: &SmtpSink, subject: &str) -> String {
    crate::support::wait_for(30, subject, || async {
        sink.messages()
            .iter()
            .find(|m| m.contains(subject) && m.contains("/survey/"))
            .map(|m| survey_link(m))
    })
    .await
}

async fn answer(app: &TestApp, path: &str, score: &str) {
    let res = submit(&app.client, app, path, &[("score", score)]).await;
    assert_eq!(res.status(), 200, "survey answered");
}

async fn offers(app: &TestApp) -> Value {
    app.get_json("/api/v1/tier-offers", &app.admin_token).await
}

/// The path of the link starting with `prefix` in a mail.
pub fn link_path(mail: &str, prefix: &str) -> String {
    let start = mail.find(prefix).expect("a link in the mail");
    mail[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '-' | '_'))
        .collect()
}

fn offer_mails(sink: &SmtpSink) -> Vec<String> {
    sink.messages().into_iter().filter(|m| m.contains("/offer/")).collect()
}

async fn settings_roles_and_validation(b: Backend) {
    let app = TestApp::spawn(b).await;
    let lead = app.token_for("lead1", "lead").await;
    let agent = app.token_for("agent1", "agent").await;
    let s = app.get_json("/api/v1/settings/tier-offers", &lead).await;
    assert_eq!(
        s,
        json!({"enabled": true, "upgrades": {"standard": "premium"}, "min_failures": 2, "window_days": 90, "cooldown_days": 180})
    );
    app.get_problem("/api/v1/settings/tier-offers", &agent, 403).await;
    app.get_problem("/api/v1/tier-offers", &agent, 403).await;
    let good = json!({"enabled": true, "upgrades": {"standard": "enterprise", "premium": "enterprise"},
        "min_failures": 3, "window_days": 60, "cooldown_days": 90});
    app.put_problem("/api/v1/settings/tier-offers", &lead, good.clone(), 403)
        .await;
    for (field, bad) in [
        ("upgrades", json!({"premium": "standard"})),
        ("upgrades", json!({"gold": "premium"})),
        ("min_failures", json!(0)),
        ("window_days", json!(731)),
        ("cooldown_days", json!(0)),
    ] {
        let mut body = good.clone();
        body[field] = bad;
        let e = app
            .put_problem("/api/v1/settings/tier-offers", &app.admin_token, body, 422)
            .await;
        assert_eq!(e["field"], field, "{e}");
    }
    let saved = app
        .put_json("/api/v1/settings/tier-offers", &app.admin_token, good.clone(), 200)
        .await;
    assert_eq!(saved, good);
    let audit = app
        .get_json("/api/v1/audit?entity=tier_offer_settings", &app.admin_token)
        .await;
    assert!(audit.to_string().contains("tier_offer_settings.update"), "{audit}");
    let list = offers(&app).await;
    assert_eq!(
        (list["offered"].as_i64(), list["conversion_pct"].clone()),
        (Some(0), Value::Null)
    );

    // The page: admins change the rule by a CSRF-checked form, errors in German.
    let admin = app.signed_in("admin").await;
    let (status, html) = get_html(&admin, &app, "/offers").await;
    assert_eq!(status, 200);
    assert!(html.contains("Regel speichern"), "{html}");
    let csrf = csrf_of(&html);
    let mut form = vec![
        ("csrf", csrf.as_str()),
        ("enabled", "on"),
        ("up_standard", "premium"),
        ("up_premium", ""),
        ("min_failures", "0"),
        ("window_days", "90"),
        ("cooldown_days", "30"),
    ];
    let (status, html) = post_form(&admin, &app, "/offers/settings", &form).await;
    assert_eq!(status, 422);
    assert!(html.contains("Geben Sie die nötigen Fälle"), "{html}");
    form[4] = ("min_failures", "4");
    assert_eq!(submit(&admin, &app, "/offers/settings", &form).await.status(), 303);
    let s = app.get_json("/api/v1/settings/tier-offers", &lead).await;
    assert_eq!(
        (
            s["min_failures"].as_i64(),
            s["cooldown_days"].as_i64(),
            s["upgrades"].clone()
        ),
        (Some(4), Some(30), json!({"standard": "premium"}))
    );
    form.remove(0);
    assert_ne!(
        submit(&admin, &app, "/offers/settings", &form).await.status(),
        303,
        "CSRF"
    );
    let lead_ui = app.signed_in("lead1").await;
    let (_, html) = get_html(&lead_ui, &app, "/offers").await;
    assert!(html.contains("Mindestens 4 Fälle in 90 Tagen") && !html.contains("Regel speichern"));
}

async fn offer_only_at_the_good_moment(b: Backend) {
    let sink = SmtpSink::start().await;
    let app = app_with_smtp(b, &sink).await;
    let cust = app.customer("CRM-7", "de", "standard").await;
    let a = app.case_id(&cust, "Fall Anton").await;
    let open = app.case_id(&cust, "Fall Berta").await;

    // Rated 5, but another case is open: no offer.
    resolve(&app, &a).await;
    answer(&app, &survey_of(&sink, "Fall Anton").await, "5").await;
    assert_eq!(offers(&app).await["offered"], 0, "not during an open case");

    // Rated 3 with nothing open: no offer.
    resolve(&app, &open).await;
    answer(&app, &survey_of(&sink, "Fall Berta").await, "3").await;
    assert_eq!(offers(&app).await["offered"], 0, "only after 4-5");

    // Rated 4 with nothing open and three cases in 90 days: the offer, by mail in German.
    let c = app.case_id(&cust, "Fall Cäsar").await;
    resolve(&app, &c).await;
    answer(&app, &survey_of(&sink, "Fall Cäsar").await, "4").await;
    let list = offers(&app).await;
    assert_eq!(list["offered"], 1, "{list}");
    let offer = &list["offers"][0];
    assert_eq!(
        (
            offer["from_tier"].as_str(),
            offer["to_tier"].as_str(),
            offer["state"].as_str()
        ),
        (Some("standard"), Some("premium"), Some("offered"))
    );
    assert_eq!(offer["case_id"].as_str(), Some(c.as_str()));
    let mail = crate::support::wait_for(30, "offer mail", || async { offer_mails(&sink).into_iter().next() }).await;
    assert!(
        mail.contains("Mit Premium bekommen Sie schnellere Antworten") && mail.contains("crm-7@example.de"),
        "{mail}"
    );

    // Within the cooldown: no second offer.
    let d = app.case_id(&cust, "Fall Dora").await;
    resolve(&app, &d).await;
    answer(&app, &survey_of(&sink, "Fall Dora").await, "5").await;
    assert_eq!(offers(&app).await["offered"], 1, "cooldown");

    // The link: opened on view, then accepted; a changed tier converts it.
    let path = link_path(&mail, "/offer/");
    let page = app.get_anonymous(&path).await;
    assert_eq!(page.status(), 200);
    assert!(page.text().await.expect("html").contains("Ja, ich habe Interesse"));
    assert_eq!(offers(&app).await["offers"][0]["state"], "opened");
    assert_eq!(app.get_anonymous("/offer/AAAA").await.status(), 404);
    let res = submit(&app.client, &app, &path, &[("decision", "maybe")]).await;
    assert_eq!(res.status(), 422);
    let res = submit(&app.client, &app, &path, &[("decision", "accept")]).await;
    assert_eq!(res.status(), 200);
    assert_eq!(offers(&app).await["offers"][0]["state"], "accepted");
    let res = app
        .patch(
            &format!("/api/v1/customers/{cust}"),
            &app.admin_token,
            json!({"tier": "premium"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let list = offers(&app).await;
    assert_eq!(list["offers"][0]["state"], "converted");
    assert_eq!(
        (
            list["accepted"].as_i64(),
            list["converted"].as_i64(),
            list["conversion_pct"].as_f64()
        ),
        (Some(1), Some(1), Some(100.0))
    );

    // After the cooldown another offer may come (premium → none by default: add the rule).
    app.put_json(
        "/api/v1/settings/tier-offers",
        &app.admin_token,
        json!({"enabled": true, "upgrades": {"standard": "premium", "premium": "enterprise"},
            "min_failures": 2, "window_days": 90, "cooldown_days": 180}),
        200,
    )
    .await;
    app.clock.advance(Duration::days(181));
    let e = app.case_id(&cust, "Fall Emil").await;
    let f = app.case_id(&cust, "Fall Friedrich").await;
    resolve(&app, &f).await;
    resolve(&app, &e).await;
    answer(&app, &survey_of(&sink, "Fall Emil").await, "5").await;
    let list = offers(&app).await;
    assert_eq!(list["offered"], 2, "{list}");
    assert_eq!(list["offers"][0]["to_tier"], "enterprise");
}

async fn eight_concurrent_answers_one_offer(b: Backend) {
    let sink = SmtpSink::start().await;
    let app = app_with_smtp(b, &sink).await;
    let cust = app.customer("CRM-8", "en", "standard").await;
    let mut paths = Vec::new();
    let mut cases = Vec::new();
    for i in 0..8 {
        cases.push(app.case_id(&cust, &format!("Parcel number {i}")).await);
    }
    for c in &cases {
        resolve(&app, c).await;
    }
    for i in 0..8 {
        paths.push(survey_of(&sink, &format!("Parcel number {i}")).await);
    }
    let answers = paths.iter().map(|p| submit(&app.client, &app, p, &[("score", "5")]));
    for res in futures_util::future::join_all(answers).await {
        assert_eq!(res.status(), 200);
    }
    let list = offers(&app).await;
    assert_eq!(list["offered"], 1, "exactly one offer: {list}");
    let mail = crate::support::wait_for(30, "offer mail", || async { offer_mails(&sink).into_iter().next() }).await;
    assert!(mail.contains("An offer for you: Premium"), "English: {mail}");
    app.clock.advance(Duration::seconds(5));
    assert_eq!(offer_mails(&sink).len(), 1, "one mail");
}

crate::both_backends!(
    settings_roles_and_validation,
    offer_only_at_the_good_moment,
    eight_concurrent_answers_one_offer,
);
