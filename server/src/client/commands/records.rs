//! `tenantry template|run|staff|alert …`.

use std::path::PathBuf;

use clap::Subcommand;
use reqwest::Method;
use serde_json::{json, Value};

use super::{
    confirm, follow_run, print, query, read_file, started, template_id, usage, Api, CliResult,
    Format, ALERT_COLUMNS, RUN_COLUMNS, STAFF_COLUMNS, STEP_COLUMNS, TEMPLATE_COLUMNS,
};

#[derive(Debug, Subcommand)]
pub enum TemplateCommand {
    List,
    /// A template (id, key or name); `--form` prints it as an edit file.
    Get {
        id: String,
        #[arg(long)]
        form: bool,
    },
    /// From a JSON or YAML file with the template's fields.
    Create {
        #[arg(short = 'f', long)]
        file: PathBuf,
    },
    /// Saves the file as the template's next version. The version it is
    /// based on comes from `--version` or the file's `based_on_version`
    /// (`template get --form` writes it); someone else's save since then
    /// is a conflict (exit 5), never overwritten.
    Edit {
        id: String,
        #[arg(short = 'f', long)]
        file: PathBuf,
        #[arg(long)]
        version: Option<i64>,
    },
    Delete {
        id: String,
        #[arg(short, long)]
        yes: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum RunCommand {
    List {
        #[arg(long, default_value = "")]
        tenant: String,
        #[arg(long)]
        state: Option<String>,
        #[arg(long, default_value_t = 1)]
        page: u32,
    },
    Get {
        id: i64,
        #[arg(short, long)]
        watch: bool,
    },
    /// Retries a failed step (its position, as `run get` shows).
    Retry {
        id: i64,
        #[arg(long)]
        step: i64,
        #[arg(short, long)]
        watch: bool,
    },
    Recover {
        id: i64,
        #[arg(short, long)]
        watch: bool,
    },
    Cancel {
        id: i64,
    },
}

#[derive(Debug, Subcommand)]
pub enum StaffApiCommand {
    List,
    /// Prints the one-time password once.
    Add {
        username: String,
        #[arg(long, default_value = "viewer")]
        role: String,
    },
    SetRole {
        id: i64,
        role: String,
    },
    Disable {
        id: i64,
    },
    Enable {
        id: i64,
    },
    ResetPassword {
        id: i64,
    },
}

#[derive(Debug, Subcommand)]
pub enum AlertCommand {
    List {
        #[arg(long)]
        state: Option<String>,
        #[arg(long, default_value = "")]
        tenant: String,
    },
    Ack {
        id: i64,
        #[arg(long, default_value = "")]
        note: String,
    },
    Resolve {
        id: i64,
        #[arg(long, default_value = "")]
        note: String,
    },
}

pub async fn template(api: &Api, out: Format, cmd: TemplateCommand) -> CliResult<()> {
    match cmd {
        TemplateCommand::List => print(
            &api.get::<Value>("/api/v1/templates").await?,
            out,
            TEMPLATE_COLUMNS,
        ),
        TemplateCommand::Get { id, form } => {
            let id = template_id(api, &id).await?;
            let d: Value = api.get(&format!("/api/v1/templates/{id}")).await?;
            if form {
                let t: app::dto::TemplateDto = crate::client::api::decode(d["template"].clone())?;
                let f = serde_json::to_value(app::dto::TemplateForm::from_template(&t))
                    .unwrap_or_default();
                let fmt = if out == Format::Json {
                    Format::Json
                } else {
                    Format::Yaml
                };
                return print(&f, fmt, &[]);
            }
            if out == Format::Table {
                print(&d["template"], out, TEMPLATE_COLUMNS)?;
                println!(
                    "{}",
                    yaml_serde::to_string(&d["template"]["spec"]).unwrap_or_default()
                );
                return Ok(());
            }
            print(&d, out, TEMPLATE_COLUMNS)
        }
        TemplateCommand::Create { file } => {
            let t = api
                .write(Method::POST, "/api/v1/templates", &read_file(&file)?, None)
                .await?;
            print(&t, out, TEMPLATE_COLUMNS)
        }
        TemplateCommand::Edit { id, file, version } => {
            let id = template_id(api, &id).await?;
            let form = read_file(&file)?;
            let based_on = version
                .or_else(|| form["based_on_version"].as_i64())
                .ok_or_else(|| {
                    usage(format!(
                        "say which version this edit is based on: --version N, or start from \
                         `tenantry template get {id} --form > {}`",
                        file.display()
                    ))
                })?;
            let t = api
                .write(
                    Method::PUT,
                    &format!("/api/v1/templates/{id}"),
                    &form,
                    Some(&format!("\"v{based_on}\"")),
                )
                .await?;
            print(&t, out, TEMPLATE_COLUMNS)
        }
        TemplateCommand::Delete { id, yes } => {
            let id = template_id(api, &id).await?;
            confirm(&format!("Delete template {id}?"), yes, None)?;
            api.write(
                Method::DELETE,
                &format!("/api/v1/templates/{id}"),
                &json!({}),
                None,
            )
            .await?;
            println!("template {id} deleted");
            Ok(())
        }
    }
}

pub async fn run(api: &Api, out: Format, cmd: RunCommand) -> CliResult<()> {
    match cmd {
        RunCommand::List {
            tenant,
            state,
            page,
        } => {
            let path = format!(
                "/api/v1/runs?{}",
                query(&[
                    ("tenant", Some(tenant)),
                    ("state", state),
                    ("page", Some(page.to_string()))
                ])
            );
            print(&api.get::<Value>(&path).await?, out, RUN_COLUMNS)
        }
        RunCommand::Get { id, watch } => {
            if watch {
                let run = follow_run(api, id).await?;
                return print(
                    &serde_json::to_value(run).unwrap_or_default(),
                    out,
                    RUN_COLUMNS,
                );
            }
            let run: Value = api.get(&format!("/api/v1/runs/{id}")).await?;
            print(&run, out, RUN_COLUMNS)?;
            if out == Format::Table {
                print(&run["steps"], out, STEP_COLUMNS)?;
            }
            Ok(())
        }
        RunCommand::Retry { id, step, watch } => {
            let run = api
                .write(
                    Method::POST,
                    &format!("/api/v1/runs/{id}/steps/{step}/retry"),
                    &json!({}),
                    None,
                )
                .await?;
            started(api, out, run, watch).await
        }
        RunCommand::Recover { id, watch } => {
            let run = api
                .write(
                    Method::POST,
                    &format!("/api/v1/runs/{id}/recover"),
                    &json!({}),
                    None,
                )
                .await?;
            started(api, out, run, watch).await
        }
        RunCommand::Cancel { id } => {
            let run = api
                .write(
                    Method::POST,
                    &format!("/api/v1/runs/{id}/cancel"),
                    &json!({}),
                    None,
                )
                .await?;
            print(&run, out, RUN_COLUMNS)
        }
    }
}

pub async fn staff(api: &Api, out: Format, cmd: StaffApiCommand) -> CliResult<()> {
    let patch = |id: i64, body: Value| async move {
        api.write(Method::PATCH, &format!("/api/v1/staff/{id}"), &body, None)
            .await
    };
    let v = match cmd {
        StaffApiCommand::List => api.get::<Value>("/api/v1/staff").await?,
        StaffApiCommand::Add { username, role } => {
            let made = api
                .write(
                    Method::POST,
                    "/api/v1/staff",
                    &json!({"username": username, "role": role}),
                    None,
                )
                .await?;
            if out == Format::Table {
                println!(
                    "Added {username} ({role}); one-time password (shown once): {}",
                    made["one_time_password"].as_str().unwrap_or("")
                );
                return Ok(());
            }
            made
        }
        StaffApiCommand::SetRole { id, role } => patch(id, json!({"role": role})).await?,
        StaffApiCommand::Disable { id } => patch(id, json!({"active": false})).await?,
        StaffApiCommand::Enable { id } => patch(id, json!({"active": true})).await?,
        StaffApiCommand::ResetPassword { id } => {
            let made = api
                .write(
                    Method::POST,
                    &format!("/api/v1/staff/{id}/reset-password"),
                    &json!({}),
                    None,
                )
                .await?;
            if out == Format::Table {
                println!(
                    "New one-time password (shown once): {}",
                    made["one_time_password"].as_str().unwrap_or("")
                );
                return Ok(());
            }
            made
        }
    };
    print(&v, out, STAFF_COLUMNS)
}

pub async fn alert(api: &Api, out: Format, cmd: AlertCommand) -> CliResult<()> {
    let v = match cmd {
        AlertCommand::List { state, tenant } => {
            let path = format!(
                "/api/v1/alerts?{}",
                query(&[("state", state), ("tenant", Some(tenant))])
            );
            api.get::<Value>(&path).await?
        }
        AlertCommand::Ack { id, note } => {
            api.write(
                Method::POST,
                &format!("/api/v1/alerts/{id}/ack"),
                &json!({"note": note}),
                None,
            )
            .await?
        }
        AlertCommand::Resolve { id, note } => {
            api.write(
                Method::POST,
                &format!("/api/v1/alerts/{id}/resolve"),
                &json!({"note": note}),
                None,
            )
            .await?
        }
    };
    print(&v, out, ALERT_COLUMNS)
}
