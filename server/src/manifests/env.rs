//! A release's values for one tenant: its env lists and file contents
//! with every `${…}` resolved (see `app::domain::release::values`); a
//! secret stays a reference to its Secret.

use app::domain::release::fields::effective;
use app::domain::release::values::{Resolved, ValueContext};
use app::dto::{CustomValues, DatabaseKind, EnvVar};
use serde_json::{json, Value};

use super::parts::db_host;
use super::{Capabilities, RenderSettings, TenantInput};

/// The context the tenant's values resolve in, with its `hosts` and what
/// its custom `fields` read.
pub(super) fn context<'a>(
    t: &'a TenantInput,
    (hosts, fields): (&'a [String], &'a CustomValues),
    caps: &Capabilities,
) -> ValueContext<'a> {
    let db = &t.release.database;
    ValueContext {
        tenant_id: t.id,
        namespace: t.namespace,
        hosts,
        custom_domain: t.custom_domain,
        plan_key: t.template_key,
        plan_version: t.template_version,
        tier: t.tier,
        database: match db.kind {
            DatabaseKind::Postgres => Some((db_host(caps), 5432, db.name())),
            DatabaseKind::Mysql => Some(("db", 3306, db.name())),
            DatabaseKind::None => None,
        },
        fields,
    }
}

/// The release's env then `own` (a name in both: `own`'s), resolved.
pub(super) fn env(
    t: &TenantInput,
    s: &RenderSettings,
    caps: &Capabilities,
    own: &[EnvVar],
) -> Vec<Value> {
    let hosts = super::tenant_hosts(t.id, t.custom_domain, s);
    let fields = effective(&t.release.fields, t.custom_fields);
    let ctx = context(t, (&hosts, &fields), caps);
    let shared = t
        .release
        .env
        .iter()
        .filter(|v| !own.iter().any(|o| o.name == v.name));
    shared
        .chain(own)
        .map(|v| match ctx.resolve(&v.value) {
            Ok(Resolved::Secret(secret, key)) => json!({
                "name": v.name,
                "valueFrom": { "secretKeyRef": { "name": secret, "key": key } },
            }),
            Ok(Resolved::Text(text)) => json!({ "name": v.name, "value": text }),
            // A stored release was validated: its values resolve.
            Err(_) => json!({ "name": v.name, "value": "" }),
        })
        .collect()
}

/// A file's content with its values resolved (files hold no secret).
pub(super) fn file(
    t: &TenantInput,
    s: &RenderSettings,
    caps: &Capabilities,
    content: &str,
) -> String {
    let hosts = super::tenant_hosts(t.id, t.custom_domain, s);
    let fields = effective(&t.release.fields, t.custom_fields);
    match context(t, (&hosts, &fields), caps).resolve(content) {
        Ok(Resolved::Text(text)) => text,
        _ => String::new(),
    }
}
