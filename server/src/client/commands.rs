//! The client commands: each one call (or a few) to `/api/v1`, printed as
//! a table or as the API's JSON/YAML.

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::Subcommand;
use reqwest::Method;
use serde_json::{json, Value};

use super::api::{Api, CliResult, ClientError, Exit};
use super::follow::follow_run;
use super::output::{print, Column, Format};

const TENANT_COLUMNS: &[Column] = &[
    ("ID", "/id"),
    ("STATE", "/state"),
    ("HEALTH", "/health/health"),
    ("TEMPLATE", "/template_name"),
    ("VERSION", "/template_version"),
    ("COMPANY", "/company_name"),
    ("CREATED", "/created_at"),
];
const RUN_COLUMNS: &[Column] = &[
    ("RUN", "/id"),
    ("TENANT", "/tenant_id"),
    ("OPERATION", "/operation"),
    ("STATE", "/state"),
    ("BY", "/requested_by"),
    ("CREATED", "/created_at"),
    ("FINISHED", "/finished_at"),
];
const STEP_COLUMNS: &[Column] = &[
    ("#", "/position"),
    ("STEP", "/name"),
    ("STATE", "/state"),
    ("ATTEMPTS", "/attempts"),
    ("ERROR", "/last_error"),
];
const TEMPLATE_COLUMNS: &[Column] = &[
    ("ID", "/id"),
    ("KEY", "/key"),
    ("NAME", "/name"),
    ("VERSION", "/version"),
    ("TENANTS", "/tenant_count"),
    ("UPDATED", "/updated_at"),
];
const STAFF_COLUMNS: &[Column] = &[
    ("ID", "/id"),
    ("USER", "/username"),
    ("ROLE", "/role"),
    ("ACTIVE", "/active"),
    ("LAST LOGIN", "/last_login_at"),
];
const ALERT_COLUMNS: &[Column] = &[
    ("ID", "/id"),
    ("SEVERITY", "/severity"),
    ("STATE", "/state"),
    ("RULE", "/rule"),
    ("TENANT", "/tenant_id"),
    ("SUMMARY", "/summary"),
];

#[derive(Debug, Subcommand)]
pub enum TenantCommand {
    List {
        /// Words in the ID, company or owner.
        #[arg(short, long, default_value = "")]
        query: String,
        #[arg(long)]
        state: Option<String>,
        #[arg(long)]
        health: Option<String>,
        #[arg(long, default_value_t = 1)]
        page: u32,
        /// Print again whenever a tenant changes (Ctrl-C ends).
        #[arg(short, long)]
        watch: bool,
    },
    Get {
        id: String,
    },
    /// A new tenant, from flags or from a JSON/YAML file (-f).
    Create {
        #[arg(short = 'f', long)]
        file: Option<PathBuf>,
        #[arg(long)]
        company: Option<String>,
        #[arg(long)]
        email: Option<String>,
        #[arg(long)]
        owner: Option<String>,
        /// Template id, key or name.
        #[arg(long)]
        template: Option<String>,
        #[arg(long)]
        id: Option<String>,
        #[arg(long)]
        domain: Option<String>,
        /// Start provisioning at once.
        #[arg(long)]
        provision: bool,
        #[arg(short, long)]
        watch: bool,
    },
    Provision {
        id: String,
        #[arg(short, long)]
        watch: bool,
    },
    Suspend {
        id: String,
        #[arg(short, long)]
        watch: bool,
    },
    Resume {
        id: String,
        #[arg(short, long)]
        watch: bool,
    },
    Cleanup {
        id: String,
        #[arg(short, long)]
        watch: bool,
    },
    /// A tier or replica change: shows what would change, asks, applies.
    Change {
        id: String,
        /// Template id, key or name.
        #[arg(long)]
        template: Option<String>,
        #[arg(long)]
        api_replicas: Option<String>,
        #[arg(long)]
        web_replicas: Option<String>,
        #[arg(long)]
        dry_run: bool,
        #[arg(short, long)]
        yes: bool,
        #[arg(short, long)]
        watch: bool,
    },
    /// Deletes the tenant's namespace and all in it (after a backup, a
    /// grace period or at a time, if asked).
    Deprovision {
        id: String,
        #[arg(long)]
        backup: bool,
        #[arg(long)]
        purge_audit: bool,
        #[arg(long)]
        grace_hours: Option<u32>,
        /// UTC, e.g. 2026-12-24T09:00.
        #[arg(long)]
        at: Option<String>,
        /// Admins: strip Tenantry's finalizers from what blocks.
        #[arg(long)]
        force: bool,
        #[arg(long)]
        dry_run: bool,
        #[arg(short, long)]
        yes: bool,
        #[arg(short, long)]
        watch: bool,
    },
    /// Deletes a record with nothing in the cluster.
    Delete {
        id: String,
        #[arg(short, long)]
        yes: bool,
    },
}

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

