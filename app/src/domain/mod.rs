//! Pure rules of the domain: tenant IDs, field validation, tier consistency.
//! No I/O here, so the browser can check input live and the server can apply
//! the very same rules before anything is stored.

pub mod alerts;
pub mod audit;
pub mod certificates;
pub mod custom_plan;
pub mod health;
pub mod lifecycle;
pub mod operation_forms;
pub mod release;
pub mod rollout;
pub mod stats;
pub mod steps;
pub mod template_rules;
pub mod tenant_id;
pub mod tenant_rules;
pub mod tenant_state;
pub mod text;
pub mod utc;
pub mod validate;
