//! Alerts, silences and the rules that raise alerts.

use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::dto::CurrentStaff;
use crate::dto::{AlertDto, AlertQuery, Page, RuleDto, RuleOverrideForm, SilenceDto, SilenceForm};
use crate::error::AppError;

#[cfg(feature = "ssr")]
type R<T> = Result<T, AppError>;

capability! {
    /// Alerts, silences and the rules that raise alerts.
    pub trait Alerts {
        [Page, Api]
        async fn list_alerts(&self, who: &CurrentStaff, q: AlertQuery) -> R<Page<AlertDto>>;
        [Page, Api]
        async fn get_alert(&self, who: &CurrentStaff, id: i64) -> R<AlertDto>;
        [Page, Api]
        async fn ack_alert(&self, who: &CurrentStaff, id: i64, note: String) -> R<AlertDto>;
        [Page, Api]
        async fn resolve_alert(&self, who: &CurrentStaff, id: i64, note: String) -> R<AlertDto>;
        [Page]
        async fn silence_alerts(&self, who: &CurrentStaff, form: SilenceForm) -> R<SilenceDto>;
        [Page]
        async fn end_silence(&self, who: &CurrentStaff, id: i64) -> R<()>;
        [Page]
        async fn list_silences(&self, who: &CurrentStaff) -> R<Vec<SilenceDto>>;
        [Page]
        async fn alert_rules(&self, who: &CurrentStaff, scope: String, id: String) -> R<Vec<RuleDto>>;
        [Page]
        async fn set_alert_rule(
            &self,
            who: &CurrentStaff,
            scope: String,
            id: String,
            form: RuleOverrideForm,
        ) -> R<Vec<RuleDto>>;
    }
}

checked!(
    ListAlerts,
    GetAlert,
    AckAlert,
    ResolveAlert,
    SilenceAlerts,
    EndSilence,
    ListSilences,
    AlertRules,
    SetAlertRule,
);

#[server(prefix = "/api", endpoint = "list_alerts")]
pub async fn list_alerts(#[server(default)] query: AlertQuery) -> Result<Page<AlertDto>, AppError> {
    serve!(list_alerts(query))
}

#[server(prefix = "/api", endpoint = "get_alert")]
pub async fn get_alert(id: i64) -> Result<AlertDto, AppError> {
    serve!(get_alert(id))
}

#[server(prefix = "/api", endpoint = "ack_alert")]
pub async fn ack_alert(id: i64, #[server(default)] note: String) -> Result<AlertDto, AppError> {
    serve!(ack_alert(id, note))
}

#[server(prefix = "/api", endpoint = "resolve_alert")]
pub async fn resolve_alert(id: i64, #[server(default)] note: String) -> Result<AlertDto, AppError> {
    serve!(resolve_alert(id, note))
}

#[server(prefix = "/api", endpoint = "silence_alerts")]
pub async fn silence_alerts(#[server(default)] form: SilenceForm) -> Result<SilenceDto, AppError> {
    serve!(silence_alerts(form))
}

#[server(prefix = "/api", endpoint = "end_silence")]
pub async fn end_silence(id: i64) -> Result<(), AppError> {
    serve!(end_silence(id))
}

#[server(prefix = "/api", endpoint = "list_silences")]
pub async fn list_silences() -> Result<Vec<SilenceDto>, AppError> {
    serve!(list_silences())
}

/// The rules as they apply to a template (`scope` = template, `scope_id`
/// its id) or a tenant.
#[server(prefix = "/api", endpoint = "alert_rules")]
pub async fn alert_rules(scope: String, scope_id: String) -> Result<Vec<RuleDto>, AppError> {
    serve!(alert_rules(scope, scope_id))
}

/// Overrides one rule for a template or tenant (admins); empty fields inherit.
#[server(prefix = "/api", endpoint = "set_alert_rule")]
pub async fn set_alert_rule(
    scope: String,
    scope_id: String,
    #[server(default)] form: RuleOverrideForm,
) -> Result<Vec<RuleDto>, AppError> {
    serve!(set_alert_rule(scope, scope_id, form))
}
