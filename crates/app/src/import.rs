//! Feedback from CSV: the rows of a file of any length, read as a stream
//! in chunks (never the whole file in memory), each chunk analysed on all
//! cores and written in bulk while the next one is read and analysed.
//!
//! Every row has an import key: 16 bytes of SHA-256 over its column names
//! and values, or over its `external_id` column when it has one. A row
//! whose key is stored already is a duplicate and adds nothing, so running
//! an import again (or two imports of one file at once) stores each row
//! once. Identical rows of one file count once.
//!
//! Encodings (UTF-8, UTF-16 with BOM, Windows-1252) and delimiters (comma,
//! semicolon, tab) are found by [`crate::csv_source`].

use crate::App;
use crate::csv_source::{self, Utf8Source, field_text};
use crate::detection::{BulkOutcome, FeedbackInput, Ingest, KeyedRow, RowError, write_prepared};
use crate::error::{AppError, AppResult};
use amends_domain::feedback::Rating;
use amends_domain::{UserId, ValidationError};
use amends_store::WriteSession;
use sha2::{Digest, Sha256};
use std::io::{BufReader, Read};
use uuid::Uuid;

/// Rows read, analysed and written together by [`import_csv`].
pub const IMPORT_CHUNK: usize = 4_000;
/// Row errors an import keeps to report (the rest are counted).
pub const ERRORS_KEPT: usize = 1_000;

/// The column whose value, when a row has one, is its import key.
pub const KEY_COLUMN: &str = "external_id";

/// A CSV stream of feedback rows (see [`parse_csv`] for the columns).
pub struct CsvFeedback<R: Read> {
    rdr: csv::Reader<BufReader<Utf8Source<R>>>,
    headers: Vec<String>,
    /// Header positions in name order (the order the row key hashes them in).
    hash_order: Vec<usize>,
    key_column: Option<usize>,
    record: csv::ByteRecord,
    row: usize,
}

impl<R: Read> CsvFeedback<R> {
    /// Reads and checks the header row.
    pub fn new(reader: R) -> Result<Self, ValidationError> {
        let input = csv_source::open(reader)
            .map_err(|e| ValidationError::new("csv", format!("cannot read the CSV file: {e}")))?;
        let mut rdr = csv::ReaderBuilder::new()
            .has_headers(true)
            .flexible(true)
            .delimiter(input.delimiter)
            .buffer_capacity(1 << 16)
            .from_reader(input.reader);
        let headers: Vec<String> = rdr
            .byte_headers()
            .map_err(|e| ValidationError::new("csv", format!("cannot read the CSV header: {e}")))?
            .iter()
            .map(|h| field_text(h).trim().trim_start_matches('\u{feff}').to_ascii_lowercase())
            .collect();
        if !headers.iter().any(|h| h == "text") {
            return Err(ValidationError::new(
                "csv",
                format!(
                    "the CSV header must name a `text` column (and `customer_email` or `customer_id`); \
                     line 1 has the columns `{}` (separated by `{}`)",
                    amends_domain::validate::truncate(&headers.join("`, `"), 200),
                    char::from(input.delimiter).escape_default()
                ),
            ));
        }
        if !headers.iter().any(|h| h == "customer_email" || h == "customer_id") {
            return Err(ValidationError::new(
                "csv",
                "the CSV header must name a `customer_email` or `customer_id` column",
            ));
        }
        let mut hash_order: Vec<usize> = (0..headers.len()).collect();
        hash_order.sort_by(|a, b| headers[*a].cmp(&headers[*b]));
        let key_column = headers.iter().position(|h| h == KEY_COLUMN);
        Ok(Self {
            rdr,
            headers,
            hash_order,
            key_column,
            record: csv::ByteRecord::new(),
            row: 0,
        })
    }

    /// Bytes read so far.
    pub fn bytes_read(&self) -> u64 {
        self.rdr.position().byte()
    }

