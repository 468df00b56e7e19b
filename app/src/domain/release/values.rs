//! Values: `${…}` references in a release's env values and file contents,
//! resolved per tenant when its objects are rendered. `$${` writes a
//! literal `${`. The references:
//!
//! | reference | value |
//! | --- | --- |
//! | `tenant.id`, `tenant.namespace` | the tenant's ID and namespace |
//! | `tenant.host` | its platform host (`<id>.<base domain>`) |
//! | `tenant.hosts` | every host it is served on, comma-separated |
//! | `tenant.custom_domain` | its custom domain, or empty |
//! | `plan.key`, `plan.version` | the plan (template) and its version |
//! | `plan.user_limit` | the plan's user limit, or `unlimited` |
//! | `plan.features` | the plan's features, comma-separated |
//! | `plan.feature.<name>` | `true` or `false` |
//! | `plan.limit.<name>` | the plan's named limit, or `unlimited` |
//! | `field.<name>` | the tenant's custom field (or its default) |
//! | `database.host`, `database.port`, `database.name` | where the database is |
//! | `database.username`, `database.password` | its credentials (secret) |
//! | `admin.username`, `admin.password` | the tenant admin (secret; `contract.admin`) |
//! | `secret.<name>.<key>` | a generated secret of the release (secret) |
//!
//! A secret reference must be an env value's whole value (it becomes a
//! reference to the Secret, never its text) and may not appear in files.

use crate::dto::TierSpec;

/// One part of a value: text, or a reference.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Piece {
    Text(String),
    Ref(Reference),
}

/// What a `${…}` names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reference {
    TenantId,
    TenantNamespace,
    TenantHost,
    TenantHosts,
    TenantCustomDomain,
    PlanKey,
    PlanVersion,
    PlanUserLimit,
    PlanFeatures,
    PlanFeature(String),
    PlanLimit(String),
    Field(String),
    DatabaseHost,
    DatabasePort,
    DatabaseName,
    DatabaseUsername,
    DatabasePassword,
    AdminUsername,
    AdminPassword,
    Secret { name: String, key: String },
}

/// The references that need no declaration, for messages.
pub const KNOWN: &str = "tenant.id, tenant.namespace, tenant.host, tenant.hosts, \
tenant.custom_domain, plan.key, plan.version, plan.user_limit, plan.features, \
plan.feature.<name>, plan.limit.<name>, field.<name>, database.host, database.port, database.name, database.username, \
database.password, admin.username, admin.password, secret.<name>.<key>";

impl Reference {
    fn parse(text: &str) -> Result<Reference, String> {
        use Reference::*;
        let known = match text {
            "tenant.id" => Some(TenantId),
            "tenant.namespace" => Some(TenantNamespace),
            "tenant.host" => Some(TenantHost),
            "tenant.hosts" => Some(TenantHosts),
            "tenant.custom_domain" => Some(TenantCustomDomain),
            "plan.key" => Some(PlanKey),
            "plan.version" => Some(PlanVersion),
            "plan.user_limit" => Some(PlanUserLimit),
            "plan.features" => Some(PlanFeatures),
            "database.host" => Some(DatabaseHost),
            "database.port" => Some(DatabasePort),
            "database.name" => Some(DatabaseName),
            "database.username" => Some(DatabaseUsername),
            "database.password" => Some(DatabasePassword),
            "admin.username" => Some(AdminUsername),
            "admin.password" => Some(AdminPassword),
            _ => None,
        };
        if let Some(r) = known {
            return Ok(r);
        }
        if let Some(name) = text.strip_prefix("plan.feature.") {
            if !name.is_empty() {
                return Ok(PlanFeature(name.to_string()));
            }
        }
        if let Some(name) = text.strip_prefix("plan.limit.") {
            if !name.is_empty() {
                return Ok(PlanLimit(name.to_string()));
            }
        }
        if let Some(name) = text.strip_prefix("field.") {
            if !name.is_empty() {
                return Ok(Field(name.to_string()));
            }
        }
        if let Some(rest) = text.strip_prefix("secret.") {
            if let Some((name, key)) = rest.split_once('.') {
                if !name.is_empty() && !key.is_empty() {
                    return Ok(Secret {
                        name: name.into(),
                        key: key.into(),
                    });
                }
            }
        }
        Err(format!("unknown reference ${{{text}}} (known: {KNOWN})"))
    }

    /// Whether its value is secret (so never written as text).
    pub fn is_secret(&self) -> bool {
        self.secret_key().is_some()
    }

