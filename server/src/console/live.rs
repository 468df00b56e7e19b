//! The live side of the console: health in lists, a tenant's pods and
//! events, bulk actions, and the new-tenant dry-run.

use app::domain::operation_forms::validate_bulk;
use app::domain::tenant_id::tenant_id_from;
use app::dto::{
    BulkForm, BulkResult, ChangePreview, Credential, CurrentStaff, DeprovisionForm, NewTenantForm,
    Operation, Page, Role, RunState, TenantDto, TenantLiveDto, TenantQuery, TenantState,
};
use app::error::AppError;

use super::tenants::random_suffix;
use super::{require, ConsoleService, R};
use crate::manifests::{namespace_of, render, to_yaml};

impl ConsoleService {
    /// A page of tenants with their live health. A health filter reads
    /// the health the leader last recorded from the cluster index (indexed
    /// in the database), so the page costs the same at any fleet size.
    pub(super) async fn tenants_with_health(
        &self,
        who: &CurrentStaff,
        query: TenantQuery,
    ) -> R<Page<TenantDto>> {
        require(who, Role::Viewer, "list tenants")?;
        let mut page = self.store.list_tenants(&query).await?;
        for t in &mut page.items {
            self.decorate(t);
        }
        Ok(page)
    }

    /// What the console adds to a stored tenant: its live health and URLs.
    pub(super) fn decorate(&self, t: &mut TenantDto) {
        t.health = Some(self.live.view().health(&t.id));
        t.urls = crate::manifests::tenant_hosts(
            &t.id,
            t.custom_domain.as_deref(),
            &self.render_settings,
        )
        .into_iter()
        .map(|h| format!("https://{h}"))
        .collect();
    }

    pub(super) async fn tenant_live(&self, who: &CurrentStaff, id: String) -> R<TenantLiveDto> {
        require(who, Role::Viewer, "watch tenants")?;
        let t = self.store.get_tenant(&id).await?;
        let view = self.live.view();
        let objects = view.objects(&t.id);
        let note = (!view.watch_status().started).then(|| "no cluster connected".to_string());
        Ok(TenantLiveDto {
            health: Some(view.health(&t.id)),
            pods: objects.pods,
            workloads: objects.workloads,
            quota: objects.quota,
            certificates: objects.certificates,
            history: self.store.health_history(&t.id).await?,
            alerts: self.store.alerts_for_tenant(&t.id, 20).await?,
            events: objects.events,
            note,
        })
    }

