//! One leader among the replicas, for work that must happen once (tenant
//! states between runs today; alert evaluation, notification delivery and
//! scheduled backups later). On PostgreSQL it is whoever holds a session
//! advisory lock on one dedicated connection: if that process dies, its
//! connection and the lock go with it, and another replica takes over
//! within a few seconds. On SQLite the one process leads.

use std::time::Duration;

use sqlx::{Connection, PgConnection};
use tokio::sync::watch;

use crate::store::{Backend, Store};

/// The advisory lock key ("tenantry" in ASCII, folded into an i64).
const LOCK_KEY: i64 = 0x7465_6e61_6e74_7279;
/// How often a follower tries for the lock, and a leader checks its hold.
const EVERY: Duration = Duration::from_secs(2);
/// How long the leader's check of its connection may take.
const CHECK_WITHIN: Duration = Duration::from_secs(2);

/// Whether this process leads, as it changes.
#[derive(Clone)]
pub struct Leadership {
    leading: watch::Receiver<bool>,
    stop: watch::Sender<bool>,
    /// SQLite's fixed answer (no election task holds the sender).
    _fixed: Option<std::sync::Arc<watch::Sender<bool>>>,
}

impl Leadership {
    /// Starts taking part in the election.
    pub fn start(store: &Store) -> Leadership {
        let (stop, stop_rx) = watch::channel(false);
        if store.backend() == Backend::Sqlite || tokio::runtime::Handle::try_current().is_err() {
            let (fixed, leading) = watch::channel(store.backend() == Backend::Sqlite);
            return Leadership {
                leading,
                stop,
                _fixed: Some(std::sync::Arc::new(fixed)),
            };
        }
        let (tx, leading) = watch::channel(false);
        let url = store.url().to_string();
        tokio::spawn(elect(url, tx, stop_rx));
        Leadership {
            leading,
            stop,
            _fixed: None,
        }
    }

    pub fn is_leader(&self) -> bool {
        *self.leading.borrow()
    }

    /// Follows the changes (for work that starts and stops with them).
    pub fn watch(&self) -> watch::Receiver<bool> {
        self.leading.clone()
    }

    /// Gives the lead up (shutting down), so another replica takes it now.
    pub fn release(&self) {
        self.stop.send_replace(true);
    }
}

async fn elect(url: String, leading: watch::Sender<bool>, mut stop: watch::Receiver<bool>) {
    while !*stop.borrow() {
        let mut conn = match PgConnection::connect(&url).await {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(error = %crate::error::describe_db_error(&e), "leader election cannot connect yet");
                tokio::select! { _ = tokio::time::sleep(EVERY) => {}, _ = stop.changed() => {} }
                continue;
            }
        };
        loop {
            let got = sqlx::query_scalar::<_, bool>("SELECT pg_try_advisory_lock($1)")
                .bind(LOCK_KEY)
                .fetch_one(&mut conn)
                .await;
            match got {
                Ok(true) => {
                    tracing::info!("this replica leads");
                    leading.send_replace(true);
                    // Hold it while the connection answers.
                    loop {
                        tokio::select! {
                            _ = tokio::time::sleep(EVERY) => {}
                            _ = stop.changed() => {
                                let _ = sqlx::query("SELECT pg_advisory_unlock($1)")
                                    .bind(LOCK_KEY)
                                    .execute(&mut conn)
                                    .await;
                                leading.send_replace(false);
                                let _ = conn.close().await;
                                return;
                            }
                        }
                        // A check that does not answer in time (a network
                        // gone quiet) steps down at once: the server ends
                        // this session and its lock soon, and another
                        // replica takes the lead; two must never lead.
                        let check = tokio::time::timeout(
                            CHECK_WITHIN,
                            sqlx::query("SELECT 1").execute(&mut conn),
                        )
                        .await;
                        if !matches!(check, Ok(Ok(_))) {
                            break;
                        }
                    }
                    tracing::warn!("lost the leader's connection; electing again");
                    leading.send_replace(false);
                    break;
                }
                Ok(false) => {
                    tokio::select! { _ = tokio::time::sleep(EVERY) => {}, _ = stop.changed() => {} }
                    if *stop.borrow() {
                        return;
                    }
                }
                Err(_) => break,
            }
        }
    }
}
