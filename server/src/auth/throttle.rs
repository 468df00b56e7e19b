//! Sign-in throttling, keyed by (account, client address) and by client
//! address alone, never by account alone: a stranger flooding `admin` from
//! one address locks that address out, not the real admin elsewhere.
//!
//! An attempt counts when it *starts*, before any hash runs, so a burst of
//! concurrent guesses cannot slip through while earlier ones are hashed.
//! The `free`-th attempt inside `window` sets a lock, and so does each one
//! after it (once the previous lock is over), each lock twice the last, up
//! to `max_lock`; while a lock holds, attempts are refused without counting.
//! An account also has a budget across addresses: once spent, only
//! addresses without recent failures may try it (guessing spread over many
//! addresses stalls; its owner still signs in). An IPv6 address counts as
//! its /64. A success forgets the (account, address) record and
//! gives back the address's count for that attempt. The records live in the
//! database (`login_throttle`), so every replica shares them; keys are
//! bounded in length and the table in rows (least recently touched go; a
//! record whose lock holds is never dropped).

use std::time::Duration;

use crate::error::Result;
use crate::store::Store;

#[derive(Clone, Copy, Debug)]
pub struct ThrottlePolicy {
    /// Attempts per (account, address) before locks start.
    pub free_per_account: u32,
    /// Attempts per address, whatever the account, before locks start.
    pub free_per_address: u32,
    /// Attempts per account, whatever the address, before that account's
    /// budget is spent: then only addresses without recent failures may
    /// try it (so the real owner still can), each spent budget locking
    /// twice as long as the last.
    pub free_per_user: u32,
    pub window: Duration,
    pub first_lock: Duration,
    pub max_lock: Duration,
    /// Rows kept at most; the least recently touched go first.
    pub max_records: i64,
}

impl Default for ThrottlePolicy {
    fn default() -> Self {
        Self {
            free_per_account: 5,
            free_per_address: 20,
            free_per_user: 30,
            window: Duration::from_secs(15 * 60),
            first_lock: Duration::from_secs(30),
            max_lock: Duration::from_secs(15 * 60),
            max_records: 100_000,
        }
    }
}

/// One key's count, as stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Record {
    pub attempts: i64,
    pub window_start: i64,
    pub locked_until: Option<i64>,
}

/// The account's budget key: its lock refuses only addresses with recent
/// failures.
pub const USER_KEY: &str = "user:";

/// The throttled unit of an address: an IPv6 address's /64 (an IPv4 one,
/// also written as IPv6, is itself).
fn network(address: &str) -> String {
    match address.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V6(v6)) if v6.to_ipv4_mapped().is_none() => {
            ipnet::Ipv6Net::new(v6, 64)
                .map(|n| n.trunc().to_string())
                .unwrap_or_else(|_| address.to_string())
        }
        Ok(std::net::IpAddr::V6(v6)) => v6
            .to_ipv4_mapped()
            .map_or_else(String::new, |v4| v4.to_string()),
        _ => address.to_string(),
    }
}

/// Longest account name and address kept in a key.
const KEY_PART: usize = 64;

fn bounded(s: &str) -> String {
    s.chars().take(KEY_PART).collect()
}

impl ThrottlePolicy {
    fn ms(d: Duration) -> i64 {
        i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
    }

    /// The keys one attempt counts against, with their free attempts: the
    /// (account, address) pair, the address, and the account's budget (see
    /// [`USER_KEY`]). An IPv6 address counts as its /64: one host holds a
    /// whole /64, and would otherwise get a fresh count per address.
    pub fn keys(&self, account: &str, address: &str) -> [(String, i64); 3] {
        let (account, address) = (bounded(&account.to_lowercase()), bounded(&network(address)));
        [
            (
                format!("acct:{account}@{address}"),
                i64::from(self.free_per_account),
            ),
            (format!("addr:{address}"), i64::from(self.free_per_address)),
            (
                format!("{USER_KEY}{account}"),
                i64::from(self.free_per_user),
            ),
        ]
    }

    /// Seconds until `r` lets an attempt in, if it is locked at `now`.
    pub fn locked(&self, r: &Record, now: i64) -> Option<u64> {
        r.locked_until.filter(|until| *until > now).map(|until| {
            u64::try_from((until - now + 999) / 1000)
                .unwrap_or(1)
                .max(1)
        })
    }

