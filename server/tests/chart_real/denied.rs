//! What the chart's ServiceAccount may not do on the real API server, with
//! its own token (the RBAC half of least privilege; the admission policy's
//! half is in `policy`).

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{ConfigMap, Namespace, Node, Pod, Secret};
use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding, RoleBinding};
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams, PostParams};
use serde_json::json;

fn denied<T: std::fmt::Debug>(r: Result<T, kube::Error>, what: &str) {
    match r {
        Err(kube::Error::Api(e)) if e.code == 403 => {}
        other => panic!("{what}: expected 403, got {other:?}"),
    }
}

fn obj<T: serde::de::DeserializeOwned>(v: serde_json::Value) -> T {
    serde_json::from_value(v).unwrap()
}

/// Each probe of the chart's ServiceAccount (`sa`, in `release_ns`) that
/// must get 403; objects to aim at are made as admin under `stem`.
pub async fn what_the_service_account_may_not_do(
    admin: &kube::Client,
    sa_kube: &kube::Client,
    (release_ns, sa, stem): (&str, &str, &str),
) {
    let pp = PostParams::default();
    let label = Patch::Merge(json!({ "metadata": { "labels": { "x": "y" } } }));
    // Made by the test as admin, in kube-system and a foreign namespace.
    let sys_cm: Api<ConfigMap> = Api::namespaced(admin.clone(), "kube-system");
    let cm_name = format!("{stem}-cm");
    sys_cm
        .create(&pp, &obj(json!({ "metadata": { "name": cm_name } })))
        .await
        .unwrap();
    let sys_secret: Api<Secret> = Api::namespaced(admin.clone(), "kube-system");
    let secret_name = format!("{stem}-secret");
    sys_secret
        .create(
            &pp,
            &obj(json!({ "metadata": { "name": secret_name }, "stringData": { "k": "v" } })),
        )
        .await
        .unwrap();
    let sys_pod: Api<Pod> = Api::namespaced(admin.clone(), "kube-system");
    let pod_name = format!("{stem}-pod");
    sys_pod
        .create(
            &pp,
            &obj(json!({ "metadata": { "name": pod_name },
                         "spec": { "containers": [{ "name": "c", "image": "busybox" }] } })),
        )
        .await
        .unwrap();
    let foreign = format!("{stem}-foreign");
    let namespaces: Api<Namespace> = Api::all(admin.clone());
    namespaces
        .create(
            &pp,
            &obj(json!({ "metadata": { "name": foreign, "labels": { "team": "payments" } } })),
        )
        .await
        .unwrap();

    let as_sa_secrets: Api<Secret> = Api::namespaced(sa_kube.clone(), "kube-system");
    denied(
        as_sa_secrets
            .create(
                &pp,
                &obj(json!({
                    "metadata": { "name": format!("{stem}-token"),
                                  "annotations": { "kubernetes.io/service-account.name": "default" } },
                    "type": "kubernetes.io/service-account-token"
                })),
            )
            .await,
        "create a service-account-token Secret in kube-system",
    );
    denied(
        as_sa_secrets.get(&secret_name).await,
        "read a Secret in kube-system",
    );
    denied(
        Api::<Secret>::all(sa_kube.clone())
            .list(&ListParams::default())
            .await,
        "list Secrets cluster-wide",
    );
    denied(
        Api::<Pod>::namespaced(sa_kube.clone(), "kube-system")
            .patch(&pod_name, &PatchParams::default(), &label)
            .await,
        "patch a pod in kube-system",
    );
    let as_sa_cm: Api<ConfigMap> = Api::namespaced(sa_kube.clone(), "kube-system");
    denied(
        as_sa_cm
            .patch(&cm_name, &PatchParams::default(), &label)
            .await,
        "patch a ConfigMap in kube-system",
    );
    denied(
        as_sa_cm.list(&ListParams::default()).await,
        "read ConfigMaps in kube-system",
    );
    denied(
        Api::<Deployment>::namespaced(sa_kube.clone(), "kube-system")
            .create(
                &pp,
                &obj(json!({
                    "metadata": { "name": format!("{stem}-deploy") },
                    "spec": { "selector": { "matchLabels": { "a": "b" } },
                              "template": { "metadata": { "labels": { "a": "b" } },
                                            "spec": { "containers": [{ "name": "c", "image": "busybox" }] } } }
                })),
            )
            .await,
        "create a Deployment in kube-system",
    );
    let as_sa_ns: Api<Namespace> = Api::all(sa_kube.clone());
    denied(
        as_sa_ns
            .patch(
                &foreign,
                &PatchParams::default(),
                &Patch::Merge(json!({ "metadata": { "labels": {
                    "app.kubernetes.io/managed-by": "tenantry", "tenantry.io/tenant": "x" } } })),
            )
            .await,
        "relabel a foreign namespace",
    );
    denied(
        as_sa_ns.delete(&foreign, &DeleteParams::default()).await,
        "delete a foreign namespace",
    );
    denied(
        Api::<ClusterRole>::all(sa_kube.clone())
            .create(
                &pp,
                &obj(json!({ "metadata": { "name": format!("{stem}-escalate") } })),
            )
            .await,
        "create a ClusterRole",
    );
    denied(
        Api::<ClusterRoleBinding>::all(sa_kube.clone())
            .create(
                &pp,
                &obj(json!({
                    "metadata": { "name": format!("{stem}-escalate") },
                    "roleRef": { "apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin" },
                    "subjects": [{ "kind": "ServiceAccount", "name": sa, "namespace": release_ns }]
                })),
            )
            .await,
        "create a ClusterRoleBinding",
    );
    let bind = |role: &str| -> RoleBinding {
        obj(json!({
            "metadata": { "name": format!("{stem}-{role}") },
            "roleRef": { "apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role },
            "subjects": [{ "kind": "ServiceAccount", "name": sa, "namespace": release_ns }]
        }))
    };
    let as_sa_bindings: Api<RoleBinding> = Api::namespaced(sa_kube.clone(), "kube-system");
    denied(
        as_sa_bindings.create(&pp, &bind("admin")).await,
        "bind admin in kube-system",
    );
    denied(
        Api::<Node>::all(sa_kube.clone())
            .patch("any-node", &PatchParams::default(), &label)
            .await,
        "patch a Node",
    );
    let exec = http::Request::post(format!(
        "/api/v1/namespaces/{release_ns}/pods/any/exec?command=sh&stdout=true"
    ))
    .body(vec![])
    .unwrap();
    denied(
        sa_kube.request::<serde_json::Value>(exec).await,
        "exec into a pod",
    );

    // What RBAC cannot close: binding the tenant role into kube-system
    // succeeds on 1.20, which serves no admission policy (the policy's CEL
    // refuses it: see `policy`). Removed at once.
    let tenant_role = format!("{release_ns}-tnt-tenantry-tenant");
    let made = as_sa_bindings.create(&pp, &bind(&tenant_role)).await;
    assert!(
        made.is_ok(),
        "binding the tenant role into kube-system: {made:?}"
    );
    let _ = Api::<RoleBinding>::namespaced(admin.clone(), "kube-system")
        .delete(&format!("{stem}-{tenant_role}"), &DeleteParams::default())
        .await;

    let dp = DeleteParams::default();
    let _ = sys_cm.delete(&cm_name, &dp).await;
    let _ = sys_secret.delete(&secret_name, &dp).await;
    let _ = sys_pod
        .delete(
            &pod_name,
            &DeleteParams {
                grace_period_seconds: Some(0),
                ..dp.clone()
            },
        )
        .await;
    let _ = namespaces.delete(&foreign, &dp).await;
}
