//! Rollouts: the list with a form that plans one (each tenant with what
//! would change, wave by wave) before it starts, and each rollout's live
//! page.

mod detail;
mod list;

pub use detail::RolloutPage;
pub use list::RolloutListPage;

use crate::dto::{RolloutState, RolloutTenantState};

/// The badge class of a rollout's state.
fn state_class(s: RolloutState) -> &'static str {
    match s {
        RolloutState::Running => "badge info",
        RolloutState::Paused => "badge warn",
        RolloutState::Completed => "badge ok",
        RolloutState::Aborted => "badge muted",
    }
}

/// The badge class of a tenant's state in a rollout.
fn tenant_class(s: RolloutTenantState) -> &'static str {
    match s {
        RolloutTenantState::Pending => "badge muted",
        RolloutTenantState::Running => "badge info",
        RolloutTenantState::Done => "badge ok",
        RolloutTenantState::Failed => "badge bad",
        RolloutTenantState::Skipped | RolloutTenantState::RolledBack => "badge warn",
    }
}
