//! Which operation a tenant's state allows, and who may start or resume
//! it. Pure, so pages can show only the buttons that will work and the
//! server applies the same rules. The forms that start operations with
//! options are checked in `operation_forms`.

use crate::dto::{Operation, RunOptions, TenantDto, TenantState};
use crate::error::AppError;

/// Operations that may start from `state`; `ever_live` says whether the
/// tenant ever stood active (see `TenantDto::ever_live`). A failed tenant
/// that was live is repaired with Update, or by retrying or recovering its
/// last run; it is never offered Provision or Cleanup, whose roll-back and
/// clean-up remove the namespace with its data. An unfinished run blocks
/// every operation (the store refuses a second run), whatever this says.
pub fn allowed_operations(state: TenantState, ever_live: bool) -> &'static [Operation] {
    use Operation::*;
    match state {
        TenantState::Pending => &[Provision],
        TenantState::Active | TenantState::Degraded => {
            &[Update, Suspend, Backup, Restore, Rotate, Deprovision]
        }
        TenantState::Suspended => &[Resume, Backup, Deprovision],
        TenantState::Failed if ever_live => &[Update, Backup, Deprovision],
        TenantState::Failed => &[Provision, Update, Cleanup, Deprovision],
        TenantState::Provisioning | TenantState::Deprovisioning | TenantState::Deprovisioned => &[],
    }
}

/// The role an operation started with `options` needs: admin for a
/// restore, a forced teardown or a purge of the audit trail, operator for
/// the rest. Retrying or recovering a run needs the same role as starting it.
pub fn role_for(op: Operation, options: &RunOptions) -> crate::dto::Role {
    use crate::dto::Role;
    if op == Operation::Restore || options.force || options.purge_audit {
        Role::Admin
    } else {
        Role::Operator
    }
}

/// Refuses an operation the tenant's state does not allow, saying what
/// would work (and why, for a tenant that was live).
pub fn check_operation(t: &TenantDto, op: Operation) -> Result<(), AppError> {
    let (id, state) = (t.id.as_str(), t.state);
    let allowed = allowed_operations(state, t.ever_live());
    if allowed.contains(&op) {
        return Ok(());
    }
    if t.ever_live() && matches!(op, Operation::Provision | Operation::Cleanup) {
        return Err(AppError::Conflict(format!(
            "Tenant \"{id}\" has been live: it cannot {op}, which could remove its namespace and data. \
             Repair it with update, or retry or recover its last run; only deprovision removes it."
        )));
    }
    let instead = if allowed.is_empty() {
        match state {
            TenantState::Deprovisioned => "nothing: it has been removed".to_string(),
            _ => "nothing until its current run ends (or is cancelled)".to_string(),
        }
    } else {
        allowed
            .iter()
            .map(|o| o.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    Err(AppError::Conflict(format!(
        "Tenant \"{id}\" is {state}: it cannot {op} now. Allowed: {instead}."
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tenant(state: TenantState, live: bool) -> TenantDto {
        TenantDto {
            id: "a".into(),
            namespace: "tenant-a".into(),
            namespace_uid: None,
            company_name: "A".into(),
            owner_email: "a@example.com".into(),
            owner_name: "A".into(),
            template_id: 1,
            template_name: "Demo".into(),
            template_version: 1,
            release: 1,
            custom_domain: None,
            served_domain: None,
            domain_verified: None,
            domain_check: None,
            domain_checked_at: None,
            custom_fields: Default::default(),
            state,
            state_detail: None,
            observed_at: None,
            api_replicas: None,
            web_replicas: None,
            created_at: 0,
            updated_at: 0,
            created_by: "x".into(),
            health: None,
            urls: vec![],
            credentials_shown_at: None,
            credentials_shown_by: None,
            credentials_rotated: vec![],
            secrets_rotated_at: None,
            custom_plan: false,
            last_backup_at: None,
            first_live_at: live.then_some(1),
        }
    }

    #[test]
    fn states_allow_only_sensible_operations() {
        let check = |s, live, op| check_operation(&tenant(s, live), op);
        assert!(check(TenantState::Pending, false, Operation::Provision).is_ok());
        assert!(check(TenantState::Active, true, Operation::Provision).is_err());
        assert!(check(TenantState::Suspended, true, Operation::Resume).is_ok());
        assert!(check(TenantState::Active, true, Operation::Resume).is_err());
        let msg = check(TenantState::Deprovisioned, true, Operation::Suspend)
            .unwrap_err()
            .to_string();
        assert!(
            msg.contains("deprovisioned") && msg.contains("removed"),
            "{msg}"
        );
        let msg = check(TenantState::Active, true, Operation::Resume)
            .unwrap_err()
            .to_string();
        assert!(
            msg.contains("update, suspend, backup, restore, rotate, deprovision"),
            "{msg}"
        );
        assert!(
            check(TenantState::Suspended, true, Operation::Rotate).is_err(),
            "a rotation rolls the application's pods: resume first"
        );
        assert!(check(TenantState::Suspended, true, Operation::Backup).is_ok());
        assert!(
            check(TenantState::Suspended, true, Operation::Restore).is_err(),
            "a restore starts the application: resume first"
        );
    }

    #[test]
    fn a_failed_tenant_that_was_live_is_never_offered_provision_or_cleanup() {
        // Never live: a failed provisioning may be provisioned again or
        // cleaned up (roll-back removes only what its runs made).
        for op in [Operation::Provision, Operation::Cleanup, Operation::Update] {
            assert!(check_operation(&tenant(TenantState::Failed, false), op).is_ok());
        }
        // Live once: repaired by update (or its last run), removed only by
        // deprovisioning; the refusal says why.
        let live = tenant(TenantState::Failed, true);
        assert_eq!(
            allowed_operations(TenantState::Failed, true),
            &[Operation::Update, Operation::Backup, Operation::Deprovision]
        );
        for op in [Operation::Provision, Operation::Cleanup] {
            let msg = check_operation(&live, op).unwrap_err().to_string();
            assert!(
                msg.contains("has been live") && msg.contains("recover"),
                "{msg}"
            );
        }
        assert!(check_operation(&live, Operation::Update).is_ok());
        assert!(check_operation(&live, Operation::Deprovision).is_ok());
    }

    #[test]
    fn resuming_a_run_needs_the_role_starting_it_needed() {
        use crate::dto::Role;
        let plain = RunOptions::default();
        assert_eq!(role_for(Operation::Update, &plain), Role::Operator);
        assert_eq!(role_for(Operation::Restore, &plain), Role::Admin);
        let forced = RunOptions {
            force: true,
            ..Default::default()
        };
        assert_eq!(role_for(Operation::Deprovision, &forced), Role::Admin);
        let purge = RunOptions {
            purge_audit: true,
            ..Default::default()
        };
        assert_eq!(role_for(Operation::Deprovision, &purge), Role::Admin);
    }
}
