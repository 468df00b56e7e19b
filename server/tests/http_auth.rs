//! Black-box tests of the console over HTTP on an ephemeral port: sessions,
//! roles, origin checks, throttling, and sessions that outlive a restart.
#![allow(clippy::unwrap_used)] // in a test, a panic is the failure report

mod common;

use std::time::Duration;

use common::{TestDb, TestServer, PASSWORD};
use server::auth::{ThrottlePolicy, PUBLIC_API};

/// Every registered server function, from Leptos' own registry, so a new
/// one cannot be forgotten here.
fn all_server_fns() -> Vec<String> {
    let mut paths: Vec<String> = leptos::server_fn::axum::server_fn_paths()
        .map(|(p, _)| p.to_string())
        .collect();
    paths.sort();
    paths.dedup();
    assert!(
        paths.len() >= 20,
        "expected the console's server functions, found {paths:?}"
    );
    paths
}

/// Server functions that change something, with arguments a viewer might send.
const MUTATING: &[(&str, &[(&str, &str)])] = &[
    (
        "create_template",
        &[("form[key]", "x1"), ("form[name]", "X")],
    ),
    ("update_template", &[("id", "1"), ("form[key]", "demo")]),
    ("delete_template", &[("id", "1")]),
    (
        "create_tenant",
        &[("form[company_name]", "Acme"), ("form[template_id]", "1")],
    ),
    (
        "update_tenant",
        &[("id", "acme-abcdef"), ("form[company_name]", "Acme")],
    ),
    ("delete_tenant", &[("id", "acme-abcdef")]),
    (
        "create_staff",
        &[("username", "mallory"), ("role", "admin")],
    ),
    ("set_staff_role", &[("id", "3"), ("role", "admin")]),
    ("set_staff_active", &[("id", "1"), ("active", "false")]),
    ("reset_staff_password", &[("id", "1")]),
    ("provision_tenant", &[("id", "acme-abcdef")]),
    ("suspend_tenant", &[("id", "acme-abcdef")]),
    ("resume_tenant", &[("id", "acme-abcdef")]),
    ("cleanup_tenant", &[("id", "acme-abcdef")]),
    (
        "change_tenant",
        &[("id", "acme-abcdef"), ("form[web_replicas]", "3")],
    ),
    (
        "deprovision_tenant",
        &[("id", "acme-abcdef"), ("form[confirm]", "acme-abcdef")],
    ),
    ("retry_step", &[("id", "1"), ("position", "0")]),
    ("recover_run", &[("id", "1")]),
    ("cancel_run", &[("id", "1")]),
    ("reveal_credentials", &[("id", "acme-abcdef")]),
    (
        "bulk_action",
        &[("form[action]", "suspend"), ("form[ids][0]", "acme-abcdef")],
    ),
    ("ack_alert", &[("id", "1")]),
    ("resolve_alert", &[("id", "1")]),
    (
        "silence_alerts",
        &[
            ("form[rule]", "tenant_down"),
            ("form[minutes]", "5"),
            ("form[reason]", "x"),
        ],
    ),
    ("end_silence", &[("id", "1")]),
    (
        "set_alert_rule",
        &[
            ("scope", "template"),
            ("scope_id", "1"),
            ("form[rule]", "tenant_down"),
        ],
    ),
    (
        "save_channel",
        &[("form[name]", "x"), ("form[kind]", "webhook")],
    ),
    ("delete_channel", &[("id", "1")]),
    ("test_channel", &[("id", "1")]),
];

