//! Routing of new cases: agents' routing profiles, the on/off switch and
//! the round-robin pointer (one row, so several instances agree), and the
//! step inside a case insert that picks the assignee. The pick itself is
//! `amends_domain::routing::pick`; this module only reads the candidates
//! with their open loads and writes the outcome.

use crate::audit::{Audit, CommitAudited};
use crate::dialect::BeginWrite;
use crate::rows::Exists;
use crate::{NewCase, Store, StoreError, with_pool};
use amends_domain::routing::{Candidate, RoutingProfile};
use amends_domain::{Language, Role, Tier, UserId};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

/// What routing needs to know about a new case besides its tier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteRequest {
    /// The customer's language.
    pub language: Language,
    /// Topic ids found in the case's text.
    pub topics: Vec<String>,
}

/// Whether routing is on, and who got the last routed case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RoutingSettings {
    pub enabled: bool,
    pub last_user_id: Option<Uuid>,
    pub last_user_name: Option<String>,
    pub last_routed_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
}

/// An active user with their routing profile (if any) and open load.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AgentRouting {
    pub user_id: Uuid,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    /// `None` until an admin gave the user a profile (then never routed to).
    pub profile: Option<RoutingProfile>,
    /// Open cases assigned to the user now.
    pub open_load: i64,
    pub updated_at: Option<DateTime<Utc>>,
}

#[derive(sqlx::FromRow)]
pub(crate) struct ProfileRow {
    user_id: Uuid,
    username: String,
    display_name: String,
    #[sqlx(try_from = "String")]
    role: Role,
    languages: Option<String>,
    skills: Option<String>,
    tiers: Option<String>,
    available: Option<bool>,
    max_open: Option<i32>,
    updated_at: Option<DateTime<Utc>>,
    open_load: i64,
}

impl ProfileRow {
    /// The stored profile (written validated; a broken row reads as none).
    fn profile(&self) -> Option<RoutingProfile> {
        let languages: Vec<Language> = serde_json::from_str(self.languages.as_deref()?).ok()?;
        let skills: Vec<String> = serde_json::from_str(self.skills.as_deref()?).ok()?;
        let tiers: Option<Vec<Tier>> = match self.tiers.as_deref() {
            None => None,
            Some(t) => Some(serde_json::from_str(t).ok()?),
        };
        Some(RoutingProfile {
            languages,
            skills,
            tiers,
            available: self.available?,
            max_open: u32::try_from(self.max_open?).ok()?,
        })
    }

    fn into_agent(self) -> AgentRouting {
        AgentRouting {
            profile: self.profile(),
            user_id: self.user_id,
            role: self.role,
            username: self.username,
            display_name: self.display_name,
            open_load: self.open_load,
            updated_at: self.updated_at,
        }
    }
}

/// Active users with their profiles and open loads.
pub(crate) const AGENT_SELECT: &str = "SELECT u.id AS user_id, u.username, u.display_name, u.role, p.languages, p.skills, \
     p.tiers, p.available, p.max_open, p.updated_at, \
     (SELECT COUNT(*) FROM cases c WHERE c.assignee_id = u.id AND c.open = TRUE) AS open_load \
     FROM users u LEFT JOIN routing_profiles p ON p.user_id = u.id WHERE u.active = TRUE";

/// The agent a case was routed to: user, display name and reason.
pub(crate) type Routed = (UserId, String, amends_domain::routing::RouteReason);

crate::backend_trait! {
    /// Routing inside the transaction that inserts a case.
    pub(crate) trait Routing {
        /// Routes the case `c` (a `&NewCase`) inside this transaction when
        /// it asks for routing, has no assignee and routing is on. Takes the
        /// routing row's lock first (an `UPDATE`), so concurrent inserts on other
        /// instances route one after another and see each other's loads; then
        /// reads the available agents with their open loads, lets
        /// `amends_domain::routing::pick` choose, and moves the round-robin
        /// pointer. Gives `Some((user, display name, reason))` or `None`.
        async fn route_case(&mut self, c: &NewCase) -> Result<Option<Routed>, StoreError> {
            let mut routed: Option<Routed> = None;
            if let (Some(req), None) = (&c.route, c.assignee_id) {
                let on: Option<(bool,)> = sqlx::query_as("SELECT enabled FROM routing_state WHERE id = 1")
                    .fetch_optional(&mut *self)
                    .await?;
                if on.is_some_and(|(e,)| e) {
                    let (last,): (Option<uuid::Uuid>,) = sqlx::query_as(
                        "UPDATE routing_state SET last_routed_at = last_routed_at WHERE id = 1 RETURNING last_user_id",
                    )
                    .fetch_one(&mut *self)
                    .await?;
                    let rows: Vec<crate::routing::ProfileRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                        "{} AND p.available = TRUE",
                        crate::routing::AGENT_SELECT
                    )))
                    .fetch_all(&mut *self)
                    .await?;
                    let rows: Vec<(uuid::Uuid, String, amends_domain::routing::Candidate)> =
                        rows.into_iter().filter_map(crate::routing::candidate_of).collect();
                    let candidates: Vec<amends_domain::routing::Candidate> =
                        rows.iter().map(|(_, _, cand)| cand.clone()).collect();
                    let needs = amends_domain::routing::CaseNeeds {
                        language: req.language,
                        tier: c.tier,
                        topics: &req.topics,
                    };
                    if let Some(r) = amends_domain::routing::pick(&candidates, &needs, last.map(amends_domain::UserId))
                    {
                        sqlx::query("UPDATE routing_state SET last_user_id = $1, last_routed_at = $2 WHERE id = 1")
                            .bind(r.user_id.0)
                            .bind(c.created_at)
                            .execute(&mut *self)
                            .await?;
                        let name = rows
                            .iter()
                            .find(|(id, _, _)| *id == r.user_id.0)
                            .map(|(_, n, _)| n.clone())
                            .unwrap_or_default();
                        routed = Some((r.user_id, name, r.reason));
                    }
                }
            }
            Ok(routed)
        }
    }
}

