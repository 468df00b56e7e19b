//! The sign-in throttle's records, shared by every replica on one database.
//! Each attempt is one write transaction over its keys (taken in a fixed
//! order, locked with `FOR UPDATE` on PostgreSQL; SQLite's write lock
//! serialises them), so concurrent attempts are counted one by one.

use std::sync::atomic::{AtomicU64, Ordering};

use super::{now_ms, Backend, Store};
use crate::auth::{Record, ThrottlePolicy};
use crate::error::Result;

/// Every this many attempts, the table is trimmed to the policy's bound.
const TRIM_EVERY: u64 = 256;

impl Store {
    fn row_lock(&self) -> &'static str {
        match self.backend {
            Backend::Postgres => " FOR UPDATE",
            Backend::Sqlite => "",
        }
    }

    /// Counts one attempt against `keys` (key, free attempts); refused
    /// (seconds to wait, nothing counted) when any of them is locked.
    pub async fn throttle_attempt(
        &self,
        policy: &ThrottlePolicy,
        keys: &[(String, i64)],
        address_clean: bool,
    ) -> Result<Option<u64>> {
        let now = now_ms();
        let mut keys: Vec<&(String, i64)> = keys.iter().collect();
        keys.sort_by(|a, b| a.0.cmp(&b.0));
        let mut tx = self.begin().await?;
        let mut current = Vec::with_capacity(keys.len());
        for (key, free) in &keys {
            sqlx::query(
                "INSERT INTO login_throttle (key, attempts, window_start, locked_until, touched_at) \
                 VALUES ($1, 0, $2, NULL, $2) ON CONFLICT (key) DO NOTHING",
            )
            .bind(key)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            let (attempts, window_start, locked_until) =
                sqlx::query_as::<_, (i64, i64, Option<i64>)>(&format!(
                    "SELECT attempts, window_start, locked_until FROM login_throttle WHERE key = $1{}",
                    self.row_lock()
                ))
                .bind(key)
                .fetch_one(&mut *tx)
                .await?;
            let r = Record {
                attempts,
                window_start,
                locked_until,
            };
            // An account's spent budget does not refuse an address without
            // recent failures (its owner).
            let spared = address_clean && key.starts_with(crate::auth::USER_KEY);
            if let Some(wait) = policy.locked(&r, now).filter(|_| !spared) {
                // Nothing is counted while a lock holds.
                tx.rollback().await?;
                return Ok(Some(wait));
            }
            current.push((key, *free, r));
        }
        for (key, free, r) in current {
            if policy.locked(&r, now).is_some() {
                // A spared, locked budget: counted when its lock is over.
                continue;
            }
            let next = policy.count(Some(r), free, now);
            sqlx::query(
                "UPDATE login_throttle SET attempts = $2, window_start = $3, locked_until = $4, \
                 touched_at = $5 WHERE key = $1",
            )
            .bind(key)
            .bind(next.attempts)
            .bind(next.window_start)
            .bind(next.locked_until)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        self.trim_throttle(policy.max_records).await?;
        Ok(None)
    }

    /// A success: the account's record goes, the address's count drops by
    /// the attempt just made (and a lock that attempt set is lifted).
    /// `address` is (key, free attempts).
    pub async fn throttle_success(&self, account_key: &str, address: &(String, i64)) -> Result<()> {
        let mut tx = self.begin().await?;
        sqlx::query("DELETE FROM login_throttle WHERE key = $1")
            .bind(account_key)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "UPDATE login_throttle SET \
             locked_until = CASE WHEN attempts - 1 < $2 THEN NULL ELSE locked_until END, \
             attempts = CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END \
             WHERE key = $1",
        )
        .bind(&address.0)
        .bind(address.1)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Keeps at most `max` records, dropping the least recently touched;
    /// looked at every [`TRIM_EVERY`] attempts of this process.
    async fn trim_throttle(&self, max: i64) -> Result<()> {
        static ATTEMPTS: AtomicU64 = AtomicU64::new(0);
        if ATTEMPTS.fetch_add(1, Ordering::Relaxed) % TRIM_EVERY != TRIM_EVERY - 1 {
            return Ok(());
        }
        self.trim_throttle_now(max).await
    }

    /// Drops every record beyond the `max` most recently touched, except
    /// those whose lock still holds (a flood of fresh keys must not free a
    /// locked-out guesser).
    pub async fn trim_throttle_now(&self, max: i64) -> Result<()> {
        sqlx::query(
            "DELETE FROM login_throttle WHERE (locked_until IS NULL OR locked_until <= $2) \
             AND key NOT IN \
             (SELECT key FROM login_throttle ORDER BY touched_at DESC, key DESC LIMIT $1)",
        )
        .bind(max.max(1))
        .bind(now_ms())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Whether `key` has counted no attempt in the current window.
    pub async fn throttle_clean(&self, policy: &ThrottlePolicy, key: &str) -> Result<bool> {
        let row = sqlx::query_as::<_, (i64, i64)>(
            "SELECT attempts, window_start FROM login_throttle WHERE key = $1",
        )
        .bind(key)
        .fetch_optional(&self.pool)
        .await?;
        let window = i64::try_from(policy.window.as_millis()).unwrap_or(i64::MAX);
        Ok(row.is_none_or(|(attempts, start)| attempts == 0 || now_ms() - start > window))
    }

    /// How many throttle records are kept (for tests and the bound).
    pub async fn throttle_records(&self) -> Result<i64> {
        Ok(
            sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM login_throttle")
                .fetch_one(&self.pool)
                .await?,
        )
    }
}
