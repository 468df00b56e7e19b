//! Credentials generated once: created when absent, never overwritten, so a
//! re-run of provisioning keeps the passwords the tenant already uses.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::Secret;
use kube::api::{Api, ObjectMeta, PostParams};

use crate::error::{Result, ServerError};
use crate::manifests::{Generate, Manifest, BACKUP_STORE_SECRET};
use crate::values::StoreCredentials;

/// `len` random characters from a URL- and shell-safe alphabet.
pub fn generate_secret(len: usize) -> String {
    crate::auth::random_chars(app::dto::Alphabet::Alphanumeric.chars(), len)
}

/// Fresh values for a generated Secret's keys (a fixed one as it was).
fn generate(m: &Manifest) -> BTreeMap<String, String> {
    m.generated
        .iter()
        .map(|(key, how)| {
            let value = match how {
                Generate::Fixed(v) => v.clone(),
                Generate::Random { length, alphabet } => crate::auth::random_chars(
                    alphabet.chars(),
                    usize::try_from(*length).unwrap_or(32),
                ),
            };
            (key.clone(), value)
        })
        .collect()
}

/// Makes the generated Secret `name` (rendered among `manifests`) anew:
/// fresh values for its random keys, applied whole. Only a Secret
/// labelled for `tenant` is overwritten; one of someone else's is refused,
/// naming it and its owner. An absent one is made.
pub async fn rotate_secret(
    client: &kube::Client,
    manifests: &[Manifest],
    (tenant, name): (&str, &str),
) -> Result<()> {
    let Some(m) = manifests
        .iter()
        .find(|m| m.kind == "Secret" && m.name == name && !m.generated.is_empty())
    else {
        return Err(ServerError::Conflict(format!(
            "the tenant's release generates no Secret \"{name}\" any more"
        )));
    };
    let ns = m.namespace.clone().unwrap_or_default();
    let api: Api<Secret> = Api::namespaced(client.clone(), &ns);
    if let Some(live) = api
        .get_opt(name)
        .await
        .map_err(|e| ServerError::kube_on(&m.describe(), e))?
    {
        if !super::ownership::labelled_for(&live.metadata, tenant) {
            return Err(ServerError::Conflict(format!(
                "{} is not Tenantry's for this tenant (managed by {}): it is not rotated",
                m.describe(),
                super::ownership::manager_of(&live.metadata)
            )));
        }
    }
    let data = generate(m)
        .into_iter()
        .map(|(k, v)| (k, k8s_openapi::ByteString(v.into_bytes())))
        .collect();
    apply_secret_data(client, m, data).await?;
    Ok(())
}

/// Whether each Secret was made now (`true`) or already existed.
pub async fn ensure_tenant_secrets(
    client: &kube::Client,
    manifests: &[Manifest],
) -> Result<Vec<(String, bool)>> {
    let mut out = vec![];
    for m in manifests
        .iter()
        .filter(|m| m.kind == "Secret" && !m.generated.is_empty())
    {
        let ns = m.namespace.clone().unwrap_or_default();
        let values = generate(m);
        let labels =
            serde_json::from_value(m.body["metadata"]["labels"].clone()).unwrap_or_default();
        let secret = Secret {
            metadata: ObjectMeta {
                name: Some(m.name.clone()),
                namespace: Some(ns.clone()),
                labels: Some(labels),
                ..Default::default()
            },
            string_data: Some(values),
            type_: Some("Opaque".into()),
            ..Default::default()
        };
        let api: Api<Secret> = Api::namespaced(client.clone(), &ns);
        match api
            .create(
                &PostParams {
                    field_manager: Some(super::FIELD_MANAGER.into()),
                    ..Default::default()
                },
                &secret,
            )
            .await
        {
            Ok(_) => out.push((m.name.clone(), true)),
            Err(kube::Error::Api(e)) if e.code == 409 => out.push((m.name.clone(), false)),
            Err(e) => return Err(ServerError::kube_on(&m.describe(), e)),
        }
    }
    Ok(out)
}

