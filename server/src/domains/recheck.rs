//! The leader's re-check of held custom domains: every minute, each
//! tenant whose domain DNS holds back is asked about again, and a domain
//! now pointing here is recorded (served from the tenant's next run).

use std::sync::Arc;
use std::time::Duration;

use super::DnsCheck;
use crate::error::Result;
use crate::store::Store;

/// How often held domains are asked about again.
const RECHECK_EVERY: Duration = Duration::from_secs(60);
/// Domains asked about in one pass (the longest unchecked first).
const PER_PASS: i64 = 200;

/// Asks DNS about every held domain once; returns the tenants whose
/// domain passed now.
pub async fn recheck_held(store: &Store, dns: &DnsCheck) -> Result<Vec<String>> {
    let mut passed = vec![];
    for (id, domain) in store.held_domains(PER_PASS).await? {
        let v = dns.check(&domain).await;
        if store
            .record_domain_check(&id, &domain, (v.ok, &v.detail))
            .await?
            && v.ok
        {
            tracing::info!(tenant = %id, domain = %domain, "a held custom domain points here now");
            passed.push(id);
        }
    }
    Ok(passed)
}

/// Starts the leader's loop (nothing without a configured check).
pub fn spawn_rechecks(
    store: Store,
    dns: Option<Arc<DnsCheck>>,
    leader: crate::replicas::Leadership,
) {
    let Some(dns) = dns else { return };
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(RECHECK_EVERY);
        loop {
            tick.tick().await;
            if !leader.is_leader() {
                continue;
            }
            if let Err(e) = recheck_held(&store, &dns).await {
                tracing::warn!(error = %e, "could not re-check held custom domains");
            }
        }
    });
}
