//! Validation of a template form into a consistent tier: every number in
//! range, requests within limits, and a namespace quota large enough to hold
//! the workloads the tier asks for.

use crate::domain::text::check_human_text;
use crate::domain::validate::validate_display_name;
use crate::dto::{TemplateForm, TierSpec};
use crate::error::{AppError, FieldErrors};

/// A template that passed every rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidTemplate {
    pub key: String,
    /// The application's key, when the form names one.
    pub application: Option<String>,
    pub name: String,
    pub description: String,
    pub spec: TierSpec,
}

pub const MAX_DESCRIPTION: usize = 2000;

/// How an edit weakens a plan's backups, if it does: turning them off or
/// keeping fewer dumps (older ones are then pruned from the store). Only
/// admins may make such an edit.
pub fn weakens_backups(old: &TierSpec, new: &TierSpec) -> Option<String> {
    if old.backup_enabled && !new.backup_enabled {
        return Some("turn its backups off".into());
    }
    (old.backup_enabled && new.backup_retention < old.backup_retention).then(|| {
        format!(
            "lower its backup retention from {} to {} (older dumps are pruned)",
            old.backup_retention, new.backup_retention
        )
    })
}

/// `Ok(default)` for an empty optional number; `None` to check it.
fn number_or(value: &str, default: u32) -> Option<Result<u32, String>> {
    value.trim().is_empty().then_some(Ok(default))
}

fn number(value: &str, min: u32, max: u32, unit: &str) -> Result<u32, String> {
    let v = value.trim();
    if v.is_empty() {
        return Err(format!(
            "is required: a whole number from {min} to {max}{unit}"
        ));
    }
    match v.parse::<u64>() {
        Ok(n) if n >= u64::from(min) && n <= u64::from(max) => Ok(n as u32),
        Ok(_) => Err(format!("must be from {min} to {max}{unit}")),
        Err(_) => Err(format!(
            "must be a whole number from {min} to {max}{unit} (got \"{}\")",
            v.chars().take(20).collect::<String>()
        )),
    }
}

/// A template key: a short DNS-label-like identifier, e.g. "professional".
pub fn validate_template_key(value: &str) -> Result<String, String> {
    let key = value.trim();
    if key.len() < 2 || key.len() > 40 {
        return Err("must be 2 to 40 characters".into());
    }
    if let Some(c) = key
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'))
    {
        return Err(format!(
            "may contain only a-z, 0-9 and '-' (found {})",
            crate::domain::text::describe_char(c)
        ));
    }
    if !key.starts_with(|c: char| c.is_ascii_lowercase()) || key.ends_with('-') {
        return Err("must start with a letter and not end with '-'".into());
    }
    Ok(key.to_string())
}

/// A plan feature's name: 1 to 40 of a-z, 0-9, '-', '_'.
pub fn feature_name(f: &str) -> Result<(), String> {
    if f.is_empty()
        || f.len() > 40
        || !f
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
    {
        return Err(format!(
            "each feature must be 1 to 40 of a-z, 0-9, '-', '_' (\"{}\" is not)",
            f.chars().take(40).collect::<String>()
        ));
    }
    Ok(())
}

/// The plan limit Tenantry enforces at the edge as a request rate (per
/// minute, per tenant route), where the console's edge can.
pub const EDGE_RATE_LIMIT: &str = "requests-per-minute";
/// The plan limit Tenantry enforces at the edge as the largest request
/// body (MiB).
pub const EDGE_BODY_LIMIT: &str = "request-body-mb";

/// Named limits: `name=number` pairs, comma-separated, each name a
/// feature-style name (1 to 40 of a-z, 0-9, '-', '_'), each number
/// whole, 0 to 10^12.
pub fn limits(value: &str) -> Result<std::collections::BTreeMap<String, u64>, String> {
    let mut out = std::collections::BTreeMap::new();
    for raw in value.split(',') {
        let pair = raw.trim();
        if pair.is_empty() {
            continue;
        }
        let rule = || {
            format!(
                "each limit must be name=number, like schools=10 (\"{}\" is not)",
                pair.chars().take(60).collect::<String>()
            )
        };
        let (name, n) = pair.split_once('=').ok_or_else(rule)?;
        let name = name.trim();
        feature_name(name).map_err(|_| rule())?;
        let n: u64 = n.trim().parse().map_err(|_| rule())?;
        if n > 1_000_000_000_000 {
            return Err(format!("limit \"{name}\" must be at most 10^12"));
        }
        let edge = match name {
            EDGE_RATE_LIMIT => Some(("requests a minute", 1_000_000)),
            EDGE_BODY_LIMIT => Some(("MiB", 100_000)),
            _ => None,
        };
        if let Some((unit, max)) = edge.filter(|(_, max)| !(1..=*max).contains(&n)) {
            return Err(format!(
                "limit \"{name}\" is enforced at the edge: 1 to {max} {unit}"
            ));
        }
        if out.insert(name.to_string(), n).is_some() {
            return Err(format!("limit \"{name}\" is given twice"));
        }
    }
    if out.len() > 50 {
        return Err("at most 50 limits".into());
    }
    Ok(out)
}

