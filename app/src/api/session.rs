//! Signing in and out, one's own password, and one's own API tokens (for
//! `/api/v1` and the `tenantry` CLI).

use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::dto::Role;
use crate::dto::{CurrentStaff, NewTokenForm, NewTokenResult, TokenDto};
use crate::error::AppError;

#[cfg(feature = "ssr")]
type R<T> = Result<T, AppError>;

capability! {
    /// The signed-in person's own session, password and tokens.
    pub trait Session {
        [Page]
        async fn login(&self, req: &http::request::Parts, username: String, password: String) -> R<CurrentStaff>;
        [Page]
        async fn logout(&self, req: &http::request::Parts) -> R<()>;
        /// One's own password, checked against the current one; the
        /// account's other sessions end, and its API tokens too with
        /// `revoke_tokens`.
        [Page]
        async fn change_password(
            &self,
            req: &http::request::Parts,
            who: &CurrentStaff,
            passwords: (String, String),
            revoke_tokens: bool,
        ) -> R<CurrentStaff>;
        /// One's own API tokens.
        [Page, Api]
        async fn list_tokens(&self, who: &CurrentStaff) -> R<Vec<TokenDto>>;
        /// A token for oneself (not from a token); its secret is shown once.
        [Page, Api]
        async fn create_token(&self, who: &CurrentStaff, form: NewTokenForm) -> R<NewTokenResult>;
        [Page, Api]
        async fn revoke_token(&self, who: &CurrentStaff, id: i64) -> R<TokenDto>;
        /// A user name and password (throttled like signing in) for a token
        /// of the account's own: what `tenantry login` does.
        [Api: exchange_password_for_token]
        async fn exchange_password(
            &self,
            req: &http::request::Parts,
            username: String,
            password: String,
            name: String,
            role: Option<Role>,
            expires_in_days: i64,
        ) -> R<NewTokenResult>;
    }
}

checked!(
    Login,
    Logout,
    ChangePassword,
    Whoami,
    ListTokens,
    CreateToken,
    RevokeToken
);

#[server(prefix = "/api", endpoint = "login")]
pub async fn login(username: String, password: String) -> Result<CurrentStaff, AppError> {
    serve!(anonymous login(username, password))
}

#[server(prefix = "/api", endpoint = "logout")]
pub async fn logout() -> Result<(), AppError> {
    serve!(anonymous logout())
}

#[server(prefix = "/api", endpoint = "change_password")]
pub async fn change_password(
    current_password: String,
    new_password: String,
    #[server(default)] revoke_tokens: bool,
) -> Result<CurrentStaff, AppError> {
    serve!(request change_password((current_password, new_password), revoke_tokens))
}

/// `None` when nobody is signed in; never an error for that.
#[server(prefix = "/api", endpoint = "whoami")]
pub async fn whoami() -> Result<Option<CurrentStaff>, AppError> {
    super::ctx::answer(super::ctx::whoami()).await
}

#[server(prefix = "/api", endpoint = "list_tokens")]
pub async fn list_tokens() -> Result<Vec<TokenDto>, AppError> {
    serve!(list_tokens())
}

/// The secret is in the answer once; it is never shown again.
#[server(prefix = "/api", endpoint = "create_token")]
pub async fn create_token(form: NewTokenForm) -> Result<NewTokenResult, AppError> {
    serve!(create_token(form))
}

#[server(prefix = "/api", endpoint = "revoke_token")]
pub async fn revoke_token(id: i64) -> Result<TokenDto, AppError> {
    serve!(revoke_token(id))
}
