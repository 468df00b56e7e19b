//! The seeded reference applications on the real control plane, through
//! the console's API: a WooCommerce store provisions (its MySQL, its
//! WordPress, its route, its sample-data job in the timeline); a school
//! system runs its post-provisioning steps once and not on an update; a
//! custom field changed is previewed with its new value and applied by an
//! update run; a plan without the custom-domain feature takes no domain.

use super::*;
use k8s_openapi::api::apps::v1::StatefulSet;

/// A tenant record on `template` with the form fields `extra`; the
/// response as it came.
async fn create(
    srv: &TestServer,
    op: &reqwest::Client,
    template: &str,
    extra: &[(&str, &str)],
) -> reqwest::Response {
    let template_id = srv
        .store
        .list_templates()
        .await
        .unwrap()
        .into_iter()
        .find(|t| t.key == template)
        .unwrap()
        .id
        .to_string();
    let mut form = vec![
        ("form[company_name]", "Seeded test"),
        ("form[owner_email]", "owner@example.com"),
        ("form[owner_name]", "Owner"),
        ("form[template_id]", template_id.as_str()),
    ];
    form.extend_from_slice(extra);
    srv.call(op, "create_tenant", &form).await
}

fn names(run: &RunDto) -> Vec<&str> {
    run.steps.iter().map(|s| s.name.as_str()).collect()
}

