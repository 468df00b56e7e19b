//! Sign-in, sign-out and changing one's own password: throttled, audited,
//! and rotating the session id.

use app::domain::validate::{validate_password, MAX_PASSWORD};
use app::dto::{CurrentStaff, NewTokenForm, NewTokenResult, Role, TokenDto};
use app::error::AppError;
use tower_sessions::Session;

use app::api::session::Session as SessionCalls;

use super::tokens::by_person;
use super::{require, ConsoleService, R};
use crate::auth::{address_of, hash_password, try_hash_slot, SESSION_EPOCH, SESSION_STAFF_ID};
use crate::store::{AuditEntry, PasswordKind};

/// The longest user name looked up; longer ones cannot exist.
const MAX_USERNAME: usize = 64;
/// Failed sign-ins of one account from one address within this are one
/// audit event, with a count.
const FAILURES_FOLDED_FOR: std::time::Duration = std::time::Duration::from_secs(15 * 60);

fn session_of(req: &http::request::Parts) -> R<Session> {
    req.extensions
        .get::<Session>()
        .cloned()
        .ok_or_else(|| AppError::Unavailable("sessions are not available on this route".into()))
}

fn session_error(e: tower_sessions::session::Error) -> AppError {
    tracing::error!(error = %e, "session store failed");
    AppError::Unavailable(format!("The session could not be saved: {e}."))
}

#[async_trait::async_trait]
impl SessionCalls for ConsoleService {
    async fn login(
        &self,
        req: &http::request::Parts,
        username: String,
        password: String,
    ) -> R<CurrentStaff> {
        let session = session_of(req)?;
        let address = address_of(req);
        let row = self.check_password(req, username, password).await?;
        session.cycle_id().await.map_err(session_error)?;
        session
            .insert(SESSION_STAFF_ID, row.id)
            .await
            .map_err(session_error)?;
        session
            .insert(SESSION_EPOCH, row.session_epoch)
            .await
            .map_err(session_error)?;
        // Save now, so the row exists before the response leaves.
        session.save().await.map_err(session_error)?;
        self.store.touch_staff_login(row.id).await?;
        self.store
            .write_audit(
                AuditEntry::new(&row.username, "auth.login", "staff", row.username.clone())
                    .detail(format!("from {address}")),
            )
            .await?;
        Ok(row.current())
    }

    async fn logout(&self, req: &http::request::Parts) -> R<()> {
        let session = session_of(req)?;
        if let Some(app::dto::Principal(Some(who))) = req.extensions.get::<app::dto::Principal>() {
            self.store
                .write_audit(AuditEntry::new(
                    &who.username,
                    "auth.logout",
                    "staff",
                    who.username.clone(),
                ))
                .await?;
        }
        session.flush().await.map_err(session_error)?;
        Ok(())
    }

    /// Every staff member changes their own password here (and must, after
    /// signing in with a generated one). The account's other sessions end;
    /// this one continues under a new id.
    async fn change_password(
        &self,
        req: &http::request::Parts,
        who: &CurrentStaff,
        (current, new): (String, String),
        revoke_tokens: bool,
    ) -> R<CurrentStaff> {
        let session = session_of(req)?;
        let mut errors = app::error::FieldErrors::default();
        errors.check("new_password", validate_password(&new));
        if new == current {
            errors.push("new_password", "must differ from the current password");
        }
        errors.into_result()?;
        // The current password is checked as a sign-in is: from the
        // bounded hashing pool, throttled per account and address with the
        // same records (guesses here lock sign-in too, and the other way
        // round), a failure audited.
        match self
            .check_password(req, who.username.clone(), current)
            .await
        {
            Ok(row) if row.id == who.id => {}
            Ok(_) | Err(AppError::BadCredentials) => {
                return Err(AppError::invalid(
                    "current_password",
                    "is not your current password",
                ))
            }
            Err(e) => return Err(e),
        }
        let hash = hash_password(new).await?;
        let audit = AuditEntry::new(
            &who.username,
            "staff.change_password",
            "staff",
            who.username.clone(),
        )
        .detail(format!(
            "from {}{}",
            address_of(req),
            if revoke_tokens {
                "; the account's API tokens revoked"
            } else {
                ""
            }
        ));
        let row = self
            .store
            .set_staff_password(who.id, (&hash, PasswordKind::Chosen), revoke_tokens, audit)
            .await?;
        session.cycle_id().await.map_err(session_error)?;
        session
            .insert(SESSION_EPOCH, row.session_epoch)
            .await
            .map_err(session_error)?;
        session.save().await.map_err(session_error)?;
        Ok(row.current())
    }

    async fn list_tokens(&self, who: &CurrentStaff) -> R<Vec<TokenDto>> {
        require(who, Role::Viewer, "list API tokens")?;
        Ok(self.store.list_tokens(who.id).await?)
    }

    async fn create_token(&self, who: &CurrentStaff, form: NewTokenForm) -> R<NewTokenResult> {
        self.new_token(who, form, "in the console").await
    }

    async fn revoke_token(&self, who: &CurrentStaff, id: i64) -> R<TokenDto> {
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
    async fn exchange_password(
        &self,
        req: &http::request::Parts,
        username: String,
        password: String,
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

impl ConsoleService {
    /// The active account `username` names, if `password` is its password:
    /// throttled per (account, address), bounded, and a failure audited.
    /// Sign-in and the API's token exchange both pass here.
    pub(super) async fn check_password(
        &self,
        req: &http::request::Parts,
        username: String,
        password: String,
    ) -> R<crate::store::StaffRow> {
        let address = address_of(req);
        let username = username.trim().to_lowercase();
        // Bounded input: a megabyte "password" must not cost a megabyte of
        // hashing, and no such account can exist.
        let bounded = username.len() <= MAX_USERNAME && password.len() <= MAX_PASSWORD * 4;
        let row = if bounded {
            self.store.staff_by_username(&username).await?
        } else {
            None
        };
        let usable = row.filter(|r| r.is_active());
        let clean = self.throttle.clean(&address).await?;
        // At most one hash per core at once, plus one kept for existing
        // accounts from addresses without recent failures (a flood of
        // guesses never keeps the staff out); the rest are told to come
        // back (not counted: they cost nothing).
        let Some(slot) = try_hash_slot(usable.is_some() && clean) else {
            return Err(AppError::Busy {
                retry_after_secs: 1,
            });
        };
        // Counted as it starts, before any hash runs.
        if let Some(retry_after_secs) = self.throttle.attempt(&username, &address, clean).await? {
            return Err(AppError::Throttled { retry_after_secs });
        }
        let ok = if bounded {
            let hash = usable.as_ref().map(|r| r.password_hash.clone());
            slot.verify(password, hash).await?
        } else {
            drop(slot);
            false
        };
        let Some(row) = usable.filter(|_| ok) else {
            let shown: String = username.chars().take(MAX_USERNAME).collect();
            self.store
                .audit_failed_sign_in(&shown, &address, FAILURES_FOLDED_FOR)
                .await?;
            return Err(AppError::BadCredentials);
        };
        self.throttle.succeeded(&username, &address).await?;
        Ok(row)
    }
}
