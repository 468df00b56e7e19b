use proptest::prelude::*;
use serde_json::json;

use super::*;
use crate::dto::{ComponentSpec, PortSpec, RouteSpec, TierSpec};

pub(crate) fn tier() -> TierSpec {
    TierSpec {
        postgres_instances: 1,
        postgres_storage_gi: 10,
        api_replicas: 2,
        web_replicas: 1,
        cpu_request_m: 250,
        cpu_limit_m: 1000,
        memory_request_mi: 512,
        memory_limit_mi: 1024,
        user_limit: Some(20),
        backup_enabled: true,
        backup_schedule: "0 2 * * *".into(),
        backup_retention: 14,
        quota_cpu_m: 4000,
        quota_memory_mi: 8192,
        quota_storage_gi: 50,
        quota_pods: 30,
        features: vec![],
        limits: Default::default(),
        run_timeout_secs: 600,
    }
}

/// A release with two components, a MySQL database, a secret, files, a
/// volume and jobs of three phases.
pub(crate) fn shop() -> ReleaseSpec {
    serde_json::from_value(json!({
        "database": { "kind": "mysql", "image": "mysql:8.4", "name": "shop", "backups": false },
        "secrets": [{ "name": "shop-keys", "keys": [{ "key": "auth-key", "length": 48 }] }],
        "env": [
            { "name": "DB_HOST", "value": "${database.host}:${database.port}" },
            { "name": "DB_PASSWORD", "value": "${database.password}" },
        ],
        "components": [
            {
                "name": "store",
                "image": "library/wordpress:6.5-apache",
                "ports": [{ "name": "http", "container_port": 8080, "service_port": 80 }],
                "route": { "path": "/" },
                "env": [{ "name": "AUTH_KEY", "value": "${secret.shop-keys.auth-key}" }],
                "readiness": { "http": { "path": "/wp-login.php", "port": "http" } },
                "files": [{ "path": "/etc/shop/site.ini", "content": "url=https://${tenant.host}\n" }],
                "volumes": [{ "name": "uploads", "mount_path": "/var/www/uploads", "size_gi": 5 }],
            },
            {
                "name": "worker",
                "image": "ghcr.io/acme/shop-worker@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
                "args": ["--queue", "default"],
                "replicas": 2,
                "autoscale": { "cpu_utilization": 60 },
            },
        ],
        "jobs": [
            { "name": "schema", "phase": "migrate", "image": "library/wordpress:6.5-apache", "command": ["wp", "core", "update-db"] },
            { "name": "sample-data", "phase": "post-provision", "image": "library/wordpress:6.5-apache" },
            { "name": "flush", "phase": "post-upgrade", "image": "library/wordpress:6.5-apache" },
        ],
    }))
    .expect("the fixture reads")
}

fn fields(r: &ReleaseSpec) -> Vec<String> {
    match validate(r) {
        Ok(()) => vec![],
        Err(AppError::Invalid(errors)) => errors.into_iter().map(|e| e.field).collect(),
        Err(other) => panic!("{other:?}"),
    }
}

#[test]
fn a_release_with_every_part_is_valid() {
    assert_eq!(fields(&shop()), Vec::<String>::new());
}

