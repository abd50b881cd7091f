//! SLA policies as data: validation shared by the API and the UI.

use crate::App;
use crate::error::{AppError, AppResult};
use amends_domain::calendar::{Calendar, CalendarSpec};
use amends_domain::sla::{PolicyCalendars, SlaTargets};
use amends_domain::{Priority, Tier, UserId};
use amends_store::SlaPolicy;
use serde::Serialize;

/// The effective policy of one tier × priority (stored or built in).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct EffectivePolicy {
    pub tier: String,
    pub priority: String,
    pub first_response_minutes: i64,
    pub resolution_minutes: i64,
    /// Business hours; absent = around the clock.
    #[schema(value_type = Option<Object>)]
    pub calendar: Option<CalendarSpec>,
    /// `custom` (set by an admin) or `default` (built in).
    pub source: String,
}

/// All twelve tier × priority policies, stored ones replacing the defaults.
pub async fn effective_policies(state: &App) -> AppResult<Vec<EffectivePolicy>> {
    let stored = state.store().list_sla_policies().await?;
    let mut out = Vec::new();
    for &tier in Tier::ALL {
        for &priority in Priority::ALL {
            let p = match stored.iter().find(|p| p.tier == tier && p.priority == priority) {
                Some(p) => EffectivePolicy {
                    tier: tier.as_str().into(),
                    priority: priority.as_str().into(),
                    first_response_minutes: p.first_response_minutes,
                    resolution_minutes: p.resolution_minutes,
                    calendar: p.calendar.as_deref().and_then(|c| serde_json::from_str(c).ok()),
                    source: "custom".into(),
                },
                None => {
                    let t = SlaTargets::default_for(tier, priority);
                    EffectivePolicy {
                        tier: tier.as_str().into(),
                        priority: priority.as_str().into(),
                        first_response_minutes: t.first_response.num_minutes(),
                        resolution_minutes: t.resolution.num_minutes(),
                        calendar: None,
                        source: "default".into(),
                    }
                }
            };
            out.push(p);
        }
    }
    Ok(out)
}

/// The calendar of a stored policy (around the clock without one).
pub(crate) fn stored_calendar(p: &SlaPolicy) -> AppResult<Calendar> {
    match p.calendar.as_deref() {
        None => Ok(Calendar::AlwaysOpen),
        Some(json) => serde_json::from_str::<CalendarSpec>(json)
            .map_err(AppError::internal)?
            .build()
            .map_err(|e| AppError::internal(format!("stored SLA calendar {}/{}: {e}", p.tier, p.priority))),
    }
}

/// The calendars of all stored policies, for measuring business time.
pub async fn policy_calendars(state: &App) -> AppResult<PolicyCalendars> {
    let mut out = PolicyCalendars::default();
    for p in state.store().list_sla_policies().await? {
        out.insert(p.tier, p.priority, stored_calendar(&p)?);
    }
    Ok(out)
}

/// Validates and stores a policy. Targets are 1 minute to 365 days; the
/// first response may not be due after the resolution; the calendar must
/// have open hours and no overlaps.
pub async fn set_policy(
    state: &App,
    tier: Tier,
    priority: Priority,
    first_response_minutes: i64,
    resolution_minutes: i64,
    calendar: Option<CalendarSpec>,
    actor: UserId,
) -> AppResult<SlaPolicy> {
    let max = 365 * 24 * 60;
    for (field, v) in [
        ("first_response_minutes", first_response_minutes),
        ("resolution_minutes", resolution_minutes),
    ] {
        if !(1..=max).contains(&v) {
            return Err(AppError::validation(
                field,
                format!("{field} must be between 1 and {max} minutes, got {v}"),
            ));
        }
    }
    if first_response_minutes > resolution_minutes {
        return Err(AppError::validation(
            "first_response_minutes",
            "the first response cannot be due after the resolution",
        ));
    }
    if let Some(spec) = &calendar {
        spec.build()?;
    }
    let policy = SlaPolicy {
        tier,
        priority,
        first_response_minutes,
        resolution_minutes,
        calendar: calendar
            .map(|c| serde_json::to_string(&c))
            .transpose()
            .map_err(AppError::internal)?,
        updated_at: state.now(),
    };
    Ok(state.store().upsert_sla_policy(&policy, Some(actor)).await?)
}

