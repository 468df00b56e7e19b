//! The console service: every operation staff can perform, with the role
//! check on the server for each. Server functions reach it through
//! [`app::api::Console`]; the role is checked here whatever the page showed.

mod alerts;
mod audit;
mod live;
mod operations;
mod runs;
mod session;
mod staff;
mod stats;
mod templates;
mod tenants;
mod tokens;

use std::sync::Arc;

use app::api::Console;
use app::dto::*;
use app::error::AppError;

use crate::auth::{Throttle, ThrottlePolicy};
use crate::live::Live;
use crate::manifests::RenderSettings;
use crate::provisioning::EngineSlot;
use crate::store::Store;

type R<T> = Result<T, AppError>;

pub use audit::ExportFormat;

pub struct ConsoleService {
    store: Store,
    throttle: Throttle,
    /// The engine, once a cluster is connected.
    engine: EngineSlot,
    /// Where tenants go (namespace prefix, base domain); also for dry-runs
    /// while no cluster is connected.
    render_settings: RenderSettings,
    /// The console's own host, which no tenant may take as its domain.
    public_host: Option<String>,
    /// Where links in notifications point.
    public_url: Option<url::Url>,
    /// Seals channel secrets at rest.
    sealer: crate::alerts::Sealer,
    /// What notification channels may reach.
    outbound: crate::alerts::Outbound,
    /// Where the tenants' own metrics come from, if configured.
    prometheus: Option<crate::alerts::Prometheus>,
    /// Whether a cluster is configured (the alert rules about it apply).
    cluster_configured: bool,
    /// Health, pods and the live stream's hub.
    live: Live,
    /// Who is exporting the audit trail now (one export per person).
    exports: audit::Exports,
}

/// How a console is set up, beyond its store and engine.
#[derive(Clone, Debug)]
pub struct ConsoleOptions {
    pub settings: RenderSettings,
    pub throttle: ThrottlePolicy,
    /// `--public-url`, if one is set.
    pub public_url: Option<url::Url>,
    /// Seals channel secrets (from `TENANTRY_SECRET_KEY`).
    pub sealer: crate::alerts::Sealer,
    /// What notification channels may reach (`--outbound-allow`, `--outbound-deny`).
    pub outbound: crate::alerts::Outbound,
    /// The Prometheus the rules read from (`--prometheus-url`).
    pub prometheus: Option<crate::alerts::Prometheus>,
    /// A cluster is configured (`--kubeconfig` / `--in-cluster`).
    pub cluster_configured: bool,
    /// Live streams one session may hold open; one more replaces the oldest.
    pub streams_per_session: usize,
}

impl Default for ConsoleOptions {
    fn default() -> Self {
        Self {
            settings: RenderSettings::default(),
            throttle: ThrottlePolicy::default(),
            public_url: None,
            sealer: crate::alerts::Sealer::default(),
            outbound: crate::alerts::Outbound::default(),
            prometheus: None,
            cluster_configured: false,
            streams_per_session: crate::live::STREAMS_PER_SESSION,
        }
    }
}

impl ConsoleService {
    /// A console without a cluster: records and dry-runs work, operations
    /// answer "unavailable".
    pub fn new(store: Store, opts: ConsoleOptions) -> Arc<Self> {
        let engine = EngineSlot::default();
        let monitor = crate::monitoring::Monitor::start(engine.clone());
        Self::with_engine(store, engine, monitor, opts)
    }

    /// A console whose operations use the engine in `engine` once it is
    /// set; `monitor` (started on the same slot) is its picture of the
    /// cluster, which the engine's runner reads too.
    pub fn with_engine(
        store: Store,
        engine: EngineSlot,
        monitor: crate::monitoring::Monitor,
        opts: ConsoleOptions,
    ) -> Arc<Self> {
        let live = Live::start(store.clone(), monitor, opts.streams_per_session);
        Arc::new(Self {
            throttle: Throttle::new(store.clone(), opts.throttle),
            store,
            engine,
            render_settings: opts.settings,
            public_host: opts
                .public_url
                .as_ref()
                .and_then(|u| u.host_str())
                .map(String::from),
            public_url: opts.public_url,
            sealer: opts.sealer,
            outbound: opts.outbound,
            prometheus: opts.prometheus,
            cluster_configured: opts.cluster_configured,
            live,
            exports: Default::default(),
        })
    }

    pub fn live(&self) -> &Live {
        &self.live
    }

