//! Detection use cases shared by the API, the UI and the CLI: validate
//! feedback, find or create the customer, analyse the text, run the
//! detection rules and store the item with the case a rule asked for.

use crate::App;
use crate::analysis::{audience_of, from_text_lang, from_text_sentiment, to_text_lang};
use crate::error::{AppError, AppResult};
use amends_domain::calendar::Calendar;
use amends_domain::detection::{self, Conditions, Facts, RuleAction};
use amends_domain::feedback::{Rating, SentimentLabel, analysed_part, feedback_text, whole_feedback_text};
use amends_domain::sla::{DueDates, SlaTargets};
use amends_domain::{
    CaseId, Channel, CustomerId, Email, FeedbackId, Language, NonEmptyText, Origin, Priority, Tier, UserId,
    ValidationError,
};
use amends_store::{
    Customer, Detection, DetectionRule, NewCase, NewCustomer, NewFeedback, RouteRequest, RuleInput, WriteSession,
    Written,
};
use std::collections::HashMap;
use uuid::Uuid;

/// Most items in one bulk request or import call.
pub const BULK_MAX_ROWS: usize = 10_000;
/// The longest customer name a feedback item may bring.
pub const CUSTOMER_NAME_MAX: usize = 200;

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
    /// The product component the item is about (at most 100 characters),
    /// when the source knows it.
    pub component: Option<String>,
    /// Keep the text whole however long (email): analysis reads its first
    /// `FEEDBACK_TEXT_MAX` characters. Otherwise a longer text is refused.
    pub whole_text: bool,
    /// The open case this item is about (`#3f9a12c4` or `3f9a12c4`): an
    /// `attach_or_open` rule adds it there. Without it a reference in the
    /// text counts.
    pub case_reference: Option<String>,
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
    reference: Option<String>,
    component: Option<String>,
}

impl FeedbackInput {
    fn validate(self) -> Result<ValidFeedback, ValidationError> {
        // A given address must be one, even where `customer_id` names the customer.
        let email = match self.customer_email.as_deref().map(str::trim) {
            Some(e) if !e.is_empty() => Some(Email::parse(e).map_err(|e| e.for_field("customer_email"))?),
            _ => None,
        };
        let customer = match (self.customer_id, email) {
            (Some(id), _) => CustomerRef::Id(CustomerId(id)),
            (None, Some(e)) => CustomerRef::Email(e),
            _ => {
                return Err(ValidationError::new(
                    "customer_id",
                    "give customer_id or customer_email (an unknown email creates the customer)",
                ));
            }
        };
        let customer_name =
            amends_domain::validate::optional_text("customer_name", self.customer_name.as_deref(), CUSTOMER_NAME_MAX)?;
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
        // As the API document says: empty or `#` and 8 hex digits, nothing around them.
        let reference = match self.case_reference.as_deref() {
            Some(r) if !r.is_empty() && r.trim() == r => {
                Some(amends_domain::attach::parse_reference("case_reference", r)?)
            }
            Some(r) if !r.is_empty() => {
                return Err(amends_domain::ValidationError::new(
                    "case_reference",
                    "a case reference is 8 hexadecimal digits, e.g. #3f9a12c4",
                ));
            }
            _ => amends_domain::attach::reference_in(&text),
        };
        let component = amends_domain::validate::optional_text("component", self.component.as_deref(), 100)?
            .map(|c| c.as_str().to_string());
        Ok(ValidFeedback {
            customer,
            customer_name,
            channel,
            rating,
            text,
            language,
            source,
            reference,
            component,
        })
    }
}

/// One numbered input row: the item, or why it could not be read.
pub type Row = (usize, Result<FeedbackInput, ValidationError>);

/// One numbered input row with its import key (see [`ingest_keyed`]).
#[derive(Debug)]
pub struct KeyedRow {
    pub row: usize,
    pub key: Option<Vec<u8>>,
    pub input: Result<FeedbackInput, ValidationError>,
}

