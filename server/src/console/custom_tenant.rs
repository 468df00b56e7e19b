//! A new tenant without a plan (admins; see `app::domain::custom_plan`):
//! its application's newest release, sized by the application's custom
//! plan — as stored, or as it will be made when the first such tenant is
//! (so previews and dry-runs store nothing).

use app::domain::custom_plan::custom_plan;
use app::dto::TemplateDto;
use app::error::AppError;

use super::{ConsoleService, R};
use crate::provisioning::TenantPlan;

impl ConsoleService {
    /// The custom plan a tenant of `application` would be made on, with
    /// what it would run and what is pending or warned of; refused (on
    /// `template_id`) when there is no such application or it has no
    /// release yet.
    pub(super) async fn custom_tenant_plan(
        &self,
        application: &str,
    ) -> R<(TemplateDto, TenantPlan, Vec<String>)> {
        let app = match self.store.get_application(application).await {
            Err(crate::error::ServerError::NotFound(_)) => {
                return Err(AppError::invalid(
                    "template_id",
                    format!("custom: there is no application \"{application}\""),
                ))
            }
            other => other?,
        };
        if app.latest_release == 0 {
            return Err(AppError::invalid(
                "template_id",
                format!(
                    "application \"{}\" has no release yet: save its first release before \
                     making tenants of it",
                    app.key
                ),
            ));
        }
        let template = match self.store.custom_plan(app.id).await? {
            Some(t) => t,
            None => {
                let made = custom_plan(&app.key, &app.name);
                TemplateDto {
                    id: 0,
                    key: made.key,
                    name: made.name,
                    description: made.description,
                    version: 1,
                    spec: made.spec,
                    updated_at: 0,
                    updated_by: String::new(),
                    tenant_count: 0,
                    application_id: app.id,
                    application_key: app.key.clone(),
                    custom: true,
                }
            }
        };
        let plan = TenantPlan::of_template(&self.store, &template, app.latest_release).await?;
        let said = self.new_tenant_fits(&plan)?;
        Ok((template, plan, said))
    }
}
