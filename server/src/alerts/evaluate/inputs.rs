//! What an evaluation reads besides the index: the tenants' metrics from
//! Prometheus, whether the cluster answers, and the runs' time limits.

use super::*;

impl Evaluator {
    /// One round of Prometheus readings for every live tenant whose rules
    /// read it (each distinct expression asked once).
    pub async fn read_metrics(&mut self) -> Result<()> {
        let Some(prometheus) = self.prometheus.clone() else {
            return Ok(());
        };
        let rules = Rules::load(&self.store).await?;
        let templates: HashMap<String, i64> = self
            .store
            .tenant_templates(None)
            .await?
            .into_iter()
            .collect();
        // The edge rule reads a tenant only where its plan sets a rate.
        let edge = self.store.edge_rate_limits().await?;
        let mut asks: Vec<Ask> = vec![];
        for (tenant, namespace) in self.index.live_tenants() {
            let template = templates.get(&tenant).copied();
            for rule in RuleId::ALL.iter().filter(|r| info(**r).needs_prometheus) {
                if !rules.for_tenant(&tenant, template, *rule).enabled {
                    continue;
                }
                if *rule == RuleId::EdgeRate && !edge.contains_key(&tenant) {
                    continue;
                }
                let Some(expression) = rules.expression(&tenant, template, *rule) else {
                    continue;
                };
                let at = (tenant.clone(), namespace.clone());
                match asks
                    .iter_mut()
                    .find(|a| a.rule == *rule && a.expression == expression)
                {
                    Some(a) => a.tenants.push(at),
                    None => asks.push(Ask {
                        rule: *rule,
                        expression,
                        tenants: vec![at],
                    }),
                }
            }
        }
        let mut readings = prometheus.read(&asks).await;
        // Requests a minute, as a fraction of the plan's limit.
        readings.retain(|(rule, tenant), value| {
            if *rule != RuleId::EdgeRate {
                return true;
            }
            match edge.get(tenant) {
                Some(&limit) if limit > 0 => {
                    *value /= limit as f64;
                    true
                }
                _ => false,
            }
        });
        self.readings = readings;
        Ok(())
    }

    /// The latest Prometheus readings of one tenant.
    pub(super) fn metrics_of(&self, tenant: &str) -> Vec<(RuleId, f64)> {
        RuleId::ALL
            .iter()
            .filter_map(|r| {
                self.readings
                    .get(&(*r, tenant.to_string()))
                    .map(|v| (*r, *v))
            })
            .collect()
    }

    /// Why the API server did not answer, asked at most every 15 s.
    pub(super) async fn cluster_error(&mut self) -> Option<String> {
        if let Some((at, last)) = &self.probed {
            if at.elapsed() < PROBE_EVERY {
                return last.clone();
            }
        }
        let now = match self.engine.get() {
            None => Some("not connected yet".to_string()),
            Some(e) => match tokio::time::timeout(
                Duration::from_secs(5),
                e.cluster.client.apiserver_version(),
            )
            .await
            {
                Ok(Ok(_)) => None,
                Ok(Err(err)) => Some(crate::error::describe_kube_error(&err)),
                Err(_) => Some("no answer within 5 s".into()),
            },
        };
        self.probed = Some((Instant::now(), now.clone()));
        now
    }

    /// The run-time limit per operation, computed again every minute.
    pub(super) async fn run_limits(&mut self) -> Result<HashMap<Operation, i64>> {
        if let Some((at, limits)) = &self.limits {
            if at.elapsed() < LIMITS_FOR {
                return Ok(limits.clone());
            }
        }
        let mut limits = HashMap::new();
        for op in Operation::ALL {
            let floor = 30 * 60_000;
            limits.insert(
                *op,
                run_time_limit(&self.store.run_durations(*op, RUN_HISTORY).await?, floor),
            );
        }
        self.limits = Some((Instant::now(), limits.clone()));
        Ok(limits)
    }
}
