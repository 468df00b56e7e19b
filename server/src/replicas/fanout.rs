//! Live fan-out across replicas: every run and tenant write a store
//! announces is also sent with PostgreSQL `NOTIFY` (payload: the process
//! and what changed, never the row); every replica `LISTEN`s and re-reads
//! the committed row, so a browser on replica A sees a run that replica B
//! executes. A listener that lost its connection reconnects and tells the
//! live views to resync (notifications are not queued while it is away).

use std::time::Duration;

use sqlx::postgres::PgListener;

use crate::store::{Backend, Change, Store};

/// The PostgreSQL channel of change notices.
pub const CHANNEL: &str = "tenantry_changes";

/// `<process>|run:<id>` or `<process>|tenant:<id>`.
pub fn encode(process: &str, change: &Change) -> Option<String> {
    match change {
        Change::Run(id) => Some(format!("{process}|run:{id}")),
        Change::Tenant(id) => Some(format!("{process}|tenant:{id}")),
        Change::Alert(id) => Some(format!("{process}|alert:{id}")),
        Change::Rollout(id) => Some(format!("{process}|rollout:{id}")),
        Change::Resync => None,
    }
}

/// (process, change) of a notice; `None` for anything else.
pub fn decode(payload: &str) -> Option<(String, Change)> {
    let (process, what) = payload.rsplit_once('|')?;
    let change = match what.split_once(':')? {
        ("run", id) => Change::Run(id.parse().ok()?),
        ("alert", id) => Change::Alert(id.parse().ok()?),
        ("rollout", id) => Change::Rollout(id.parse().ok()?),
        ("tenant", id) if !id.is_empty() => Change::Tenant(id.to_string()),
        _ => return None,
    };
    Some((process.to_string(), change))
}

/// Starts sending this process's writes to the other replicas and
/// receiving theirs (PostgreSQL only; SQLite has one process). Idempotent.
pub fn start_fanout(store: &Store) {
    if store.backend() != Backend::Postgres || tokio::runtime::Handle::try_current().is_err() {
        return;
    }
    let Some(mut outgoing) = store.take_outgoing() else {
        return;
    };
    let me = store.origin().to_string();
    let sender = store.clone();
    let origin = me.clone();
    tokio::spawn(async move {
        while let Some(first) = outgoing.recv().await {
            let mut batch = vec![first];
            while let Ok(more) = outgoing.try_recv() {
                batch.push(more);
            }
            batch.dedup();
            for change in batch {
                if let Some(payload) = encode(&origin, &change) {
                    if let Err(e) = sender.notify(CHANNEL, &payload).await {
                        tracing::warn!(error = %e, "could not tell other replicas of a change");
                    }
                }
            }
        }
    });
    let listener = store.clone();
    tokio::spawn(async move { listen(listener, &me).await });
}

async fn listen(store: Store, me: &str) {
    let mut first = true;
    loop {
        let mut l = match PgListener::connect(store.url()).await {
            Ok(l) => l,
            Err(e) => {
                tracing::warn!(error = %crate::error::describe_db_error(&e), "cannot listen for other replicas' changes yet");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        if let Err(e) = l.listen(CHANNEL).await {
            tracing::warn!(error = %crate::error::describe_db_error(&e), "LISTEN failed");
            tokio::time::sleep(Duration::from_secs(1)).await;
            continue;
        }
        if !first {
            // Whatever was said while away is lost: pages reload.
            store.publish_local(Change::Resync);
        }
        first = false;
        loop {
            match l.try_recv().await {
                Ok(Some(n)) => match decode(n.payload()) {
                    Some((from, change)) if from != me => store.publish_local(change),
                    _ => {}
                },
                Ok(None) => store.publish_local(Change::Resync),
                Err(e) => {
                    tracing::warn!(error = %crate::error::describe_db_error(&e), "listener lost; reconnecting");
                    store.publish_local(Change::Resync);
                    break;
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notices_round_trip_and_odd_ones_are_ignored() {
        for c in [
            Change::Run(42),
            Change::Tenant("acme-x1".into()),
            Change::Alert(7),
        ] {
            let p = encode("host/1/abc", &c).unwrap_or_default();
            assert_eq!(decode(&p), Some(("host/1/abc".to_string(), c)));
        }
        assert_eq!(encode("p", &Change::Resync), None);
        assert_eq!(decode("p|run:x"), None);
        assert_eq!(decode("nonsense"), None);
        assert_eq!(decode("p|tenant:"), None);
    }
}
