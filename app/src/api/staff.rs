//! Staff accounts (admin only; the server checks).

use leptos::prelude::*;

use crate::dto::{NewStaffResult, StaffDto};
use crate::error::AppError;

#[server(prefix = "/api", endpoint = "list_staff")]
pub async fn list_staff() -> Result<Vec<StaffDto>, AppError> {
    super::ctx::with_status(
        async move {
            let (who, c) = super::ctx::staff_and_console()?;
            c.list_staff(&who).await
        }
        .await,
    )
}

#[server(prefix = "/api", endpoint = "create_staff")]
pub async fn create_staff(username: String, role: String) -> Result<NewStaffResult, AppError> {
    super::ctx::with_status(
        async move {
            let (who, c) = super::ctx::staff_and_console()?;
            c.create_staff(&who, username, role).await
        }
        .await,
    )
}

#[server(prefix = "/api", endpoint = "set_staff_role")]
pub async fn set_staff_role(id: i64, role: String) -> Result<StaffDto, AppError> {
    super::ctx::with_status(
        async move {
            let (who, c) = super::ctx::staff_and_console()?;
            c.set_staff_role(&who, id, role).await
        }
        .await,
    )
}

#[server(prefix = "/api", endpoint = "set_staff_active")]
pub async fn set_staff_active(id: i64, active: bool) -> Result<StaffDto, AppError> {
    super::ctx::with_status(
        async move {
            let (who, c) = super::ctx::staff_and_console()?;
            c.set_staff_active(&who, id, active).await
        }
        .await,
    )
}

#[server(prefix = "/api", endpoint = "reset_staff_password")]
pub async fn reset_staff_password(id: i64) -> Result<NewStaffResult, AppError> {
    super::ctx::with_status(
        async move {
            let (who, c) = super::ctx::staff_and_console()?;
            c.reset_staff_password(&who, id).await
        }
        .await,
    )
}
