//! The audit trail staff can use: filters by words, actor, action (or its
//! family), tenant and days, on SQLite and PostgreSQL alike; exports as CSV
//! and JSON over /api/v1 (formula cells made inert, the export audited);
//! the page's filters reach the same query.
#![allow(clippy::unwrap_used)] // in a test, a panic is the failure report

mod common;

use common::{TestDb, TestServer};
use server::store::{AuditEntry, AuditFilter, Store};

const DAY: i64 = 24 * 3600 * 1000;
/// 2026-11-30T00:00:00Z.
const NOV_30: i64 = 1_796_000_000_000 - 1_796_000_000_000 % DAY;

/// Events on known days: (actor, action, kind, target, detail, day offset).
const EVENTS: &[(&str, &str, &str, &str, &str, i64)] = &[
    ("alice", "tenant.create", "tenant", "acme", "Acme Corp", 0),
    ("alice", "tenant.provision", "tenant", "acme", "run 1", 0),
    ("bob", "tenant.suspend", "tenant", "acme", "run 2", 1),
    ("bob", "template.update", "template", "pro", "version 2", 1),
    (
        "carol",
        "tenant.create",
        "tenant",
        "bolt",
        "=HYPERLINK(\"http://x\")",
        2,
    ),
    ("system", "alert.fire", "alert", "7", "acme: crash loop", 2),
];

async fn seed(db: &TestDb) -> Store {
    let store = Store::connect(&db.url).await.unwrap();
    // Only this file's events: not those of the plans a new store seeds.
    let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&db.url)
        .await
        .unwrap();
    sqlx::query("DELETE FROM audit_events")
        .execute(&mut conn)
        .await
        .unwrap();
    for (actor, action, kind, target, detail, day) in EVENTS {
        store
            .write_audit(AuditEntry::new(actor, action, kind, *target).detail(*detail))
            .await
            .unwrap();
        let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&db.url)
            .await
            .unwrap();
        sqlx::query(
            "UPDATE audit_events SET at = $1 WHERE id = (SELECT MAX(id) FROM audit_events)",
        )
        .bind(NOV_30 + day * DAY + 3_600_000)
        .execute(&mut conn)
        .await
        .unwrap();
    }
    store
}

async fn count(store: &Store, f: AuditFilter) -> i64 {
    store.search_audit(&f, 1, 50).await.unwrap().total
}

async fn filters_select_what_they_say(db: &TestDb) {
    let store = seed(db).await;
    let f = AuditFilter::default;
    assert_eq!(count(&store, f()).await, 6);
    assert_eq!(
        count(
            &store,
            AuditFilter {
                actor: "bob".into(),
                ..f()
            }
        )
        .await,
        2
    );
    assert_eq!(
        count(
            &store,
            AuditFilter {
                action: "tenant.create".into(),
                ..f()
            }
        )
        .await,
        2
    );
    assert_eq!(
        count(
            &store,
            AuditFilter {
                action: "tenant.".into(),
                ..f()
            }
        )
        .await,
        4
    );
    assert_eq!(
        count(
            &store,
            AuditFilter {
                tenant: "acme".into(),
                ..f()
            }
        )
        .await,
        3
    );
    assert_eq!(
        count(
            &store,
            AuditFilter {
                words: "CRASH".into(),
                ..f()
            }
        )
        .await,
        1
    );
    let day2 = AuditFilter {
        from_ms: Some(NOV_30 + DAY),
        until_ms: Some(NOV_30 + 2 * DAY),
        ..f()
    };
    assert_eq!(count(&store, day2).await, 2);
    let combined = AuditFilter {
        action: "tenant.".into(),
        from_ms: Some(NOV_30 + DAY),
        ..f()
    };
    assert_eq!(count(&store, combined).await, 2);
    // Newest first, paged.
    let page = store.search_audit(&f(), 2, 4).await.unwrap();
    assert_eq!((page.total, page.items.len()), (6, 2));
    assert_eq!(page.items[1].action, "tenant.create");
    assert_eq!(page.items[1].actor, "alice");
    // A streamed read sees the same events, newest first.
    let (tx, mut rx) = tokio::sync::mpsc::channel(2);
    let reader = tokio::spawn({
        let store = store.clone();
        async move {
            store
                .stream_audit(
                    &AuditFilter {
                        actor: "alice".into(),
                        ..Default::default()
                    },
                    tx,
                    std::time::Duration::from_secs(30),
                )
                .await
        }
    });
    let mut got = vec![];
    while let Some(e) = rx.recv().await {
        got.push(e.action);
    }
    assert_eq!(reader.await.unwrap().unwrap(), 2);
    assert_eq!(got, ["tenant.provision", "tenant.create"]);
    store.close().await;
}

#[tokio::test]
async fn filters_on_sqlite() {
    let db = TestDb::sqlite();
    filters_select_what_they_say(&db).await;
}

#[tokio::test]
async fn filters_on_postgres() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    filters_select_what_they_say(&db).await;
    db.cleanup().await;
}

