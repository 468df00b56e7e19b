//! Every write the API offers leaves an audit event. The test reads the
//! OpenAPI document, takes every POST, PUT, PATCH and DELETE operation, and
//! needs a case for each (a new operation without one fails here): it sets
//! up what the operation needs, calls it as an admin, and checks the event
//! it must have written. Runs are recorded, not executed (no runner), so
//! the engine's half is the cluster's test, not this one's.
#![allow(clippy::unwrap_used)] // in a test, a panic is the failure report

mod common;

use std::collections::BTreeSet;
use std::time::Duration;

use app::dto::BackupMethod;
use common::cluster::test_cluster;
use common::{tenant_on, TestDb, TestOptions, TestServer, PASSWORD};
use serde_json::{json, Value};
use server::store::NewBackup;

/// Operations that write nothing worth an event: a dry-run.
const READS: &[(&str, &str)] = &[
    ("post", "/api/v1/tenants/{id}/change/preview"),
    ("post", "/api/v1/tenant-dry-runs"),
    ("post", "/api/v1/applications/{application}/releases/check"),
    ("post", "/api/v1/rollouts/plan"),
];

struct Case {
    method: &'static str,
    path: String,
    /// The path with its parameters filled in.
    url: String,
    body: Value,
    if_match: Option<String>,
    action: &'static str,
}

async fn sql(db: &TestDb, query: &str, binds: &[&str]) {
    let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&db.url)
        .await
        .unwrap();
    let mut q = sqlx::query(query);
    for b in binds {
        q = q.bind(*b);
    }
    q.execute(&mut conn).await.unwrap();
}

async fn tenant_in(db: &TestDb, stem: &str, state: &str) -> String {
    let (_, id) = tenant_on(db, "professional", stem).await;
    sql(
        db,
        "UPDATE tenants SET state = $1 WHERE id = $2",
        &[state, &id],
    )
    .await;
    id
}

/// A run of `tenant` as the engine left it, with one step in `step_state`.
async fn run_of(db: &TestDb, tenant: &str, op: &str, state: &str, step_state: &str) -> i64 {
    let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&db.url)
        .await
        .unwrap();
    let now = server::store::now_ms();
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO provisioning_runs (tenant_id, operation, state, options, requested_by, created_at, started_at, finished_at) \
         VALUES ($1, $2, $3, '{}', 'test', $4, $4, $5) RETURNING id",
    )
    .bind(tenant)
    .bind(op)
    .bind(state)
    .bind(now)
    .bind(if state == "failed" { Some(now) } else { None })
    .fetch_one(&mut conn)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO provisioning_steps (run_id, position, name, state, attempts, last_error) VALUES ($1, 0, 'namespace', $2, 1, $3)",
    )
    .bind(id)
    .bind(step_state)
    .bind(if step_state == "failed" { Some("boom") } else { None })
    .execute(&mut conn)
    .await
    .unwrap();
    id
}

/// A firing alert, made now; its id.
async fn firing_alert(srv: &TestServer, db: &TestDb) -> i64 {
    let now = server::store::now_ms();
    let fingerprint = format!("audit-{now}");
    let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&db.url)
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO alerts (fingerprint, tenant_id, rule, subject, severity, state, summary, started_at, fired_at, updated_at) \
         VALUES ($1, NULL, 'watch_stale', 'watch', 'critical', 'firing', $1, $2, $2, $2)",
    )
    .bind(&fingerprint)
    .bind(now)
    .execute(&mut conn)
    .await
    .unwrap();
    srv.store
        .list_alerts(&Default::default())
        .await
        .unwrap()
        .items
        .into_iter()
        .find(|a| a.summary == fingerprint)
        .unwrap()
        .id
}

async fn etag(client: &reqwest::Client, url: &str) -> String {
    let res = client.get(url).send().await.unwrap();
    assert_eq!(res.status(), 200, "{url}");
    res.headers()["etag"].to_str().unwrap().to_string()
}

