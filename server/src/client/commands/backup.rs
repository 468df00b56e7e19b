//! `tenantry backup …`: a tenant's catalogue, back up now, and restore.

use clap::Subcommand;
use reqwest::Method;
use serde_json::{json, Value};

use super::{confirm, operation, seg, started};
use crate::client::api::{Api, CliResult};
use crate::client::output::{print, Column, Format};

const BACKUP_COLUMNS: &[Column] = &[
    ("ID", "/id"),
    ("TAKEN", "/taken_at"),
    ("HOW", "/method"),
    ("BYTES", "/size_bytes"),
    ("LOCATION", "/location"),
    ("PRUNED", "/pruned_at"),
];

#[derive(Debug, Subcommand)]
pub enum BackupCommand {
    /// The tenant's backups, newest first.
    List { tenant: String },
    /// Dumps the tenant's database to the object store now.
    Now {
        tenant: String,
        #[arg(short, long)]
        watch: bool,
    },
    /// Replaces the tenant's data with one of its backups (admins): the
    /// application stops, the dump is restored, migrations run, the
    /// application starts. Asks for the tenant ID unless --yes.
    Restore {
        tenant: String,
        /// The backup's ID (see `backup list`).
        #[arg(long)]
        backup: i64,
        #[arg(short, long)]
        yes: bool,
        #[arg(short, long)]
        watch: bool,
    },
}

pub async fn backup(api: &Api, out: Format, cmd: BackupCommand) -> CliResult<()> {
    match cmd {
        BackupCommand::List { tenant } => {
            let list: Value = api
                .get(&format!("/api/v1/tenants/{}/backups", seg(&tenant)))
                .await?;
            print(&list, out, BACKUP_COLUMNS)
        }
        BackupCommand::Now { tenant, watch } => operation(api, out, &tenant, "backup", watch).await,
        BackupCommand::Restore {
            tenant,
            backup,
            yes,
            watch,
        } => {
            eprintln!(
                "Restoring backup {backup} replaces the data of {tenant}; its application stops meanwhile."
            );
            confirm("This cannot be undone.", yes, Some(&tenant))?;
            let run = api
                .write(
                    Method::POST,
                    &format!("/api/v1/tenants/{}/restore", seg(&tenant)),
                    &json!({ "backup_id": backup, "confirm": tenant }),
                    None,
                )
                .await?;
            started(api, out, run, watch).await
        }
    }
}
