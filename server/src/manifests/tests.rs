//! Golden tests: every seeded tier, with and without CloudNativePG, with and
//! without a custom domain. `UPDATE_GOLDEN=1 cargo test` rewrites the files;
//! review the diff before committing it.

use super::*;
use crate::store::seed_templates;

fn golden_path(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(format!("{name}.yaml"))
}

/// What the goldens render against: HPAs and CronJobs served, CloudNativePG
/// when asked.
fn full_caps(cnpg: bool) -> Capabilities {
    Capabilities {
        cnpg,
        hpa: Some("autoscaling/v2".into()),
        cronjob: Some("batch/v1".into()),
        ..Default::default()
    }
}

/// The goldens' tenant on `tier` (keyed `key`).
pub(super) fn acme<'a>(
    key: &'a str,
    tier: &'a app::dto::TierSpec,
    custom_domain: Option<&'a str>,
) -> TenantInput<'a> {
    TenantInput {
        id: "acme-k3x9pq",
        namespace: "tenant-acme-k3x9pq",
        custom_domain,
        owner_email: "owner@example.com",
        template_key: key,
        template_version: 1,
        tier,
        release: crate::applications::workshop(),
        custom_fields: &crate::manifests::NO_CUSTOM_FIELDS,
        secrets_rotated: None,
    }
}

