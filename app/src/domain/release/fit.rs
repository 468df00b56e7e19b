//! What a cluster cannot give a tenant of a plan and release, said before
//! staff are surprised by it: shown on the tenant's page and in previews.
//! (Refusing new tenants of such a plan is the plans issue's.)

use crate::dto::{DatabaseKind, ReleaseSpec, TierSpec};

/// The warnings for a tenant on `tier` running `release` on a cluster that
/// serves CloudNativePG (`Some(true)`), does not (`Some(false)`), or is not
/// connected (`None`: nothing is said yet).
pub fn cluster_warnings(tier: &TierSpec, release: &ReleaseSpec, cnpg: Option<bool>) -> Vec<String> {
    let n = tier.postgres_instances;
    let mut out = vec![];
    match release.database.kind {
        DatabaseKind::Postgres if n > 1 && cnpg == Some(false) => out.push(format!(
            "the plan asks for {n} PostgreSQL instances, but this cluster serves no \
             CloudNativePG: the tenant runs one (a StatefulSet), without a standby or failover"
        )),
        DatabaseKind::Mysql if n > 1 => out.push(format!(
            "the plan asks for {n} database instances; MySQL runs as one (a StatefulSet)"
        )),
        _ => {}
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn release(kind: &str) -> ReleaseSpec {
        serde_json::from_value(serde_json::json!({
            "database": { "kind": kind, "image": "db:1", "backups": false },
            "components": [{ "name": "api", "image": "api:1" }],
        }))
        .expect("the fixture reads")
    }

    #[test]
    fn a_plan_the_cluster_cannot_give_is_said_once_the_cluster_is_known() {
        let mut tier = crate::domain::release::tests::tier();
        tier.postgres_instances = 3;
        let pg = release("postgres");
        let said = cluster_warnings(&tier, &pg, Some(false));
        assert_eq!(said.len(), 1);
        assert!(said[0].contains("3 PostgreSQL instances") && said[0].contains("CloudNativePG"));
        assert!(cluster_warnings(&tier, &pg, Some(true)).is_empty());
        assert!(
            cluster_warnings(&tier, &pg, None).is_empty(),
            "not known yet"
        );
        assert_eq!(
            cluster_warnings(&tier, &release("mysql"), Some(true)).len(),
            1
        );
        assert!(cluster_warnings(&tier, &release("none"), Some(false)).is_empty());
        tier.postgres_instances = 1;
        assert!(cluster_warnings(&tier, &pg, Some(false)).is_empty());
    }
}
