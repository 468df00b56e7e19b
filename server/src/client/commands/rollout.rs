//! `tenantry rollout …`: plan a rollout (nothing stored), start it, follow
//! it, steer it (pause, resume, abort, skip a tenant).

use clap::{Args, Subcommand};
use reqwest::Method;
use serde_json::{json, Value};

use super::seg;
use crate::client::api::{Api, CliResult, ClientError, Exit};
use crate::client::output::{print, Column, Format};

const ROLLOUT_COLUMNS: &[Column] = &[
    ("ID", "/id"),
    ("APPLICATION", "/application"),
    ("RELEASE", "/release"),
    ("STATE", "/state"),
    ("WAVE", "/wave"),
    ("OF", "/waves"),
    ("REASON", "/reason"),
];

const TENANT_COLUMNS: &[Column] = &[
    ("WAVE", "/wave"),
    ("TENANT", "/tenant_id"),
    ("STATE", "/state"),
    ("CHANGE", "/change"),
    ("RUN", "/run_id"),
    ("DETAIL", "/detail"),
];

/// A plan's tenants: what each move changes, and its dry-run.
const PLANNED_COLUMNS: &[Column] = &[
    ("WAVE", "/wave"),
    ("TENANT", "/tenant_id"),
    ("CHANGE", "/change"),
    ("ON THE CLUSTER", "/dry_run"),
];

/// What a rollout moves, and how.
#[derive(Debug, Args)]
pub struct RolloutArgs {
    /// The application whose tenants move.
    #[arg(long)]
    application: String,
    /// The release they move to.
    #[arg(long)]
    release: Option<i64>,
    /// The plan (id) they move to.
    #[arg(long)]
    template: Option<i64>,
    /// Only the tenants on this plan (id).
    #[arg(long)]
    plan: Option<i64>,
    /// These tenants only (repeat).
    #[arg(long = "tenant")]
    tenants: Vec<String>,
    /// Wave sizes: counts or shares, e.g. "1, 3, 100%".
    #[arg(long, default_value = "1, 100%")]
    waves: String,
    /// The tenant that goes first.
    #[arg(long)]
    canary: Option<String>,
    #[arg(long)]
    parallelism: Option<u32>,
    /// Seconds each wave must stay healthy before the next starts.
    #[arg(long)]
    soak: Option<u32>,
    /// Plan only: compare each tenant's move with the cluster (the first
    /// 50, in wave order).
    #[arg(long)]
    dry_run: bool,
}

impl RolloutArgs {
    fn form(&self) -> Value {
        let text = |v: Option<String>| v.unwrap_or_default();
        json!({
            "application": self.application,
            "release": text(self.release.map(|n| n.to_string())),
            "template_id": text(self.template.map(|n| n.to_string())),
            "plan": text(self.plan.map(|n| n.to_string())),
            "tenants": self.tenants,
            "waves": self.waves,
            "canary": text(self.canary.clone()),
            "parallelism": text(self.parallelism.map(|n| n.to_string())),
            "soak_secs": text(self.soak.map(|n| n.to_string())),
            "dry_run": self.dry_run,
        })
    }
}

#[derive(Debug, Subcommand)]
pub enum RolloutCommand {
    /// The tenants wave by wave, each with what would change; nothing is stored.
    Plan(RolloutArgs),
    /// Plans and starts a rollout (operators).
    Start(RolloutArgs),
    /// The newest rollouts.
    List,
    /// A rollout with its tenants; --watch follows it until it stops.
    Get {
        id: i64,
        #[arg(short, long)]
        watch: bool,
    },
    Pause {
        id: i64,
    },
    Resume {
        id: i64,
    },
    /// Stops for good; the tenants moved already stay.
    Abort {
        id: i64,
    },
    /// Leaves a waiting or failed tenant as it is.
    Skip {
        id: i64,
        tenant: String,
    },
    /// Moves a tenant the rollout moved back to what it ran before.
    Rollback {
        id: i64,
        tenant: String,
        /// Also restore the dump its move took before the new release's
        /// migrations (admins; the data it replaces is dumped first).
        #[arg(long)]
        restore: bool,
    },
}