fn features(value: &str) -> Result<Vec<String>, String> {
    let mut out: Vec<String> = Vec::new();
    for raw in value.split(',') {
        let f = raw.trim();
        if f.is_empty() {
            continue;
        }
        feature_name(f)?;
        if !out.iter().any(|o| o == f) {
            out.push(f.to_string());
        }
    }
    if out.len() > 50 {
        return Err("at most 50 features".into());
    }
    Ok(out)
}

/// A backup schedule: five cron fields (minute hour day month weekday, UTC)
/// of digits, `*`, `,`, `-` and `/` only, so Kubernetes' CronJob and
/// CloudNativePG read it the same way. Empty means the default.
pub fn validate_backup_schedule(value: &str) -> Result<String, String> {
    let v = value.split_whitespace().collect::<Vec<_>>().join(" ");
    if v.is_empty() {
        return Ok(crate::dto::DEFAULT_BACKUP_SCHEDULE.into());
    }
    let rule = "must be five cron fields (minute hour day month weekday, UTC) of digits, '*', ',', '-' and '/', e.g. \"0 2 * * *\"";
    if v.split(' ').count() != 5
        || !v
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '*' | ',' | '-' | '/' | ' '))
    {
        return Err(rule.into());
    }
    #[cfg(feature = "ssr")]
    {
        use std::str::FromStr as _;
        if let Err(e) = croner::Cron::from_str(&v) {
            return Err(format!("{rule}: {e}"));
        }
    }
    Ok(v)
}

