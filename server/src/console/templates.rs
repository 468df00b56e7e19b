//! Template operations: operators change templates, everyone may read them.

use app::domain::custom_plan::CUSTOM_KEY_PREFIX;
use app::domain::template_rules::weakens_backups;
use app::dto::{CurrentStaff, Role, TemplateChoice, TemplateDetail, TemplateDto, TemplateForm};

use super::{require, ConsoleService, R};
use app::api::templates::Templates;

#[async_trait::async_trait]
impl Templates for ConsoleService {
    async fn list_templates(&self, who: &CurrentStaff) -> R<Vec<TemplateDto>> {
        require(who, Role::Viewer, "list templates")?;
        Ok(self.store.list_templates().await?)
    }

    async fn template_choices(&self, who: &CurrentStaff) -> R<Vec<TemplateChoice>> {
        require(who, Role::Viewer, "list templates")?;
        Ok(self.store.template_choices().await?)
    }

    async fn get_template(&self, who: &CurrentStaff, id: i64) -> R<TemplateDetail> {
        require(who, Role::Viewer, "view templates")?;
        Ok(TemplateDetail {
            template: self.store.get_template(id).await?,
            versions: self.store.template_versions(id).await?,
        })
    }

    async fn create_template(&self, who: &CurrentStaff, form: TemplateForm) -> R<TemplateDto> {
        require(who, Role::Operator, "create templates")?;
        let valid = form.validate()?;
        if valid.key.starts_with(CUSTOM_KEY_PREFIX) {
            return Err(app::error::AppError::invalid(
                "key",
                format!(
                    "keys starting with \"{CUSTOM_KEY_PREFIX}\" are the applications' custom plans' \
                     (tenants made without a plan)"
                ),
            ));
        }
        Ok(self.store.create_template(&valid, &who.username).await?)
    }

    async fn update_template(
        &self,
        who: &CurrentStaff,
        id: i64,
        form: TemplateForm,
    ) -> R<TemplateDto> {
        require(who, Role::Operator, "edit templates")?;
        let valid = form.validate()?;
        let current = self.store.get_template(id).await?;
        if current.custom && valid.application.as_deref() != Some(&current.application_key) {
            return Err(app::error::AppError::invalid(
                "application",
                format!(
                    "a custom plan sizes its own application's tenants: it stays with {}",
                    current.application_key
                ),
            ));
        }
        if let Some(what) = weakens_backups(&current.spec, &valid.spec) {
            require(who, Role::Admin, &format!("{what} on a template"))?;
        }
        // Guarded by the version judged here, so a concurrent edit cannot
        // slip a weakening past the check.
        let based_on = form.based_on_version.or(Some(current.version));
        Ok(self
            .store
            .update_template(id, &valid, based_on, &who.username)
            .await?)
    }

    async fn delete_template(&self, who: &CurrentStaff, id: i64) -> R<()> {
        require(who, Role::Operator, "delete templates")?;
        Ok(self.store.delete_template(id, &who.username).await?)
    }
}
