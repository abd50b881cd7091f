//! Routing of new cases (issue 5): profiles and the switch over the API
//! with validation and roles, the pick by language, tier, skill and load
//! with round-robin among equals, the timeline and audit entries, the
//! paths that route (API, feedback) and the one that does not (incident
//! fan-out), concurrent creation, and Settings → Users in the UI.

use crate::support::{Backend, TestApp, create_user, csrf_of, html_of, post_form, problem, submit};
use serde_json::{Value, json};

async fn json_of(res: reqwest::Response) -> Value {
    res.json().await.expect("json")
}

/// Creates a case as the admin (no assignee) and returns it.
async fn case_for(app: &TestApp, customer: &str, subject: &str) -> Value {
    app.case(customer, subject).await
}

fn assignee(case: &Value) -> Option<String> {
    case["assignee"]["id"].as_str().map(str::to_string)
}

async fn routing_event(app: &TestApp, case_id: &str) -> Option<Value> {
    let events = json_of(
        app.get(&format!("/api/v1/cases/{case_id}/events"), &app.admin_token)
            .await,
    )
    .await;
    events
        .as_array()
        .expect("array")
        .iter()
        .find(|e| e["kind"] == "assignment" && !e["data"]["routing"].is_null())
        .cloned()
}

async fn profiles_pick_and_paths(b: Backend) {
    let app = TestApp::spawn(b).await;
    let anna = create_user(&app.store, "anna", "agent").await.to_string();
    let ben = create_user(&app.store, "ben", "agent").await.to_string();
    let emma = create_user(&app.store, "emma", "agent").await.to_string();
    let agent = app.token_for("agent1", "agent").await;
    let lead = app.token_for("lead1", "lead").await;

    // Leads read, agents do not; off by default, nobody has a profile.
    app.get_problem("/api/v1/routing", &agent, 403).await;
    let r = json_of(app.get("/api/v1/routing", &lead).await).await;
    assert_eq!(r["enabled"], false);
    assert!(r["skills"].as_array().expect("skills").iter().any(|s| s == "billing"));
    assert!(
        r["agents"]
            .as_array()
            .expect("agents")
            .iter()
            .all(|a| a["profile"].is_null())
    );

    // Bad input names the field; only admins set profiles.
    let path = |u: &str| format!("/api/v1/routing/agents/{u}");
    let good = json!({"languages": ["de"], "skills": ["billing"], "available": true, "max_open": 2});
    problem(app.put(&path(&anna), &lead, good.clone()).await, 403).await;
    for (body, field) in [
        (
            json!({"languages": ["fr"], "available": true, "max_open": 2}),
            "languages",
        ),
        (json!({"languages": [], "available": true, "max_open": 2}), "languages"),
        (
            json!({"languages": ["de"], "skills": ["cooking"], "available": true, "max_open": 2}),
            "skills",
        ),
        (
            json!({"languages": ["de"], "tiers": ["gold"], "available": true, "max_open": 2}),
            "tiers",
        ),
        (
            json!({"languages": ["de"], "available": true, "max_open": 0}),
            "max_open",
        ),
        (
            json!({"languages": ["de"], "available": true, "max_open": 2, "colour": "red"}),
            "colour",
        ),
    ] {
        let p = problem(app.put(&path(&anna), &app.admin_token, body).await, 422).await;
        assert_eq!(p["field"], field, "{p}");
    }
    problem(
        app.put(
            &path("0194a000-0000-7000-8000-00000000dead"),
            &app.admin_token,
            good.clone(),
        )
        .await,
        404,
    )
    .await;
    // anna: German, billing, at most 2; ben: German and English, no skills;
    // emma: English, premium only.
    let a = json_of(app.put(&path(&anna), &app.admin_token, good).await).await;
    assert_eq!(a["profile"]["skills"], json!(["billing"]));
    assert_eq!(a["profile"]["tiers"], Value::Null);
    app.put(
        &path(&ben),
        &app.admin_token,
        json!({"languages": ["en", "de"], "available": true, "max_open": 10}),
    )
    .await;
    let e = json_of(
        app.put(
            &path(&emma),
            &app.admin_token,
            json!({"languages": ["en"], "tiers": ["premium"], "available": true, "max_open": 10}),
        )
        .await,
    )
    .await;
    assert_eq!(e["profile"]["tiers"], json!(["premium"]));
    let got = json_of(app.get(&path(&emma), &lead).await).await;
    assert_eq!(got["profile"]["languages"], json!(["en"]));

    // Off: a new case stays unassigned.
    let de = app.customer("CRM-DE", "de", "standard").await;
    let c = case_for(&app, &de, "Rechnung doppelt abgebucht").await;
    assert_eq!(assignee(&c), None);
    assert!(routing_event(&app, c["id"].as_str().expect("id")).await.is_none());

    // On (admins only).
    problem(app.put("/api/v1/routing", &lead, json!({"enabled": true})).await, 403).await;
    let r = json_of(
        app.put("/api/v1/routing", &app.admin_token, json!({"enabled": true}))
            .await,
    )
    .await;
    assert_eq!(r["enabled"], true);

    // A billing case goes to anna (skill), with the reason on the timeline.
    let c1 = case_for(&app, &de, "Rechnung doppelt abgebucht").await;
    assert_eq!(assignee(&c1).as_deref(), Some(anna.as_str()));
    let c1_id = c1["id"].as_str().expect("id");
    let ev = routing_event(&app, c1_id).await.expect("routing event");
    assert!(ev["author"].is_null(), "assigned by routing, not a person");
    assert_eq!(ev["data"]["to"], "anna (test)");
    assert_eq!(ev["data"]["routing"]["skills"], json!(["billing"]));
    assert_eq!(ev["data"]["routing"]["language"], "de");
    assert_eq!(ev["data"]["routing"]["open_load"], 0);
    assert!(
        ev["data"]["explanation"]
            .as_str()
            .expect("text")
            .contains("skills billing")
    );
    let audit = json_of(
        app.get(&format!("/api/v1/audit?entity=case&entity_id={c1_id}"), &lead)
            .await,
    )
    .await;
    assert!(
        audit
            .as_array()
            .expect("audit")
            .iter()
            .any(|a| a["action"] == "case.route"),
        "{audit}"
    );

    // No matching skill: the least loaded (ben has none, anna one).
    let c2 = case_for(&app, &de, "Paket nicht angekommen").await;
    assert_eq!(assignee(&c2).as_deref(), Some(ben.as_str()));
    // Equal loads (1 and 1): round-robin after ben → anna.
    let c3 = case_for(&app, &de, "Allgemeine Frage").await;
    assert_eq!(assignee(&c3).as_deref(), Some(anna.as_str()));
    let ev = routing_event(&app, c3["id"].as_str().expect("id"))
        .await
        .expect("event");
    assert_eq!(ev["data"]["routing"]["tied"], 2);
    // anna is full (2 of 2): billing goes to ben now.
    let c4 = case_for(&app, &de, "Rechnung falsch").await;
    assert_eq!(assignee(&c4).as_deref(), Some(ben.as_str()));
    // English premium: emma (ben has 2 open, emma none).
    let en_premium = app.customer("CRM-ENP", "en", "premium").await;
    let c5 = case_for(&app, &en_premium, "Late delivery").await;
    assert_eq!(assignee(&c5).as_deref(), Some(emma.as_str()));
    let ev = routing_event(&app, c5["id"].as_str().expect("id"))
        .await
        .expect("event");
    assert_eq!(ev["data"]["routing"]["tier"], "premium");
    // Closing a case frees capacity: anna takes billing again.
    for to in ["in_progress", "resolved"] {
        app.post_expect(
            &format!("/api/v1/cases/{c1_id}/transitions"),
            &app.admin_token,
            json!({"to": to}),
            200,
        )
        .await;
    }
    let c6 = case_for(&app, &de, "Lastschrift doppelt").await;
    assert_eq!(assignee(&c6).as_deref(), Some(anna.as_str()));
    // An explicit assignee is kept; routing stays out of it.
    let res = app
        .post(
            "/api/v1/cases",
            &app.admin_token,
            json!({"customer_id": de, "subject": "Rechnung", "channel": "email", "assignee_id": emma}),
        )
        .await;
    let c7 = json_of(res).await;
    assert_eq!(assignee(&c7).as_deref(), Some(emma.as_str()));
    assert!(routing_event(&app, c7["id"].as_str().expect("id")).await.is_none());

    // Nobody eligible (English standard: ben away, emma premium only): unassigned.
    app.put(
        &path(&ben),
        &app.admin_token,
        json!({"languages": ["en", "de"], "available": false, "max_open": 10}),
    )
    .await;
    let en = app.customer("CRM-EN", "en", "standard").await;
    let c8 = case_for(&app, &en, "Question").await;
    assert_eq!(assignee(&c8), None);
    let unassigned = json_of(app.get("/api/v1/cases?assignee=none&state=open", &agent).await).await;
    assert!(
        unassigned["items"]
            .as_array()
            .expect("items")
            .iter()
            .any(|c| c["id"] == c8["id"]),
        "in the unassigned view"
    );

    // Feedback that opens a case is routed too (anna gets room for it).
    app.put(
        &path(&anna),
        &app.admin_token,
        json!({"languages": ["de"], "skills": ["billing"], "available": true, "max_open": 10}),
    )
    .await;
    let res = app
        .post_expect(
            "/api/v1/feedback",
            &agent,
            json!({"customer_email": "neu@example.de", "channel": "email", "rating": 1, "language": "de",
                "text": "Die Rechnung ist falsch, zweimal abgebucht!"}),
            201,
        )
        .await;
    let f = json_of(res).await;
    let fc = f["case_id"].as_str().expect("feedback opened a case");
    let fcase = json_of(app.get(&format!("/api/v1/cases/{fc}"), &agent).await).await;
    assert_eq!(assignee(&fcase).as_deref(), Some(anna.as_str()), "billing skill");
    assert!(routing_event(&app, fc).await.is_some());

    // So is email in (it becomes feedback, and a rule opens the case).
    let mail = "From: Erika <erika@example.de>\r\nTo: service@amends.example\r\nSubject: Lieferung kaputt\r\n\
        Message-ID: <route-1@mail.example>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\
        Die Lieferung kam zwei Wochen zu sp\u{e4}t und die Vase war kaputt. Das ist eine Frechheit, ich k\u{fc}ndige mein Abo!\r\n";
    let res = app
        .client
        .post(app.url("/api/v1/mail/inbound"))
        .bearer_auth(&app.admin_token)
        .header("content-type", "message/rfc822")
        .body(mail)
        .send()
        .await
        .expect("mail");
    let out = json_of(res).await;
    let mc = out["case_id"].as_str().expect("the mail opened a case");
    let mcase = json_of(app.get(&format!("/api/v1/cases/{mc}"), &agent).await).await;
    assert_eq!(
        assignee(&mcase).as_deref(),
        Some(anna.as_str()),
        "the only German agent available"
    );
    assert!(routing_event(&app, mc).await.is_some());

    // Incident fan-out opens cases in bulk: not routed.
    app.put(
        &path(&ben),
        &app.admin_token,
        json!({"languages": ["en", "de"], "available": true, "max_open": 100}),
    )
    .await;
    let inc = json_of(
        app.post(
            "/api/v1/incidents",
            &lead,
            json!({"kind": "delay", "title": "Verspätung", "severity": 2, "started_at": "2026-11-23T06:00:00Z"}),
        )
        .await,
    )
    .await;
    let inc_id = inc["id"].as_str().expect("id");
    let cust_inc = app.customer("CRM-INC", "de", "standard").await;
    let res = app
        .post(
            &format!("/api/v1/incidents/{inc_id}/affected"),
            &lead,
            json!([{"customer_external_id": "CRM-INC", "facts": {"delay_minutes": 30}}]),
        )
        .await;
    assert!(res.status().is_success(), "{}", res.status());
    let cases = crate::support::wait_for(10, "incident case", || async {
        let v = json_of(app.get(&format!("/api/v1/cases?customer_id={cust_inc}"), &agent).await).await;
        let items = v["items"].as_array().cloned().unwrap_or_default();
        (!items.is_empty()).then_some(items)
    })
    .await;
    assert_eq!(cases[0]["origin"], "incident");
    assert!(cases[0]["assignee"].is_null(), "incident cases are not routed");
}

