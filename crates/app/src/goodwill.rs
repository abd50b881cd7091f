//! Goodwill use cases shared by the API and the UI: grants within the
//! empowerment limit, approval requests, decisions, the case assessment
//! and the ledger as CSV.

use crate::App;
use crate::error::{AppError, AppResult};
use amends_domain::assessment::{self, Assessment, AssessmentInput};
use amends_domain::goodwill::{
    Decision, EmpowermentLimit, GoodwillKind, GrantState, Refusal, decide_approval_in_budget, decide_grant_in_budget,
    parse_currency, parse_value_cents,
};
use amends_domain::{CaseId, NonEmptyText, Priority, Role, UserId};
use amends_store::{CatalogEntry, CatalogInput, GoodwillRule, Grant, NewGrant, User, month_of, new_row_id};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// The longest reason accepted.
pub const REASON_MAX: usize = 2_000;

/// A grant request as it comes from the API or a form.
#[derive(Debug, Clone, Default)]
pub struct GrantRequest {
    pub catalog_item_id: Option<Uuid>,
    pub kind: Option<String>,
    pub value_cents: Option<i64>,
    pub currency: Option<String>,
    pub reason: String,
}

/// Prior cases of the customer within this window count as prior failures.
pub const PRIOR_FAILURE_WINDOW_DAYS: i64 = 365;

/// A reason for the ledger: not blank, at most [`REASON_MAX`] characters,
/// no control characters.
fn reason(field: &str, text: &str) -> AppResult<String> {
    if text.trim().is_empty() {
        return Err(AppError::validation(
            field,
            format!("{field} is required: say why (it goes into the ledger)"),
        ));
    }
    Ok(NonEmptyText::parse(field, text, REASON_MAX)?.into_inner())
}

/// Grants goodwill on a case (or requests approval above the limit).
pub async fn grant(state: &App, case: CaseId, req: GrantRequest, by: &User) -> AppResult<Grant> {
    let reason = reason("reason", &req.reason)?;
    let (item_id, kind, value, currency) = if let Some(id) = req.catalog_item_id {
        let item = state.store().get_catalog_item(id).await.map_err(|e| match e {
            amends_store::StoreError::NotFound(_) => {
                AppError::validation("catalog_item_id", "no catalog item with this id")
            }
            e => e.into(),
        })?;
        if !item.active {
            return Err(AppError::validation(
                "catalog_item_id",
                "this catalog item is no longer offered",
            ));
        }
        (Some(item.id), item.kind, item.value_cents, item.currency)
    } else {
        let kind: GoodwillKind = req
            .kind
            .as_deref()
            .ok_or_else(|| AppError::validation("kind", "give catalog_item_id, or kind with value_cents and currency"))?
            .parse()?;
        let value = req
            .value_cents
            .ok_or_else(|| AppError::validation("value_cents", "value_cents is required with kind"))?;
        let value = parse_value_cents("value_cents", value)?;
        let currency = parse_currency("currency", req.currency.as_deref().unwrap_or("EUR"))?;
        (None, kind, value, currency)
    };
    let limit = state.store().limit_for(by.role).await?;
    let role = by.role;
    let new = NewGrant {
        case_id: case,
        catalog_item_id: item_id,
        kind,
        value_cents: value,
        currency,
        reason,
        requested_by: by.id,
        at: state.now(),
        rule_id: None,
        automatic: None,
    };
    let grant = state
        .store()
        .grant_goodwill(&new, |s| {
            decide_grant_in_budget(role, &limit, value, s.month_cents, s.case_cents, s.budget.as_ref())
        })
        .await?
        .map_err(|r| AppError::validation("value_cents", r.to_string()))?;
    if grant.state == GrantState::Pending {
        notify_approvers(state, &grant, by).await?;
    }
    Ok(grant)
}

