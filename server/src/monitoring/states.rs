//! Who the tenants are and where they stand, as the database says: loaded
//! into the index when the console starts and followed on every write
//! (this replica's and, through fan-out, the others'), so the index counts
//! a tenant's objects and derives its health whether or not anyone
//! watches the live stream.

use std::sync::Arc;

use tokio::sync::broadcast::error::RecvError;

use super::ClusterIndex;
use crate::store::{Change, Store};

/// Loads the tenant states into `index` and follows their changes.
pub fn spawn_state_loader(store: Store, index: Arc<ClusterIndex>) {
    tokio::spawn(follow(store, index));
}

async fn reload(store: &Store, index: &ClusterIndex) {
    match store.tenant_states().await {
        Ok(states) => index.load_states(states),
        Err(e) => tracing::warn!(error = %e, "tenant states cannot be read for the index"),
    }
}

async fn follow(store: Store, index: Arc<ClusterIndex>) {
    let mut changes = store.changes();
    reload(&store, &index).await;
    loop {
        match changes.recv().await {
            Ok(Change::Tenant(id)) => {
                if let Ok(t) = store.get_tenant(&id).await {
                    index.set_state(&(&t).into());
                }
            }
            Ok(Change::Resync) | Err(RecvError::Lagged(_)) => reload(&store, &index).await,
            Ok(_) => {}
            Err(RecvError::Closed) => return,
        }
    }
}
