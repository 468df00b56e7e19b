//! Staff accounts. The password hash stays in [`StaffRow`], which is neither
//! `Serialize` nor printed whole by `Debug`.

use app::dto::{Role, StaffDto};

use super::{now_ms, AuditEntry, Backend, Store};
use crate::error::{is_unique_violation, Result, ServerError};

#[derive(Clone, sqlx::FromRow)]
pub struct StaffRow {
    pub id: i64,
    pub username: String,
    pub password_hash: String,
    pub role: String,
    pub active: i64,
    pub session_epoch: i64,
    pub created_at: i64,
    pub last_login_at: Option<i64>,
    pub must_change_password: i64,
}

impl std::fmt::Debug for StaffRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StaffRow")
            .field("id", &self.id)
            .field("username", &self.username)
            .field("role", &self.role)
            .field("active", &self.active)
            .finish_non_exhaustive()
    }
}

impl StaffRow {
    pub fn role(&self) -> Role {
        // The schema's CHECK constraint admits only the three roles; an
        // unknown one would be a corrupted row, given the least power.
        Role::parse(&self.role).unwrap_or(Role::Viewer)
    }

    pub fn is_active(&self) -> bool {
        self.active != 0
    }

    /// The signed-in view of this account.
    pub fn current(&self) -> app::dto::CurrentStaff {
        app::dto::CurrentStaff {
            id: self.id,
            username: self.username.clone(),
            role: self.role(),
            must_change_password: self.must_change_password != 0,
            token: None,
        }
    }

    pub fn to_dto(&self) -> StaffDto {
        StaffDto {
            id: self.id,
            username: self.username.clone(),
            role: self.role(),
            active: self.is_active(),
            created_at: self.created_at,
            last_login_at: self.last_login_at,
            must_change_password: self.must_change_password != 0,
        }
    }
}

const COLUMNS: &str = "id, username, password_hash, role, active, session_epoch, created_at, \
     last_login_at, must_change_password";

/// Whose a password is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PasswordKind {
    /// Made by Tenantry and shown once: changed at the first sign-in.
    Generated,
    /// Chosen by the operator or the account's owner.
    Chosen,
}

/// What else a change of a staff account does in its transaction.
#[derive(Clone, Copy)]
struct StaffChange {
    /// Disabling: the account's API tokens go with it.
    revoke_tokens: bool,
    /// Demoting or disabling: refused if it would leave no active admin.
    keep_an_admin: bool,
}

impl Store {
    pub async fn count_staff(&self) -> Result<i64> {
        Ok(sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM staff")
            .fetch_one(&self.pool)
            .await?)
    }