/// Why `g` was given, in `lang`: the person's words, or the rule's reason.
#[must_use]
pub fn grant_reason(i18n: &amends_i18n::I18n, lang: amends_domain::Language, g: &Grant) -> String {
    g.automatic.0.as_ref().map_or_else(
        || g.reason.clone(),
        |r| amends_i18n::reasons::automatic_text(i18n, lang, r),
    )
}

/// Why `g` waits (or waited) for approval, in `lang` (empty when it did not).
#[must_use]
pub fn approval_reason(i18n: &amends_i18n::I18n, lang: amends_domain::Language, g: &Grant) -> String {
    g.approval.0.as_ref().map_or_else(
        || g.approval_reason.clone().unwrap_or_default(),
        |r| amends_i18n::reasons::approval_text(i18n, lang, r),
    )
}

/// `grants` with their reasons (`reason` of a rule's grant,
/// `approval_reason`) rendered in `lang`; the codes stay in `automatic`
/// and `approval`.
pub fn localize(i18n: &amends_i18n::I18n, lang: amends_domain::Language, grants: &mut [Grant]) {
    for g in grants {
        g.reason = grant_reason(i18n, lang, g);
        if g.approval.0.is_some() {
            g.approval_reason = Some(approval_reason(i18n, lang, g));
        }
    }
}

/// Tells every active lead and admin with an email address (except the
/// requester) that a grant waits for approval, in their language, through
/// the outbox (one mail per approver and grant). The approvals queue is the
/// durable record; the mail is queued right after the grant is stored.
async fn notify_approvers(state: &App, grant: &Grant, by: &User) -> AppResult<()> {
    let now = state.now();
    let link = format!("{}/goodwill/approvals", state.config().base_url.trim_end_matches('/'));
    for u in state.store().list_users().await? {
        let Some(to) = u.email.clone() else { continue };
        if !u.active || u.id == by.id || !u.role.can(amends_domain::Permission::ApproveGoodwill) {
            continue;
        }
        let (subject, text, html) = crate::followup::render_mail(
            state,
            u.language,
            "approval",
            minijinja::context! {
                name => u.display_name.clone(),
                requester => by.display_name.clone(),
                value => amends_i18n::format::format_money(grant.value_cents, u.language),
                case_subject => grant.case_subject.clone(),
                reason => grant_reason(state.mail_renderer().i18n(), u.language, grant),
                why => approval_reason(state.mail_renderer().i18n(), u.language, grant),
                link => link.clone(),
            },
        )
        .map_err(AppError::internal)?;
        let job_id = amends_store::new_row_id(now);
        let task = crate::jobs::Task::Mail(crate::jobs::MailTask {
            case_id: Some(CaseId(grant.case_id)),
            purpose: "approval".into(),
            author_id: None,
            mail: crate::mail::OutgoingMail {
                to,
                subject,
                text,
                html,
                message_id: state.mailer().new_message_id(job_id),
                in_reply_to: None,
            },
            recorded: false,
        });
        let job = task.job(
            state,
            now,
            Some(format!("approval:{}:{}", grant.id, u.id.0)),
            Some(CaseId(grant.case_id)),
        );
        state.store().enqueue_job(&job, now).await?;
    }
    state.wake_workers();
    Ok(())
}

/// Approves or rejects a pending request. Nobody decides their own request,
/// an approver's own limit must cover the grant, and a lead's approval must
/// keep the month within its budget (admins may exceed it).
pub async fn decide(state: &App, id: Uuid, approve: bool, reason_text: &str, by: &User) -> AppResult<Grant> {
    decide_or_refuse(state, id, approve, reason_text, by)
        .await?
        .map_err(|r| AppError::Forbidden(r.to_string()))
}

