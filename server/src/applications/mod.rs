//! Applications and their releases: reading a release as staff write it
//! (YAML or JSON, one schema) with every rule checked, and the seeded
//! applications (the workshop SaaS, whose release 1 is the shape every
//! tenant ran before applications existed).

pub mod schema;

use std::sync::LazyLock;

use app::dto::ReleaseSpec;
use app::error::{AppError, FieldError};

/// The workshop SaaS's release 1, as shipped.
pub const WORKSHOP_RELEASE: &str = include_str!("../../seed/applications/workshop-saas.yaml");

/// The key of the seeded workshop application.
pub const WORKSHOP_KEY: &str = "workshop-saas";

/// One seeded application: key, name, description and its release 1.
pub struct SeedApplication {
    pub key: &'static str,
    pub name: &'static str,
    pub description: &'static str,
    pub release: &'static str,
}

/// The applications a console starts with (made where missing at every
/// start; a stored release is never changed).
pub const SEEDS: &[SeedApplication] = &[SeedApplication {
    key: WORKSHOP_KEY,
    name: "Workshop SaaS",
    description: "An API, a web front end and migrations on PostgreSQL: the shape every tenant ran before applications existed.",
    release: WORKSHOP_RELEASE,
}];

static WORKSHOP: LazyLock<ReleaseSpec> = LazyLock::new(|| {
    // Checked by `the_seeded_releases_are_valid` (and at every start).
    parse_release(WORKSHOP_RELEASE).unwrap_or_else(|_| ReleaseSpec {
        pod_security: Default::default(),
        pod_security_reason: None,
        database: Default::default(),
        secrets: vec![],
        env: vec![],
        components: vec![],
        jobs: vec![],
    })
});

/// The workshop SaaS's release 1, parsed once (for tests and benches that
/// render without a store).
pub fn workshop() -> &'static ReleaseSpec {
    &WORKSHOP
}

/// A release read from YAML or JSON (JSON is YAML) and checked: a field
/// the schema does not know, a wrong type or a broken rule is a field
/// error naming where it is.
pub fn parse_release(text: &str) -> Result<ReleaseSpec, AppError> {
    let doc = yaml_serde::Deserializer::from_str(text);
    let spec: ReleaseSpec = serde_path_to_error::deserialize(doc).map_err(|e| {
        let path = e.path().to_string();
        let field = if path == "." { "release".into() } else { path };
        AppError::Invalid(vec![FieldError::new(field, e.into_inner().to_string())])
    })?;
    app::domain::release::validate(&spec)?;
    Ok(spec)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seeded_releases_are_valid() {
        let r = parse_release(WORKSHOP_RELEASE).expect("the workshop release is valid");
        assert_eq!(r.components.len(), 2);
    }

    #[test]
    fn a_wrong_field_is_named_by_its_path() {
        let fields = |text: &str| match parse_release(text) {
            Err(AppError::Invalid(errors)) => {
                errors.into_iter().map(|e| e.field).collect::<Vec<_>>()
            }
            other => panic!("{other:?}"),
        };
        assert_eq!(
            fields("components:\n  - name: api\n    image: api:1\n    replica: 2\n"),
            ["components[0].replica"]
        );
        assert_eq!(
            fields("components:\n  - name: api\n    image: api:1\n    ports: [{name: http, container_port: 70000}]\n"),
            ["components[0].ports[0].container_port"]
        );
        assert_eq!(
            fields("components:\n  - name: api\n    image: api\n"),
            ["components.api.image"]
        );
    }
}
