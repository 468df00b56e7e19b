//! Tenants made before the console acted through per-namespace bindings
//! (or while it was told no identity) get their binding when a leader
//! starts: every namespace Tenantry made, and still judges its own, is
//! bound to the tenant role; a namespace that is not Tenantry's is left
//! alone and named in the log. While it leads, the leader also lets go the
//! binding of any terminating namespace that nothing else holds, so none
//! stays terminating for good (a teardown whose wait ended early, a
//! restart mid-wait, a namespace deleted by hand).

use std::time::Duration;

use crate::cluster::ownership::{self, NamespaceFound};
use crate::cluster::{access, TenantNamespace};
use crate::store::Store;

use super::EngineSlot;

/// Binds the console in every tenant namespace that lacks it; returns how
/// many it checked.
pub async fn backfill(
    client: &kube::Client,
    access: &access::TenantAccess,
    store: &Store,
) -> usize {
    let made = match store.namespaces_made().await {
        Ok(m) => m,
        Err(e) => {
            tracing::warn!(error = %e, "could not list tenant namespaces to bind");
            return 0;
        }
    };
    let mut checked = 0;
    for (tenant, ns, rec) in &made {
        let t = TenantNamespace {
            name: ns,
            tenant,
            uid: rec.uid.as_deref(),
            nonce: rec.nonce.as_deref(),
        };
        match ownership::inspect(client, &t).await {
            Ok(NamespaceFound::Ours {
                terminating: false, ..
            }) => {}
            Ok(_) => continue,
            Err(e) => {
                tracing::warn!(tenant = %tenant, error = %e, "not binding the console in this namespace");
                continue;
            }
        }
        checked += 1;
        if let Err(e) = access::grant(client, access, (ns, tenant)).await {
            tracing::warn!(tenant = %tenant, error = %e, "could not bind the console in its namespace");
        }
    }
    checked
}

/// How often the leader looks for terminating namespaces held only by the
/// console's binding.
const RELEASE_EVERY: Duration = Duration::from_secs(30);

/// Each time this replica becomes the leader (and the cluster is there),
/// binds the console in the tenant namespaces that lack it; while it
/// leads, lets go the bindings that alone hold a terminating namespace.
pub fn spawn_backfill(store: Store, engine: EngineSlot, leader: crate::replicas::Leadership) {
    tokio::spawn(async move {
        let mut leading = leader.watch();
        loop {
            while !*leading.borrow_and_update() {
                if leading.changed().await.is_err() {
                    return;
                }
            }
            let e = engine.connected().await;
            if let Some(a) = &e.cluster.access {
                let n = backfill(&e.cluster.client, a, &store).await;
                tracing::info!(namespaces = n, role = %a.role, "the console is bound in its tenant namespaces");
            }
            while *leading.borrow_and_update() {
                match access::release_stuck(&e.cluster.client).await {
                    Ok(let_go) if !let_go.is_empty() => {
                        tracing::info!(namespaces = ?let_go, "let go the console's binding in terminating namespaces");
                    }
                    Ok(_) => {}
                    Err(err) => {
                        tracing::warn!(error = %err, "could not look for terminating namespaces")
                    }
                }
                tokio::select! {
                    _ = tokio::time::sleep(RELEASE_EVERY) => {}
                    changed = leading.changed() => if changed.is_err() { return },
                }
            }
        }
    });
}
