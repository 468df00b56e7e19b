//! Statistics over runs, pure: the one place percentiles are computed, for
//! alert rules now (how long a run may take) and the statistics page later.

/// The `p` quantile (0.0 to 1.0) of `values` by nearest rank, or `None`
/// when there are none. `values` need not be sorted.
pub fn percentile(values: &[i64], p: f64) -> Option<i64> {
    if values.is_empty() {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort_unstable();
    let rank = (p.clamp(0.0, 1.0) * sorted.len() as f64).ceil() as usize;
    sorted.get(rank.saturating_sub(1)).copied()
}

/// Runs of an operation needed before its p95 says how long one may take.
pub const MIN_RUNS_FOR_P95: usize = 20;

/// How long a run may take (ms) before it is "taking too long": twice the
/// p95 of the last runs of its operation, never less than `floor`; just
/// `floor` while fewer than [`MIN_RUNS_FOR_P95`] runs are known.
pub fn run_time_limit(durations: &[i64], floor: i64) -> i64 {
    if durations.len() < MIN_RUNS_FOR_P95 {
        return floor;
    }
    percentile(durations, 0.95)
        .map(|p95| (p95.saturating_mul(2)).max(floor))
        .unwrap_or(floor)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_by_nearest_rank_match_hand_computed_values() {
        let v: Vec<i64> = (1..=100).collect();
        assert_eq!(percentile(&v, 0.5), Some(50));
        assert_eq!(percentile(&v, 0.95), Some(95));
        assert_eq!(percentile(&v, 0.99), Some(99));
        assert_eq!(percentile(&v, 1.0), Some(100));
        assert_eq!(percentile(&[7, 3, 5], 0.5), Some(5), "unsorted input");
        assert_eq!(percentile(&[], 0.5), None);
        assert_eq!(percentile(&[42], 0.0), Some(42));
    }

    #[test]
    fn run_limits_follow_the_p95_with_a_floor() {
        let few = vec![60_000; 19];
        assert_eq!(
            run_time_limit(&few, 1_800_000),
            1_800_000,
            "too few runs: the floor"
        );
        let slow: Vec<i64> = (1..=100).map(|m| m * 60_000).collect();
        assert_eq!(run_time_limit(&slow, 1_800_000), 2 * 95 * 60_000);
        let quick = vec![60_000; 50];
        assert_eq!(
            run_time_limit(&quick, 1_800_000),
            1_800_000,
            "never under the floor"
        );
    }
}

pub mod summary {
    //! The statistics page's figures from the runs, steps and tenants of a
    //! window (pure: the server reads the facts, this adds them up).

    use std::collections::BTreeMap;

    use super::percentile;
    use crate::domain::steps::Step;
    use crate::dto::{
        DayCounts, DayRuns, DayTiers, Durations, FailureCause, Operation, OperationRuns, RunFact,
        RunLink, RunState, StatsDto, StepFact, StepState, TenantFact, TenantState, TierStateCount,
    };

    const DAY_MS: i64 = 24 * 3600 * 1000;
    /// Causes listed on the page.
    pub const TOP_CAUSES: usize = 10;

    fn durations(name: &str, values: &[i64]) -> Durations {
        Durations {
            name: name.to_string(),
            kind: None,
            count: values.len() as i64,
            p50_ms: percentile(values, 0.5),
            p95_ms: percentile(values, 0.95),
        }
    }

    /// An error with its numbers and the tenant's ID taken out.
    pub fn cause_of(error: &str, tenant_id: &str) -> String {
        let text = if tenant_id.is_empty() {
            error.to_string()
        } else {
            error.replace(tenant_id, "<tenant>")
        };
        let mut out = String::new();
        let mut in_number = false;
        for c in text.chars() {
            if c.is_ascii_digit() {
                if !in_number {
                    out.push('#');
                }
                in_number = true;
            } else {
                in_number = false;
                out.push(c);
            }
        }
        out.chars().take(160).collect()
    }

    /// The figures of the last `days` days up to `now` (ms); `label` names
    /// a day (days since the epoch) as "YYYY-MM-DD".
    pub fn summarize(
        runs: &[RunFact],
        steps: &[StepFact],
        tenants: &[TenantFact],
        days: u32,
        now: i64,
        label: impl Fn(i64) -> String,
    ) -> StatsDto {
        let today = now.div_euclid(DAY_MS);
        let first = today - i64::from(days.max(1)) + 1;
        let since = first * DAY_MS;
        let in_window = |t: Option<i64>| t.is_some_and(|t| t >= since && t <= now);

        let mut per_day: BTreeMap<i64, DayRuns> = (first..=today)
            .map(|d| {
                (
                    d,
                    DayRuns {
                        day: label(d),
                        ..Default::default()
                    },
                )
            })
            .collect();
        let mut per_op: BTreeMap<&'static str, OperationRuns> = BTreeMap::new();
        let mut queue = vec![];
        let mut by_template: BTreeMap<&str, Vec<i64>> = BTreeMap::new();
        let (mut finished, mut completed) = (0, 0);
        for r in runs {
            if in_window(r.started_at) {
                let asked = r.not_before.unwrap_or(r.created_at).max(r.created_at);
                if let Some(s) = r.started_at {
                    queue.push((s - asked).max(0));
                }
            }
            if !r.state.is_finished() || !in_window(r.finished_at) {
                continue;
            }
            let end = r.finished_at.unwrap_or(now);
            let day = per_day.entry(end.div_euclid(DAY_MS)).or_default();
            let op = per_op.entry(r.operation.as_str()).or_insert(OperationRuns {
                operation: r.operation,
                completed: 0,
                failed: 0,
                cancelled: 0,
            });
            finished += 1;
            match r.state {
                RunState::Completed => {
                    completed += 1;
                    day.completed += 1;
                    op.completed += 1;
                    if let Some(s) = r.started_at {
                        by_template.entry(&r.template).or_default().push(end - s);
                    }
                }
                RunState::Failed => {
                    day.failed += 1;
                    op.failed += 1;
                }
                _ => {
                    day.cancelled += 1;
                    op.cancelled += 1;
                }
            }
        }

        // Steps group by kind, then name: a release's waits and jobs sit
        // together ("wait": wait-api, wait-web, …).
        let mut by_step: BTreeMap<(&'static str, &str), Vec<i64>> = BTreeMap::new();
        let mut causes: BTreeMap<(String, String), (i64, Vec<RunLink>)> = BTreeMap::new();
        for s in steps {
            if !in_window(s.finished_at) {
                continue;
            }
            match (s.state, s.started_at, s.finished_at) {
                (StepState::Completed, Some(a), Some(b)) => {
                    let kind = Step::parse(&s.name).map_or("step", |k| k.kind.name());
                    by_step.entry((kind, &s.name)).or_default().push(b - a)
                }
                (StepState::Failed, _, _) => {
                    let cause = cause_of(
                        s.error.as_deref().unwrap_or("no reason recorded"),
                        &s.tenant_id,
                    );
                    let e = causes.entry((s.name.clone(), cause)).or_default();
                    e.0 += 1;
                    e.1.push(RunLink {
                        id: s.run_id,
                        tenant_id: s.tenant_id.clone(),
                    });
                }
                _ => {}
            }
        }
        let mut top_failures: Vec<FailureCause> = causes
            .into_iter()
            .map(|((step, cause), (count, mut runs))| {
                runs.sort_unstable_by_key(|r| std::cmp::Reverse(r.id));
                runs.truncate(10);
                FailureCause {
                    step,
                    cause,
                    count,
                    runs,
                }
            })
            .collect();
        top_failures.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.step.cmp(&b.step)));
        top_failures.truncate(TOP_CAUSES);

        let mut now_counts: BTreeMap<(String, &'static str), TierStateCount> = BTreeMap::new();
        let mut created: BTreeMap<i64, BTreeMap<String, i64>> = BTreeMap::new();
        for t in tenants {
            now_counts
                .entry((t.tier.clone(), t.state.as_str()))
                .or_insert(TierStateCount {
                    tier: t.tier.clone(),
                    state: t.state,
                    count: 0,
                })
                .count += 1;
            if in_window(Some(t.created_at)) {
                *created
                    .entry(t.created_at.div_euclid(DAY_MS))
                    .or_default()
                    .entry(t.tier.clone())
                    .or_default() += 1;
            }
        }

        let ops_order = |o: &OperationRuns| Operation::ALL.iter().position(|x| *x == o.operation);
        let mut by_operation: Vec<OperationRuns> = per_op.into_values().collect();
        by_operation.sort_by_key(ops_order);
        let (states_over_time, tiers_over_time) = over_time(tenants, first..=today, &label);
        StatsDto {
            days: days.max(1),
            runs_per_day: per_day.into_values().collect(),
            by_operation,
            finished,
            success_rate: (finished > 0).then(|| completed as f64 / finished as f64),
            queue_wait: durations("queue", &queue),
            steps: by_step
                .iter()
                .map(|((kind, n), v)| Durations {
                    kind: Some((*kind).to_string()),
                    ..durations(n, v)
                })
                .collect(),
            templates: by_template.iter().map(|(n, v)| durations(n, v)).collect(),
            top_failures,
            tenants_now: now_counts.into_values().collect(),
            tenants_created: (first..=today)
                .map(|d| DayTiers {
                    day: label(d),
                    tiers: created.remove(&d).unwrap_or_default().into_iter().collect(),
                })
                .collect(),
            states_over_time,
            tiers_over_time,
        }
    }

    /// Each day's end: how many tenants were in each state (from their
    /// history), and how many not deprovisioned were of each tier.
    fn over_time(
        tenants: &[TenantFact],
        days: std::ops::RangeInclusive<i64>,
        label: &impl Fn(i64) -> String,
    ) -> (Vec<DayCounts>, Vec<DayCounts>) {
        let mut states = vec![];
        let mut tiers = vec![];
        for d in days {
            let end = (d + 1) * DAY_MS;
            let mut by_state: BTreeMap<String, i64> = BTreeMap::new();
            let mut by_tier: BTreeMap<String, i64> = BTreeMap::new();
            for t in tenants {
                let Some((_, state)) = t.history.iter().rev().find(|(at, _)| *at < end) else {
                    continue;
                };
                *by_state.entry(state.as_str().to_string()).or_default() += 1;
                if *state != TenantState::Deprovisioned {
                    *by_tier.entry(t.tier.clone()).or_default() += 1;
                }
            }
            by_state.remove(TenantState::Deprovisioned.as_str());
            states.push(DayCounts {
                day: label(d),
                counts: by_state.into_iter().collect(),
            });
            tiers.push(DayCounts {
                day: label(d),
                counts: by_tier.into_iter().collect(),
            });
        }
        (states, tiers)
    }
}

#[cfg(test)]
mod summary_tests {
    use super::summary::{cause_of, summarize};
    use crate::dto::*;

    const DAY: i64 = 24 * 3600 * 1000;
    const TODAY: i64 = 20_790;

    fn run(id: i64, op: Operation, state: RunState, day: i64, queue: i64, took: i64) -> RunFact {
        let created = (TODAY + day) * DAY + 3_600_000;
        RunFact {
            id,
            tenant_id: format!("t{id}"),
            operation: op,
            state,
            template: "Pro".into(),
            created_at: created,
            not_before: None,
            started_at: Some(created + queue),
            finished_at: state.is_finished().then_some(created + queue + took),
        }
    }

    fn step(
        run_id: i64,
        tenant: &str,
        name: &str,
        state: StepState,
        took: i64,
        error: Option<&str>,
    ) -> StepFact {
        let start = TODAY * DAY + 7_200_000;
        StepFact {
            run_id,
            tenant_id: tenant.into(),
            name: name.into(),
            state,
            started_at: Some(start),
            finished_at: Some(start + took),
            error: error.map(String::from),
        }
    }

    #[test]
    fn a_seeded_history_gives_the_hand_computed_figures() {
        use Operation::*;
        use RunState::*;
        let runs = vec![
            run(1, Provision, Completed, 0, 1000, 60_000),
            run(2, Provision, Completed, 0, 3000, 120_000),
            run(3, Suspend, Failed, -1, 2000, 10_000),
            run(4, Provision, Cancelled, -2, 4000, 5_000),
            run(5, Provision, Completed, -10, 9000, 1_000),
            run(6, Resume, Running, 0, 5000, 0),
        ];
        let steps = vec![
            step(1, "t1", "namespace", StepState::Completed, 100, None),
            step(2, "t2", "namespace", StepState::Completed, 300, None),
            step(4, "t4", "namespace", StepState::Completed, 200, None),
            step(1, "t1", "wait-web", StepState::Completed, 400, None),
            step(1, "t1", "wait-api", StepState::Completed, 500, None),
            step(
                2,
                "t2",
                "post-provision/admin",
                StepState::Completed,
                900,
                None,
            ),
            step(
                3,
                "acme",
                "wait-database",
                StepState::Failed,
                20_000,
                Some("StatefulSet tenant-acme/db was not ready after 20s"),
            ),
            step(
                7,
                "bolt",
                "wait-database",
                StepState::Failed,
                25_000,
                Some("StatefulSet tenant-bolt/db was not ready after 25s"),
            ),
        ];
        let tenants = vec![
            TenantFact {
                tier: "Pro".into(),
                state: TenantState::Active,
                created_at: TODAY * DAY,
                history: vec![
                    (TODAY * DAY + 10, TenantState::Pending),
                    (TODAY * DAY + 20, TenantState::Active),
                ],
            },
            TenantFact {
                tier: "Pro".into(),
                state: TenantState::Active,
                created_at: (TODAY - 30) * DAY,
                history: vec![
                    ((TODAY - 30) * DAY, TenantState::Active),
                    ((TODAY - 2) * DAY + 5, TenantState::Suspended),
                    ((TODAY - 1) * DAY + 5, TenantState::Active),
                ],
            },
            TenantFact {
                tier: "Free".into(),
                state: TenantState::Failed,
                created_at: (TODAY - 1) * DAY,
                history: vec![
                    ((TODAY - 1) * DAY, TenantState::Provisioning),
                    ((TODAY - 1) * DAY + 9, TenantState::Failed),
                ],
            },
            TenantFact {
                tier: "Free".into(),
                state: TenantState::Deprovisioned,
                created_at: (TODAY - 40) * DAY,
                history: vec![
                    ((TODAY - 40) * DAY, TenantState::Active),
                    ((TODAY - 1) * DAY + 7, TenantState::Deprovisioned),
                ],
            },
        ];
        let s = summarize(
            &runs,
            &steps,
            &tenants,
            3,
            TODAY * DAY + 12 * 3_600_000,
            |d| format!("d{}", d - TODAY),
        );

        assert_eq!(s.runs_per_day.len(), 3);
        let days: Vec<(&str, i64, i64, i64)> = s
            .runs_per_day
            .iter()
            .map(|d| (d.day.as_str(), d.completed, d.failed, d.cancelled))
            .collect();
        assert_eq!(days, [("d-2", 0, 0, 1), ("d-1", 0, 1, 0), ("d0", 2, 0, 0)]);
        assert_eq!(s.finished, 4, "run 5 ended before the window, run 6 runs");
        assert_eq!(s.success_rate, Some(0.5));
        // Queue waits 1, 3, 2, 4, 5 s (run 5 started before the window):
        // nearest rank p50 = 3rd of 5, p95 = 5th of 5.
        assert_eq!(
            (s.queue_wait.count, s.queue_wait.p50_ms, s.queue_wait.p95_ms),
            (5, Some(3000), Some(5000))
        );
        assert_eq!(s.templates.len(), 1);
        assert_eq!(
            (s.templates[0].p50_ms, s.templates[0].p95_ms),
            (Some(60_000), Some(120_000))
        );
        let ns = s.steps.iter().find(|d| d.name == "namespace").unwrap();
        assert_eq!((ns.count, ns.p50_ms, ns.p95_ms), (3, Some(200), Some(300)));
        // By kind, then name: the waits of components sit together.
        let grouped: Vec<(Option<&str>, &str)> = s
            .steps
            .iter()
            .map(|d| (d.kind.as_deref(), d.name.as_str()))
            .collect();
        assert_eq!(
            grouped,
            [
                (Some("namespace"), "namespace"),
                (Some("post-provision"), "post-provision/admin"),
                (Some("wait"), "wait-api"),
                (Some("wait"), "wait-web"),
            ]
        );
        assert_eq!(s.top_failures.len(), 1, "one cause on two tenants");
        let f = &s.top_failures[0];
        let ids: Vec<i64> = f.runs.iter().map(|r| r.id).collect();
        assert_eq!(
            (f.step.as_str(), f.count, ids),
            ("wait-database", 2, vec![7, 3])
        );
        assert_eq!(f.runs[0].tenant_id, "bolt");
        assert_eq!(
            f.cause,
            "StatefulSet tenant-<tenant>/db was not ready after #s"
        );
        let ops: Vec<(Operation, i64, i64, i64)> = s
            .by_operation
            .iter()
            .map(|o| (o.operation, o.completed, o.failed, o.cancelled))
            .collect();
        assert_eq!(ops, [(Provision, 2, 0, 1), (Suspend, 0, 1, 0)]);
        let pro_active = s.tenants_now.iter().find(|c| c.tier == "Pro").unwrap();
        assert_eq!(
            (pro_active.state, pro_active.count),
            (TenantState::Active, 2)
        );
        let created: Vec<i64> = s
            .tenants_created
            .iter()
            .map(|d| d.tiers.iter().map(|t| t.1).sum())
            .collect();
        assert_eq!(created, [0, 1, 1]);
        // End of each day: d-2 one Pro suspended, one Free active; d-1 one
        // Pro active, the new Free failed, the old Free gone; d0 two active.
        let states: Vec<&Vec<(String, i64)>> =
            s.states_over_time.iter().map(|d| &d.counts).collect();
        let c = |v: &[(&str, i64)]| {
            v.iter()
                .map(|(s, n)| (s.to_string(), *n))
                .collect::<Vec<_>>()
        };
        assert_eq!(*states[0], c(&[("active", 1), ("suspended", 1)]));
        assert_eq!(*states[1], c(&[("active", 1), ("failed", 1)]));
        assert_eq!(*states[2], c(&[("active", 2), ("failed", 1)]));
        let tiers: Vec<&Vec<(String, i64)>> = s.tiers_over_time.iter().map(|d| &d.counts).collect();
        assert_eq!(*tiers[0], c(&[("Free", 1), ("Pro", 1)]));
        assert_eq!(*tiers[2], c(&[("Free", 1), ("Pro", 2)]));
    }

    #[test]
    fn causes_lose_numbers_and_tenant_ids() {
        assert_eq!(
            cause_of("pod db-0 of acme-x1: 4 restarts", "acme-x1"),
            "pod db-# of <tenant>: # restarts"
        );
    }
}
