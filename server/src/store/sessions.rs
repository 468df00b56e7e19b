//! tower-sessions storage in Tenantry's own database, so a session survives a
//! restart and is shared by every replica. A session is stored under the
//! SHA-256 of its ID, never the ID itself: whoever reads the table (a
//! backup, a replica's database user) cannot take over a session.

use async_trait::async_trait;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, ExpiredDeletion};

use super::{now_ms, Store};

#[derive(Clone, Debug)]
pub struct SessionStore {
    store: Store,
}

impl SessionStore {
    pub fn new(store: Store) -> Self {
        Self { store }
    }
}

fn backend(e: sqlx::Error) -> session_store::Error {
    session_store::Error::Backend(crate::error::describe_db_error(&e))
}

/// The key a session is stored under.
fn key(id: &Id) -> String {
    crate::auth::hash_token(&id.to_string())
}

fn expiry_ms(record: &Record) -> i64 {
    let nanos = record.expiry_date.unix_timestamp_nanos() / 1_000_000;
    i64::try_from(nanos).unwrap_or(i64::MAX)
}

#[async_trait]
impl session_store::SessionStore for SessionStore {
    /// A fresh id is drawn until it collides with no stored session.
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        let data = serde_json::to_string(&record.data)
            .map_err(|e| session_store::Error::Encode(e.to_string()))?;
        loop {
            let inserted = sqlx::query(
                "INSERT INTO sessions (id, data, expires_at) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING",
            )
            .bind(key(&record.id))
            .bind(&data)
            .bind(expiry_ms(record))
            .execute(&self.store.pool)
            .await
            .map_err(backend)?;
            if inserted.rows_affected() == 1 {
                return Ok(());
            }
            record.id = Id::default();
        }
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        let data = serde_json::to_string(&record.data)
            .map_err(|e| session_store::Error::Encode(e.to_string()))?;
        sqlx::query(
            "INSERT INTO sessions (id, data, expires_at) VALUES ($1, $2, $3) \
             ON CONFLICT (id) DO UPDATE SET data = excluded.data, expires_at = excluded.expires_at",
        )
        .bind(key(&record.id))
        .bind(data)
        .bind(expiry_ms(record))
        .execute(&self.store.pool)
        .await
        .map_err(backend)?;
        Ok(())
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let row = sqlx::query_as::<_, (String, i64)>(
            "SELECT data, expires_at FROM sessions WHERE id = $1 AND expires_at > $2",
        )
        .bind(key(id))
        .bind(now_ms())
        .fetch_optional(&self.store.pool)
        .await
        .map_err(backend)?;
        let Some((data, expires_at)) = row else {
            return Ok(None);
        };
        let data =
            serde_json::from_str(&data).map_err(|e| session_store::Error::Decode(e.to_string()))?;
        let expiry_date =
            time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(expires_at) * 1_000_000)
                .map_err(|e| session_store::Error::Decode(e.to_string()))?;
        Ok(Some(Record {
            id: *id,
            data,
            expiry_date,
        }))
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        sqlx::query("DELETE FROM sessions WHERE id = $1")
            .bind(key(id))
            .execute(&self.store.pool)
            .await
            .map_err(backend)?;
        Ok(())
    }
}

#[async_trait]
impl ExpiredDeletion for SessionStore {
    async fn delete_expired(&self) -> session_store::Result<()> {
        sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
            .bind(now_ms())
            .execute(&self.store.pool)
            .await
            .map_err(backend)?;
        Ok(())
    }
}
