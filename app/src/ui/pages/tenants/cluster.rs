//! What the cluster shows of a tenant: pods, workloads, Kubernetes events.

use leptos::prelude::*;

use crate::dto::TenantLiveDto;
use crate::ui::components::format_time;

#[component]
pub fn ClusterPanels(live: TenantLiveDto) -> impl IntoView {
    let note = live
        .note
        .clone()
        .map(|n| view! { <p class="panel info">{format!("Cluster data unavailable: {n}.")}</p> });
    let pods = if live.pods.is_empty() {
        view! { <p class="panel empty">"No pods yet."</p> }.into_any()
    } else {
        view! {
            <table class="data" data-testid="pods">
                <thead><tr>
                    <th scope="col">"Pod"</th><th scope="col">"Component"</th><th scope="col">"Phase"</th>
                    <th scope="col">"Ready"</th><th scope="col">"Restarts"</th><th scope="col">"Reason"</th>
                    <th scope="col">"Created"</th>
                </tr></thead>
                <tbody>
                    {live.pods.into_iter().map(|p| view! {
                        <tr data-pod=p.name.clone() data-component=p.component.clone()
                            data-phase=p.phase.clone() data-ready=p.ready.to_string()>
                            <td class="mono">{p.name.clone()}</td>
                            <td>{p.component.clone()}</td>
                            <td>{p.phase.clone()}</td>
                            <td>{if p.ready { "yes" } else { "no" }}</td>
                            <td>{p.restarts}</td>
                            <td class=if p.reason.is_some() { "bad" } else { "" }>{p.reason.clone().unwrap_or_default()}</td>
                            <td>{p.created_at.map(format_time).unwrap_or_default()}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        }
        .into_any()
    };
    let workloads = (!live.workloads.is_empty()).then(|| {
        view! {
            <ul class="workloads">
                {live.workloads.into_iter().map(|w| view! {
                    <li class={if w.ready >= w.desired { "ok" } else { "bad" }}>
                        <span class="mono">{format!("{}/{}", w.kind, w.name)}</span>
                        " "{format!("{}/{} {}", w.ready, w.desired, if w.kind == "Job" { "done" } else { "ready" })}
                    </li>
                }).collect_view()}
            </ul>
        }
    });
    let events = if live.events.is_empty() {
        view! { <p class="panel empty">"No recent Kubernetes events."</p> }.into_any()
    } else {
        view! {
            <table class="data compact" data-testid="k8s-events">
                <thead><tr>
                    <th scope="col">"When"</th><th scope="col">"Type"</th><th scope="col">"Reason"</th>
                    <th scope="col">"Object"</th><th scope="col">"Message"</th>
                </tr></thead>
                <tbody>
                    {live.events.into_iter().map(|e| view! {
                        <tr class=if e.severity == "Warning" { "warning" } else { "" }>
                            <td>{e.at.map(format_time).unwrap_or_default()}</td>
                            <td>{e.severity.clone()}</td>
                            <td>{e.reason}{(e.count > 1).then(|| format!(" ×{}", e.count))}</td>
                            <td class="mono">{e.object}</td>
                            <td>{e.message}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        }
        .into_any()
    };
    let history = (!live.history.is_empty()).then(|| {
        view! {
            <section aria-labelledby="history-h">
                <h2 id="history-h">"Health history"</h2>
                <ol class="health-history" data-testid="health-history">
                    {live.history.into_iter().map(|h| view! {
                        <li data-health=h.health.as_str()>
                            <span class="muted">{format_time(h.at)}</span>" "
                            <span class=format!("badge health-{}", h.health)>{h.health.as_str()}</span>
                            {h.reason.map(|r| format!(" {r}"))}
                        </li>
                    }).collect_view()}
                </ol>
            </section>
        }
    });
    let certificates = (!live.certificates.is_empty()).then(|| {
        view! {
            <section aria-labelledby="certs-h">
                <h2 id="certs-h">"Certificates"</h2>
                <ul class="certificates" data-testid="certificates">
                    {live.certificates.into_iter().map(|c| {
                        let state = crate::domain::certificates::certificate_state(&c);
                        let class = match state {
                            crate::domain::certificates::CertificateState::Ready => "badge health-healthy",
                            crate::domain::certificates::CertificateState::Issuing => "badge health-provisioning",
                            crate::domain::certificates::CertificateState::Failed => "badge health-critical",
                        };
                        view! {
                        <li data-certificate=c.name.clone() data-ready=c.ready.to_string() data-state=state.as_str()>
                            <span class="mono">{c.hosts.join(", ")}</span>" "
                            <span class=class data-testid="certificate-state">{state.as_str()}</span>
                            {c.reason.map(|r| view! { " "<span class="bad" data-testid="certificate-reason">{r}</span> })}
                            {c.not_after.map(|t| format!(" · expires {}", format_time(t)))}
                        </li>
                    }}).collect_view()}
                </ul>
            </section>
        }
    });
    view! {
        {note}
        {history}
        {certificates}
        <section aria-labelledby="pods-h">
            <h2 id="pods-h">"Pods"</h2>
            {workloads}
            {pods}
        </section>
        <section aria-labelledby="events-h">
            <h2 id="events-h">"Kubernetes events"</h2>
            {events}
        </section>
    }
}
