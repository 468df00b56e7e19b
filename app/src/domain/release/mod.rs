//! The rules a release meets before it is stored: everything a cluster
//! would refuse (names, image references, ports, routes, probes) and every
//! value reference, each failure a field error naming where it is
//! (`components.api.env.USER_LIMIT`) and the rule.

pub mod contract;
pub mod edit;
pub mod fields;
pub mod fit;
pub mod names;
mod parts;
pub mod rotation;
pub mod values;

use std::collections::HashSet;

use crate::dto::{
    DatabaseKind, EnvVar, JobSpec, PodSecurity, ProbeSpec, ReleaseSpec, ResourcesSpec,
};
use crate::error::{AppError, FieldErrors};
use values::{Piece, Reference};

/// Component names the renderer gives its own objects' labels.
pub const RESERVED_COMPONENTS: &[&str] = &[
    "application",
    "backup",
    "certificate",
    "database",
    "config",
    "ingress",
    "job",
    "limits",
    "migration",
    "namespace",
    "network",
    "quota",
];

/// Secrets Tenantry makes itself.
pub const RESERVED_SECRETS: &[&str] = &[
    "db-credentials",
    "db-superuser",
    "backup-store",
    "tenant-admin",
    "tenant-api-keys",
    "tenant-tls",
];

const MAX_COMPONENTS: usize = 20;
const MAX_JOBS: usize = 20;
/// How many times a job's step may run it.
pub const MAX_JOB_ATTEMPTS: u32 = 10;
const MAX_FILE_BYTES: usize = 256 * 1024;

/// A new application's key, name and description, checked.
pub fn validate_application(
    form: &crate::dto::ApplicationForm,
) -> Result<(String, String, String), AppError> {
    use crate::domain::template_rules::validate_template_key;
    use crate::domain::validate::validate_display_name;
    let mut e = FieldErrors::default();
    let key = e.check("key", validate_template_key(&form.key));
    let name = e.check("name", validate_display_name(&form.name, 64));
    let description = form.description.trim().to_string();
    e.check(
        "description",
        crate::domain::text::check_human_text(&description, 500, true),
    );
    e.into_result()?;
    Ok((
        key.unwrap_or_default(),
        name.unwrap_or_default(),
        description,
    ))
}

/// Checks a release; all problems at once.
pub fn validate(r: &ReleaseSpec) -> Result<(), AppError> {
    let mut e = FieldErrors::default();
    if r.pod_security != PodSecurity::Restricted
        && r.pod_security_reason
            .as_deref()
            .is_none_or(|s| s.trim().is_empty())
    {
        e.push(
            "pod_security_reason",
            "must say why the release needs a level below restricted",
        );
    }
    database(r, &mut e);
    let secrets = secrets(r, &mut e);
    let fields = fields::check_specs(&r.fields, &mut e);
    let refs = Refs {
        secrets: &secrets,
        fields: &fields,
        database: r.database.kind != DatabaseKind::None,
        admin: r.contract.admin,
    };
    env_list("env", &r.env, &refs, &mut e);
    parts::components(r, &refs, &mut e);
    parts::jobs(r, &refs, &mut e);
    contract::check(r, &mut e);
    e.into_result()
}

/// The release as a plan with `features` runs it: the components that
/// ask for a feature the plan lacks are left out, so they are neither
/// rendered nor expected healthy, and an update prunes them.
pub fn for_plan(mut r: ReleaseSpec, features: &[String]) -> ReleaseSpec {
    r.components
        .retain(|c| c.feature.as_ref().is_none_or(|f| features.contains(f)));
    r
}

/// What a reference may name in this release.
struct Refs<'a> {
    /// (secret, key) pairs the release generates.
    secrets: &'a HashSet<(String, String)>,
    /// Custom fields the release declares.
    fields: &'a HashSet<String>,
    database: bool,
    /// The release takes a tenant admin (`contract.admin`).
    admin: bool,
}

