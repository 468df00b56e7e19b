//! First-start work (seeding the templates, making the first admin) done by
//! one replica at a time. A Helm install with several replicas starts them
//! all at once on an empty database: each checks "is anything there yet?"
//! and writes, so without this two of them insert the same rows and exit.
//! On PostgreSQL the work runs under a session advisory lock on a dedicated
//! connection (closed afterwards, which releases it even if the work
//! failed); the next replica then finds the rows and writes nothing. On
//! SQLite the one console already holds its file alone.

use std::future::Future;

use sqlx::{Connection, PgConnection};

use crate::error::Result;
use crate::store::{Backend, Store};

/// The advisory lock key of first-start work ("setup" in ASCII), apart
/// from the leader's.
const SETUP_KEY: i64 = 0x0073_6574_7570;

/// Runs `work` while no other replica runs its own.
pub async fn one_replica_at_a_time<T>(
    store: &Store,
    work: impl Future<Output = Result<T>>,
) -> Result<T> {
    if store.backend() != Backend::Postgres {
        return work.await;
    }
    let mut conn = PgConnection::connect(store.url()).await?;
    sqlx::query("SELECT pg_advisory_lock($1)")
        .bind(SETUP_KEY)
        .execute(&mut conn)
        .await?;
    let out = work.await;
    // Closing the session releases the lock, whatever the work did.
    let _ = conn.close().await;
    out
}
