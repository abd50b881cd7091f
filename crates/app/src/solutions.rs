//! Use cases of the solution database, shared by the API, the UI and the
//! help center: saving with search terms, search with typo correction,
//! suggestions and similar cases for a case, safe Markdown.

use crate::analysis::to_text_lang;
use amends_domain::solution::{HelpTheme, SolutionDraft};
use amends_domain::{CaseId, Language, UserId};
use amends_store::{
    Case, IndexTerms, LinkedSolution, ReadVersion, ResolvedCase, Solution, SolutionHit, SolutionQuery, Store,
    StoreError,
};
use amends_text::search::{closest, index_terms, query_terms, similarity};
use chrono::{DateTime, Utc};
use pulldown_cmark::{CowStr, Event, Options, Parser, Tag, TagEnd};
use serde::Serialize;
use std::collections::BTreeSet;
use uuid::Uuid;

/// Most results of one search.
pub const SEARCH_LIMIT: usize = 20;
/// Searches of the public help center per client IP and minute (per instance).
pub const HELP_SEARCHES_PER_IP_MINUTE: u32 = 60;
/// How many recently resolved cases "similar cases" compares with.
const SIMILAR_WINDOW: usize = 1000;
/// How much of a candidate's description "similar cases" compares.
const SIMILAR_TEXT_CHARS: usize = 600;

/// The index terms of an article: title, tags, body (Markdown as text) and
/// the compound parts of all three, stemmed in the article's language.
#[must_use]
pub fn terms_of(title: &str, body: &str, tags: &[String], lang: Language) -> IndexTerms {
    let l = to_text_lang(lang);
    let t = index_terms(title, l);
    let g = index_terms(&tags.join(" "), l);
    let b = index_terms(&markdown_text(body), l);
    let vocabulary: BTreeSet<String> = t.words.iter().chain(&g.words).chain(&b.words).cloned().collect();
    let mut parts = t.parts;
    parts.extend(g.parts);
    parts.extend(b.parts);
    IndexTerms {
        title: t.words.join(" "),
        tags: g.words.join(" "),
        body: b.words.join(" "),
        parts: parts.join(" "),
        vocabulary: vocabulary.into_iter().collect(),
    }
}

fn vocabulary_of(s: &Solution) -> Vec<String> {
    terms_of(&s.title, &s.body, &s.tags.0, s.language).vocabulary
}

/// How often a save or delete reads the article again after a concurrent
/// edit changed it between the read and the write.
const CONCURRENT_EDIT_TRIES: usize = 3;

/// Runs `attempt` (a fresh read of the article, then the write) again while
/// the store refuses the write because the article changed in between, at
/// most [`CONCURRENT_EDIT_TRIES`] times.
async fn with_fresh_read<T, F, Fut>(mut attempt: F) -> Result<T, StoreError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, StoreError>>,
{
    let mut tries = 0;
    loop {
        tries += 1;
        match attempt().await {
            Err(StoreError::Conflict {
                field: Some("version"), ..
            }) if tries < CONCURRENT_EDIT_TRIES => {}
            other => return other,
        }
    }
}

/// Creates or updates an article (a new version) with its index entries.
/// The old version's vocabulary is worked out from a read before the write
/// transaction; the store refuses the write if the article changed in
/// between, and the save reads again.
pub async fn save(
    store: &Store,
    id: Option<Uuid>,
    draft: &SolutionDraft,
    actor: Option<UserId>,
    now: DateTime<Utc>,
) -> Result<Solution, StoreError> {
    let terms = &terms_of(&draft.title, &draft.body, &draft.tags, draft.language);
    with_fresh_read(|| async move {
        let (vocabulary, version) = match id {
            Some(id) => {
                let s = store.get_solution(id).await?;
                (vocabulary_of(&s), s.version)
            }
            None => (Vec::new(), 0),
        };
        let read = ReadVersion {
            version,
            vocabulary: &vocabulary,
        };
        store.save_solution(id, draft, terms, read, actor, now).await
    })
    .await
}

/// Sets the help center's titles, logo and colours.
pub async fn save_theme(app: &crate::App, theme: &HelpTheme, actor: UserId) -> crate::AppResult<HelpTheme> {
    Ok(app.store().save_help_theme(theme, Some(actor), app.now()).await?)
}

