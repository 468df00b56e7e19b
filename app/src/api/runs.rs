//! Provisioning runs: list, view, retry a failed step, recover, cancel.

use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::dto::CurrentStaff;
use crate::dto::{Page, RunDto, RunQuery};
use crate::error::AppError;

#[cfg(feature = "ssr")]
type R<T> = Result<T, AppError>;

capability! {
    /// Runs and their repairs.
    pub trait Runs {
        [Page, Api]
        async fn list_runs(&self, who: &CurrentStaff, q: RunQuery) -> R<Page<RunDto>>;
        [Page, Api]
        async fn get_run(&self, who: &CurrentStaff, id: i64) -> R<RunDto>;
        [Page, Api]
        async fn retry_step(&self, who: &CurrentStaff, run: i64, position: i64) -> R<RunDto>;
        [Page, Api]
        async fn recover_run(&self, who: &CurrentStaff, run: i64) -> R<RunDto>;
        [Page, Api]
        async fn cancel_run(&self, who: &CurrentStaff, run: i64) -> R<RunDto>;
    }
}

checked!(ListRuns, GetRun, RetryStep, RecoverRun, CancelRun);

#[server(prefix = "/api", endpoint = "list_runs")]
pub async fn list_runs(#[server(default)] query: RunQuery) -> Result<Page<RunDto>, AppError> {
    serve!(list_runs(query))
}

#[server(prefix = "/api", endpoint = "get_run")]
pub async fn get_run(id: i64) -> Result<RunDto, AppError> {
    serve!(get_run(id))
}

#[server(prefix = "/api", endpoint = "retry_step")]
pub async fn retry_step(id: i64, position: i64) -> Result<RunDto, AppError> {
    serve!(retry_step(id, position))
}

#[server(prefix = "/api", endpoint = "recover_run")]
pub async fn recover_run(id: i64) -> Result<RunDto, AppError> {
    serve!(recover_run(id))
}

#[server(prefix = "/api", endpoint = "cancel_run")]
pub async fn cancel_run(id: i64) -> Result<RunDto, AppError> {
    serve!(cancel_run(id))
}