impl Refs<'_> {
    /// A value's references checked; `whole_secret_ok` where a secret
    /// may be the whole value (env), never in files.
    fn check(&self, value: &str, whole_secret_ok: bool) -> Result<(), String> {
        let pieces = values::parse(value)?;
        let alone = pieces.len() == 1;
        for p in &pieces {
            let Piece::Ref(r) = p else { continue };
            if r.needs_database() && !self.database {
                return Err(format!("{} needs a database; the release has none", r));
            }
            if matches!(r, Reference::AdminUsername | Reference::AdminPassword) && !self.admin {
                return Err(format!(
                    "{} needs a tenant admin: say contract.admin: true",
                    r
                ));
            }
            if let Reference::Field(name) = r {
                if !self.fields.contains(name) {
                    return Err(format!(
                        "{} names no custom field of the release (declare it under fields)",
                        r
                    ));
                }
            }
            if let Reference::Secret { name, key } = r {
                if !self.secrets.contains(&(name.clone(), key.clone())) {
                    return Err(format!(
                        "{} names no generated secret of the release (declare it under secrets)",
                        r
                    ));
                }
            }
            if r.is_secret() && !(whole_secret_ok && alone) {
                return Err(if whole_secret_ok {
                    format!("{} is secret: it may only be the whole value", r)
                } else {
                    format!("{} is secret: files may not hold secrets", r)
                });
            }
        }
        Ok(())
    }
}

fn database(r: &ReleaseSpec, e: &mut FieldErrors) {
    let db = &r.database;
    if db.kind == DatabaseKind::None {
        return;
    }
    match &db.image {
        Some(i) => {
            e.check("database.image", names::image(i));
        }
        None => e.push("database.image", "is required for a database"),
    }
    if let Some(name) = &db.name {
        let ok = name.len() <= 63
            && name.starts_with(|c: char| c.is_ascii_lowercase())
            && name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !ok {
            e.push(
                "database.name",
                "must be 1 to 63 of a-z, 0-9 and '_', starting with a letter",
            );
        }
    }
    if db.kind == DatabaseKind::Mysql && db.backups {
        e.push(
            "database.backups",
            "Tenantry dumps and restores PostgreSQL only; a MySQL release must say backups: false",
        );
    }
}

fn secrets(r: &ReleaseSpec, e: &mut FieldErrors) -> HashSet<(String, String)> {
    let mut names = HashSet::new();
    let mut out = HashSet::new();
    for (i, s) in r.secrets.iter().enumerate() {
        let at = format!("secrets[{i}]");
        if e.check(&format!("{at}.name"), names::dns_label(&s.name, 63))
            .is_none()
        {
            continue;
        }
        if RESERVED_SECRETS.contains(&s.name.as_str()) {
            e.push(
                &format!("{at}.name"),
                format!("\"{}\" is Tenantry's own", s.name),
            );
        } else if !names.insert(s.name.clone()) {
            e.push(
                &format!("{at}.name"),
                format!("\"{}\" is declared twice", s.name),
            );
        }
        if s.keys.is_empty() {
            e.push(
                &format!("secrets.{}.keys", s.name),
                "must hold at least one key",
            );
        }
        for k in &s.keys {
            let field = format!("secrets.{}.keys.{}", s.name, k.key);
            if e.check(&field, names::data_key(&k.key)).is_none() {
                continue;
            }
            if !(16..=256).contains(&k.length) {
                e.push(&format!("{field}.length"), "must be 16 to 256 characters");
            }
            if !out.insert((s.name.clone(), k.key.clone())) {
                e.push(&field, "is declared twice");
            }
        }
    }
    out
}

fn env_list(at: &str, env: &[EnvVar], refs: &Refs, e: &mut FieldErrors) {
    let mut seen = HashSet::new();
    for (i, v) in env.iter().enumerate() {
        if e.check(&format!("{at}[{i}].name"), names::env_name(&v.name))
            .is_none()
        {
            continue;
        }
        let field = format!("{at}.{}", v.name);
        if !seen.insert(v.name.as_str()) {
            e.push(&field, "is set twice");
        }
        e.check(&field, refs.check(&v.value, true));
    }
}

/// `list.name` for a well-formed unique name, else `list[i]`.
fn place(list: &str, i: usize, name: &str, seen: &mut HashSet<String>, max: usize) -> String {
    if names::dns_label(name, max).is_ok() && seen.insert(name.to_string()) {
        format!("{list}.{name}")
    } else {
        format!("{list}[{i}]")
    }
}

#[cfg(test)]
pub(crate) mod tests;
