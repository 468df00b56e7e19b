//! What Tenantry may touch. A namespace is Tenantry's only when it carries
//! `app.kubernetes.io/managed-by=tenantry` and `tenantry.io/tenant=<id>`
//! and, once Tenantry created it, still has the UID remembered on the
//! tenant's row. Anything else is refused with a message that names the
//! object and who manages it; nothing here ever adopts a namespace.

use k8s_openapi::api::core::v1::Namespace;
use kube::api::{Api, ObjectMeta, PostParams};

use crate::error::{Result, ServerError};
use crate::manifests::{Manifest, MANAGED_BY, TENANT_LABEL};

/// Whose a live object is, by its labels: Tenantry's for `tenant`, or not.
pub fn labelled_for(meta: &ObjectMeta, tenant: &str) -> bool {
    let label = |k: &str| {
        meta.labels
            .as_ref()
            .and_then(|l| l.get(k))
            .map(String::as_str)
    };
    label(MANAGED_BY.0) == Some(MANAGED_BY.1) && label(TENANT_LABEL) == Some(tenant)
}

/// Who manages an object Tenantry does not: its `managed-by` label, else
/// the field managers that wrote it, else "someone else".
pub fn manager_of(meta: &ObjectMeta) -> String {
    let label = |k: &str| meta.labels.as_ref().and_then(|l| l.get(k)).cloned();
    if let Some(m) = label(MANAGED_BY.0) {
        return match (m == MANAGED_BY.1, label(TENANT_LABEL)) {
            (true, Some(other)) => format!("Tenantry for tenant \"{other}\""),
            (true, None) => "Tenantry, without a tenant label".into(),
            (false, _) => format!("\"{m}\" ({})", MANAGED_BY.0),
        };
    }
    let mut managers: Vec<String> = meta
        .managed_fields
        .iter()
        .flatten()
        .filter_map(|f| f.manager.clone())
        .collect();
    managers.dedup();
    if managers.is_empty() {
        "someone else (no managed-by label)".into()
    } else {
        format!(
            "someone else (no managed-by label; written by {})",
            managers.join(", ")
        )
    }
}

/// A namespace as Tenantry found it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NamespaceFound {
    Absent,
    /// Tenantry's, with this UID; `terminating` while it is being removed.
    Ours {
        uid: String,
        terminating: bool,
    },
}

/// Judges a live namespace against the tenant it should belong to.
pub fn judge(n: &Namespace, tenant: &str, remembered_uid: Option<&str>) -> Result<NamespaceFound> {
    let name = n.metadata.name.clone().unwrap_or_default();
    let uid = n.metadata.uid.clone().unwrap_or_default();
    if !labelled_for(&n.metadata, tenant) {
        return Err(ServerError::NotOurs(format!(
            "Namespace {name} exists and is managed by {}, not by Tenantry for tenant \"{tenant}\" \
             (it lacks {}={} and {TENANT_LABEL}={tenant}); Tenantry will not adopt, change or delete it",
            manager_of(&n.metadata),
            MANAGED_BY.0,
            MANAGED_BY.1
        )));
    }
    if let Some(mine) = remembered_uid.filter(|u| !u.is_empty() && *u != uid) {
        return Err(ServerError::NotOurs(format!(
            "Namespace {name} (uid {uid}) is not the one Tenantry created for tenant \"{tenant}\" \
             (uid {mine}): it was removed and made again outside Tenantry, so Tenantry will not touch it"
        )));
    }
    Ok(NamespaceFound::Ours {
        uid,
        terminating: n.metadata.deletion_timestamp.is_some(),
    })
}

/// Reads and judges the namespace `ns` of `tenant`.
pub async fn inspect(
    client: &kube::Client,
    ns: &str,
    tenant: &str,
    remembered_uid: Option<&str>,
) -> Result<NamespaceFound> {
    match read(client, ns).await? {
        None => Ok(NamespaceFound::Absent),
        Some(n) => judge(&n, tenant, remembered_uid),
    }
}

/// The live namespace `ns`, if it exists.
pub async fn read(client: &kube::Client, ns: &str) -> Result<Option<Namespace>> {
    Api::<Namespace>::all(client.clone())
        .get_opt(ns)
        .await
        .map_err(|e| ServerError::kube_on(&format!("Namespace {ns}"), e))
}

