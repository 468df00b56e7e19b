//! The console service: every operation staff can perform, with the role
//! check on the server for each. Each file implements one capability trait
//! of `app::api` (`tenants.rs` implements `Tenants`, and so on) under the
//! trait's own method names; server functions and `/api/v1` reach them
//! through [`app::api::Console`], so the role is checked here whatever the
//! page showed.

mod alerts;
mod applications;
mod audit;
mod bulk;
mod change;
mod channels;
mod credentials;
mod custom_tenant;
mod new_tenant;
mod operations;
mod records;
mod rollout_plan;
mod rollouts;
mod rotation;
mod runs;
mod session;
mod staff;
mod templates;
mod tenants;
mod tokens;

use std::sync::Arc;

use app::dto::{CurrentStaff, Role};
use app::error::AppError;

use crate::auth::{Throttle, ThrottlePolicy};
use crate::live::Live;
use crate::manifests::RenderSettings;
use crate::provisioning::EngineSlot;
use crate::store::Store;

type R<T> = Result<T, AppError>;

pub use audit::ExportFormat;

pub struct ConsoleService {
    store: Store,
    throttle: Throttle,
    /// The engine, once a cluster is connected.
    engine: EngineSlot,
    /// Where tenants go (namespace prefix, base domain); also for dry-runs
    /// while no cluster is connected.
    render_settings: RenderSettings,
    /// The console's own host, which no tenant may take as its domain.
    public_host: Option<String>,
    /// Where links in notifications point.
    public_url: Option<url::Url>,
    /// Seals channel secrets at rest.
    sealer: crate::alerts::Sealer,
    /// What notification channels may reach.
    outbound: crate::alerts::Outbound,
    /// Where the tenants' own metrics come from, if configured.
    prometheus: Option<crate::alerts::Prometheus>,
    /// Checks custom domains in DNS before they are served, if configured.
    dns: Option<Arc<crate::domains::DnsCheck>>,
    /// Whether a cluster is configured (the alert rules about it apply).
    cluster_configured: bool,
    /// Health, pods and the live stream's hub.
    live: Live,
    /// Who is exporting the audit trail now (one export per person).
    exports: audit::Exports,
}

/// How a console is set up, beyond its store and engine.
#[derive(Clone, Debug)]
pub struct ConsoleOptions {
    pub settings: RenderSettings,
    pub throttle: ThrottlePolicy,
    /// `--public-url`, if one is set.
    pub public_url: Option<url::Url>,
    /// Seals channel secrets (from `TENANTRY_SECRET_KEY`).
    pub sealer: crate::alerts::Sealer,
    /// What notification channels may reach (`--outbound-allow`, `--outbound-deny`).
    pub outbound: crate::alerts::Outbound,
    /// The Prometheus the rules read from (`--prometheus-url`).
    pub prometheus: Option<crate::alerts::Prometheus>,
    /// The DNS check of custom domains (`--domain-target`,
    /// `--dns-resolver`); without it a custom domain is served unchecked.
    pub dns: Option<Arc<crate::domains::DnsCheck>>,
    /// A cluster is configured (`--kubeconfig` / `--in-cluster`).
    pub cluster_configured: bool,
    /// Live streams one session may hold open; one more replaces the oldest.
    pub streams_per_session: usize,
}

impl Default for ConsoleOptions {
    fn default() -> Self {
        Self {
            settings: RenderSettings::default(),
            throttle: ThrottlePolicy::default(),
            public_url: None,
            sealer: crate::alerts::Sealer::default(),
            outbound: crate::alerts::Outbound::default(),
            prometheus: None,
            dns: None,
            cluster_configured: false,
            streams_per_session: crate::live::STREAMS_PER_SESSION,
        }
    }
}

impl ConsoleService {
    /// A console whose operations use the engine in `engine` once it is
    /// set; `monitor` (started on the same slot) is its picture of the
    /// cluster, which the engine's runner reads too.
    pub fn with_engine(
        store: Store,
        engine: EngineSlot,
        monitor: crate::monitoring::Monitor,
        opts: ConsoleOptions,
    ) -> Arc<Self> {
        let live = Live::new(monitor, opts.streams_per_session);
        Arc::new(Self {
            throttle: Throttle::new(store.clone(), opts.throttle),
            store,
            engine,
            render_settings: opts.settings,
            public_host: opts
                .public_url
                .as_ref()
                .and_then(|u| u.host_str())
                .map(String::from),
            public_url: opts.public_url,
            sealer: opts.sealer,
            outbound: opts.outbound,
            prometheus: opts.prometheus,
            dns: opts.dns,
            cluster_configured: opts.cluster_configured,
            live,
            exports: Default::default(),
        })
    }

    pub fn live(&self) -> &Live {
        &self.live
    }

    pub(crate) fn store(&self) -> &Store {
        &self.store
    }

    /// The cluster connection, once there is one (the background loops and
    /// tests that drive one of them with a later clock).
    pub fn engine_slot(&self) -> &EngineSlot {
        &self.engine
    }

    /// The alert evaluator over this console's picture of the cluster.
    pub(crate) fn evaluator(&self) -> crate::alerts::Evaluator {
        crate::alerts::Evaluator::new(
            self.store.clone(),
            Arc::clone(self.live.monitor().index()),
            self.engine.clone(),
            self.cluster_configured,
        )
        .with_prometheus(self.prometheus.clone())
    }

    /// The DNS check of custom domains, if configured.
    pub fn dns(&self) -> Option<Arc<crate::domains::DnsCheck>> {
        self.dns.clone()
    }

    /// The notification deliverer with this console's channels' keys.
    pub(crate) fn deliverer(&self) -> crate::alerts::Deliverer {
        crate::alerts::Deliverer {
            store: self.store.clone(),
            sealer: self.sealer.clone(),
            outbound: self.outbound.clone(),
            console: self.public_url.clone(),
        }
    }
}

/// Refuses `who` unless their role includes `need`.
pub fn require(who: &CurrentStaff, need: Role, action: &str) -> R<()> {
    if who.role.allows(need) {
        Ok(())
    } else {
        Err(AppError::Forbidden {
            have: who.role.to_string(),
            need: need.to_string(),
            action: action.into(),
        })
    }
}
