//! What every tenant pod runs with: the Pod Security Standards' `restricted`
//! level (non-root, no privilege escalation, every capability dropped, the
//! runtime's default seccomp profile, no service account token), and the
//! pure check of those rules that the tests hold every rendered pod to.
//! Kubernetes 1.20 does not enforce Pod Security (admission arrived in
//! 1.23, stable in 1.25); the namespace's labels ask current clusters to.

use app::dto::PodSecurity;
use serde_json::{json, Value};

/// The level the tenant namespaces enforce unless their release declares
/// another.
pub const POD_SECURITY_LEVEL: &str = "restricted";

/// The user the application's, migration's and backup's containers run as.
pub const APP_UID: i64 = 10_001;
/// The `postgres` user of the official PostgreSQL image.
pub const POSTGRES_UID: i64 = 999;

/// Labels that make a current cluster enforce (and warn and audit on) the
/// level in a tenant namespace.
pub(super) fn namespace_labels(level: PodSecurity) -> [(&'static str, &'static str); 3] {
    let level = level.as_str();
    [
        ("pod-security.kubernetes.io/enforce", level),
        ("pod-security.kubernetes.io/warn", level),
        ("pod-security.kubernetes.io/audit", level),
    ]
}

/// `spec` made to meet `level` as `uid`: the restricted context, except
/// that a baseline release may run as root (with the runtime's default
/// capabilities, which baseline allows).
pub(super) fn pod_security(spec: Value, uid: i64, level: PodSecurity) -> Value {
    let mut spec = restricted(spec, uid);
    if level == PodSecurity::Baseline && uid == 0 {
        spec["securityContext"]["runAsNonRoot"] = json!(false);
        if let Some(containers) = spec["containers"].as_array_mut() {
            for c in containers {
                c["securityContext"] = json!({ "allowPrivilegeEscalation": false });
            }
        }
    }
    spec
}

/// `spec` (a pod spec) made to run as `uid` under the restricted level:
/// the pod's and every container's security context, and no token.
pub(super) fn restricted(mut spec: Value, uid: i64) -> Value {
    spec["automountServiceAccountToken"] = json!(false);
    spec["securityContext"] = json!({
        "runAsNonRoot": true,
        "runAsUser": uid,
        "runAsGroup": uid,
        "fsGroup": uid,
        "seccompProfile": { "type": "RuntimeDefault" },
    });
    if let Some(containers) = spec["containers"].as_array_mut() {
        for c in containers {
            c["securityContext"] = json!({
                "allowPrivilegeEscalation": false,
                "capabilities": { "drop": ["ALL"] },
            });
        }
    }
    spec
}

/// Volume kinds the restricted level allows.
const ALLOWED_VOLUMES: &[&str] = &[
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "persistentVolumeClaim",
    "projected",
    "secret",
];

/// How a pod spec breaks the restricted level (the Pod Security Standards,
/// as the `restricted` profile of current Kubernetes checks them); empty
/// when it meets it.
pub fn restricted_violations(spec: &Value) -> Vec<String> {
    let mut out = vec![];
    let pod = &spec["securityContext"];
    for host in ["hostNetwork", "hostPID", "hostIPC"] {
        if spec[host].as_bool() == Some(true) {
            out.push(format!("{host} is set"));
        }
    }
    for v in spec["volumes"].as_array().into_iter().flatten() {
        let kinds: Vec<&String> = v
            .as_object()
            .into_iter()
            .flat_map(|o| o.keys())
            .filter(|k| *k != "name")
            .collect();
        if let Some(bad) = kinds
            .iter()
            .find(|k| !ALLOWED_VOLUMES.contains(&k.as_str()))
        {
            out.push(format!("volume {} is of type {bad}", v["name"]));
        }
    }
    let pod_seccomp = pod["seccompProfile"]["type"].as_str();
    let containers = ["initContainers", "containers", "ephemeralContainers"]
        .iter()
        .flat_map(|k| spec[*k].as_array().into_iter().flatten());
    for c in containers {
        let name = c["name"].as_str().unwrap_or("?");
        let sc = &c["securityContext"];
        if sc["privileged"].as_bool() == Some(true) {
            out.push(format!("container {name} is privileged"));
        }
        if sc["allowPrivilegeEscalation"].as_bool() != Some(false) {
            out.push(format!(
                "container {name} does not set allowPrivilegeEscalation: false"
            ));
        }
        let non_root = sc["runAsNonRoot"]
            .as_bool()
            .or_else(|| pod["runAsNonRoot"].as_bool());
        if non_root != Some(true) {
            out.push(format!("container {name} may run as root (runAsNonRoot)"));
        }
        let uid = sc["runAsUser"]
            .as_i64()
            .or_else(|| pod["runAsUser"].as_i64());
        if uid == Some(0) {
            out.push(format!("container {name} runs as user 0"));
        }
        let seccomp = sc["seccompProfile"]["type"].as_str().or(pod_seccomp);
        if !matches!(seccomp, Some("RuntimeDefault" | "Localhost")) {
            out.push(format!(
                "container {name} has no RuntimeDefault or Localhost seccomp profile"
            ));
        }
        let caps = &sc["capabilities"];
        let drops_all = caps["drop"]
            .as_array()
            .is_some_and(|d| d.iter().any(|c| c == "ALL"));
        if !drops_all {
            out.push(format!("container {name} does not drop ALL capabilities"));
        }
        for added in caps["add"].as_array().into_iter().flatten() {
            if added != "NET_BIND_SERVICE" {
                out.push(format!("container {name} adds capability {added}"));
            }
        }
        for port in c["ports"].as_array().into_iter().flatten() {
            if port["hostPort"].as_i64().is_some_and(|p| p != 0) {
                out.push(format!("container {name} uses a host port"));
            }
        }
    }
    out
}

/// Every pod spec in an object: a Deployment's, StatefulSet's or Job's
/// template, and a CronJob's job template.
pub fn pod_specs(body: &Value) -> Vec<&Value> {
    [
        &body["spec"]["template"]["spec"],
        &body["spec"]["jobTemplate"]["spec"]["template"]["spec"],
    ]
    .into_iter()
    .filter(|s| s.is_object())
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_check_finds_each_rule_broken_and_passes_a_hardened_pod() {
        let bare = json!({ "containers": [{ "name": "app", "image": "x" }] });
        let found = restricted_violations(&bare);
        for rule in ["allowPrivilegeEscalation", "runAsNonRoot", "seccomp", "ALL"] {
            assert!(found.iter().any(|f| f.contains(rule)), "{rule}: {found:?}");
        }
        let hardened = restricted(bare, APP_UID);
        assert_eq!(restricted_violations(&hardened), Vec::<String>::new());
        assert_eq!(hardened["automountServiceAccountToken"], json!(false));

        let mut root = hardened.clone();
        root["containers"][0]["securityContext"]["runAsUser"] = json!(0);
        root["containers"][0]["securityContext"]["capabilities"]["add"] = json!(["SYS_ADMIN"]);
        root["volumes"] = json!([{ "name": "h", "hostPath": { "path": "/" } }]);
        root["hostNetwork"] = json!(true);
        let found = restricted_violations(&root);
        for rule in ["user 0", "SYS_ADMIN", "hostPath", "hostNetwork"] {
            assert!(found.iter().any(|f| f.contains(rule)), "{rule}: {found:?}");
        }
    }
}