/// [`decide`], with a refusal as its code (pages show it in the reader's
/// language).
pub async fn decide_or_refuse(
    state: &App,
    id: Uuid,
    approve: bool,
    reason_text: &str,
    by: &User,
) -> AppResult<Result<Grant, Refusal>> {
    let reason = reason("reason", reason_text)?;
    let limit = state.store().limit_for(by.role).await?;
    let (role, me) = (by.role, by.id);
    state
        .store()
        .decide_goodwill(id, approve, by.id, &reason, state.now(), |g, s| {
            let own = g.requested_by == me.0;
            if approve {
                decide_approval_in_budget(
                    role,
                    own,
                    &limit,
                    g.value_cents,
                    s.month_cents,
                    s.case_cents,
                    s.budget.as_ref(),
                )
            } else if own {
                Decision::Rejected {
                    reason: Refusal::OwnRequest,
                }
            } else {
                Decision::GrantNow
            }
        })
        .await
        .map_err(AppError::from)
}

/// The assessment of a case from its stored facts.
pub async fn assess(state: &App, case: CaseId) -> AppResult<(Assessment, AssessmentInput)> {
    let c = state.store().get_case(case).await?;
    assess_case(state, &c).await
}

/// [`assess`] for a case already read.
async fn assess_case(state: &App, c: &amends_store::Case) -> AppResult<(Assessment, AssessmentInput)> {
    let case = c.id;
    let customer = state.store().get_customer(c.customer_id).await?;
    let from = c.created_at - chrono::Duration::days(PRIOR_FAILURE_WINDOW_DAYS);
    let prior = state
        .store()
        .count_prior_cases(c.customer_id, from, c.created_at, case)
        .await?;
    let severity = c.severity.map_or_else(
        || match c.priority {
            Priority::Low => 1,
            Priority::Normal => 2,
            Priority::High => 3,
            Priority::Urgent => 4,
        },
        |s| u8::try_from(s.clamp(1, 4)).unwrap_or(2),
    );
    let churn_signal = state.store().case_has_churn_signal(case).await?;
    let churn_risk = if customer.churned_at.is_some() || churn_signal {
        0.8
    } else if prior > 1 {
        0.5
    } else {
        0.2
    };
    let input = AssessmentInput {
        severity,
        prior_failures: u32::try_from(prior).unwrap_or(u32::MAX),
        controllable: c.controllable.unwrap_or(false),
        tier: customer.tier,
        clv_cents: customer.clv_cents,
        churn_risk,
    };
    Ok((assessment::assess(&input), input))
}

/// Applies the active goodwill rules for cases to cases just committed by
/// another use case (opening a case, taking feedback): for each case, the
/// first rule (by position) whose condition holds grants its catalog item,
/// once per rule and case, requested in the name of whoever saved the rule
/// last. Empowerment limits do not apply (the rule is an admin's policy);
/// the monthly budget does: a grant over it waits for a lead's approval.
/// A failure is logged, not returned, since the cases are stored either
/// way. Returns whether any rule granted (or requested) goodwill.
pub async fn after_cases_opened(state: &App, cases: impl IntoIterator<Item = CaseId>) -> bool {
    use amends_domain::goodwill_rule::RuleScope;
    let rules: Vec<GoodwillRule> = match state.store().list_goodwill_rules(true).await {
        Ok(rules) => rules
            .into_iter()
            .filter(|r| r.applies_to == RuleScope::Case.as_str())
            .collect(),
        Err(e) => {
            tracing::warn!(error = %e, "automatic goodwill rules could not be read");
            return false;
        }
    };
    if rules.is_empty() {
        return false;
    }
    let mut granted = false;
    for case in cases {
        match apply_case_rules(state, case, &rules).await {
            Ok(g) => granted |= g.is_some(),
            Err(e) => tracing::warn!(case = %case.0, error = %e, "automatic goodwill rules for a new case failed"),
        }
    }
    granted
}

