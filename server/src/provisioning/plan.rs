//! Which steps each operation runs, in order. Pure.

use app::dto::Operation;

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
    /// Workloads scaled to zero, Ingress removed.
    SuspendWorkloads,
    /// The namespace and everything in it removed.
    DeleteNamespace,
}

impl Step {
    pub const ALL: [Step; 10] = [
        Step::Namespace,
        Step::Secrets,
        Step::Database,
        Step::WaitDatabase,
        Step::Migrate,
        Step::Application,
        Step::WaitApi,
        Step::WaitWeb,
        Step::SuspendWorkloads,
        Step::DeleteNamespace,
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
            Step::SuspendWorkloads => "suspend-workloads",
            Step::DeleteNamespace => "delete-namespace",
        }
    }

    pub fn parse(name: &str) -> Option<Step> {
        Self::ALL.into_iter().find(|s| s.name() == name)
    }
}

/// The ordered steps of an operation.
pub fn plan(op: Operation) -> Vec<Step> {
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
        Operation::Deprovision | Operation::Cleanup => vec![DeleteNamespace],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_plans_are_ordered() {
        for s in Step::ALL {
            assert_eq!(Step::parse(s.name()), Some(s));
        }
        let p = plan(Operation::Provision);
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
        assert_eq!(plan(Operation::Deprovision), vec![Step::DeleteNamespace]);
    }
}