fn usage(message: impl Into<String>) -> ClientError {
    ClientError::new(Exit::Usage, message)
}

/// A JSON or YAML file holding one object (a form's fields).
fn read_file(path: &PathBuf) -> CliResult<Value> {
    let text =
        std::fs::read_to_string(path).map_err(|e| usage(format!("{}: {e}", path.display())))?;
    let v = yaml_serde::from_str::<Value>(&text)
        .map_err(|e| usage(format!("{}: not JSON or YAML: {e}", path.display())))?;
    if !v.is_object() {
        return Err(usage(format!(
            "{}: must hold one object of fields (name: value)",
            path.display()
        )));
    }
    Ok(v)
}

fn query(pairs: &[(&str, Option<String>)]) -> String {
    let mut q = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        if let Some(v) = v.as_ref().filter(|v| !v.is_empty()) {
            q.append_pair(k, v);
        }
    }
    q.finish()
}

fn seg(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// Asks before a change; refuses without a terminal unless `--yes`.
fn confirm(question: &str, yes: bool, typed: Option<&str>) -> CliResult<()> {
    if yes {
        return Ok(());
    }
    if !std::io::stdin().is_terminal() {
        return Err(usage(
            "not on a terminal: pass --yes to go ahead without the question",
        ));
    }
    match typed {
        Some(word) => eprint!("{question} Type \"{word}\" to go ahead: "),
        None => eprint!("{question} [y/N] "),
    }
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .map_err(|e| usage(e.to_string()))?;
    let ok = match typed {
        Some(word) => line.trim() == word,
        None => matches!(line.trim(), "y" | "Y" | "yes"),
    };
    if ok {
        Ok(())
    } else {
        Err(usage("not confirmed; nothing was changed"))
    }
}

/// A template named by id, key or name.
async fn template_id(api: &Api, wanted: &str) -> CliResult<i64> {
    if let Ok(id) = wanted.parse::<i64>() {
        return Ok(id);
    }
    let all: Vec<Value> = api.get("/api/v1/templates").await?;
    all.iter()
        .find(|t| {
            [&t["key"], &t["name"]]
                .iter()
                .any(|v| v.as_str().is_some_and(|s| s.eq_ignore_ascii_case(wanted)))
        })
        .and_then(|t| t["id"].as_i64())
        .ok_or_else(|| ClientError::new(Exit::NotFound, format!("no template \"{wanted}\"")))
}

/// Prints a started run and, with `watch`, follows it to its end.
async fn started(api: &Api, out: Format, run: Value, watch: bool) -> CliResult<()> {
    let id = run["id"].as_i64().ok_or_else(|| {
        ClientError::new(Exit::Failure, format!("the answer names no run: {run}"))
    })?;
    if watch {
        let done = follow_run(api, id).await?;
        let v = serde_json::to_value(&done).unwrap_or_default();
        if out == Format::Table {
            println!("run {id} of {} completed", done.tenant_id);
            return Ok(());
        }
        return print(&v, out, RUN_COLUMNS);
    }
    if out == Format::Table {
        println!(
            "run {id} started: {} {} (follow it: tenantry run get {id} --watch)",
            run["operation"].as_str().unwrap_or(""),
            run["tenant_id"].as_str().unwrap_or("")
        );
        return Ok(());
    }
    print(&run, out, RUN_COLUMNS)
}

async fn operation(api: &Api, out: Format, id: &str, op: &str, watch: bool) -> CliResult<()> {
    let run = api
        .write(
            Method::POST,
            &format!("/api/v1/tenants/{}/{op}", seg(id)),
            &json!({}),
            None,
        )
        .await?;
    started(api, out, run, watch).await
}

pub async fn login(
    server: url::Url,
    username: String,
    password: Option<String>,
    role: Option<String>,
    days: i64,
) -> CliResult<()> {
    let password = match password {
        Some(p) => p,
        None if std::io::stdin().is_terminal() => {
            rpassword::prompt_password("Password: ").map_err(|e| usage(e.to_string()))?
        }
        None => {
            return Err(usage(
                "no password: set TENANTRY_PASSWORD or run on a terminal",
            ))
        }
    };
    let api = Api::new(server.clone(), None, None)?;
    let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "cli".into());
    let mut body = json!({
        "username": username, "password": password,
        "expires_in_days": days, "name": format!("tenantry CLI on {host}"),
    });
    if let Some(r) = &role {
        body["role"] = json!(r);
    }
    let made = api
        .write(Method::POST, crate::rest::TOKEN_EXCHANGE_PATH, &body, None)
        .await?;
    let token = made["secret"].as_str().unwrap_or_default().to_string();
    let role = made["token"]["role"].as_str().unwrap_or("?").to_string();
    let path = super::config::save(&super::config::Saved {
        server: Some(server.to_string()),
        token: Some(token),
    })?;
    println!(
        "Signed in to {server} as {username} ({role} token, {days} days); saved in {}",
        path.display()
    );
    Ok(())
}