    /// Starts the work only the leader among the replicas does (all of it
    /// on SQLite's one process): tenant states and health history from the
    /// cluster index, alert evaluation and notification delivery.
    pub fn start_leader_work(&self, leadership: crate::replicas::Leadership) {
        if tokio::runtime::Handle::try_current().is_err() {
            return;
        }
        let monitor = self.live.monitor();
        crate::monitoring::spawn_state_follower(monitor, self.store.clone(), leadership.clone());
        let evaluator = crate::alerts::Evaluator::new(
            self.store.clone(),
            std::sync::Arc::clone(monitor.index()),
            self.engine.clone(),
            self.cluster_configured,
        )
        .with_prometheus(self.prometheus.clone());
        crate::alerts::spawn_evaluator(evaluator, leadership.clone());
        crate::provisioning::access::spawn_backfill(
            self.store.clone(),
            self.engine.clone(),
            leadership.clone(),
        );
        crate::provisioning::backups::spawn_sweeper(
            self.store.clone(),
            self.engine.clone(),
            leadership.clone(),
        );
        crate::alerts::spawn_deliverer(
            crate::alerts::Deliverer {
                store: self.store.clone(),
                sealer: self.sealer.clone(),
                outbound: self.outbound.clone(),
                console: self.public_url.clone(),
            },
            leadership,
        );
    }
}

/// Refuses `who` unless their role includes `need`.
pub fn require(who: &CurrentStaff, need: Role, action: &str) -> R<()> {
    if who.role.allows(need) {
        Ok(())
    } else {
        Err(AppError::Forbidden {
            have: who.role.to_string(),
            need: need.to_string(),
            action: action.into(),
        })
    }
}

#[async_trait::async_trait]
impl Console for ConsoleService {
    async fn login(
        &self,
        req: &http::request::Parts,
        username: String,
        password: String,
    ) -> R<CurrentStaff> {
        self.sign_in(req, username, password).await
    }
    async fn logout(&self, req: &http::request::Parts) -> R<()> {
        self.sign_out(req).await
    }
    async fn change_password(
        &self,
        req: &http::request::Parts,
        who: &CurrentStaff,
        (current_password, new_password): (String, String),
        revoke_tokens: bool,
    ) -> R<CurrentStaff> {
        self.change_own_password(req, who, (current_password, new_password), revoke_tokens)
            .await
    }

    async fn dashboard(&self, who: &CurrentStaff) -> R<DashboardDto> {
        require(who, Role::Viewer, "see the dashboard")?;
        let tenants_by_state = self.store.tenants_by_state().await?;
        let runs = |state: RunState, per_page: u32| RunQuery {
            state: Some(state),
            per_page,
            ..Default::default()
        };
        let mut runs_in_progress = self
            .store
            .list_runs(&runs(RunState::Running, 20))
            .await?
            .items;
        runs_in_progress.extend(
            self.store
                .list_runs(&runs(RunState::Pending, 20))
                .await?
                .items,
        );
        let (tenants_by_health, alerts) = self.live.view().health_summary(20);
        Ok(DashboardDto {
            tenant_total: tenants_by_state.iter().map(|(_, n)| n).sum(),
            tenants_by_state,
            template_count: self.store.count_templates().await?,
            recent_audit: self.store.list_audit("", 1, 10).await?.items,
            tenants_by_health,
            runs_in_progress,
            recent_failures: self
                .store
                .list_runs(&runs(RunState::Failed, 5))
                .await?
                .items,
            alerts,
            firing_alerts: self.store.firing_by_severity().await?,
        })
    }

    async fn list_templates(&self, who: &CurrentStaff) -> R<Vec<TemplateDto>> {
        require(who, Role::Viewer, "list templates")?;
        Ok(self.store.list_templates().await?)
    }
    async fn template_choices(&self, who: &CurrentStaff) -> R<Vec<TemplateChoice>> {
        require(who, Role::Viewer, "list templates")?;
        Ok(self.store.template_choices().await?)
    }
    async fn get_template(&self, who: &CurrentStaff, id: i64) -> R<TemplateDetail> {
        self.template_detail(who, id).await
    }
    async fn create_template(&self, who: &CurrentStaff, form: TemplateForm) -> R<TemplateDto> {
        self.new_template(who, form).await
    }
    async fn update_template(
        &self,
        who: &CurrentStaff,
        id: i64,
        form: TemplateForm,
    ) -> R<TemplateDto> {
        self.edit_template(who, id, form).await
    }
    async fn delete_template(&self, who: &CurrentStaff, id: i64) -> R<()> {
        self.remove_template(who, id).await
    }