/// The goldens' tenant's custom field values (each application reads the
/// ones it declares; the others read their defaults).
fn acme_fields() -> app::dto::CustomValues {
    [
        ("company_name", "Acme Corp"),
        ("primary_colour", "#0b5fff"),
        ("organisation_number", "212000-1234"),
        ("store_title", "Acme Shop"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

/// Every seeded application on each of its plans, as the runner renders
/// it (the release as the plan runs it), with and without CloudNativePG,
/// with a custom domain where the plan allows one, routed by an Ingress
/// and (under `httproute/`) by Gateway API. The workshop's Ingress files
/// keep their names from before applications existed (and their content:
/// its tenants render as they did).
#[test]
fn golden_manifests_for_every_tier() {
    let ingress = RenderSettings {
        storage_class: Some("fast-ssd".into()),
        ..RenderSettings::default()
    };
    let gateway = RenderSettings {
        route_api: RouteApi::Gateway,
        gateway: Some(("gateways".into(), "public".into())),
        edge_limits: crate::manifests::EdgeLimits::EnvoyGateway,
        ..ingress.clone()
    };
    let fields = acme_fields();
    let mut mismatches = vec![];
    for (profile, settings) in [("", &ingress), ("httproute/", &gateway)] {
        for seed in crate::applications::SEEDS {
            let release = crate::applications::parse_release(seed.release).expect("release");
            let workshop = seed.key == crate::applications::WORKSHOP_KEY;
            for tier in crate::store::plans_of(seed).expect("plans") {
                let runs = app::domain::release::for_plan(release.clone(), &tier.spec.features);
                let domains: &[Option<&str>] =
                    if workshop || tier.spec.features.iter().any(|f| f == "custom-domain") {
                        &[None, Some("shop.example.org")]
                    } else {
                        &[None]
                    };
                for cnpg in [true, false] {
                    for &domain in domains {
                        let caps = Capabilities {
                            httproute: Some("gateway.networking.k8s.io/v1".into()),
                            envoy_policy: true,
                            ..full_caps(cnpg)
                        };
                        let input = TenantInput {
                            release: &runs,
                            custom_fields: &fields,
                            secrets_rotated: None,
                            ..acme(&tier.key, &tier.spec, domain)
                        };
                        let mut objects = render(&input, settings, &caps);
                        // The script has its own test (end2end/backup-script.sh);
                        // the goldens name it instead of repeating it.
                        for m in objects.iter_mut().filter(|m| m.kind == "ConfigMap") {
                            if m.body["data"].get("backup.sh").is_some() {
                                m.body["data"]["backup.sh"] =
                                    json!("<server/src/manifests/backup.sh>");
                            }
                        }
                        let yaml = to_yaml(&objects);
                        let name = format!(
                            "{profile}{}{}-{}-{}",
                            if workshop {
                                String::new()
                            } else {
                                format!("{}/", seed.key)
                            },
                            tier.key,
                            if cnpg { "cnpg" } else { "statefulset" },
                            if domain.is_some() {
                                "custom-domain"
                            } else {
                                "no-domain"
                            }
                        );
                        let path = golden_path(&name);
                        if std::env::var("UPDATE_GOLDEN").is_ok() {
                            std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
                            std::fs::write(&path, &yaml).expect("write golden");
                            continue;
                        }
                        match std::fs::read_to_string(&path) {
                            Ok(expected) if expected == yaml => {}
                            Ok(_) => {
                                mismatches.push(format!("{name}: differs from {}", path.display()))
                            }
                            Err(e) => mismatches.push(format!("{name}: {e}")),
                        }
                    }
                }
            }
        }
    }
    assert!(
        mismatches.is_empty(),
        "golden files out of date (UPDATE_GOLDEN=1 to rewrite):\n{}",
        mismatches.join("\n")
    );
}

fn professional() -> app::dto::TierSpec {
    seed_templates()
        .into_iter()
        .find(|t| t.key == "professional")
        .expect("professional")
        .spec
}

#[test]
fn objects_carry_the_tiers_values_and_labels() {
    let tier = professional();
    let input = TenantInput {
        id: "acme-k3x9pq",
        namespace: "tenant-acme-k3x9pq",
        custom_domain: Some("shop.example.org"),
        owner_email: "owner@example.com",
        template_key: "professional",
        template_version: 3,
        tier: &tier,
        release: crate::applications::workshop(),
        custom_fields: &crate::manifests::NO_CUSTOM_FIELDS,
        secrets_rotated: None,
    };
    let out = render(&input, &RenderSettings::default(), &Capabilities::default());
    for m in &out {
        assert_eq!(
            m.body["metadata"]["labels"][MANAGED_BY.0],
            MANAGED_BY.1,
            "{}",
            m.describe()
        );
        assert_eq!(
            m.body["metadata"]["labels"][TENANT_LABEL],
            "acme-k3x9pq",
            "{}",
            m.describe()
        );
    }
    let find = |kind: &str, name: &str| {
        out.iter()
            .find(|m| m.kind == kind && m.name == name)
            .unwrap_or_else(|| panic!("{kind} {name}"))
    };
    assert_eq!(find("Namespace", "tenant-acme-k3x9pq").namespace, None);
    assert_eq!(find("Deployment", "api").body["spec"]["replicas"], 2);
    assert_eq!(
        find("ResourceQuota", "tenant-quota").body["spec"]["hard"]["limits.cpu"],
        "8000m"
    );
    assert_eq!(
        find("StatefulSet", "db").body["spec"]["volumeClaimTemplates"][0]["spec"]["resources"]
            ["requests"]["storage"],
        "50Gi"
    );
    let ingress = &find("Ingress", "tenant").body;
    assert_eq!(
        ingress["spec"]["tls"][0]["hosts"],
        json!(["acme-k3x9pq.tenants.example.com", "shop.example.org"])
    );
    assert_eq!(
        ingress["metadata"]["annotations"]["cert-manager.io/cluster-issuer"],
        "letsencrypt-prod"
    );
    assert!(
        out.iter().all(|m| m.kind != "HorizontalPodAutoscaler"),
        "no HPA without the feature and the API"
    );
    // Secrets never carry values in a rendering.
    let secret = &find("Secret", DB_SECRET).body;
    assert_eq!(secret["stringData"]["password"], "<generated once>");
}

#[test]
fn hpa_only_where_the_tier_asks_and_the_cluster_serves_it() {
    let ent = seed_templates()
        .into_iter()
        .find(|t| t.key == "enterprise")
        .expect("enterprise")
        .spec;
    let input = TenantInput {
        id: "big-abcdef",
        namespace: "tenant-big-abcdef",
        custom_domain: None,
        owner_email: "owner@example.com",
        template_key: "enterprise",
        template_version: 1,
        tier: &ent,
        release: crate::applications::workshop(),
        custom_fields: &crate::manifests::NO_CUSTOM_FIELDS,
        secrets_rotated: None,
    };
    let with = render(
        &input,
        &RenderSettings::default(),
        &Capabilities {
            cnpg: true,
            hpa: Some("autoscaling/v2beta2".into()),
            ..Default::default()
        },
    );
    let hpa = with
        .iter()
        .find(|m| m.kind == "HorizontalPodAutoscaler")
        .expect("hpa");
    assert_eq!(
        (hpa.api_version.as_str(), &hpa.body["spec"]["maxReplicas"]),
        ("autoscaling/v2beta2", &json!(9))
    );
    let without = render(
        &input,
        &RenderSettings::default(),
        &Capabilities {
            cnpg: true,
            hpa: None,
            ..Default::default()
        },
    );
    assert!(without.iter().all(|m| m.kind != "HorizontalPodAutoscaler"));
    assert_eq!(
        with.iter()
            .find(|m| m.kind == "Cluster")
            .expect("cnpg")
            .body["spec"]["instances"],
        3
    );
}

#[test]
fn settings_are_validated() {
    let bad = RenderSettings {
        namespace_prefix: "tenants-".into(),
        ..RenderSettings::default()
    };
    assert!(bad
        .validate()
        .unwrap_err()
        .to_string()
        .contains("namespace prefix"));
    let bad = RenderSettings {
        base_domain: "not a domain".into(),
        ..RenderSettings::default()
    };
    assert!(bad
        .validate()
        .unwrap_err()
        .to_string()
        .contains("base domain"));
    assert!(RenderSettings::default().validate().is_ok());
}

#[test]
fn with_cert_manager_the_certificate_is_rendered_and_labelled() {
    let tier = professional();
    let input = TenantInput {
        id: "acme-k3x9pq",
        namespace: "tenant-acme-k3x9pq",
        custom_domain: Some("shop.example.org"),
        owner_email: "owner@example.com",
        template_key: "professional",
        template_version: 3,
        tier: &tier,
        release: crate::applications::workshop(),
        custom_fields: &crate::manifests::NO_CUSTOM_FIELDS,
        secrets_rotated: None,
    };
    let caps = Capabilities {
        cert_manager: true,
        ..Default::default()
    };
    let out = render(&input, &RenderSettings::default(), &caps);
    let cert = out
        .iter()
        .find(|m| m.kind == "Certificate")
        .expect("certificate");
    assert_eq!(cert.api_version, "cert-manager.io/v1");
    assert_eq!(cert.body["metadata"]["labels"][TENANT_LABEL], "acme-k3x9pq");
    assert_eq!(
        cert.body["spec"]["dnsNames"],
        json!(["acme-k3x9pq.tenants.example.com", "shop.example.org"])
    );
    assert_eq!(cert.body["spec"]["issuerRef"]["name"], "letsencrypt-prod");
    let ingress = out.iter().find(|m| m.kind == "Ingress").expect("ingress");
    assert!(
        ingress.body["metadata"]["annotations"].is_null(),
        "no ingress-shim annotation: one certificate, Tenantry's"
    );
    let without = render(&input, &RenderSettings::default(), &Capabilities::default());
    assert!(without.iter().all(|m| m.kind != "Certificate"));
}

/// Every pod Tenantry renders for every seeded plan (workloads, the
/// migration, the database without CloudNativePG, scheduled, on-demand and
/// restore Jobs) meets the restricted Pod Security level, and the tenant
/// namespace asks a current cluster to enforce it. Kubernetes 1.20, the
/// test cluster, does not enforce Pod Security; this check does.
#[test]
fn every_pod_of_every_plan_meets_the_restricted_pod_security_level() {
    let settings = RenderSettings::default();
    let backup = app::dto::BackupDto {
        id: 1,
        tenant_id: "acme-k3x9pq".into(),
        method: app::dto::BackupMethod::Scheduled,
        run_id: None,
        taken_at: 0,
        location: "s3://tenantry-backups/acme-k3x9pq/x.dump".into(),
        size_bytes: 1,
        sha256: "0".repeat(64),
        pruned_at: None,
    };
    let mut pods = 0;
    for tier in seed_templates() {
        for cnpg in [true, false] {
            let caps = full_caps(cnpg);
            let input = acme(&tier.key, &tier.spec, None);
            let mut objects = render(&input, &settings, &caps);
            objects.push(backup_job(
                &input,
                &settings,
                &caps,
                7,
                app::dto::BackupMethod::OnDemand,
            ));
            objects.push(restore_job(&input, &settings, &caps, 8, &backup));
            let ns = objects.iter().find(|m| m.kind == "Namespace").expect("ns");
            assert_eq!(
                ns.body["metadata"]["labels"]["pod-security.kubernetes.io/enforce"],
                json!("restricted")
            );
            for m in &objects {
                for spec in security::pod_specs(&m.body) {
                    pods += 1;
                    let broken = security::restricted_violations(spec);
                    assert!(
                        broken.is_empty(),
                        "{} ({}, cnpg {cnpg}): {broken:?}",
                        m.describe(),
                        tier.key
                    );
                    assert_eq!(spec["automountServiceAccountToken"], json!(false));
                }
            }
        }
    }
    assert!(
        pods >= seed_templates().len() * 2 * 4,
        "{pods} pods checked"
    );
}

/// Egress: every pod reaches its own namespace and DNS; only backups and
/// CloudNativePG's instances go further, unless the plan has `egress`.
#[test]
fn egress_leaves_the_namespace_only_where_the_plan_allows() {
    let mut tier = professional();
    let caps = Capabilities::default();
    let render_with = |tier: &app::dto::TierSpec| {
        render(
            &acme("professional", tier, None),
            &RenderSettings::default(),
            &caps,
        )
    };
    let policy = |objects: &[Manifest], name: &str| {
        objects
            .iter()
            .find(|m| m.kind == "NetworkPolicy" && m.name == name)
            .map(|m| m.body["spec"].clone())
            .unwrap_or_else(|| panic!("{name} rendered"))
    };
    tier.features.retain(|f| f != namespace::EGRESS_FEATURE);
    let objects = render_with(&tier);
    let isolation = policy(&objects, "tenant-isolation");
    assert_eq!(isolation["policyTypes"], json!(["Ingress", "Egress"]));
    assert_eq!(isolation["egress"][0]["to"], json!([{ "podSelector": {} }]));
    assert_eq!(isolation["egress"][1]["ports"][0]["port"], json!(53));
    let out = policy(&objects, "tenant-egress");
    assert_eq!(
        out["podSelector"]["matchExpressions"][0]["values"],
        json!(["backup"])
    );
    tier.features.push(namespace::EGRESS_FEATURE.into());
    assert_eq!(
        policy(&render_with(&tier), "tenant-egress")["podSelector"],
        json!({})
    );
}
