//! `tenantry tenant secrets rotate …`: makes a tenant's generated Secrets
//! anew (a run: the pods roll onto them, the jobs that read them run
//! again). The new values are shown once on the tenant page.

use clap::Subcommand;
use reqwest::Method;
use serde_json::json;

use super::{seg, started};
use crate::client::api::{Api, CliResult};
use crate::client::output::Format;

#[derive(Debug, Subcommand)]
pub enum SecretCommand {
    /// Makes the generated Secrets NAME… anew (the release's own, or
    /// tenant-admin); the error of a refused name lists those that rotate.
    Rotate {
        tenant: String,
        #[arg(required = true)]
        names: Vec<String>,
        #[arg(short, long)]
        watch: bool,
    },
}

pub async fn secrets(api: &Api, out: Format, cmd: SecretCommand) -> CliResult<()> {
    match cmd {
        SecretCommand::Rotate {
            tenant,
            names,
            watch,
        } => {
            let run = api
                .write(
                    Method::POST,
                    &format!("/api/v1/tenants/{}/secret-rotation", seg(&tenant)),
                    &json!({ "secrets": names }),
                    None,
                )
                .await?;
            started(api, out, run, watch).await
        }
    }
}