#[test]
fn each_broken_rule_names_its_field() {
    type Break = Box<dyn Fn(&mut ReleaseSpec)>;
    let cases: Vec<(&str, Break)> = vec![
        (
            "components.store.image",
            Box::new(|r| r.components[0].image = "wordpress".into()),
        ),
        (
            "components.store.env.AUTH_KEY",
            Box::new(|r| r.components[0].env[0].value = "${secret.shop-keys.nope}".into()),
        ),
        (
            "env.DB_HOST",
            Box::new(|r| r.env[0].value = "${plan.userlimit}".into()),
        ),
        (
            "env.DB_PASSWORD",
            Box::new(|r| r.env[1].value = "pw=${database.password}".into()),
        ),
        (
            "components.store.files[0].content",
            Box::new(|r| r.components[0].files[0].content = "${database.password}".into()),
        ),
        (
            "components.worker.route.path",
            Box::new(|r| {
                r.components[1].ports = vec![PortSpec {
                    name: "http".into(),
                    container_port: 9000,
                    service_port: None,
                }];
                r.components[1].route = Some(RouteSpec {
                    path: "/".into(),
                    port: None,
                });
            }),
        ),
        (
            "components.store.route.port",
            Box::new(|r| {
                r.components[0].route = Some(RouteSpec {
                    path: "/".into(),
                    port: Some("https".into()),
                })
            }),
        ),
        (
            "components.store.readiness.http.port",
            Box::new(|r| {
                if let Some(p) = r.components[0].readiness.as_mut() {
                    if let Some(h) = p.http.as_mut() {
                        h.port = "web".into()
                    }
                }
            }),
        ),
        (
            "components[1].name",
            Box::new(|r| r.components[1].name = "store".into()),
        ),
        (
            "components.database.name",
            Box::new(|r| r.components[1].name = "database".into()),
        ),
        (
            "components.store.ports[0].name",
            Box::new(|r| r.components[0].ports[0].name = "HTTP".into()),
        ),
        (
            "components.store.replicas",
            Box::new(|r| r.components[0].replicas = Some(3)),
        ),
        (
            "components.store.run_as_user",
            Box::new(|r| r.components[0].run_as_user = Some(0)),
        ),
        ("database.backups", Box::new(|r| r.database.backups = true)),
        ("database.image", Box::new(|r| r.database.image = None)),
        (
            "secrets.shop-keys.keys.auth-key.length",
            Box::new(|r| r.secrets[0].keys[0].length = 8),
        ),
        (
            "secrets[0].name",
            Box::new(|r| r.secrets[0].name = "db-credentials".into()),
        ),
        (
            "jobs[1].name",
            Box::new(|r| r.jobs[1].name = "schema".into()),
        ),
        (
            "jobs.flush.image",
            Box::new(|r| r.jobs[2].image = "x".into()),
        ),
        (
            "pod_security_reason",
            Box::new(|r| r.pod_security = PodSecurity::Baseline),
        ),
        ("components", Box::new(|r| r.components.clear())),
    ];
    for (field, break_it) in cases {
        let mut r = shop();
        break_it(&mut r);
        let got = fields(&r);
        assert!(got.iter().any(|f| f == field), "{field}: got {got:?}");
    }
    // Without a database, its references are refused where they are.
    let mut r = shop();
    r.database.kind = DatabaseKind::None;
    assert_eq!(fields(&r), ["env.DB_HOST", "env.DB_PASSWORD"]);
}

/// A component generated from parts that are each valid.
fn component() -> impl Strategy<Value = ComponentSpec> {
    (
        "[a-z][a-z0-9]{0,10}",
        "[a-z][a-z0-9]{0,6}(/[a-z0-9]{1,6})?:[a-z0-9][a-z0-9.-]{0,8}",
        1u16..=65_535,
        proptest::option::of(1u32..=10),
        proptest::bool::ANY,
    )
        .prop_map(|(name, image, port, replicas, routed)| ComponentSpec {
            route: routed.then(|| RouteSpec {
                path: format!("/{name}"),
                port: None,
            }),
            name: format!("c-{name}"),
            feature: None,
            image,
            command: vec![],
            args: vec![],
            env: vec![EnvVar {
                name: "TENANT".into(),
                value: "${tenant.id}@${plan.key}".into(),
            }],
            ports: vec![PortSpec {
                name: "http".into(),
                container_port: port,
                service_port: None,
            }],
            readiness: None,
            liveness: None,
            replicas,
            resources: None,
            autoscale: None,
            files: vec![],
            volumes: vec![],
            run_as_user: None,
        })
}

proptest! {
    #[test]
    fn generated_releases_of_valid_parts_are_valid(
        parts in proptest::collection::btree_map("[a-z]{1,8}", component(), 1..6)
    ) {
        let components = parts
            .into_iter()
            .map(|(k, mut c)| {
                c.name = format!("{}-{k}", c.name);
                c.route = c.route.map(|r| RouteSpec { path: format!("/{}", c.name), ..r });
                c
            })
            .collect();
        let r = ReleaseSpec { components, ..shop() };
        prop_assert_eq!(fields(&r), Vec::<String>::new());
    }
}

#[test]
fn a_job_runs_at_most_ten_times_and_a_migration_once_per_step() {
    let mut r = shop();
    r.jobs[1].attempts = Some(3);
    assert_eq!(fields(&r), Vec::<String>::new());
    r.jobs[1].attempts = Some(11);
    r.jobs[0].attempts = Some(2);
    assert_eq!(
        fields(&r),
        ["jobs.schema.attempts", "jobs.sample-data.attempts"]
    );
}

#[test]
fn only_a_migration_of_a_dumped_database_asks_for_a_backup_first() {
    let mut r = shop();
    r.jobs[0].backup_first = true;
    r.jobs[1].backup_first = true;
    assert_eq!(
        fields(&r),
        ["jobs.schema.backup_first", "jobs.sample-data.backup_first"]
    );
    r.jobs[1].backup_first = false;
    r.database.kind = crate::dto::DatabaseKind::Postgres;
    r.database.backups = true;
    assert_eq!(fields(&r), Vec::<String>::new());
    assert!(r.backup_first());
    r.jobs[0].backup_first = false;
    assert!(!r.backup_first());
}
