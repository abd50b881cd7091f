//! Self-service answers (issue 20): the widget's article suggestions
//! (ranking, language preference, validation, rate limit), deflection
//! events recorded once under concurrent posts, the deflection report with
//! known answers, and automatic answers to inbound mail (sent, or left out
//! for legal threats and churn risk) — on both backends.

use crate::support::{Backend, SmtpSink, TestApp, get_html, post_form, problem};
use serde_json::{Value, json};

const SHOP: &str = "http://shop.example:8081";

async fn site(app: &TestApp) -> String {
    let v = app
        .post_json(
            "/api/v1/widget-sites",
            &app.admin_token,
            json!({"name": "Shop", "allowed_origins": [SHOP], "language": "de"}),
            201,
        )
        .await;
    v["site_key"].as_str().expect("key").to_string()
}

async fn article(app: &TestApp, title: &str, body: &str, language: &str, public: bool) -> String {
    let v = app
        .post_json(
            "/api/v1/solutions",
            &app.admin_token,
            json!({"title": title, "body": body, "language": language, "public": public}),
            201,
        )
        .await;
    v["id"].as_str().expect("id").to_string()
}

async fn suggest(app: &TestApp, key: &str, query: &str, origin: Option<&str>) -> reqwest::Response {
    let url = format!("{}?key={key}&{}", app.url("/api/v1/public/suggestions"), query);
    let mut req = app.client.get(url);
    if let Some(o) = origin {
        req = req.header("origin", o);
    }
    req.send().await.expect("request")
}

fn titles(v: &Value) -> Vec<(String, String)> {
    v["suggestions"]
        .as_array()
        .expect("suggestions")
        .iter()
        .map(|s| {
            (
                s["title"].as_str().expect("title").to_string(),
                s["language"].as_str().expect("language").to_string(),
            )
        })
        .collect()
}

async fn suggestions_rank_prefer_the_language_and_are_limited(b: Backend) {
    let app = TestApp::spawn(b).await;
    let key = site(&app).await;
    let box_de = article(
        &app,
        "Amends Box einrichten",
        "Stecken Sie die Box ein und warten Sie.",
        "de",
        true,
    )
    .await;
    article(&app, "Set up the Amends Box", "Plug the box in and wait.", "en", true).await;
    article(&app, "Amends Box intern zurücksetzen", "Nur für das Team.", "de", false).await;
    article(
        &app,
        "Lieferung verfolgen",
        "Die Box kommt mit der Post; den Stand sehen Sie im Konto.",
        "de",
        true,
    )
    .await;

    // German first: the title match before the body match; the internal article never.
    let res = suggest(&app, &key, "q=amends+box+einrichten&lang=de", Some(SHOP)).await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.headers()
            .get("access-control-allow-origin")
            .and_then(|v| v.to_str().ok()),
        Some(SHOP)
    );
    let v: Value = res.json().await.expect("json");
    let t = titles(&v);
    assert_eq!(t[0], ("Amends Box einrichten".to_string(), "de".to_string()), "{v}");
    assert_eq!(t[1].0, "Lieferung verfolgen", "{v}");
    assert!(!t.iter().any(|(x, _)| x.contains("intern")), "{v}");
    assert_eq!(v["suggestions"][0]["score"], 1.0);
    assert_eq!(v["suggestions"][0]["confident"], true);
    assert_eq!(v["suggestions"][1]["confident"], false);
    assert!(
        v["suggestions"][0]["url"]
            .as_str()
            .expect("url")
            .ends_with(&format!("/help/articles/{box_de}"))
    );
    // At most three, the visitor's language first, then the other's.
    let v: Value = suggest(&app, &key, "q=amends+box+setup&lang=en", Some(SHOP))
        .await
        .json()
        .await
        .expect("json");
    let t = titles(&v);
    assert_eq!(t[0], ("Set up the Amends Box".to_string(), "en".to_string()), "{v}");
    assert!(t.len() <= 3 && t[1..].iter().all(|(_, l)| l == "de"), "{v}");
    let v: Value = suggest(&app, &key, "q=amends+box+setup&lang=de", Some(SHOP))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(titles(&v)[0].1, "de", "{v}");
    assert_eq!(titles(&v).last().map(|x| x.1.clone()), Some("en".into()), "{v}");

    // The help center's search box asks the same, without a key.
    let v: Value = app
        .get_anonymous("/help/suggest?q=amends+box+einrichten&lang=de")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(titles(&v)[0].0, "Amends Box einrichten", "{v}");
    let (_, help) = get_html(&app.client, &app, "/help?lang=de").await;
    assert!(help.contains("data-testid=\"help-suggestions\"") && help.contains("Vielleicht hilft das:"));

    // Bad input names the field; unknown keys and foreign origins are refused.
    let long = "a".repeat(501);
    let e = problem(suggest(&app, &key, &format!("q={long}"), Some(SHOP)).await, 422).await;
    assert_eq!(e["field"], "q");
    let e = problem(suggest(&app, &key, "q=box&lang=fr", Some(SHOP)).await, 422).await;
    assert_eq!(e["field"], "lang");
    problem(suggest(&app, "pk_unknown", "q=box", Some(SHOP)).await, 404).await;
    problem(suggest(&app, &key, "q=box", Some("https://evil.example")).await, 403).await;

    // Rate limit per client address (the clock stands still: one minute).
    let mut limited = 0;
    for _ in 0..70 {
        if suggest(&app, &key, "q=box", Some(SHOP)).await.status() == 429 {
            limited += 1;
        }
    }
    // 60 per minute; five counted before (two of them 422), so 70 more give 15 refusals.
    assert_eq!(limited, 15);
}

