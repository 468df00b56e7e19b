//! `tenantry app …`: applications and their releases.

use std::path::PathBuf;

use clap::Subcommand;
use reqwest::Method;
use serde_json::{json, Value};

use super::{print, usage, Api, CliResult, Format, APPLICATION_COLUMNS, RELEASE_COLUMNS};

#[derive(Debug, Subcommand)]
pub enum AppCommand {
    List,
    /// An application (id or key) and its releases.
    Get {
        app: String,
    },
    /// A new application, without releases yet.
    Create {
        key: String,
        #[arg(long)]
        name: String,
        #[arg(long, default_value = "")]
        description: String,
    },
    /// Checks a release file (YAML or JSON, the release schema) and stores
    /// it as the application's next release; with `--check`, only checks.
    /// Every broken rule is listed with where it is; nothing is stored then.
    Apply {
        #[arg(short = 'f', long)]
        file: PathBuf,
        /// The application (id or key).
        #[arg(long = "app")]
        app: String,
        #[arg(long, default_value = "")]
        notes: String,
        /// The newest release this one is based on: refused if another
        /// was stored since.
        #[arg(long)]
        based_on: Option<i64>,
        #[arg(long)]
        check: bool,
    },
    /// One release; `-o yaml` prints it as written.
    Release {
        app: String,
        number: i64,
    },
}

pub async fn app(api: &Api, out: Format, cmd: AppCommand) -> CliResult<()> {
    match cmd {
        AppCommand::List => print(
            &api.get::<Value>("/api/v1/applications").await?,
            out,
            APPLICATION_COLUMNS,
        ),
        AppCommand::Get { app } => {
            let a: Value = api.get(&format!("/api/v1/applications/{app}")).await?;
            let releases: Value = api
                .get(&format!("/api/v1/applications/{app}/releases"))
                .await?;
            if out == Format::Table {
                print(&a, out, APPLICATION_COLUMNS)?;
                println!();
                return print(&releases, out, RELEASE_COLUMNS);
            }
            print(&json!({ "application": a, "releases": releases }), out, &[])
        }
        AppCommand::Create {
            key,
            name,
            description,
        } => {
            let body = json!({ "key": key, "name": name, "description": description });
            let a = api
                .write(Method::POST, "/api/v1/applications", &body, None)
                .await?;
            print(&a, out, APPLICATION_COLUMNS)
        }
        AppCommand::Apply {
            file,
            app,
            notes,
            based_on,
            check,
        } => {
            let source = std::fs::read_to_string(&file)
                .map_err(|e| usage(format!("{}: {e}", file.display())))?;
            let body = json!({ "source": source, "notes": notes });
            if check {
                api.write(
                    Method::POST,
                    &format!("/api/v1/applications/{app}/releases/check"),
                    &body,
                    None,
                )
                .await?;
                println!("{}: valid", file.display());
                return Ok(());
            }
            let tag = based_on.map(|n| format!("\"r{n}\""));
            let r = api
                .write(
                    Method::POST,
                    &format!("/api/v1/applications/{app}/releases"),
                    &body,
                    tag.as_deref(),
                )
                .await?;
            print(&r, out, RELEASE_COLUMNS)
        }
        AppCommand::Release { app, number } => {
            let r: Value = api
                .get(&format!("/api/v1/applications/{app}/releases/{number}"))
                .await?;
            match out {
                Format::Yaml => {
                    print!("{}", r["source"].as_str().unwrap_or_default());
                    Ok(())
                }
                _ => print(&r, out, RELEASE_COLUMNS),
            }
        }
    }
}