    /// The next row (numbered from 1 after the header), `None` at the end.
    /// A row that cannot be read is an error of that row; reading goes on.
    pub fn next_row(&mut self) -> Option<KeyedRow> {
        let read = self.rdr.read_byte_record(&mut self.record);
        let row = self.row + 1;
        match read {
            Ok(false) => None,
            Ok(true) => {
                self.row = row;
                Some(KeyedRow {
                    row,
                    key: Some(self.key()),
                    input: csv_row(&self.headers, &self.record),
                })
            }
            Err(e) => {
                self.row = row;
                // A broken quote can swallow the rest of the file: say where.
                let line = e
                    .position()
                    .map_or(String::new(), |p| format!(" (line {} of the file)", p.line()));
                Some(KeyedRow {
                    row,
                    key: None,
                    input: Err(ValidationError::new("", format!("cannot read this row{line}: {e}"))),
                })
            }
        }
    }

    /// Up to `n` rows.
    pub fn next_chunk(&mut self, n: usize) -> Vec<KeyedRow> {
        std::iter::from_fn(|| self.next_row()).take(n).collect()
    }

    /// The import key of the current record.
    fn key(&self) -> Vec<u8> {
        let mut h = Sha256::new();
        match self.key_column.and_then(|i| self.record.get(i)).map(<[u8]>::trim_ascii) {
            Some(id) if !id.is_empty() => {
                h.update(b"external_id\0");
                h.update(id);
            }
            _ => {
                for &i in &self.hash_order {
                    let value = self.record.get(i).unwrap_or_default();
                    h.update(self.headers[i].as_bytes());
                    h.update(b"\0");
                    h.update(u64::try_from(value.len()).unwrap_or(u64::MAX).to_le_bytes());
                    h.update(value);
                }
            }
        }
        h.finalize()[..16].to_vec()
    }
}

/// The import key of an API item with an explicit `external_id` (the same
/// key a CSV row with that `external_id` gets).
pub fn key_of_external_id(id: &str) -> Vec<u8> {
    let mut h = Sha256::new();
    h.update(b"external_id\0");
    h.update(id.trim().as_bytes());
    h.finalize()[..16].to_vec()
}

/// Reads feedback rows from CSV (a header row names the columns:
/// `customer_id`, `customer_email`, `customer_name`, `channel`, `rating`,
/// `text`, `language`, `component`, `external_id`; other columns go into the item's
/// `source`). A row with a problem becomes an error for that row only.
/// Reading stops after `max_rows + 1` rows (so the caller can refuse too
/// long files).
pub fn parse_csv(bytes: &[u8], max_rows: usize) -> Result<Vec<KeyedRow>, ValidationError> {
    let mut csv = CsvFeedback::new(bytes)?;
    Ok(csv.next_chunk(max_rows.saturating_add(1)))
}

fn csv_row(headers: &[String], rec: &csv::ByteRecord) -> Result<FeedbackInput, ValidationError> {
    if rec.len() != headers.len() {
        return Err(ValidationError::new(
            "",
            format!("the row has {} fields, the header {}", rec.len(), headers.len()),
        ));
    }
    let mut input = FeedbackInput {
        channel: "csv".into(),
        ..FeedbackInput::default()
    };
    let mut source = serde_json::Map::new();
    for (h, raw) in headers.iter().zip(rec.iter()) {
        let text = field_text(raw);
        let v = text.trim();
        let some = || (!v.is_empty()).then(|| v.to_string());
        match h.as_str() {
            "customer_id" => {
                input.customer_id = some().map(|s| s.parse::<Uuid>()).transpose().map_err(|_| {
                    ValidationError::new("customer_id", format!("customer_id must be a UUID, got `{v}`"))
                })?;
            }
            "customer_email" => input.customer_email = some(),
            "customer_name" => input.customer_name = some(),
            "component" => input.component = some(),
            "channel" => {
                if let Some(c) = some() {
                    input.channel = c;
                }
            }
            "rating" => {
                input.rating = some().map(|s| s.parse::<Rating>().map(i64::from)).transpose()?;
            }
            "text" => input.text = v.to_string(),
            "language" => input.language = some(),
            other if !other.is_empty() && !v.is_empty() => {
                source.insert(
                    other.to_string(),
                    serde_json::Value::String(v.chars().take(500).collect()),
                );
            }
            _ => {}
        }
    }
    source.insert("import".into(), serde_json::Value::String("csv".into()));
    input.source = Some(serde_json::Value::Object(source));
    Ok(input)
}

/// How far an import is.
#[derive(Debug, Clone, Copy, Default)]
pub struct Progress {
    /// Data rows read.
    pub rows: usize,
    /// Bytes of the file read.
    pub bytes: u64,
    /// Items stored.
    pub added: usize,
    /// Rows stored by an earlier (or concurrent) import.
    pub duplicates: usize,
    /// Rows with problems.
    pub errors: usize,
}

