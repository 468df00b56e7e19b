//! The Kubernetes side: one client, discovery of what the cluster serves,
//! server-side apply under one field manager, Secrets generated once,
//! waits driven by watches, namespace teardown that names what blocks, and
//! the ownership guard that keeps all of it to what Tenantry made.

pub mod access;
mod apply;
mod discovery;
pub mod ownership;
pub mod prune;
mod secrets;
mod teardown;
mod wait;

use std::path::Path;

use kube::config::{KubeConfigOptions, Kubeconfig};

use crate::error::{Result, ServerError};
use crate::manifests::Capabilities;

pub use apply::{apply_all, apply_manifest, delete_manifest, dry_run_manifest, get_live};
pub use discovery::discover;
pub use secrets::{
    apply_api_key_hashes, apply_store_secret, ensure_tenant_secrets, generate_secret,
    generated_secrets, read_tenant_secrets, rotate_secret,
};
pub use teardown::{delete_namespace, force_delete_namespace, TeardownBlocked, TenantNamespace};
pub use wait::{pod_problems, wait_ready};

/// The one field manager of every server-side apply Tenantry makes.
pub const FIELD_MANAGER: &str = "tenantry";

/// A connected cluster and what it serves.
#[derive(Clone)]
pub struct Cluster {
    pub client: kube::Client,
    /// The same credentials without the client's retries of 429, 503 and
    /// 504 (up to 15, with a backoff growing to minutes): for asking a
    /// tenant's endpoints through the service proxy, whose 503 is an
    /// answer to report, not an API server to wait for.
    pub probe: kube::Client,
    pub caps: Capabilities,
    /// Who the console is and the role it binds in each tenant namespace
    /// (the chart's least privilege); `None` when its credentials need no
    /// binding (an admin's kubeconfig).
    pub access: Option<access::TenantAccess>,
}

impl Cluster {
    /// Connects with a kubeconfig file, or the usual inference (in-cluster
    /// service account, `$KUBECONFIG`, `~/.kube/config`) when none is given.
    pub async fn connect(kubeconfig: Option<&Path>) -> Result<Cluster> {
        let config = match kubeconfig {
            Some(path) => {
                let kc = Kubeconfig::read_from(path).map_err(|e| {
                    ServerError::Config(format!("kubeconfig {}: {e}", path.display()))
                })?;
                kube::Config::from_custom_kubeconfig(kc, &KubeConfigOptions::default())
                    .await
                    .map_err(|e| {
                        ServerError::Config(format!("kubeconfig {}: {e}", path.display()))
                    })?
            }
            None => kube::Config::infer()
                .await
                .map_err(|e| ServerError::Config(format!("no cluster configuration: {e}")))?,
        };
        let mut once = config.clone();
        once.default_retry = false;
        let probe = kube::Client::try_from(once).map_err(ServerError::from)?;
        let client = kube::Client::try_from(config).map_err(ServerError::from)?;
        let caps = discover(&client).await?;
        Ok(Cluster {
            client,
            probe,
            caps,
            access: None,
        })
    }
}
