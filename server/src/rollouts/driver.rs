//! The leader moves each running rollout on, one look at a time: it
//! follows the runs of the wave under way, starts the wave's waiting
//! tenants a few at a time, and once every tenant of the wave has moved
//! watches them for the soak before the next wave. A failed run or a
//! tenant that turns unhealthy during the soak pauses the rollout, naming
//! the tenant, the step and the cause. Every write is guarded on what was
//! read (`store/rollouts.rs`), so a replica taking over after a crash
//! looks again and carries on: a run already started is found by the
//! rollout it records, and no wave starts twice.

use std::sync::Arc;

use app::dto::{
    AlertState, CurrentStaff, Role, RolloutDto, RolloutState, RolloutTenantDto,
    RolloutTenantState as S, RunState, Severity, TenantState,
};

use crate::console::ConsoleService;
use crate::error::Result;
use crate::store::now_ms;

/// Looks at rollout `id` once and moves it on as far as it can now.
pub async fn drive(console: &ConsoleService, id: i64) -> Result<()> {
    let store = console.store();
    let r = store.get_rollout(id).await?;
    if r.state != RolloutState::Running {
        return Ok(());
    }
    let wave: Vec<&RolloutTenantDto> = r.tenants.iter().filter(|t| t.wave == r.wave).collect();
    // The runs under way: finished ones settle their tenant.
    for t in wave.iter().filter(|t| t.state == S::Running) {
        let run = match t.run_id {
            Some(run) => Some(run),
            None => store.rollout_run_of(id, &t.tenant_id, t.since).await?,
        };
        let Some(run) = run else {
            // Marked, but its run was never made (a crash between): make it.
            start_tenant(console, &r, t).await?;
            continue;
        };
        let run = store.get_run(run).await?;
        let warning = warned(&run);
        match run.state {
            RunState::Completed if warning.is_none() => {
                store
                    .move_rollout_tenant(
                        (id, &t.tenant_id),
                        &[S::Running],
                        S::Done,
                        (Some(run.id), None),
                    )
                    .await?;
            }
            RunState::Completed | RunState::Failed | RunState::Cancelled => {
                let failed = run
                    .steps
                    .iter()
                    .find(|s| s.state == app::dto::StepState::Failed)
                    .map(|s| (s.name.clone(), s.last_error.clone().unwrap_or_default()));
                let cause = match (failed, warning) {
                    (Some((name, error)), _) => format!("step {name} failed: {error}"),
                    (None, Some((name, why))) => format!("step {name} warned: {why}"),
                    (None, None) => format!("its run {} was {}", run.id, run.state),
                };
                return fail(console, &r, (t, S::Running, Some(run.id)), &cause).await;
            }
            _ if t.run_id.is_none() => {
                store.follow_rollout_run((id, &t.tenant_id), run.id).await?;
            }
            _ => {}
        }
    }
    let r = store.get_rollout(id).await?;
    if r.state != RolloutState::Running {
        return Ok(());
    }
    let wave: Vec<&RolloutTenantDto> = r.tenants.iter().filter(|t| t.wave == r.wave).collect();
    // A failed tenant holds the wave until staff skip, roll back or resume.
    if let Some(t) = wave.iter().find(|t| t.state == S::Failed) {
        let why = t.detail.clone().unwrap_or_else(|| "failed".into());
        return pause(console, &r, &format!("tenant {}: {why}", t.tenant_id)).await;
    }
    // Waiting tenants start, as many as the parallelism leaves room for.
    let running = wave.iter().filter(|t| t.state == S::Running).count();
    let room = usize::try_from(r.parallelism)
        .unwrap_or(1)
        .saturating_sub(running);
    for t in wave.iter().filter(|t| t.state == S::Pending).take(room) {
        if store
            .move_rollout_tenant((id, &t.tenant_id), &[S::Pending], S::Running, (None, None))
            .await?
        {
            start_tenant(console, &r, t).await?;
        }
    }
    if !wave.iter().all(|t| app::domain::rollout::settled(t.state)) {
        return Ok(());
    }
    // Every tenant of the wave moved: the soak, then the next wave.
    let last = r.wave >= r.waves;
    if r.soak_secs > 0 {
        let Some(since) = r.soak_started_at else {
            store.start_soak(id, r.wave).await?;
            return Ok(());
        };
        for t in wave.iter().filter(|t| t.state == S::Done) {
            if let Some(why) = regressed(console, t).await? {
                let cause = format!("unhealthy during the soak: {why}");
                return fail(console, &r, (t, S::Done, None), &cause).await;
            }
        }
        if now_ms() < since + r.soak_secs * 1000 {
            return Ok(());
        }
    }
    store.next_wave(id, r.wave, last).await?;
    Ok(())
}