/// Cases created at the same time spread evenly: each routing step sees
/// the loads the others committed (one routing row serialises them).
async fn concurrent_cases_spread_evenly(b: Backend) {
    let app = TestApp::spawn(b).await;
    let mut ids = Vec::new();
    for name in ["a1", "a2", "a3"] {
        let id = create_user(&app.store, name, "agent").await.to_string();
        let res = app
            .put(
                &format!("/api/v1/routing/agents/{id}"),
                &app.admin_token,
                json!({"languages": ["de"], "available": true, "max_open": 50}),
            )
            .await;
        assert_eq!(res.status(), 200);
        ids.push(id);
    }
    app.put("/api/v1/routing", &app.admin_token, json!({"enabled": true}))
        .await;
    let cust = app.customer("CRM-C", "de", "standard").await;
    let mut tasks = Vec::new();
    for i in 0..9 {
        let (client, url, token, cust) = (
            app.client.clone(),
            app.url("/api/v1/cases"),
            app.admin_token.clone(),
            cust.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let res = client
                .post(url)
                .bearer_auth(token)
                .json(&json!({"customer_id": cust, "subject": format!("Fall {i}"), "channel": "email"}))
                .send()
                .await
                .expect("post");
            assert_eq!(res.status(), 201);
            res.json::<Value>().await.expect("json")
        }));
    }
    let mut per: std::collections::BTreeMap<String, usize> = std::collections::BTreeMap::new();
    for t in tasks {
        let c = t.await.expect("task");
        *per.entry(assignee(&c).expect("routed")).or_default() += 1;
    }
    assert_eq!(per.len(), 3, "{per:?}");
    assert!(per.values().all(|n| *n == 3), "{per:?}");
    let r = json_of(app.get("/api/v1/routing", &app.admin_token).await).await;
    let loads: Vec<i64> = r["agents"]
        .as_array()
        .expect("agents")
        .iter()
        .filter(|a| ids.iter().any(|id| a["user_id"] == id.as_str()))
        .map(|a| a["open_load"].as_i64().expect("load"))
        .collect();
    assert_eq!(loads, vec![3, 3, 3]);
    assert!(r["last_user_id"].is_string());
}

