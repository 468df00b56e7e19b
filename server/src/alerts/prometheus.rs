//! The optional Prometheus query source: the tenants' own metrics (error
//! rate, response time, users) for the rules read from it. Each distinct
//! expression is asked once per round through the HTTP API's instant query;
//! a fleet expression answers one series per tenant namespace, an
//! expression with placeholders is asked per tenant.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use app::domain::alerts::{fill_expression, per_tenant_expression};
use app::dto::RuleId;

/// How often the readings are taken by default.
pub const READ_EVERY: Duration = Duration::from_secs(30);
const TIMEOUT: Duration = Duration::from_secs(10);
/// Tenants asked at once for per-tenant expressions.
const AT_ONCE: usize = 8;

/// What the last round found, shared with the console's rules view.
#[derive(Clone, Debug, Default)]
pub struct PrometheusStatus(Arc<RwLock<Option<Result<i64, String>>>>);

impl PrometheusStatus {
    /// `None` before the first round; `Ok(at)` when the last one answered,
    /// `Err(why)` when it did not.
    pub fn last(&self) -> Option<Result<i64, String>> {
        self.0.read().ok().and_then(|s| s.clone())
    }

    fn set(&self, v: Result<i64, String>) {
        if let Ok(mut s) = self.0.write() {
            *s = Some(v);
        }
    }
}

#[derive(Clone)]
pub struct Prometheus {
    base: url::Url,
    http: reqwest::Client,
    pub status: PrometheusStatus,
    /// How often a round of readings is taken [`READ_EVERY`].
    pub every: Duration,
}

impl std::fmt::Debug for Prometheus {
    // The URL may carry credentials: only its host is shown.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Prometheus")
            .field("host", &self.base.host_str())
            .finish_non_exhaustive()
    }
}

/// One expression a rule reads, and for which tenants: (tenant, namespace).
pub struct Ask {
    pub rule: RuleId,
    pub expression: String,
    pub tenants: Vec<(String, String)>,
}

/// The readings of one round: per (rule, tenant).
pub type Readings = HashMap<(RuleId, String), f64>;

/// The most an answer may hold: bytes, and series of one query (one per
/// tenant is expected).
const MAX_BODY: usize = 8 << 20;
const MAX_SERIES: usize = 20_000;

/// The answer's body, refused past [`MAX_BODY`] bytes as it arrives.
async fn bounded_body(mut res: reqwest::Response) -> Result<Vec<u8>, String> {
    let mut body = vec![];
    while let Some(chunk) = res
        .chunk()
        .await
        .map_err(|_| "Prometheus's answer broke off".to_string())?
    {
        if body.len() + chunk.len() > MAX_BODY {
            return Err(format!(
                "Prometheus's answer is larger than {} MiB; not read",
                MAX_BODY >> 20
            ));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

impl Prometheus {
    pub fn new(base: url::Url, status: PrometheusStatus) -> Result<Prometheus, String> {
        // The operator's own Prometheus (often in the cluster): not held to
        // the channels' address rules, but no redirects either.
        let http = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| format!("an HTTP client for Prometheus: {e}"))?;
        Ok(Prometheus {
            base,
            http,
            status,
            every: READ_EVERY,
        })
    }

    /// Every series of an instant query: (labels, value).
    pub async fn query(&self, expr: &str) -> Result<Vec<(HashMap<String, String>, f64)>, String> {
        let url = self
            .base
            .join("api/v1/query")
            .map_err(|e| format!("the Prometheus URL: {e}"))?;
        let res = self
            .http
            .get(url)
            .query(&[("query", expr)])
            .send()
            .await
            .map_err(|e| format!("Prometheus did not answer: {}", e.without_url()))?;
        let status = res.status();
        let body = bounded_body(res).await?;
        let body: serde_json::Value = serde_json::from_slice(&body)
            .map_err(|_| format!("Prometheus answered {status} with no JSON"))?;
        if body["status"] != "success" {
            return Err(format!(
                "Prometheus refused the query ({status}): {}",
                body["error"].as_str().unwrap_or("no reason given")
            ));
        }
        let data = &body["data"];
        let value = |v: &serde_json::Value| v[1].as_str().and_then(|s| s.parse::<f64>().ok());
        let series = data["result"].as_array().map_or(0, Vec::len);
        if data["resultType"] == "vector" && series > MAX_SERIES {
            return Err(format!(
                "Prometheus answered {series} series, more than the {MAX_SERIES} read"
            ));
        }
        Ok(match data["resultType"].as_str() {
            Some("vector") => data["result"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|r| {
                    let labels = r["metric"]
                        .as_object()
                        .map(|m| {
                            m.iter()
                                .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                                .collect()
                        })
                        .unwrap_or_default();
                    Some((labels, value(&r["value"])?))
                })
                .collect(),
            Some("scalar") => value(&data["result"])
                .map(|v| vec![(HashMap::new(), v)])
                .unwrap_or_default(),
            other => return Err(format!("Prometheus gave a {other:?} result, not a vector")),
        })
    }

    /// One round: every expression asked, NaN readings left out. The first
    /// failure is what the status says; the readings that came are kept.
    pub async fn read(&self, asks: &[Ask]) -> Readings {
        let mut out = Readings::new();
        let mut failed = None;
        for ask in asks {
            if per_tenant_expression(&ask.expression) {
                let answers = futures::future::join_all(ask.tenants.chunks(AT_ONCE).map(|chunk| {
                    let chunk = chunk.to_vec();
                    async move {
                        let mut got = vec![];
                        for (tenant, ns) in chunk {
                            let q = fill_expression(&ask.expression, &tenant, &ns);
                            got.push((tenant, self.query(&q).await));
                        }
                        got
                    }
                }))
                .await;
                for (tenant, answer) in answers.into_iter().flatten() {
                    match answer {
                        Ok(series) => {
                            if let Some((_, v)) = series.first().filter(|s| s.1.is_finite()) {
                                out.insert((ask.rule, tenant), *v);
                            }
                        }
                        Err(e) => failed = failed.or(Some(e)),
                    }
                }
            } else {
                match self.query(&ask.expression).await {
                    Ok(series) => {
                        let by_ns: HashMap<&str, f64> = series
                            .iter()
                            .filter(|s| s.1.is_finite())
                            .filter_map(|(l, v)| Some((l.get("namespace")?.as_str(), *v)))
                            .collect();
                        for (tenant, ns) in &ask.tenants {
                            if let Some(v) = by_ns.get(ns.as_str()) {
                                out.insert((ask.rule, tenant.clone()), *v);
                            }
                        }
                    }
                    Err(e) => failed = failed.or(Some(e)),
                }
            }
        }
        match failed {
            Some(e) => {
                tracing::warn!(error = %e, "reading tenant metrics from Prometheus failed");
                self.status.set(Err(e));
            }
            None => self.status.set(Ok(crate::store::now_ms())),
        }
        out
    }
}
