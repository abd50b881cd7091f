//! Feedback joins an open case only when it belongs there (issue 17): an
//! unrelated complaint opens its own case, a related one attaches with its
//! reason, a reference always attaches; the attach window; split and merge
//! through the API and the pages; both under concurrency, on both backends.

use crate::support::{Backend, TestApp, csrf_of, html_of, post_form};
use futures_util::future::join_all;
use serde_json::{Value, json};

const PARCEL: &str = "Das Paket kam beschädigt an, die Lieferung war eine Enttäuschung.";
const PARCEL_AGAIN: &str = "Die Lieferung ist immer noch nicht da, das Paket fehlt.";
const SEARCH: &str = "Die Suche auf der Website findet keine Produkte, die App zeigt nur Fehler.";

/// Posts feedback (rating 2: the default rule "Low rating", attach or open).
async fn feedback(app: &TestApp, customer: &str, text: &str, extra: Value) -> Value {
    let mut body = json!({"customer_id": customer, "channel": "widget", "rating": 2, "text": text});
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        b.extend(e.clone());
    }
    app.post_json("/api/v1/feedback", &app.admin_token, body, 201).await
}

fn case_of(f: &Value) -> String {
    f["case_id"]
        .as_str()
        .unwrap_or_else(|| panic!("a case: {f}"))
        .to_string()
}

async fn events(app: &TestApp, case: &str) -> Vec<Value> {
    let v = app
        .get_json(&format!("/api/v1/cases/{case}/events"), &app.admin_token)
        .await;
    v.as_array()
        .cloned()
        .or_else(|| v["items"].as_array().cloned())
        .expect("events")
}

/// The `attach` data of the message of feedback `f` on its case.
async fn attach_reason(app: &TestApp, f: &Value) -> Value {
    let evs = events(app, &case_of(f)).await;
    evs.iter()
        .find(|e| e["kind"] == "message_in" && e["data"]["feedback_id"] == f["id"])
        .map(|e| e["data"]["attach"].clone())
        .unwrap_or_else(|| panic!("message of {f} in {evs:?}"))
}

async fn feedback_joins_an_open_case_only_when_it_belongs_there(b: Backend) {
    let app = TestApp::spawn(b).await;
    let cust = app.customer("ATT-1", "de", "standard").await;
    let parcel = feedback(&app, &cust, PARCEL, json!({})).await;
    assert!(
        parcel["topics"]
            .as_array()
            .expect("topics")
            .contains(&json!("delivery")),
        "{parcel}"
    );
    let a = case_of(&parcel);

    // Another topic: its own case, although the customer has an open one.
    let search = feedback(&app, &cust, SEARCH, json!({})).await;
    assert!(
        !search["topics"]
            .as_array()
            .expect("topics")
            .contains(&json!("delivery")),
        "{search}"
    );
    let s = case_of(&search);
    assert_ne!(s, a, "an unrelated complaint opens its own case");
    assert!(attach_reason(&app, &search).await.is_null());

    // The same topic within the window: attached, with the reason.
    let again = feedback(&app, &cust, PARCEL_AGAIN, json!({})).await;
    assert_eq!(case_of(&again), a);
    assert_eq!(
        attach_reason(&app, &again).await,
        json!({"reason": "topic", "topic": "delivery", "days": 14})
    );

    // A reference in the text or in the field attaches whatever the topic.
    let by_text = feedback(
        &app,
        &cust,
        &format!("Zu Fall #{}: {SEARCH}", &s[s.len() - 8..]),
        json!({}),
    )
    .await;
    assert_eq!(case_of(&by_text), s);
    assert_eq!(attach_reason(&app, &by_text).await, json!({"reason": "reference"}));
    let by_field = feedback(
        &app,
        &cust,
        PARCEL,
        json!({"case_reference": format!("#{}", &s[s.len() - 8..])}),
    )
    .await;
    assert_eq!(case_of(&by_field), s);
    let bad = app
        .post_problem(
            "/api/v1/feedback",
            &app.admin_token,
            json!({"customer_id": cust, "channel": "api", "rating": 2, "text": "x", "case_reference": "#12"}),
            422,
        )
        .await;
    assert_eq!(bad["field"], "case_reference", "{bad}");

    // Window 0: never by topic.
    let agent = app.token_for("agent1", "agent").await;
    assert_eq!(
        app.put("/api/v1/settings/attach-window", &agent, json!({"days": 3}))
            .await
            .status(),
        403,
        "agents may not change it"
    );
    let w = app
        .put_json(
            "/api/v1/settings/attach-window",
            &app.admin_token,
            json!({"days": 0}),
            200,
        )
        .await;
    assert_eq!(w["days"], 0);
    let bad = app
        .put_problem(
            "/api/v1/settings/attach-window",
            &app.admin_token,
            json!({"days": 366}),
            422,
        )
        .await;
    assert_eq!(bad["field"], "days", "{bad}");
    assert_eq!(app.get_json("/api/v1/settings/attach-window", &agent).await["days"], 0);
    let third = feedback(&app, &cust, PARCEL_AGAIN, json!({})).await;
    assert_ne!(case_of(&third), a, "window 0 attaches by reference only");
    let audit = app
        .get_json("/api/v1/audit?entity=detection_settings", &app.admin_token)
        .await;
    assert!(audit.to_string().contains("detection.attach_window.set"), "{audit}");
}

