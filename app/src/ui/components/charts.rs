//! Charts drawn as SVG when the page renders (on the server first, so they
//! read without JavaScript): a title and description for screen readers,
//! a tooltip per bar, colours from the theme (light and dark), and the same
//! figures as a table beside each chart.

use leptos::prelude::*;

/// One stacked series: its name, its CSS class (colour) and a value per
/// column.
pub struct Series {
    pub name: String,
    pub class: &'static str,
    pub values: Vec<i64>,
}

const W: f64 = 720.0;
const H: f64 = 200.0;
const PAD_L: f64 = 36.0;
const PAD_B: f64 = 22.0;

/// Columns of stacked bars (e.g. runs per day by outcome).
#[component]
pub fn StackedBars(
    id: &'static str,
    title: String,
    labels: Vec<String>,
    series: Vec<Series>,
) -> impl IntoView {
    let n = labels.len().max(1);
    let totals: Vec<i64> = (0..n)
        .map(|i| {
            series
                .iter()
                .map(|s| s.values.get(i).copied().unwrap_or(0))
                .sum()
        })
        .collect();
    let max = totals.iter().copied().max().unwrap_or(0).max(1);
    let slot = (W - PAD_L) / n as f64;
    let bar = (slot * 0.7).max(1.0);
    let scale = (H - PAD_B - 8.0) / max as f64;
    let mut rects = vec![];
    for (i, label) in labels.iter().enumerate() {
        let mut y = H - PAD_B;
        for s in &series {
            let v = s.values.get(i).copied().unwrap_or(0);
            if v == 0 {
                continue;
            }
            let h = v as f64 * scale;
            y -= h;
            let x = PAD_L + i as f64 * slot + (slot - bar) / 2.0;
            rects.push(view! {
                <rect class=s.class x=format!("{x:.1}") y=format!("{y:.1}") width=format!("{bar:.1}") height=format!("{h:.1}")>
                    <title>{format!("{label}: {v} {}", s.name)}</title>
                </rect>
            });
        }
    }
    // A label under every column when they fit, else under every seventh.
    let every = if n <= 14 { 1 } else { 7 };
    let ticks = labels
        .iter()
        .enumerate()
        .filter(|(i, _)| i % every == 0 || *i == n - 1)
        .map(|(i, l)| {
            let x = PAD_L + i as f64 * slot + slot / 2.0;
            view! { <text class="tick" x=format!("{x:.1}") y=format!("{:.1}", H - 6.0) text-anchor="middle">{l.get(5..).unwrap_or(l).to_string()}</text> }
        })
        .collect_view();
    let legend = series
        .iter()
        .map(|s| view! { <span class="legend"><span class=format!("swatch {}", s.class)></span>{s.name.clone()}</span> })
        .collect_view();
    let desc = format!(
        "{} columns; the highest is {max}. The table below has every figure.",
        labels.len()
    );
    let title_id = format!("{id}-title");
    let desc_id = format!("{id}-desc");
    let labelled_by = format!("{title_id} {desc_id}");
    let heads = series
        .iter()
        .map(|s| view! { <th scope="col">{s.name.clone()}</th> })
        .collect_view();
    let rows = labels
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let cells = series
                .iter()
                .map(|s| view! { <td>{s.values.get(i).copied().unwrap_or(0)}</td> })
                .collect_view();
            view! { <tr><th scope="row">{l.clone()}</th>{cells}</tr> }
        })
        .collect_view();
    view! {
        <figure class="chart" id=id>
            <svg viewBox=format!("0 0 {W} {H}") role="img" aria-labelledby=labelled_by preserveAspectRatio="none">
                <title id=title_id>{title.clone()}</title>
                <desc id=desc_id>{desc}</desc>
                <line class="axis" x1=PAD_L y1=format!("{:.1}", H - PAD_B) x2=W y2=format!("{:.1}", H - PAD_B)/>
                <text class="tick" x="2" y="14">{max}</text>
                {rects}
                {ticks}
            </svg>
            <figcaption>{title}" "{legend}</figcaption>
            <details><summary>"Table"</summary>
                <table class="data"><thead><tr><th scope="col">"Day"</th>{heads}</tr></thead><tbody>{rows}</tbody></table>
            </details>
        </figure>
    }
}

