//! Proactive recovery: incidents, the upload of affected customers
//! (streamed JSON or CSV), the fan-out into cases, outbox messages and
//! automatic goodwill, the incident messages themselves and the closing
//! update. See docs/INCIDENTS.md.

use crate::App;
use crate::error::{AppError, AppResult};
use crate::followup::{at_now, message_out, render_mail, send_failure};
use crate::jobs::{Failure, MessageTask, Task};
use crate::mail::OutgoingMail;
use amends_domain::calendar::Calendar;
use amends_domain::goodwill::{AutomaticGrant, GoodwillKind, GrantState};
use amends_domain::incident::{
    self as inc, AlertmanagerPayload, Condition, Facts, IncidentDraft, IncidentKind, IncidentStatus, Subject,
};
use amends_domain::sla::{DueDates, SlaTargets};
use amends_domain::template::{self, TemplatePurpose, TemplateValues};
use amends_domain::{
    CaseId, CaseState, Channel, IncidentId, Language, Origin, Priority, Tier, UserId, ValidationError,
};
use amends_store::{
    AffectedOutcome, AutoGrant, CaseRecord, EventKind, EventRecord, FanOutPlan, Incident, JobEffects, NewJob,
    PendingAffected, UploadLookup, WriteSession, new_row_id,
};
use chrono::{DateTime, Utc};
use minijinja::context;
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::HashMap;
use std::io::Read;
use std::str::FromStr;
use utoipa::ToSchema;
use uuid::Uuid;

/// Affected customers fanned out per transaction: 10 commits for 100,000
/// (each commit writes the touched index pages once more), while at most
/// two chunks (a few MB) are in memory at a time.
pub const CHUNK: usize = 10_000;
/// Row errors reported in full; the rest are counted.
pub const MAX_REPORTED_ERRORS: usize = 1000;

/// The fields of an incident as entered (API body or UI form).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IncidentIn {
    /// outage, delay, delivery, billing_error, defective_release, other
    pub kind: String,
    pub title: String,
    /// 1 (minor) to 4 (critical)
    pub severity: i64,
    /// Whether the company caused it (as opposed to weather, strikes, …).
    #[serde(default = "yes")]
    pub controllable: bool,
    /// RFC 3339
    pub started_at: String,
    #[serde(default)]
    pub ended_at: Option<String>,
    #[serde(default)]
    pub component: Option<String>,
    #[serde(default)]
    pub release: Option<String>,
    /// What customers are told, in German.
    #[serde(default)]
    pub summary_de: Option<String>,
    /// What customers are told, in English.
    #[serde(default)]
    pub summary_en: Option<String>,
    /// open, mitigated, resolved (changes only)
    #[serde(default)]
    pub status: Option<String>,
}

fn yes() -> bool {
    true
}

impl IncidentIn {
    /// Validates every field; all errors at once (for the form).
    pub fn validate(&self) -> Result<IncidentDraft, Vec<ValidationError>> {
        let mut errors = Vec::new();
        fn keep<T>(errors: &mut Vec<ValidationError>, r: Result<T, ValidationError>) -> Option<T> {
            r.map_err(|e| errors.push(e)).ok()
        }
        macro_rules! ok {
            ($e:expr) => {
                keep(&mut errors, $e)
            };
        }
        let kind = ok!(self.kind.parse::<IncidentKind>());
        let title = ok!(inc::required_text("title", &self.title, inc::TITLE_MAX));
        let severity = ok!(inc::parse_severity(self.severity));
        let started_at = ok!(inc::parse_time("started_at", &self.started_at));
        let ended_at = match self.ended_at.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => Some(None),
            Some(s) => ok!(inc::parse_time("ended_at", s).map(Some)),
        };
        let component = ok!(inc::optional_label(
            "component",
            self.component.as_deref(),
            inc::LABEL_MAX
        ));
        let release = ok!(inc::optional_label("release", self.release.as_deref(), inc::LABEL_MAX));
        let summary = |field: &str, v: &Option<String>| {
            let t = v.as_deref().unwrap_or("").trim().to_string();
            if t.chars().count() > inc::SUMMARY_MAX {
                Err(ValidationError::new(
                    field,
                    format!("{field} must be at most {} characters", inc::SUMMARY_MAX),
                ))
            } else {
                Ok(t)
            }
        };
        let summary_de = ok!(summary("summary_de", &self.summary_de));
        let summary_en = ok!(summary("summary_en", &self.summary_en));
        if let Some(s) = &self.status {
            ok!(s.parse::<IncidentStatus>());
        }
        match (
            kind, title, severity, started_at, ended_at, component, release, summary_de, summary_en,
        ) {
            (
                Some(kind),
                Some(title),
                Some(severity),
                Some(started_at),
                Some(ended_at),
                Some(component),
                Some(release),
                Some(summary_de),
                Some(summary_en),
            ) if errors.is_empty() => IncidentDraft {
                kind,
                title,
                severity,
                controllable: self.controllable,
                started_at,
                ended_at,
                component,
                release,
                summary_de,
                summary_en,
            }
            .check()
            .map_err(|e| vec![e]),
            _ => Err(errors),
        }
    }
}

/// The fields of a stored incident, to change some of them.
#[must_use]
pub fn draft_of(i: &Incident) -> IncidentDraft {
    IncidentDraft {
        kind: i.kind,
        title: i.title.clone(),
        severity: u8::try_from(i.severity).unwrap_or(3),
        controllable: i.controllable,
        started_at: i.started_at,
        ended_at: i.ended_at,
        component: i.component.clone(),
        release: i.release.clone(),
        summary_de: i.summary_de.clone(),
        summary_en: i.summary_en.clone(),
    }
}

