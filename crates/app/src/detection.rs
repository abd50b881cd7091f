//! Detection use cases shared by the API, the UI and the CLI: validate
//! feedback, find or create the customer, analyse the text, run the
//! detection rules and store the item with the case a rule asked for.

use crate::App;
use crate::analysis::{audience_of, from_text_lang, from_text_sentiment, to_text_lang};
use crate::error::{AppError, AppResult};
use amends_domain::detection::{self, Conditions, Facts, RuleAction};
use amends_domain::feedback::{Rating, SentimentLabel, analysed_part, feedback_text, whole_feedback_text};
use amends_domain::sla::{DueDates, SlaTargets};
use amends_domain::{
    CaseId, Channel, CustomerId, Email, FeedbackId, Language, NonEmptyText, Origin, Priority, UserId, ValidationError,
};
use amends_store::{Customer, Detection, DetectionRule, NewCase, NewFeedback, RouteRequest, RuleInput, StoreError};
use std::collections::HashMap;
use uuid::Uuid;

/// Most items in one bulk request or import call.
pub const BULK_MAX_ROWS: usize = 10_000;

/// Raw feedback fields as a client sent them.
#[derive(Debug, Clone, Default)]
pub struct FeedbackInput {
    pub customer_id: Option<Uuid>,
    pub customer_email: Option<String>,
    /// Name for a customer created from an unknown email.
    pub customer_name: Option<String>,
    pub channel: String,
    pub rating: Option<i64>,
    pub text: String,
    pub language: Option<String>,
    pub source: Option<serde_json::Value>,
    /// Keep the text whole however long (email): analysis reads its first
    /// `FEEDBACK_TEXT_MAX` characters. Otherwise a longer text is refused.
    pub whole_text: bool,
}

enum CustomerRef {
    Id(CustomerId),
    Email(Email),
}

struct ValidFeedback {
    customer: CustomerRef,
    customer_name: Option<NonEmptyText>,
    channel: Channel,
    rating: Option<Rating>,
    text: String,
    language: Option<Language>,
    source: Option<serde_json::Value>,
}

impl FeedbackInput {
    fn validate(self) -> Result<ValidFeedback, ValidationError> {
        let customer = match (self.customer_id, self.customer_email.as_deref().map(str::trim)) {
            (Some(id), _) => CustomerRef::Id(CustomerId(id)),
            (None, Some(e)) if !e.is_empty() => {
                CustomerRef::Email(Email::parse(e).map_err(|e| e.for_field("customer_email"))?)
            }
            _ => {
                return Err(ValidationError::new(
                    "customer_id",
                    "give customer_id or customer_email (an unknown email creates the customer)",
                ));
            }
        };
        let customer_name =
            amends_domain::validate::optional_text("customer_name", self.customer_name.as_deref(), 200)?;
        let channel = self.channel.parse::<Channel>()?;
        let rating = self.rating.map(Rating::new).transpose()?;
        let text = if self.whole_text {
            whole_feedback_text(&self.text)?
        } else {
            feedback_text(&self.text)?
        };
        let language = self
            .language
            .as_deref()
            .filter(|s| !s.trim().is_empty())
            .map(str::parse::<Language>)
            .transpose()?;
        let source = match self.source {
            None | Some(serde_json::Value::Null) => None,
            Some(v @ serde_json::Value::Object(_)) => {
                if v.to_string().len() > 8 * 1024 {
                    return Err(ValidationError::new("source", "source must be at most 8 KiB of JSON"));
                }
                Some(v)
            }
            Some(_) => {
                return Err(ValidationError::new(
                    "source",
                    "source must be a JSON object (e.g. {\"page\": \"/checkout\"})",
                ));
            }
        };
        Ok(ValidFeedback {
            customer,
            customer_name,
            channel,
            rating,
            text,
            language,
            source,
        })
    }
}

/// One numbered input row: the item, or why it could not be read.
pub type Row = (usize, Result<FeedbackInput, ValidationError>);

/// What happened to one item.
#[derive(Debug, Clone)]
pub struct Ingested {
    pub id: FeedbackId,
    pub case_id: Option<CaseId>,
}

/// A row that could not be taken, and why.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct RowError {
    /// 1-based number of the item (CSV: of the data row; the header is not counted).
    pub row: usize,
    pub field: String,
    pub message: String,
}

/// Works through a batch: per-item preparation, then chunked inserts.
struct Ingest<'a> {
    state: &'a App,
    rules: Vec<DetectionRule>,
    customers: HashMap<String, Customer>,
    actor: Option<UserId>,
}