pub async fn tenant(api: &Api, out: Format, cmd: TenantCommand) -> CliResult<()> {
    match cmd {
        TenantCommand::List {
            query: q,
            state,
            health,
            page,
            watch,
        } => {
            let path = format!(
                "/api/v1/tenants?{}",
                query(&[
                    ("q", Some(q)),
                    ("state", state),
                    ("health", health),
                    ("page", Some(page.to_string()))
                ])
            );
            loop {
                print(&api.get::<Value>(&path).await?, out, TENANT_COLUMNS)?;
                if !watch {
                    return Ok(());
                }
                wait_for_change(api, "tenants").await;
            }
        }
        TenantCommand::Get { id } => {
            let t: Value = api.get(&format!("/api/v1/tenants/{}", seg(&id))).await?;
            print(&t, out, TENANT_COLUMNS)
        }
        TenantCommand::Create {
            file,
            company,
            email,
            owner,
            template,
            id,
            domain,
            provision,
            watch,
        } => {
            let mut form = match &file {
                Some(f) => read_file(f)?,
                None => json!({}),
            };
            let set = |form: &mut Value, k: &str, v: Option<String>| {
                if let (Some(v), Some(o)) = (v, form.as_object_mut()) {
                    o.insert(k.into(), Value::String(v));
                }
            };
            set(&mut form, "company_name", company);
            set(&mut form, "owner_email", email);
            set(&mut form, "owner_name", owner);
            set(&mut form, "tenant_id", id);
            set(&mut form, "custom_domain", domain);
            let named = template.or_else(|| form["template_id"].as_str().map(String::from));
            if let Some(t) = named {
                let tid = template_id(api, &t).await?;
                form["template_id"] = json!(tid.to_string());
            }
            if provision || watch {
                form["provision"] = json!(true);
            }
            let t = api
                .write(Method::POST, "/api/v1/tenants", &form, None)
                .await?;
            let tid = t["id"].as_str().unwrap_or_default().to_string();
            if out == Format::Table {
                println!(
                    "tenant {tid} created (namespace {})",
                    t["namespace"].as_str().unwrap_or("")
                );
            } else if !watch {
                print(&t, out, TENANT_COLUMNS)?;
            }
            if watch {
                // The provisioning run the create started.
                let runs: Value = api
                    .get(&format!("/api/v1/runs?tenant={}", seg(&tid)))
                    .await?;
                let run = runs["items"]
                    .as_array()
                    .and_then(|r| r.iter().find(|r| r["operation"] == "provision"))
                    .cloned()
                    .ok_or_else(|| {
                        ClientError::new(
                            Exit::Failure,
                            format!("no provisioning run of {tid} was found"),
                        )
                    })?;
                return started(api, out, run, true).await;
            }
            Ok(())
        }
        TenantCommand::Provision { id, watch } => {
            operation(api, out, &id, "provision", watch).await
        }
        TenantCommand::Suspend { id, watch } => operation(api, out, &id, "suspend", watch).await,
        TenantCommand::Resume { id, watch } => operation(api, out, &id, "resume", watch).await,
        TenantCommand::Cleanup { id, watch } => operation(api, out, &id, "cleanup", watch).await,
        TenantCommand::Change {
            id,
            template,
            api_replicas,
            web_replicas,
            dry_run,
            yes,
            watch,
        } => {
            let tid = match template {
                Some(t) => template_id(api, &t).await?.to_string(),
                None => String::new(),
            };
            let form = json!({
                "template_id": tid,
                "api_replicas": api_replicas.unwrap_or_default(),
                "web_replicas": web_replicas.unwrap_or_default(),
            });
            let base = format!("/api/v1/tenants/{}/change", seg(&id));
            let preview = api
                .write(Method::POST, &format!("{base}/preview"), &form, None)
                .await?;
            show_preview(&preview, out)?;
            if dry_run {
                return Ok(());
            }
            confirm(&format!("Apply this change to {id}?"), yes, None)?;
            let run = api.write(Method::POST, &base, &form, None).await?;
            started(api, out, run, watch).await
        }
        TenantCommand::Deprovision {
            id,
            backup,
            purge_audit,
            grace_hours,
            at,
            force,
            dry_run,
            yes,
            watch,
        } => {
            let t: Value = api.get(&format!("/api/v1/tenants/{}", seg(&id))).await?;
            eprintln!(
                "Deprovisioning {id} deletes namespace {} and everything in it{}{}{}{}.",
                t["namespace"].as_str().unwrap_or("?"),
                if backup { ", after a backup" } else { "" },
                grace_hours
                    .map(|h| format!(", after {h} h of grace"))
                    .unwrap_or_default(),
                at.as_deref()
                    .map(|a| format!(", at {a} UTC"))
                    .unwrap_or_default(),
                if force {
                    ", forcing past Tenantry's finalizers"
                } else {
                    ""
                },
            );
            if dry_run {
                return Ok(());
            }
            confirm("This cannot be undone.", yes, Some(&id))?;
            let form = json!({
                "backup": backup, "purge_audit": purge_audit, "force": force,
                "grace_hours": grace_hours.map(|h| h.to_string()).unwrap_or_default(),
                "scheduled_at": at.unwrap_or_default(), "confirm": id,
            });
            let run = api
                .write(
                    Method::POST,
                    &format!("/api/v1/tenants/{}/deprovision", seg(&id)),
                    &form,
                    None,
                )
                .await?;
            started(api, out, run, watch).await
        }
        TenantCommand::Delete { id, yes } => {
            confirm(&format!("Delete the record of {id}?"), yes, None)?;
            api.write(
                Method::DELETE,
                &format!("/api/v1/tenants/{}", seg(&id)),
                &json!({}),
                None,
            )
            .await?;
            println!("tenant {id} deleted");
            Ok(())
        }
    }
}

