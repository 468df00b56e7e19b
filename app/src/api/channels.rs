//! Notification channels (e-mail, webhooks, Slack, PagerDuty) and their
//! delivery log; admins change them.

use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::dto::CurrentStaff;
use crate::dto::{ChannelDto, ChannelForm, NotificationDto, SavedChannel};
use crate::error::AppError;

#[cfg(feature = "ssr")]
type R<T> = Result<T, AppError>;

capability! {
    /// Notification channels and their delivery log.
    pub trait Channels {
        [Page]
        async fn list_channels(&self, who: &CurrentStaff) -> R<Vec<ChannelDto>>;
        /// Creates (`id` 0) or changes a channel.
        [Page]
        async fn save_channel(&self, who: &CurrentStaff, id: i64, form: ChannelForm) -> R<SavedChannel>;
        [Page]
        async fn delete_channel(&self, who: &CurrentStaff, id: i64) -> R<()>;
        /// Queues a test message; answers its log id.
        [Page]
        async fn test_channel(&self, who: &CurrentStaff, id: i64) -> R<i64>;
        /// The delivery log of one channel, or of all with 0.
        [Page]
        async fn delivery_log(&self, who: &CurrentStaff, channel: i64) -> R<Vec<NotificationDto>>;
    }
}

checked!(
    ListChannels,
    SaveChannel,
    DeleteChannel,
    TestChannel,
    DeliveryLog
);

#[server(prefix = "/api", endpoint = "list_channels")]
pub async fn list_channels() -> Result<Vec<ChannelDto>, AppError> {
    serve!(list_channels())
}

/// Creates (`id` 0) or changes a channel (admins). A webhook's signing
/// secret is answered once, at creation.
#[server(prefix = "/api", endpoint = "save_channel")]
pub async fn save_channel(
    #[server(default)] id: i64,
    #[server(default)] form: ChannelForm,
) -> Result<SavedChannel, AppError> {
    serve!(save_channel(id, form))
}

#[server(prefix = "/api", endpoint = "delete_channel")]
pub async fn delete_channel(id: i64) -> Result<(), AppError> {
    serve!(delete_channel(id))
}

/// Queues a test message on a channel (admins); answers its log id.
#[server(prefix = "/api", endpoint = "test_channel")]
pub async fn test_channel(id: i64) -> Result<i64, AppError> {
    serve!(test_channel(id))
}

/// The delivery log (of one channel, or all with 0).
#[server(prefix = "/api", endpoint = "delivery_log")]
pub async fn delivery_log(
    #[server(default)] channel: i64,
) -> Result<Vec<NotificationDto>, AppError> {
    serve!(delivery_log(channel))
}