#[tokio::test]
async fn exports_stream_csv_and_json_and_are_audited() {
    let db = TestDb::sqlite();
    drop(seed(&db).await);
    let srv = TestServer::start(&db.url).await;
    let viewer = srv.signed_in("viewer").await;

    // The page's query, through the server function.
    let res = srv
        .call(
            &viewer,
            "list_audit",
            &[("query[action]", "tenant."), ("query[from]", "2026-12-01")],
        )
        .await;
    assert_eq!(res.status(), 200);
    let page: serde_json::Value = res.json().await.unwrap();
    assert_eq!(page["total"], 2, "{page}");
    let res = srv
        .call(&viewer, "list_audit", &[("query[from]", "Monday")])
        .await;
    assert_eq!(res.status(), 422);

    let csv = viewer
        .get(srv.url("/api/v1/audit/export?format=csv&actor=carol"))
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status(), 200);
    assert!(csv.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    assert!(csv.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .contains("attachment"));
    let text = csv.text().await.unwrap();
    let mut r = csv::Reader::from_reader(text.as_bytes());
    let rows: Vec<csv::StringRecord> = r.records().map(|r| r.unwrap()).collect();
    assert_eq!(rows.len(), 1, "{text}");
    assert_eq!(
        &rows[0][6], "'=HYPERLINK(\"http://x\")",
        "a formula is made inert"
    );

    let json: Vec<app::dto::AuditEventDto> = viewer
        .get(srv.url("/api/v1/audit/export?format=json&tenant=acme"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(json.len(), 3);
    let none: Vec<app::dto::AuditEventDto> = viewer
        .get(srv.url("/api/v1/audit/export?format=json&actor=nobody"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(none.is_empty());

    // Each export is an audit event (a security event, kept by purges).
    let exports = srv
        .store
        .search_audit(
            &AuditFilter {
                action: "audit.export".into(),
                ..Default::default()
            },
            1,
            10,
        )
        .await
        .unwrap();
    assert_eq!(exports.total, 3);
    assert!(exports.items.iter().all(|e| e.actor == "viewer"));
    assert!(app::domain::audit::is_security_event("audit.export"));
    srv.stop().await;
}

#[tokio::test]
async fn the_statistics_page_draws_its_charts_from_the_runs() {
    let db = TestDb::sqlite();
    let (store, tenant) = common::tenant_on(&db, "professional", "stats").await;
    store.close().await;
    common::seed_runs(&db.url, &tenant, 8).await;
    let srv = TestServer::start(&db.url).await;
    let viewer = srv.signed_in("viewer").await;

    let stats: serde_json::Value = viewer
        .get(srv.url("/api/v1/stats?days=7"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(stats["finished"], 8);
    assert_eq!(stats["success_rate"], 0.75);
    assert_eq!(stats["top_failures"][0]["count"], 2);
    assert_eq!(
        stats["top_failures"][0]["cause"],
        "StatefulSet tenant-<tenant>/db was not ready after #s"
    );
    let res = viewer
        .get(srv.url("/api/v1/stats?days=365"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);

    // The page, server-rendered: charts as SVG with titles, tables beside
    // them, failure causes linked to their runs.
    let html = viewer
        .get(srv.url("/stats?days=7"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("<svg") && html.contains("Runs per day, last 7 days"),
        "charts render"
    );
    assert!(
        html.contains("<title") && html.contains("<details"),
        "titles and tables"
    );
    assert!(html.contains("75.0 %"), "success rate");
    assert!(
        html.contains(&format!("/tenants/{tenant}#runs-h")),
        "causes link their runs"
    );
    assert!(html.contains("wait-database"));
    srv.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalled_exports_hold_no_connection_and_one_runs_per_person() {
    let db = TestDb::sqlite();
    let store = Store::connect(&db.url).await.unwrap();
    // A trail far larger than the sockets' buffers, so an export whose
    // reader takes nothing stalls.
    let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&db.url)
        .await
        .unwrap();
    sqlx::query(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 50000) \
         INSERT INTO audit_events (at, actor, action, target_kind, target_id, detail) \
         SELECT i, 'carol', 'tenant.update', 'tenant', 'acme', \
         'a detail long enough to make the export a few megabytes of text, row ' || i FROM n",
    )
    .execute(&mut conn)
    .await
    .unwrap();
    drop(store);
    let srv = TestServer::start(&db.url).await;
    let viewer = srv.signed_in("viewer").await;
    let made: serde_json::Value = srv
        .call(
            &viewer,
            "create_token",
            &[
                ("form[name]", "exports"),
                ("form[role]", "viewer"),
                ("form[expires_in_days]", "1"),
            ],
        )
        .await
        .json()
        .await
        .unwrap();
    let token = made["secret"].as_str().unwrap().to_string();
    let bearer = reqwest::Client::new();
    let exports = (0..20).map(|_| {
        bearer
            .get(srv.url("/api/v1/audit/export?format=json"))
            .bearer_auth(&token)
            .send()
    });
    // Twenty at once; each answer's body is never read.
    let stalled: Vec<reqwest::Response> = futures::future::join_all(exports)
        .await
        .into_iter()
        .map(|r| r.unwrap())
        .collect();
    let running = stalled.iter().filter(|r| r.status() == 200).count();
    let refused = stalled.iter().filter(|r| r.status() == 409).count();
    assert_eq!((running, refused), (1, 19), "one export per person");

    // Meanwhile another person signs in and reads the tenants page.
    let admin = srv.signed_in("admin").await;
    let page = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        admin.get(srv.url("/tenants")).send(),
    )
    .await
    .expect("the page answers while exports stall")
    .unwrap();
    assert_eq!(page.status(), 200);
    let body = page.text().await.unwrap();
    assert!(!body.contains("no database connection"), "{body}");
    drop(stalled);
    srv.stop().await;
}
