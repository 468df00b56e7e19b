//! Which audit events are security events: the one definition that purging,
//! retention and export all use. Security events are never removed with a
//! tenant's trail.

/// Actions that are security events: sign-ins and their failures,
/// credential reveals, role, password and staff changes, API tokens made
/// and revoked, restores (they replace a tenant's data), retries and
/// recoveries of runs (they re-run what an operation may remove), and purges
/// and exports of the trail itself, and changes to notification channels
/// (they hold secrets and decide where alerts go). Forced operations are security events too
/// ([`is_security_event`]: their action ends in [`FORCED_SUFFIX`]).
pub const SECURITY_ACTIONS: &[&str] = &[
    "auth.login",
    "auth.login_failed",
    "auth.logout",
    "tenant.credentials_shown",
    "tenant.audit_purged",
    "tenant.restore",
    "tenant.restore.without_backup",
    "run.retry_step",
    "run.recover",
    "staff.create",
    "staff.set_role",
    "staff.enable",
    "staff.disable",
    "staff.reset_password",
    "staff.change_password",
    "token.create",
    "token.revoke",
    "audit.export",
    "channel.create",
    "channel.update",
    "channel.delete",
];

/// The ending of the action of an operation an admin forced
/// ("tenant.deprovision.forced").
pub const FORCED_SUFFIX: &str = ".forced";

/// The audit action of starting `op` with `options`: `tenant.<op>`, with
/// [`FORCED_SUFFIX`] when forced, and `tenant.restore.without_backup` for a
/// restore an admin ran without dumping the data it replaced.
pub fn run_action(op: crate::dto::Operation, options: &crate::dto::RunOptions) -> String {
    if op == crate::dto::Operation::Restore && !options.backup {
        "tenant.restore.without_backup".into()
    } else if options.force {
        format!("tenant.{op}{FORCED_SUFFIX}")
    } else {
        format!("tenant.{op}")
    }
}

pub fn is_security_event(action: &str) -> bool {
    SECURITY_ACTIONS.contains(&action) || action.ends_with(FORCED_SUFFIX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn security_events_are_named_once() {
        assert!(is_security_event("auth.login_failed"));
        assert!(is_security_event("tenant.deprovision.forced"));
        assert!(is_security_event("staff.change_password"));
        assert!(!is_security_event("tenant.update"));
        assert!(!is_security_event("tenant.deprovision"));
        use crate::dto::{Operation, RunOptions};
        let backed_up = RunOptions {
            backup: true,
            ..Default::default()
        };
        assert_eq!(run_action(Operation::Restore, &backed_up), "tenant.restore");
        let bare = run_action(Operation::Restore, &RunOptions::default());
        assert!(is_security_event(&bare), "{bare}");
        assert!(is_security_event("run.recover") && is_security_event("run.retry_step"));
        // The names go into SQL as literals: keep them plain.
        for a in SECURITY_ACTIONS {
            assert!(
                a.chars()
                    .all(|c| c.is_ascii_lowercase() || c == '.' || c == '_'),
                "{a}"
            );
        }
    }
}
