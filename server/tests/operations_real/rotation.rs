//! Rotating a tenant's generated Secrets on the real control plane: the
//! tenant admin's password made anew by a run that rolls the pods (their
//! template carries the rotation) and runs the admin job again as a Job of
//! its own; the new password shown once, and nothing else shown again; the
//! database's credentials and unknown names refused before anything is
//! written; no password in the process's log.

use super::*;
use common::ops::application_with_plan;
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::Secret;

const ROTATED: &str = r#"
database:
  kind: postgres
  image: postgres:16
  name: rotated
components:
  - name: api
    image: rotated:1.0
    ports: [{ name: http, container_port: 8080 }]
    env:
      - { name: JWT_SECRET, value: "${secret.jwt.secret}" }
    route: { path: / }
secrets:
  - name: jwt
    keys: [{ key: secret, length: 32 }]
jobs:
  - name: create-admin
    phase: post-provision
    image: rotated:1.0
    env:
      - { name: ADMIN_USERNAME, value: "${admin.username}" }
      - { name: ADMIN_PASSWORD, value: "${admin.password}" }
  - { name: seed, phase: post-provision, image: "rotated:1.0" }
contract:
  admin: true
"#;

async fn secret_value(kube: &kube::Client, ns: &str, name: &str, key: &str) -> String {
    let s = Api::<Secret>::namespaced(kube.clone(), ns)
        .get(name)
        .await
        .unwrap();
    let data = s.data.unwrap_or_default();
    String::from_utf8_lossy(&data[key].0).into_owned()
}

async fn jobs(kube: &kube::Client, ns: &str) -> Vec<String> {
    let mut names: Vec<String> = Api::<Job>::namespaced(kube.clone(), ns)
        .list(&Default::default())
        .await
        .unwrap()
        .items
        .into_iter()
        .filter_map(|j| j.metadata.name)
        .filter(|n| n.starts_with("post-provision-"))
        .collect();
    names.sort();
    names
}

