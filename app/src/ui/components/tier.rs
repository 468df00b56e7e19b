//! One-line summaries of a tier's limits, and the template choices of a
//! `<select>`.

use leptos::prelude::*;

use crate::dto::{TemplateChoice, TierSpec};

/// `<option>`s "Name (vN)" for every template, once they have loaded;
/// `selected`: the id of the one chosen already.
#[component]
pub fn TemplateOptions(
    choices: Vec<TemplateChoice>,
    #[prop(optional)] selected: String,
) -> impl IntoView {
    choices
        .into_iter()
        .map(|t| {
            let id = t.id.to_string();
            let chosen = id == selected;
            view! {
                <option value=id selected=chosen>{format!("{} (v{})", t.name, t.version)}</option>
            }
        })
        .collect_view()
}

pub fn tier_summary(s: &TierSpec) -> String {
    format!(
        "PostgreSQL {}× {} Gi · API {}× · web {}× · CPU {}–{}m · memory {}–{} Mi · users {}{} · backup {} · quota {}m CPU, {} Mi, {} Gi, {} pods",
        s.postgres_instances,
        s.postgres_storage_gi,
        s.api_replicas,
        s.web_replicas,
        s.cpu_request_m,
        s.cpu_limit_m,
        s.memory_request_mi,
        s.memory_limit_mi,
        s.user_limit.map(|u| u.to_string()).unwrap_or_else(|| "unlimited".into()),
        s.limits
            .iter()
            .map(|(k, v)| format!(" · {k} {v}"))
            .collect::<String>(),
        if s.backup_enabled {
            format!("\u{201c}{}\u{201d}, keep {}", s.backup_schedule, s.backup_retention)
        } else {
            "off".into()
        },
        s.quota_cpu_m,
        s.quota_memory_mi,
        s.quota_storage_gi,
        s.quota_pods,
    )
}
