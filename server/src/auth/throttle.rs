//! Sign-in throttling per account and per client address. After `free`
//! failures inside `window`, each further attempt is refused for a lock that
//! doubles with every failure, up to `max_lock`. A success clears the
//! account's record. Kept in memory: a restart forgives, which is acceptable
//! for a staff console (the lock is minutes, not a ban).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

#[derive(Clone, Copy, Debug)]
pub struct ThrottlePolicy {
    pub free_per_account: u32,
    pub free_per_address: u32,
    pub window: Duration,
    pub first_lock: Duration,
    pub max_lock: Duration,
}

impl Default for ThrottlePolicy {
    fn default() -> Self {
        Self {
            free_per_account: 5,
            free_per_address: 20,
            window: Duration::from_secs(15 * 60),
            first_lock: Duration::from_secs(30),
            max_lock: Duration::from_secs(15 * 60),
        }
    }
}

#[derive(Clone, Copy, Debug)]
struct Record {
    failures: u32,
    first: Instant,
    locked_until: Option<Instant>,
}

#[derive(Debug, Default)]
pub struct Throttle {
    policy: ThrottlePolicy,
    records: Mutex<HashMap<String, Record>>,
}

const MAX_RECORDS: usize = 100_000;

impl Throttle {
    pub fn new(policy: ThrottlePolicy) -> Self {
        Self {
            policy,
            records: Mutex::new(HashMap::new()),
        }
    }

    fn keys(username: &str, address: &str) -> [(String, u32); 2] {
        [
            (format!("user:{}", username.to_lowercase()), 0),
            (format!("addr:{address}"), 1),
        ]
    }

    /// Seconds until an attempt is allowed, if it is refused now.
    pub fn check(&self, username: &str, address: &str) -> Option<u64> {
        let now = Instant::now();
        let records = self.records.lock().unwrap_or_else(|p| p.into_inner());
        Self::keys(username, address)
            .iter()
            .filter_map(|(k, _)| records.get(k).and_then(|r| r.locked_until))
            .filter(|until| *until > now)
            .map(|until| (until - now).as_secs().max(1))
            .max()
    }

    pub fn record_failure(&self, username: &str, address: &str) {
        let now = Instant::now();
        let p = self.policy;
        let mut records = self.records.lock().unwrap_or_else(|p| p.into_inner());
        if records.len() > MAX_RECORDS {
            records.retain(|_, r| {
                now.duration_since(r.first) < p.window || r.locked_until.is_some_and(|u| u > now)
            });
        }
        for (key, kind) in Self::keys(username, address) {
            let free = if kind == 0 {
                p.free_per_account
            } else {
                p.free_per_address
            };
            let r = records.entry(key).or_insert(Record {
                failures: 0,
                first: now,
                locked_until: None,
            });
            if now.duration_since(r.first) > p.window && r.locked_until.is_none_or(|u| u <= now) {
                *r = Record {
                    failures: 0,
                    first: now,
                    locked_until: None,
                };
            }
            r.failures += 1;
            if r.failures >= free {
                let doublings = (r.failures - free).min(16);
                let lock = p.first_lock.saturating_mul(1 << doublings).min(p.max_lock);
                r.locked_until = Some(now + lock);
            }
        }
    }

    pub fn record_success(&self, username: &str) {
        let mut records = self.records.lock().unwrap_or_else(|p| p.into_inner());
        records.remove(&format!("user:{}", username.to_lowercase()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> ThrottlePolicy {
        ThrottlePolicy {
            free_per_account: 3,
            free_per_address: 5,
            ..Default::default()
        }
    }

    #[test]
    fn locks_an_account_after_repeated_failures() {
        let t = Throttle::new(policy());
        for _ in 0..2 {
            t.record_failure("alice", "10.0.0.1");
            assert_eq!(t.check("alice", "10.0.0.1"), None);
        }
        t.record_failure("alice", "10.0.0.1");
        assert!(
            t.check("alice", "10.0.0.2").is_some(),
            "the account is locked from any address"
        );
        assert_eq!(t.check("bob", "10.0.0.2"), None, "others are not");
    }

    #[test]
    fn locks_an_address_across_accounts() {
        let t = Throttle::new(policy());
        for i in 0..5 {
            t.record_failure(&format!("user{i}"), "10.0.0.9");
        }
        assert!(t.check("someone-else", "10.0.0.9").is_some());
        assert_eq!(t.check("someone-else", "10.0.0.8"), None);
    }

    #[test]
    fn success_clears_the_account() {
        let t = Throttle::new(policy());
        t.record_failure("alice", "a");
        t.record_failure("alice", "a");
        t.record_success("alice");
        t.record_failure("alice", "b");
        assert_eq!(t.check("alice", "b"), None);
    }
}
