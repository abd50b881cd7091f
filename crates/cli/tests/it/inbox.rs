//! The inbox for triage: views that mean what they say, counts that honour
//! the view and its filters, paging both ways, bulk outcomes, indexed counts.

use crate::support::{Backend, TestApp, TestDb, create_user, csrf_of, get_html, t0};
use amends_web::views::{CaseView, Explicit};
use chrono::Duration;
use serde_json::{Value, json};

/// Creates a case of `tier` and `priority` and returns its id.
async fn case(app: &TestApp, cust: &str, subject: &str, priority: &str) -> String {
    let body = json!({"customer_id": cust, "subject": subject, "channel": "email", "priority": priority});
    let v = app.post_json("/api/v1/cases", &app.admin_token, body, 201).await;
    v["id"].as_str().expect("id").to_string()
}

fn subjects(list: &Value) -> Vec<String> {
    list["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|c| c["subject"].as_str().expect("subject").to_string())
        .collect()
}

/// `t` is `pre`, a whole number, `post`.
fn number_between(t: &str, pre: &str, post: &str) -> bool {
    t.strip_prefix(pre)
        .and_then(|r| r.strip_suffix(post))
        .is_some_and(|n| n.parse::<u32>().is_ok())
}

fn count_of(counts: &Value, view: &str) -> i64 {
    counts
        .as_array()
        .expect("counts")
        .iter()
        .find(|c| c["view"] == view)
        .and_then(|c| c["count"].as_i64())
        .unwrap_or_else(|| panic!("no count for {view}: {counts}"))
}

async fn views_mean_what_they_say(b: Backend) {
    // A warning window of a day: "soon" is due within 24 hours, not yet overdue.
    let app = TestApp::spawn_with(b, |c| c.sla_warn_before = Duration::hours(24)).await;
    let tok = app.admin_token.clone();
    let std_cust = app.customer("CRM-S", "de", "standard").await;
    let prem_cust = app.customer("CRM-P", "de", "premium").await;
    // Resolution due: standard urgent 18 h, premium urgent 12 h, standard normal 72 h.
    case(&app, &std_cust, "Bald fällig", "urgent").await;
    case(&app, &prem_cust, "Schon überfällig", "urgent").await;
    case(&app, &std_cust, "Hat noch Zeit", "normal").await;
    let done = case(&app, &std_cust, "Schon erledigt", "normal").await;
    for to in ["in_progress", "resolved"] {
        app.post_json(
            &format!("/api/v1/cases/{done}/transitions"),
            &tok,
            json!({"to": to}),
            200,
        )
        .await;
    }
    app.clock.advance(Duration::hours(14));

    let list = |q: &str| {
        let path = format!("/api/v1/cases?{q}");
        let (app, tok) = (&app, tok.clone());
        async move { app.get_json(&path, &tok).await }
    };
    assert_eq!(
        subjects(&list("view=open").await),
        ["Schon überfällig", "Bald fällig", "Hat noch Zeit"],
        "open, due first"
    );
    assert_eq!(
        subjects(&list("view=soon").await),
        ["Bald fällig"],
        "not yet overdue, due within the window"
    );
    assert_eq!(subjects(&list("view=overdue").await), ["Schon überfällig"]);
    assert_eq!(subjects(&list("view=premium").await), ["Schon überfällig"]);
    assert_eq!(subjects(&list("view=all").await).len(), 4, "all, closed included");
    assert_eq!(
        subjects(&list("view=all").await)[0],
        "Schon erledigt",
        "all: newest first"
    );
    // A filter narrows a view; an explicit sort overrides the view's.
    assert_eq!(
        subjects(&list("view=open&tier=standard").await),
        ["Bald fällig", "Hat noch Zeit"]
    );
    assert_eq!(subjects(&list("view=open&sort=newest").await)[0], "Hat noch Zeit");
    // Without a view the API lists as before: everything, newest first.
    assert_eq!(subjects(&list("").await).len(), 4);
    let bad = app.get_problem("/api/v1/cases?view=urgentest", &tok, 422).await;
    assert_eq!(bad["field"], "view");

    let counts = app.get_json("/api/v1/cases/views", &tok).await;
    for (view, n) in [
        ("open", 3),
        ("soon", 1),
        ("overdue", 1),
        ("premium", 1),
        ("enterprise", 0),
        ("all", 4),
    ] {
        assert_eq!(count_of(&counts, view), n, "{view}: {counts}");
    }
    assert!(counts.as_array().expect("counts").iter().all(|c| c["more"] == false));

    // The page: the default is the open view, due first, its count its own.
    let agent_id = create_user(&app.store, "agent1", "agent").await;
    let agent = app.signed_in("agent1").await;
    let (status, html) = get_html(&agent, &app, "/inbox").await;
    assert_eq!(status, 200);
    assert!(
        html.contains(r#"data-testid="inbox-count">3 Fälle<"#),
        "count of the open view"
    );
    assert!(
        !html.contains("Schon erledigt"),
        "closed cases are not in the default view"
    );
    let first = html.find("Schon überfällig").expect("overdue case listed");
    assert!(first < html.find("Bald fällig").expect("soon case listed"), "due first");
    let texts: Vec<&str> = html.split(['>', '<']).map(str::trim).collect();
    assert!(
        texts.iter().any(|t| number_between(t, "seit ", " Std. überfällig")),
        "overdue in German words"
    );
    let (_, soon) = get_html(&agent, &app, "/inbox?view=soon").await;
    assert!(soon.contains(r#"data-testid="inbox-count">1 Fall<"#));
    assert!(soon.contains("Bald fällig") && !soon.contains("Schon überfällig"));
    let (_, filtered) = get_html(&agent, &app, "/inbox?view=open&tier=premium").await;
    assert!(
        filtered.contains(r#"data-testid="inbox-count">1 Fall<"#),
        "the count honours the filters"
    );
    let (_, bad) = get_html(&agent, &app, "/inbox?view=nonsense").await;
    assert!(bad.contains(r#"role="alert""#), "a bad view is named, not a 500");

    // Bulk: assign two to me; the page says so and "mine" counts them.
    let open = list("view=open").await;
    let ids: Vec<String> = open["items"].as_array().expect("items")[..2]
        .iter()
        .map(|c| c["id"].as_str().expect("id").to_string())
        .collect();
    let csrf = csrf_of(&html);
    let mut form = vec![
        ("csrf", csrf.as_str()),
        ("action", "assign"),
        ("assignee", "me"),
        ("back", "/inbox?view=open"),
    ];
    form.extend(ids.iter().map(|id| ("ids", id.as_str())));
    // Without a script the server asks first, naming the cases, and
    // changes nothing yet.
    let ask = agent
        .post(app.url("/inbox/bulk"))
        .form(&form)
        .send()
        .await
        .expect("bulk");
    assert_eq!(ask.status(), 200);
    let ask = ask.text().await.expect("page");
    assert!(ask.contains("data-testid=\"bulk-confirm\""), "{ask}");
    assert!(ask.contains("Die folgenden 2 Fälle"), "the question names the count");
    assert_eq!(ask.matches("name=\"ids\"").count(), 2, "the selection is posted again");
    assert!(ask.contains(r#"name="confirmed" value="1""#));
    for id in &ids {
        let c = app.get_json(&format!("/api/v1/cases/{id}"), &app.admin_token).await;
        assert_ne!(
            c["assignee_id"].as_str(),
            Some(agent_id.0.to_string().as_str()),
            "nothing assigned before the yes"
        );
    }
    form.push(("confirmed", "1"));
    let res = agent
        .post(app.url("/inbox/bulk"))
        .form(&form)
        .send()
        .await
        .expect("bulk");
    assert_eq!(res.status(), 303);
    let to = res.headers()["location"].to_str().expect("location").to_string();
    assert_eq!(to, "/inbox?view=open&done=assigned-me&n=2");
    let (_, after) = get_html(&agent, &app, &to).await;
    assert!(after.contains("2 Fälle wurden Ihnen zugewiesen."));
    let (_, agent_tok) = amends_app::service::create_token(&app.store, t0(), agent_id, "test", None)
        .await
        .expect("token");
    let mine = app.get_json("/api/v1/cases/views", &agent_tok).await;
    assert_eq!(count_of(&mine, "mine"), 2);
    let listed = app.get_json("/api/v1/cases?view=mine", &agent_tok).await;
    assert!(
        listed["items"]
            .as_array()
            .expect("items")
            .iter()
            .all(|c| c["assignee"]["id"] == agent_id.0.to_string())
    );

    // A new case's first response is due in hours, in German words.
    case(&app, &std_cust, "Ganz neu", "normal").await;
    let (_, html) = get_html(&agent, &app, "/inbox?view=all").await;
    let texts: Vec<&str> = html.split(['>', '<']).map(str::trim).collect();
    assert!(
        texts.iter().any(|t| number_between(t, "in ", " Std.")),
        "due in German words"
    );
}

async fn pages_go_forward_and_back(b: Backend) {
    let app = TestApp::spawn(b).await;
    let cust = app.customer("CRM-1", "en", "standard").await;
    for i in 0..5 {
        case(&app, &cust, &format!("Case {i}"), "normal").await;
        app.clock.advance(Duration::minutes(1));
    }
    create_user(&app.store, "agent1", "agent").await;
    let agent = app.signed_in("agent1").await;
    let href = |html: &str, rel: &str| -> Option<String> {
        let at = html.find(&format!(r#"rel="{rel}""#))?;
        let start = html[..at].rfind("href=\"")? + 6;
        let end = start + html[start..].find('"')?;
        Some(html[start..end].replace("&amp;", "&").replace("&#x2f;", "/"))
    };
    // Due first: the oldest case is due first.
    let (_, p1) = get_html(&agent, &app, "/inbox?view=open&limit=2").await;
    assert!(p1.contains("Case 0") && p1.contains("Case 1") && !p1.contains("Case 2"));
    assert!(href(&p1, "prev").is_none(), "no previous page on the first");
    let (_, p2) = get_html(&agent, &app, &href(&p1, "next").expect("next")).await;
    assert!(p2.contains("Case 2") && p2.contains("Case 3") && !p2.contains("Case 1"));
    let (_, p3) = get_html(&agent, &app, &href(&p2, "next").expect("next")).await;
    assert!(p3.contains("Case 4") && !p3.contains("Case 3"));
    assert!(href(&p3, "next").is_none(), "the last page has no next");
    let (_, back2) = get_html(&agent, &app, &href(&p3, "prev").expect("prev")).await;
    assert!(back2.contains("Case 2") && back2.contains("Case 3") && !back2.contains("Case 4"));
    let (_, back1) = get_html(&agent, &app, &href(&back2, "prev").expect("prev")).await;
    assert!(back1.contains("Case 0") && back1.contains("Case 1") && !back1.contains("Case 2"));
    assert!(href(&back1, "prev").is_none());
}

async fn view_counts_use_indexes(b: Backend) {
    let db = TestDb::new(b).await;
    let s = db.store().await;
    let agent = create_user(&s, "agent1", "agent").await;
    for v in CaseView::ALL {
        let mut f = amends_store::CaseFilter::default();
        v.apply(&mut f, Explicit::default(), agent, t0(), Duration::hours(1));
        let plan = s.explain_count_cases(&f, 1000).await.expect("plan");
        let full_scan = match b {
            Backend::Sqlite => plan
                .lines()
                .any(|l| l.trim() == "SCAN c" || (l.contains("SCAN c ") && !l.contains("INDEX"))),
            Backend::Postgres => plan.contains("Seq Scan on cases"),
        };
        assert!(!full_scan, "{}: the count scans the cases table:\n{plan}", v.as_str());
    }
}

crate::both_backends!(
    views_mean_what_they_say,
    pages_go_forward_and_back,
    view_counts_use_indexes
);
