//! The `tenantry` CLI end to end against a console on a random port and
//! the real local control plane: log in, a template and a tenant from
//! files, provision with --watch to completion, a tier change after its
//! preview, suspend, resume, deprovision; -o json and -o yaml parse; a
//! failing run exits non-zero with the step's reason; the documented exit
//! codes for not found, a bad token and an unreachable console.
#![allow(clippy::unwrap_used)] // in a test, a panic is the failure report

mod common;

use std::os::unix::fs::PermissionsExt;
use std::sync::Arc;

use common::cluster::{component, remove_namespace, test_cluster, unique_id, FakeKubelet, PodFate};
use common::process::{Console, ADMIN_PASSWORD};
use common::TestDb;
use serde_json::Value;

struct Cli {
    base: String,
    config: std::path::PathBuf,
}

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Cli {
    async fn run(&self, args: &[&str]) -> Out {
        self.run_env(args, &[]).await
    }

    async fn run_env(&self, args: &[&str], env: &[(&str, &str)]) -> Out {
        let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_tenantry"));
        cmd.args(args)
            .env("TENANTRY_SERVER", &self.base)
            .env("TENANTRY_CONFIG", &self.config)
            .env_remove("TENANTRY_TOKEN")
            .stdin(std::process::Stdio::null());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let out = cmd.output().await.unwrap();
        let o = Out {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into(),
            stderr: String::from_utf8_lossy(&out.stderr).into(),
        };
        eprintln!(
            "$ tenantry {} -> {}\n{}{}",
            args.join(" "),
            o.code,
            o.stdout,
            o.stderr
        );
        o
    }

    async fn ok(&self, args: &[&str]) -> Out {
        let o = self.run(args).await;
        assert_eq!(o.code, 0, "tenantry {}: {}", args.join(" "), o.stderr);
        o
    }

    async fn json(&self, args: &[&str]) -> Value {
        let mut all = args.to_vec();
        all.extend(["-o", "json"]);
        serde_json::from_str(&self.ok(&all).await.stdout).unwrap()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_runs_a_tenant_through_its_life() {
    let Some(cluster) = test_cluster().await else {
        return;
    };
    let kubeconfig = std::env::var("TENANTRY_TEST_KUBECONFIG").unwrap();
    let db = TestDb::sqlite();
    let console = Console::start(
        &db.url,
        &[
            ("TENANTRY_KUBECONFIG", kubeconfig.as_str()),
            ("TENANTRY_NAMESPACE_PREFIX", "cli-"),
            // Long enough for a migration Job on a loaded machine (8 s
            // failed one run in ten: the Job's pod came later), short
            // enough that the crash-looping database fails soon.
            ("TENANTRY_WAIT_DATABASE_SECS", "20"),
            ("TENANTRY_STEP_ATTEMPTS", "1"),
            ("TENANTRY_SECRET_KEY", "cli test secret key"),
        ],
    );
    let id = unique_id("cli");
    let bad = unique_id("clibad");
    let (good_ns, bad_ns) = (format!("cli-{id}"), format!("cli-{bad}"));
    let watched = good_ns.clone();
    let _kubelet = FakeKubelet::start_logged(
        cluster.client.clone(),
        None,
        Arc::new(move |p: &k8s_openapi::api::core::v1::Pod| {
            let ns = p.metadata.namespace.as_deref().unwrap_or("");
            match component(p) {
                _ if !ns.starts_with("cli-") => PodFate::LeavePending,
                "database" if ns != watched => PodFate::CrashLoop,
                "migration" | "backup" => PodFate::Succeeded,
                _ => PodFate::Ready,
            }
        }),
        None,
    );
    let dir = tempfile::tempdir().unwrap();
    let cli = Cli {
        base: console.base.clone(),
        config: dir.path().join("config.json"),
    };

    // Log in: a token saved for the owner alone.
    let o = cli
        .run_env(
            &["login", "--username", "admin"],
            &[("TENANTRY_PASSWORD", ADMIN_PASSWORD)],
        )
        .await;
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(
        o.stdout.contains("(admin token"),
        "the account's own role: {}",
        o.stdout
    );
    let mode = std::fs::metadata(&cli.config).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    assert!(std::fs::read_to_string(&cli.config)
        .unwrap()
        .contains("tnt_"));

    // An application and its releases from files: a broken one is refused
    // naming the field (exit 2), nothing stored; a good one is release 1.
    cli.ok(&["app", "create", "cli-shop", "--name", "CLI shop"])
        .await;
    let release = dir.path().join("release.yaml");
    let source = include_str!("releases/shop.yaml");
    std::fs::write(
        &release,
        source.replace("container_port: 8080", "container_port: 0"),
    )
    .unwrap();
    let o = cli
        .run(&[
            "app",
            "apply",
            "-f",
            release.to_str().unwrap(),
            "--app",
            "cli-shop",
            "--check",
        ])
        .await;
    assert_eq!(o.code, 2, "{}", o.stderr);
    assert!(
        o.stderr
            .contains("components.store.ports[0].container_port"),
        "{}",
        o.stderr
    );
    std::fs::write(&release, source).unwrap();
    cli.ok(&[
        "app",
        "apply",
        "-f",
        release.to_str().unwrap(),
        "--app",
        "cli-shop",
        "--check",
    ])
    .await;
    let r = cli
        .json(&[
            "app",
            "apply",
            "-f",
            release.to_str().unwrap(),
            "--app",
            "cli-shop",
            "--notes",
            "first",
        ])
        .await;
    assert_eq!(r["number"], 1);
    let written = cli
        .ok(&["app", "release", "cli-shop", "1", "-o", "yaml"])
        .await;
    assert_eq!(written.stdout, source);
    let apps = cli.json(&["app", "list"]).await;
    assert!(apps
        .as_array()
        .unwrap()
        .iter()
        .any(|a| a["key"] == "cli-shop" && a["latest_release"] == 1));

    // A template and a tenant from files (YAML numbers are fine).
    let tier = dir.path().join("tier.yaml");
    std::fs::write(
        &tier,
        "key: cli-tier\nname: CLI tier\ndescription: from a file\npostgres_instances: 1\n\
         postgres_storage_gi: 1\napi_replicas: 1\nweb_replicas: 1\ncpu_request_m: 50\n\
         cpu_limit_m: 200\nmemory_request_mi: 64\nmemory_limit_mi: 256\nquota_cpu_m: 2000\n\
         quota_memory_mi: 4096\nquota_storage_gi: 10\nquota_pods: 20\nfeatures: api\n",
    )
    .unwrap();
    let t = cli
        .json(&["template", "create", "-f", tier.to_str().unwrap()])
        .await;
    assert_eq!(t["key"], "cli-tier");
    // Edited from its own form; the same edit again is a conflict (exit 5),
    // never an overwrite.
    let form = cli
        .ok(&["template", "get", "cli-tier", "--form"])
        .await
        .stdout;
    assert!(form.contains("based_on_version: 1"), "{form}");
    let edit = dir.path().join("edit.yaml");
    std::fs::write(&edit, form.replace("from a file", "from a file, edited")).unwrap();
    let edit = edit.to_str().unwrap();
    let t = cli
        .json(&["template", "edit", "cli-tier", "-f", edit])
        .await;
    assert_eq!(t["version"], 2);
    let o = cli.run(&["template", "edit", "cli-tier", "-f", edit]).await;
    assert_eq!(o.code, 5, "{}", o.stderr);
    let list = dir.path().join("list.yaml");
    std::fs::write(&list, "- a\n- b\n").unwrap();
    let o = cli
        .run(&["tenant", "create", "-f", list.to_str().unwrap()])
        .await;
    assert_eq!(o.code, 2, "a file that is not one object: {}", o.stderr);
    let tenant_file = dir.path().join("tenant.yaml");
    std::fs::write(
        &tenant_file,
        format!(
            "company_name: CLI Corp\nowner_email: cli@example.com\nowner_name: Cleo\n\
             template_id: cli-tier\ntenant_id: {id}\n"
        ),
    )
    .unwrap();
    // A dry-run first: the objects as YAML, nothing stored; a broken
    // field is named (exit 2).
    let tenant_path = tenant_file.to_str().unwrap();
    let o = cli
        .ok(&[
            "tenant",
            "create",
            "-f",
            tenant_path,
            "--dry-run",
            "-o",
            "yaml",
        ])
        .await;
    assert!(
        o.stdout.contains(&format!("name: {good_ns}")),
        "{}",
        o.stdout
    );
    assert!(o.stdout.contains("kind: Deployment"), "{}", o.stdout);
    let o = cli
        .run(&[
            "tenant",
            "create",
            "-f",
            tenant_path,
            "--email",
            "nobody",
            "--dry-run",
        ])
        .await;
    assert_eq!(o.code, 2, "{}", o.stderr);
    assert!(o.stderr.contains("owner_email"), "{}", o.stderr);
    // Custom fields as --field NAME=VALUE, checked against the plan's
    // application (the seeded school system), named when wrong.
    let school = |number: &str| {
        [
            "tenant",
            "create",
            "-f",
            tenant_path,
            "--template",
            "school-basic",
            "--field",
            &format!("organisation_number={number}"),
            "--field",
            "locale=en",
            "--dry-run",
            "-o",
            "yaml",
        ]
        .map(String::from)
    };
    let args = school("12");
    let o = cli.run(&args.each_ref().map(String::as_str)).await;
    assert_eq!(o.code, 2, "{}", o.stderr);
    assert!(
        o.stderr.contains("custom_fields.organisation_number"),
        "{}",
        o.stderr
    );
    let args = school("212000-1234");
    let o = cli.ok(&args.each_ref().map(String::as_str)).await;
    assert!(o.stdout.contains("212000-1234"), "{}", o.stdout);
    assert_eq!(
        cli.json(&["tenant", "list"]).await["total"],
        0,
        "nothing stored"
    );
    let made = cli.json(&["tenant", "create", "-f", tenant_path]).await;
    assert_eq!(made["id"], id.as_str());
    assert_eq!(made["template_version"], 2);
    assert_eq!(made["namespace"], good_ns.as_str());

    // Provision, followed to completion (plain lines: not a terminal).
    let o = cli.ok(&["tenant", "provision", &id, "--watch"]).await;
    assert!(o.stdout.contains("completed"), "{}", o.stdout);
    assert!(o.stderr.contains("wait-database completed"), "{}", o.stderr);
    let t = cli.json(&["tenant", "get", &id]).await;
    assert_eq!(t["state"], "active");

    // A tier change: previewed, refused without a terminal or --yes,
    // then applied.
    let o = cli
        .ok(&[
            "tenant",
            "change",
            &id,
            "--template",
            "professional",
            "--dry-run",
        ])
        .await;
    assert!(o.stderr.contains("would change"), "{}", o.stderr);
    let o = cli
        .run(&["tenant", "change", &id, "--template", "professional"])
        .await;
    assert_eq!(o.code, 2, "no terminal, no --yes");
    assert!(o.stderr.contains("--yes"));
    assert_eq!(
        cli.json(&["tenant", "get", &id]).await["template_name"],
        "CLI tier"
    );
    cli.ok(&[
        "tenant",
        "change",
        &id,
        "--template",
        "professional",
        "--yes",
        "--watch",
    ])
    .await;
    assert_eq!(
        cli.json(&["tenant", "get", &id]).await["template_name"],
        "Professional"
    );

    // A new release of the workshop (another API tag), and the tenant
    // moved to it: previewed, then applied.
    let workshop = dir.path().join("workshop.yaml");
    std::fs::write(
        &workshop,
        include_str!("../seed/applications/workshop-saas.yaml").replace("api:1.0.0", "api:1.0.1"),
    )
    .unwrap();
    let r = cli
        .json(&[
            "app",
            "apply",
            "-f",
            workshop.to_str().unwrap(),
            "--app",
            "workshop-saas",
        ])
        .await;
    assert_eq!(r["number"], 2);
    let o = cli
        .ok(&["tenant", "change", &id, "--release", "2", "--dry-run"])
        .await;
    assert!(o.stderr.contains("release 1 → 2"), "{}", o.stderr);
    let o = cli
        .run(&["tenant", "change", &id, "--release", "7", "--yes"])
        .await;
    assert_eq!(o.code, 2, "{}", o.stderr);
    assert!(o.stderr.contains("release"), "{}", o.stderr);
    cli.ok(&[
        "tenant",
        "change",
        &id,
        "--release",
        "2",
        "--yes",
        "--watch",
    ])
    .await;
    assert_eq!(cli.json(&["tenant", "get", &id]).await["release"], 2);

    cli.ok(&["tenant", "suspend", &id, "--watch"]).await;
    assert_eq!(
        cli.json(&["tenant", "get", &id]).await["state"],
        "suspended"
    );
    cli.ok(&["tenant", "resume", &id, "--watch"]).await;
    // Between runs the state follows health: a replica the fake kubelet
    // has not readied yet reads degraded for a moment.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while cli.json(&["tenant", "get", &id]).await["state"] != "active" {
        assert!(
            std::time::Instant::now() < deadline,
            "{id} never became active again"
        );
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    }

    // Back up now, the catalogue, and a restore (--yes off a terminal).
    cli.ok(&["backup", "now", &id, "--watch"]).await;
    let backups = cli.json(&["backup", "list", &id]).await;
    assert_eq!(backups.as_array().map(Vec::len), Some(1), "{backups}");
    assert_eq!(backups[0]["method"], "on_demand");
    let backup = backups[0]["id"].to_string();
    let o = cli
        .run(&["backup", "restore", &id, "--backup", &backup])
        .await;
    assert_eq!(o.code, 2, "{}", o.stderr);
    cli.ok(&[
        "backup", "restore", &id, "--backup", &backup, "--yes", "--watch",
    ])
    .await;
    let runs = cli.json(&["run", "list", "--tenant", &id]).await;
    assert_eq!(runs["items"][0]["operation"], "restore", "{runs}");

    // A rollout of release 3 to this tenant: planned with its dry-run,
    // started, followed with --watch to completion, then rolled back (a
    // restore is refused on `restore`: its move took no dump first).
    std::fs::write(
        &workshop,
        include_str!("../seed/applications/workshop-saas.yaml").replace("api:1.0.0", "api:1.0.2"),
    )
    .unwrap();
    let workshop = workshop.to_str().unwrap();
    cli.ok(&["app", "apply", "-f", workshop, "--app", "workshop-saas"])
        .await;
    let moving = [
        "--application",
        "workshop-saas",
        "--release",
        "3",
        "--tenant",
        id.as_str(),
        "--waves",
        "1",
    ];
    let plan = cli
        .ok(&[&["rollout", "plan", "--dry-run"][..], &moving[..]].concat())
        .await
        .stdout;
    assert!(
        plan.contains(&id) && plan.contains("release 2 → 3"),
        "{plan}"
    );
    assert!(
        plan.contains("changes Deployment api") && plan.contains("dry-run: 1 of 1 tenants"),
        "{plan}"
    );
    let started = cli
        .json(&[&["rollout", "start"][..], &moving[..]].concat())
        .await;
    let rollout = started["id"].to_string();
    let o = cli.ok(&["rollout", "get", &rollout, "--watch"]).await;
    assert!(o.stdout.contains("completed"), "{}", o.stdout);
    assert_eq!(cli.json(&["tenant", "get", &id]).await["release"], 3);
    let o = cli
        .run(&["rollout", "rollback", &rollout, &id, "--restore"])
        .await;
    assert_eq!(o.code, 2, "{}", o.stderr);
    assert!(o.stderr.contains("restore"), "{}", o.stderr);
    let back = cli.json(&["rollout", "rollback", &rollout, &id]).await;
    assert_eq!(back["tenants"][0]["state"], "rolled_back", "{back}");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let t = cli.json(&["tenant", "get", &id]).await;
        if t["release"] == 2 && t["state"] == "active" {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "never rolled back: {t}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    }

    // Lists parse as JSON and YAML.
    let list = cli.json(&["tenant", "list"]).await;
    assert_eq!(list["total"], 1);
    let runs = cli.json(&["run", "list", "--tenant", &id]).await;
    assert_eq!(
        runs["total"], 9,
        "provision, change, release change, suspend, resume, backup, restore, the rollout's move and its roll-back"
    );
    let yaml = cli
        .ok(&["run", "list", "--tenant", &id, "-o", "yaml"])
        .await
        .stdout;
    let parsed: Value = yaml_serde::from_str(&yaml).unwrap();
    assert_eq!(parsed["items"][0]["tenant_id"], id.as_str());
    let table = cli.ok(&["tenant", "list"]).await.stdout;
    assert!(table.contains("STATE") && table.contains(&id), "{table}");

    // Deprovision: refused without --yes off a terminal, then done.
    let o = cli.run(&["tenant", "deprovision", &id]).await;
    assert_eq!(o.code, 2);
    assert!(
        o.stderr.contains(&good_ns),
        "the preview names the namespace: {}",
        o.stderr
    );
    cli.ok(&["tenant", "deprovision", &id, "--yes", "--watch"])
        .await;
    assert_eq!(
        cli.json(&["tenant", "get", &id]).await["state"],
        "deprovisioned"
    );

    // A run that fails exits 6 with its step and root cause.
    let o = cli
        .run(&[
            "tenant",
            "create",
            "--company",
            "Broken Ltd",
            "--email",
            "b@example.com",
            "--owner",
            "B",
            "--template",
            "free",
            "--id",
            &bad,
            "--watch",
        ])
        .await;
    assert_eq!(o.code, 6, "{}", o.stderr);
    assert!(
        o.stderr.contains("wait-database") && o.stderr.contains("CrashLoopBackOff"),
        "{}",
        o.stderr
    );

    // Documented exit codes: not found, bad token, unreachable; and
    // completions.
    assert_eq!(cli.run(&["tenant", "get", "no-such-tenant"]).await.code, 4);
    let o = cli
        .run_env(&["tenant", "list"], &[("TENANTRY_TOKEN", "tnt_wrong")])
        .await;
    assert_eq!(o.code, 3);
    assert!(!o.stderr.contains("tnt_wrong"));
    let o = cli
        .run_env(
            &["tenant", "list"],
            &[("TENANTRY_SERVER", "http://127.0.0.1:9")],
        )
        .await;
    assert_eq!(o.code, 7);
    let o = cli.ok(&["completion", "bash"]).await;
    assert!(o.stdout.contains("tenantry") && o.stdout.contains("deprovision"));

    remove_namespace(&cluster.client, &bad, &bad_ns).await;
}