/// Declares an incident.
pub async fn create(state: &App, input: &IncidentIn, source: &str, actor: UserId) -> AppResult<Incident> {
    let draft = input.validate().map_err(crate::service::first_error)?;
    Ok(state
        .store()
        .insert_incident(&draft, source, None, actor, state.now())
        .await?)
}

/// Changes an incident's fields and status; resolving it does not send
/// the closing update (see [`resolve`]).
pub async fn update(state: &App, id: IncidentId, input: &IncidentIn, actor: UserId) -> AppResult<Incident> {
    let current = state.store().get_incident(id).await?;
    let draft = input.validate().map_err(crate::service::first_error)?;
    let status = match &input.status {
        Some(s) => s.parse::<IncidentStatus>()?,
        None => current.status,
    };
    Ok(state
        .store()
        .update_incident(id, &draft, status, Some(actor), state.now())
        .await?)
}

/// What an Alertmanager notification did.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AlertOutcome {
    pub incident_id: Uuid,
    /// `true` when this notification opened the incident.
    pub created: bool,
    pub status: String,
}

/// Takes an Alertmanager notification: the first of a group opens an
/// incident, later ones update it (`resolved` → mitigated, firing again → open).
pub async fn alert(state: &App, body: &[u8], actor: UserId) -> AppResult<AlertOutcome> {
    let value: serde_json::Value =
        serde_json::from_slice(body).map_err(|e| AppError::BadRequest(format!("the body is not JSON: {e}")))?;
    let payload: AlertmanagerPayload = serde_path_to_error::deserialize(&value).map_err(|e| {
        let path = e.path().to_string();
        AppError::validation(
            if path == "." { "body".to_string() } else { path },
            format!(
                "not an Alertmanager webhook payload (version 4: version, groupKey, status, alerts[] with startsAt): {}",
                e.inner()
            ),
        )
    })?;
    let a = inc::from_alertmanager(&payload)?;
    let now = state.now();
    match state.store().find_incident_by_alert(&a.group_key).await? {
        None => {
            let created = state
                .store()
                .insert_incident(&a.draft, "alertmanager", Some(&a.group_key), actor, now)
                .await;
            let i = match created {
                Ok(i) => i,
                // Two notifications of a new group at once: the other one created it.
                Err(amends_store::StoreError::Conflict { .. }) => state
                    .store()
                    .find_incident_by_alert(&a.group_key)
                    .await?
                    .ok_or_else(|| AppError::internal("incident vanished"))?,
                Err(e) => return Err(e.into()),
            };
            Ok(AlertOutcome {
                incident_id: i.id.0,
                created: true,
                status: i.status.to_string(),
            })
        }
        Some(i) => {
            let status = match (a.firing, i.status) {
                (_, IncidentStatus::Resolved) => IncidentStatus::Resolved,
                (true, _) => IncidentStatus::Open,
                (false, _) => IncidentStatus::Mitigated,
            };
            // People may have edited title and summaries: keep theirs, take the
            // alert's times and the higher severity.
            let draft = IncidentDraft {
                severity: u8::try_from(i.severity).unwrap_or(3).max(a.draft.severity),
                started_at: i.started_at.min(a.draft.started_at),
                ended_at: if a.firing { None } else { a.draft.ended_at.or(Some(now)) },
                component: i.component.clone().or(a.draft.component),
                release: i.release.clone().or(a.draft.release),
                ..draft_of(&i)
            };
            let u = state
                .store()
                .update_incident(i.id, &draft, status, Some(actor), now)
                .await?;
            Ok(AlertOutcome {
                incident_id: u.id.0,
                created: false,
                status: u.status.to_string(),
            })
        }
    }
}

// ------------------------------------------------------------------ upload

/// The format of an affected-customers upload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UploadFormat {
    /// A JSON array of `{customer_external_id, facts}`.
    Json,
    /// CSV with a header; `customer_external_id` plus one column per fact.
    Csv,
}

/// A row that was not taken, and why.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct RowError {
    /// 1-based: the n-th record (CSV: not counting the header).
    pub row: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer_external_id: Option<String>,
    pub field: String,
    pub message: String,
}

/// A valid row of an upload.
#[derive(Debug, Clone)]
struct ParsedRow {
    row: u64,
    external_id: String,
    /// The row's facts as the JSON object stored with the affected row
    /// (serialised on the parser's thread, beside the writes).
    facts_json: String,
}

enum Parsed {
    Rows(Vec<ParsedRow>, Vec<RowError>),
    /// The upload cannot be read on (wrong header, broken JSON).
    Fatal(AppError),
}

/// The totals of an incident.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Totals {
    pub affected: i64,
    /// Affected customers not fanned out yet.
    pub pending: i64,
    pub cases_created: i64,
    /// Customers whose open case was updated instead of opening another.
    pub cases_updated: i64,
    pub messages_queued: i64,
    pub goodwill_granted: i64,
    /// Total value of the automatic goodwill (minor units).
    pub goodwill_cents: i64,
    pub closing_messages: i64,
}

impl Totals {
    #[must_use]
    pub fn of(i: &Incident) -> Self {
        Totals {
            affected: i.affected_count,
            pending: i.affected_count - i.processed_count,
            cases_created: i.cases_created,
            cases_updated: i.cases_updated,
            messages_queued: i.messages_queued,
            goodwill_granted: i.goodwill_granted,
            goodwill_cents: i.goodwill_cents,
            closing_messages: i.closing_messages,
        }
    }
}

