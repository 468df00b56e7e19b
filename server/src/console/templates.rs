//! Template operations: operators change templates, everyone may read them.

use app::domain::template_rules::weakens_backups;
use app::dto::{CurrentStaff, Role, TemplateDetail, TemplateDto, TemplateForm};

use super::{require, ConsoleService, R};

impl ConsoleService {
    pub(super) async fn template_detail(&self, who: &CurrentStaff, id: i64) -> R<TemplateDetail> {
        require(who, Role::Viewer, "view templates")?;
        Ok(TemplateDetail {
            template: self.store.get_template(id).await?,
            versions: self.store.template_versions(id).await?,
        })
    }

    pub(super) async fn new_template(
        &self,
        who: &CurrentStaff,
        form: TemplateForm,
    ) -> R<TemplateDto> {
        require(who, Role::Operator, "create templates")?;
        let valid = form.validate()?;
        Ok(self.store.create_template(&valid, &who.username).await?)
    }

    pub(super) async fn edit_template(
        &self,
        who: &CurrentStaff,
        id: i64,
        form: TemplateForm,
    ) -> R<TemplateDto> {
        require(who, Role::Operator, "edit templates")?;
        let valid = form.validate()?;
        let current = self.store.get_template(id).await?;
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

    pub(super) async fn remove_template(&self, who: &CurrentStaff, id: i64) -> R<()> {
        require(who, Role::Operator, "delete templates")?;
        Ok(self.store.delete_template(id, &who.username).await?)
    }
}
