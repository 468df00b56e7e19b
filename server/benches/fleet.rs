//! Fleet benchmark: the console in its own process (the real `tenantry`
//! binary), run by hand; build with the bench profile (release) for the
//! README's figures:
//!
//!   cargo bench -p server --bench fleet
//!   TENANTRY_TEST_KUBECONFIG=… cargo bench -p server --bench fleet   # + cluster part
//!
//! 1. Tenants page: for each size in BENCH_PAGE_TENANTS (default
//!    "10000,100000") a fresh SQLite database with that many tenants (1 % of
//!    them critical, 2 % degraded); p50/p99 of `GET /tenants` as a viewer,
//!    server-rendered, for the default view and each sort and filter.
//! 2. With a cluster: BENCH_POD_TENANTS (default 2,000) tenants with five
//!    pods each watched; the console's RSS read from /proc; then
//!    BENCH_ALERTS (default 100) pods made to crash-loop one after another,
//!    the delay from each status patch to the webhook delivery for it; the
//!    rule evaluation time per change from the console's own log.
#![allow(clippy::unwrap_used, clippy::print_stdout)] // a bench binary reports by printing

#[path = "../tests/common/mod.rs"]
mod common;

#[path = "fleet/cluster.rs"]
mod cluster_part;
#[path = "fleet/seed.rs"]
mod seed;

use std::time::Instant;

use app::dto::Role;
use common::process::Console;
use common::stats::{env_num, percentile};
use common::{add_staff, TestDb, PASSWORD};
use server::store::Store;

/// The views of the tenants page measured, by label.
const VIEWS: [(&str, &str); 8] = [
    ("default (newest first)", "/tenants"),
    ("sorted by company", "/tenants?sort=company&dir=asc"),
    ("sorted by template", "/tenants?sort=template&dir=asc"),
    ("state filter (failed)", "/tenants?state=failed"),
    ("health filter (critical)", "/tenants?health=critical"),
    (
        "health filter (healthy), page 40",
        "/tenants?health=healthy&page=40",
    ),
    ("search \"company 4242\"", "/tenants?q=company%204242"),
    ("page 200", "/tenants?page=200"),
];

async fn tenants_page(size: usize, requests: usize) {
    let db = TestDb::sqlite();
    let store = Store::connect(&db.url).await.unwrap();
    add_staff(&store, "viewer", Role::Viewer).await;
    store.close().await;
    let t0 = Instant::now();
    seed::tenants(&db.url, size, "bench").await;
    println!(
        "tenants page: {size} tenants stored in {:.1} s",
        t0.elapsed().as_secs_f64()
    );
    let console = Console::start(&db.url, &[]);
    let viewer = console.signed_in("viewer", PASSWORD).await;
    println!("| view | {size} tenants p50 / p99 |");
    for (label, path) in VIEWS {
        let mut times = vec![];
        for i in 0..requests + 10 {
            let t = Instant::now();
            let res = viewer
                .get(format!("{}{path}", console.base))
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 200, "{path}");
            let body = res.text().await.unwrap();
            if i >= 10 {
                times.push(t.elapsed().as_secs_f64() * 1000.0);
            }
            assert!(body.contains("Tenants"), "{path}: a tenants page");
        }
        times.sort_by(f64::total_cmp);
        println!(
            "| {label} | {:.2} / {:.2} ms |",
            percentile(&times, 0.5),
            percentile(&times, 0.99)
        );
    }
    println!(
        "console RSS after the page runs: {:.1} MiB",
        console.kib("VmRSS") as f64 / 1024.0
    );
    drop(console);
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let sizes = std::env::var("BENCH_PAGE_TENANTS").unwrap_or_else(|_| "10000,100000".into());
    let requests = env_num("BENCH_REQUESTS", 100);
    for size in sizes.split(',').filter_map(|s| s.trim().parse().ok()) {
        tenants_page(size, requests).await;
    }
    cluster_part::run().await;
}
