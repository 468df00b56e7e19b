//! The console under hostile or careless traffic, over real HTTP on a
//! random port: malformed requests are 400 (never 500), sign-in floods lock
//! the flooding address and not the real admin elsewhere, bodies are
//! bounded, pages carry a nonce-based policy and the security headers, only
//! the public origin may write, generated passwords are changed first, the
//! audit purge keeps security events, and tenants cannot take the console's
//! or the platform's hosts.
#![allow(clippy::unwrap_used)] // in a test, a panic is the failure report

mod common;

use std::net::IpAddr;

use app::dto::{CurrentStaff, NewStaffResult, StaffDto};
use app::error::AppError;
use common::{TestDb, TestOptions, TestServer, PASSWORD};
use server::auth::ThrottlePolicy;
use server::http::HttpOptions;
use server::store::AuditEntry;

/// Every server function with arguments that decode, one argument given
/// the wrong type, and the argument that has no default (if any).
type Case = (
    &'static str,
    &'static [(&'static str, &'static str)],
    Option<(&'static str, &'static str)>,
    Option<&'static str>,
);

const CASES: &[Case] = &[
    (
        "list_alerts",
        &[],
        Some(("query[state]", "exploding")),
        None,
    ),
    ("get_alert", &[("id", "1")], Some(("id", "x")), Some("id")),
    ("ack_alert", &[("id", "1")], Some(("id", "x")), Some("id")),
    (
        "resolve_alert",
        &[("id", "1")],
        Some(("id", "x")),
        Some("id"),
    ),
    (
        "silence_alerts",
        &[("form[minutes]", "5")],
        Some(("form[minutes][x]", "1")),
        None,
    ),
    ("end_silence", &[("id", "1")], Some(("id", "x")), Some("id")),
    ("list_silences", &[], None, None),
    (
        "alert_rules",
        &[("scope", "template"), ("scope_id", "1")],
        Some(("scope[x]", "1")),
        Some("scope_id"),
    ),
    (
        "set_alert_rule",
        &[("scope", "template"), ("scope_id", "1")],
        Some(("form[rule][x]", "1")),
        Some("scope"),
    ),
    ("list_channels", &[], None, None),
    (
        "save_channel",
        &[("form[name]", "x")],
        Some(("id", "new")),
        None,
    ),
    (
        "delete_channel",
        &[("id", "1")],
        Some(("id", "x")),
        Some("id"),
    ),
    (
        "test_channel",
        &[("id", "1")],
        Some(("id", "x")),
        Some("id"),
    ),
    ("delivery_log", &[], Some(("channel", "all")), None),
    (
        "login",
        &[("username", "x"), ("password", "y")],
        Some(("username[a]", "1")),
        Some("password"),
    ),
    ("logout", &[], None, None),
    ("whoami", &[], None, None),
    (
        "change_password",
        &[("current_password", "a"), ("new_password", "b")],
        Some(("new_password[a]", "1")),
        Some("new_password"),
    ),
    ("dashboard", &[], None, None),
    ("list_templates", &[], None, None),
    ("template_choices", &[], None, None),
    ("list_tokens", &[], None, None),
    ("statistics", &[], Some(("days", "many")), None),
    (
        "create_token",
        &[("form[name]", "ci"), ("form[role]", "viewer")],
        Some(("form[role]", "root")),
        Some("form"),
    ),
    (
        "revoke_token",
        &[("id", "1")],
        Some(("id", "x")),
        Some("id"),
    ),
    ("list_applications", &[], None, None),
    (
        "get_application",
        &[("application", "workshop-saas")],
        Some(("application[x]", "1")),
        Some("application"),
    ),
    (
        "create_application",
        &[("form[key]", "k")],
        Some(("form[key][x]", "1")),
        Some("form"),
    ),
    (
        "list_releases",
        &[("application", "workshop-saas")],
        Some(("application[x]", "1")),
        Some("application"),
    ),
    (
        "get_release",
        &[("application", "workshop-saas"), ("number", "1")],
        Some(("number", "one")),
        Some("number"),
    ),
    (
        "check_release",
        &[
            ("application", "workshop-saas"),
            ("form[source]", "components: []"),
        ],
        Some(("form[source][x]", "1")),
        Some("form"),
    ),
    (
        "create_release",
        &[
            ("application", "workshop-saas"),
            ("form[source]", "components: []"),
        ],
        Some(("form[based_on]", "newest")),
        Some("form"),
    ),
    (
        "release_of_tenant",
        &[("id", "nobody")],
        Some(("id[x]", "1")),
        Some("id"),
    ),
    (
        "get_template",
        &[("id", "1")],
        Some(("id", "one")),
        Some("id"),
    ),
    (
        "create_template",
        &[("form[key]", "k")],
        Some(("form[key][x]", "1")),
        Some("form"),
    ),
    (
        "update_template",
        &[("id", "1"), ("form[key]", "k")],
        Some(("id", "one")),
        Some("id"),
    ),
    (
        "delete_template",
        &[("id", "1")],
        Some(("id", "-x")),
        Some("id"),
    ),
    ("list_tenants", &[], Some(("query[page]", "first")), None),
    (
        "get_tenant",
        &[("id", "a")],
        Some(("id[x]", "1")),
        Some("id"),
    ),
    (
        "create_tenant",
        &[("form[company_name]", "A")],
        Some(("form[provision]", "maybe")),
        Some("form"),
    ),
    (
        "update_tenant",
        &[("id", "a"), ("form[company_name]", "A")],
        Some(("id[x]", "1")),
        Some("id"),
    ),
    (
        "delete_tenant",
        &[("id", "a")],
        Some(("id[x]", "1")),
        Some("id"),
    ),
    (
        "override_domain_check",
        &[("id", "a")],
        Some(("id[x]", "1")),
        Some("id"),
    ),
    (
        "owner_messages",
        &[("id", "a")],
        Some(("id[x]", "1")),
        Some("id"),
    ),
    (
        "suggest_tenant_id",
        &[("company_name", "A")],
        Some(("company_name[x]", "1")),
        Some("company_name"),
    ),
    (
        "check_tenant_id",
        &[("id", "a")],
        Some(("id[x]", "1")),
        Some("id"),
    ),
    ("list_staff", &[], None, None),
    (
        "create_staff",
        &[("username", "a"), ("role", "viewer")],
        Some(("role[x]", "1")),
        Some("username"),
    ),
    (
        "set_staff_role",
        &[("id", "1"), ("role", "viewer")],
        Some(("id", "x")),
        Some("role"),
    ),
    (
        "set_staff_active",
        &[("id", "1"), ("active", "true")],
        Some(("active", "perhaps")),
        Some("active"),
    ),
    (
        "reset_staff_password",
        &[("id", "1")],
        Some(("id", "1.5")),
        Some("id"),
    ),
    (
        "provision_tenant",
        &[("id", "a")],
        Some(("id[x]", "1")),
        Some("id"),
    ),
    (
        "suspend_tenant",
        &[("id", "a")],
        Some(("id[x]", "1")),
        Some("id"),
    ),
    (
        "resume_tenant",
        &[("id", "a")],
        Some(("id[x]", "1")),
        Some("id"),
    ),
    (
        "cleanup_tenant",
        &[("id", "a")],
        Some(("id[x]", "1")),
        Some("id"),
    ),
    (
        "preview_tenant_change",
        &[("id", "a")],
        Some(("form[template_id][x]", "1")),
        Some("id"),
    ),
    (
        "change_tenant",
        &[("id", "a")],
        Some(("id[x]", "1")),
        Some("id"),
    ),
    (
        "deprovision_tenant",
        &[("id", "a")],
        Some(("form[force]", "sure")),
        Some("id"),
    ),
    (
        "backup_tenant",
        &[("id", "a")],
        Some(("id[x]", "1")),
        Some("id"),
    ),
    (
        "restore_tenant",
        &[("id", "a")],
        Some(("form[confirm][x]", "a")),
        Some("id"),
    ),
    (
        "tenant_backups",
        &[("id", "a")],
        Some(("id[x]", "1")),
        Some("id"),
    ),
    ("list_runs", &[], Some(("query[state]", "sleeping")), None),
    ("get_run", &[("id", "1")], Some(("id", "x")), Some("id")),
    (
        "retry_step",
        &[("id", "1"), ("position", "0")],
        Some(("position", "first")),
        Some("position"),
    ),
    ("recover_run", &[("id", "1")], Some(("id", "x")), Some("id")),
    ("cancel_run", &[("id", "1")], Some(("id", "x")), Some("id")),
    (
        "tenant_live",
        &[("id", "a")],
        Some(("id[x]", "1")),
        Some("id"),
    ),
    (
        "reveal_credentials",
        &[("id", "a")],
        Some(("id[x]", "1")),
        Some("id"),
    ),
    (
        "tenant_api_keys",
        &[("id", "a")],
        Some(("id[x]", "1")),
        Some("id"),
    ),
    (
        "rotate_api_key",
        &[("id", "a"), ("name", "production")],
        Some(("name[x]", "1")),
        Some("name"),
    ),
    (
        "rotate_secrets",
        &[("id", "a"), ("form[secrets][0]", "tenant-admin")],
        Some(("id[x]", "1")),
        Some("id"),
    ),
    (
        "rotatable_secrets",
        &[("id", "a")],
        Some(("id[x]", "1")),
        Some("id"),
    ),
    (
        "plan_rollout",
        &[("form[application]", "shop")],
        Some(("form[application][x]", "1")),
        None,
    ),
    (
        "start_rollout",
        &[("form[application]", "shop")],
        Some(("form[application][x]", "1")),
        None,
    ),
    ("list_rollouts", &[], None, None),
    ("get_rollout", &[("id", "1")], Some(("id", "x")), Some("id")),
    (
        "pause_rollout",
        &[("id", "1")],
        Some(("id", "x")),
        Some("id"),
    ),
    (
        "resume_rollout",
        &[("id", "1")],
        Some(("id", "x")),
        Some("id"),
    ),
    (
        "abort_rollout",
        &[("id", "1")],
        Some(("id", "x")),
        Some("id"),
    ),
    (
        "skip_rollout_tenant",
        &[("id", "1"), ("tenant", "a")],
        Some(("id", "x")),
        Some("tenant"),
    ),
    (
        "rollback_rollout_tenant",
        &[("id", "1"), ("tenant", "a")],
        Some(("id", "x")),
        Some("tenant"),
    ),
    (
        "bulk_action",
        &[("form[action]", "suspend")],
        Some(("form[ids]", "a")),
        None,
    ),
    (
        "preview_new_tenant",
        &[],
        Some(("form[provision]", "maybe")),
        None,
    ),
    ("list_audit", &[], Some(("query[page]", "last")), None),
];

