#![allow(clippy::unwrap_used, clippy::expect_used)] // a test: a panic is the failure report

//! The Helm chart (`charts/tenantry`) with the real Helm 4 CLI: lint,
//! golden renders, the schema's refusals, its settings against the
//! binary's own `--help`; then, on the local control plane, installed from
//! the packaged 0.1.0 kept as a fixture, upgraded to this chart with a
//! values change, the console run under the chart's ServiceAccount alone
//! (it provisions, suspends, resumes and deprovisions a tenant, writes the
//! first admin's password to a Secret, and its metrics count the run), what
//! that identity may not do, and an uninstall that leaves nothing
//! cluster-scoped behind.

#[path = "chart_real/binding.rs"]
mod binding;
mod common;
#[path = "chart_real/denied.rs"]
mod denied;
#[path = "chart_real/policy.rs"]
mod policy;

use std::collections::BTreeSet;
use std::process::Command;
use std::time::{Duration, Instant};

use app::dto::{RunDto, RunState, TenantDto};
use common::chart::{chart_dir, env_of_deployment, helm, helm_out, service_account_kubeconfig};
use common::cluster::{component, test_cluster, unique_id, FakeKubelet, PodFate};
use common::process::Console;
use k8s_openapi::api::core::v1::{Namespace, Secret};
use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding};
use kube::api::{Api, DeleteParams, ListParams};

const KUBE_VERSION: &str = "1.20.0";

/// The profiles rendered to golden files: (name, extra helm arguments).
fn profiles() -> Vec<(&'static str, Vec<String>)> {
    let dir = chart_dir();
    let values = |f: &str| dir.join("tests").join(f).display().to_string();
    vec![
        (
            "default",
            vec!["--kube-version".into(), KUBE_VERSION.into()],
        ),
        (
            "postgres-ha",
            vec![
                "--kube-version".into(),
                KUBE_VERSION.into(),
                "-f".into(),
                values("postgres-ha.yaml"),
            ],
        ),
        (
            // A current cluster: policy/v1 and the admission policy served.
            "current-cluster",
            vec![
                "--kube-version".into(),
                "1.31.0".into(),
                "--api-versions".into(),
                "policy/v1/PodDisruptionBudget".into(),
                "--api-versions".into(),
                "admissionregistration.k8s.io/v1/ValidatingAdmissionPolicy".into(),
                "-f".into(),
                values("postgres-ha.yaml"),
                "--set".into(),
                "admissionPolicy.enabled=true".into(),
            ],
        ),
    ]
}

fn render(extra: &[String]) -> String {
    let mut args: Vec<String> = ["template", "tenantry", &chart_dir().display().to_string()]
        .iter()
        .map(|s| s.to_string())
        .collect();
    args.extend(["--namespace".into(), "tenantry".into()]);
    args.extend(extra.iter().cloned());
    helm_out(&args)
}

#[test]
fn the_chart_lints_matches_its_goldens_refuses_bad_values_and_follows_the_binary() {
    let Some(_) = helm() else { return };
    let dir = chart_dir().display().to_string();
    let pg = chart_dir()
        .join("tests/postgres-ha.yaml")
        .display()
        .to_string();
    helm_out(&["lint", "--strict", &dir]);
    helm_out(&["lint", "--strict", &dir, "-f", &pg]);

    for (name, extra) in profiles() {
        let got = render(&extra);
        let path = chart_dir().join(format!("tests/golden/{name}.yaml"));
        if std::env::var("UPDATE_GOLDEN").is_ok() {
            std::fs::write(&path, &got).unwrap();
            continue;
        }
        let want = std::fs::read_to_string(&path)
            .unwrap_or_else(|_| panic!("{} (UPDATE_GOLDEN=1 writes it)", path.display()));
        if let Some((n, (g, w))) = got
            .lines()
            .zip(want.lines())
            .enumerate()
            .find(|(_, (g, w))| g != w)
        {
            panic!(
                "{name} differs from {} at line {}: got {g:?}, want {w:?} (UPDATE_GOLDEN=1 rewrites it)",
                path.display(),
                n + 1
            );
        }
        assert_eq!(got.len(), want.len(), "{name}: {}", path.display());
    }

    // The schema refuses, naming the value and the rule.
    for (set, says) in [
        (
            vec!["replicaCount=2"],
            "at '/database/kind': value must be 'postgres'",
        ),
        (
            vec!["database.kind=postgres"],
            "at '/database/existingSecret': minLength",
        ),
        (
            vec!["config.namespacePrefix=too-long-"],
            "/config/namespacePrefix",
        ),
        (vec!["service.port=0"], "/service/port"),
    ] {
        let mut args = vec!["template".to_string(), "t".into(), dir.clone()];
        for s in set {
            args.extend(["--set".into(), s.into()]);
        }
        let out = Command::new(helm().unwrap()).args(&args).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?} was accepted");
        assert!(err.contains(says), "{args:?}: {err}");
    }

    // Every setting the binary reads from TENANTRY_* is a chart value, and
    // the chart sets nothing the binary does not read.
    let help = Command::new(env!("CARGO_BIN_EXE_tenantry"))
        .args(["serve", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&help.stdout);
    let binary: BTreeSet<String> = help
        .split("[env: ")
        .skip(1)
        .filter_map(|s| s.split(['=', ']']).next())
        .map(str::to_string)
        .filter(|e| e != "TENANTRY_KUBECONFIG") // in a cluster: --in-cluster
        .collect();
    let full = chart_dir()
        .join("tests/every-setting.yaml")
        .display()
        .to_string();
    let manifest = render(&["-f".into(), full]);
    let chart: BTreeSet<String> = env_of_deployment(&manifest)
        .into_iter()
        .map(|(k, _)| k)
        .filter(|k| k.starts_with("TENANTRY_"))
        .collect();
    assert!(binary.len() > 20, "{binary:?}");
    assert_eq!(
        chart, binary,
        "the chart's settings and `tenantry serve --help`"
    );
}