    /// The Secret and key a secret reference is kept in.
    pub fn secret_key(&self) -> Option<(&str, &str)> {
        use super::contract::ADMIN_SECRET;
        match self {
            Reference::DatabaseUsername => Some((DATABASE_SECRET, "username")),
            Reference::DatabasePassword => Some((DATABASE_SECRET, "password")),
            Reference::AdminUsername => Some((ADMIN_SECRET, "username")),
            Reference::AdminPassword => Some((ADMIN_SECRET, "password")),
            Reference::Secret { name, key } => Some((name, key)),
            _ => None,
        }
    }

    pub fn needs_database(&self) -> bool {
        matches!(
            self,
            Reference::DatabaseHost
                | Reference::DatabasePort
                | Reference::DatabaseName
                | Reference::DatabaseUsername
                | Reference::DatabasePassword
        )
    }
}

impl std::fmt::Display for Reference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use Reference::*;
        let name = match self {
            TenantId => "tenant.id",
            TenantNamespace => "tenant.namespace",
            TenantHost => "tenant.host",
            TenantHosts => "tenant.hosts",
            TenantCustomDomain => "tenant.custom_domain",
            PlanKey => "plan.key",
            PlanVersion => "plan.version",
            PlanUserLimit => "plan.user_limit",
            PlanFeatures => "plan.features",
            DatabaseHost => "database.host",
            DatabasePort => "database.port",
            DatabaseName => "database.name",
            DatabaseUsername => "database.username",
            DatabasePassword => "database.password",
            AdminUsername => "admin.username",
            AdminPassword => "admin.password",
            PlanFeature(n) => return write!(f, "${{plan.feature.{n}}}"),
            Field(n) => return write!(f, "${{field.{n}}}"),
            PlanLimit(n) => return write!(f, "${{plan.limit.{n}}}"),
            Secret { name, key } => return write!(f, "${{secret.{name}.{key}}}"),
        };
        write!(f, "${{{name}}}")
    }
}

/// Splits a value into text and references; the rule broken otherwise.
pub fn parse(value: &str) -> Result<Vec<Piece>, String> {
    let mut out = vec![];
    let mut text = String::new();
    let mut rest = value;
    while let Some(at) = rest.find('$') {
        text.push_str(&rest[..at]);
        let tail = &rest[at..];
        if let Some(after) = tail.strip_prefix("$${") {
            text.push_str("${");
            rest = after;
        } else if let Some(after) = tail.strip_prefix("${") {
            let Some(end) = after.find('}') else {
                return Err(format!("\"${{\" without a closing '}}' in \"{value}\""));
            };
            if !text.is_empty() {
                out.push(Piece::Text(std::mem::take(&mut text)));
            }
            out.push(Piece::Ref(Reference::parse(after[..end].trim())?));
            rest = &after[end + 1..];
        } else {
            text.push('$');
            rest = &tail[1..];
        }
    }
    text.push_str(rest);
    if !text.is_empty() {
        out.push(Piece::Text(text));
    }
    Ok(out)
}

/// What a reference resolves against: one tenant on its plan.
pub struct ValueContext<'a> {
    pub tenant_id: &'a str,
    pub namespace: &'a str,
    /// Platform host first, then the custom domain.
    pub hosts: &'a [String],
    pub custom_domain: Option<&'a str>,
    pub plan_key: &'a str,
    pub plan_version: i64,
    pub tier: &'a TierSpec,
    /// (host, port, database name), when the release has a database.
    pub database: Option<(&'a str, u16, &'a str)>,
    /// What each custom field reads (see [`super::fields::effective`]).
    pub fields: &'a crate::dto::CustomValues,
}

/// A resolved value: text, or where a secret is kept.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Resolved {
    Text(String),
    /// (Secret name, key).
    Secret(String, String),
}

/// The Secret holding the database's credentials.
pub const DATABASE_SECRET: &str = "db-credentials";

