//! Solutions in the UI: the article list with search, the article page
//! (rendered Markdown, statistics, versions), the editor, Settings → Help
//! center (theme), the case page's panel (linked, suggested, similar
//! cases), and the public help center `/help`.

use crate::state::AppState;
use crate::ui::forms::CsrfForm;
use crate::ui::forms::IdButton;
use crate::ui::session::UiUser;
use crate::ui::{UiError, page as render_page};
use amends_app::solutions::{self, HELP_SEARCHES_PER_IP_MINUTE, Search};
use amends_domain::solution::{HelpTheme, SolutionDraft};
use amends_domain::{CaseId, Language, Permission, ValidationError};
use amends_store::{Case, Cursor, SolutionFilter, StoreError};
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use minijinja::{Value, context};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use uuid::Uuid;

#[derive(Debug, Default, Deserialize)]
pub struct ListParams {
    #[serde(default)]
    q: String,
    #[serde(default)]
    lang: String,
    #[serde(default)]
    cursor: String,
}

fn lang_param(raw: &str) -> Option<Language> {
    raw.parse().ok()
}

/// A page of the newest articles (of one language or both; all or only the
/// public ones) from `cursor` on.
async fn newest(
    state: &AppState,
    language: Option<Language>,
    public_only: bool,
    cursor: &str,
    limit: usize,
) -> Result<amends_store::Page<amends_store::Solution>, UiError> {
    let filter = SolutionFilter {
        language,
        public_only,
        cursor: Cursor::decode(cursor),
        limit,
        ..SolutionFilter::default()
    };
    Ok(state.store().list_solutions(&filter).await?)
}

/// The articles that match `query` (of one language or both; all or only the public ones).
async fn search(
    state: &AppState,
    query: &str,
    language: Option<Language>,
    public_only: bool,
) -> Result<solutions::SearchResult, UiError> {
    let s = Search {
        query,
        language,
        public_only,
        limit: solutions::SEARCH_LIMIT,
    };
    Ok(solutions::search(state.store(), &s).await?)
}

/// `GET /solutions`: newest articles, or search results for `q`.
pub async fn list(State(state): State<AppState>, ui: UiUser, Query(p): Query<ListParams>) -> Result<Response, UiError> {
    let lang = lang_param(&p.lang);
    let q = p.q.trim();
    let (articles, next_cursor, search) = if q.is_empty() {
        let page = newest(&state, lang, false, &p.cursor, 50).await?;
        let items: Vec<Value> = page
            .items
            .iter()
            .map(|s| {
                context! { id => s.id, title => s.title.clone(), language => s.language.code(), tags => s.tags.0.clone(),
                public => s.public, version => s.version, updated_at => s.updated_at, excerpt => solutions::excerpt(&s.body, 160) }
            })
            .collect();
        (items, page.next_cursor, None)
    } else {
        let q: String = q.chars().take(500).collect();
        let result = search(&state, &q, lang, false).await?;
        let items: Vec<Value> = result
            .results
            .iter()
            .map(|h| {
                context! { id => h.id, title => h.title.clone(), language => h.language.code(), tags => h.tags.clone(),
                public => h.public, excerpt => h.excerpt.clone() }
            })
            .collect();
        (items, None, Some(result.corrected_query))
    };
    ui.page(
        &state,
        "solutions.html",
        context! {
            nav => "solutions",
            articles => articles,
            next_cursor => next_cursor,
            q => q,
            filter_lang => lang.map(Language::code),
            searched => search.is_some(),
            corrected => search.flatten(),
            can_manage => ui.user.role.can(Permission::ManageSolutions),
        },
    )
}

/// The editor's fields as typed.
#[derive(Debug, Default, Deserialize, Serialize)]
pub struct SolutionForm {
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub body: String,
    #[serde(default)]
    pub language: String,
    #[serde(default)]
    pub tags: String,
    /// A checkbox: present when ticked.
    #[serde(default)]
    pub public: Option<String>,
    /// The "Preview" button: show the text as readers will see it, save nothing.
    #[serde(default, skip_serializing)]
    pub preview: Option<String>,
}

