//! The health step: each endpoint the release declares
//! (`contract.health`) is asked through the API server's service proxy
//! (`/api/v1/namespaces/<ns>/services/<svc>:<port>/proxy/<path>`) until it
//! answers 2xx, or its timeout passes and the run fails with the last
//! answer. The proxy reaches the Service's ready endpoints, so the check
//! sees what the tenant's users would, without a route or DNS.

use std::time::{Duration, Instant};

use super::{StepContext, StepOutcome};
use crate::error::{describe_kube_error, Result, ServerError};

/// One endpoint to check, resolved against the release as the tenant's
/// plan runs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HealthTarget {
    /// The component's Service.
    pub service: String,
    /// The Service port's name.
    pub port: String,
    pub path: String,
    pub timeout: Duration,
}

impl HealthTarget {
    /// "api:http/healthz", for lines and messages.
    fn describe(&self) -> String {
        format!("{}:{}{}", self.service, self.port, self.path)
    }
}

/// How long between two asks of an endpoint that did not answer 2xx yet.
const RETRY_EVERY: Duration = Duration::from_secs(1);
/// How much of an answer a line or failure quotes.
const QUOTED: usize = 200;
/// How long one ask may take (an endpoint that accepts and never answers).
const ASK_AT_MOST: Duration = Duration::from_secs(10);

/// The endpoints of the release as the plan runs it: a check of a
/// component the plan leaves out (a feature it lacks) is skipped.
pub fn targets(release: &app::dto::ReleaseSpec) -> Vec<HealthTarget> {
    release
        .contract
        .health
        .iter()
        .filter_map(|h| {
            let c = release.components.iter().find(|c| c.name == h.component)?;
            let port = match &h.port {
                Some(p) => p.clone(),
                None => c.ports.first()?.name.clone(),
            };
            Some(HealthTarget {
                service: c.name.clone(),
                port,
                path: h.path.clone(),
                timeout: Duration::from_secs(
                    app::domain::release::contract::health_timeout_secs(h).into(),
                ),
            })
        })
        .collect()
}

/// An answer's text as a line may quote it: printable, one line, short.
fn quoted(text: &str) -> String {
    let flat: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let flat = flat.trim();
    if flat.chars().count() > QUOTED {
        format!("{}…", flat.chars().take(QUOTED).collect::<String>())
    } else {
        flat.to_string()
    }
}

/// One ask, waiting at most `within`: `Ok(())` on 2xx, else what was
/// answered.
async fn ask(
    client: &kube::Client,
    ns: &str,
    t: &HealthTarget,
    within: Duration,
) -> Result<(), String> {
    let uri = format!(
        "/api/v1/namespaces/{ns}/services/{}:{}/proxy{}",
        t.service, t.port, t.path
    );
    let request = http::Request::get(uri)
        .body(vec![])
        .map_err(|e| format!("the request could not be made: {e}"))?;
    match tokio::time::timeout(within, client.request_text(request)).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(kube::Error::Api(s))) => Err(format!("answered {}: {}", s.code, quoted(&s.message))),
        Ok(Err(e)) => Err(format!("no answer: {}", quoted(&describe_kube_error(&e)))),
        Err(_) => Err(format!("no answer within {:.1}s", within.as_secs_f64())),
    }
}

/// Asks each endpoint until it answers 2xx within its timeout.
pub(super) async fn endpoints(ctx: &StepContext<'_>) -> Result<StepOutcome> {
    if ctx.health.is_empty() {
        return Ok(StepOutcome::Done(
            "the release declares no health endpoint for this plan".into(),
        ));
    }
    let mut lines = vec![];
    for t in ctx.health {
        let began = Instant::now();
        loop {
            let left = t.timeout.saturating_sub(began.elapsed());
            let within = left.clamp(Duration::from_secs(1), ASK_AT_MOST);
            match ask(&ctx.cluster.probe, ctx.namespace, t, within).await {
                Ok(()) => {
                    lines.push(format!(
                        "{} answered 2xx after {:.1}s",
                        t.describe(),
                        began.elapsed().as_secs_f64()
                    ));
                    break;
                }
                Err(answer) if began.elapsed() >= t.timeout => {
                    return Err(ServerError::Wait(format!(
                        "health endpoint {} did not answer 2xx within {}s: {answer}",
                        t.describe(),
                        t.timeout.as_secs()
                    )));
                }
                Err(_) => tokio::time::sleep(RETRY_EVERY).await,
            }
        }
    }
    Ok(StepOutcome::Done(lines.join("; ")))
}
