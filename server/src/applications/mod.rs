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

/// One seeded application: key, name, description, its release 1 and its
/// plans (a YAML list of template forms), made together, once.
pub struct SeedApplication {
    pub key: &'static str,
    pub name: &'static str,
    pub description: &'static str,
    pub release: &'static str,
    pub plans: &'static str,
}

/// The applications a console starts with, one per reference system
/// (made where missing at every start, with their plans; a stored
/// release or plan is never changed).
pub const SEEDS: &[SeedApplication] = &[
    SeedApplication {
        key: WORKSHOP_KEY,
        name: "Workshop SaaS",
        description: "An API, a web front end and migrations on PostgreSQL: the shape every tenant ran before applications existed.",
        release: WORKSHOP_RELEASE,
        plans: include_str!("../../seed/plans/workshop-saas.yaml"),
    },
    SeedApplication {
        key: "school-supply",
        name: "School supply system",
        description: "Schools, products and deliveries for schools, districts and municipalities: an API, a web front end and an analytics service on PostgreSQL, with the administrator, configuration and initial data made by jobs after provisioning.",
        release: include_str!("../../seed/applications/school-supply.yaml"),
        plans: include_str!("../../seed/plans/school-supply.yaml"),
    },
    SeedApplication {
        key: "woocommerce",
        name: "WooCommerce store",
        description: "WordPress with WooCommerce on MySQL; sample products and cash on delivery set up once the store first runs.",
        release: include_str!("../../seed/applications/woocommerce.yaml"),
        plans: include_str!("../../seed/plans/woocommerce.yaml"),
    },
    SeedApplication {
        key: "white-label",
        name: "White-label kit",
        description: "A branded backend and frontend on PostgreSQL, with feature flags and limits per plan and branding per tenant.",
        release: include_str!("../../seed/applications/white-label.yaml"),
        plans: include_str!("../../seed/plans/white-label.yaml"),
    },
];

static WORKSHOP: LazyLock<ReleaseSpec> = LazyLock::new(|| {
    // Checked by `the_seeded_releases_are_valid` (and at every start).
    parse_release(WORKSHOP_RELEASE).unwrap_or_else(|_| ReleaseSpec {
        pod_security: Default::default(),
        pod_security_reason: None,
        database: Default::default(),
        secrets: vec![],
        fields: vec![],
        env: vec![],
        components: vec![],
        jobs: vec![],
        contract: Default::default(),
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
        for seed in SEEDS {
            if let Err(e) = parse_release(seed.release) {
                panic!("the release of {} is invalid: {e}", seed.key);
            }
        }
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