/// A valid item with its analysis, waiting for its customer.
struct Analysed {
    row: usize,
    key: Option<Vec<u8>>,
    v: ValidFeedback,
    analysis: amends_text::Analysis,
    language: Language,
}

/// Items a chunk analyses on one thread before it uses more.
const ANALYSE_PER_THREAD: usize = 64;

/// Analyses the texts of `valid` (on all cores for a long chunk).
async fn analyse(
    analyzer: &amends_text::Analyzer,
    valid: Vec<(usize, Option<Vec<u8>>, ValidFeedback)>,
) -> AppResult<Vec<Analysed>> {
    fn one(analyzer: &amends_text::Analyzer, (row, key, v): (usize, Option<Vec<u8>>, ValidFeedback)) -> Analysed {
        let analysis = analyzer
            .clone()
            .with_audience(audience_of(v.channel))
            .analyze(analysed_part(&v.text), v.language.map(to_text_lang));
        let language = v.language.unwrap_or_else(|| from_text_lang(analysis.language));
        Analysed {
            row,
            key,
            v,
            analysis,
            language,
        }
    }
    if valid.len() <= ANALYSE_PER_THREAD {
        return Ok(valid.into_iter().map(|x| one(analyzer, x)).collect());
    }
    let analyzer = analyzer.clone();
    tokio::task::spawn_blocking(move || {
        let threads = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
        let valid_len = valid.len();
        let parts = chunks(valid, valid_len.div_ceil(threads).max(ANALYSE_PER_THREAD));
        std::thread::scope(|s| {
            let handles: Vec<_> = parts
                .into_iter()
                .map(|part| {
                    let analyzer = &analyzer;
                    s.spawn(move || part.into_iter().map(|x| one(analyzer, x)).collect::<Vec<_>>())
                })
                .collect();
            handles.into_iter().flat_map(|h| h.join().unwrap_or_default()).collect()
        })
    })
    .await
    .map_err(AppError::internal)
}

/// Works through chunks of items: validation, analysis, customers (found
/// or created in bulk), detection rules and SLA due dates.
pub struct Ingest<'a> {
    state: &'a App,
    rules: Vec<DetectionRule>,
    compiled: Vec<detection::Rule>,
    /// SLA targets and calendar per tier and priority, read once.
    sla: HashMap<(Tier, Priority), (SlaTargets, Calendar)>,
    actor: Option<UserId>,
    /// The customers planned by the chunk before, by lower-case address:
    /// while that chunk is written, the next one does not find them yet.
    planned: HashMap<String, NewCustomer>,
}

/// What an item's rules and its case need to know of its customer.
#[derive(Debug, Clone)]
struct ItemCustomer {
    id: CustomerId,
    tier: Tier,
    clv_cents: i64,
    language: Language,
}

impl From<&Customer> for ItemCustomer {
    fn from(c: &Customer) -> Self {
        Self {
            id: c.id,
            tier: c.tier,
            clv_cents: c.clv_cents,
            language: c.language,
        }
    }
}

impl From<&NewCustomer> for ItemCustomer {
    fn from(c: &NewCustomer) -> Self {
        Self {
            id: c.id,
            tier: c.tier,
            clv_cents: c.clv_cents,
            language: c.language,
        }
    }
}

/// A chunk of items ready to store: the customers to create for it (see
/// `amends_store::Store::insert_feedback`) and the items by row number.
#[derive(Debug, Default)]
pub struct Prepared {
    pub customers: Vec<NewCustomer>,
    pub items: Vec<(usize, NewFeedback)>,
    pub actor: Option<UserId>,
}

/// A row error from an [`AppError`] a row caused; other errors stop the batch.
fn row_error(row: usize, e: AppError) -> Result<RowError, AppError> {
    match e {
        AppError::Validation { field, message } => Ok(RowError { row, field, message }),
        AppError::NotFound(what) => Ok(RowError {
            row,
            field: String::new(),
            message: format!("{what} not found"),
        }),
        AppError::Conflict { detail, field, .. } => Ok(RowError {
            row,
            field: field.unwrap_or_default(),
            message: detail,
        }),
        e => Err(e),
    }
}

