//! The command-line tree: every command and its settings, from flags and
//! environment, validated at start. The value types it carries (secrets,
//! credentials, the log format) are `values`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use crate::manifests::RenderSettings;
use crate::provisioning::RunnerOptions;

use clap::{Args, Parser, Subcommand};

pub use crate::values::{LogFormat, Secret, StoreCredentials};

#[derive(Debug, Parser)]
#[command(
    name = "tenantry",
    version,
    about = "Provision, watch, repair and remove the tenants of a multi-tenant SaaS on Kubernetes."
)]
pub struct Cli {
    /// Where Tenantry keeps its state: sqlite://PATH (embedded, default) or postgres://…
    /// (The value is never printed: it may hold a password.)
    #[arg(
        long,
        env = "TENANTRY_DATABASE_URL",
        default_value = "sqlite://data/tenantry.db",
        hide_env_values = true,
        hide_default_value = true,
        global = true
    )]
    pub database_url: Secret,

    /// Log format on standard error.
    #[arg(long, env = "TENANTRY_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text, global = true)]
    pub log_format: LogFormat,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Start the web console (the default).
    Serve(Box<ServeArgs>),
    /// Break-glass administration on the console's host, straight against
    /// its database (no console needed).
    #[command(subcommand)]
    Admin(AdminCommand),
    #[command(flatten)]
    Client(crate::client::ClientCommand),
    /// Print a shell completion script (bash, zsh, fish, …).
    Completion { shell: clap_complete::Shell },
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Manage staff accounts in the database.
    #[command(subcommand)]
    Staff(crate::host::StaffCommand),
}

#[derive(Debug, Clone, Args, Default)]
pub struct ServeArgs {
    /// Address to listen on; defaults to the Leptos site address (127.0.0.1:3000).
    #[arg(long, env = "TENANTRY_LISTEN")]
    pub listen: Option<SocketAddr>,

    /// The URL staff reach the console at. Only its origin may send writes;
    /// an https:// URL marks the session cookie Secure and turns on HSTS
    /// (the console sits behind a TLS-terminating proxy).
    #[arg(long, env = "TENANTRY_PUBLIC_URL")]
    pub public_url: Option<url::Url>,

    /// Proxies (CIDRs, comma-separated) whose X-Forwarded-For names the
    /// client; without them the peer's address is the client's.
    #[arg(long, env = "TENANTRY_TRUSTED_PROXIES", value_delimiter = ',')]
    pub trusted_proxies: Vec<ipnet::IpNet>,

    /// Seals notification channels' secrets at rest: a random key in base64
    /// (32 bytes or more; `openssl rand -base64 32`) or a passphrase of at
    /// least 16 characters. Without it, channels that need a secret cannot be saved.
    #[arg(long, env = "TENANTRY_SECRET_KEY", hide_env_values = true)]
    pub secret_key: Option<Secret>,

    /// The key used before TENANTRY_SECRET_KEY, while rotating: it only
    /// opens; the leader seals every secret again with the new key.
    #[arg(long, env = "TENANTRY_SECRET_KEY_PREVIOUS", hide_env_values = true)]
    pub secret_key_previous: Option<Secret>,

    /// Ranges notification channels may reach although they are internal
    /// (CIDRs, comma-separated; loopback, private, link-local and the
    /// like are refused otherwise) [none].
    #[arg(long, env = "TENANTRY_OUTBOUND_ALLOW", value_delimiter = ',')]
    pub outbound_allow: Vec<ipnet::IpNet>,

    /// Ranges channels may never reach besides those: the cluster's pod and
    /// service ranges (CIDRs, comma-separated) [none].
    #[arg(long, env = "TENANTRY_OUTBOUND_DENY", value_delimiter = ',')]
    pub outbound_deny: Vec<ipnet::IpNet>,

    /// Prometheus to read the tenants' own metrics from (error rate,
    /// response time, users); without it those alert rules are unavailable.
    #[arg(long, env = "TENANTRY_PROMETHEUS_URL", hide_env_values = true)]
    pub prometheus_url: Option<url::Url>,

    /// What tenants' custom domains must point at in DNS before they are
    /// served: the ingress's address, or a host name to CNAME to (checked
    /// when a domain is set, and again every minute while held; admins may
    /// let one through). Without it custom domains are served unchecked.
    #[arg(long, env = "TENANTRY_DOMAIN_TARGET")]
    pub domain_target: Option<String>,