/// What an upload did.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UploadReport {
    pub incident_id: Uuid,
    /// Records read (valid or not).
    pub rows: u64,
    /// Customers new to this incident.
    pub added: u64,
    /// Valid rows whose customer was already affected (a retried upload).
    pub already_known: u64,
    /// Rows not taken.
    pub rejected: u64,
    /// The first rejected rows (at most 1,000) with the reason.
    pub errors: Vec<RowError>,
    /// Incident totals after the upload (`affected`, `cases_created`, …).
    #[serde(flatten)]
    pub totals: Totals,
}

impl UploadReport {
    /// Counts a rejected row; the first [`MAX_REPORTED_ERRORS`] are listed.
    fn reject(&mut self, e: RowError) {
        self.rejected += 1;
        if self.errors.len() < MAX_REPORTED_ERRORS {
            self.errors.push(e);
        }
    }
}

/// Parses `reader` on a blocking thread and sends chunks of rows to `tx`.
fn parse_upload(reader: impl Read, format: UploadFormat, tx: &tokio::sync::mpsc::Sender<Parsed>) {
    let reader = std::io::BufReader::with_capacity(256 * 1024, reader);
    let mut seen: HashMap<String, u64> = HashMap::new();
    let mut rows = Vec::with_capacity(CHUNK);
    let mut errors = Vec::new();
    let flush = |rows: &mut Vec<ParsedRow>, errors: &mut Vec<RowError>, force: bool| -> bool {
        if force || rows.len() >= CHUNK {
            tx.blocking_send(Parsed::Rows(std::mem::take(rows), std::mem::take(errors)))
                .is_ok()
        } else {
            true
        }
    };
    let mut accept = |n: u64,
                      id: String,
                      facts: Result<Facts, ValidationError>,
                      rows: &mut Vec<ParsedRow>,
                      errors: &mut Vec<RowError>| {
        let id = id.trim().to_string();
        let err = |field: &str, message: String| RowError {
            row: n,
            customer_external_id: (!id.is_empty()).then(|| id.clone()),
            field: field.to_string(),
            message,
        };
        if id.is_empty() {
            errors.push(err("customer_external_id", "customer_external_id is missing".into()));
            return;
        }
        if id.chars().count() > 200 {
            errors.push(err(
                "customer_external_id",
                "customer_external_id must be at most 200 characters".into(),
            ));
            return;
        }
        match facts {
            Err(e) => errors.push(err(&e.field, e.message)),
            Ok(facts) => {
                if let Some(first) = seen.get(&id) {
                    errors.push(err(
                        "customer_external_id",
                        format!("duplicate of row {first}: this customer is already in the upload; only the first row counts"),
                    ));
                } else {
                    seen.insert(id.clone(), n);
                    match serde_json::to_string(&facts) {
                        Ok(facts_json) => rows.push(ParsedRow {
                            row: n,
                            external_id: id,
                            facts_json,
                        }),
                        Err(e) => errors.push(err("facts", format!("the facts cannot be stored: {e}"))),
                    }
                }
            }
        }
    };
    match format {
        UploadFormat::Csv => {
            let mut r = csv::ReaderBuilder::new()
                .flexible(true)
                .trim(csv::Trim::All)
                .from_reader(reader);
            let headers = match r.headers() {
                Ok(h) => h.clone(),
                Err(e) => {
                    let _ = tx.blocking_send(Parsed::Fatal(AppError::validation(
                        "header",
                        format!("the CSV header cannot be read: {e}"),
                    )));
                    return;
                }
            };
            let names: Vec<String> = headers
                .iter()
                .map(|h| h.trim().trim_start_matches('\u{feff}').to_ascii_lowercase())
                .collect();
            let Some(id_col) = names.iter().position(|h| h == "customer_external_id") else {
                let _ = tx.blocking_send(Parsed::Fatal(AppError::validation(
                    "header",
                    format!(
                        "the CSV header must name a `customer_external_id` column (plus one column per fact, e.g. \
                             `customer_external_id,delay_minutes,order_id`); got `{}`",
                        amends_domain::validate::truncate(&names.join(","), 120)
                    ),
                )));
                return;
            };
            for (i, n) in names.iter().enumerate() {
                let problem = if i == id_col {
                    None
                } else if names[..i].contains(n) {
                    Some(format!("the CSV header names column `{n}` twice"))
                } else {
                    inc::fact_from_text(n, "")
                        .err()
                        .map(|e| format!("CSV header: {}", e.message))
                };
                if let Some(m) = problem {
                    let _ = tx.blocking_send(Parsed::Fatal(AppError::validation("header", m)));
                    return;
                }
            }
            let mut record = csv::StringRecord::new();
            let mut n = 0_u64;
            loop {
                match r.read_record(&mut record) {
                    Ok(false) => break,
                    Ok(true) => {
                        n += 1;
                        if record.len() != names.len() {
                            errors.push(RowError {
                                row: n,
                                customer_external_id: record.get(id_col).map(str::to_string).filter(|s| !s.is_empty()),
                                field: "row".into(),
                                message: format!("the row has {} fields, the header {}", record.len(), names.len()),
                            });
                        } else {
                            let mut facts = Facts::new();
                            let mut bad = None;
                            for (i, cell) in record.iter().enumerate() {
                                if i == id_col {
                                    continue;
                                }
                                match inc::fact_from_text(&names[i], cell) {
                                    Ok(Some(f)) => {
                                        facts.insert(names[i].clone(), f);
                                    }
                                    Ok(None) => {}
                                    Err(e) => {
                                        bad = Some(e);
                                        break;
                                    }
                                }
                            }
                            let facts = bad.map_or(Ok(facts), Err);
                            accept(n, record[id_col].to_string(), facts, &mut rows, &mut errors);
                        }
                    }
                    Err(e) => {
                        let _ = flush(&mut rows, &mut errors, true);
                        let _ = tx.blocking_send(Parsed::Fatal(AppError::BadRequest(format!(
                            "the CSV cannot be read after row {n}: {e}"
                        ))));
                        return;
                    }
                }
                if !flush(&mut rows, &mut errors, false) {
                    return;
                }
            }
        }
        UploadFormat::Json => {
            struct Rows<'a, F: FnMut(u64, serde_json::Value) -> bool>(&'a mut F);
            impl<'de, F: FnMut(u64, serde_json::Value) -> bool> serde::de::Visitor<'de> for Rows<'_, F> {
                type Value = u64;
                fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                    f.write_str("a JSON array of {\"customer_external_id\": …, \"facts\": {…}}")
                }
                fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<u64, A::Error> {
                    let mut n = 0;
                    while let Some(v) = seq.next_element::<serde_json::Value>()? {
                        n += 1;
                        if !(self.0)(n, v) {
                            break;
                        }
                    }
                    Ok(n)
                }
            }
            let mut last = 0_u64;
            let mut on_row = |n: u64, v: serde_json::Value| {
                last = n;
                let (id, facts) = match v {
                    serde_json::Value::Object(mut o) => {
                        let id = match o.remove("customer_external_id") {
                            Some(serde_json::Value::String(s)) => s,
                            Some(serde_json::Value::Number(x)) => x.to_string(),
                            _ => String::new(),
                        };
                        let unknown: Vec<String> = o.keys().filter(|k| *k != "facts").cloned().collect();
                        let facts = if let Some(k) = unknown.first() {
                            Err(ValidationError::new(
                                k.clone(),
                                format!("unknown field `{k}`; a row has `customer_external_id` and `facts`"),
                            ))
                        } else {
                            inc::facts_from_json(o.get("facts").unwrap_or(&serde_json::Value::Null))
                        };
                        (id, facts)
                    }
                    _ => (
                        String::new(),
                        Err(ValidationError::new("row", "each row must be an object")),
                    ),
                };
                accept(n, id, facts, &mut rows, &mut errors);
                flush(&mut rows, &mut errors, false)
            };
            let mut de = serde_json::Deserializer::from_reader(reader);
            let result = serde::Deserializer::deserialize_seq(&mut de, Rows(&mut on_row)).and_then(|_| de.end());
            if let Err(e) = result {
                let _ = flush(&mut rows, &mut errors, true);
                let _ = tx.blocking_send(Parsed::Fatal(AppError::BadRequest(format!(
                    "the body must be a JSON array of {{\"customer_external_id\", \"facts\"}} objects; it breaks off \
                         after row {last}: {e}"
                ))));
                return;
            }
        }
    }
    let _ = flush(&mut rows, &mut errors, true);
}

