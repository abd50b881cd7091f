//! `/api/v1/solutions`: knowledge articles (versioned, searchable with
//! German and English stemming and typo correction), their use on cases
//! and statistics; `/api/v1/help-center`: the public help center's theme.

use crate::api::json::{ApiJson, Created};
use crate::auth::Ctx;
use crate::error::{ApiError, ApiResult, Problem};
use crate::query::ApiQuery;
use crate::state::AppState;
use amends_app::solutions::{self, CaseSolutions, Search, SearchResult};
use amends_domain::solution::{HelpTheme, SolutionDraft, SolutionStats};
use amends_domain::{CaseId, Language};
use amends_store::{Cursor, Page, Solution, SolutionFilter, SolutionVersion};
use axum::Json;
use axum::extract::Path;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_solutions, create_solution))
        .routes(routes!(search_solutions))
        .routes(routes!(get_solution, update_solution, delete_solution))
        .routes(routes!(solution_versions))
        .routes(routes!(case_solutions, link_solution))
        .routes(routes!(get_theme, put_theme))
}

/// An article to create or replace.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SolutionIn {
    /// 1 to 200 characters.
    pub title: String,
    /// Markdown, 1 to 100,000 characters. Raw HTML is shown as text.
    #[schema(min_length = 1, max_length = 100_000, pattern = "[\\S\\x1c-\\x1f]")]
    pub body: String,
    /// `de` or `en`.
    #[schema(value_type = crate::vocab::Language)]
    pub language: String,
    /// Up to 20 tags, each 1 to 40 letters, digits, `-` or `_`.
    #[schema(max_items = 20)]
    #[serde(default)]
    pub tags: Vec<String>,
    /// Shown in the public help center.
    #[serde(default)]
    pub public: bool,
}

impl SolutionIn {
    fn validate(&self) -> ApiResult<SolutionDraft> {
        // A form field may hold several tags; an API item is one.
        if self.tags.len() > amends_domain::solution::TAGS_MAX {
            return Err(ApiError::validation(
                "tags",
                format!(
                    "at most {} tags, got {}",
                    amends_domain::solution::TAGS_MAX,
                    self.tags.len()
                ),
            ));
        }
        if let Some(bad) = self.tags.iter().find(|t| {
            let n = t.chars().count();
            n == 0
                || n > amends_domain::solution::TAG_MAX
                || !t.chars().all(|c| c.is_alphanumeric() || c == '-' || c == '_')
        }) {
            return Err(ApiError::validation(
                "tags",
                format!("tag `{bad}` must have 1 to 40 letters, digits, `-` or `_`"),
            ));
        }
        Ok(SolutionDraft::parse(
            &self.title,
            &self.body,
            &self.language,
            &self.tags,
            self.public,
        )?)
    }
}

/// An article with its statistics.
#[derive(Debug, Serialize, ToSchema)]
pub struct SolutionOut {
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub solution: Solution,
    #[schema(value_type = Object)]
    pub stats: SolutionStats,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// `de` or `en`.
    #[param(value_type = Option<crate::vocab::Language>)]
    pub language: Option<String>,
    /// Only public articles.
    pub public: Option<bool>,
    pub tag: Option<String>,
    /// From the previous page's `next_cursor`.
    pub cursor: Option<String>,
    /// 1–200, default 50.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<usize>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct SearchQuery {
    /// Words to find (1–500 characters).
    #[param(min_length = 1, max_length = 500, pattern = r"\S")]
    pub q: String,
    /// `de` or `en`; both when absent.
    #[param(value_type = Option<crate::vocab::Language>)]
    pub lang: Option<String>,
    /// Only public articles (what the help center shows).
    pub public: Option<bool>,
    /// 1–50, default 20.
    #[param(minimum = 1, maximum = 50)]
    pub limit: Option<usize>,
}

fn language(field: &str, raw: Option<&str>) -> ApiResult<Option<Language>> {
    raw.filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<Language>()
                .map_err(|_| ApiError::validation(field, format!("{field} must be `de` or `en`, got `{s}`")))
        })
        .transpose()
}

/// Articles, newest first (keyset pagination).
#[utoipa::path(get, path = "/solutions", tag = "solutions", params(ListQuery),
    responses((status = 200, body = Object), (status = 422, body = Problem)))]
