//! Insight routing: teams (members, digest, channel webhook, rules), the
//! routing of new feedback and resolved cases into the teams' insight
//! inboxes, and an insight's states (open → acknowledged → fixed in a
//! release). Telling the reporters about a fix is `notify`. Which team and
//! cause a report gets is `amends_domain::insight`.

pub mod digest;
pub mod notify;

use crate::App;
use crate::error::{AppError, AppResult};
use amends_domain::insight::{self, Digest, InsightState, ReportFacts, TeamDraft, TeamRule};
use amends_domain::validate::Language;
use amends_domain::{CaseId, CustomerId, UserId};
use amends_store::{Fix, InsightFilter, InsightRow, NewReport, TeamRow};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::str::FromStr;
use utoipa::ToSchema;
use uuid::Uuid;

/// A mail of `body` (already in `lang`) to `to`, greeting `name`, in the
/// frame of every mail to a person.
pub(crate) fn letter(
    state: &App,
    lang: Language,
    (to, name): (String, String),
    subject: String,
    body: String,
) -> Result<crate::mail::OutgoingMail, String> {
    let (_, text, html) = crate::followup::render_mail(
        state,
        lang,
        "reply",
        minijinja::context! { name => name, greet => true, body => body },
    )?;
    Ok(crate::mail::OutgoingMail {
        to,
        subject,
        text,
        html,
        message_id: state.mailer().new_message_id(amends_store::new_row_id(state.now())),
        in_reply_to: None,
    })
}

/// One rule of a team.
#[derive(Debug, Clone, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleIn {
    /// What the rule looks at.
    #[schema(value_type = insight::RuleKind)]
    pub kind: String,
    /// A topic id (`delivery`), a component (`checkout`), a signal
    /// (`churn_intent`, `urgency`, `legal_threat`), an incident kind
    /// (`outage`) or an incident id.
    #[schema(min_length = 1, max_length = 100, pattern = r"\S")]
    pub value: String,
}

/// A team to add, or all of a team's settings.
#[derive(Debug, Clone, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TeamIn {
    /// 1 to 80 characters, unique.
    #[schema(min_length = 1, max_length = 80, pattern = r"\S")]
    pub name: String,
    /// The members' digest of new insights (default off).
    #[serde(default)]
    #[schema(value_type = Option<insight::Digest>)]
    pub digest: Option<String>,
    /// The language of the team's channel messages (default de).
    #[serde(default)]
    #[schema(pattern = "^(de|en)$")]
    pub language: Option<String>,
    /// A Slack/Teams-compatible incoming webhook (http or https; the
    /// outbound rules decide where it may go).
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub webhook_url: Option<String>,
    /// User ids of the members.
    #[serde(default)]
    #[schema(max_items = 200)]
    pub members: Vec<Uuid>,
    /// The rules in order, at most 30.
    #[serde(default)]
    #[schema(max_items = 30)]
    pub rules: Vec<RuleIn>,
}

/// A change of some of a team's settings; what is left out stays.
#[derive(Debug, Clone, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TeamPatch {
    #[schema(min_length = 1, max_length = 80, pattern = r"\S")]
    pub name: Option<String>,
    #[schema(value_type = Option<insight::Digest>)]
    pub digest: Option<String>,
    #[schema(pattern = "^(de|en)$")]
    pub language: Option<String>,
    /// An empty string removes the webhook.
    #[schema(max_length = 2000)]
    pub webhook_url: Option<String>,
    #[schema(max_items = 200)]
    pub members: Option<Vec<Uuid>>,
    #[schema(max_items = 30)]
    pub rules: Option<Vec<RuleIn>>,
}

impl TeamIn {
    /// The team as the domain reads it; the webhook checked against the
    /// outbound rules.
    pub fn draft(&self, state: &App) -> AppResult<TeamDraft> {
        let rules: Vec<(&str, &str)> = self.rules.iter().map(|r| (r.kind.as_str(), r.value.as_str())).collect();
        let webhook_url = match self.webhook_url.as_deref().map(str::trim).filter(|u| !u.is_empty()) {
            Some(u) => Some(check_webhook(state, u)?),
            None => None,
        };
        let mut members = self.members.clone();
        members.sort_unstable();
        members.dedup();
        Ok(TeamDraft {
            name: insight::parse_team_name(&self.name)?,
            digest: Digest::parse(self.digest.as_deref().unwrap_or("off"))?,
            language: Language::from_str(self.language.as_deref().unwrap_or("de"))?,
            webhook_url,
            members,
            rules: insight::parse_rules(&rules)?,
        })
    }
}

