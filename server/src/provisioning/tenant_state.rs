//! Settling a tenant after a cancelled run (the rules of where a tenant
//! stands are `app::domain::tenant_state`).

use app::domain::tenant_state::state_after_cancel;
use app::dto::RunDto;

use crate::error::Result;
use crate::store::Store;

/// Records the tenant's state after `run` was cancelled while no process
/// held it (a process that holds it settles the tenant itself).
pub async fn settle_after_cancel(store: &Store, run: &RunDto) -> Result<()> {
    if let Some(state) = state_after_cancel(run) {
        store
            .observe_tenant(
                &run.tenant_id,
                state,
                Some("the last run was cancelled"),
                &[],
            )
            .await?;
    }
    Ok(())
}