/// The first of `rules` (case rules, by position) that matches `case` grants.
async fn apply_case_rules(state: &App, case: CaseId, rules: &[GoodwillRule]) -> AppResult<Option<Grant>> {
    use amends_domain::goodwill_rule::{CaseSubject, Condition};
    let c = state.store().get_case(case).await?;
    let (assessment, input) = assess_case(state, &c).await?;
    let subject = CaseSubject {
        origin: c.origin,
        channel: c.channel,
        priority: c.priority,
        tier: input.tier,
        language: c.customer_language,
        severity: input.severity,
        repeat_failure: assessment.repeated,
        controllable: c.controllable,
        clv_cents: input.clv_cents,
        prior_cases: i64::from(input.prior_failures),
    };
    for r in rules {
        let Ok(condition) = r.condition.parse::<Condition>() else {
            tracing::warn!(rule = %r.id, "goodwill rule with an unreadable condition skipped");
            continue;
        };
        if !condition.matches_case(&subject) {
            continue;
        }
        let Some(owner) = r.updated_by else {
            tracing::warn!(rule = %r.id, "case goodwill rule without an owner skipped; save it again");
            continue;
        };
        let kind: GoodwillKind = r.item_kind.parse()?;
        let why = amends_domain::goodwill::AutomaticReason::CaseRule {
            rule: r.name.clone(),
            condition: r.condition.clone(),
        };
        let new = NewGrant {
            case_id: case,
            catalog_item_id: Some(r.catalog_item_id),
            kind,
            value_cents: r.value_cents,
            currency: r.currency.clone(),
            reason: why.to_string(),
            requested_by: amends_domain::UserId(owner),
            at: state.now(),
            rule_id: Some(r.id),
            automatic: Some(why),
        };
        let grant = state
            .store()
            .grant_goodwill(&new, |s| {
                match s.budget.as_ref().and_then(|b| b.exceeded(r.value_cents)) {
                    Some(breach) => Decision::NeedsApproval {
                        reason: amends_domain::goodwill::ApprovalReason::budget(r.value_cents, breach),
                    },
                    None => Decision::GrantNow,
                }
            })
            .await?;
        return Ok(grant.ok());
    }
    Ok(None)
}

/// Cells that a spreadsheet would run as a formula get a leading `'`
/// (CSV injection; reasons are free text).
fn cell(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_string()
    }
}

/// The ledger as CSV: who, when, why, approved by.
pub fn ledger_csv(grants: &[Grant]) -> AppResult<String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "id",
        "created_at",
        "case_id",
        "customer",
        "kind",
        "value_cents",
        "currency",
        "state",
        "requested_by",
        "reason",
        "decided_by",
        "decision_reason",
        "decided_at",
    ])
    .map_err(AppError::internal)?;
    for g in grants {
        w.write_record([
            g.id.to_string(),
            g.created_at.to_rfc3339(),
            g.case_id.to_string(),
            cell(&g.customer_name),
            g.kind.as_str().to_string(),
            g.value_cents.to_string(),
            g.currency.clone(),
            g.state.as_str().to_string(),
            cell(&g.requested_by_name),
            cell(&g.reason),
            cell(g.decided_by_name.as_deref().unwrap_or_default()),
            cell(g.decision_reason.as_deref().unwrap_or_default()),
            g.decided_at.map(|d| d.to_rfc3339()).unwrap_or_default(),
        ])
        .map_err(AppError::internal)?;
    }
    let bytes = w.into_inner().map_err(AppError::internal)?;
    String::from_utf8(bytes).map_err(AppError::internal)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CatalogIn {
    /// voucher, discount, refund, upgrade, waived_fee, sla_credit, gift, handwritten_note
    #[schema(pattern = "^(voucher|discount|refund|upgrade|waived_fee|sla_credit|gift|handwritten_note)$")]
    pub kind: String,
    /// 1 to 200 characters.
    pub name_de: String,
    /// 1 to 200 characters.
    pub name_en: String,
    /// Minor units (cents), 0 to 1,000,000,000.
    #[schema(minimum = 0, maximum = 1_000_000_000)]
    pub value_cents: i64,
    /// ISO 4217, e.g. `EUR` (default).
    #[schema(pattern = "^[A-Za-z]{3}$")]
    #[serde(default = "eur")]
    pub currency: String,
    #[serde(default = "yes")]
    pub active: bool,
}

/// The longest name of a catalog item, in either language.
pub const CATALOG_NAME_MAX: usize = 200;

