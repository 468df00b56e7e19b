//! The credentials Tenantry generated for a tenant, shown once.

use app::api::credentials::Credentials;
use app::dto::{Credential, CurrentStaff, Role};
use app::error::AppError;

use super::{require, ConsoleService, R};

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
        let plan = crate::provisioning::TenantPlan::of(&self.store, &t).await?;
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
                "The credentials of \"{id}\" were already shown{}; they are shown once. Rotate them to get new ones.",
                match (t.credentials_shown_by, t.credentials_shown_at) {
                    (Some(by), Some(at)) => format!(" to {by} at {}", crate::store::format_ms(at)),
                    _ => String::new(),
                }
            )));
        }
        match crate::cluster::read_tenant_secrets(&engine.cluster.client, &t.namespace, &names)
            .await
        {
            Ok(values) => Ok(values
                .into_iter()
                .map(|(name, value)| Credential { name, value })
                .collect()),
            Err(e) => {
                self.store.unmark_credentials_shown(&id).await?;
                Err(AppError::Unavailable(format!(
                    "the credentials cannot be read now ({e}); try again"
                )))
            }
        }
    }
}
