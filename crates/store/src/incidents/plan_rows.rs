//! What the server plans for one fan-out chunk ([`FanOutPlan`]: new cases,
//! linked cases, timeline entries, automatic grants, the notice job and the
//! outcome per customer) and the multi-row statements that write it. The
//! statements bind what every row of a chunk shares once per statement and
//! only the rest per row.

use crate::audit::{Audit, AuditLog};
use crate::bulk::BulkWrites;
use crate::bulk::{CaseRecord, EventRecord};
use crate::{NewJob, StoreError};
use amends_domain::goodwill::GoodwillKind;
use amends_domain::{IncidentId, UserId};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::PendingAffected;
use super::notices::NoticeWrites;

/// A goodwill grant made by a rule.
#[derive(Debug, Clone)]
pub struct AutoGrant {
    pub id: Uuid,
    pub case_id: Uuid,
    pub customer_id: Uuid,
    pub catalog_item_id: Uuid,
    pub kind: GoodwillKind,
    pub value_cents: i64,
    pub currency: String,
    /// In English (older readers, logs).
    pub reason: String,
    /// The same as a code and its parameters, as JSON.
    pub reason_details: String,
    pub rule_id: Uuid,
    pub requested_by: Uuid,
    /// Set by the store when the grant would exceed the month's budget:
    /// it is written pending approval, with this reason.
    pub pending_reason: Option<String>,
    /// The same as a code and its parameters, as JSON.
    pub pending_details: Option<String>,
}

/// What became of one affected customer.
#[derive(Debug, Clone)]
pub struct AffectedOutcome {
    pub customer_id: Uuid,
    pub case_id: Uuid,
    pub case_created: bool,
    pub language: String,
    /// The chunk's `incident_notices` job when a notice is queued for the
    /// customer (the affected row is its outbox entry).
    pub message_job_id: Option<Uuid>,
    pub grant_id: Option<Uuid>,
}

/// Everything one fan-out chunk writes, planned by the server.
#[derive(Debug, Clone, Default)]
pub struct FanOutPlan {
    pub new_cases: Vec<CaseRecord>,
    /// Open cases that get this incident's link and a timeline entry.
    pub linked_cases: Vec<Uuid>,
    pub events: Vec<EventRecord>,
    pub grants: Vec<AutoGrant>,
    /// The one job that sends the chunk's notices (none if nobody may be
    /// contacted), with its id; the affected rows are its outbox entries.
    pub jobs: Vec<(Uuid, NewJob)>,
    pub outcomes: Vec<AffectedOutcome>,
}

/// The goodwill rules of a fan-out's grants, each once, if every grant of a
/// rule agrees on what the rule gives (the usual case).
pub(super) fn grant_rules(grants: &[AutoGrant]) -> Option<Vec<&AutoGrant>> {
    let mut rules: Vec<&AutoGrant> = Vec::new();
    for g in grants {
        match rules.iter().find(|r| r.rule_id == g.rule_id) {
            Some(r) => {
                let same = r.catalog_item_id == g.catalog_item_id
                    && r.kind == g.kind
                    && r.value_cents == g.value_cents
                    && r.currency == g.currency
                    && r.reason == g.reason
                    && r.requested_by == g.requested_by;
                if !same {
                    return None;
                }
            }
            None => rules.push(g),
        }
    }
    Some(rules)
}

