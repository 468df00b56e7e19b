//! The engine's interface as the server functions see it. Implemented in the
//! `server` crate, which checks the role of `who` on every call.

use std::sync::Arc;

use crate::dto::*;
use crate::error::AppError;

type R<T> = Result<T, AppError>;

#[async_trait::async_trait]
pub trait Console: Send + Sync + 'static {
    async fn login(
        &self,
        req: &http::request::Parts,
        username: String,
        password: String,
    ) -> R<CurrentStaff>;
    async fn logout(&self, req: &http::request::Parts) -> R<()>;
    /// The signed-in staff member's own password, checked against the
    /// current one; the account's other sessions end, and its API tokens
    /// too with `revoke_tokens`.
    async fn change_password(
        &self,
        req: &http::request::Parts,
        who: &CurrentStaff,
        passwords: (String, String),
        revoke_tokens: bool,
    ) -> R<CurrentStaff>;

    async fn dashboard(&self, who: &CurrentStaff) -> R<DashboardDto>;

    async fn list_templates(&self, who: &CurrentStaff) -> R<Vec<TemplateDto>>;
    async fn template_choices(&self, who: &CurrentStaff) -> R<Vec<TemplateChoice>>;
    async fn get_template(&self, who: &CurrentStaff, id: i64) -> R<TemplateDetail>;
    async fn create_template(&self, who: &CurrentStaff, form: TemplateForm) -> R<TemplateDto>;
    async fn update_template(
        &self,
        who: &CurrentStaff,
        id: i64,
        form: TemplateForm,
    ) -> R<TemplateDto>;
    async fn delete_template(&self, who: &CurrentStaff, id: i64) -> R<()>;

    async fn list_tenants(&self, who: &CurrentStaff, query: TenantQuery) -> R<Page<TenantDto>>;
    async fn get_tenant(&self, who: &CurrentStaff, id: String) -> R<TenantDto>;
    async fn create_tenant(&self, who: &CurrentStaff, form: NewTenantForm) -> R<TenantDto>;
    async fn update_tenant(&self, who: &CurrentStaff, id: String, form: TenantForm)
        -> R<TenantDto>;
    async fn delete_tenant(&self, who: &CurrentStaff, id: String) -> R<()>;
    async fn suggest_tenant_id(&self, who: &CurrentStaff, company_name: String) -> R<String>;
    async fn check_tenant_id(&self, who: &CurrentStaff, id: String) -> R<IdCheck>;

    async fn list_staff(&self, who: &CurrentStaff) -> R<Vec<StaffDto>>;
    async fn create_staff(
        &self,
        who: &CurrentStaff,
        username: String,
        role: String,
    ) -> R<NewStaffResult>;
    async fn set_staff_role(&self, who: &CurrentStaff, id: i64, role: String) -> R<StaffDto>;
    async fn set_staff_active(&self, who: &CurrentStaff, id: i64, active: bool) -> R<StaffDto>;
    async fn reset_staff_password(&self, who: &CurrentStaff, id: i64) -> R<NewStaffResult>;

    /// Provision, suspend, resume or clean up (operations without options).
    async fn start_operation(&self, who: &CurrentStaff, id: String, op: Operation) -> R<RunDto>;
    async fn preview_tenant_change(
        &self,
        who: &CurrentStaff,
        id: String,
        form: ChangeForm,
    ) -> R<ChangePreview>;
    async fn change_tenant(&self, who: &CurrentStaff, id: String, form: ChangeForm) -> R<RunDto>;
    async fn deprovision_tenant(
        &self,
        who: &CurrentStaff,
        id: String,
        form: DeprovisionForm,
    ) -> R<RunDto>;
    /// Puts one of the tenant's catalogued backups back (admins only).
    async fn restore_tenant(&self, who: &CurrentStaff, id: String, form: RestoreForm) -> R<RunDto>;
    /// The tenant's backup catalogue, newest first.
    async fn tenant_backups(&self, who: &CurrentStaff, id: String) -> R<Vec<BackupDto>>;
    async fn list_runs(&self, who: &CurrentStaff, q: RunQuery) -> R<Page<RunDto>>;
    async fn get_run(&self, who: &CurrentStaff, id: i64) -> R<RunDto>;
    async fn retry_step(&self, who: &CurrentStaff, run: i64, position: i64) -> R<RunDto>;
    async fn recover_run(&self, who: &CurrentStaff, run: i64) -> R<RunDto>;
    async fn cancel_run(&self, who: &CurrentStaff, run: i64) -> R<RunDto>;

    async fn list_audit(&self, who: &CurrentStaff, q: AuditQuery) -> R<Page<AuditEventDto>>;

    /// Health, pods, workloads and Kubernetes events of one tenant.
    async fn tenant_live(&self, who: &CurrentStaff, id: String) -> R<TenantLiveDto>;
    /// The tenant's generated credentials, once; later calls are refused.
    async fn reveal_credentials(&self, who: &CurrentStaff, id: String) -> R<Vec<Credential>>;
    async fn bulk_action(&self, who: &CurrentStaff, form: BulkForm) -> R<Vec<BulkResult>>;
    async fn list_alerts(&self, who: &CurrentStaff, q: AlertQuery) -> R<Page<AlertDto>>;
    async fn get_alert(&self, who: &CurrentStaff, id: i64) -> R<AlertDto>;
    async fn ack_alert(&self, who: &CurrentStaff, id: i64, note: String) -> R<AlertDto>;
    async fn resolve_alert(&self, who: &CurrentStaff, id: i64, note: String) -> R<AlertDto>;
    async fn silence_alerts(&self, who: &CurrentStaff, form: SilenceForm) -> R<SilenceDto>;
    async fn end_silence(&self, who: &CurrentStaff, id: i64) -> R<()>;
    async fn list_silences(&self, who: &CurrentStaff) -> R<Vec<SilenceDto>>;
    async fn alert_rules(&self, who: &CurrentStaff, scope: String, id: String) -> R<Vec<RuleDto>>;
    async fn set_alert_rule(
        &self,
        who: &CurrentStaff,
        scope: String,
        id: String,
        form: RuleOverrideForm,
    ) -> R<Vec<RuleDto>>;
    async fn list_channels(&self, who: &CurrentStaff) -> R<Vec<ChannelDto>>;
    async fn save_channel(&self, who: &CurrentStaff, id: i64, form: ChannelForm)
        -> R<SavedChannel>;
    async fn delete_channel(&self, who: &CurrentStaff, id: i64) -> R<()>;
    async fn test_channel(&self, who: &CurrentStaff, id: i64) -> R<i64>;
    async fn delivery_log(&self, who: &CurrentStaff, channel: i64) -> R<Vec<NotificationDto>>;

    /// Runs, durations, failures and tenants of the last `days` days.
    async fn statistics(&self, who: &CurrentStaff, days: u32) -> R<StatsDto>;
    /// One's own API tokens.
    async fn list_tokens(&self, who: &CurrentStaff) -> R<Vec<TokenDto>>;
    /// A token for oneself (not from a token); its secret is shown once.
    async fn create_token(&self, who: &CurrentStaff, form: NewTokenForm) -> R<NewTokenResult>;
    async fn revoke_token(&self, who: &CurrentStaff, id: i64) -> R<TokenDto>;
    /// A user name and password (throttled like signing in) for a token of
    /// the account's own: what `tenantry login` does.
    async fn exchange_password(
        &self,
        req: &http::request::Parts,
        username: String,
        password: String,
        name: String,
        role: Option<Role>,
        expires_in_days: i64,
    ) -> R<NewTokenResult>;

    /// What provisioning a new tenant would create (nothing is stored).
    async fn preview_new_tenant(&self, who: &CurrentStaff, form: NewTenantForm)
        -> R<ChangePreview>;
}

/// The handle put into Leptos context.
#[derive(Clone)]
pub struct ConsoleHandle(pub Arc<dyn Console>);