async fn env_of(kube: &kube::Client, ns: &str, deployment: &str, name: &str) -> Option<String> {
    let d = Api::<Deployment>::namespaced(kube.clone(), ns)
        .get(deployment)
        .await
        .unwrap();
    d.spec?
        .template
        .spec?
        .containers
        .first()?
        .env
        .clone()?
        .into_iter()
        .find(|e| e.name == name)?
        .value
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reference_applications_provision_and_change() {
    let Some(cluster) = test_cluster().await else {
        return;
    };
    let kube = cluster.client.clone();
    let db = TestDb::sqlite();
    let srv = TestServer::start_engine(&db.url, cluster, fast()).await;
    let op = srv.signed_in("operator").await;

    // A Demo-plan tenant takes no custom domain: the plan lacks the
    // feature, and the form says so on the field.
    let res = create(
        &srv,
        &op,
        "demo",
        &[("form[custom_domain]", "shop.acme-demo.io")],
    )
    .await;
    assert_eq!(res.status(), 422);
    let body = res.text().await.unwrap();
    assert!(
        body.contains("custom_domain") && body.contains("custom-domain feature"),
        "{body}"
    );

    // A tenant that had a domain on a plan with the feature keeps it on
    // one without (previewed with a warning, said on its page), may keep
    // or remove it, but takes no other.
    let kept: TenantDto = json(
        create(
            &srv,
            &op,
            "professional",
            &[("form[custom_domain]", "shop.kept-domain.io")],
        )
        .await,
        "create_tenant",
    )
    .await;
    let free = srv
        .store
        .list_templates()
        .await
        .unwrap()
        .into_iter()
        .find(|t| t.key == "free")
        .unwrap();
    let preview: ChangePreview = json(
        srv.call(
            &op,
            "preview_tenant_change",
            &[
                ("id", &kept.id),
                ("form[template_id]", &free.id.to_string()),
            ],
        )
        .await,
        "preview",
    )
    .await;
    assert!(
        preview
            .warnings
            .iter()
            .any(|w| w.contains("shop.kept-domain.io") && w.contains("keeps")),
        "{:?}",
        preview.warnings
    );
    srv.store
        .set_tenant_spec(
            &kept.id,
            ((free.id, free.version), kept.release),
            (None, None),
            &kept.custom_fields,
            ("test", "to Free"),
        )
        .await
        .unwrap();
    let release: app::dto::ReleaseDto = json(
        srv.call(&op, "release_of_tenant", &[("id", &kept.id)])
            .await,
        "release_of_tenant",
    )
    .await;
    assert!(
        release.warnings.iter().any(|w| w.contains("keeps")),
        "{:?}",
        release.warnings
    );
    let edit = |domain: &'static str| {
        let id = kept.id.clone();
        let srv = &srv;
        let op = &op;
        async move {
            srv.call(
                op,
                "update_tenant",
                &[
                    ("id", id.as_str()),
                    ("form[company_name]", "Seeded test"),
                    ("form[owner_email]", "owner@example.com"),
                    ("form[owner_name]", "Owner"),
                    ("form[custom_domain]", domain),
                ],
            )
            .await
        }
    };
    let other = edit("shop.other-domain.io").await;
    assert_eq!(other.status(), 422);
    assert!(other
        .text()
        .await
        .unwrap()
        .contains("custom-domain feature"));
    assert_eq!(edit("shop.kept-domain.io").await.status(), 200);
    assert_eq!(edit("").await.status(), 200);

    // A custom field is checked on the server, named by its key.
    let res = create(
        &srv,
        &op,
        "school-basic",
        &[("form[custom_fields][organisation_number]", "12-34")],
    )
    .await;
    assert_eq!(res.status(), 422);
    let body = res.text().await.unwrap();
    assert!(
        body.contains("custom_fields.organisation_number") && body.contains("pattern"),
        "{body}"
    );

    // WooCommerce: MySQL, WordPress, its route, then the sample data.
    let store: TenantDto = json(
        create(
            &srv,
            &op,
            "store-starter",
            &[("form[custom_fields][store_title]", "Acme Mugs")],
        )
        .await,
        "create_tenant",
    )
    .await;
    let ns = store.namespace.clone();
    let _shop = FakeKubelet::start(kube.clone(), &ns, happy);
    let run = run_op(&srv, &op, "provision_tenant", &[("id", &store.id)]).await;
    assert_eq!(
        names(&run),
        [
            "namespace",
            "secrets",
            "database",
            "wait-database",
            "migrate",
            "application",
            "wait-wordpress",
            "post-provision/sample-data"
        ]
    );
    assert!(run.steps[7].log.contains("Job post-provision-sample-data-"));
    assert_eq!(state(&srv, &store.id).await, TenantState::Active);
    assert!(Api::<StatefulSet>::namespaced(kube.clone(), &ns)
        .get_opt("db")
        .await
        .unwrap()
        .is_some());
    assert!(Api::<Ingress>::namespaced(kube.clone(), &ns)
        .list(&Default::default())
        .await
        .unwrap()
        .items
        .iter()
        .any(|i| i.metadata.name.is_some()));
    // WordPress's own volume, claimed by the application step.
    assert!(
        Api::<k8s_openapi::api::core::v1::PersistentVolumeClaim>::namespaced(kube.clone(), &ns)
            .get_opt("wordpress-wp-content")
            .await
            .unwrap()
            .is_some()
    );
    assert_eq!(
        env_of(&kube, &ns, "wordpress", "STORE_TITLE")
            .await
            .as_deref(),
        Some("Acme Mugs")
    );
    assert_eq!(
        env_of(&kube, &ns, "wordpress", "STORE_CURRENCY")
            .await
            .as_deref(),
        Some("EUR"),
        "a field without a value reads its default"
    );

    // The school system: its post-provisioning steps, once.
    let school: TenantDto = json(
        create(
            &srv,
            &op,
            "school-basic",
            &[("form[custom_fields][organisation_number]", "212000-1234")],
        )
        .await,
        "create_tenant",
    )
    .await;
    let ns = school.namespace.clone();
    let _school = FakeKubelet::start(kube.clone(), &ns, happy);
    let run = run_op(&srv, &op, "provision_tenant", &[("id", &school.id)]).await;
    let once = [
        "post-provision/create-admin",
        "post-provision/configure",
        "post-provision/initial-data",
    ];
    assert_eq!(names(&run)[names(&run).len() - 3..], once);
    assert!(
        !names(&run).contains(&"wait-analytics"),
        "the Basic plan lacks analytics: {:?}",
        names(&run)
    );
    assert_eq!(
        env_of(&kube, &ns, "api", "MAX_SCHOOLS").await.as_deref(),
        Some("10")
    );
    // Its tenant admin: named after the owner, the password generated
    // once, handed to create-admin by reference, and shown to staff once
    // with the other credentials.
    let create_admin = common::cluster::job_named(&kube, &ns, "post-provision-create-admin-").await;
    let env = create_admin
        .spec
        .as_ref()
        .and_then(|s| s.template.spec.as_ref())
        .and_then(|p| p.containers[0].env.clone())
        .unwrap_or_default();
    let password = env.iter().find(|e| e.name == "ADMIN_PASSWORD").unwrap();
    assert_eq!(password.value, None, "a reference, never the text");
    let key = password
        .value_from
        .as_ref()
        .and_then(|v| v.secret_key_ref.as_ref())
        .unwrap();
    assert_eq!(
        (key.name.as_str(), key.key.as_str()),
        ("tenant-admin", "password")
    );
    let shown: Vec<app::dto::Credential> = json(
        srv.call(&op, "reveal_credentials", &[("id", &school.id)])
            .await,
        "reveal",
    )
    .await;
    let named = |n: &str| {
        shown
            .iter()
            .find(|c| c.name == n)
            .map(|c| c.value.clone())
            .unwrap_or_default()
    };
    assert_eq!(
        named("tenant-admin/username"),
        "owner",
        "{:?}",
        shown.iter().map(|c| &c.name).collect::<Vec<_>>()
    );
    assert_eq!(named("tenant-admin/password").len(), 20);

    // A custom field changed: previewed with its new value, then applied
    // by an update that runs no post-provisioning step again.
    let preview: ChangePreview = json(
        srv.call(
            &op,
            "preview_tenant_change",
            &[("id", &school.id), ("form[custom_fields][locale]", "en")],
        )
        .await,
        "preview",
    )
    .await;
    assert!(
        preview.changes().any(|o| o.kind == "Deployment"
            && o.name == "api"
            && o.fields
                .iter()
                .any(|f| f.live.as_deref() == Some("sv") && f.desired.as_deref() == Some("en"))),
        "{:#?}",
        preview.objects
    );
    let update = run_op(
        &srv,
        &op,
        "change_tenant",
        &[("id", &school.id), ("form[custom_fields][locale]", "en")],
    )
    .await;
    assert!(
        !names(&update).iter().any(|n| n.contains('/')),
        "{:?}",
        names(&update)
    );
    assert_eq!(
        env_of(&kube, &ns, "api", "LOCALE").await.as_deref(),
        Some("en")
    );
    let t = srv.store.get_tenant(&school.id).await.unwrap();
    assert_eq!(
        t.custom_fields.get("locale").map(String::as_str),
        Some("en")
    );
    let mut done = srv.store.jobs_done(&school.id).await.unwrap();
    done.sort();
    let mut want = once;
    want.sort();
    assert_eq!(done, want, "each once");
    srv.stop().await;
}