crate::backend_trait! {
    /// The multi-row statements of a fan-out chunk.
    pub(super) trait FanOutWrites {
        /// Inserts the automatic grants of a fan-out (granted at `now`): what a
        /// rule gives is bound once per statement (a `VALUES` list of the rules),
        /// the grant's own columns per row (4 instead of 13 parameters a grant).
        /// `CROSS JOIN` keeps SQLite reading the grants in their order, so their
        /// rising ids append to the indexes. Grants of one rule that disagree
        /// (not made by the fan-out's planner) take the plain multi-row insert.
        async fn insert_auto_grants(&mut self, grants: &[AutoGrant], now: DateTime<Utc>) -> Result<(), StoreError> {
            // Grants held back by the budget take the plain insert (their state varies).
            let rules = if grants.iter().any(|g| g.pending_reason.is_some()) {
                None
            } else {
                grant_rules(grants)
            };
            for chunk in grants.chunks(crate::bulk::CHUNK) {
                let Some(rules) = &rules else {
                    let mut q = sqlx::QueryBuilder::new(
                        "INSERT INTO goodwill_grants (id, case_id, customer_id, catalog_item_id, kind, value_cents, \
                         currency, reason, state, approval_reason, requested_by, created_at, granted_at, rule_id, \
                         reason_details, approval_details) ",
                    );
                    q.push_values(chunk, |mut r, g| {
                        let held = g.pending_reason.is_some();
                        r.push_bind(g.id)
                            .push_bind(g.case_id)
                            .push_bind(g.customer_id)
                            .push_bind(g.catalog_item_id)
                            .push_bind(g.kind.as_str())
                            .push_bind(g.value_cents)
                            .push_bind(g.currency.as_str())
                            .push_bind(g.reason.as_str())
                            .push_bind(if held { "pending" } else { "granted" })
                            .push_bind(g.pending_reason.as_deref())
                            .push_bind(g.requested_by)
                            .push_bind(now)
                            .push_bind((!held).then_some(now))
                            .push_bind(g.rule_id)
                            .push_bind(g.reason_details.as_str())
                            .push_bind(g.pending_details.as_deref());
                    });
                    q.build().execute(&mut *self).await?;
                    continue;
                };
                let mut q = sqlx::QueryBuilder::new(
                    "WITH r (rule_id, catalog_item_id, kind, value_cents, currency, reason, requested_by, reason_details) AS (",
                );
                q.push_values(rules, |mut b, g| {
                    b.push_bind(g.rule_id)
                        .push_bind(g.catalog_item_id)
                        .push_bind(g.kind.as_str())
                        .push_bind(g.value_cents)
                        .push_bind(g.currency.as_str())
                        .push_bind(g.reason.as_str())
                        .push_bind(g.requested_by)
                        .push_bind(g.reason_details.as_str());
                });
                q.push("), v (id, case_id, customer_id, rule_id) AS (");
                q.push_values(chunk, |mut b, g| {
                    b.push_bind(g.id)
                        .push_bind(g.case_id)
                        .push_bind(g.customer_id)
                        .push_bind(g.rule_id);
                });
                q.push(
                    ") INSERT INTO goodwill_grants (id, case_id, customer_id, catalog_item_id, kind, value_cents, \
                     currency, reason, state, requested_by, created_at, granted_at, rule_id, reason_details) \
                     SELECT v.id, v.case_id, v.customer_id, r.catalog_item_id, r.kind, r.value_cents, r.currency, \
                     r.reason, 'granted', r.requested_by, ",
                )
                .push_bind(now)
                .push(", ")
                .push_bind(now)
                .push(", v.rule_id, r.reason_details FROM v CROSS JOIN r WHERE r.rule_id = v.rule_id");
                q.build().execute(&mut *self).await?;
            }
            Ok(())
        }
        /// Writes the cases, links, events, grants and message jobs of a plan with
        /// multi-row statements in this transaction.
        async fn write_plan_rows(
            &mut self,
            p: &FanOutPlan,
            incident: IncidentId,
            now: DateTime<Utc>,
        ) -> Result<(), StoreError> {
            self.insert_incident_cases(&p.new_cases).await?;
            for chunk in p.linked_cases.chunks(crate::bulk::CHUNK) {
                let mut q = sqlx::QueryBuilder::new("UPDATE cases SET incident_id = ");
                q.push_bind(incident.0)
                    .push(", updated_at = ")
                    .push_bind(now)
                    .push(", version = version + 1 WHERE incident_id IS NULL AND id IN (");
                crate::bulk::push_ids(&mut q, chunk);
                q.push(")");
                q.build().execute(&mut *self).await?;
            }
            self.insert_fan_out_events(&p.events).await?;
            self.insert_auto_grants(&p.grants, now).await?;
            self.insert_job_rows(&p.jobs, now).await?;
            Ok(())
        }
        /// Inserts the affected rows of `outcomes` (with their facts, same order)
        /// in their final state: done, with case, grant and queued notice.
        async fn insert_done_rows(
            &mut self,
            incident: IncidentId,
            outcomes: &[AffectedOutcome],
            facts: &[&str],
            now: DateTime<Utc>,
        ) -> Result<(), StoreError> {
            let rows: Vec<(&AffectedOutcome, &str)> = outcomes.iter().zip(facts.iter().copied()).collect();
            for chunk in rows.chunks(crate::bulk::CHUNK) {
                let mut q = sqlx::QueryBuilder::new(
                    "WITH v (customer_id, facts, language, case_id, case_created, message_job_id, grant_id) AS (",
                );
                q.push_values(chunk, |mut r, (o, f)| {
                    r.push_bind(o.customer_id)
                        .push_bind(*f)
                        .push_bind(o.language.as_str())
                        .push_bind(o.case_id)
                        .push_bind(o.case_created)
                        .push_bind(o.message_job_id)
                        .push_bind(o.grant_id);
                });
                q.push(
                    ") INSERT INTO incident_affected (incident_id, customer_id, facts, state, language, case_id, \
                     case_created, message_job_id, message_state, grant_id, created_at, processed_at) SELECT ",
                )
                .push_bind(incident.0)
                .push(
                    ", customer_id, facts, 'done', language, case_id, case_created, message_job_id, \
                     CASE WHEN message_job_id IS NULL THEN NULL ELSE 'queued' END, grant_id, ",
                )
                .push_bind(now)
                .push(", ")
                .push_bind(now)
                .push(" FROM v");
                q.build().execute(&mut *self).await?;
            }
            Ok(())
        }
        /// Inserts the new cases of a fan-out: the columns equal for every case of
        /// the incident are bound once per statement, the rest per row (6 instead
        /// of 21 parameters a case). Other records go through the generic insert.
        async fn insert_incident_cases(&mut self, records: &[CaseRecord]) -> Result<(), StoreError> {
            match records.first() {
                Some(f) if records.iter().all(|c| same_case_constants(f, c)) => {
                    for chunk in records.chunks(crate::bulk::CHUNK) {
                        let mut q = sqlx::QueryBuilder::new(
                            "WITH v (id, customer_id, description, tier, first_response_due_at, resolution_due_at) AS (",
                        );
                        q.push_values(chunk, |mut r, c| {
                            r.push_bind(c.id.0)
                                .push_bind(c.customer_id)
                                .push_bind(c.description.as_str())
                                .push_bind(c.tier.as_str())
                                .push_bind(c.first_response_due_at)
                                .push_bind(c.resolution_due_at);
                        });
                        q.push(
                            ") INSERT INTO cases (id, customer_id, subject, description, channel, origin, state, priority, \
                             tier, first_response_due_at, resolution_due_at, severity, created_at, updated_at, open, \
                             incident_id) SELECT id, customer_id, ",
                        )
                        .push_bind(f.subject.as_str())
                        .push(", description, ")
                        .push_bind(f.channel.as_str())
                        .push(", ")
                        .push_bind(f.origin.as_str())
                        .push(", ")
                        .push_bind(f.state.as_str())
                        .push(", ")
                        .push_bind(f.priority.as_str())
                        .push(", tier, first_response_due_at, resolution_due_at, ")
                        .push_bind(f.severity)
                        .push(", ")
                        .push_bind(f.created_at)
                        .push(", ")
                        .push_bind(f.updated_at)
                        .push(", ")
                        .push_bind(f.state.is_open())
                        .push(", ")
                        .push_bind(f.incident_id)
                        .push(" FROM v");
                        q.build().execute(&mut *self).await?;
                        let customers: Vec<uuid::Uuid> = chunk.iter().map(|c| c.customer_id).collect();
                        self.cases_inserted_for(&customers).await?;
                    }
                }
                _ => self.insert_case_records(records).await?,
            }
            Ok(())
        }
        /// Inserts timeline entries of a fan-out; body and time are the same for
        /// all of them (bound once), else the generic insert is used.
        async fn insert_fan_out_events(&mut self, records: &[EventRecord]) -> Result<(), StoreError> {
            match records.first() {
                Some(f) if records.iter().all(|e| e.body.is_none() && e.created_at == f.created_at) => {
                    for chunk in records.chunks(crate::bulk::CHUNK) {
                        let mut q = sqlx::QueryBuilder::new("WITH v (id, case_id, kind, author_id, data) AS (");
                        q.push_values(chunk, |mut r, e| {
                            r.push_bind(e.id)
                                .push_bind(e.case_id.0)
                                .push_bind(e.kind.as_str())
                                .push_bind(e.author_id.map(|u| u.0))
                                .push_bind(e.data.as_deref());
                        });
                        q.push(
                            ") INSERT INTO case_events (id, case_id, kind, author_id, body, data, created_at) \
                             SELECT id, case_id, kind, author_id, NULL, data, ",
                        )
                        .push_bind(f.created_at)
                        .push(" FROM v");
                        q.build().execute(&mut *self).await?;
                    }
                }
                _ => self.insert_event_records(records).await?,
            }
            Ok(())
        }
        /// Adds a written plan to the incident's totals with the
        /// `incident.fan_out` audit entry. `new_affected`: the plan's rows
        /// count as affected too (they were written done at once); else they
        /// were staged as affected before and are only processed now.
        async fn add_totals(
            &mut self,
            incident: IncidentId,
            p: &FanOutPlan,
            new_affected: bool,
            actor: Option<UserId>,
            now: DateTime<Utc>,
        ) -> Result<(), StoreError> {
            let t = Tally::of(p);
            let sql = if new_affected {
                "UPDATE incidents SET affected_count = affected_count + $1, processed_count = processed_count + $1, \
                 cases_created = cases_created + $2, cases_updated = cases_updated + $3, \
                 messages_queued = messages_queued + $4, goodwill_granted = goodwill_granted + $5, \
                 goodwill_cents = goodwill_cents + $6, updated_at = $7 WHERE id = $8"
            } else {
                "UPDATE incidents SET processed_count = processed_count + $1, cases_created = cases_created + $2, \
                 cases_updated = cases_updated + $3, messages_queued = messages_queued + $4, \
                 goodwill_granted = goodwill_granted + $5, goodwill_cents = goodwill_cents + $6, updated_at = $7 \
                 WHERE id = $8"
            };
            sqlx::query(sql)
            .bind(t.processed)
            .bind(t.created)
            .bind(t.updated)
            .bind(t.messages)
            .bind(t.grants)
            .bind(t.cents)
            .bind(now)
            .bind(incident.0)
            .execute(&mut *self)
            .await?;
            self.record_audit(Audit {
                    actor,
                    action: "incident.fan_out",
                    entity: "incident",
                    entity_id: incident.to_string(),
                    detail: serde_json::json!({"processed": t.processed, "cases_created": t.created, "cases_updated": t.updated,
                        "messages_queued": t.messages, "goodwill_granted": t.grants, "goodwill_cents": t.cents}),
                    at: now,
                }).await?;
            Ok(())
        }
    }
}

