//! Tenant records: stored, changed and removed with their audit events
//! (pages of them: `tenant_list.rs`; their namespaces: `namespaces.rs`).

use app::domain::tenant_rules::ValidTenantFields;

use app::dto::{CustomValues, TenantDto, TenantState};
use app::error::AppError;

use super::{now_ms, AuditEntry, Change, Store};
use crate::error::{is_unique_violation, is_unique_violation_on, Result, ServerError};

#[derive(sqlx::FromRow)]
pub(super) struct TenantRow {
    id: String,
    namespace: String,
    namespace_uid: Option<String>,
    company_name: String,
    owner_email: String,
    owner_name: String,
    template_id: i64,
    template_version: i64,
    template_name: String,
    release_number: i64,
    custom_domain: Option<String>,
    served_domain: Option<String>,
    domain_verified: Option<String>,
    domain_check: Option<String>,
    domain_checked_at: Option<i64>,
    custom_fields: String,
    state: String,
    state_detail: Option<String>,
    observed_at: Option<i64>,
    api_replicas: Option<i64>,
    web_replicas: Option<i64>,
    created_at: i64,
    updated_at: i64,
    created_by: String,
    credentials_shown_at: Option<i64>,
    credentials_shown_by: Option<String>,
    credentials_rotated: Option<String>,
    secrets_rotated_at: Option<i64>,
    custom_plan: i64,
    last_backup_at: Option<i64>,
    first_live_at: Option<i64>,
}

impl From<TenantRow> for TenantDto {
    fn from(r: TenantRow) -> Self {
        TenantDto {
            id: r.id,
            namespace: r.namespace,
            namespace_uid: r.namespace_uid,
            company_name: r.company_name,
            owner_email: r.owner_email,
            owner_name: r.owner_name,
            template_id: r.template_id,
            template_name: r.template_name,
            template_version: r.template_version,
            release: r.release_number,
            custom_domain: r.custom_domain,
            served_domain: r.served_domain,
            domain_verified: r.domain_verified,
            domain_check: r.domain_check,
            domain_checked_at: r.domain_checked_at,
            // Written only from a checked map (see `custom_fields_json`).
            custom_fields: serde_json::from_str(&r.custom_fields).unwrap_or_default(),
            state: TenantState::parse(&r.state).unwrap_or(TenantState::Failed),
            state_detail: r.state_detail,
            observed_at: r.observed_at,
            api_replicas: r.api_replicas,
            web_replicas: r.web_replicas,
            created_at: r.created_at,
            updated_at: r.updated_at,
            created_by: r.created_by,
            health: None,
            urls: vec![],
            credentials_shown_at: r.credentials_shown_at,
            credentials_shown_by: r.credentials_shown_by,
            credentials_rotated: super::rotations::names(r.credentials_rotated.as_deref()),
            secrets_rotated_at: r.secrets_rotated_at,
            custom_plan: r.custom_plan != 0,
            last_backup_at: r.last_backup_at,
            first_live_at: r.first_live_at,
        }
    }
}

/// A validated tenant ready to be stored.
pub struct NewTenantRecord<'a> {
    pub id: &'a str,
    /// Decided once, from the namespace prefix in force at creation.
    pub namespace: &'a str,
    pub fields: &'a ValidTenantFields,
    pub template_id: i64,
    /// The release of the plan's application it runs (`None`: the newest).
    pub release: Option<i64>,
    /// Its custom field values, checked against that release.
    pub custom_fields: &'a CustomValues,
}

/// Custom field values as stored.
pub(super) fn custom_fields_json(values: &CustomValues) -> String {
    serde_json::to_string(values).unwrap_or_else(|_| "{}".into())
}

pub(super) const SELECT: &str = "SELECT t.id, t.namespace, t.namespace_uid, t.company_name, t.owner_email, t.owner_name, t.template_id, t.template_version, \
     v.name AS template_name, COALESCE(t.release_number, 1) AS release_number, t.custom_domain, t.served_domain, t.domain_verified, t.domain_check, t.domain_checked_at, t.custom_fields, t.state, t.state_detail, t.observed_at, \
     t.api_replicas, t.web_replicas, t.created_at, t.updated_at, t.created_by, \
     t.credentials_shown_at, t.credentials_shown_by, t.credentials_rotated, t.secrets_rotated_at, t.first_live_at, \
     (SELECT MAX(b.taken_at) FROM backups b WHERE b.tenant_id = t.id AND b.pruned_at IS NULL) AS last_backup_at, \
     COALESCE((SELECT x.custom FROM templates x WHERE x.id = t.template_id), 0) AS custom_plan \
     FROM tenants t JOIN template_versions v ON v.template_id = t.template_id AND v.version = t.template_version";

fn domain_taken(domain: &Option<String>) -> ServerError {
    ServerError::App(AppError::invalid(
        "custom_domain",
        format!(
            "\"{}\" is already used by another tenant",
            domain.as_deref().unwrap_or_default()
        ),
    ))
}