async fn list_solutions(Ctx { state, .. }: Ctx, ApiQuery(q): ApiQuery<ListQuery>) -> ApiResult<Json<Page<Solution>>> {
    let cursor = match q.cursor.as_deref() {
        Some(c) => Some(Cursor::decode(c).ok_or_else(|| ApiError::validation("cursor", "cursor is not valid"))?),
        None => None,
    };
    let filter = SolutionFilter {
        language: language("language", q.language.as_deref())?,
        public_only: q.public.unwrap_or(false),
        tag: q.tag.map(|t| t.trim().to_lowercase()).filter(|t| !t.is_empty()),
        cursor,
        limit: q.limit.unwrap_or(50),
    };
    if !(1..=200).contains(&filter.limit) {
        return Err(ApiError::validation("limit", "limit must be between 1 and 200"));
    }
    Ok(Json(state.store().list_solutions(&filter).await?))
}

/// Write an article (every role: knowledge is captured while working cases).
#[utoipa::path(post, path = "/solutions", tag = "solutions", request_body = SolutionIn,
    responses((status = 201, body = Object), (status = 422, body = Problem)))]
async fn create_solution(
    Ctx { state, actor }: Ctx,
    ApiJson(body): ApiJson<SolutionIn>,
) -> ApiResult<Created<Solution>> {
    let draft = body.validate()?;
    let s = solutions::save(state.store(), None, &draft, Some(actor.user.id), state.now()).await?;
    Ok(Created(s))
}

/// Full-text search with German and English stemming ("Rechnungen" finds
/// "Rechnung"), compound heads ("Verzögerung" finds "Lieferverzögerung"),
/// prefix matching of the last word and typo correction. Consistent right
/// after a write.
#[utoipa::path(get, path = "/solutions/search", tag = "solutions", params(SearchQuery),
    responses((status = 200, body = SearchResult), (status = 422, body = Problem)))]
async fn search_solutions(Ctx { state, .. }: Ctx, ApiQuery(q): ApiQuery<SearchQuery>) -> ApiResult<Json<SearchResult>> {
    let query = q.q.trim();
    if query.is_empty() || query.chars().count() > 500 {
        return Err(ApiError::validation("q", "q must have 1 to 500 characters"));
    }
    let limit = q.limit.unwrap_or(solutions::SEARCH_LIMIT);
    if !(1..=50).contains(&limit) {
        return Err(ApiError::validation("limit", "limit must be between 1 and 50"));
    }
    let s = Search {
        query,
        language: language("lang", q.lang.as_deref())?,
        public_only: q.public.unwrap_or(false),
        limit,
    };
    Ok(Json(solutions::search(state.store(), &s).await?))
}

#[utoipa::path(get, path = "/solutions/{id}", tag = "solutions", params(("id" = Uuid, Path)),
    responses((status = 200, body = SolutionOut), (status = 404, body = Problem)))]
async fn get_solution(Ctx { state, .. }: Ctx, Path(id): Path<Uuid>) -> ApiResult<Json<SolutionOut>> {
    let solution = state.store().get_solution(id).await?;
    let stats = state.store().solution_stats(id).await?;
    Ok(Json(SolutionOut { solution, stats }))
}

/// Replace an article: a new version; the old one stays in `/versions`.
#[utoipa::path(put, path = "/solutions/{id}", tag = "solutions", params(("id" = Uuid, Path)), request_body = SolutionIn,
    responses((status = 200, body = Object), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn update_solution(
    Ctx { state, actor }: Ctx,
    Path(id): Path<Uuid>,
    ApiJson(body): ApiJson<SolutionIn>,
) -> ApiResult<Json<Solution>> {
    let draft = body.validate()?;
    Ok(Json(
        solutions::save(state.store(), Some(id), &draft, Some(actor.user.id), state.now()).await?,
    ))
}

/// Delete an article with its versions and links (leads and admins).
#[utoipa::path(delete, path = "/solutions/{id}", tag = "solutions", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 404, body = Problem)))]
async fn delete_solution(Ctx { state, actor }: Ctx, Path(id): Path<Uuid>) -> ApiResult<StatusCode> {
    solutions::delete(state.store(), id, Some(actor.user.id), state.now()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Every version of an article, newest first.
#[utoipa::path(get, path = "/solutions/{id}/versions", tag = "solutions", params(("id" = Uuid, Path)),
    responses((status = 200, body = Vec<Object>), (status = 404, body = Problem)))]
async fn solution_versions(Ctx { state, .. }: Ctx, Path(id): Path<Uuid>) -> ApiResult<Json<Vec<SolutionVersion>>> {
    state.store().get_solution(id).await?;
    Ok(Json(state.store().solution_versions(id).await?))
}

#[utoipa::path(get, path = "/cases/{id}/solutions", tag = "solutions", params(("id" = Uuid, Path)),
    responses((status = 200, body = CaseSolutions), (status = 404, body = Problem)))]