/// Deletes an article with its versions, links and index entries.
pub async fn delete(store: &Store, id: Uuid, actor: Option<UserId>, now: DateTime<Utc>) -> Result<(), StoreError> {
    with_fresh_read(|| async move {
        let s = store.get_solution(id).await?;
        let vocabulary = vocabulary_of(&s);
        let read = ReadVersion {
            version: s.version,
            vocabulary: &vocabulary,
        };
        store.delete_solution(id, read, actor, now).await
    })
    .await
}

/// One search hit as clients see it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Hit {
    pub id: Uuid,
    pub title: String,
    /// The start of the article as plain text.
    pub excerpt: String,
    #[schema(value_type = String, example = "de")]
    pub language: Language,
    pub tags: Vec<String>,
    pub public: bool,
    /// Relevance (higher is better; comparable within one response).
    pub score: f64,
}

impl Hit {
    fn of(h: SolutionHit) -> Self {
        Self {
            excerpt: excerpt(&h.body, 200),
            id: h.id,
            title: h.title,
            language: h.language,
            tags: h.tags.0,
            public: h.public,
            score: h.rank,
        }
    }
}

/// A search's answer.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SearchResult {
    pub query: String,
    /// Set when no article matched the query as typed and a corrected
    /// query ("did you mean") found some: the results are for it.
    pub corrected_query: Option<String>,
    pub results: Vec<Hit>,
}

/// What to search.
#[derive(Debug, Clone)]
pub struct Search<'a> {
    pub query: &'a str,
    /// One language, or both (each query stemmed for its language).
    pub language: Option<Language>,
    pub public_only: bool,
    pub limit: usize,
}

/// Full-text search, in this order until something matches: every term
/// (the last one also as a prefix); every term after replacing misspelt
/// ones by the closest indexed term ("did you mean"); any term; any
/// corrected term.
pub async fn search(store: &Store, s: &Search<'_>) -> Result<SearchResult, StoreError> {
    let langs: Vec<Language> = s.language.map_or_else(|| Language::ALL.to_vec(), |l| vec![l]);
    let original: Vec<(Language, Vec<String>)> = langs
        .iter()
        .map(|&l| (l, query_terms(s.query, to_text_lang(l))))
        .collect();
    let found = |results: Vec<Hit>, corrected_query: Option<String>| SearchResult {
        query: s.query.to_string(),
        corrected_query,
        results,
    };
    let hits = run(store, s, &original, true).await?;
    if !hits.is_empty() {
        return Ok(found(hits, None));
    }
    let mut corrections = Vec::new();
    for (lang, terms) in &original {
        if let Some(c) = corrected(store, *lang, terms).await? {
            corrections.push((*lang, c));
        }
    }
    if let Some((query, hits)) = run_corrected(store, s, &corrections, true).await? {
        return Ok(found(hits, Some(query)));
    }
    let hits = run(store, s, &original, false).await?;
    if !hits.is_empty() {
        return Ok(found(hits, None));
    }
    if let Some((query, hits)) = run_corrected(store, s, &corrections, false).await? {
        return Ok(found(hits, Some(query)));
    }
    Ok(found(Vec::new(), None))
}

/// The first corrected query (one language at a time) that finds something,
/// with its terms joined as the "did you mean" text.
async fn run_corrected(
    store: &Store,
    s: &Search<'_>,
    corrections: &[(Language, Vec<String>)],
    all: bool,
) -> Result<Option<(String, Vec<Hit>)>, StoreError> {
    for c in corrections {
        let hits = run(store, s, std::slice::from_ref(c), all).await?;
        if !hits.is_empty() {
            return Ok(Some((c.1.join(" "), hits)));
        }
    }
    Ok(None)
}

/// `terms` with each term the index does not know replaced by the closest
/// one it knows; `None` when nothing was replaced.
async fn corrected(store: &Store, lang: Language, terms: &[String]) -> Result<Option<Vec<String>>, StoreError> {
    let known = store.known_terms(lang, terms).await?;
    let mut out = Vec::with_capacity(terms.len());
    let mut changed = false;
    for t in terms {
        if known.contains(t) {
            out.push(t.clone());
            continue;
        }
        let near = store.vocabulary_near(lang, t).await?;
        match closest(t, near.iter().map(|(w, n)| (w.as_str(), *n))) {
            Some(c) => {
                out.push(c.to_string());
                changed = true;
            }
            None => out.push(t.clone()),
        }
    }
    Ok(changed.then_some(out))
}

