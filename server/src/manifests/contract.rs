//! The tenant contract's objects: the `tenant-config` ConfigMap (its
//! `tenant.json`, see `app::domain::release::contract`), and how every
//! component's and job's pod mounts it.

use app::domain::release::contract::{config_document, CONFIG_FILE};
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

/// The `tenant-config` ConfigMap, when the release takes one.
pub(super) fn render(
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

/// Mounts the configuration into a pod spec (`pod`, whose first container
/// is the application's); nothing when the release takes none. With
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
    let (Some(dir), Some(text)) = (&t.release.contract.config_path, document(t, s, caps)) else {
        return;
    };
    // The whole directory (not a subPath): the kubelet updates the file in
    // running pods as well.
    let mount = json!({ "name": TENANT_CONFIG, "mountPath": dir, "readOnly": true });
    if let Some(mounts) = pod["containers"][0]["volumeMounts"].as_array_mut() {
        mounts.push(mount);
    } else {
        pod["containers"][0]["volumeMounts"] = json!([mount]);
    }
    let volume = json!({ "name": TENANT_CONFIG, "configMap": { "name": TENANT_CONFIG } });
    if let Some(volumes) = pod["volumes"].as_array_mut() {
        volumes.push(volume);
    } else {
        pod["volumes"] = json!([volume]);
    }
    if let Some(meta) = template_meta {
        meta["annotations"][CONFIG_HASH] = json!(format!("{:016x}", fnv1a(text.as_bytes())));
    }
}
