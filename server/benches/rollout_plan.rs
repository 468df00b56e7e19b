//! Rollout planning benchmark: the console in its own process (the real
//! `tenantry` binary), run by hand; build with the bench profile (release)
//! for the README's figure:
//!
//!   cargo bench -p server --bench rollout_plan
//!   BENCH_ROLLOUT_TENANTS=2000 BENCH_REQUESTS=20 (defaults)
//!
//! A fresh database (SQLite, then PostgreSQL when
//! `TENANTRY_TEST_POSTGRES_URL` is set) with that many tenants of one
//! application (96 % of them live, the rest failed or suspended, which the
//! plan leaves out with why) and a release 2 of it; p50/p99 of planning the
//! move of them all to release 2 in waves `1, 5%, 25%, 100%`, as a viewer
//! through the server function the Rollouts page calls (nothing stored).
#![allow(clippy::unwrap_used, clippy::print_stdout)] // a bench binary reports by printing

#[path = "../tests/common/mod.rs"]
mod common;

#[path = "fleet/seed.rs"]
mod seed;

use std::time::Instant;

use app::dto::{Role, RolloutPlan};
use common::process::Console;
use common::stats::{env_num, percentile};
use common::{add_staff, TestDb, PASSWORD};
use server::store::Store;

async fn plan(db: TestDb, backend: &str, size: usize, requests: usize) {
    let store = Store::connect(&db.url).await.unwrap();
    add_staff(&store, "viewer", Role::Viewer).await;
    let t0 = Instant::now();
    seed::tenants(&db.url, size, "bench").await;
    // The seeded tenants' application (that of the first plan), and its
    // release 2: the text of release 1 again.
    let first = store
        .list_templates()
        .await
        .unwrap()
        .into_iter()
        .min_by_key(|t| t.id)
        .unwrap();
    let app = store
        .list_applications()
        .await
        .unwrap()
        .into_iter()
        .find(|a| a.id == first.application_id)
        .unwrap();
    let one = store.get_release(app.id, 1).await.unwrap();
    store
        .create_release(app.id, (&one.spec, &one.source, ""), Some(1), "bench")
        .await
        .unwrap();
    store.close().await;
    println!(
        "{backend}: {size} tenants of {} stored in {:.1} s",
        app.key,
        t0.elapsed().as_secs_f64()
    );
    let console = Console::start(&db.url, &[]);
    let viewer = console.signed_in("viewer", PASSWORD).await;
    let form = [
        ("form[application]", app.key.as_str()),
        ("form[release]", "2"),
        ("form[waves]", "1, 5%, 25%, 100%"),
    ];
    let mut times = vec![];
    let mut planned = 0;
    for i in 0..requests + 3 {
        let t = Instant::now();
        let res = viewer
            .post(format!("{}/api/plan_rollout", console.base))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let plan: RolloutPlan = res.json().await.unwrap();
        if i >= 3 {
            times.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        planned = plan.waves.iter().map(Vec::len).sum::<usize>();
        assert_eq!(
            planned + plan.left_out.len(),
            size,
            "every tenant is accounted for"
        );
    }
    times.sort_by(f64::total_cmp);
    println!(
        "| {backend}: planning {planned} of {size} tenants in 4 waves | p50 {:.1} ms / p99 {:.1} ms |",
        percentile(&times, 0.5),
        percentile(&times, 0.99)
    );
    drop(console);
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let size = env_num("BENCH_ROLLOUT_TENANTS", 2_000);
    let requests = env_num("BENCH_REQUESTS", 20);
    plan(TestDb::sqlite(), "SQLite", size, requests).await;
    if let Some(db) = TestDb::postgres().await {
        plan(db, "PostgreSQL", size, requests).await;
    }
}