async fn post_event(app: &TestApp, key: &str, body: Value) -> reqwest::Response {
    app.client
        .post(app.url(&format!("/api/v1/public/deflection?key={key}")))
        .header("origin", SHOP)
        .header("content-type", "text/plain")
        .body(body.to_string())
        .send()
        .await
        .expect("request")
}

async fn deflection_events_once_and_the_report(b: Backend) {
    let app = TestApp::spawn(b).await;
    let key = site(&app).await;
    let a = article(
        &app,
        "Passwort zurücksetzen",
        "Klicken Sie auf *Passwort vergessen*.",
        "de",
        true,
    )
    .await;
    let bb = article(&app, "Rechnung herunterladen", "Unter Konto → Rechnungen.", "de", true).await;
    let d = article(&app, "Reset your password", "Click *Forgot password*.", "en", true).await;
    let internal = article(&app, "Intern", "Nur intern.", "de", false).await;

    // Ten identical posts at once: one recorded.
    let posts = (0..10).map(|_| {
        post_event(
            &app,
            &key,
            json!({"session": "session0001", "event": "suggested", "article_id": a, "lang": "de"}),
        )
    });
    let statuses: Vec<u16> = futures_util::future::join_all(posts)
        .await
        .iter()
        .map(|r| r.status().as_u16())
        .collect();
    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 1, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 9, "{statuses:?}");

    let ev = |s: &str, e: &str, id: &str, l: &str| json!({"session": s, "event": e, "article_id": id, "lang": l});
    for body in [
        // s1: shown A, clicked it, did not send: deflected.
        ev("session0001", "clicked", &a, "de"),
        // s2: shown A, sent anyway.
        ev("session0002", "suggested", &a, "de"),
        ev("session0002", "sent_anyway", &a, "de"),
        // s3: shown A and B, clicked B, then sent: not deflected.
        ev("session0003", "suggested", &a, "de"),
        ev("session0003", "suggested", &bb, "de"),
        ev("session0003", "clicked", &bb, "de"),
        ev("session0003", "sent_anyway", &a, "de"),
        ev("session0003", "sent_anyway", &bb, "de"),
        // s4 (English): shown D, left saying it helped: deflected.
        ev("session0004", "suggested", &d, "en"),
        ev("session0004", "resolved_without_sending", &d, "en"),
    ] {
        assert_eq!(post_event(&app, &key, body.clone()).await.status(), 201, "{body}");
    }
    for (body, field) in [
        (ev("session0001", "opened", &a, "de"), "event"),
        (ev("short", "clicked", &a, "de"), "session"),
        (ev("session0001", "clicked", "nope", "de"), "article_id"),
        (ev("session0001", "clicked", &internal, "de"), "article_id"),
        (ev("session0001", "clicked", &a, "xx"), "lang"),
    ] {
        let e = problem(post_event(&app, &key, body).await, 422).await;
        assert_eq!(e["field"], field);
    }

    let agent = app.token_for("agent1", "agent").await;
    app.get_problem("/api/v1/analytics/deflection", &agent, 403).await;
    let e = app
        .get_problem("/api/v1/analytics/deflection?days=0", &app.admin_token, 422)
        .await;
    assert_eq!(e["field"], "days");
    let r = app
        .get_json("/api/v1/analytics/deflection?days=7", &app.admin_token)
        .await;
    let t = &r["total"];
    assert_eq!(
        (&t["suggested"], &t["clicked"], &t["sent_anyway"], &t["deflected"]),
        (&json!(4), &json!(2), &json!(2), &json!(2)),
        "{r}"
    );
    assert_eq!(t["rate"], 0.5);
    // Wilson 95 % for 2 of 4 (statsmodels proportion_confint method="wilson"): 0.1500, 0.8500.
    assert!((t["rate_low"].as_f64().expect("low") - 0.1500).abs() < 1e-4, "{t}");
    assert!((t["rate_high"].as_f64().expect("high") - 0.8500).abs() < 1e-4, "{t}");
    let langs = r["per_language"].as_array().expect("languages");
    assert_eq!(langs[0]["language"], "de");
    assert_eq!((&langs[0]["suggested"], &langs[0]["deflected"]), (&json!(3), &json!(1)));
    assert_eq!((&langs[1]["suggested"], &langs[1]["deflected"]), (&json!(1), &json!(1)));
    let first = &r["per_article"][0];
    assert_eq!(first["title"], "Passwort zurücksetzen");
    assert_eq!(
        (
            &first["suggested"],
            &first["clicked"],
            &first["sent_anyway"],
            &first["deflected"]
        ),
        (&json!(3), &json!(1), &json!(2), &json!(1)),
        "{first}"
    );

    // The page, numbers in the reader's language.
    let _ = app.token_for("lead_de", "lead").await;
    let lead_de = app.signed_in("lead_de").await;
    let (status, html) = get_html(&lead_de, &app, "/analytics/deflection?days=7").await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("Abwendungsquote") && html.contains("50,0"), "German page");
    assert!(html.contains("data-value=\"2\""));
    // Leads see the auto-answer setting; only admins change it (CSRF-checked form).
    assert!(html.contains("data-testid=\"auto-answer\"") && !html.contains("action=\"/settings/auto-answer\""));
    let csrf = crate::support::csrf_of(&html);
    let (status, _) = post_form(
        &lead_de,
        &app,
        "/settings/auto-answer",
        &[
            ("csrf", &csrf),
            ("enabled_de", "on"),
            ("threshold_de", "80"),
            ("threshold_en", "70"),
        ],
    )
    .await;
    assert_eq!(status, 403);
    let admin = app.signed_in("admin").await;
    let (_, html) = get_html(&admin, &app, "/analytics/deflection").await;
    let csrf = crate::support::csrf_of(&html);
    let (status, html) = post_form(
        &admin,
        &app,
        "/settings/auto-answer",
        &[
            ("csrf", &csrf),
            ("enabled_de", "on"),
            ("threshold_de", "180"),
            ("threshold_en", "70"),
        ],
    )
    .await;
    assert_eq!(status, 422);
    assert!(html.contains("ganze Zahl von 0 bis 100"), "German error");
    let res = crate::support::submit(
        &admin,
        &app,
        "/settings/auto-answer",
        &[
            ("csrf", &csrf),
            ("enabled_de", "on"),
            ("threshold_de", "80"),
            ("threshold_en", "70"),
        ],
    )
    .await;
    assert_eq!(res.status(), 303);
    let s = app.get_json("/api/v1/settings/auto-answer", &app.admin_token).await;
    assert_eq!(s[0], json!({"language": "de", "enabled": true, "threshold": 0.8}));
    assert_eq!(s[1]["enabled"], false);
    // Without the token nothing changes.
    let res = crate::support::submit(
        &admin,
        &app,
        "/settings/auto-answer",
        &[("threshold_de", "10"), ("threshold_en", "10")],
    )
    .await;
    assert_ne!(res.status(), 303);
}