    async fn list_tenants(&self, who: &CurrentStaff, query: TenantQuery) -> R<Page<TenantDto>> {
        require(who, Role::Viewer, "list tenants")?;
        self.tenants_with_health(who, query).await
    }
    async fn get_tenant(&self, who: &CurrentStaff, id: String) -> R<TenantDto> {
        require(who, Role::Viewer, "view tenants")?;
        let mut t = self.store.get_tenant(&id).await?;
        self.decorate(&mut t);
        Ok(t)
    }
    async fn create_tenant(&self, who: &CurrentStaff, form: NewTenantForm) -> R<TenantDto> {
        if !form.provision {
            return self.new_tenant(who, form).await;
        }
        // Refused before anything is stored when it could not be provisioned.
        require(who, Role::Operator, "provision tenants")?;
        self.engine()?;
        let t = self.new_tenant(who, form).await?;
        self.simple_operation(who, t.id.clone(), Operation::Provision)
            .await?;
        Ok(self.store.get_tenant(&t.id).await?)
    }
    async fn update_tenant(
        &self,
        who: &CurrentStaff,
        id: String,
        form: TenantForm,
    ) -> R<TenantDto> {
        self.edit_tenant(who, id, form).await
    }
    async fn delete_tenant(&self, who: &CurrentStaff, id: String) -> R<()> {
        require(who, Role::Operator, "delete tenants")?;
        Ok(self.store.delete_tenant(&id, &who.username).await?)
    }
    async fn suggest_tenant_id(&self, who: &CurrentStaff, company_name: String) -> R<String> {
        self.suggest_id(who, company_name).await
    }
    async fn check_tenant_id(&self, who: &CurrentStaff, id: String) -> R<IdCheck> {
        self.check_id(who, id).await
    }

    async fn list_staff(&self, who: &CurrentStaff) -> R<Vec<StaffDto>> {
        require(who, Role::Admin, "manage staff")?;
        Ok(self
            .store
            .list_staff()
            .await?
            .iter()
            .map(|r| r.to_dto())
            .collect())
    }
    async fn create_staff(
        &self,
        who: &CurrentStaff,
        username: String,
        role: String,
    ) -> R<NewStaffResult> {
        self.add_staff(who, username, role).await
    }
    async fn set_staff_role(&self, who: &CurrentStaff, id: i64, role: String) -> R<StaffDto> {
        self.change_role(who, id, role).await
    }
    async fn set_staff_active(&self, who: &CurrentStaff, id: i64, active: bool) -> R<StaffDto> {
        self.change_active(who, id, active).await
    }
    async fn reset_staff_password(&self, who: &CurrentStaff, id: i64) -> R<NewStaffResult> {
        self.reset_password(who, id).await
    }

    async fn start_operation(&self, who: &CurrentStaff, id: String, op: Operation) -> R<RunDto> {
        self.simple_operation(who, id, op).await
    }
    async fn preview_tenant_change(
        &self,
        who: &CurrentStaff,
        id: String,
        form: ChangeForm,
    ) -> R<ChangePreview> {
        self.preview_change(who, id, form).await
    }
    async fn change_tenant(&self, who: &CurrentStaff, id: String, form: ChangeForm) -> R<RunDto> {
        ConsoleService::change_tenant(self, who, id, form).await
    }
    async fn deprovision_tenant(
        &self,
        who: &CurrentStaff,
        id: String,
        form: DeprovisionForm,
    ) -> R<RunDto> {
        self.deprovision(who, id, form).await
    }
    async fn restore_tenant(&self, who: &CurrentStaff, id: String, form: RestoreForm) -> R<RunDto> {
        self.restore(who, id, form).await
    }
    async fn tenant_backups(&self, who: &CurrentStaff, id: String) -> R<Vec<BackupDto>> {
        self.backups(who, id).await
    }
    async fn list_runs(&self, who: &CurrentStaff, q: RunQuery) -> R<Page<RunDto>> {
        self.runs(who, q).await
    }
    async fn get_run(&self, who: &CurrentStaff, id: i64) -> R<RunDto> {
        self.run(who, id).await
    }
    async fn retry_step(&self, who: &CurrentStaff, run: i64, position: i64) -> R<RunDto> {
        self.retry(who, run, position).await
    }
    async fn recover_run(&self, who: &CurrentStaff, run: i64) -> R<RunDto> {
        self.recover(who, run).await
    }
    async fn cancel_run(&self, who: &CurrentStaff, run: i64) -> R<RunDto> {
        self.cancel(who, run).await
    }

