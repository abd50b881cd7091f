//! Cases opened together in one transaction (the feedback of an import
//! chunk or a bulk request): each case gets what
//! `CaseWrites::insert_new_case` gives a single one — routing, the
//! "created" event, the "assignment" event and `case.route` audit entry of
//! a routed case, the `case.created` job and the `case.create` audit entry
//! — but the rows are written together in multi-row statements.
//!
//! Routing decides case by case in the order the cases were opened, as
//! one insert after the other would: the routing row is locked once (at
//! the first case that asks to be routed), the agents and their open loads
//! are read once, and each routed case adds one to its agent's load before
//! the next case is decided. Ids are made in the order a single insert
//! makes them, so the timeline keeps "created" before "assignment" before
//! the customer's message.

use crate::audit::{Audit, AuditLog, new_id};
use crate::bulk::{BulkWrites, CHUNK, EventRecord};
use crate::outbox::Outbox;
use crate::routing::{AGENT_SELECT, ProfileRow, Routed, candidate_of};
use crate::{EventKind, NewCase, NewJob, StoreError};
use amends_domain::UserId;
use amends_domain::routing::{Candidate, CaseNeeds};
use chrono::{DateTime, Utc};
use serde_json::json;
use uuid::Uuid;

/// The routing of a batch: unread until a case asks for it.
enum Router {
    Unread,
    Off,
    On {
        /// Available agents: id, display name, candidate (with its load).
        agents: Vec<(Uuid, String, Candidate)>,
        /// Who got the last routed case.
        last: Option<UserId>,
        /// When the last case of this batch was routed (`None`: none was).
        routed_at: Option<DateTime<Utc>>,
    },
}

/// Cases to open in one transaction, with the rows beside them, and the
/// timeline events of the same transaction (so all go in in id order).
pub(crate) struct CaseBatch<'a> {
    cases: Vec<(&'a NewCase, Option<UserId>)>,
    pub(crate) events: Vec<EventRecord>,
    jobs: Vec<(Uuid, NewJob)>,
    audits: Vec<Audit<'static>>,
    router: Router,
}

/// `base` with the keys of `extra` (a JSON object) added.
fn with_extra(mut base: serde_json::Value, extra: &serde_json::Value) -> serde_json::Value {
    if let (Some(b), Some(e)) = (base.as_object_mut(), extra.as_object()) {
        for (k, v) in e {
            b.insert(k.clone(), v.clone());
        }
    }
    base
}

impl<'a> CaseBatch<'a> {
    pub(crate) fn new() -> Self {
        Self {
            cases: Vec::new(),
            events: Vec::new(),
            jobs: Vec::new(),
            audits: Vec::new(),
            router: Router::Unread,
        }
    }

    /// Whether `c` asks to be routed and the routing is not read yet.
    pub(crate) fn needs_router(&self, c: &NewCase) -> bool {
        c.route.is_some() && c.assignee_id.is_none() && matches!(self.router, Router::Unread)
    }

    /// The agent for `c` (routing on, a request and no assignee), as
    /// `Routing::route_case` would pick it now.
    fn route(&mut self, c: &NewCase) -> Option<Routed> {
        let (Some(req), None) = (&c.route, c.assignee_id) else {
            return None;
        };
        let Router::On {
            agents,
            last,
            routed_at,
        } = &mut self.router
        else {
            return None;
        };
        let candidates: Vec<Candidate> = agents.iter().map(|(_, _, cand)| cand.clone()).collect();
        let needs = CaseNeeds {
            language: req.language,
            tier: c.tier,
            topics: &req.topics,
        };
        let r = amends_domain::routing::pick(&candidates, &needs, *last)?;
        *last = Some(r.user_id);
        *routed_at = Some(c.created_at);
        let agent = agents.iter_mut().find(|(id, _, _)| *id == r.user_id.0)?;
        agent.2.open_load = agent.2.open_load.saturating_add(1);
        Some((r.user_id, agent.1.clone(), r.reason))
    }

