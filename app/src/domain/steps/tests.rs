use serde_json::json;

use super::*;

/// The workshop's shape: api and web, one migration.
fn workshop() -> ReleaseSpec {
    release(json!([{ "name": "migrate", "phase": "migrate", "image": "migrate:1" }]))
}

fn release(jobs: serde_json::Value) -> ReleaseSpec {
    serde_json::from_value(json!({
        "components": [
            { "name": "api", "image": "api:1" },
            { "name": "web", "image": "web:1" },
        ],
        "jobs": jobs,
    }))
    .expect("the fixture reads")
}

/// A release with a job of every phase but migrate, two post-provision.
fn with_jobs() -> ReleaseSpec {
    release(json!([
        { "name": "schema", "phase": "migrate", "image": "app:1" },
        { "name": "admin", "phase": "post-provision", "image": "app:1" },
        { "name": "sample-data", "phase": "post-provision", "image": "app:1" },
        { "name": "reindex", "phase": "post-upgrade", "image": "app:1" },
        { "name": "farewell", "phase": "pre-deprovision", "image": "app:1" },
    ]))
}

fn names(steps: &[Step]) -> Vec<String> {
    steps.iter().map(Step::stored).collect()
}

fn shape(release: &ReleaseSpec) -> RunShape<'_> {
    RunShape { release, done: &[] }
}

#[test]
fn stored_names_round_trip_and_runs_recorded_before_releases_read_as_waits() {
    let r = with_jobs();
    let mut all = plan(Operation::Provision, &RunOptions::default(), shape(&r));
    all.extend(plan(
        Operation::Deprovision,
        &RunOptions {
            backup: true,
            purge_audit: true,
            grace_hours: 1,
            ..Default::default()
        },
        shape(&r),
    ));
    all.push(Step::of(StepKind::Restore));
    all.push(Step::job(JobPhase::PostUpgrade, "reindex"));
    for s in all {
        assert_eq!(Step::parse(&s.stored()), Some(s.clone()), "{}", s.stored());
    }
    assert_eq!(Step::parse("wait-api"), Some(Step::wait("api")));
    assert_eq!(
        Step::parse("wait-database"),
        Some(Step::of(StepKind::WaitDatabase))
    );
    assert_eq!(Step::wait("web").kind.name(), "wait");
    assert_eq!(
        Step::job(JobPhase::PostProvision, "admin").kind.name(),
        "post-provision"
    );
    for bad in [
        "",
        "wait-",
        "migrate/schema",
        "post-provision/",
        "nonsense",
        "later/x",
    ] {
        assert_eq!(Step::parse(bad), None, "{bad}");
    }
}

#[test]
fn a_restore_dumps_first_stops_the_application_restores_migrates_then_starts_it() {
    let r = workshop();
    let first = RunOptions {
        backup: true,
        ..Default::default()
    };
    assert_eq!(
        names(&plan(Operation::Restore, &first, shape(&r))[..2]),
        ["backup", "suspend-workloads"]
    );
    assert_eq!(
        names(&plan(Operation::Restore, &RunOptions::default(), shape(&r))),
        [
            "suspend-workloads",
            "restore",
            "migrate",
            "application",
            "wait-api",
            "wait-web"
        ]
    );
    assert_eq!(
        names(&plan(Operation::Backup, &RunOptions::default(), shape(&r))),
        ["backup"]
    );
}

#[test]
fn the_workshop_release_plans_the_steps_it_always_had() {
    let r = workshop();
    let none = RunOptions::default();
    assert_eq!(
        names(&plan(Operation::Provision, &none, shape(&r))),
        [
            "namespace",
            "secrets",
            "database",
            "wait-database",
            "migrate",
            "application",
            "wait-api",
            "wait-web"
        ]
    );
    assert_eq!(
        names(&plan(Operation::Resume, &none, shape(&r))),
        ["application", "wait-api", "wait-web"]
    );
    assert_eq!(
        names(&plan(Operation::Deprovision, &none, shape(&r))),
        ["suspend-workloads", "delete-namespace"],
        "access is cut before anything is removed"
    );
    let all = RunOptions {
        backup: true,
        purge_audit: true,
        grace_hours: 2,
        force: true,
        ..Default::default()
    };
    assert_eq!(
        names(&plan(Operation::Deprovision, &all, shape(&r))),
        [
            "backup",
            "suspend-workloads",
            "grace-period",
            "delete-namespace",
            "purge-audit"
        ],
        "the dump is taken while the tenant still runs"
    );
}

#[test]
fn jobs_run_in_their_phase_and_post_provision_jobs_once() {
    let r = with_jobs();
    let none = RunOptions::default();
    let first = names(&plan(Operation::Provision, &none, shape(&r)));
    assert_eq!(
        first[5..],
        [
            "application",
            "wait-api",
            "wait-web",
            "post-provision/admin",
            "post-provision/sample-data"
        ],
        "after the first rollout, in the release's order"
    );
    // Once run, never again: an update after them plans neither, and no
    // post-upgrade job runs when the release did not change.
    let done = vec!["post-provision/admin".to_string()];
    let again = names(&plan(
        Operation::Update,
        &none,
        RunShape {
            release: &r,
            done: &done,
        },
    ));
    assert_eq!(
        again[again.len() - 1..],
        ["post-provision/sample-data"],
        "a job a later release added runs once for tenants that move to it"
    );
    let moved = RunOptions {
        upgrade_from: Some(1),
        ..Default::default()
    };
    let done = vec![
        "post-provision/admin".to_string(),
        "post-provision/sample-data".to_string(),
    ];
    let upgrade = names(&plan(
        Operation::Update,
        &moved,
        RunShape {
            release: &r,
            done: &done,
        },
    ));
    assert_eq!(
        upgrade[4], "migrate",
        "migrations before the components roll out"
    );
    assert_eq!(upgrade[upgrade.len() - 1..], ["post-upgrade/reindex"]);
    assert!(
        !names(&plan(Operation::Provision, &moved, shape(&r)))
            .contains(&"post-upgrade/reindex".into()),
        "a first rollout is no upgrade"
    );
    let gone = names(&plan(
        Operation::Deprovision,
        &RunOptions {
            backup: true,
            grace_hours: 3,
            ..Default::default()
        },
        shape(&r),
    ));
    assert_eq!(
        gone,
        [
            "backup",
            "suspend-workloads",
            "grace-period",
            "pre-deprovision/farewell",
            "delete-namespace"
        ]
    );
}