/// A team's channel webhook, checked the way webhook subscriptions are.
fn check_webhook(state: &App, url: &str) -> AppResult<String> {
    let parsed =
        reqwest::Url::parse(url).map_err(|e| AppError::validation("webhook_url", format!("not a URL: {e}")))?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() || url.len() > 2000 {
        return Err(AppError::validation("webhook_url", "an http:// or https:// address"));
    }
    crate::outbound::check_url(&parsed, &state.config().webhook_allow)
        .map_err(|e| AppError::validation("webhook_url", e))?;
    Ok(url.to_string())
}

/// A member of a team.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MemberOut {
    pub user_id: Uuid,
    pub name: String,
    pub email: Option<String>,
}

/// A team with its members and rules.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TeamOut {
    pub id: Uuid,
    pub name: String,
    #[schema(value_type = insight::Digest)]
    pub digest: String,
    pub language: String,
    pub webhook_url: Option<String>,
    pub members: Vec<MemberOut>,
    pub rules: Vec<RuleIn>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

async fn team_out(state: &App, t: TeamRow) -> AppResult<TeamOut> {
    let members = state
        .store()
        .team_members(Some(t.id))
        .await?
        .into_iter()
        .map(|m| MemberOut {
            user_id: m.user_id,
            name: m.name,
            email: m.email,
        })
        .collect();
    let rules = state
        .store()
        .all_team_rules()
        .await?
        .into_iter()
        .filter(|r| r.team_id == t.id)
        .map(|r| RuleIn {
            kind: r.kind,
            value: r.value,
        })
        .collect();
    Ok(TeamOut {
        id: t.id,
        name: t.name,
        digest: t.digest,
        language: t.language,
        webhook_url: t.webhook_url,
        members,
        rules,
        created_at: t.created_at,
        updated_at: t.updated_at,
    })
}

pub async fn list_teams(state: &App) -> AppResult<Vec<TeamOut>> {
    let mut out = Vec::new();
    for t in state.store().list_teams().await? {
        out.push(team_out(state, t).await?);
    }
    Ok(out)
}

/// A cause key (`topic:delivery`) in the reader's words: its kind and
/// its value ("Thema", "Lieferung").
#[must_use]
pub fn cause_words(i18n: &amends_i18n::catalog::I18n, lang: Language, cause: &str) -> (String, String) {
    let (kind, v) = cause.split_once(':').unwrap_or(("topic", cause));
    let kind_label = i18n.t(lang, &format!("ins-kind-{kind}"), &[]);
    let value = match kind {
        "topic" => crate::analytics::pattern_words::topic(i18n, lang, v),
        "incident_kind" => i18n.t(lang, &format!("incident-kind-{v}"), &[]),
        "signal" => i18n.t(lang, &format!("ins-signal-{v}"), &[]),
        _ => v.to_string(),
    };
    (kind_label, value)
}

/// A cause as one phrase for mails and channel posts: `Thema „Lieferung“`.
#[must_use]
pub fn cause_phrase(i18n: &amends_i18n::catalog::I18n, lang: Language, cause: &str) -> String {
    let (kind, value) = cause_words(i18n, lang, cause);
    i18n.t(
        lang,
        "ins-cause-phrase",
        &[
            ("kind", amends_i18n::FluentValue::from(kind)),
            ("value", amends_i18n::FluentValue::from(value)),
        ],
    )
}

pub async fn get_team(state: &App, id: Uuid) -> AppResult<TeamOut> {
    team_out(state, state.store().get_team(id).await?).await
}

pub async fn create_team(state: &App, body: &TeamIn, actor: UserId) -> AppResult<TeamOut> {
    let draft = body.draft(state)?;
    let id = state.store().create_team(&draft, Some(actor), state.now()).await?;
    get_team(state, id).await
}