/// Makes the tenant's namespace if it does not exist (a plain create, which
/// fails rather than adopts when someone else made it first), and returns
/// the UID of the namespace that is Tenantry's. Only after this may the
/// namespace's contents be applied.
pub async fn claim_namespace(
    client: &kube::Client,
    m: &Manifest,
    tenant: &str,
    remembered_uid: Option<&str>,
) -> Result<String> {
    let ns = &m.name;
    if let NamespaceFound::Ours { uid, terminating } =
        inspect(client, ns, tenant, remembered_uid).await?
    {
        if terminating {
            return Err(ServerError::NotYet(format!(
                "Namespace {ns} is still being removed; it is made again once it is gone"
            )));
        }
        return Ok(uid);
    }
    let wanted: Namespace = serde_json::from_value(m.body.clone())
        .map_err(|e| ServerError::Config(format!("{} is not a valid object: {e}", m.describe())))?;
    let params = PostParams {
        field_manager: Some(super::FIELD_MANAGER.into()),
        ..Default::default()
    };
    match Api::<Namespace>::all(client.clone())
        .create(&params, &wanted)
        .await
    {
        Ok(made) => Ok(made.metadata.uid.unwrap_or_default()),
        // Someone made it between the read and the create: judge theirs.
        Err(kube::Error::Api(e)) if e.code == 409 => {
            match inspect(client, ns, tenant, remembered_uid).await? {
                NamespaceFound::Ours { uid, .. } => Ok(uid),
                NamespaceFound::Absent => Err(ServerError::NotYet(format!(
                    "Namespace {ns} appeared and went while it was being made; trying again"
                ))),
            }
        }
        Err(e) => Err(ServerError::kube_on(&m.describe(), e)),
    }
}

/// Why a new tenant cannot have the namespace `ns`, if the cluster has one
/// of that name already (whoever made it).
pub async fn existing_namespace(client: &kube::Client, ns: &str) -> Result<Option<String>> {
    Ok(read(client, ns).await?.map(|n| {
        format!(
            "the namespace \"{ns}\" already exists on the cluster (managed by {})",
            manager_of(&n.metadata)
        )
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn ns(labels: &[(&str, &str)], uid: &str) -> Namespace {
        Namespace {
            metadata: ObjectMeta {
                name: Some("tenant-billing".into()),
                uid: Some(uid.into()),
                labels: Some(
                    labels
                        .iter()
                        .map(|(k, v)| (k.to_string(), v.to_string()))
                        .collect::<BTreeMap<_, _>>(),
                ),
                ..Default::default()
            },
            ..Default::default()
        }
    }

    #[test]
    fn only_labelled_namespaces_with_the_remembered_uid_are_ours() {
        let ours = ns(
            &[(MANAGED_BY.0, MANAGED_BY.1), (TENANT_LABEL, "billing")],
            "u1",
        );
        assert_eq!(
            judge(&ours, "billing", None).ok(),
            Some(NamespaceFound::Ours {
                uid: "u1".into(),
                terminating: false
            })
        );
        assert!(judge(&ours, "billing", Some("u1")).is_ok());
        let remade = judge(&ours, "billing", Some("u0")).unwrap_err().to_string();
        assert!(remade.contains("made again outside Tenantry"), "{remade}");

        let helm = ns(&[(MANAGED_BY.0, "Helm")], "u2");
        let e = judge(&helm, "billing", None).unwrap_err();
        assert!(
            !e.is_transient(),
            "a foreign namespace is a permanent refusal"
        );
        let e = e.to_string();
        assert!(
            e.contains("Namespace tenant-billing") && e.contains("\"Helm\""),
            "{e}"
        );

        let other_tenant = ns(
            &[(MANAGED_BY.0, MANAGED_BY.1), (TENANT_LABEL, "bill")],
            "u3",
        );
        let e = judge(&other_tenant, "billing", None)
            .unwrap_err()
            .to_string();
        assert!(e.contains("Tenantry for tenant \"bill\""), "{e}");

        let bare = ns(&[], "u4");
        let e = judge(&bare, "billing", None).unwrap_err().to_string();
        assert!(e.contains("no managed-by label"), "{e}");
    }
}
