//! The metrics endpoint, on its own address.

use std::net::SocketAddr;

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;

use app::dto::Severity;

use super::{metrics, SeverityLabels};
use crate::error::{Result, ServerError};
use crate::monitoring::ClusterIndex;
use crate::store::Store;

#[derive(Clone)]
struct Sources {
    store: Store,
    index: std::sync::Arc<ClusterIndex>,
}

/// Serves `GET /metrics` on `addr` until the process ends.
pub async fn serve_metrics(
    addr: SocketAddr,
    store: Store,
    index: std::sync::Arc<ClusterIndex>,
) -> Result<SocketAddr> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| ServerError::Config(format!("cannot listen for metrics on {addr}: {e}")))?;
    let local = listener.local_addr()?;
    let app = Router::new()
        .route("/metrics", get(scrape))
        .with_state(Sources { store, index });
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::error!(error = %e, "the metrics endpoint stopped");
        }
    });
    tracing::info!("metrics on http://{local}/metrics");
    Ok(local)
}

async fn scrape(State(s): State<Sources>) -> impl IntoResponse {
    let m = metrics();
    // What lives in the database, read now; a failed read leaves the last
    // figures (and says so in the log) rather than failing the scrape.
    match s.store.queue_depth().await {
        Ok((queued, oldest_ms)) => {
            m.runs_queued.set(queued);
            m.oldest_queued_seconds.set(oldest_ms / 1000);
        }
        Err(e) => tracing::warn!(error = %e, "metrics: cannot read the run queue"),
    }
    match s.store.firing_by_severity().await {
        Ok(counts) => {
            for severity in [Severity::Info, Severity::Warning, Severity::Critical] {
                let n = counts
                    .iter()
                    .find(|(s, _)| *s == severity)
                    .map_or(0, |(_, n)| *n);
                m.alerts_firing
                    .get_or_create(&SeverityLabels {
                        severity: severity.as_str().into(),
                    })
                    .set(n);
            }
        }
        Err(e) => tracing::warn!(error = %e, "metrics: cannot read the alerts"),
    }
    m.watches_stale
        .set(i64::try_from(s.index.stale_watches()).unwrap_or(i64::MAX));
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        m.encode(),
    )
}
