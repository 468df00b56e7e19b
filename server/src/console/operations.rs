//! Starting operations on tenants: each checks the role, the tenant's state
//! and the input before anything is written, then records a run for the
//! engine and wakes it. Nothing touches the cluster here; the runner does.
//! Previews render and compare without writing; a bulk action starts one
//! operation per tenant.

use app::api::operations::Operations;
use app::domain::lifecycle::check_operation;
use app::domain::operation_forms::validate_bulk;
use app::domain::tenant_id::tenant_id_from;
use app::domain::tenant_rules::custom_domain_warning;
use app::dto::{
    BackupDto, BulkForm, BulkResult, ChangeForm, ChangePreview, CurrentStaff, DeprovisionForm,
    NewTenantForm, Operation, RestoreForm, Role, RotateSecretsForm, RunDto, RunOptions,
};
use app::error::AppError;

use super::tenants::random_suffix;
use super::{require, ConsoleService, R};
use crate::manifests::{namespace_of, to_yaml, Capabilities, RenderSettings};
use crate::provisioning::{Engine, Step, StepKind};
use crate::store::now_ms;

/// How long an operation waits for a configured cluster that is still
/// connecting.
const CONNECTING_GRACE: std::time::Duration = std::time::Duration::from_secs(10);

#[async_trait::async_trait]
impl Operations for ConsoleService {
    /// Provision, suspend, resume or clean up: operations without options.
    async fn start_operation(
        &self,
        who: &CurrentStaff,
        tenant: String,
        op: Operation,
    ) -> R<RunDto> {
        require(who, Role::Operator, &format!("{op} tenants"))?;
        if matches!(
            op,
            Operation::Update | Operation::Deprovision | Operation::Restore | Operation::Rotate
        ) {
            return Err(AppError::invalid(
                "operation",
                format!("{op} takes options: use its own call"),
            ));
        }
        let t = self.store.get_tenant(&tenant).await?;
        // Clean-up only for a tenant that was never live (the same rule the
        // runner applies again when the run executes).
        check_operation(&t, op)?;
        let engine = self.engine().await?;
        self.start(&engine, who, &t.id, op, RunOptions::default(), None)
            .await
    }

    /// The dry-run of a change (an empty form: of the tenant as it is):
    /// rendered YAML and, when the cluster answers, the diff against live.
    async fn preview_tenant_change(
        &self,
        who: &CurrentStaff,
        tenant: String,
        form: ChangeForm,
    ) -> R<ChangePreview> {
        require(who, Role::Viewer, "preview tenant changes")?;
        let t = self.store.get_tenant(&tenant).await?;
        let (target, manifests, diff) = self.dry_run(&t, &form).await?;
        let plan = &target.plan;
        let (objects, compared) = match diff {
            Some(o) => (o, true),
            None => (vec![], false),
        };
        let mut warnings = self.cluster_warnings(plan);
        warnings.extend(custom_domain_warning(
            (&target.template_name, &plan.tier.features),
            t.custom_domain.as_deref(),
        ));
        Ok(ChangePreview {
            tenant_id: t.id.clone(),
            template_name: target.template_name.clone(),
            template_version: plan.version,
            release: plan.release_number,
            release_now: t.release,
            yaml: to_yaml(&manifests),
            objects,
            compared_with_live: compared,
            warnings,
        })
    }