    /// The record after one more attempt starts at `now` (the caller has
    /// checked that no lock holds).
    pub fn count(&self, r: Option<Record>, free: i64, now: i64) -> Record {
        let mut r = match r {
            Some(r) if now - r.window_start <= Self::ms(self.window) => r,
            _ => Record {
                attempts: 0,
                window_start: now,
                locked_until: None,
            },
        };
        r.attempts += 1;
        if r.attempts >= free {
            let doublings = u32::try_from((r.attempts - free).min(16)).unwrap_or(16);
            let lock = self
                .first_lock
                .saturating_mul(1 << doublings)
                .min(self.max_lock);
            r.locked_until = Some(now + Self::ms(lock));
        }
        r
    }
}

/// The throttle of one console: its policy over the shared records.
#[derive(Clone, Debug)]
pub struct Throttle {
    policy: ThrottlePolicy,
    store: Store,
}

impl Throttle {
    pub fn new(store: Store, policy: ThrottlePolicy) -> Self {
        Self { policy, store }
    }

    /// Whether `address` has no recent failures (no count in this window).
    pub async fn clean(&self, address: &str) -> Result<bool> {
        let [_, (address_key, _), _] = self.policy.keys("", address);
        self.store.throttle_clean(&self.policy, &address_key).await
    }

    /// Counts an attempt as it starts. `Ok(Some(secs))`: refused, try again
    /// in `secs` (nothing was counted). `clean`: the address has no recent
    /// failures (an account's spent budget does not refuse it).
    pub async fn attempt(&self, account: &str, address: &str, clean: bool) -> Result<Option<u64>> {
        self.store
            .throttle_attempt(&self.policy, &self.policy.keys(account, address), clean)
            .await
    }

    /// A successful sign-in: its (account, address) record is forgotten and
    /// the address gets this attempt back.
    pub async fn succeeded(&self, account: &str, address: &str) -> Result<()> {
        let [account_key, address_key, _] = self.policy.keys(account, address);
        self.store
            .throttle_success(&account_key.0, &address_key)
            .await
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
    fn attempts_beyond_the_free_ones_lock_with_doubling() {
        let p = policy();
        let mut r = None;
        for _ in 0..2 {
            let next = p.count(r, 3, 1_000);
            assert_eq!(p.locked(&next, 1_000), None);
            r = Some(next);
        }
        let third = p.count(r, 3, 1_000);
        assert_eq!(
            p.locked(&third, 1_000),
            Some(30),
            "the free-th attempt sets the lock"
        );
        let fourth = p.count(Some(third), 3, 40_000);
        assert_eq!(p.locked(&fourth, 40_000), Some(60), "the lock doubles");
        let capped = (0..20).fold(fourth, |r, _| p.count(Some(r), 3, 40_000));
        assert_eq!(p.locked(&capped, 40_000), Some(900), "capped at 15 min");
        // A window later, counting starts over.
        let later = p.count(Some(capped), 3, 40_000 + 16 * 60_000);
        assert_eq!(later.attempts, 1);
    }

    #[test]
    fn keys_pair_account_with_address_and_are_bounded() {
        let p = policy();
        let [acct, addr, user] = p.keys(&"A".repeat(500), "10.0.0.1");
        assert!(acct.0.starts_with("acct:aaaa") && acct.0.ends_with("@10.0.0.1"));
        assert!(acct.0.len() <= 5 + 64 + 1 + 64);
        assert_eq!(addr.0, "addr:10.0.0.1");
        assert!(user.0.starts_with("user:aaaa") && user.0.len() <= 5 + 64);
        assert_eq!((acct.1, addr.1, user.1), (3, 5, 30));
        // One IPv6 host holds a /64: every address in it counts as one.
        let [_, a, _] = p.keys("x", "2001:db8:1:2:aaaa::1");
        let [_, b, _] = p.keys("x", "2001:db8:1:2:bbbb::9");
        let [_, c, _] = p.keys("x", "2001:db8:1:3::1");
        assert_eq!(a.0, "addr:2001:db8:1:2::/64");
        assert_eq!(a.0, b.0);
        assert_ne!(a.0, c.0);
        let [_, mapped, _] = p.keys("x", "::ffff:10.0.0.1");
        assert_eq!(mapped.0, "addr:10.0.0.1");
    }
}
