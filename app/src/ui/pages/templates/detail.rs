//! One template: its current limits, its version history, edit and delete.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_navigate;

use crate::api::templates::{get_template, DeleteTemplate};
use crate::dto::{Role, TierSpec};
use crate::ui::components::{format_time, tier_summary, ErrorPanel};
use crate::ui::shell::{can, use_session};

fn spec_rows(s: &TierSpec) -> Vec<(&'static str, String)> {
    vec![
        ("PostgreSQL instances", s.postgres_instances.to_string()),
        (
            "PostgreSQL storage",
            format!("{} Gi", s.postgres_storage_gi),
        ),
        ("API replicas", s.api_replicas.to_string()),
        ("Web replicas", s.web_replicas.to_string()),
        (
            "CPU request / limit",
            format!("{}m / {}m", s.cpu_request_m, s.cpu_limit_m),
        ),
        (
            "Memory request / limit",
            format!("{} Mi / {} Mi", s.memory_request_mi, s.memory_limit_mi),
        ),
        (
            "User limit",
            s.user_limit
                .map(|u| u.to_string())
                .unwrap_or_else(|| "unlimited".into()),
        ),
        (
            "Backup",
            if s.backup_enabled {
                format!(
                    "{} (cron, UTC), keep the last {}",
                    s.backup_schedule, s.backup_retention
                )
            } else {
                "off".into()
            },
        ),
        (
            "Run timeout",
            format!(
                "{} s per provisioning, update or resume",
                s.run_timeout_secs
            ),
        ),
        ("Quota: CPU", format!("{}m", s.quota_cpu_m)),
        ("Quota: memory", format!("{} Mi", s.quota_memory_mi)),
        ("Quota: storage", format!("{} Gi", s.quota_storage_gi)),
        ("Quota: pods", s.quota_pods.to_string()),
        (
            "Features",
            if s.features.is_empty() {
                "—".into()
            } else {
                s.features.join(", ")
            },
        ),
    ]
}

#[component]
pub fn TemplateDetailPage() -> impl IntoView {
    let id = super::template_id_param();
    let detail = Resource::new(id, get_template);
    let delete = ServerAction::<DeleteTemplate>::new();
    let session = use_session();
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(())) = delete.value().get() {
            navigate("/templates", Default::default());
        }
    });

    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let me = session.me.await;
                match detail.await {
                    Err(e) => view! { <ErrorPanel err=e/> }.into_any(),
                    Ok(d) => {
                        let t = d.template;
                        let operator = can(&me, Role::Operator);
                        view! {
                            <Title text=format!("Template {}", t.key)/>
                            <div class="page-head">
                                <h1>{t.name.clone()}" "<span class="muted mono">{t.key.clone()}</span></h1>
                                {operator.then(|| view! {
                                    <div class="head-actions">
                                    <A href=format!("/templates/{}/edit", t.id) attr:class="button">"Edit"</A>
                                    <ActionForm action=delete attr:class="inline">
                                        <input type="hidden" name="id" value=t.id.to_string()/>
                                        <button type="submit" class="button danger">"Delete"</button>
                                    </ActionForm>
                                    </div>
                                })}
                            </div>
                            {move || delete.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorPanel err=e/> })}
                            <p>{t.description.clone()}</p>
                            <p>"Application: "<a href=format!("/applications/{}", t.application_key) class="mono" data-testid="template-application">{t.application_key.clone()}</a></p>
                            <p class="muted">{format!("Version {} · {} tenant(s) · updated {} by {}",
                                t.version, t.tenant_count, format_time(t.updated_at), t.updated_by)}</p>
                            <table class="data narrow"><tbody>
                                {spec_rows(&t.spec).into_iter().map(|(k, v)| view! {
                                    <tr><th scope="row">{k}</th><td>{v}</td></tr>
                                }).collect_view()}
                            </tbody></table>
                            <crate::ui::pages::alerts::RulesPanel scope="template" scope_id=t.id.to_string() admin=can(&me, Role::Admin)/>
                            <h2>"Versions"</h2>
                            <ol class="versions" reversed>
                                {d.versions.into_iter().map(|v| view! {
                                    <li>
                                        <strong>{format!("v{} · {}", v.version, v.name)}</strong>
                                        <span class="muted">{format!(" — {} by {}", format_time(v.created_at), v.created_by)}</span>
                                        <p class="hint">{tier_summary(&v.spec)}</p>
                                    </li>
                                }).collect_view()}
                            </ol>
                        }.into_any()
                    }
                }
            })}
        </Suspense>
    }
}