async fn render_editor(
    state: &AppState,
    ui: &UiUser,
    id: Option<Uuid>,
    form: &SolutionForm,
    errors: &BTreeMap<String, String>,
    status: StatusCode,
) -> Result<Response, UiError> {
    // The preview is the article page's own rendering (raw HTML escaped,
    // unsafe link targets dropped).
    let preview = form
        .preview
        .is_some()
        .then(|| Value::from_safe_string(solutions::render_markdown(&form.body)));
    let html = ui.render(
        state,
        "solution_edit.html",
        context! {
            nav => "solutions",
            id => id,
            preview => preview,
            form => Value::from_serialize(form),
            errors => Value::from_serialize(errors),
            languages => Language::ALL.iter().map(|l| l.code()).collect::<Vec<_>>(),
        },
    )?;
    Ok((status, html).into_response())
}

/// `GET /solutions/new`.
pub async fn new_page(State(state): State<AppState>, ui: UiUser) -> Result<Response, UiError> {
    let form = SolutionForm {
        language: ui.lang().code().into(),
        ..SolutionForm::default()
    };
    render_editor(&state, &ui, None, &form, &BTreeMap::new(), StatusCode::OK).await
}

/// `GET /solutions/{id}/edit`.
pub async fn edit_page(State(state): State<AppState>, ui: UiUser, Path(id): Path<Uuid>) -> Result<Response, UiError> {
    let s = state.store().get_solution(id).await?;
    let form = SolutionForm {
        title: s.title,
        body: s.body,
        language: s.language.code().into(),
        tags: s.tags.0.join(", "),
        public: s.public.then(|| "on".into()),
        preview: None,
    };
    render_editor(&state, &ui, Some(id), &form, &BTreeMap::new(), StatusCode::OK).await
}

/// The catalogue key of an editor error.
fn error_key(e: &ValidationError) -> &'static str {
    match e.field.as_str() {
        "title" => "err-solution-title",
        "body" => "err-solution-body",
        "language" => "err-solution-language",
        "tags" => "err-solution-tags",
        _ => "err-invalid",
    }
}

