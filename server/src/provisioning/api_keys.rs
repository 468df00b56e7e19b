//! A tenant's API keys on the cluster: a key is made (shown once, only its
//! SHA-256 kept), its hashes are written into the tenant's
//! `tenant-api-keys` Secret at once, and the leader ends each rotation's
//! overlap when its time comes.

use std::time::Duration;

use app::dto::TenantDto;

use super::{Engine, EngineSlot, TenantPlan};
use crate::error::Result;
use crate::store::Store;

/// How often the leader looks for overlaps that have ended.
const OVERLAPS_EVERY: Duration = Duration::from_secs(15);

/// The characters a key holds after its name.
const KEY_LEN: usize = 40;

/// A new key for `name` and its hash: `<name>_` and 40 letters and digits.
pub fn mint(name: &str) -> (String, String) {
    let key = format!(
        "{name}_{}",
        crate::auth::random_chars(app::dto::Alphabet::Alphanumeric.chars(), KEY_LEN)
    );
    let hash = crate::auth::hash_token(&key);
    (key, hash)
}

/// Writes the tenant's stored hashes into its `tenant-api-keys` Secret now
/// (a live tenant whose release, in `plan`, takes keys; others get them
/// from their next run's `secrets` step). Returns whether it wrote.
pub async fn publish(
    store: &Store,
    engine: &Engine,
    t: &TenantDto,
    plan: &TenantPlan,
) -> Result<bool> {
    if !t.state.is_live() {
        return Ok(false);
    }
    if plan.release.contract.api_keys.is_none() {
        return Ok(false);
    }
    let objects = plan
        .desired_of(t, &engine.settings, &engine.cluster.caps)
        .objects();
    let hashes = store.api_key_hashes(&t.id).await?;
    Ok(
        crate::cluster::apply_api_key_hashes(&engine.cluster.client, &objects, &hashes)
            .await?
            .is_some(),
    )
}

/// Ends the overlaps due by `now` and writes each changed tenant's hashes.
/// Returns the tenants written.
pub async fn end_overlaps(store: &Store, engine: &Engine, now: i64) -> Result<Vec<String>> {
    let mut out = vec![];
    for id in store.end_key_overlaps(now).await? {
        let t = store.get_tenant(&id).await?;
        let plan = TenantPlan::of(store, &t).await?;
        if publish(store, engine, &t, &plan).await? {
            out.push(id);
        }
    }
    Ok(out)
}

/// The leader's loop that ends overlaps (every 15 s). An overlap ended
/// while the cluster did not answer is written by the tenant's next run.
pub fn spawn_overlap_ender(store: Store, engine: EngineSlot, leader: crate::replicas::Leadership) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(OVERLAPS_EVERY);
        loop {
            tick.tick().await;
            let Some(e) = engine.get() else { continue };
            if !leader.is_leader() {
                continue;
            }
            match end_overlaps(&store, e, crate::store::now_ms()).await {
                Ok(ids) if ids.is_empty() => {}
                Ok(ids) => tracing::info!(tenants = ids.len(), "ended API key overlaps"),
                Err(err) => tracing::warn!(error = %err, "could not end API key overlaps"),
            }
        }
    });
}
