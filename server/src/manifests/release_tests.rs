//! A second application through the same renderer: two components, MySQL,
//! files, a volume, a generated secret and jobs of three phases (golden
//! `shop-mysql.yaml`; `UPDATE_GOLDEN=1` rewrites it), and what every
//! rendered pod of it keeps: the restricted level, secrets by reference.

use super::*;
use crate::applications::parse_release;
use crate::store::seed_templates;

fn shop() -> ReleaseSpec {
    let text = include_str!("../../tests/releases/shop.yaml");
    parse_release(text).expect("the shop release is valid")
}

fn tier() -> TierSpec {
    let mut tier = seed_templates()
        .into_iter()
        .find(|t| t.key == "professional")
        .expect("professional")
        .spec;
    tier.features.push(AUTOSCALING_FEATURE.into());
    tier
}

fn input<'a>(tier: &'a TierSpec, release: &'a ReleaseSpec) -> TenantInput<'a> {
    TenantInput {
        id: "acme-k3x9pq",
        namespace: "tenant-acme-k3x9pq",
        custom_domain: Some("shop.example.org"),
        owner_email: "owner@example.com",
        template_key: "professional",
        template_version: 1,
        tier,
        release,
        custom_fields: &crate::manifests::NO_CUSTOM_FIELDS,
        secrets_rotated: None,
    }
}

fn caps() -> Capabilities {
    Capabilities {
        cnpg: true,
        hpa: Some("autoscaling/v2".into()),
        cronjob: Some("batch/v1".into()),
        cert_manager: false,
        httproute: None,
        envoy_policy: false,
    }
}

#[test]
fn golden_second_application() {
    let (tier, release) = (tier(), shop());
    let t = input(&tier, &release);
    let s = RenderSettings::default();
    let mut all = render(&t, &s, &caps());
    for phase in [
        JobPhase::PostProvision,
        JobPhase::PostUpgrade,
        JobPhase::PreDeprovision,
    ] {
        all.extend(phase_jobs(&t, &s, &caps(), phase));
    }
    let yaml = to_yaml(&all);
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/shop-mysql.yaml");
    if std::env::var("UPDATE_GOLDEN").is_ok() {
        std::fs::write(&path, &yaml).expect("write golden");
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        expected == yaml,
        "{} is out of date (UPDATE_GOLDEN=1 to rewrite)",
        path.display()
    );
}