/// What an import did.
#[derive(Debug, Clone, Default)]
pub struct ImportOutcome {
    pub rows: usize,
    pub added: usize,
    /// Items stored with a recovery case (new or added to).
    pub with_case: usize,
    pub duplicates: usize,
    /// The first [`ERRORS_KEPT`] row errors.
    pub errors: Vec<RowError>,
    /// All row errors.
    pub error_count: usize,
}

impl ImportOutcome {
    fn add(&mut self, part: BulkOutcome) {
        self.added += part.items.len();
        self.with_case += part.items.iter().filter(|(_, i)| i.case_id.is_some()).count();
        self.duplicates += part.duplicates.len();
        self.add_errors(part.errors);
    }

    fn add_errors(&mut self, errors: Vec<RowError>) {
        self.error_count += errors.len();
        let room = ERRORS_KEPT.saturating_sub(self.errors.len());
        self.errors.extend(errors.into_iter().take(room));
    }

    fn progress(&self, rows: usize, bytes: u64) -> Progress {
        Progress {
            rows,
            bytes,
            added: self.added,
            duplicates: self.duplicates,
            errors: self.error_count,
        }
    }
}

/// Imports feedback from a CSV stream of any length (see the module
/// documentation); `progress` hears after every chunk. Rows with problems
/// are counted and the first [`ERRORS_KEPT`] kept; a bad header is an error.
///
/// The chunks are written one after the other through one write session
/// (a warm page cache on SQLite) while the next chunk is read and
/// analysed. Rows stored before are skipped unanalysed: their keys are
/// looked up before the analysis as long as the lookups find some (a file
/// imported again); a new file's keys are checked only in the writing
/// transaction, which it does anyway.
pub async fn import_csv<R: Read>(
    state: &App,
    reader: R,
    actor: Option<UserId>,
    mut progress: impl FnMut(&Progress),
) -> AppResult<ImportOutcome> {
    type Writing = tokio::task::JoinHandle<(WriteSession, AppResult<BulkOutcome>)>;
    let mut csv = CsvFeedback::new(reader)?;
    let mut ingest = Ingest::new(state, actor).await?;
    let mut out = ImportOutcome::default();
    let mut session = Some(state.store().import_session().await?);
    let mut writing: Option<Writing> = None;
    let mut look_up_first = true;
    loop {
        let chunk = csv.next_chunk(IMPORT_CHUNK);
        if chunk.is_empty() {
            break;
        }
        out.rows += chunk.len();
        let fresh = if look_up_first {
            let keys: Vec<&[u8]> = chunk.iter().filter_map(|r| r.key.as_deref()).collect();
            let stored = state.store().stored_import_keys(&keys).await?;
            look_up_first = !stored.is_empty();
            let (known, fresh): (Vec<KeyedRow>, Vec<KeyedRow>) = chunk
                .into_iter()
                .partition(|r| r.input.is_ok() && r.key.as_ref().is_some_and(|k| stored.contains(k)));
            out.duplicates += known.len();
            fresh
        } else {
            chunk
        };
        let (ready, errors) = ingest.prepare(fresh).await?;
        out.add_errors(errors);
        if let Some(w) = writing.take() {
            let (s, part) = w.await.map_err(AppError::internal)?;
            session = Some(s);
            let part = part?;
            // Rows stored meanwhile (another import of the file): look again.
            look_up_first |= !part.duplicates.is_empty();
            out.add(part);
            progress(&out.progress(out.rows, csv.bytes_read()));
        }
        let mut s = session
            .take()
            .ok_or_else(|| AppError::internal("the import's write session is gone"))?;
        let state = state.clone();
        writing = Some(tokio::spawn(async move {
            let part = write_prepared(&state, ready, Some(&mut s)).await;
            (s, part)
        }));
    }
    if let Some(w) = writing.take() {
        let (s, part) = w.await.map_err(AppError::internal)?;
        session = Some(s);
        out.add(part?);
    }
    if let Some(s) = session {
        s.finish().await?;
    }
    progress(&out.progress(out.rows, csv.bytes_read()));
    out.errors.sort_by_key(|e| e.row);
    Ok(out)
}
