//! The upload of an incident's affected customers: a streamed JSON array
//! or CSV body parsed on a blocking thread, handed over in chunks, each
//! chunk looked up, planned ([`super::planner`]) and written in one
//! transaction while the next one is planned.

use super::*;
use crate::App;
use crate::csv_source::field_text;
use crate::error::{AppError, AppResult};
use amends_domain::incident::{self as inc, Facts, IncidentStatus};
use amends_domain::{IncidentId, UserId, ValidationError};
use amends_store::{FanOutPlan, Incident, NewJob, UploadLookup, WriteSession};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::json;
use std::collections::HashMap;
use std::io::Read;
use utoipa::ToSchema;
use uuid::Uuid;

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
#[schema(as = AffectedRowError)]
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
            let input = match crate::csv_source::open(reader) {
                Ok(input) => input,
                Err(e) => {
                    let _ = tx.blocking_send(Parsed::Fatal(AppError::validation(
                        "header",
                        format!("the CSV file cannot be read: {e}"),
                    )));
                    return;
                }
            };
            let mut r = csv::ReaderBuilder::new()
                .flexible(true)
                .trim(csv::Trim::All)
                .delimiter(input.delimiter)
                .from_reader(input.reader);
            let headers = match r.byte_headers() {
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
                .map(|h| field_text(h).trim().trim_start_matches('\u{feff}').to_ascii_lowercase())
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
            let mut record = csv::ByteRecord::new();
            let mut n = 0_u64;
            loop {
                match r.read_byte_record(&mut record) {
                    Ok(false) => break,
                    Ok(true) => {
                        n += 1;
                        if record.len() != names.len() {
                            errors.push(RowError {
                                row: n,
                                customer_external_id: record
                                    .get(id_col)
                                    .map(|c| field_text(c).into_owned())
                                    .filter(|s| !s.is_empty()),
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
                                match inc::fact_from_text(&names[i], &field_text(cell)) {
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
                            accept(
                                n,
                                field_text(&record[id_col]).into_owned(),
                                facts,
                                &mut rows,
                                &mut errors,
                            );
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
    plan: &mut FanOutPlan,
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
        let mut plan = planner.plan(&found.pending, now);
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
            let written = write_chunk(&state2, &mut held, id, &chunk, &found, &mut plan, &planner2, actor, now).await;
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