    /// A new account. `password` says whose the password is: a generated
    /// one must be changed at the first sign-in.
    pub async fn insert_staff(
        &self,
        username: &str,
        (hash, password): (&str, PasswordKind),
        role: Role,
        audit: AuditEntry<'_>,
    ) -> Result<StaffRow> {
        let mut tx = self.begin().await?;
        let row = sqlx::query_as::<_, StaffRow>(&format!(
            "INSERT INTO staff (username, password_hash, role, active, session_epoch, created_at, \
             must_change_password) VALUES ($1, $2, $3, 1, 0, $4, $5) RETURNING {COLUMNS}"
        ))
        .bind(username)
        .bind(hash)
        .bind(role.as_str())
        .bind(now_ms())
        .bind(i64::from(password == PasswordKind::Generated))
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| {
            if is_unique_violation(&e) {
                ServerError::App(app::error::AppError::invalid(
                    "username",
                    format!("\"{username}\" is already taken"),
                ))
            } else {
                e.into()
            }
        })?;
        audit.write(&mut tx).await?;
        tx.commit().await?;
        Ok(row)
    }

    pub async fn staff_by_id(&self, id: i64) -> Result<Option<StaffRow>> {
        Ok(
            sqlx::query_as::<_, StaffRow>(&format!("SELECT {COLUMNS} FROM staff WHERE id = $1"))
                .bind(id)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    pub async fn staff_by_username(&self, username: &str) -> Result<Option<StaffRow>> {
        Ok(sqlx::query_as::<_, StaffRow>(&format!(
            "SELECT {COLUMNS} FROM staff WHERE username = $1"
        ))
        .bind(username)
        .fetch_optional(&self.pool)
        .await?)
    }

    pub async fn list_staff(&self) -> Result<Vec<StaffRow>> {
        Ok(
            sqlx::query_as::<_, StaffRow>(&format!(
                "SELECT {COLUMNS} FROM staff ORDER BY username"
            ))
            .fetch_all(&self.pool)
            .await?,
        )
    }

    /// Changes a role; open sessions see the new role on their next request.
    pub async fn set_staff_role(
        &self,
        id: i64,
        role: Role,
        audit: AuditEntry<'_>,
    ) -> Result<StaffRow> {
        let change = StaffChange {
            revoke_tokens: false,
            keep_an_admin: role != Role::Admin,
        };
        self.update_staff(
            id,
            "UPDATE staff SET role = $2 WHERE id = $1",
            Some(role.as_str().to_string()),
            change,
            audit,
        )
        .await
    }

    /// Disabling also ends every session of the account (its epoch moves on).
    pub async fn set_staff_active(
        &self,
        id: i64,
        active: bool,
        audit: AuditEntry<'_>,
    ) -> Result<StaffRow> {
        let sql = if active {
            "UPDATE staff SET active = 1 WHERE id = $1"
        } else {
            "UPDATE staff SET active = 0, session_epoch = session_epoch + 1 WHERE id = $1"
        };
        // Disabling revokes the account's API tokens in the same
        // transaction: enabling it again does not bring them back.
        let change = StaffChange {
            revoke_tokens: !active,
            keep_an_admin: !active,
        };
        self.update_staff(id, sql, None, change, audit).await
    }

    /// A new password ends every session of the account; a generated one
    /// (a reset) must be changed at the next sign-in, one the account's
    /// owner chose need not.
    /// Sets an account's password; `revoke_tokens` also revokes its API
    /// tokens (always so for a reset: the account may be in the wrong hands).
    pub async fn set_staff_password(
        &self,
        id: i64,
        (hash, password): (&str, PasswordKind),
        revoke_tokens: bool,
        audit: AuditEntry<'_>,
    ) -> Result<StaffRow> {
        let sql = match password {
            PasswordKind::Generated => {
                "UPDATE staff SET password_hash = $2, session_epoch = session_epoch + 1, \
                 must_change_password = 1 WHERE id = $1"
            }
            PasswordKind::Chosen => {
                "UPDATE staff SET password_hash = $2, session_epoch = session_epoch + 1, \
                 must_change_password = 0 WHERE id = $1"
            }
        };
        let change = StaffChange {
            revoke_tokens: revoke_tokens || password == PasswordKind::Generated,
            keep_an_admin: false,
        };
        self.update_staff(id, sql, Some(hash.to_string()), change, audit)
            .await
    }

    async fn update_staff(
        &self,
        id: i64,
        sql: &str,
        arg: Option<String>,
        change: StaffChange,
        audit: AuditEntry<'_>,
    ) -> Result<StaffRow> {
        let mut tx = self.begin().await?;
        if change.keep_an_admin {
            self.refuse_last_admin(&mut tx, id).await?;
        }
        let mut q = sqlx::query(sql).bind(id);
        if let Some(a) = arg {
            q = q.bind(a);
        }
        if q.execute(&mut *tx).await?.rows_affected() == 0 {
            return Err(ServerError::NotFound(format!("Staff account {id}")));
        }
        if change.revoke_tokens {
            sqlx::query(
                "UPDATE api_tokens SET revoked_at = $2 WHERE staff_id = $1 AND revoked_at IS NULL",
            )
            .bind(id)
            .bind(now_ms())
            .execute(&mut *tx)
            .await?;
        }
        audit.write(&mut tx).await?;
        let row =
            sqlx::query_as::<_, StaffRow>(&format!("SELECT {COLUMNS} FROM staff WHERE id = $1"))
                .bind(id)
                .fetch_one(&mut *tx)
                .await?;
        tx.commit().await?;
        Ok(row)
    }

    /// Refuses, inside the write's transaction, a change that would leave
    /// no active admin: the active admins are read with their rows locked
    /// (PostgreSQL; SQLite's write transaction holds the database), so two
    /// admins demoting each other at once cannot both succeed.
    async fn refuse_last_admin(
        &self,
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        id: i64,
    ) -> Result<()> {
        let lock = if self.backend() == Backend::Postgres {
            " FOR UPDATE"
        } else {
            ""
        };
        let admins = sqlx::query_as::<_, (i64, String)>(&format!(
            "SELECT id, username FROM staff WHERE role = 'admin' AND active = 1 ORDER BY id{lock}"
        ))
        .fetch_all(&mut **tx)
        .await?;
        match admins.as_slice() {
            [(only, name)] if *only == id => Err(ServerError::App(app::error::AppError::Conflict(
                format!("\"{name}\" is the last active admin; make another admin first."),
            ))),
            _ => Ok(()),
        }
    }

    pub async fn touch_staff_login(&self, id: i64) -> Result<()> {
        sqlx::query("UPDATE staff SET last_login_at = $2 WHERE id = $1")
            .bind(id)
            .bind(now_ms())
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