/// What a case opened from a feedback item takes from it.
struct FeedbackCase<'a> {
    text: &'a str,
    channel: Channel,
    priority: Priority,
    topics: Vec<String>,
}

impl FeedbackCase<'_> {
    /// The case of `customer` for this feedback, routed by their language and the topics.
    fn new_case(
        self,
        now: chrono::DateTime<chrono::Utc>,
        customer: &Customer,
        due: DueDates,
        author: Option<UserId>,
    ) -> NewCase {
        NewCase {
            id: CaseId(amends_store::new_row_id(now)),
            customer_id: customer.id,
            subject: subject_of(self.text, self.channel),
            description: self.text.to_string(),
            channel: self.channel,
            origin: Origin::Feedback,
            priority: self.priority,
            tier: customer.tier,
            assignee_id: None,
            due,
            created_at: now,
            author,
            route: Some(RouteRequest {
                language: customer.language,
                topics: self.topics,
            }),
        }
    }
}

/// A case subject from feedback: the first line, at most 120 characters.
fn subject_of(text: &str, channel: Channel) -> NonEmptyText {
    let first = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("Feedback");
    let mut s: String = first.chars().filter(|c| !c.is_control()).take(120).collect();
    if first.chars().count() > 120 {
        s.push('…');
    }
    NonEmptyText::parse("subject", &s, 200).unwrap_or_else(|_| {
        NonEmptyText::parse("subject", &format!("Feedback ({channel})"), 200)
            .unwrap_or_else(|_| unreachable!("a fixed subject is valid"))
    })
}

impl<'a> Ingest<'a> {
    async fn new(state: &'a App, actor: Option<UserId>) -> AppResult<Self> {
        Ok(Self {
            state,
            rules: state.store().list_rules().await?,
            customers: HashMap::new(),
            actor,
        })
    }

    async fn customer(&mut self, v: &ValidFeedback, detected: Language) -> AppResult<Customer> {
        let key = match &v.customer {
            CustomerRef::Id(id) => id.to_string(),
            CustomerRef::Email(e) => e.as_str().to_lowercase(),
        };
        if let Some(c) = self.customers.get(&key) {
            return Ok(c.clone());
        }
        let c = match &v.customer {
            CustomerRef::Id(id) => self.state.store().get_customer(*id).await.map_err(|e| match e {
                StoreError::NotFound(_) => AppError::validation(
                    "customer_id",
                    format!("no customer with id {id}; use customer_email to create customers on the fly"),
                ),
                e => e.into(),
            })?,
            CustomerRef::Email(email) => match self.state.store().find_customer_by_email(email).await? {
                Some(c) => c,
                None => {
                    let name = v.customer_name.as_ref().map_or_else(
                        || email.as_str().split('@').next().unwrap_or("customer").to_string(),
                        |n| n.as_str().to_string(),
                    );
                    let input = crate::service::CustomerInput {
                        name,
                        email: Some(email.as_str().to_string()),
                        language: Some(v.language.unwrap_or(detected).code().to_string()),
                        ..crate::service::CustomerInput::default()
                    };
                    let new = input.validate(self.state).map_err(crate::service::first_error)?;
                    // Atomic: items sent at once from one new address make one customer.
                    let (c, _) = self
                        .state
                        .store()
                        .find_or_create_customer_by_email(&new, self.actor)
                        .await?;
                    c
                }
            },
        };
        self.customers.insert(key, c.clone());
        Ok(c)
    }

