//! The fan-out planner: for one chunk of affected customers it decides in
//! memory — which customers get a new case or join an open one, the SLA
//! due dates per tier, the automatic goodwill by the incident's rules, and
//! the notices to send. No I/O; the upload writes what it plans.

use super::*;
use crate::App;
use crate::error::AppResult;
use crate::jobs::{MessageTask, Task};
use amends_domain::calendar::Calendar;
use amends_domain::goodwill::{AutomaticGrant, GoodwillKind, GrantState};
use amends_domain::goodwill_rule::{Condition, Subject};
use amends_domain::incident::{self as inc, Facts};
use amends_domain::sla::{DueDates, SlaTargets};
use amends_domain::{CaseId, CaseState, Channel, IncidentId, Language, Origin, Priority, Tier, UserId};
use amends_store::{
    AffectedOutcome, AutoGrant, CaseRecord, EventKind, EventRecord, FanOutPlan, Incident, NewJob, PendingAffected,
    new_row_id,
};
use chrono::{DateTime, Utc};
use serde_json::json;
use std::collections::HashMap;
use uuid::Uuid;

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
        for r in incident_rules.filter(|r| r.applies_to == amends_domain::goodwill_rule::RuleScope::Incident.as_str()) {
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
            let (tier, language) = (a.tier, a.language);
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
                        repeat_failure: None,
                        controllable: Some(i.controllable),
                        created_at: now,
                        updated_at: now,
                        incident_id: Some(i.id.0),
                    });
                    (id.0, true)
                }
            };
            if let (Some(r), Some(gid)) = (rule, grant_id) {
                let why = amends_domain::goodwill::AutomaticReason::IncidentRule {
                    rule: r.rule.name.clone(),
                    incident: i.title.clone(),
                };
                p.grants.push(AutoGrant {
                    id: gid,
                    case_id,
                    customer_id: a.customer_id,
                    catalog_item_id: r.rule.catalog_item_id,
                    kind: r.kind,
                    value_cents: r.rule.value_cents,
                    currency: r.rule.currency.clone(),
                    reason: why.to_string(),
                    reason_details: serde_json::to_string(&why).unwrap_or_default(),
                    rule_id: r.rule.id,
                    requested_by: self.actor.0,
                    pending_reason: None,
                    pending_details: None,
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
pub(super) fn message_job(
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