/// Writes one looked-up and planned chunk of an upload through the
/// upload's write session; gives (added, already known).
#[allow(clippy::too_many_arguments)]
async fn write_chunk(
    state: &App,
    session: &mut WriteSession,
    id: IncidentId,
    chunk: &[(String, String)],
    found: &UploadLookup,
    plan: &FanOutPlan,
    planner: &Planner,
    actor: UserId,
    now: DateTime<Utc>,
) -> AppResult<(u64, u64)> {
    if session
        .write_fan_out(id, &found.pending, plan, Some(actor), now)
        .await?
    {
        return Ok((found.pending.len() as u64, found.known));
    }
    // A concurrent upload added some of these customers since the lookup:
    // look them up again inside the writing transaction.
    let done = state
        .store()
        .fan_out_upload(id, chunk, Some(actor), now, |pending| planner.plan(pending, now))
        .await?;
    Ok((done.added, done.known))
}

/// Waits for a spawned chunk write, counts it and gives the session back.
async fn finish_write(
    w: tokio::task::JoinHandle<(WriteSession, AppResult<Written>)>,
    report: &mut UploadReport,
    timings: &mut Timings,
) -> AppResult<WriteSession> {
    let (session, written) = w.await.map_err(AppError::internal)?;
    let w = written?;
    report.count(&w);
    timings.write += w.took;
    Ok(session)
}