/// Searches each language's index with its terms and merges the best hits.
async fn run(
    store: &Store,
    s: &Search<'_>,
    queries: &[(Language, Vec<String>)],
    all: bool,
) -> Result<Vec<Hit>, StoreError> {
    let mut hits: Vec<SolutionHit> = Vec::new();
    for (language, terms) in queries {
        hits.extend(
            store
                .search_solutions(&SolutionQuery {
                    language: *language,
                    terms: terms.clone(),
                    all,
                    prefix_last: true,
                    public_only: s.public_only,
                    limit: s.limit,
                })
                .await?,
        );
    }
    hits.sort_by(|a, b| b.rank.total_cmp(&a.rank));
    hits.truncate(s.limit);
    Ok(hits.into_iter().map(Hit::of).collect())
}

/// Articles for a case: searched with the case's subject and description
/// in the customer's language (any term; the best first).
pub async fn suggest_for_case(store: &Store, case: &Case, limit: usize) -> Result<Vec<Hit>, StoreError> {
    let text = format!("{} {}", case.subject, case.description);
    let lang = case.customer_language;
    let mut terms = query_terms(&text, to_text_lang(lang));
    terms.truncate(32);
    let hits = store
        .search_solutions(&SolutionQuery {
            language: lang,
            terms,
            all: false,
            prefix_last: false,
            public_only: false,
            limit,
        })
        .await?;
    Ok(hits.into_iter().map(Hit::of).collect())
}

/// How many suggested articles and similar cases a case shows.
const CASE_PANEL_ITEMS: usize = 5;

/// Articles of a case: linked, suggested from its text, and similar resolved cases.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CaseSolutions {
    #[schema(value_type = Vec<Object>)]
    pub linked: Vec<LinkedSolution>,
    pub suggested: Vec<Hit>,
    pub similar_cases: Vec<SimilarCase>,
}

/// The solution panel of a case (the API's `/cases/{id}/solutions` and the case page).
pub async fn for_case(store: &Store, case: &Case) -> Result<CaseSolutions, StoreError> {
    Ok(CaseSolutions {
        linked: store.case_solutions(case.id).await?,
        suggested: suggest_for_case(store, case, CASE_PANEL_ITEMS).await?,
        similar_cases: similar_cases(store, case, CASE_PANEL_ITEMS).await?,
    })
}

/// A resolved case like this one.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SimilarCase {
    pub id: Uuid,
    pub subject: String,
    pub state: String,
    pub resolved_at: Option<DateTime<Utc>>,
    /// Share of terms the two cases have in common (0–1).
    pub similarity: f64,
}

/// Resolved cases with the most terms in common with `case` (subject and
/// description, stemmed), among the most recent resolved cases of
/// customers with the same language.
pub async fn similar_cases(store: &Store, case: &Case, limit: usize) -> Result<Vec<SimilarCase>, StoreError> {
    let lang = case.customer_language;
    let l = to_text_lang(lang);
    let mine = query_terms(&format!("{} {}", case.subject, case.description), l);
    if mine.is_empty() {
        return Ok(Vec::new());
    }
    let candidates: Vec<ResolvedCase> = store.resolved_cases(lang, case.id, SIMILAR_WINDOW).await?;
    let mut scored: Vec<SimilarCase> = candidates
        .into_iter()
        .filter_map(|c| {
            // The start of the description says what it is about; stemming
            // whole long threads of a thousand cases would cost the page.
            let head: String = c.description.chars().take(SIMILAR_TEXT_CHARS).collect();
            let theirs = query_terms(&format!("{} {head}", c.subject), l);
            let score = similarity(&mine, &theirs);
            (score >= 0.15).then(|| SimilarCase {
                id: c.id,
                subject: c.subject,
                state: c.state,
                resolved_at: c.resolved_at,
                similarity: (score * 100.0).round() / 100.0,
            })
        })
        .collect();
    scored.sort_by(|a, b| b.similarity.total_cmp(&a.similarity));
    scored.truncate(limit);
    Ok(scored)
}

/// Links an article to a case; false if it was linked already.
pub async fn link(
    store: &Store,
    case: CaseId,
    solution: Uuid,
    actor: Option<UserId>,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let s = store.get_solution(solution).await?;
    store.link_solution(case, &s, actor, now).await
}

fn parser(markdown: &str) -> Parser<'_> {
    Parser::new_ext(markdown, Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH)
}

/// A link or image target that may appear in a page: web, mail, or
/// relative addresses; never `javascript:`, `data:` and the like.
fn safe_url(url: &str) -> bool {
    let lower = url.trim().to_ascii_lowercase();
    match lower.split_once(':') {
        Some((scheme, _)) if !scheme.contains('/') && !scheme.contains('?') && !scheme.contains('#') => {
            matches!(scheme, "http" | "https" | "mailto")
        }
        _ => true,
    }
}