/// The SLA sweep: warns before a running clock is due and escalates when it
/// broke (priority one step up, flagged for a lead, on the timeline).
pub async fn sweep(state: &App) -> Result<amends_store::JobEffects, crate::jobs::Failure> {
    use amends_domain::sla::{DueDates, Escalation, escalation};
    let now = state.now();
    let warn = state.config().sla_warn_before;
    let candidates = state
        .store()
        .sla_candidates(now + warn, 500)
        .await
        .map_err(|e| crate::jobs::Failure {
            error: e.to_string(),
            ..crate::jobs::Failure::default()
        })?;
    for c in candidates {
        let due = DueDates {
            first_response_due_at: c.first_response_due_at,
            resolution_due_at: c.resolution_due_at,
        };
        let Some(esc) = escalation(
            now,
            warn,
            c.first_responded_at.is_some(),
            due,
            c.sla_warned_for.as_deref(),
            c.sla_breached_for.as_deref(),
        ) else {
            continue;
        };
        let (what, clock, key) = match &esc {
            Escalation::Warn { clock, key } => ("warning", *clock, key.clone()),
            Escalation::Breach { clock, key } => ("breached", *clock, key.clone()),
        };
        let due_at = match clock {
            amends_domain::sla::Clock::FirstResponse => c.first_response_due_at,
            amends_domain::sla::Clock::Resolution => c.resolution_due_at,
        };
        let raised = c.priority.raised();
        let event = amends_store::NewEvent {
            kind: amends_store::EventKind::Sla,
            author: None,
            body: None,
            data: serde_json::json!({"what": what, "clock": clock, "due_at": due_at,
                "priority": matches!(esc, Escalation::Breach { .. }).then_some(raised)}),
            at: now,
        };
        let (warned, breach) = match &esc {
            Escalation::Warn { .. } => (Some(key.as_str()), None),
            Escalation::Breach { .. } => (None, Some((key.as_str(), raised))),
        };
        if let Err(e) = state
            .store()
            .record_sla_escalation(amends_domain::CaseId(c.id), warned, breach, &event)
            .await
        {
            tracing::warn!(case = %c.id, error = %e, "cannot record an SLA escalation");
        }
    }
    Ok(amends_store::JobEffects::default())
}

/// Share of SLAs met in a group of cases.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct Attainment {
    /// What the row is about: a policy (`premium/high`), an agent, or `all`.
    pub label: String,
    pub cases: i64,
    pub first_response_met: i64,
    pub first_response_due: i64,
    /// Percent of judged first responses that were in time (absent if none was due yet).
    pub first_response_pct: Option<f64>,
    pub resolution_met: i64,
    pub resolution_due: i64,
    pub resolution_pct: Option<f64>,
}

impl Attainment {
    /// Adds `s` to the row `label` of `rows`, a new row if there is none yet.
    fn add_to(rows: &mut std::collections::BTreeMap<String, Attainment>, label: String, s: &amends_store::SlaStat) {
        rows.entry(label.clone())
            .or_insert_with(|| Attainment {
                label,
                ..Attainment::default()
            })
            .add(s);
    }

    fn add(&mut self, s: &amends_store::SlaStat) {
        self.cases += s.cases;
        self.first_response_met += s.first_met;
        self.first_response_due += s.first_due;
        self.resolution_met += s.resolution_met;
        self.resolution_due += s.resolution_due;
    }

    fn finish(mut self) -> Self {
        let pct = |met: i64, due: i64| (due > 0).then(|| (met as f64) * 100.0 / (due as f64));
        self.first_response_pct = pct(self.first_response_met, self.first_response_due);
        self.resolution_pct = pct(self.resolution_met, self.resolution_due);
        self
    }
}

/// SLA attainment of the cases created in `[from, to)`: overall, per policy, per agent.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SlaReport {
    pub from: chrono::DateTime<chrono::Utc>,
    pub to: chrono::DateTime<chrono::Utc>,
    pub total: Attainment,
    pub by_policy: Vec<Attainment>,
    pub by_agent: Vec<Attainment>,
}

pub async fn report(
    state: &App,
    from: chrono::DateTime<chrono::Utc>,
    to: chrono::DateTime<chrono::Utc>,
) -> AppResult<SlaReport> {
    if to <= from {
        return Err(AppError::validation("to", "`to` must be after `from`"));
    }
    let stats = state.store().sla_stats(from, to, state.now()).await?;
    let mut total = Attainment {
        label: "all".into(),
        ..Attainment::default()
    };
    let mut policies: std::collections::BTreeMap<String, Attainment> = std::collections::BTreeMap::new();
    let mut agents: std::collections::BTreeMap<String, Attainment> = std::collections::BTreeMap::new();
    for s in &stats {
        total.add(s);
        Attainment::add_to(&mut policies, format!("{}/{}", s.tier, s.priority), s);
        Attainment::add_to(&mut agents, s.assignee_name.clone().unwrap_or_else(|| "—".into()), s);
    }
    Ok(SlaReport {
        from,
        to,
        total: total.finish(),
        by_policy: policies.into_values().map(Attainment::finish).collect(),
        by_agent: agents.into_values().map(Attainment::finish).collect(),
    })
}