/// A mail reply to a case's thread is attached as a reply.
async fn a_mail_reply_says_it_was_attached_as_reply(b: Backend) {
    let app = TestApp::spawn(b).await;
    let cust = app.customer("ATT-2", "de", "standard").await;
    let f = feedback(&app, &cust, PARCEL, json!({})).await;
    let case = case_of(&f);
    // The mail token of a case is its reference: the last 8 hex digits of its id.
    let subject = format!("Re: Ihr Anliegen [#{}]", &case[case.len() - 8..]);
    let mail = format!(
        "From: Kunde <att-2@example.de>\r\nTo: support@example.com\r\nSubject: {subject}\r\nMessage-ID: <r1@example.de>\r\n\r\nDanke, aber die Suche geht immer noch nicht.\r\n"
    );
    let res = app
        .client
        .post(app.url("/api/v1/mail/inbound"))
        .bearer_auth(&app.admin_token)
        .header("content-type", "message/rfc822")
        .body(mail)
        .send()
        .await
        .expect("mail");
    let out: Value = res.json().await.expect("json");
    assert_eq!(out["case_id"], case.as_str(), "{out}");
    let evs = events(&app, &case).await;
    let reply = evs
        .iter()
        .find(|e| e["kind"] == "message_in" && e["data"]["message_id"] == "r1@example.de")
        .expect("the reply");
    assert_eq!(reply["data"]["attach"], json!({"reason": "reply"}));
}

/// Many related items of one customer at once end in one case.
async fn related_feedback_at_once_ends_in_one_case(b: Backend) {
    let app = TestApp::spawn(b).await;
    let cust = app.customer("ATT-3", "de", "standard").await;
    let sent = (0..12).map(|i| {
        let app = &app;
        let cust = cust.clone();
        async move { feedback(app, &cust, &format!("{PARCEL_AGAIN} ({i})"), json!({})).await }
    });
    let all = join_all(sent).await;
    let mut cases: Vec<String> = all.iter().map(case_of).collect();
    cases.sort();
    cases.dedup();
    assert_eq!(cases.len(), 1, "one case for one topic: {cases:?}");
    let list = app
        .get_json(&format!("/api/v1/cases?customer_id={cust}"), &app.admin_token)
        .await;
    assert_eq!(list["items"].as_array().expect("items").len(), 1, "{list}");
    let msgs = events(&app, &cases[0])
        .await
        .into_iter()
        .filter(|e| e["kind"] == "message_in")
        .count();
    assert_eq!(msgs, 12);
}