    /// A tier or replica change: stored on the tenant, then applied by an
    /// update run (re-render, apply, wait).
    async fn change_tenant(
        &self,
        who: &CurrentStaff,
        tenant: String,
        form: ChangeForm,
    ) -> R<RunDto> {
        require(who, Role::Operator, "change tenants")?;
        let t = self.store.get_tenant(&tenant).await?;
        self.apply_change(who, &t, &form, (None, None)).await
    }
    async fn deprovision_tenant(
        &self,
        who: &CurrentStaff,
        tenant: String,
        form: DeprovisionForm,
    ) -> R<RunDto> {
        require(who, Role::Operator, "deprovision tenants")?;
        if form.force {
            require(who, Role::Admin, "force a deprovisioning")?;
        }
        if form.purge_audit {
            require(who, Role::Admin, "purge a tenant's audit trail")?;
        }
        let t = self.store.get_tenant(&tenant).await?;
        let valid = form.validate(&t.id, now_ms())?;
        check_operation(&t, Operation::Deprovision)?;
        let engine = self.engine().await?;
        let tell = valid.options.notify_owner;
        let channel = engine.runner.owner_channel().map(String::from);
        if tell && channel.is_none() {
            return Err(AppError::invalid(
                "notify_owner",
                "no owner channel is configured (--owner-channel): the owner cannot be told",
            ));
        }
        let run = self
            .start(
                &engine,
                who,
                &t.id,
                Operation::Deprovision,
                valid.options,
                valid.not_before,
            )
            .await?;
        // The notice before: with the run, so it can say when.
        if let (true, Some(channel)) = (tell, channel) {
            self.store
                .queue_owner_message(&channel, (&t.id, run.id), crate::store::DEPROVISION_NOTICE)
                .await?;
        }
        Ok(run)
    }

    /// Puts a catalogued dump back: admins only, with the tenant ID typed
    /// again; the run stops the application, restores, migrates and starts
    /// it again.
    async fn restore_tenant(
        &self,
        who: &CurrentStaff,
        tenant: String,
        form: RestoreForm,
    ) -> R<RunDto> {
        require(who, Role::Admin, "restore a tenant's database")?;
        let t = self.store.get_tenant(&tenant).await?;
        let found = match app::domain::operation_forms::restore_backup_id(&form) {
            Some(id) => match self.store.get_backup(id).await {
                Ok(b) => Some(b),
                Err(crate::error::ServerError::NotFound(_)) => None,
                Err(e) => return Err(e.into()),
            },
            None => None,
        };
        let valid = app::domain::operation_forms::validate_restore(&t.id, &form, found)?;
        check_operation(&t, Operation::Restore)?;
        let engine = self.engine().await?;
        let options = RunOptions {
            backup_id: Some(valid.backup.id),
            backup: valid.backup_first,
            ..Default::default()
        };
        // Without the dump first, the run's audit event is the security
        // event `tenant.restore.without_backup` (see `run_action`).
        self.start(&engine, who, &t.id, Operation::Restore, options, None)
            .await
    }

    /// The tenant's backups, newest first.
    async fn rotate_secrets(
        &self,
        who: &CurrentStaff,
        id: String,
        form: RotateSecretsForm,
    ) -> R<RunDto> {
        self.rotate_generated(who, id, form).await
    }

    async fn rotatable_secrets(&self, who: &CurrentStaff, id: String) -> R<Vec<String>> {
        self.rotatable_of(who, id).await
    }

    async fn tenant_backups(&self, who: &CurrentStaff, tenant: String) -> R<Vec<BackupDto>> {
        require(who, Role::Viewer, "see backups")?;
        let t = self.store.get_tenant(&tenant).await?;
        Ok(self.store.list_backups(&t.id, 100).await?)
    }

