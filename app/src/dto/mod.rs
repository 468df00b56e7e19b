//! Data carried between the server and the browser. Plain serde types: no
//! secrets (password hashes, session ids) ever live in them.

mod audit;
mod ops;
mod page;
mod run;
mod staff;
mod template;
mod tenant;

pub use audit::{AuditEventDto, DashboardDto};
pub use ops::{
    ChangeAction, ChangeForm, ChangePreview, DeprovisionForm, FieldChange, ObjectChange,
    RunOptions, RunQuery,
};
pub use page::Page;
pub use run::{Operation, RunDto, RunState, StepDto, StepState};
pub use staff::{CurrentStaff, NewStaffResult, Principal, Role, StaffDto};
pub use template::{TemplateDetail, TemplateDto, TemplateForm, TemplateVersionDto, TierSpec};
pub use tenant::{
    IdCheck, NewTenantForm, TenantDto, TenantForm, TenantQuery, TenantSort, TenantState,
};
