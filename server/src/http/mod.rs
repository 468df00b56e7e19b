//! The HTTP surface: state, router and listener. Pages and server functions
//! come from Leptos; health probes and the layers are ours.

mod arguments;
pub mod guards;
pub mod state;
pub mod welcome;

pub use arguments::repeated_key;
pub use guards::{HeaderPolicy, BODY_LIMIT, LOGIN_BODY_LIMIT};
pub use state::AppState;

use std::net::SocketAddr;
use std::sync::Arc;

use app::api::{Console, ConsoleHandle};
use app::{shell, App};
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{middleware, Router};
use leptos::prelude::provide_context;
use leptos_axum::{generate_route_list, LeptosRoutes};
use tower_http::trace::TraceLayer;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};

use crate::auth::{
    client_address, reject_cross_origin, require_api_session, require_page_session,
    require_password_change, resolve_principal, PublicOrigin, TrustedProxies,
};
use crate::store::SessionStore;

#[derive(Clone, Debug, Default)]
pub struct HttpOptions {
    /// The URL staff reach the console at: its origin is the only one
    /// allowed to send writes, and an https URL marks the session cookie
    /// `Secure` and turns on HSTS.
    pub public_url: Option<url::Url>,
    /// Proxies whose `X-Forwarded-For` names the client.
    pub trusted_proxies: Vec<ipnet::IpNet>,
}

impl HttpOptions {
    pub fn https(&self) -> bool {
        self.public_url
            .as_ref()
            .is_some_and(|u| u.scheme() == "https")
    }
}

/// How long an idle session stays signed in.
pub const SESSION_IDLE_HOURS: i64 = 8;

pub fn router(state: AppState, opts: HttpOptions) -> Router {
    let routes = generate_route_list(App);
    let console: Arc<dyn Console> = state.console.clone();
    let leptos_options = state.leptos_options.clone();
    let sessions = SessionManagerLayer::new(SessionStore::new(state.store.clone()))
        .with_name("tenantry_session")
        .with_http_only(true)
        .with_same_site(SameSite::Strict)
        .with_secure(opts.https())
        .with_expiry(Expiry::OnInactivity(time::Duration::hours(
            SESSION_IDLE_HOURS,
        )));

    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/welcome/{token}", get(welcome::open).post(welcome::reveal))
        .route(crate::auth::LIVE_STREAM, get(crate::rest::live_stream))
        .merge(crate::rest::router(&state))
        .leptos_routes_with_context(
            &state,
            routes,
            move || provide_context(ConsoleHandle(console.clone())),
            move || shell(leptos_options.clone()),
        )
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        // Requests pass these from the last to the first.
        .layer(middleware::from_fn(arguments::check_arguments))
        .layer(middleware::from_fn(require_page_session))
        .layer(middleware::from_fn(require_password_change))
        .layer(middleware::from_fn(require_api_session))
        .layer(middleware::from_fn_with_state(
            state.store.clone(),
            resolve_principal,
        ))
        .layer(sessions)
        .layer(middleware::from_fn(guards::server_fn_status))
        .layer(middleware::from_fn(guards::bounded_bodies))
        .layer(middleware::from_fn_with_state(
            Arc::new(PublicOrigin::of(opts.public_url.as_ref())),
            reject_cross_origin,
        ))
        .layer(middleware::from_fn_with_state(
            Arc::new(TrustedProxies(opts.trusted_proxies.clone())),
            client_address,
        ))
        .layer(middleware::from_fn_with_state(
            Arc::new(HeaderPolicy { hsts: opts.https() }),
            guards::security_headers,
        ))
        .layer(middleware::from_fn(crate::metrics::track_http))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// Liveness: the process answers.
async fn healthz() -> &'static str {
    "ok"
}

/// Readiness: the database answers too.
async fn readyz(State(state): State<AppState>) -> (StatusCode, String) {
    match state.store.ping().await {
        Ok(()) => (StatusCode::OK, "ready".into()),
        Err(e) => (StatusCode::SERVICE_UNAVAILABLE, format!("not ready: {e}")),
    }
}

/// Serves until `shutdown` resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    opts: HttpOptions,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    // Open live streams never end on their own: close them when shutdown
    // begins, or the graceful shutdown would wait for them forever.
    let hub = state.console.live().hub().clone();
    let (begun_tx, mut begun) = tokio::sync::watch::channel(false);
    let shutdown = async move {
        shutdown.await;
        hub.close();
        begun_tx.send_replace(true);
    };
    // Answers go out as they are written: without TCP_NODELAY a response
    // written in pieces (headers, then the streamed page) waits for the
    // client's delayed ACK, about 40 ms per request.
    let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!(error = %e, "could not set TCP_NODELAY");
        }
    });
    let server = axum::serve(
        listener,
        router(state, opts).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown);
    // A connection that never finishes (a stalled client) must not hold the
    // process: after the drain time it stops anyway, so the runs it holds
    // are handed over before the pod's grace period ends.
    let drained = async move {
        let _ = begun.wait_for(|b| *b).await;
        tokio::time::sleep(SHUTDOWN_DRAIN).await;
    };
    tokio::select! {
        r = std::future::IntoFuture::into_future(server) => r,
        () = drained => {
            tracing::warn!(
                "connections still open {}s after shutdown began; stopping anyway",
                SHUTDOWN_DRAIN.as_secs()
            );
            Ok(())
        }
    }
}

/// How long open connections may take to finish once shutdown begins.
pub const SHUTDOWN_DRAIN: std::time::Duration = std::time::Duration::from_secs(5);