/// Reads an upload from `reader` (on a blocking thread), stages the rows
/// chunk by chunk and fans them out. Unknown customers and bad rows are
/// reported per row; the rest is processed. A fatal problem (wrong CSV
/// header, broken JSON) stops reading; rows before it stay processed, and
/// sending the corrected file again adds nothing twice.
pub async fn upload<R: Read + Send + 'static>(
    state: &App,
    id: IncidentId,
    format: UploadFormat,
    reader: R,
    actor: UserId,
) -> AppResult<UploadReport> {
    let incident = state.store().get_incident(id).await?;
    if incident.status == IncidentStatus::Resolved {
        return Err(AppError::Conflict {
            detail: "the incident is resolved; reopen it (status open) before adding affected customers".into(),
            field: Some("status".into()),
            allowed: None,
        });
    }
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Parsed>(2);
    let parser = tokio::task::spawn_blocking(move || parse_upload(reader, format, &tx));
    let mut report = UploadReport {
        incident_id: id.0,
        rows: 0,
        added: 0,
        already_known: 0,
        rejected: 0,
        errors: Vec::new(),
        totals: Totals::of(&incident),
    };
    let mut fatal = None;
    let planner = std::sync::Arc::new(Planner::load(state, &incident, actor).await?);
    let started = std::time::Instant::now();
    let mut timings = Timings::default();
    // The write of the previous chunk runs while this one is looked up and
    // planned (SQLite in WAL mode and PostgreSQL let reads run beside the
    // one writer): the writer never waits for parsing, lookups or planning.
    // One connection writes every chunk (its cache stays warm on SQLite); it
    // travels into each spawned write and back.
    let mut session = Some(state.store().write_session().await?);
    let mut writing: Option<tokio::task::JoinHandle<(WriteSession, AppResult<Written>)>> = None;
    loop {
        let t = std::time::Instant::now();
        let Some(msg) = rx.recv().await else { break };
        timings.parse_wait += t.elapsed();
        let (rows, errors) = match msg {
            Parsed::Rows(r, e) => (r, e),
            Parsed::Fatal(e) => {
                fatal = Some(e);
                break;
            }
        };
        report.rows = report.rows.max(
            rows.iter()
                .map(|r| r.row)
                .chain(errors.iter().map(|e| e.row))
                .max()
                .unwrap_or(0),
        );
        for e in errors {
            report.reject(e);
        }
        if rows.is_empty() {
            continue;
        }
        let t = std::time::Instant::now();
        let chunk: Vec<(String, String)> = rows
            .iter()
            .map(|r| (r.external_id.clone(), r.facts_json.clone()))
            .collect();
        let found = state.store().lookup_upload(id, &chunk).await?;
        for i in &found.unknown {
            let r = &rows[*i];
            report.reject(RowError {
                row: r.row,
                message: format!(
                    "no customer with external id `{}`; create it first (POST /api/v1/customers or the customer import)",
                    r.external_id
                ),
                customer_external_id: Some(r.external_id.clone()),
                field: "customer_external_id".into(),
            });
        }
        timings.lookup += t.elapsed();
        let t = std::time::Instant::now();
        let now = state.now();
        let plan = planner.plan(&found.pending, now);
        timings.plan += t.elapsed();
        let t = std::time::Instant::now();
        if let Some(w) = writing.take() {
            session = Some(finish_write(w, &mut report, &mut timings).await?);
        }
        timings.write_wait += t.elapsed();
        let (state2, planner2) = (state.clone(), planner.clone());
        let Some(mut held) = session.take() else {
            return Err(AppError::internal("the upload's write session went missing"));
        };
        writing = Some(tokio::spawn(async move {
            let started = std::time::Instant::now();
            let written = write_chunk(&state2, &mut held, id, &chunk, &found, &plan, &planner2, actor, now).await;
            (
                held,
                written.map(|(added, known)| Written {
                    added,
                    known,
                    took: started.elapsed(),
                }),
            )
        }));
    }
    let t = std::time::Instant::now();
    if let Some(w) = writing.take() {
        session = Some(finish_write(w, &mut report, &mut timings).await?);
    }
    timings.write_wait += t.elapsed();
    if let Some(s) = session {
        s.finish().await?;
    }
    let _ = parser.await;
    tracing::info!(
        incident = %id.0,
        rows = report.rows,
        added = report.added,
        rejected = report.rejected,
        seconds = started.elapsed().as_secs_f64(),
        parse_wait = timings.parse_wait.as_secs_f64(),
        lookup = timings.lookup.as_secs_f64(),
        plan = timings.plan.as_secs_f64(),
        write = timings.write.as_secs_f64(),
        write_wait = timings.write_wait.as_secs_f64(),
        "affected customers uploaded"
    );
    report.errors.sort_by_key(|e| e.row);
    // Rows staged but never fanned out (by the store's `stage_affected`, or
    // an interrupted upload of an earlier version) go out now too.
    planner.run(state).await?;
    if report.added > 0 {
        state.wake_workers();
    }
    let incident = state.store().get_incident(id).await?;
    report.totals = Totals::of(&incident);
    if report.added > 0 {
        let now = state.now();
        let event = NewJob::event(
            "incident.fanned_out",
            None,
            json!({"incident_id": id, "added": report.added, "totals": &report.totals}),
            now,
        );
        state.store().enqueue_job(&event, now).await?;
        state.wake_workers();
    }
    if let Some(e) = fatal {
        return Err(match e {
            AppError::BadRequest(m) => AppError::BadRequest(format!(
                "{m}. {} rows before it were taken ({} new); correct the file and send it again — rows already taken \
                 are not processed twice",
                report.added + report.already_known,
                report.added
            )),
            e => e,
        });
    }
    Ok(report)
}

/// Where an upload spent its time (logged). Writes run beside lookups and
/// planning; `write_wait` is the time the upload waited for them.
#[derive(Debug, Default)]
struct Timings {
    /// Waiting for the parser.
    parse_wait: std::time::Duration,
    /// Customers, open cases and known rows looked up.
    lookup: std::time::Duration,
    /// The planner deciding cases, goodwill and messages.
    plan: std::time::Duration,
    /// Writing chunks (beside the lookups and planning of the next ones).
    write: std::time::Duration,
    /// Of that, the time the upload waited for a write to commit.
    write_wait: std::time::Duration,
}

/// What the write of one chunk added, and how long it took.
struct Written {
    added: u64,
    known: u64,
    took: std::time::Duration,
}

impl UploadReport {
    fn count(&mut self, w: &Written) {
        self.added += w.added;
        self.already_known += w.known;
    }
}

// ------------------------------------------------------------------ fan-out

/// An active rule with its parsed condition and catalog item.
struct ActiveRule {
    rule: amends_store::GoodwillRule,
    condition: Condition,
    kind: GoodwillKind,
}