/// Horizontal bars of p50 and p95 durations per name (steps, templates).
#[component]
pub fn DurationBars(id: &'static str, title: String, rows: Vec<app_row::Row>) -> impl IntoView {
    let max = rows
        .iter()
        .filter_map(|r| r.p95.or(r.p50))
        .max()
        .unwrap_or(0)
        .max(1);
    let line = 22.0;
    let height = (rows.len() as f64 * line).max(line) + 8.0;
    let label_w = 150.0;
    let scale = (W - label_w - 90.0) / max as f64;
    let bars = rows
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let y = 4.0 + i as f64 * line;
            let p95 = r.p95.unwrap_or(0) as f64 * scale;
            let p50 = r.p50.unwrap_or(0) as f64 * scale;
            let text = format!(
                "{}: p50 {}, p95 {} ({} done)",
                r.name,
                r.p50.map(super::format_duration).unwrap_or_else(|| "—".into()),
                r.p95.map(super::format_duration).unwrap_or_else(|| "—".into()),
                r.count
            );
            view! {
                <g>
                    <title>{text}</title>
                    <text class="tick" x=format!("{:.1}", label_w - 6.0) y=format!("{:.1}", y + 14.0) text-anchor="end">{r.name.clone()}</text>
                    <rect class="p95" x=label_w y=format!("{y:.1}") width=format!("{p95:.1}") height="16"/>
                    <rect class="p50" x=label_w y=format!("{:.1}", y + 4.0) width=format!("{p50:.1}") height="8"/>
                    <text class="tick" x=format!("{:.1}", label_w + p95.max(p50) + 6.0) y=format!("{:.1}", y + 13.0)>
                        {r.p95.map(super::format_duration).unwrap_or_default()}
                    </text>
                </g>
            }
        })
        .collect_view();
    let title_id = format!("{id}-title");
    let table = rows
        .iter()
        .map(|r| {
            view! {
                <tr><th scope="row">{r.name.clone()}</th><td>{r.count}</td>
                    <td>{r.p50.map(super::format_duration).unwrap_or_else(|| "—".into())}</td>
                    <td>{r.p95.map(super::format_duration).unwrap_or_else(|| "—".into())}</td></tr>
            }
        })
        .collect_view();
    let labelled_by = title_id.clone();
    view! {
        <figure class="chart" id=id>
            <svg viewBox=format!("0 0 {W} {height:.0}") role="img" aria-labelledby=labelled_by>
                <title id=title_id>{title.clone()}</title>
                {bars}
            </svg>
            <figcaption>{title}" "
                <span class="legend"><span class="swatch p50"></span>"p50"</span>
                <span class="legend"><span class="swatch p95"></span>"p95"</span>
            </figcaption>
            <details><summary>"Table"</summary>
                <table class="data"><thead><tr><th scope="col">"Name"</th><th scope="col">"Count"</th>
                    <th scope="col">"p50"</th><th scope="col">"p95"</th></tr></thead><tbody>{table}</tbody></table>
            </details>
        </figure>
    }
}

pub mod app_row {
    /// One row of [`super::DurationBars`].
    pub struct Row {
        pub name: String,
        pub count: i64,
        pub p50: Option<i64>,
        pub p95: Option<i64>,
    }

    impl From<&crate::dto::Durations> for Row {
        fn from(d: &crate::dto::Durations) -> Row {
            Row {
                name: d.name.clone(),
                count: d.count,
                p50: d.p50_ms,
                p95: d.p95_ms,
            }
        }
    }
}
