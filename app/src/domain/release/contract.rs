//! The tenant contract a release takes (`contract`): the rules it meets
//! before it is stored, and the tenant's configuration document
//! (`tenant.json`) every component and job of a release with a
//! `config_path` reads.

use serde_json::{json, Map, Value};

use super::values::ValueContext;
use super::{names, FieldErrors};
use crate::dto::{ReleaseSpec, DEFAULT_HEALTH_TIMEOUT_SECS};

/// The file the tenant's configuration is in, under the release's
/// `contract.config_path`.
pub const CONFIG_FILE: &str = "tenant.json";

/// The Secret holding the tenant admin's user name and password.
pub const ADMIN_SECRET: &str = "tenant-admin";

/// The Secret holding the hashes of the tenant's API keys, one key per
/// name (mounted at the release's `contract.api_keys.path`).
pub const API_KEYS_SECRET: &str = "tenant-api-keys";

const MAX_API_KEYS: usize = 4;

/// The tenant admin's user name: the owner's address before the '@',
/// lower-case, only a-z, 0-9, '.', '_' and '-', at most 32, starting with
/// a letter or digit; `admin` when nothing is left.
pub fn admin_username(owner_email: &str) -> String {
    let local = owner_email.split('@').next().unwrap_or_default();
    let kept: String = local
        .to_lowercase()
        .chars()
        .filter(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'))
        .collect();
    let name: String = kept
        .trim_start_matches(|c: char| !c.is_ascii_alphanumeric())
        .chars()
        .take(32)
        .collect();
    if name.is_empty() {
        "admin".into()
    } else {
        name
    }
}

/// The tenant admin's user name for an owner's address, when the release
/// takes a tenant admin.
pub fn tenant_admin(r: &ReleaseSpec, owner_email: &str) -> Option<String> {
    r.contract.admin.then(|| admin_username(owner_email))
}

/// The names of the API keys the release takes (none unless it does).
pub fn api_key_names(r: &ReleaseSpec) -> Vec<String> {
    r.contract
        .api_keys
        .as_ref()
        .map(|k| k.names.clone())
        .unwrap_or_default()
}

const MAX_HEALTH_CHECKS: usize = 10;

/// Checks the release's contract; problems are pushed onto `e`.
pub(super) fn check(r: &ReleaseSpec, e: &mut FieldErrors) {
    let c = &r.contract;
    if let Some(dir) = &c.config_path {
        directory(r, "contract.config_path", dir, None, e);
    }
    if let Some(keys) = &c.api_keys {
        directory(
            r,
            "contract.api_keys.path",
            &keys.path,
            c.config_path.as_deref(),
            e,
        );
        if keys.names.is_empty() || keys.names.len() > MAX_API_KEYS {
            e.push(
                "contract.api_keys.names",
                format!("must name 1 to {MAX_API_KEYS} keys"),
            );
        }
        for (i, name) in keys.names.iter().enumerate() {
            let good = name.len() <= 30
                && name.starts_with(|c: char| c.is_ascii_lowercase())
                && name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
            let at = format!("contract.api_keys.names[{i}]");
            if !good {
                e.push(
                    &at,
                    "must be a-z, 0-9 and '-', start with a letter and hold at most 30",
                );
            } else if keys.names[..i].contains(name) {
                e.push(&at, format!("\"{name}\" is named twice"));
            }
        }
    }
    if c.health.len() > MAX_HEALTH_CHECKS {
        e.push(
            "contract.health",
            format!("must hold at most {MAX_HEALTH_CHECKS} checks"),
        );
    }
    for (i, h) in c.health.iter().enumerate() {
        let at = format!("contract.health[{i}]");
        let Some(comp) = r.components.iter().find(|x| x.name == h.component) else {
            e.push(
                &format!("{at}.component"),
                format!("\"{}\" is no component of the release", h.component),
            );
            continue;
        };
        match &h.port {
            Some(p) if !comp.ports.iter().any(|x| &x.name == p) => e.push(
                &format!("{at}.port"),
                format!("component {} has no port \"{p}\"", comp.name),
            ),
            None if comp.ports.is_empty() => e.push(
                &format!("{at}.component"),
                format!("component {} has no port to check", comp.name),
            ),
            _ => {}
        }
        let path_ok = h.path.starts_with('/')
            && h.path.len() <= 200
            && !h.path.chars().any(|c| c.is_whitespace() || c.is_control());
        if !path_ok {
            e.push(
                &format!("{at}.path"),
                "must start with '/', hold at most 200 characters and no spaces",
            );
        }
        if h.timeout_seconds.is_some_and(|s| !(1..=3600).contains(&s)) {
            e.push(&format!("{at}.timeout_seconds"), "must be 1 to 3600");
        }
    }
}

/// Checks a directory Tenantry mounts into every pod (`field`): a plain
/// absolute path overlapping no file or volume of a component, nor
/// `other` (the contract's other directory).
fn directory(r: &ReleaseSpec, field: &str, dir: &str, other: Option<&str>, e: &mut FieldErrors) {
    let plain = names::mount_path(dir).and_then(|()| {
        if dir.ends_with('/') {
            Err("may not end with '/'".to_string())
        } else {
            Ok(())
        }
    });
    if e.check(field, plain).is_none() {
        return;
    }
    let overlaps = |p: &str| {
        p == dir || p.starts_with(&format!("{dir}/")) || dir.starts_with(&format!("{p}/"))
    };
    let taken = r.components.iter().find_map(|comp| {
        comp.files
            .iter()
            .map(|f| f.path.as_str())
            .chain(comp.volumes.iter().map(|v| v.mount_path.as_str()))
            .find(|p| overlaps(p))
            .map(|p| (comp.name.as_str(), p))
    });
    if let Some((comp, path)) = taken {
        e.push(
            field,
            format!("{dir} overlaps {path}, where component {comp} mounts a file or volume"),
        );
    } else if let Some(p) = other.filter(|p| overlaps(p)) {
        e.push(
            field,
            format!("{dir} overlaps {p}, where the tenant's configuration is mounted"),
        );
    }
}

/// What a release takes of the contract, one phrase a part, for pages:
/// "tenant admin", "tenant.json at /etc/tenant", "health: api:http/healthz
/// within 60 s".
pub fn summary(r: &ReleaseSpec) -> Vec<String> {
    let c = &r.contract;
    let mut out = vec![];
    if c.admin {
        out.push(format!("tenant admin ({ADMIN_SECRET})"));
    }
    if let Some(dir) = &c.config_path {
        out.push(format!("{CONFIG_FILE} at {dir}"));
    }
    if let Some(keys) = &c.api_keys {
        out.push(format!(
            "API keys {} (hashes at {})",
            keys.names.join(", "),
            keys.path
        ));
    }
    for h in &c.health {
        let port = h.port.clone().or_else(|| {
            r.components
                .iter()
                .find(|x| x.name == h.component)
                .and_then(|x| x.ports.first())
                .map(|p| p.name.clone())
        });
        out.push(format!(
            "health: {}:{}{} within {} s",
            h.component,
            port.unwrap_or_default(),
            h.path,
            health_timeout_secs(h)
        ));
    }
    out
}

/// How long a check may take to answer 2xx.
pub fn health_timeout_secs(h: &crate::dto::HealthCheckSpec) -> u32 {
    h.timeout_seconds.unwrap_or(DEFAULT_HEALTH_TIMEOUT_SECS)
}

/// The tenant's configuration as its application reads it: who it is and
/// where it is served, its plan (features and limits), and its custom
/// fields (branding). Numbers and booleans of the plan are JSON's own;
/// custom fields are text as stored.
pub fn config_document(ctx: &ValueContext) -> Value {
    let features: Map<String, Value> = ctx
        .tier
        .features
        .iter()
        .map(|f| (f.clone(), Value::Bool(true)))
        .collect();
    json!({
        "tenant": {
            "id": ctx.tenant_id,
            "namespace": ctx.namespace,
            "hosts": ctx.hosts,
            "urls": ctx.hosts.iter().map(|h| format!("https://{h}")).collect::<Vec<_>>(),
            "custom_domain": ctx.custom_domain,
        },
        "plan": {
            "key": ctx.plan_key,
            "version": ctx.plan_version,
            "user_limit": ctx.tier.user_limit,
            "features": features,
            "limits": ctx.tier.limits,
        },
        "fields": ctx.fields,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dto::{ContractSpec, HealthCheckSpec};

    fn with(contract: ContractSpec) -> ReleaseSpec {
        ReleaseSpec {
            contract,
            ..super::super::tests::shop()
        }
    }

    fn errors(r: &ReleaseSpec) -> Vec<(String, String)> {
        match super::super::validate(r) {
            Ok(()) => vec![],
            Err(crate::error::AppError::Invalid(e)) => {
                e.into_iter().map(|e| (e.field, e.message)).collect()
            }
            Err(other) => panic!("not a field error: {other:?}"),
        }
    }

    #[test]
    fn a_contract_names_what_it_uses() {
        let good = with(ContractSpec {
            config_path: Some("/etc/tenant".into()),
            health: vec![HealthCheckSpec {
                component: "store".into(),
                path: "/healthz".into(),
                port: None,
                timeout_seconds: Some(30),
            }],
            ..Default::default()
        });
        assert_eq!(errors(&good), vec![]);
        let bad = with(ContractSpec {
            config_path: Some("etc".into()),
            health: vec![
                HealthCheckSpec {
                    component: "nope".into(),
                    path: "/".into(),
                    port: None,
                    timeout_seconds: None,
                },
                HealthCheckSpec {
                    component: "store".into(),
                    path: "health z".into(),
                    port: Some("admin".into()),
                    timeout_seconds: Some(0),
                },
            ],
            ..Default::default()
        });
        let fields: Vec<String> = errors(&bad).into_iter().map(|(f, _)| f).collect();
        for f in [
            "contract.config_path",
            "contract.health[0].component",
            "contract.health[1].path",
            "contract.health[1].port",
            "contract.health[1].timeout_seconds",
        ] {
            assert!(fields.iter().any(|x| x == f), "{f} not in {fields:?}");
        }
    }

    #[test]
    fn api_keys_are_named_plainly_and_mounted_apart() {
        let keys = |names: &[&str], path: &str| {
            with(ContractSpec {
                config_path: Some("/etc/tenant".into()),
                api_keys: Some(crate::dto::ApiKeysSpec {
                    names: names.iter().map(|n| n.to_string()).collect(),
                    path: path.into(),
                }),
                ..Default::default()
            })
        };
        let good = keys(&["production", "development"], "/etc/tenant-keys");
        assert_eq!(errors(&good), vec![]);
        assert!(summary(&good)
            .contains(&"API keys production, development (hashes at /etc/tenant-keys)".into()));
        let fields =
            |r: &ReleaseSpec| -> Vec<String> { errors(r).into_iter().map(|(f, _)| f).collect() };
        assert_eq!(
            fields(&keys(&["Prod", "dev", "dev"], "/etc/tenant/keys")),
            vec![
                "contract.api_keys.path",
                "contract.api_keys.names[0]",
                "contract.api_keys.names[2]"
            ]
        );
        assert_eq!(fields(&keys(&[], "/keys")), vec!["contract.api_keys.names"]);
        assert_eq!(
            fields(&keys(&["a", "b", "c", "d", "e"], "/keys")),
            vec!["contract.api_keys.names"]
        );
    }

    #[test]
    fn the_admin_is_handed_on_only_by_a_release_that_takes_one() {
        let mut r = super::super::tests::shop();
        r.jobs[1].env = vec![crate::dto::EnvVar {
            name: "ADMIN_PASSWORD".into(),
            value: "${admin.password}".into(),
        }];
        let e = errors(&r);
        assert!(
            e.iter()
                .any(|(f, m)| f == "jobs.sample-data.env.ADMIN_PASSWORD"
                    && m.contains("contract.admin")),
            "{e:?}"
        );
        r.contract.admin = true;
        assert_eq!(errors(&r), vec![]);
        r.jobs[1].env[0].value = "pw=${admin.password}".into();
        assert!(errors(&r).iter().any(|(_, m)| m.contains("whole value")));
    }

    #[test]
    fn a_contract_is_summed_up_one_phrase_a_part() {
        let r = with(ContractSpec {
            admin: true,
            config_path: Some("/etc/tenant".into()),
            health: vec![HealthCheckSpec {
                component: "store".into(),
                path: "/healthz".into(),
                port: None,
                timeout_seconds: None,
            }],
            api_keys: None,
        });
        assert_eq!(
            summary(&r),
            [
                "tenant admin (tenant-admin)",
                "tenant.json at /etc/tenant",
                "health: store:http/healthz within 60 s"
            ]
        );
        assert!(summary(&super::super::tests::shop()).is_empty());
    }

    #[test]
    fn the_admin_is_named_after_the_owner() {
        assert_eq!(admin_username("Ann.Lee+shop@example.com"), "ann.leeshop");
        assert_eq!(admin_username("__x@example.com"), "x");
        assert_eq!(admin_username("ÅÄÖ@example.com"), "admin");
        assert_eq!(
            admin_username(&format!("{}@x.io", "a".repeat(40))).len(),
            32
        );
    }

    #[test]
    fn the_configuration_may_not_hide_a_file() {
        let r = with(ContractSpec {
            config_path: Some("/etc/shop".into()),
            ..Default::default()
        });
        let has_file = r
            .components
            .iter()
            .flat_map(|c| &c.files)
            .any(|f| f.path.starts_with("/etc/shop/"));
        assert!(has_file, "the test release mounts a file under /etc/shop");
        let e = errors(&r);
        assert!(
            e.iter()
                .any(|(f, m)| f == "contract.config_path" && m.contains("overlaps")),
            "{e:?}"
        );
    }
}