#[tokio::test]
async fn anonymous_calls_get_401_and_pages_redirect_to_sign_in() {
    let db = TestDb::sqlite();
    let srv = TestServer::start(&db.url).await;
    let client = srv.client();
    for path in all_server_fns() {
        if PUBLIC_API.contains(&path.as_str()) {
            continue;
        }
        let res = client
            .post(srv.url(&path))
            .form(&[("id", "1")])
            .send()
            .await
            .expect("request");
        assert_eq!(
            res.status(),
            401,
            "{path} answered an anonymous call with {}",
            res.status()
        );
        let body: app::error::AppError = res.json().await.expect("an AppError body");
        assert_eq!(body, app::error::AppError::Unauthorized);
    }
    for page in [
        "/",
        "/tenants",
        "/tenants/new",
        "/templates",
        "/templates/1",
        "/staff",
        "/audit",
        "/alerts",
    ] {
        let res = client.get(srv.url(page)).send().await.expect("request");
        assert_eq!(res.status(), 303, "{page}");
        let location = res
            .headers()
            .get("location")
            .and_then(|l| l.to_str().ok())
            .unwrap_or_default();
        assert!(location.starts_with("/login?next="), "{page} → {location}");
    }
    let me = srv.call(&client, "whoami", &[]).await;
    assert_eq!(me.status(), 200);
    assert_eq!(me.text().await.expect("body"), "null");
    assert_eq!(
        client
            .get(srv.url("/healthz"))
            .send()
            .await
            .expect("healthz")
            .status(),
        200
    );
    assert_eq!(
        client
            .get(srv.url("/readyz"))
            .send()
            .await
            .expect("readyz")
            .status(),
        200
    );
    srv.stop().await;
}

#[tokio::test]
async fn viewers_cannot_change_anything_and_operators_cannot_manage_staff() {
    let db = TestDb::sqlite();
    let srv = TestServer::start(&db.url).await;
    let viewer = srv.signed_in("viewer").await;
    for (name, args) in MUTATING {
        let res = srv.call(&viewer, name, args).await;
        assert_eq!(
            res.status(),
            403,
            "viewer calling {name}: {}",
            res.text().await.unwrap_or_default()
        );
    }
    // Reading is allowed.
    let res = srv.call(&viewer, "list_templates", &[]).await;
    assert_eq!(
        res.status(),
        200,
        "{}",
        res.text().await.unwrap_or_default()
    );
    assert_eq!(srv.call(&viewer, "list_tenants", &[]).await.status(), 200);

    let operator = srv.signed_in("operator").await;
    for name in [
        "create_staff",
        "set_staff_role",
        "set_staff_active",
        "reset_staff_password",
        "list_staff",
        "save_channel",
        "delete_channel",
        "test_channel",
        "set_alert_rule",
    ] {
        let args = MUTATING
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, a)| *a)
            .unwrap_or(&[]);
        let res = srv.call(&operator, name, args).await;
        assert_eq!(res.status(), 403, "operator calling {name}");
        let err: app::error::AppError = res.json().await.expect("AppError");
        assert!(err.to_string().contains("needs the admin role"), "{err}");
    }
    // An operator may create a tenant; the server validates and audits it.
    let res = srv
        .call(
            &operator,
            "create_tenant",
            &[
                ("form[company_name]", "Acme Workshop"),
                ("form[owner_email]", "owner@acme.example"),
                ("form[owner_name]", "Ann Owner"),
                ("form[template_id]", "3"),
            ],
        )
        .await;
    assert_eq!(
        res.status(),
        200,
        "{}",
        res.text().await.unwrap_or_default()
    );
    let bad = srv
        .call(
            &operator,
            "create_tenant",
            &[("form[company_name]", ""), ("form[owner_email]", "x")],
        )
        .await;
    assert_eq!(bad.status(), 422);
    let err: app::error::AppError = bad.json().await.expect("AppError");
    assert!(
        err.field_message("owner_email").is_some() && err.field_message("company_name").is_some(),
        "{err}"
    );
    srv.stop().await;
}

#[tokio::test]
async fn cross_origin_posts_are_rejected() {
    let db = TestDb::sqlite();
    let srv = TestServer::start(&db.url).await;
    let plain = reqwest::Client::new();
    let form = [("username", "admin"), ("password", PASSWORD)];
    for (header, value) in [
        ("origin", "http://evil.example"),
        ("origin", "null"),
        ("referer", "http://evil.example/page"),
    ] {
        let res = plain
            .post(srv.url("/api/login"))
            .header(header, value)
            .form(&form)
            .send()
            .await
            .expect("request");
        assert_eq!(res.status(), 403, "{header}: {value}");
    }
    let res = plain
        .post(srv.url("/api/login"))
        .header("sec-fetch-site", "cross-site")
        .form(&form)
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), 403, "Sec-Fetch-Site: cross-site");
    // The same request from the console's own origin signs in.
    let (own, _) = srv.login(&srv.client(), &form).await;
    assert_eq!(own, 200);
    srv.stop().await;
}

