//! Sign-in, sign-out and "who am I".

use leptos::prelude::*;

use crate::dto::CurrentStaff;
use crate::error::AppError;

#[server(prefix = "/api", endpoint = "login")]
pub async fn login(username: String, password: String) -> Result<CurrentStaff, AppError> {
    super::ctx::with_status(
        async move {
            let req = super::ctx::request()?;
            super::ctx::console()?.login(&req, username, password).await
        }
        .await,
    )
}

#[server(prefix = "/api", endpoint = "logout")]
pub async fn logout() -> Result<(), AppError> {
    super::ctx::with_status(
        async move {
            let req = super::ctx::request()?;
            super::ctx::console()?.logout(&req).await
        }
        .await,
    )
}

#[server(prefix = "/api", endpoint = "change_password")]
pub async fn change_password(
    current_password: String,
    new_password: String,
    #[server(default)] revoke_tokens: bool,
) -> Result<CurrentStaff, AppError> {
    super::ctx::with_status(
        async move {
            let req = super::ctx::request()?;
            let (who, c) = super::ctx::staff_and_console()?;
            c.change_password(&req, &who, (current_password, new_password), revoke_tokens)
                .await
        }
        .await,
    )
}

/// `None` when nobody is signed in; never an error for that.
#[server(prefix = "/api", endpoint = "whoami")]
pub async fn whoami() -> Result<Option<CurrentStaff>, AppError> {
    super::ctx::with_status(
        async move {
            match super::ctx::staff() {
                Ok(s) => Ok(Some(s)),
                Err(AppError::Unauthorized) => Ok(None),
                Err(e) => Err(e),
            }
        }
        .await,
    )
}
