//! Personal API tokens: only their SHA-256 is stored. A token acts as its
//! owner with the lower of the two roles, and only while the owner is
//! active and the token neither expired nor was revoked.

use app::dto::{CurrentStaff, Role, TokenDto};

use super::{now_ms, AuditEntry, Store};
use crate::error::{Result, ServerError};

#[derive(sqlx::FromRow)]
struct TokenRow {
    id: i64,
    name: String,
    role: String,
    prefix: String,
    created_at: i64,
    expires_at: i64,
    last_used_at: Option<i64>,
    revoked_at: Option<i64>,
}

impl TokenRow {
    fn to_dto(&self) -> TokenDto {
        TokenDto {
            id: self.id,
            name: self.name.clone(),
            role: Role::parse(&self.role).unwrap_or(Role::Viewer),
            prefix: self.prefix.clone(),
            created_at: self.created_at,
            expires_at: self.expires_at,
            last_used_at: self.last_used_at,
            revoked_at: self.revoked_at,
        }
    }
}

const COLUMNS: &str = "id, name, role, prefix, created_at, expires_at, last_used_at, revoked_at";

/// A token's `last_used_at` is written at most this often (ms), so busy
/// scripts do not write on every request.
const TOUCH_EVERY_MS: i64 = 60_000;

/// How a token is looked up: by its id, or by the hash of its secret.
#[derive(Clone, Copy)]
enum TokenBy<'a> {
    Id(i64),
    Hash(&'a str),
}

/// What a new token is.
pub struct NewToken<'a> {
    pub staff_id: i64,
    pub name: &'a str,
    pub role: Role,
    pub hash: &'a str,
    pub prefix: &'a str,
    pub expires_at: i64,
}

impl Store {
    pub async fn insert_token(&self, t: NewToken<'_>, audit: AuditEntry<'_>) -> Result<TokenDto> {
        let mut tx = self.begin().await?;
        let row = sqlx::query_as::<_, TokenRow>(&format!(
            "INSERT INTO api_tokens (staff_id, name, role, token_hash, prefix, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {COLUMNS}"
        ))
        .bind(t.staff_id)
        .bind(t.name)
        .bind(t.role.as_str())
        .bind(t.hash)
        .bind(t.prefix)
        .bind(now_ms())
        .bind(t.expires_at)
        .fetch_one(&mut *tx)
        .await?;
        audit.write(&mut tx).await?;
        tx.commit().await?;
        Ok(row.to_dto())
    }

    /// The staff member's tokens, newest first.
    pub async fn list_tokens(&self, staff_id: i64) -> Result<Vec<TokenDto>> {
        let rows = sqlx::query_as::<_, TokenRow>(&format!(
            "SELECT {COLUMNS} FROM api_tokens WHERE staff_id = $1 ORDER BY id DESC"
        ))
        .bind(staff_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(TokenRow::to_dto).collect())
    }

    /// Revokes one of `staff_id`'s tokens (guarded: a token already revoked
    /// stays as it was).
    pub async fn revoke_token(
        &self,
        staff_id: i64,
        id: i64,
        audit: AuditEntry<'_>,
    ) -> Result<TokenDto> {
        let mut tx = self.begin().await?;
        let row = sqlx::query_as::<_, TokenRow>(&format!(
            "SELECT {COLUMNS} FROM api_tokens WHERE id = $1 AND staff_id = $2"
        ))
        .bind(id)
        .bind(staff_id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| ServerError::NotFound(format!("Token {id}")))?;
        if row.revoked_at.is_some() {
            return Ok(row.to_dto());
        }
        sqlx::query("UPDATE api_tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL")
            .bind(id)
            .bind(now_ms())
            .execute(&mut *tx)
            .await?;
        audit.write(&mut tx).await?;
        let row = sqlx::query_as::<_, TokenRow>(&format!(
            "SELECT {COLUMNS} FROM api_tokens WHERE id = $1"
        ))
        .bind(id)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(row.to_dto())
    }

    /// A token that still works: not revoked, not expired, and its owner
    /// active. Returns its id, role, owner and last use.
    async fn working_token(
        &self,
        by: TokenBy<'_>,
        now: i64,
    ) -> Result<Option<(i64, String, super::StaffRow, Option<i64>)>> {
        let column = match by {
            TokenBy::Id(_) => "id",
            TokenBy::Hash(_) => "token_hash",
        };
        let sql = format!(
            "SELECT id, role, staff_id, last_used_at FROM api_tokens \
             WHERE {column} = $1 AND revoked_at IS NULL AND expires_at > $2"
        );
        let q = sqlx::query_as::<_, (i64, String, i64, Option<i64>)>(&sql);
        let q = match by {
            TokenBy::Id(id) => q.bind(id),
            TokenBy::Hash(hash) => q.bind(hash.to_string()),
        };
        let Some((id, role, staff_id, last_used)) = q.bind(now).fetch_optional(&self.pool).await?
        else {
            return Ok(None);
        };
        Ok(self
            .staff_by_id(staff_id)
            .await?
            .filter(|owner| owner.is_active())
            .map(|owner| (id, role, owner, last_used)))
    }

    /// Whether a token still works (a live stream opened with it checks).
    pub async fn token_works(&self, id: i64) -> Result<bool> {
        Ok(self
            .working_token(TokenBy::Id(id), now_ms())
            .await?
            .is_some())
    }

    /// Who a token acts for: `None` when it is unknown, expired, revoked
    /// or its owner is disabled. The role is the lower of the token's and
    /// the owner's current one.
    pub async fn staff_for_token(&self, hash: &str) -> Result<Option<CurrentStaff>> {
        let now = now_ms();
        let Some((token_id, role, owner, last_used)) =
            self.working_token(TokenBy::Hash(hash), now).await?
        else {
            return Ok(None);
        };
        if last_used.is_none_or(|at| now - at >= TOUCH_EVERY_MS) {
            // Best effort: a busy database must not refuse the request.
            let touched = sqlx::query("UPDATE api_tokens SET last_used_at = $2 WHERE id = $1")
                .bind(token_id)
                .bind(now)
                .execute(&self.pool)
                .await;
            if let Err(e) = touched {
                tracing::debug!(error = %e, "a token's last use could not be recorded");
            }
        }
        let mut who = owner.current();
        who.role = who.role.min(Role::parse(&role).unwrap_or(Role::Viewer));
        who.token = Some(token_id);
        Ok(Some(who))
    }
}
