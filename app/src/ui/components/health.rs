//! Health badges, step states and durations.

use leptos::prelude::*;

use crate::dto::{Health, HealthDto, StepState};

use super::format_time;

/// The health word, its reason, and when it was last confirmed; a stale
/// health says so instead of passing for current.
#[component]
pub fn HealthBadge(health: Option<HealthDto>, #[prop(optional)] detailed: bool) -> impl IntoView {
    let Some(h) = health else {
        return view! { <span class="badge health-unknown">"unknown"</span> }.into_any();
    };
    let title = match (&h.reason, h.observed_at) {
        (Some(r), Some(t)) => format!("{r} · as of {}", format_time(t)),
        (Some(r), None) => r.clone(),
        (None, Some(t)) => format!("as of {}", format_time(t)),
        (None, None) => String::new(),
    };
    let class = format!(
        "badge health-{}{}",
        h.health.as_str(),
        if h.stale { " stale" } else { "" }
    );
    let word = if h.stale && h.health != Health::Unknown {
        format!("{} (stale)", h.health.as_str())
    } else {
        h.health.as_str().to_string()
    };
    view! {
        <span class="health" data-health=h.health.as_str()>
            <span class=class title=title.clone() data-testid="health-badge">{word}</span>
            {detailed.then(|| view! {
                <span class="health-reason" data-testid="health-reason">{h.reason.clone().unwrap_or_default()}</span>
            })}
        </span>
    }
    .into_any()
}

pub fn step_icon(s: StepState) -> &'static str {
    match s {
        StepState::Pending => "○",
        StepState::Running => "◐",
        StepState::Completed => "●",
        StepState::Failed => "✕",
        StepState::Skipped => "–",
        StepState::Cancelled => "⊘",
        StepState::RolledBack => "↺",
    }
}

/// "850 ms", "12.4 s", "3 min 05 s".
pub fn format_duration(ms: i64) -> String {
    let ms = ms.max(0);
    if ms < 1000 {
        format!("{ms} ms")
    } else if ms < 60_000 {
        format!("{:.1} s", ms as f64 / 1000.0)
    } else {
        format!("{} min {:02} s", ms / 60_000, (ms % 60_000) / 1000)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn durations_read_naturally() {
        assert_eq!(super::format_duration(850), "850 ms");
        assert_eq!(super::format_duration(12_400), "12.4 s");
        assert_eq!(super::format_duration(185_000), "3 min 05 s");
    }
}
