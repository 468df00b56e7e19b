//! Tenants without a plan on the real control plane: an admin makes one of
//! an application (`template_id` `custom:<application>`), which runs its
//! newest release sized by the application's custom plan — made with the
//! first such tenant, shared by the next, never offered as a plan. An
//! operator may neither make one nor move a tenant onto it; previews store
//! nothing; the tenant and the audit trail say it was made without a plan.

use super::*;
use common::ops::application_with_plan;
use k8s_openapi::api::core::v1::ResourceQuota;

const PLAIN: &str = r#"
components:
  - name: api
    image: plain:1.0
    ports: [{ name: http, container_port: 8080 }]
    route: { path: / }
"#;

fn form<'a>(template: &'a str, id: &'a str) -> Vec<(&'static str, &'a str)> {
    vec![
        ("form[company_name]", "Custom Co"),
        ("form[owner_email]", "owner@example.com"),
        ("form[owner_name]", "Owner"),
        ("form[template_id]", template),
        ("form[tenant_id]", id),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_makes_a_tenant_without_a_plan_sized_by_its_applications_custom_plan() {
    let Some(cluster) = test_cluster().await else {
        return;
    };
    let kube = cluster.client.clone();
    let db = TestDb::sqlite();
    let srv = TestServer::start_engine(&db.url, cluster, fast()).await;
    let admin = srv.signed_in("admin").await;
    let op = srv.signed_in("operator").await;
    application_with_plan(&srv, ("plain", "Plain"), PLAIN, ("free", |_: &mut _| {})).await;
    let app = srv.store.get_application("plain").await.unwrap();

    // An operator may not, nor preview one; an unknown application is
    // named; a preview by an admin stores nothing.
    let first = common::cluster::unique_id("custom");
    let refused = srv
        .call(&op, "create_tenant", &form("custom:plain", &first))
        .await;
    assert_eq!(refused.status(), 403);
    let previewed = srv
        .call(&op, "preview_new_tenant", &form("custom:plain", &first))
        .await;
    assert_eq!(previewed.status(), 403);
    let unknown = srv
        .call(&admin, "create_tenant", &form("custom:nope", &first))
        .await;
    assert_eq!(unknown.status(), 422);
    let text = unknown.text().await.unwrap();
    assert!(
        text.contains("template_id") && text.contains("nope"),
        "{text}"
    );
    let preview: app::dto::ChangePreview = json(
        srv.call(&admin, "preview_new_tenant", &form("custom:plain", &first))
            .await,
        "preview",
    )
    .await;
    assert_eq!(preview.template_name, "Custom (no plan)");
    assert!(
        preview.yaml.contains("pods: '30'") || preview.yaml.contains("pods: \"30\""),
        "the custom sizing rendered: {}",
        preview.yaml
    );
    assert!(
        srv.store.custom_plan(app.id).await.unwrap().is_none(),
        "a preview stores nothing"
    );

    // The first custom tenant makes the application's custom plan.
    let mut provisioned = form("custom:plain", &first);
    provisioned.push(("form[provision]", "true"));
    let made: TenantDto = json(
        srv.call(&admin, "create_tenant", &provisioned).await,
        "create custom",
    )
    .await;
    let ns = made.namespace.clone();
    let _kubelet = FakeKubelet::start(kube.clone(), &ns, happy);
    let plan = srv.store.custom_plan(app.id).await.unwrap().expect("made");
    assert!(plan.custom);
    assert_eq!(plan.key, "custom-plain");
    assert_eq!(plan.spec, app::domain::custom_plan::custom_spec());
    assert!(made.custom_plan);
    assert_eq!(made.template_id, plan.id);
    assert_eq!(made.template_name, "Custom (no plan)");
    let runs = srv
        .store
        .list_runs(&app::dto::RunQuery {
            tenant: made.id.clone(),
            ..Default::default()
        })
        .await
        .unwrap();
    let done = wait_run(&srv.store, runs.items[0].id, Duration::from_secs(120)).await;
    assert_eq!(done.state, RunState::Completed, "{:#?}", done.steps);
    let quota = Api::<ResourceQuota>::namespaced(kube.clone(), &ns)
        .get("tenant-quota")
        .await
        .unwrap();
    let hard = quota.spec.unwrap().hard.unwrap();
    assert_eq!(hard["limits.cpu"].0, "4");
    assert_eq!(hard["pods"].0, "30");

    // A second shares it; it is listed as custom, never offered.
    let second = common::cluster::unique_id("custom");
    let again: TenantDto = json(
        srv.call(&admin, "create_tenant", &form("custom:plain", &second))
            .await,
        "second",
    )
    .await;
    assert_eq!(again.template_id, plan.id);
    let all = srv.store.list_templates().await.unwrap();
    let listed = all.iter().find(|t| t.id == plan.id).expect("listed");
    assert_eq!((listed.custom, listed.tenant_count), (true, 2));
    let choices = srv.store.template_choices().await.unwrap();
    assert!(choices.iter().all(|c| c.id != plan.id), "never offered");

    // Nobody moves a tenant onto it, and no plan takes its key.
    let planned = new_tenant(&srv, &op, "plain-plan", "planned").await;
    let moved = srv
        .call(
            &admin,
            "preview_tenant_change",
            &[
                ("id", planned.as_str()),
                ("form[template_id]", &plan.id.to_string()),
            ],
        )
        .await;
    assert_eq!(moved.status(), 422);
    let mut taken = app::dto::TemplateForm::from_template(&plan);
    taken.key = "custom-other".into();
    taken.name = "Other".into();
    taken.based_on_version = None;
    let pairs: Vec<(String, String)> = serde_json::to_value(&taken)
        .unwrap()
        .as_object()
        .unwrap()
        .iter()
        .filter_map(|(k, v)| Some((format!("form[{k}]"), v.as_str()?.to_string())))
        .collect();
    let res = srv
        .call(
            &admin,
            "create_template",
            &pairs
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect::<Vec<_>>(),
        )
        .await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("custom plans"));

    // The audit trail says so.
    let filter = server::store::AuditFilter {
        tenant: made.id.clone(),
        action: "tenant.create".into(),
        ..Default::default()
    };
    let created = srv.store.search_audit(&filter, 1, 10).await.unwrap().items;
    assert_eq!(created.len(), 1);
    assert!(
        created[0].detail.starts_with("custom (no plan)"),
        "{}",
        created[0].detail
    );
}
