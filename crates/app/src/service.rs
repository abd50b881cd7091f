//! Use cases shared by the API, the UI and the CLI: validation of raw input
//! into domain values, id and time assignment, and the store call.

use crate::App;
use crate::error::{AppError, AppResult};
use amends_domain::sla::{DueDates, SlaTargets};
use amends_domain::validate::optional_text;
use amends_domain::{
    AccountId, CaseId, Channel, CustomerId, Email, Language, NonEmptyText, Origin, Priority, Tier, TokenId, UserId,
    ValidationError,
};
use amends_store::{Account, Case, Customer, CustomerPatch, NewCase, NewCustomer, RouteRequest, User};
use uuid::Uuid;

pub const SUBJECT_MAX: usize = 200;
pub const DESCRIPTION_MAX: usize = 20_000;
pub const NOTE_MAX: usize = 20_000;
pub const NAME_MAX: usize = 200;
pub const EXTERNAL_ID_MAX: usize = 100;
pub const USERNAME_MAX: usize = 64;

/// `raw` parsed, or `default` where it is absent or blank.
pub(crate) fn parse_or<T: std::str::FromStr>(raw: Option<&str>, default: T) -> Result<T, T::Err> {
    raw.filter(|s| !s.trim().is_empty()).map_or(Ok(default), str::parse)
}

/// Keeps the value, or records the error and gives `None`.
fn keep<T>(errors: &mut Vec<ValidationError>, r: Result<T, ValidationError>) -> Option<T> {
    r.map_err(|e| errors.push(e)).ok()
}

/// Raw customer fields as a client sent them.
#[derive(Debug, Clone, Default)]
pub struct CustomerInput {
    pub external_id: Option<String>,
    pub name: String,
    pub email: Option<String>,
    pub language: Option<String>,
    pub tier: Option<String>,
    pub clv_cents: Option<i64>,
    pub account_id: Option<Uuid>,
    pub consent_contact: Option<bool>,
    pub consent_survey: Option<bool>,
}

impl CustomerInput {
    /// Validates every field; returns all problems, one per field.
    pub fn validate(&self, state: &App) -> Result<NewCustomer, Vec<ValidationError>> {
        let now = state.now();
        let mut errors = Vec::new();
        let external_id = keep(
            &mut errors,
            optional_text("external_id", self.external_id.as_deref(), EXTERNAL_ID_MAX),
        );
        let name = keep(&mut errors, NonEmptyText::parse("name", &self.name, NAME_MAX));
        let email = keep(
            &mut errors,
            match self.email.as_deref().map(str::trim) {
                None | Some("") => Ok(None),
                Some(e) => Email::parse(e).map(Some),
            },
        );
        let language = keep(
            &mut errors,
            parse_or(self.language.as_deref(), state.config().default_language),
        );
        let tier = keep(&mut errors, parse_or(self.tier.as_deref(), Tier::Standard));
        let clv = keep(
            &mut errors,
            amends_domain::customer::parse_clv_cents("clv_cents", self.clv_cents.unwrap_or(0)),
        );
        if !errors.is_empty() {
            return Err(errors);
        }
        let (Some(external_id), Some(name), Some(email), Some(language), Some(tier), Some(clv_cents)) =
            (external_id, name, email, language, tier, clv)
        else {
            return Err(errors);
        };
        Ok(NewCustomer {
            id: CustomerId(amends_store::new_row_id(now)),
            external_id: external_id.map(NonEmptyText::into_inner),
            account_id: self.account_id.map(AccountId),
            name,
            email,
            language,
            tier,
            clv_cents,
            consent_contact: self.consent_contact.unwrap_or(true),
            consent_survey: self.consent_survey.unwrap_or(true),
            created_at: now,
        })
    }
}

/// The first error of a list, as an API error.
pub fn first_error(errors: Vec<ValidationError>) -> AppError {
    errors
        .into_iter()
        .next()
        .map_or_else(|| AppError::validation("", "invalid input"), AppError::from)
}

pub async fn create_customer(state: &App, input: &CustomerInput, actor: Option<UserId>) -> AppResult<Customer> {
    let new = input.validate(state).map_err(first_error)?;
    Ok(state.store().insert_customer(&new, actor).await?)
}

/// Creates the customer with the input's external id, or updates the one
/// that has it; `true` when it was created.
pub async fn upsert_customer(state: &App, input: &CustomerInput, actor: UserId) -> AppResult<(Customer, bool)> {
    let new = input.validate(state).map_err(first_error)?;
    Ok(state.store().upsert_customer_by_external_id(&new, Some(actor)).await?)
}

/// Changes the fields of customer `id` that `patch` names.
pub async fn update_customer(state: &App, id: CustomerId, patch: &CustomerPatch, actor: UserId) -> AppResult<Customer> {
    let c = state
        .store()
        .update_customer(id, patch, Some(actor), state.now())
        .await?;
    // An accepted tier offer whose tier the customer now has is converted.
    state.store().convert_tier_offers(id, state.now()).await?;
    Ok(c)
}

