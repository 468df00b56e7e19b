#![allow(clippy::unwrap_used)] // test support: a panic is the failure report

//! The Helm CLI and the chart, for the chart's tests.

use std::path::PathBuf;
use std::process::Command;

use k8s_openapi::api::authentication::v1::TokenRequest;
use k8s_openapi::api::core::v1::ServiceAccount;
use kube::api::{Api, PostParams};

pub fn chart_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../charts/tenantry")
}

/// The Helm CLI `.ci/install` puts under ~/.cache/tenantry/bin (or
/// `TENANTRY_HELM`); `None` (skip) outside CI when it is missing.
pub fn helm() -> Option<PathBuf> {
    let path = std::env::var_os("TENANTRY_HELM")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/tenantry/bin/helm"))
        })?;
    if path.exists() {
        return Some(path);
    }
    assert!(
        std::env::var("CI").is_err(),
        "CI must install Helm ({}): see .ci/install",
        path.display()
    );
    eprintln!("no Helm CLI at {}: skipping a chart test", path.display());
    None
}

/// Runs helm; its stdout, or a panic with what it printed.
pub fn helm_out<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> String {
    let out = Command::new(helm().expect("helm"))
        .args(args)
        .output()
        .expect("helm runs");
    let shown: Vec<String> = args
        .iter()
        .map(|a| a.as_ref().to_string_lossy().into_owned())
        .collect();
    assert!(
        out.status.success(),
        "helm {}: {}{}",
        shown.join(" "),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("helm prints UTF-8")
}

/// The environment of the Deployment in a rendered manifest, as
/// (name, value); a variable taken from a Secret reads "<from a Secret>".
pub fn env_of_deployment(manifest: &str) -> Vec<(String, String)> {
    use serde::Deserialize;
    for doc in yaml_serde::Deserializer::from_str(manifest) {
        let Ok(v) = serde_json::Value::deserialize(doc) else {
            continue;
        };
        if v["kind"] != "Deployment" {
            continue;
        }
        return v["spec"]["template"]["spec"]["containers"][0]["env"]
            .as_array()
            .expect("the console's environment")
            .iter()
            .map(|e| {
                let value = match e["value"].as_str() {
                    Some(v) => v.to_string(),
                    None => "<from a Secret>".to_string(),
                };
                (e["name"].as_str().unwrap_or_default().to_string(), value)
            })
            .collect();
    }
    panic!("no Deployment in the manifest:\n{manifest}");
}

/// A kubeconfig for `namespace/account` (a token from the TokenRequest
/// API), on the cluster of `admin_kubeconfig`, written to a file.
pub async fn service_account_kubeconfig(
    admin: &kube::Client,
    admin_kubeconfig: &str,
    namespace: &str,
    account: &str,
) -> PathBuf {
    let accounts: Api<ServiceAccount> = Api::namespaced(admin.clone(), namespace);
    let request: TokenRequest = serde_json::from_value(serde_json::json!({
        "spec": { "audiences": [], "expirationSeconds": 3600 }
    }))
    .unwrap();
    let mut token = None;
    for _ in 0..50 {
        match accounts
            .create_subresource::<TokenRequest, TokenRequest>(
                "token",
                account,
                &PostParams::default(),
                &request,
            )
            .await
        {
            Ok(t) => {
                token = t.status.map(|s| s.token);
                break;
            }
            // The account may not exist yet.
            Err(_) => tokio::time::sleep(std::time::Duration::from_millis(200)).await,
        }
    }
    let token = token.expect("a token for the chart's ServiceAccount");
    let admin_config = kube::config::Kubeconfig::read_from(admin_kubeconfig).unwrap();
    let cluster = admin_config.clusters[0].cluster.clone().unwrap();
    let yaml = format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: {}\n    certificate-authority-data: {}\nusers:\n- name: u\n  user:\n    token: {token}\ncontexts:\n- name: x\n  context:\n    cluster: c\n    user: u\ncurrent-context: x\n",
        cluster.server.unwrap(),
        cluster.certificate_authority_data.unwrap()
    );
    let path = std::env::temp_dir().join(format!("tenantry-sa-{namespace}-{account}.kubeconfig"));
    std::fs::write(&path, yaml).unwrap();
    path
}
