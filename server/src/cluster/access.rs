//! The console's rights inside a tenant's namespace. Cluster-wide, the
//! chart grants the console only: create namespaces, read and watch the
//! kinds it labels, create RoleBindings, and `bind` one ClusterRole (the
//! tenant role). Everything it writes inside a namespace (and the
//! Namespace object itself, which RBAC authorizes in its own namespace) it
//! may write only through a RoleBinding of that role it creates right after
//! the namespace, so RBAC alone refuses it every namespace it did not make.
//!
//! The binding carries a finalizer: when the namespace is deleted, its
//! contents go but the binding stays, so a forced teardown can still strip
//! the finalizers of Tenantry's objects; the binding is let go last, once
//! nothing but it holds the namespace.

use std::time::Duration;

use k8s_openapi::api::authorization::v1::{
    ResourceAttributes, SelfSubjectAccessReview, SelfSubjectAccessReviewSpec,
};
use k8s_openapi::api::core::v1::Namespace;
use k8s_openapi::api::rbac::v1::{RoleBinding, RoleRef, Subject};
use kube::api::{Api, ObjectMeta, Patch, PatchParams, PostParams};

use crate::error::{describe_kube_error, Result, ServerError};
use crate::manifests::{MANAGED_BY, TENANT_LABEL};

/// The RoleBinding in each tenant namespace.
pub const ACCESS_BINDING: &str = "tenantry";
/// Keeps the binding (and so the console's rights) until Tenantry lets it go.
pub const ACCESS_FINALIZER: &str = "tenantry.io/teardown";

/// Who the console is and which ClusterRole it binds in its namespaces.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TenantAccess {
    /// The ClusterRole bound in each tenant namespace.
    pub role: String,
    /// The console's ServiceAccount: namespace and name.
    pub service_account: (String, String),
}

impl TenantAccess {
    /// `namespace/name` of a ServiceAccount, and the role to bind.
    pub fn parse(service_account: &str, role: &str) -> std::result::Result<Self, String> {
        let (ns, name) = service_account.split_once('/').ok_or_else(|| {
            format!("--service-account \"{service_account}\" must be <namespace>/<name>")
        })?;
        let dns = |s: &str| {
            !s.is_empty()
                && s.len() <= 253
                && s.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.')
        };
        if !dns(ns) || !dns(name) || !dns(role) {
            return Err(format!(
                "--service-account \"{service_account}\" and --tenant-role \"{role}\" must be \
                 lower-case DNS names"
            ));
        }
        Ok(TenantAccess {
            role: role.into(),
            service_account: (ns.into(), name.into()),
        })
    }

    /// The RoleBinding that gives the console its rights in `ns`.
    pub fn binding(&self, ns: &str, tenant: &str) -> RoleBinding {
        RoleBinding {
            metadata: ObjectMeta {
                name: Some(ACCESS_BINDING.into()),
                namespace: Some(ns.into()),
                labels: Some(
                    [
                        (MANAGED_BY.0.to_string(), MANAGED_BY.1.to_string()),
                        (TENANT_LABEL.to_string(), tenant.to_string()),
                    ]
                    .into(),
                ),
                finalizers: Some(vec![ACCESS_FINALIZER.into()]),
                ..Default::default()
            },
            role_ref: RoleRef {
                api_group: "rbac.authorization.k8s.io".into(),
                kind: "ClusterRole".into(),
                name: self.role.clone(),
            },
            subjects: Some(vec![Subject {
                kind: "ServiceAccount".into(),
                name: self.service_account.1.clone(),
                namespace: Some(self.service_account.0.clone()),
                ..Default::default()
            }]),
        }
    }
}

/// Whether the console may patch the Namespace `ns` (which only its
/// binding there allows).
async fn can_write(client: &kube::Client, ns: &str) -> Result<bool> {
    let review = SelfSubjectAccessReview {
        spec: SelfSubjectAccessReviewSpec {
            resource_attributes: Some(ResourceAttributes {
                namespace: Some(ns.into()),
                name: Some(ns.into()),
                resource: Some("namespaces".into()),
                verb: Some("patch".into()),
                ..Default::default()
            }),
            ..Default::default()
        },
        ..Default::default()
    };
    let answer = Api::<SelfSubjectAccessReview>::all(client.clone())
        .create(&PostParams::default(), &review)
        .await
        .map_err(|e| ServerError::kube_on("SelfSubjectAccessReview", e))?;
    Ok(answer.status.is_some_and(|s| s.allowed))
}

