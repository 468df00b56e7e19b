//! Which steps each operation runs, in order. Pure (the server executes
//! them; the pages and the console name them).

use crate::dto::{Operation, RunOptions};

/// A step of a run. Its name is what the database stores.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// Namespace, quota, limit range, network policy.
    Namespace,
    /// Credentials, generated once.
    Secrets,
    /// PostgreSQL (CNPG Cluster or StatefulSet).
    Database,
    /// Failure or timeout fails the run and, on provisioning, cleans up.
    WaitDatabase,
    /// The migration Job, applied and waited for.
    Migrate,
    /// API and web Deployments, Services, Ingress, HPA.
    Application,
    /// Timeouts warn and continue, as in the earlier system.
    WaitApi,
    WaitWeb,
    /// The database dumped to the object store by a Job (back up now, or
    /// before deprovisioning), and the dump catalogued.
    Backup,
    /// A catalogued dump put back into the database by a Job.
    Restore,
    /// Workloads scaled to zero, Ingress removed.
    SuspendWorkloads,
    /// Deprovisioning waits here until its grace period is over.
    GracePeriod,
    /// The namespace and everything in it removed.
    DeleteNamespace,
    /// The tenant's audit events deleted (only when asked).
    PurgeAudit,
}

impl Step {
    pub const ALL: [Step; 14] = [
        Step::Namespace,
        Step::Secrets,
        Step::Database,
        Step::WaitDatabase,
        Step::Migrate,
        Step::Application,
        Step::WaitApi,
        Step::WaitWeb,
        Step::Backup,
        Step::Restore,
        Step::SuspendWorkloads,
        Step::GracePeriod,
        Step::DeleteNamespace,
        Step::PurgeAudit,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Step::Namespace => "namespace",
            Step::Secrets => "secrets",
            Step::Database => "database",
            Step::WaitDatabase => "wait-database",
            Step::Migrate => "migrate",
            Step::Application => "application",
            Step::WaitApi => "wait-api",
            Step::WaitWeb => "wait-web",
            Step::Backup => "backup",
            Step::Restore => "restore",
            Step::SuspendWorkloads => "suspend-workloads",
            Step::GracePeriod => "grace-period",
            Step::DeleteNamespace => "delete-namespace",
            Step::PurgeAudit => "purge-audit",
        }
    }

    pub fn parse(name: &str) -> Option<Step> {
        Self::ALL.into_iter().find(|s| s.name() == name)
    }
}

/// The ordered steps of an operation started with `options`.
pub fn plan(op: Operation, options: &RunOptions) -> Vec<Step> {
    use Step::*;
    match op {
        Operation::Provision | Operation::Update => {
            vec![
                Namespace,
                Secrets,
                Database,
                WaitDatabase,
                Migrate,
                Application,
                WaitApi,
                WaitWeb,
            ]
        }
        Operation::Suspend => vec![SuspendWorkloads],
        Operation::Resume => vec![Application, WaitApi, WaitWeb],
        Operation::Deprovision => {
            let mut steps = vec![];
            if options.backup {
                steps.push(Backup);
            }
            steps.push(SuspendWorkloads);
            if options.grace_hours > 0 {
                steps.push(GracePeriod);
            }
            steps.push(DeleteNamespace);
            if options.purge_audit {
                steps.push(PurgeAudit);
            }
            steps
        }
        Operation::Cleanup => vec![DeleteNamespace],
        Operation::Backup => vec![Backup],
        // The data it replaces is dumped first (unless an admin typed the
        // ID again to skip it); the application stops so nothing writes
        // while the data is replaced; migrations bring an older dump up to
        // the schema.
        Operation::Restore => {
            let mut steps = if options.backup { vec![Backup] } else { vec![] };
            steps.extend([
                SuspendWorkloads,
                Restore,
                Migrate,
                Application,
                WaitApi,
                WaitWeb,
            ]);
            steps
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_restore_dumps_first_stops_the_application_restores_migrates_then_starts_it() {
        let first = RunOptions {
            backup: true,
            ..Default::default()
        };
        assert_eq!(
            plan(Operation::Restore, &first)[..2],
            [Step::Backup, Step::SuspendWorkloads]
        );
        let p = plan(Operation::Restore, &RunOptions::default());
        assert_eq!(
            p,
            vec![
                Step::SuspendWorkloads,
                Step::Restore,
                Step::Migrate,
                Step::Application,
                Step::WaitApi,
                Step::WaitWeb
            ]
        );
        assert_eq!(
            plan(Operation::Backup, &RunOptions::default()),
            vec![Step::Backup]
        );
    }

    #[test]
    fn names_round_trip_and_plans_are_ordered() {
        for s in Step::ALL {
            assert_eq!(Step::parse(s.name()), Some(s));
        }
        let none = RunOptions::default();
        let p = plan(Operation::Provision, &none);
        let pos = |s| p.iter().position(|x| *x == s).expect("planned");
        assert!(pos(Step::Namespace) < pos(Step::Secrets));
        assert!(
            pos(Step::WaitDatabase) < pos(Step::Migrate),
            "migrations need the database"
        );
        assert!(
            pos(Step::Migrate) < pos(Step::Application),
            "the API starts on a migrated schema"
        );
        assert_eq!(
            plan(Operation::Deprovision, &none),
            vec![Step::SuspendWorkloads, Step::DeleteNamespace],
            "access is cut before anything is removed"
        );
        let all = RunOptions {
            backup: true,
            purge_audit: true,
            grace_hours: 2,
            force: true,
            backup_id: None,
        };
        assert_eq!(
            plan(Operation::Deprovision, &all),
            vec![
                Step::Backup,
                Step::SuspendWorkloads,
                Step::GracePeriod,
                Step::DeleteNamespace,
                Step::PurgeAudit
            ],
            "the dump is taken while the tenant still runs"
        );
    }
}