fn case(
    method: &'static str,
    path: impl Into<String>,
    url: String,
    body: Value,
    action: &'static str,
) -> Case {
    Case {
        method,
        path: path.into(),
        url,
        body,
        if_match: None,
        action,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_write_of_the_api_is_audited() {
    let Some(cluster) = test_cluster().await else {
        return;
    };
    let db = TestDb::sqlite();
    let srv = TestOptions {
        run_runner: false,
        ..TestOptions::default()
    }
    .engine(cluster, Default::default())
    .start(&db.url)
    .await;
    let admin = srv.signed_in("admin").await;
    let base = |p: &str| srv.url(p);
    let doc: Value = admin
        .get(base("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let template = srv.store.list_templates().await.unwrap()[0].clone();

    let mut cases = vec![];
    let form = json!({
        "company_name": "Audited", "owner_email": "o@example.com", "owner_name": "O",
        "template_id": template.id.to_string(), "tenant_id": common::cluster::unique_id("aud-new"),
    });
    cases.push(case(
        "post",
        "/api/v1/tenants",
        base("/api/v1/tenants"),
        form,
        "tenant.create",
    ));
    let t = tenant_in(&db, "aud-upd", "pending").await;
    let url = base(&format!("/api/v1/tenants/{t}"));
    cases.push(Case {
        if_match: Some(etag(&admin, &url).await),
        ..case(
            "patch",
            "/api/v1/tenants/{id}",
            url,
            json!({ "company_name": "Renamed", "owner_email": "o@example.com", "owner_name": "O" }),
            "tenant.update",
        )
    });
    let t = tenant_in(&db, "aud-del", "pending").await;
    cases.push(case(
        "delete",
        "/api/v1/tenants/{id}",
        base(&format!("/api/v1/tenants/{t}")),
        json!({}),
        "tenant.delete",
    ));
    for (op, state, action) in [
        ("provision", "pending", "tenant.provision"),
        ("suspend", "active", "tenant.suspend"),
        ("resume", "suspended", "tenant.resume"),
        ("backup", "active", "tenant.backup"),
    ] {
        let t = tenant_in(&db, &format!("aud-{op}"), state).await;
        let path = format!("/api/v1/tenants/{{id}}/{op}");
        cases.push(case(
            "post",
            path,
            base(&format!("/api/v1/tenants/{t}/{op}")),
            json!({}),
            action,
        ));
    }
    let t = tenant_in(&db, "aud-clean", "failed").await;
    run_of(&db, &t, "provision", "failed", "failed").await;
    cases.push(case(
        "post",
        "/api/v1/tenants/{id}/cleanup",
        base(&format!("/api/v1/tenants/{t}/cleanup")),
        json!({}),
        "tenant.cleanup",
    ));
    let t = tenant_in(&db, "aud-change", "active").await;
    cases.push(case(
        "post",
        "/api/v1/tenants/{id}/change",
        base(&format!("/api/v1/tenants/{t}/change")),
        json!({ "api_replicas": "3" }),
        "tenant.change",
    ));
    // The white-label kit's release declares API keys: the first one
    // issued by rotation (its Secret is written by the next run: no
    // namespace here).
    let (_, t) = tenant_on(&db, "wl-basic", "aud-key").await;
    sql(
        &db,
        "UPDATE tenants SET state = 'active' WHERE id = $1",
        &[&t],
    )
    .await;
    cases.push(case(
        "post",
        "/api/v1/tenants/{id}/api-keys/{name}/rotation",
        base(&format!("/api/v1/tenants/{t}/api-keys/production/rotation")),
        json!({ "overlap_hours": "1" }),
        "tenant.api_key_issued",
    ));
    // …and a tenant admin, whose password a rotation makes anew.
    let (_, t) = tenant_on(&db, "wl-basic", "aud-rotate").await;
    sql(
        &db,
        "UPDATE tenants SET state = 'active' WHERE id = $1",
        &[&t],
    )
    .await;
    cases.push(case(
        "post",
        "/api/v1/tenants/{id}/secret-rotation",
        base(&format!("/api/v1/tenants/{t}/secret-rotation")),
        json!({ "secrets": ["tenant-admin"] }),
        "tenant.rotate",
    ));
    let t = tenant_in(&db, "aud-domain", "active").await;
    sql(
        &db,
        "UPDATE tenants SET custom_domain = 'held.example.org', domain_verified = NULL WHERE id = $1",
        &[&t],
    )
    .await;
    cases.push(case(
        "post",
        "/api/v1/tenants/{id}/domain-override",
        base(&format!("/api/v1/tenants/{t}/domain-override")),
        json!({}),
        "tenant.domain_override",
    ));
    // Rollouts: one started through the API (to a second release of the
    // workshop SaaS), one recorded here and steered: a waiting tenant
    // skipped, a failed one rolled back, resumed, paused, aborted.
    let moved = tenant_in(&db, "aud-roll", "active").await;
    let workshop = srv.store.get_application("workshop-saas").await.unwrap();
    let release =
        server::applications::parse_release(server::applications::WORKSHOP_RELEASE).unwrap();
    srv.store
        .create_release(
            workshop.id,
            (&release, server::applications::WORKSHOP_RELEASE, "again"),
            Some(workshop.latest_release),
            "test",
        )
        .await
        .unwrap();
    cases.push(case(
        "post",
        "/api/v1/rollouts",
        base("/api/v1/rollouts"),
        json!({ "application": "workshop-saas", "release": "2", "tenants": [moved], "waves": "1" }),
        "rollout.start",
    ));
    let (first, second) = (
        tenant_in(&db, "aud-wave1", "active").await,
        tenant_in(&db, "aud-wave2", "active").await,
    );
    let third = tenant_in(&db, "aud-back", "active").await;
    let pro = srv.store.get_tenant(&first).await.unwrap();
    let entry = |tenant_id: &str, wave| server::store::NewRolloutTenant {
        tenant_id: tenant_id.to_string(),
        wave,
        from_state: app::dto::TenantState::Active,
        from_release: 1,
        from_template: (pro.template_id, pro.template_version),
        change: "release 1 → 2".into(),
    };
    let steered = srv
        .store
        .create_rollout(
            &server::store::NewRollout {
                application: "workshop-saas",
                release: Some(2),
                template_id: None,
                waves: 2,
                parallelism: 1,
                soak_secs: 0,
            },
            &[entry(&first, 1), entry(&third, 1), entry(&second, 2)],
            "test",
        )
        .await
        .unwrap()
        .id;
    // Held by hand first (the leader's driver would start the wave), then
    // the third failed (as a run of its own would have it): rolled back.
    srv.store
        .move_rollout(
            steered,
            (
                app::dto::RolloutState::Running,
                app::dto::RolloutState::Paused,
            ),
            ("test", "rollout.pause", None),
        )
        .await
        .unwrap();
    srv.store
        .move_rollout_tenant(
            (steered, &third),
            &[app::dto::RolloutTenantState::Pending],
            app::dto::RolloutTenantState::Failed,
            (None, Some("step wait-api warned")),
        )
        .await
        .unwrap();
    for (what, action) in [
        ("tenants/{tenant}/skip", "rollout.skip"),
        ("tenants/{back}/rollback", "rollout.rollback"),
        ("resume", "rollout.resume"),
        ("pause", "rollout.pause"),
        ("abort", "rollout.abort"),
    ] {
        cases.push(case(
            "post",
            format!(
                "/api/v1/rollouts/{{id}}/{}",
                what.replace("{back}", "{tenant}")
            ),
            base(&format!(
                "/api/v1/rollouts/{steered}/{}",
                what.replace("{tenant}", &second).replace("{back}", &third)
            )),
            json!({}),
            action,
        ));
    }
    let t = tenant_in(&db, "aud-dep", "active").await;
    cases.push(case(
        "post",
        "/api/v1/tenants/{id}/deprovision",
        base(&format!("/api/v1/tenants/{t}/deprovision")),
        json!({ "confirm": t }),
        "tenant.deprovision",
    ));
    let t = tenant_in(&db, "aud-restore", "active").await;
    let b = srv
        .store
        .record_backup(
            &NewBackup {
                tenant_id: t.clone(),
                job: "db-backup-1".into(),
                method: BackupMethod::Scheduled,
                run_id: None,
                taken_at: server::store::now_ms(),
                location: format!("s3://b/{t}/x.dump"),
                size_bytes: 1,
                sha256: "0".repeat(64),
            },
            7,
        )
        .await
        .unwrap()
        .0;
    cases.push(case(
        "post",
        "/api/v1/tenants/{id}/restore",
        base(&format!("/api/v1/tenants/{t}/restore")),
        json!({ "backup_id": b.id, "confirm": t }),
        "tenant.restore",
    ));
    let t = tenant_in(&db, "aud-bulk", "active").await;
    cases.push(case(
        "post",
        "/api/v1/tenants/bulk",
        base("/api/v1/tenants/bulk"),
        json!({ "action": "suspend", "ids": [t], "confirm": "" }),
        "tenant.suspend",
    ));

    let t = tenant_in(&db, "aud-retry", "failed").await;
    let run = run_of(&db, &t, "update", "failed", "failed").await;
    cases.push(case(
        "post",
        "/api/v1/runs/{id}/steps/{position}/retry",
        base(&format!("/api/v1/runs/{run}/steps/0/retry")),
        json!({}),
        "run.retry_step",
    ));
    let t = tenant_in(&db, "aud-recover", "failed").await;
    let run = run_of(&db, &t, "update", "failed", "failed").await;
    cases.push(case(
        "post",
        "/api/v1/runs/{id}/recover",
        base(&format!("/api/v1/runs/{run}/recover")),
        json!({}),
        "run.recover",
    ));
    let t = tenant_in(&db, "aud-cancel", "active").await;
    let run = run_of(&db, &t, "suspend", "pending", "pending").await;
    cases.push(case(
        "post",
        "/api/v1/runs/{id}/cancel",
        base(&format!("/api/v1/runs/{run}/cancel")),
        json!({}),
        "run.cancel",
    ));

    let mut tpl = serde_json::to_value(app::dto::TemplateForm::from_template(&template)).unwrap();
    tpl["key"] = json!("audited");
    tpl["name"] = json!("Audited");
    cases.push(case(
        "post",
        "/api/v1/templates",
        base("/api/v1/templates"),
        tpl.clone(),
        "template.create",
    ));
    let url = base(&format!("/api/v1/templates/{}", template.id));
    let mut edit = serde_json::to_value(app::dto::TemplateForm::from_template(&template)).unwrap();
    edit["description"] = json!("Edited for the audit test");
    cases.push(Case {
        if_match: Some(etag(&admin, &url).await),
        ..case(
            "put",
            "/api/v1/templates/{id}",
            url,
            edit,
            "template.update",
        )
    });
    // A seeded template no fixture uses (they use the first and Professional).
    let spare = srv
        .store
        .list_templates()
        .await
        .unwrap()
        .into_iter()
        .find(|t| t.key == "free" && t.id != template.id)
        .expect("the seeded Free template");
    cases.push(case(
        "delete",
        "/api/v1/templates/{id}",
        base(&format!("/api/v1/templates/{}", spare.id)),
        json!({}),
        "template.delete",
    ));

    cases.push(case(
        "post",
        "/api/v1/applications",
        base("/api/v1/applications"),
        json!({ "key": "audited", "name": "Audited" }),
        "application.create",
    ));
    cases.push(case(
        "post",
        "/api/v1/applications/{application}/releases",
        base("/api/v1/applications/workshop-saas/releases"),
        json!({ "source": server::applications::WORKSHOP_RELEASE, "notes": "audited" }),
        "release.create",
    ));
    cases.push(case(
        "post",
        "/api/v1/auth/token",
        base("/api/v1/auth/token"),
        json!({ "username": "viewer", "password": PASSWORD, "name": "exchanged" }),
        "token.create",
    ));
    cases.push(case(
        "post",
        "/api/v1/tokens",
        base("/api/v1/tokens"),
        json!({ "name": "made", "role": "viewer", "expires_in_days": 1 }),
        "token.create",
    ));
    let made: Value = admin
        .post(base("/api/v1/tokens"))
        .json(&json!({ "name": "to revoke", "role": "viewer", "expires_in_days": 1 }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = made["token"]["id"].as_i64().unwrap();
    cases.push(case(
        "delete",
        "/api/v1/tokens/{id}",
        base(&format!("/api/v1/tokens/{token}")),
        json!({}),
        "token.revoke",
    ));
    cases.push(case(
        "post",
        "/api/v1/staff",
        base("/api/v1/staff"),
        json!({ "username": "audited", "role": "viewer" }),
        "staff.create",
    ));
    let operator = srv
        .store
        .list_staff()
        .await
        .unwrap()
        .into_iter()
        .find(|s| s.username == "operator")
        .unwrap()
        .id;
    cases.push(case(
        "patch",
        "/api/v1/staff/{id}",
        base(&format!("/api/v1/staff/{operator}")),
        json!({ "role": "viewer" }),
        "staff.set_role",
    ));
    cases.push(case(
        "post",
        "/api/v1/staff/{id}/reset-password",
        base(&format!("/api/v1/staff/{operator}/reset-password")),
        json!({}),
        "staff.reset_password",
    ));

    // Alerts are made just before their call (the leader's evaluator would
    // resolve one left waiting): "{alert}" in the URL is filled then.
    for (action, expected) in [("ack", "alert.acknowledge"), ("resolve", "alert.resolve")] {
        let path = format!("/api/v1/alerts/{{id}}/{action}");
        cases.push(case(
            "post",
            path,
            base(&format!("/api/v1/alerts/{{alert}}/{action}")),
            json!({ "note": "seen" }),
            expected,
        ));
    }

    // The table covers every write the document offers.
    let mut documented = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for m in ["post", "put", "patch", "delete"] {
            if item.get(m).is_some() && !READS.contains(&(m, path.as_str())) {
                documented.insert(format!("{} {path}", m.to_uppercase()));
            }
        }
    }
    let covered: BTreeSet<String> = cases
        .iter()
        .map(|c| format!("{} {}", c.method.to_uppercase(), c.path))
        .collect();
    assert_eq!(covered, documented, "a case for every write of /api/v1");

    for c in cases {
        let before = srv
            .store
            .search_audit(&Default::default(), 1, 1)
            .await
            .unwrap()
            .items
            .first()
            .map_or(0, |e| e.id);
        let url = if c.url.contains("{alert}") {
            c.url
                .replace("{alert}", &firing_alert(&srv, &db).await.to_string())
        } else {
            c.url.clone()
        };
        let mut req = match c.method {
            "post" => admin.post(&url),
            "put" => admin.put(&url),
            "patch" => admin.patch(&url),
            _ => admin.delete(&url),
        }
        .json(&c.body);
        if let Some(tag) = &c.if_match {
            req = req.header("If-Match", tag);
        }
        let res = req.send().await.unwrap();
        let status = res.status();
        let text = res.text().await.unwrap();
        assert!(
            status.is_success(),
            "{} {}: {status} {text}",
            c.method,
            c.path
        );
        // The event is written with the change, in its transaction.
        tokio::time::sleep(Duration::from_millis(20)).await;
        let new: Vec<String> = srv
            .store
            .search_audit(&Default::default(), 1, 50)
            .await
            .unwrap()
            .items
            .into_iter()
            .filter(|e| e.id > before)
            .map(|e| e.action)
            .collect();
        assert!(
            new.iter().any(|a| a == c.action),
            "{} {} wrote {new:?}, not {}",
            c.method,
            c.path,
            c.action
        );
    }
    srv.stop().await;
}