async fn a_message_is_split_into_its_own_case(b: Backend) {
    let app = TestApp::spawn(b).await;
    let cust = app.customer("ATT-4", "de", "standard").await;
    let first = feedback(&app, &cust, PARCEL, json!({})).await;
    let case = case_of(&first);
    let second = feedback(&app, &cust, PARCEL_AGAIN, json!({})).await;
    assert_eq!(case_of(&second), case);
    let ev = events(&app, &case)
        .await
        .into_iter()
        .find(|e| e["data"]["feedback_id"] == second["id"])
        .expect("message");
    let ev_id = ev["id"].as_str().expect("id");
    let agent = app.token_for("agent1", "agent").await;
    let new = app
        .post_json(
            &format!("/api/v1/cases/{case}/messages/{ev_id}/split"),
            &agent,
            json!(null),
            201,
        )
        .await;
    let new_id = new["id"].as_str().expect("id").to_string();
    assert_ne!(new_id, case);
    assert_eq!(new["customer"]["id"], cust.as_str());
    assert_eq!(new["priority"], "normal");
    assert_eq!(new["state"], "new");
    let moved = events(&app, &new_id).await;
    assert!(
        moved.iter().any(|e| e["id"] == ev["id"]),
        "the message moved: {moved:?}"
    );
    let from = moved
        .iter()
        .find(|e| e["kind"] == "split")
        .expect("split entry on the new case");
    assert_eq!(from["data"]["from"], case.as_str());
    let left = events(&app, &case).await;
    assert!(!left.iter().any(|e| e["id"] == ev["id"]));
    let to = left
        .iter()
        .find(|e| e["kind"] == "split")
        .expect("split entry on the old case");
    assert_eq!(to["data"]["to"], new_id.as_str());
    let f = app
        .get_json(
            &format!("/api/v1/feedback/{}", second["id"].as_str().expect("id")),
            &agent,
        )
        .await;
    assert_eq!(f["case_id"], new_id.as_str(), "the feedback link moved");
    // Splitting again from the old case: it is not there any more.
    let gone = app
        .post_problem(
            &format!("/api/v1/cases/{case}/messages/{ev_id}/split"),
            &agent,
            json!(null),
            404,
        )
        .await;
    assert!(gone["detail"].as_str().is_some(), "{gone}");
    // A note is no customer message.
    let note = app
        .post_json(
            &format!("/api/v1/cases/{case}/notes"),
            &agent,
            json!({"body": "intern"}),
            201,
        )
        .await;
    app.post_problem(
        &format!(
            "/api/v1/cases/{case}/messages/{}/split",
            note["id"].as_str().expect("id")
        ),
        &agent,
        json!(null),
        409,
    )
    .await;
    let audit = app.get_json("/api/v1/audit?entity=case", &app.admin_token).await;
    assert!(audit.to_string().contains("case.split"), "{audit}");
}