    /// The DNS server (`host:port`) the domain check asks [the system's,
    /// from /etc/resolv.conf].
    #[arg(long, env = "TENANTRY_DNS_RESOLVER")]
    pub dns_resolver: Option<std::net::SocketAddr>,

    /// Live streams one signed-in session may hold open; one more replaces
    /// the oldest [6].
    #[arg(long, env = "TENANTRY_STREAMS_PER_SESSION")]
    pub streams_per_session: Option<usize>,

    /// Password of the first `admin` account, used only when no staff exists.
    /// When absent, a random one is printed once to the terminal.
    #[arg(long, env = "TENANTRY_ADMIN_PASSWORD", hide_env_values = true)]
    pub admin_password: Option<Secret>,

    /// In a cluster: the Secret (in the console's namespace) that receives
    /// the first admin's generated password instead of the terminal.
    #[arg(long, env = "TENANTRY_INITIAL_ADMIN_SECRET")]
    pub initial_admin_secret: Option<String>,

    /// Where Prometheus metrics are served (`/metrics`), apart from the
    /// console's own address; off when absent.
    #[arg(long, env = "TENANTRY_METRICS_LISTEN")]
    pub metrics_listen: Option<SocketAddr>,

    /// Days finished runs are kept (each tenant's latest run always is)
    /// [all kept].
    #[arg(long, env = "TENANTRY_KEEP_RUNS_DAYS", value_parser = clap::value_parser!(u32).range(1..))]
    pub keep_runs_days: Option<u32>,

    /// Days audit events are kept; security events are kept for good
    /// [all kept].
    #[arg(long, env = "TENANTRY_KEEP_AUDIT_DAYS", value_parser = clap::value_parser!(u32).range(1..))]
    pub keep_audit_days: Option<u32>,

    #[command(flatten)]
    pub engine: EngineArgs,
}