/// Where a tenant stands as its record says: its state, its namespace and
/// the record's version (`updated_at`, which every run's state write and
/// every edit moves), so what is judged against the record can be written
/// back only while the record is unchanged.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TenantStanding {
    pub id: String,
    pub state: TenantState,
    pub namespace: String,
    pub version: i64,
}

impl From<&TenantDto> for TenantStanding {
    fn from(t: &TenantDto) -> Self {
        TenantStanding {
            id: t.id.clone(),
            state: t.state,
            namespace: t.namespace.clone(),
            version: t.updated_at,
        }
    }
}

impl Store {
    /// The tenants matching `clause` (its `$1` bound to `value`).
    pub(super) async fn tenants_where(&self, clause: &str, value: i64) -> Result<Vec<TenantDto>> {
        let rows = sqlx::query_as::<_, TenantRow>(&format!("{SELECT} WHERE {clause}"))
            .bind(value)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    pub async fn get_tenant(&self, id: &str) -> Result<TenantDto> {
        sqlx::query_as::<_, TenantRow>(&format!("{SELECT} WHERE t.id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .map(Into::into)
            .ok_or_else(|| ServerError::NotFound(format!("Tenant \"{id}\"")))
    }

    pub async fn tenant_exists(&self, id: &str) -> Result<bool> {
        Ok(
            sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM tenants WHERE id = $1")
                .bind(id)
                .fetch_one(&self.pool)
                .await?
                > 0,
        )
    }

    /// Stores a new tenant at its template's current version. An ID already
    /// taken comes back as a field error on `tenant_id`.
    pub async fn insert_tenant(&self, t: NewTenantRecord<'_>, actor: &str) -> Result<TenantDto> {
        let mut tx = self.begin().await?;
        let taken = sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM tenants WHERE id = $1")
            .bind(t.id)
            .fetch_one(&mut *tx)
            .await?;
        if taken > 0 {
            return Err(ServerError::App(AppError::invalid(
                "tenant_id",
                format!("\"{}\" is already taken", t.id),
            )));
        }
        let (version, custom) = sqlx::query_as::<_, (i64, i64)>(
            "SELECT current_version, custom FROM templates WHERE id = $1",
        )
        .bind(t.template_id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| {
            ServerError::App(AppError::invalid(
                "template_id",
                "names no existing template",
            ))
        })?;
        let now = now_ms();
        sqlx::query(
            concat!(
                "INSERT INTO tenants (id, company_name, owner_email, owner_name, template_id, template_version, \
                 custom_domain, state, created_at, updated_at, created_by, namespace, custom_fields, release_number) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $10, $11, $12, COALESCE($13, \
                 (SELECT MAX(r.number) FROM releases r JOIN templates tp ON tp.id = $5 WHERE r.application_id = ",
                super::applications::application_of!(),
                ")))"
            ),
        )
        .bind(t.id)
        .bind(&t.fields.company_name)
        .bind(&t.fields.owner_email)
        .bind(&t.fields.owner_name)
        .bind(t.template_id)
        .bind(version)
        .bind(t.fields.custom_domain.clone())
        .bind(TenantState::Pending.as_str())
        .bind(now)
        .bind(actor)
        .bind(t.namespace)
        .bind(custom_fields_json(t.custom_fields))
        .bind(t.release)
        .execute(&mut *tx)
        .await
        .map_err(|e| {
            if is_unique_violation_on(&e, "custom_domain") {
                domain_taken(&t.fields.custom_domain)
            } else if is_unique_violation_on(&e, "namespace") {
                ServerError::App(AppError::invalid(
                    "tenant_id",
                    format!("the namespace \"{}\" is already another tenant's", t.namespace),
                ))
            } else if is_unique_violation(&e) {
                ServerError::App(AppError::invalid("tenant_id", format!("\"{}\" is already taken", t.id)))
            } else {
                e.into()
            }
        })?;
        AuditEntry::new(actor, "tenant.create", "tenant", t.id)
            .detail(if custom != 0 {
                format!(
                    "custom (no plan): its application's custom plan, template {} v{version}",
                    t.template_id
                )
            } else {
                format!("template {} v{version}", t.template_id)
            })
            .write(&mut tx)
            .await?;
        tx.commit().await?;
        self.changed(Change::Tenant(t.id.to_string()));
        self.get_tenant(t.id).await
    }

    pub async fn update_tenant(
        &self,
        id: &str,
        f: &ValidTenantFields,
        based_on: Option<i64>,
        actor: &str,
    ) -> Result<TenantDto> {
        let before = self.get_tenant(id).await?;
        // Guarded on the version the edit started from, when it says.
        let seen = based_on.unwrap_or(before.updated_at);
        if seen != before.updated_at {
            return Err(stale_tenant(id).into());
        }
        let mut tx = self.begin().await?;
        let done = sqlx::query(&format!(
            "UPDATE tenants SET company_name = $2, owner_email = $3, owner_name = $4, custom_domain = $5, \
             {} WHERE id = $1 AND updated_at = $7",
            super::bump_updated_at(6)
        ))
        .bind(id)
        .bind(&f.company_name)
        .bind(&f.owner_email)
        .bind(&f.owner_name)
        .bind(f.custom_domain.clone())
        .bind(now_ms())
        .bind(seen)
        .execute(&mut *tx)
        .await
        .map_err(|e| if is_unique_violation(&e) { domain_taken(&f.custom_domain) } else { e.into() })?;
        if done.rows_affected() == 0 {
            drop(tx);
            return Err(match self.get_tenant(id).await {
                Ok(_) => stale_tenant(id).into(),
                Err(e) => e,
            });
        }
        let mut changed = vec![];
        if before.company_name != f.company_name {
            changed.push("company_name");
        }
        if before.owner_email != f.owner_email {
            changed.push("owner_email");
        }
        if before.owner_name != f.owner_name {
            changed.push("owner_name");
        }
        if before.custom_domain != f.custom_domain {
            changed.push("custom_domain");
        }
        AuditEntry::new(actor, "tenant.update", "tenant", id)
            .detail(format!(
                "changed: {}",
                if changed.is_empty() {
                    "nothing".into()
                } else {
                    changed.join(", ")
                }
            ))
            .write(&mut tx)
            .await?;
        tx.commit().await?;
        self.changed(Change::Tenant(id.to_string()));
        self.get_tenant(id).await
    }

    /// Removes a record that was never provisioned. Anything on a cluster is
    /// taken apart by deprovisioning instead.
    pub async fn delete_tenant(&self, id: &str, actor: &str) -> Result<()> {
        let mut tx = self.begin().await?;
        let state = sqlx::query_scalar::<_, String>("SELECT state FROM tenants WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| ServerError::NotFound(format!("Tenant \"{id}\"")))?;
        if state != TenantState::Pending.as_str() {
            return Err(ServerError::Conflict(format!(
                "Tenant \"{id}\" is {state}: only a pending record can be deleted; deprovision it instead."
            )));
        }
        for table in ["tenant_api_keys", "tenant_jobs"] {
            sqlx::query(&format!("DELETE FROM {table} WHERE tenant_id = $1"))
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query("DELETE FROM tenants WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        AuditEntry::new(actor, "tenant.delete", "tenant", id)
            .write(&mut tx)
            .await?;
        tx.commit().await?;
        self.changed(Change::Tenant(id.to_string()));
        Ok(())
    }

    /// Marks a tenant's credentials as shown (once): false when they were
    /// shown before.
    pub async fn mark_credentials_shown(&self, id: &str, actor: &str) -> Result<bool> {
        let mut tx = self.begin().await?;
        let done = sqlx::query(
            "UPDATE tenants SET credentials_shown_at = $2, credentials_shown_by = $3, \
             credentials_rotated = NULL WHERE id = $1 AND credentials_shown_at IS NULL",
        )
        .bind(id)
        .bind(now_ms())
        .bind(actor)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Ok(false);
        }
        AuditEntry::new(actor, "tenant.credentials_shown", "tenant", id)
            .write(&mut tx)
            .await?;
        tx.commit().await?;
        self.changed(Change::Tenant(id.to_string()));
        Ok(true)
    }

    /// Undoes [`Store::mark_credentials_shown`] when they could not be read.
    pub async fn unmark_credentials_shown(&self, id: &str) -> Result<()> {
        sqlx::query(
            "UPDATE tenants SET credentials_shown_at = NULL, credentials_shown_by = NULL WHERE id = $1",
        )
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Every tenant's state, namespace and record version, for the index.
    pub async fn tenant_states(&self) -> Result<Vec<TenantStanding>> {
        let rows = sqlx::query_as::<_, (String, String, String, i64)>(
            "SELECT id, state, namespace, updated_at FROM tenants",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .filter_map(|(id, s, namespace, version)| {
                TenantState::parse(&s).map(|state| TenantStanding {
                    id,
                    state,
                    namespace,
                    version,
                })
            })
            .collect())
    }

    pub async fn tenants_by_state(&self) -> Result<Vec<(TenantState, i64)>> {
        let rows = sqlx::query_as::<_, (String, i64)>(
            "SELECT state, COUNT(*) FROM tenants GROUP BY state ORDER BY state",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .filter_map(|(s, n)| TenantState::parse(&s).map(|s| (s, n)))
            .collect())
    }
}

fn stale_tenant(id: &str) -> AppError {
    AppError::Stale(format!(
        "Tenant \"{id}\" was changed since this edit began: reload it and apply the edit again"
    ))
}