/// Copies the object store's credentials into the tenant's `backup-store`
/// Secret (applied every time, so a rotated key reaches every tenant on its
/// next run). Without configured credentials the keys are empty and a
/// backup Job fails saying so. Returns the Secret's name.
pub async fn apply_store_secret(
    client: &kube::Client,
    manifests: &[Manifest],
    credentials: Option<&StoreCredentials>,
) -> Result<Option<String>> {
    let Some(m) = manifests.iter().find(|m| m.name == BACKUP_STORE_SECRET) else {
        return Ok(None);
    };
    let value = |f: fn(&StoreCredentials) -> &str| {
        k8s_openapi::ByteString(credentials.map(f).unwrap_or_default().as_bytes().to_vec())
    };
    let data: BTreeMap<String, k8s_openapi::ByteString> = [
        ("access-key-id".to_string(), value(|c| &c.access_key_id.0)),
        (
            "secret-access-key".to_string(),
            value(|c| &c.secret_access_key.0),
        ),
    ]
    .into();
    apply_secret_data(client, m, data).await
}

/// Applies the Secret rendered as `m` with `data` (server-side apply: the
/// keys it held before and `data` lacks are gone).
async fn apply_secret_data(
    client: &kube::Client,
    m: &Manifest,
    data: BTreeMap<String, k8s_openapi::ByteString>,
) -> Result<Option<String>> {
    let ns = m.namespace.clone().unwrap_or_default();
    let secret = Secret {
        metadata: ObjectMeta {
            name: Some(m.name.clone()),
            namespace: Some(ns.clone()),
            labels: serde_json::from_value(m.body["metadata"]["labels"].clone()).ok(),
            ..Default::default()
        },
        data: Some(data),
        type_: Some("Opaque".into()),
        ..Default::default()
    };
    let api: Api<Secret> = Api::namespaced(client.clone(), &ns);
    api.patch(
        &m.name,
        &kube::api::PatchParams::apply(super::FIELD_MANAGER).force(),
        &kube::api::Patch::Apply(&secret),
    )
    .await
    .map_err(|e| ServerError::kube_on(&m.describe(), e))?;
    Ok(Some(m.name.clone()))
}

/// Writes the hashes of the tenant's API keys into its `tenant-api-keys`
/// Secret (rendered among `manifests` when its release takes keys): one
/// key per name, the hex hashes one a line, empty for a key never issued.
/// Applied whole each time, so a hash the store no longer holds is gone.
/// Returns the Secret's name.
pub async fn apply_api_key_hashes(
    client: &kube::Client,
    manifests: &[Manifest],
    hashes: &[crate::store::KeyHashes],
) -> Result<Option<String>> {
    use app::domain::release::contract::API_KEYS_SECRET;
    let Some(m) = manifests
        .iter()
        .find(|m| m.kind == "Secret" && m.name == API_KEYS_SECRET)
    else {
        return Ok(None);
    };
    let names = m.body["stringData"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    let data: BTreeMap<String, k8s_openapi::ByteString> = names
        .keys()
        .map(|name| {
            let lines: Vec<&str> = hashes
                .iter()
                .filter(|h| &h.name == name)
                .flat_map(|h| h.hashes.iter().map(String::as_str))
                .collect();
            let text = if lines.is_empty() {
                String::new()
            } else {
                format!("{}\n", lines.join("\n"))
            };
            (name.clone(), k8s_openapi::ByteString(text.into_bytes()))
        })
        .collect();
    apply_secret_data(client, m, data).await
}

/// The names of the Secrets among `manifests` that Tenantry generates.
pub fn generated_secrets(manifests: &[Manifest]) -> Vec<String> {
    manifests
        .iter()
        .filter(|m| m.kind == "Secret" && !m.generated.is_empty())
        .map(|m| m.name.clone())
        .collect()
}

/// The values of a tenant's generated Secrets `names`, as "secret/key" →
/// value. Only for showing them once; never logged.
pub async fn read_tenant_secrets(
    client: &kube::Client,
    namespace: &str,
    names: &[String],
) -> Result<Vec<(String, String)>> {
    let api: Api<Secret> = Api::namespaced(client.clone(), namespace);
    let mut out = vec![];
    for name in names {
        let secret = api
            .get(name)
            .await
            .map_err(|e| ServerError::kube_on(&format!("Secret {namespace}/{name}"), e))?;
        for (key, value) in secret.data.unwrap_or_default() {
            out.push((
                format!("{name}/{key}"),
                String::from_utf8_lossy(&value.0).into_owned(),
            ));
        }
    }
    Ok(out)
}
