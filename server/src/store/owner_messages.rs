//! Messages to a tenant's owner, through the outbox (a notification of
//! kind `owner`), and the welcome mail's one-time link, of which only the
//! SHA-256 of its token is kept.

use sqlx::{Any, Transaction};

use super::{now_ms, Store};
use crate::error::Result;

/// The message sent when a tenant is first live.
pub const WELCOME: &str = "welcome";
/// The message sent when a deprovisioning that asks for it is started,
/// and the one sent once the tenant is gone.
pub const DEPROVISION_NOTICE: &str = "deprovision-notice";
pub const DEPROVISIONED: &str = "deprovisioned";

/// How long a welcome link stays valid (72 hours).
pub const WELCOME_LINK_MS: i64 = 72 * 3600 * 1000;

/// What a welcome link stands for now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WelcomeLink {
    /// Not spent and not expired: the tenant's.
    Open {
        tenant_id: String,
        expires_at: i64,
    },
    /// Opened once already, or past its time, or no such link.
    Spent,
    Expired,
    Unknown,
}

impl Store {
    /// Queues `message` about run `run` for the owner of `tenant_id`
    /// through the enabled e-mail channel named `channel`, in the caller's
    /// transaction, once: its idempotency key names the tenant (and when
    /// its record was made), the run and the message, so a retry or
    /// another replica queues nothing. Returns whether it was queued (not
    /// when there is no such channel, or it was queued before).
    pub(crate) async fn enqueue_owner_message(
        tx: &mut Transaction<'static, Any>,
        channel: &str,
        (tenant_id, run): (&str, i64),
        message: &str,
    ) -> Result<bool> {
        let created: Option<i64> =
            sqlx::query_scalar("SELECT created_at FROM tenants WHERE id = $1")
                .bind(tenant_id)
                .fetch_optional(&mut **tx)
                .await?;
        let Some(created) = created else {
            return Ok(false);
        };
        let now = now_ms();
        let done = sqlx::query(
            "INSERT INTO notifications (channel_id, kind, group_key, alert_ids, idempotency_key, state, \
             attempts, not_before, created_at, tenant_id, message) \
             SELECT c.id, 'owner', $6, '', $3, 'pending', 0, $4, $4, $5, $2 \
             FROM notification_channels c WHERE c.name = $1 AND c.kind = 'email' AND c.enabled = 1 \
             ON CONFLICT (idempotency_key) DO NOTHING",
        )
        .bind(channel)
        .bind(message)
        .bind(format!("tenantry-owner-{message}-{tenant_id}-{created}-{run}"))
        .bind(now)
        .bind(tenant_id)
        .bind(run.to_string())
        .execute(&mut **tx)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    /// [`Store::enqueue_owner_message`] in a transaction of its own.
    pub async fn queue_owner_message(
        &self,
        channel: &str,
        (tenant_id, run): (&str, i64),
        message: &str,
    ) -> Result<bool> {
        let mut tx = self.begin().await?;
        let queued =
            Self::enqueue_owner_message(&mut tx, channel, (tenant_id, run), message).await?;
        tx.commit().await?;
        Ok(queued)
    }

    /// The owner messages queued for a tenant: (message, state, sent_at).
    pub async fn owner_messages(
        &self,
        tenant_id: &str,
    ) -> Result<Vec<(String, String, Option<i64>)>> {
        Ok(sqlx::query_as(
            "SELECT message, state, sent_at FROM notifications \
             WHERE kind = 'owner' AND tenant_id = $1 ORDER BY id",
        )
        .bind(tenant_id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// The tenant's welcome link is now the token hashed `hash`, valid
    /// until `expires_at` (a link sent before stops working).
    pub async fn replace_welcome_link(
        &self,
        tenant_id: &str,
        hash: &str,
        expires_at: i64,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO welcome_links (tenant_id, token_hash, created_at, expires_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (tenant_id) DO UPDATE SET \
             token_hash = $2, created_at = $3, expires_at = $4, used_at = NULL",
        )
        .bind(tenant_id)
        .bind(hash)
        .bind(now_ms())
        .bind(expires_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// What the link of the token hashed `hash` stands for at `now`.
    pub async fn welcome_link(&self, hash: &str, now: i64) -> Result<WelcomeLink> {
        let row: Option<(String, i64, Option<i64>)> = sqlx::query_as(
            "SELECT tenant_id, expires_at, used_at FROM welcome_links WHERE token_hash = $1",
        )
        .bind(hash)
        .fetch_optional(&self.pool)
        .await?;
        Ok(match row {
            None => WelcomeLink::Unknown,
            Some((_, _, Some(_))) => WelcomeLink::Spent,
            Some((_, expires_at, None)) if expires_at <= now => WelcomeLink::Expired,
            Some((tenant_id, expires_at, None)) => WelcomeLink::Open {
                tenant_id,
                expires_at,
            },
        })
    }

    /// Spends the link (once: guarded, so two clicks cannot both open it);
    /// its tenant when this call spent it.
    pub async fn spend_welcome_link(&self, hash: &str, now: i64) -> Result<Option<String>> {
        Ok(sqlx::query_scalar(
            "UPDATE welcome_links SET used_at = $2 \
             WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2 RETURNING tenant_id",
        )
        .bind(hash)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Opens a spent link again when what it shows could not be read.
    pub async fn unspend_welcome_link(&self, hash: &str) -> Result<()> {
        sqlx::query("UPDATE welcome_links SET used_at = NULL WHERE token_hash = $1")
            .bind(hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
