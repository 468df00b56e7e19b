//! Alerts, silences, rules and notification channels.

use leptos::prelude::*;

use crate::dto::{
    AlertDto, AlertQuery, ChannelDto, ChannelForm, NotificationDto, Page, RuleDto,
    RuleOverrideForm, SavedChannel, SilenceDto, SilenceForm,
};
use crate::error::AppError;

/// Every server function here has the same shape: the signed-in staff
/// member and the console, one call.
#[cfg_attr(not(feature = "ssr"), allow(unused_macros))]
macro_rules! call {
    ($c:ident, $who:ident => $body:expr) => {
        super::ctx::with_status(
            async move {
                let ($who, $c) = super::ctx::staff_and_console()?;
                $body.await
            }
            .await,
        )
    };
}

#[server(prefix = "/api", endpoint = "list_alerts")]
pub async fn list_alerts(#[server(default)] query: AlertQuery) -> Result<Page<AlertDto>, AppError> {
    call!(c, who => c.list_alerts(&who, query))
}

#[server(prefix = "/api", endpoint = "get_alert")]
pub async fn get_alert(id: i64) -> Result<AlertDto, AppError> {
    call!(c, who => c.get_alert(&who, id))
}

#[server(prefix = "/api", endpoint = "ack_alert")]
pub async fn ack_alert(id: i64, #[server(default)] note: String) -> Result<AlertDto, AppError> {
    call!(c, who => c.ack_alert(&who, id, note))
}

#[server(prefix = "/api", endpoint = "resolve_alert")]
pub async fn resolve_alert(id: i64, #[server(default)] note: String) -> Result<AlertDto, AppError> {
    call!(c, who => c.resolve_alert(&who, id, note))
}

#[server(prefix = "/api", endpoint = "silence_alerts")]
pub async fn silence_alerts(#[server(default)] form: SilenceForm) -> Result<SilenceDto, AppError> {
    call!(c, who => c.silence_alerts(&who, form))
}

#[server(prefix = "/api", endpoint = "end_silence")]
pub async fn end_silence(id: i64) -> Result<(), AppError> {
    call!(c, who => c.end_silence(&who, id))
}

#[server(prefix = "/api", endpoint = "list_silences")]
pub async fn list_silences() -> Result<Vec<SilenceDto>, AppError> {
    call!(c, who => c.list_silences(&who))
}

/// The rules as they apply to a template (`scope` = template, `scope_id`
/// its id) or a tenant.
#[server(prefix = "/api", endpoint = "alert_rules")]
pub async fn alert_rules(scope: String, scope_id: String) -> Result<Vec<RuleDto>, AppError> {
    call!(c, who => c.alert_rules(&who, scope, scope_id))
}

/// Overrides one rule for a template or tenant (admins); empty fields inherit.
#[server(prefix = "/api", endpoint = "set_alert_rule")]
pub async fn set_alert_rule(
    scope: String,
    scope_id: String,
    #[server(default)] form: RuleOverrideForm,
) -> Result<Vec<RuleDto>, AppError> {
    call!(c, who => c.set_alert_rule(&who, scope, scope_id, form))
}

#[server(prefix = "/api", endpoint = "list_channels")]
pub async fn list_channels() -> Result<Vec<ChannelDto>, AppError> {
    call!(c, who => c.list_channels(&who))
}

/// Creates (`id` 0) or changes a channel (admins). A webhook's signing
/// secret is answered once, at creation.
#[server(prefix = "/api", endpoint = "save_channel")]
pub async fn save_channel(
    #[server(default)] id: i64,
    #[server(default)] form: ChannelForm,
) -> Result<SavedChannel, AppError> {
    call!(c, who => c.save_channel(&who, id, form))
}

#[server(prefix = "/api", endpoint = "delete_channel")]
pub async fn delete_channel(id: i64) -> Result<(), AppError> {
    call!(c, who => c.delete_channel(&who, id))
}

/// Queues a test message on a channel (admins); answers its log id.
#[server(prefix = "/api", endpoint = "test_channel")]
pub async fn test_channel(id: i64) -> Result<i64, AppError> {
    call!(c, who => c.test_channel(&who, id))
}

/// The delivery log (of one channel, or all with 0).
#[server(prefix = "/api", endpoint = "delivery_log")]
pub async fn delivery_log(
    #[server(default)] channel: i64,
) -> Result<Vec<NotificationDto>, AppError> {
    call!(c, who => c.delivery_log(&who, channel))
}
