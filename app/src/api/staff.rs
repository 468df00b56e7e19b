//! Staff accounts (admin only; the server checks).

use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::dto::CurrentStaff;
use crate::dto::{NewStaffResult, StaffDto};
use crate::error::AppError;

#[cfg(feature = "ssr")]
type R<T> = Result<T, AppError>;

capability! {
    /// Staff accounts (admins).
    pub trait Staff {
        [Page, Api]
        async fn list_staff(&self, who: &CurrentStaff) -> R<Vec<StaffDto>>;
        [Page, Api]
        async fn create_staff(&self, who: &CurrentStaff, username: String, role: String) -> R<NewStaffResult>;
        [Page, Api: change_staff]
        async fn set_staff_role(&self, who: &CurrentStaff, id: i64, role: String) -> R<StaffDto>;
        [Page, Api: change_staff]
        async fn set_staff_active(&self, who: &CurrentStaff, id: i64, active: bool) -> R<StaffDto>;
        [Page, Api]
        async fn reset_staff_password(&self, who: &CurrentStaff, id: i64) -> R<NewStaffResult>;
    }
}

checked!(
    ListStaff,
    CreateStaff,
    SetStaffRole,
    SetStaffActive,
    ResetStaffPassword
);

#[server(prefix = "/api", endpoint = "list_staff")]
pub async fn list_staff() -> Result<Vec<StaffDto>, AppError> {
    serve!(list_staff())
}

#[server(prefix = "/api", endpoint = "create_staff")]
pub async fn create_staff(username: String, role: String) -> Result<NewStaffResult, AppError> {
    serve!(create_staff(username, role))
}

#[server(prefix = "/api", endpoint = "set_staff_role")]
pub async fn set_staff_role(id: i64, role: String) -> Result<StaffDto, AppError> {
    serve!(set_staff_role(id, role))
}

#[server(prefix = "/api", endpoint = "set_staff_active")]
pub async fn set_staff_active(id: i64, active: bool) -> Result<StaffDto, AppError> {
    serve!(set_staff_active(id, active))
}

#[server(prefix = "/api", endpoint = "reset_staff_password")]
pub async fn reset_staff_password(id: i64) -> Result<NewStaffResult, AppError> {
    serve!(reset_staff_password(id))
}
