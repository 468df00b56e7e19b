//! The credentials Tenantry generated for a tenant, shown once.

use app::api::credentials::Credentials;
use app::dto::{ApiKeyDto, Credential, CurrentStaff, IssuedApiKey, Role, RotateKeyForm, TenantDto};
use app::error::AppError;

use super::{require, ConsoleService, R};
use crate::provisioning::{api_keys, Engine, TenantPlan};
use crate::store::{AuditEntry, NewKeyHash};
use app::domain::release::contract::api_key_names;

#[async_trait::async_trait]
impl Credentials for ConsoleService {
    /// The generated credentials, once. The mark is set first (so two
    /// clicks cannot both see them) and taken back if the Secrets cannot be
    /// read. Values never reach a log or an error message.
    async fn reveal_credentials(&self, who: &CurrentStaff, id: String) -> R<Vec<Credential>> {
        require(who, Role::Operator, "see generated credentials")?;
        let t = self.store.get_tenant(&id).await?;
        if !t.state.is_live() {
            return Err(AppError::Conflict(format!(
                "Tenant \"{id}\" is {}: credentials exist once it is provisioned.",
                t.state
            )));
        }
        let engine = self.engine().await?;
        if t.credentials_shown_at.is_some() && !t.credentials_rotated.is_empty() {
            return self.reveal_rotated(&engine, who, &t).await;
        }
        let plan = TenantPlan::of(&self.store, &t).await?;
        // The application's: the database superuser's stays Tenantry's.
        let names: Vec<String> = crate::cluster::generated_secrets(
            &plan
                .desired_of(&t, &engine.settings, &engine.cluster.caps)
                .objects(),
        )
        .into_iter()
        .filter(|n| n != crate::manifests::DB_SUPERUSER_SECRET)
        .collect();
        if !self
            .store
            .mark_credentials_shown(&id, &who.username)
            .await?
        {
            return Err(AppError::Conflict(format!(
                "The credentials of \"{id}\" were already shown{}; they are shown once. A generated secret gets a new value by rotation (the tenant page's generated secrets), an API key a new key (its API keys).",
                match (t.credentials_shown_by, t.credentials_shown_at) {
                    (Some(by), Some(at)) => format!(" to {by} at {}", crate::store::format_ms(at)),
                    _ => String::new(),
                }
            )));
        }
        let values =
            match crate::cluster::read_tenant_secrets(&engine.cluster.client, &t.namespace, &names)
                .await
            {
                Ok(values) => values,
                Err(e) => {
                    self.store.unmark_credentials_shown(&id).await?;
                    return Err(AppError::Unavailable(format!(
                        "the credentials cannot be read now ({e}); try again"
                    )));
                }
            };
        let mut out: Vec<Credential> = values
            .into_iter()
            .map(|(name, value)| Credential { name, value })
            .collect();
        // The release's API keys never issued yet are issued now, shown
        // with the rest this once.
        let issued: Vec<String> = self
            .store
            .api_keys(&id)
            .await?
            .into_iter()
            .map(|k| k.name)
            .collect();
        let mut minted = false;
        for name in api_key_names(&plan.release) {
            if issued.contains(&name) {
                continue;
            }
            let (key, hash) = api_keys::mint(&name);
            let k = NewKeyHash {
                tenant_id: &id,
                name: &name,
                hash: &hash,
                overlap_until: None,
            };
            let audit = AuditEntry::new(&who.username, "tenant.api_key_issued", "tenant", &id)
                .detail(format!("key {name}"));
            if self.store.issue_api_key(k, true, audit).await? {
                minted = true;
                out.push(Credential {
                    name: format!("api-key/{name}"),
                    value: key,
                });
            }
        }
        if minted {
            self.publish_keys(&engine, &t, &plan).await;
        }
        Ok(out)
    }

    async fn tenant_api_keys(&self, who: &CurrentStaff, id: String) -> R<Vec<ApiKeyDto>> {
        require(who, Role::Viewer, "see a tenant's API keys")?;
        let t = self.store.get_tenant(&id).await?;
        let declared = api_key_names(&TenantPlan::of(&self.store, &t).await?.release);
        let issued = self.store.api_keys(&id).await?;
        // Declared keys in the release's order; a key a newer release
        // dropped is listed while it is still stored.
        let mut out: Vec<ApiKeyDto> = declared
            .iter()
            .map(|name| {
                issued
                    .iter()
                    .find(|k| &k.name == name)
                    .cloned()
                    .unwrap_or(ApiKeyDto {
                        name: name.clone(),
                        issued_at: None,
                        issued_by: None,
                        previous_until: None,
                    })
            })
            .collect();
        out.extend(issued.into_iter().filter(|k| !declared.contains(&k.name)));
        Ok(out)
    }

