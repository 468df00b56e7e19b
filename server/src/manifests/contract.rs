//! The tenant contract's objects: the `tenant-config` ConfigMap (its
//! `tenant.json`, see `app::domain::release::contract`), the
//! `tenant-api-keys` Secret (the keys' hashes, filled from the store when
//! applied), and how every component's and job's pod mounts them.

use app::domain::release::contract::{config_document, API_KEYS_SECRET, CONFIG_FILE};
use app::domain::release::fields::effective;
use serde_json::{json, Value};

use super::parts::fnv1a;
use super::{env, metadata, Capabilities, Manifest, RenderSettings, TenantInput};

/// The ConfigMap holding the tenant's configuration.
pub const TENANT_CONFIG: &str = "tenant-config";
/// Its objects' component label (applied with the Secrets, before any
/// job or component that mounts it).
pub const CONFIG_COMPONENT: &str = "config";
/// The pod annotation holding a hash of the configuration, so a change
/// rolls the pods of applications that read it once at start.
const CONFIG_HASH: &str = "tenantry.io/config";

/// The tenant's `tenant.json`, when its release takes one.
fn document(t: &TenantInput, s: &RenderSettings, caps: &Capabilities) -> Option<String> {
    t.release.contract.config_path.as_ref()?;
    let hosts = super::tenant_hosts(t.id, t.custom_domain, s);
    let fields = effective(&t.release.fields, t.custom_fields);
    let ctx = env::context(t, (&hosts, &fields), caps);
    // A JSON value always serialises.
    serde_json::to_string_pretty(&config_document(&ctx)).ok()
}

/// The contract's objects the release takes: the `tenant-config`
/// ConfigMap, the `tenant-api-keys` Secret.
pub(super) fn render(
    t: &TenantInput,
    s: &RenderSettings,
    caps: &Capabilities,
    ns: &str,
) -> Vec<Manifest> {
    config_map(t, s, caps, ns)
        .into_iter()
        .chain(api_keys(t, ns))
        .collect()
}

/// What the rendered `tenant-api-keys` Secret holds in place of the
/// hashes, which the `secrets` step fills in from the store.
pub const KEY_HASHES_PLACEHOLDER: &str = "<SHA-256 hashes of the keys issued>";

/// The Secret with one key per API key name (the values are the store's).
fn api_keys(t: &TenantInput, ns: &str) -> Option<Manifest> {
    let keys = t.release.contract.api_keys.as_ref()?;
    let data: serde_json::Map<String, Value> = keys
        .names
        .iter()
        .map(|n| (n.clone(), json!(KEY_HASHES_PLACEHOLDER)))
        .collect();
    Some(Manifest::new(
        "v1",
        "Secret",
        "secrets",
        API_KEYS_SECRET,
        Some(ns),
        json!({
            "metadata": metadata(t, API_KEYS_SECRET, ns, CONFIG_COMPONENT),
            "type": "Opaque",
            "stringData": data,
        }),
    ))
}

fn config_map(
    t: &TenantInput,
    s: &RenderSettings,
    caps: &Capabilities,
    ns: &str,
) -> Option<Manifest> {
    let text = document(t, s, caps)?;
    Some(Manifest::new(
        "v1",
        "ConfigMap",
        "configmaps",
        TENANT_CONFIG,
        Some(ns),
        json!({
            "metadata": metadata(t, TENANT_CONFIG, ns, CONFIG_COMPONENT),
            "data": { CONFIG_FILE: text },
        }),
    ))
}

/// Mounts the configuration and the API keys' hashes into a pod spec
/// (`pod`, whose first container is the application's); nothing of what
/// the release does not take. With
/// `template_meta` (a Deployment's pod template), marks it with the
/// configuration's hash, so a change rolls the pods. A Job's template is
/// not marked: it reads the file when it runs, and its name (a hash of its
/// spec) must not change with the configuration, or a new Job would run
/// the migrations again for a changed colour.
pub(super) fn mount(
    t: &TenantInput,
    s: &RenderSettings,
    caps: &Capabilities,
    (pod, template_meta): (&mut Value, Option<&mut Value>),
) {
    if let (Some(dir), Some(text)) = (&t.release.contract.config_path, document(t, s, caps)) {
        let source = json!({ "configMap": { "name": TENANT_CONFIG } });
        add_volume(pod, TENANT_CONFIG, dir, source);
        if let Some(meta) = template_meta {
            meta["annotations"][CONFIG_HASH] = json!(format!("{:016x}", fnv1a(text.as_bytes())));
        }
    }
    // A rotated key's hash reaches running pods through the mounted files;
    // a rotation does not roll them.
    if let Some(keys) = &t.release.contract.api_keys {
        let source = json!({ "secret": { "secretName": API_KEYS_SECRET } });
        add_volume(pod, API_KEYS_SECRET, &keys.path, source);
    }
}

/// Mounts the volume `name` (its `source`, e.g. `{"secret": …}`) read-only
/// at `dir` in the application's container. The whole directory (not a
/// subPath): the kubelet updates the files in running pods as well.
fn add_volume(pod: &mut Value, name: &str, dir: &str, source: Value) {
    let mount = json!({ "name": name, "mountPath": dir, "readOnly": true });
    if let Some(mounts) = pod["containers"][0]["volumeMounts"].as_array_mut() {
        mounts.push(mount);
    } else {
        pod["containers"][0]["volumeMounts"] = json!([mount]);
    }
    let mut volume = json!({ "name": name });
    if let (Some(v), Some(src)) = (volume.as_object_mut(), source.as_object()) {
        v.extend(src.clone());
    }
    if let Some(volumes) = pod["volumes"].as_array_mut() {
        volumes.push(volume);
    } else {
        pod["volumes"] = json!([volume]);
    }
}
