//! Rotating a tenant's generated Secrets: checked against its release
//! (`app::domain::release::rotation`) before anything is written, then a
//! run of its own (`rotate`): the Secrets made anew, the Deployments
//! rolled onto them (their pod templates carry the rotation's time), the
//! jobs that read them run again. The new values are shown once, like the
//! first ones (see `credentials.rs`).

use app::domain::lifecycle::check_operation;
use app::domain::release::rotation::{check_rotation, rotatable};
use app::dto::{CurrentStaff, Operation, Role, RotateSecretsForm, RunDto, RunOptions};

use super::{require, ConsoleService, R};
use crate::provisioning::TenantPlan;
use crate::store::now_ms;

impl ConsoleService {
    pub(super) async fn rotate_generated(
        &self,
        who: &CurrentStaff,
        id: String,
        form: RotateSecretsForm,
    ) -> R<RunDto> {
        require(who, Role::Operator, "rotate generated secrets")?;
        let t = self.store.get_tenant(&id).await?;
        check_operation(&t, Operation::Rotate)?;
        let plan = TenantPlan::of(&self.store, &t).await?;
        let secrets = check_rotation(&plan.release, &form.secrets)?;
        let engine = self.engine().await?;
        // Stamped first: the run renders the tenant with it, so its
        // Deployments roll; a run refused now only rolls them once more
        // at the next update.
        self.store.stamp_secret_rotation(&t.id, now_ms()).await?;
        let options = RunOptions {
            rotate: secrets,
            ..Default::default()
        };
        self.start(&engine, who, &t.id, Operation::Rotate, options, None)
            .await
    }

    pub(super) async fn rotatable_of(&self, who: &CurrentStaff, id: String) -> R<Vec<String>> {
        require(who, Role::Viewer, "see a tenant's generated secrets")?;
        let t = self.store.get_tenant(&id).await?;
        Ok(rotatable(&TenantPlan::of(&self.store, &t).await?.release))
    }
}