/// A release declaring health endpoints is checked last, after every
/// rollout (provision, update, resume, restore); one declaring none is not.
#[test]
fn the_health_check_ends_each_rollout_of_a_release_that_declares_one() {
    let mut r = with_jobs();
    r.contract.health = vec![crate::dto::HealthCheckSpec {
        component: "api".into(),
        path: "/healthz".into(),
        port: None,
        timeout_seconds: None,
    }];
    let restore = RunOptions {
        backup_id: Some(1),
        ..Default::default()
    };
    for (op, options) in [
        (Operation::Provision, RunOptions::default()),
        (Operation::Update, RunOptions::default()),
        (Operation::Resume, RunOptions::default()),
        (Operation::Restore, restore),
    ] {
        let steps = names(&plan(op, &options, shape(&r)));
        assert_eq!(
            steps.last().map(String::as_str),
            Some("health"),
            "{op:?}: {steps:?}"
        );
        assert_eq!(steps.iter().filter(|s| *s == "health").count(), 1);
    }
    for op in [
        Operation::Suspend,
        Operation::Backup,
        Operation::Deprovision,
    ] {
        let steps = names(&plan(op, &RunOptions::default(), shape(&r)));
        assert!(!steps.contains(&"health".to_string()), "{op:?}: {steps:?}");
    }
    let none = names(&plan(
        Operation::Provision,
        &RunOptions::default(),
        shape(&with_jobs()),
    ));
    assert!(!none.contains(&"health".to_string()), "{none:?}");
    assert_eq!(Step::parse("health"), Some(Step::of(StepKind::Health)));
}

#[test]
fn a_rotation_rolls_the_pods_and_runs_again_only_the_jobs_that_read_what_it_rotated() {
    let r = release(json!([
        { "name": "schema", "phase": "migrate", "image": "app:1",
          "env": [{ "name": "PW", "value": "${admin.password}" }] },
        { "name": "admin", "phase": "post-provision", "image": "app:1",
          "env": [{ "name": "PW", "value": "${admin.password}" }] },
        { "name": "sample-data", "phase": "post-provision", "image": "app:1" },
    ]));
    let rotate = |names: &[&str]| RunOptions {
        rotate: names.iter().map(|n| n.to_string()).collect(),
        ..Default::default()
    };
    // Even once every post-provision job has run for the tenant.
    let done = [
        "post-provision/admin".to_string(),
        "post-provision/sample-data".into(),
    ];
    let shape = RunShape {
        release: &r,
        done: &done,
    };
    assert_eq!(
        names(&plan(Operation::Rotate, &rotate(&["tenant-admin"]), shape)),
        vec![
            "rotate-secrets",
            "application",
            "wait-api",
            "wait-web",
            "post-provision/admin"
        ]
    );
    assert_eq!(
        names(&plan(Operation::Rotate, &rotate(&["jwt"]), shape)),
        vec!["rotate-secrets", "application", "wait-api", "wait-web"]
    );
    assert_eq!(
        Step::parse("rotate-secrets"),
        Some(Step::of(StepKind::RotateSecrets))
    );
}

#[test]
fn a_move_onto_a_release_that_asks_dumps_before_migrating_and_a_rollback_may_restore_it() {
    let asks = release(json!([
        { "name": "schema", "phase": "migrate", "image": "app:2", "backup_first": true },
    ]));
    let moving = RunOptions {
        upgrade_from: Some(1),
        ..Default::default()
    };
    let steps = names(&plan(Operation::Update, &moving, shape(&asks)));
    assert_eq!(
        steps[..7],
        [
            "namespace",
            "secrets",
            "database",
            "wait-database",
            "backup",
            "migrate",
            "application"
        ]
    );
    // Not on a first provisioning, nor on an update within the release,
    // nor onto a release that does not ask.
    for (op, options, r) in [
        (Operation::Provision, RunOptions::default(), &asks),
        (Operation::Update, RunOptions::default(), &asks),
        (Operation::Update, moving.clone(), &workshop()),
    ] {
        let steps = names(&plan(op, &options, shape(r)));
        assert!(!steps.contains(&"backup".to_string()), "{op}: {steps:?}");
    }
    // A roll-back that restores: the data it replaces dumped first, the
    // application stopped, the dump put back, then the migrations.
    let back = RunOptions {
        upgrade_from: Some(2),
        backup_id: Some(7),
        backup: true,
        ..Default::default()
    };
    let steps = names(&plan(Operation::Update, &back, shape(&workshop())));
    assert_eq!(
        steps[..9],
        [
            "namespace",
            "secrets",
            "database",
            "wait-database",
            "backup",
            "suspend-workloads",
            "restore",
            "migrate",
            "application"
        ]
    );
}
