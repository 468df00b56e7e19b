//! What a tenant's row knows of its namespace (see `cluster::ownership`):
//! the UID of the namespace Tenantry created, the claim nonce written
//! before creating it, and whether a namespace is some tenant's already.

use super::Store;
use crate::error::{Result, ServerError};

/// What a tenant's row knows of its namespace (see `cluster::ownership`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NamespaceRecord {
    /// The UID of the namespace Tenantry created, once recorded.
    pub uid: Option<String>,
    /// Written before the namespace is created, and onto it.
    pub nonce: Option<String>,
}

const NONCE_ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";

impl Store {
    /// Remembers the UID of the namespace Tenantry created for a tenant, so
    /// teardown removes that object and no other of the same name.
    pub async fn set_namespace_uid(&self, id: &str, uid: &str) -> Result<()> {
        sqlx::query("UPDATE tenants SET namespace_uid = $2 WHERE id = $1")
            .bind(id)
            .bind(uid)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Forgets the namespace once it is gone: its UID and its claim nonce
    /// (the next namespace gets a new one).
    pub async fn forget_namespace(&self, id: &str) -> Result<()> {
        sqlx::query(
            "UPDATE tenants SET namespace_uid = NULL, namespace_nonce = NULL WHERE id = $1",
        )
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// What the row knows of the tenant's namespace: the UID of the one
    /// Tenantry created, and the claim nonce written before creating it.
    pub async fn namespace_record(&self, id: &str) -> Result<NamespaceRecord> {
        let (uid, nonce) = sqlx::query_as::<_, (Option<String>, Option<String>)>(
            "SELECT namespace_uid, namespace_nonce FROM tenants WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or_else(|| ServerError::NotFound(format!("Tenant \"{id}\"")))?;
        Ok(NamespaceRecord { uid, nonce })
    }

    /// Stores the tenant's claim nonce once (before its namespace is
    /// created, so a crash after the create still finds it) and returns
    /// the row's namespace record with it.
    pub async fn namespace_nonce(&self, id: &str) -> Result<NamespaceRecord> {
        let fresh = crate::auth::random_chars(NONCE_ALPHABET, 32);
        sqlx::query(
            "UPDATE tenants SET namespace_nonce = $2 WHERE id = $1 AND namespace_nonce IS NULL",
        )
        .bind(id)
        .bind(&fresh)
        .execute(&self.pool)
        .await?;
        self.namespace_record(id).await
    }

    /// The tenants whose namespace Tenantry made (its UID is on the row):
    /// ID, namespace and record.
    pub async fn namespaces_made(&self) -> Result<Vec<(String, String, NamespaceRecord)>> {
        let rows = sqlx::query_as::<_, (String, String, Option<String>, Option<String>)>(
            "SELECT id, namespace, namespace_uid, namespace_nonce FROM tenants \
             WHERE namespace_uid IS NOT NULL ORDER BY id",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(id, ns, uid, nonce)| (id, ns, NamespaceRecord { uid, nonce }))
            .collect())
    }

    /// Whether a tenant already owns the namespace `ns`.
    pub async fn namespace_taken(&self, ns: &str) -> Result<bool> {
        Ok(
            sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM tenants WHERE namespace = $1")
                .bind(ns)
                .fetch_one(&self.pool)
                .await?
                > 0,
        )
    }
}