#[tokio::test]
async fn repeated_failed_sign_ins_are_throttled() {
    let db = TestDb::sqlite();
    let policy = ThrottlePolicy {
        free_per_account: 3,
        ..ThrottlePolicy::default()
    };
    let srv = TestServer::start_with(&db.url, policy).await;
    let client = srv.client();
    for _ in 0..3 {
        let (status, _) = srv
            .login(
                &client,
                &[("username", "admin"), ("password", "wrong password!")],
            )
            .await;
        assert_eq!(status, 401);
    }
    // Now even the right password is refused for a while.
    let res = srv
        .call(
            &client,
            "login",
            &[("username", "admin"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(res.status(), 429);
    let err: app::error::AppError = res.json().await.expect("AppError");
    assert!(err.to_string().contains("Try again in"), "{err}");
    // Another account from another address is not affected… but this address is
    // only locked after more failures, so operator can still sign in here.
    assert_eq!(
        srv.login(&client, &[("username", "operator"), ("password", PASSWORD)])
            .await
            .0,
        200
    );
    let failed = srv
        .store
        .list_audit("auth.login_failed", 1, 10)
        .await
        .expect("audit");
    // Audited, folded into one event per account and address, with a count.
    assert_eq!(failed.total, 1, "one event: {:?}", failed.items);
    assert!(
        failed.items[0].detail.ends_with("(3 failed attempts)"),
        "{}",
        failed.items[0].detail
    );
    srv.stop().await;
}

#[tokio::test]
async fn wrong_current_passwords_lock_like_sign_in() {
    let db = TestDb::sqlite();
    let srv = TestServer::start(&db.url).await;
    let op = srv.signed_in("operator").await;
    let change = |current: &'static str| {
        let op = op.clone();
        let srv = &srv;
        async move {
            srv.call(
                &op,
                "change_password",
                &[
                    ("current_password", current),
                    ("new_password", "a brand new passphrase 2026"),
                ],
            )
            .await
        }
    };
    let mut answers = vec![];
    for _ in 0..20 {
        answers.push(change("not my password at all").await.status().as_u16());
    }
    assert_eq!(answers[0], 422, "a wrong current password names the field");
    assert!(
        answers.iter().filter(|s| **s == 429).count() >= 10,
        "guessing locks, as sign-in does: {answers:?}"
    );
    // While locked, even the right one is refused, and so is signing in as
    // that account from this address.
    assert_eq!(change(PASSWORD).await.status(), 429);
    let (status, _) = srv
        .login(
            &srv.client(),
            &[("username", "operator"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(status, 429);
    let failed = srv
        .store
        .list_audit("auth.login_failed", 1, 50)
        .await
        .expect("audit");
    let count: i64 = failed
        .items
        .iter()
        .filter(|e| e.target_id == "operator")
        .filter_map(|e| {
            e.detail
                .split('(')
                .nth(1)?
                .split(' ')
                .next()?
                .parse::<i64>()
                .ok()
        })
        .sum();
    assert!(
        count >= 5,
        "failed checks are audited, counted: {:?}",
        failed.items
    );
    srv.stop().await;
}

#[tokio::test]
async fn a_session_survives_a_server_restart_and_ends_on_sign_out() {
    let db = TestDb::sqlite();
    let first = TestServer::start(&db.url).await;
    let client = first.signed_in("admin").await;
    let cookie_attrs = loop {
        let res = first
            .call(
                &first.client(),
                "login",
                &[("username", "operator"), ("password", PASSWORD)],
            )
            .await;
        if res.status() == 200 {
            break res
                .headers()
                .get("set-cookie")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_string();
        }
        // Busy hashing other tests' sign-ins: again shortly.
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(
        cookie_attrs.contains("HttpOnly") && cookie_attrs.contains("SameSite=Strict"),
        "{cookie_attrs}"
    );
    // Stored by its hash: the cookie's value is nowhere in the table.
    let cookie = cookie_attrs
        .split(';')
        .next()
        .and_then(|c| c.split_once('='))
        .map(|(_, v)| v.to_string())
        .unwrap_or_default();
    assert!(cookie.len() >= 16, "{cookie_attrs}");
    let mut db_conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&db.url)
        .await
        .unwrap();
    let keys: Vec<String> = sqlx::query_scalar("SELECT id FROM sessions")
        .fetch_all(&mut db_conn)
        .await
        .unwrap();
    assert!(!keys.is_empty());
    assert!(keys.iter().all(|k| !k.contains(&cookie)), "{keys:?}");
    assert!(
        keys.contains(&server::auth::hash_token(&cookie)),
        "{keys:?}"
    );
    let addr = first.addr.to_string();
    first.stop().await;

    // Same database and address, fresh server state: the cookie still signs in.
    let second = TestServer::start_at(&db.url, ThrottlePolicy::default(), &addr).await;
    let me = second.call(&client, "whoami", &[]).await;
    let (status, body) = (me.status(), me.text().await.unwrap_or_default());
    assert_eq!(status, 200, "{body}");
    let me: Option<app::dto::CurrentStaff> = serde_json::from_str(&body).expect("json");
    assert_eq!(me.map(|m| m.username).as_deref(), Some("admin"));

    assert_eq!(second.call(&client, "logout", &[]).await.status(), 200);
    let me: Option<app::dto::CurrentStaff> = second
        .call(&client, "whoami", &[])
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(me, None);
    second.stop().await;
}

#[tokio::test]
async fn disabling_an_account_ends_its_sessions() {
    let db = TestDb::sqlite();
    let srv = TestServer::start(&db.url).await;
    let viewer = srv.signed_in("viewer").await;
    assert_eq!(srv.call(&viewer, "list_tenants", &[]).await.status(), 200);
    let admin = srv.signed_in("admin").await;
    let staff: Vec<app::dto::StaffDto> = srv
        .call(&admin, "list_staff", &[])
        .await
        .json()
        .await
        .expect("staff");
    let id = staff
        .iter()
        .find(|s| s.username == "viewer")
        .map(|s| s.id.to_string())
        .expect("viewer");
    let res = srv
        .call(
            &admin,
            "set_staff_active",
            &[("id", &id), ("active", "false")],
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(srv.call(&viewer, "list_tenants", &[]).await.status(), 401);
    // The last admin cannot lock everyone out.
    let admin_id = staff
        .iter()
        .find(|s| s.username == "admin")
        .map(|s| s.id.to_string())
        .expect("admin");
    let res = srv
        .call(
            &admin,
            "set_staff_active",
            &[("id", &admin_id), ("active", "false")],
        )
        .await;
    assert_eq!(res.status(), 409);
    tokio::time::sleep(Duration::from_millis(10)).await;
    srv.stop().await;
}

#[tokio::test]
async fn pages_render_on_the_server_with_markup_escaped() {
    let db = TestDb::sqlite();
    let srv = TestServer::start(&db.url).await;
    let operator = srv.signed_in("operator").await;
    let res = srv
        .call(
            &operator,
            "create_tenant",
            &[
                ("form[company_name]", "<script>alert(1)</script> Ltd"),
                ("form[owner_email]", "o@example.com"),
                ("form[owner_name]", "O"),
                ("form[template_id]", "1"),
            ],
        )
        .await;
    assert_eq!(res.status(), 200);
    let tenant: app::dto::TenantDto = res.json().await.expect("tenant");
    let html = operator
        .get(srv.url(&format!("/tenants/{}", tenant.id)))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;/script&gt; Ltd"),
        "escaped company name missing"
    );
    if let Some(at) = html.find("<script>alert(1)</script>") {
        panic!(
            "raw markup in the page: …{}…",
            &html[at.saturating_sub(300)..(at + 100).min(html.len())]
        );
    }
    srv.stop().await;
}

/// The form of template `key` as the edit page would send it, with `edit`
/// applied: (field, value) pairs for the `update_template` call.
async fn template_edit(
    srv: &TestServer,
    key: &str,
    edit: &[(&str, &str)],
) -> (i64, Vec<(String, String)>) {
    let t = srv
        .store
        .list_templates()
        .await
        .unwrap()
        .into_iter()
        .find(|t| t.key == key)
        .unwrap();
    let mut args: Vec<(String, String)> =
        common::form_fields(&app::dto::TemplateForm::from_template(&t))
            .into_iter()
            .filter(|(k, _)| !edit.iter().any(|(e, _)| k == &format!("form[{e}]")))
            .collect();
    for (k, v) in edit {
        if !v.is_empty() {
            args.push((format!("form[{k}]"), v.to_string()));
        }
    }
    args.push(("id".into(), t.id.to_string()));
    (t.id, args)
}

fn pairs(args: &[(String, String)]) -> Vec<(&str, &str)> {
    args.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

#[tokio::test]
async fn bulk_deprovisioning_and_weakening_backups_are_for_admins_and_checked_first() {
    let db = TestDb::sqlite();
    let srv = TestServer::start(&db.url).await;
    let (operator, admin) = (
        srv.signed_in("operator").await,
        srv.signed_in("admin").await,
    );
    let (_, pro) = common::tenant_on(&db, "professional", "bulk-pro").await;
    let (_, demo) = common::tenant_on(&db, "demo", "bulk-demo").await;
    let bulk = |confirm: &str| {
        vec![
            ("form[action]".to_string(), "deprovision".to_string()),
            ("form[confirm]".to_string(), confirm.to_string()),
            ("form[ids][0]".to_string(), pro.clone()),
            ("form[ids][1]".to_string(), demo.clone()),
        ]
    };
    // Operators may not; an admin must type the number of tenants.
    let res = srv.call(&operator, "bulk_action", &pairs(&bulk("2"))).await;
    assert_eq!(res.status(), 403);
    let res = srv
        .call(&admin, "bulk_action", &pairs(&bulk("deprovision")))
        .await;
    assert_eq!(res.status(), 422);
    let err: app::error::AppError = res.json().await.unwrap();
    assert!(
        err.field_message("confirm").unwrap().contains("(2)"),
        "{err}"
    );
    // A tenant whose plan takes no backups is refused by name, before any run.
    let res = srv.call(&admin, "bulk_action", &pairs(&bulk("2"))).await;
    assert_eq!(res.status(), 422);
    let err: app::error::AppError = res.json().await.unwrap();
    let msg = err.field_message("ids").unwrap();
    assert!(msg.contains(&demo) && !msg.contains(&pro), "{msg}");
    assert!(srv.store.runs_for_tenant(&pro).await.unwrap().is_empty());

    // Lowering a template's retention or turning its backups off: admins.
    let (_, fewer) = template_edit(&srv, "professional", &[("backup_retention", "3")]).await;
    let res = srv.call(&operator, "update_template", &pairs(&fewer)).await;
    assert_eq!(
        res.status(),
        403,
        "{}",
        res.text().await.unwrap_or_default()
    );
    let (_, off) = template_edit(&srv, "professional", &[("backup_enabled", "")]).await;
    let res = srv.call(&operator, "update_template", &pairs(&off)).await;
    assert_eq!(res.status(), 403);
    let (_, more) = template_edit(&srv, "professional", &[("backup_retention", "30")]).await;
    let res = srv.call(&operator, "update_template", &pairs(&more)).await;
    assert_eq!(
        res.status(),
        200,
        "{}",
        res.text().await.unwrap_or_default()
    );
    // The lowering form was made before that raise: stale, even for an
    // admin; a fresh one goes through.
    let res = srv.call(&admin, "update_template", &pairs(&fewer)).await;
    assert_eq!(res.status(), 412);
    let (_, fewer) = template_edit(&srv, "professional", &[("backup_retention", "3")]).await;
    let res = srv.call(&admin, "update_template", &pairs(&fewer)).await;
    assert_eq!(
        res.status(),
        200,
        "{}",
        res.text().await.unwrap_or_default()
    );
    srv.stop().await;
}