/// What the fan-out of one incident needs, loaded once.
pub struct Planner {
    incident: Incident,
    rules: Vec<ActiveRule>,
    sla: HashMap<Tier, (SlaTargets, Calendar)>,
    priority: Priority,
    actor: UserId,
    max_attempts: i32,
}

impl Planner {
    /// Loads the incident's rules and SLA policies. `actor` is recorded as
    /// the one who triggered the fan-out (and requested the automatic goodwill).
    pub async fn load(state: &App, incident: &Incident, actor: UserId) -> AppResult<Self> {
        let mut rules = Vec::new();
        let incident_rules = state.store().list_goodwill_rules(true).await?.into_iter();
        for r in incident_rules.filter(|r| r.applies_to == inc::RuleScope::Incident.as_str()) {
            match (r.condition.parse::<Condition>(), r.item_kind.parse::<GoodwillKind>()) {
                (Ok(condition), Ok(kind)) => rules.push(ActiveRule {
                    rule: r,
                    condition,
                    kind,
                }),
                _ => tracing::warn!(rule = %r.id, "goodwill rule with an unreadable condition skipped"),
            }
        }
        let severity = u8::try_from(incident.severity).unwrap_or(3);
        let priority = inc::priority_for(severity);
        let mut sla = HashMap::new();
        for tier in Tier::ALL {
            sla.insert(*tier, crate::service::sla_policy(state, *tier, priority).await?);
        }
        Ok(Planner {
            incident: incident.clone(),
            rules,
            sla,
            priority,
            actor,
            max_attempts: crate::jobs::max_attempts(state),
        })
    }

    /// Fans out every pending affected customer, chunk by chunk.
    pub async fn run(&self, state: &App) -> AppResult<usize> {
        let mut total = 0;
        loop {
            let now = state.now();
            let id = self.incident.id;
            let n = state
                .store()
                .fan_out_chunk(id, CHUNK, Some(self.actor), now, |pending| self.plan(pending, now))
                .await?;
            if n == 0 {
                break;
            }
            total += n;
        }
        if total > 0 {
            state.wake_workers();
        }
        Ok(total)
    }

    fn due(&self, tier: Tier, now: DateTime<Utc>) -> DueDates {
        match self.sla.get(&tier) {
            Some((targets, calendar)) => {
                DueDates::on_calendar(now, *targets, calendar).unwrap_or_else(|| DueDates::from_start(now, *targets))
            }
            None => DueDates::from_start(now, SlaTargets::default_for(tier, self.priority)),
        }
    }

    /// Decides, for each pending affected customer, the case, goodwill and
    /// message. A new case gets no stored "created" event: its timeline
    /// works it out from the case, the affected row and the grant
    /// (`Store::list_events`), which saves a row per case. An updated case
    /// gets an update and a goodwill event.
    /// The notices of the chunk go out through one `incident_notices` job
    /// whose outbox entries are the affected rows.
    pub fn plan(&self, pending: &[PendingAffected], now: DateTime<Utc>) -> FanOutPlan {
        let i = &self.incident;
        let severity = u8::try_from(i.severity).unwrap_or(3);
        let mut p = FanOutPlan {
            new_cases: Vec::with_capacity(pending.len()),
            events: Vec::with_capacity(pending.len()),
            outcomes: Vec::with_capacity(pending.len()),
            ..FanOutPlan::default()
        };
        let due: HashMap<Tier, DueDates> = Tier::ALL.iter().map(|t| (*t, self.due(*t, now))).collect();
        let subject_line = amends_domain::validate::truncate(&i.title, 200);
        let messages_job = new_row_id(now);
        let mut any_message = false;
        for a in pending {
            let facts: Facts = serde_json::from_str(&a.facts).unwrap_or_default();
            let tier = Tier::from_str(&a.tier).unwrap_or(Tier::Standard);
            let language = Language::from_str(&a.language).unwrap_or_default();
            let subject = Subject {
                kind: i.kind,
                severity,
                controllable: i.controllable,
                component: i.component.as_deref(),
                release: i.release.as_deref(),
                tier,
                language,
                facts: &facts,
            };
            let rule = self.rules.iter().find(|r| r.condition.matches(&subject));
            let grant_id = rule.map(|_| new_row_id(now));
            let (case_id, created) = match a.open_case_id {
                Some(c) => {
                    p.linked_cases.push(c);
                    let facts_json = serde_json::to_value(&facts).unwrap_or(serde_json::Value::Null);
                    let goodwill = rule.zip(grant_id).map(|(r, gid)| {
                        AutomaticGrant {
                            grant_id: gid,
                            state: Some(GrantState::Granted.as_str()),
                            kind: r.kind.as_str(),
                            value_cents: Some(r.rule.value_cents),
                            currency: Some(&r.rule.currency),
                            rule: Some(&r.rule.name),
                        }
                        .event_data()
                    });
                    p.events.push(EventRecord {
                        id: new_row_id(now),
                        case_id: CaseId(c),
                        kind: EventKind::Update,
                        author_id: None,
                        body: None,
                        data: Some(
                            json!({"what": "incident", "incident_id": i.id, "title": i.title, "facts": facts_json})
                                .to_string(),
                        ),
                        created_at: now,
                    });
                    if let Some(g) = &goodwill {
                        p.events.push(EventRecord {
                            id: new_row_id(now),
                            case_id: CaseId(c),
                            kind: EventKind::Goodwill,
                            author_id: Some(self.actor),
                            body: None,
                            data: Some(g.to_string()),
                            created_at: now,
                        });
                    }
                    (c, false)
                }
                None => {
                    let id = CaseId(new_row_id(now));
                    let d = due.get(&tier).copied().unwrap_or_else(|| self.due(tier, now));
                    let summary = match language {
                        Language::De if !i.summary_de.is_empty() => &i.summary_de,
                        _ if !i.summary_en.is_empty() => &i.summary_en,
                        _ => &i.summary_de,
                    };
                    let facts_line = inc::facts_line(&facts);
                    p.new_cases.push(CaseRecord {
                        id,
                        customer_id: a.customer_id,
                        subject: subject_line.clone(),
                        description: [summary.as_str(), facts_line.as_str()]
                            .iter()
                            .filter(|s| !s.is_empty())
                            .copied()
                            .collect::<Vec<_>>()
                            .join("\n\n"),
                        channel: Channel::Api,
                        origin: Origin::Incident,
                        state: CaseState::New,
                        priority: self.priority,
                        tier,
                        assignee_id: None,
                        first_response_due_at: d.first_response_due_at,
                        resolution_due_at: d.resolution_due_at,
                        first_responded_at: None,
                        resolved_at: None,
                        closed_at: None,
                        sla_paused_at: None,
                        severity: Some(i32::from(severity)),
                        created_at: now,
                        updated_at: now,
                        incident_id: Some(i.id.0),
                    });
                    (id.0, true)
                }
            };
            if let (Some(r), Some(gid)) = (rule, grant_id) {
                p.grants.push(AutoGrant {
                    id: gid,
                    case_id,
                    customer_id: a.customer_id,
                    catalog_item_id: r.rule.catalog_item_id,
                    kind: r.kind,
                    value_cents: r.rule.value_cents,
                    currency: r.rule.currency.clone(),
                    reason: format!("Automatic goodwill «{}» for incident «{}»", r.rule.name, i.title),
                    rule_id: r.rule.id,
                    requested_by: self.actor.0,
                });
            }
            let message = a.reachable;
            any_message |= message;
            p.outcomes.push(AffectedOutcome {
                customer_id: a.customer_id,
                case_id,
                case_created: created,
                language: language.code().to_string(),
                message_job_id: message.then_some(messages_job),
                grant_id,
            });
        }
        if any_message {
            let job = Task::IncidentNotices { incident_id: i.id }.job_with_attempts(self.max_attempts, now, None, None);
            p.jobs.push((messages_job, job));
        }
        p
    }
}