/// Creates the console's RoleBinding in the tenant namespace `ns` (kept if
/// it is there) and waits until the authorizer honours it.
pub async fn grant(
    client: &kube::Client,
    access: &TenantAccess,
    (ns, tenant): (&str, &str),
) -> Result<()> {
    let params = PostParams {
        field_manager: Some(super::FIELD_MANAGER.into()),
        ..Default::default()
    };
    match Api::<RoleBinding>::namespaced(client.clone(), ns)
        .create(&params, &access.binding(ns, tenant))
        .await
    {
        Ok(_) => {}
        Err(kube::Error::Api(e)) if e.code == 409 => {}
        Err(e) => {
            return Err(ServerError::kube_on(
                &format!("RoleBinding {ns}/{ACCESS_BINDING}"),
                e,
            ))
        }
    }
    // The authorizer reads bindings from a cache: a new one takes a moment.
    let mut delay = Duration::from_millis(50);
    for _ in 0..40 {
        if can_write(client, ns).await? {
            return Ok(());
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(Duration::from_millis(500));
    }
    Err(ServerError::NotYet(format!(
        "RoleBinding {ns}/{ACCESS_BINDING} (ClusterRole {}) does not give the console its rights \
         in {ns} yet",
        access.role
    )))
}

/// Whether the console's binding is all that is left of the terminating
/// namespace: the only finalizer the namespace controller reports is the
/// binding's, and the only content left is that RoleBinding (read from the
/// controller's conditions). Until then a forced teardown may still need
/// the console's rights there.
pub fn only_our_hold_left(n: &Namespace) -> bool {
    if n.metadata.deletion_timestamp.is_none() {
        return false;
    }
    let conditions = n
        .status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .cloned()
        .unwrap_or_default();
    // The entries of a condition that holds: "Some …: a, b, c".
    let entries = |type_: &str| -> Option<Vec<String>> {
        let c = conditions
            .iter()
            .find(|c| c.type_ == type_ && c.status == "True")?;
        let (_, list) = c.message.as_deref()?.split_once(": ")?;
        Some(list.split(", ").map(str::to_string).collect())
    };
    if conditions
        .iter()
        .any(|c| c.type_ == "NamespaceDeletionContentFailure" && c.status == "True")
    {
        return false;
    }
    // "tenantry.io/teardown in 1 resource instances"
    let only_our_finalizer = entries("NamespaceFinalizersRemaining").is_some_and(|f| {
        f.iter()
            .all(|e| e.split(' ').next() == Some(ACCESS_FINALIZER))
    });
    // "rolebindings.rbac.authorization.k8s.io has 1 resource instances"
    let only_our_binding = entries("NamespaceContentRemaining").is_none_or(|c| {
        c.iter()
            .all(|e| e.starts_with("rolebindings.rbac.authorization.k8s.io has 1 "))
    });
    only_our_finalizer && only_our_binding
}

/// Lets go the binding of every terminating namespace of Tenantry's that
/// nothing else holds (a teardown whose wait ended before, a restart mid-
/// wait, a `kubectl delete namespace`), so none stays terminating for
/// good. Returns the namespaces let go.
pub async fn release_stuck(client: &kube::Client) -> Result<Vec<String>> {
    let selector = format!("{}={}", MANAGED_BY.0, MANAGED_BY.1);
    let list = Api::<Namespace>::all(client.clone())
        .list(&kube::api::ListParams::default().labels(&selector))
        .await
        .map_err(|e| ServerError::kube_on("Namespaces", e))?;
    let mut released = vec![];
    for n in list.items.iter().filter(|n| only_our_hold_left(n)) {
        let Some(name) = n.metadata.name.as_deref() else {
            continue;
        };
        // The console's rights in a tenant namespace come from that very
        // binding: refused now means a teardown let it go since the list
        // (the binding is gone, and its rights with it), so nothing holds.
        match patch_finalizers_off(client, name).await {
            Ok(()) => released.push(name.to_string()),
            Err(kube::Error::Api(e)) if e.code == 403 => {
                tracing::debug!(namespace = name, "the binding was let go meanwhile");
            }
            Err(e) => return Err(could_not_let_go(name, &e)),
        }
    }
    Ok(released)
}

/// Lets the binding in `ns` go (its finalizer removed), so the namespace
/// can finish; absent is fine.
pub async fn release(client: &kube::Client, ns: &str) -> Result<()> {
    patch_finalizers_off(client, ns)
        .await
        .map_err(|e| could_not_let_go(ns, &e))
}

/// Removes the binding's finalizer; absent is fine.
async fn patch_finalizers_off(client: &kube::Client, ns: &str) -> kube::Result<()> {
    let patch = serde_json::json!({ "metadata": { "finalizers": null } });
    match Api::<RoleBinding>::namespaced(client.clone(), ns)
        .patch(
            ACCESS_BINDING,
            &PatchParams::default(),
            &Patch::Merge(&patch),
        )
        .await
    {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(e)) if e.code == 404 => Ok(()),
        Err(e) => Err(e),
    }
}

