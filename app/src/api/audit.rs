//! The audit log.

use leptos::prelude::*;

use crate::dto::{AuditEventDto, AuditQuery, Page};
use crate::error::AppError;

#[server(prefix = "/api", endpoint = "list_audit")]
pub async fn list_audit(
    #[server(default)] query: AuditQuery,
) -> Result<Page<AuditEventDto>, AppError> {
    super::ctx::with_status(
        async move {
            let (who, c) = super::ctx::staff_and_console()?;
            c.list_audit(&who, query).await
        }
        .await,
    )
}
