//! Records benchmark: the console in its own process (the real `tenantry`
//! binary) over a SQLite database with BENCH_AUDIT_EVENTS (default 100,000)
//! audit events and BENCH_RUNS (default 10,000) runs. A viewer exports the
//! whole trail as CSV and as JSON while the console's peak RSS (VmHWM) is
//! read from /proc; then the statistics page (30 days) is rendered
//! BENCH_REQUESTS (default 20) times, p50/p99. Run by hand (figures in the
//! README):
//!
//!   cargo bench -p server --bench audit_export
#![allow(clippy::unwrap_used, clippy::print_stdout)] // a bench binary reports by printing

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::Instant;

use app::dto::Role;
use common::process::Console;
use common::stats::env_num;
use common::{add_staff, TestDb, PASSWORD};
use futures::StreamExt;
use server::store::Store;

#[tokio::main]
async fn main() {
    let events = env_num("BENCH_AUDIT_EVENTS", 100_000);
    let db = TestDb::sqlite();
    let store = Store::connect(&db.url).await.unwrap();
    add_staff(&store, "viewer", Role::Viewer).await;
    store.close().await;
    let t0 = Instant::now();
    let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&db.url)
        .await
        .unwrap();
    sqlx::query("BEGIN").execute(&mut conn).await.unwrap();
    for i in 0..events {
        sqlx::query(
            "INSERT INTO audit_events (at, actor, action, target_kind, target_id, detail) \
             VALUES ($1, $2, $3, 'tenant', $4, $5)",
        )
        .bind(1_796_000_000_000_i64 + i as i64 * 1000)
        .bind(format!("user{}", i % 17))
        .bind(["tenant.create", "tenant.provision", "tenant.suspend"][i % 3])
        .bind(format!("tenant-{}", i % 5000))
        .bind(format!(
            "run {i}: a detail line of ordinary length for an audit event"
        ))
        .execute(&mut conn)
        .await
        .unwrap();
    }
    sqlx::query("COMMIT").execute(&mut conn).await.unwrap();
    println!(
        "audit export: {events} events stored in {:.1} s",
        t0.elapsed().as_secs_f64()
    );

    let runs = env_num("BENCH_RUNS", 10_000);
    let (store, tenant) = common::tenant_on(&db, "professional", "bench").await;
    store.close().await;
    let t0 = Instant::now();
    common::seed_runs(&db.url, &tenant, runs as i64).await;
    println!(
        "statistics: {runs} runs stored in {:.1} s",
        t0.elapsed().as_secs_f64()
    );

    let console = Console::start_with(&db.url, &[("RUST_LOG", "warn")], false);
    let client = console.signed_in("viewer", PASSWORD).await;
    let idle = console.kib("VmHWM");
    for format in ["csv", "json"] {
        let t = Instant::now();
        let res = client
            .get(format!(
                "{}/api/v1/audit/export?format={format}",
                console.base
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let mut bytes = 0usize;
        let mut body = res.bytes_stream();
        while let Some(chunk) = body.next().await {
            bytes += chunk.unwrap().len();
        }
        println!(
            "audit export: {format}: {:.1} MB in {:.2} s; console peak RSS {:.1} MiB (before any export {:.1} MiB)",
            bytes as f64 / 1e6,
            t.elapsed().as_secs_f64(),
            console.kib("VmHWM") as f64 / 1024.0,
            idle as f64 / 1024.0
        );
    }
    let requests = env_num("BENCH_REQUESTS", 20);
    let mut took = vec![];
    for _ in 0..requests {
        let t = Instant::now();
        let res = client
            .get(format!("{}/stats?days=30", console.base))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let html = res.text().await.unwrap();
        assert!(html.contains("<svg"));
        took.push(t.elapsed().as_micros() as i64);
    }
    took.sort_unstable();
    println!(
        "statistics page, {runs} runs, 30 days: p50 {:.1} ms, p99 {:.1} ms ({requests} requests)",
        common::stats::percentile(&took, 0.5) as f64 / 1000.0,
        common::stats::percentile(&took, 0.99) as f64 / 1000.0
    );
}
