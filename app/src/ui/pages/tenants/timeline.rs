//! The step timeline of each run, with retry, recover and cancel.

use leptos::prelude::*;

use crate::api::runs::{CancelRun, RecoverRun, RetryStep};
use crate::dto::{AttemptDto, RunDto, RunState, StepState};
use crate::ui::components::{format_duration, format_time, step_icon, ErrorPanel};

/// One run's steps. `actions` carries the operator's buttons (none for viewers).
#[component]
pub fn RunTimeline(
    run: RunDto,
    operator: bool,
    latest: bool,
    retry: ServerAction<RetryStep>,
    recover: ServerAction<RecoverRun>,
    cancel: ServerAction<CancelRun>,
) -> impl IntoView {
    let id = run.id;
    let resumable =
        operator && latest && matches!(run.state, RunState::Failed | RunState::Cancelled);
    let cancellable = operator && !run.state.is_finished();
    let steps = run.steps.clone();
    view! {
        <article class=format!("run run-{}", run.state.as_str()) data-run=id data-state=run.state.as_str()>
            <header class="run-head">
                <h3>{format!("Run {} · {}", run.id, run.operation)}</h3>
                <span class=format!("badge run-state-{}", run.state.as_str())>{run.state.as_str()}</span>
                <span class="muted">{format!("by {} · {}", run.requested_by, format_time(run.created_at))}</span>
                {run.owner.clone().map(|o| view! { <span class="muted mono" title="The console process that runs it">{format!(" · on {o}")}</span> })}
                {run.not_before.filter(|_| run.state == RunState::Pending).map(|t| view! {
                    <span class="muted">{format!(" · waits until {}", format_time(t))}</span>
                })}
                {cancellable.then(|| view! {
                    <ActionForm action=cancel attr:class="inline">
                        <input type="hidden" name="id" value=id/>
                        <button type="submit" class="button subtle">"Cancel run"</button>
                    </ActionForm>
                })}
                {resumable.then(|| view! {
                    <ActionForm action=recover attr:class="inline">
                        <input type="hidden" name="id" value=id/>
                        <button type="submit" class="button">"Recover run"</button>
                    </ActionForm>
                })}
            </header>
            <ol class="steps">
                {steps.into_iter().map(|s| {
                    let took = match (s.started_at, s.finished_at) {
                        (Some(a), Some(b)) => Some(format_duration(b - a)),
                        (Some(a), None) if s.state == StepState::Running => Some(format!("since {}", format_time(a))),
                        _ => None,
                    };
                    let failed = s.state == StepState::Failed;
                    let position = s.position;
                    let history = s.history.clone();
                    view! {
                        <li class=format!("step step-{}", s.state.as_str()) data-step=s.name.clone() data-state=s.state.as_str()>
                            <span class="step-icon" aria-hidden="true">{step_icon(s.state)}</span>
                            <span class="step-name">{s.name.clone()}</span>
                            <span class="step-state">{s.state.as_str()}</span>
                            <span class="muted">
                                {took}
                                {(s.attempts > 1).then(|| format!(" · {} attempts", s.attempts))}
                            </span>
                            {(failed && resumable).then(|| view! {
                                <ActionForm action=retry attr:class="inline">
                                    <input type="hidden" name="id" value=id/>
                                    <input type="hidden" name="position" value=position/>
                                    <button type="submit" class="button primary">"Retry step"</button>
                                </ActionForm>
                            })}
                            {s.last_error.clone().filter(|_| failed || s.state == StepState::Completed).map(|e| view! {
                                <pre class=if failed { "step-error" } else { "step-warning" }>{e}</pre>
                            })}
                            {(!history.is_empty()).then(|| view! { <Attempts history/> })}
                            {(!s.log.is_empty()).then(|| view! {
                                <details class="step-log"><summary>"Log"</summary><pre>{s.log.clone()}</pre></details>
                            })}
                        </li>
                    }
                }).collect_view()}
            </ol>
        </article>
    }
}

/// Every attempt of a step: when, how long, how it ended, and which
/// console process (replica) ran it.
#[component]
fn Attempts(history: Vec<AttemptDto>) -> impl IntoView {
    let n = history.len();
    view! {
        <details class="step-attempts" data-attempts=n>
            <summary>{if n == 1 { "1 attempt".to_string() } else { format!("{n} attempts") }}</summary>
            <table class="attempts">
                <thead><tr><th>"#"</th><th>"Started"</th><th>"Took"</th><th>"Outcome"</th><th>"Process"</th></tr></thead>
                <tbody>
                    {history.into_iter().map(|a| view! {
                        <tr data-outcome=a.outcome.as_str()>
                            <td>{a.attempt}</td>
                            <td>{format_time(a.started_at)}</td>
                            <td>{a.finished_at.map(|f| format_duration(f - a.started_at)).unwrap_or_else(|| "…".into())}</td>
                            <td title=a.error.clone().unwrap_or_default()>{a.outcome.as_str()}</td>
                            <td class="mono">{a.process}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </details>
    }
}

/// The error of the last run action, if any.
#[component]
pub fn RunActionErrors(
    retry: ServerAction<RetryStep>,
    recover: ServerAction<RecoverRun>,
    cancel: ServerAction<CancelRun>,
) -> impl IntoView {
    move || {
        [
            retry.value().get().and_then(|r| r.err()),
            recover.value().get().and_then(|r| r.err()),
            cancel.value().get().and_then(|r| r.err()),
        ]
        .into_iter()
        .flatten()
        .next()
        .map(|e| view! { <ErrorPanel err=e/> })
    }
}
