//! A second application's whole life on the real control plane, through
//! the console's API: a plan pointing at it, provisioning with its own
//! components and jobs (post-provision once), a move to a newer release
//! previewed first (its migrations before the rollout, its new
//! post-provision job once, its post-upgrade job after), a job that fails
//! naming its container's message, and deprovisioning with its
//! pre-deprovision job.

use super::*;
use common::cluster::FAILED_MESSAGE;

const RELEASE_1: &str = r#"
database: { kind: postgres, image: "postgres:16", name: shop }
components:
  - name: shop
    image: shop:1.0
    ports: [{ name: http, container_port: 8080, service_port: 80 }]
    route: { path: / }
  - name: worker
    image: shop-worker:1.0
    replicas: 2
jobs:
  - { name: schema, phase: migrate, image: "shop:1.0" }
  - { name: admin, phase: post-provision, image: "shop:1.0" }
  - { name: farewell, phase: pre-deprovision, image: "shop:1.0" }
"#;

/// Release 1 without its worker, with a second migration, a
/// post-provision job added later, a post-upgrade job and (with `failing`)
/// one whose pod fails and a database Tenantry does not dump.
fn release(tag: &str, failing: bool) -> String {
    let notify = if failing {
        "  - { name: notify, phase: post-upgrade, image: \"shop:1.0\", backoff_limit: 0 }\n"
    } else {
        ""
    };
    format!(
        "{}  - {{ name: backfill, phase: migrate, image: \"shop:{tag}\" }}\n  \
         - {{ name: sample-data, phase: post-provision, image: \"shop:{tag}\" }}\n  \
         - {{ name: reindex, phase: post-upgrade, image: \"shop:{tag}\" }}\n{notify}",
        RELEASE_1
            .replace("shop:1.0", &format!("shop:{tag}"))
            .replace(
                "name: shop }",
                if failing {
                    "name: shop, backups: false }"
                } else {
                    "name: shop }"
                },
            )
            .replace(
                "  - name: worker\n    image: shop-worker:1.0\n    replicas: 2\n",
                ""
            )
    )
}

fn names(run: &RunDto) -> Vec<&str> {
    run.steps.iter().map(|s| s.name.as_str()).collect()
}

/// Jobs succeed, but `notify`'s pod fails; everything else becomes Ready.
fn shop_fate(p: &k8s_openapi::api::core::v1::Pod) -> PodFate {
    let job = p
        .metadata
        .labels
        .as_ref()
        .and_then(|l| l.get("job-name"))
        .cloned()
        .unwrap_or_default();
    match component(p) {
        _ if job.starts_with("post-upgrade-notify-") => PodFate::Failed,
        "migration" | "backup" | "job" => PodFate::Succeeded,
        _ => PodFate::Ready,
    }
}