async fn save(state: &AppState, ui: &UiUser, id: Option<Uuid>, f: SolutionForm) -> Result<Response, UiError> {
    ui.require(Permission::WorkCases)?;
    if f.preview.is_some() {
        return render_editor(state, ui, id, &f, &BTreeMap::new(), StatusCode::OK).await;
    }
    let draft = match SolutionDraft::parse(
        &f.title,
        &f.body,
        &f.language,
        std::slice::from_ref(&f.tags),
        f.public.is_some(),
    ) {
        Ok(d) => d,
        Err(e) => {
            let mut errors = BTreeMap::new();
            errors.insert(e.field.clone(), error_key(&e).to_string());
            return render_editor(state, ui, id, &f, &errors, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
    };
    match solutions::save(state.store(), id, &draft, Some(ui.user.id), state.now()).await {
        Ok(s) => Ok(crate::ui::flash::to(&format!("/solutions/{}", s.id), "flash-saved")),
        Err(StoreError::NotFound(_)) => Err(UiError::NotFound),
        Err(e) => Err(e.into()),
    }
}

/// `POST /solutions`: create.
pub async fn create(
    State(state): State<AppState>,
    CsrfForm(ui, f): CsrfForm<SolutionForm>,
) -> Result<Response, UiError> {
    save(&state, &ui, None, f).await
}

/// `POST /solutions/{id}`: a new version.
pub async fn update(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    CsrfForm(ui, f): CsrfForm<SolutionForm>,
) -> Result<Response, UiError> {
    save(&state, &ui, Some(id), f).await
}

/// `GET /solutions/{id}`: the article, its statistics and versions.
pub async fn page(State(state): State<AppState>, ui: UiUser, Path(id): Path<Uuid>) -> Result<Response, UiError> {
    let s = state.store().get_solution(id).await?;
    let stats = state.store().solution_stats(id).await?;
    let versions = state.store().solution_versions(id).await?;
    ui.page(
        &state,
        "solution.html",
        context! {
            nav => "solutions",
            s => Value::from_serialize(&s),
            body_html => Value::from_safe_string(solutions::render_markdown(&s.body)),
            stats => Value::from_serialize(stats),
            versions => Value::from_serialize(&versions),
            can_manage => ui.user.role.can(Permission::ManageSolutions),
        },
    )
}

/// `POST /solutions/{id}/delete` (leads and admins).
pub async fn delete(IdButton { state, id, ui }: IdButton) -> Result<Response, UiError> {
    solutions::delete(state.store(), id, Some(ui.user.id), state.now()).await?;
    Ok(crate::ui::flash::to("/solutions", "flash-deleted"))
}

#[derive(Debug, Deserialize)]
pub struct LinkForm {
    solution_id: String,
}

/// `POST /cases/{id}/solutions`: link an article to the case.
pub async fn link(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    CsrfForm(ui, f): CsrfForm<LinkForm>,
) -> Result<Response, UiError> {
    let solution: Uuid = f
        .solution_id
        .trim()
        .parse()
        .map_err(|_| UiError::BadRequest("solution_id must be a UUID".into()))?;
    solutions::link(state.store(), CaseId(id), solution, Some(ui.user.id), state.now()).await?;
    Ok(crate::ui::flash::to(&format!("/cases/{id}#solutions"), "flash-saved"))
}

/// The case page's panel: linked articles, suggestions and similar cases.
pub async fn case_panel(state: &AppState, case: &Case) -> Result<Value, UiError> {
    let mut p = solutions::for_case(state.store(), case).await?;
    // Already linked articles are listed once, as linked.
    p.suggested.retain(|h| !p.linked.iter().any(|l| l.id == h.id));
    Ok(context! {
        linked => Value::from_serialize(&p.linked),
        suggested => Value::from_serialize(&p.suggested),
        similar => Value::from_serialize(&p.similar_cases),
    })
}

#[derive(Debug, Default, Deserialize, Serialize)]
pub struct ThemeForm {
    #[serde(default)]
    pub title_de: String,
    #[serde(default)]
    pub title_en: String,
    #[serde(default)]
    pub logo_url: String,
    #[serde(default)]
    pub primary_color: String,
    #[serde(default)]
    pub background_color: String,
}

async fn render_theme(
    state: &AppState,
    ui: &UiUser,
    form: &ThemeForm,
    errors: &BTreeMap<String, String>,
    saved: bool,
    status: StatusCode,
) -> Result<Response, UiError> {
    let html = ui.render(
        state,
        "help_settings.html",
        context! {
            nav => "settings",
            form => Value::from_serialize(form),
            errors => Value::from_serialize(errors),
            saved => saved,
        },
    )?;
    Ok((status, html).into_response())
}

/// `GET /settings/help-center`.
pub async fn theme_page(State(state): State<AppState>, ui: UiUser) -> Result<Response, UiError> {
    let t = state.store().help_theme().await?;
    let form = ThemeForm {
        title_de: t.title_de,
        title_en: t.title_en,
        logo_url: t.logo_url,
        primary_color: t.primary_color,
        background_color: t.background_color,
    };
    render_theme(&state, &ui, &form, &BTreeMap::new(), false, StatusCode::OK).await
}

/// `POST /settings/help-center`.
pub async fn theme_save(
    State(state): State<AppState>,
    CsrfForm(ui, f): CsrfForm<ThemeForm>,
) -> Result<Response, UiError> {
    match HelpTheme::parse(
        &f.title_de,
        &f.title_en,
        &f.logo_url,
        &f.primary_color,
        &f.background_color,
    ) {
        Ok(t) => {
            amends_app::solutions::save_theme(&state, &t, ui.user.id).await?;
            render_theme(&state, &ui, &f, &BTreeMap::new(), true, StatusCode::OK).await
        }
        Err(e) => {
            let mut errors = BTreeMap::new();
            let key = if e.field.ends_with("color") {
                "err-help-color"
            } else if e.field == "logo_url" {
                "err-help-logo"
            } else {
                "err-help-title"
            };
            errors.insert(e.field.clone(), key.to_string());
            render_theme(&state, &ui, &f, &errors, false, StatusCode::UNPROCESSABLE_ENTITY).await
        }
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct HelpParams {
    #[serde(default)]
    q: String,
    #[serde(default)]
    lang: String,
    /// The next page of the article list (keyset cursor).
    #[serde(default)]
    cursor: String,
}

/// Articles per page of the public help center's list (newest first).
pub const HELP_ARTICLES_PER_PAGE: usize = 50;

/// The language of a public page: `?lang=`, else the first of the
/// browser's `Accept-Language` that amends speaks, else the configured default.
fn public_lang(state: &AppState, param: &str, headers: &HeaderMap) -> Language {
    if let Some(l) = lang_param(param) {
        return l;
    }
    crate::ui::error_page::browser_language(headers).unwrap_or(state.config().default_language)
}

async fn help_page(state: &AppState, lang: Language, extra: Value, status: StatusCode) -> Result<Response, UiError> {
    let theme = state.store().help_theme().await?;
    let html = render_page(
        state,
        "help.html",
        lang,
        None,
        context! {
            theme => Value::from_serialize(&theme),
            help_title => theme.title(lang).to_string(),
            ..extra
        },
    )?;
    Ok((status, html).into_response())
}

/// `GET /help`: the public articles of a language, or search results.
pub async fn help_home(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Query(p): Query<HelpParams>,
) -> Result<Response, UiError> {
    let lang = public_lang(&state, &p.lang, &headers);
    let q: String = p.q.trim().chars().take(200).collect();
    if q.is_empty() {
        let page = newest(&state, Some(lang), true, &p.cursor, HELP_ARTICLES_PER_PAGE).await?;
        let articles: Vec<Value> = page
            .items
            .iter()
            .map(|s| context! { id => s.id, title => s.title.clone(), excerpt => solutions::excerpt(&s.body, 160) })
            .collect();
        let paged = !p.cursor.trim().is_empty();
        return help_page(
            &state,
            lang,
            context! { articles => articles, q => "", next => page.next_cursor, paged => paged },
            StatusCode::OK,
        )
        .await;
    }
    let key = format!("help:{}", peer.ip());
    if !state
        .widget_limiter()
        .allow(&key, state.now(), HELP_SEARCHES_PER_IP_MINUTE)
    {
        return Err(UiError::TooManyRequests);
    }
    let result = search(&state, &q, Some(lang), true).await?;
    let articles: Vec<Value> = result
        .results
        .iter()
        .map(|h| context! { id => h.id, title => h.title.clone(), excerpt => h.excerpt.clone() })
        .collect();
    help_page(
        &state,
        lang,
        context! { articles => articles, q => q, searched => true, corrected => result.corrected_query },
        StatusCode::OK,
    )
    .await
}

/// `GET /help/articles/{id}`: one public article (internal ones are 404 here).
pub async fn help_article(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<Uuid>,
    Query(p): Query<HelpParams>,
) -> Result<Response, UiError> {
    let s = match state.store().get_solution(id).await {
        Ok(s) if s.public => s,
        Ok(_) | Err(StoreError::NotFound(_)) => return Err(UiError::NotFound),
        Err(e) => return Err(e.into()),
    };
    let lang = if p.lang.is_empty() {
        s.language
    } else {
        public_lang(&state, &p.lang, &headers)
    };
    help_page(
        &state,
        lang,
        context! {
            article => context! { id => s.id, title => s.title.clone(), updated_at => s.updated_at, tags => s.tags.0.clone() },
            body_html => Value::from_safe_string(solutions::render_markdown(&s.body)),
            q => "",
        },
        StatusCode::OK,
    )
    .await
}

#[cfg(test)]
mod tests {
    use amends_i18n::catalog::{DE_FTL, EN_FTL, I18n};

    #[test]
    fn every_editor_and_theme_error_has_a_translation() {
        let (de, en) = (I18n::keys(DE_FTL), I18n::keys(EN_FTL));
        for field in ["title", "body", "language", "tags", "other"] {
            let k = super::error_key(&amends_domain::ValidationError::new(field, "x")).to_string();
            assert!(de.contains(&k) && en.contains(&k), "missing {k}");
        }
        for k in ["err-help-color", "err-help-logo", "err-help-title"] {
            assert!(
                de.contains(&k.to_string()) && en.contains(&k.to_string()),
                "missing {k}"
            );
        }
    }
}
