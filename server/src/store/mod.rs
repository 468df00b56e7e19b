//! Storage: one `sqlx::Any` pool whose backend is chosen by the database URL
//! (SQLite embedded, PostgreSQL for several replicas). Query texts are shared;
//! only the migrations differ per backend (`migrations/<backend>/`).

mod alerts;
mod api_keys;
mod applications;
mod audit;
mod backups;
mod custom_plans;
mod domains;
mod execution;
mod health;
mod idempotency;
mod namespaces;
mod outbox;
mod owner_messages;
mod retention;
mod rollouts;
mod rotations;
mod runs;
mod seed;
mod sessions;
mod staff;
mod stats;
mod templates;
mod tenant_list;
mod tenant_state;
mod tenants;
mod throttle;
mod tokens;

use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sqlx::any::AnyPoolOptions;
use sqlx::{AnyPool, Executor};

use crate::error::{Result, ServerError};
use crate::values::Secret;

pub use alerts::OpenAlert;
pub use api_keys::{KeyHashes, NewKeyHash};
pub use applications::PlanParts;
pub use audit::{AuditEntry, AuditFilter};
pub use backups::NewBackup;
pub use execution::{Failure, Rollback};
pub use idempotency::Claim;
pub use namespaces::NamespaceRecord;
pub use outbox::{ChannelRow, DueNotice, NewChannel, NoticeKind, SecretUpdate};
pub use owner_messages::{
    WelcomeLink, DEPROVISIONED, DEPROVISION_NOTICE, WELCOME, WELCOME_LINK_MS,
};
pub use retention::{spawn_retention, Pruned};
pub use rollouts::{NewRollout, NewRolloutTenant};
pub use runs::LatestRun;
pub use seed::{plans_of, seed_templates};
pub use sessions::SessionStore;
pub use staff::{PasswordKind, StaffRow};
pub use tenants::{NewTenantRecord, TenantStanding};
pub use tokens::NewToken;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl FromStr for Backend {
    type Err = ServerError;

    /// The backend named by a database URL's scheme; any other scheme is an error.
    fn from_str(url: &str) -> Result<Backend> {
        let scheme = url.split_once(':').map(|(s, _)| s).unwrap_or("");
        match scheme {
            "sqlite" => Ok(Backend::Sqlite),
            "postgres" | "postgresql" => Ok(Backend::Postgres),
            _ => Err(ServerError::Config(format!(
                "database URL scheme \"{}\" is not supported: use sqlite://PATH or postgres://HOST/DB",
                scheme.chars().take(20).collect::<String>()
            ))),
        }
    }
}

#[derive(Clone, Debug)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    /// The database URL (for the connections that live apart from the
    /// pool: the change listener and the leader's lock). Never printed.
    url: Secret,
    /// Every write to a run or tenant is announced here, for the live
    /// views; on PostgreSQL, so are other replicas' writes.
    changes: tokio::sync::broadcast::Sender<Change>,
    /// Names this store's own notices, so it skips them when they come
    /// back (a random tag per connection, so two stores in one process
    /// still hear each other).
    origin: String,
    /// This process's writes, for other replicas (PostgreSQL only).
    outgoing: Option<tokio::sync::mpsc::UnboundedSender<Change>>,
    /// Their receiving end, until the fan-out takes it.
    outgoing_rx: Arc<Mutex<Option<tokio::sync::mpsc::UnboundedReceiver<Change>>>>,
}

/// What a write changed, for the live views to re-read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    Run(i64),
    Tenant(String),
    /// An alert changed (0: silences, channels or deliveries).
    Alert(i64),
    /// A rollout changed.
    Rollout(i64),
    /// Changes may have been missed (a replica's listener reconnected):
    /// whoever shows runs and tenants reloads.
    Resync,
}

pub use crate::values::{format_ms, now_ms};

/// Who acted when no staff member did: the evaluator, the deliverer.
pub const SYSTEM: &str = "system";

/// Changes buffered per listener before it must resynchronise.
const CHANGE_BUFFER: usize = 4096;

/// `updated_at = <the time in parameter $n>`, but never backwards and always
/// moving: a tenant's `updated_at` is its ETag, which must not repeat
/// (clock skew between replicas, two writes in one millisecond).
pub(crate) fn bump_updated_at(n: u8) -> String {
    format!("updated_at = CASE WHEN ${n} > updated_at THEN ${n} ELSE updated_at + 1 END")
}