    /// Validates, analyses and runs the rules on one item.
    async fn prepare(&mut self, input: FeedbackInput) -> AppResult<NewFeedback> {
        let v = input.validate()?;
        let analysis = self
            .state
            .analyzer()
            .clone()
            .with_audience(audience_of(v.channel))
            .analyze(analysed_part(&v.text), v.language.map(to_text_lang));
        let language = v.language.unwrap_or_else(|| from_text_lang(analysis.language));
        let customer = self.customer(&v, language).await?;
        let now = self.state.now();
        let sentiment = from_text_sentiment(analysis.sentiment.label);
        let signals: Vec<String> = analysis.signals.iter().map(|s| s.as_str().to_string()).collect();
        let facts = Facts {
            rating: v.rating,
            sentiment,
            topics: &analysis.topics,
            signals: &signals,
            tier: customer.tier,
            clv_cents: customer.clv_cents,
            channel: v.channel,
        };
        let rules: Vec<detection::Rule> = self.rules.iter().map(DetectionRule::to_rule).collect();
        let matched = detection::evaluate(&rules, &facts);
        let due = match &matched {
            Some(m) => {
                Some(crate::service::due_dates(self.state, customer.tier, self.rules[m.index].priority, now).await?)
            }
            None => None,
        };
        let detection = matched.map(|m| {
            let rule = &self.rules[m.index];
            let due =
                due.unwrap_or_else(|| DueDates::from_start(now, SlaTargets::default_for(customer.tier, rule.priority)));
            Detection {
                rule_id: rule.id,
                rule_name: rule.name.clone(),
                reasons: m.reasons,
                action: rule.action,
                case: FeedbackCase {
                    text: &v.text,
                    channel: v.channel,
                    priority: rule.priority,
                    topics: analysis.topics.clone(),
                }
                .new_case(now, &customer, due, self.actor),
            }
        });
        Ok(NewFeedback {
            // The store's ids keep the order of items made in the same millisecond.
            id: FeedbackId(amends_store::new_row_id(now)),
            customer_id: customer.id,
            channel: v.channel,
            rating: v.rating,
            text: v.text,
            language,
            sentiment,
            sentiment_score: f64::from(analysis.sentiment.score),
            topics: analysis.topics,
            signals,
            source: v.source,
            created_at: now,
            author: self.actor,
            detection,
        })
    }
}

/// Takes one feedback item: stores it and opens or attaches a case if a rule says so.
pub async fn ingest_one(state: &App, input: FeedbackInput, actor: Option<UserId>) -> AppResult<Ingested> {
    let mut ingest = Ingest::new(state, actor).await?;
    let item = ingest.prepare(input).await?;
    let id = item.id;
    let cases = state.store().insert_feedback(std::slice::from_ref(&item)).await?;
    crate::goodwill::after_cases_opened(state, cases.iter().flatten().copied()).await;
    Ok(Ingested {
        id,
        case_id: cases.into_iter().next().flatten(),
    })
}

/// The outcome of a bulk request or an import.
#[derive(Debug, Clone, Default)]
pub struct BulkOutcome {
    pub items: Vec<(usize, Ingested)>,
    pub errors: Vec<RowError>,
}

/// Takes many items; rows with problems are reported and skipped, the
/// good rows are stored (in chunks, each chunk one transaction).
pub async fn ingest_many(state: &App, rows: Vec<Row>, actor: Option<UserId>) -> AppResult<BulkOutcome> {
    if rows.len() > BULK_MAX_ROWS {
        return Err(AppError::validation(
            "items",
            format!(
                "at most {BULK_MAX_ROWS} items per request, got {}; split the file",
                rows.len()
            ),
        ));
    }
    let mut ingest = Ingest::new(state, actor).await?;
    let mut out = BulkOutcome::default();
    let mut ready: Vec<(usize, NewFeedback)> = Vec::new();
    for (row, input) in rows {
        let prepared = match input {
            Ok(input) => ingest.prepare(input).await,
            Err(e) => Err(e.into()),
        };
        match prepared {
            Ok(item) => ready.push((row, item)),
            Err(AppError::Validation { field, message }) => out.errors.push(RowError { row, field, message }),
            Err(AppError::NotFound(what)) => out.errors.push(RowError {
                row,
                field: String::new(),
                message: format!("{what} not found"),
            }),
            Err(AppError::Conflict { detail, field, .. }) => out.errors.push(RowError {
                row,
                field: field.unwrap_or_default(),
                message: detail,
            }),
            Err(e) => return Err(e),
        }
    }
    let items: Vec<NewFeedback> = ready.iter().map(|(_, f)| f.clone()).collect();
    let cases = state.store().insert_feedback(&items).await?;
    crate::goodwill::after_cases_opened(state, cases.iter().flatten().copied()).await;
    for ((row, f), case_id) in ready.into_iter().zip(cases) {
        out.items.push((row, Ingested { id: f.id, case_id }));
    }
    Ok(out)
}