    async fn tenant_live(&self, who: &CurrentStaff, id: String) -> R<TenantLiveDto> {
        self.tenant_live(who, id).await
    }
    async fn reveal_credentials(&self, who: &CurrentStaff, id: String) -> R<Vec<Credential>> {
        self.reveal(who, id).await
    }
    async fn bulk_action(&self, who: &CurrentStaff, form: BulkForm) -> R<Vec<BulkResult>> {
        self.bulk(who, form).await
    }
    async fn list_alerts(&self, who: &CurrentStaff, q: AlertQuery) -> R<Page<AlertDto>> {
        self.alerts(who, q).await
    }
    async fn get_alert(&self, who: &CurrentStaff, id: i64) -> R<AlertDto> {
        self.alert(who, id).await
    }
    async fn ack_alert(&self, who: &CurrentStaff, id: i64, note: String) -> R<AlertDto> {
        self.acknowledge(who, id, note).await
    }
    async fn resolve_alert(&self, who: &CurrentStaff, id: i64, note: String) -> R<AlertDto> {
        self.resolve(who, id, note).await
    }
    async fn silence_alerts(&self, who: &CurrentStaff, form: SilenceForm) -> R<SilenceDto> {
        self.silence(who, form).await
    }
    async fn end_silence(&self, who: &CurrentStaff, id: i64) -> R<()> {
        self.unsilence(who, id).await
    }
    async fn list_silences(&self, who: &CurrentStaff) -> R<Vec<SilenceDto>> {
        self.silences(who).await
    }
    async fn alert_rules(&self, who: &CurrentStaff, scope: String, id: String) -> R<Vec<RuleDto>> {
        self.rules(who, scope, id).await
    }
    async fn set_alert_rule(
        &self,
        who: &CurrentStaff,
        scope: String,
        id: String,
        form: RuleOverrideForm,
    ) -> R<Vec<RuleDto>> {
        self.set_rule(who, scope, id, form).await
    }
    async fn list_channels(&self, who: &CurrentStaff) -> R<Vec<ChannelDto>> {
        self.channels(who).await
    }
    async fn save_channel(
        &self,
        who: &CurrentStaff,
        id: i64,
        form: ChannelForm,
    ) -> R<SavedChannel> {
        ConsoleService::save_channel(self, who, (id > 0).then_some(id), form).await
    }
    async fn delete_channel(&self, who: &CurrentStaff, id: i64) -> R<()> {
        ConsoleService::delete_channel(self, who, id).await
    }
    async fn test_channel(&self, who: &CurrentStaff, id: i64) -> R<i64> {
        ConsoleService::test_channel(self, who, id).await
    }
    async fn delivery_log(&self, who: &CurrentStaff, channel: i64) -> R<Vec<NotificationDto>> {
        self.deliveries(who, channel).await
    }
    async fn preview_new_tenant(
        &self,
        who: &CurrentStaff,
        form: NewTenantForm,
    ) -> R<ChangePreview> {
        self.preview_new(who, form).await
    }

    async fn statistics(&self, who: &CurrentStaff, days: u32) -> R<StatsDto> {
        ConsoleService::statistics(self, who, days).await
    }
    async fn list_tokens(&self, who: &CurrentStaff) -> R<Vec<TokenDto>> {
        self.tokens(who).await
    }
    async fn create_token(&self, who: &CurrentStaff, form: NewTokenForm) -> R<NewTokenResult> {
        self.new_token(who, form, "in the console").await
    }
    async fn revoke_token(&self, who: &CurrentStaff, id: i64) -> R<TokenDto> {
        self.revoke(who, id).await
    }
    async fn exchange_password(
        &self,
        req: &http::request::Parts,
        username: String,
        password: String,
        name: String,
        role: Option<Role>,
        expires_in_days: i64,
    ) -> R<NewTokenResult> {
        let login = (username, password);
        ConsoleService::exchange_password(self, req, login, name, role, expires_in_days).await
    }

    async fn list_audit(&self, who: &CurrentStaff, q: AuditQuery) -> R<Page<AuditEventDto>> {
        self.audit_page(who, q).await
    }
}
