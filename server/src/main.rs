#![forbid(unsafe_code)]
//! `tenantry`: the console server and its command-line tools.

use std::process::ExitCode;

use clap::Parser;
use server::config::{serve_args_from_env, AdminCommand, Cli, Command};
use server::store::Store;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    // The client commands talk to a console; they need no database.
    match cli.command {
        Some(Command::Client(cmd)) => return server::client::run_client(cmd).await,
        Some(Command::Completion { shell }) => {
            use clap::CommandFactory;
            clap_complete::generate(
                shell,
                &mut Cli::command(),
                "tenantry",
                &mut std::io::stdout(),
            );
            return ExitCode::SUCCESS;
        }
        _ => {}
    }
    let telemetry = server::telemetry::init(cli.log_format);
    let result = async {
        let store = Store::connect(&cli.database_url.0).await?;
        match cli.command {
            None => server::host::run_serve(store, serve_args_from_env()).await,
            Some(Command::Serve(args)) => server::host::run_serve(store, *args).await,
            Some(Command::Admin(AdminCommand::Staff(cmd))) => {
                server::host::run_staff(&store, cmd, &mut std::io::stdout()).await
            }
            Some(Command::Client(_) | Command::Completion { .. }) => Ok(()),
        }
    }
    .await;
    telemetry.shutdown();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("tenantry: {e}");
            ExitCode::FAILURE
        }
    }
}
