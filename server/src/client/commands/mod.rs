//! The client commands: each one call (or a few) to `/api/v1`, printed as
//! a table or as the API's JSON/YAML. Shared here: the columns, reading
//! files, confirmations, following a started run, and `login`.

mod api_keys;
mod app;
mod backup;
mod records;
mod rollout;
mod secrets;
mod tenant;

pub use app::{app, AppCommand};
pub use backup::{backup, BackupCommand};
pub use records::{
    alert, run, staff, template, AlertCommand, RunCommand, StaffApiCommand, TemplateCommand,
};
pub use rollout::{rollout, RolloutCommand};
pub use tenant::{tenant, TenantCommand};

use std::io::IsTerminal;
use std::path::PathBuf;

use reqwest::Method;
use serde_json::{json, Value};

use super::api::{Api, CliResult, ClientError, Exit};
use super::follow::follow_run;
use super::output::{print, Column, Format};

pub(super) const TENANT_COLUMNS: &[Column] = &[
    ("ID", "/id"),
    ("STATE", "/state"),
    ("HEALTH", "/health/health"),
    ("TEMPLATE", "/template_name"),
    ("VERSION", "/template_version"),
    ("COMPANY", "/company_name"),
    ("CREATED", "/created_at"),
];
pub(super) const RUN_COLUMNS: &[Column] = &[
    ("RUN", "/id"),
    ("TENANT", "/tenant_id"),
    ("OPERATION", "/operation"),
    ("STATE", "/state"),
    ("BY", "/requested_by"),
    ("CREATED", "/created_at"),
    ("FINISHED", "/finished_at"),
];
pub(super) const STEP_COLUMNS: &[Column] = &[
    ("#", "/position"),
    ("STEP", "/name"),
    ("STATE", "/state"),
    ("ATTEMPTS", "/attempts"),
    ("ERROR", "/last_error"),
];
pub(super) const APPLICATION_COLUMNS: &[Column] = &[
    ("ID", "/id"),
    ("KEY", "/key"),
    ("NAME", "/name"),
    ("RELEASE", "/latest_release"),
    ("PLANS", "/plan_count"),
    ("TENANTS", "/tenant_count"),
];
pub(super) const RELEASE_COLUMNS: &[Column] = &[
    ("RELEASE", "/number"),
    ("TENANTS", "/tenant_count"),
    ("NOTES", "/notes"),
    ("BY", "/created_by"),
    ("CREATED", "/created_at"),
];
pub(super) const TEMPLATE_COLUMNS: &[Column] = &[
    ("ID", "/id"),
    ("KEY", "/key"),
    ("NAME", "/name"),
    ("VERSION", "/version"),
    ("TENANTS", "/tenant_count"),
    ("UPDATED", "/updated_at"),
];
pub(super) const STAFF_COLUMNS: &[Column] = &[
    ("ID", "/id"),
    ("USER", "/username"),
    ("ROLE", "/role"),
    ("ACTIVE", "/active"),
    ("LAST LOGIN", "/last_login_at"),
];
pub(super) const ALERT_COLUMNS: &[Column] = &[
    ("ID", "/id"),
    ("SEVERITY", "/severity"),
    ("STATE", "/state"),
    ("RULE", "/rule"),
    ("TENANT", "/tenant_id"),
    ("SUMMARY", "/summary"),
];

pub(super) fn usage(message: impl Into<String>) -> ClientError {
    ClientError::new(Exit::Usage, message)
}

/// A JSON or YAML file holding one object (a form's fields).
pub(super) fn read_file(path: &PathBuf) -> CliResult<Value> {
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

pub(super) fn query(pairs: &[(&str, Option<String>)]) -> String {
    let mut q = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        if let Some(v) = v.as_ref().filter(|v| !v.is_empty()) {
            q.append_pair(k, v);
        }
    }
    q.finish()
}

pub(super) fn seg(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// Asks before a change; refuses without a terminal unless `--yes`.
pub(super) fn confirm(question: &str, yes: bool, typed: Option<&str>) -> CliResult<()> {
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
pub(super) async fn template_id(api: &Api, wanted: &str) -> CliResult<i64> {
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
pub(super) async fn started(api: &Api, out: Format, run: Value, watch: bool) -> CliResult<()> {
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

pub(super) async fn operation(
    api: &Api,
    out: Format,
    id: &str,
    op: &str,
    watch: bool,
) -> CliResult<()> {
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
        .write(
            Method::POST,
            crate::answer::TOKEN_EXCHANGE_PATH,
            &body,
            None,
        )
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
