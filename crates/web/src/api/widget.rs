//! `/api/v1/widget-sites`: the sites that embed the feedback widget (leads and admins).

use crate::api::json::{ApiJson, Created};
use crate::auth::Ctx;
use crate::error::{ApiResult, Problem};
use crate::state::AppState;
use amends_app::widget_sites::embed_tag;
use amends_app::widget_sites::{self as widget, SiteFields};
use amends_store::WidgetSite;
use axum::Json;
use axum::extract::Path;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_sites, create_site))
        .routes(routes!(get_site, patch_site, delete_site))
}

/// A site that embeds `<script src=".../widget.js" data-site-key="…" async></script>`.
#[derive(Debug, Serialize, ToSchema)]
pub struct WidgetSiteOut {
    pub id: Uuid,
    /// The public key for `data-site-key` (not a secret).
    pub site_key: String,
    pub name: String,
    pub allowed_origins: Vec<String>,
    pub language: String,
    pub enabled: bool,
    pub survey_question_de: Option<String>,
    pub survey_question_en: Option<String>,
    pub survey_trigger: Option<String>,
    pub survey_after_seconds: Option<i32>,
    pub survey_period_days: i32,
    /// The tag to put on the site's pages.
    pub embed: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl WidgetSiteOut {
    fn new(s: WidgetSite, base_url: &str) -> Self {
        Self {
            embed: embed_tag(base_url, &s.site_key),
            id: s.id,
            allowed_origins: s.origins(),
            site_key: s.site_key,
            name: s.name,
            language: s.language.code().into(),
            enabled: s.enabled,
            survey_question_de: s.survey_question_de,
            survey_question_en: s.survey_question_en,
            survey_trigger: s.survey_trigger,
            survey_after_seconds: s.survey_after_seconds,
            survey_period_days: s.survey_period_days,
            created_at: s.created_at,
            updated_at: s.updated_at,
        }
    }
}

#[utoipa::path(get, path = "/widget-sites", tag = "feedback",
    responses((status = 200, body = Vec<WidgetSiteOut>), (status = 403, body = Problem)))]
async fn list_sites(Ctx { state, .. }: Ctx) -> ApiResult<Json<Vec<WidgetSiteOut>>> {
    let base = state.config().base_url.clone();
    Ok(Json(
        state
            .store()
            .list_widget_sites()
            .await?
            .into_iter()
            .map(|s| WidgetSiteOut::new(s, &base))
            .collect(),
    ))
}

/// Add a site: `name` and `allowed_origins` are required; the key is made here.
#[utoipa::path(post, path = "/widget-sites", tag = "feedback", request_body = SiteFields,
    responses((status = 201, body = WidgetSiteOut), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn create_site(
    Ctx { state, actor }: Ctx,
    ApiJson(body): ApiJson<SiteFields>,
) -> ApiResult<Created<WidgetSiteOut>> {
    let site = widget::create_site(&state, body, actor.user.id).await?;
    Ok(Created(WidgetSiteOut::new(site, &state.config().base_url)))
}

#[utoipa::path(get, path = "/widget-sites/{id}", tag = "feedback", params(("id" = Uuid, Path)),
    responses((status = 200, body = WidgetSiteOut), (status = 404, body = Problem)))]
async fn get_site(Ctx { state, .. }: Ctx, Path(id): Path<Uuid>) -> ApiResult<Json<WidgetSiteOut>> {
    let site = state.store().get_widget_site(id).await?;
    Ok(Json(WidgetSiteOut::new(site, &state.config().base_url)))
}

/// Change a site; absent fields stay, an empty survey question or trigger removes it.
#[utoipa::path(patch, path = "/widget-sites/{id}", tag = "feedback", params(("id" = Uuid, Path)), request_body = SiteFields,
    responses((status = 200, body = WidgetSiteOut), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn patch_site(
    Ctx { state, actor }: Ctx,
    Path(id): Path<Uuid>,
    ApiJson(body): ApiJson<SiteFields>,
) -> ApiResult<Json<WidgetSiteOut>> {
    let site = widget::update_site(&state, id, body, actor.user.id).await?;
    Ok(Json(WidgetSiteOut::new(site, &state.config().base_url)))
}

#[utoipa::path(delete, path = "/widget-sites/{id}", tag = "feedback", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 404, body = Problem)))]
async fn delete_site(Ctx { state, actor }: Ctx, Path(id): Path<Uuid>) -> ApiResult<StatusCode> {
    widget::delete_site(&state, id, actor.user.id).await?;
    Ok(StatusCode::NO_CONTENT)
}