/// The outbox job of one incident message; its dedupe key makes it once
/// per (incident, purpose, customer).
fn message_job(
    incident: IncidentId,
    max_attempts: i32,
    customer: Uuid,
    case: Uuid,
    language: Language,
    purpose: &str,
    now: DateTime<Utc>,
) -> NewJob {
    let task = Task::IncidentMessage(MessageTask {
        incident_id: incident,
        customer_id: customer,
        case_id: CaseId(case),
        purpose: purpose.into(),
        language: language.code().into(),
    });
    task.job_with_attempts(
        max_attempts,
        now,
        Some(format!("incident:{}:{purpose}:{customer}", incident.0)),
        Some(CaseId(case)),
    )
}

/// Fans out whatever is pending (the background job after a crash).
pub async fn resume_fan_out(state: &App, id: IncidentId) -> Result<JobEffects, Failure> {
    let incident = state.store().get_incident(id).await?;
    let planner = Planner::load(state, &incident, UserId(incident.created_by))
        .await
        .map_err(|e| Failure::new(e.to_string()))?;
    let n = planner.run(state).await.map_err(|e| Failure::new(e.to_string()))?;
    if n > 0 {
        tracing::info!(incident = %id.0, rows = n, "resumed the fan-out of an incident");
    }
    Ok(JobEffects::default())
}

/// Where a new goodwill rule goes: after the last one.
pub async fn next_rule_position(state: &App) -> AppResult<i64> {
    Ok(state
        .store()
        .list_goodwill_rules(false)
        .await?
        .iter()
        .map(|r| r.position)
        .max()
        .unwrap_or(0)
        + 10)
}

/// Resolves the incident and queues the closing update to every affected
/// customer who may be contacted. Calling it again sends nothing twice.
pub async fn resolve(state: &App, id: IncidentId, actor: UserId) -> AppResult<Incident> {
    let i = state.store().get_incident(id).await?;
    let now = state.now();
    let draft = IncidentDraft {
        ended_at: i.ended_at.or(Some(now.max(i.started_at))),
        ..draft_of(&i)
    };
    state
        .store()
        .update_incident(id, &draft, IncidentStatus::Resolved, Some(actor), now)
        .await?;
    let attempts = crate::jobs::max_attempts(state);
    state
        .store()
        .queue_closing_update(id, Some(actor), now, |a, case| {
            a.reachable.then(|| {
                let lang = Language::from_str(&a.language).unwrap_or_default();
                message_job(id, attempts, a.customer_id, case, lang, "closing", now)
            })
        })
        .await?;
    state.wake_workers();
    Ok(state.store().get_incident(id).await?)
}

