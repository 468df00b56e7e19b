//! What a cluster cannot give a tenant of a plan and release, said before
//! staff are surprised by it: a new tenant of such a plan is refused (at
//! validation and in its preview), an existing one is warned of on its
//! page and in previews; while no cluster is connected, the check is said
//! to be pending.

use crate::dto::{DatabaseKind, ReleaseSpec, TierSpec};

/// How many PostgreSQL instances the plan asks of CloudNativePG (more than
/// one, for a release on PostgreSQL): what every rule below is about.
fn replicated_postgres(tier: &TierSpec, release: &ReleaseSpec) -> Option<u32> {
    let n = tier.postgres_instances;
    (release.database.kind == DatabaseKind::Postgres && n > 1).then_some(n)
}

/// The warnings for a tenant on `tier` running `release` on a cluster that
/// serves CloudNativePG (`Some(true)`), does not (`Some(false)`), or is not
/// connected (`None`: nothing is said yet).
pub fn cluster_warnings(tier: &TierSpec, release: &ReleaseSpec, cnpg: Option<bool>) -> Vec<String> {
    let n = tier.postgres_instances;
    let mut out = vec![];
    if let Some(n) = replicated_postgres(tier, release).filter(|_| cnpg == Some(false)) {
        out.push(format!(
            "the plan asks for {n} PostgreSQL instances, but this cluster serves no \
             CloudNativePG: the tenant runs one (a StatefulSet), without a standby or failover"
        ));
    }
    if release.database.kind == DatabaseKind::Mysql && n > 1 {
        out.push(format!(
            "the plan asks for {n} database instances; MySQL runs as one (a StatefulSet)"
        ));
    }
    out
}

/// Why no new tenant can be made on `tier` running `release` on a cluster
/// that serves CloudNativePG or not (`None`: it can, or no cluster is
/// connected yet, see [`pending_checks`]).
pub fn new_tenant_refusal(
    tier: &TierSpec,
    release: &ReleaseSpec,
    cnpg: Option<bool>,
) -> Option<String> {
    let n = replicated_postgres(tier, release).filter(|_| cnpg == Some(false))?;
    Some(format!(
        "the plan asks for {n} PostgreSQL instances, but this cluster serves no \
         CloudNativePG: it can run one; choose a plan with one instance, or install \
         CloudNativePG"
    ))
}

/// What cannot be checked yet because no cluster is connected.
pub fn pending_checks(tier: &TierSpec, release: &ReleaseSpec, cnpg: Option<bool>) -> Vec<String> {
    replicated_postgres(tier, release)
        .filter(|_| cnpg.is_none())
        .map(|n| {
            format!(
                "pending: no cluster is connected, so whether it can run the plan's {n} \
                 PostgreSQL instances (CloudNativePG) is checked when one is"
            )
        })
        .into_iter()
        .collect()
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

    #[test]
    fn a_new_tenant_the_cluster_cannot_give_is_refused_and_pending_without_a_cluster() {
        let mut tier = crate::domain::release::tests::tier();
        tier.postgres_instances = 3;
        let pg = release("postgres");
        let why = new_tenant_refusal(&tier, &pg, Some(false)).expect("refused");
        assert!(why.contains("3 PostgreSQL instances") && why.contains("CloudNativePG"));
        assert_eq!(new_tenant_refusal(&tier, &pg, Some(true)), None);
        assert_eq!(new_tenant_refusal(&tier, &pg, None), None, "not known yet");
        assert_eq!(pending_checks(&tier, &pg, None).len(), 1);
        assert!(pending_checks(&tier, &pg, Some(false)).is_empty());
        assert_eq!(
            new_tenant_refusal(&tier, &release("none"), Some(false)),
            None
        );
        tier.postgres_instances = 1;
        assert_eq!(new_tenant_refusal(&tier, &pg, Some(false)), None);
        assert!(pending_checks(&tier, &pg, None).is_empty());
    }
}
