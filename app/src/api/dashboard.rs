//! The dashboard's summary.

use leptos::prelude::*;

use crate::dto::DashboardDto;
use crate::error::AppError;

#[server(prefix = "/api", endpoint = "dashboard")]
pub async fn dashboard() -> Result<DashboardDto, AppError> {
    super::ctx::with_status(
        async move {
            let (who, console) = super::ctx::staff_and_console()?;
            console.dashboard(&who).await
        }
        .await,
    )
}