/// Sends the queued notices of one fan-out chunk (an `incident_notices`
/// job; the affected rows are its outbox entries). Each notice is recorded
/// (state `done` and the message on the case timeline) in its own
/// transaction right after it went out, so a retry or a crash resends at
/// most the one in flight; each record renews the job's lease. Notices that
/// fail are tried again with the job (the others are not sent twice); on
/// the job's last attempt they are marked `dead`.
pub async fn send_notices(
    state: &App,
    job: &amends_store::Job,
    incident: IncidentId,
    last: bool,
) -> Result<JobEffects, Failure> {
    let worker = job.locked_by.clone().unwrap_or_default();
    let lease = state.config().job_lease;
    let mut failed = 0_usize;
    let mut first_error = None;
    for n in state.store().queued_notices(job.id).await? {
        let m = MessageTask {
            incident_id: incident,
            customer_id: n.customer_id,
            case_id: CaseId(n.case_id.unwrap_or_default()),
            purpose: "notice".into(),
            language: n.language.clone().unwrap_or_default(),
        };
        // One stable Message-ID per (job, customer), also when resent.
        let id = Uuid::from_u128(job.id.as_u128() ^ n.customer_id.as_u128());
        let (outcome, fx) = match deliver(state, state.mailer().new_message_id(id), &m, last).await {
            Ok(fx) => ("done", fx),
            Err(f) if f.permanent || last => ("dead", f.fx),
            Err(f) => {
                failed += 1;
                first_error.get_or_insert(f.error);
                continue;
            }
        };
        let now = state.now();
        if !state
            .store()
            .record_notice(job.id, &worker, now + lease, &n, outcome, &fx, now)
            .await?
        {
            return Err(Failure::new(
                "the job's lease was taken over; its new holder sends the remaining notices",
            ));
        }
    }
    match first_error {
        Some(e) => Err(Failure::new(format!("{failed} notices not sent yet; first error: {e}"))),
        None => Ok(JobEffects::default()),
    }
}

/// Sends one incident message in the customer's language.
pub async fn send_message(state: &App, job_id: Uuid, m: &MessageTask, last: bool) -> Result<JobEffects, Failure> {
    deliver(state, state.mailer().new_message_id(job_id), m, last).await
}

/// Renders and sends one incident message with the Message-ID given.
async fn deliver(state: &App, message_id: String, m: &MessageTask, last: bool) -> Result<JobEffects, Failure> {
    let incident = state.store().get_incident(m.incident_id).await?;
    let customer = state
        .store()
        .get_customer(amends_domain::CustomerId(m.customer_id))
        .await?;
    let affected = state.store().get_affected(m.incident_id, m.customer_id).await?;
    let Some(to) = customer.email.clone().filter(|_| customer.consent_contact) else {
        return Ok(JobEffects::default());
    };
    let lang = Language::from_str(&m.language).unwrap_or(customer.language);
    let summary = match lang {
        Language::De if !incident.summary_de.is_empty() => incident.summary_de.clone(),
        Language::En if !incident.summary_en.is_empty() => incident.summary_en.clone(),
        _ => String::new(),
    };
    let goodwill = affected.goodwill_cents.map(|cents| {
        let name = match lang {
            Language::De => affected.goodwill_name_de.clone(),
            Language::En => affected.goodwill_name_en.clone(),
        };
        let money = format!(
            "{:.2} {}",
            cents as f64 / 100.0,
            affected.goodwill_currency.clone().unwrap_or_default()
        );
        name.unwrap_or(money)
    });
    let facts: Facts = serde_json::from_str(&affected.facts).unwrap_or_default();
    let delay = facts.get("delay_minutes").map(ToString::to_string);
    let purpose = if m.purpose == "closing" {
        "incident_closing"
    } else {
        "incident"
    };
    let case = state.store().get_case(m.case_id).await?;
    // An active template of the purpose in the customer's language replaces the built-in text.
    let template = state
        .store()
        .list_templates(amends_store::TemplateFilter {
            purpose: Some(if m.purpose == "closing" {
                TemplatePurpose::IncidentClosing
            } else {
                TemplatePurpose::IncidentNotice
            }),
            language: Some(lang),
            active_only: true,
        })
        .await?
        .into_iter()
        .next();
    let permanent = |e: String| Failure {
        error: e,
        permanent: true,
        fx: JobEffects::default(),
    };
    let (subject, text, html) = match &template {
        Some(t) => {
            let values = TemplateValues {
                customer_name: Some(customer.name.clone()),
                case_reference: Some(format!("#{}", case.id.short())),
                case_subject: Some(case.subject.clone()),
                agent_name: None,
                incident_title: Some(incident.title.clone()),
                delay_minutes: delay.clone(),
                goodwill: goodwill.clone(),
                ..TemplateValues::default()
            };
            let body = template::render(&t.body, &values);
            let (_, text, html) = render_mail(
                state,
                lang,
                "reply",
                context! { name => customer.name.clone(), greet => !crate::followup::has_salutation(&body), body => body },
            )
            .map_err(permanent)?;
            let subject = template::render(&t.subject, &values);
            let subject = if subject.trim().is_empty() {
                incident.title.clone()
            } else {
                subject
            };
            (subject, text, html)
        }
        None => {
            let (subject, text, html) = render_mail(
                state,
                lang,
                purpose,
                context! { name => customer.name.clone(), title => incident.title.clone(), summary => summary,
                goodwill => goodwill, delay => delay, reference => case.id.short() },
            )
            .map_err(permanent)?;
            (format!("{subject}: {}", incident.title), text, html)
        }
    };
    let mail = OutgoingMail {
        to: to.clone(),
        subject,
        text,
        html,
        message_id,
        in_reply_to: None,
    };
    if let Err(e) = state.mailer().send(&mail).await {
        return Err(send_failure(state, Some(m.case_id), purpose, &to, e, last));
    }
    let mut fx = JobEffects::default();
    let (c, mut ev) = message_out(m.case_id, None, &mail, purpose);
    ev.data["incident_id"] = json!(m.incident_id);
    fx.events.push((c, ev));
    Ok(at_now(fx, state))
}
