//! Applications and releases: operators define them, everyone may read
//! them. A release is read and checked by the same function whether it is
//! only checked (the editor, as staff type) or saved.

use app::api::applications::Applications;
use app::dto::{
    ApplicationDto, ApplicationForm, CurrentStaff, ReleaseDto, ReleaseForm, ReleaseSpec, Role,
};

use super::{require, ConsoleService, R};

/// The most a release's text may be (a generous YAML file).
const MAX_RELEASE_BYTES: usize = 512 * 1024;

fn read(form: &ReleaseForm) -> R<ReleaseSpec> {
    if form.source.len() > MAX_RELEASE_BYTES {
        return Err(app::error::AppError::invalid(
            "source",
            "must be at most 512 KiB",
        ));
    }
    if form.source.trim().is_empty() {
        return Err(app::error::AppError::invalid("source", "must not be empty"));
    }
    crate::applications::parse_release(&form.source)
}

#[async_trait::async_trait]
impl Applications for ConsoleService {
    async fn list_applications(&self, who: &CurrentStaff) -> R<Vec<ApplicationDto>> {
        require(who, Role::Viewer, "list applications")?;
        Ok(self.store.list_applications().await?)
    }

    async fn get_application(&self, who: &CurrentStaff, application: String) -> R<ApplicationDto> {
        require(who, Role::Viewer, "view applications")?;
        Ok(self.store.get_application(&application).await?)
    }

    async fn create_application(
        &self,
        who: &CurrentStaff,
        form: ApplicationForm,
    ) -> R<ApplicationDto> {
        require(who, Role::Operator, "create applications")?;
        let (key, name, description) = app::domain::release::validate_application(&form)?;
        Ok(self
            .store
            .create_application((&key, &name, &description), &who.username)
            .await?)
    }

    async fn list_releases(&self, who: &CurrentStaff, application: String) -> R<Vec<ReleaseDto>> {
        require(who, Role::Viewer, "view releases")?;
        let a = self.store.get_application(&application).await?;
        Ok(self.store.list_releases(a.id).await?)
    }

    async fn get_release(
        &self,
        who: &CurrentStaff,
        application: String,
        number: i64,
    ) -> R<ReleaseDto> {
        require(who, Role::Viewer, "view releases")?;
        let a = self.store.get_application(&application).await?;
        Ok(self.store.get_release(a.id, number).await?)
    }

    async fn check_release(
        &self,
        who: &CurrentStaff,
        application: String,
        form: ReleaseForm,
    ) -> R<ReleaseSpec> {
        require(who, Role::Operator, "check releases")?;
        self.store.get_application(&application).await?;
        read(&form)
    }

    async fn create_release(
        &self,
        who: &CurrentStaff,
        application: String,
        form: ReleaseForm,
    ) -> R<ReleaseDto> {
        require(who, Role::Operator, "release applications")?;
        let a = self.store.get_application(&application).await?;
        let spec = read(&form)?;
        let notes = form.notes.trim();
        app::domain::text::check_human_text(notes, 2_000, true)
            .map_err(|rule| app::error::AppError::invalid("notes", rule))?;
        Ok(self
            .store
            .create_release(
                a.id,
                (&spec, &form.source, notes),
                form.based_on,
                &who.username,
            )
            .await?)
    }

    async fn release_of_tenant(&self, who: &CurrentStaff, id: String) -> R<ReleaseDto> {
        require(who, Role::Viewer, "view tenants")?;
        let mut release = self.store.release_of_tenant(&id).await?;
        let t = self.store.get_tenant(&id).await?;
        let plan = crate::provisioning::TenantPlan::of(&self.store, &t).await?;
        release.warnings = self.cluster_warnings(&plan);
        // A tenant whose plan lost (or never had) the custom-domain
        // feature keeps the domain it has; its page says so.
        release
            .warnings
            .extend(app::domain::tenant_rules::custom_domain_warning(
                (&t.template_name, &plan.tier.features),
                t.custom_domain.as_deref(),
            ));
        Ok(release)
    }
}