#[test]
fn the_second_application_renders_what_it_declares() {
    let (tier, release) = (tier(), shop());
    let t = input(&tier, &release);
    let s = RenderSettings::default();
    let out = render(&t, &s, &caps());
    let find = |kind: &str, name: &str| {
        out.iter()
            .find(|m| m.kind == kind && m.name == name)
            .unwrap_or_else(|| panic!("{kind} {name} rendered"))
    };
    // MySQL, not PostgreSQL, even where CloudNativePG is served; no
    // backup objects for a release without dumps.
    assert!(out
        .iter()
        .all(|m| m.kind != "Cluster" && m.kind != "ScheduledBackup"));
    let db = find("StatefulSet", "db");
    assert_eq!(
        db.body["spec"]["template"]["spec"]["containers"][0]["image"],
        "registry.example.com/tenantry/mysql:8.4"
    );
    // The worker's image names its registry: no mirror prefix.
    let worker = find("Deployment", "worker");
    let container = &worker.body["spec"]["template"]["spec"]["containers"][0];
    assert!(container["image"]
        .as_str()
        .is_some_and(|i| i.starts_with("ghcr.io/acme/shop-worker@sha256:")));
    assert_eq!(worker.body["spec"]["replicas"], 2);
    assert_eq!(container["resources"]["limits"]["cpu"], "200m");
    // Secrets reach env by reference; text values are resolved.
    let store = find("Deployment", "store");
    let env = &store.body["spec"]["template"]["spec"]["containers"][0]["env"];
    let var = |name: &str| {
        env.as_array()
            .and_then(|a| a.iter().find(|v| v["name"] == name))
            .cloned()
            .unwrap_or_default()
    };
    assert_eq!(var("DB_HOST")["value"], "db:3306");
    assert_eq!(
        var("DB_PASSWORD")["valueFrom"]["secretKeyRef"],
        serde_json::json!({ "name": "db-credentials", "key": "password" })
    );
    assert_eq!(
        var("AUTH_KEY")["valueFrom"]["secretKeyRef"]["name"],
        "shop-keys"
    );
    assert_eq!(
        var("SITE_URL")["value"],
        "https://acme-k3x9pq.tenants.example.com"
    );
    // A component with a volume runs one replica, recreated.
    assert_eq!(store.body["spec"]["replicas"], 1);
    assert_eq!(store.body["spec"]["strategy"]["type"], "Recreate");
    let files = find("ConfigMap", "store-files");
    assert_eq!(
        files.body["data"]["file-0"],
        "hosts=acme-k3x9pq.tenants.example.com,shop.example.org\nplan=professional\nusers=20\ncod=false\n"
    );
    find("PersistentVolumeClaim", "store-uploads");
    // Only the routed component is on the Ingress; only the worker scales.
    let ingress = find("Ingress", "tenant");
    let paths = &ingress.body["spec"]["rules"][0]["http"]["paths"];
    assert_eq!(paths.as_array().map(Vec::len), Some(1));
    assert_eq!(paths[0]["backend"]["service"]["name"], "store");
    find("HorizontalPodAutoscaler", "worker");
    assert!(out
        .iter()
        .all(|m| !(m.kind == "HorizontalPodAutoscaler" && m.name == "store")));
    // Generated secrets say how they are made; none carries a value.
    let keys = find("Secret", "shop-keys");
    assert_eq!(keys.generated.len(), 2);
    assert_eq!(
        keys.generated[1].1,
        Generate::Random {
            length: 32,
            alphabet: app::dto::Alphabet::Hex
        }
    );
    let creds = find("Secret", DB_SECRET);
    assert_eq!(
        creds.generated[0],
        ("username".into(), Generate::Fixed("shop".into()))
    );
    assert_eq!(
        find("Secret", DB_SUPERUSER_SECRET).generated[0].1,
        Generate::Fixed("root".into())
    );
    // Migrations are among the objects; the other phases are not.
    let jobs: Vec<&str> = out
        .iter()
        .filter(|m| m.kind == "Job")
        .map(|m| m.name.as_str())
        .collect();
    assert_eq!(jobs.len(), 1);
    assert!(jobs[0].starts_with("db-schema-"));
    assert_eq!(migration_jobs(&out).len(), 1);
    let later = phase_jobs(&t, &s, &caps(), JobPhase::PostProvision);
    assert!(later[0].name.starts_with("post-provision-sample-data-"));
    assert_eq!(
        later[0].body["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/component"],
        JOB_COMPONENT
    );
    assert!(phase_jobs(&t, &s, &caps(), JobPhase::PreDeprovision).is_empty());
    // Every pod template meets the restricted level.
    for m in out.iter().chain(later.iter()) {
        let spec = match m.kind.as_str() {
            "Deployment" | "StatefulSet" | "Job" => &m.body["spec"]["template"]["spec"],
            _ => continue,
        };
        assert_eq!(
            security::restricted_violations(spec),
            Vec::<String>::new(),
            "{}",
            m.describe()
        );
    }
}

#[test]
fn a_baseline_release_may_run_as_root_and_labels_its_namespace_so() {
    let tier = tier();
    let mut release = shop();
    release.pod_security = app::dto::PodSecurity::Baseline;
    release.pod_security_reason = Some("the image runs Apache as root".into());
    release.components[0].run_as_user = Some(0);
    app::domain::release::validate(&release).expect("valid with a reason");
    let t = input(&tier, &release);
    let out = render(&t, &RenderSettings::default(), &caps());
    let ns = out
        .iter()
        .find(|m| m.kind == "Namespace")
        .expect("namespace");
    assert_eq!(
        ns.body["metadata"]["labels"]["pod-security.kubernetes.io/enforce"],
        "baseline"
    );
    let store = out
        .iter()
        .find(|m| m.kind == "Deployment" && m.name == "store")
        .expect("store");
    assert_eq!(
        store.body["spec"]["template"]["spec"]["securityContext"]["runAsNonRoot"],
        false
    );
}
