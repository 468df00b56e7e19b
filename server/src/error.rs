//! The one error type of the server crate. At the edge it becomes an
//! [`AppError`] with a message for people; the full cause goes to the log.

use app::error::AppError;

/// Why a teardown did not finish: each entry names an object and what holds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TeardownBlocked(pub Vec<String>);

#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("{0} was not found")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("database: {}", describe_db_error(.0))]
    Db(#[from] sqlx::Error),
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("configuration: {0}")]
    Config(String),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("password hashing: {0}")]
    Hash(String),
    #[error(transparent)]
    App(#[from] AppError),
    #[error("Kubernetes: {}", describe_kube_error(.0))]
    Kube(#[from] kube::Error),
    #[error("{what}: {}", describe_kube_error(source))]
    KubeOn { what: String, source: kube::Error },
    #[error("{0}")]
    Wait(String),
    /// The cluster is not ready for this yet (a namespace still going); transient.
    #[error("{0}")]
    NotYet(String),
    /// This process no longer holds the run it was executing (cancelled,
    /// finished, or taken over after its lease expired): it stops.
    #[error("{0}")]
    LeaseLost(String),
    /// An object Tenantry did not make (or no longer the one it made):
    /// refused for good, with the object and its owner named.
    #[error("{0}")]
    NotOurs(String),
    #[error("{what}: {}", blocked_detail(held))]
    Blocked { what: String, held: TeardownBlocked },
}

pub type Result<T, E = ServerError> = std::result::Result<T, E>;

impl ServerError {
    /// A short, stable label for logs and metrics.
    pub fn metric_label(&self) -> &'static str {
        match self {
            ServerError::NotFound(_) => "not_found",
            ServerError::Conflict(_) => "conflict",
            ServerError::Db(_) => "db",
            ServerError::Migrate(_) => "migrate",
            ServerError::Config(_) => "config",
            ServerError::Io(_) => "io",
            ServerError::Hash(_) => "hash",
            ServerError::App(_) => "app",
            ServerError::Kube(_) | ServerError::KubeOn { .. } => "kube",
            ServerError::Wait(_) => "wait",
            ServerError::NotYet(_) => "not_yet",
            ServerError::NotOurs(_) => "not_ours",
            ServerError::LeaseLost(_) => "lease_lost",
            ServerError::Blocked { .. } => "blocked",
        }
    }
}

impl ServerError {
    /// A Kubernetes failure on a named object ("Deployment tenant-x/api").
    pub fn kube_on(what: &str, source: kube::Error) -> Self {
        ServerError::KubeOn {
            what: what.to_string(),
            source,
        }
    }

    /// Whether retrying may help: connection failures, throttling, server
    /// errors and conflicts. Invalid objects and refusals are permanent.
    pub fn is_transient(&self) -> bool {
        let kube_err = match self {
            ServerError::Kube(e) | ServerError::KubeOn { source: e, .. } => e,
            ServerError::Db(_) | ServerError::NotYet(_) => return true,
            _ => return false,
        };
        match kube_err {
            kube::Error::Api(s) => s.code == 409 || s.code == 429 || s.code >= 500,
            kube::Error::HyperError(_) | kube::Error::Service(_) => true,
            _ => false,
        }
    }
}

fn blocked_detail(b: &TeardownBlocked) -> String {
    if b.0.is_empty() {
        "nothing reported what holds it".to_string()
    } else {
        b.0.join("; ")
    }
}

/// The deepest cause of a Kubernetes failure: the API server's own message
/// (with its reason and code), or the innermost transport error.
pub fn describe_kube_error(e: &kube::Error) -> String {
    if let kube::Error::Api(s) = e {
        return format!("{} ({} {})", s.message, s.reason, s.code);
    }
    let mut deepest: Option<&dyn std::error::Error> = None;
    let mut next = std::error::Error::source(e);
    while let Some(cause) = next {
        deepest = Some(cause);
        next = cause.source();
    }
    match deepest {
        Some(cause) => format!("{e}: {cause}"),
        None => e.to_string(),
    }
}

/// The cause of a database failure without query text or bound values.
pub fn describe_db_error(e: &sqlx::Error) -> String {
    match e {
        sqlx::Error::PoolTimedOut => {
            "no database connection became free in time (is the database reachable?)".into()
        }
        sqlx::Error::PoolClosed => {
            "the connection pool is closed (the server is shutting down)".into()
        }
        sqlx::Error::Io(io) => format!("connection failed: {io}"),
        sqlx::Error::Tls(t) => format!("TLS failed: {t}"),
        sqlx::Error::Database(d) => {
            let code = d.code().map(|c| format!(" (code {c})")).unwrap_or_default();
            format!(
                "the database refused the operation{code}: {}",
                first_line(d.message())
            )
        }
        sqlx::Error::RowNotFound => "an expected row was missing".into(),
        sqlx::Error::ColumnDecode { index, source } => {
            format!("column {index} could not be read: {source}")
        }
        other => format!("{other}"),
    }
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or(s)
}

impl From<ServerError> for AppError {
    fn from(e: ServerError) -> Self {
        match e {
            ServerError::NotFound(what) => AppError::NotFound(what),
            ServerError::Conflict(m) | ServerError::NotOurs(m) => AppError::Conflict(m),
            ServerError::App(app) => app,
            other => {
                tracing::error!(error = %other, kind = other.metric_label(), "request failed");
                AppError::Unavailable(format!("The request could not be completed: {other}."))
            }
        }
    }
}

/// Whether `e` is a unique-constraint violation mentioning `column`.
pub fn is_unique_violation_on(e: &sqlx::Error, column: &str) -> bool {
    match e.as_database_error() {
        Some(d) if d.is_unique_violation() => {
            d.constraint().is_some_and(|c| c.contains(column)) || d.message().contains(column)
        }
        _ => false,
    }
}

pub fn is_unique_violation(e: &sqlx::Error) -> bool {
    e.as_database_error()
        .is_some_and(|d| d.is_unique_violation())
}
