//! Alerts that reach people. The evaluator turns what the cluster index and
//! the runs show into alerts under the rules (built-in defaults, overridden
//! per template and tenant); each alert goes pending → firing →
//! acknowledged → resolved, deduplicated on its fingerprint; silences hold
//! notifications back but never records. Notifications go through the
//! outbox (written with the alert change) to email, signed webhooks, Slack
//! and PagerDuty, at least once. Evaluation and delivery run on the leader;
//! the tenants' own metrics come from an optional Prometheus.

mod deliver;
mod evaluate;
mod message;
pub mod outbound;
pub mod owner;
pub mod prometheus;
pub mod seal;
pub mod send;

pub use deliver::{retry_delay, spawn_deliverer, Deliverer, MAX_ATTEMPTS};
pub use evaluate::{spawn_evaluator, Evaluator, EVALUATE_EVERY};
pub use message::Message;
pub use outbound::Outbound;
pub use prometheus::{Prometheus, PrometheusStatus};
pub use seal::Sealer;