/// Creates a B2B account (company) named `name`.
pub async fn create_account(state: &App, name: &str, actor: UserId) -> AppResult<Account> {
    let name = NonEmptyText::parse("name", name, NAME_MAX)?;
    let now = state.now();
    let id = AccountId(amends_store::new_row_id(now));
    Ok(state.store().insert_account(id, &name, now, Some(actor)).await?)
}

/// Renames account `id` to `name`.
pub async fn rename_account(state: &App, id: AccountId, name: &str, actor: UserId) -> AppResult<Account> {
    let name = NonEmptyText::parse("name", name, NAME_MAX)?;
    Ok(state
        .store()
        .rename_account(id, &name, state.now(), Some(actor))
        .await?)
}

/// Raw case fields as a client sent them.
#[derive(Debug, Clone, Default)]
pub struct CaseInput {
    pub customer_id: Option<Uuid>,
    pub subject: String,
    pub description: Option<String>,
    pub channel: String,
    pub priority: Option<String>,
    pub assignee_id: Option<Uuid>,
}

pub struct ValidCase {
    pub customer_id: CustomerId,
    pub subject: NonEmptyText,
    pub description: String,
    pub channel: Channel,
    pub priority: Priority,
    pub assignee_id: Option<UserId>,
}

impl CaseInput {
    pub fn validate(&self) -> Result<ValidCase, Vec<ValidationError>> {
        let mut errors = Vec::new();
        let customer = keep(
            &mut errors,
            self.customer_id
                .map(CustomerId)
                .ok_or_else(|| ValidationError::new("customer_id", "customer_id is required")),
        );
        let subject = keep(&mut errors, NonEmptyText::parse("subject", &self.subject, SUBJECT_MAX));
        let raw_description = self.description.as_deref().unwrap_or_default();
        let description = raw_description.trim().to_string();
        // The sent length counts, as the document's `maxLength` says.
        if raw_description.chars().count() > DESCRIPTION_MAX {
            errors.push(ValidationError::new(
                "description",
                format!("description must be at most {DESCRIPTION_MAX} characters"),
            ));
        }
        let channel = keep(&mut errors, self.channel.parse::<Channel>());
        let priority = keep(&mut errors, parse_or(self.priority.as_deref(), Priority::Normal));
        match (customer, subject, channel, priority) {
            (Some(customer_id), Some(subject), Some(channel), Some(priority)) if errors.is_empty() => Ok(ValidCase {
                customer_id,
                subject,
                description,
                channel,
                priority,
                assignee_id: self.assignee_id.map(UserId),
            }),
            _ => Err(errors),
        }
    }
}

/// Opens a case: SLA due dates from the customer's tier and the priority.
pub async fn open_case(state: &App, v: ValidCase, origin: Origin, actor: Option<UserId>) -> AppResult<Case> {
    let customer = state.store().get_customer(v.customer_id).await.map_err(|e| match e {
        amends_store::StoreError::NotFound(_) => AppError::validation(
            "customer_id",
            format!(
                "no customer with id {}; create it first with POST /api/v1/customers",
                v.customer_id
            ),
        ),
        e => e.into(),
    })?;
    let now = state.now();
    let due = due_dates(state, customer.tier, v.priority, now).await?;
    // The case's topics (for skill-based routing) from its text.
    let topics = if v.assignee_id.is_none() {
        let text = format!("{}\n{}", v.subject.as_str(), v.description);
        state
            .analyzer()
            .analyze(&text, Some(crate::analysis::to_text_lang(customer.language)))
            .topics
    } else {
        Vec::new()
    };
    let new = NewCase {
        id: CaseId(amends_store::new_row_id(now)),
        customer_id: v.customer_id,
        subject: v.subject,
        description: v.description,
        channel: v.channel,
        origin,
        priority: v.priority,
        tier: customer.tier,
        assignee_id: v.assignee_id,
        due,
        created_at: now,
        author: actor,
        route: Some(RouteRequest {
            language: customer.language,
            topics,
        }),
    };
    let case = state.store().insert_case(&new).await.map_err(|e| match e {
        amends_store::StoreError::NotFound("assignee") => {
            AppError::validation("assignee_id", "no active user with this id")
        }
        e => e.into(),
    })?;
    if crate::goodwill::after_cases_opened(state, [case.id]).await {
        // A rule granted goodwill: the case's `updated_at` moved.
        return Ok(state.store().get_case(case.id).await?);
    }
    Ok(case)
}

/// Validates a note body.
pub fn note_body(raw: &str) -> Result<NonEmptyText, ValidationError> {
    NonEmptyText::parse("body", raw, NOTE_MAX)
}

/// Changes the priority of a case and recomputes its due dates from its start.
pub async fn due_for_priority(state: &App, case: &Case, priority: Priority) -> AppResult<DueDates> {
    due_dates(state, case.tier, priority, case.created_at).await
}

