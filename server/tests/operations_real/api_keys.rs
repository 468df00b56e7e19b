//! A tenant's API keys on the real control plane: issued with the other
//! credentials (each shown once), kept by Tenantry only as SHA-256
//! hashes, which the application reads from a Secret mounted in its pods;
//! a rotation keeps both hashes in the Secret for its overlap, and the
//! leader's loop, once the overlap is over, leaves only the new one.

use super::*;
use common::ops::application_with_plan;
use k8s_openapi::api::core::v1::Secret;
use sha2::{Digest, Sha256};

const KEYED: &str = r#"
components:
  - name: api
    image: keyed:1.0
    ports: [{ name: http, container_port: 8080 }]
    route: { path: / }
jobs:
  - { name: setup, phase: post-provision, image: "keyed:1.0" }
contract:
  api_keys:
    names: [production, development]
    path: /etc/tenant-keys
"#;

fn sha256(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// The `tenant-api-keys` Secret's values, by key name.
async fn hashes_in_cluster(kube: &kube::Client, ns: &str) -> Vec<(String, String)> {
    let s = Api::<Secret>::namespaced(kube.clone(), ns)
        .get("tenant-api-keys")
        .await
        .expect("the API keys' Secret");
    s.data
        .unwrap_or_default()
        .into_iter()
        .map(|(k, v)| (k, String::from_utf8_lossy(&v.0).into_owned()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_keys_are_shown_once_kept_as_hashes_and_rotated_with_an_overlap() {
    let Some(cluster) = test_cluster().await else {
        return;
    };
    let kube = cluster.client.clone();
    let db = TestDb::sqlite();
    let srv = TestServer::start_engine(&db.url, cluster, fast()).await;
    let op = srv.signed_in("operator").await;
    let viewer = srv.signed_in("viewer").await;

    application_with_plan(&srv, ("keyed", "Keyed"), KEYED, ("free", |_: &mut _| {})).await;
    let id = new_tenant(&srv, &op, "keyed-plan", "keyed").await;
    let ns = format!("tenant-{id}");
    let _kubelet = FakeKubelet::start(kube.clone(), &ns, happy);

    // Before provisioning nothing can be issued.
    let early = srv
        .call(
            &op,
            "rotate_api_key",
            &[("id", id.as_str()), ("name", "production")],
        )
        .await;
    assert_eq!(early.status(), 409, "{}", early.text().await.unwrap());

    let run = run_op(&srv, &op, "provision_tenant", &[("id", &id)]).await;
    let secrets = run.steps.iter().find(|s| s.name == "secrets").unwrap();
    assert!(
        secrets.log.contains("tenant-api-keys applied"),
        "{}",
        secrets.log
    );

    // The pods find the hashes' files; none is issued yet: empty files.
    let d = Api::<Deployment>::namespaced(kube.clone(), &ns)
        .get("api")
        .await
        .unwrap();
    let pod = d.spec.unwrap().template.spec.unwrap();
    let mount = pod.containers[0]
        .volume_mounts
        .clone()
        .unwrap_or_default()
        .into_iter()
        .find(|m| m.name == "tenant-api-keys")
        .expect("the keys mounted");
    assert_eq!(mount.mount_path, "/etc/tenant-keys");
    assert_eq!(
        hashes_in_cluster(&kube, &ns).await,
        vec![
            ("development".to_string(), String::new()),
            ("production".to_string(), String::new())
        ]
    );
    let listed: Vec<app::dto::ApiKeyDto> = json(
        srv.call(&viewer, "tenant_api_keys", &[("id", &id)]).await,
        "keys",
    )
    .await;
    assert_eq!(
        listed
            .iter()
            .map(|k| (k.name.as_str(), k.issued_at))
            .collect::<Vec<_>>(),
        vec![("production", None), ("development", None)]
    );

    // Showing the credentials issues both keys: shown this once.
    let shown: Vec<app::dto::Credential> = json(
        srv.call(&op, "reveal_credentials", &[("id", &id)]).await,
        "reveal",
    )
    .await;
    let key = |name: &str| {
        shown
            .iter()
            .find(|c| c.name == format!("api-key/{name}"))
            .map(|c| c.value.clone())
            .unwrap_or_else(|| {
                panic!(
                    "api-key/{name} in {:?}",
                    shown.iter().map(|c| &c.name).collect::<Vec<_>>()
                )
            })
    };
    let (production, development) = (key("production"), key("development"));
    assert!(
        production.starts_with("production_") && production.len() == 51,
        "{production}"
    );
    assert_ne!(production, development);
    let again = srv.call(&op, "reveal_credentials", &[("id", &id)]).await;
    assert_eq!(again.status(), 409);

    // Tenantry keeps the hashes only; the application gets the same.
    let stored = srv.store.api_key_hashes(&id).await.unwrap();
    assert_eq!(
        stored
            .iter()
            .map(|k| (k.name.as_str(), k.hashes.clone()))
            .collect::<Vec<_>>(),
        vec![
            ("development", vec![sha256(&development)]),
            ("production", vec![sha256(&production)])
        ]
    );
    // Nowhere in the database's files (with its write-ahead log): not the
    // keys, only their hashes.
    let path = db.url.trim_start_matches("sqlite://");
    let mut file = std::fs::read(path).unwrap();
    file.extend(std::fs::read(format!("{path}-wal")).unwrap_or_default());
    let holds = |text: &str| file.windows(text.len()).any(|w| w == text.as_bytes());
    assert!(!holds(&production) && !holds(&development));
    assert!(holds(&sha256(&production)));
    let in_cluster = hashes_in_cluster(&kube, &ns).await;
    assert_eq!(
        in_cluster,
        vec![
            (
                "development".to_string(),
                format!("{}\n", sha256(&development))
            ),
            (
                "production".to_string(),
                format!("{}\n", sha256(&production))
            )
        ]
    );

    // Rotation: a bad overlap is refused on its field; a viewer may not.
    let bad = srv
        .call(
            &op,
            "rotate_api_key",
            &[
                ("id", id.as_str()),
                ("name", "production"),
                ("form[overlap_hours]", "800"),
            ],
        )
        .await;
    assert_eq!(bad.status(), 422);
    assert!(bad.text().await.unwrap().contains("overlap_hours"));
    let nameless = srv
        .call(
            &op,
            "rotate_api_key",
            &[("id", id.as_str()), ("name", "staging")],
        )
        .await;
    assert!(nameless
        .text()
        .await
        .unwrap()
        .contains("production, development"));
    let refused = srv
        .call(
            &viewer,
            "rotate_api_key",
            &[("id", id.as_str()), ("name", "production")],
        )
        .await;
    assert_eq!(refused.status(), 403);
    assert_eq!(srv.store.api_key_hashes(&id).await.unwrap(), stored);

    // A rotation with two hours' overlap: both hashes are accepted.
    let before = server::store::now_ms();
    let rotated: app::dto::IssuedApiKey = json(
        srv.call(
            &op,
            "rotate_api_key",
            &[
                ("id", id.as_str()),
                ("name", "production"),
                ("form[overlap_hours]", "2"),
            ],
        )
        .await,
        "rotate",
    )
    .await;
    assert_ne!(rotated.key, production);
    let until = rotated.previous_until.expect("an overlap");
    assert!((before + 2 * 3_600_000..=server::store::now_ms() + 2 * 3_600_000).contains(&until));
    let both = format!("{}\n{}\n", sha256(&rotated.key), sha256(&production));
    let in_cluster = hashes_in_cluster(&kube, &ns).await;
    assert_eq!(
        in_cluster[1],
        ("production".to_string(), both),
        "{in_cluster:?}"
    );
    assert_eq!(in_cluster[0].1, format!("{}\n", sha256(&development)));
    let listed: Vec<app::dto::ApiKeyDto> = json(
        srv.call(&viewer, "tenant_api_keys", &[("id", &id)]).await,
        "keys",
    )
    .await;
    assert_eq!(listed[0].previous_until, Some(until));

    // Not before its time: the leader's loop leaves the overlap alone.
    let engine = srv.console.engine_slot().get().expect("connected");
    let ended = server::provisioning::api_keys::end_overlaps(&srv.store, engine, until - 1)
        .await
        .unwrap();
    assert!(ended.is_empty());
    // Once it is over, only the new key's hash is left.
    let ended = server::provisioning::api_keys::end_overlaps(&srv.store, engine, until)
        .await
        .unwrap();
    assert_eq!(ended, vec![id.clone()]);
    let in_cluster = hashes_in_cluster(&kube, &ns).await;
    assert_eq!(in_cluster[1].1, format!("{}\n", sha256(&rotated.key)));
    let listed: Vec<app::dto::ApiKeyDto> = json(
        srv.call(&viewer, "tenant_api_keys", &[("id", &id)]).await,
        "keys",
    )
    .await;
    assert_eq!(listed[0].previous_until, None);

    // An update run writes the same hashes again (from the store).
    // (`run_op` holds that it completed.)
    run_op(
        &srv,
        &op,
        "change_tenant",
        &[("id", id.as_str()), ("form[api_replicas]", "2")],
    )
    .await;
    assert_eq!(hashes_in_cluster(&kube, &ns).await, in_cluster);

    // The audit trail names each issue and rotation, never a key.
    let filter = server::store::AuditFilter {
        tenant: id.clone(),
        action: "tenant.".into(),
        ..Default::default()
    };
    let mut events: Vec<(String, String)> = srv
        .store
        .search_audit(&filter, 1, 50)
        .await
        .unwrap()
        .items
        .into_iter()
        .filter(|e| e.action.starts_with("tenant.api_key"))
        .map(|e| (e.action, e.detail))
        .collect();
    events.reverse();
    let actions: Vec<&str> = events.iter().map(|(a, _)| a.as_str()).collect();
    assert_eq!(
        actions,
        [
            "tenant.api_key_issued",
            "tenant.api_key_issued",
            "tenant.api_key_rotated",
            "tenant.api_key_overlap_ended"
        ]
    );
    for (_, detail) in &events {
        for secret in [&production, &development, &rotated.key] {
            assert!(!detail.contains(secret.as_str()), "{detail}");
        }
    }
}