/// Markdown → HTML for display. Raw HTML in the article is shown as text
/// (escaped), and links or images with other schemes than http(s)/mailto
/// lose their target: articles come from many authors and the help center
/// is public.
#[must_use]
pub fn render_markdown(markdown: &str) -> String {
    let events = parser(markdown).map(|e| match e {
        Event::Html(h) | Event::InlineHtml(h) => Event::Text(h),
        Event::Start(Tag::Link {
            link_type,
            dest_url,
            title,
            id,
        }) if !safe_url(&dest_url) => Event::Start(Tag::Link {
            link_type,
            dest_url: CowStr::Borrowed("#"),
            title,
            id,
        }),
        Event::Start(Tag::Image {
            link_type,
            dest_url,
            title,
            id,
        }) if !safe_url(&dest_url) => Event::Start(Tag::Image {
            link_type,
            dest_url: CowStr::Borrowed(""),
            title,
            id,
        }),
        other => other,
    });
    let mut html = String::with_capacity(markdown.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut html, events);
    html
}

/// The text of a Markdown document, without markup.
#[must_use]
pub fn markdown_text(markdown: &str) -> String {
    let mut out = String::with_capacity(markdown.len());
    for e in parser(markdown) {
        match e {
            Event::Text(t) | Event::Code(t) | Event::Html(t) | Event::InlineHtml(t) => out.push_str(&t),
            Event::SoftBreak | Event::HardBreak => out.push(' '),
            // Blocks end with a space; inline markup (bold, links) does not
            // ("**twice**, then" stays "twice, then").
            Event::End(t)
                if !matches!(
                    t,
                    TagEnd::Emphasis | TagEnd::Strong | TagEnd::Strikethrough | TagEnd::Link | TagEnd::Image
                ) =>
            {
                out.push(' ');
            }
            _ => {}
        }
    }
    out
}

/// The first `max` characters of the text, cut at a word.
#[must_use]
pub fn excerpt(markdown: &str, max: usize) -> String {
    let text = markdown_text(markdown);
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.chars().count() <= max {
        return text;
    }
    let cut: String = text.chars().take(max).collect();
    let cut = cut.rsplit_once(' ').map_or(cut.as_str(), |(a, _)| a);
    format!("{cut} …")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_renders_and_defuses_html_and_scripts() {
        let html = render_markdown(
            "# Titel\n\n**fett** <script>alert(1)</script> [x](javascript:alert(1)) [y](https://a.example/) ![i](data:image/png;base64,AA)",
        );
        assert!(html.contains("<h1>Titel</h1>"));
        assert!(html.contains("<strong>fett</strong>"));
        assert!(!html.contains("<script>"), "{html}");
        assert!(html.contains("&lt;script&gt;"));
        assert!(!html.contains("javascript:"), "{html}");
        assert!(html.contains("href=\"https://a.example/\""));
        assert!(!html.contains("data:image"), "{html}");
    }

    #[test]
    fn relative_and_mail_links_stay() {
        assert!(safe_url("/help/articles/1"));
        assert!(safe_url("mailto:service@example.com"));
        assert!(safe_url("HTTPS://x"));
        assert!(!safe_url(" JavaScript:alert(1)"));
        assert!(!safe_url("vbscript:x"));
    }

    #[test]
    fn excerpt_is_plain_text_cut_at_a_word() {
        assert_eq!(excerpt("**Hallo** Welt", 50), "Hallo Welt");
        assert_eq!(excerpt("charged **twice**, then", 50), "charged twice, then");
        assert_eq!(excerpt("# Titel\n\nText", 50), "Titel Text");
        assert_eq!(excerpt("eins zwei drei vier", 11), "eins zwei …");
    }

    #[test]
    fn terms_cover_title_tags_body_and_compound_parts() {
        let t = terms_of(
            "Rechnungen herunterladen",
            "Bei einer **Lieferverzögerung** hilft …",
            &["billing".into()],
            Language::De,
        );
        assert_eq!(t.title, "rechnung herunterlad");
        assert!(t.body.contains("lieferverzoger"));
        assert!(t.parts.split(' ').any(|p| p == "verzoger"));
        assert!(t.vocabulary.contains(&"rechnung".to_string()));
        assert!(
            !t.vocabulary.contains(&"verzoger".to_string()),
            "parts are not vocabulary"
        );
    }
}