/// The targets and calendar of the SLA policy for `tier` × `priority`: the
/// stored policy, else the built-in targets around the clock.
pub async fn sla_policy(
    state: &App,
    tier: Tier,
    priority: Priority,
) -> AppResult<(SlaTargets, amends_domain::calendar::Calendar)> {
    use amends_domain::calendar::Calendar;
    match state.store().get_sla_policy(tier, priority).await? {
        None => Ok((SlaTargets::default_for(tier, priority), Calendar::AlwaysOpen)),
        Some(p) => {
            let targets = SlaTargets {
                first_response: chrono::Duration::minutes(p.first_response_minutes),
                resolution: chrono::Duration::minutes(p.resolution_minutes),
            };
            Ok((targets, crate::sla::stored_calendar(&p)?))
        }
    }
}

/// Due dates of a case started at `start` under its SLA policy.
pub async fn due_dates(
    state: &App,
    tier: Tier,
    priority: Priority,
    start: chrono::DateTime<chrono::Utc>,
) -> AppResult<DueDates> {
    let (targets, calendar) = sla_policy(state, tier, priority).await?;
    // A calendar that never opens again (validated against, but possible by holidays) falls back to 24/7.
    Ok(DueDates::on_calendar(start, targets, &calendar).unwrap_or_else(|| DueDates::from_start(start, targets)))
}

/// Raw fields of a new user.
#[derive(Debug, Clone)]
pub struct UserInput {
    pub username: String,
    pub display_name: Option<String>,
    pub email: Option<String>,
    pub role: String,
    pub language: Option<String>,
    pub password: String,
}

/// Validates and creates a user with an argon2 password hash.
pub async fn create_user(
    store: &amends_store::Store,
    now: chrono::DateTime<chrono::Utc>,
    input: UserInput,
    actor: Option<UserId>,
) -> AppResult<amends_store::User> {
    let username = NonEmptyText::parse("username", &input.username, USERNAME_MAX)?;
    if !username
        .as_str()
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'))
    {
        return Err(AppError::validation(
            "username",
            "username may contain only letters a–z, digits and . _ - @",
        ));
    }
    let display_name = NonEmptyText::parse(
        "display_name",
        input.display_name.as_deref().unwrap_or(username.as_str()),
        NAME_MAX,
    )?;
    let email = match input.email.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(e) => Some(Email::parse(e)?.to_string()),
    };
    let role: amends_domain::Role = input.role.parse()?;
    let language = parse_or(input.language.as_deref(), Language::De)?;
    crate::password::check_strength(&input.password)?;
    let password_hash = crate::password::hash(input.password)
        .await
        .map_err(AppError::internal)?;
    let new = amends_store::NewUser {
        id: UserId(amends_store::new_row_id(now)),
        username,
        display_name,
        email,
        role,
        language,
        password_hash,
        created_at: now,
    };
    Ok(store.insert_user(&new, actor).await?)
}

/// Creates an API token for `user`; returns the stored record and the
/// plain token, which is shown once and never stored.
pub async fn create_token(
    store: &amends_store::Store,
    now: chrono::DateTime<chrono::Utc>,
    user: UserId,
    name: &str,
    actor: Option<UserId>,
) -> AppResult<(amends_store::ApiToken, String)> {
    let name = NonEmptyText::parse("name", name, 100)?;
    let token = crate::secret::new_api_token();
    let rec = store
        .insert_token(user, &name, &crate::secret::hash_secret(&token), now, actor)
        .await?;
    Ok((rec, token))
}

/// Revokes one of `user`'s own API tokens.
pub async fn revoke_token(state: &App, user: UserId, id: TokenId) -> AppResult<()> {
    Ok(state.store().revoke_token(user, id, state.now()).await?)
}

/// Sets the language `user` sees the UI in.
pub async fn set_language(state: &App, user: UserId, lang: Language) -> AppResult<User> {
    Ok(state.store().set_user_language(user, lang, state.now()).await?)
}

/// A new login session: the secret for the cookie (the store keeps only its
/// hash) and the session's CSRF token.
pub struct NewSession {
    pub secret: String,
    pub csrf: String,
}

/// Signs `user` in: a session that lasts `session_hours` from now.
pub async fn open_session(state: &App, user: UserId) -> AppResult<NewSession> {
    let now = state.now();
    let secret = crate::secret::random_secret();
    let csrf = crate::secret::random_secret();
    let expires = now + chrono::Duration::hours(i64::from(state.config().session_hours));
    state
        .store()
        .insert_session(&crate::secret::hash_secret(&secret), user, &csrf, now, expires)
        .await?;
    Ok(NewSession { secret, csrf })
}

/// Signs out: ends the session whose secret hashes to `session_hash`.
pub async fn close_session(state: &App, session_hash: &str) -> AppResult<()> {
    Ok(state.store().delete_session(session_hash).await?)
}