async fn bad_request(
    srv: &TestServer,
    client: &reqwest::Client,
    name: &str,
    body: &[(&str, &str)],
    why: &str,
) -> String {
    let res = srv.call(client, name, body).await;
    let status = res.status();
    let text = res.text().await.unwrap();
    assert_eq!(
        status, 400,
        "{name} with {why} ({body:?}) answered {status}: {text}"
    );
    let err: AppError =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}: {text}"));
    assert!(matches!(err, AppError::Request(_)), "{name}: {err:?}");
    err.to_string()
}

#[tokio::test]
async fn malformed_requests_to_every_server_function_answer_400_naming_the_argument() {
    let mut registered: Vec<String> = leptos::server_fn::axum::server_fn_paths()
        .map(|(p, _)| p.trim_start_matches("/api/").to_string())
        .collect();
    registered.sort();
    registered.dedup();
    let mut covered: Vec<String> = CASES.iter().map(|c| c.0.to_string()).collect();
    covered.sort();
    assert_eq!(covered, registered, "every server function has a case here");

    let db = TestDb::sqlite();
    let srv = TestServer::start(&db.url).await;
    let admin = srv.signed_in("admin").await;
    for (name, good, wrong, required) in CASES {
        let client = if *name == "login" {
            srv.client()
        } else {
            admin.clone()
        };
        if *name == "logout" {
            continue; // signing out would end the admin's session; its body is checked below
        }
        // The same key twice.
        let key = good.first().map(|(k, _)| *k).unwrap_or("x");
        let twice = [(key, "1"), (key, "2")];
        let msg = bad_request(&srv, &client, name, &twice, "a key given twice").await;
        assert!(msg.contains(key), "{name}: {msg}");
        // A wrong type.
        if let Some((k, v)) = wrong {
            let mut body: Vec<(&str, &str)> = good
                .iter()
                .filter(|(g, _)| !k.starts_with(g) && !g.starts_with(k))
                .copied()
                .collect();
            body.push((k, v));
            let msg = bad_request(&srv, &client, name, &body, "a wrong type").await;
            let arg = k.split('[').next().unwrap_or(k);
            assert!(msg.contains(arg), "{name}: the message names {arg}: {msg}");
        }
        // A missing argument.
        if let Some(arg) = required {
            let body: Vec<(&str, &str)> = good
                .iter()
                .filter(|(k, _)| !k.starts_with(arg))
                .copied()
                .collect();
            let msg = bad_request(&srv, &client, name, &body, "a missing argument").await;
            assert!(msg.contains(arg), "{name}: the message names {arg}: {msg}");
        }
    }
    bad_request(
        &srv,
        &admin,
        "logout",
        &[("x", "1"), ("x", "2")],
        "a key given twice",
    )
    .await;
    srv.stop().await;
}