async fn settings_page_and_case_timeline(b: Backend) {
    let app = TestApp::spawn(b).await;
    let anna = create_user(&app.store, "anna", "agent").await.to_string();
    let admin = app.signed_in("admin").await;
    let agent = app.signed_in("anna").await;

    // Agents may not open the page or the form, nor post.
    let res = agent.get(app.url("/settings/users")).send().await.expect("get");
    assert_eq!(res.status(), 403);
    let res = agent
        .get(app.url(&format!("/settings/users/{anna}/routing")))
        .send()
        .await
        .expect("get");
    assert_eq!(res.status(), 403);

    // The users page lists everyone's routing and the switch.
    let html = html_of(&admin, &app, "/settings/users").await;
    assert!(html.contains("Verteilung neuer Fälle"), "German page");
    assert!(html.contains("Die Verteilung ist ausgeschaltet"));
    assert!(html.contains(&format!("/settings/users/{anna}/routing")));
    let csrf = csrf_of(&html);
    assert_eq!(
        post_form(
            &agent,
            &app,
            "/settings/routing",
            &[("csrf", csrf.as_str()), ("enabled", "true")]
        )
        .await
        .0,
        403
    );
    assert_eq!(
        post_form(
            &admin,
            &app,
            "/settings/routing",
            &[("csrf", csrf.as_str()), ("enabled", "true")]
        )
        .await
        .0,
        303
    );

    // The form: errors next to the field, input kept.
    let form_path = format!("/settings/users/{anna}/routing");
    let html = html_of(&admin, &app, &form_path).await;
    assert!(
        html.contains("name=\"languages\" value=\"de\" checked"),
        "user's language preset: {html}"
    );
    let res = submit(
        &admin,
        &app,
        &form_path,
        &[
            ("csrf", csrf.as_str()),
            ("skills", "billing"),
            ("tiers_mode", "all"),
            ("max_open", "zwei"),
        ],
    )
    .await;
    assert_eq!(res.status(), 422);
    let html = res.text().await.expect("html");
    assert!(
        html.contains("id=\"max_open-error\""),
        "max_open error next to the field"
    );
    assert!(html.contains("name=\"skills\" value=\"billing\" checked"), "input kept");
    let res = submit(
        &admin,
        &app,
        &form_path,
        &[("csrf", csrf.as_str()), ("tiers_mode", "all"), ("max_open", "3")],
    )
    .await;
    assert_eq!(res.status(), 422);
    let html = res.text().await.expect("html");
    assert!(html.contains("id=\"languages-error\""), "languages error");
    assert!(html.contains("Wählen Sie mindestens eine Sprache."));
    assert_eq!(
        post_form(
            &admin,
            &app,
            &form_path,
            &[
                ("csrf", csrf.as_str()),
                ("languages", "de"),
                ("skills", "billing"),
                ("skills", "delivery"),
                ("tiers_mode", "some"),
                ("tiers", "standard"),
                ("tiers", "premium"),
                ("available", "on"),
                ("max_open", "3"),
            ]
        )
        .await
        .0,
        303
    );
    let a = json_of(
        app.get(&format!("/api/v1/routing/agents/{anna}"), &app.admin_token)
            .await,
    )
    .await;
    assert_eq!(a["profile"]["skills"], json!(["billing", "delivery"]));
    assert_eq!(a["profile"]["tiers"], json!(["standard", "premium"]));
    assert_eq!(a["profile"]["available"], true);
    assert_eq!(a["profile"]["max_open"], 3);

    // The new-case form offers routing (preselected while it is on).
    let html = html_of(&admin, &app, "/cases/new").await;
    assert!(
        html.contains("<option value=\"routing\" selected>"),
        "routing preselected"
    );
    app.customer("CRM-FORM", "de", "standard").await;
    // The same case through the new-case form, assigned as `assign` says.
    let new_case = |assign| {
        let form = [
            ("csrf", csrf.as_str()),
            ("customer", "CRM-FORM"),
            ("subject", "Lastschrift doppelt"),
            ("channel", "phone"),
            ("priority", "normal"),
            ("assign", assign),
        ];
        let (admin, app) = (&admin, &app);
        async move { submit(admin, app, "/cases/new", &form).await }
    };
    let res = new_case("routing").await;
    assert_eq!(res.status(), 303);
    let location = res.headers()["location"].to_str().expect("location").to_string();
    let routed = json_of(app.get(&format!("/api/v1{location}"), &app.admin_token).await).await;
    assert_eq!(assignee(&routed).as_deref(), Some(anna.as_str()), "manual form routed");
    // "me" keeps the old behaviour: the creator takes it.
    let res = new_case("me").await;
    let location = res.headers()["location"].to_str().expect("location").to_string();
    let mine = json_of(app.get(&format!("/api/v1{location}"), &app.admin_token).await).await;
    assert_eq!(mine["assignee"]["name"], "admin (test)");

    // A routed case shows who routing chose and why, in German.
    let cust = app.customer("CRM-UI", "de", "standard").await;
    let c = app.case(&cust, "Rechnung doppelt").await;
    assert_eq!(assignee(&c).as_deref(), Some(anna.as_str()));
    let html = html_of(&agent, &app, &format!("/cases/{}", c["id"].as_str().expect("id"))).await;
    let reason = html
        .split("data-testid=\"routing-reason\">")
        .nth(1)
        .and_then(|s| s.split("</span>").next())
        .expect("routing reason");
    assert!(html.contains("durch die Verteilung zugewiesen"));
    assert!(reason.contains("spricht de") && reason.contains("Rechnung"), "{reason}");
}

crate::both_backends!(
    profiles_pick_and_paths,
    concurrent_cases_spread_evenly,
    settings_page_and_case_timeline,
);