    /// Runs one action per selected tenant and says how each went; one
    /// tenant's refusal does not stop the others. A bulk deprovisioning is
    /// for admins, backs every tenant up first (a tenant whose plan takes no
    /// backups is refused by name, before anything starts) and keeps them
    /// for a grace period of at least an hour.
    pub(super) async fn bulk(&self, who: &CurrentStaff, form: BulkForm) -> R<Vec<BulkResult>> {
        require(who, Role::Operator, "run bulk actions")?;
        let (ids, options) = validate_bulk(&form)?;
        let action = form.action.as_str();
        if action == "deprovision" {
            require(who, Role::Admin, "deprovision tenants in bulk")?;
            self.all_back_up(&ids).await?;
        }
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            let result = match action {
                "suspend" => {
                    self.simple_operation(who, id.clone(), Operation::Suspend)
                        .await
                }
                "resume" => {
                    self.simple_operation(who, id.clone(), Operation::Resume)
                        .await
                }
                "deprovision" => {
                    let form = DeprovisionForm {
                        confirm: id.clone(),
                        backup: options.backup,
                        grace_hours: options.grace_hours.to_string(),
                        ..Default::default()
                    };
                    self.deprovision(who, id.clone(), form).await
                }
                _ => self.retry_latest(who, &id).await,
            };
            out.push(match result {
                Ok(run) => BulkResult {
                    tenant_id: id,
                    ok: true,
                    message: format!("run {} started ({})", run.id, run.operation),
                    run_id: Some(run.id),
                },
                Err(e) => BulkResult {
                    tenant_id: id,
                    ok: false,
                    message: e.to_string(),
                    run_id: None,
                },
            });
        }
        Ok(out)
    }

    /// Refuses a bulk deprovisioning that names a tenant whose plan takes no
    /// backups (or that does not exist), naming each.
    async fn all_back_up(&self, ids: &[String]) -> R<()> {
        let mut refused = vec![];
        for id in ids {
            match self.store.get_tenant(id).await {
                Ok(t) => {
                    let (_, tier) = self
                        .store
                        .tenant_tier(t.template_id, t.template_version)
                        .await?;
                    if !tier.backup_enabled {
                        refused.push(format!("\"{id}\" ({} has no backups)", t.template_name));
                    }
                }
                Err(crate::error::ServerError::NotFound(_)) => {
                    refused.push(format!("\"{id}\" (no such tenant)"))
                }
                Err(e) => return Err(e.into()),
            }
        }
        if refused.is_empty() {
            return Ok(());
        }
        Err(AppError::invalid(
            "ids",
            format!(
                "a bulk deprovisioning backs every tenant up first; these cannot be: {}. \
                 Deprovision them one by one, or leave them out",
                refused.join(", ")
            ),
        ))
    }

    /// Resumes a tenant's latest run when it failed or was cancelled.
    async fn retry_latest(&self, who: &CurrentStaff, tenant: &str) -> R<app::dto::RunDto> {
        let runs = self.store.runs_for_tenant(tenant).await?;
        match runs.first() {
            Some(r) if matches!(r.state, RunState::Failed | RunState::Cancelled) => {
                self.recover(who, r.id).await
            }
            Some(r) => Err(AppError::Conflict(format!(
                "the latest run ({}) is {}: only a failed or cancelled run can be retried",
                r.id, r.state
            ))),
            None => Err(AppError::Conflict(
                "no run yet: provision the tenant first".into(),
            )),
        }
    }

    /// The generated credentials, once. The mark is set first (so two
    /// clicks cannot both see them) and taken back if the Secrets cannot be
    /// read. Values never reach a log or an error message.
    pub(super) async fn reveal(&self, who: &CurrentStaff, id: String) -> R<Vec<Credential>> {
        require(who, Role::Operator, "see generated credentials")?;
        let t = self.store.get_tenant(&id).await?;
        if !matches!(t.state, TenantState::Active | TenantState::Degraded) {
            return Err(AppError::Conflict(format!(
                "Tenant \"{id}\" is {}: credentials exist once it is provisioned.",
                t.state
            )));
        }
        let engine = self.engine()?;
        if !self
            .store
            .mark_credentials_shown(&id, &who.username)
            .await?
        {
            return Err(AppError::Conflict(format!(
                "The credentials of \"{id}\" were already shown{}; they are shown once. Rotate them to get new ones.",
                match (t.credentials_shown_by, t.credentials_shown_at) {
                    (Some(by), Some(at)) => format!(" to {by} at {}", crate::store::format_ms(at)),
                    _ => String::new(),
                }
            )));
        }
        match crate::cluster::read_tenant_secrets(&engine.cluster.client, &t.namespace).await {
            Ok(values) => Ok(values
                .into_iter()
                .map(|(name, value)| Credential { name, value })
                .collect()),
            Err(e) => {
                self.store.unmark_credentials_shown(&id).await?;
                Err(AppError::Unavailable(format!(
                    "the credentials cannot be read now ({e}); try again"
                )))
            }
        }
    }

    /// The new-tenant wizard's dry-run: what provisioning would create.
    pub(super) async fn preview_new(
        &self,
        who: &CurrentStaff,
        form: NewTenantForm,
    ) -> R<ChangePreview> {
        require(who, Role::Viewer, "preview tenants")?;
        let valid = form.validate()?;
        let template = self.store.get_template(valid.template_id).await?;
        let id = valid
            .tenant_id
            .clone()
            .unwrap_or_else(|| tenant_id_from(&valid.fields.company_name, &random_suffix()));
        let namespace = namespace_of(&self.render_settings, &id);
        // A new tenant has no overrides yet.
        let plan = crate::provisioning::TenantPlan {
            key: template.key.clone(),
            version: template.version,
            tier: template.spec.clone(),
        };
        let input = plan.input((&id, &namespace, valid.fields.custom_domain.as_deref()));
        let (settings, caps) = match self.engine.get() {
            Some(e) => (e.settings.clone(), e.cluster.caps.clone()),
            None => (self.render_settings.clone(), Default::default()),
        };
        let yaml = to_yaml(&render(&input, &settings, &caps));
        Ok(ChangePreview {
            tenant_id: id.clone(),
            template_name: template.name,
            template_version: template.version,
            yaml,
            objects: vec![],
            compared_with_live: false,
        })
    }
}