fn show(r: &Value, out: Format) -> CliResult<()> {
    if out != Format::Table {
        return print(r, out, ROLLOUT_COLUMNS);
    }
    print(&json!([r]), out, ROLLOUT_COLUMNS)?;
    print(&r["tenants"], out, TENANT_COLUMNS)
}

pub async fn rollout(api: &Api, out: Format, cmd: RolloutCommand) -> CliResult<()> {
    let steer = |id: i64, what: &str| format!("/api/v1/rollouts/{id}/{what}");
    let what = match &cmd {
        RolloutCommand::Skip { .. } => "skip",
        _ => "rollback",
    };
    match cmd {
        RolloutCommand::Plan(a) => {
            let plan: Value = api
                .write(Method::POST, "/api/v1/rollouts/plan", &a.form(), None)
                .await?;
            if out != Format::Table {
                return print(&plan, out, PLANNED_COLUMNS);
            }
            let all: Vec<Value> = plan["waves"]
                .as_array()
                .into_iter()
                .flatten()
                .flat_map(|w| w.as_array().cloned().unwrap_or_default())
                .collect();
            print(&Value::Array(all), out, PLANNED_COLUMNS)?;
            if let Some(note) = plan["dry_run"].as_str() {
                println!("dry-run: {note}");
            }
            for left in plan["left_out"].as_array().into_iter().flatten() {
                println!("left out: {}", left.as_str().unwrap_or_default());
            }
            Ok(())
        }
        RolloutCommand::Start(a) => {
            let r: Value = api
                .write(Method::POST, "/api/v1/rollouts", &a.form(), None)
                .await?;
            show(&r, out)
        }
        RolloutCommand::List => {
            let list: Value = api.get("/api/v1/rollouts").await?;
            print(&list, out, ROLLOUT_COLUMNS)
        }
        RolloutCommand::Get { id, watch } => {
            let path = format!("/api/v1/rollouts/{id}");
            let mut r: Value = api.get(&path).await?;
            while watch && r["state"] == "running" {
                eprintln!(
                    "wave {} of {}: {}",
                    r["wave"],
                    r["waves"],
                    r["tenants"]
                        .as_array()
                        .map(|t| t.iter().filter(|t| t["state"] == "done").count())
                        .unwrap_or(0)
                );
                tokio::time::sleep(std::time::Duration::from_secs(2)).await;
                r = api.get(&path).await?;
            }
            show(&r, out)?;
            match r["state"].as_str() {
                Some("paused") | Some("aborted") if watch => Err(ClientError::new(
                    Exit::Failure,
                    format!(
                        "rollout {id} is {}: {}",
                        r["state"].as_str().unwrap_or(""),
                        r["reason"].as_str().unwrap_or("")
                    ),
                )),
                _ => Ok(()),
            }
        }
        RolloutCommand::Pause { id } => {
            let r = api
                .write(Method::POST, &steer(id, "pause"), &json!({}), None)
                .await?;
            show(&r, out)
        }
        RolloutCommand::Resume { id } => {
            let r = api
                .write(Method::POST, &steer(id, "resume"), &json!({}), None)
                .await?;
            show(&r, out)
        }
        RolloutCommand::Abort { id } => {
            let r = api
                .write(Method::POST, &steer(id, "abort"), &json!({}), None)
                .await?;
            show(&r, out)
        }
        RolloutCommand::Skip { id, tenant } => {
            let path = format!("/api/v1/rollouts/{id}/tenants/{}/{what}", seg(&tenant));
            let r = api.write(Method::POST, &path, &json!({}), None).await?;
            show(&r, out)
        }
        RolloutCommand::Rollback {
            id,
            tenant,
            restore,
        } => {
            let path = format!("/api/v1/rollouts/{id}/tenants/{}/{what}", seg(&tenant));
            let body = json!({ "restore": restore });
            let r = api.write(Method::POST, &path, &body, None).await?;
            show(&r, out)
        }
    }
}