/// The cluster, what tenants are made of, and how the runner works. Without
/// `--kubeconfig` or `--in-cluster` the console runs without a cluster:
/// records, templates and dry-runs work; operations say no cluster is
/// connected.
#[derive(Debug, Clone, Args, Default)]
pub struct EngineArgs {
    /// Kubeconfig of the cluster tenants live in.
    #[arg(long, env = "TENANTRY_KUBECONFIG")]
    pub kubeconfig: Option<PathBuf>,
    /// Use the pod's service account (when Tenantry runs in the cluster).
    #[arg(long, env = "TENANTRY_IN_CLUSTER")]
    pub in_cluster: bool,
    /// The console's own ServiceAccount, <namespace>/<name>: it binds
    /// --tenant-role to it in each tenant namespace it makes, and acts there
    /// through that binding only (the chart sets it) [none: the credentials
    /// are used as they are].
    #[arg(long, env = "TENANTRY_SERVICE_ACCOUNT")]
    pub service_account: Option<String>,
    /// The ClusterRole bound in each tenant namespace [tenantry-tenant].
    #[arg(long, env = "TENANTRY_TENANT_ROLE")]
    pub tenant_role: Option<String>,
    /// Tenants are reached at <id>.<base domain> [tenants.example.com].
    #[arg(long, env = "TENANTRY_BASE_DOMAIN")]
    pub base_domain: Option<String>,
    /// Namespace prefix, at most 7 characters [tenant-].
    #[arg(long, env = "TENANTRY_NAMESPACE_PREFIX")]
    pub namespace_prefix: Option<String>,
    /// Registry the tenant images come from [registry.example.com/tenantry].
    #[arg(long, env = "TENANTRY_IMAGE_REGISTRY")]
    pub image_registry: Option<String>,
    /// Storage class of database volumes [the cluster's default].
    #[arg(long, env = "TENANTRY_STORAGE_CLASS")]
    pub storage_class: Option<String>,
    /// Ingress class [nginx].
    #[arg(long, env = "TENANTRY_INGRESS_CLASS")]
    pub ingress_class: Option<String>,
    /// cert-manager ClusterIssuer for tenant TLS [letsencrypt-prod].
    #[arg(long, env = "TENANTRY_CLUSTER_ISSUER")]
    pub cluster_issuer: Option<String>,
    /// The namespace the console runs in, which no tenant may take [read from
    /// the service account with --in-cluster].
    #[arg(long, env = "TENANTRY_CONSOLE_NAMESPACE")]
    pub console_namespace: Option<String>,
    /// Namespace of the ingress controller, let through NetworkPolicies [ingress-nginx].
    #[arg(long, env = "TENANTRY_INGRESS_NAMESPACE")]
    pub ingress_namespace: Option<String>,
    /// How tenants are routed: `ingress`, or `gateway` (an HTTPRoute on
    /// --gateway where the cluster serves Gateway API, else an Ingress)
    /// [ingress].
    #[arg(long, env = "TENANTRY_ROUTE_API", value_enum)]
    pub route_api: Option<crate::manifests::RouteApi>,
    /// The Gateway tenants' HTTPRoutes attach to, <namespace>/<name>; its
    /// namespace is let through NetworkPolicies.
    #[arg(long, env = "TENANTRY_GATEWAY", value_parser = gateway_ref)]
    pub gateway: Option<(String, String)>,
    /// What enforces the plans' edge limits (`requests-per-minute`,
    /// `request-body-mb`): `ingress-nginx` (annotations on the tenant's
    /// Ingress), `envoy-gateway` (a BackendTrafficPolicy on its HTTPRoute)
    /// or `none` [ingress-nginx].
    #[arg(long, env = "TENANTRY_EDGE_LIMITS", value_enum)]
    pub edge_limits: Option<crate::manifests::EdgeLimits>,
    /// Where backups go: s3://bucket[/prefix], each tenant's under
    /// <prefix>/<tenant>/ [s3://tenantry-backups].
    #[arg(long, env = "TENANTRY_BACKUP_DESTINATION")]
    pub backup_destination: Option<String>,
    /// The S3 API's URL, for stores other than AWS (MinIO, Ceph, …) [AWS].
    #[arg(long, env = "TENANTRY_BACKUP_ENDPOINT")]
    pub backup_endpoint: Option<String>,
    /// The store's region [us-east-1].
    #[arg(long, env = "TENANTRY_BACKUP_REGION")]
    pub backup_region: Option<String>,
    /// Server-side encryption asked of the store, e.g. AES256 [none].
    #[arg(long, env = "TENANTRY_BACKUP_SSE")]
    pub backup_sse: Option<String>,
    /// Image of backup and restore Jobs: needs pg_dump, pg_restore, curl
    /// 7.75 or later and sha256sum [backup:1.0.0].
    #[arg(long, env = "TENANTRY_BACKUP_IMAGE")]
    pub backup_image: Option<String>,
    /// The store's access key ID (copied into each tenant's backup-store
    /// Secret); set it from a Secret, never on a command line.
    #[arg(long, env = "TENANTRY_BACKUP_ACCESS_KEY_ID", hide_env_values = true)]
    pub backup_access_key_id: Option<Secret>,
    /// The store's secret access key (see the access key ID).
    #[arg(
        long,
        env = "TENANTRY_BACKUP_SECRET_ACCESS_KEY",
        hide_env_values = true
    )]
    pub backup_secret_access_key: Option<Secret>,
    /// Days a deprovisioned tenant's backups stay in the catalogue [30].
    #[arg(long, env = "TENANTRY_BACKUP_KEEP_DAYS")]
    pub backup_keep_days: Option<u32>,
    /// The e-mail channel (by name) that writes to tenants' owners: the
    /// welcome mail when a tenant is first provisioned, with its one-time
    /// link; none unless set.
    #[arg(long, env = "TENANTRY_OWNER_CHANNEL")]
    pub owner_channel: Option<String>,
    /// Runs executed at once [8].
    #[arg(long, env = "TENANTRY_CONCURRENCY")]
    pub concurrency: Option<usize>,
    /// Attempts per step for transient failures [10].
    #[arg(long, env = "TENANTRY_STEP_ATTEMPTS")]
    pub step_attempts: Option<i64>,
    /// Seconds to wait for the database (and migrations) [600].
    #[arg(long, env = "TENANTRY_WAIT_DATABASE_SECS")]
    pub wait_database_secs: Option<u64>,
    /// Seconds to wait for API and web before warning [300].
    #[arg(long, env = "TENANTRY_WAIT_APPLICATION_SECS")]
    pub wait_application_secs: Option<u64>,
    /// Seconds a replica's claim on a run lasts unless renewed; another
    /// replica resumes the run once it has expired [30].
    #[arg(long, env = "TENANTRY_LEASE_SECS")]
    pub lease_secs: Option<u64>,
    /// Seconds to wait for a namespace to go [300].
    #[arg(long, env = "TENANTRY_WAIT_TEARDOWN_SECS")]
    pub wait_teardown_secs: Option<u64>,
}

/// Where a pod finds the namespace it runs in.
const SERVICE_ACCOUNT_NAMESPACE: &str = "/var/run/secrets/kubernetes.io/serviceaccount/namespace";

