//! Applications and their releases: list, view, create; releases checked
//! as staff type them, then saved as the next number.

use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::dto::CurrentStaff;
use crate::dto::{ApplicationDto, ApplicationForm, ReleaseDto, ReleaseForm, ReleaseSpec};
use crate::error::AppError;

#[cfg(feature = "ssr")]
type R<T> = Result<T, AppError>;

capability! {
    /// Applications, with immutable numbered releases.
    pub trait Applications {
        [Page, Api]
        async fn list_applications(&self, who: &CurrentStaff) -> R<Vec<ApplicationDto>>;
        /// An application by its ID or key.
        [Page, Api]
        async fn get_application(&self, who: &CurrentStaff, application: String) -> R<ApplicationDto>;
        [Page, Api]
        async fn create_application(&self, who: &CurrentStaff, form: ApplicationForm) -> R<ApplicationDto>;
        /// Its releases, newest first.
        [Page, Api]
        async fn list_releases(&self, who: &CurrentStaff, application: String) -> R<Vec<ReleaseDto>>;
        [Page, Api]
        async fn get_release(&self, who: &CurrentStaff, application: String, number: i64) -> R<ReleaseDto>;
        /// A release as typed, read and checked; nothing is stored.
        [Page, Api]
        async fn check_release(&self, who: &CurrentStaff, application: String, form: ReleaseForm) -> R<ReleaseSpec>;
        /// A release checked, then stored as the next number.
        [Page, Api]
        async fn create_release(&self, who: &CurrentStaff, application: String, form: ReleaseForm) -> R<ReleaseDto>;
        /// The release a tenant runs.
        [Page, Api: tenant_release]
        async fn release_of_tenant(&self, who: &CurrentStaff, id: String) -> R<ReleaseDto>;
    }
}

checked!(
    ListApplications,
    GetApplication,
    CreateApplication,
    ListReleases,
    GetRelease,
    CheckRelease,
    CreateRelease,
    ReleaseOfTenant,
);

#[server(prefix = "/api", endpoint = "list_applications")]
pub async fn list_applications() -> Result<Vec<ApplicationDto>, AppError> {
    serve!(list_applications())
}

#[server(prefix = "/api", endpoint = "get_application")]
pub async fn get_application(application: String) -> Result<ApplicationDto, AppError> {
    serve!(get_application(application))
}

#[server(prefix = "/api", endpoint = "create_application")]
pub async fn create_application(form: ApplicationForm) -> Result<ApplicationDto, AppError> {
    serve!(create_application(form))
}

#[server(prefix = "/api", endpoint = "list_releases")]
pub async fn list_releases(application: String) -> Result<Vec<ReleaseDto>, AppError> {
    serve!(list_releases(application))
}

#[server(prefix = "/api", endpoint = "get_release")]
pub async fn get_release(application: String, number: i64) -> Result<ReleaseDto, AppError> {
    serve!(get_release(application, number))
}

#[server(prefix = "/api", endpoint = "check_release")]
pub async fn check_release(
    application: String,
    form: ReleaseForm,
) -> Result<ReleaseSpec, AppError> {
    serve!(check_release(application, form))
}

#[server(prefix = "/api", endpoint = "create_release")]
pub async fn create_release(
    application: String,
    form: ReleaseForm,
) -> Result<ReleaseDto, AppError> {
    serve!(create_release(application, form))
}

#[server(prefix = "/api", endpoint = "release_of_tenant")]
pub async fn release_of_tenant(id: String) -> Result<ReleaseDto, AppError> {
    serve!(release_of_tenant(id))
}
