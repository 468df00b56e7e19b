//! Structured logs with `tracing`: an env filter (`RUST_LOG`), text or
//! JSON; and, when `OTEL_EXPORTER_OTLP_ENDPOINT` is set (the standard
//! variable, e.g. `http://otel-collector:4318`), the same spans (one per
//! run with its id, tenant and operation; one per step attempt) exported
//! over OTLP/HTTP (protobuf; plain HTTP, as to an in-cluster collector). The other standard `OTEL_*` variables apply as usual
//! (`OTEL_SERVICE_NAME`, `OTEL_EXPORTER_OTLP_HEADERS`, …).

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::{Protocol, SpanExporter, WithExportConfig};
use opentelemetry_sdk::trace::SdkTracerProvider;
use opentelemetry_sdk::Resource;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

use crate::values::LogFormat;

/// What must be flushed before the process ends.
#[must_use = "call shutdown() before the process ends, or spans are lost"]
pub struct Telemetry {
    traces: Option<SdkTracerProvider>,
}

impl Telemetry {
    /// Sends the spans still buffered.
    pub fn shutdown(self) {
        if let Some(p) = self.traces {
            if let Err(e) = p.shutdown() {
                eprintln!("tenantry: could not flush the traces: {e}");
            }
        }
    }
}

pub fn init(format: LogFormat) -> Telemetry {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,tower_http=info,sqlx=warn"));
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let logs = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(ansi);
    let logs = match format {
        LogFormat::Text => logs.boxed(),
        LogFormat::Json => logs.json().boxed(),
    };
    let (traces, error) = match otlp_endpoint() {
        Some(_) => match exporter() {
            Ok(p) => (Some(p), None),
            Err(e) => (None, Some(e)),
        },
        None => (None, None),
    };
    let spans = traces
        .as_ref()
        .map(|p| tracing_opentelemetry::layer().with_tracer(p.tracer("tenantry")));
    let _ = tracing_subscriber::registry()
        .with(filter)
        .with(logs)
        .with(spans)
        .try_init();
    if let Some(e) = error {
        tracing::warn!(error = %e, "OTEL_EXPORTER_OTLP_ENDPOINT is set but no exporter could be made; traces are not sent");
    } else if let Some(endpoint) = otlp_endpoint() {
        tracing::info!(endpoint = %endpoint, "exporting traces over OTLP/HTTP");
    }
    Telemetry { traces }
}

fn otlp_endpoint() -> Option<String> {
    [
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
        "OTEL_EXPORTER_OTLP_ENDPOINT",
    ]
    .iter()
    .find_map(|v| std::env::var(v).ok().filter(|s| !s.trim().is_empty()))
}

fn exporter() -> Result<SdkTracerProvider, String> {
    // The endpoint and headers come from the OTEL_* variables.
    let exporter = SpanExporter::builder()
        .with_http()
        .with_protocol(Protocol::HttpBinary)
        .build()
        .map_err(|e| e.to_string())?;
    let service = std::env::var("OTEL_SERVICE_NAME").unwrap_or_else(|_| "tenantry".into());
    Ok(SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(Resource::builder().with_service_name(service).build())
        .build())
}
