//! One's own API tokens (for `/api/v1` and the `tenantry` CLI).

use leptos::prelude::*;

use crate::dto::{NewTokenForm, NewTokenResult, TokenDto};
use crate::error::AppError;

#[server(prefix = "/api", endpoint = "list_tokens")]
pub async fn list_tokens() -> Result<Vec<TokenDto>, AppError> {
    super::ctx::with_status(
        async move {
            let (who, c) = super::ctx::staff_and_console()?;
            c.list_tokens(&who).await
        }
        .await,
    )
}

/// The secret is in the answer once; it is never shown again.
#[server(prefix = "/api", endpoint = "create_token")]
pub async fn create_token(form: NewTokenForm) -> Result<NewTokenResult, AppError> {
    super::ctx::with_status(
        async move {
            let (who, c) = super::ctx::staff_and_console()?;
            c.create_token(&who, form).await
        }
        .await,
    )
}

#[server(prefix = "/api", endpoint = "revoke_token")]
pub async fn revoke_token(id: i64) -> Result<TokenDto, AppError> {
    super::ctx::with_status(
        async move {
            let (who, c) = super::ctx::staff_and_console()?;
            c.revoke_token(&who, id).await
        }
        .await,
    )
}
