//! Users, API tokens and login sessions. Secrets are stored only as hashes.

use crate::audit::{Audit, CommitAudited, new_id};
use crate::dialect::BeginWrite;
use crate::{ApiToken, Store, StoreError, User, with_pool};
use amends_domain::{Language, NonEmptyText, Role, TokenId, UserId};
use chrono::{DateTime, Duration, Utc};
use serde_json::json;

#[derive(Debug, Clone)]
pub struct NewUser {
    pub id: UserId,
    pub username: NonEmptyText,
    pub display_name: NonEmptyText,
    pub email: Option<String>,
    pub role: Role,
    pub language: Language,
    pub password_hash: String,
    pub created_at: DateTime<Utc>,
}

/// A live login session and its user.
#[derive(Debug, Clone)]
pub struct SessionRecord {
    pub user: User,
    pub csrf_token: String,
    pub expires_at: DateTime<Utc>,
}

const USER_COLUMNS: &str =
    "id, username, display_name, email, role, language, password_hash, active, created_at, updated_at";

impl Store {
    pub async fn insert_user(&self, u: &NewUser, actor: Option<UserId>) -> Result<User, StoreError> {
        with_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            let row = sqlx::query_as::<_, User>(sqlx::AssertSqlSafe(format!(
                "INSERT INTO users ({USER_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, TRUE, $8, $8) RETURNING {USER_COLUMNS}"
            )))
            .bind(u.id.0)
            .bind(u.username.as_str())
            .bind(u.display_name.as_str())
            .bind(&u.email)
            .bind(u.role.as_str())
            .bind(u.language.code())
            .bind(&u.password_hash)
            .bind(u.created_at)
            .fetch_one(&mut *tx)
            .await
            .map_err(|e| StoreError::unique(e, "username", || format!("the username `{}` is taken", u.username)))?;
            tx.commit_audited(Audit {
                actor,
                action: "user.create",
                entity: "user",
                entity_id: u.id.to_string(),
                detail: json!({"username": u.username.as_str(), "role": u.role}),
                at: u.created_at,
            })
            .await?;
            Ok(row)
        })
    }

    pub async fn get_user(&self, id: UserId) -> Result<User, StoreError> {
        self.row_by(&format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1"), id.0, "user")
            .await
    }

    pub async fn get_user_by_username(&self, username: &str) -> Result<User, StoreError> {
        self.row_by(
            &format!("SELECT {USER_COLUMNS} FROM users WHERE username = $1"),
            username.trim(),
            "user",
        )
        .await
    }

    /// All users by display name (teams are small: hundreds at most).
    pub async fn list_users(&self) -> Result<Vec<User>, StoreError> {
        self.all_rows(&format!(
            "SELECT {USER_COLUMNS} FROM users ORDER BY display_name LIMIT 1000"
        ))
        .await
    }

    pub async fn count_users(&self) -> Result<i64, StoreError> {
        with_pool!(self, |pool| {
            let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM users").fetch_one(pool).await?;
            Ok(n)
        })
    }

    pub async fn set_user_language(
        &self,
        id: UserId,
        language: Language,
        now: DateTime<Utc>,
    ) -> Result<User, StoreError> {
        with_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            let row = sqlx::query_as::<_, User>(sqlx::AssertSqlSafe(format!(
                "UPDATE users SET language = $2, updated_at = $3 WHERE id = $1 RETURNING {USER_COLUMNS}"
            )))
            .bind(id.0)
            .bind(language.code())
            .bind(now)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound("user"))?;
            tx.commit_audited(Audit {
                actor: Some(id),
                action: "user.language",
                entity: "user",
                entity_id: id.to_string(),
                detail: json!({"language": language}),
                at: now,
            })
            .await?;
            Ok(row)
        })
    }

    /// Stores a token by its hash; the plain token is shown to the user once.
    pub async fn insert_token(
        &self,
        user: UserId,
        name: &NonEmptyText,
        token_hash: &str,
        now: DateTime<Utc>,
        actor: Option<UserId>,
    ) -> Result<ApiToken, StoreError> {
        let id = TokenId(new_id(now));
        with_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            let row = sqlx::query_as::<_, ApiToken>(
                "INSERT INTO api_tokens (id, user_id, name, token_hash, created_at) VALUES ($1, $2, $3, $4, $5) \
                 RETURNING id, user_id, name, created_at, last_used_at, revoked_at",
            )
            .bind(id.0)
            .bind(user.0)
            .bind(name.as_str())
            .bind(token_hash)
            .bind(now)
            .fetch_one(&mut *tx)
            .await
            .map_err(|e| match &e {
                sqlx::Error::Database(db) if db.is_foreign_key_violation() => StoreError::NotFound("user"),
                _ => StoreError::Database(e),
            })?;
            tx.commit_audited(Audit {
                actor,
                action: "token.create",
                entity: "user",
                entity_id: user.to_string(),
                detail: json!({"token_id": id, "name": name.as_str()}),
                at: now,
            })
            .await?;
            Ok(row)
        })
    }

    /// The active user owning a live token with this hash. Marks the token
    /// used (at most once a minute, to keep reads cheap).
    pub async fn user_by_token_hash(&self, token_hash: &str, now: DateTime<Utc>) -> Result<Option<User>, StoreError> {
        with_pool!(self, |pool| {
            let found: Option<(uuid::Uuid, uuid::Uuid, Option<DateTime<Utc>>)> = sqlx::query_as(
                "SELECT t.id, t.user_id, t.last_used_at FROM api_tokens t JOIN users u ON u.id = t.user_id \
                 WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND u.active = TRUE",
            )
            .bind(token_hash)
            .fetch_optional(pool)
            .await?;
            let Some((token_id, user_id, last_used)) = found else {
                return Ok(None);
            };
            if last_used.is_none_or(|t| now - t > Duration::minutes(1)) {
                sqlx::query("UPDATE api_tokens SET last_used_at = $2 WHERE id = $1")
                    .bind(token_id)
                    .bind(now)
                    .execute(pool)
                    .await?;
            }
            Ok(Some(self.get_user(UserId(user_id)).await?))
        })
    }

    pub async fn list_tokens(&self, user: UserId) -> Result<Vec<ApiToken>, StoreError> {
        self.rows_by(
            "SELECT id, user_id, name, created_at, last_used_at, revoked_at FROM api_tokens WHERE user_id = $1 \
                 ORDER BY id DESC",
            user.0,
        )
        .await
    }

    pub async fn revoke_token(&self, user: UserId, id: TokenId, now: DateTime<Utc>) -> Result<(), StoreError> {
        with_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            let done = sqlx::query(
                "UPDATE api_tokens SET revoked_at = $3 WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL",
            )
            .bind(id.0)
            .bind(user.0)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() == 0 {
                return Err(StoreError::NotFound("token"));
            }
            tx.commit_audited(Audit {
                actor: Some(user),
                action: "token.revoke",
                entity: "user",
                entity_id: user.to_string(),
                detail: json!({"token_id": id}),
                at: now,
            })
            .await?;
            Ok(())
        })
    }

    pub async fn insert_session(
        &self,
        id_hash: &str,
        user: UserId,
        csrf_token: &str,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        with_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            sqlx::query(
                "INSERT INTO sessions (id_hash, user_id, csrf_token, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(id_hash)
            .bind(user.0)
            .bind(csrf_token)
            .bind(now)
            .bind(expires_at)
            .execute(&mut *tx)
            .await?;
            tx.commit_audited(Audit {
                actor: Some(user),
                action: "session.login",
                entity: "user",
                entity_id: user.to_string(),
                detail: serde_json::Value::Null,
                at: now,
            })
            .await?;
            Ok(())
        })
    }

    /// The live session with this hash, if any (expired ones are ignored).
    pub async fn get_session(&self, id_hash: &str, now: DateTime<Utc>) -> Result<Option<SessionRecord>, StoreError> {
        let found: Option<(uuid::Uuid, String, DateTime<Utc>)> = with_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT user_id, csrf_token, expires_at FROM sessions WHERE id_hash = $1 AND expires_at > $2",
            )
            .bind(id_hash)
            .bind(now)
            .fetch_optional(pool)
            .await?
        });
        let Some((user_id, csrf_token, expires_at)) = found else {
            return Ok(None);
        };
        let user = self.get_user(UserId(user_id)).await?;
        if !user.active {
            return Ok(None);
        }
        Ok(Some(SessionRecord {
            user,
            csrf_token,
            expires_at,
        }))
    }

    pub async fn delete_session(&self, id_hash: &str) -> Result<(), StoreError> {
        with_pool!(self, |pool| {
            sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
                .bind(id_hash)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// Removes expired sessions; returns how many.
    pub async fn purge_sessions(&self, now: DateTime<Utc>) -> Result<u64, StoreError> {
        with_pool!(self, |pool| {
            Ok(sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
                .bind(now)
                .execute(pool)
                .await?
                .rows_affected())
        })
    }
}
