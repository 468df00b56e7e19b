//! Which optional kinds the cluster serves, so rendering uses or skips them
//! (CloudNativePG, HPA v2 or v2beta2, cert-manager, CronJob v1 or v1beta1,
//! Gateway API's HTTPRoute v1 or v1beta1, Envoy Gateway's policies) on old and new clusters
//! alike.

use crate::error::Result;
use crate::manifests::Capabilities;

pub async fn discover(client: &kube::Client) -> Result<Capabilities> {
    let groups = client.list_api_groups().await?;
    let serves = |group: &str, version: &str| {
        groups
            .groups
            .iter()
            .any(|g| g.name == group && g.versions.iter().any(|v| v.version == version))
    };
    let hpa = ["v2", "v2beta2"]
        .into_iter()
        .find(|v| serves("autoscaling", v))
        .map(|v| format!("autoscaling/{v}"));
    // `batch/v1` exists on every cluster (Jobs); whether it holds CronJobs
    // is a question for its resource list.
    let mut cronjob = None;
    for version in ["batch/v1", "batch/v1beta1"] {
        if let Ok(list) = client.list_api_group_resources(version).await {
            if list.resources.iter().any(|r| r.name == "cronjobs") {
                cronjob = Some(version.to_string());
                break;
            }
        }
    }
    let httproute = ["v1", "v1beta1"]
        .into_iter()
        .find(|v| serves("gateway.networking.k8s.io", v))
        .map(|v| format!("gateway.networking.k8s.io/{v}"));
    Ok(Capabilities {
        cnpg: serves("postgresql.cnpg.io", "v1"),
        hpa,
        cert_manager: serves("cert-manager.io", "v1"),
        cronjob,
        httproute,
        envoy_policy: serves("gateway.envoyproxy.io", "v1alpha1"),
    })
}
