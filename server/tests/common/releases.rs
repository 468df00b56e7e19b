//! Releases generated from parts, for the property tests: components with
//! ports, routes, probes, files, volumes, env and secrets; a database of
//! each kind; jobs of every phase. Every one generated is valid; `break_one`
//! breaks one in a known place.

use app::dto::{
    ComponentSpec, DatabaseKind, DatabaseSpec, EnvVar, FileSpec, HttpProbe, JobPhase, JobSpec,
    PortSpec, ProbeSpec, ReleaseSpec, RouteSpec, SecretKeySpec, SecretSpec, VolumeSpec,
};
use proptest::prelude::*;

fn env(name: &str, value: &str) -> EnvVar {
    EnvVar {
        name: name.into(),
        value: value.into(),
    }
}

/// Component `i` of a release (names and paths unique by `i`).
fn component(i: usize, database: bool) -> impl Strategy<Value = ComponentSpec> {
    (
        0..3usize,     // ports
        any::<bool>(), // routed
        0..3usize,     // probe: none, http/tcp, exec
        any::<bool>(), // a file
        any::<bool>(), // a volume
        proptest::option::of(1u32..4),
        any::<bool>(), // image with a registry host, or relative
        any::<bool>(), // autoscaled
    )
        .prop_map(
            move |(ports, routed, probe, file, volume, replicas, host, scaled)| {
                let ports: Vec<PortSpec> = (0..ports)
                    .map(|p| PortSpec {
                        name: ["http", "metrics"][p].into(),
                        container_port: 8080 + p as u16,
                        service_port: (p == 0).then_some(80),
                    })
                    .collect();
                let first = ports.first().map(|p| p.name.clone());
                let mut vars = vec![
                    env("TENANT", "${tenant.id} on ${tenant.host}"),
                    env("PLAN", "${plan.key}:${plan.feature.sso}"),
                ];
                if database {
                    vars.push(env(
                        "DB",
                        "${database.host}:${database.port}/${database.name}",
                    ));
                    vars.push(env("DB_PASSWORD", "${database.password}"));
                }
                vars.push(env("KEY", "${secret.keys.api-key}"));
                ComponentSpec {
                    name: format!("c{i}"),
                    feature: None,
                    image: if host {
                        format!("registry.example.com:5000/team/c{i}:1.{i}.0")
                    } else {
                        format!("c{i}@sha256:{}", "ab".repeat(32))
                    },
                    command: vec![],
                    args: vec!["--verbose".into()],
                    env: vars,
                    route: (routed && first.is_some()).then(|| RouteSpec {
                        path: if i == 0 { "/".into() } else { format!("/c{i}") },
                        port: None,
                    }),
                    readiness: match (probe, &first) {
                        (1, Some(port)) => Some(ProbeSpec {
                            http: Some(HttpProbe {
                                path: "/healthz".into(),
                                port: port.clone(),
                            }),
                            tcp: None,
                            exec: vec![],
                            period_seconds: Some(5),
                            initial_delay_seconds: None,
                            failure_threshold: Some(3),
                        }),
                        (2, _) => Some(ProbeSpec {
                            http: None,
                            tcp: None,
                            exec: vec!["true".into()],
                            period_seconds: None,
                            initial_delay_seconds: Some(2),
                            failure_threshold: None,
                        }),
                        _ => None,
                    },
                    liveness: first.clone().filter(|_| probe == 1).map(|port| ProbeSpec {
                        http: None,
                        tcp: Some(port),
                        exec: vec![],
                        period_seconds: None,
                        initial_delay_seconds: None,
                        failure_threshold: None,
                    }),
                    ports,
                    replicas: if volume { None } else { replicas },
                    resources: None,
                    autoscale: (scaled && !volume).then_some(app::dto::AutoscaleSpec {
                        cpu_utilization: 60,
                    }),
                    files: if file {
                        vec![FileSpec {
                            path: format!("/etc/c{i}/app.conf"),
                            content: "hosts=${tenant.hosts}\nusers=${plan.user_limit}\n".into(),
                        }]
                    } else {
                        vec![]
                    },
                    volumes: if volume {
                        vec![VolumeSpec {
                            name: "data".into(),
                            mount_path: "/data".into(),
                            size_gi: 1,
                        }]
                    } else {
                        vec![]
                    },
                    run_as_user: None,
                }
            },
        )
}