fn client_from(srv: &TestServer, ip: &str) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(reqwest::header::ORIGIN, srv.base.parse().unwrap());
    reqwest::Client::builder()
        .local_address(ip.parse::<IpAddr>().unwrap())
        .cookie_store(true)
        .default_headers(headers)
        .build()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_against_admin_locks_the_flooding_address_not_the_admin_elsewhere() {
    let db = TestDb::sqlite();
    let srv = TestServer::start_with(&db.url, ThrottlePolicy::default()).await;
    let attacker = client_from(&srv, "127.0.0.2");
    let wrong = [("username", "admin"), ("password", "not the password!")];
    // Bursts of 40 guesses at once until the address is locked: those the
    // hashing pool cannot take are "busy" (not counted, nothing hashed).
    let (mut checked, mut locked) = (0, false);
    for _ in 0..20 {
        let calls = (0..40).map(|_| async {
            let res = srv.call(&attacker, "login", &wrong).await;
            (res.status().as_u16(), res.text().await.unwrap_or_default())
        });
        for (status, body) in futures::future::join_all(calls).await {
            match status {
                401 => checked += 1,
                429 if body.contains("Throttled") => locked = true,
                429 if body.contains("Busy") => {}
                other => panic!("{other}: {body}"),
            }
        }
        if locked {
            break;
        }
    }
    assert!(locked, "the flooding address is locked");
    assert!(
        checked <= ThrottlePolicy::default().free_per_account as usize,
        "attempts count as they start: at most the free ones are checked, got {checked}"
    );
    // Now even the right password is refused from that address…
    let res = srv
        .call(
            &attacker,
            "login",
            &[("username", "admin"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(res.status(), 429);
    assert!(
        res.headers().get("retry-after").is_some(),
        "429 says when to come back"
    );
    assert!(res.text().await.unwrap_or_default().contains("Throttled"));
    // …but the real admin, elsewhere, signs in.
    let admin = client_from(&srv, "127.0.0.3");
    let (status, body) = srv
        .login(&admin, &[("username", "admin"), ("password", PASSWORD)])
        .await;
    assert_eq!(status, 200, "{body}");
    srv.stop().await;
}

#[tokio::test]
async fn a_forwarded_address_counts_only_behind_a_trusted_proxy() {
    let db = TestDb::sqlite();
    let policy = ThrottlePolicy {
        free_per_account: 2,
        ..ThrottlePolicy::default()
    };
    let srv = TestOptions {
        policy,
        http: HttpOptions {
            trusted_proxies: vec!["127.0.0.9/32".parse().unwrap()],
            ..HttpOptions::default()
        },
        ..TestOptions::default()
    }
    .start(&db.url)
    .await;
    let wrong = [("username", "operator"), ("password", "not the password!")];
    // Not a trusted proxy: its X-Forwarded-For is ignored, so rotating it
    // does not escape the lock.
    let direct = client_from(&srv, "127.0.0.8");
    let mut last = 0;
    for i in 0..5 {
        let res = direct
            .post(srv.url("/api/login"))
            .header("x-forwarded-for", format!("10.0.0.{i}"))
            .form(&wrong)
            .send()
            .await
            .unwrap();
        last = res.status().as_u16();
    }
    assert_eq!(last, 429);
    // Behind the trusted proxy, each forwarded client has its own count.
    let proxy = client_from(&srv, "127.0.0.9");
    for i in 0..4 {
        let (status, body) = common::retry_when_busy(|| async {
            proxy
                .post(srv.url("/api/login"))
                .header("x-forwarded-for", format!("10.0.1.{i}"))
                .form(&wrong)
                .send()
                .await
                .unwrap()
        })
        .await;
        assert_eq!(status, 401, "client {i} behind the proxy: {body}");
    }
    let rows = srv.store.list_audit("from 10.0.1.3", 1, 10).await.unwrap();
    assert_eq!(rows.total, 1, "the audit names the forwarded client");
    srv.stop().await;
}

#[tokio::test]
async fn bodies_are_bounded_and_pages_carry_the_security_headers() {
    let db = TestDb::sqlite();
    let srv = TestServer::start(&db.url).await;
    let client = srv.client();
    let huge = "x".repeat(server::http::LOGIN_BODY_LIMIT + 1);
    let res = srv
        .call(
            &client,
            "login",
            &[("username", "admin"), ("password", &huge)],
        )
        .await;
    assert_eq!(res.status(), 413);

    let page = client.get(srv.url("/login")).send().await.unwrap();
    let h = page.headers().clone();
    let html = page.text().await.unwrap();
    let csp = h
        .get("content-security-policy")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .and_then(|r| r.split('\'').next())
        .unwrap_or_else(|| panic!("a nonce in {csp}"));
    assert!(
        csp.contains("frame-ancestors 'none'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    let scripts = html.matches("<script").count();
    assert!(scripts > 0);
    assert_eq!(
        html.matches(&format!("nonce=\"{nonce}\"")).count(),
        html.matches("<script").count() - html.matches("<script src").count(),
        "every inline script carries the response's nonce"
    );
    assert_eq!(h.get("x-content-type-options").unwrap(), "nosniff");
    assert_eq!(h.get("x-frame-options").unwrap(), "DENY");
    assert_eq!(h.get("referrer-policy").unwrap(), "same-origin");
    assert!(
        h.get("strict-transport-security").is_none(),
        "no HSTS over http"
    );
    let again = client.get(srv.url("/login")).send().await.unwrap();
    let csp2 = again
        .headers()
        .get("content-security-policy")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    assert_ne!(csp, csp2, "a fresh nonce per response");
    let api = srv.call(&client, "whoami", &[]).await;
    assert_eq!(
        api.headers().get("content-security-policy").unwrap(),
        "default-src 'none'; frame-ancestors 'none'"
    );
    srv.stop().await;
}

#[tokio::test]
async fn only_the_public_origin_may_write_and_https_turns_on_hsts() {
    let db = TestDb::sqlite();
    let srv = TestOptions {
        http: HttpOptions {
            public_url: Some("https://console.example.com/".parse().unwrap()),
            ..HttpOptions::default()
        },
        ..TestOptions::default()
    }
    .start(&db.url)
    .await;
    let form = [("username", "admin"), ("password", PASSWORD)];
    // The request's own Host no longer counts: only the public origin.
    let own = srv.call(&srv.client(), "login", &form).await;
    assert_eq!(own.status(), 403);
    let public = reqwest::Client::new()
        .post(srv.url("/api/login"))
        .header("origin", "https://console.example.com")
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(public.status(), 200);
    assert!(public.headers().get("strict-transport-security").is_some());
    let cookie = public
        .headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap();
    assert!(cookie.contains("Secure"), "{cookie}");
    srv.stop().await;
}

#[tokio::test]
async fn a_generated_password_is_changed_before_anything_else() {
    let db = TestDb::sqlite();
    let srv = TestServer::start(&db.url).await;
    let admin = srv.signed_in("admin").await;
    let made: NewStaffResult = srv
        .call(
            &admin,
            "create_staff",
            &[("username", "newbie"), ("role", "operator")],
        )
        .await
        .json()
        .await
        .unwrap();
    assert!(made.staff.must_change_password);
    let pw = made.one_time_password;
    let newbie = srv.client();
    let (status, body) = srv
        .login(&newbie, &[("username", "newbie"), ("password", &pw)])
        .await;
    assert_eq!(status, 200, "{body}");
    let me: CurrentStaff = serde_json::from_str(&body).unwrap();
    assert!(me.must_change_password);
    let other_tab = srv.client();
    assert_eq!(
        srv.login(&other_tab, &[("username", "newbie"), ("password", &pw)])
            .await
            .0,
        200
    );

    let res = srv.call(&newbie, "list_tenants", &[]).await;
    assert_eq!(res.status(), 403);
    assert_eq!(
        res.json::<AppError>().await.unwrap(),
        AppError::PasswordChangeRequired
    );
    let page = newbie.get(srv.url("/tenants")).send().await.unwrap();
    assert_eq!(page.status(), 303);
    assert_eq!(page.headers().get("location").unwrap(), "/account/password");
    assert_eq!(
        newbie
            .get(srv.url("/account/password"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );

    let res = srv
        .call(
            &newbie,
            "change_password",
            &[
                ("current_password", "wrong one entirely"),
                ("new_password", "a brand new password"),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);
    assert!(res
        .json::<AppError>()
        .await
        .unwrap()
        .field_message("current_password")
        .is_some());
    let res = srv
        .call(
            &newbie,
            "change_password",
            &[("current_password", &pw), ("new_password", "short")],
        )
        .await;
    assert_eq!(res.status(), 422);
    assert!(res
        .json::<AppError>()
        .await
        .unwrap()
        .field_message("new_password")
        .is_some());
    let res = srv
        .call(
            &newbie,
            "change_password",
            &[
                ("current_password", &pw),
                ("new_password", "a brand new password"),
            ],
        )
        .await;
    assert_eq!(
        res.status(),
        200,
        "{}",
        res.text().await.unwrap_or_default()
    );

    assert_eq!(
        srv.call(&newbie, "list_tenants", &[]).await.status(),
        200,
        "this session goes on"
    );
    assert_eq!(
        srv.call(&other_tab, "list_tenants", &[]).await.status(),
        401,
        "other sessions end"
    );
    let staff: Vec<StaffDto> = srv
        .call(&admin, "list_staff", &[])
        .await
        .json()
        .await
        .unwrap();
    assert!(
        !staff
            .iter()
            .find(|s| s.username == "newbie")
            .unwrap()
            .must_change_password
    );
    let audit = srv
        .store
        .list_audit("staff.change_password", 1, 10)
        .await
        .unwrap();
    assert_eq!(audit.total, 1);

    // An operator's own chosen password (the fixtures') is never forced.
    let op = srv.signed_in("operator").await;
    assert_eq!(srv.call(&op, "list_tenants", &[]).await.status(), 200);
    srv.stop().await;
}

#[tokio::test]
async fn the_first_admin_must_change_a_generated_password_but_not_a_configured_one() {
    for (configured, forced) in [(None, true), (Some("an operator's own password"), false)] {
        let db = TestDb::sqlite();
        let store = server::store::Store::connect(&db.url).await.unwrap();
        server::host::ensure_first_admin(&store, configured, server::host::FirstPassword::Terminal)
            .await
            .unwrap();
        let row = store.staff_by_username("admin").await.unwrap().unwrap();
        assert_eq!(row.current().must_change_password, forced, "{configured:?}");
        store.close().await;
    }
}

#[tokio::test]
async fn purging_a_tenants_audit_is_for_admins_and_keeps_security_events() {
    let db = TestDb::sqlite();
    let srv = TestServer::start(&db.url).await;
    let op = srv.signed_in("operator").await;
    let res = srv
        .call(
            &op,
            "deprovision_tenant",
            &[
                ("id", "acme-abcdef"),
                ("form[confirm]", "acme-abcdef"),
                ("form[purge_audit]", "true"),
            ],
        )
        .await;
    assert_eq!(res.status(), 403);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("purge a tenant's audit trail"));

    for action in [
        "tenant.update",
        "tenant.credentials_shown",
        "tenant.deprovision.forced",
        "tenant.suspend",
    ] {
        srv.store
            .write_audit(AuditEntry::new("someone", action, "tenant", "acme-abcdef"))
            .await
            .unwrap();
    }
    let gone = srv
        .store
        .purge_tenant_audit("acme-abcdef", "admin")
        .await
        .unwrap();
    assert_eq!(gone, 2);
    let left = srv
        .store
        .list_audit("acme-abcdef", 1, 50)
        .await
        .unwrap()
        .items;
    let actions: Vec<&str> = left.iter().map(|e| e.action.as_str()).collect();
    for kept in [
        "tenant.credentials_shown",
        "tenant.deprovision.forced",
        "tenant.audit_purged",
    ] {
        assert!(actions.contains(&kept), "{kept} kept: {actions:?}");
    }
    assert!(!actions.contains(&"tenant.update"), "{actions:?}");
    srv.stop().await;
}

#[tokio::test]
async fn tenants_cannot_take_the_platforms_or_the_consoles_hosts_or_namespaces() {
    let db = TestDb::sqlite();
    let srv = TestOptions {
        http: HttpOptions {
            public_url: Some("http://console.example.org/".parse().unwrap()),
            ..HttpOptions::default()
        },
        settings: server::manifests::RenderSettings {
            namespace_prefix: "k".into(),
            ..Default::default()
        },
        ..TestOptions::default()
    }
    .start(&db.url)
    .await;
    let op = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let login = op
        .post(srv.url("/api/login"))
        .header("origin", "http://console.example.org")
        .form(&[("username", "operator"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 200);
    let create = |domain: &'static str, id: &'static str| {
        op.post(srv.url("/api/create_tenant"))
            .header("origin", "http://console.example.org")
            .form(&[
                ("form[company_name]", "Acme"),
                ("form[owner_email]", "o@acme.example"),
                ("form[owner_name]", "O"),
                ("form[template_id]", "1"),
                ("form[custom_domain]", domain),
                ("form[tenant_id]", id),
            ])
            .send()
    };
    for (domain, rule) in [
        ("shop.tenants.example.com", "base domain"),
        ("tenants.example.com", "base domain"),
        ("console.example.org", "console's own host"),
    ] {
        let res = create(domain, "acme-one").await.unwrap();
        assert_eq!(res.status(), 422, "{domain}");
        let err: AppError = res.json().await.unwrap();
        assert!(
            err.field_message("custom_domain")
                .unwrap_or_default()
                .contains(rule),
            "{domain}: {err}"
        );
    }
    // Prefix "k" + "ube-system" would be the cluster's own namespace.
    let res = create("", "ube-system").await.unwrap();
    assert_eq!(res.status(), 422);
    let err: AppError = res.json().await.unwrap();
    let msg = err.field_message("tenant_id").unwrap_or_default();
    assert!(
        msg.contains("\"kube-system\"") && msg.contains("belongs to the cluster"),
        "{err}"
    );
    let res = create("", "acme-two").await.unwrap();
    let status = res.status();
    assert_eq!(
        status,
        200,
        "an ordinary namespace under the same prefix: {}",
        res.text().await.unwrap()
    );
    let check: app::dto::IdCheck = op
        .post(srv.url("/api/check_tenant_id"))
        .header("origin", "http://console.example.org")
        .form(&[("id", "ube-public")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        !check.ok && check.message.contains("belongs to the cluster"),
        "{check:?}"
    );
    srv.stop().await;
}

#[test]
fn help_never_prints_the_database_password() {
    for args in [
        &["--help"][..],
        &["serve", "--help"],
        &["admin", "staff", "list", "--help"],
        &["tenant", "list", "--help"],
    ] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_tenantry"))
            .args(args)
            .env(
                "TENANTRY_DATABASE_URL",
                "postgres://tenantry:s3cr3t-pw@db.internal/tenantry",
            )
            .env("TENANTRY_TOKEN", "tnt_n0t-for-your-eyes")
            .output()
            .unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(out.status.success(), "{args:?}: {text}");
        assert!(text.contains("--database-url"), "{args:?}: {text}");
        assert!(
            !text.contains("s3cr3t-pw")
                && !text.contains("db.internal")
                && !text.contains("n0t-for-your-eyes"),
            "{args:?} printed the URL: {text}"
        );
    }
}

#[tokio::test]
async fn a_stalled_client_cannot_hold_a_shutdown() {
    use tokio::io::AsyncWriteExt;
    let db = TestDb::sqlite();
    let srv = TestServer::start(&db.url).await;
    // A request whose body never finishes arriving.
    let addr = srv.base.trim_start_matches("http://").to_string();
    let mut stalled = tokio::net::TcpStream::connect(&addr).await.unwrap();
    stalled
        .write_all(
            b"POST /api/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nusername=",
        )
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    // Without the drain bound this waits for the body forever.
    let stopped = tokio::time::timeout(server::http::SHUTDOWN_DRAIN * 4, srv.stop()).await;
    assert!(
        stopped.is_ok(),
        "the shutdown waited for the stalled client"
    );
    drop(stalled);
}