    /// Runs one action per selected tenant and says how each went; one
    /// tenant's refusal does not stop the others. A bulk deprovisioning is
    /// for admins, backs every tenant up first (a tenant whose plan takes no
    /// backups is refused by name, before anything starts) and keeps them
    /// for a grace period of at least an hour.
    async fn bulk_action(&self, who: &CurrentStaff, form: BulkForm) -> R<Vec<BulkResult>> {
        require(who, Role::Operator, "run bulk actions")?;
        let (ids, options) = validate_bulk(&form)?;
        let action = form.action.as_str();
        if action == "deprovision" {
            require(who, Role::Admin, "deprovision tenants in bulk")?;
            self.all_back_up(&ids).await?;
        }
        if action == "change_plan" {
            return self
                .bulk_change_plan(who, &ids, form.template_id.trim())
                .await;
        }
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            let result = match action {
                "suspend" => {
                    self.start_operation(who, id.clone(), Operation::Suspend)
                        .await
                }
                "resume" => {
                    self.start_operation(who, id.clone(), Operation::Resume)
                        .await
                }
                "deprovision" => {
                    let form = DeprovisionForm {
                        confirm: id.clone(),
                        backup: options.backup,
                        grace_hours: options.grace_hours.to_string(),
                        ..Default::default()
                    };
                    self.deprovision_tenant(who, id.clone(), form).await
                }
                _ => self.retry_latest(who, &id).await,
            };
            out.push(match result {
                Ok(run) => BulkResult {
                    tenant_id: id,
                    ok: true,
                    message: format!("run {} started ({})", run.id, run.operation),
                    run_id: Some(run.id),
                    rollout_id: None,
                },
                Err(e) => BulkResult {
                    tenant_id: id,
                    ok: false,
                    message: e.to_string(),
                    run_id: None,
                    rollout_id: None,
                },
            });
        }
        Ok(out)
    }

    /// The new-tenant wizard's dry-run: what provisioning would create.
    async fn preview_new_tenant(
        &self,
        who: &CurrentStaff,
        form: NewTenantForm,
    ) -> R<ChangePreview> {
        require(who, Role::Viewer, "preview tenants")?;
        let new = self.checked_new_tenant(&form).await?;
        if new.template.custom {
            require(who, Role::Admin, "make a tenant without a plan")?;
        }
        let (valid, template, plan) = (&new.valid, new.template, &new.plan);
        let id = valid
            .tenant_id
            .clone()
            .unwrap_or_else(|| tenant_id_from(&valid.fields.company_name, &random_suffix()));
        let namespace = namespace_of(&self.render_settings, &id);
        // A custom domain DNS would hold back is rendered as it would be:
        // left out, with the reason.
        let mut warnings = new.said;
        let mut domain = valid.fields.custom_domain.as_deref();
        if let (Some(d), Some(dns)) = (domain, &self.dns) {
            let v = dns.check(d).await;
            if !v.ok {
                warnings.push(format!(
                    "custom_domain: {}; it is held (not routed) until DNS points at {}",
                    v.detail, dns.target
                ));
                domain = None;
            }
        }
        let at = crate::provisioning::desired::At {
            id: &id,
            namespace: &namespace,
            custom_domain: domain,
            owner_email: &valid.fields.owner_email,
            custom_fields: &new.custom_fields,
            secrets_rotated: None,
        };
        let (settings, caps) = self.rendering();
        let yaml = to_yaml(&plan.desired(at, &settings, &caps).objects());
        Ok(ChangePreview {
            tenant_id: id.clone(),
            template_name: template.name,
            template_version: template.version,
            release: plan.release_number,
            release_now: plan.release_number,
            yaml,
            objects: vec![],
            compared_with_live: false,
            warnings,
        })
    }
}

impl ConsoleService {
    /// What previews render with: the engine's settings and the cluster's
    /// capabilities, or the console's settings while none is connected.
    /// Whether the connected cluster serves CloudNativePG (`None`: no
    /// cluster is connected yet).
    fn cnpg(&self) -> Option<bool> {
        self.engine.get().map(|e| e.cluster.caps.cnpg)
    }

    /// What the connected cluster cannot give a tenant on `plan` (nothing
    /// while no cluster is connected).
    pub(super) fn cluster_warnings(&self, plan: &crate::provisioning::TenantPlan) -> Vec<String> {
        let mut said =
            app::domain::release::fit::cluster_warnings(&plan.tier, &plan.release, self.cnpg());
        said.extend(self.edge_warnings(plan));
        said
    }