/// The user id, display name and routing candidate of a row with a profile.
pub(crate) fn candidate_of(r: ProfileRow) -> Option<(Uuid, String, Candidate)> {
    let profile = r.profile()?;
    Some((
        r.user_id,
        r.display_name.clone(),
        Candidate {
            user_id: UserId(r.user_id),
            profile,
            open_load: u32::try_from(r.open_load).unwrap_or(u32::MAX),
        },
    ))
}

/// enabled, last user, their name, last routed at, updated at.
type StateRow = (bool, Option<Uuid>, Option<String>, Option<DateTime<Utc>>, DateTime<Utc>);

impl Store {
    /// Whether routing is on and who got the last routed case.
    pub async fn routing_settings(&self) -> Result<RoutingSettings, StoreError> {
        with_pool!(self, |pool| {
            let row: Option<StateRow> = sqlx::query_as(
                "SELECT s.enabled, s.last_user_id, u.display_name, s.last_routed_at, s.updated_at \
                     FROM routing_state s LEFT JOIN users u ON u.id = s.last_user_id WHERE s.id = 1",
            )
            .fetch_optional(pool)
            .await?;
            let (enabled, last_user_id, last_user_name, last_routed_at, updated_at) =
                row.ok_or(StoreError::NotFound("routing state"))?;
            Ok(RoutingSettings {
                enabled,
                last_user_id,
                last_user_name,
                last_routed_at,
                updated_at,
            })
        })
    }

    /// Switches routing on or off (audited).
    pub async fn set_routing_enabled(
        &self,
        enabled: bool,
        actor: Option<UserId>,
        now: DateTime<Utc>,
    ) -> Result<RoutingSettings, StoreError> {
        with_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            sqlx::query("UPDATE routing_state SET enabled = $1, updated_at = $2 WHERE id = 1")
                .bind(enabled)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            tx.commit_audited(Audit {
                actor,
                action: "routing.set",
                entity: "routing",
                entity_id: "settings".into(),
                detail: json!({"enabled": enabled}),
                at: now,
            })
            .await?;
            Ok::<(), StoreError>(())
        })?;
        self.routing_settings().await
    }

    /// Every active user with their routing profile and open load, by name.
    pub async fn list_agent_routing(&self) -> Result<Vec<AgentRouting>, StoreError> {
        with_pool!(self, |pool| {
            let rows: Vec<ProfileRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "{AGENT_SELECT} ORDER BY u.display_name, u.id LIMIT 1000"
            )))
            .fetch_all(pool)
            .await?;
            Ok(rows.into_iter().map(ProfileRow::into_agent).collect())
        })
    }

    /// One active user's routing.
    pub async fn get_agent_routing(&self, user: UserId) -> Result<AgentRouting, StoreError> {
        with_pool!(self, |pool| {
            let row: Option<ProfileRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!("{AGENT_SELECT} AND u.id = $1")))
                .bind(user.0)
                .fetch_optional(pool)
                .await?;
            row.map(ProfileRow::into_agent).ok_or(StoreError::NotFound("user"))
        })
    }

    /// Sets a user's routing profile (audited). Unknown or inactive user → not found.
    pub async fn set_routing_profile(
        &self,
        user: UserId,
        p: &RoutingProfile,
        actor: Option<UserId>,
        now: DateTime<Utc>,
    ) -> Result<AgentRouting, StoreError> {
        let languages = serde_json::to_string(&p.languages).unwrap_or_else(|_| "[]".into());
        let skills = serde_json::to_string(&p.skills).unwrap_or_else(|_| "[]".into());
        let tiers = p
            .tiers
            .as_ref()
            .map(|t| serde_json::to_string(t).unwrap_or_else(|_| "[]".into()));
        with_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            tx.require_row("SELECT id FROM users WHERE id = $1 AND active = TRUE", user.0, "user")
                .await?;
            sqlx::query(
                "INSERT INTO routing_profiles (user_id, languages, skills, tiers, available, max_open, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (user_id) DO UPDATE SET \
                 languages = excluded.languages, skills = excluded.skills, tiers = excluded.tiers, \
                 available = excluded.available, max_open = excluded.max_open, updated_at = excluded.updated_at",
            )
            .bind(user.0)
            .bind(&languages)
            .bind(&skills)
            .bind(tiers.as_deref())
            .bind(p.available)
            .bind(i32::try_from(p.max_open).unwrap_or(i32::MAX))
            .bind(now)
            .execute(&mut *tx)
            .await?;
            tx.commit_audited(Audit {
                actor,
                action: "routing.profile.set",
                entity: "user",
                entity_id: user.to_string(),
                detail: json!(p),
                at: now,
            })
            .await?;
            Ok::<(), StoreError>(())
        })?;
        self.get_agent_routing(user).await
    }
}
