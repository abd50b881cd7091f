//! Incidents, their affected customers and the fan-out that turns each
//! affected customer into a proactive recovery case, an outbox message and
//! automatic goodwill.
//!
//! An upload first *stages* the affected customers (`pending` rows, one per
//! (incident, customer), so a retried upload adds nothing twice); the
//! fan-out then takes pending rows in chunks and, in one transaction per
//! chunk, writes the cases, timeline events, grants and message jobs and
//! marks the rows done. A crash loses at most the chunk in flight, which
//! stays pending and is taken again by the next fan-out (the job enqueued
//! with the first staged rows).

use crate::audit::{Audit, Removal, record_audit};
use crate::bulk::{CaseRecord, EventRecord, insert_case_records, insert_event_records};
use crate::write_session::{BeginWriteOn, WriteSession, with_session};
use crate::{BeginRead, BeginWrite};
use crate::{JobEffects, NewJob, Store, StoreError, with_pool};
use amends_domain::goodwill::GoodwillKind;
use amends_domain::incident::{IncidentDraft, IncidentKind, IncidentStatus, RuleScope};
use amends_domain::{IncidentId, UserId};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

/// An incident as stored.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct Incident {
    #[sqlx(try_from = "Uuid")]
    pub id: IncidentId,
    #[sqlx(try_from = "String")]
    pub kind: IncidentKind,
    pub title: String,
    pub severity: i32,
    pub controllable: bool,
    #[sqlx(try_from = "String")]
    pub status: IncidentStatus,
    pub started_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
    pub component: Option<String>,
    pub release: Option<String>,
    pub summary_de: String,
    pub summary_en: String,
    /// manual, api, alertmanager
    pub source: String,
    pub alert_key: Option<String>,
    pub created_by: Uuid,
    pub affected_count: i64,
    pub processed_count: i64,
    pub cases_created: i64,
    pub cases_updated: i64,
    pub messages_queued: i64,
    pub goodwill_granted: i64,
    pub goodwill_cents: i64,
    pub closing_messages: i64,
    pub closing_queued_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

const INCIDENT_COLUMNS: &str = "id, kind, title, severity, controllable, status, started_at, ended_at, component, \
     release, summary_de, summary_en, source, alert_key, created_by, affected_count, processed_count, cases_created, \
     cases_updated, messages_queued, goodwill_granted, goodwill_cents, closing_messages, closing_queued_at, \
     created_at, updated_at";

/// A customer named by an upload, found by external id.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct CustomerRef {
    pub id: Uuid,
    pub external_id: String,
}

/// A pending affected customer with what the fan-out needs to know.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PendingAffected {
    pub customer_id: Uuid,
    pub facts: String,
    pub tier: String,
    pub language: String,
    /// The customer has an email address and agreed to be contacted.
    pub reachable: bool,
    /// The customer's newest open case, updated instead of opening another.
    pub open_case_id: Option<Uuid>,
}

/// A customer named by an upload chunk, with what the fan-out needs.
#[derive(Debug, Clone)]
struct FoundCustomer {
    /// The index of the row (in the chunk) that named the customer.
    row_index: i64,
    customer_id: Uuid,
    tier: String,
    language: String,
    reachable: bool,
    open_case_id: Option<Uuid>,
    /// Already affected by this incident (a repeated upload).
    known: bool,
}

/// One element of the lookup's JSON array: `[row index, customer id, tier,
/// language, reachable (0/1), newest open case, known (0/1)]`. Ids are hex
/// (SQLite) or UUID text (PostgreSQL); no open case is `null` or `""`.
#[derive(serde::Deserialize)]
struct FoundJson(i64, String, String, String, u8, Option<String>, u8);

impl FoundCustomer {
    /// The customers of the lookup's one JSON value.
    fn all_of_json(text: &str) -> Result<Vec<FoundCustomer>, StoreError> {
        let bad = |e: Box<dyn std::error::Error + Send + Sync>| StoreError::Database(sqlx::Error::Decode(e));
        let rows: Vec<FoundJson> = serde_json::from_str(text).map_err(|e| bad(Box::new(e)))?;
        rows.into_iter()
            .map(
                |FoundJson(row_index, id, tier, language, reachable, open_case, known)| {
                    Ok(FoundCustomer {
                        row_index,
                        customer_id: Uuid::try_parse(&id).map_err(|e| bad(Box::new(e)))?,
                        tier,
                        language,
                        reachable: reachable != 0,
                        open_case_id: match open_case.as_deref() {
                            None | Some("") => None,
                            Some(c) => Some(Uuid::try_parse(c).map_err(|e| bad(Box::new(e)))?),
                        },
                        known: known != 0,
                    })
                },
            )
            .collect()
    }
}

/// The customers of one upload chunk as looked up.
#[derive(Debug, Clone, Default)]
pub struct UploadLookup {
    /// Indexes (into the chunk) of rows naming no known customer.
    pub unknown: Vec<usize>,
    /// Customers already affected by the incident.
    pub known: u64,
    /// Customers new to the incident, with their facts: to fan out.
    pub pending: Vec<PendingAffected>,
}

impl UploadLookup {
    fn of(rows: &[(String, String)], mut found: Vec<FoundCustomer>) -> Self {
        found.sort_by_key(|f| f.row_index);
        let mut named = vec![false; rows.len()];
        let mut out = UploadLookup {
            unknown: Vec::new(),
            known: 0,
            pending: Vec::with_capacity(found.len()),
        };
        for f in found {
            let Some(i) = usize::try_from(f.row_index).ok().filter(|i| *i < rows.len()) else {
                continue;
            };
            named[i] = true;
            if f.known {
                out.known += 1;
                continue;
            }
            out.pending.push(PendingAffected {
                customer_id: f.customer_id,
                facts: rows[i].1.clone(),
                tier: f.tier,
                language: f.language,
                reachable: f.reachable,
                open_case_id: f.open_case_id,
            });
        }
        out.unknown = named.iter().enumerate().filter(|(_, n)| !**n).map(|(i, _)| i).collect();
        // In customer order, the chunk's writes keyed by customer (the
        // affected rows, `cases_customer`, the customer checks of the foreign
        // keys) walk their indexes forwards instead of jumping around, and
        // the new cases' ids (made in this order) rise along with them.
        out.pending.sort_by_key(|p| p.customer_id);
        // One customer named twice (the parser rejects such rows; this keeps
        // a slip from writing one affected row twice): the first counts.
        let before = out.pending.len();
        out.pending.dedup_by_key(|p| p.customer_id);
        out.known += u64::try_from(before - out.pending.len()).unwrap_or(0);
        out
    }
}

/// What the fan-out of one upload chunk did.
#[derive(Debug, Clone, Default)]
pub struct UploadChunk {
    /// Indexes (into the chunk) of rows naming no known customer.
    pub unknown: Vec<usize>,
    /// Customers new to the incident, fanned out.
    pub added: u64,
    /// Customers already affected by the incident.
    pub known: u64,
}

/// A notice still to send (the affected row is its outbox entry).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct QueuedNotice {
    pub incident_id: Uuid,
    pub customer_id: Uuid,
    pub case_id: Option<Uuid>,
    pub language: Option<String>,
}

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
    pub reason: String,
    pub rule_id: Uuid,
    pub requested_by: Uuid,
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

