//! Provisioning runs: list, view, retry a failed step, recover, cancel.

use leptos::prelude::*;

use crate::dto::{Page, RunDto, RunQuery};
use crate::error::AppError;

#[server(prefix = "/api", endpoint = "list_runs")]
pub async fn list_runs(#[server(default)] query: RunQuery) -> Result<Page<RunDto>, AppError> {
    super::ctx::with_status(
        async move {
            let (who, c) = super::ctx::staff_and_console()?;
            c.list_runs(&who, query).await
        }
        .await,
    )
}

#[server(prefix = "/api", endpoint = "get_run")]
pub async fn get_run(id: i64) -> Result<RunDto, AppError> {
    super::ctx::with_status(
        async move {
            let (who, c) = super::ctx::staff_and_console()?;
            c.get_run(&who, id).await
        }
        .await,
    )
}

#[server(prefix = "/api", endpoint = "retry_step")]
pub async fn retry_step(id: i64, position: i64) -> Result<RunDto, AppError> {
    super::ctx::with_status(
        async move {
            let (who, c) = super::ctx::staff_and_console()?;
            c.retry_step(&who, id, position).await
        }
        .await,
    )
}

#[server(prefix = "/api", endpoint = "recover_run")]
pub async fn recover_run(id: i64) -> Result<RunDto, AppError> {
    super::ctx::with_status(
        async move {
            let (who, c) = super::ctx::staff_and_console()?;
            c.recover_run(&who, id).await
        }
        .await,
    )
}

#[server(prefix = "/api", endpoint = "cancel_run")]
pub async fn cancel_run(id: i64) -> Result<RunDto, AppError> {
    super::ctx::with_status(
        async move {
            let (who, c) = super::ctx::staff_and_console()?;
            c.cancel_run(&who, id).await
        }
        .await,
    )
}