/// Opens a case by hand for a feedback item that has none.
pub async fn open_case_for(state: &App, id: FeedbackId, actor: Option<UserId>) -> AppResult<CaseId> {
    let f = state.store().get_feedback(id).await?;
    let customer = state.store().get_customer(f.customer_id).await?;
    let now = state.now();
    let priority = if f.sentiment == SentimentLabel::Negative {
        Priority::High
    } else {
        Priority::Normal
    };
    let due = crate::service::due_dates(state, customer.tier, priority, now).await?;
    let case = FeedbackCase {
        text: &f.text,
        channel: f.channel,
        priority,
        topics: serde_json::from_str(&f.topics).unwrap_or_default(),
    }
    .new_case(now, &customer, due, actor);
    let case = state.store().open_case_for_feedback(id, &case).await?;
    crate::goodwill::after_cases_opened(state, [case]).await;
    Ok(case)
}

/// Raw rule fields.
#[derive(Debug, Clone, Default)]
pub struct RuleFields {
    pub name: String,
    pub position: Option<i32>,
    pub enabled: Option<bool>,
    pub conditions: Conditions,
    pub action: Option<String>,
    pub priority: Option<String>,
}

impl RuleFields {
    pub fn validate(self) -> Result<RuleInput, ValidationError> {
        let name = NonEmptyText::parse("name", &self.name, 100)?;
        self.conditions.validate()?;
        let action = crate::service::parse_or(self.action.as_deref(), RuleAction::OpenCase)?;
        let priority = crate::service::parse_or(self.priority.as_deref(), Priority::Normal)?;
        if let Some(p) = self.position
            && !(0..=1_000_000).contains(&p)
        {
            return Err(ValidationError::new("position", "position must be 0–1000000"));
        }
        Ok(RuleInput {
            name: name.into_inner(),
            position: self.position,
            enabled: self.enabled.unwrap_or(true),
            conditions: self.conditions,
            action,
            priority,
        })
    }
}

/// Reads feedback rows from CSV (a header row names the columns:
/// `customer_id`, `customer_email`, `customer_name`, `channel`, `rating`,
/// `text`, `language`; other columns go into the item's `source`). A row
/// with a problem becomes an error for that row only. Reading stops after
/// `max_rows + 1` rows (so the caller can refuse too long files).
pub fn parse_csv(bytes: &[u8], max_rows: usize) -> Result<Vec<Row>, ValidationError> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(bytes);
    let headers: Vec<String> = rdr
        .byte_headers()
        .map_err(|e| ValidationError::new("csv", format!("cannot read the CSV header: {e}")))?
        .iter()
        .map(|h| {
            String::from_utf8_lossy(h)
                .trim()
                .trim_start_matches('\u{feff}')
                .to_ascii_lowercase()
        })
        .collect();
    if !headers.iter().any(|h| h == "text") {
        return Err(ValidationError::new(
            "csv",
            "the CSV header must name a `text` column (and `customer_email` or `customer_id`)",
        ));
    }
    if !headers.iter().any(|h| h == "customer_email" || h == "customer_id") {
        return Err(ValidationError::new(
            "csv",
            "the CSV header must name a `customer_email` or `customer_id` column",
        ));
    }
    let mut rows = Vec::new();
    for (i, rec) in rdr.byte_records().enumerate() {
        let row = i + 1;
        if rows.len() > max_rows {
            break;
        }
        let parsed = rec
            .map_err(|e| ValidationError::new("", format!("cannot read this row: {e}")))
            .and_then(|rec| csv_row(&headers, &rec));
        rows.push((row, parsed));
    }
    Ok(rows)
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
        let v = std::str::from_utf8(raw)
            .map_err(|_| ValidationError::new(h.clone(), format!("{h} is not valid UTF-8")))?
            .trim();
        let some = || (!v.is_empty()).then(|| v.to_string());
        match h.as_str() {
            "customer_id" => {
                input.customer_id = some().map(|s| s.parse::<Uuid>()).transpose().map_err(|_| {
                    ValidationError::new("customer_id", format!("customer_id must be a UUID, got `{v}`"))
                })?;
            }
            "customer_email" => input.customer_email = some(),
            "customer_name" => input.customer_name = some(),
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

/// Imports a CSV file of any length (the CLI): batches of
/// [`BULK_MAX_ROWS`] rows, row numbers counted over the whole file.
pub async fn import_csv(state: &App, bytes: &[u8], actor: Option<UserId>) -> AppResult<BulkOutcome> {
    let rows = parse_csv(bytes, usize::MAX - 1)?;
    let mut total = BulkOutcome::default();
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let batch: Vec<_> = rows.by_ref().take(BULK_MAX_ROWS).collect();
        let out = ingest_many(state, batch, actor).await?;
        total.items.extend(out.items);
        total.errors.extend(out.errors);
    }
    Ok(total)
}