/// Applies `patch` over the team's settings; the whole is checked again.
pub async fn update_team(state: &App, id: Uuid, patch: &TeamPatch, actor: UserId) -> AppResult<TeamOut> {
    let cur = get_team(state, id).await?;
    let body = TeamIn {
        name: patch.name.clone().unwrap_or(cur.name),
        digest: Some(patch.digest.clone().unwrap_or(cur.digest)),
        language: Some(patch.language.clone().unwrap_or(cur.language)),
        webhook_url: patch.webhook_url.clone().or(cur.webhook_url),
        members: patch
            .members
            .clone()
            .unwrap_or_else(|| cur.members.iter().map(|m| m.user_id).collect()),
        rules: patch.rules.clone().unwrap_or(cur.rules),
    };
    let draft = body.draft(state)?;
    state.store().update_team(id, &draft, Some(actor), state.now()).await?;
    get_team(state, id).await
}

pub async fn delete_team(state: &App, id: Uuid, actor: UserId) -> AppResult<()> {
    Ok(state.store().delete_team(id, Some(actor), state.now()).await?)
}

/// A report to route: a new feedback item or a resolved case.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// `feedback` or `case`.
    pub source: &'static str,
    pub source_id: Uuid,
    pub customer_id: Uuid,
    pub case_id: Option<Uuid>,
    pub topics: Vec<String>,
    pub signals: Vec<String>,
    pub component: Option<String>,
    pub incident_kind: Option<String>,
    pub incident_id: Option<Uuid>,
    pub at: Option<DateTime<Utc>>,
}

/// Every team's rules, read back (a stored rule that no longer reads is
/// left out).
async fn team_rules(state: &App) -> AppResult<Vec<(Uuid, Vec<TeamRule>)>> {
    let mut out: Vec<(Uuid, Vec<TeamRule>)> = Vec::new();
    for r in state.store().all_team_rules().await? {
        let Ok(rule) = TeamRule::parse(0, &r.kind, &r.value) else {
            continue;
        };
        match out.last_mut() {
            Some((t, rules)) if *t == r.team_id => rules.push(rule),
            _ => out.push((r.team_id, vec![rule])),
        }
    }
    Ok(out)
}

/// Files each report in the inbox of every team with a matching rule.
/// Gives the insights made.
pub async fn route(state: &App, reports: &[Report]) -> AppResult<Vec<Uuid>> {
    if reports.is_empty() {
        return Ok(Vec::new());
    }
    let teams = team_rules(state).await?;
    if teams.is_empty() {
        return Ok(Vec::new());
    }
    let now = state.now();
    let mut filed = Vec::new();
    for r in reports {
        let facts = ReportFacts {
            topics: &r.topics,
            component: r.component.as_deref(),
            signals: &r.signals,
            incident_kind: r.incident_kind.as_deref(),
            incident_id: r.incident_id,
        };
        for (team, rules) in &teams {
            if let Some(cause) = insight::cause_of(rules, &facts) {
                filed.push(NewReport {
                    team_id: *team,
                    cause_key: cause,
                    source: r.source,
                    source_id: r.source_id,
                    customer_id: CustomerId(r.customer_id),
                    case_id: r.case_id,
                    reported_at: r.at.unwrap_or(now),
                });
            }
        }
    }
    Ok(state.store().file_reports(&filed, now).await?)
}

/// Routes stored feedback; a failure is logged (the items are stored, the
/// inbox misses them), never the caller's error.
pub async fn route_feedback(state: &App, reports: Vec<Report>) {
    if let Err(e) = route(state, &reports).await {
        tracing::error!(error = %e, items = reports.len(), "routing feedback to team insights failed");
    }
}

/// How far back the daily sweep files stored feedback again.
pub const REFILE_HOURS: i64 = 48;