async fn save_release(srv: &TestServer, app: i64, text: &str, based_on: i64) {
    let spec = server::applications::parse_release(text).unwrap();
    srv.store
        .create_release(app, (&spec, text, ""), Some(based_on), "test")
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_application_lives_its_whole_life() {
    let Some(cluster) = test_cluster().await else {
        return;
    };
    let kube = cluster.client.clone();
    let db = TestDb::sqlite();
    let srv = TestServer::start_engine(&db.url, cluster, fast()).await;
    let op = srv.signed_in("operator").await;

    // The application, with no release yet: a plan may point at it, but
    // no tenant is made on it until a release exists.
    let app = srv
        .store
        .create_application(("shop", "Shop", "A second application"), "test")
        .await
        .unwrap();
    let form = common::ops::plan_form(&srv, "professional", ("shop-plan", "shop")).await;
    let plan = srv
        .store
        .create_template(&form.validate().unwrap(), "test")
        .await
        .unwrap();
    assert_eq!(plan.application_key, "shop");
    let refused = srv
        .call(
            &op,
            "create_tenant",
            &[
                ("form[company_name]", "Too early"),
                ("form[owner_email]", "owner@example.com"),
                ("form[owner_name]", "Owner"),
                ("form[template_id]", &plan.id.to_string()),
            ],
        )
        .await;
    assert_eq!(refused.status(), 422);
    assert!(refused.text().await.unwrap().contains("has no release yet"));
    save_release(&srv, app.id, RELEASE_1, 0).await;

    // Provisioning: the release's components each waited for, then its
    // post-provision job, once the rollout is healthy.
    let id = new_tenant(&srv, &op, "shop-plan", "shop").await;
    let ns = format!("tenant-{id}");
    let _kubelet = FakeKubelet::start(kube.clone(), &ns, shop_fate);
    let first = run_op(&srv, &op, "provision_tenant", &[("id", &id)]).await;
    assert_eq!(
        names(&first),
        [
            "namespace",
            "secrets",
            "database",
            "wait-database",
            "migrate",
            "application",
            "wait-shop",
            "wait-worker",
            "post-provision/admin"
        ]
    );
    assert!(first.steps[8].log.contains("Job post-provision-admin-"));
    assert_eq!(state(&srv, &id).await, TenantState::Active);
    assert_eq!(replicas(&kube, &ns, "worker").await, 2);
    assert_eq!(
        srv.store.jobs_done(&id).await.unwrap(),
        ["post-provision/admin"]
    );

    // Release 2, previewed first: the new migration is a new Job.
    save_release(&srv, app.id, &release("2.0", false), 1).await;
    let preview: ChangePreview = json(
        srv.call(
            &op,
            "preview_tenant_change",
            &[("id", &id), ("form[release]", "2")],
        )
        .await,
        "preview",
    )
    .await;
    assert_eq!((preview.release_now, preview.release), (1, 2));
    assert!(preview
        .changes()
        .any(|o| o.kind == "Job" && o.name.starts_with("db-backfill-")));
    assert!(preview
        .changes()
        .any(|o| o.kind == "Deployment" && o.name == "shop"));
    assert!(
        preview.changes().any(|o| o.kind == "Deployment"
            && o.name == "worker"
            && o.action == app::dto::ChangeAction::Delete),
        "the dropped component is shown going"
    );
    let missing = srv
        .call(&op, "change_tenant", &[("id", &id), ("form[release]", "9")])
        .await;
    assert_eq!(missing.status(), 422);
    assert!(missing.text().await.unwrap().contains("no release 9"));

    // The move: migrations before the rollout, the post-provision job
    // release 2 added (not the one already run), then post-upgrade.
    let moved = run_op(
        &srv,
        &op,
        "change_tenant",
        &[("id", &id), ("form[release]", "2")],
    )
    .await;
    assert_eq!(
        names(&moved)[4..],
        [
            "migrate",
            "application",
            "wait-shop",
            "post-provision/sample-data",
            "post-upgrade/reindex"
        ]
    );
    assert!(
        moved.steps[5].log.contains("Deployment worker removed"),
        "{}",
        moved.steps[5].log
    );
    assert!(Api::<Deployment>::namespaced(kube.clone(), &ns)
        .get_opt("worker")
        .await
        .unwrap()
        .is_none());
    let migrate = &moved.steps[4];
    assert!(
        migrate.log.contains("db-schema-") && migrate.log.contains("db-backfill-"),
        "{}",
        migrate.log
    );
    let started: Vec<i64> = moved.steps.iter().filter_map(|s| s.started_at).collect();
    assert!(
        started.windows(2).all(|w| w[0] <= w[1]),
        "the timeline is in order"
    );
    assert_eq!(srv.store.get_tenant(&id).await.unwrap().release, 2);
    let image = Api::<Deployment>::namespaced(kube.clone(), &ns)
        .get("shop")
        .await
        .unwrap()
        .spec
        .and_then(|s| s.template.spec)
        .and_then(|s| s.containers.first().and_then(|c| c.image.clone()));
    assert!(
        image.as_deref().is_some_and(|i| i.ends_with("/shop:2.0")),
        "the mirror prefix before the release's image: {image:?}"
    );

    // An update on the same release runs no once-only or upgrade job.
    let same = run_op(
        &srv,
        &op,
        "change_tenant",
        &[("id", &id), ("form[api_replicas]", "3")],
    )
    .await;
    assert!(
        !names(&same).iter().any(|n| n.contains('/')),
        "{:?}",
        names(&same)
    );

    // Release 3's post-upgrade job fails: the step names what its
    // container said.
    save_release(&srv, app.id, &release("3.0", true), 2).await;
    let res = srv
        .call(&op, "change_tenant", &[("id", &id), ("form[release]", "3")])
        .await;
    let run: RunDto = json(res, "change_tenant").await;
    let failed = wait_run(&srv.store, run.id, Duration::from_secs(180)).await;
    assert_eq!(failed.state, RunState::Failed, "{:#?}", failed.steps);
    let step = failed
        .steps
        .iter()
        .find(|s| s.state == StepState::Failed)
        .unwrap();
    assert_eq!(step.name, "post-upgrade/notify");
    let why = step.last_error.clone().unwrap_or_default();
    assert!(why.contains(FAILED_MESSAGE), "{why}");

    // Its database is not dumped now: a deprovisioning that asks for a
    // backup is refused before anything is recorded, naming the option.
    let res = srv
        .call(
            &op,
            "deprovision_tenant",
            &[
                ("id", &id),
                ("form[confirm]", &id),
                ("form[backup]", "true"),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);
    let body = res.text().await.unwrap();
    assert!(
        body.contains("\"backup\"") && body.contains("out of Tenantry's dumps"),
        "{body}"
    );

    // Deprovisioning runs the application's last job while its database
    // still runs, then removes the namespace.
    let gone = run_op(
        &srv,
        &op,
        "deprovision_tenant",
        &[("id", &id), ("form[confirm]", &id)],
    )
    .await;
    assert_eq!(
        names(&gone),
        [
            "suspend-workloads",
            "pre-deprovision/farewell",
            "delete-namespace"
        ]
    );
    assert!(gone.steps[1].log.contains("Job pre-deprovision-farewell-"));
    assert_eq!(state(&srv, &id).await, TenantState::Deprovisioned);
    srv.stop().await;
}