fn could_not_let_go(ns: &str, e: &kube::Error) -> ServerError {
    ServerError::Wait(format!(
        "could not let RoleBinding {ns}/{ACCESS_BINDING} go: {}",
        describe_kube_error(e)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::{NamespaceCondition, NamespaceStatus};
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

    fn terminating(held: &str, content: Option<&str>) -> Namespace {
        let mut conditions = vec![NamespaceCondition {
            type_: "NamespaceFinalizersRemaining".into(),
            status: "True".into(),
            message: Some(format!(
                "Some content in the namespace has finalizers remaining: {held}"
            )),
            ..Default::default()
        }];
        if let Some(c) = content {
            conditions.push(NamespaceCondition {
                type_: "NamespaceContentRemaining".into(),
                status: "True".into(),
                message: Some(format!("Some resources are remaining: {c}")),
                ..Default::default()
            });
        }
        Namespace {
            metadata: ObjectMeta {
                name: Some("tenant-a".into()),
                deletion_timestamp: Some(Time(jiff::Timestamp::now())),
                ..Default::default()
            },
            status: Some(NamespaceStatus {
                conditions: Some(conditions),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[test]
    fn the_binding_is_let_go_only_when_nothing_else_holds_the_namespace() {
        let ours = "tenantry.io/teardown in 1 resource instances";
        let binding = "rolebindings.rbac.authorization.k8s.io has 1 resource instances";
        assert!(only_our_hold_left(&terminating(ours, None)));
        assert!(only_our_hold_left(&terminating(ours, Some(binding))));
        assert!(
            !only_our_hold_left(&terminating(
                ours,
                Some(&format!("pods. has 2 resource instances, {binding}"))
            )),
            "pods still going: a forced teardown may need the rights"
        );
        assert!(!only_our_hold_left(&terminating(
            "kubernetes.io/pvc-protection in 1 resource instances, tenantry.io/teardown in 1 resource instances",
            Some(binding)
        )));
        let mut alive = terminating(ours, None);
        alive.metadata.deletion_timestamp = None;
        assert!(!only_our_hold_left(&alive));
        let mut no_word = terminating(ours, None);
        no_word.status = None;
        assert!(!only_our_hold_left(&no_word));
    }

    #[test]
    fn the_identity_is_a_namespace_and_a_name() {
        let a = TenantAccess::parse("tenantry/tnt-tenantry", "tenantry-tenant").unwrap();
        assert_eq!(
            a.service_account,
            ("tenantry".into(), "tnt-tenantry".into())
        );
        let b = a.binding("tenant-x", "x");
        assert_eq!(b.role_ref.name, "tenantry-tenant");
        assert_eq!(
            b.metadata.finalizers,
            Some(vec![ACCESS_FINALIZER.to_string()])
        );
        for bad in ["tenantry", "/x", "a/B", "a/"] {
            assert!(TenantAccess::parse(bad, "r").is_err(), "{bad}");
        }
    }
}
