//! Which steps each operation runs, in order. Pure (the server executes
//! them; the pages and the console name them).
//!
//! A step is a kind and a name: most kinds are one step of their own
//! (`namespace`, `migrate`, …), while the waits are one per component of
//! the tenant's release (`wait-<component>`) and the release's jobs one
//! per job (`<phase>/<job>`). What the database stores is that one text
//! ([`Step::stored`]); runs recorded before releases existed (`wait-api`,
//! `wait-web`) read as the waits they always were.

use crate::dto::{JobPhase, Operation, ReleaseSpec, RunOptions};

/// What a step does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum StepKind {
    /// Namespace, quota, limit range, network policy.
    Namespace,
    /// Credentials, generated once.
    Secrets,
    /// The Secrets a rotation names, generated anew.
    RotateSecrets,
    /// The database (CNPG Cluster or StatefulSet), when the release has one.
    Database,
    /// Failure or timeout fails the run and, on provisioning, cleans up.
    WaitDatabase,
    /// The database roles Job, then the release's migrate jobs in order.
    Migrate,
    /// The components' Deployments, Services, routes, autoscalers.
    Application,
    /// One component's Deployment ready; a timeout warns and continues.
    Wait,
    /// One job of the release, of its phase (not `migrate`).
    Job(JobPhase),
    /// The database dumped to the object store by a Job (back up now, or
    /// before deprovisioning), and the dump catalogued.
    Backup,
    /// A catalogued dump put back into the database by a Job.
    Restore,
    /// Workloads scaled to zero, routes removed.
    SuspendWorkloads,
    /// Deprovisioning waits here until its grace period is over.
    GracePeriod,
    /// The namespace and everything in it removed.
    DeleteNamespace,
    /// The tenant's audit events deleted (only when asked).
    PurgeAudit,
    /// The release's health endpoints answer 2xx (through the API
    /// server's service proxy) within their timeouts, or the run fails.
    Health,
}

/// The kinds that are one step of their own, and their names.
const FIXED: [(StepKind, &str); 14] = [
    (StepKind::Namespace, "namespace"),
    (StepKind::Secrets, "secrets"),
    (StepKind::RotateSecrets, "rotate-secrets"),
    (StepKind::Database, "database"),
    (StepKind::WaitDatabase, "wait-database"),
    (StepKind::Migrate, "migrate"),
    (StepKind::Application, "application"),
    (StepKind::Backup, "backup"),
    (StepKind::Restore, "restore"),
    (StepKind::SuspendWorkloads, "suspend-workloads"),
    (StepKind::GracePeriod, "grace-period"),
    (StepKind::DeleteNamespace, "delete-namespace"),
    (StepKind::PurgeAudit, "purge-audit"),
    (StepKind::Health, "health"),
];

impl StepKind {
    /// The kind's name: statistics group by it, then by the step's name.
    pub fn name(self) -> &'static str {
        match self {
            StepKind::Wait => "wait",
            StepKind::Job(phase) => phase.as_str(),
            fixed => FIXED
                .iter()
                .find(|(k, _)| *k == fixed)
                .map_or("step", |(_, n)| n),
        }
    }
}

/// A step of a run: its kind and its name (a component's or a job's, or
/// the kind's own).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Step {
    pub kind: StepKind,
    pub name: String,
}

impl Step {
    /// A step of a kind that is one step of its own.
    pub fn of(kind: StepKind) -> Step {
        Step {
            kind,
            name: kind.name().to_string(),
        }
    }

    /// Waiting for `component`'s Deployment.
    pub fn wait(component: &str) -> Step {
        Step {
            kind: StepKind::Wait,
            name: component.to_string(),
        }
    }

    /// Running the release's job `name` of `phase`.
    pub fn job(phase: JobPhase, name: &str) -> Step {
        Step {
            kind: StepKind::Job(phase),
            name: name.to_string(),
        }
    }

    /// What the database stores and the timeline shows.
    pub fn stored(&self) -> String {
        match self.kind {
            StepKind::Wait => format!("wait-{}", self.name),
            StepKind::Job(phase) => format!("{phase}/{}", self.name),
            kind => kind.name().to_string(),
        }
    }

    /// The step a stored name stands for.
    pub fn parse(stored: &str) -> Option<Step> {
        if let Some((kind, _)) = FIXED.iter().find(|(_, n)| *n == stored) {
            return Some(Step::of(*kind));
        }
        if let Some(component) = stored.strip_prefix("wait-").filter(|c| !c.is_empty()) {
            return Some(Step::wait(component));
        }
        let (phase, job) = stored.split_once('/')?;
        let phase = JobPhase::ALL
            .iter()
            .copied()
            .find(|p| p.as_str() == phase && *p != JobPhase::Migrate)?;
        (!job.is_empty()).then(|| Step::job(phase, job))
    }
}

