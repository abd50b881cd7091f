//! Typed ids. Every id is a UUIDv7 made from the time the caller passes in,
//! so ids sort by creation time and need no central sequence (sharding and
//! several writers stay possible).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

/// Makes a UUIDv7 for `at` with the caller's random bits.
#[must_use]
pub fn uuid_v7_at(at: DateTime<Utc>, random: u128) -> Uuid {
    let millis = u64::try_from(at.timestamp_millis()).unwrap_or(0) & 0xFFFF_FFFF_FFFF;
    // Layout (RFC 9562): 48 bits unix ms | 4 bits version | 12 rand_a | 2 variant | 62 rand_b
    let rand_a = (random >> 64) as u64 & 0x0FFF;
    let rand_b = random as u64 & 0x3FFF_FFFF_FFFF_FFFF;
    let hi = (millis << 16) | (0x7 << 12) | rand_a;
    let lo = (0b10 << 62) | rand_b;
    Uuid::from_u64_pair(hi, lo)
}

macro_rules! typed_id {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            /// An id for something created at `at` from the caller's `random` bits
            /// (seeded demo data, tests); the application takes its ids from
            /// `amends_store::new_row_id`, which adds an ordering counter.
            #[must_use]
            pub fn new_at(at: DateTime<Utc>, random: u128) -> Self {
                Self(uuid_v7_at(at, random))
            }

            #[must_use]
            pub fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }

        impl From<Uuid> for $name {
            fn from(u: Uuid) -> Self {
                Self(u)
            }
        }
    };
}

typed_id!(
    /// A customer (person or B2B contact).
    CustomerId
);
typed_id!(
    /// A B2B account (company) that customers belong to.
    AccountId
);
typed_id!(
    /// A recovery case.
    CaseId
);
typed_id!(
    /// An entry on a case timeline.
    EventId
);
typed_id!(
    /// A user of amends (agent, lead, admin).
    UserId
);
typed_id!(
    /// An API token.
    TokenId
);

typed_id!(
    /// A feedback item (any channel).
    FeedbackId
);
typed_id!(
    /// A detection rule.
    RuleId
);
typed_id!(
    /// An incident that affects many customers.
    IncidentId
);

impl CaseId {
    /// The short reference people say on the phone: the last 8 hex digits
    /// (random bits of the UUIDv7), e.g. `#3f9a12c4`.
    #[must_use]
    pub fn short(&self) -> String {
        let s = self.0.simple().to_string();
        s[s.len() - 8..].to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn ids_sort_by_time_and_carry_version_7() {
        let t1 = Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).single().expect("valid");
        let t2 = Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 1).single().expect("valid");
        let a = CaseId::new_at(t1, u128::MAX);
        let b = CaseId::new_at(t2, 0);
        assert!(a < b);
        assert_eq!(a.0.get_version_num(), 7);
        assert_eq!(b.0.get_variant(), uuid::Variant::RFC4122);
        assert_eq!(a.short().len(), 8);
    }

    #[test]
    fn ids_round_trip_through_strings() {
        let t = Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).single().expect("valid");
        let id = CustomerId::new_at(t, 42);
        let parsed: CustomerId = id.to_string().parse().expect("parses");
        assert_eq!(id, parsed);
        assert!("not-a-uuid".parse::<CustomerId>().is_err());
    }
}
