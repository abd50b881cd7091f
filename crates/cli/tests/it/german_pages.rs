//! No English on German pages: the demo data, a pending goodwill request
//! and an automatic grant, crawled as a German admin and a German agent;
//! the visible text of every page must hold none of the English
//! catalogue's sentences (those that differ from German) nor the English
//! texts the code used to build.

use crate::support::{Backend, TestApp, get_html, t0};
use std::collections::{BTreeMap, BTreeSet, VecDeque};

const DE_FTL: &str = include_str!("../../../i18n/locales/de.ftl");
const EN_FTL: &str = include_str!("../../../i18n/locales/en.ftl");

/// English texts built in code (not in the catalogue) that once reached
/// German pages.
const KNOWN_ENGLISH: &[&str] = &[
    "needs approval by",
    "Automatic goodwill",
    "above the limit",
    "already granted",
    "must not be empty",
    "is required",
    "SMTP is not configured",
    "an admin must approve",
    "not found",
];

/// The single-line messages of a Fluent file: key → value.
fn messages(src: &str) -> BTreeMap<&str, &str> {
    src.lines()
        .filter(|l| !l.starts_with([' ', '#', '.', '[', '*']) && !l.trim().is_empty())
        .filter_map(|l| l.split_once(" = "))
        .map(|(k, v)| (k.trim(), v.trim()))
        .collect()
}

/// The static parts of an English value (between `{ … }` placeables)
/// that are sentences of their own: at least three words and 16
/// characters, and not German as well.
fn english_fragments() -> BTreeSet<String> {
    let de = messages(DE_FTL);
    let de_all: String = de.values().copied().collect::<Vec<_>>().join("\n");
    let mut out = BTreeSet::new();
    for (key, en) in messages(EN_FTL) {
        if de.get(key) == Some(&en) {
            continue;
        }
        let mut rest = en;
        while !rest.is_empty() {
            let (part, after) = match rest.find('{') {
                Some(i) => (&rest[..i], rest[i..].find('}').map_or("", |j| &rest[i + j + 1..])),
                None => (rest, ""),
            };
            let part = part.trim_matches(|c: char| c.is_whitespace() || ",.:;()–-·/".contains(c));
            if part.split_whitespace().count() >= 3 && part.len() >= 16 && !de_all.contains(part) {
                out.insert(part.to_string());
            }
            rest = after;
        }
    }
    out
}