impl<'a> Ingest<'a> {
    /// Reads the detection rules.
    pub async fn new(state: &'a App, actor: Option<UserId>) -> AppResult<Self> {
        let rules = state.store().list_rules().await?;
        let compiled = rules.iter().map(DetectionRule::to_rule).collect();
        Ok(Self {
            state,
            rules,
            compiled,
            sla: HashMap::new(),
            actor,
            planned: HashMap::new(),
        })
    }

    /// Due dates of a case of this tier and priority opened `now`.
    async fn due(&mut self, tier: Tier, priority: Priority, now: chrono::DateTime<chrono::Utc>) -> AppResult<DueDates> {
        if !self.sla.contains_key(&(tier, priority)) {
            let policy = crate::service::sla_policy(self.state, tier, priority).await?;
            self.sla.insert((tier, priority), policy);
        }
        let (targets, calendar) = &self.sla[&(tier, priority)];
        // A calendar that never opens again falls back to 24/7 (as `service::due_dates`).
        Ok(DueDates::on_calendar(now, *targets, calendar).unwrap_or_else(|| DueDates::from_start(now, *targets)))
    }

    /// The customers of `items` by id or lower-case email, and the
    /// customers to create for addresses not found (planned here, created
    /// with the items; a customer planned by the chunk before is planned
    /// again). Items naming an unknown id become row errors.
    async fn customers(&mut self, items: &[Analysed]) -> AppResult<(HashMap<String, ItemCustomer>, Vec<NewCustomer>)> {
        let mut ids: Vec<Uuid> = Vec::new();
        let mut emails: Vec<String> = Vec::new();
        for a in items {
            match &a.v.customer {
                CustomerRef::Id(id) => ids.push(id.0),
                CustomerRef::Email(e) => emails.push(e.as_str().to_lowercase()),
            }
        }
        ids.sort_unstable();
        ids.dedup();
        emails.sort_unstable();
        emails.dedup();
        let store = self.state.store();
        let mut found: HashMap<String, ItemCustomer> = HashMap::new();
        for c in store.customers_by_ids(&ids).await? {
            found.insert(c.id.to_string(), ItemCustomer::from(&c));
        }
        if !emails.is_empty() {
            for c in store.customers_by_emails(&emails).await? {
                if let Some(e) = &c.email {
                    found.insert(e.to_lowercase(), ItemCustomer::from(&c));
                }
            }
        }
        let mut before = std::mem::take(&mut self.planned);
        for a in items {
            let CustomerRef::Email(email) = &a.v.customer else {
                continue;
            };
            let key = email.as_str().to_lowercase();
            if found.contains_key(&key) {
                continue;
            }
            let planned = match before.remove(&key) {
                Some(c) => c,
                None => {
                    let name = a.v.customer_name.as_ref().map_or_else(
                        || email.as_str().split('@').next().unwrap_or("customer").to_string(),
                        |n| n.as_str().to_string(),
                    );
                    let input = crate::service::CustomerInput {
                        name,
                        email: Some(email.as_str().to_string()),
                        language: Some(a.language.code().to_string()),
                        ..crate::service::CustomerInput::default()
                    };
                    let Ok(c) = input.validate(self.state) else {
                        continue;
                    };
                    c
                }
            };
            found.insert(key.clone(), ItemCustomer::from(&planned));
            self.planned.insert(key, planned);
        }
        Ok((found, self.planned.values().cloned().collect()))
    }