/// Files again the feedback written in the last [`REFILE_HOURS`]: what a
/// crash between storing an item and routing it, or a routing error, left
/// out of the teams' inboxes (filing is idempotent, so what was filed
/// stays as it is). Runs with the daily digest sweep. Gives the insights
/// this made.
pub async fn refile_recent_feedback(state: &App) -> AppResult<usize> {
    let mut after = amends_store::first_row_id_at(state.now() - chrono::Duration::hours(REFILE_HOURS));
    let mut made = 0;
    loop {
        let page = state.store().feedback_written_after(after, 500).await?;
        let Some(last) = page.last() else { break };
        after = last.id;
        let reports: Vec<Report> = page
            .iter()
            .map(|f| Report {
                source: "feedback",
                source_id: f.id,
                customer_id: f.customer_id,
                case_id: f.case_id,
                topics: serde_json::from_str(&f.topics).unwrap_or_default(),
                signals: serde_json::from_str(&f.signals).unwrap_or_default(),
                component: f.component.clone(),
                at: Some(f.created_at),
                ..Report::default()
            })
            .collect();
        made += route(state, &reports).await?.len();
    }
    Ok(made)
}

/// Routes a resolved case by its incident and the topics, signals and
/// component of its feedback.
pub async fn route_case(state: &App, case_id: CaseId) -> AppResult<Vec<Uuid>> {
    let case = state.store().get_case(case_id).await?;
    let mut report = Report {
        source: "case",
        source_id: case.id.0,
        customer_id: case.customer_id.0,
        case_id: Some(case.id.0),
        incident_id: case.incident_id,
        at: case.resolved_at,
        ..Report::default()
    };
    if let Some(inc) = case.incident_id {
        let i = state.store().get_incident(amends_domain::IncidentId(inc)).await?;
        report.incident_kind = Some(i.kind.as_str().to_string());
        report.component = i.component.clone();
    }
    for f in state.store().case_feedback_facts(case.id.0).await? {
        for t in serde_json::from_str::<Vec<String>>(&f.topics).unwrap_or_default() {
            if !report.topics.contains(&t) {
                report.topics.push(t);
            }
        }
        for s in serde_json::from_str::<Vec<String>>(&f.signals).unwrap_or_default() {
            if !report.signals.contains(&s) {
                report.signals.push(s);
            }
        }
        if report.component.is_none() {
            report.component = f.component;
        }
    }
    route(state, &[report]).await
}

/// Reacts to a domain event: a resolved case's summary goes to the teams
/// whose rules match (filed once however often the event runs); a new or
/// fixed insight is posted to its team's channel.
pub async fn on_event(
    state: &App,
    job: &amends_store::Job,
    e: &crate::jobs::DomainEvent,
    fx: &mut amends_store::JobEffects,
) -> Result<(), crate::jobs::Failure> {
    let resolved = e.kind == "case.state_changed" && e.data.get("to").and_then(|v| v.as_str()) == Some("resolved");
    if let (true, Some(case_id)) = (resolved, e.case_id) {
        route_case(state, case_id)
            .await
            .map_err(|err| crate::jobs::Failure::new(err.to_string()))?;
    }
    if e.kind.starts_with("insight.") {
        fx.jobs.extend(digest::channel_post(state, job.id, e).await?);
    }
    Ok(())
}

/// An insight in a team's inbox.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct InsightOut {
    pub id: Uuid,
    pub team_id: Uuid,
    pub team_name: String,
    /// The cause reports are grouped by: `topic:delivery`, `component:checkout`, …
    pub cause: String,
    #[schema(value_type = insight::InsightState)]
    pub state: String,
    /// The release the cause was fixed in.
    pub release: Option<String>,
    pub summary_de: Option<String>,
    pub summary_en: Option<String>,
    /// Reports (feedback items and resolved cases).
    pub reports: i64,
    /// Distinct customers who reported it.
    pub customers: i64,
    /// Customers told about the fix.
    pub notified: i64,
    pub first_seen: Option<DateTime<Utc>>,
    pub last_seen: Option<DateTime<Utc>>,
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub fixed_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl From<InsightRow> for InsightOut {
    fn from(r: InsightRow) -> Self {
        InsightOut {
            id: r.id,
            team_id: r.team_id,
            team_name: r.team_name,
            cause: r.cause_key,
            state: r.state,
            release: r.release,
            summary_de: r.summary_de,
            summary_en: r.summary_en,
            reports: r.reports,
            customers: r.customers,
            notified: r.notified,
            first_seen: r.first_seen,
            last_seen: r.last_seen,
            acknowledged_at: r.acknowledged_at,
            fixed_at: r.fixed_at,
            created_at: r.created_at,
        }
    }
}