/// One affected customer on the incident page.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct AffectedRow {
    pub customer_id: Uuid,
    pub customer_name: String,
    pub external_id: Option<String>,
    pub facts: String,
    /// pending, done
    pub state: String,
    pub language: Option<String>,
    pub case_id: Option<Uuid>,
    pub case_state: Option<String>,
    pub case_created: Option<bool>,
    pub message_job_id: Option<Uuid>,
    /// queued, done, dead (of the notice; none: not contacted)
    pub message_state: Option<String>,
    pub grant_id: Option<Uuid>,
    pub goodwill_cents: Option<i64>,
    pub goodwill_currency: Option<String>,
    pub goodwill_name_de: Option<String>,
    pub goodwill_name_en: Option<String>,
}

const AFFECTED_SELECT: &str = "SELECT a.customer_id, cu.name AS customer_name, cu.external_id, a.facts, a.state, \
     a.language, a.case_id, c.state AS case_state, a.case_created, a.message_job_id, a.message_state, \
     a.grant_id, g.value_cents AS goodwill_cents, g.currency AS goodwill_currency, gc.name_de AS goodwill_name_de, \
     gc.name_en AS goodwill_name_en FROM incident_affected a JOIN customers cu ON cu.id = a.customer_id \
     LEFT JOIN cases c ON c.id = a.case_id \
     LEFT JOIN goodwill_grants g ON g.id = a.grant_id LEFT JOIN goodwill_catalog gc ON gc.id = g.catalog_item_id";

/// Live figures of an incident beyond its counters.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct IncidentStats {
    pub cases_open: i64,
    /// Notices by state (queued, done, dead).
    pub messages_by_state: Vec<(String, i64)>,
    /// Feedback from affected customers since the incident started, by sentiment.
    pub feedback_by_sentiment: Vec<(String, i64)>,
    pub surveys_answered: i64,
    pub csat_average: Option<f64>,
}

/// Feedback of an affected customer.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct AffectedFeedback {
    pub id: Uuid,
    pub customer_id: Uuid,
    pub customer_name: String,
    pub channel: String,
    pub rating: Option<i32>,
    pub text: String,
    pub sentiment: String,
    pub created_at: DateTime<Utc>,
}

/// An automatic goodwill rule.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct GoodwillRule {
    pub id: Uuid,
    pub name: String,
    pub condition: String,
    pub catalog_item_id: Uuid,
    pub item_name_de: String,
    pub item_name_en: String,
    pub item_kind: String,
    pub value_cents: i64,
    pub currency: String,
    pub position: i64,
    pub active: bool,
    /// `incident` or `case` (`amends_domain::incident::RuleScope`).
    pub applies_to: String,
    /// Who saved it last (the requester of the grants it makes on cases).
    pub updated_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A validated goodwill rule to save.
#[derive(Debug, Clone)]
pub struct GoodwillRuleInput {
    pub name: String,
    /// Already parsed and printed back by the domain's `Condition`.
    pub condition: String,
    pub catalog_item_id: Uuid,
    pub position: i64,
    pub active: bool,
    pub applies_to: RuleScope,
}

const RULE_SELECT: &str = "SELECT r.id, r.name, r.condition, r.catalog_item_id, g.name_de AS item_name_de, \
     g.name_en AS item_name_en, g.kind AS item_kind, g.value_cents, g.currency, r.position, r.active, r.applies_to, \
     r.updated_by, r.created_at, r.updated_at FROM goodwill_rules r JOIN goodwill_catalog g ON g.id = r.catalog_item_id";

/// Inserts `$jobs` (a slice of `(id, NewJob)`) as queued outbox jobs with
/// multi-row statements; a used dedupe key is skipped. Gives how many were new.
macro_rules! insert_job_rows {
    ($tx:ident, $jobs:expr, $now:expr) => {{
        let jobs: &[(Uuid, NewJob)] = $jobs;
        let now: DateTime<Utc> = $now;
        let mut added = 0_u64;
        for chunk in jobs.chunks(crate::bulk::CHUNK) {
            let mut q = sqlx::QueryBuilder::new(
                "INSERT INTO jobs (id, kind, payload, dedupe_key, case_id, state, run_at, attempts, max_attempts, \
                 created_at, updated_at) ",
            );
            q.push_values(chunk, |mut r, (id, j)| {
                r.push_bind(*id)
                    .push_bind(j.kind.clone())
                    .push_bind(j.payload.to_string())
                    .push_bind(j.dedupe_key.clone())
                    .push_bind(j.case_id.map(|c| c.0))
                    .push_bind("queued")
                    .push_bind(j.run_at)
                    .push_bind(0_i32)
                    .push_bind(j.max_attempts)
                    .push_bind(now)
                    .push_bind(now);
            });
            q.push(" ON CONFLICT (dedupe_key) DO NOTHING");
            added += q.build().execute(&mut *$tx).await?.rows_affected();
        }
        added
    }};
}

/// The goodwill rules of a fan-out's grants, each once, if every grant of a
/// rule agrees on what the rule gives (the usual case).
fn grant_rules(grants: &[AutoGrant]) -> Option<Vec<&AutoGrant>> {
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

/// Inserts the automatic grants of a fan-out (granted at `$now`): what a
/// rule gives is bound once per statement (a `VALUES` list of the rules),
/// the grant's own columns per row (4 instead of 13 parameters a grant).
/// `CROSS JOIN` keeps SQLite reading the grants in their order, so their
/// rising ids append to the indexes. Grants of one rule that disagree
/// (not made by the fan-out's planner) take the plain multi-row insert.
macro_rules! insert_auto_grants {
    ($tx:ident, $grants:expr, $now:expr) => {{
        let grants: &[AutoGrant] = $grants;
        let now: DateTime<Utc> = $now;
        let rules = grant_rules(grants);
        for chunk in grants.chunks(crate::bulk::CHUNK) {
            let Some(rules) = &rules else {
                let mut q = sqlx::QueryBuilder::new(
                    "INSERT INTO goodwill_grants (id, case_id, customer_id, catalog_item_id, kind, value_cents, \
                     currency, reason, state, requested_by, created_at, granted_at, rule_id) ",
                );
                q.push_values(chunk, |mut r, g| {
                    r.push_bind(g.id)
                        .push_bind(g.case_id)
                        .push_bind(g.customer_id)
                        .push_bind(g.catalog_item_id)
                        .push_bind(g.kind.as_str())
                        .push_bind(g.value_cents)
                        .push_bind(g.currency.as_str())
                        .push_bind(g.reason.as_str())
                        .push_bind("granted")
                        .push_bind(g.requested_by)
                        .push_bind(now)
                        .push_bind(now)
                        .push_bind(g.rule_id);
                });
                q.build().execute(&mut *$tx).await?;
                continue;
            };
            let mut q = sqlx::QueryBuilder::new(
                "WITH r (rule_id, catalog_item_id, kind, value_cents, currency, reason, requested_by) AS (",
            );
            q.push_values(rules, |mut b, g| {
                b.push_bind(g.rule_id)
                    .push_bind(g.catalog_item_id)
                    .push_bind(g.kind.as_str())
                    .push_bind(g.value_cents)
                    .push_bind(g.currency.as_str())
                    .push_bind(g.reason.as_str())
                    .push_bind(g.requested_by);
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
                 currency, reason, state, requested_by, created_at, granted_at, rule_id) \
                 SELECT v.id, v.case_id, v.customer_id, r.catalog_item_id, r.kind, r.value_cents, r.currency, \
                 r.reason, 'granted', r.requested_by, ",
            )
            .push_bind(now)
            .push(", ")
            .push_bind(now)
            .push(", v.rule_id FROM v CROSS JOIN r WHERE r.rule_id = v.rule_id");
            q.build().execute(&mut *$tx).await?;
        }
    }};
}

/// Writes the cases, links, events, grants and message jobs of a plan with
/// multi-row statements inside the transaction `$tx`.
macro_rules! write_plan_rows {
    ($tx:ident, $p:expr, $incident:expr, $now:expr) => {{
        let p: &FanOutPlan = $p;
        let incident: IncidentId = $incident;
        let now: DateTime<Utc> = $now;
        insert_incident_cases!($tx, &p.new_cases);
        for chunk in p.linked_cases.chunks(crate::bulk::CHUNK) {
            let mut q = sqlx::QueryBuilder::new("UPDATE cases SET incident_id = ");
            q.push_bind(incident.0)
                .push(", updated_at = ")
                .push_bind(now)
                .push(", version = version + 1 WHERE incident_id IS NULL AND id IN (");
            let mut sep = q.separated(", ");
            for id in chunk {
                sep.push_bind(*id);
            }
            q.push(")");
            q.build().execute(&mut *$tx).await?;
        }
        insert_fan_out_events!($tx, &p.events);
        insert_auto_grants!($tx, &p.grants, now);
        insert_job_rows!($tx, &p.jobs, now);
    }};
}

/// Inserts the affected rows of `$outcomes` (with their facts, same order)
/// in their final state: done, with case, grant and queued notice.
macro_rules! insert_done_rows {
    ($tx:ident, $incident:expr, $outcomes:expr, $facts:expr, $now:expr) => {{
        let incident: IncidentId = $incident;
        let outcomes: &[AffectedOutcome] = $outcomes;
        let facts: &[&str] = $facts;
        let now: DateTime<Utc> = $now;
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
            q.build().execute(&mut *$tx).await?;
        }
    }};
}

