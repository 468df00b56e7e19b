//! The optional Prometheus query source, against a local HTTP peer that
//! speaks Prometheus's instant-query API: without a reading source the
//! rules read from it say why they are unavailable; with one, a fleet
//! expression's series are matched to tenants by namespace, an error rate
//! over its threshold fires an alert that names the reading, a reading back
//! under it resolves the alert, a tenant's own expression is asked with its
//! namespace filled in, and a Prometheus that fails makes the rules say so.
#![allow(clippy::unwrap_used)] // in a test, a panic is the failure report

mod common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use app::domain::tenant_rules::ValidTenantFields;
use app::dto::{AlertState, RuleDto, RuleId, TenantState};
use axum::extract::{Query, State};
use common::{json, TestDb, TestOptions};
use server::alerts::{Prometheus, PrometheusStatus};
use server::store::{NewTenantRecord, Store};

/// What the fake answers: per query text, a value for the tenant's
/// namespace; `down` makes it fail as a broken Prometheus would.
#[derive(Clone, Default)]
struct Peer {
    values: Arc<Mutex<HashMap<String, f64>>>,
    asked: Arc<Mutex<Vec<String>>>,
    down: Arc<Mutex<bool>>,
    /// Answers more series than the console reads.
    flood: Arc<Mutex<bool>>,
}

async fn query(
    State(p): State<Peer>,
    Query(q): Query<HashMap<String, String>>,
) -> (axum::http::StatusCode, axum::Json<serde_json::Value>) {
    let expr = q.get("query").cloned().unwrap_or_default();
    p.asked.lock().unwrap().push(expr.clone());
    if *p.down.lock().unwrap() {
        let body = serde_json::json!({ "status": "error", "errorType": "execution",
            "error": "query timed out in expression evaluation" });
        return (
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            axum::Json(body),
        );
    }
    if *p.flood.lock().unwrap() {
        let many: Vec<serde_json::Value> = (0..20_001)
            .map(|i| {
                serde_json::json!({ "metric": { "namespace": format!("tenant-{i}") },
                                         "value": [1_796_000_000.0, "1"] })
            })
            .collect();
        let body = serde_json::json!({ "status": "success",
            "data": { "resultType": "vector", "result": many } });
        return (axum::http::StatusCode::OK, axum::Json(body));
    }
    let result: Vec<serde_json::Value> = p
        .values
        .lock()
        .unwrap()
        .get(&expr)
        .map(|v| {
            vec![serde_json::json!({
                "metric": { "namespace": "tenant-shop" },
                "value": [1_796_000_000.0, v.to_string()],
            })]
        })
        .unwrap_or_default();
    let body = serde_json::json!({ "status": "success",
        "data": { "resultType": "vector", "result": result } });
    (axum::http::StatusCode::OK, axum::Json(body))
}

async fn start_peer(peer: Peer) -> url::Url {
    let app = axum::Router::new()
        .route("/api/v1/query", axum::routing::get(query))
        .with_state(peer);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    url.parse().unwrap()
}

/// An active tenant "shop" in namespace tenant-shop.
async fn active_tenant(store: &Store) {
    let template = store.list_templates().await.unwrap()[0].id;
    let fields = ValidTenantFields {
        company_name: "Shop".into(),
        owner_email: "owner@example.com".into(),
        owner_name: "Owner".into(),
        custom_domain: None,
    };
    store
        .insert_tenant(
            NewTenantRecord {
                id: "shop",
                namespace: "tenant-shop",
                fields: &fields,
                template_id: template,
                release: None,
                custom_fields: &server::manifests::NO_CUSTOM_FIELDS,
            },
            "test",
        )
        .await
        .unwrap();
    assert!(store
        .observe_tenant_if_changed(
            "shop",
            (TenantState::Active, None),
            &[TenantState::Pending],
            None
        )
        .await
        .unwrap());
}

