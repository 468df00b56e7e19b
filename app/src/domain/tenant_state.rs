//! Where a tenant stands: while and after a run of each operation (the
//! runner and the console's cancel read these; `None` leaves the tenant as
//! it was), and between runs, from its health (the state follower).

use super::steps::StepKind;
use crate::dto::{Health, Operation, RunDto, StepState, TenantState};

/// The lifecycle state a health implies for a live tenant, if any.
pub fn state_for(health: Health) -> Option<TenantState> {
    match health {
        Health::Healthy => Some(TenantState::Active),
        Health::Degraded | Health::Critical | Health::Down => Some(TenantState::Degraded),
        _ => None,
    }
}

pub fn state_during(op: Operation) -> Option<TenantState> {
    match op {
        Operation::Provision | Operation::Update | Operation::Restore => {
            Some(TenantState::Provisioning)
        }
        Operation::Deprovision | Operation::Cleanup => Some(TenantState::Deprovisioning),
        // A rotation leaves the tenant serving while its pods roll.
        Operation::Suspend | Operation::Resume | Operation::Backup | Operation::Rotate => None,
    }
}

/// Where a tenant stands after a run of `op` completed. `None` leaves it as
/// it was: a backup, however it ends, never moves its tenant (a failed dump
/// is the run's failure, not the tenant's).
pub fn state_after(op: Operation, warned: bool) -> Option<TenantState> {
    Some(match op {
        Operation::Backup => return None,
        Operation::Provision
        | Operation::Update
        | Operation::Resume
        | Operation::Restore
        | Operation::Rotate
            if warned =>
        {
            TenantState::Degraded
        }
        Operation::Provision
        | Operation::Update
        | Operation::Resume
        | Operation::Restore
        | Operation::Rotate => TenantState::Active,
        Operation::Suspend => TenantState::Suspended,
        Operation::Deprovision => TenantState::Deprovisioned,
        Operation::Cleanup => TenantState::Pending,
    })
}

/// Where a tenant stands after a run of `op` failed for good.
pub fn state_after_failure(op: Operation) -> Option<TenantState> {
    (op != Operation::Backup).then_some(TenantState::Failed)
}

/// Where a tenant stands after a run was cancelled, from what it had done.
pub fn state_after_cancel(run: &RunDto) -> Option<TenantState> {
    let done = |name: &str| {
        run.steps
            .iter()
            .any(|s| s.name == name && s.state == StepState::Completed)
    };
    let any_done = run.steps.iter().any(|s| s.state == StepState::Completed);
    Some(match run.operation {
        Operation::Backup => return None,
        Operation::Provision if !any_done => TenantState::Pending,
        Operation::Provision | Operation::Cleanup => TenantState::Failed,
        Operation::Update => TenantState::Degraded,
        Operation::Suspend if any_done => TenantState::Suspended,
        Operation::Suspend => TenantState::Active,
        Operation::Resume if any_done => TenantState::Degraded,
        Operation::Resume => TenantState::Suspended,
        Operation::Deprovision if done(StepKind::SuspendWorkloads.name()) => TenantState::Suspended,
        Operation::Deprovision => TenantState::Active,
        Operation::Restore | Operation::Rotate if any_done => TenantState::Degraded,
        Operation::Restore | Operation::Rotate => TenantState::Active,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenant_states_follow_operations() {
        assert_eq!(
            state_after(Operation::Provision, false),
            Some(TenantState::Active)
        );
        assert_eq!(
            state_after(Operation::Provision, true),
            Some(TenantState::Degraded)
        );
        assert_eq!(
            state_after(Operation::Suspend, false),
            Some(TenantState::Suspended)
        );
        assert_eq!(
            state_after(Operation::Deprovision, false),
            Some(TenantState::Deprovisioned)
        );
        assert_eq!(
            state_during(Operation::Deprovision),
            Some(TenantState::Deprovisioning)
        );
        assert_eq!(
            state_after_failure(Operation::Update),
            Some(TenantState::Failed)
        );
        // A backup leaves its tenant as it was however it ends.
        assert_eq!(state_after(Operation::Backup, true), None);
        assert_eq!(state_after_failure(Operation::Backup), None);
        assert_eq!(state_during(Operation::Backup), None);
    }
}
