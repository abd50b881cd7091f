//! Routing profiles of agents: the raw profile a client sends, its
//! validation against the taxonomy's topics, and setting it.

use crate::App;
use crate::error::{AppError, AppResult};
use amends_domain::UserId;
use amends_domain::routing::RoutingProfile;
use amends_store::{AgentRouting, StoreError};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

/// An agent's routing profile to set.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProfileIn {
    /// At least one of `de`, `en`.
    #[schema(min_items = 1)]
    pub languages: Vec<String>,
    /// Topic ids (see `skills` of `GET /routing`), at most 50; may be empty.
    #[schema(max_items = 50)]
    #[serde(default)]
    pub skills: Vec<String>,
    /// Tiers served (`standard`, `premium`, `enterprise`); absent, `null` or empty = all.
    #[serde(default)]
    pub tiers: Option<Vec<String>>,
    pub available: bool,
    /// 1 to 10,000.
    #[schema(minimum = 1, maximum = 10_000)]
    pub max_open: i64,
}

/// The topic ids a profile may name as skills.
#[must_use]
pub fn known_skills(state: &App) -> Vec<String> {
    state.analyzer().taxonomy().ids().map(str::to_string).collect()
}

/// Validates a profile against the taxonomy's topic ids.
pub fn parse_profile(state: &App, p: &ProfileIn) -> AppResult<RoutingProfile> {
    let known = known_skills(state);
    let known: Vec<&str> = known.iter().map(String::as_str).collect();
    Ok(RoutingProfile::parse(
        &p.languages,
        &p.skills,
        p.tiers.as_deref(),
        p.available,
        p.max_open,
        &known,
    )?)
}

/// Sets `user`'s profile; an unknown or inactive user is a 404.
pub async fn set_profile(state: &App, user: Uuid, p: &RoutingProfile, actor: UserId) -> AppResult<AgentRouting> {
    state
        .store()
        .set_routing_profile(UserId(user), p, Some(actor), state.now())
        .await
        .map_err(|e| match e {
            StoreError::NotFound(_) => AppError::NotFound("user".into()),
            e => e.into(),
        })
}

/// Switches routing of new cases on or off.
pub async fn set_enabled(state: &App, enabled: bool, actor: UserId) -> AppResult<()> {
    state
        .store()
        .set_routing_enabled(enabled, Some(actor), state.now())
        .await?;
    Ok(())
}
