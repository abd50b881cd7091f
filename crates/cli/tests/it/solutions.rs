//! Solution database (issue 5): versioned articles over the API with
//! validation and roles, stemmed German/English search with compound heads
//! and typo correction (consistent right after a write), suggestions and
//! similar cases on a case, links and statistics, the editor and theme
//! pages with errors next to the field, and the public help center.

use crate::support::{Backend, TestApp, create_user, csrf_of, get_html, html_of, post_form, problem};
use serde_json::{Value, json};

async fn create(app: &TestApp, token: &str, body: Value) -> String {
    let v = app.post_json("/api/v1/solutions", token, body, 201).await;
    v["id"].as_str().expect("id").to_string()
}

/// Titles of the results of a search.
async fn titles(app: &TestApp, token: &str, query: &str) -> (Vec<String>, Value) {
    let v = app.get_json(&format!("/api/v1/solutions/search?{query}"), token).await;
    let t = v["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| r["title"].as_str().expect("title").to_string())
        .collect();
    (t, v["corrected_query"].clone())
}

async fn transition(app: &TestApp, case: &str, to: &str) {
    app.post_expect(
        &format!("/api/v1/cases/{case}/transitions"),
        &app.admin_token,
        json!({"to": to}),
        200,
    )
    .await;
}

async fn crud_search_and_roles(b: Backend) {
    let app = TestApp::spawn(b).await;
    let agent = app.token_for("agent1", "agent").await;
    let lead = app.token_for("lead1", "lead").await;

    let invoice = create(
        &app,
        &agent,
        json!({"title": "Rechnung herunterladen", "body": "Ihre **Rechnung** finden Sie unter *Konto → Rechnungen*.",
            "language": "de", "tags": ["billing"], "public": true}),
    )
    .await;
    let delay = create(
        &app,
        &agent,
        json!({"title": "Was tun bei einer Lieferverzögerung?", "body": "Wir schreiben Ihnen einen Gutschein gut.",
            "language": "de", "tags": ["delivery"], "public": false}),
    )
    .await;
    create(
        &app,
        &agent,
        json!({"title": "Download your invoices", "body": "Find every invoice under Account → Invoices.",
            "language": "en", "tags": ["billing"], "public": true}),
    )
    .await;

    // Validation names the field; agents may not delete.
    for (body, field) in [
        (json!({"title": "", "body": "x", "language": "de"}), "title"),
        (json!({"title": "t", "body": " ", "language": "de"}), "body"),
        (json!({"title": "t", "body": "x", "language": "fr"}), "language"),
        (
            json!({"title": "t", "body": "x", "language": "de", "tags": ["a b"]}),
            "tags",
        ),
    ] {
        let res = app.post("/api/v1/solutions", &agent, body).await;
        assert_eq!(problem(res, 422).await["field"], field);
    }
    let res = app.delete(&format!("/api/v1/solutions/{delay}"), &agent).await;
    problem(res, 403).await;

    // Stemming: the plural finds the singular; the head finds the compound;
    // English stems too; a language filter keeps to one language.
    let (t, _) = titles(&app, &agent, "q=Rechnungen&lang=de").await;
    assert_eq!(t, vec!["Rechnung herunterladen"]);
    let (t, _) = titles(&app, &agent, "q=Verz%C3%B6gerung&lang=de").await;
    assert_eq!(t, vec!["Was tun bei einer Lieferverzögerung?"]);
    let (t, _) = titles(&app, &agent, "q=invoice").await;
    assert_eq!(t, vec!["Download your invoices"]);
    let (t, _) = titles(&app, &agent, "q=billing&lang=en").await;
    assert_eq!(t, vec!["Download your invoices"]);
    // A question in natural language: stop words do not get in the way.
    let (t, _) = titles(&app, &agent, "q=Wie+kann+ich+meine+Rechnung+herunterladen%3F&lang=de").await;
    assert_eq!(t.first().map(String::as_str), Some("Rechnung herunterladen"));
    // Typo tolerance: "Rehcnung" is corrected.
    let (t, corrected) = titles(&app, &agent, "q=Rehcnung&lang=de").await;
    assert_eq!(t, vec!["Rechnung herunterladen"]);
    assert_eq!(corrected, "rechnung");
    // Public only (what the help center sees).
    let (t, _) = titles(&app, &agent, "q=Gutschein&lang=de&public=true").await;
    assert!(t.is_empty());
    let res = app.get("/api/v1/solutions/search?q=&lang=de", &agent).await;
    assert_eq!(problem(res, 422).await["field"], "q");
    let res = app.get("/api/v1/solutions/search?q=x&lang=xx", &agent).await;
    assert_eq!(problem(res, 422).await["field"], "lang");

    // An update is a new version and is searchable at once; the old words are gone.
    let v = app
        .put_json(
            &format!("/api/v1/solutions/{invoice}"),
            &agent,
            json!({"title": "Quittung herunterladen", "body": "Ihre Quittung finden Sie im Konto.", "language": "de",
            "tags": ["billing"], "public": true}),
            200,
        )
        .await;
    assert_eq!(v["version"], 2);
    let (t, _) = titles(&app, &agent, "q=Quittungen&lang=de").await;
    assert_eq!(t, vec!["Quittung herunterladen"]);
    let (t, _) = titles(&app, &agent, "q=Rechnungen&lang=de").await;
    assert!(t.is_empty(), "{t:?}");
    let versions: Value = app
        .get_json(&format!("/api/v1/solutions/{invoice}/versions"), &agent)
        .await;
    let versions = versions.as_array().expect("versions");
    assert_eq!(versions.len(), 2);
    assert_eq!(versions[1]["title"], "Rechnung herunterladen");
    assert_eq!(versions[0]["version"], 2);

    // List with filters and pagination.
    let page: Value = app.get_json("/api/v1/solutions?language=de&limit=1", &agent).await;
    assert_eq!(page["items"].as_array().expect("items").len(), 1);
    let cursor = page["next_cursor"].as_str().expect("cursor");
    let page2 = app
        .get_json(
            &format!("/api/v1/solutions?language=de&limit=1&cursor={cursor}"),
            &agent,
        )
        .await;
    assert_eq!(page2["items"].as_array().expect("items").len(), 1);
    assert_ne!(page["items"][0]["id"], page2["items"][0]["id"]);

    // A write whose old vocabulary was read from an earlier version (an
    // edit came in between) is refused, and nothing is deleted.
    let delay_id: uuid::Uuid = delay.parse().expect("uuid");
    let current = app.store.get_solution(delay_id).await.expect("article");
    let stale = app
        .store
        .delete_solution(
            delay_id,
            amends_store::ReadVersion {
                version: current.version - 1,
                vocabulary: &[],
            },
            None,
            amends_app::Clock::System.now(),
        )
        .await
        .expect_err("stale read");
    assert!(
        matches!(
            stale,
            amends_store::StoreError::Conflict {
                field: Some("version"),
                ..
            }
        ),
        "{stale:?}"
    );
    assert_eq!(
        app.store.get_solution(delay_id).await.expect("still there").version,
        current.version
    );

    // A lead deletes: gone from search and from GET.
    let res = app.delete(&format!("/api/v1/solutions/{delay}"), &lead).await;
    assert_eq!(res.status(), 204);
    let (t, _) = titles(&app, &agent, "q=Lieferverz%C3%B6gerung&lang=de").await;
    assert!(t.is_empty());
    app.get_problem(&format!("/api/v1/solutions/{delay}"), &agent, 404)
        .await;

    // Theme: leads set it, bad colours are refused, agents may not.
    let theme = json!({"title_de": "Hilfe", "title_en": "Help", "logo_url": "", "primary_color": "#112233",
        "background_color": "#ffffff"});
    app.put_problem("/api/v1/help-center/theme", &agent, theme.clone(), 403)
        .await;
    let bad = json!({"title_de": "Hilfe", "title_en": "Help", "primary_color": "red;}", "background_color": "#ffffff"});
    assert_eq!(
        app.put_problem("/api/v1/help-center/theme", &lead, bad, 422).await["field"],
        "primary_color"
    );
    assert_eq!(app.put("/api/v1/help-center/theme", &lead, theme).await.status(), 200);
}

async fn case_suggestions_links_and_stats(b: Backend) {
    let app = TestApp::spawn(b).await;
    let agent = app.token_for("agent1", "agent").await;
    let article = create(
        &app,
        &agent,
        json!({"title": "Doppelte Abbuchung erstatten", "body": "Bei einer doppelten Abbuchung erstatten wir den Betrag.",
            "language": "de", "tags": ["billing"], "public": false}),
    )
    .await;
    create(
        &app,
        &agent,
        json!({"title": "Refund a double charge", "body": "We refund the amount.", "language": "en"}),
    )
    .await;
    let cust = app.customer("CRM-1", "de", "standard").await;
    let old_id = app.case_id(&cust, "Abbuchung doppelt auf dem Konto").await;
    for to in ["acknowledged", "in_progress", "resolved"] {
        transition(&app, &old_id, to).await;
    }
    let case = app.case(&cust, "Doppelte Abbuchung vom Konto").await;
    let case_id = case["id"].as_str().expect("id");

    // Suggested from the case text, in the customer's language; the
    // resolved case with the same words is similar.
    let v: Value = app
        .get_json(&format!("/api/v1/cases/{case_id}/solutions"), &agent)
        .await;
    let suggested: Vec<&str> = v["suggested"]
        .as_array()
        .expect("suggested")
        .iter()
        .map(|h| h["title"].as_str().expect("title"))
        .collect();
    assert_eq!(suggested, vec!["Doppelte Abbuchung erstatten"], "{v}");
    assert_eq!(v["similar_cases"][0]["id"], old_id, "{v}");
    assert!(v["linked"].as_array().expect("linked").is_empty());

    // Link once (201), again (200); a timeline event; the statistics count it.
    let link = json!({"solution_id": article});
    app.post_expect(&format!("/api/v1/cases/{case_id}/solutions"), &agent, link.clone(), 201)
        .await;
    app.post_expect(&format!("/api/v1/cases/{case_id}/solutions"), &agent, link, 200)
        .await;
    // A solution template names the linked article (an internal one has no public address).
    let lead = app.token_for("lead1", "lead").await;
    let template = app
        .post_json(
            "/api/v1/templates",
            &lead,
            json!({"name": "Lösung", "purpose": "solution", "language": "de",
                "body": "Hier steht, wie es geht: {{solution_title}} <{{solution_url}}>"}),
            201,
        )
        .await;
    let preview: Value = app
        .post(
            &format!("/api/v1/templates/{}/preview", template["id"].as_str().expect("id")),
            &agent,
            json!({"case_id": case_id}),
        )
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(
        preview["body"], "Hier steht, wie es geht: Doppelte Abbuchung erstatten <>",
        "{preview}"
    );
    app.post_problem(
        &format!("/api/v1/cases/{case_id}/solutions"),
        &agent,
        json!({"solution_id": "0194a000-0000-7000-8000-00000000dead"}),
        404,
    )
    .await;
    let got: Value = app.get_json(&format!("/api/v1/solutions/{article}"), &agent).await;
    assert_eq!(got["stats"]["times_used"], 1);
    assert_eq!(got["stats"]["resolved_without_reopen"], 0);
    assert!(got["stats"]["resolved_share"].as_f64().expect("share").abs() < f64::EPSILON);

    for to in ["acknowledged", "in_progress", "resolved"] {
        transition(&app, case_id, to).await;
    }
    let got: Value = app.get_json(&format!("/api/v1/solutions/{article}"), &agent).await;
    assert_eq!(got["stats"]["resolved_without_reopen"], 1);
    assert!((got["stats"]["resolved_share"].as_f64().expect("share") - 1.0).abs() < f64::EPSILON);
    // Reopened after the link: no longer counts as resolved.
    transition(&app, case_id, "reopened").await;
    transition(&app, case_id, "resolved").await;
    let got: Value = app.get_json(&format!("/api/v1/solutions/{article}"), &agent).await;
    assert_eq!(got["stats"]["resolved_without_reopen"], 0, "{got}");

    let events: Value = app.get_json(&format!("/api/v1/cases/{case_id}/events"), &agent).await;
    let timeline = events.as_array().expect("events");
    assert!(
        timeline
            .iter()
            .any(|e| e["kind"] == "solution" && e["body"] == "Doppelte Abbuchung erstatten"),
        "{timeline:?}"
    );
}

async fn editor_case_panel_and_help_center(b: Backend) {
    let app = TestApp::spawn(b).await;
    create_user(&app.store, "agent1", "agent").await;
    create_user(&app.store, "lead1", "lead").await;
    let agent = app.signed_in("agent1").await;
    let lead = app.signed_in("lead1").await;

    // Errors next to the field; nothing stored.
    let (status, html) = get_html(&agent, &app, "/solutions/new").await;
    assert_eq!(status, 200);
    let csrf = csrf_of(&html);
    let (status, html) = post_form(
        &agent,
        &app,
        "/solutions",
        &[
            ("csrf", &csrf),
            ("title", ""),
            ("body", "Text"),
            ("language", "de"),
            ("tags", ""),
        ],
    )
    .await;
    assert_eq!(status, 422);
    assert!(html.contains("id=\"title-error\""), "{html}");
    assert!(html.contains("Bitte einen Titel"), "German message: {html}");
    // Forged CSRF refused.
    let (status, _) = post_form(
        &agent,
        &app,
        "/solutions",
        &[("csrf", "forged"), ("title", "x"), ("body", "y"), ("language", "de")],
    )
    .await;
    assert_eq!(status, 403);

    // Created with a script in it: shown escaped, internal → not in /help.
    let (status, _) = post_form(
        &agent,
        &app,
        "/solutions",
        &[
            ("csrf", &csrf),
            ("title", "Passwort zurücksetzen"),
            (
                "body",
                "Klicken Sie auf **Passwort vergessen**. <script>alert(1)</script>",
            ),
            ("language", "de"),
            ("tags", "konto, login"),
            ("public", "on"),
        ],
    )
    .await;
    assert_eq!(status, 303);
    let (status, _) = post_form(
        &agent,
        &app,
        "/solutions",
        &[
            ("csrf", &csrf),
            ("title", "Interne Passwort-Regeln"),
            ("body", "Nur für das Team."),
            ("language", "de"),
        ],
    )
    .await;
    assert_eq!(status, 303);
    let (status, html) = get_html(&agent, &app, "/solutions?q=Passw%C3%B6rter").await;
    assert_eq!(status, 200);
    assert!(html.contains("Passwort zurücksetzen"), "{html}");

    // Public help center without a login: public articles only, search, escaping, theme.
    let anon = reqwest::Client::new();
    let res = anon.get(app.url("/help?lang=de")).send().await.expect("help");
    assert_eq!(res.status(), 200);
    let html = res.text().await.expect("html");
    assert!(
        html.contains("Hilfe-Center") && html.contains("Passwort zurücksetzen"),
        "{html}"
    );
    assert!(!html.contains("Interne Passwort-Regeln"));
    let html = html_of(&anon, &app, "/help?lang=de&q=passwort").await;
    assert!(
        html.contains("Passwort zurücksetzen") && !html.contains("Interne"),
        "{html}"
    );
    let id = html
        .split("/help/articles/")
        .nth(1)
        .and_then(|s| s.split('?').next())
        .expect("article link")
        .to_string();
    let html = html_of(&anon, &app, &format!("/help/articles/{id}")).await;
    assert!(html.contains("<strong>Passwort vergessen</strong>"), "{html}");
    assert!(!html.contains("<script>alert(1)"), "escaped: {html}");
    let english = anon
        .get(app.url("/help"))
        .header("accept-language", "en-GB,en;q=0.8")
        .send()
        .await
        .expect("help")
        .text()
        .await
        .expect("html");
    assert!(english.contains("Help center") && english.contains("lang=\"en\""));

    // Theme: agents may not; a bad colour shows next to its field; a good one is used.
    let (status, _) = get_html(&agent, &app, "/settings/help-center").await;
    assert_eq!(status, 403);
    let (status, html) = get_html(&lead, &app, "/settings/help-center").await;
    assert_eq!(status, 200);
    let lead_csrf = csrf_of(&html);
    let theme = |primary: &'static str| {
        vec![
            ("title_de", "Kundenhilfe"),
            ("title_en", "Customer help"),
            ("logo_url", "https://cdn.example/logo.png"),
            ("primary_color", primary),
            ("background_color", "#fafafa"),
        ]
    };
    let mut form = theme("red;}body{display:none");
    form.push(("csrf", &lead_csrf));
    let (status, html) = post_form(&lead, &app, "/settings/help-center", &form).await;
    assert_eq!(status, 422);
    assert!(html.contains("id=\"primary_color-error\""), "{html}");
    let mut form = theme("#0a7d55");
    form.push(("csrf", &lead_csrf));
    let (status, _) = post_form(&lead, &app, "/settings/help-center", &form).await;
    assert_eq!(status, 200);
    let html = html_of(&anon, &app, "/help?lang=de").await;
    assert!(html.contains("--help-primary: #0a7d55") && html.contains("Kundenhilfe"));
    assert!(
        html.contains("class=\"help-logo\"") && html.contains("cdn.example"),
        "{html}"
    );

    // Internal articles are not found under /help; unknown ids neither.
    let (_, list) = get_html(&agent, &app, "/solutions?q=Interne").await;
    let internal = list
        .split("data-solution=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("internal id")
        .to_string();
    let res = anon
        .get(app.url(&format!("/help/articles/{internal}")))
        .send()
        .await
        .expect("internal");
    assert_eq!(res.status(), 404);

    // The case page suggests the article and links it in one click.
    let cust = app.customer("CRM-9", "de", "standard").await;
    let case_id = app.case_id(&cust, "Passwort vergessen, Login geht nicht").await;
    let (status, html) = get_html(&agent, &app, &format!("/cases/{case_id}")).await;
    assert_eq!(status, 200);
    let panel = html
        .split("data-testid=\"suggested-solutions\"")
        .nth(1)
        .and_then(|s| s.split("</ul>").next())
        .expect("suggestions");
    assert!(panel.contains("Passwort zurücksetzen"), "{panel}");
    let (status, _) = post_form(
        &agent,
        &app,
        &format!("/cases/{case_id}/solutions"),
        &[("csrf", &csrf), ("solution_id", &id)],
    )
    .await;
    assert_eq!(status, 303);
    let (_, html) = get_html(&agent, &app, &format!("/cases/{case_id}")).await;
    let linked = html
        .split("data-testid=\"linked-solutions\"")
        .nth(1)
        .and_then(|s| s.split("</ul>").next())
        .expect("linked");
    assert!(linked.contains("Passwort zurücksetzen"));
    let (_, html) = get_html(&agent, &app, &format!("/solutions/{id}")).await;
    assert!(html.contains("data-testid=\"times-used\">1<"), "{html}");
}

async fn help_search_is_rate_limited(b: Backend) {
    let app = TestApp::spawn(b).await;
    let anon = reqwest::Client::new();
    let mut last = 0;
    for _ in 0..=amends_app::solutions::HELP_SEARCHES_PER_IP_MINUTE {
        last = anon
            .get(app.url("/help?q=rechnung"))
            .send()
            .await
            .expect("search")
            .status()
            .as_u16();
    }
    assert_eq!(last, 429);
    // Browsing without a search is not counted.
    let res = anon.get(app.url("/help")).send().await.expect("help");
    assert_eq!(res.status(), 200);
}

/// The public list pages through every public article of a language,
/// newest first, without repeating one; internal ones stay out.
async fn help_center_pages_through_all_articles(b: Backend) {
    let app = TestApp::spawn(b).await;
    let agent = app.token_for("agent1", "agent").await;
    let per_page = amends_web::ui::solutions::HELP_ARTICLES_PER_PAGE;
    for i in 0..per_page + 3 {
        create(
            &app,
            &agent,
            json!({"title": format!("Hilfeartikel Nummer {i:03}"), "body": "Ein Artikel für die Seitenprüfung.",
                "language": "de", "public": true}),
        )
        .await;
    }
    create(
        &app,
        &agent,
        json!({"title": "Interner Artikel", "body": "Nur für das Team.", "language": "de", "public": false}),
    )
    .await;
    let anon = reqwest::Client::new();
    let titles_of = |html: &str| -> Vec<String> {
        html.split("Hilfeartikel Nummer ")
            .skip(1)
            .map(|rest| rest.chars().take(3).collect())
            .collect()
    };
    let (status, first) = get_html(&anon, &app, "/help?lang=de").await;
    assert_eq!(status, 200);
    let on_first = titles_of(&first);
    assert_eq!(on_first.len(), per_page, "{first}");
    assert_eq!(on_first[0], format!("{:03}", per_page + 2), "newest first");
    assert!(!first.contains("Interner Artikel"));
    assert!(!first.contains("data-testid=\"help-first\""));
    let next = first
        .split("data-testid=\"help-more\"")
        .next()
        .and_then(|head| head.rsplit("href=\"").next())
        .and_then(|tail| tail.split('"').next())
        .expect("a link to the next page")
        .replace("&amp;", "&");
    let (status, second) = get_html(&anon, &app, &next).await;
    assert_eq!(status, 200);
    let on_second = titles_of(&second);
    assert_eq!(on_second, vec!["002", "001", "000"], "{second}");
    assert!(!second.contains("data-testid=\"help-more\""), "last page");
    assert!(second.contains("data-testid=\"help-first\""));
    // A broken cursor starts from the top instead of failing.
    let (status, broken) = get_html(&anon, &app, "/help?lang=de&cursor=%25%25").await;
    assert_eq!(status, 200);
    assert_eq!(titles_of(&broken).len(), per_page);
}

crate::both_backends!(
    crud_search_and_roles,
    case_suggestions_links_and_stats,
    editor_case_panel_and_help_center,
    help_search_is_rate_limited,
    help_center_pages_through_all_articles,
);
