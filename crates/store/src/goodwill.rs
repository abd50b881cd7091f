//! Goodwill: catalog, empowerment limits, monthly budgets, grants and the ledger.

use crate::audit::{Audit, AuditLog, CommitAudited, new_id};
use crate::dialect::BeginWrite;
use crate::outbox::Outbox;
use crate::{EventKind, NewEvent, Store, StoreError, with_pool};
use amends_domain::goodwill::{
    ApprovalReason, AutomaticReason, Decision, EmpowermentLimit, GoodwillKind, GrantState, MonthBudget, Refusal,
};
use amends_domain::{CaseId, CustomerId, Role, UserId};
use chrono::{DateTime, Datelike, TimeZone, Utc};
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct CatalogEntry {
    pub id: Uuid,
    #[sqlx(try_from = "String")]
    pub kind: GoodwillKind,
    pub name_de: String,
    pub name_en: String,
    pub value_cents: i64,
    pub currency: String,
    pub active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A catalog item to insert or replace.
#[derive(Debug, Clone)]
pub struct CatalogInput {
    pub kind: GoodwillKind,
    pub name_de: String,
    pub name_en: String,
    pub value_cents: i64,
    pub currency: String,
    pub active: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct RoleLimit {
    #[sqlx(try_from = "String")]
    pub role: Role,
    pub per_grant_cents: Option<i64>,
    pub per_case_cents: Option<i64>,
    pub per_month_cents: Option<i64>,
    pub updated_at: DateTime<Utc>,
}

impl RoleLimit {
    #[must_use]
    pub fn limit(&self) -> EmpowermentLimit {
        EmpowermentLimit {
            per_grant_cents: self.per_grant_cents,
            per_case_cents: self.per_case_cents,
            per_month_cents: self.per_month_cents,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct Budget {
    pub month: String,
    pub amount_cents: i64,
    pub currency: String,
    pub updated_at: DateTime<Utc>,
}

/// A grant with the names needed to show it (ledger, queue, timeline).
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct Grant {
    pub id: Uuid,
    pub case_id: Uuid,
    pub case_subject: String,
    pub customer_id: Uuid,
    pub customer_name: String,
    pub catalog_item_id: Option<Uuid>,
    #[sqlx(try_from = "String")]
    pub kind: GoodwillKind,
    pub value_cents: i64,
    pub currency: String,
    pub reason: String,
    #[sqlx(try_from = "String")]
    pub state: GrantState,
    /// Why it waits for approval, in English (older readers, logs).
    pub approval_reason: Option<String>,
    /// The same as a code and its parameters (`None` when granted at once,
    /// or for an old request whose text could not be converted).
    #[sqlx(try_from = "Option<String>")]
    pub approval: Coded<ApprovalReason>,
    /// Why a rule granted it, as a code and its parameters (`None` for a
    /// person's grant; `reason` holds the English text).
    #[sqlx(try_from = "Option<String>")]
    pub automatic: Coded<AutomaticReason>,
    pub requested_by: Uuid,
    pub requested_by_name: String,
    pub decided_by: Option<Uuid>,
    pub decided_by_name: Option<String>,
    pub decision_reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub decided_at: Option<DateTime<Utc>>,
    pub granted_at: Option<DateTime<Utc>>,
}

pub(crate) const GRANT_SELECT: &str = "SELECT g.id, g.case_id, c.subject AS case_subject, g.customer_id, cu.name AS customer_name, \
     g.catalog_item_id, g.kind, g.value_cents, g.currency, g.reason, g.state, g.approval_reason, \
     g.approval_details AS approval, g.reason_details AS automatic, g.requested_by, \
     ru.display_name AS requested_by_name, g.decided_by, du.display_name AS decided_by_name, g.decision_reason, \
     g.created_at, g.decided_at, g.granted_at FROM goodwill_grants g JOIN cases c ON c.id = g.case_id \
     JOIN customers cu ON cu.id = g.customer_id JOIN users ru ON ru.id = g.requested_by \
     LEFT JOIN users du ON du.id = g.decided_by";

/// A grant to record on a case.
#[derive(Debug, Clone)]
pub struct NewGrant {
    pub case_id: CaseId,
    pub catalog_item_id: Option<Uuid>,
    pub kind: GoodwillKind,
    pub value_cents: i64,
    pub currency: String,
    pub reason: String,
    pub requested_by: UserId,
    pub at: DateTime<Utc>,
    /// The automatic goodwill rule that made it (at most once per rule and case).
    pub rule_id: Option<Uuid>,
    /// Why the rule granted it.
    pub automatic: Option<AutomaticReason>,
}

/// A JSON column read as `T` (`None` when empty or unreadable).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Coded<T>(pub Option<T>);

impl<T: serde::de::DeserializeOwned> From<Option<String>> for Coded<T> {
    fn from(s: Option<String>) -> Self {
        Coded(s.and_then(|s| serde_json::from_str(&s).ok()))
    }
}

/// `value` as the JSON text of a column.
pub(crate) fn coded_json<T: Serialize>(value: Option<&T>) -> Option<String> {
    value.and_then(|v| serde_json::to_string(v).ok())
}

/// Filter of the grant list and ledger.
#[derive(Debug, Clone, Default)]
pub struct GrantFilter {
    pub state: Option<GrantState>,
    pub case_id: Option<CaseId>,
    pub customer_id: Option<CustomerId>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub limit: usize,
}

/// The calendar month (UTC) around `at`: `[start, end)` and `YYYY-MM`.
#[must_use]
pub fn month_of(at: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>, String) {
    let (y, m) = (at.year(), at.month());
    let start = Utc.with_ymd_and_hms(y, m, 1, 0, 0, 0).single().unwrap_or(at);
    let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    let end = Utc.with_ymd_and_hms(ny, nm, 1, 0, 0, 0).single().unwrap_or(at);
    (start, end, format!("{y:04}-{m:02}"))
}

/// What a grant's decision needs to know: the person's spend this month,
/// the case's goodwill so far (both: granted only), and the month's budget
/// with everyone's spend (`None` when no budget is set for the month).
#[derive(Debug, Clone)]
pub struct Spend {
    pub month_cents: i64,
    pub case_cents: i64,
    pub budget: Option<MonthBudget>,
}

/// What a grant decision writes beside the grant row.
pub(crate) struct GrantEffects<'a> {
    pub case: CaseId,
    pub actor: UserId,
    /// The audit action (`goodwill.grant`, `goodwill.approve`, …).
    pub action: &'a str,
    pub data: serde_json::Value,
    pub body: Option<String>,
    /// Whether the grant is granted now (then a webhook event follows).
    pub granted: bool,
    pub at: DateTime<Utc>,
}

crate::backend_trait! {
    /// The goodwill ledger's statements inside a grant's transaction.
    pub(crate) trait Ledger {
        /// The start of a write transaction that decides a grant against
        /// the money limits: takes the ledger lock (`lock`, from
        /// `Dialect::lock_goodwill_ledger`) and touches `case` at `at`.
        /// Write first: on SQLite this takes the write lock before the
        /// sums are read, so a concurrent writer cannot invalidate the
        /// snapshot (SQLITE_BUSY_SNAPSHOT) and the sums stay current.
        async fn open_ledger(&mut self, lock: Option<&'static str>, case: Uuid, at: DateTime<Utc>) -> Result<(), StoreError> {
            if let Some(lock) = lock {
                sqlx::query(lock).execute(&mut *self).await?;
            }
            sqlx::query("UPDATE cases SET updated_at = $1 WHERE id = $2")
                .bind(at)
                .bind(case)
                .execute(&mut *self)
                .await?;
            Ok(())
        }

        /// Sums granted goodwill attributable to `user` (granted directly by them,
        /// or approved by them) in `[from,to)`, and on `case`.
        async fn spend(
            &mut self,
            user: Uuid,
            case: Uuid,
            from: DateTime<Utc>,
            to: DateTime<Utc>,
        ) -> Result<Spend, StoreError> {
            let (m,): (Option<i64>,) = sqlx::query_as(
                "SELECT CAST(SUM(value_cents) AS BIGINT) FROM goodwill_grants WHERE state = 'granted' \
                 AND granted_at >= $2 AND granted_at < $3 \
                 AND ((decided_by IS NULL AND requested_by = $1) OR decided_by = $1)",
            )
            .bind(user)
            .bind(from)
            .bind(to)
            .fetch_one(&mut *self)
            .await?;
            let (c,): (Option<i64>,) = sqlx::query_as(
                "SELECT CAST(SUM(value_cents) AS BIGINT) FROM goodwill_grants WHERE state = 'granted' AND case_id = $1",
            )
            .bind(case)
            .fetch_one(&mut *self)
            .await?;
            let budget = self.month_budget(from, to).await?;
            Ok(Spend {
                month_cents: m.unwrap_or(0),
                case_cents: c.unwrap_or(0),
                budget,
            })
        }

        /// The budget of the month `[from, to)` with everyone's granted
        /// spend in it; `None` when no budget is set for the month.
        async fn month_budget(&mut self, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Option<MonthBudget>, StoreError> {
            let (_, _, label) = month_of(from);
            let budget: Option<(i64, String)> =
                sqlx::query_as("SELECT amount_cents, currency FROM goodwill_budgets WHERE month = $1")
                    .bind(&label)
                    .fetch_optional(&mut *self)
                    .await?;
            let Some((amount_cents, currency)) = budget else {
                return Ok(None);
            };
            let (all,): (Option<i64>,) = sqlx::query_as(
                "SELECT CAST(SUM(value_cents) AS BIGINT) FROM goodwill_grants WHERE state = 'granted' \
                 AND granted_at >= $1 AND granted_at < $2",
            )
            .bind(from)
            .bind(to)
            .fetch_one(&mut *self)
            .await?;
            Ok(Some(MonthBudget {
                amount_cents,
                currency,
                spent_cents: all.unwrap_or(0),
            }))
        }

        /// Records the grant's timeline event, audit entry and (when granted)
        /// the `goodwill.granted` webhook event, in this transaction.
        async fn record_grant_effects(&mut self, fx: GrantEffects<'_>) -> Result<(), StoreError> {
            let GrantEffects {
                case,
                actor,
                action,
                data,
                body,
                granted,
                at,
            } = fx;
            let ev = NewEvent {
                kind: EventKind::Goodwill,
                author: Some(actor),
                body,
                data: data.clone(),
                at,
            };
            self.insert_event(case.0, &ev).await?;
            if granted {
                let job = crate::outbox::NewJob::event("goodwill.granted", Some(case), data.clone(), at);
                let _ = self.insert_job(&job, at).await?;
            }
            self.record_audit(Audit {
                actor: Some(actor),
                action,
                entity: "goodwill",
                entity_id: data["grant_id"].as_str().unwrap_or_default().to_string(),
                detail: data,
                at,
            })
            .await?;
            Ok(())
        }
    }
}

impl Store {
    pub async fn list_catalog(&self, only_active: bool) -> Result<Vec<CatalogEntry>, StoreError> {
        self.all_rows(&format!(
            "SELECT id, kind, name_de, name_en, value_cents, currency, active, created_at, updated_at \
                 FROM goodwill_catalog {} ORDER BY kind, value_cents, id",
            if only_active { "WHERE active = TRUE" } else { "" }
        ))
        .await
    }

    pub async fn get_catalog_item(&self, id: Uuid) -> Result<CatalogEntry, StoreError> {
        self.row_by(
            "SELECT id, kind, name_de, name_en, value_cents, currency, active, created_at, updated_at \
                 FROM goodwill_catalog WHERE id = $1",
            id,
            "catalog item",
        )
        .await
    }

    /// Inserts (`id` new) or replaces a catalog item.
    pub async fn upsert_catalog_item(
        &self,
        id: Uuid,
        item: &CatalogInput,
        actor: UserId,
        now: DateTime<Utc>,
    ) -> Result<CatalogEntry, StoreError> {
        with_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            sqlx::query(
                "INSERT INTO goodwill_catalog (id, kind, name_de, name_en, value_cents, currency, active, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, \
                 name_de = excluded.name_de, name_en = excluded.name_en, value_cents = excluded.value_cents, \
                 currency = excluded.currency, active = excluded.active, updated_at = excluded.updated_at",
            )
            .bind(id)
            .bind(item.kind.as_str())
            .bind(&item.name_de)
            .bind(&item.name_en)
            .bind(item.value_cents)
            .bind(&item.currency)
            .bind(item.active)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            tx.commit_audited(Audit {
                actor: Some(actor),
                action: "goodwill.catalog.save",
                entity: "goodwill_catalog",
                entity_id: id.to_string(),
                detail: json!({"kind": item.kind, "name_en": item.name_en, "value_cents": item.value_cents,
                        "currency": item.currency, "active": item.active}),
                at: now,
            })
            .await?;
            Ok::<(), StoreError>(())
        })?;
        self.get_catalog_item(id).await
    }

    pub async fn list_limits(&self) -> Result<Vec<RoleLimit>, StoreError> {
        self.all_rows("SELECT role, per_grant_cents, per_case_cents, per_month_cents, updated_at FROM goodwill_limits ORDER BY role").await
    }

    /// The limit of `role`; a role without a row may grant nothing without approval.
    pub async fn limit_for(&self, role: Role) -> Result<EmpowermentLimit, StoreError> {
        Ok(self.list_limits().await?.into_iter().find(|l| l.role == role).map_or(
            EmpowermentLimit {
                per_grant_cents: Some(0),
                per_case_cents: Some(0),
                per_month_cents: Some(0),
            },
            |l| l.limit(),
        ))
    }

    pub async fn set_limit(
        &self,
        role: Role,
        limit: &EmpowermentLimit,
        actor: UserId,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        with_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            sqlx::query(
                "INSERT INTO goodwill_limits (role, per_grant_cents, per_case_cents, per_month_cents, updated_at) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (role) DO UPDATE SET per_grant_cents = excluded.per_grant_cents, \
                 per_case_cents = excluded.per_case_cents, per_month_cents = excluded.per_month_cents, \
                 updated_at = excluded.updated_at",
            )
            .bind(role.as_str())
            .bind(limit.per_grant_cents)
            .bind(limit.per_case_cents)
            .bind(limit.per_month_cents)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            tx.commit_audited(Audit {
                actor: Some(actor),
                action: "goodwill.limit.set",
                entity: "goodwill_limit",
                entity_id: role.as_str().to_string(),
                detail: json!(limit),
                at: now,
            })
            .await?;
            Ok::<(), StoreError>(())
        })
    }

    pub async fn get_budget(&self, month: &str) -> Result<Option<Budget>, StoreError> {
        self.find_row(
            "SELECT month, amount_cents, currency, updated_at FROM goodwill_budgets WHERE month = $1",
            month,
        )
        .await
    }

    pub async fn set_budget(
        &self,
        month: &str,
        amount_cents: i64,
        currency: &str,
        actor: UserId,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        with_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            sqlx::query(
                "INSERT INTO goodwill_budgets (month, amount_cents, currency, updated_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (month) DO UPDATE SET amount_cents = excluded.amount_cents, currency = excluded.currency, \
                 updated_at = excluded.updated_at",
            )
            .bind(month)
            .bind(amount_cents)
            .bind(currency)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            tx.commit_audited(Audit {
                actor: Some(actor),
                action: "goodwill.budget.set",
                entity: "goodwill_budget",
                entity_id: month.to_string(),
                detail: json!({"amount_cents": amount_cents, "currency": currency}),
                at: now,
            })
            .await?;
            Ok::<(), StoreError>(())
        })
    }

    /// Granted goodwill in `[from, to)` (all people), computed live.
    pub async fn goodwill_spent(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<i64, StoreError> {
        let (s,): (Option<i64>,) = with_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT CAST(SUM(value_cents) AS BIGINT) FROM goodwill_grants WHERE state = 'granted' \
                 AND granted_at >= $1 AND granted_at < $2",
            )
            .bind(from)
            .bind(to)
            .fetch_one(pool)
            .await?
        });
        Ok(s.unwrap_or(0))
    }

    /// What `user` granted or approved this month and what `case` received.
    pub async fn goodwill_spend(&self, user: UserId, case: CaseId, now: DateTime<Utc>) -> Result<Spend, StoreError> {
        let (from, to, _) = month_of(now);
        with_pool!(self, |pool| {
            let mut conn = pool.acquire().await?;
            conn.spend(user.0, case.0, from, to).await
        })
    }

    /// Records a grant on a case. `decide` gets the requester's spend
    /// (read in the same transaction) and says whether it is granted at
    /// once, waits for approval, or is refused (then nothing is written).
    pub async fn grant_goodwill(
        &self,
        g: &NewGrant,
        decide: impl FnOnce(Spend) -> Decision,
    ) -> Result<Result<Grant, Refusal>, StoreError> {
        let case = self.get_case(g.case_id).await?;
        let (from, to, _) = month_of(g.at);
        let id = new_id(g.at);
        let ledger_lock = self.dialect().lock_goodwill_ledger();
        let written = with_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            tx.open_ledger(ledger_lock, g.case_id.0, g.at).await?;
            if let Some(rule) = g.rule_id {
                let done: Option<(Uuid,)> =
                    sqlx::query_as("SELECT id FROM goodwill_grants WHERE rule_id = $1 AND case_id = $2")
                        .bind(rule)
                        .bind(g.case_id.0)
                        .fetch_optional(&mut *tx)
                        .await?;
                if done.is_some() {
                    return Ok(Err(Refusal::RuleAlreadyGranted));
                }
            }
            let spend = tx.spend(g.requested_by.0, g.case_id.0, from, to).await?;
            let over_budget = spend
                .budget
                .as_ref()
                .is_some_and(|b| b.exceeded(g.value_cents).is_some());
            let (state, approval_reason) = match decide(spend) {
                Decision::GrantNow => (GrantState::Granted, None),
                Decision::NeedsApproval { reason } => (GrantState::Pending, Some(reason)),
                Decision::Rejected { reason } => return Ok(Err(reason)),
            };
            let granted = state == GrantState::Granted;
            sqlx::query(
                "INSERT INTO goodwill_grants (id, case_id, customer_id, catalog_item_id, kind, value_cents, currency, \
                 reason, state, approval_reason, requested_by, created_at, granted_at, rule_id, approval_details, \
                 reason_details) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
            )
            .bind(id)
            .bind(g.case_id.0)
            .bind(case.customer_id.0)
            .bind(g.catalog_item_id)
            .bind(g.kind.as_str())
            .bind(g.value_cents)
            .bind(&g.currency)
            .bind(&g.reason)
            .bind(state.as_str())
            .bind(approval_reason.as_ref().map(ToString::to_string))
            .bind(g.requested_by.0)
            .bind(g.at)
            .bind(granted.then_some(g.at))
            .bind(g.rule_id)
            .bind(coded_json(approval_reason.as_ref()))
            .bind(coded_json(g.automatic.as_ref()))
            .execute(&mut *tx)
            .await?;
            let data = json!({"grant_id": id.to_string(), "state": state, "kind": g.kind, "value_cents": g.value_cents,
                "currency": g.currency, "customer_id": case.customer_id,
                "approval": approval_reason,
                "over_budget": over_budget, "rule_id": g.rule_id});
            tx.record_grant_effects(GrantEffects {
                case: g.case_id,
                actor: g.requested_by,
                action: if granted { "goodwill.grant" } else { "goodwill.request" },
                data,
                body: Some(g.reason.clone()),
                granted,
                at: g.at,
            })
            .await?;
            tx.commit().await?;
            Ok::<Result<(), Refusal>, StoreError>(Ok(()))
        })?;
        self.grant_unless_refused(id, written).await
    }

    /// Approves (`approve`) or rejects a pending grant. `decide` gets the
    /// approver's spend and the grant; a refusal writes nothing.
    pub async fn decide_goodwill(
        &self,
        id: Uuid,
        approve: bool,
        approver: UserId,
        reason: &str,
        now: DateTime<Utc>,
        decide: impl FnOnce(&Grant, Spend) -> Decision,
    ) -> Result<Result<Grant, Refusal>, StoreError> {
        let grant = self.get_grant(id).await?;
        if grant.state != GrantState::Pending {
            return Err(StoreError::Conflict {
                field: None,
                detail: format!(
                    "this goodwill is already {}; only pending requests can be decided",
                    grant.state
                ),
            });
        }
        let (from, to, _) = month_of(now);
        let case = CaseId(grant.case_id);
        let ledger_lock = self.dialect().lock_goodwill_ledger();
        let written = with_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            tx.open_ledger(ledger_lock, grant.case_id, now).await?;
            let spend = tx.spend(approver.0, grant.case_id, from, to).await?;
            let over_budget = approve
                && spend
                    .budget
                    .as_ref()
                    .is_some_and(|b| b.exceeded(grant.value_cents).is_some());
            if let Decision::Rejected { reason } = decide(&grant, spend) {
                return Ok(Err(reason));
            }
            let state = if approve {
                GrantState::Granted
            } else {
                GrantState::Rejected
            };
            let done = sqlx::query(
                "UPDATE goodwill_grants SET state = $1, decided_by = $2, decision_reason = $3, decided_at = $4, \
                 granted_at = $5 WHERE id = $6 AND state = 'pending'",
            )
            .bind(state.as_str())
            .bind(approver.0)
            .bind(reason)
            .bind(now)
            .bind(approve.then_some(now))
            .bind(id)
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() == 0 {
                return Err(StoreError::Conflict {
                    field: None,
                    detail: "someone else decided this goodwill meanwhile; reload".into(),
                });
            }
            let data = json!({"grant_id": id.to_string(), "state": state, "kind": grant.kind,
                "value_cents": grant.value_cents, "currency": grant.currency, "customer_id": grant.customer_id,
                "requested_by": grant.requested_by_name, "over_budget": over_budget});
            tx.record_grant_effects(GrantEffects {
                case,
                actor: approver,
                action: if approve { "goodwill.approve" } else { "goodwill.reject" },
                data,
                body: Some(reason.to_string()),
                granted: approve,
                at: now,
            })
            .await?;
            tx.commit().await?;
            Ok::<Result<(), Refusal>, StoreError>(Ok(()))
        })?;
        self.grant_unless_refused(id, written).await
    }

    /// The grant `id` once written, or why nothing was.
    async fn grant_unless_refused(
        &self,
        id: Uuid,
        written: Result<(), Refusal>,
    ) -> Result<Result<Grant, Refusal>, StoreError> {
        match written {
            Ok(()) => Ok(Ok(self.get_grant(id).await?)),
            Err(reason) => Ok(Err(reason)),
        }
    }

    pub async fn get_grant(&self, id: Uuid) -> Result<Grant, StoreError> {
        self.row_by(&format!("{GRANT_SELECT} WHERE g.id = $1"), id, "goodwill")
            .await
    }

    /// Grants matching `f`, newest first.
    pub async fn list_grants(&self, f: &GrantFilter) -> Result<Vec<Grant>, StoreError> {
        let limit = i64::try_from(f.limit.clamp(1, 10_000)).unwrap_or(500);
        with_pool!(self, |pool| {
            let mut q = sqlx::QueryBuilder::new(GRANT_SELECT);
            q.push(" WHERE 1=1");
            if let Some(s) = f.state {
                q.push(" AND g.state = ").push_bind(s.as_str());
            }
            if let Some(c) = f.case_id {
                q.push(" AND g.case_id = ").push_bind(c.0);
            }
            if let Some(c) = f.customer_id {
                q.push(" AND g.customer_id = ").push_bind(c.0);
            }
            if let Some(from) = f.from {
                q.push(" AND g.created_at >= ").push_bind(from);
            }
            if let Some(to) = f.to {
                q.push(" AND g.created_at < ").push_bind(to);
            }
            q.push(" ORDER BY g.id DESC LIMIT ").push_bind(limit);
            Ok(q.build_query_as::<Grant>().fetch_all(pool).await?)
        })
    }

    /// How many grants wait for approval (the badge next to "Approvals").
    pub async fn count_pending_grants(&self) -> Result<i64, StoreError> {
        let (n,): (i64,) = with_pool!(self, |pool| {
            sqlx::query_as("SELECT COUNT(*) FROM goodwill_grants WHERE state = 'pending'")
                .fetch_one(pool)
                .await?
        });
        Ok(n)
    }

    /// How many other cases the customer had opened in `[from, before]`,
    /// i.e. prior failures of `case` (opened at `before`).
    pub async fn count_prior_cases(
        &self,
        customer: CustomerId,
        from: DateTime<Utc>,
        before: DateTime<Utc>,
        case: CaseId,
    ) -> Result<i64, StoreError> {
        let (n,): (i64,) = with_pool!(self, |pool| {
            sqlx::query_as("SELECT COUNT(*) FROM cases WHERE customer_id = $1 AND created_at >= $2 AND created_at <= $3 AND id <> $4")
                .bind(customer.0)
                .bind(from)
                .bind(before)
                .bind(case.0)
                .fetch_one(pool)
                .await?
        });
        Ok(n)
    }
}

impl Store {
    /// Whether feedback linked to the case carries a churn signal.
    pub async fn case_has_churn_signal(&self, case: CaseId) -> Result<bool, StoreError> {
        let (n,): (i64,) = with_pool!(self, |pool| {
            sqlx::query_as("SELECT COUNT(*) FROM feedback WHERE case_id = $1 AND signals LIKE '%churn%'")
                .bind(case.0)
                .fetch_one(pool)
                .await?
        });
        Ok(n > 0)
    }
}