/// The routes of a console started with `--route-api gateway`: an
/// HTTPRoute on the configured Gateway (on this 1.20 control plane, from
/// the CRD `.ci/test` installs from Gateway API's published facts), no
/// Ingress, and the Gateway's namespace let through the NetworkPolicy;
/// the same tenant under a console routing by Ingress gets its Ingress
/// back and loses the HTTPRoute at its next update.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_console_on_gateway_api_routes_tenants_by_httproute() {
    use k8s_openapi::api::networking::v1::NetworkPolicy;
    use kube::api::{ApiResource, DynamicObject, GroupVersionKind};
    let Some(cluster) = test_cluster().await else {
        return;
    };
    let version = cluster.caps.httproute.clone().unwrap_or_else(|| {
        panic!(
            "the test control plane serves no HTTPRoute: apply \
             end2end/cluster/crds/httproute.yaml (.ci/test does)"
        )
    });
    let kube = cluster.client.clone();
    let db = TestDb::sqlite();
    let mut options = common::TestOptions::default().engine(cluster, fast());
    options.settings.route_api = server::manifests::RouteApi::Gateway;
    options.settings.gateway = Some(("gateways".into(), "public".into()));
    let srv = options.start(&db.url).await;
    let op = srv.signed_in("operator").await;
    let id = new_tenant(&srv, &op, "free", "gw").await;
    let ns = format!("tenant-{id}");
    let _kubelet = FakeKubelet::start(kube.clone(), &ns, happy);
    run_op(&srv, &op, "provision_tenant", &[("id", &id)]).await;
    assert_eq!(state(&srv, &id).await, TenantState::Active);

    let (group, v) = version.split_once('/').unwrap();
    let ar = ApiResource::from_gvk_with_plural(
        &GroupVersionKind::gvk(group, v, "HTTPRoute"),
        "httproutes",
    );
    let routes: Api<DynamicObject> = Api::namespaced_with(kube.clone(), &ns, &ar);
    let route = routes.get("tenant").await.expect("the tenant's HTTPRoute");
    let spec = &route.data["spec"];
    assert_eq!(spec["parentRefs"][0]["name"], "public");
    assert_eq!(spec["parentRefs"][0]["namespace"], "gateways");
    assert_eq!(
        spec["hostnames"][0],
        format!(
            "{id}.{}",
            server::manifests::RenderSettings::default().base_domain
        )
    );
    assert!(
        spec["rules"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["backendRefs"][0]["name"] == "api"
                && r["matches"][0]["path"]["value"] == "/api"),
        "{spec}"
    );
    let ingresses: Api<Ingress> = Api::namespaced(kube.clone(), &ns);
    assert!(ingresses.get_opt("tenant").await.unwrap().is_none());
    let policy = Api::<NetworkPolicy>::namespaced(kube.clone(), &ns)
        .get("tenant-isolation")
        .await
        .unwrap();
    let from = serde_json::to_string(&policy.spec.unwrap().ingress).unwrap();
    assert!(from.contains("\"gateways\""), "{from}");
    srv.stop().await;

    // The same tenant under a console routing by Ingress.
    let Some(cluster) = test_cluster().await else {
        return;
    };
    let srv = TestServer::start_engine(&db.url, cluster, fast()).await;
    let op = srv.signed_in("operator").await;
    run_op(
        &srv,
        &op,
        "change_tenant",
        &[("id", &id), ("form[api_replicas]", "2")],
    )
    .await;
    assert!(ingresses.get_opt("tenant").await.unwrap().is_some());
    assert!(routes.get_opt("tenant").await.unwrap().is_none());
    srv.stop().await;
}