    /// How the connected cluster routes a tenant on `plan` other than the
    /// console asks: no HTTPRoute served, or edge limits it cannot enforce.
    fn edge_warnings(&self, plan: &crate::provisioning::TenantPlan) -> Vec<String> {
        let Some(e) = self.engine.get() else {
            return vec![];
        };
        let caps = &e.cluster.caps;
        e.settings
            .route_warning(caps)
            .into_iter()
            .chain(crate::manifests::edge_warning(
                &e.settings,
                caps,
                &plan.tier,
            ))
            .collect()
    }

    /// A new tenant on `plan`: refused (on `template_id`) when the cluster
    /// cannot give what the plan asks; else what is pending or warned of.
    pub(super) fn new_tenant_fits(&self, plan: &crate::provisioning::TenantPlan) -> R<Vec<String>> {
        use app::domain::release::fit;
        if let Some(why) = fit::new_tenant_refusal(&plan.tier, &plan.release, self.cnpg()) {
            return Err(AppError::invalid("template_id", why));
        }
        let mut said = fit::pending_checks(&plan.tier, &plan.release, self.cnpg());
        said.extend(self.edge_warnings(plan));
        Ok(said)
    }

    pub(super) fn rendering(&self) -> (RenderSettings, Capabilities) {
        match self.engine.get() {
            Some(e) => (e.settings.clone(), e.cluster.caps.clone()),
            None => (self.render_settings.clone(), Capabilities::default()),
        }
    }

    /// The engine. A configured cluster that is still connecting (a
    /// console that just started) is waited for, a little, through the
    /// connection handle; without one, operations are unavailable.
    pub(super) async fn engine(&self) -> R<Engine> {
        if let Some(e) = self.engine.get() {
            return Ok(e.clone());
        }
        let not_yet = |what: &str| {
            AppError::Unavailable(format!("No Kubernetes cluster is connected: {what}"))
        };
        if !self.cluster_configured {
            return Err(not_yet(
                "start the console with --kubeconfig (or in a cluster with --in-cluster).",
            ));
        }
        tokio::time::timeout(CONNECTING_GRACE, self.engine.connected())
            .await
            .map_err(|_| not_yet("the configured cluster does not answer yet; try again shortly."))
    }

    /// Records a run and wakes the runner.
    pub(super) async fn start(
        &self,
        engine: &Engine,
        who: &CurrentStaff,
        tenant: &str,
        op: Operation,
        options: RunOptions,
        not_before: Option<i64>,
    ) -> R<RunDto> {
        // The steps follow the tenant's release: a wait per component, its
        // jobs by phase, the once-only ones not run for it yet.
        let t = self.store.get_tenant(tenant).await?;
        let (tenant_plan, planned) =
            crate::provisioning::steps_for(&self.store, &t, op, &options).await?;
        let release = &tenant_plan.release;
        // A dump or restore of a database Tenantry does not dump is refused
        // before anything is recorded, naming the option that asked for it.
        if !crate::manifests::dumps(release) {
            let asks = |k: StepKind| planned.iter().any(|s| s.kind == k);
            let field = match op {
                Operation::Restore => Some("backup_id"),
                _ if asks(StepKind::Backup) && op == Operation::Backup => Some("operation"),
                _ if asks(StepKind::Backup) => Some("backup"),
                _ => None,
            };
            if let Some(field) = field {
                return Err(AppError::invalid(
                    field,
                    format!(
                        "release {} of the tenant's application keeps its database ({}) out of \
                         Tenantry's dumps: nothing can be backed up or restored",
                        tenant_plan.release_number, release.database.kind
                    ),
                ));
            }
        }
        let steps: Vec<String> = planned.iter().map(Step::stored).collect();
        let names: Vec<&str> = steps.iter().map(String::as_str).collect();
        let id = self
            .store
            .create_run_with(tenant, op, &names, &who.username, &options, not_before)
            .await?;
        engine.runner.wake();
        Ok(self.store.get_run(id).await?)
    }
}