impl TemplateForm {
    /// Checks every field and the tier's consistency; all problems at once.
    pub fn validate(&self) -> Result<ValidTemplate, AppError> {
        let mut e = FieldErrors::default();
        let key = e.check("key", validate_template_key(&self.key));
        let application = match self.application.trim() {
            "" => Some(None),
            named => e.check("application", validate_template_key(named).map(Some)),
        };
        let name = e.check("name", validate_display_name(&self.name, 64));
        let description = e.check(
            "description",
            check_human_text(self.description.trim(), MAX_DESCRIPTION, true)
                .map(|_| self.description.trim().to_string()),
        );
        let pg_instances = e.check(
            "postgres_instances",
            number(&self.postgres_instances, 1, 9, ""),
        );
        let pg_storage = e.check(
            "postgres_storage_gi",
            number(&self.postgres_storage_gi, 1, 65_536, " Gi"),
        );
        let api = e.check("api_replicas", number(&self.api_replicas, 1, 100, ""));
        let web = e.check("web_replicas", number(&self.web_replicas, 1, 100, ""));
        let cpu_req = e.check(
            "cpu_request_m",
            number(&self.cpu_request_m, 10, 64_000, " millicores"),
        );
        let cpu_lim = e.check(
            "cpu_limit_m",
            number(&self.cpu_limit_m, 10, 64_000, " millicores"),
        );
        let mem_req = e.check(
            "memory_request_mi",
            number(&self.memory_request_mi, 16, 262_144, " Mi"),
        );
        let mem_lim = e.check(
            "memory_limit_mi",
            number(&self.memory_limit_mi, 16, 262_144, " Mi"),
        );
        let user_limit = if self.user_limit.trim().is_empty() {
            Some(None)
        } else {
            e.check(
                "user_limit",
                number(&self.user_limit, 1, 10_000_000, "").map(Some),
            )
        };
        let q_cpu = e.check(
            "quota_cpu_m",
            number(&self.quota_cpu_m, 100, 1_024_000, " millicores"),
        );
        let q_mem = e.check(
            "quota_memory_mi",
            number(&self.quota_memory_mi, 64, 4_194_304, " Mi"),
        );
        let q_storage = e.check(
            "quota_storage_gi",
            number(&self.quota_storage_gi, 1, 1_048_576, " Gi"),
        );
        let q_pods = e.check("quota_pods", number(&self.quota_pods, 1, 10_000, ""));
        let features = e.check("features", features(&self.features));
        let limits = e.check("limits", limits(&self.limits));
        let backup_schedule = e.check(
            "backup_schedule",
            validate_backup_schedule(&self.backup_schedule),
        );
        let run_timeout = e.check(
            "run_timeout_secs",
            number_or(&self.run_timeout_secs, crate::dto::DEFAULT_RUN_TIMEOUT_SECS)
                .unwrap_or_else(|| number(&self.run_timeout_secs, 60, 86_400, " seconds")),
        );
        let backup_retention = e.check(
            "backup_retention",
            number_or(&self.backup_retention, crate::dto::DEFAULT_BACKUP_RETENTION)
                .unwrap_or_else(|| number(&self.backup_retention, 1, 1_000, " backups")),
        );

        if let (Some(r), Some(l)) = (cpu_req, cpu_lim) {
            if r > l {
                e.push(
                    "cpu_request_m",
                    format!("must not exceed the CPU limit ({l} millicores)"),
                );
            }
        }
        if let (Some(r), Some(l)) = (mem_req, mem_lim) {
            if r > l {
                e.push(
                    "memory_request_mi",
                    format!("must not exceed the memory limit ({l} Mi)"),
                );
            }
        }
        // Every workload pod (API, web, each PostgreSQL instance, the migration
        // job) runs at the tier's limits; the quota must hold them all.
        if let (Some(pg), Some(api), Some(web)) = (pg_instances, api, web) {
            let pods = u64::from(pg) + u64::from(api) + u64::from(web) + 1;
            if let (Some(l), Some(q)) = (cpu_lim, q_cpu) {
                if pods * u64::from(l) > u64::from(q) {
                    e.push(
                        "quota_cpu_m",
                        format!(
                            "must hold {pods} pods at the CPU limit: at least {} millicores",
                            pods * u64::from(l)
                        ),
                    );
                }
            }
            if let (Some(l), Some(q)) = (mem_lim, q_mem) {
                if pods * u64::from(l) > u64::from(q) {
                    e.push(
                        "quota_memory_mi",
                        format!(
                            "must hold {pods} pods at the memory limit: at least {} Mi",
                            pods * u64::from(l)
                        ),
                    );
                }
            }
            if let Some(q) = q_pods {
                if pods > u64::from(q) {
                    e.push(
                        "quota_pods",
                        format!(
                            "must allow at least {pods} pods (API, web, PostgreSQL, migration job)"
                        ),
                    );
                }
            }
            if let (Some(s), Some(q)) = (pg_storage, q_storage) {
                if u64::from(pg) * u64::from(s) > u64::from(q) {
                    e.push(
                        "quota_storage_gi",
                        format!(
                            "must hold {pg} PostgreSQL volume(s) of {s} Gi: at least {} Gi",
                            u64::from(pg) * u64::from(s)
                        ),
                    );
                }
            }
        }
        e.into_result()?;
        let missing = || AppError::invalid("form", "incomplete");
        Ok(ValidTemplate {
            key: key.ok_or_else(missing)?,
            application: application.ok_or_else(missing)?,
            name: name.ok_or_else(missing)?,
            description: description.ok_or_else(missing)?,
            spec: TierSpec {
                postgres_instances: pg_instances.ok_or_else(missing)?,
                postgres_storage_gi: pg_storage.ok_or_else(missing)?,
                api_replicas: api.ok_or_else(missing)?,
                web_replicas: web.ok_or_else(missing)?,
                cpu_request_m: cpu_req.ok_or_else(missing)?,
                cpu_limit_m: cpu_lim.ok_or_else(missing)?,
                memory_request_mi: mem_req.ok_or_else(missing)?,
                memory_limit_mi: mem_lim.ok_or_else(missing)?,
                user_limit: user_limit.ok_or_else(missing)?,
                backup_enabled: self
                    .backup_enabled
                    .as_deref()
                    .is_some_and(|v| !v.is_empty() && v != "false"),
                backup_schedule: backup_schedule.ok_or_else(missing)?,
                backup_retention: backup_retention.ok_or_else(missing)?,
                quota_cpu_m: q_cpu.ok_or_else(missing)?,
                quota_memory_mi: q_mem.ok_or_else(missing)?,
                quota_storage_gi: q_storage.ok_or_else(missing)?,
                quota_pods: q_pods.ok_or_else(missing)?,
                features: features.ok_or_else(missing)?,
                limits: limits.ok_or_else(missing)?,
                run_timeout_secs: run_timeout.ok_or_else(missing)?,
            },
        })
    }
}

#[cfg(test)]
mod tests;