async fn case_solutions(Ctx { state, .. }: Ctx, Path(id): Path<Uuid>) -> ApiResult<Json<CaseSolutions>> {
    let case = state.store().get_case(CaseId(id)).await?;
    Ok(Json(solutions::for_case(state.store(), &case).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkIn {
    pub solution_id: Uuid,
}

/// Link an article to a case (counts as a use in its statistics; once per case).
#[utoipa::path(post, path = "/cases/{id}/solutions", tag = "solutions", params(("id" = Uuid, Path)), request_body = LinkIn,
    responses((status = 201, description = "linked"), (status = 200, description = "was linked already"),
        (status = 404, body = Problem)))]
async fn link_solution(
    Ctx { state, actor }: Ctx,
    Path(id): Path<Uuid>,
    ApiJson(body): ApiJson<LinkIn>,
) -> ApiResult<StatusCode> {
    let created = solutions::link(
        state.store(),
        CaseId(id),
        body.solution_id,
        Some(actor.user.id),
        state.now(),
    )
    .await?;
    Ok(if created { StatusCode::CREATED } else { StatusCode::OK })
}

/// The help center's look.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ThemeIo {
    /// 1 to 100 characters.
    pub title_de: String,
    /// 1 to 100 characters.
    pub title_en: String,
    /// `https://…` address of a logo (at most 500 characters, no white
    /// space, quotes, angle brackets or backslashes), or empty.
    #[schema(
        max_length = 500,
        pattern = "^[^\\S\\x1c-\\x1f]*(?:https?://(?:[^\\s\"'<>\\\\]|[\\x1c-\\x1f])*)?[^\\S\\x1c-\\x1f]*$"
    )]
    #[serde(default)]
    pub logo_url: String,
    /// `#rrggbb`.
    #[schema(pattern = "^#[0-9A-Fa-f]{6}$")]
    pub primary_color: String,
    /// `#rrggbb`.
    #[schema(pattern = "^#[0-9A-Fa-f]{6}$")]
    pub background_color: String,
}

impl From<HelpTheme> for ThemeIo {
    fn from(t: HelpTheme) -> Self {
        Self {
            title_de: t.title_de,
            title_en: t.title_en,
            logo_url: t.logo_url,
            primary_color: t.primary_color,
            background_color: t.background_color,
        }
    }
}

#[utoipa::path(get, path = "/help-center/theme", tag = "solutions",
    responses((status = 200, body = ThemeIo)))]
async fn get_theme(Ctx { state, .. }: Ctx) -> ApiResult<Json<ThemeIo>> {
    Ok(Json(state.store().help_theme().await?.into()))
}

/// Set the help center's titles, logo and colours (leads and admins).
#[utoipa::path(put, path = "/help-center/theme", tag = "solutions", request_body = ThemeIo,
    responses((status = 200, body = ThemeIo), (status = 422, body = Problem)))]
async fn put_theme(Ctx { state, actor }: Ctx, ApiJson(body): ApiJson<ThemeIo>) -> ApiResult<Json<ThemeIo>> {
    let theme = HelpTheme::parse(
        &body.title_de,
        &body.title_en,
        &body.logo_url,
        &body.primary_color,
        &body.background_color,
    )?;
    let saved = amends_app::solutions::save_theme(&state, &theme, actor.user.id).await?;
    Ok(Json(saved.into()))
}
