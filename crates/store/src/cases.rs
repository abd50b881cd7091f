//! Recovery cases and their timelines.

use crate::audit::{Audit, AuditLog, CommitAudited};
use crate::bulk::BulkWrites;
use crate::dialect::{BeginWrite, ExplainPlan};
use crate::outbox::Outbox;
use crate::routing::Routing;
use crate::rows::Exists;
use crate::{Case, CaseEvent, Cursor, EventKind, Page, Store, StoreError, with_pool};
use amends_domain::sla::DueDates;
use amends_domain::{
    CaseFacts, CaseId, CaseState, Channel, CustomerId, NonEmptyText, Origin, Priority, Tier, TransitionRefused, UserId,
};
use chrono::{DateTime, Utc};
use serde_json::json;
use uuid::Uuid;

/// A validated case to insert.
#[derive(Debug, Clone)]
pub struct NewCase {
    pub id: CaseId,
    pub customer_id: CustomerId,
    pub subject: NonEmptyText,
    pub description: String,
    pub channel: Channel,
    pub origin: Origin,
    pub priority: Priority,
    pub tier: Tier,
    pub assignee_id: Option<UserId>,
    pub due: DueDates,
    pub created_at: DateTime<Utc>,
    pub author: Option<UserId>,
    /// Route the case to an agent when it has no assignee and routing is
    /// on (`None`: never routed, e.g. bulk paths).
    pub route: Option<crate::RouteRequest>,
}

