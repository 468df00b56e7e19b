//! The one error type of the server crate. At the edge it becomes an
//! [`AppError`] with a message for people; the full cause goes to the log.

use app::error::AppError;

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
        }
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
            ServerError::Conflict(m) => AppError::Conflict(m),
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