async fn set_auto_answer(app: &TestApp, token: &str, body: Value, status: u16) -> Value {
    app.put_json("/api/v1/settings/auto-answer", token, body, status).await
}

fn mail(from: &str, id: &str, subject: &str, body: &str) -> Vec<u8> {
    format!(
        "From: <{from}>\r\nTo: service@amends.example\r\nSubject: {subject}\r\nMessage-ID: <{id}>\r\n\
         Date: Mon, 23 Nov 2026 09:00:00 +0100\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    )
    .into_bytes()
}

async fn mail_in(app: &TestApp, raw: Vec<u8>) -> Value {
    let res = app
        .client
        .post(app.url("/api/v1/mail/inbound"))
        .bearer_auth(&app.admin_token)
        .header("content-type", "message/rfc822")
        .body(raw)
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), 200);
    res.json().await.expect("json")
}

async fn purposes(app: &TestApp, case: &str) -> Vec<String> {
    app.get_json(&format!("/api/v1/cases/{case}/events"), &app.admin_token)
        .await
        .as_array()
        .expect("events")
        .iter()
        .filter(|e| e["kind"] == "message_out")
        .filter_map(|e| e["data"]["purpose"].as_str().map(str::to_string))
        .collect()
}

async fn automatic_answers_to_mail(b: Backend) {
    let sink = SmtpSink::start().await;
    let app = TestApp::spawn_with_smtp(b, &sink, |_| {}).await;
    article(
        &app,
        "Passwort zurücksetzen",
        "Klicken Sie bei der Anmeldung auf *Passwort vergessen*.",
        "de",
        true,
    )
    .await;

    // Settings: admins only, validated, audited.
    let lead = app.token_for("lead1", "lead").await;
    app.put_problem(
        "/api/v1/settings/auto-answer",
        &lead,
        json!([{"language": "de", "enabled": true, "threshold": 0.6}]),
        403,
    )
    .await;
    let e = app
        .put_problem(
            "/api/v1/settings/auto-answer",
            &app.admin_token,
            json!([{"language": "de", "enabled": true, "threshold": 1.5}]),
            422,
        )
        .await;
    assert_eq!(e["field"], "[0].threshold");
    let s = set_auto_answer(
        &app,
        &app.admin_token,
        json!([{"language": "de", "enabled": true, "threshold": 0.6}]),
        200,
    )
    .await;
    assert_eq!(
        s,
        json!([{"language": "de", "enabled": true, "threshold": 0.6},
               {"language": "en", "enabled": false, "threshold": 0.7}])
    );
    let audit = app.get_json("/api/v1/audit", &app.admin_token).await;
    assert!(audit.to_string().contains("auto_answer.set"), "{audit}");

    // A plain question: answered with the article, a case opened for an agent.
    let out = mail_in(
        &app,
        mail(
            "anna@example.de",
            "q1@mail.example",
            "Passwort zurücksetzen",
            "Guten Tag, wie kann ich mein Passwort zurücksetzen?",
        ),
    )
    .await;
    let case = out["case_id"].as_str().expect("the case opens").to_string();
    let sent = sink.wait_for(1).await;
    let text = crate::support::decode_qp(&sent[0]);
    assert!(
        text.contains("anna@example.de") && text.contains("/help/articles/"),
        "{text}"
    );
    assert!(crate::support::decode_qp(&sent[0]).contains("Passwort zurücksetzen"));
    assert_eq!(purposes(&app, &case).await, vec!["auto_answer".to_string()]);
    let admin = app.signed_in("admin").await;
    let (_, html) = get_html(&admin, &app, &format!("/cases/{case}")).await;
    assert!(
        html.contains("Automatische Antwort mit Artikeln"),
        "marked on the timeline"
    );
    let c = app.get_json(&format!("/api/v1/cases/{case}"), &app.admin_token).await;
    assert_ne!(c["state"], "resolved", "{c}");

    // Never for a legal threat or a customer about to leave; not in a language that is off.
    for (from, id, body) in [
        (
            "bert@example.de",
            "q2@mail.example",
            "Das Passwort zurücksetzen scheitert seit Tagen. Ich schalte jetzt meinen Anwalt ein.",
        ),
        (
            "carl@example.de",
            "q3@mail.example",
            "Ich kündige mein Abo, das Passwort zurücksetzen scheitert seit Tagen!",
        ),
        (
            "dora@example.com",
            "q4@mail.example",
            "Hello, I cannot reset my password. How do I reset my password?",
        ),
    ] {
        let out = mail_in(&app, mail(from, id, "Passwort zurücksetzen", body)).await;
        if let Some(case) = out["case_id"].as_str() {
            assert!(purposes(&app, case).await.is_empty(), "{from}");
        }
    }
    // Anna answers the automatic answer: it threads onto her case for an
    // agent and is not answered automatically again.
    let answer_id = crate::support::header(&sent[0], "Message-ID")
        .expect("message id")
        .trim()
        .trim_matches(['<', '>'])
        .to_string();
    let reply = format!(
        "From: <anna@example.de>\r\nTo: service@amends.example\r\nSubject: Re: Passwort zur\u{fc}cksetzen\r\n\
         Message-ID: <q5@mail.example>\r\nIn-Reply-To: <{answer_id}>\r\nMIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\r\nDas hat nicht geholfen, wie kann ich mein Passwort zur\u{fc}cksetzen?\r\n"
    );
    let again = mail_in(&app, reply.into_bytes()).await;
    assert_eq!(
        (again["outcome"].as_str(), again["case_id"].as_str()),
        (Some("threaded"), Some(case.as_str())),
        "{again}"
    );
    app.jobs_settled().await;
    assert_eq!(sink.messages().len(), 1, "one automatic answer only");
    assert_eq!(purposes(&app, &case).await, vec!["auto_answer".to_string()]);
}

crate::both_backends!(
    suggestions_rank_prefer_the_language_and_are_limited,
    deflection_events_once_and_the_report,
    automatic_answers_to_mail,
);