/// The external ids of an upload chunk as one JSON array (the lookup's
/// single parameter).
fn external_ids_json(rows: &[(String, String)]) -> String {
    serde_json::to_string(&rows.iter().map(|(e, _)| e.as_str()).collect::<Vec<_>>()).unwrap_or_else(|_| "[]".into())
}

/// Runs the upload lookup (`Store::upload_lookup_sql`, after the plan hint
/// if the backend has one) in the transaction `$tx` and decodes its answer.
macro_rules! look_up_chunk {
    ($tx:ident, $hint:expr, $lookup:expr, $incident:expr, $ids:expr) => {{
        if let Some(hint) = $hint {
            sqlx::query(hint).execute(&mut *$tx).await?;
        }
        let found: String = sqlx::query_scalar(sqlx::AssertSqlSafe($lookup))
            .bind($incident.0)
            .bind($ids)
            .fetch_one(&mut *$tx)
            .await?;
        FoundCustomer::all_of_json(&found)?
    }};
}

/// The facts (JSON) of each outcome's customer, in the order of `outcomes`.
fn facts_of_outcomes<'a>(pending: &'a [PendingAffected], outcomes: &[AffectedOutcome]) -> Vec<&'a str> {
    let by_customer: std::collections::HashMap<Uuid, &str> =
        pending.iter().map(|a| (a.customer_id, a.facts.as_str())).collect();
    outcomes
        .iter()
        .map(|o| by_customer.get(&o.customer_id).copied().unwrap_or("{}"))
        .collect()
}

/// Whether two new cases agree on every column that the fan-out keeps the
/// same for all cases of an incident (written once per statement).
fn same_case_constants(a: &CaseRecord, b: &CaseRecord) -> bool {
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

/// Inserts the new cases of a fan-out: the columns equal for every case of
/// the incident are bound once per statement, the rest per row (6 instead
/// of 21 parameters a case). Other records go through the generic insert.
macro_rules! insert_incident_cases {
    ($tx:ident, $records:expr) => {{
        let records: &[CaseRecord] = $records;
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
                    q.build().execute(&mut *$tx).await?;
                }
            }
            _ => insert_case_records!($tx, records),
        }
    }};
}

/// Inserts timeline entries of a fan-out; body and time are the same for
/// all of them (bound once), else the generic insert is used.
macro_rules! insert_fan_out_events {
    ($tx:ident, $records:expr) => {{
        let records: &[EventRecord] = $records;
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
                    q.build().execute(&mut *$tx).await?;
                }
            }
            _ => insert_event_records!($tx, records),
        }
    }};
}

/// Adds a written plan to the incident's totals (affected and processed
/// alike: the rows were written done) with the `incident.fan_out` audit entry.
macro_rules! add_totals {
    ($tx:ident, $incident:expr, $p:expr, $actor:expr, $now:expr) => {{
        let incident: IncidentId = $incident;
        let t = Tally::of($p);
        sqlx::query(
            "UPDATE incidents SET affected_count = affected_count + $1, processed_count = processed_count + $1, \
             cases_created = cases_created + $2, cases_updated = cases_updated + $3, \
             messages_queued = messages_queued + $4, goodwill_granted = goodwill_granted + $5, \
             goodwill_cents = goodwill_cents + $6, updated_at = $7 WHERE id = $8",
        )
        .bind(t.processed)
        .bind(t.created)
        .bind(t.updated)
        .bind(t.messages)
        .bind(t.grants)
        .bind(t.cents)
        .bind($now)
        .bind(incident.0)
        .execute(&mut *$tx)
        .await?;
        record_audit!(
            &mut *$tx,
            Audit {
                actor: $actor,
                action: "incident.fan_out",
                entity: "incident",
                entity_id: incident.to_string(),
                detail: json!({"processed": t.processed, "cases_created": t.created, "cases_updated": t.updated,
                    "messages_queued": t.messages, "goodwill_granted": t.grants, "goodwill_cents": t.cents}),
                at: $now,
            }
        );
    }};
}

/// Counters to add to an incident.
#[derive(Debug, Clone, Copy, Default)]
struct Tally {
    processed: i64,
    created: i64,
    updated: i64,
    messages: i64,
    grants: i64,
    cents: i64,
}

