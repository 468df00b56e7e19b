//! Prometheus metrics: one registry for the process, filled where things
//! happen (runs and steps in the runner, watches in the monitor, streams in
//! the live hub, HTTP in a layer, notifications in the deliverer) and
//! served in the text format on its own address (`--metrics-listen`), never
//! on the console's. Figures that live in the database (the queue, firing
//! alerts) are read when scraped.

mod http;
mod serve;

use std::sync::LazyLock;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

pub use http::track_http;
pub use serve::serve_metrics;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OperationLabels {
    pub operation: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OutcomeLabels {
    pub operation: String,
    pub outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct StepLabels {
    pub step: String,
    pub outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RetryLabels {
    pub step: String,
    pub cause: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct KindLabels {
    pub kind: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct HttpLabels {
    pub method: String,
    /// The route template (`/tenants/{id}`), never the raw path.
    pub route: String,
    pub status: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct SeverityLabels {
    pub severity: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct DeliveryLabels {
    pub outcome: String,
}

type Histograms<L> = Family<L, Histogram, fn() -> Histogram>;

fn seconds_buckets() -> Histogram {
    // 5 ms … ~82 s.
    Histogram::new(exponential_buckets(0.005, 2.0, 15))
}

fn request_buckets() -> Histogram {
    // 1 ms … ~4 s.
    Histogram::new(exponential_buckets(0.001, 2.0, 13))
}

/// Every metric of the process.
pub struct Metrics {
    pub runs_started: Family<OperationLabels, Counter>,
    pub runs_finished: Family<OutcomeLabels, Counter>,
    pub step_duration: Histograms<StepLabels>,
    pub step_retries: Family<RetryLabels, Counter>,
    pub runs_queued: Gauge,
    pub oldest_queued_seconds: Gauge,
    pub watch_restarts: Family<KindLabels, Counter>,
    pub watches_stale: Gauge,
    pub live_streams: Gauge,
    pub live_dropped: Counter,
    pub http_duration: Histograms<HttpLabels>,
    pub alerts_firing: Family<SeverityLabels, Gauge>,
    pub notifications: Family<DeliveryLabels, Counter>,
    registry: Registry,
}

impl Metrics {
    fn new() -> Metrics {
        let mut m = Metrics {
            runs_started: Family::default(),
            runs_finished: Family::default(),
            step_duration: Family::new_with_constructor(seconds_buckets),
            step_retries: Family::default(),
            runs_queued: Gauge::default(),
            oldest_queued_seconds: Gauge::default(),
            watch_restarts: Family::default(),
            watches_stale: Gauge::default(),
            live_streams: Gauge::default(),
            live_dropped: Counter::default(),
            http_duration: Family::new_with_constructor(request_buckets),
            alerts_firing: Family::default(),
            notifications: Family::default(),
            registry: Registry::with_prefix("tenantry"),
        };
        let r = &mut m.registry;
        r.register(
            "runs_started",
            "Run executions started (a resumed run starts again), by operation",
            m.runs_started.clone(),
        );
        r.register(
            "runs_finished",
            "Runs finished, by operation and outcome (completed, failed, cancelled)",
            m.runs_finished.clone(),
        );
        r.register(
            "step_duration_seconds",
            "Duration of each step attempt, by step and outcome",
            m.step_duration.clone(),
        );
        r.register(
            "step_retries",
            "Step attempts retried after a transient failure, by step and cause",
            m.step_retries.clone(),
        );
        r.register(
            "runs_queued",
            "Runs waiting to be claimed (due now)",
            m.runs_queued.clone(),
        );
        r.register(
            "runs_oldest_queued_seconds",
            "Age of the oldest run waiting to be claimed",
            m.oldest_queued_seconds.clone(),
        );
        r.register(
            "watch_restarts",
            "Cluster watches interrupted and restarted, by kind",
            m.watch_restarts.clone(),
        );
        r.register(
            "watches_stale",
            "Cluster watches not listed or not connected now",
            m.watches_stale.clone(),
        );
        r.register(
            "live_streams",
            "Open live (SSE) streams",
            m.live_streams.clone(),
        );
        r.register(
            "live_dropped",
            "Live streams closed because their client fell behind",
            m.live_dropped.clone(),
        );
        r.register(
            "http_request_duration_seconds",
            "HTTP requests, by method, route template and status",
            m.http_duration.clone(),
        );
        r.register(
            "alerts_firing",
            "Alerts firing now (not resolved), by severity",
            m.alerts_firing.clone(),
        );
        r.register(
            "notifications",
            "Notification delivery attempts, by outcome (delivered; retrying; failed: given up)",
            m.notifications.clone(),
        );
        m
    }

    /// The text exposition of every metric.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        if let Err(e) = prometheus_client::encoding::text::encode(&mut out, &self.registry) {
            tracing::warn!(error = %e, "could not encode the metrics");
        }
        out
    }

    pub fn run_started(&self, operation: impl ToString) {
        self.runs_started
            .get_or_create(&OperationLabels {
                operation: operation.to_string(),
            })
            .inc();
    }

    pub fn run_finished(&self, operation: impl ToString, outcome: impl ToString) {
        self.runs_finished
            .get_or_create(&OutcomeLabels {
                operation: operation.to_string(),
                outcome: outcome.to_string(),
            })
            .inc();
    }

    pub fn step_attempt(&self, step: &str, outcome: &str, seconds: f64) {
        self.step_duration
            .get_or_create(&StepLabels {
                step: step.into(),
                outcome: outcome.into(),
            })
            .observe(seconds);
    }

    pub fn step_retried(&self, step: &str, cause: &str) {
        self.step_retries
            .get_or_create(&RetryLabels {
                step: step.into(),
                cause: cause.into(),
            })
            .inc();
    }

    pub fn watch_restarted(&self, kind: &str) {
        self.watch_restarts
            .get_or_create(&KindLabels { kind: kind.into() })
            .inc();
    }

    pub fn notification(&self, outcome: &str) {
        self.notifications
            .get_or_create(&DeliveryLabels {
                outcome: outcome.into(),
            })
            .inc();
    }
}

static METRICS: LazyLock<Metrics> = LazyLock::new(Metrics::new);

/// The process's metrics.
pub fn metrics() -> &'static Metrics {
    &METRICS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_exposition_names_each_family_with_its_labels() {
        let m = Metrics::new();
        m.run_started("provision");
        m.run_finished("provision", "completed");
        m.step_attempt("namespace", "completed", 0.02);
        m.step_retried("apply", "kube");
        let text = m.encode();
        for line in [
            "tenantry_runs_started_total{operation=\"provision\"} 1",
            "tenantry_runs_finished_total{operation=\"provision\",outcome=\"completed\"} 1",
            "tenantry_step_duration_seconds_count{step=\"namespace\",outcome=\"completed\"} 1",
            "tenantry_step_duration_seconds_bucket{le=\"0.04\",step=\"namespace\",outcome=\"completed\"} 1",
            "tenantry_step_retries_total{step=\"apply\",cause=\"kube\"} 1",
            "# TYPE tenantry_step_duration_seconds histogram",
        ] {
            assert!(text.contains(line), "{line} missing from:\n{text}");
        }
    }
}