impl EngineArgs {
    pub fn wants_cluster(&self) -> bool {
        self.kubeconfig.is_some() || self.in_cluster
    }

    /// Who the console binds in tenant namespaces, if it is told.
    pub fn tenant_access(
        &self,
    ) -> std::result::Result<Option<crate::cluster::access::TenantAccess>, String> {
        let Some(sa) = self.service_account.as_deref().filter(|s| !s.is_empty()) else {
            return Ok(None);
        };
        let role = self.tenant_role.as_deref().unwrap_or("tenantry-tenant");
        crate::cluster::access::TenantAccess::parse(sa, role).map(Some)
    }

    /// Both halves of the store's key pair, or none.
    pub fn backup_credentials(&self) -> Option<StoreCredentials> {
        Some(StoreCredentials {
            access_key_id: self.backup_access_key_id.clone()?,
            secret_access_key: self.backup_secret_access_key.clone()?,
        })
    }

    pub fn render_settings(&self) -> RenderSettings {
        let d = RenderSettings::default();
        let or = |v: &Option<String>, default: String| v.clone().unwrap_or(default);
        RenderSettings {
            base_domain: or(&self.base_domain, d.base_domain),
            namespace_prefix: or(&self.namespace_prefix, d.namespace_prefix),
            image_registry: or(&self.image_registry, d.image_registry),
            storage_class: self.storage_class.clone().or(d.storage_class),
            ingress_class: self.ingress_class.clone().or(d.ingress_class),
            cluster_issuer: or(&self.cluster_issuer, d.cluster_issuer),
            ingress_namespace: or(&self.ingress_namespace, d.ingress_namespace),
            route_api: self.route_api.unwrap_or(d.route_api),
            gateway: self.gateway.clone().or(d.gateway),
            edge_limits: self.edge_limits.unwrap_or(d.edge_limits),
            backup_destination: or(&self.backup_destination, d.backup_destination),
            backup_endpoint: or(&self.backup_endpoint, d.backup_endpoint),
            backup_region: or(&self.backup_region, d.backup_region),
            backup_sse: self.backup_sse.clone().or(d.backup_sse),
            backup_image: or(&self.backup_image, d.backup_image),
            console_namespace: self.console_namespace.clone().or_else(|| {
                self.in_cluster
                    .then(|| std::fs::read_to_string(SERVICE_ACCOUNT_NAMESPACE).ok())
                    .flatten()
                    .map(|s| s.trim().to_string())
            }),
        }
    }

    pub fn runner_options(&self) -> RunnerOptions {
        let d = RunnerOptions::default();
        let secs =
            |v: Option<u64>, default: Duration| v.map(Duration::from_secs).unwrap_or(default);
        RunnerOptions {
            concurrency: self.concurrency.unwrap_or(d.concurrency).max(1),
            max_attempts: self.step_attempts.unwrap_or(d.max_attempts).max(1),
            wait_database: secs(self.wait_database_secs, d.wait_database),
            wait_application: secs(self.wait_application_secs, d.wait_application),
            wait_teardown: secs(self.wait_teardown_secs, d.wait_teardown),
            lease: secs(self.lease_secs, d.lease).max(Duration::from_secs(3)),
            backup_credentials: self.backup_credentials(),
            backup_keep_days: self.backup_keep_days.unwrap_or(d.backup_keep_days),
            owner_channel: self.owner_channel.clone().filter(|c| !c.trim().is_empty()),
            ..d
        }
    }
}

impl ServeArgs {
    pub fn http_options(&self) -> crate::http::HttpOptions {
        crate::http::HttpOptions {
            public_url: self.public_url.clone(),
            trusted_proxies: self.trusted_proxies.clone(),
        }
    }
}

#[derive(Parser)]
struct ServeOnly {
    #[command(flatten)]
    args: ServeArgs,
}

/// Serve settings from the environment alone, for a bare `tenantry` start.
pub fn serve_args_from_env() -> ServeArgs {
    ServeOnly::parse_from(["tenantry"]).args
}

/// `<namespace>/<name>` of `--gateway`, each a DNS label.
fn gateway_ref(v: &str) -> std::result::Result<(String, String), String> {
    let rule = || format!("\"{v}\" must be <namespace>/<name>, each a DNS label");
    let (ns, name) = v.split_once('/').ok_or_else(rule)?;
    for part in [ns, name] {
        app::domain::release::names::dns_label(part, 63).map_err(|_| rule())?;
    }
    Ok((ns.to_string(), name.to_string()))
}
