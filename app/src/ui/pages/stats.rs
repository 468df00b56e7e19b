//! Statistics: runs per day by outcome and per operation, success rate,
//! time in the queue, p50/p95 per step and per template, the top failure
//! causes (linked to their runs), and tenants by tier and state, now and
//! at each day's end.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::{Form, A};
use leptos_router::hooks::use_query_map;

use crate::api::records::statistics;
use crate::dto::StatsDto;
use crate::ui::components::{
    format_duration, DurationBars, DurationRow, ErrorPanel, Series, StackedBars,
};

const WINDOWS: [u32; 3] = [7, 30, 90];

/// Day labels, and one series per name found on any day (zero where a day
/// lacks it), coloured in turn.
fn day_series(days: Vec<(String, Vec<(String, i64)>)>) -> (Vec<String>, Vec<Series>) {
    const CLASSES: [&str; 6] = ["tier-0", "tier-1", "tier-2", "tier-3", "tier-4", "tier-5"];
    let mut names: Vec<String> = days
        .iter()
        .flat_map(|(_, c)| c.iter().map(|(n, _)| n.clone()))
        .collect();
    names.sort();
    names.dedup();
    let series = names
        .iter()
        .enumerate()
        .map(|(i, name)| Series {
            name: name.clone(),
            class: CLASSES[i % CLASSES.len()],
            values: days
                .iter()
                .map(|(_, c)| c.iter().find(|(x, _)| x == name).map_or(0, |(_, n)| *n))
                .collect(),
        })
        .collect();
    (days.into_iter().map(|(d, _)| d).collect(), series)
}

fn figures(s: StatsDto) -> impl IntoView {
    let labels: Vec<String> = s.runs_per_day.iter().map(|d| d.day.clone()).collect();
    let pick =
        |f: fn(&crate::dto::DayRuns) -> i64| s.runs_per_day.iter().map(f).collect::<Vec<_>>();
    let runs_chart = view! {
        <StackedBars id="runs-per-day" title=format!("Runs per day, last {} days", s.days) labels=labels.clone()
            series=vec![
                Series { name: "completed".into(), class: "completed", values: pick(|d| d.completed) },
                Series { name: "failed".into(), class: "failed", values: pick(|d| d.failed) },
                Series { name: "cancelled".into(), class: "cancelled", values: pick(|d| d.cancelled) },
            ]/>
    };
    let created = day_series(
        s.tenants_created
            .iter()
            .map(|d| (d.day.clone(), d.tiers.clone()))
            .collect(),
    );
    let states = day_series(
        s.states_over_time
            .iter()
            .map(|d| (d.day.clone(), d.counts.clone()))
            .collect(),
    );
    let tiers = day_series(
        s.tiers_over_time
            .iter()
            .map(|d| (d.day.clone(), d.counts.clone()))
            .collect(),
    );
    let rate = s
        .success_rate
        .map(|r| format!("{:.1} %", r * 100.0))
        .unwrap_or_else(|| "—".into());
    let queue = &s.queue_wait;
    let ops = s
        .by_operation
        .iter()
        .map(|o| view! {
            <tr><th scope="row">{o.operation.as_str()}</th><td>{o.completed}</td><td>{o.failed}</td><td>{o.cancelled}</td></tr>
        })
        .collect_view();
    let failures = s
        .top_failures
        .iter()
        .map(|f| {
            let runs = f
                .runs
                .iter()
                .map(|r| view! { <A href=format!("/tenants/{}#runs-h", r.tenant_id)>{format!("#{}", r.id)}</A>" " })
                .collect_view();
            view! {
                <tr><td>{f.count}</td><td class="mono">{f.step.clone()}</td><td class="detail">{f.cause.clone()}</td><td>{runs}</td></tr>
            }
        })
        .collect_view();
    let tenants = s
        .tenants_now
        .iter()
        .map(|t| view! { <tr><th scope="row">{t.tier.clone()}</th><td>{t.state.as_str()}</td><td>{t.count}</td></tr> })
        .collect_view();
    view! {
        <section class="tiles" aria-label="Summary">
            <div class="tile"><span class="figure" data-testid="finished">{s.finished}</span>" runs finished"</div>
            <div class="tile"><span class="figure" data-testid="success-rate">{rate}</span>" completed"</div>
            <div class="tile"><span class="figure">{queue.p50_ms.map(format_duration).unwrap_or_else(|| "—".into())}</span>
                " in the queue (p50; p95 "{queue.p95_ms.map(format_duration).unwrap_or_else(|| "—".into())}")"</div>
        </section>
        {runs_chart}
        <h2>"By operation"</h2>
        <table class="data"><thead><tr><th scope="col">"Operation"</th><th scope="col">"Completed"</th>
            <th scope="col">"Failed"</th><th scope="col">"Cancelled"</th></tr></thead><tbody>{ops}</tbody></table>
        <DurationBars id="steps" title="Step durations (completed steps)".to_string()
            rows=s.steps.iter().map(DurationRow::from).collect()/>
        <DurationBars id="templates" title="Run durations by template (completed runs)".to_string()
            rows=s.templates.iter().map(DurationRow::from).collect()/>
        <h2>"Top failure causes"</h2>
        {if s.top_failures.is_empty() {
            view! { <p class="panel empty">"No failed steps in this window."</p> }.into_any()
        } else {
            view! {
                <table class="data" data-testid="failures"><thead><tr><th scope="col">"Count"</th><th scope="col">"Step"</th>
                    <th scope="col">"Cause"</th><th scope="col">"Runs"</th></tr></thead><tbody>{failures}</tbody></table>
            }.into_any()
        }}
        <StackedBars id="tenants-created" title=format!("Tenants created per day by tier, last {} days", s.days)
            labels=created.0 series=created.1/>
        <StackedBars id="states-over-time" title=format!("Tenants by state at each day's end, last {} days", s.days)
            labels=states.0 series=states.1/>
        <StackedBars id="tiers-over-time" title=format!("Tenants by tier at each day's end, last {} days", s.days)
            labels=tiers.0 series=tiers.1/>
        <h2>"Tenants now, by tier and state"</h2>
        <table class="data"><thead><tr><th scope="col">"Tier"</th><th scope="col">"State"</th><th scope="col">"Tenants"</th></tr></thead>
            <tbody>{tenants}</tbody></table>
    }
}

#[component]
pub fn StatsPage() -> impl IntoView {
    let params = use_query_map();
    let days = move || {
        params
            .get()
            .get("days")
            .and_then(|d| d.parse::<u32>().ok())
            .unwrap_or(30)
    };
    let stats = Resource::new(days, statistics);
    view! {
        <Title text="Statistics"/>
        <h1>"Statistics"</h1>
        <Form method="GET" action="/stats" attr:class="filters">
            <label><span>"Window"</span>
                <select name="days" aria-label="Days">
                    {WINDOWS.into_iter().map(|d| view! {
                        <option value=d.to_string() selected=move || days() == d>{format!("last {d} days")}</option>
                    }).collect_view()}
                </select>
            </label>
            <button type="submit" class="button">"Show"</button>
        </Form>
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match stats.await {
                    Err(e) => view! { <ErrorPanel err=e/> }.into_any(),
                    Ok(s) => figures(s).into_any(),
                }
            })}
        </Transition>
    }
}