    /// Validates, analyses and runs the rules on a chunk of rows. Gives
    /// the items to store and the rows that could not be taken.
    pub async fn prepare(&mut self, rows: Vec<KeyedRow>) -> AppResult<(Prepared, Vec<RowError>)> {
        let mut errors = Vec::new();
        let mut valid = Vec::with_capacity(rows.len());
        for KeyedRow { row, key, input } in rows {
            match input.and_then(FeedbackInput::validate) {
                Ok(v) => valid.push((row, key, v)),
                Err(e) => errors.push(row_error(row, e.into())?),
            }
        }
        let analysed = analyse(&self.state.analyzer(), valid).await?;
        let (customers, planned) = self.customers(&analysed).await?;
        let mut ready = Vec::with_capacity(analysed.len());
        for a in analysed {
            let key = match &a.v.customer {
                CustomerRef::Id(id) => id.to_string(),
                CustomerRef::Email(e) => e.as_str().to_lowercase(),
            };
            let Some(customer) = customers.get(&key) else {
                let e = match &a.v.customer {
                    CustomerRef::Id(id) => AppError::validation(
                        "customer_id",
                        format!("no customer with id {id}; use customer_email to create customers on the fly"),
                    ),
                    CustomerRef::Email(e) => AppError::validation(
                        "customer_email",
                        format!("no customer could be created for `{}`", e.as_str()),
                    ),
                };
                errors.push(row_error(a.row, e)?);
                continue;
            };
            let row = a.row;
            let customer = customer.clone();
            ready.push((row, self.item(a, &customer).await?));
        }
        Ok((
            Prepared {
                customers: planned,
                items: ready,
                actor: self.actor,
            },
            errors,
        ))
    }

    /// The item of `a` from `customer`, with what its rule asks for.
    async fn item(&mut self, a: Analysed, customer: &ItemCustomer) -> AppResult<NewFeedback> {
        let Analysed {
            key,
            v,
            analysis,
            language,
            ..
        } = a;
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
        let matched = detection::evaluate(&self.compiled, &facts);
        let detection = match matched {
            Some(m) => {
                let rule = &self.rules[m.index];
                let (rule_id, rule_name, action, priority) = (rule.id, rule.name.clone(), rule.action, rule.priority);
                let due = self.due(customer.tier, priority, now).await?;
                Some(Detection {
                    rule_id,
                    rule_name,
                    reasons: m.reasons,
                    action,
                    case: FeedbackCase {
                        text: &v.text,
                        channel: v.channel,
                        priority,
                        topics: analysis.topics.clone(),
                    }
                    .new_case(now, customer, due, self.actor),
                })
            }
            None => None,
        };
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
            component: v.component,
            created_at: now,
            author: self.actor,
            detection,
            import_key: key,
            reference: v.reference,
        })
    }
}

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
        customer: &ItemCustomer,
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

