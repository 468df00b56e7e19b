//! Personal API tokens: made by their owner (in the console, or from a
//! user name and password by `tenantry login`), shown once, stored hashed,
//! revocable, never above the owner's role.

use app::domain::text::check_human_text;
use app::dto::{CurrentStaff, NewTokenForm, NewTokenResult, Role, TokenDto};
use app::error::{AppError, FieldErrors};

use super::{require, ConsoleService, R};
use crate::auth::{address_of, mint_token};
use crate::store::{now_ms, AuditEntry, NewToken};

const MAX_NAME: usize = 60;
const MAX_DAYS: i64 = 365;

/// Refused to a token: only a person signed in (or a password, for
/// `tenantry login`) may make or revoke tokens or reset their own password.
pub(super) fn by_person(who: &CurrentStaff, action: &str) -> R<()> {
    match who.token {
        None => Ok(()),
        Some(_) => Err(AppError::Forbidden {
            have: format!("{} (API token)", who.role),
            need: "a signed-in session".into(),
            action: action.into(),
        }),
    }
}

impl ConsoleService {
    pub(super) async fn tokens(&self, who: &CurrentStaff) -> R<Vec<TokenDto>> {
        require(who, Role::Viewer, "list API tokens")?;
        Ok(self.store.list_tokens(who.id).await?)
    }

    pub(super) async fn new_token(
        &self,
        who: &CurrentStaff,
        form: NewTokenForm,
        how: &str,
    ) -> R<NewTokenResult> {
        require(who, Role::Viewer, "make API tokens")?;
        by_person(who, "make API tokens")?;
        let mut errors = FieldErrors::default();
        let name = form.name.trim().to_string();
        if name.is_empty() {
            errors.push("name", "must not be empty");
        } else {
            errors.check("name", check_human_text(&name, MAX_NAME, false));
        }
        if form.role > who.role {
            errors.push(
                "role",
                format!("may be at most your own role ({})", who.role),
            );
        }
        if !(1..=MAX_DAYS).contains(&form.expires_in_days) {
            errors.push("expires_in_days", format!("must be 1 to {MAX_DAYS} days"));
        }
        errors.into_result()?;
        let minted = mint_token();
        let token = self
            .store
            .insert_token(
                NewToken {
                    staff_id: who.id,
                    name: &name,
                    role: form.role,
                    hash: &minted.hash,
                    prefix: &minted.prefix,
                    expires_at: now_ms() + form.expires_in_days * 24 * 3600 * 1000,
                },
                AuditEntry::new(&who.username, "token.create", "staff", who.username.clone())
                    .detail(format!(
                        "\"{name}\" ({}…), role {}, {} days, {how}",
                        minted.prefix, form.role, form.expires_in_days
                    )),
            )
            .await?;
        Ok(NewTokenResult {
            token,
            secret: minted.secret,
        })
    }

    pub(super) async fn revoke(&self, who: &CurrentStaff, id: i64) -> R<TokenDto> {
        require(who, Role::Viewer, "revoke API tokens")?;
        by_person(who, "revoke API tokens")?;
        Ok(self
            .store
            .revoke_token(
                who.id,
                id,
                AuditEntry::new(&who.username, "token.revoke", "staff", who.username.clone())
                    .detail(format!("token {id}")),
            )
            .await?)
    }

    /// `tenantry login`: a user name and password (throttled like the
    /// sign-in page) for a token of the account's own.
    pub(super) async fn exchange_password(
        &self,
        req: &http::request::Parts,
        (username, password): (String, String),
        name: String,
        role: Option<Role>,
        expires_in_days: i64,
    ) -> R<NewTokenResult> {
        let row = self.check_password(req, username, password).await?;
        if row.must_change_password != 0 {
            return Err(AppError::PasswordChangeRequired);
        }
        let how = format!("by password from {}", address_of(req));
        let form = NewTokenForm {
            name,
            role: role.unwrap_or(row.role()),
            expires_in_days,
        };
        self.new_token(&row.current(), form, &how).await
    }
}
