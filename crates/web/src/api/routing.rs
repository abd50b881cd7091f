//! `/api/v1/routing`: routing of new cases to agents by language, tier,
//! skill and load — the on/off switch and each agent's routing profile.
//! The pick is `amends_domain::routing::pick`, run inside the case insert
//! (`amends_store::routing`).

use crate::api::json::ApiJson;
use crate::auth::Ctx;
use crate::error::{ApiResult, Problem};
use crate::state::AppState;
use amends_app::routing::{ProfileIn, known_skills, parse_profile, set_profile};
use amends_domain::UserId;
use amends_domain::routing::RoutingProfile;
use amends_store::{AgentRouting, RoutingSettings};
use axum::Json;
use axum::extract::Path;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_routing, set_routing))
        .routes(routes!(get_agent, set_agent))
}

/// An agent's routing profile.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ProfileOut {
    /// Customer languages handled: `de`, `en`.
    pub languages: Vec<String>,
    /// Topic ids of the text taxonomy, e.g. `billing`, `delivery`.
    pub skills: Vec<String>,
    /// Tiers served; `null` = all tiers.
    pub tiers: Option<Vec<String>>,
    pub available: bool,
    /// At most this many open cases.
    pub max_open: u32,
}

impl From<&RoutingProfile> for ProfileOut {
    fn from(p: &RoutingProfile) -> Self {
        Self {
            languages: p.languages.iter().map(|l| l.code().to_string()).collect(),
            skills: p.skills.clone(),
            tiers: p
                .tiers
                .as_ref()
                .map(|t| t.iter().map(|t| t.as_str().to_string()).collect()),
            available: p.available,
            max_open: p.max_open,
        }
    }
}

/// A user with their routing profile and current load.
#[derive(Debug, Serialize, ToSchema)]
pub struct AgentOut {
    pub user_id: Uuid,
    pub username: String,
    pub display_name: String,
    pub role: String,
    /// `null` until an admin sets one: such users are never routed to.
    pub profile: Option<ProfileOut>,
    /// Open cases assigned to the user now.
    pub open_load: i64,
    pub updated_at: Option<chrono::DateTime<chrono::Utc>>,
}

impl From<AgentRouting> for AgentOut {
    fn from(a: AgentRouting) -> Self {
        Self {
            user_id: a.user_id,
            username: a.username,
            display_name: a.display_name,
            role: a.role.as_str().to_string(),
            profile: a.profile.as_ref().map(ProfileOut::from),
            open_load: a.open_load,
            updated_at: a.updated_at,
        }
    }
}

/// Routing: on or off, who got the last routed case, every active user.
#[derive(Debug, Serialize, ToSchema)]
pub struct RoutingOut {
    pub enabled: bool,
    pub last_user_id: Option<Uuid>,
    pub last_user_name: Option<String>,
    pub last_routed_at: Option<chrono::DateTime<chrono::Utc>>,
    /// The skills a profile may name (topic ids of the text taxonomy).
    pub skills: Vec<String>,
    pub agents: Vec<AgentOut>,
}

/// Switch routing on or off.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoutingIn {
    pub enabled: bool,
}

async fn routing_out(state: &AppState) -> ApiResult<RoutingOut> {
    let s: RoutingSettings = state.store().routing_settings().await?;
    let agents = state.store().list_agent_routing().await?;
    Ok(RoutingOut {
        enabled: s.enabled,
        last_user_id: s.last_user_id,
        last_user_name: s.last_user_name,
        last_routed_at: s.last_routed_at,
        skills: known_skills(state),
        agents: agents.into_iter().map(AgentOut::from).collect(),
    })
}

/// Routing settings and every active user's profile and load (leads, admins).
#[utoipa::path(get, path = "/routing", tag = "routing",
    responses((status = 200, body = RoutingOut), (status = 403, body = Problem)))]
async fn get_routing(Ctx { state, .. }: Ctx) -> ApiResult<Json<RoutingOut>> {
    Ok(Json(routing_out(&state).await?))
}

/// Switch routing of new cases on or off (admins).
#[utoipa::path(put, path = "/routing", tag = "routing", request_body = RoutingIn,
    responses((status = 200, body = RoutingOut), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn set_routing(Ctx { state, actor }: Ctx, ApiJson(body): ApiJson<RoutingIn>) -> ApiResult<Json<RoutingOut>> {
    amends_app::routing::set_enabled(&state, body.enabled, actor.user.id).await?;
    Ok(Json(routing_out(&state).await?))
}

/// One user's routing profile and load (leads, admins).
#[utoipa::path(get, path = "/routing/agents/{id}", tag = "routing",
    params(("id" = Uuid, Path, description = "user id")),
    responses((status = 200, body = AgentOut), (status = 404, body = Problem)))]
async fn get_agent(Ctx { state, .. }: Ctx, Path(id): Path<Uuid>) -> ApiResult<Json<AgentOut>> {
    Ok(Json(state.store().get_agent_routing(UserId(id)).await?.into()))
}

/// Set a user's routing profile (admins).
#[utoipa::path(put, path = "/routing/agents/{id}", tag = "routing", request_body = ProfileIn,
    params(("id" = Uuid, Path, description = "user id")),
    responses((status = 200, body = AgentOut), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 422, body = Problem)))]
async fn set_agent(
    Ctx { state, actor }: Ctx,
    Path(id): Path<Uuid>,
    ApiJson(body): ApiJson<ProfileIn>,
) -> ApiResult<Json<AgentOut>> {
    every_item_a_value(&body)?;
    let p = parse_profile(&state, &body)?;
    Ok(Json(set_profile(&state, id, &p, actor.user.id).await?.into()))
}

/// Each list item of the API body is one value, as the document says (the
/// profile form may leave blank ones, which are skipped); `skills` holds at
/// most 50 items as sent.
fn every_item_a_value(body: &ProfileIn) -> ApiResult<()> {
    let none = Vec::new();
    for (field, items) in [
        ("languages", &body.languages),
        ("skills", &body.skills),
        ("tiers", body.tiers.as_ref().unwrap_or(&none)),
    ] {
        if items.iter().any(|s| s.trim() != s || s.is_empty()) {
            return Err(crate::error::ApiError::validation(
                field,
                format!("every item of {field} must be one value, without blanks or white space around it"),
            ));
        }
    }
    if body.skills.len() > amends_domain::routing::MAX_SKILLS {
        return Err(crate::error::ApiError::validation(
            "skills",
            format!(
                "at most {} skills, got {}",
                amends_domain::routing::MAX_SKILLS,
                body.skills.len()
            ),
        ));
    }
    Ok(())
}
