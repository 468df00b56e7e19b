//! Who is calling, their API tokens, the token exchange for `tenantry
//! login`, and staff accounts (admins).

use app::dto::*;
use axum::extract::State;
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use serde::Deserialize;

use super::preconditions::secret_answer;
use super::problem::{ApiError, ApiResult, Body, Caller, Path};
use super::{console, Idempotency};
use crate::http::state::AppState;

#[utoipa::path(get, path = "/api/v1/whoami", tag = "staff",
    responses((status = 200, description = "The caller (role capped by the token's)", body = CurrentStaff)))]
pub async fn whoami(Caller(who): Caller) -> Json<CurrentStaff> {
    Json(who)
}

/// A user name and password for a new token of one's own (what `tenantry
/// login` does); throttled like the sign-in page.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct TokenExchange {
    pub username: String,
    pub password: String,
    /// What the token is for (1–60 characters).
    pub name: String,
    /// At most the account's role; the account's role when absent.
    pub role: Option<Role>,
    /// Days until it expires (1–365, default 30).
    pub expires_in_days: Option<i64>,
}

#[utoipa::path(operation_id = "exchange_password_for_token", post, path = "/api/v1/auth/token", tag = "tokens", request_body = TokenExchange,
    security(()),
    responses((status = 201, description = "The token; its secret is shown once", body = NewTokenResult)))]
pub async fn exchange(
    State(s): State<AppState>,
    parts: Parts,
    Body(form): Body<TokenExchange>,
) -> ApiResult<Response> {
    let made = console(&s)
        .exchange_password(
            &parts,
            form.username,
            form.password,
            form.name,
            form.role,
            form.expires_in_days.unwrap_or(30),
        )
        .await?;
    Ok(secret_answer(StatusCode::CREATED, made))
}

#[utoipa::path(operation_id = "list_tokens", get, path = "/api/v1/tokens", tag = "tokens",
    responses((status = 200, description = "The caller's tokens", body = Vec<TokenDto>)))]
pub async fn tokens(
    State(s): State<AppState>,
    Caller(who): Caller,
) -> ApiResult<Json<Vec<TokenDto>>> {
    Ok(Json(console(&s).list_tokens(&who).await?))
}

/// Only from a signed-in session (a token cannot make tokens).
#[utoipa::path(operation_id = "create_token", post, path = "/api/v1/tokens", tag = "tokens", request_body = NewTokenForm,
    responses((status = 201, description = "The token; its secret is shown once", body = NewTokenResult)))]
pub async fn create_token(
    State(s): State<AppState>,
    Caller(who): Caller,
    Body(form): Body<NewTokenForm>,
) -> ApiResult<Response> {
    let made = console(&s).create_token(&who, form).await?;
    Ok(secret_answer(StatusCode::CREATED, made))
}

/// Only from a signed-in session.
#[utoipa::path(operation_id = "revoke_token", delete, path = "/api/v1/tokens/{id}", tag = "tokens",
    params(("id" = i64, Path, description = "Token id")),
    responses((status = 200, description = "Revoked", body = TokenDto)))]
pub async fn revoke_token(
    State(s): State<AppState>,
    Caller(who): Caller,
    Path(id): Path<i64>,
) -> ApiResult<Json<TokenDto>> {
    Ok(Json(console(&s).revoke_token(&who, id).await?))
}

#[utoipa::path(operation_id = "list_staff", get, path = "/api/v1/staff", tag = "staff",
    responses((status = 200, description = "Every account (admins)", body = Vec<StaffDto>)))]
pub async fn staff(
    State(s): State<AppState>,
    Caller(who): Caller,
) -> ApiResult<Json<Vec<StaffDto>>> {
    Ok(Json(console(&s).list_staff(&who).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct NewStaff {
    pub username: String,
    pub role: Role,
}

/// A new account; its one-time password is in the answer, once.
#[utoipa::path(operation_id = "create_staff", post, path = "/api/v1/staff", tag = "staff", request_body = NewStaff,
    params(Idempotency),
    responses((status = 201, description = "Created", body = NewStaffResult)))]
pub async fn create_staff(
    State(s): State<AppState>,
    Caller(who): Caller,
    Body(form): Body<NewStaff>,
) -> ApiResult<Response> {
    let made = console(&s)
        .create_staff(&who, form.username, form.role.to_string())
        .await?;
    Ok(secret_answer(StatusCode::CREATED, made))
}

/// A role and/or the active flag; disabling ends the account's sessions
/// and revokes its tokens.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct StaffChange {
    pub role: Option<Role>,
    pub active: Option<bool>,
}

#[utoipa::path(operation_id = "change_staff", patch, path = "/api/v1/staff/{id}", tag = "staff", request_body = StaffChange,
    params(("id" = i64, Path, description = "Account id")),
    responses((status = 200, description = "Saved", body = StaffDto)))]
pub async fn change_staff(
    State(s): State<AppState>,
    Caller(who): Caller,
    Path(id): Path<i64>,
    Body(change): Body<StaffChange>,
) -> ApiResult<Json<StaffDto>> {
    let c = console(&s);
    let by_role = match change.role {
        Some(role) => Some(c.set_staff_role(&who, id, role.to_string()).await?),
        None => None,
    };
    let staff = match (change.active, by_role) {
        (Some(active), _) => c.set_staff_active(&who, id, active).await?,
        (None, Some(staff)) => staff,
        (None, None) => {
            return Err(ApiError::from(app::error::AppError::invalid(
                "body",
                "name a role, active, or both",
            )))
        }
    };
    Ok(Json(staff))
}

/// A new generated password (shown once); the account's sessions end.
#[utoipa::path(operation_id = "reset_staff_password", post, path = "/api/v1/staff/{id}/reset-password", tag = "staff",
    params(("id" = i64, Path, description = "Account id"), Idempotency),
    responses((status = 200, description = "The new one-time password", body = NewStaffResult)))]
pub async fn reset_password(
    State(s): State<AppState>,
    Caller(who): Caller,
    Path(id): Path<i64>,
) -> ApiResult<Response> {
    let made = console(&s).reset_staff_password(&who, id).await?;
    Ok(secret_answer(StatusCode::OK, made))
}
