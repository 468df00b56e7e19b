//! What Tenantry may touch. Labels are a claim, not a proof: anyone who
//! may create a namespace can copy them. A namespace is Tenantry's only
//! when it carries `app.kubernetes.io/managed-by=tenantry` and
//! `tenantry.io/tenant=<id>` and either has the UID remembered on the
//! tenant's row, or (after a crash between creating it and recording its
//! UID) carries the secret nonce the row held before the create. Anything
//! else is refused with a message that names the object and who manages
//! it; nothing here ever adopts a namespace.

use k8s_openapi::api::core::v1::Namespace;
use kube::api::{Api, ObjectMeta, PostParams};

use super::TenantNamespace;
use crate::error::{Result, ServerError};
use crate::manifests::{Manifest, MANAGED_BY, TENANT_LABEL};

/// The annotation that carries the tenant's claim nonce.
pub const CLAIM_ANNOTATION: &str = "tenantry.io/claim";

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
    match writers(meta) {
        None => "someone else (no managed-by label)".into(),
        Some(w) => format!("someone else (no managed-by label; written by {w})"),
    }
}

/// The field managers that wrote an object, if it names any.
fn writers(meta: &ObjectMeta) -> Option<String> {
    let mut managers: Vec<String> = meta
        .managed_fields
        .iter()
        .flatten()
        .filter_map(|f| f.manager.clone())
        .collect();
    managers.dedup();
    (!managers.is_empty()).then(|| managers.join(", "))
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
pub fn judge(n: &Namespace, t: &TenantNamespace<'_>) -> Result<NamespaceFound> {
    let tenant = t.tenant;
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
    match t.uid.filter(|u| !u.is_empty()) {
        Some(mine) if mine != uid => Err(ServerError::NotOurs(format!(
            "Namespace {name} (uid {uid}) is not the one Tenantry created for tenant \"{tenant}\" \
             (uid {mine}): it was removed and made again outside Tenantry, so Tenantry will not touch it"
        ))),
        Some(_) => Ok(NamespaceFound::Ours {
            uid,
            terminating: n.metadata.deletion_timestamp.is_some(),
        }),
        None => {
            let carried = n
                .metadata
                .annotations
                .as_ref()
                .and_then(|a| a.get(CLAIM_ANNOTATION));
            match (t.nonce.filter(|s| !s.is_empty()), carried) {
                (Some(mine), Some(theirs)) if constant_time_eq(mine, theirs) => {
                    Ok(NamespaceFound::Ours {
                        uid,
                        terminating: n.metadata.deletion_timestamp.is_some(),
                    })
                }
                _ => Err(ServerError::NotOurs(format!(
                    "Namespace {name} (uid {uid}) carries Tenantry's labels for tenant \"{tenant}\" \
                     but Tenantry did not create it (it lacks this tenant's claim; written by {}): \
                     labels anyone can copy are not proof, so Tenantry will not adopt, change or delete it",
                    writers(&n.metadata).unwrap_or_else(|| "an unknown client".into())
                ))),
            }
        }
    }
}

/// Compares two secrets without stopping at the first difference.
fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// Reads and judges the tenant's namespace.
pub async fn inspect(client: &kube::Client, t: &TenantNamespace<'_>) -> Result<NamespaceFound> {
    match read(client, t.name).await? {
        None => Ok(NamespaceFound::Absent),
        Some(n) => judge(&n, t),
    }
}

/// The live namespace `ns`, if it exists.
pub async fn read(client: &kube::Client, ns: &str) -> Result<Option<Namespace>> {
    Api::<Namespace>::all(client.clone())
        .get_opt(ns)
        .await
        .map_err(|e| ServerError::kube_on(&format!("Namespace {ns}"), e))
}

/// Makes the tenant's namespace if it does not exist (a POST, which fails
/// rather than adopts when someone else made it first) carrying the
/// tenant's claim nonce (`t.nonce`, stored on the row before this call),
/// and returns the UID of the namespace that is Tenantry's. Only after this
/// may the namespace's contents be applied.
pub async fn claim_namespace(
    client: &kube::Client,
    m: &Manifest,
    t: &TenantNamespace<'_>,
) -> Result<String> {
    let ns = t.name;
    if let NamespaceFound::Ours { uid, terminating } = inspect(client, t).await? {
        if terminating {
            return Err(ServerError::NotYet(format!(
                "Namespace {ns} is still being removed; it is made again once it is gone"
            )));
        }
        return Ok(uid);
    }
    let nonce = t.nonce.filter(|n| !n.is_empty()).ok_or_else(|| {
        ServerError::Config(format!(
            "no claim nonce was stored for tenant \"{}\" before creating {ns}",
            t.tenant
        ))
    })?;
    let mut wanted: Namespace = serde_json::from_value(m.body.clone())
        .map_err(|e| ServerError::Config(format!("{} is not a valid object: {e}", m.describe())))?;
    wanted
        .metadata
        .annotations
        .get_or_insert_with(Default::default)
        .insert(CLAIM_ANNOTATION.into(), nonce.into());
    let params = PostParams {
        field_manager: Some(super::FIELD_MANAGER.into()),
        ..Default::default()
    };
    match Api::<Namespace>::all(client.clone())
        .create(&params, &wanted)
        .await
    {
        Ok(made) => Ok(made.metadata.uid.unwrap_or_default()),
        // Someone made it between the read and the create: judge theirs
        // (it is refused, as it cannot carry the nonce).
        Err(kube::Error::Api(e)) if e.code == 409 => match inspect(client, t).await? {
            NamespaceFound::Ours { uid, .. } => Ok(uid),
            NamespaceFound::Absent => Err(ServerError::NotYet(format!(
                "Namespace {ns} appeared and went while it was being made; trying again"
            ))),
        },
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

    fn claim<'a>(uid: Option<&'a str>, nonce: Option<&'a str>) -> TenantNamespace<'a> {
        TenantNamespace {
            name: "tenant-billing",
            tenant: "billing",
            uid,
            nonce,
        }
    }

    #[test]
    fn only_labelled_namespaces_with_the_remembered_uid_are_ours() {
        let ours = ns(
            &[(MANAGED_BY.0, MANAGED_BY.1), (TENANT_LABEL, "billing")],
            "u1",
        );
        assert_eq!(
            judge(&ours, &claim(Some("u1"), None)).ok(),
            Some(NamespaceFound::Ours {
                uid: "u1".into(),
                terminating: false
            })
        );
        let remade = judge(&ours, &claim(Some("u0"), None))
            .unwrap_err()
            .to_string();
        assert!(remade.contains("made again outside Tenantry"), "{remade}");

        let helm = ns(&[(MANAGED_BY.0, "Helm")], "u2");
        let e = judge(&helm, &claim(None, Some("n"))).unwrap_err();
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
        let e = judge(&other_tenant, &claim(None, Some("n")))
            .unwrap_err()
            .to_string();
        assert!(e.contains("Tenantry for tenant \"bill\""), "{e}");

        let bare = ns(&[], "u4");
        let e = judge(&bare, &claim(None, None)).unwrap_err().to_string();
        assert!(e.contains("no managed-by label"), "{e}");
    }

    #[test]
    fn copied_labels_without_the_claim_nonce_are_not_ours() {
        let mut copied = ns(
            &[(MANAGED_BY.0, MANAGED_BY.1), (TENANT_LABEL, "billing")],
            "u5",
        );
        // No UID remembered and no nonce: labels alone are refused.
        let e = judge(&copied, &claim(None, None)).unwrap_err();
        assert!(matches!(e, ServerError::NotOurs(_)), "{e}");
        assert!(e.to_string().contains("did not create it"), "{e}");
        // A nonce on the row, but the namespace does not carry it.
        assert!(judge(&copied, &claim(None, Some("secret-1"))).is_err());
        // A wrong nonce copied onto it.
        copied.metadata.annotations = Some(
            [(CLAIM_ANNOTATION.to_string(), "secret-2".to_string())]
                .into_iter()
                .collect(),
        );
        assert!(judge(&copied, &claim(None, Some("secret-1"))).is_err());
        // The nonce Tenantry wrote before creating it: ours (a crash came
        // between the create and recording the UID).
        copied.metadata.annotations = Some(
            [(CLAIM_ANNOTATION.to_string(), "secret-1".to_string())]
                .into_iter()
                .collect(),
        );
        assert!(judge(&copied, &claim(None, Some("secret-1"))).is_ok());
        // Once a UID is remembered, it decides.
        assert!(judge(&copied, &claim(Some("u6"), Some("secret-1"))).is_err());
    }
}
