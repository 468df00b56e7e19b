//! One release: its components, database, jobs by phase, secrets and what
//! it takes of the tenant contract (the one summary the tenant page shows
//! too), and its text as written.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::applications::get_release;
use crate::dto::{DatabaseKind, JobPhase, ReleaseSpec};
use crate::ui::components::{format_time, ErrorPanel};

/// What a release runs: components, database, jobs in phase order.
#[component]
pub fn ReleaseSummary(spec: ReleaseSpec) -> impl IntoView {
    let database = match spec.database.kind {
        DatabaseKind::None => "none".to_string(),
        kind => format!(
            "{kind} ({}), database \"{}\"{}",
            spec.database.image.clone().unwrap_or_default(),
            spec.database.name(),
            if spec.database.backups && kind == DatabaseKind::Postgres {
                ", backed up"
            } else {
                ""
            }
        ),
    };
    let contract = crate::domain::release::contract::summary(&spec);
    let jobs: Vec<_> = JobPhase::ALL
        .iter()
        .flat_map(|p| spec.jobs.iter().filter(move |j| j.phase == *p))
        .cloned()
        .collect();
    view! {
        <table class="data" data-testid="components">
            <thead><tr>
                <th scope="col">"Component"</th>
                <th scope="col">"Image"</th>
                <th scope="col">"Route"</th>
                <th scope="col">"Replicas"</th>
            </tr></thead>
            <tbody>
                {spec.components.iter().map(|c| view! {
                    <tr>
                        <td class="mono">{c.name.clone()}</td>
                        <td class="mono">{c.image.clone()}</td>
                        <td class="mono">{c.route.as_ref().map(|r| r.path.clone()).unwrap_or_else(|| "—".into())}</td>
                        <td>{c.replicas.map(|n| n.to_string()).unwrap_or_else(|| "from the plan".into())}
                            {c.autoscale.as_ref().map(|a| format!(", autoscaled at {}% CPU", a.cpu_utilization))}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
        <p><strong>"Database: "</strong>{database}</p>
        <table class="data" data-testid="jobs">
            <thead><tr>
                <th scope="col">"Phase"</th>
                <th scope="col">"Job"</th>
                <th scope="col">"Image"</th>
            </tr></thead>
            <tbody>
                {jobs.into_iter().map(|j| view! {
                    <tr>
                        <td>{j.phase.as_str()}</td>
                        <td class="mono">{j.name}
                            {j.attempts.filter(|n| *n > 1).map(|n| format!(" ({n} attempts)"))}</td>
                        <td class="mono">{j.image}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
        {(!spec.secrets.is_empty()).then(|| view! {
            <p><strong>"Generated secrets: "</strong>
                <span class="mono">{spec.secrets.iter().map(|s| s.name.clone()).collect::<Vec<_>>().join(", ")}</span></p>
        })}
        {(!contract.is_empty()).then(|| view! {
            <p data-testid="contract"><strong>"Tenant contract: "</strong>{contract.join("; ")}</p>
        })}
    }
}

#[component]
pub fn ReleasePage() -> impl IntoView {
    let key = super::param("app");
    let number = super::param("number");
    let release = Resource::new(
        move || (key(), number().parse::<i64>().unwrap_or(0)),
        |(app, n)| get_release(app, n),
    );
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match release.await {
                    Err(e) => view! { <ErrorPanel err=e/> }.into_any(),
                    Ok(r) => view! {
                        <Title text=format!("{} release {}", key(), r.number)/>
                        <h1>{format!("{} · release {}", key(), r.number)}</h1>
                        <p class="muted">{format!("Saved {} by {}; {} tenant(s) run it.", format_time(r.created_at), r.created_by, r.tenant_count)}</p>
                        {(!r.notes.is_empty()).then(|| view! { <p>{r.notes.clone()}</p> })}
                        <ReleaseSummary spec=r.spec/>
                        <h2>"As written"</h2>
                        <pre class="release-source" data-testid="release-source">{r.source}</pre>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}