/// The first step of `run` that finished with a warning (a component
/// that did not become ready in time), and why.
fn warned(run: &app::dto::RunDto) -> Option<(String, String)> {
    run.steps.iter().find_map(|s| {
        s.history
            .iter()
            .find(|a| a.outcome == app::dto::AttemptOutcome::Warned)
            .map(|a| (s.name.clone(), a.error.clone().unwrap_or_default()))
    })
}

/// Why a moved tenant no longer counts as healthy, if it does not: worse
/// than before it moved — degraded or failed when it was active, or an
/// alert of warning or above that started since its run did.
async fn regressed(console: &ConsoleService, t: &RolloutTenantDto) -> Result<Option<String>> {
    let store = console.store();
    let now = store.get_tenant(&t.tenant_id).await?;
    if t.from_state == TenantState::Active
        && matches!(now.state, TenantState::Degraded | TenantState::Failed)
    {
        return Ok(Some(format!(
            "it is {}{}",
            now.state,
            now.state_detail
                .map(|d| format!(" ({d})"))
                .unwrap_or_default()
        )));
    }
    let since = match t.run_id {
        Some(run) => store.get_run(run).await?.created_at,
        None => t.since,
    };
    let alert = store
        .alerts_for_tenant(&t.tenant_id, 20)
        .await?
        .into_iter()
        .find(|a| {
            a.state != AlertState::Resolved
                && a.started_at >= since
                && a.severity.rank() >= Severity::Warning.rank()
        });
    Ok(alert.map(|a| format!("{} alert: {}", a.severity, a.summary)))
}

/// Tenant `t`, standing at `from`, failed for `cause` (with its `run`):
/// marked so, and the rollout paused naming it.
async fn fail(
    console: &ConsoleService,
    r: &RolloutDto,
    (t, from, run): (&RolloutTenantDto, S, Option<i64>),
    cause: &str,
) -> Result<()> {
    console
        .store()
        .move_rollout_tenant((r.id, &t.tenant_id), &[from], S::Failed, (run, Some(cause)))
        .await?;
    pause(console, r, &format!("tenant {}: {cause}", t.tenant_id)).await
}

/// Pauses the rollout by itself, saying why (once: a replica that finds
/// it paused already says nothing).
async fn pause(console: &ConsoleService, r: &RolloutDto, reason: &str) -> Result<()> {
    console
        .store()
        .move_rollout(
            r.id,
            (RolloutState::Running, RolloutState::Paused),
            ("tenantry", "rollout.paused", Some(reason)),
        )
        .await?;
    Ok(())
}

/// Moves one tenant: its plan and release set to the rollout's, and an
/// update run started that records the rollout. Refused (its state, a run
/// of its own under way): the tenant fails, and the rollout pauses.
async fn start_tenant(
    console: &ConsoleService,
    r: &RolloutDto,
    t: &RolloutTenantDto,
) -> Result<()> {
    let who = CurrentStaff {
        id: 0,
        username: format!("{} (rollout {})", r.created_by, r.id),
        role: Role::Operator,
        must_change_password: false,
        token: None,
    };
    let outcome = console
        .move_for_rollout(&who, &t.tenant_id, (r.release, r.template_id), r.id)
        .await;
    match outcome {
        Ok(run) => {
            console
                .store()
                .follow_rollout_run((r.id, &t.tenant_id), run)
                .await?;
            Ok(())
        }
        Err(e) => {
            // Another driver (the leader's look and a console's kick at
            // once) started it first: follow that run.
            if let Some(run) = console
                .store()
                .rollout_run_of(r.id, &t.tenant_id, t.since)
                .await?
            {
                console
                    .store()
                    .follow_rollout_run((r.id, &t.tenant_id), run)
                    .await?;
                return Ok(());
            }
            let cause = format!("its update could not start: {e}");
            fail(console, r, (t, S::Running, None), &cause).await
        }
    }
}

/// The leader's loop: every `every`, each running rollout once (a rollout
/// started or steered from the console is moved on at once as well).
pub fn spawn(
    console: Arc<ConsoleService>,
    leadership: crate::replicas::Leadership,
    every: std::time::Duration,
) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        loop {
            tick.tick().await;
            if !leadership.is_leader() {
                continue;
            }
            let ids = match console.store().running_rollouts().await {
                Ok(ids) => ids,
                Err(e) => {
                    tracing::warn!(error = %e, "could not list the running rollouts");
                    continue;
                }
            };
            for id in ids {
                if let Err(e) = drive(&console, id).await {
                    tracing::warn!(rollout = id, error = %e, "a rollout could not move on now");
                }
            }
        }
    });
}