pub fn eur() -> String {
    "EUR".into()
}

fn yes() -> bool {
    true
}

impl CatalogIn {
    pub fn validate(&self) -> AppResult<CatalogInput> {
        let name = |f: &str, v: &str| -> AppResult<String> {
            Ok(amends_domain::NonEmptyText::parse(f, v, CATALOG_NAME_MAX)?.into_inner())
        };
        Ok(CatalogInput {
            kind: self.kind.parse::<GoodwillKind>()?,
            name_de: name("name_de", &self.name_de)?,
            name_en: name("name_en", &self.name_en)?,
            value_cents: parse_value_cents("value_cents", self.value_cents)?,
            currency: parse_currency("currency", &self.currency)?,
            active: self.active,
        })
    }
}

/// Adds an item to the goodwill catalog.
pub async fn create_catalog_item(state: &App, body: &CatalogIn, actor: UserId) -> AppResult<CatalogEntry> {
    let item = body.validate()?;
    let now = state.now();
    Ok(state
        .store()
        .upsert_catalog_item(new_row_id(now), &item, actor, now)
        .await?)
}

/// Replaces catalog item `id`; `active: false` retires it.
pub async fn update_catalog_item(state: &App, id: Uuid, body: &CatalogIn, actor: UserId) -> AppResult<CatalogEntry> {
    let item = body.validate()?;
    state.store().get_catalog_item(id).await?;
    Ok(state.store().upsert_catalog_item(id, &item, actor, state.now()).await?)
}

/// Retires catalog item `id`, or brings it back.
pub async fn toggle_catalog_item(state: &App, id: Uuid, actor: UserId) -> AppResult<CatalogEntry> {
    let cur = state.store().get_catalog_item(id).await?;
    let item = CatalogInput {
        kind: cur.kind,
        name_de: cur.name_de,
        name_en: cur.name_en,
        value_cents: cur.value_cents,
        currency: cur.currency,
        active: !cur.active,
    };
    Ok(state.store().upsert_catalog_item(id, &item, actor, state.now()).await?)
}

/// Sets the empowerment limits of the given roles.
pub async fn set_limits(state: &App, limits: &[(Role, EmpowermentLimit)], actor: UserId) -> AppResult<()> {
    for (role, limit) in limits {
        state.store().set_limit(*role, limit, actor, state.now()).await?;
    }
    Ok(())
}

/// Sets the budget of the month that contains `at`.
pub async fn set_budget(
    state: &App,
    at: chrono::DateTime<chrono::Utc>,
    amount_cents: i64,
    currency: &str,
    actor: UserId,
) -> AppResult<()> {
    let (_, _, month) = month_of(at);
    Ok(state
        .store()
        .set_budget(&month, amount_cents, currency, actor, state.now())
        .await?)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BudgetOut {
    /// `YYYY-MM`
    pub month: String,
    /// `null` when no budget is set for the month.
    pub amount_cents: Option<i64>,
    pub currency: String,
    /// Granted this month, computed live.
    pub spent_cents: i64,
    pub remaining_cents: Option<i64>,
}

pub async fn budget_for(state: &App, at: chrono::DateTime<chrono::Utc>) -> AppResult<BudgetOut> {
    let (from, to, month) = month_of(at);
    let b = state.store().get_budget(&month).await?;
    let spent = state.store().goodwill_spent(from, to).await?;
    Ok(BudgetOut {
        month,
        amount_cents: b.as_ref().map(|b| b.amount_cents),
        currency: b.map_or_else(|| "EUR".into(), |b| b.currency),
        spent_cents: spent,
        remaining_cents: None,
    }
    .with_remaining())
}

impl BudgetOut {
    fn with_remaining(mut self) -> Self {
        self.remaining_cents = self.amount_cents.map(|a| a - self.spent_cents);
        self
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn formulas_are_defused() {
        assert_eq!(super::cell("=HYPERLINK(1)"), "'=HYPERLINK(1)");
        assert_eq!(super::cell("Paket"), "Paket");
    }
}