fn count(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

impl Tally {
    fn of(p: &FanOutPlan) -> Self {
        Tally {
            processed: count(p.outcomes.len()),
            created: count(p.new_cases.len()),
            updated: count(p.outcomes.iter().filter(|o| !o.case_created).count()),
            messages: count(p.outcomes.iter().filter(|o| o.message_job_id.is_some()).count()),
            grants: count(p.grants.len()),
            cents: p.grants.iter().map(|g| g.value_cents).sum(),
        }
    }
}

/// What the timeline needs to show the creation of a case the fan-out made.
#[derive(sqlx::FromRow)]
struct FanOutCreation {
    created_at: DateTime<Utc>,
    channel: String,
    origin: String,
    priority: String,
    incident_id: Uuid,
    title: String,
    facts: Option<String>,
    grant_id: Option<Uuid>,
    grant_kind: Option<String>,
    value_cents: Option<i64>,
    currency: Option<String>,
    grant_state: Option<String>,
    rule_name: Option<String>,
}

impl FanOutCreation {
    /// The "created" event as the fan-out would have written it: the case's
    /// channel, origin and priority, the incident, the customer's facts and
    /// the automatic goodwill (in its state now). It has the case's id (the
    /// case was made before anything else happened to it) and no author: the
    /// fan-out made it, and who uploaded is in the audit log.
    fn into_event(self, case: amends_domain::CaseId) -> crate::CaseEvent {
        let facts = self
            .facts
            .as_deref()
            .and_then(|f| serde_json::from_str::<serde_json::Value>(f).ok())
            .unwrap_or(serde_json::Value::Null);
        let mut data = json!({"channel": self.channel, "origin": self.origin, "priority": self.priority,
                              "incident_id": self.incident_id, "title": self.title, "facts": facts});
        if let (Some(grant_id), Some(kind)) = (self.grant_id, self.grant_kind.as_deref()) {
            data["goodwill"] = amends_domain::goodwill::AutomaticGrant {
                grant_id,
                state: self.grant_state.as_deref(),
                kind,
                value_cents: self.value_cents,
                currency: self.currency.as_deref(),
                rule: self.rule_name.as_deref(),
            }
            .event_data();
        }
        crate::CaseEvent {
            id: amends_domain::EventId(case.0),
            case_id: case,
            kind: crate::EventKind::Created,
            author_id: None,
            author_name: None,
            body: None,
            data: Some(data.to_string()),
            created_at: self.created_at,
        }
    }
}

impl Store {
    /// The "created" event of a case the incident fan-out made, worked out
    /// from the case, its affected row and its automatic grant: the fan-out
    /// does not store one (100,000 timeline rows fewer per 100,000 affected
    /// customers; see docs/INCIDENTS.md). `None` for every other case.
    pub(crate) async fn fan_out_created_event(
        &self,
        case: amends_domain::CaseId,
    ) -> Result<Option<crate::CaseEvent>, StoreError> {
        let row: Option<FanOutCreation> = with_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT c.created_at, c.channel, c.origin, c.priority, c.incident_id, i.title, a.facts, \
                 g.id AS grant_id, g.kind AS grant_kind, g.value_cents, g.currency, g.state AS grant_state, \
                 r.name AS rule_name FROM cases c JOIN incidents i ON i.id = c.incident_id \
                 JOIN incident_affected a ON a.incident_id = c.incident_id AND a.customer_id = c.customer_id \
                 LEFT JOIN goodwill_grants g ON g.id = a.grant_id LEFT JOIN goodwill_rules r ON r.id = g.rule_id \
                 WHERE c.id = $1 AND a.case_id = c.id AND a.case_created = TRUE",
            )
            .bind(case.0)
            .fetch_optional(pool)
            .await?
        });
        Ok(row.map(|r| r.into_event(case)))
    }

    /// Records a new incident.
    pub async fn insert_incident(
        &self,
        d: &IncidentDraft,
        source: &str,
        alert_key: Option<&str>,
        actor: UserId,
        now: DateTime<Utc>,
    ) -> Result<Incident, StoreError> {
        let id = crate::audit::new_id(now);
        with_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            sqlx::query(
                "INSERT INTO incidents (id, kind, title, severity, controllable, status, started_at, ended_at, \
                 component, release, summary_de, summary_en, source, alert_key, created_by, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $16)",
            )
            .bind(id)
            .bind(d.kind.as_str())
            .bind(&d.title)
            .bind(i32::from(d.severity))
            .bind(d.controllable)
            .bind(if d.ended_at.is_some() && source == "alertmanager" {
                IncidentStatus::Mitigated.as_str()
            } else {
                IncidentStatus::Open.as_str()
            })
            .bind(d.started_at)
            .bind(d.ended_at)
            .bind(d.component.as_deref())
            .bind(d.release.as_deref())
            .bind(&d.summary_de)
            .bind(&d.summary_en)
            .bind(source)
            .bind(alert_key)
            .bind(actor.0)
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(|e| StoreError::unique(e, "groupKey", || "an incident for this alert group exists".into()))?;
            let event = NewJob::event(
                "incident.created",
                None,
                json!({"incident_id": id, "title": d.title, "kind": d.kind, "severity": d.severity, "source": source,
                       "started_at": d.started_at}),
                now,
            );
            let _ = crate::outbox::insert_job!(&mut *tx, &event, now);
            record_audit!(
                &mut *tx,
                Audit {
                    actor: Some(actor),
                    action: "incident.create",
                    entity: "incident",
                    entity_id: id.to_string(),
                    detail: json!({"title": d.title, "kind": d.kind, "severity": d.severity, "source": source}),
                    at: now,
                }
            );
            tx.commit().await?;
            Ok::<(), StoreError>(())
        })?;
        self.get_incident(IncidentId(id)).await
    }

    /// The incident of an Alertmanager group, if one was opened for it.
    pub async fn find_incident_by_alert(&self, key: &str) -> Result<Option<Incident>, StoreError> {
        with_pool!(self, |pool| {
            Ok(sqlx::query_as::<_, Incident>(sqlx::AssertSqlSafe(format!(
                "SELECT {INCIDENT_COLUMNS} FROM incidents WHERE alert_key = $1"
            )))
            .bind(key)
            .fetch_optional(pool)
            .await?)
        })
    }

    pub async fn get_incident(&self, id: IncidentId) -> Result<Incident, StoreError> {
        with_pool!(self, |pool| {
            sqlx::query_as::<_, Incident>(sqlx::AssertSqlSafe(format!(
                "SELECT {INCIDENT_COLUMNS} FROM incidents WHERE id = $1"
            )))
            .bind(id.0)
            .fetch_optional(pool)
            .await?
            .ok_or(StoreError::NotFound("incident"))
        })
    }

    /// Incidents, newest first, optionally of one status.
    pub async fn list_incidents(
        &self,
        status: Option<IncidentStatus>,
        limit: usize,
    ) -> Result<Vec<Incident>, StoreError> {
        let limit = i64::try_from(limit.clamp(1, 500)).unwrap_or(100);
        with_pool!(self, |pool| {
            let mut q = sqlx::QueryBuilder::new(format!("SELECT {INCIDENT_COLUMNS} FROM incidents WHERE 1=1"));
            if let Some(s) = status {
                q.push(" AND status = ").push_bind(s.as_str());
            }
            q.push(" ORDER BY id DESC LIMIT ").push_bind(limit);
            Ok(q.build_query_as::<Incident>().fetch_all(pool).await?)
        })
    }

    /// Changes the fields of an incident (not its counters), with an audit entry.
    pub async fn update_incident(
        &self,
        id: IncidentId,
        d: &IncidentDraft,
        status: IncidentStatus,
        actor: Option<UserId>,
        now: DateTime<Utc>,
    ) -> Result<Incident, StoreError> {
        with_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            let done = sqlx::query(
                "UPDATE incidents SET kind = $1, title = $2, severity = $3, controllable = $4, status = $5, \
                 started_at = $6, ended_at = $7, component = $8, release = $9, summary_de = $10, summary_en = $11, \
                 updated_at = $12 WHERE id = $13",
            )
            .bind(d.kind.as_str())
            .bind(&d.title)
            .bind(i32::from(d.severity))
            .bind(d.controllable)
            .bind(status.as_str())
            .bind(d.started_at)
            .bind(d.ended_at)
            .bind(d.component.as_deref())
            .bind(d.release.as_deref())
            .bind(&d.summary_de)
            .bind(&d.summary_en)
            .bind(now)
            .bind(id.0)
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() == 0 {
                return Err(StoreError::NotFound("incident"));
            }
            let event = NewJob::event(
                "incident.updated",
                None,
                json!({"incident_id": id, "title": d.title, "status": status, "severity": d.severity,
                       "ended_at": d.ended_at}),
                now,
            );
            let _ = crate::outbox::insert_job!(&mut *tx, &event, now);
            record_audit!(
                &mut *tx,
                Audit {
                    actor,
                    action: "incident.update",
                    entity: "incident",
                    entity_id: id.to_string(),
                    detail: json!({"title": d.title, "status": status, "severity": d.severity, "ended_at": d.ended_at}),
                    at: now,
                }
            );
            tx.commit().await?;
            Ok::<(), StoreError>(())
        })?;
        self.get_incident(id).await
    }

    /// Finds customers by external id (the ones that exist).
    pub async fn customers_by_external_ids(&self, ids: &[String]) -> Result<Vec<CustomerRef>, StoreError> {
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(crate::bulk::CHUNK) {
            with_pool!(self, |pool| {
                let mut q = sqlx::QueryBuilder::new("SELECT id, external_id FROM customers WHERE external_id IN (");
                let mut sep = q.separated(", ");
                for id in chunk {
                    sep.push_bind(id.clone());
                }
                q.push(")");
                out.extend(q.build_query_as::<CustomerRef>().fetch_all(pool).await?);
            });
        }
        Ok(out)
    }

    /// Stages affected customers (customer id, facts as JSON) as pending;
    /// rows already known for this incident are skipped. Enqueues `job`
    /// (the fan-out, deduplicated by its key) in the same transaction.
    /// Gives how many rows were new.
    pub async fn stage_affected(
        &self,
        incident: IncidentId,
        rows: &[(Uuid, String)],
        job: &NewJob,
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        with_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            let mut added = 0;
            for chunk in rows.chunks(crate::bulk::CHUNK) {
                let mut q = sqlx::QueryBuilder::new(
                    "INSERT INTO incident_affected (incident_id, customer_id, facts, state, created_at) ",
                );
                q.push_values(chunk, |mut r, (customer, facts)| {
                    r.push_bind(incident.0)
                        .push_bind(*customer)
                        .push_bind(facts.clone())
                        .push_bind("pending")
                        .push_bind(now);
                });
                q.push(" ON CONFLICT (incident_id, customer_id) DO NOTHING");
                added += q.build().execute(&mut *tx).await?.rows_affected();
            }
            if added > 0 {
                sqlx::query("UPDATE incidents SET affected_count = affected_count + $1, updated_at = $2 WHERE id = $3")
                    .bind(i64::try_from(added).unwrap_or(i64::MAX))
                    .bind(now)
                    .bind(incident.0)
                    .execute(&mut *tx)
                    .await?;
                let _ = crate::outbox::insert_job!(&mut *tx, job, now);
            }
            tx.commit().await?;
            Ok(added)
        })
    }

    /// The lock that orders the chunk transactions of one incident on
    /// PostgreSQL (SQLite has one writer anyway).
    fn incident_lock(&self) -> Option<&'static str> {
        match &self.backend {
            crate::Backend::Postgres(_) => Some("SELECT id FROM incidents WHERE id = $1 FOR UPDATE"),
            crate::Backend::Sqlite(_) => None,
        }
    }

    /// On PostgreSQL, a `SET LOCAL` that keeps the fan-out's lookups on their
    /// indexes for the rest of the transaction. Statistics taken while
    /// `cases` and `incident_affected` were empty (a new installation, or
    /// `ANALYZE` right before a big upload) make sequential scans look free
    /// (PostgreSQL 14+ believes an analysed empty table), and the lookups run
    /// once per affected customer: at 100,000 that was 190 s instead of 2
    /// until autovacuum analysed again. SQLite plans without such statistics.
    fn lookup_plan_hint(&self) -> Option<&'static str> {
        match &self.backend {
            crate::Backend::Postgres(_) => Some("SET LOCAL enable_seqscan = off"),
            crate::Backend::Sqlite(_) => None,
        }
    }

    /// A scalar subquery: the newest open case of the customer `customer`
    /// (an SQL expression). It must read the customer's cases through
    /// `cases_customer`. A planner without statistics for fresh rows (SQLite
    /// always; PostgreSQL analysed before a big upload) otherwise likes to
    /// walk all open cases newest first until one is the customer's: once per
    /// affected customer, quadratic (at 100,000 on PostgreSQL: 190 s instead
    /// of 2). SQLite is told the index; PostgreSQL gets no `LIMIT` to be
    /// tempted by (it has no `max(uuid)`, hence the array).
    fn newest_open_case(&self, customer: &str) -> String {
        match &self.backend {
            crate::Backend::Postgres(_) => format!(
                "SELECT (array_agg(c.id ORDER BY c.id DESC))[1] FROM cases c \
                 WHERE c.customer_id = {customer} AND c.open = TRUE"
            ),
            crate::Backend::Sqlite(_) => format!(
                "SELECT MAX(c.id) FROM cases c INDEXED BY cases_customer \
                 WHERE c.customer_id = {customer} AND c.open = TRUE"
            ),
        }
    }

    /// The upload lookup: the customers named by the JSON array of external
    /// ids bound as `$2` (one parameter per chunk instead of one per row),
    /// each with the index of its row, whether a notice may go to them,
    /// their newest open case and whether they are affected by the incident
    /// `$1` already, as one JSON array ([`FoundJson`]). One value instead of
    /// a row per customer: the driver's per-row cost was three quarters of
    /// the lookup's time.
    fn upload_lookup_sql(&self) -> String {
        let open_case = self.newest_open_case("cu.id");
        let known = "CAST(EXISTS (SELECT 1 FROM incident_affected a WHERE a.incident_id = $1 \
                     AND a.customer_id = cu.id) AS INTEGER)";
        let reachable = "CAST((cu.email IS NOT NULL AND cu.consent_contact) AS INTEGER)";
        match &self.backend {
            crate::Backend::Postgres(_) => format!(
                "SELECT COALESCE(json_agg(json_build_array(j.key - 1, cu.id, cu.tier, cu.language, {reachable}, \
                 ({open_case}), {known}))::text, '[]') \
                 FROM json_array_elements_text($2::json) WITH ORDINALITY j (value, key) \
                 JOIN customers cu ON cu.external_id = j.value"
            ),
            crate::Backend::Sqlite(_) => format!(
                "SELECT json_group_array(json_array(j.key, hex(cu.id), cu.tier, cu.language, {reachable}, \
                 hex(({open_case})), {known})) \
                 FROM json_each($2) j JOIN customers cu ON cu.external_id = j.value"
            ),
        }
    }

    /// Fans out one chunk of an upload (`rows`: external id and facts as
    /// JSON) in one transaction, writing each affected row once, in its
    /// final state: looks the customers up with their open case, skips those
    /// already affected by this incident, lets `plan` decide, writes cases,
    /// events, grants, the chunk's message job and the affected rows, and
    /// adds to the counters. On PostgreSQL the incident row is locked first,
    /// so two uploads of one incident take their chunks one after the other
    /// (and never add a customer twice).
    pub async fn fan_out_upload<F>(
        &self,
        incident: IncidentId,
        rows: &[(String, String)],
        actor: Option<UserId>,
        now: DateTime<Utc>,
        plan: F,
    ) -> Result<UploadChunk, StoreError>
    where
        F: FnOnce(&[PendingAffected]) -> FanOutPlan,
    {
        let (lock, lookup, hint) = (self.incident_lock(), self.upload_lookup_sql(), self.lookup_plan_hint());
        let ids = external_ids_json(rows);
        with_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            if let Some(lock) = lock {
                sqlx::query(lock).bind(incident.0).execute(&mut *tx).await?;
            }
            let found = look_up_chunk!(tx, hint, lookup, incident, ids);
            let UploadLookup {
                unknown,
                known,
                pending,
            } = UploadLookup::of(rows, found);
            let mut out = UploadChunk {
                unknown,
                added: 0,
                known,
            };
            if pending.is_empty() {
                return Ok(out);
            }
            let p = plan(&pending);
            write_plan_rows!(tx, &p, incident, now);
            let row_facts = facts_of_outcomes(&pending, &p.outcomes);
            insert_done_rows!(tx, incident, &p.outcomes, &row_facts, now);
            out.added = u64::try_from(p.outcomes.len()).unwrap_or(0);
            add_totals!(tx, incident, &p, actor, now);
            tx.commit().await?;
            Ok(out)
        })
    }

    /// Looks up the customers of one upload chunk (`rows`: external id and
    /// facts as JSON) outside any write transaction, so it can run while the
    /// previous chunk is written: who exists, with their newest open case,
    /// and who is already affected by the incident.
    pub async fn lookup_upload(
        &self,
        incident: IncidentId,
        rows: &[(String, String)],
    ) -> Result<UploadLookup, StoreError> {
        let (lookup, hint) = (self.upload_lookup_sql(), self.lookup_plan_hint());
        let ids = external_ids_json(rows);
        let found = with_pool!(self, |pool| {
            let mut tx = pool.begin_read().await?;
            let found = look_up_chunk!(tx, hint, lookup, incident, ids);
            tx.commit().await?;
            found
        });
        Ok(UploadLookup::of(rows, found))
    }

    /// The notices the `incident_notices` job `job` still has to send.
    pub async fn queued_notices(&self, job: Uuid) -> Result<Vec<QueuedNotice>, StoreError> {
        with_pool!(self, |pool| {
            Ok(sqlx::query_as::<_, QueuedNotice>(
                "SELECT incident_id, customer_id, case_id, language FROM incident_affected \
                 WHERE message_job_id = $1 AND message_state = 'queued' ORDER BY customer_id",
            )
            .bind(job)
            .fetch_all(pool)
            .await?)
        })
    }

    /// Records the outcome of one notice (`done` or `dead`) with its effects
    /// (the message on the case timeline), if `worker` still holds the job
    /// `job`; renews its lease until `lease_until`. `false`: the lease was
    /// lost, nothing was changed (the job's new holder sends the rest).
    #[allow(clippy::too_many_arguments)]
    pub async fn record_notice(
        &self,
        job: Uuid,
        worker: &str,
        lease_until: DateTime<Utc>,
        n: &QueuedNotice,
        state: &str,
        fx: &JobEffects,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        with_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            let held = sqlx::query(
                "UPDATE jobs SET locked_until = $1, updated_at = $2 WHERE id = $3 AND state = 'running' AND locked_by = $4",
            )
            .bind(lease_until)
            .bind(now)
            .bind(job)
            .bind(worker)
            .execute(&mut *tx)
            .await?;
            if held.rows_affected() == 0 {
                return Ok(false);
            }
            let done = sqlx::query(
                "UPDATE incident_affected SET message_state = $1, message_sent_at = $2 \
                 WHERE incident_id = $3 AND customer_id = $4 AND message_state = 'queued'",
            )
            .bind(state)
            .bind((state == "done").then_some(now))
            .bind(n.incident_id)
            .bind(n.customer_id)
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() == 1 {
                crate::jobs::apply_effects!(tx, fx, now);
            }
            tx.commit().await?;
            Ok(true)
        })
    }

    /// Takes up to `limit` pending affected customers of `incident`, lets
    /// `plan` decide what to write for them, and writes it all in one
    /// transaction. Gives how many rows were processed (0 = nothing pending).
    pub async fn fan_out_chunk<F>(
        &self,
        incident: IncidentId,
        limit: usize,
        actor: Option<UserId>,
        now: DateTime<Utc>,
        plan: F,
    ) -> Result<usize, StoreError>
    where
        F: FnOnce(&[PendingAffected]) -> FanOutPlan,
    {
        let limit = i64::try_from(limit.clamp(1, 5000)).unwrap_or(1000);
        let open_case = self.newest_open_case("a.customer_id");
        let (lock, pending_index) = match &self.backend {
            crate::Backend::Postgres(_) => (" FOR UPDATE OF a SKIP LOCKED", ""),
            crate::Backend::Sqlite(_) => ("", " INDEXED BY incident_affected_pending"),
        };
        let select = format!(
            "SELECT a.customer_id, a.facts, cu.tier, cu.language, \
             (cu.email IS NOT NULL AND cu.consent_contact) AS reachable, ({open_case}) \
             AS open_case_id FROM incident_affected a{pending_index} JOIN customers cu ON cu.id = a.customer_id \
             WHERE a.incident_id = $1 AND a.state = 'pending' LIMIT $2{lock}"
        );
        let hint = self.lookup_plan_hint();
        with_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            if let Some(hint) = hint {
                sqlx::query(hint).execute(&mut *tx).await?;
            }
            let pending: Vec<PendingAffected> = sqlx::query_as(sqlx::AssertSqlSafe(select))
                .bind(incident.0)
                .bind(limit)
                .fetch_all(&mut *tx)
                .await?;
            if pending.is_empty() {
                return Ok(0);
            }
            let p = plan(&pending);
            write_plan_rows!(tx, &p, incident, now);
            for chunk in p.outcomes.chunks(crate::bulk::CHUNK) {
                let mut q = sqlx::QueryBuilder::new(
                    "WITH v (customer_id, case_id, case_created, language, message_job_id, grant_id) AS (",
                );
                q.push_values(chunk, |mut r, o| {
                    r.push_bind(o.customer_id)
                        .push_bind(o.case_id)
                        .push_bind(o.case_created)
                        .push_bind(o.language.clone())
                        .push_bind(o.message_job_id)
                        .push_bind(o.grant_id);
                });
                q.push(
                    ") UPDATE incident_affected SET state = 'done', case_id = v.case_id, case_created = v.case_created, \
                     language = v.language, message_job_id = v.message_job_id, grant_id = v.grant_id, \
                     message_state = CASE WHEN v.message_job_id IS NULL THEN NULL ELSE 'queued' END, processed_at = ",
                )
                .push_bind(now)
                .push(" FROM v WHERE incident_affected.incident_id = ")
                .push_bind(incident.0)
                .push(" AND incident_affected.customer_id = v.customer_id");
                q.build().execute(&mut *tx).await?;
            }
            let t = Tally::of(&p);
            sqlx::query(
                "UPDATE incidents SET processed_count = processed_count + $1, cases_created = cases_created + $2, \
                 cases_updated = cases_updated + $3, messages_queued = messages_queued + $4, \
                 goodwill_granted = goodwill_granted + $5, goodwill_cents = goodwill_cents + $6, updated_at = $7 \
                 WHERE id = $8",
            )
            .bind(t.processed)
            .bind(t.created)
            .bind(t.updated)
            .bind(t.messages)
            .bind(t.grants)
            .bind(t.cents)
            .bind(now)
            .bind(incident.0)
            .execute(&mut *tx)
            .await?;
            record_audit!(
                &mut *tx,
                Audit {
                    actor,
                    action: "incident.fan_out",
                    entity: "incident",
                    entity_id: incident.to_string(),
                    detail: json!({"processed": t.processed, "cases_created": t.created, "cases_updated": t.updated,
                        "messages_queued": t.messages, "goodwill_granted": t.grants, "goodwill_cents": t.cents}),
                    at: now,
                }
            );
            tx.commit().await?;
            Ok(pending.len())
        })
    }

    /// Writes the rows of `plans` (cases, events, grants, jobs and the
    /// affected rows, already done) with plain multi-row inserts in one
    /// transaction, without staging, lookups or counters: the baseline of
    /// the fan-out benchmark.
    pub async fn insert_plan_rows(
        &self,
        incident: IncidentId,
        plans: &[FanOutPlan],
        facts: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        with_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            for p in plans {
                write_plan_rows!(tx, p, incident, now);
                let facts: Vec<&str> = vec![facts; p.outcomes.len()];
                insert_done_rows!(tx, incident, &p.outcomes, &facts, now);
            }
            tx.commit().await?;
            Ok(())
        })
    }

    /// Affected customers of an incident, by customer id (keyset `after`).
    pub async fn list_affected(
        &self,
        incident: IncidentId,
        after: Option<Uuid>,
        limit: usize,
    ) -> Result<Vec<AffectedRow>, StoreError> {
        let limit = i64::try_from(limit.clamp(1, 1000)).unwrap_or(100);
        with_pool!(self, |pool| {
            let mut q = sqlx::QueryBuilder::new(format!("{AFFECTED_SELECT} WHERE a.incident_id = "));
            q.push_bind(incident.0);
            if let Some(a) = after {
                q.push(" AND a.customer_id > ").push_bind(a);
            }
            q.push(" ORDER BY a.customer_id LIMIT ").push_bind(limit);
            Ok(q.build_query_as::<AffectedRow>().fetch_all(pool).await?)
        })
    }

    /// One affected customer of an incident.
    pub async fn get_affected(&self, incident: IncidentId, customer: Uuid) -> Result<AffectedRow, StoreError> {
        with_pool!(self, |pool| {
            sqlx::query_as::<_, AffectedRow>(sqlx::AssertSqlSafe(format!(
                "{AFFECTED_SELECT} WHERE a.incident_id = $1 AND a.customer_id = $2"
            )))
            .bind(incident.0)
            .bind(customer)
            .fetch_optional(pool)
            .await?
            .ok_or(StoreError::NotFound("affected customer"))
        })
    }

    /// Figures of the incident page that are counted live.
    pub async fn incident_stats(&self, i: &Incident) -> Result<IncidentStats, StoreError> {
        with_pool!(self, |pool| {
            let (cases_open,): (i64,) =
                sqlx::query_as("SELECT COUNT(*) FROM cases WHERE incident_id = $1 AND open = TRUE")
                    .bind(i.id.0)
                    .fetch_one(pool)
                    .await?;
            let messages_by_state: Vec<(String, i64)> = sqlx::query_as(
                "SELECT message_state, COUNT(*) FROM incident_affected WHERE incident_id = $1 \
                 AND message_state IS NOT NULL GROUP BY message_state ORDER BY message_state",
            )
            .bind(i.id.0)
            .fetch_all(pool)
            .await?;
            let feedback_by_sentiment: Vec<(String, i64)> = sqlx::query_as(
                "SELECT f.sentiment, COUNT(*) FROM incident_affected a JOIN feedback f ON f.customer_id = a.customer_id \
                 WHERE a.incident_id = $1 AND f.created_at >= $2 GROUP BY f.sentiment ORDER BY f.sentiment",
            )
            .bind(i.id.0)
            .bind(i.started_at)
            .fetch_all(pool)
            .await?;
            let (surveys_answered, csat_average): (i64, Option<f64>) = sqlx::query_as(
                "SELECT COUNT(*), AVG(CAST(s.score AS DOUBLE PRECISION)) FROM surveys s JOIN cases c ON c.id = s.case_id \
                 WHERE c.incident_id = $1 AND s.state = 'answered'",
            )
            .bind(i.id.0)
            .fetch_one(pool)
            .await?;
            Ok(IncidentStats {
                cases_open,
                messages_by_state,
                feedback_by_sentiment,
                surveys_answered,
                csat_average,
            })
        })
    }

    /// The newest feedback of affected customers since the incident started.
    pub async fn incident_feedback(&self, i: &Incident, limit: usize) -> Result<Vec<AffectedFeedback>, StoreError> {
        let limit = i64::try_from(limit.clamp(1, 200)).unwrap_or(20);
        with_pool!(self, |pool| {
            Ok(sqlx::query_as::<_, AffectedFeedback>(
                "SELECT f.id, f.customer_id, cu.name AS customer_name, f.channel, f.rating, f.text, f.sentiment, \
                 f.created_at FROM incident_affected a JOIN feedback f ON f.customer_id = a.customer_id \
                 JOIN customers cu ON cu.id = a.customer_id WHERE a.incident_id = $1 AND f.created_at >= $2 \
                 ORDER BY f.id DESC LIMIT $3",
            )
            .bind(i.id.0)
            .bind(i.started_at)
            .bind(limit)
            .fetch_all(pool)
            .await?)
        })
    }

    /// Marks the incident resolved and enqueues the closing update for
    /// every processed affected customer with a case, in chunks; `job`
    /// builds the message job of one customer (`None`: not to be contacted).
    /// Safe to call again: dedupe keys keep each closing message single.
    pub async fn queue_closing_update<F>(
        &self,
        incident: IncidentId,
        actor: Option<UserId>,
        now: DateTime<Utc>,
        job: F,
    ) -> Result<i64, StoreError>
    where
        F: Fn(&PendingAffected, Uuid) -> Option<NewJob>,
    {
        let mut after: Option<Uuid> = None;
        let mut queued = 0_i64;
        loop {
            let rows: Vec<PendingAffected> = with_pool!(self, |pool| {
                let mut q = sqlx::QueryBuilder::new(
                    "SELECT a.customer_id, a.facts, cu.tier, COALESCE(a.language, cu.language) AS language, \
                     (cu.email IS NOT NULL AND cu.consent_contact) AS reachable, a.case_id AS open_case_id FROM incident_affected a \
                     JOIN customers cu ON cu.id = a.customer_id WHERE a.state = 'done' AND a.incident_id = ",
                );
                q.push_bind(incident.0);
                if let Some(a) = after {
                    q.push(" AND a.customer_id > ").push_bind(a);
                }
                q.push(" ORDER BY a.customer_id LIMIT 1000");
                q.build_query_as::<PendingAffected>().fetch_all(pool).await?
            });
            let Some(last) = rows.last() else { break };
            after = Some(last.customer_id);
            // `open_case_id` holds the case the fan-out linked to the customer.
            let jobs: Vec<NewJob> = rows
                .iter()
                .filter_map(|r| r.open_case_id.and_then(|c| job(r, c)))
                .collect();
            with_pool!(self, |pool| {
                let mut tx = pool.begin_write().await?;
                let with_ids: Vec<(Uuid, NewJob)> = jobs.into_iter().map(|j| (crate::audit::new_id(now), j)).collect();
                let added: u64 = insert_job_rows!(tx, &with_ids, now);
                let added = i64::try_from(added).unwrap_or(i64::MAX);
                sqlx::query(
                    "UPDATE incidents SET closing_messages = closing_messages + $1, \
                     closing_queued_at = COALESCE(closing_queued_at, $2), updated_at = $2 WHERE id = $3",
                )
                .bind(added)
                .bind(now)
                .bind(incident.0)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                queued += added;
                Ok::<(), StoreError>(())
            })?;
        }
        with_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            sqlx::query("UPDATE incidents SET closing_queued_at = COALESCE(closing_queued_at, $1) WHERE id = $2")
                .bind(now)
                .bind(incident.0)
                .execute(&mut *tx)
                .await?;
            record_audit!(
                &mut *tx,
                Audit {
                    actor,
                    action: "incident.closing_update",
                    entity: "incident",
                    entity_id: incident.to_string(),
                    detail: json!({"messages_queued": queued}),
                    at: now,
                }
            );
            tx.commit().await?;
            Ok::<(), StoreError>(())
        })?;
        Ok(queued)
    }

    // ------------------------------------------------------------ goodwill rules

    pub async fn list_goodwill_rules(&self, only_active: bool) -> Result<Vec<GoodwillRule>, StoreError> {
        let filter = if only_active { " WHERE r.active = TRUE" } else { "" };
        with_pool!(self, |pool| {
            Ok(sqlx::query_as::<_, GoodwillRule>(sqlx::AssertSqlSafe(format!(
                "{RULE_SELECT}{filter} ORDER BY r.position, r.id"
            )))
            .fetch_all(pool)
            .await?)
        })
    }

    pub async fn get_goodwill_rule(&self, id: Uuid) -> Result<GoodwillRule, StoreError> {
        with_pool!(self, |pool| {
            sqlx::query_as::<_, GoodwillRule>(sqlx::AssertSqlSafe(format!("{RULE_SELECT} WHERE r.id = $1")))
                .bind(id)
                .fetch_optional(pool)
                .await?
                .ok_or(StoreError::NotFound("goodwill rule"))
        })
    }

    /// Creates (`id` = None) or replaces a goodwill rule.
    pub async fn save_goodwill_rule(
        &self,
        id: Option<Uuid>,
        r: &GoodwillRuleInput,
        actor: Option<UserId>,
        now: DateTime<Utc>,
    ) -> Result<GoodwillRule, StoreError> {
        let rule_id = id.unwrap_or_else(|| crate::audit::new_id(now));
        with_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            let item: Option<(Uuid,)> = sqlx::query_as("SELECT id FROM goodwill_catalog WHERE id = $1")
                .bind(r.catalog_item_id)
                .fetch_optional(&mut *tx)
                .await?;
            if item.is_none() {
                return Err(StoreError::NotFound("catalog item"));
            }
            let done = if id.is_some() {
                sqlx::query(
                    "UPDATE goodwill_rules SET name = $1, condition = $2, catalog_item_id = $3, position = $4, \
                     active = $5, updated_at = $6, applies_to = $8, updated_by = $9 WHERE id = $7",
                )
            } else {
                sqlx::query(
                    "INSERT INTO goodwill_rules (name, condition, catalog_item_id, position, active, created_at, \
                     updated_at, id, applies_to, updated_by) VALUES ($1, $2, $3, $4, $5, $6, $6, $7, $8, $9)",
                )
            }
            .bind(&r.name)
            .bind(&r.condition)
            .bind(r.catalog_item_id)
            .bind(r.position)
            .bind(r.active)
            .bind(now)
            .bind(rule_id)
            .bind(r.applies_to.as_str())
            .bind(actor.map(|u| u.0))
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() == 0 {
                return Err(StoreError::NotFound("goodwill rule"));
            }
            record_audit!(
                &mut *tx,
                Audit {
                    actor,
                    action: if id.is_some() {
                        "goodwill_rule.update"
                    } else {
                        "goodwill_rule.create"
                    },
                    entity: "goodwill_rule",
                    entity_id: rule_id.to_string(),
                    detail: json!({"name": r.name, "condition": r.condition, "catalog_item_id": r.catalog_item_id,
                        "position": r.position, "active": r.active, "applies_to": r.applies_to}),
                    at: now,
                }
            );
            tx.commit().await?;
            Ok::<(), StoreError>(())
        })?;
        self.get_goodwill_rule(rule_id).await
    }

    pub async fn delete_goodwill_rule(
        &self,
        id: Uuid,
        actor: Option<UserId>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let r = Removal {
            sql: "DELETE FROM goodwill_rules WHERE id = $1",
            what: "goodwill rule",
            action: "goodwill_rule.delete",
            entity: "goodwill_rule",
        };
        self.remove_audited(&r, id, actor, now).await
    }
}