/// The text a reader sees: tags, scripts and styles removed, entities
/// read, whitespace collapsed.
fn visible_text(html: &str) -> String {
    let mut text = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(i) = rest.find('<') {
        text.push_str(&rest[..i]);
        text.push(' ');
        let tag = &rest[i..];
        let head = tag.split('>').next().unwrap_or_default();
        // A preview in the customer's language says so (`<pre lang="en">`).
        let skip_to = ["<script", "<style", "<pre"]
            .iter()
            .find(|t| tag.starts_with(*t) && (**t != "<pre" || head.contains("lang=\"en\"")))
            .map(|t| format!("</{}>", &t[1..]));
        rest = match skip_to {
            Some(end) => tag.find(&end).map_or("", |j| &tag[j + end.len()..]),
            None => tag.find('>').map_or("", |j| &tag[j + 1..]),
        };
    }
    text.push_str(rest);
    let text = text
        .replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&nbsp;", " ");
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The pages a page links to (same origin, pages only).
fn links(html: &str) -> Vec<String> {
    html.split("href=\"")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .map(|h| h.replace("&amp;", "&"))
        .map(|h| h.split('#').next().unwrap_or_default().to_string())
        .filter(|h| h.starts_with('/') && !h.starts_with("//"))
        .filter(|h| {
            !["/logout", "/api", "/assets", "/widget", "/metrics", "/health", "/s/"]
                .iter()
                .any(|p| h.starts_with(p))
                && !h.contains("format=")
                // The public help center in English, chosen on purpose.
                && !h.contains("lang=en")
                && !h.ends_with(".csv")
                && !h.contains("/download")
                && !h.contains("/raw")
        })
        .collect()
}

/// A page's route: ids and query strings folded, so a few pages of each
/// kind are read, not all 1,500 cases.
fn route(path: &str) -> String {
    let path = path.split('?').next().unwrap_or_default();
    path.split('/')
        .map(|s| {
            if s.len() >= 32 && s.chars().all(|c| c.is_ascii_hexdigit() || c == '-') {
                "{id}"
            } else {
                s
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

async fn crawl(app: &TestApp, user: &str, fragments: &BTreeSet<String>) -> (usize, Vec<String>) {
    let client = app.signed_in(user).await;
    let mut seen = BTreeSet::new();
    let mut per_route: BTreeMap<String, usize> = BTreeMap::new();
    let mut queue: VecDeque<String> = ["/inbox", "/dashboard", "/goodwill/approvals", "/goodwill/ledger"]
        .map(String::from)
        .into();
    let mut found = Vec::new();
    let mut read = 0;
    while let Some(path) = queue.pop_front() {
        if !seen.insert(path.clone()) || read >= 160 {
            continue;
        }
        let n = per_route.entry(route(&path)).or_default();
        *n += 1;
        if *n > 3 {
            continue;
        }
        let (status, html) = get_html(&client, app, &path).await;
        if status != 200 {
            continue;
        }
        read += 1;
        let text = visible_text(&html);
        for f in fragments
            .iter()
            .map(String::as_str)
            .chain(KNOWN_ENGLISH.iter().copied())
        {
            if text.contains(f) {
                found.push(format!("{user} {path}: «{f}»"));
            }
        }
        queue.extend(links(&html));
    }
    (read, found)
}

async fn german_pages_show_no_english(b: Backend) {
    let app = TestApp::spawn(b).await;
    amends_devtools::demo::generate(
        &app.store,
        t0(),
        amends_devtools::demo::DemoOptions {
            customers: 40,
            cases: 120,
            stream: 300,
            patterns: false,
            ..amends_devtools::demo::DemoOptions::default()
        },
    )
    .await
    .expect("demo");
    // A request above an agent's limit waits for a lead, with its reason.
    let anna = app.store.get_user_by_username("anna").await.expect("anna");
    let (_, agent) = amends_app::service::create_token(&app.store, t0(), anna.id, "test", None)
        .await
        .expect("token");
    let customer = app.customer("K-EN-1", "de", "standard").await;
    let case = app.case_id(&customer, "Paket beschädigt").await;
    let g = app
        .post_json(
            &format!("/api/v1/cases/{case}/goodwill"),
            &agent,
            serde_json::json!({"kind": "voucher", "value_cents": 90_000, "currency": "EUR", "reason": "Großer Schaden"}),
            202,
        )
        .await;
    assert_eq!(g["approval"]["code"], "limit", "{g}");
    let fragments = english_fragments();
    assert!(
        fragments.len() > 100,
        "the English sentences to look for: {}",
        fragments.len()
    );
    let mut all = Vec::new();
    for user in ["admin", "anna"] {
        let (read, found) = crawl(&app, user, &fragments).await;
        assert!(read >= 25, "{user} read {read} pages");
        all.extend(found);
    }
    assert!(all.is_empty(), "English on German pages:\n{}", all.join("\n"));
}

/// The check itself finds English: a page with an English sentence of
/// the catalogue and a known English text fails it.
#[test]
fn the_check_finds_english_text() {
    let fragments = english_fragments();
    let en = messages(EN_FTL);
    let sample = fragments.iter().next().expect("a fragment");
    let html = format!("<p>Alles gut</p><p title=\"x\">{sample}</p><script>needs approval by</script>");
    let text = visible_text(&html);
    assert!(text.contains(sample.as_str()));
    assert!(!text.contains("needs approval by"), "scripts are not visible");
    assert!(en.len() > 500);
    assert_eq!(
        route("/cases/0190f7a2-0000-7000-8000-000000000001?tab=x"),
        "/cases/{id}"
    );
}

crate::both_backends!(german_pages_show_no_english);
