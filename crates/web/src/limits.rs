//! In-memory rate limits: login throttling (failed attempts per client
//! address and minute) and the public widget's requests per key and minute.
//!
//! Kept in memory per instance (a fixed one-minute window). With several
//! instances each one counts separately, so the effective limit is
//! `instances × limit`; documented in docs/SECURITY.md.

use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;

#[derive(Debug, Default)]
pub struct LoginThrottle {
    failures: Mutex<HashMap<IpAddr, (i64, u32)>>,
}

impl LoginThrottle {
    /// True while `ip` has used up its failed attempts in the current minute.
    pub fn is_blocked(&self, ip: IpAddr, now: DateTime<Utc>, limit: u32) -> bool {
        let minute = now.timestamp() / 60;
        let map = self.failures.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        matches!(map.get(&ip), Some((m, n)) if *m == minute && *n >= limit)
    }

    pub fn record_failure(&self, ip: IpAddr, now: DateTime<Utc>) {
        let minute = now.timestamp() / 60;
        let mut map = self.failures.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if map.len() > 100_000 {
            map.retain(|_, (m, _)| *m == minute);
        }
        let e = map.entry(ip).or_insert((minute, 0));
        if e.0 != minute {
            *e = (minute, 0);
        }
        e.1 += 1;
    }
}

/// Fixed one-minute windows of counted requests per key (in memory, per instance).
#[derive(Debug, Default)]
pub struct RateLimiter {
    hits: Mutex<HashMap<String, (i64, u32)>>,
}

impl RateLimiter {
    /// Counts one request for `key`; false if the key already used `limit` in this minute.
    pub fn allow(&self, key: &str, now: DateTime<Utc>, limit: u32) -> bool {
        let minute = now.timestamp().div_euclid(60);
        let mut map = self.hits.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if map.len() > 100_000 {
            map.retain(|_, (m, _)| *m == minute);
        }
        let e = map.entry(key.to_string()).or_insert((minute, 0));
        if e.0 != minute {
            *e = (minute, 0);
        }
        if e.1 >= limit {
            return false;
        }
        e.1 += 1;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn blocks_after_the_limit_until_the_next_minute() {
        let t = Utc.with_ymd_and_hms(2026, 1, 1, 10, 0, 5).single().expect("time");
        let ip: IpAddr = "127.0.0.1".parse().expect("ip");
        let th = LoginThrottle::default();
        for _ in 0..3 {
            assert!(!th.is_blocked(ip, t, 3));
            th.record_failure(ip, t);
        }
        assert!(th.is_blocked(ip, t, 3));
        assert!(!th.is_blocked(ip, t + chrono::Duration::seconds(60), 3));
    }

    #[test]
    fn limits_per_key_and_minute() {
        let t = Utc.with_ymd_and_hms(2026, 1, 1, 10, 0, 5).single().expect("time");
        let l = RateLimiter::default();
        for _ in 0..3 {
            assert!(l.allow("a", t, 3));
        }
        assert!(!l.allow("a", t, 3));
        assert!(l.allow("b", t, 3));
        assert!(l.allow("a", t + chrono::Duration::seconds(60), 3));
    }
}
