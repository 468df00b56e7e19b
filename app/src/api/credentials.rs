//! The credentials Tenantry generates for a tenant, shown once.

use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::dto::CurrentStaff;
use crate::dto::{ApiKeyDto, Credential, IssuedApiKey, RotateKeyForm};
use crate::error::AppError;

#[cfg(feature = "ssr")]
type R<T> = Result<T, AppError>;

capability! {
    /// The tenant's generated credentials.
    pub trait Credentials {
        /// The credentials generated at provisioning, once (operators);
        /// later calls are refused.
        [Page]
        async fn reveal_credentials(&self, who: &CurrentStaff, id: String) -> R<Vec<Credential>>;
        /// The tenant's API keys as its release names them: when each was
        /// issued and until when a replaced one is still accepted; never a
        /// key or its hash.
        [Page, Api]
        async fn tenant_api_keys(&self, who: &CurrentStaff, id: String) -> R<Vec<ApiKeyDto>>;
        /// A new key `name` (shown this once; operators): the key it
        /// replaces stays accepted for the overlap the form asks for.
        [Page, Api]
        async fn rotate_api_key(&self, who: &CurrentStaff, id: String, name: String, form: RotateKeyForm) -> R<IssuedApiKey>;
    }
}

checked!(RevealCredentials, TenantApiKeys, RotateApiKey);

/// The credentials generated at provisioning, shown once (operators).
#[server(prefix = "/api", endpoint = "reveal_credentials")]
pub async fn reveal_credentials(id: String) -> Result<Vec<Credential>, AppError> {
    serve!(reveal_credentials(id))
}

/// The tenant's API keys (never a key or its hash).
#[server(prefix = "/api", endpoint = "tenant_api_keys")]
pub async fn tenant_api_keys(id: String) -> Result<Vec<ApiKeyDto>, AppError> {
    serve!(tenant_api_keys(id))
}

/// A new API key, shown once; the replaced one stays accepted for the
/// overlap.
#[server(prefix = "/api", endpoint = "rotate_api_key")]
pub async fn rotate_api_key(
    id: String,
    name: String,
    #[server(default)] form: RotateKeyForm,
) -> Result<IssuedApiKey, AppError> {
    serve!(rotate_api_key(id, name, form))
}
