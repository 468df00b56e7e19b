//! Personal API tokens: made by their owner (in the console, or from a
//! user name and password by `tenantry login`), shown once, stored hashed,
//! revocable, never above the owner's role.

use app::domain::text::check_human_text;
use app::dto::{CurrentStaff, NewTokenForm, NewTokenResult, Role};
use app::error::{AppError, FieldErrors};

use super::{require, ConsoleService, R};
use crate::auth::mint_token;
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
}
