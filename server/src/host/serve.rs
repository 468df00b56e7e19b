//! `tenantry serve`: migrate, seed, make the first admin, listen.

use leptos::prelude::LeptosOptions;

use crate::auth::ThrottlePolicy;
use std::time::Duration;

use crate::config::ServeArgs;
use crate::console::{ConsoleOptions, ConsoleService};
use crate::error::{Result, ServerError};
use crate::http::{serve, AppState};
use crate::provisioning::EngineSlot;
use crate::replicas::{Leadership, ServeLock};
use crate::store::Store;

use super::first_admin::{ensure_first_admin, FirstPassword};

/// Leptos settings from cargo-leptos' environment, or the project defaults
/// when the binary runs on its own.
pub fn leptos_options() -> LeptosOptions {
    match leptos::prelude::get_configuration(None) {
        Ok(conf) if !conf.leptos_options.output_name.is_empty() => conf.leptos_options,
        Ok(_) => LeptosOptions::builder()
            .output_name("tenantry")
            .site_root("target/site")
            .site_pkg_dir("pkg")
            .build(),
        Err(e) => {
            tracing::warn!(error = %e, "no Leptos configuration in the environment; using defaults");
            LeptosOptions::builder()
                .output_name("tenantry")
                .site_root("target/site")
                .site_pkg_dir("pkg")
                .build()
        }
    }
}

pub async fn run_serve(store: Store, args: ServeArgs) -> Result<()> {
    // SQLite is for one console: refuse a second one on the same file.
    let _serve_lock = match store.sqlite_file() {
        Some(path) => Some(ServeLock::take(&path)?),
        None => None,
    };
    args.engine
        .tenant_access()
        .map_err(crate::error::ServerError::Config)?;
    // Replicas started together do this one at a time: the first seeds
    // and makes the admin, the others find them.
    crate::replicas::one_replica_at_a_time(&store, async {
        let configured = args.admin_password.as_ref().map(|s| s.0.as_str());
        let deliver = match (&args.initial_admin_secret, configured) {
            // In a cluster the generated password goes to a Secret, never to
            // the pod's log.
            (Some(name), None) if store.count_staff().await? == 0 => {
                let namespace =
                    args.engine
                        .render_settings()
                        .console_namespace
                        .ok_or_else(|| {
                            ServerError::Config(
                                "TENANTRY_INITIAL_ADMIN_SECRET needs the console's namespace \
                         (TENANTRY_CONSOLE_NAMESPACE or --in-cluster)"
                                    .into(),
                            )
                        })?;
                FirstPassword::Secret {
                    client: crate::background::connect(&args.engine).await.client,
                    namespace,
                    name: name.clone(),
                }
            }
            _ => FirstPassword::Terminal,
        };
        ensure_first_admin(&store, configured, deliver).await
    })
    .await?;

    let leptos_options = leptos_options();
    let addr = args.listen.unwrap_or(leptos_options.site_addr);
    let settings = args.engine.render_settings();
    settings.validate()?;
    let engine = EngineSlot::default();
    let monitor = crate::monitoring::Monitor::new();
    let index = std::sync::Arc::clone(monitor.index());
    let console = ConsoleService::with_engine(
        store.clone(),
        engine.clone(),
        monitor,
        ConsoleOptions {
            settings: settings.clone(),
            throttle: ThrottlePolicy::default(),
            public_url: args.public_url.clone(),
            sealer: crate::alerts::Sealer::rotating(
                args.secret_key.as_ref(),
                args.secret_key_previous.as_ref(),
            )?,
            outbound: crate::alerts::Outbound {
                allow: args.outbound_allow.clone(),
                deny: args.outbound_deny.clone(),
            },
            prometheus: args
                .prometheus_url
                .clone()
                .map(|u| crate::alerts::Prometheus::new(u, Default::default()))
                .transpose()
                .map_err(crate::error::ServerError::Config)?,
            dns: match &args.domain_target {
                Some(t) if !t.trim().is_empty() => Some(std::sync::Arc::new(
                    crate::domains::DomainTarget::parse(t)
                        .and_then(|target| crate::domains::DnsCheck::new(target, args.dns_resolver))
                        .map_err(crate::error::ServerError::Config)?,
                )),
                _ => None,
            },
            cluster_configured: args.engine.wants_cluster(),
            streams_per_session: args
                .streams_per_session
                .unwrap_or(crate::live::STREAMS_PER_SESSION),
        },
    );
    if let Some(addr) = args.metrics_listen {
        crate::metrics::serve_metrics(addr, store.clone(), std::sync::Arc::clone(&index)).await?;
    }
    let leadership = Leadership::start(&store);
    crate::background::start(
        &console,
        &leadership,
        crate::background::Retention {
            runs_days: args.keep_runs_days,
            audit_days: args.keep_audit_days,
        },
    );
    if args.engine.wants_cluster() {
        crate::background::start_runner(
            store.clone(),
            args.engine.clone(),
            settings,
            (engine.clone(), index),
        );
    } else {
        tracing::info!(
            "no cluster configured (--kubeconfig / --in-cluster): operations are unavailable"
        );
    }
    let state = AppState {
        leptos_options,
        store: store.clone(),
        console,
    };

    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| ServerError::Config(format!("cannot listen on {addr}: {e}")))?;
    let local = listener.local_addr()?;
    tracing::info!(backend = ?store.backend(), "Tenantry console listening on http://{local}");
    println!("Tenantry console: http://{local}");
    serve(listener, state, args.http_options(), shutdown_signal()).await?;
    // A rolling update hands work over at once: runs and the lead are let go
    // before the process ends, not when their leases expire.
    if let Some(e) = engine.get() {
        e.runner.shutdown(Duration::from_secs(10)).await;
    }
    leadership.release();
    store.close().await;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down");
}
