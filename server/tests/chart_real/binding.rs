//! The console's RoleBinding in a tenant namespace, looked at as admin.

use std::time::{Duration, Instant};

use k8s_openapi::api::rbac::v1::RoleBinding;
use kube::api::{Api, DeleteParams, Patch, PatchParams};

/// The console's binding in `ns`, once it is there (waiting up to `wait`).
pub async fn binding_in(admin: &kube::Client, ns: &str, wait: Duration) -> Option<RoleBinding> {
    let api: Api<RoleBinding> = Api::namespaced(admin.clone(), ns);
    let start = Instant::now();
    loop {
        if let Some(b) = api.get_opt("tenantry").await.unwrap() {
            return Some(b);
        }
        if start.elapsed() > wait {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Removes it, as if the tenant were made before the console bound itself.
pub async fn unbind(admin: &kube::Client, ns: &str) {
    let api: Api<RoleBinding> = Api::namespaced(admin.clone(), ns);
    api.patch(
        "tenantry",
        &PatchParams::default(),
        &Patch::Merge(serde_json::json!({ "metadata": { "finalizers": null } })),
    )
    .await
    .unwrap();
    api.delete("tenantry", &DeleteParams::default())
        .await
        .unwrap();
    assert!(binding_gone(&api).await, "the binding in {ns} stayed");
}

async fn binding_gone(api: &Api<RoleBinding>) -> bool {
    for _ in 0..50 {
        if api.get_opt("tenantry").await.unwrap().is_none() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}