/// A console with the active tenant "shop", reading every 300 ms from a
/// local peer that answers `rule`'s default (fleet) expression with
/// `value`: the peer, that expression, the database and the console.
async fn console_reading(rule: RuleId, value: f64) -> (Peer, String, TestDb, common::TestServer) {
    let peer = Peer::default();
    let fleet = app::domain::alerts::info(rule)
        .expression
        .unwrap()
        .to_string();
    peer.values.lock().unwrap().insert(fleet.clone(), value);
    let mut prometheus =
        Prometheus::new(start_peer(peer.clone()).await, PrometheusStatus::default()).unwrap();
    prometheus.every = Duration::from_millis(300);
    let db = TestDb::sqlite();
    let srv = TestOptions {
        prometheus: Some(prometheus),
        ..TestOptions::default()
    }
    .start(&db.url)
    .await;
    active_tenant(&srv.store).await;
    (peer, fleet, db, srv)
}

/// The error-rate alert of "shop" once `ok` holds for it.
async fn alert_when(
    store: &Store,
    what: &str,
    ok: impl Fn(&server::store::OpenAlert) -> bool,
) -> Option<server::store::OpenAlert> {
    rule_alert_when(store, RuleId::ErrorRate, what, ok).await
}

/// The alert of `rule` for "shop" once `ok` holds for it.
async fn rule_alert_when(
    store: &Store,
    rule: RuleId,
    what: &str,
    ok: impl Fn(&server::store::OpenAlert) -> bool,
) -> Option<server::store::OpenAlert> {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(20) {
        let found = store
            .open_alerts()
            .await
            .unwrap()
            .into_iter()
            .find(|a| a.rule == rule && a.tenant_id.as_deref() == Some("shop"));
        match found {
            Some(a) if ok(&a) => return Some(a),
            None if what == "gone" => return None,
            _ => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
    panic!("the {rule} alert never became {what}");
}

fn error_rate(rules: &[RuleDto]) -> &RuleDto {
    rules.iter().find(|r| r.id == RuleId::ErrorRate).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readings_from_prometheus_fire_and_resolve_alerts_and_failures_are_shown() {
    // Without a source: unavailable, and why.
    let db = TestDb::sqlite();
    let srv = TestOptions::default().start(&db.url).await;
    active_tenant(&srv.store).await;
    let admin = srv.signed_in("admin").await;
    let args = [("scope", "tenant"), ("scope_id", "shop")];
    let rules: Vec<RuleDto> = json(srv.call(&admin, "alert_rules", &args).await, "rules").await;
    let why = error_rate(&rules).unavailable.clone().unwrap();
    assert!(why.contains("--prometheus-url"), "{why}");
    srv.stop().await;

    let (peer, fleet, _db, srv) = console_reading(RuleId::ErrorRate, 7.5).await;
    let admin = srv.signed_in("admin").await;
    let rules: Vec<RuleDto> = json(srv.call(&admin, "alert_rules", &args).await, "rules").await;
    assert_eq!(error_rate(&rules).unavailable, None);
    assert_eq!(
        error_rate(&rules).expression.as_deref(),
        Some(fleet.as_str())
    );
    assert!(!error_rate(&rules).effective.enabled, "off until turned on");

    // On for this tenant, threshold 5 %: 7.5 % fires, naming the reading.
    let set = |expression: &'static str| {
        let admin = admin.clone();
        let srv = &srv;
        async move {
            let form = [
                ("scope", "tenant"),
                ("scope_id", "shop"),
                ("form[rule]", "error_rate"),
                ("form[enabled]", "on"),
                ("form[for_secs]", "0"),
                ("form[threshold]", "5"),
                ("form[expression]", expression),
            ];
            let _: Vec<RuleDto> =
                json(srv.call(&admin, "set_alert_rule", &form).await, "override").await;
        }
    };
    set("").await;
    let fired = alert_when(&srv.store, "firing", |a| a.state == AlertState::Firing)
        .await
        .unwrap();
    assert!(fired.summary.contains("7.50"), "{}", fired.summary);
    assert!(
        peer.asked.lock().unwrap().iter().all(|q| *q == fleet),
        "one fleet query, no per-tenant ones"
    );

    // Back under the threshold: resolved.
    peer.values.lock().unwrap().insert(fleet.clone(), 1.0);
    alert_when(&srv.store, "gone", |_| false).await;

    // The tenant's own expression is asked with its namespace filled in.
    let own = "sum(rate(app_errors_total{namespace=\"tenant-shop\"}[5m]))";
    peer.values.lock().unwrap().insert(own.into(), 9.0);
    set("sum(rate(app_errors_total{namespace=\"{namespace}\"}[5m]))").await;
    let fired = alert_when(&srv.store, "firing with 9.00", |a| {
        a.state == AlertState::Firing && a.summary.contains("9.00")
    })
    .await;
    assert!(fired.is_some());
    assert!(peer.asked.lock().unwrap().iter().any(|q| q == own));

    // A Prometheus that fails: the rules say so.
    *peer.down.lock().unwrap() = true;
    let start = Instant::now();
    loop {
        let rules: Vec<RuleDto> = json(srv.call(&admin, "alert_rules", &args).await, "rules").await;
        if let Some(why) = error_rate(&rules).unavailable.clone() {
            assert!(why.contains("timed out"), "{why}");
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "the failure was never shown"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    srv.stop().await;
}

#[tokio::test]
async fn an_answer_with_too_many_series_is_refused_not_read() {
    let peer = Peer::default();
    *peer.flood.lock().unwrap() = true;
    let url = start_peer(peer).await;
    let prom = Prometheus::new(url, PrometheusStatus::default()).unwrap();
    let err = prom.query("up").await.unwrap_err();
    assert!(err.contains("20001 series"), "{err}");
}

/// Traffic against the plan's edge limit: the reading (requests a minute
/// at the edge) is judged as a fraction of the plan's `requests-per-minute`
/// (540 of 600 fires at 0.8, naming 0.90; 300 resolves), and a tenant
/// whose plan sets no such limit is not asked.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn traffic_near_the_plans_edge_limit_fires_an_alert() {
    let (peer, fleet, _db, srv) = console_reading(RuleId::EdgeRate, 540.0).await;
    let admin = srv.signed_in("admin").await;
    let on = [
        ("scope", "tenant"),
        ("scope_id", "shop"),
        ("form[rule]", "edge_rate"),
        ("form[enabled]", "on"),
        ("form[for_secs]", "0"),
        ("form[threshold]", "0.8"),
    ];
    let _: Vec<RuleDto> = json(srv.call(&admin, "set_alert_rule", &on).await, "on").await;
    // Its plan sets no rate yet: not asked, no alert.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(
        !peer.asked.lock().unwrap().contains(&fleet),
        "a tenant without the limit was read"
    );

    // The plan's next version sets 600 a minute; the tenant moves to it.
    let t = srv.store.list_templates().await.unwrap()[0].clone();
    let mut form = app::dto::TemplateForm::from_template(&t);
    form.limits = "requests-per-minute=600".into();
    let v2 = srv
        .store
        .update_template(t.id, &form.validate().unwrap(), Some(t.version), "test")
        .await
        .unwrap();
    let tenant = srv.store.get_tenant("shop").await.unwrap();
    srv.store
        .set_tenant_spec(
            "shop",
            ((v2.id, v2.version), tenant.release),
            (None, None),
            &tenant.custom_fields,
            ("test", "to v2"),
        )
        .await
        .unwrap();
    let fired = rule_alert_when(&srv.store, RuleId::EdgeRate, "firing", |a| {
        a.state == AlertState::Firing
    })
    .await
    .unwrap();
    assert!(fired.summary.contains("0.90"), "{}", fired.summary);
    peer.values.lock().unwrap().insert(fleet.clone(), 300.0);
    rule_alert_when(&srv.store, RuleId::EdgeRate, "gone", |_| false).await;
    srv.stop().await;
}