/// Plays the kubelet for the test's tenants only.
/// The test's fake kubelet: jobs succeed, the second application's `shop`
/// pods are Ready at `shop` (where the test serves its health endpoint),
/// everything else Ready.
fn kubelet(client: &kube::Client, stem: &str, shop: [u8; 4]) -> FakeKubelet {
    let own = stem.to_string();
    FakeKubelet::start_logged(
        client.clone(),
        None,
        std::sync::Arc::new(move |p: &k8s_openapi::api::core::v1::Pod| {
            if !p.metadata.namespace.as_deref().unwrap_or("").contains(&own) {
                return PodFate::LeavePending;
            }
            match component(p) {
                "migration" | "backup" | "job" => PodFate::Succeeded,
                "shop" => PodFate::ReadyAt(shop),
                _ => PodFate::Ready,
            }
        }),
        None,
    )
}

async fn until_run_ends(c: &Console, client: &reqwest::Client, run: RunDto) -> RunDto {
    let start = Instant::now();
    loop {
        let now: RunDto = c
            .call(client, "get_run", &[("id", &run.id.to_string())])
            .await;
        if !matches!(now.state, RunState::Pending | RunState::Running) {
            return now;
        }
        assert!(start.elapsed() < Duration::from_secs(180), "{now:#?}");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

/// Makes a tenant of `template`; returns its namespace.
async fn new_tenant(c: &Console, admin: &reqwest::Client, template: &str, id: &str) -> String {
    let t: TenantDto = c
        .call(
            admin,
            "create_tenant",
            &[
                ("form[company_name]", "Chart test"),
                ("form[owner_email]", "owner@example.com"),
                ("form[owner_name]", "Owner"),
                ("form[template_id]", template),
                ("form[tenant_id]", id),
            ],
        )
        .await;
    t.namespace
}

/// A tenant's whole life, as the operations that make it.
const LIFE: [&str; 4] = [
    "provision_tenant",
    "suspend_tenant",
    "resume_tenant",
    "deprovision_tenant",
];

/// Runs operation `op` on tenant `id` and asserts it completed.
async fn operate(c: &Console, admin: &reqwest::Client, op: &str, id: &str) {
    let mut args = vec![("id", id)];
    if op == "deprovision_tenant" {
        args.push(("form[confirm]", id));
    }
    let run: RunDto = c.call(admin, op, &args).await;
    let done = until_run_ends(c, admin, run).await;
    assert_eq!(done.state, RunState::Completed, "{op}: {:#?}", done.steps);
}

/// The second application's release 1.
const SHOP: &str = "database: { kind: postgres, image: \"postgres:16\", name: shop }\n\
        components:\n\
        \x20 - { name: shop, image: \"shop:1.0\", route: { path: / }, ports: [{ name: http, container_port: 8080, service_port: 80 }] }\n\
        \x20 - { name: worker, image: \"shop-worker:1.0\" }\n\
        jobs:\n\
        \x20 - { name: schema, phase: migrate, image: \"shop:1.0\" }\n\
        \x20 - { name: admin, phase: post-provision, image: \"shop:1.0\" }\n\
        \x20 - { name: farewell, phase: pre-deprovision, image: \"shop:1.0\" }\n\
        contract:\n\
        \x20 config_path: /etc/tenant\n\
        \x20 api_keys: { names: [production], path: /etc/tenant-keys }\n\
        \x20 health: [{ component: shop, path: /healthz, timeout_seconds: 30 }]\n";

/// A second application through the console: its release 1 (two
/// components, PostgreSQL, jobs of every phase, the tenant's configuration,
/// an API key's hashes and a health endpoint the console asks through the
/// service proxy) and a plan sizing it like `like` (a template ID); the
/// plan's ID.
async fn second_application(c: &Console, admin: &reqwest::Client, like: &str) -> String {
    let _: serde_json::Value = c
        .call(
            admin,
            "create_application",
            &[("form[key]", "shop"), ("form[name]", "Shop")],
        )
        .await;
    let release: serde_json::Value = c
        .call(
            admin,
            "create_release",
            &[("application", "shop"), ("form[source]", SHOP)],
        )
        .await;
    assert_eq!(release["number"], 1, "{release}");
    let template: app::dto::TemplateDetail = c.call(admin, "get_template", &[("id", like)]).await;
    let mut form = app::dto::TemplateForm::from_template(&template.template);
    form.key = "shop-plan".into();
    form.application = "shop".into();
    let fields = common::form_fields(&form);
    let pairs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let plan: app::dto::TemplateDto = c.call(admin, "create_template", &pairs).await;
    assert_eq!(plan.application_key, "shop");
    plan.id.to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn installed_by_helm_the_console_works_with_its_service_account_alone() {
    let Some(_) = helm() else { return };
    let Some(cluster) = test_cluster().await else {
        return;
    };
    let admin_kube = cluster.client.clone();
    let kubeconfig = std::env::var("TENANTRY_TEST_KUBECONFIG").unwrap();
    let release_ns = unique_id("chart");
    let rel = "tnt";
    let fixture = chart_dir()
        .join("tests/tenantry-0.1.0.tgz")
        .display()
        .to_string();
    let install = |chart: &str, verb: &str, extra: &[&str]| {
        let mut args = vec![
            verb,
            rel,
            chart,
            "--namespace",
            &release_ns,
            "--kubeconfig",
            &kubeconfig,
        ];
        if verb == "install" {
            args.push("--create-namespace");
        }
        args.extend_from_slice(extra);
        helm_out(&args)
    };
    install(&fixture, "install", &[]);
    let dir = chart_dir().display().to_string();
    install(
        &dir,
        "upgrade",
        &["--set", "config.baseDomain=upgraded.example.com"],
    );
    let manifest = helm_out(&[
        "get",
        "manifest",
        rel,
        "--namespace",
        &release_ns,
        "--kubeconfig",
        &kubeconfig,
    ]);
    let env = env_of_deployment(&manifest);
    assert!(
        env.contains(&("TENANTRY_BASE_DOMAIN".into(), "upgraded.example.com".into())),
        "the upgrade's value: {env:?}"
    );

    // The console on this host with the chart's environment and only the
    // chart's ServiceAccount's rights.
    let sa = format!("{rel}-tenantry");
    let sa_kubeconfig =
        service_account_kubeconfig(&admin_kube, &kubeconfig, &release_ns, &sa).await;
    let stem = unique_id("chrt");
    let health = common::netns::HealthServer::start();
    let _kubelet = kubelet(&admin_kube, &stem, health.ip);
    let db = common::TestDb::sqlite();
    let mut vars: Vec<(String, String)> = env
        .into_iter()
        .filter(|(k, _)| {
            !matches!(
                k.as_str(),
                "TENANTRY_LISTEN" | "TENANTRY_METRICS_LISTEN" | "TENANTRY_DATABASE_URL"
            )
        })
        .collect();
    vars.extend([
        ("KUBECONFIG".into(), sa_kubeconfig.display().to_string()),
        ("TENANTRY_METRICS_LISTEN".into(), "127.0.0.1:0".into()),
        ("TENANTRY_ADMIN_PASSWORD".into(), String::new()),
        ("RUST_LOG".into(), "info".into()),
    ]);
    // Traces go to a local OTLP/HTTP receiver.
    let (otlp, received) = common::receivers::otlp().await;
    vars.extend([
        ("OTEL_EXPORTER_OTLP_ENDPOINT".into(), otlp),
        ("OTEL_BSP_SCHEDULE_DELAY".into(), "200".into()),
    ]);
    let pairs: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let console = Console::start_with(&db.url, &pairs, false);

    // The first admin's password went to a Secret, not to the log.
    let secret = Api::<Secret>::namespaced(admin_kube.clone(), &release_ns)
        .get(&format!("{rel}-tenantry-initial-admin"))
        .await
        .expect("the initial admin Secret");
    let password = String::from_utf8(secret.data.unwrap()["password"].0.clone()).unwrap();
    assert!(password.len() >= 16);
    assert!(
        console.log().iter().all(|l| !l.contains(&password)),
        "the password is in the log"
    );
    let admin = console.signed_in("admin", &password).await;
    let new_password = "a chart test admin password";
    let _: serde_json::Value = console
        .call(
            &admin,
            "change_password",
            &[
                ("current_password", &password),
                ("new_password", new_password),
            ],
        )
        .await;
    let admin = console.signed_in("admin", new_password).await;

    // A tenant's whole life under that identity.
    let template = console
        .call::<Vec<app::dto::TemplateDto>>(&admin, "list_templates", &[])
        .await
        .into_iter()
        .find(|t| t.key == "demo")
        .unwrap()
        .id
        .to_string();
    let id = format!("{stem}-a");
    let ns = new_tenant(&console, &admin, &template, &id).await;
    for op in LIFE {
        operate(&console, &admin, op, &id).await;
        if op == "provision_tenant" {
            // It acts in the namespace through its own binding, which keeps
            // its rights through a teardown.
            let b = binding::binding_in(&admin_kube, &ns, Duration::ZERO).await;
            let b = b.expect("the console's RoleBinding in the tenant namespace");
            assert_eq!(
                b.role_ref.name,
                format!("{release_ns}-{rel}-tenantry-tenant")
            );
            assert_eq!(
                b.metadata.finalizers,
                Some(vec!["tenantry.io/teardown".into()])
            );
        }
    }
    // Deprovisioned: the binding let go last, the namespace is gone.
    assert!(Api::<Namespace>::all(admin_kube.clone())
        .get_opt(&ns)
        .await
        .unwrap()
        .is_none());

    // A tenant of a second application, with its own components and jobs
    // of every phase, lives its whole life under the same identity.
    let plan = second_application(&console, &admin, &template).await;
    let id = format!("{stem}-s");
    let ns = new_tenant(&console, &admin, &plan, &id).await;
    for op in LIFE {
        operate(&console, &admin, op, &id).await;
        if op == "resume_tenant" {
            // Moved to a release 2 by a rollout, under the same identity.
            let two = SHOP.replace("shop:1.0", "shop:1.1");
            let _: serde_json::Value = console
                .call(
                    &admin,
                    "create_release",
                    &[
                        ("application", "shop"),
                        ("form[source]", &two),
                        ("form[based_on]", "1"),
                    ],
                )
                .await;
            let r: app::dto::RolloutDto = console
                .call(
                    &admin,
                    "start_rollout",
                    &[
                        ("form[application]", "shop"),
                        ("form[release]", "2"),
                        ("form[tenants][0]", id.as_str()),
                        ("form[waves]", "1"),
                    ],
                )
                .await;
            let start = Instant::now();
            let r = loop {
                let now: app::dto::RolloutDto = console
                    .call(&admin, "get_rollout", &[("id", &r.id.to_string())])
                    .await;
                if now.state != app::dto::RolloutState::Running {
                    break now;
                }
                assert!(start.elapsed() < Duration::from_secs(180), "{now:#?}");
                tokio::time::sleep(Duration::from_millis(300)).await;
            };
            assert_eq!(r.state, app::dto::RolloutState::Completed, "{r:#?}");
        }
        if op == "provision_tenant" {
            // The contract's objects, written under the chart's identity.
            let secrets =
                Api::<k8s_openapi::api::core::v1::Secret>::namespaced(admin_kube.clone(), &ns);
            assert!(secrets.get_opt("tenant-api-keys").await.unwrap().is_some());
            let config =
                Api::<k8s_openapi::api::core::v1::ConfigMap>::namespaced(admin_kube.clone(), &ns);
            assert!(config.get_opt("tenant-config").await.unwrap().is_some());
        }
    }
    assert!(Api::<Namespace>::all(admin_kube.clone())
        .get_opt(&ns)
        .await
        .unwrap()
        .is_none());
    let forbidden: Vec<String> = console
        .log()
        .into_iter()
        .filter(|l| l.contains("forbidden") || l.contains("Forbidden"))
        .collect();
    assert!(
        forbidden.is_empty(),
        "the ClusterRole lacks: {forbidden:#?}"
    );

    // Its metrics count the runs and fill the step histograms.
    let metrics_at = console
        .log()
        .into_iter()
        .find_map(|l| {
            let rest = l.split("metrics on ").nth(1)?;
            rest.split(['"', ' ']).next().map(str::to_string)
        })
        .expect("the metrics address in the log");
    let res = reqwest::get(&metrics_at).await.unwrap();
    assert_eq!(res.status(), 200, "{metrics_at}");
    let text = res.text().await.unwrap();
    for line in [
        // Two tenants' lives: the workshop's and the second application's
        // (with its rollout's update).
        "tenantry_runs_finished_total{operation=\"provision\",outcome=\"completed\"} 2",
        "tenantry_runs_finished_total{operation=\"update\",outcome=\"completed\"} 1",
        "tenantry_runs_finished_total{operation=\"deprovision\",outcome=\"completed\"} 2",
        "tenantry_step_duration_seconds_count{step=\"namespace\",outcome=\"completed\"} 3",
        "tenantry_step_duration_seconds_count{step=\"post-provision/admin\",outcome=\"completed\"} 1",
        "tenantry_step_duration_seconds_count{step=\"wait-worker\",outcome=\"completed\"} 3",
        // The second application's health endpoint, asked through the
        // service proxy with the tenant role's rights.
        "tenantry_step_duration_seconds_count{step=\"health\",outcome=\"completed\"}",
    ] {
        assert!(text.contains(line), "{line} not in:\n{text}");
    }
    assert!(text.contains("tenantry_http_request_duration_seconds_count{method=\"POST\",route=\"/api/provision_tenant\",status=\"200\"}"), "{text}");

    // One span per run and per step reached the trace receiver.
    let start = Instant::now();
    loop {
        let bodies = received.lock().unwrap().concat();
        let has = |s: &str| bodies.windows(s.len()).any(|w| w == s.as_bytes());
        if has(&id) && has("wait-database") && has("operation") {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "no run or step spans arrived over OTLP"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // A tenant namespace without the binding (made by an earlier release)
    // gets it when the leader starts, and the console works in it again.
    let id_b = format!("{stem}-b");
    let ns_b = new_tenant(&console, &admin, &template, &id_b).await;
    operate(&console, &admin, "provision_tenant", &id_b).await;
    binding::unbind(&admin_kube, &ns_b).await;
    drop(console);
    let console = Console::start_with(&db.url, &pairs, false);
    let admin = console.signed_in("admin", new_password).await;
    assert!(
        binding::binding_in(&admin_kube, &ns_b, Duration::from_secs(30))
            .await
            .is_some(),
        "the leader did not bind the console in {ns_b}"
    );
    operate(&console, &admin, "deprovision_tenant", &id_b).await;

    // What that identity may not do.
    let sa_kube = kube::Client::try_from(
        kube::Config::from_custom_kubeconfig(
            kube::config::Kubeconfig::read_from(&sa_kubeconfig).unwrap(),
            &Default::default(),
        )
        .await
        .unwrap(),
    )
    .unwrap();
    denied::what_the_service_account_may_not_do(&admin_kube, &sa_kube, (&release_ns, &sa, &stem))
        .await;

    // Uninstalled: nothing cluster-scoped is left (they were there).
    assert!(Api::<ClusterRole>::all(admin_kube.clone())
        .get_opt(&format!("{release_ns}-{rel}-tenantry"))
        .await
        .unwrap()
        .is_some());
    drop(console);
    helm_out(&[
        "uninstall",
        rel,
        "--namespace",
        &release_ns,
        "--kubeconfig",
        &kubeconfig,
    ]);
    let cluster_name = format!("{release_ns}-{rel}-tenantry");
    let roles = Api::<ClusterRole>::all(admin_kube.clone());
    let bindings = Api::<ClusterRoleBinding>::all(admin_kube.clone());
    assert!(
        roles.get_opt(&cluster_name).await.unwrap().is_none(),
        "the ClusterRole is left"
    );
    assert!(
        bindings.get_opt(&cluster_name).await.unwrap().is_none(),
        "the ClusterRoleBinding is left"
    );
    let labelled = ListParams::default().labels(&format!("app.kubernetes.io/instance={rel}"));
    let left: Vec<String> = roles
        .list(&labelled)
        .await
        .unwrap()
        .items
        .into_iter()
        .chain(
            bindings
                .list(&labelled)
                .await
                .unwrap()
                .items
                .into_iter()
                .map(|b| ClusterRole {
                    metadata: b.metadata,
                    ..ClusterRole::default()
                }),
        )
        .filter_map(|o| o.metadata.name)
        .filter(|n| n.starts_with(&release_ns))
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
    let _ = Api::<Namespace>::all(admin_kube)
        .delete(&release_ns, &DeleteParams::default())
        .await;
}
