//! The steps that only wait or write records: the deprovisioning grace
//! period and the purge of a gone tenant's audit trail.

use super::StepContext;
use super::StepOutcome;
use crate::error::Result;

/// Done once the grace period has passed since the step first started;
/// until then the run is put back.
pub(super) async fn grace_period(ctx: &StepContext<'_>) -> Result<StepOutcome> {
    let until = ctx
        .step_started_at
        .saturating_add(i64::from(ctx.options.grace_hours) * 3_600_000);
    if ctx.now >= until {
        Ok(StepOutcome::Done(format!(
            "grace period of {}h over",
            ctx.options.grace_hours
        )))
    } else {
        Ok(StepOutcome::Later(until))
    }
}

/// Removes the tenant's audit events (security events stay).
pub(super) async fn purge_audit(ctx: &StepContext<'_>) -> Result<StepOutcome> {
    let gone = ctx
        .store
        .purge_tenant_audit(ctx.tenant_id, ctx.actor)
        .await?;
    Ok(StepOutcome::Done(format!("{gone} audit event(s) removed")))
}