    /// Opens `c` (see the module documentation); `extra` (a JSON object)
    /// goes into its "created" event and audit entry.
    pub(crate) fn open(&mut self, c: &'a NewCase, extra: &serde_json::Value) {
        let routed = self.route(c);
        let assignee = c.assignee_id.or(routed.as_ref().map(|r| r.0));
        self.events.push(EventRecord {
            id: new_id(c.created_at),
            case_id: c.id,
            kind: EventKind::Created,
            author_id: c.author,
            body: None,
            data: Some(
                with_extra(
                    json!({"channel": c.channel, "origin": c.origin, "priority": c.priority}),
                    extra,
                )
                .to_string(),
            ),
            created_at: c.created_at,
        });
        if let Some((user, name, reason)) = &routed {
            let data = json!({"from": null, "to": name, "assignee_id": user, "routing": reason,
                "explanation": reason.to_string()});
            self.events.push(EventRecord {
                id: new_id(c.created_at),
                case_id: c.id,
                kind: EventKind::Assignment,
                author_id: None,
                body: None,
                data: Some(data.to_string()),
                created_at: c.created_at,
            });
            self.audits.push(Audit {
                actor: None,
                action: "case.route",
                entity: "case",
                entity_id: c.id.to_string(),
                detail: data,
                at: c.created_at,
            });
        }
        let job = NewJob::event(
            "case.created",
            Some(c.id),
            json!({"customer_id": c.customer_id, "subject": c.subject.as_str(), "channel": c.channel, "origin": c.origin}),
            c.created_at,
        );
        self.jobs.push((new_id(c.created_at), job));
        self.audits.push(Audit {
            actor: c.author,
            action: "case.create",
            entity: "case",
            entity_id: c.id.to_string(),
            detail: with_extra(
                json!({"subject": c.subject.as_str(), "customer_id": c.customer_id}),
                extra,
            ),
            at: c.created_at,
        });
        self.cases.push((c, assignee));
    }
}

crate::backend_trait! {
    pub(crate) trait CaseBatchWrites {
        /// Reads the routing of `batch` in this transaction: whether it is
        /// on and, if so, the routing row's lock, the last agent and the
        /// available agents with their open loads.
        async fn read_router(&mut self, batch: &mut CaseBatch<'_>) -> Result<(), StoreError> {
            let on: Option<(bool,)> = sqlx::query_as("SELECT enabled FROM routing_state WHERE id = 1")
                .fetch_optional(&mut *self)
                .await?;
            if !on.is_some_and(|(e,)| e) {
                batch.router = Router::Off;
                return Ok(());
            }
            let (last,): (Option<Uuid>,) = sqlx::query_as(
                "UPDATE routing_state SET last_routed_at = last_routed_at WHERE id = 1 RETURNING last_user_id",
            )
            .fetch_one(&mut *self)
            .await?;
            let rows: Vec<ProfileRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!("{AGENT_SELECT} AND p.available = TRUE")))
                .fetch_all(&mut *self)
                .await?;
            batch.router = Router::On {
                agents: rows.into_iter().filter_map(candidate_of).collect(),
                last: last.map(UserId),
                routed_at: None,
            };
            Ok(())
        }

        /// Writes the cases of `batch`, the events, jobs and audit entries,
        /// and moves the round-robin pointer to the last agent routed to.
        async fn write_case_batch(&mut self, batch: &CaseBatch<'_>) -> Result<(), StoreError> {
            for part in batch.cases.chunks(CHUNK) {
                let mut q = sqlx::QueryBuilder::new(
                    "INSERT INTO cases (id, customer_id, subject, description, channel, origin, state, priority, tier, \
                     assignee_id, first_response_due_at, resolution_due_at, created_at, updated_at) ",
                );
                q.push_values(part, |mut r, (c, assignee)| {
                    r.push_bind(c.id.0)
                        .push_bind(c.customer_id.0)
                        .push_bind(c.subject.as_str())
                        .push_bind(c.description.as_str())
                        .push_bind(c.channel.as_str())
                        .push_bind(c.origin.as_str())
                        .push_bind("new")
                        .push_bind(c.priority.as_str())
                        .push_bind(c.tier.as_str())
                        .push_bind(assignee.map(|u| u.0))
                        .push_bind(c.due.first_response_due_at)
                        .push_bind(c.due.resolution_due_at)
                        .push_bind(c.created_at)
                        .push_bind(c.created_at);
                });
                q.build().execute(&mut *self).await?;
                let customers: Vec<uuid::Uuid> = part.iter().map(|(c, _)| c.customer_id.0).collect();
                self.cases_inserted_for(&customers).await?;
            }
            self.insert_event_records(&batch.events).await?;
            self.insert_job_rows(&batch.jobs).await?;
            self.insert_audit_rows(&batch.audits).await?;
            if let Router::On { last: Some(user), routed_at: Some(at), .. } = &batch.router {
                sqlx::query("UPDATE routing_state SET last_user_id = $1, last_routed_at = $2 WHERE id = 1")
                    .bind(user.0)
                    .bind(*at)
                    .execute(&mut *self)
                    .await?;
            }
            Ok(())
        }
    }
}