/// A timeline entry to add.
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub kind: EventKind,
    pub author: Option<UserId>,
    pub body: Option<String>,
    pub data: serde_json::Value,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CaseSort {
    /// Newest first (by id, which is time-ordered).
    #[default]
    Newest,
    /// Earliest resolution due date first.
    Due,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AssigneeFilter {
    User(UserId),
    Unassigned,
}

#[derive(Debug, Clone, Default)]
pub struct CaseFilter {
    /// Any of these states; empty means all.
    pub states: Vec<CaseState>,
    pub assignee: Option<AssigneeFilter>,
    pub customer_id: Option<CustomerId>,
    pub tier: Option<Tier>,
    pub origin: Option<Origin>,
    /// Cases of one incident (opened by it or linked to it).
    pub incident_id: Option<Uuid>,
    pub created_from: Option<DateTime<Utc>>,
    pub created_to: Option<DateTime<Utc>>,
    /// Resolution due before this time.
    pub due_before: Option<DateTime<Utc>>,
    /// Resolution due at or after this time.
    pub due_from: Option<DateTime<Utc>>,
    pub sort: CaseSort,
    pub cursor: Option<Cursor>,
    pub limit: usize,
}

pub(crate) const CASE_SELECT: &str = "SELECT c.id, c.customer_id, c.subject, c.description, c.channel, c.origin, \
     c.state, c.priority, c.tier, c.assignee_id, c.first_response_due_at, c.resolution_due_at, c.first_responded_at, \
     c.resolved_at, c.closed_at, c.sla_paused_at, c.severity, c.repeat_failure, c.controllable, c.created_at, c.updated_at, c.version, \
     c.incident_id, c.merged_into, cu.name AS customer_name, cu.clv_cents AS customer_clv_cents, cu.language AS customer_language, \
     u.display_name AS assignee_name \
     FROM cases c JOIN customers cu ON cu.id = c.customer_id LEFT JOIN users u ON u.id = c.assignee_id";

/// Appends the WHERE, ORDER BY and LIMIT of a case list to `q` (on either
/// backend: the bounds say which values it binds).
fn push_case_filter<DB>(q: &mut sqlx::QueryBuilder<DB>, f: &CaseFilter, limit: usize)
where
    DB: sqlx::Database,
    for<'a> &'a str: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
    for<'a> Uuid: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
    for<'a> DateTime<Utc>: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
    for<'a> i64: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
{
    push_case_where(q, f);
    match (f.sort, &f.cursor) {
        (CaseSort::Newest, Some(c)) => {
            q.push(" AND c.id < ").push_bind(c.id);
        }
        (CaseSort::Due, Some(c)) => {
            let at = c.at.unwrap_or_default();
            q.push(" AND (c.resolution_due_at > ").push_bind(at);
            q.push(" OR (c.resolution_due_at = ").push_bind(at);
            q.push(" AND c.id > ").push_bind(c.id).push("))");
        }
        (_, None) => {}
    }
    q.push(match f.sort {
        CaseSort::Newest => " ORDER BY c.id DESC",
        CaseSort::Due => " ORDER BY c.resolution_due_at ASC, c.id ASC",
    });
    q.push(" LIMIT ").push_bind(i64::try_from(limit + 1).unwrap_or(201));
}

/// Appends a capped count of the cases matching `f` (cursor and sort
/// ignored): at most `cap + 1` rows are read, through the same indexes the
/// list uses, so a count never scans more than a page of a large table does.
fn push_case_count<DB>(q: &mut sqlx::QueryBuilder<DB>, f: &CaseFilter, cap: i64)
where
    DB: sqlx::Database,
    for<'a> &'a str: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
    for<'a> Uuid: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
    for<'a> DateTime<Utc>: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
    for<'a> i64: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
{
    q.push("SELECT COUNT(*) FROM (SELECT 1 FROM cases c");
    push_case_where(q, f);
    q.push(" LIMIT ").push_bind(cap.saturating_add(1));
    q.push(") AS capped");
}

/// The WHERE clause of a case list: every filter of `f` but the cursor.
fn push_case_where<DB>(q: &mut sqlx::QueryBuilder<DB>, f: &CaseFilter)
where
    DB: sqlx::Database,
    for<'a> &'a str: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
    for<'a> Uuid: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
    for<'a> DateTime<Utc>: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
{
    q.push(" WHERE 1=1");
    let open_states: Vec<CaseState> = CaseState::ALL.iter().copied().filter(|s| s.is_open()).collect();
    let closed_states: Vec<CaseState> = CaseState::ALL.iter().copied().filter(|s| !s.is_open()).collect();
    if f.states == open_states {
        // The `open` column with its indexes serves "all open" directly.
        q.push(" AND c.open = TRUE");
    } else if f.states == closed_states {
        q.push(" AND c.open = FALSE");
    } else if !f.states.is_empty() {
        q.push(" AND c.state IN (");
        let mut sep = q.separated(", ");
        for s in &f.states {
            sep.push_bind(s.as_str());
        }
        q.push(")");
    }
    match f.assignee {
        Some(AssigneeFilter::User(u)) => {
            q.push(" AND c.assignee_id = ").push_bind(u.0);
        }
        Some(AssigneeFilter::Unassigned) => {
            q.push(" AND c.assignee_id IS NULL");
        }
        None => {}
    }
    if let Some(cu) = f.customer_id {
        q.push(" AND c.customer_id = ").push_bind(cu.0);
    }
    if let Some(t) = f.tier {
        q.push(" AND c.tier = ").push_bind(t.as_str());
    }
    if let Some(o) = f.origin {
        q.push(" AND c.origin = ").push_bind(o.as_str());
    }
    if let Some(i) = f.incident_id {
        q.push(" AND c.incident_id = ").push_bind(i);
    }
    // Ids are UUIDv7: a time range is also an id range, which the primary key serves.
    if let Some(from) = f.created_from {
        q.push(" AND c.id >= ")
            .push_bind(amends_domain::ids::uuid_v7_at(from, 0));
        q.push(" AND c.created_at >= ").push_bind(from);
    }
    if let Some(to) = f.created_to {
        q.push(" AND c.id < ")
            .push_bind(amends_domain::ids::uuid_v7_at(to, u128::MAX));
        q.push(" AND c.created_at < ").push_bind(to);
    }
    if let Some(d) = f.due_before {
        q.push(" AND c.resolution_due_at < ").push_bind(d);
    }
    if let Some(d) = f.due_from {
        q.push(" AND c.resolution_due_at >= ").push_bind(d);
    }
}

crate::backend_trait! {
    /// Case statements shared with feedback (cases opened from it).
    pub(crate) trait CaseWrites {
        /// Records a change of case `id`: its timeline event `ev` and the
        /// audit entry `action` by the event's author, with the event's data
        /// as the detail.
        async fn log_case_change(&mut self, id: CaseId, action: &str, ev: NewEvent) -> Result<(), StoreError> {
            self.insert_event(id.0, &ev).await?;
            self.record_audit(Audit {
                actor: ev.author,
                action,
                entity: "case",
                entity_id: id.to_string(),
                detail: ev.data,
                at: ev.at,
            })
            .await
        }

        /// Inserts a new case in state `new` with its "created" timeline event,
        /// the `case.created` webhook job and the audit record, in this
        /// transaction. `extra` (a JSON object) is added to the event and
        /// audit details (e.g. the feedback that opened the case). A case without
        /// assignee that asks for routing is routed first (`Routing::route_case`);
        /// then an "assignment" event with the reason and a `case.route` audit
        /// entry follow the created event. `NotFound("customer")` if the
        /// case's customer is not (or no longer) there.
        async fn insert_new_case(&mut self, c: &NewCase, extra: serde_json::Value) -> Result<(), StoreError> {
            let routed = self.route_case(c).await?;
            let assignee = c.assignee_id.or(routed.as_ref().map(|r| r.0));
            // Inserted only if its customer is there: the check and the
            // insert are one statement in the writer's turn.
            let inserted = sqlx::query(
                "INSERT INTO cases (id, customer_id, subject, description, channel, origin, state, priority, tier, \
                 assignee_id, first_response_due_at, resolution_due_at, created_at, updated_at) \
                 SELECT $1, $2, $3, $4, $5, $6, 'new', $7, $8, $9, $10, $11, $12, $12 FROM customers WHERE id = $2",
            )
            .bind(c.id.0)
            .bind(c.customer_id.0)
            .bind(c.subject.as_str())
            .bind(&c.description)
            .bind(c.channel.as_str())
            .bind(c.origin.as_str())
            .bind(c.priority.as_str())
            .bind(c.tier.as_str())
            .bind(assignee.map(|u| u.0))
            .bind(c.due.first_response_due_at)
            .bind(c.due.resolution_due_at)
            .bind(c.created_at)
            .execute(&mut *self)
            .await?;
            if inserted.rows_affected() == 0 {
                return Err(StoreError::NotFound("customer"));
            }
            self.cases_inserted_for(&[c.customer_id.0]).await?;
            let with_extra = |mut base: serde_json::Value| {
                if let (Some(b), Some(e)) = (base.as_object_mut(), extra.as_object()) {
                    for (k, v) in e {
                        b.insert(k.clone(), v.clone());
                    }
                }
                base
            };
            let ev = NewEvent {
                kind: EventKind::Created,
                author: c.author,
                body: None,
                data: with_extra(json!({"channel": c.channel, "origin": c.origin, "priority": c.priority})),
                at: c.created_at,
            };
            self.insert_event(c.id.0, &ev).await?;
            if let Some((user, name, reason)) = &routed {
                let data = json!({"from": null, "to": name, "assignee_id": user, "routing": reason,
                    "explanation": reason.to_string()});
                let ev = NewEvent {
                    kind: EventKind::Assignment,
                    author: None,
                    body: None,
                    data,
                    at: c.created_at,
                };
                self.log_case_change(c.id, "case.route", ev).await?;
            }
            let job = crate::outbox::NewJob::event(
                "case.created",
                Some(c.id),
                json!({"customer_id": c.customer_id, "subject": c.subject.as_str(), "channel": c.channel, "origin": c.origin}),
                c.created_at,
            );
            let _ = self.insert_job(&job, c.created_at).await?;
            self.record_audit(Audit {
                actor: c.author,
                action: "case.create",
                entity: "case",
                entity_id: c.id.to_string(),
                detail: with_extra(json!({"subject": c.subject.as_str(), "customer_id": c.customer_id})),
                at: c.created_at,
            })
            .await?;
            Ok(())
        }
    }
}

fn stale() -> StoreError {
    StoreError::Conflict {
        field: None,
        detail: "the case was changed by someone else meanwhile; reload it and try again".into(),
    }
}

impl Store {
    pub async fn insert_case(&self, c: &NewCase) -> Result<Case, StoreError> {
        with_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            if let Some(a) = c.assignee_id {
                tx.require_row("SELECT id FROM users WHERE id = $1 AND active = TRUE", a.0, "assignee")
                    .await?;
            }
            tx.insert_new_case(c, json!({})).await?;
            tx.commit().await?;
            Ok::<(), StoreError>(())
        })?;
        self.get_case(c.id).await
    }

    pub async fn get_case(&self, id: CaseId) -> Result<Case, StoreError> {
        self.row_by(&format!("{CASE_SELECT} WHERE c.id = $1"), id.0, "case")
            .await
    }

    /// The cases with the ids `ids` (any order; unknown ids are left out).
    pub async fn cases_by_ids(&self, ids: &[CaseId]) -> Result<Vec<Case>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        with_pool!(self, |pool| {
            let mut q = sqlx::QueryBuilder::new(format!("{CASE_SELECT} WHERE c.id IN ("));
            crate::bulk::push_ids(&mut q, ids.iter().map(|c| &c.0));
            q.push(")");
            Ok(q.build_query_as::<Case>().fetch_all(pool).await?)
        })
    }

    /// One page of cases matching `f`, by keyset pagination.
    pub async fn list_cases(&self, f: &CaseFilter) -> Result<Page<Case>, StoreError> {
        let limit = f.limit.clamp(1, 200);
        let rows = with_pool!(self, |pool| {
            let mut q = sqlx::QueryBuilder::new(CASE_SELECT);
            push_case_filter(&mut q, f, limit);
            q.build_query_as::<Case>().fetch_all(pool).await?
        });
        let sort = f.sort;
        Ok(Page::from_rows(rows, limit, |c| Cursor {
            id: c.id.0,
            at: (sort == CaseSort::Due).then_some(c.resolution_due_at),
        }))
    }

    /// The database's plan for [`Store::list_cases`] with `f`, as text
    /// (for tests and benchmarks that check the inbox never scans the
    /// whole table). On PostgreSQL sequential scans are disabled for the
    /// session, so a missing index shows as a `Seq Scan` anyway (see
    /// `dialect::ExplainPlan`).
    pub async fn explain_list_cases(&self, f: &CaseFilter) -> Result<String, StoreError> {
        let limit = f.limit.clamp(1, 200);
        with_pool!(self, |pool| {
            let mut q = sqlx::QueryBuilder::new(format!("{}{CASE_SELECT}", pool.explain_prefix()));
            push_case_filter(&mut q, f, limit);
            Ok(pool.plan_text(q).await?)
        })
    }

    /// How many cases match `f` (its cursor ignored), counted up to `cap`:
    /// `cap + 1` means "more than `cap`".
    pub async fn count_cases(&self, f: &CaseFilter, cap: i64) -> Result<i64, StoreError> {
        let n: i64 = with_pool!(self, |pool| {
            let mut q = sqlx::QueryBuilder::new("");
            push_case_count(&mut q, f, cap);
            q.build_query_scalar::<i64>().fetch_one(pool).await?
        });
        Ok(n)
    }

    /// The database's plan for [`Store::count_cases`], as text (see
    /// [`Store::explain_list_cases`]).
    pub async fn explain_count_cases(&self, f: &CaseFilter, cap: i64) -> Result<String, StoreError> {
        with_pool!(self, |pool| {
            let mut q = sqlx::QueryBuilder::new(pool.explain_prefix());
            push_case_count(&mut q, f, cap);
            Ok(pool.plan_text(q).await?)
        })
    }

    /// The sentiment of the latest feedback item of each case in `ids` that
    /// was opened from or linked to feedback (`negative`, `neutral`, `positive`).
    pub async fn case_sentiments(&self, ids: &[CaseId]) -> Result<Vec<(CaseId, String)>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let rows: Vec<(Uuid, String)> = with_pool!(self, |pool| {
            let mut q = sqlx::QueryBuilder::new("SELECT case_id, sentiment FROM feedback WHERE case_id IN (");
            crate::bulk::push_ids(&mut q, ids.iter().map(|c| &c.0));
            q.push(") ORDER BY id");
            q.build_query_as::<(Uuid, String)>().fetch_all(pool).await?
        });
        Ok(rows.into_iter().map(|(id, s)| (CaseId(id), s)).collect())
    }

    /// Moves a case to `to` if the state machine allows it, recording the
    /// change on the timeline and in the audit log.
    pub async fn transition_case(
        &self,
        id: CaseId,
        to: CaseState,
        actor: Option<UserId>,
        note: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Case, StoreError> {
        let cur = self.get_case(id).await?;
        // Only a move to followed_up looks at the follow-up.
        let follow_up_at = if to == CaseState::FollowedUp {
            self.case_follow_up(id).await?.follow_up_at
        } else {
            None
        };
        let facts = CaseFacts {
            state: cur.state,
            due: DueDates {
                first_response_due_at: cur.first_response_due_at,
                resolution_due_at: cur.resolution_due_at,
            },
            first_responded_at: cur.first_responded_at,
            resolved_at: cur.resolved_at,
            closed_at: cur.closed_at,
            sla_paused_at: cur.sla_paused_at,
            follow_up_at,
        };
        let change = facts.transition(to, now).map_err(|e| match e {
            TransitionRefused::NotAllowed(e) => StoreError::Transition(e),
            e @ TransitionRefused::FollowUpPending => StoreError::Conflict {
                field: Some("to"),
                detail: e.to_string(),
            },
        })?;
        let (from, to) = (change.from, change.state);
        with_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            let done = sqlx::query(
                "UPDATE cases SET state = $1, first_responded_at = $2, resolved_at = $3, closed_at = $4, \
                 updated_at = $5, version = version + 1, open = $8, sla_paused_at = $9, first_response_due_at = $10, \
                 resolution_due_at = $11, follow_up_at = CASE WHEN $12 THEN NULL ELSE follow_up_at END \
                 WHERE id = $6 AND version = $7",
            )
            .bind(to.as_str())
            .bind(change.first_responded_at)
            .bind(change.resolved_at)
            .bind(change.closed_at)
            .bind(now)
            .bind(id.0)
            .bind(cur.version)
            .bind(change.open)
            .bind(change.sla_paused_at)
            .bind(change.due.first_response_due_at)
            .bind(change.due.resolution_due_at)
            .bind(change.clear_follow_up)
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() == 0 {
                return Err(stale());
            }
            let ev = NewEvent {
                kind: EventKind::StateChange,
                author: actor,
                body: note.map(str::to_string),
                data: json!({"from": from, "to": to}),
                at: now,
            };
            tx.log_case_change(id, "case.transition", ev).await?;
            let job = crate::outbox::NewJob::event(
                "case.state_changed",
                Some(id),
                json!({"from": from, "to": to, "actor_id": actor}),
                now,
            );
            let _ = tx.insert_job(&job, now).await?;
            tx.commit().await?;
            Ok::<(), StoreError>(())
        })?;
        self.get_case(id).await
    }

    /// Assigns the case to `assignee` (or unassigns it).
    pub async fn assign_case(
        &self,
        id: CaseId,
        assignee: Option<UserId>,
        actor: Option<UserId>,
        now: DateTime<Utc>,
    ) -> Result<Case, StoreError> {
        let cur = self.get_case(id).await?;
        let assignee_name = match assignee {
            Some(u) => {
                let user = self.get_user(u).await.map_err(|e| match e {
                    StoreError::NotFound(_) => StoreError::NotFound("assignee"),
                    e => e,
                })?;
                if !user.active {
                    return Err(StoreError::NotFound("assignee"));
                }
                Some(user.display_name)
            }
            None => None,
        };
        if cur.assignee() == assignee {
            return Ok(cur);
        }
        with_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            let done = sqlx::query(
                "UPDATE cases SET assignee_id = $1, updated_at = $2, version = version + 1 WHERE id = $3 AND version = $4",
            )
            .bind(assignee.map(|u| u.0))
            .bind(now)
            .bind(id.0)
            .bind(cur.version)
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() == 0 {
                return Err(stale());
            }
            let data = json!({"from": cur.assignee_name, "to": assignee_name, "assignee_id": assignee});
            let ev = NewEvent {
                kind: EventKind::Assignment,
                author: actor,
                body: None,
                data,
                at: now,
            };
            tx.log_case_change(id, "case.assign", ev).await?;
            tx.commit().await?;
            Ok::<(), StoreError>(())
        })?;
        self.get_case(id).await
    }

    /// Changes subject, description or priority (and with the priority the due dates).
    pub async fn update_case(
        &self,
        id: CaseId,
        subject: Option<&NonEmptyText>,
        description: Option<&str>,
        priority: Option<(Priority, DueDates)>,
        actor: Option<UserId>,
        now: DateTime<Utc>,
    ) -> Result<Case, StoreError> {
        let cur = self.get_case(id).await?;
        let new_subject = subject.map_or(cur.subject.clone(), |s| s.as_str().to_string());
        let new_description = description.map_or(cur.description.clone(), str::to_string);
        let (new_priority, due) = priority.unwrap_or((
            cur.priority,
            DueDates {
                first_response_due_at: cur.first_response_due_at,
                resolution_due_at: cur.resolution_due_at,
            },
        ));
        with_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            let done = sqlx::query(
                "UPDATE cases SET subject = $1, description = $2, priority = $3, first_response_due_at = $4, \
                 resolution_due_at = $5, updated_at = $6, version = version + 1 WHERE id = $7 AND version = $8",
            )
            .bind(&new_subject)
            .bind(&new_description)
            .bind(new_priority.as_str())
            .bind(due.first_response_due_at)
            .bind(due.resolution_due_at)
            .bind(now)
            .bind(id.0)
            .bind(cur.version)
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() == 0 {
                return Err(stale());
            }
            let mut changed = serde_json::Map::new();
            if new_subject != cur.subject {
                changed.insert("subject".into(), json!({"from": cur.subject, "to": new_subject}));
            }
            if new_description != cur.description {
                changed.insert("description".into(), json!({"changed": true}));
            }
            if new_priority != cur.priority {
                changed.insert("priority".into(), json!({"from": cur.priority, "to": new_priority}));
            }
            let data = serde_json::Value::Object(changed);
            let ev = NewEvent {
                kind: EventKind::Update,
                author: actor,
                body: None,
                data,
                at: now,
            };
            tx.log_case_change(id, "case.update", ev).await?;
            tx.commit().await?;
            Ok::<(), StoreError>(())
        })?;
        self.get_case(id).await
    }

    /// Adds a note or message to the timeline.
    pub async fn add_event(&self, case: CaseId, ev: &NewEvent) -> Result<CaseEvent, StoreError> {
        let id = with_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            tx.require_row("SELECT id FROM cases WHERE id = $1", case.0, "case")
                .await?;
            let id = tx.insert_event(case.0, ev).await?;
            sqlx::query("UPDATE cases SET updated_at = $1 WHERE id = $2")
                .bind(ev.at)
                .bind(case.0)
                .execute(&mut *tx)
                .await?;
            tx.commit_audited(Audit {
                actor: ev.author,
                action: "case.event",
                entity: "case",
                entity_id: case.to_string(),
                detail: json!({"kind": ev.kind, "event_id": id}),
                at: ev.at,
            })
            .await?;
            id
        });
        self.list_events(case)
            .await?
            .into_iter()
            .find(|e| e.id == id)
            .ok_or(StoreError::NotFound("event"))
    }

    /// The case timeline, oldest first. A case made by an incident fan-out
    /// has no stored "created" event; it is worked out from the fan-out's
    /// records and comes first.
    pub async fn list_events(&self, case: CaseId) -> Result<Vec<CaseEvent>, StoreError> {
        let mut events: Vec<CaseEvent> = with_pool!(self, |pool| {
            sqlx::query_as::<_, CaseEvent>(
                "SELECT e.id, e.case_id, e.kind, e.author_id, u.display_name AS author_name, e.body, e.data, e.created_at \
                 FROM case_events e LEFT JOIN users u ON u.id = e.author_id WHERE e.case_id = $1 ORDER BY e.id LIMIT 5000",
            )
            .bind(case.0)
            .fetch_all(pool)
            .await?
        });
        if events.first().is_none_or(|e| e.kind != EventKind::Created)
            && let Some(created) = self.fan_out_created_event(case).await?
        {
            events.insert(0, created);
        }
        Ok(events)
    }

    /// How many cases are in each state.
    pub async fn count_cases_by_state(&self) -> Result<Vec<(CaseState, i64)>, StoreError> {
        let rows: Vec<(String, i64)> = with_pool!(self, |pool| {
            sqlx::query_as("SELECT state, COUNT(*) FROM cases GROUP BY state")
                .fetch_all(pool)
                .await?
        });
        Ok(rows
            .into_iter()
            .filter_map(|(s, n)| s.parse::<CaseState>().ok().map(|s| (s, n)))
            .collect())
    }
}