async fn two_cases_are_merged(b: Backend) {
    let app = TestApp::spawn(b).await;
    let cust = app.customer("ATT-5", "de", "standard").await;
    let other = app.customer("ATT-6", "de", "standard").await;
    let target = case_of(&feedback(&app, &cust, PARCEL, json!({})).await);
    let source_f = feedback(&app, &cust, SEARCH, json!({})).await;
    let source = case_of(&source_f);
    assert_ne!(source, target);
    let tok = app.token_for("agent1", "agent").await;
    app.post_json(
        &format!("/api/v1/cases/{source}/notes"),
        &tok,
        json!({"body": "Notiz B"}),
        201,
    )
    .await;
    let foreign = app.case_id(&other, "Fremd").await;
    let merge = |t: &str| format!("/api/v1/cases/{t}/merge");
    let p = app
        .post_problem(&merge(&target), &tok, json!({"source_case_id": target}), 422)
        .await;
    assert_eq!(p["field"], "source_case_id");
    let p = app
        .post_problem(&merge(&target), &tok, json!({"source_case_id": foreign}), 422)
        .await;
    assert!(p["detail"].as_str().expect("detail").contains("same customer"), "{p}");

    let out = app
        .post_json(&merge(&target), &tok, json!({"source_case_id": source}), 200)
        .await;
    assert_eq!(out["case"]["id"], target.as_str());
    assert_eq!(out["feedback_moved"], 1);
    let src = app.get_json(&format!("/api/v1/cases/{source}"), &tok).await;
    assert_eq!(src["state"], "closed");
    assert_eq!(src["merged_into"], target.as_str());
    let t_events = events(&app, &target).await;
    assert!(t_events.iter().any(|e| e["body"] == "Notiz B"), "the note moved");
    let ids: Vec<&str> = t_events.iter().map(|e| e["id"].as_str().expect("id")).collect();
    let mut sorted = ids.clone();
    sorted.sort_unstable();
    assert_eq!(ids, sorted, "the timeline stays in time order");
    assert!(
        t_events
            .iter()
            .any(|e| e["kind"] == "merge" && e["data"]["from"] == source.as_str())
    );
    let s_events = events(&app, &source).await;
    assert_eq!(s_events.len(), 1, "only the merge entry is left: {s_events:?}");
    assert_eq!(s_events[0]["data"]["into"], target.as_str());
    let f = app
        .get_json(
            &format!("/api/v1/feedback/{}", source_f["id"].as_str().expect("id")),
            &tok,
        )
        .await;
    assert_eq!(f["case_id"], target.as_str());
    // The source is closed now: neither way again.
    app.post_problem(&merge(&source), &tok, json!({"source_case_id": target}), 409)
        .await;
    app.post_problem(&merge(&target), &tok, json!({"source_case_id": source}), 409)
        .await;
    let audit = app.get_json("/api/v1/audit?entity=case", &app.admin_token).await;
    assert!(audit.to_string().contains("case.merge"), "{audit}");
}

/// A into B and B into A at once: one wins, the other is refused, and no
/// timeline entry is lost.
async fn merging_both_ways_at_once_loses_nothing(b: Backend) {
    let app = TestApp::spawn(b).await;
    let cust = app.customer("ATT-7", "de", "standard").await;
    for round in 0..4 {
        let a = app.case_id(&cust, &format!("A{round}")).await;
        let bb = app.case_id(&cust, &format!("B{round}")).await;
        for (c, n) in [(&a, "note A"), (&bb, "note B")] {
            app.post_json(
                &format!("/api/v1/cases/{c}/notes"),
                &app.admin_token,
                json!({"body": n}),
                201,
            )
            .await;
        }
        let before = events(&app, &a).await.len() + events(&app, &bb).await.len();
        let (into_a, into_b) = (format!("/api/v1/cases/{a}/merge"), format!("/api/v1/cases/{bb}/merge"));
        let (x, y) = tokio::join!(
            app.post(&into_a, &app.admin_token, json!({"source_case_id": bb})),
            app.post(&into_b, &app.admin_token, json!({"source_case_id": a})),
        );
        let mut statuses = [x.status().as_u16(), y.status().as_u16()];
        statuses.sort_unstable();
        assert_eq!(statuses, [200, 409], "round {round}");
        let (ea, eb) = (events(&app, &a).await, events(&app, &bb).await);
        let (survivor, merged) = if ea.len() > eb.len() { (ea, eb) } else { (eb, ea) };
        assert_eq!(merged.len(), 1, "only the merge entry is left");
        assert_eq!(
            survivor.len() + merged.len(),
            before + 2,
            "two merge entries, nothing lost"
        );
        let text = serde_json::to_string(&survivor).expect("json");
        assert!(text.contains("note A") && text.contains("note B"));
    }
}

