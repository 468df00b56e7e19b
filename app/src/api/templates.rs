//! Templates (tiers): list, view with versions, create, edit, delete.

use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::dto::CurrentStaff;
use crate::dto::{TemplateChoice, TemplateDetail, TemplateDto, TemplateForm};
use crate::error::AppError;

#[cfg(feature = "ssr")]
type R<T> = Result<T, AppError>;

capability! {
    /// Templates (tiers), versioned.
    pub trait Templates {
        [Page, Api]
        async fn list_templates(&self, who: &CurrentStaff) -> R<Vec<TemplateDto>>;
        /// Every template's id, name and version, for choosing one.
        [Page]
        async fn template_choices(&self, who: &CurrentStaff) -> R<Vec<TemplateChoice>>;
        [Page, Api]
        async fn get_template(&self, who: &CurrentStaff, id: i64) -> R<TemplateDetail>;
        [Page, Api]
        async fn create_template(&self, who: &CurrentStaff, form: TemplateForm) -> R<TemplateDto>;
        [Page, Api]
        async fn update_template(&self, who: &CurrentStaff, id: i64, form: TemplateForm) -> R<TemplateDto>;
        [Page, Api]
        async fn delete_template(&self, who: &CurrentStaff, id: i64) -> R<()>;
    }
}

checked!(
    ListTemplates,
    TemplateChoices,
    GetTemplate,
    CreateTemplate,
    UpdateTemplate,
    DeleteTemplate,
);

#[server(prefix = "/api", endpoint = "list_templates")]
pub async fn list_templates() -> Result<Vec<TemplateDto>, AppError> {
    serve!(list_templates())
}

/// Every template's id, name and version, for choosing one.
#[server(prefix = "/api", endpoint = "template_choices")]
pub async fn template_choices() -> Result<Vec<TemplateChoice>, AppError> {
    serve!(template_choices())
}

#[server(prefix = "/api", endpoint = "get_template")]
pub async fn get_template(id: i64) -> Result<TemplateDetail, AppError> {
    serve!(get_template(id))
}

#[server(prefix = "/api", endpoint = "create_template")]
pub async fn create_template(form: TemplateForm) -> Result<TemplateDto, AppError> {
    serve!(create_template(form))
}

#[server(prefix = "/api", endpoint = "update_template")]
pub async fn update_template(id: i64, form: TemplateForm) -> Result<TemplateDto, AppError> {
    serve!(update_template(id, form))
}

#[server(prefix = "/api", endpoint = "delete_template")]
pub async fn delete_template(id: i64) -> Result<(), AppError> {
    serve!(delete_template(id))
}
