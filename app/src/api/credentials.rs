//! The credentials Tenantry generates for a tenant, shown once.

use leptos::prelude::*;

use crate::dto::Credential;
#[cfg(feature = "ssr")]
use crate::dto::CurrentStaff;
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
    }
}

checked!(RevealCredentials);

/// The credentials generated at provisioning, shown once (operators).
#[server(prefix = "/api", endpoint = "reveal_credentials")]
pub async fn reveal_credentials(id: String) -> Result<Vec<Credential>, AppError> {
    serve!(reveal_credentials(id))
}
