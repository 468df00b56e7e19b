//! All settings in one struct, from flags and environment, validated at start.

use std::net::SocketAddr;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// A value that must never reach a log: `Debug` prints a placeholder.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(pub String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

impl std::str::FromStr for Secret {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Secret(s.to_string()))
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

#[derive(Debug, Parser)]
#[command(
    name = "tenantry",
    version,
    about = "Provision, watch, repair and remove the tenants of a multi-tenant SaaS on Kubernetes."
)]
pub struct Cli {
    /// Where Tenantry keeps its state: sqlite://PATH (embedded, default) or postgres://…
    #[arg(
        long,
        env = "TENANTRY_DATABASE_URL",
        default_value = "sqlite://data/tenantry.db",
        global = true
    )]
    pub database_url: Secret,

    /// Log format on standard error.
    #[arg(long, env = "TENANTRY_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text, global = true)]
    pub log_format: LogFormat,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Start the web console (the default).
    Serve(ServeArgs),
    /// Manage staff accounts.
    #[command(subcommand)]
    Staff(crate::cli::StaffCommand),
}

#[derive(Debug, Clone, Args, Default)]
pub struct ServeArgs {
    /// Address to listen on; defaults to the Leptos site address (127.0.0.1:3000).
    #[arg(long, env = "TENANTRY_LISTEN")]
    pub listen: Option<SocketAddr>,

    /// The URL staff reach the console at. An https:// URL marks the session
    /// cookie Secure (the console sits behind a TLS-terminating proxy).
    #[arg(long, env = "TENANTRY_PUBLIC_URL")]
    pub public_url: Option<url::Url>,

    /// Password of the first `admin` account, used only when no staff exists.
    /// When absent, a random one is printed once to the terminal.
    #[arg(long, env = "TENANTRY_ADMIN_PASSWORD", hide_env_values = true)]
    pub admin_password: Option<Secret>,
}

impl ServeArgs {
    pub fn secure_cookies(&self) -> bool {
        self.public_url
            .as_ref()
            .is_some_and(|u| u.scheme() == "https")
    }
}

#[derive(Parser)]
struct ServeOnly {
    #[command(flatten)]
    args: ServeArgs,
}

/// Serve settings from the environment alone, for a bare `tenantry` start.
pub fn serve_args_from_env() -> ServeArgs {
    ServeOnly::parse_from(["tenantry"]).args
}