/// One report of an insight.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReportOut {
    /// `feedback` or `case`.
    pub source: String,
    pub source_id: Uuid,
    pub customer_id: Uuid,
    pub customer_name: String,
    pub case_id: Option<Uuid>,
    /// The feedback text or the case subject.
    pub quote: Option<String>,
    pub reported_at: DateTime<Utc>,
}

/// An insight with its reports, newest first.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct InsightDetail {
    pub insight: InsightOut,
    pub reports: Vec<ReportOut>,
}

/// The inbox: one team's or all, in one state or all, newest first.
pub async fn list(state: &App, team: Option<Uuid>, st: Option<InsightState>, limit: i64) -> AppResult<Vec<InsightOut>> {
    let rows = state
        .store()
        .list_insights(&InsightFilter {
            team_id: team,
            state: st,
            created_since: None,
            limit,
        })
        .await?;
    Ok(rows.into_iter().map(InsightOut::from).collect())
}

pub async fn get(state: &App, id: Uuid) -> AppResult<InsightDetail> {
    let insight = state.store().get_insight(id).await?.into();
    let reports = state
        .store()
        .insight_reports(id)
        .await?
        .into_iter()
        .map(|r| ReportOut {
            source: r.source,
            source_id: r.source_id,
            customer_id: r.customer_id,
            customer_name: r.customer_name,
            case_id: r.case_id,
            quote: r.quote,
            reported_at: r.reported_at,
        })
        .collect();
    Ok(InsightDetail { insight, reports })
}

/// Moves an insight on, or says why not (409 with the states it may go to).
async fn move_to(state: &App, id: Uuid, next: InsightState, fix: &Fix<'_>, actor: UserId) -> AppResult<InsightOut> {
    let cur = state.store().get_insight(id).await?;
    let from: Vec<InsightState> = [InsightState::Open, InsightState::Acknowledged]
        .into_iter()
        .filter(|s| s.may_become(next))
        .collect();
    let moved = state
        .store()
        .set_insight_state(id, &from, next, fix, Some(actor), state.now())
        .await?;
    if !moved {
        let allowed = [InsightState::Acknowledged, InsightState::Fixed]
            .into_iter()
            .filter(|n| cur.state.parse::<InsightState>().is_ok_and(|c| c.may_become(*n)))
            .map(|n| n.as_str().to_string())
            .collect();
        return Err(AppError::Conflict {
            detail: format!("the insight is {}; it cannot become {}", cur.state, next.as_str()),
            field: None,
            allowed: Some(allowed),
        });
    }
    state.wake_workers();
    Ok(state.store().get_insight(id).await?.into())
}

pub async fn acknowledge(state: &App, id: Uuid, actor: UserId) -> AppResult<InsightOut> {
    move_to(state, id, InsightState::Acknowledged, &Fix::default(), actor).await
}

/// A fix: the release and, optionally, what the reporters are told was fixed.
#[derive(Debug, Clone, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FixedIn {
    /// 1 to 60 characters (e.g. `2.4.1`).
    #[schema(min_length = 1, max_length = 60, pattern = r"\S")]
    pub release: String,
    /// What was fixed, in German (at most 500 characters).
    #[serde(default)]
    #[schema(max_length = 500)]
    pub summary_de: Option<String>,
    /// What was fixed, in English (at most 500 characters).
    #[serde(default)]
    #[schema(max_length = 500)]
    pub summary_en: Option<String>,
}

pub async fn fixed(state: &App, id: Uuid, body: &FixedIn, actor: UserId) -> AppResult<InsightOut> {
    let release = insight::parse_release(&body.release)?;
    let de = amends_domain::validate::optional_text("summary_de", body.summary_de.as_deref(), 500)?;
    let en = amends_domain::validate::optional_text("summary_en", body.summary_en.as_deref(), 500)?;
    let fix = Fix {
        release: Some(&release),
        summary_de: de.as_ref().map(|t| t.as_str()),
        summary_en: en.as_ref().map(|t| t.as_str()),
    };
    move_to(state, id, InsightState::Fixed, &fix, actor).await
}