fn show_preview(preview: &Value, out: Format) -> CliResult<()> {
    if out != Format::Table {
        return print(preview, out, &[]);
    }
    let objects = preview["objects"].as_array().cloned().unwrap_or_default();
    let changed: Vec<&Value> = objects
        .iter()
        .filter(|o| o["action"] != "unchanged")
        .collect();
    eprintln!(
        "Template {} v{}: {} object(s) would change{}",
        preview["template_name"].as_str().unwrap_or("?"),
        preview["template_version"],
        changed.len(),
        if preview["compared_with_live"] == true {
            ""
        } else {
            " (not compared with the cluster)"
        }
    );
    for o in changed {
        eprintln!(
            "  {} {} {}",
            o["action"].as_str().unwrap_or(""),
            o["kind"].as_str().unwrap_or(""),
            o["name"].as_str().unwrap_or("")
        );
        for f in o["fields"].as_array().into_iter().flatten() {
            eprintln!(
                "      {}: {} -> {}",
                f["path"].as_str().unwrap_or(""),
                super::output::cell(&f["live"]),
                super::output::cell(&f["desired"])
            );
        }
    }
    Ok(())
}

/// Waits until something on `topic` changes (a message or a resync), or
/// half a minute. A stream that cannot be had, or that ends (replaced,
/// dropped, signed out), is waited out, never retried in a tight loop.
async fn wait_for_change(api: &Api, topic: &str) {
    use eventsource_stream::Eventsource;
    use futures::StreamExt;
    let wait = async {
        let req = api
            .request(Method::GET, &format!("/api/v1/live?topics={topic}"))
            .ok()?;
        let res = req.send().await.ok()?;
        if !res.status().is_success() {
            return None;
        }
        let mut events = res.bytes_stream().eventsource();
        // The first event decides: a change, or a stream that ended.
        match events.next().await {
            Some(Ok(e)) if matches!(e.event.as_str(), "message" | "resync") => Some(()),
            _ => None,
        }
    };
    let started = tokio::time::Instant::now();
    let limit = std::time::Duration::from_secs(30);
    if tokio::time::timeout(limit, wait)
        .await
        .ok()
        .flatten()
        .is_none()
    {
        tokio::time::sleep_until(started + std::time::Duration::from_secs(5)).await;
    }
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
                let t: app::dto::TemplateDto = super::api::decode(d["template"].clone())?;
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
