//! The statistics page.

use leptos::prelude::*;

use crate::dto::StatsDto;
use crate::error::AppError;

/// Figures of the last `days` days (1–90; 30 when 0).
#[server(prefix = "/api", endpoint = "statistics")]
pub async fn statistics(#[server(default)] days: u32) -> Result<StatsDto, AppError> {
    super::ctx::with_status(
        async move {
            let (who, c) = super::ctx::staff_and_console()?;
            c.statistics(&who, if days == 0 { 30 } else { days }).await
        }
        .await,
    )
}