async fn rotated_at(kube: &kube::Client, ns: &str) -> Option<String> {
    Api::<Deployment>::namespaced(kube.clone(), ns)
        .get("api")
        .await
        .unwrap()
        .spec?
        .template
        .metadata?
        .annotations?
        .get("tenantry.io/secrets-rotated")
        .cloned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tenant_admin_is_rotated_by_a_run_and_its_new_password_shown_once() {
    let logs = common::capture_logs();
    let Some(cluster) = test_cluster().await else {
        return;
    };
    let kube = cluster.client.clone();
    let db = TestDb::sqlite();
    let srv = TestServer::start_engine(&db.url, cluster, fast()).await;
    let op = srv.signed_in("operator").await;
    let viewer = srv.signed_in("viewer").await;

    application_with_plan(
        &srv,
        ("rotated", "Rotated"),
        ROTATED,
        ("free", |_: &mut _| {}),
    )
    .await;
    let id = new_tenant(&srv, &op, "rotated-plan", "rotated").await;
    let ns = format!("tenant-{id}");
    let _kubelet = FakeKubelet::start(kube.clone(), &ns, happy);
    run_op(&srv, &op, "provision_tenant", &[("id", &id)]).await;
    let first_jobs = jobs(&kube, &ns).await;
    assert_eq!(first_jobs.len(), 2, "{first_jobs:?}");
    assert_eq!(rotated_at(&kube, &ns).await, None);

    let shown: Vec<app::dto::Credential> = json(
        srv.call(&op, "reveal_credentials", &[("id", &id)]).await,
        "reveal",
    )
    .await;
    let value = |list: &[app::dto::Credential], name: &str| {
        list.iter()
            .find(|c| c.name == name)
            .map(|c| c.value.clone())
    };
    let old_password = value(&shown, "tenant-admin/password").expect("the admin's password");
    let jwt = value(&shown, "jwt/secret").expect("the release's secret");

    // What rotates, for the page; refusals before anything is written.
    let names: Vec<String> = json(
        srv.call(&viewer, "rotatable_secrets", &[("id", &id)]).await,
        "rotatable",
    )
    .await;
    assert_eq!(names, vec!["jwt", "tenant-admin"]);
    for (who, name, status, says) in [
        (&op, "db-credentials", 422, "lock the application out"),
        (&op, "nope", 422, "generates no Secret"),
        (&viewer, "tenant-admin", 403, ""),
    ] {
        let res = srv
            .call(
                who,
                "rotate_secrets",
                &[("id", id.as_str()), ("form[secrets][0]", name)],
            )
            .await;
        assert_eq!(res.status(), status, "{name}");
        let text = res.text().await.unwrap();
        assert!(text.contains(says), "{text}");
        if status == 422 {
            assert!(text.contains("secrets"), "the field is named: {text}");
        }
    }
    let none = srv
        .call(&op, "rotate_secrets", &[("id", id.as_str())])
        .await;
    assert_eq!(none.status(), 422);
    let t = srv.store.get_tenant(&id).await.unwrap();
    assert_eq!(t.secrets_rotated_at, None, "nothing written by a refusal");
    let runs = app::dto::RunQuery {
        tenant: id.clone(),
        ..Default::default()
    };
    assert_eq!(srv.store.list_runs(&runs).await.unwrap().total, 1);

    // The rotation: a run of its own; the pods roll, the admin job runs
    // again (the seed job, which reads no rotated secret, does not).
    let run = run_op(
        &srv,
        &op,
        "rotate_secrets",
        &[("id", id.as_str()), ("form[secrets][0]", "tenant-admin")],
    )
    .await;
    assert_eq!(run.operation, app::dto::Operation::Rotate);
    let steps: Vec<&str> = run.steps.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        steps,
        vec![
            "rotate-secrets",
            "application",
            "wait-api",
            "post-provision/create-admin"
        ]
    );
    let new_password = secret_value(&kube, &ns, "tenant-admin", "password").await;
    assert_ne!(new_password, old_password);
    assert_eq!(new_password.len(), old_password.len());
    assert_eq!(
        secret_value(&kube, &ns, "tenant-admin", "username").await,
        "owner"
    );
    assert_eq!(secret_value(&kube, &ns, "jwt", "secret").await, jwt, "kept");
    let stamp = srv.store.get_tenant(&id).await.unwrap().secrets_rotated_at;
    assert_eq!(
        rotated_at(&kube, &ns).await,
        stamp.map(|s| s.to_string()),
        "the pods roll onto the new values"
    );
    let again = jobs(&kube, &ns).await;
    assert_eq!(again.len(), 3, "{again:?}");
    let new_job = again
        .iter()
        .find(|j| !first_jobs.contains(j))
        .expect("a Job of the rotation's own");
    assert!(
        new_job.starts_with("post-provision-create-admin-") && new_job.len() <= 63,
        "{new_job}"
    );

    // The new values are shown once; nothing that was not rotated.
    let t: TenantDto = json(srv.call(&op, "get_tenant", &[("id", &id)]).await, "t").await;
    assert_eq!(t.credentials_rotated, vec!["tenant-admin"]);
    let rotated: Vec<app::dto::Credential> = json(
        srv.call(&op, "reveal_credentials", &[("id", &id)]).await,
        "reveal rotated",
    )
    .await;
    let mut names: Vec<&str> = rotated.iter().map(|c| c.name.as_str()).collect();
    names.sort();
    assert_eq!(
        names,
        vec!["tenant-admin/password", "tenant-admin/username"]
    );
    assert_eq!(
        value(&rotated, "tenant-admin/password").as_deref(),
        Some(new_password.as_str())
    );
    let twice = srv.call(&op, "reveal_credentials", &[("id", &id)]).await;
    assert_eq!(twice.status(), 409);

    // The API rotates the release's own secret the same way.
    let res = op
        .post(srv.url(&format!("/api/v1/tenants/{id}/secret-rotation")))
        .json(&serde_json::json!({ "secrets": ["jwt"] }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 202);
    let started: RunDto = res.json().await.unwrap();
    let done = wait_run(&srv.store, started.id, Duration::from_secs(120)).await;
    assert_eq!(done.state, RunState::Completed, "{:#?}", done.steps);
    assert!(done
        .steps
        .iter()
        .all(|s| !s.name.starts_with("post-provision")));
    assert_ne!(secret_value(&kube, &ns, "jwt", "secret").await, jwt);

    let filter = server::store::AuditFilter {
        tenant: id.clone(),
        action: "tenant.credentials_shown".into(),
        ..Default::default()
    };
    let shown: Vec<String> = srv
        .store
        .search_audit(&filter, 1, 50)
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|e| e.detail)
        .collect();
    assert_eq!(shown.len(), 2, "{shown:?}");
    assert!(
        shown.contains(&"rotated: tenant-admin".to_string()),
        "{shown:?}"
    );
    // No password or secret in anything the process logged.
    let text = String::from_utf8_lossy(&logs.lock().unwrap()).into_owned();
    assert!(text.contains("rotate"), "the log was captured");
    for secret in [&old_password, &new_password, &jwt] {
        assert!(!text.contains(secret.as_str()), "a secret in the log");
    }
}
