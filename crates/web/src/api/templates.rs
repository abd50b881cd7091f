//! `/api/v1/templates`: reply templates per purpose and language with
//! `{{variable}}` placeholders, and a preview rendered with a case's values.

use crate::api::json::{ApiJson, Created};
use crate::auth::Ctx;
use crate::error::{ApiResult, Problem};
use crate::query::ApiQuery;
use crate::state::AppState;
use amends_app::templates::{self, PreviewOut, render_template, values_for_case};
use amends_domain::template::{TemplateDraft, TemplatePurpose, TemplateValues};
use amends_domain::{CaseId, Language};
use amends_store::{ReplyTemplate, TemplateFilter};
use axum::Json;
use axum::extract::Path;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_templates, create_template))
        .routes(routes!(get_template, update_template, delete_template))
        .routes(routes!(preview_template))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct ListQuery {
    /// `reply`, `apology`, `solution`, `goodwill_offer`, `follow_up`, `incident_notice`, `incident_closing`.
    #[param(pattern = "^(reply|apology|solution|goodwill_offer|follow_up|incident_notice|incident_closing)$")]
    pub purpose: Option<String>,
    /// `de` or `en`.
    #[param(value_type = Option<crate::vocab::Language>)]
    pub language: Option<String>,
    /// Only active templates (default false: all).
    #[serde(default)]
    pub active: Option<bool>,
}

/// A template to create or replace.
#[derive(Debug, Deserialize, ToSchema)]
pub struct TemplateIn {
    /// 1 to 100 characters.
    pub name: String,
    /// `reply`, `apology`, `solution`, `goodwill_offer`, `follow_up`, `incident_notice`, `incident_closing`.
    #[schema(value_type = crate::vocab::TemplatePurpose)]
    pub purpose: String,
    /// `de` or `en`.
    #[schema(value_type = crate::vocab::Language)]
    pub language: String,
    /// At most 200 characters; may use variables.
    #[serde(default)]
    pub subject: String,
    /// 1 to 10,000 characters. Variables: `{{customer_name}}`, `{{case_reference}}`,
    /// `{{case_subject}}`, `{{agent_name}}`, `{{incident_title}}`, `{{delay_minutes}}`, `{{goodwill}}`,
    /// `{{solution_title}}`, `{{solution_url}}` (the article last linked to the case; the URL only for public ones).
    pub body: String,
    #[serde(default = "yes")]
    pub active: bool,
}

fn yes() -> bool {
    true
}

impl TemplateIn {
    pub fn validate(&self) -> ApiResult<TemplateDraft> {
        Ok(TemplateDraft::parse(
            &self.name,
            &self.purpose,
            &self.language,
            &self.subject,
            &self.body,
            self.active,
        )?)
    }
}

/// Preview input: without a case, sample values are used.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct PreviewIn {
    #[serde(default)]
    pub case_id: Option<Uuid>,
}

/// Reply templates, optionally by purpose, language and active flag.
#[utoipa::path(get, path = "/templates", tag = "templates", params(ListQuery),
    responses((status = 200, body = Vec<Object>), (status = 422, body = Problem)))]
async fn list_templates(
    Ctx { state, .. }: Ctx,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<Vec<ReplyTemplate>>> {
    let filter = TemplateFilter {
        purpose: q.purpose.as_deref().map(str::parse::<TemplatePurpose>).transpose()?,
        language: q.language.as_deref().map(str::parse::<Language>).transpose()?,
        active_only: q.active.unwrap_or(false),
    };
    Ok(Json(state.store().list_templates(filter).await?))
}

/// Add a reply template (leads and admins).
#[utoipa::path(post, path = "/templates", tag = "templates", request_body = TemplateIn,
    responses((status = 201, body = Object), (status = 422, body = Problem)))]
async fn create_template(
    Ctx { state, actor }: Ctx,
    ApiJson(body): ApiJson<TemplateIn>,
) -> ApiResult<Created<ReplyTemplate>> {
    let draft = body.validate()?;
    let t = templates::save(&state, None, &draft, actor.user.id).await?;
    Ok(Created(t))
}

#[utoipa::path(get, path = "/templates/{id}", tag = "templates", params(("id" = Uuid, Path)),
    responses((status = 200, body = Object), (status = 404, body = Problem)))]
async fn get_template(Ctx { state, .. }: Ctx, Path(id): Path<Uuid>) -> ApiResult<Json<ReplyTemplate>> {
    Ok(Json(state.store().get_template(id).await?))
}

/// Replace a reply template (leads and admins).
#[utoipa::path(put, path = "/templates/{id}", tag = "templates", params(("id" = Uuid, Path)), request_body = TemplateIn,
    responses((status = 200, body = Object), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn update_template(
    Ctx { state, actor }: Ctx,
    Path(id): Path<Uuid>,
    ApiJson(body): ApiJson<TemplateIn>,
) -> ApiResult<Json<ReplyTemplate>> {
    let draft = body.validate()?;
    Ok(Json(templates::save(&state, Some(id), &draft, actor.user.id).await?))
}

/// Delete a reply template (leads and admins).
#[utoipa::path(delete, path = "/templates/{id}", tag = "templates", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 404, body = Problem)))]
async fn delete_template(Ctx { state, actor }: Ctx, Path(id): Path<Uuid>) -> ApiResult<StatusCode> {
    templates::delete(&state, id, actor.user.id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Render a template: with `case_id`, for that case's customer and the
/// calling agent; without, with sample values in the template's language.
#[utoipa::path(post, path = "/templates/{id}/preview", tag = "templates", params(("id" = Uuid, Path)),
    request_body = PreviewIn,
    responses((status = 200, body = PreviewOut), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn preview_template(
    Ctx { state, actor }: Ctx,
    Path(id): Path<Uuid>,
    ApiJson(body): ApiJson<PreviewIn>,
) -> ApiResult<Json<PreviewOut>> {
    let t = state.store().get_template(id).await?;
    let values = match body.case_id {
        Some(case_id) => {
            let case = state.store().get_case(CaseId(case_id)).await?;
            let mut v =
                values_for_case(state.store(), &state.config().base_url, &case, &actor.user.display_name).await?;
            v.fair_url = Some(amends_app::fair::link(&state, case.id));
            v
        }
        None => TemplateValues::sample(t.language),
    };
    Ok(Json(render_template(&t, &values)))
}