    async fn rotate_api_key(
        &self,
        who: &CurrentStaff,
        id: String,
        name: String,
        form: RotateKeyForm,
    ) -> R<IssuedApiKey> {
        require(who, Role::Operator, "rotate API keys")?;
        let hours = app::domain::operation_forms::key_overlap_hours(&form.overlap_hours)
            .map_err(|m| AppError::invalid("overlap_hours", m))?;
        let t = self.store.get_tenant(&id).await?;
        if !t.state.is_live() {
            return Err(AppError::Conflict(format!(
                "Tenant \"{id}\" is {}: its API keys are issued once it is provisioned.",
                t.state
            )));
        }
        let plan = TenantPlan::of(&self.store, &t).await?;
        let declared = api_key_names(&plan.release);
        if !declared.contains(&name) {
            return Err(AppError::invalid(
                "name",
                if declared.is_empty() {
                    format!("the release tenant \"{id}\" runs takes no API keys")
                } else {
                    format!("must be one of the release's keys: {}", declared.join(", "))
                },
            ));
        }
        let engine = self.engine().await?;
        let had_one = self
            .store
            .api_keys(&id)
            .await?
            .iter()
            .any(|k| k.name == name);
        let overlap_until =
            (had_one && hours > 0).then(|| crate::store::now_ms() + i64::from(hours) * 3_600_000);
        let (key, hash) = api_keys::mint(&name);
        let k = NewKeyHash {
            tenant_id: &id,
            name: &name,
            hash: &hash,
            overlap_until,
        };
        let detail = match overlap_until {
            Some(until) => format!(
                "key {name} rotated; the one it replaced is accepted until {}",
                crate::store::format_ms(until)
            ),
            None if had_one => format!("key {name} rotated; the one it replaced stopped at once"),
            None => format!("key {name}"),
        };
        let action = if had_one {
            "tenant.api_key_rotated"
        } else {
            "tenant.api_key_issued"
        };
        let audit = AuditEntry::new(&who.username, action, "tenant", &id).detail(detail);
        self.store.issue_api_key(k, false, audit).await?;
        self.publish_keys(&engine, &t, &plan).await;
        Ok(IssuedApiKey {
            name,
            key,
            previous_until: overlap_until,
        })
    }
}

impl ConsoleService {
    /// The new values of the Secrets rotated since the credentials were
    /// shown, once: taken from the list first (so two clicks cannot both
    /// see them), put back if the cluster cannot be read.
    async fn reveal_rotated(
        &self,
        engine: &Engine,
        who: &CurrentStaff,
        t: &TenantDto,
    ) -> R<Vec<Credential>> {
        let names = &t.credentials_rotated;
        if !self.store.take_rotated(&t.id, names, &who.username).await? {
            return Err(AppError::Conflict(format!(
                "The rotated credentials of \"{}\" were shown meanwhile, or rotated again: reload the page.",
                t.id
            )));
        }
        match crate::cluster::read_tenant_secrets(&engine.cluster.client, &t.namespace, names).await
        {
            Ok(values) => Ok(values
                .into_iter()
                .map(|(name, value)| Credential { name, value })
                .collect()),
            Err(e) => {
                self.store.note_rotated(&t.id, names).await?;
                Err(AppError::Unavailable(format!(
                    "the rotated credentials cannot be read now ({e}); try again"
                )))
            }
        }
    }

    /// Writes the tenant's key hashes to its Secret now. The key is stored
    /// already: when the cluster does not take them now, the tenant's next
    /// run writes them, and the log says so.
    async fn publish_keys(&self, engine: &Engine, t: &TenantDto, plan: &TenantPlan) {
        if let Err(e) = api_keys::publish(&self.store, engine, t, plan).await {
            tracing::warn!(tenant = %t.id, error = %e, "could not write the API keys' hashes; the next run writes them");
        }
    }
}
