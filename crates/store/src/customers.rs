//! Customers and B2B accounts.

use crate::audit::{Audit, CommitAudited};
use crate::dialect::BeginWrite;
use crate::rows::Exists;
use crate::{Account, Cursor, Customer, Page, Store, StoreError, with_pool};
use amends_domain::{AccountId, CustomerId, Email, Language, NonEmptyText, Tier, UserId};
use chrono::{DateTime, Utc};
use serde_json::json;

/// A validated customer to insert.
#[derive(Debug, Clone)]
pub struct NewCustomer {
    pub id: CustomerId,
    pub external_id: Option<String>,
    pub account_id: Option<AccountId>,
    pub name: NonEmptyText,
    pub email: Option<Email>,
    pub language: Language,
    pub tier: Tier,
    pub clv_cents: i64,
    pub consent_contact: bool,
    pub consent_survey: bool,
    pub created_at: DateTime<Utc>,
}

/// Fields to change; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct CustomerPatch {
    pub name: Option<NonEmptyText>,
    pub email: Option<Option<Email>>,
    pub language: Option<Language>,
    pub tier: Option<Tier>,
    pub clv_cents: Option<i64>,
    pub account_id: Option<Option<AccountId>>,
    pub consent_contact: Option<bool>,
    pub consent_survey: Option<bool>,
    pub churned_at: Option<Option<DateTime<Utc>>>,
}

#[derive(Debug, Clone, Default)]
pub struct CustomerFilter {
    pub account_id: Option<AccountId>,
    pub tier: Option<Tier>,
    /// Exact email (case-insensitive), exact external id, or any part of
    /// the name (case-insensitive).
    pub q: Option<String>,
    pub cursor: Option<Cursor>,
    pub limit: usize,
}

pub(crate) const CUSTOMER_COLUMNS: &str = "id, external_id, account_id, name, email, language, tier, clv_cents, consent_contact, \
     consent_survey, created_at, updated_at, churned_at, erased_at";

fn external_id_taken(ext: &Option<String>) -> String {
    format!(
        "a customer with external_id `{}` exists already; use PUT /api/v1/customers/by-external-id/{{external_id}} to update it",
        ext.as_deref().unwrap_or_default()
    )
}

/// A unique violation of a customer row as a conflict naming the field:
/// the email address (index `customers_email`, case-insensitive) or else
/// the external id.
fn customer_taken(e: sqlx::Error, email: Option<&str>, ext: &Option<String>) -> StoreError {
    let on_email = matches!(&e, sqlx::Error::Database(db) if db.message().contains("customers_email"));
    if on_email {
        StoreError::unique(e, "email", || {
            format!(
                "a customer with email `{}` exists already (addresses compare without case)",
                email.unwrap_or_default()
            )
        })
    } else {
        StoreError::unique(e, "external_id", || external_id_taken(ext))
    }
}

/// The customer with the email `$1` (compared without case).
fn by_email_sql() -> String {
    format!("SELECT {CUSTOMER_COLUMNS} FROM customers WHERE lower(email) = lower($1)")
}

/// The audit entry of a customer created from `c`.
pub(crate) fn customer_created(c: &NewCustomer, actor: Option<UserId>) -> Audit<'static> {
    Audit {
        actor,
        action: "customer.create",
        entity: "customer",
        entity_id: c.id.to_string(),
        detail: json!({"name": c.name.as_str(), "external_id": c.external_id}),
        at: c.created_at,
    }
}