impl ValueContext<'_> {
    fn text(&self, r: &Reference) -> Result<Resolved, String> {
        use Reference::*;
        let db = || {
            self.database
                .ok_or_else(|| "the release has no database".to_string())
        };
        Ok(Resolved::Text(match r {
            TenantId => self.tenant_id.into(),
            TenantNamespace => self.namespace.into(),
            TenantHost => self.hosts.first().cloned().unwrap_or_default(),
            TenantHosts => self.hosts.join(","),
            TenantCustomDomain => self.custom_domain.unwrap_or_default().into(),
            PlanKey => self.plan_key.into(),
            PlanVersion => self.plan_version.to_string(),
            PlanUserLimit => self
                .tier
                .user_limit
                .map_or_else(|| "unlimited".into(), |u| u.to_string()),
            PlanFeatures => self.tier.features.join(","),
            PlanFeature(name) => self.tier.features.iter().any(|f| f == name).to_string(),
            PlanLimit(name) => self
                .tier
                .limits
                .get(name)
                .map_or_else(|| "unlimited".into(), |n| n.to_string()),
            Field(name) => self
                .fields
                .get(name)
                .cloned()
                .ok_or_else(|| format!("the release declares no field \"{name}\""))?,
            DatabaseHost => db()?.0.into(),
            DatabasePort => db()?.1.to_string(),
            DatabaseName => db()?.2.into(),
            DatabaseUsername | DatabasePassword | AdminUsername | AdminPassword | Secret { .. } => {
                if r.needs_database() {
                    db()?;
                }
                let (name, key) = r.secret_key().unwrap_or_default();
                return Ok(Resolved::Secret(name.into(), key.into()));
            }
        }))
    }

    /// A value resolved: a whole-value secret reference stays a reference;
    /// anything else becomes text. Errors name the broken rule (a
    /// validated release never has one).
    pub fn resolve(&self, value: &str) -> Result<Resolved, String> {
        let pieces = parse(value)?;
        if let [Piece::Ref(r)] = pieces.as_slice() {
            return self.text(r);
        }
        let mut out = String::new();
        for p in &pieces {
            match p {
                Piece::Text(t) => out.push_str(t),
                Piece::Ref(r) => match self.text(r)? {
                    Resolved::Text(t) => out.push_str(&t),
                    Resolved::Secret(..) => {
                        return Err("a secret may only be a whole env value".into())
                    }
                },
            }
        }
        Ok(Resolved::Text(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_and_text_are_told_apart() {
        let p = parse("https://${tenant.host}/x?a=$${literal}&b=$5").expect("parses");
        assert_eq!(
            p,
            vec![
                Piece::Text("https://".into()),
                Piece::Ref(Reference::TenantHost),
                Piece::Text("/x?a=${literal}&b=$5".into()),
            ]
        );
        assert_eq!(
            parse("${secret.app-secrets.jwt-secret}").expect("parses"),
            vec![Piece::Ref(Reference::Secret {
                name: "app-secrets".into(),
                key: "jwt-secret".into()
            })]
        );
    }

    #[test]
    fn an_unknown_or_unclosed_reference_names_itself() {
        let e = parse("a ${plan.userlimit} b").expect_err("unknown");
        assert!(e.starts_with("unknown reference ${plan.userlimit}"), "{e}");
        let e = parse("${tenant.id").expect_err("unclosed");
        assert!(e.contains("without a closing"), "{e}");
    }

    #[test]
    fn values_resolve_for_a_tenant() {
        let tier = TierSpec {
            user_limit: None,
            features: vec!["sso".into()],
            limits: [("schools".to_string(), 10)].into(),
            ..super::super::tests::tier()
        };
        let hosts = vec!["acme.example.com".to_string(), "shop.acme.io".to_string()];
        let ctx = ValueContext {
            tenant_id: "acme",
            namespace: "tenant-acme",
            hosts: &hosts,
            custom_domain: Some("shop.acme.io"),
            plan_key: "pro",
            plan_version: 3,
            tier: &tier,
            database: Some(("db-rw", 5432, "app")),
            fields: &[("colour".to_string(), "#ff0000".to_string())].into(),
        };
        let text = |v: &str| ctx.resolve(v).expect("resolves");
        assert_eq!(
            text("${tenant.hosts} ${plan.user_limit} ${plan.feature.sso} ${plan.feature.x}"),
            Resolved::Text("acme.example.com,shop.acme.io unlimited true false".into())
        );
        assert_eq!(
            text("${plan.limit.schools}/${plan.limit.products}"),
            Resolved::Text("10/unlimited".into())
        );
        assert_eq!(
            text("brand: ${field.colour}"),
            Resolved::Text("brand: #ff0000".into())
        );
        assert!(ctx.resolve("${field.logo}").is_err());
        assert_eq!(
            text("${database.password}"),
            Resolved::Secret("db-credentials".into(), "password".into())
        );
        assert!(ctx.resolve("pw=${database.password}").is_err());
        let none = ValueContext {
            database: None,
            ..ctx
        };
        assert!(none.resolve("${database.host}").is_err());
    }
}
