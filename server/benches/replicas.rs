//! Several replicas on one PostgreSQL (run by hand; no cluster needed):
//!
//!   TENANTRY_TEST_POSTGRES_URL=postgres://…/postgres \
//!     cargo bench -p server --profile dev --bench replicas
//!
//! 1. Claims: BENCH_RUNS (default 1,000) runs of one no-op step are queued;
//!    BENCH_REPLICAS (default 3) stores, each its own connection pool as a
//!    replica has, claim, start and finish the step and complete each run
//!    until none is left. Prints runs per second and checks none ran twice.
//! 2. Fan-out: a tenant write on one replica until another replica's store
//!    announces it (NOTIFY → LISTEN → the local change feed), BENCH_MESSAGES
//!    (default 500) times; prints p50/p99.
#![allow(clippy::unwrap_used, clippy::print_stdout)] // a bench binary reports by printing

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::{Duration, Instant};

use app::domain::tenant_rules::ValidTenantFields;
use app::dto::{AttemptOutcome, Operation, StepState, TenantState};
use common::stats::{env_num, percentile};
use common::TestDb;
use futures::future::join_all;
use server::store::{Change, NewTenantRecord, Store};

#[tokio::main]
async fn main() {
    let Some(db) = TestDb::postgres().await else {
        println!("set TENANTRY_TEST_POSTGRES_URL to a PostgreSQL to run this benchmark");
        return;
    };
    let runs = env_num("BENCH_RUNS", 1000);
    let replicas = env_num("BENCH_REPLICAS", 3);
    let messages = env_num("BENCH_MESSAGES", 500);
    let first = Store::connect(&db.url).await.unwrap();
    let template = first.list_templates().await.unwrap()[0].id;
    let fields = ValidTenantFields {
        company_name: "Bench".into(),
        owner_email: "owner@example.com".into(),
        owner_name: "Owner".into(),
        custom_domain: None,
    };
    for i in 0..runs {
        let id = format!("bench-{i}");
        first
            .insert_tenant(
                NewTenantRecord {
                    id: &id,
                    namespace: &format!("tenant-{id}"),
                    fields: &fields,
                    template_id: template,
                    release: None,
                    custom_fields: &server::manifests::NO_CUSTOM_FIELDS,
                },
                "bench",
            )
            .await
            .unwrap();
        first
            .create_run(&id, Operation::Provision, &["noop"], "bench")
            .await
            .unwrap();
    }

    // 1. Claims by several replicas.
    let mut stores = vec![];
    for _ in 0..replicas {
        stores.push(Store::connect(&db.url).await.unwrap());
    }
    let lease = Duration::from_secs(30);
    let started = Instant::now();
    let workers = stores.iter().enumerate().map(|(r, s)| async move {
        let owner = format!("bench-replica-{r}");
        let mut done = vec![];
        while let Some(id) = s.claim_run(&owner, lease).await.unwrap() {
            s.start_step(id, 0, &owner).await.unwrap();
            s.finish_step(
                (id, 0),
                &owner,
                StepState::Completed,
                (AttemptOutcome::Completed, None),
                "no-op",
            )
            .await
            .unwrap();
            s.complete_run(id, &owner, Some((TenantState::Active, None)), None)
                .await
                .unwrap();
            done.push(id);
        }
        done
    });
    let per_replica: Vec<Vec<i64>> = join_all(workers).await;
    let took = started.elapsed();
    let mut all: Vec<i64> = per_replica.iter().flatten().copied().collect();
    all.sort_unstable();
    let total = all.len();
    all.dedup();
    assert_eq!(total, all.len(), "a run was executed twice");
    assert_eq!(total, runs);
    println!(
        "claims: {runs} runs by {replicas} replicas in {:.2} s: {:.0} runs/s (claim + one step + complete each); per replica {:?}",
        took.as_secs_f64(),
        runs as f64 / took.as_secs_f64(),
        per_replica.iter().map(Vec::len).collect::<Vec<_>>()
    );

    // 2. A change on one replica, heard by another.
    let (a, b) = (&stores[0], &stores[1 % replicas]);
    server::replicas::start_fanout(a);
    server::replicas::start_fanout(b);
    let mut heard = b.changes();
    tokio::time::sleep(Duration::from_secs(1)).await;
    let mut delays = vec![];
    for i in 0..messages {
        let id = format!("bench-{}", i % runs.max(1));
        let sent = Instant::now();
        a.observe_tenant(&id, TenantState::Active, None, &[])
            .await
            .unwrap();
        loop {
            match tokio::time::timeout(Duration::from_secs(5), heard.recv()).await {
                Ok(Ok(Change::Tenant(t))) if t == id => break,
                Ok(_) => {}
                Err(_) => panic!("message {i} was not heard"),
            }
        }
        delays.push(sent.elapsed().as_secs_f64() * 1000.0);
    }
    delays.sort_by(f64::total_cmp);
    println!(
        "fan-out: {messages} tenant writes on one replica heard by another: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        percentile(&delays, 0.5),
        percentile(&delays, 0.99),
        delays.last().copied().unwrap_or_default()
    );
    for s in stores {
        s.close().await;
    }
    first.close().await;
    db.cleanup().await;
}
