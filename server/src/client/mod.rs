//! `tenantry tenant|template|run|staff|alert|login|completion`: the CLI
//! that talks to a console over `/api/v1` (never to its database).
//! Tables by default, `-o json|yaml` for scripts; operations follow their
//! run with a line per step; exit codes are in [`api::Exit`].

mod api;
mod commands;
mod config;
mod follow;
mod output;

use std::process::ExitCode;

use clap::{Args, Subcommand};

pub use api::{ClientError, Exit};
pub use commands::{AlertCommand, RunCommand, StaffApiCommand, TemplateCommand, TenantCommand};
pub use output::Format;

/// Where the console is and how to reach it, for every client command.
#[derive(Debug, Clone, Args)]
pub struct Connection {
    /// The console's URL (default: the one `tenantry login` saved).
    #[arg(long, env = "TENANTRY_SERVER", global = true)]
    pub server: Option<url::Url>,
    /// An API token (default: the one `tenantry login` saved).
    #[arg(long, env = "TENANTRY_TOKEN", hide_env_values = true, global = true)]
    pub token: Option<crate::config::Secret>,
    /// table (default), json or yaml.
    #[arg(short = 'o', long = "output", value_enum, default_value_t = Format::Table, global = true)]
    pub output: Format,
    /// Sent as `Idempotency-Key` with the command's create or operation:
    /// a CI job that retries with the same key does the work once.
    #[arg(long, env = "TENANTRY_IDEMPOTENCY_KEY", global = true)]
    pub idempotency_key: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum ClientCommand {
    /// Exchange a user name and password for an API token, saved (mode
    /// 0600) for the other commands.
    /// The password is read from TENANTRY_PASSWORD, else asked on the
    /// terminal (never a flag: it would show in the process list).
    Login {
        #[arg(long)]
        username: String,
        /// The token's role (at most your own; default: your own).
        #[arg(long)]
        role: Option<String>,
        /// Days until the token expires.
        #[arg(long, default_value_t = 30)]
        days: i64,
    },
    /// Tenants: list, show, create, operate on.
    #[command(subcommand)]
    Tenant(TenantCommand),
    /// Templates (tiers) and their versions.
    #[command(subcommand)]
    Template(TemplateCommand),
    /// Provisioning runs and their repairs.
    #[command(subcommand)]
    Run(RunCommand),
    /// Staff accounts, through the console (admins).
    #[command(subcommand)]
    Staff(StaffApiCommand),
    /// Alerts.
    #[command(subcommand)]
    Alert(AlertCommand),
}

/// Runs a client command; the exit code says how it ended.
pub async fn run_client(conn: Connection, cmd: ClientCommand) -> ExitCode {
    match dispatch(conn, cmd).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("tenantry: {e}");
            ExitCode::from(e.exit as u8)
        }
    }
}

async fn dispatch(conn: Connection, cmd: ClientCommand) -> api::CliResult<()> {
    let saved = config::load();
    let server = match conn.server.clone() {
        Some(s) => s,
        None => saved
            .server
            .as_deref()
            .and_then(|s| url::Url::parse(s).ok())
            .ok_or_else(|| {
                ClientError::new(
                    Exit::Usage,
                    "no console: pass --server, set TENANTRY_SERVER, or run `tenantry login --server …`",
                )
            })?,
    };
    if let ClientCommand::Login {
        username,
        role,
        days,
    } = cmd
    {
        let password = std::env::var("TENANTRY_PASSWORD").ok();
        return commands::login(server, username, password, role, days).await;
    }
    // The saved token goes only to the console it was made by.
    let saved_for_this = saved
        .server
        .as_deref()
        .and_then(|s| url::Url::parse(s).ok())
        .is_some_and(|s| s.origin() == server.origin());
    let token = conn
        .token
        .map(|t| t.0)
        .or(saved.token.filter(|_| saved_for_this));
    let api = api::Api::new(server, token, conn.idempotency_key)?;
    let out = conn.output;
    match cmd {
        ClientCommand::Login { .. } => Ok(()),
        ClientCommand::Tenant(c) => commands::tenant(&api, out, c).await,
        ClientCommand::Template(c) => commands::template(&api, out, c).await,
        ClientCommand::Run(c) => commands::run(&api, out, c).await,
        ClientCommand::Staff(c) => commands::staff(&api, out, c).await,
        ClientCommand::Alert(c) => commands::alert(&api, out, c).await,
    }
}
