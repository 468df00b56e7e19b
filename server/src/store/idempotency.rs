//! Answers kept for requests with an `Idempotency-Key`: the first request
//! with a key claims it (a row with status 0), its answer is stored, and a
//! retry with the same key and the same request gets that answer again.

use super::{now_ms, Store};
use crate::error::{is_unique_violation, Result};

/// How long a key is remembered (ms).
pub const IDEMPOTENCY_KEEP_MS: i64 = 24 * 3600 * 1000;
/// A claim this old with no answer belongs to a process that died while
/// answering: the next request with the key takes it over (ms).
const ABANDONED_MS: i64 = 5 * 60 * 1000;

/// What a key already stands for.
#[derive(Debug, PartialEq, Eq)]
pub enum Claim {
    /// The key is new: this request goes ahead and records its answer.
    Fresh,
    /// The same request was answered: send this again.
    Answered {
        status: u16,
        location: Option<String>,
        body: String,
    },
    /// The same request is still being answered.
    InProgress,
    /// The key was used for another request.
    Mismatch,
}

impl Store {
    /// Claims `key` for `fingerprint`, or says what it already stands for.
    pub async fn claim_idempotency_key(
        &self,
        staff_id: i64,
        key: &str,
        fingerprint: &str,
    ) -> Result<Claim> {
        let now = now_ms();
        sqlx::query("DELETE FROM idempotency_keys WHERE created_at < $1")
            .bind(now - IDEMPOTENCY_KEEP_MS)
            .execute(&self.pool)
            .await?;
        let inserted = sqlx::query(
            "INSERT INTO idempotency_keys (staff_id, idem_key, fingerprint, status, created_at) \
             VALUES ($1, $2, $3, 0, $4)",
        )
        .bind(staff_id)
        .bind(key)
        .bind(fingerprint)
        .bind(now)
        .execute(&self.pool)
        .await;
        match inserted {
            Ok(_) => return Ok(Claim::Fresh),
            Err(e) if is_unique_violation(&e) => {}
            Err(e) => return Err(e.into()),
        }
        let taken_over = sqlx::query(
            "UPDATE idempotency_keys SET created_at = $4 \
             WHERE staff_id = $1 AND idem_key = $2 AND fingerprint = $3 AND status = 0 \
             AND created_at < $5",
        )
        .bind(staff_id)
        .bind(key)
        .bind(fingerprint)
        .bind(now)
        .bind(now - ABANDONED_MS)
        .execute(&self.pool)
        .await?;
        if taken_over.rows_affected() == 1 {
            return Ok(Claim::Fresh);
        }
        let row = sqlx::query_as::<_, (String, i64, Option<String>, Option<String>)>(
            "SELECT fingerprint, status, location, body FROM idempotency_keys \
             WHERE staff_id = $1 AND idem_key = $2",
        )
        .bind(staff_id)
        .bind(key)
        .fetch_optional(&self.pool)
        .await?;
        Ok(match row {
            // Pruned between the insert and the read: try once more later.
            None => Claim::InProgress,
            Some((f, _, _, _)) if f != fingerprint => Claim::Mismatch,
            Some((_, 0, _, _)) => Claim::InProgress,
            Some((_, status, location, body)) => Claim::Answered {
                status: u16::try_from(status).unwrap_or(500),
                location,
                body: body.unwrap_or_default(),
            },
        })
    }

    /// Records the answer to a claimed key; an answer that is not worth
    /// replaying (a server error) releases the key instead.
    pub async fn finish_idempotency_key(
        &self,
        staff_id: i64,
        key: &str,
        answer: Option<(u16, Option<&str>, &str)>,
    ) -> Result<()> {
        match answer {
            Some((status, location, body)) => {
                sqlx::query(
                    "UPDATE idempotency_keys SET status = $3, location = $4, body = $5 \
                     WHERE staff_id = $1 AND idem_key = $2 AND status = 0",
                )
                .bind(staff_id)
                .bind(key)
                .bind(i64::from(status))
                .bind(location)
                .bind(body)
                .execute(&self.pool)
                .await?;
            }
            None => {
                sqlx::query(
                    "DELETE FROM idempotency_keys WHERE staff_id = $1 AND idem_key = $2 AND status = 0",
                )
                .bind(staff_id)
                .bind(key)
                .execute(&self.pool)
                .await?;
            }
        }
        Ok(())
    }
}