/// A new case for a customer message split out of another case (see
/// `case_merge::split`): subject and description from the text, routed by
/// the customer's language and the message's topics.
pub(crate) fn case_for_message(
    text: &str,
    channel: Channel,
    priority: Priority,
    topics: Vec<String>,
    (now, customer, due, author): (chrono::DateTime<chrono::Utc>, &Customer, DueDates, Option<UserId>),
) -> NewCase {
    FeedbackCase {
        text,
        channel,
        priority,
        topics,
    }
    .new_case(now, &ItemCustomer::from(customer), due, author)
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

/// Takes one feedback item: stores it and opens or attaches a case if a rule says so.
pub async fn ingest_one(state: &App, input: FeedbackInput, actor: Option<UserId>) -> AppResult<Ingested> {
    let mut ingest = Ingest::new(state, actor).await?;
    let (mut ready, errors) = ingest
        .prepare(vec![KeyedRow {
            row: 1,
            key: None,
            input: Ok(input),
        }])
        .await?;
    if let Some(e) = errors.into_iter().next() {
        return Err(AppError::validation(e.field, e.message));
    }
    let Some((_, item)) = ready.items.pop() else {
        return Err(AppError::internal("a prepared item went missing"));
    };
    let id = item.id;
    let mut items = [item];
    let written = state
        .store()
        .insert_feedback(&ready.customers, &mut items, actor)
        .await?;
    let [item_copy] = items;
    let case_id = match written.first() {
        Some(Written::Stored(case)) => *case,
        _ => None,
    };
    if let Some(Written::Stored(case)) = written.first() {
        crate::insights::route_feedback(state, vec![insight_report(&item_copy, *case)]).await;
    }
    crate::goodwill::after_cases_opened(state, case_id).await;
    Ok(Ingested { id, case_id })
}

/// The outcome of a bulk request or an import.
#[derive(Debug, Clone, Default)]
pub struct BulkOutcome {
    pub items: Vec<(usize, Ingested)>,
    /// Rows whose import key was stored already (nothing written).
    pub duplicates: Vec<usize>,
    pub errors: Vec<RowError>,
}

/// Takes many items; rows with problems are reported and skipped, the
/// good rows are stored (in chunks, each chunk one transaction).
pub async fn ingest_many(state: &App, rows: Vec<Row>, actor: Option<UserId>) -> AppResult<BulkOutcome> {
    let rows = rows
        .into_iter()
        .map(|(row, input)| KeyedRow { row, key: None, input })
        .collect();
    ingest_keyed(state, rows, actor).await
}

/// [`ingest_many`] for rows with import keys: a row whose key is stored
/// already is counted in `duplicates` and written not again.
pub async fn ingest_keyed(state: &App, rows: Vec<KeyedRow>, actor: Option<UserId>) -> AppResult<BulkOutcome> {
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
    for chunk in chunks(rows, amends_store::FEEDBACK_CHUNK) {
        let (ready, errors) = ingest.prepare(chunk).await?;
        out.errors.extend(errors);
        let part = write_prepared(state, ready, None).await?;
        out.items.extend(part.items);
        out.duplicates.extend(part.duplicates);
    }
    out.errors.sort_by_key(|e| e.row);
    Ok(out)
}

/// `rows` in parts of at most `size`.
pub(crate) fn chunks<T>(rows: Vec<T>, size: usize) -> Vec<Vec<T>> {
    let mut out = Vec::with_capacity(rows.len().div_ceil(size.max(1)));
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        out.push(rows.by_ref().take(size.max(1)).collect());
    }
    out
}

/// Stores prepared items in one transaction (on `session` when given)
/// and runs the automatic goodwill of the cases they opened.
pub async fn write_prepared(
    state: &App,
    ready: Prepared,
    session: Option<&mut WriteSession>,
) -> AppResult<BulkOutcome> {
    let Prepared {
        customers,
        items: ready,
        actor,
    } = ready;
    let (rows, mut items): (Vec<usize>, Vec<NewFeedback>) = ready.into_iter().unzip();
    let written = match session {
        Some(s) => s.insert_feedback(&customers, &mut items, actor).await?,
        None => state.store().insert_feedback(&customers, &mut items, actor).await?,
    };
    let mut out = BulkOutcome::default();
    let mut reports = Vec::new();
    for ((row, f), w) in rows.into_iter().zip(items).zip(written) {
        match w {
            Written::Stored(case_id) => {
                reports.push(insight_report(&f, case_id));
                out.items.push((row, Ingested { id: f.id, case_id }));
            }
            Written::Duplicate => out.duplicates.push(row),
        }
    }
    // The cases the items opened or were added to, each once.
    let mut cases: Vec<CaseId> = out.items.iter().filter_map(|(_, i)| i.case_id).collect();
    cases.sort_unstable_by_key(|c| c.0);
    cases.dedup();
    crate::insights::route_feedback(state, reports).await;
    crate::goodwill::after_cases_opened(state, cases).await;
    Ok(out)
}

/// A stored item as the insight routing reads it.
fn insight_report(f: &NewFeedback, case_id: Option<CaseId>) -> crate::insights::Report {
    crate::insights::Report {
        source: "feedback",
        source_id: f.id.0,
        customer_id: f.customer_id.0,
        case_id: case_id.map(|c| c.0),
        topics: f.topics.clone(),
        signals: f.signals.clone(),
        component: f.component.clone(),
        at: Some(f.created_at),
        ..crate::insights::Report::default()
    }
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
    .new_case(now, &ItemCustomer::from(&customer), due, actor);
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