/// What a run's steps depend on besides its operation: the tenant's
/// release and which of its once-only jobs have run for it already.
#[derive(Clone, Copy, Debug)]
pub struct RunShape<'a> {
    pub release: &'a ReleaseSpec,
    /// Stored names of the `post-provision` job steps completed for the
    /// tenant (in any earlier run, on any release).
    pub done: &'a [String],
}

impl<'a> RunShape<'a> {
    fn waits(&self) -> impl Iterator<Item = Step> + '_ {
        self.release.components.iter().map(|c| Step::wait(&c.name))
    }

    /// The health check after a rollout, when the release declares
    /// endpoints.
    fn health(&self) -> Option<Step> {
        (!self.release.contract.health.is_empty()).then(|| Step::of(StepKind::Health))
    }

    fn jobs(&self, phase: JobPhase) -> impl Iterator<Item = Step> + '_ {
        self.release
            .jobs
            .iter()
            .filter(move |j| j.phase == phase)
            .map(move |j| Step::job(phase, &j.name))
    }

    /// The release's `post-provision` jobs that read one of `secrets`
    /// (run again once they are made anew).
    fn taking(&self, secrets: &'a [String]) -> impl Iterator<Item = Step> + 'a {
        self.release
            .jobs
            .iter()
            .filter(move |j| {
                j.phase == JobPhase::PostProvision
                    && crate::domain::release::rotation::job_takes(j, secrets)
            })
            .map(|j| Step::job(JobPhase::PostProvision, &j.name))
    }

    /// The release's `post-provision` jobs not yet run for the tenant: all
    /// of them on a first rollout, and on a later one only those a newer
    /// release added.
    fn not_yet_run(&self) -> impl Iterator<Item = Step> + '_ {
        self.jobs(JobPhase::PostProvision)
            .filter(|s| !self.done.contains(&s.stored()))
    }
}

/// The ordered steps of an operation started with `options` on a tenant of
/// `shape`.
pub fn plan(op: Operation, options: &RunOptions, shape: RunShape<'_>) -> Vec<Step> {
    use StepKind::*;
    let fixed = |kinds: &[StepKind]| kinds.iter().map(|k| Step::of(*k)).collect::<Vec<_>>();
    match op {
        Operation::Provision | Operation::Update => {
            let mut steps = fixed(&[Namespace, Secrets, Database, WaitDatabase]);
            if op == Operation::Update && options.restores(op).is_some() {
                // A roll-back that puts back the data from before a
                // migration: the data it replaces is dumped first, and
                // nothing writes while it is replaced.
                steps.extend(fixed(&[Backup, SuspendWorkloads, Restore]));
            } else if op == Operation::Update
                && options.upgrade_from.is_some()
                && shape.release.backup_first()
            {
                steps.push(Step::of(Backup));
            }
            steps.extend(fixed(&[Migrate, Application]));
            steps.extend(shape.waits());
            steps.extend(shape.not_yet_run());
            if options.upgrade_from.is_some() && op == Operation::Update {
                steps.extend(shape.jobs(JobPhase::PostUpgrade));
            }
            steps.extend(shape.health());
            steps
        }
        Operation::Suspend => fixed(&[SuspendWorkloads]),
        Operation::Resume => {
            let mut steps = fixed(&[Application]);
            steps.extend(shape.waits());
            steps.extend(shape.health());
            steps
        }
        Operation::Deprovision => {
            let mut steps = vec![];
            if options.backup {
                steps.push(Step::of(Backup));
            }
            steps.push(Step::of(SuspendWorkloads));
            if options.grace_hours > 0 {
                steps.push(Step::of(GracePeriod));
            }
            // The application's last word, once nobody can cancel any more
            // and while its database still runs.
            steps.extend(shape.jobs(JobPhase::PreDeprovision));
            steps.push(Step::of(DeleteNamespace));
            if options.purge_audit {
                steps.push(Step::of(PurgeAudit));
            }
            steps
        }
        Operation::Cleanup => fixed(&[DeleteNamespace]),
        // New values, pods rolled onto them (their template carries the
        // rotation), and the jobs that read them run again.
        Operation::Rotate => {
            let mut steps = fixed(&[RotateSecrets, Application]);
            steps.extend(shape.waits());
            steps.extend(shape.taking(&options.rotate));
            steps.extend(shape.health());
            steps
        }
        Operation::Backup => fixed(&[Backup]),
        // The data it replaces is dumped first (unless an admin typed the
        // ID again to skip it); the application stops so nothing writes
        // while the data is replaced; migrations bring an older dump up to
        // the schema.
        Operation::Restore => {
            let mut steps = if options.backup {
                fixed(&[Backup])
            } else {
                vec![]
            };
            steps.extend(fixed(&[SuspendWorkloads, Restore, Migrate, Application]));
            steps.extend(shape.waits());
            steps.extend(shape.health());
            steps
        }
    }
}

#[cfg(test)]
mod tests;
