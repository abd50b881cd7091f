//! What a customer keeps when a duplicate of them is merged into them: the
//! survivor's own values win; what the survivor lacks comes from the
//! duplicate; tier and value take the higher of the two; a consent holds
//! only if both gave it; the customer is a customer since the earlier of
//! the two and has churned only if both have (then at the later time).

use crate::customer::Tier;
use crate::ids::AccountId;
use chrono::{DateTime, Utc};

/// The fields of a customer a merge decides on (the name and language are
/// always the survivor's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MergeProfile {
    pub email: Option<String>,
    pub external_id: Option<String>,
    pub account_id: Option<AccountId>,
    pub tier: Tier,
    pub clv_cents: i64,
    pub consent_contact: bool,
    pub consent_survey: bool,
    pub created_at: DateTime<Utc>,
    pub churned_at: Option<DateTime<Utc>>,
}

/// The rank of a tier: standard < premium < enterprise.
fn rank(t: Tier) -> u8 {
    match t {
        Tier::Standard => 0,
        Tier::Premium => 1,
        Tier::Enterprise => 2,
    }
}

/// The survivor's profile after the duplicate `dup` merged into `keep`.
#[must_use]
pub fn merged_profile(keep: &MergeProfile, dup: &MergeProfile) -> MergeProfile {
    let filled = |a: &Option<String>, b: &Option<String>| {
        a.clone()
            .filter(|s| !s.trim().is_empty())
            .or_else(|| b.clone().filter(|s| !s.trim().is_empty()))
    };
    MergeProfile {
        email: filled(&keep.email, &dup.email),
        external_id: filled(&keep.external_id, &dup.external_id),
        account_id: keep.account_id.or(dup.account_id),
        tier: if rank(dup.tier) > rank(keep.tier) {
            dup.tier
        } else {
            keep.tier
        },
        clv_cents: keep.clv_cents.max(dup.clv_cents),
        consent_contact: keep.consent_contact && dup.consent_contact,
        consent_survey: keep.consent_survey && dup.consent_survey,
        created_at: keep.created_at.min(dup.created_at),
        churned_at: match (keep.churned_at, dup.churned_at) {
            (Some(a), Some(b)) => Some(a.max(b)),
            _ => None,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(d: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2025, 1, d, 0, 0, 0).single().expect("date")
    }

    fn profile() -> MergeProfile {
        MergeProfile {
            email: None,
            external_id: None,
            account_id: None,
            tier: Tier::Standard,
            clv_cents: 0,
            consent_contact: true,
            consent_survey: true,
            created_at: at(10),
            churned_at: None,
        }
    }

    #[test]
    fn survivor_values_win_and_gaps_are_filled() {
        let keep = MergeProfile {
            email: Some("anna@example.org".into()),
            clv_cents: 500,
            ..profile()
        };
        let dup = MergeProfile {
            email: Some("a.schulz@example.org".into()),
            external_id: Some("CRM-7".into()),
            account_id: Some(AccountId(uuid::Uuid::nil())),
            tier: Tier::Premium,
            clv_cents: 900,
            consent_survey: false,
            created_at: at(3),
            churned_at: Some(at(20)),
            ..profile()
        };
        let m = merged_profile(&keep, &dup);
        assert_eq!(m.email.as_deref(), Some("anna@example.org"));
        assert_eq!(m.external_id.as_deref(), Some("CRM-7"));
        assert_eq!(m.account_id, dup.account_id);
        assert_eq!(m.tier, Tier::Premium);
        assert_eq!(m.clv_cents, 900);
        assert!(m.consent_contact);
        assert!(!m.consent_survey, "a consent holds only if both gave it");
        assert_eq!(m.created_at, at(3));
        assert_eq!(m.churned_at, None, "the survivor is still a customer");
    }

    #[test]
    fn higher_tier_stays_and_churn_needs_both() {
        let keep = MergeProfile {
            tier: Tier::Enterprise,
            churned_at: Some(at(5)),
            email: Some(" ".into()),
            ..profile()
        };
        let dup = MergeProfile {
            tier: Tier::Premium,
            churned_at: Some(at(7)),
            email: Some("b@example.org".into()),
            ..profile()
        };
        let m = merged_profile(&keep, &dup);
        assert_eq!(m.tier, Tier::Enterprise);
        assert_eq!(m.churned_at, Some(at(7)));
        assert_eq!(m.email.as_deref(), Some("b@example.org"), "a blank address is empty");
    }
}