impl WriteSession {
    /// Writes a chunk looked up by [`Store::lookup_upload`] and planned by the
    /// server, in one transaction on the upload's write session: the plan's
    /// rows, the affected rows (done) and the totals. `Ok(false)`: someone
    /// added one of these customers to the incident since the lookup (a
    /// concurrent upload); nothing was written, and the chunk should go
    /// through [`Store::fan_out_upload`].
    pub async fn write_fan_out(
        &mut self,
        incident: IncidentId,
        pending: &[PendingAffected],
        p: &FanOutPlan,
        actor: Option<UserId>,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let lock = self.store.incident_lock();
        let written = with_session!(self, |conn| {
            let mut tx = conn.begin_write().await?;
            if let Some(lock) = lock {
                sqlx::query(lock).bind(incident.0).execute(&mut *tx).await?;
            }
            let written: Result<(), sqlx::Error> = async {
                write_plan_rows!(tx, p, incident, now);
                let row_facts = facts_of_outcomes(pending, &p.outcomes);
                insert_done_rows!(tx, incident, &p.outcomes, &row_facts, now);
                Ok(())
            }
            .await;
            match written {
                Err(sqlx::Error::Database(db)) if db.is_unique_violation() => false,
                Err(e) => return Err(e.into()),
                Ok(()) => {
                    add_totals!(tx, incident, p, actor, now);
                    tx.commit().await?;
                    true
                }
            }
        });
        if written {
            self.committed();
        }
        Ok(written)
    }
}

