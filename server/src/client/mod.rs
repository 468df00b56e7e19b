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
pub use commands::{
    AlertCommand, AppCommand, BackupCommand, RolloutCommand, RunCommand, StaffApiCommand,
    TemplateCommand, TenantCommand,
};
pub use output::Format;

/// Where the console is and how to reach it, for every client command.
#[derive(Debug, Clone, Args)]
pub struct Connection {
    /// The console's URL (default: the one `tenantry login` saved).
    #[arg(long, env = "TENANTRY_SERVER", global = true)]
    pub server: Option<url::Url>,
    /// An API token (default: the one `tenantry login` saved).
    #[arg(long, env = "TENANTRY_TOKEN", hide_env_values = true, global = true)]
    pub token: Option<crate::values::Secret>,
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
        #[command(flatten)]
        conn: Connection,
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
    Tenant(Box<Tenant>),
    /// Templates (tiers) and their versions.
    Template(Box<Template>),
    /// Applications and their releases.
    App(Box<App>),
    /// Provisioning runs and their repairs.
    Run(Box<Run>),
    /// Staff accounts, through the console (admins).
    Staff(Box<Staff>),
    /// Alerts.
    Alert(Box<Alert>),
    /// Backups: the catalogue, back up now, restore.
    Backup(Box<Backup>),
    /// Rollouts: tenants moved to a release or a plan in waves.
    Rollout(Box<Rollout>),
}

/// A family of client commands with the connection options (which apply
/// to the client commands only: `serve` has none of them).
macro_rules! family {
    ($($name:ident($cmd:ty)),* $(,)?) => {$(
        #[derive(Debug, Args)]
        pub struct $name {
            #[command(flatten)]
            pub conn: Connection,
            #[command(subcommand)]
            pub cmd: $cmd,
        }
    )*};
}

family!(
    Tenant(TenantCommand),
    Template(TemplateCommand),
    App(AppCommand),
    Run(RunCommand),
    Staff(StaffApiCommand),
    Alert(AlertCommand),
    Backup(BackupCommand),
    Rollout(RolloutCommand),
);

/// Runs a client command; the exit code says how it ended.
pub async fn run_client(cmd: ClientCommand) -> ExitCode {
    let conn = match &cmd {
        ClientCommand::Login { conn, .. } => conn,
        ClientCommand::Tenant(f) => &f.conn,
        ClientCommand::Template(f) => &f.conn,
        ClientCommand::App(f) => &f.conn,
        ClientCommand::Run(f) => &f.conn,
        ClientCommand::Staff(f) => &f.conn,
        ClientCommand::Alert(f) => &f.conn,
        ClientCommand::Backup(f) => &f.conn,
        ClientCommand::Rollout(f) => &f.conn,
    }
    .clone();
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
        ..
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
        ClientCommand::Tenant(f) => commands::tenant(&api, out, f.cmd).await,
        ClientCommand::Template(f) => commands::template(&api, out, f.cmd).await,
        ClientCommand::App(f) => commands::app(&api, out, f.cmd).await,
        ClientCommand::Run(f) => commands::run(&api, out, f.cmd).await,
        ClientCommand::Staff(f) => commands::staff(&api, out, f.cmd).await,
        ClientCommand::Alert(f) => commands::alert(&api, out, f.cmd).await,
        ClientCommand::Backup(f) => commands::backup(&api, out, f.cmd).await,
        ClientCommand::Rollout(f) => commands::rollout(&api, out, f.cmd).await,
    }
}
