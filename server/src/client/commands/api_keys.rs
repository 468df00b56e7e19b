//! `tenantry tenant keys …`: a tenant's API keys, and rotating one (the
//! new key is printed once).

use clap::Subcommand;
use reqwest::Method;
use serde_json::{json, Value};

use super::seg;
use crate::client::api::{Api, CliResult};
use crate::client::output::{print, Column, Format};

const KEY_COLUMNS: &[Column] = &[
    ("NAME", "/name"),
    ("ISSUED", "/issued_at"),
    ("BY", "/issued_by"),
    ("PREVIOUS UNTIL", "/previous_until"),
];

#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// The keys the tenant's release declares, when each was issued, and
    /// until when a replaced one is still accepted.
    List { tenant: String },
    /// Issues a new key NAME, printed once; the key it replaces is
    /// accepted for --overlap-hours (24 unless given; 0 stops it at once).
    Rotate {
        tenant: String,
        name: String,
        #[arg(long)]
        overlap_hours: Option<u32>,
    },
}

pub async fn keys(api: &Api, out: Format, cmd: KeyCommand) -> CliResult<()> {
    match cmd {
        KeyCommand::List { tenant } => {
            let list: Value = api
                .get(&format!("/api/v1/tenants/{}/api-keys", seg(&tenant)))
                .await?;
            print(&list, out, KEY_COLUMNS)
        }
        KeyCommand::Rotate {
            tenant,
            name,
            overlap_hours,
        } => {
            let body = match overlap_hours {
                Some(h) => json!({ "overlap_hours": h.to_string() }),
                None => json!({}),
            };
            let made = api
                .write(
                    Method::POST,
                    &format!(
                        "/api/v1/tenants/{}/api-keys/{}/rotation",
                        seg(&tenant),
                        seg(&name)
                    ),
                    &body,
                    None,
                )
                .await?;
            eprintln!("Shown once: store the key now. Tenantry keeps only its SHA-256.");
            print(
                &made,
                out,
                &[
                    ("NAME", "/name"),
                    ("KEY", "/key"),
                    ("PREVIOUS UNTIL", "/previous_until"),
                ],
            )
        }
    }
}