#[cfg(test)]
mod tests {
    use super::{FoundCustomer, UploadLookup};
    use uuid::Uuid;

    fn found(row_index: i64, customer: u128, known: bool) -> FoundCustomer {
        FoundCustomer {
            row_index,
            customer_id: Uuid::from_u128(customer),
            tier: "standard".into(),
            language: "de".into(),
            reachable: true,
            open_case_id: None,
            known,
        }
    }

    #[test]
    fn lookup_json_of_both_backends_decodes() {
        let sqlite = r#"[[3,"0000000000000000000000000000002A","premium","en",1,"",0],
                         [0,"0000000000000000000000000000002B","standard","de",0,"0000000000000000000000000000000C",1]]"#;
        let postgres = r#"[[3,"00000000-0000-0000-0000-00000000002a","premium","en",1,null,0],
                           [0,"00000000-0000-0000-0000-00000000002b","standard","de",0,"00000000-0000-0000-0000-00000000000c",1]]"#;
        for text in [sqlite, postgres] {
            let found = FoundCustomer::all_of_json(text).expect("decodes");
            assert_eq!(found.len(), 2);
            assert_eq!((found[0].row_index, found[0].customer_id.as_u128()), (3, 42));
            assert_eq!((found[0].tier.as_str(), found[0].language.as_str()), ("premium", "en"));
            assert!(found[0].reachable && !found[0].known && found[0].open_case_id.is_none());
            assert!(!found[1].reachable && found[1].known);
            assert_eq!(found[1].open_case_id.map(|c| c.as_u128()), Some(12));
        }
        assert!(FoundCustomer::all_of_json("[]").expect("empty").is_empty());
        assert!(FoundCustomer::all_of_json(r#"[[0,"not a uuid","standard","de",1,"",0]]"#).is_err());
    }

    #[test]
    fn lookup_maps_rows_by_index_and_writes_each_customer_once() {
        let rows: Vec<(String, String)> = ["K-1", "K-2", "K-3", "K-4", "K-5"]
            .iter()
            .enumerate()
            .map(|(i, e)| ((*e).to_string(), format!("{{\"n\":{i}}}")))
            .collect();
        // Row 1 names nobody, row 2 is known already, rows 3 and 4 name the
        // same customer (the first counts), an index out of range is ignored.
        let out = UploadLookup::of(
            &rows,
            vec![
                found(4, 7, false),
                found(0, 9, false),
                found(2, 5, true),
                found(3, 7, false),
                found(99, 1, false),
            ],
        );
        assert_eq!(out.unknown, vec![1]);
        assert_eq!(out.known, 2);
        let pending: Vec<(u128, &str)> = out
            .pending
            .iter()
            .map(|p| (p.customer_id.as_u128(), p.facts.as_str()))
            .collect();
        assert_eq!(pending.len(), 2);
        assert_eq!(pending[1], (9, "{\"n\":0}"));
        assert_eq!(pending[0], (7, "{\"n\":3}"));
    }
}
