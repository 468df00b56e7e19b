//! `tenantry tenant …`: list, get, create, operate on tenants.

use std::path::PathBuf;

use clap::Subcommand;
use reqwest::Method;
use serde_json::{json, Value};

use super::{
    confirm, operation, print, query, read_file, seg, started, template_id, Api, CliResult,
    ClientError, Exit, Format, TENANT_COLUMNS,
};

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
        /// Template id, key or name; `custom:APPLICATION` for a tenant
        /// without a plan (admins).
        #[arg(long)]
        template: Option<String>,
        #[arg(long)]
        id: Option<String>,
        #[arg(long)]
        domain: Option<String>,
        /// A custom field of the plan's application: NAME=VALUE (repeat).
        #[arg(long = "field", value_name = "NAME=VALUE", value_parser = field_pair)]
        fields: Vec<(String, String)>,
        /// Start provisioning at once.
        #[arg(long)]
        provision: bool,
        /// Start provisioning at this UTC time instead (2026-12-01T09:30).
        #[arg(long, value_name = "UTC")]
        provision_at: Option<String>,
        /// Check and render only, storing nothing: what is wrong and what
        /// is warned of (exit 2 when anything is wrong); `-o yaml` prints
        /// the objects provisioning would create.
        #[arg(long, conflicts_with_all = ["provision", "watch"])]
        dry_run: bool,
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
        /// Move to this release of the plan's application (its migrate
        /// jobs run first, its post-upgrade jobs after the rollout).
        #[arg(long)]
        release: Option<String>,
        /// Set a custom field: NAME=VALUE (repeat; NAME= goes back to its
        /// default). Fields not named keep their values.
        #[arg(long = "field", value_name = "NAME=VALUE", value_parser = field_pair)]
        fields: Vec<(String, String)>,
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
        /// Mail the owner when it starts and once the tenant is gone.
        #[arg(long)]
        notify_owner: bool,
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
    /// The tenant's API keys: list, rotate.
    #[command(subcommand)]
    Keys(super::api_keys::KeyCommand),
    /// The tenant's generated Secrets: rotate.
    #[command(subcommand)]
    Secrets(super::secrets::SecretCommand),
}

/// `NAME=VALUE` of `--field` (the value may be empty or hold '=').
fn field_pair(arg: &str) -> Result<(String, String), String> {
    match arg.split_once('=') {
        Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_string(), v.to_string())),
        _ => Err(format!("\"{arg}\" is not NAME=VALUE")),
    }
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
            fields,
            provision,
            provision_at,
            dry_run,
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
            if !fields.is_empty() {
                let given = &mut form["custom_fields"];
                if !given.is_object() {
                    *given = json!({});
                }
                for (k, v) in fields {
                    given[k] = Value::String(v);
                }
            }
            let named = template.or_else(|| form["template_id"].as_str().map(String::from));
            if let Some(t) = named {
                // `custom:<application>`: without a plan (admins).
                form["template_id"] = if app::domain::custom_plan::custom_application(&t).is_some()
                {
                    json!(t)
                } else {
                    json!(template_id(api, &t).await?.to_string())
                };
            }
            if dry_run {
                return dry_run_tenant(api, out, &form).await;
            }
            if provision || watch || provision_at.is_some() {
                form["provision"] = json!(true);
            }
            set(&mut form, "provision_at", provision_at);
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
            release,
            fields,
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
                "release": release.unwrap_or_default(),
                "custom_fields": fields.into_iter().map(|(k, v)| (k, Value::String(v))).collect::<serde_json::Map<_, _>>(),
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
            notify_owner,
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
                "notify_owner": notify_owner,
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
        TenantCommand::Keys(cmd) => super::api_keys::keys(api, out, cmd).await,
        TenantCommand::Secrets(cmd) => super::secrets::secrets(api, out, cmd).await,
    }
}

/// A new tenant checked and rendered by the console, nothing stored.
async fn dry_run_tenant(api: &Api, out: Format, form: &Value) -> CliResult<()> {
    let run = api
        .write(Method::POST, "/api/v1/tenant-dry-runs", form, None)
        .await?;
    for w in run["warnings"].as_array().into_iter().flatten() {
        eprintln!("warning: {}", w.as_str().unwrap_or_default());
    }
    if run["valid"] != true {
        let errors: Vec<String> = run["errors"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|e| {
                format!(
                    "{}: {}",
                    e["field"].as_str().unwrap_or("?"),
                    e["message"].as_str().unwrap_or("")
                )
            })
            .collect();
        return Err(ClientError::new(Exit::Usage, errors.join("\n")));
    }
    let preview = &run["preview"];
    match out {
        Format::Yaml => print!("{}", preview["yaml"].as_str().unwrap_or_default()),
        Format::Json => print(&run, out, &[])?,
        Format::Table => println!(
            "tenant {} would be made on {} v{} (release {}); nothing was stored",
            preview["tenant_id"].as_str().unwrap_or("?"),
            preview["template_name"].as_str().unwrap_or("?"),
            preview["template_version"],
            preview["release"]
        ),
    }
    Ok(())
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
    let release = match (preview["release_now"].as_i64(), preview["release"].as_i64()) {
        (Some(now), Some(to)) if now != to => format!(", release {now} → {to}"),
        (_, Some(to)) => format!(", release {to}"),
        _ => String::new(),
    };
    eprintln!(
        "Template {} v{}{release}: {} object(s) would change{}",
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
                crate::client::output::cell(&f["live"]),
                crate::client::output::cell(&f["desired"])
            );
        }
    }
    Ok(())
}

/// Waits until something on `topic` changes (a message or a resync), or
/// half a minute. A stream that cannot be had, or that ends (replaced,
/// dropped, signed out), is waited out, never retried in a tight loop.
async fn wait_for_change(api: &Api, topic: &str) {
    use crate::client::follow::{heard, live_events, Heard};
    use futures::StreamExt;
    let wait = async {
        let mut events = live_events(api, topic).await?;
        // The first event decides: a change, or a stream that ended.
        matches!(heard(events.next().await), Heard::Changed).then_some(())
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