impl Store {
    /// Connects and applies every pending migration; a failed migration is an
    /// error, never something to carry on past.
    pub async fn connect(url: &str) -> Result<Store> {
        sqlx::any::install_default_drivers();
        let backend: Backend = url.parse()?;
        let url = match backend {
            Backend::Sqlite => prepare_sqlite_url(url)?,
            Backend::Postgres => url.to_string(),
        };
        let pool = AnyPoolOptions::new()
            .max_connections(match backend {
                Backend::Sqlite => 4,
                Backend::Postgres => 16,
            })
            .acquire_timeout(Duration::from_secs(10))
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        conn.execute("PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON;")
                            .await?;
                    }
                    Ok(())
                })
            })
            .connect(&url)
            .await?;
        let (changes, _) = tokio::sync::broadcast::channel(CHANGE_BUFFER);
        let (outgoing, outgoing_rx) = match backend {
            Backend::Postgres => {
                let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
                (Some(tx), Some(rx))
            }
            Backend::Sqlite => (None, None),
        };
        let store = Store {
            pool,
            backend,
            url: Secret(url),
            origin: format!(
                "{}/{}",
                crate::replicas::process_id(),
                crate::auth::random_chars(b"abcdefghijkmnpqrstuvwxyz23456789", 6)
            ),
            changes,
            outgoing,
            outgoing_rx: Arc::new(Mutex::new(outgoing_rx)),
        };
        store.migrate().await?;
        store
            .ensure_seeded_applications(crate::applications::SEEDS)
            .await?;
        Ok(store)
    }

    async fn migrate(&self) -> Result<()> {
        match self.backend {
            Backend::Sqlite => {
                sqlx::migrate!("../migrations/sqlite")
                    .run(&self.pool)
                    .await?
            }
            Backend::Postgres => {
                sqlx::migrate!("../migrations/postgres")
                    .run(&self.pool)
                    .await?
            }
        }
        Ok(())
    }

    /// A write transaction. SQLite takes the write lock at the start
    /// (`BEGIN IMMEDIATE`): a transaction that reads and then writes would
    /// otherwise fail with "database is locked" when another writer got in
    /// between, which no busy timeout can wait out.
    pub(crate) async fn begin(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>> {
        Ok(match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.pool.begin().await?,
        })
    }

    /// Listens to the writes made from now on.
    pub fn changes(&self) -> tokio::sync::broadcast::Receiver<Change> {
        self.changes.subscribe()
    }

    pub(crate) fn changed(&self, change: Change) {
        if let Some(out) = &self.outgoing {
            // Nobody takes them until the fan-out starts: then none is kept.
            if self
                .outgoing_rx
                .lock()
                .map(|r| r.is_none())
                .unwrap_or(false)
            {
                let _ = out.send(change.clone());
            }
        }
        // No listener is fine: nobody is watching.
        let _ = self.changes.send(change);
    }

    /// A change another replica made, for this process's live views.
    pub(crate) fn publish_local(&self, change: Change) {
        let _ = self.changes.send(change);
    }

    /// This process's writes, for the fan-out to send on (once).
    pub(crate) fn take_outgoing(&self) -> Option<tokio::sync::mpsc::UnboundedReceiver<Change>> {
        self.outgoing_rx.lock().ok()?.take()
    }

    /// `NOTIFY channel, payload` (PostgreSQL).
    pub(crate) async fn notify(&self, channel: &str, payload: &str) -> Result<()> {
        sqlx::query("SELECT pg_notify($1, $2)")
            .bind(channel)
            .bind(payload)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// What this store's change notices are signed with.
    pub(crate) fn origin(&self) -> &str {
        &self.origin
    }

    /// The database URL, for connections apart from the pool.
    pub(crate) fn url(&self) -> &str {
        &self.url.0
    }

    /// The SQLite database file, if this store is one (not in memory).
    pub fn sqlite_file(&self) -> Option<std::path::PathBuf> {
        if self.backend != Backend::Sqlite {
            return None;
        }
        let rest = self
            .url
            .0
            .trim_start_matches("sqlite:")
            .trim_start_matches("//");
        let path = rest.split('?').next().unwrap_or("");
        (!path.is_empty() && path != ":memory:").then(|| std::path::PathBuf::from(path))
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Readiness: can the database answer a query now?
    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Creates the SQLite file's folder and asks for the file to be created.
fn prepare_sqlite_url(url: &str) -> Result<String> {
    let rest = url.trim_start_matches("sqlite:").trim_start_matches("//");
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    if path != ":memory:" && !path.is_empty() {
        if let Some(parent) = std::path::Path::new(path).parent() {
            if !parent.as_os_str().is_empty() {
                std::fs::create_dir_all(parent).map_err(|e| {
                    ServerError::Config(format!(
                        "cannot create the database folder {}: {e}",
                        parent.display()
                    ))
                })?;
            }
        }
    }
    let query = if query.contains("mode=") {
        query.to_string()
    } else if query.is_empty() {
        "mode=rwc".into()
    } else {
        format!("{query}&mode=rwc")
    };
    Ok(format!("sqlite://{path}?{query}"))
}

/// Escapes `%`, `_` and `\` so user text matches literally inside LIKE.
/// "$start, $start+1, …": `n` numbered placeholders for an IN list.
pub(crate) fn placeholders(start: usize, n: usize) -> String {
    (start..start + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

pub(crate) fn like_pattern(text: &str) -> String {
    let mut out = String::from("%");
    for c in text.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backend_follows_the_scheme() {
        assert_eq!(
            "sqlite://x.db".parse::<Backend>().ok(),
            Some(Backend::Sqlite)
        );
        assert_eq!(
            "postgres://h/db".parse::<Backend>().ok(),
            Some(Backend::Postgres)
        );
        let err = "mysql://h/db".parse::<Backend>().unwrap_err().to_string();
        assert!(err.contains("\"mysql\" is not supported"), "{err}");
    }

    #[test]
    fn like_patterns_are_literal() {
        assert_eq!(like_pattern("50%_A\\"), "%50\\%\\_a\\\\%");
    }
}