crate::backend_trait! {
    trait CustomerWrites {
        /// Inserts the customer `c` with the `RETURNING` row; `on_conflict`
        /// (empty, or a clause ending in a space) goes before `RETURNING`:
        /// with `DO NOTHING` there is no row when the conflict hit.
        async fn insert_customer_row(&mut self, c: &NewCustomer, on_conflict: &str) -> Result<Option<Customer>, sqlx::Error> {
            sqlx::query_as::<_, Customer>(sqlx::AssertSqlSafe(format!(
                "INSERT INTO customers ({CUSTOMER_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11, NULL, NULL) \
                 {on_conflict}RETURNING {CUSTOMER_COLUMNS}"
            )))
            .bind(c.id.0)
            .bind(&c.external_id)
            .bind(c.account_id.map(|a| a.0))
            .bind(c.name.as_str())
            .bind(c.email.as_ref().map(Email::as_str))
            .bind(c.language.code())
            .bind(c.tier.as_str())
            .bind(c.clv_cents)
            .bind(c.consent_contact)
            .bind(c.consent_survey)
            .bind(c.created_at)
            .fetch_optional(&mut *self)
            .await
        }
    }
}

impl Store {
    pub async fn insert_customer(&self, c: &NewCustomer, actor: Option<UserId>) -> Result<Customer, StoreError> {
        with_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            if let Some(acc) = c.account_id {
                tx.require_row("SELECT id FROM accounts WHERE id = $1", acc.0, "account")
                    .await?;
            }
            let row = tx
                .insert_customer_row(c, "")
                .await
                .and_then(|row| row.ok_or(sqlx::Error::RowNotFound))
                .map_err(|e| customer_taken(e, c.email.as_ref().map(Email::as_str), &c.external_id))?;
            tx.commit_audited(customer_created(c, actor)).await?;
            Ok(row)
        })
    }

    pub async fn get_customer(&self, id: CustomerId) -> Result<Customer, StoreError> {
        self.row_by(
            &format!("SELECT {CUSTOMER_COLUMNS} FROM customers WHERE id = $1"),
            id.0,
            "customer",
        )
        .await
    }

    pub async fn get_customer_by_external_id(&self, external_id: &str) -> Result<Customer, StoreError> {
        self.row_by(
            &format!("SELECT {CUSTOMER_COLUMNS} FROM customers WHERE external_id = $1"),
            external_id,
            "customer",
        )
        .await
    }

    /// The customer with this email (compared without case), if any.
    pub async fn find_customer_by_email(&self, email: &Email) -> Result<Option<Customer>, StoreError> {
        self.find_row(&by_email_sql(), email.as_str()).await
    }

    /// The customer with `c.email` (compared without case), created from
    /// `c` if there is none: one statement (`INSERT … ON CONFLICT DO
    /// NOTHING` on the unique index of the address), so that concurrent
    /// calls for one new address make one customer. Returns the customer
    /// and whether it was created.
    pub async fn find_or_create_customer_by_email(
        &self,
        c: &NewCustomer,
        actor: Option<UserId>,
    ) -> Result<(Customer, bool), StoreError> {
        let Some(email) = c.email.as_ref() else {
            return Err(StoreError::Conflict {
                field: Some("email"),
                detail: "an email address is required to find or create a customer by it".into(),
            });
        };
        with_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            let created = tx
                .insert_customer_row(c, "ON CONFLICT (lower(email)) DO NOTHING ")
                .await
                .map_err(|e| customer_taken(e, Some(email.as_str()), &c.external_id))?;
            let Some(row) = created else {
                // Taken meanwhile (PostgreSQL waited for that transaction;
                // this statement sees what it committed).
                let row = sqlx::query_as::<_, Customer>(sqlx::AssertSqlSafe(by_email_sql()))
                    .bind(email.as_str())
                    .fetch_optional(&mut *tx)
                    .await?
                    .ok_or(StoreError::NotFound("customer"))?;
                tx.commit().await?;
                return Ok((row, false));
            };
            tx.commit_audited(customer_created(c, actor)).await?;
            Ok((row, true))
        })
    }

    /// Creates the customer, or updates the one with the same external id.
    /// Returns the customer and whether it was created.
    pub async fn upsert_customer_by_external_id(
        &self,
        c: &NewCustomer,
        actor: Option<UserId>,
    ) -> Result<(Customer, bool), StoreError> {
        let Some(ext) = c.external_id.as_deref() else {
            return Err(StoreError::Conflict {
                field: Some("external_id"),
                detail: "external_id is required for an upsert".into(),
            });
        };
        match self.get_customer_by_external_id(ext).await {
            Ok(existing) => {
                let patch = CustomerPatch {
                    name: Some(c.name.clone()),
                    email: Some(c.email.clone()),
                    language: Some(c.language),
                    tier: Some(c.tier),
                    clv_cents: Some(c.clv_cents),
                    account_id: Some(c.account_id),
                    consent_contact: Some(c.consent_contact),
                    consent_survey: Some(c.consent_survey),
                    churned_at: None,
                };
                let updated = self.update_customer(existing.id, &patch, actor, c.created_at).await?;
                Ok((updated, false))
            }
            Err(StoreError::NotFound(_)) => Ok((self.insert_customer(c, actor).await?, true)),
            Err(e) => Err(e),
        }
    }

    pub async fn update_customer(
        &self,
        id: CustomerId,
        p: &CustomerPatch,
        actor: Option<UserId>,
        now: DateTime<Utc>,
    ) -> Result<Customer, StoreError> {
        let cur = self.get_customer(id).await?;
        let name = p.name.as_ref().map_or(cur.name.clone(), |n| n.as_str().to_string());
        let email = match &p.email {
            Some(e) => e.as_ref().map(|e| e.as_str().to_string()),
            None => cur.email.clone(),
        };
        let account = match p.account_id {
            Some(a) => a.map(|a| a.0),
            None => cur.account_id,
        };
        let churned = p.churned_at.unwrap_or(cur.churned_at);
        with_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            let row = sqlx::query_as::<_, Customer>(sqlx::AssertSqlSafe(format!(
                "UPDATE customers SET name = $2, email = $3, language = $4, tier = $5, clv_cents = $6, account_id = $7, \
                 consent_contact = $8, consent_survey = $9, churned_at = $10, updated_at = $11 WHERE id = $1 \
                 RETURNING {CUSTOMER_COLUMNS}"
            )))
            .bind(id.0)
            .bind(&name)
            .bind(&email)
            .bind(p.language.unwrap_or(cur.language).code())
            .bind(p.tier.unwrap_or(cur.tier).as_str())
            .bind(p.clv_cents.unwrap_or(cur.clv_cents))
            .bind(account)
            .bind(p.consent_contact.unwrap_or(cur.consent_contact))
            .bind(p.consent_survey.unwrap_or(cur.consent_survey))
            .bind(churned)
            .bind(now)
            .fetch_one(&mut *tx)
            .await
            .map_err(|e| match &e {
                sqlx::Error::Database(db) if db.is_foreign_key_violation() => StoreError::NotFound("account"),
                _ => customer_taken(e, email.as_deref(), &cur.external_id),
            })?;
            tx.commit_audited(Audit {
                    actor,
                    action: "customer.update",
                    entity: "customer",
                    entity_id: id.to_string(),
                    detail: json!({"before": {"name": cur.name, "email": cur.email, "tier": cur.tier, "language": cur.language},
                                   "after": {"name": row.name, "email": row.email, "tier": row.tier, "language": row.language}}),
                    at: now,
                }).await?;
            Ok(row)
        })
    }

    /// Customers, newest first, by keyset pagination.
    pub async fn list_customers(&self, f: &CustomerFilter) -> Result<Page<Customer>, StoreError> {
        let limit = f.limit.clamp(1, 200);
        let rows = with_pool!(self, |pool| {
            let mut q = sqlx::QueryBuilder::new(format!("SELECT {CUSTOMER_COLUMNS} FROM customers WHERE 1=1"));
            if let Some(a) = f.account_id {
                q.push(" AND account_id = ").push_bind(a.0);
            }
            if let Some(t) = f.tier {
                q.push(" AND tier = ").push_bind(t.as_str());
            }
            if let Some(text) = f.q.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
                if text.contains('@') {
                    q.push(" AND lower(email) = lower(")
                        .push_bind(text.to_string())
                        .push(")");
                } else {
                    // Any part of the name; LOWER folds ASCII only on
                    // SQLite, so the name as typed is tried as well.
                    let escaped = crate::search::like_escaped(text);
                    q.push(" AND (LOWER(name) LIKE ")
                        .push_bind(format!("%{}%", escaped.to_lowercase()))
                        .push(" ESCAPE '\\' OR name LIKE ")
                        .push_bind(format!("%{escaped}%"))
                        .push(" ESCAPE '\\' OR external_id = ")
                        .push_bind(text.to_string())
                        .push(")");
                }
            }
            if let Some(c) = &f.cursor {
                q.push(" AND id < ").push_bind(c.id);
            }
            q.push(" ORDER BY id DESC LIMIT ")
                .push_bind(i64::try_from(limit + 1).unwrap_or(201));
            q.build_query_as::<Customer>().fetch_all(pool).await?
        });
        Ok(Page::from_rows(rows, limit, |c| Cursor { id: c.id.0, at: None }))
    }

    pub async fn count_customers(&self) -> Result<i64, StoreError> {
        with_pool!(self, |pool| {
            let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM customers").fetch_one(pool).await?;
            Ok(n)
        })
    }

    pub async fn insert_account(
        &self,
        id: AccountId,
        name: &NonEmptyText,
        now: DateTime<Utc>,
        actor: Option<UserId>,
    ) -> Result<Account, StoreError> {
        with_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            let row = sqlx::query_as::<_, Account>(
                "INSERT INTO accounts (id, name, created_at) VALUES ($1, $2, $3) RETURNING id, name, created_at",
            )
            .bind(id.0)
            .bind(name.as_str())
            .bind(now)
            .fetch_one(&mut *tx)
            .await
            .map_err(|e| StoreError::unique(e, "name", || format!("an account named `{name}` exists already")))?;
            tx.commit_audited(Audit {
                actor,
                action: "account.create",
                entity: "account",
                entity_id: id.to_string(),
                detail: json!({"name": name.as_str()}),
                at: now,
            })
            .await?;
            Ok(row)
        })
    }

    /// Renames account `id` (audited as `account.update` with both names).
    pub async fn rename_account(
        &self,
        id: AccountId,
        name: &NonEmptyText,
        now: DateTime<Utc>,
        actor: Option<UserId>,
    ) -> Result<Account, StoreError> {
        let before = self.get_account(id).await?;
        with_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            let row = sqlx::query_as::<_, Account>(
                "UPDATE accounts SET name = $2 WHERE id = $1 RETURNING id, name, created_at",
            )
            .bind(id.0)
            .bind(name.as_str())
            .fetch_optional(&mut *tx)
            .await
            .map_err(|e| StoreError::unique(e, "name", || format!("an account named `{name}` exists already")))?
            .ok_or(StoreError::NotFound("account"))?;
            tx.commit_audited(Audit {
                actor,
                action: "account.update",
                entity: "account",
                entity_id: id.to_string(),
                detail: json!({"before": {"name": before.name}, "after": {"name": name.as_str()}}),
                at: now,
            })
            .await?;
            Ok(row)
        })
    }

    pub async fn get_account(&self, id: AccountId) -> Result<Account, StoreError> {
        self.row_by(
            "SELECT id, name, created_at FROM accounts WHERE id = $1",
            id.0,
            "account",
        )
        .await
    }

    /// Accounts by name (for pickers); at most `limit`.
    pub async fn list_accounts(&self, limit: usize) -> Result<Vec<Account>, StoreError> {
        let limit = i64::try_from(limit.clamp(1, 1000)).unwrap_or(100);
        with_pool!(self, |pool| {
            Ok(
                sqlx::query_as::<_, Account>("SELECT id, name, created_at FROM accounts ORDER BY name LIMIT $1")
                    .bind(limit)
                    .fetch_all(pool)
                    .await?,
            )
        })
    }
}
