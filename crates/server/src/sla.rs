//! SLA policies as data: validation shared by the API and the UI.

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use amends_domain::calendar::CalendarSpec;
use amends_domain::sla::SlaTargets;
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
pub async fn effective_policies(state: &AppState) -> ApiResult<Vec<EffectivePolicy>> {
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

/// Validates and stores a policy. Targets are 1 minute to 365 days; the
/// first response may not be due after the resolution; the calendar must
/// have open hours and no overlaps.
pub async fn set_policy(
    state: &AppState,
    tier: Tier,
    priority: Priority,
    first_response_minutes: i64,
    resolution_minutes: i64,
    calendar: Option<CalendarSpec>,
    actor: UserId,
) -> ApiResult<SlaPolicy> {
    let max = 365 * 24 * 60;
    for (field, v) in [
        ("first_response_minutes", first_response_minutes),
        ("resolution_minutes", resolution_minutes),
    ] {
        if !(1..=max).contains(&v) {
            return Err(ApiError::validation(
                field,
                format!("{field} must be between 1 and {max} minutes, got {v}"),
            ));
        }
    }
    if first_response_minutes > resolution_minutes {
        return Err(ApiError::validation(
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
            .map_err(ApiError::internal)?,
        updated_at: state.now(),
    };
    Ok(state.store().upsert_sla_policy(&policy, Some(actor)).await?)
}