fn database() -> impl Strategy<Value = DatabaseSpec> {
    prop_oneof![
        Just(DatabaseSpec {
            kind: DatabaseKind::Postgres,
            image: Some("postgres:16".into()),
            name: None,
            backups: true
        }),
        Just(DatabaseSpec {
            kind: DatabaseKind::Mysql,
            image: Some("mysql:8.4".into()),
            name: Some("shop".into()),
            backups: false
        }),
        Just(DatabaseSpec::default()),
    ]
}

/// A valid release.
pub fn release() -> impl Strategy<Value = ReleaseSpec> {
    (
        database(),
        1..4usize,
        proptest::collection::vec(0..4usize, 0..4),
    )
        .prop_flat_map(|(db, n, phases)| {
            let with_db = db.kind != DatabaseKind::None;
            let components: Vec<_> = (0..n).map(|i| component(i, with_db)).collect();
            (Just(db), components, Just(phases))
        })
        .prop_map(|(database, components, phases)| ReleaseSpec {
            pod_security: Default::default(),
            pod_security_reason: None,
            database,
            secrets: vec![SecretSpec {
                name: "keys".into(),
                keys: vec![SecretKeySpec {
                    key: "api-key".into(),
                    length: 32,
                    alphabet: Default::default(),
                }],
            }],
            // A custom field, read through its default (the tenants here
            // give no value).
            fields: vec![app::dto::CustomFieldSpec {
                name: "region".into(),
                label: "Region".into(),
                kind: app::dto::CustomFieldKind::Choice,
                required: true,
                default: Some("eu".into()),
                pattern: None,
                choices: vec!["eu".into(), "us".into()],
                help: None,
            }],
            env: vec![
                env("PLAN_VERSION", "${plan.version}"),
                env("REGION", "${field.region}"),
            ],
            components,
            jobs: phases
                .into_iter()
                .enumerate()
                .map(|(i, p)| JobSpec {
                    name: format!("job{i}"),
                    phase: JobPhase::ALL[p],
                    image: "tools:2".into(),
                    command: vec!["run".into()],
                    args: vec![],
                    env: vec![env("STEP", "${tenant.id}")],
                    backoff_limit: Some(1),
                    attempts: None,
                    resources: None,
                    run_as_user: None,
                    backup_first: false,
                })
                .collect(),
            // Every component and job mounts the tenant's configuration.
            contract: app::dto::ContractSpec {
                config_path: Some("/etc/tenant".into()),
                ..Default::default()
            },
        })
}

/// `r` with one rule broken, and the field the refusal must name.
pub fn break_one(mut r: ReleaseSpec, which: usize) -> (ReleaseSpec, String) {
    let c = r.components[0].name.clone();
    let field = match which % 6 {
        0 => {
            r.components[0].image = "no-tag".into();
            format!("components.{c}.image")
        }
        1 => {
            r.components[0].env[0].value = "${tenant.nope}".into();
            format!("components.{c}.env.TENANT")
        }
        2 => {
            r.components[0].ports = vec![PortSpec {
                name: "Bad_Name".into(),
                container_port: 1,
                service_port: None,
            }];
            r.components[0].route = None;
            r.components[0].readiness = None;
            r.components[0].liveness = None;
            format!("components.{c}.ports[0].name")
        }
        3 => {
            r.secrets[0].keys[0].length = 3;
            "secrets.keys.keys.api-key.length".into()
        }
        4 => {
            r.components.push(r.components[0].clone());
            let i = r.components.len() - 1;
            format!("components[{i}].name")
        }
        _ => {
            r.components[0].run_as_user = Some(0);
            format!("components.{c}.run_as_user")
        }
    };
    (r, field)
}
