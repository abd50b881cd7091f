//! `/api/v1/me`, `/api/v1/users`, `/api/v1/tokens`, `/api/v1/audit`.

use crate::api::json::{ApiJson, Created};
use crate::auth::{Actor, Ctx};
use crate::dto::{AuditOut, PersonRef, TokenCreated, TokenIn, UserIn, UserOut};
use crate::error::{ApiError, ApiResult, Problem};
use crate::query::ApiQuery;
use crate::state::AppState;
use amends_app::service::{self, UserInput};
use amends_domain::TokenId;
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
        .routes(routes!(me))
        .routes(routes!(list_users, create_user))
        .routes(routes!(create_token, list_tokens))
        .routes(routes!(revoke_token))
        .routes(routes!(list_audit))
}

/// The calling user.
#[utoipa::path(get, path = "/me", tag = "users", responses((status = 200, body = UserOut), (status = 401, body = Problem)))]
async fn me(actor: Actor) -> Json<UserOut> {
    Json(actor.user.into())
}

/// All users (for assignment pickers).
#[utoipa::path(get, path = "/users", tag = "users", responses((status = 200, body = Vec<UserOut>)))]
async fn list_users(Ctx { state, .. }: Ctx) -> ApiResult<Json<Vec<UserOut>>> {
    Ok(Json(
        state.store().list_users().await?.into_iter().map(Into::into).collect(),
    ))
}

/// Create a user (admins only).
#[utoipa::path(post, path = "/users", tag = "users", request_body = UserIn,
    responses((status = 201, body = UserOut), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn create_user(Ctx { state, actor }: Ctx, ApiJson(body): ApiJson<UserIn>) -> ApiResult<Created<UserOut>> {
    let input = UserInput {
        username: body.username,
        display_name: body.display_name,
        email: body.email,
        role: body.role,
        language: body.language,
        password: body.password,
    };
    let user = service::create_user(state.store(), state.now(), input, Some(actor.user.id)).await?;
    Ok(Created(user.into()))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenOut {
    id: Uuid,
    name: String,
    created_at: chrono::DateTime<chrono::Utc>,
    last_used_at: Option<chrono::DateTime<chrono::Utc>>,
    revoked_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// Create an API token for yourself. The token is in the response only.
#[utoipa::path(post, path = "/tokens", tag = "users", request_body = TokenIn,
    responses((status = 201, body = TokenCreated), (status = 422, body = Problem)))]
async fn create_token(Ctx { state, actor }: Ctx, ApiJson(body): ApiJson<TokenIn>) -> ApiResult<Created<TokenCreated>> {
    let (rec, token) = service::create_token(
        state.store(),
        state.now(),
        actor.user.id,
        &body.name,
        Some(actor.user.id),
    )
    .await?;
    Ok(Created(TokenCreated {
        id: rec.id.0,
        name: rec.name,
        token,
    }))
}

/// Your API tokens (without the secrets).
#[utoipa::path(get, path = "/tokens", tag = "users", responses((status = 200, body = Vec<TokenOut>)))]
async fn list_tokens(Ctx { state, actor }: Ctx) -> ApiResult<Json<Vec<TokenOut>>> {
    let list = state.store().list_tokens(actor.user.id).await?;
    Ok(Json(
        list.into_iter()
            .map(|t| TokenOut {
                id: t.id.0,
                name: t.name,
                created_at: t.created_at,
                last_used_at: t.last_used_at,
                revoked_at: t.revoked_at,
            })
            .collect(),
    ))
}

/// Revoke one of your API tokens.
#[utoipa::path(delete, path = "/tokens/{id}", tag = "users", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 404, body = Problem)))]
async fn revoke_token(Ctx { state, actor }: Ctx, Path(id): Path<Uuid>) -> ApiResult<StatusCode> {
    amends_app::service::revoke_token(&state, actor.user.id, TokenId(id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// case, customer, user, account
    entity: Option<String>,
    entity_id: Option<String>,
    /// Entries older than this entry id.
    before: Option<Uuid>,
    /// 1–500, default 100
    #[param(minimum = 1, maximum = 500)]
    limit: Option<usize>,
}

/// The audit log, newest first (leads and admins).
#[utoipa::path(get, path = "/audit", tag = "users", params(AuditQuery),
    responses((status = 200, body = Vec<AuditOut>), (status = 403, body = Problem)))]
async fn list_audit(Ctx { state, actor: _ }: Ctx, ApiQuery(q): ApiQuery<AuditQuery>) -> ApiResult<Json<Vec<AuditOut>>> {
    let limit = q.limit.unwrap_or(100);
    if !(1..=500).contains(&limit) {
        return Err(ApiError::validation(
            "limit",
            format!("limit must be 1 to 500, got {limit}"),
        ));
    }
    let list = state
        .store()
        .list_audit(q.entity.as_deref(), q.entity_id.as_deref(), q.before, limit)
        .await?;
    Ok(Json(
        list.into_iter()
            .map(|a| AuditOut {
                id: a.id,
                actor: a.actor_id.map(|id| PersonRef {
                    id,
                    name: a.actor_name.clone().unwrap_or_default(),
                }),
                detail: a
                    .detail
                    .as_deref()
                    .and_then(|d| serde_json::from_str(d).ok())
                    .unwrap_or(serde_json::Value::Null),
                action: a.action,
                entity: a.entity,
                entity_id: a.entity_id,
                created_at: a.created_at,
            })
            .collect(),
    ))
}