/// The pages: the attach reason in words, split and merge through forms
/// with confirmations, the attach window with its field error, in German.
async fn split_and_merge_from_the_case_page(b: Backend) {
    let app = TestApp::spawn(b).await;
    let cust = app.customer("ATT-8", "de", "standard").await;
    let first = feedback(&app, &cust, PARCEL, json!({})).await;
    let a = case_of(&first);
    let second = feedback(&app, &cust, PARCEL_AGAIN, json!({})).await;
    let client = app.signed_in("admin").await;
    let page = html_of(&client, &app, &format!("/cases/{a}")).await;
    assert!(
        page.contains("Angehängt: gleiches Thema „Lieferung“ innerhalb von 14 Tagen"),
        "{page}"
    );
    let csrf = csrf_of(&page);
    let ev = events(&app, &a)
        .await
        .into_iter()
        .find(|e| e["data"]["feedback_id"] == second["id"])
        .expect("message");
    let (status, _) = post_form(
        &client,
        &app,
        &format!("/cases/{a}/messages/{}/split", ev["id"].as_str().expect("id")),
        &[("csrf", csrf.as_str())],
    )
    .await;
    assert_eq!(status, 303);
    let f = app
        .get_json(
            &format!("/api/v1/feedback/{}", second["id"].as_str().expect("id")),
            &app.admin_token,
        )
        .await;
    let split = f["case_id"].as_str().expect("case").to_string();
    assert_ne!(split, a);

    // Merge the split case back into A: a wrong reference, then the
    // confirmation, then the merge.
    let merge = format!("/cases/{split}/merge");
    let (status, html) = post_form(
        &client,
        &app,
        &merge,
        &[("csrf", csrf.as_str()), ("reference", "#00000000")],
    )
    .await;
    assert_eq!(status, 422);
    assert!(html.contains("Kein Fall dieser Kund:in hat diese Referenz"), "{html}");
    let reference = format!("#{}", &a[a.len() - 8..]);
    let (status, html) = post_form(
        &client,
        &app,
        &merge,
        &[("csrf", csrf.as_str()), ("reference", &reference)],
    )
    .await;
    assert_eq!(status, 200);
    assert!(html.contains("data-testid=\"merge-confirm\""), "{html}");
    let (status, _) = post_form(
        &client,
        &app,
        &merge,
        &[("csrf", csrf.as_str()), ("reference", &reference), ("confirm", "yes")],
    )
    .await;
    assert_eq!(status, 303);
    let src = app.get_json(&format!("/api/v1/cases/{split}"), &app.admin_token).await;
    assert_eq!(src["merged_into"], a.as_str());
    let page = html_of(&client, &app, &format!("/cases/{split}")).await;
    assert!(page.contains("data-testid=\"merged-into\""), "{page}");

    // The attach window on the rules page.
    let (status, html) = post_form(
        &client,
        &app,
        "/settings/attach-window",
        &[("csrf", csrf.as_str()), ("days", "vierzehn")],
    )
    .await;
    assert_eq!(status, 422);
    assert!(
        html.contains("Bitte die Tage als ganze Zahl von 0 bis 365 angeben."),
        "{html}"
    );
    let (status, _) = post_form(
        &client,
        &app,
        "/settings/attach-window",
        &[("csrf", csrf.as_str()), ("days", "30")],
    )
    .await;
    assert_eq!(status, 303);
    assert_eq!(
        app.get_json("/api/v1/settings/attach-window", &app.admin_token).await["days"],
        30
    );
}

crate::both_backends!(
    feedback_joins_an_open_case_only_when_it_belongs_there,
    a_mail_reply_says_it_was_attached_as_reply,
    related_feedback_at_once_ends_in_one_case,
    a_message_is_split_into_its_own_case,
    two_cases_are_merged,
    merging_both_ways_at_once_loses_nothing,
    split_and_merge_from_the_case_page,
);
