//! The metrics endpoint, on its own address.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

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

/// How long the figures read from the database serve scrapes: a scrape
/// storm costs at most two queries per this.
const FRESH_FOR: Duration = Duration::from_secs(5);

#[derive(Clone)]
struct Sources {
    store: Store,
    index: std::sync::Arc<ClusterIndex>,
    /// When the database was last read; held while reading, so scrapes
    /// that arrive together wait for one read instead of each making one.
    read_at: Arc<tokio::sync::Mutex<Option<Instant>>>,
    /// How many times it was read (for the tests).
    reads: Arc<AtomicU64>,
}

impl Sources {
    fn new(store: Store, index: Arc<ClusterIndex>) -> Sources {
        Sources {
            store,
            index,
            read_at: Arc::default(),
            reads: Arc::default(),
        }
    }
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
        .with_state(Sources::new(store, index));
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::error!(error = %e, "the metrics endpoint stopped");
        }
    });
    tracing::info!("metrics on http://{local}/metrics");
    Ok(local)
}

async fn scrape(State(s): State<Sources>) -> impl IntoResponse {
    refresh(&s).await;
    metrics()
        .watches_stale
        .set(i64::try_from(s.index.stale_watches()).unwrap_or(i64::MAX));
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        metrics().encode(),
    )
}

/// Reads what lives in the database, unless it was read in the last
/// [`FRESH_FOR`]; a failed read leaves the last figures (and says so in the
/// log) rather than failing the scrape.
async fn refresh(s: &Sources) {
    let mut read_at = s.read_at.lock().await;
    if read_at.is_some_and(|at| at.elapsed() < FRESH_FOR) {
        return;
    }
    *read_at = Some(Instant::now());
    s.reads.fetch_add(1, Ordering::Relaxed);
    let m = metrics();
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_scrape_storm_reads_the_database_once() {
        let dir = tempfile::tempdir().expect("tempdir");
        let url = format!("sqlite://{}/m.db", dir.path().display());
        let store = Store::connect(&url).await.expect("store");
        let s = Sources::new(store, Arc::new(ClusterIndex::default()));
        let storm: Vec<_> = (0..50)
            .map(|_| {
                let s = s.clone();
                tokio::spawn(async move { scrape(State(s)).await.into_response().status() })
            })
            .collect();
        for t in storm {
            assert_eq!(t.await.expect("scrape"), 200);
        }
        assert_eq!(s.reads.load(Ordering::Relaxed), 1);
    }
}