/// The facts (JSON) of each outcome's customer, in the order of `outcomes`.
pub(super) fn facts_of_outcomes<'a>(pending: &'a [PendingAffected], outcomes: &[AffectedOutcome]) -> Vec<&'a str> {
    let by_customer: std::collections::HashMap<Uuid, &str> =
        pending.iter().map(|a| (a.customer_id, a.facts.as_str())).collect();
    outcomes
        .iter()
        .map(|o| by_customer.get(&o.customer_id).copied().unwrap_or("{}"))
        .collect()
}

/// Whether two new cases agree on every column that the fan-out keeps the
/// same for all cases of an incident (written once per statement).
pub(super) fn same_case_constants(a: &CaseRecord, b: &CaseRecord) -> bool {
    a.subject == b.subject
        && a.channel == b.channel
        && a.origin == b.origin
        && a.state == b.state
        && a.priority == b.priority
        && a.severity == b.severity
        && a.created_at == b.created_at
        && a.updated_at == b.updated_at
        && a.incident_id == b.incident_id
        && b.assignee_id.is_none()
        && b.first_responded_at.is_none()
        && b.resolved_at.is_none()
        && b.closed_at.is_none()
        && b.sla_paused_at.is_none()
}

/// Counters to add to an incident.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Tally {
    pub(super) processed: i64,
    pub(super) created: i64,
    pub(super) updated: i64,
    pub(super) messages: i64,
    pub(super) grants: i64,
    pub(super) cents: i64,
}

fn count(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

impl Tally {
    pub(super) fn of(p: &FanOutPlan) -> Self {
        Tally {
            processed: count(p.outcomes.len()),
            created: count(p.new_cases.len()),
            updated: count(p.outcomes.iter().filter(|o| !o.case_created).count()),
            messages: count(p.outcomes.iter().filter(|o| o.message_job_id.is_some()).count()),
            grants: count(p.grants.iter().filter(|g| g.pending_reason.is_none()).count()),
            cents: p
                .grants
                .iter()
                .filter(|g| g.pending_reason.is_none())
                .map(|g| g.value_cents)
                .sum(),
        }
    }
}
