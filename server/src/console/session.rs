//! Sign-in and sign-out: throttled, audited, and rotating the session id.

use std::net::SocketAddr;

use app::dto::CurrentStaff;
use app::error::AppError;
use axum::extract::ConnectInfo;
use tower_sessions::Session;

use super::{ConsoleService, R};
use crate::auth::{verify_password, SESSION_EPOCH, SESSION_STAFF_ID};
use crate::store::AuditEntry;

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

fn client_address(req: &http::request::Parts) -> String {
    req.extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string())
        .unwrap_or_else(|| "unknown".into())
}

impl ConsoleService {
    pub(super) async fn sign_in(
        &self,
        req: &http::request::Parts,
        username: String,
        password: String,
    ) -> R<CurrentStaff> {
        let session = session_of(req)?;
        let address = client_address(req);
        let username = username.trim().to_lowercase();
        if let Some(retry_after_secs) = self.throttle.check(&username, &address) {
            return Err(AppError::Throttled { retry_after_secs });
        }
        // Bounded input: a megabyte "password" must not cost a megabyte of hashing.
        let row = if username.len() <= 64 && password.len() <= 1024 {
            self.store.staff_by_username(&username).await?
        } else {
            None
        };
        let usable = row.filter(|r| r.is_active());
        let ok =
            verify_password(password, usable.as_ref().map(|r| r.password_hash.clone())).await?;
        let Some(row) = usable.filter(|_| ok) else {
            self.throttle.record_failure(&username, &address);
            let shown: String = username.chars().take(64).collect();
            self.store
                .write_audit(
                    AuditEntry::new(&shown, "auth.login_failed", "staff", shown.clone())
                        .detail(format!("from {address}")),
                )
                .await?;
            return Err(AppError::BadCredentials);
        };
        self.throttle.record_success(&username);
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
        Ok(CurrentStaff {
            id: row.id,
            username: row.username.clone(),
            role: row.role(),
        })
    }

    pub(super) async fn sign_out(&self, req: &http::request::Parts) -> R<()> {
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
}
