//! Templates (tiers): list, view with versions, create, edit, delete.

use leptos::prelude::*;

use crate::dto::{TemplateChoice, TemplateDetail, TemplateDto, TemplateForm};
use crate::error::AppError;

#[server(prefix = "/api", endpoint = "list_templates")]
pub async fn list_templates() -> Result<Vec<TemplateDto>, AppError> {
    super::ctx::with_status(
        async move {
            let (who, c) = super::ctx::staff_and_console()?;
            c.list_templates(&who).await
        }
        .await,
    )
}

/// Every template's id, name and version, for choosing one.
#[server(prefix = "/api", endpoint = "template_choices")]
pub async fn template_choices() -> Result<Vec<TemplateChoice>, AppError> {
    super::ctx::with_status(
        async move {
            let (who, c) = super::ctx::staff_and_console()?;
            c.template_choices(&who).await
        }
        .await,
    )
}

#[server(prefix = "/api", endpoint = "get_template")]
pub async fn get_template(id: i64) -> Result<TemplateDetail, AppError> {
    super::ctx::with_status(
        async move {
            let (who, c) = super::ctx::staff_and_console()?;
            c.get_template(&who, id).await
        }
        .await,
    )
}

#[server(prefix = "/api", endpoint = "create_template")]
pub async fn create_template(form: TemplateForm) -> Result<TemplateDto, AppError> {
    super::ctx::with_status(
        async move {
            let (who, c) = super::ctx::staff_and_console()?;
            c.create_template(&who, form).await
        }
        .await,
    )
}

#[server(prefix = "/api", endpoint = "update_template")]
pub async fn update_template(id: i64, form: TemplateForm) -> Result<TemplateDto, AppError> {
    super::ctx::with_status(
        async move {
            let (who, c) = super::ctx::staff_and_console()?;
            c.update_template(&who, id, form).await
        }
        .await,
    )
}

#[server(prefix = "/api", endpoint = "delete_template")]
pub async fn delete_template(id: i64) -> Result<(), AppError> {
    super::ctx::with_status(
        async move {
            let (who, c) = super::ctx::staff_and_console()?;
            c.delete_template(&who, id).await
        }
        .await,
    )
}
