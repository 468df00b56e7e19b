//! `/api/v1` against a console on a random port: the OpenAPI document and
//! the routes agree, tokens act within their owner's role (and stop when
//! revoked, expired or their owner is disabled), updates need the current
//! ETag, creates with an Idempotency-Key happen once, errors have one
//! shape, and a token never reaches the console's log.
#![allow(clippy::unwrap_used)] // in a test, a panic is the failure report

mod common;

use std::collections::BTreeSet;
use std::time::Duration;

use common::process::{Console, ADMIN_PASSWORD};
use common::sse::SseReader;
use common::{TestDb, TestServer, PASSWORD};
use serde_json::{json, Value};

/// Decodes as every request body of the API (unknown fields are ignored),
/// so a refusal is about the caller, never about the body.
fn universal_body() -> Value {
    json!({
        "company_name": "Universal", "owner_email": "u@example.com", "owner_name": "U",
        "template_id": "1", "custom_domain": "", "tenant_id": "", "provision": false,
        "name": "universal", "role": "viewer", "expires_in_days": 1, "username": "universal",
        "password": "universal password", "key": "universal", "action": "suspend",
        "ids": ["nobody"], "confirm": "nobody", "note": "", "backup": false,
        "purge_audit": false, "grace_hours": "", "scheduled_at": "", "force": false,
        "api_replicas": "", "web_replicas": "", "active": true,
    })
}

fn bearer(token: &str) -> reqwest::Client {
    let mut h = reqwest::header::HeaderMap::new();
    h.insert(
        reqwest::header::AUTHORIZATION,
        format!("Bearer {token}").parse().unwrap(),
    );
    reqwest::Client::builder()
        .default_headers(h)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// A token `user` (signed in with a session) makes for itself.
async fn token_of(srv: &TestServer, user: &str, role: &str) -> (i64, String) {
    let client = srv.signed_in(user).await;
    let res = srv
        .call(
            &client,
            "create_token",
            &[
                ("form[name]", "test token"),
                ("form[role]", role),
                ("form[expires_in_days]", "30"),
            ],
        )
        .await;
    assert_eq!(res.status(), 200, "{user} makes a {role} token");
    let made: Value = res.json().await.unwrap();
    (
        made["token"]["id"].as_i64().unwrap(),
        made["secret"].as_str().unwrap().to_string(),
    )
}

async fn document(base: &str) -> Value {
    let res = reqwest::get(format!("{base}/api/v1/openapi.json"))
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

/// (method, path) of every documented operation.
fn operations(doc: &Value) -> Vec<(String, String)> {
    let mut out = vec![];
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in ["get", "post", "put", "patch", "delete"] {
            if item.get(method).is_some() {
                out.push((method.to_string(), path.clone()));
            }
        }
    }
    out
}

fn concrete(path: &str) -> String {
    path.replace("{id}", "999999").replace("{position}", "0")
}

async fn send(client: &reqwest::Client, base: &str, method: &str, path: &str) -> reqwest::Response {
    let url = format!("{base}{}", concrete(path));
    let req = match method {
        "get" => client.get(url),
        "post" => client.post(url).json(&universal_body()),
        "put" => client.put(url).json(&universal_body()),
        "patch" => client.patch(url).json(&universal_body()),
        _ => client.delete(url),
    };
    req.header("If-Match", "*").send().await.unwrap()
}

#[tokio::test]
async fn the_document_and_the_routes_agree() {
    let db = TestDb::sqlite();
    let srv = TestServer::start(&db.url).await;
    let doc = document(&srv.base).await;
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3.1"),
        "{}",
        doc["openapi"]
    );

    // Every reference resolves; every path is under /api/v1.
    let schemas: BTreeSet<String> = doc["components"]["schemas"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    let text = doc.to_string();
    for r in text.split("\"$ref\":\"#/components/schemas/").skip(1) {
        let name = r.split('"').next().unwrap();
        assert!(schemas.contains(name), "unresolved reference to {name}");
    }
    let ops = operations(&doc);
    assert!(ops.len() >= 35, "{} operations", ops.len());
    let mut ids = BTreeSet::new();
    for (method, path) in &ops {
        let id = doc["paths"][path][method]["operationId"].as_str().unwrap();
        assert!(ids.insert(id.to_string()), "operationId {id} is not unique");
    }

    let (_, admin) = token_of(&srv, "admin", "admin").await;
    let client = bearer(&admin);
    for (method, path) in &ops {
        assert!(path.starts_with("/api/v1/"), "{path}");
        let op = &doc["paths"][path][method];
        assert!(
            op["tags"].as_array().is_some_and(|t| !t.is_empty()),
            "{method} {path} has a tag"
        );
        if path == "/api/v1/live" {
            continue; // an endless stream: checked below
        }
        let res = send(&client, &srv.base, method, path).await;
        let status = res.status().as_u16();
        let body = res.text().await.unwrap();
        // The route exists for this method...
        assert_ne!(status, 405, "{method} {path}: no such method");
        assert!(
            !body.contains("No route"),
            "{method} {path}: not routed: {body}"
        );
        // ...and answers only what its documentation says it may.
        assert!(
            op["responses"].get(status.to_string()).is_some(),
            "{method} {path} answered {status}, which is not documented: {body}"
        );
        if status >= 400 {
            let p: Value = serde_json::from_str(&body).unwrap();
            assert!(
                p["error"].is_string() && p["message"].is_string() && p["fields"].is_array(),
                "{body}"
            );
        }
    }
    // A path nobody documented is not routed either.
    let res = client
        .get(format!("{}/api/v1/tenantz", srv.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    assert!(res.text().await.unwrap().contains("No route"));

    // The reference page shows every documented path, without a session.
    let page = reqwest::get(format!("{}/api/v1/reference", srv.base))
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    for (_, path) in &ops {
        assert!(html.contains(path.as_str()), "reference lacks {path}");
    }

    // The live stream, documented at /api/v1/live, serves a token.
    let res = client
        .get(format!("{}/api/v1/live?topics=tenants", srv.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/event-stream"));
    srv.stop().await;
}

#[tokio::test]
async fn tokens_act_within_their_owners_role() {
    let db = TestDb::sqlite();
    let srv = TestServer::start(&db.url).await;
    let doc = document(&srv.base).await;

    // A viewer's token reads, and every write is refused for its role.
    let (_, viewer) = token_of(&srv, "viewer", "viewer").await;
    let v = bearer(&viewer);
    let res = v.get(srv.url("/api/v1/tenants")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let mut writes = 0;
    for (method, path) in operations(&doc) {
        // Previews and dry-runs change nothing (viewers may look); the
        // exchange is for people with a password, not tokens.
        if method == "get"
            || path.ends_with("/preview")
            || path == "/api/v1/tenant-dry-runs"
            || path == "/api/v1/rollouts/plan"
            || path == server::rest::TOKEN_EXCHANGE_PATH
        {
            continue;
        }
        let res = send(&v, &srv.base, &method, &path).await;
        assert_eq!(
            res.status(),
            403,
            "viewer token: {method} {path}: {}",
            res.text().await.unwrap()
        );
        writes += 1;
    }
    assert!(writes >= 20, "{writes} writes checked");

    // A role above one's own is refused when the token is made.
    let client = srv.signed_in("operator").await;
    let res = srv
        .call(
            &client,
            "create_token",
            &[("form[name]", "x"), ("form[role]", "admin")],
        )
        .await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("role"));

    // An operator's token writes; demoting its owner caps it, disabling
    // the owner stops it.
    let (_, operator) = token_of(&srv, "operator", "operator").await;
    let o = bearer(&operator);
    let body = json!({"company_name": "Capped Co", "owner_email": "c@example.com",
        "owner_name": "C", "template_id": 1});
    let res = o
        .post(srv.url("/api/v1/tenants"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    let admin = srv.signed_in("admin").await;
    let op_id = srv
        .store
        .staff_by_username("operator")
        .await
        .unwrap()
        .unwrap()
        .id;
    let res = srv
        .call(
            &admin,
            "set_staff_role",
            &[("id", &op_id.to_string()), ("role", "viewer")],
        )
        .await;
    assert_eq!(res.status(), 200);
    let me: Value = o
        .get(srv.url("/api/v1/whoami"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["role"], "viewer");
    let res = o
        .post(srv.url("/api/v1/tenants"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let res = srv
        .call(
            &admin,
            "set_staff_active",
            &[("id", &op_id.to_string()), ("active", "false")],
        )
        .await;
    assert_eq!(res.status(), 200);
    let res = o.get(srv.url("/api/v1/tenants")).send().await.unwrap();
    assert_eq!(res.status(), 401);
    let p: Value = res.json().await.unwrap();
    assert_eq!(p["error"], "unauthorized");

    // Revoked and expired tokens get 401.
    let (id, revoked) = token_of(&srv, "admin", "admin").await;
    let res = srv
        .call(&admin, "revoke_token", &[("id", &id.to_string())])
        .await;
    assert_eq!(res.status(), 200);
    let res = bearer(&revoked)
        .get(srv.url("/api/v1/tenants"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    let (id, expired) = token_of(&srv, "admin", "admin").await;
    let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&db.url)
        .await
        .unwrap();
    sqlx::query("UPDATE api_tokens SET expires_at = 1 WHERE id = $1")
        .bind(id)
        .execute(&mut conn)
        .await
        .unwrap();
    let res = bearer(&expired)
        .get(srv.url("/api/v1/tenants"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    let res = bearer("tnt_not-a-token")
        .get(srv.url("/api/v1/tenants"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);

    // A password reset (the account may be in the wrong hands) revokes
    // the account's tokens.
    let (_, reset_victim) = token_of(&srv, "viewer", "viewer").await;
    let viewer_id = srv
        .store
        .staff_by_username("viewer")
        .await
        .unwrap()
        .unwrap()
        .id;
    let res = srv
        .call(
            &admin,
            "reset_staff_password",
            &[("id", &viewer_id.to_string())],
        )
        .await;
    assert_eq!(res.status(), 200);
    let res = bearer(&reset_victim)
        .get(srv.url("/api/v1/tenants"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401, "a reset revokes the tokens");

    // A token cannot make or revoke tokens, whatever its role, nor reset
    // its own owner's password (a way to a password, then to tokens).
    let (_, admin_token) = token_of(&srv, "admin", "admin").await;
    let a = bearer(&admin_token);
    let res = a
        .post(srv.url("/api/v1/tokens"))
        .json(&json!({"name": "child", "role": "viewer"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let admin_id = srv
        .store
        .staff_by_username("admin")
        .await
        .unwrap()
        .unwrap()
        .id;
    let res = a
        .post(srv.url(&format!("/api/v1/staff/{admin_id}/reset-password")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);

    // A token works only on /api/v1 and the live stream: never on the
    // console's own functions (changing a password, revealing credentials,
    // saving channels) nor its pages, whatever its role.
    let long = "x".repeat(20);
    for (path, form) in [
        (
            "/api/change_password",
            vec![("current", "guess-1"), ("new_password", long.as_str())],
        ),
        ("/api/reveal_credentials", vec![("id", "acme")]),
        ("/api/list_tenants", vec![]),
    ] {
        let res = a.post(srv.url(path)).form(&form).send().await.unwrap();
        assert_eq!(res.status(), 401, "{path}");
        let err: app::error::AppError = res.json().await.unwrap();
        assert_eq!(err, app::error::AppError::TokenNotAccepted, "{path}");
    }
    let res = a.get(srv.url("/tenants")).send().await.unwrap();
    assert_eq!(res.status(), 401, "a page");
    let res = a.get(srv.url("/api/v1/whoami")).send().await.unwrap();
    assert_eq!(res.status(), 200, "the same token still works on /api/v1");

    // Cookies never write through /api/v1 from another origin; the
    // console's own origin may. A bearer request needs no origin.
    let foreign = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    srv.login(&foreign, &[("username", "admin"), ("password", PASSWORD)])
        .await;
    let res = foreign
        .post(srv.url("/api/v1/tenants"))
        .header("Origin", "https://evil.example")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert_eq!(res.json::<Value>().await.unwrap()["error"], "forbidden");
    let res = admin
        .post(srv.url("/api/v1/tenants"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201, "the console's own origin with a session");
    let res = a
        .post(srv.url("/api/v1/tenants"))
        .header("Origin", "https://evil.example")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201, "a bearer request from anywhere");

    // Making and revoking tokens is audited (never with the secret).
    let audit: Value = a
        .get(srv.url("/api/v1/audit?q=token"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let text = audit.to_string();
    assert!(
        text.contains("token.create") && text.contains("token.revoke"),
        "{text}"
    );
    assert!(!text.contains(&admin_token) && !text.contains(&revoked));

    // Changing one's password keeps one's tokens, unless asked to revoke
    // them too (a token may have leaked with the old password).
    // (The operator was disabled above: the admin's own account here.)
    let (_, own_token) = token_of(&srv, "admin", "viewer").await;
    let me = srv.signed_in("admin").await;
    for (current, new, revoke) in [
        (PASSWORD, "the admin's second password", "false"),
        (
            "the admin's second password",
            "the admin's third password",
            "true",
        ),
    ] {
        let res = srv
            .call(
                &me,
                "change_password",
                &[
                    ("current_password", current),
                    ("new_password", new),
                    ("revoke_tokens", revoke),
                ],
            )
            .await;
        assert_eq!(
            res.status(),
            200,
            "{}",
            res.text().await.unwrap_or_default()
        );
        let res = bearer(&own_token)
            .get(srv.url("/api/v1/whoami"))
            .send()
            .await
            .unwrap();
        let want = if revoke == "true" { 401 } else { 200 };
        assert_eq!(res.status(), want, "revoke_tokens={revoke}");
    }
    srv.stop().await;
}

#[tokio::test]
async fn edits_need_the_current_etag_and_retried_creates_happen_once() {
    let db = TestDb::sqlite();
    let srv = TestServer::start(&db.url).await;
    let (_, token) = token_of(&srv, "admin", "admin").await;
    let c = bearer(&token);
    let template = json!({
        "key": "api-tier", "name": "API tier", "description": "made over the API",
        "postgres_instances": 1, "postgres_storage_gi": 5, "api_replicas": 1, "web_replicas": 1,
        "cpu_request_m": 100, "cpu_limit_m": 500, "memory_request_mi": 128, "memory_limit_mi": 512,
        "user_limit": null, "backup_enabled": false, "quota_cpu_m": 2000, "quota_memory_mi": 4096,
        "quota_storage_gi": 20, "quota_pods": 20, "features": "api",
    });
    let res = c
        .post(srv.url("/api/v1/templates"))
        .json(&template)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    let location = res.headers()["location"].to_str().unwrap().to_string();
    assert_eq!(res.headers()["etag"], "\"v1\"");
    let url = srv.url(&location);

    let put = |tag: Option<&'static str>| {
        let mut req = c.put(&url).json(&template);
        if let Some(t) = tag {
            req = req.header("If-Match", t);
        }
        req.send()
    };
    assert_eq!(put(None).await.unwrap().status(), 428);
    assert_eq!(put(Some("\"v0\"")).await.unwrap().status(), 412);
    let res = put(Some("\"v1\"")).await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["etag"], "\"v2\"");
    let stale = put(Some("\"v1\"")).await.unwrap();
    assert_eq!(stale.status(), 412);
    assert_eq!(
        stale.json::<Value>().await.unwrap()["error"],
        "precondition_failed"
    );
    // Two edits from the same version at once: one wins, one is told.
    let (a, b) = tokio::join!(put(Some("\"v2\"")), put(Some("\"v2\"")));
    let mut got = [a.unwrap().status().as_u16(), b.unwrap().status().as_u16()];
    got.sort_unstable();
    assert_eq!(got, [200, 412]);

    // A create retried with the same key makes one tenant.
    let tid = location.rsplit('/').next().unwrap().to_string();
    let body = json!({"company_name": "Once Only", "owner_email": "o@example.com",
        "owner_name": "O", "template_id": tid});
    let create = |b: Value| {
        c.post(srv.url("/api/v1/tenants"))
            .header("Idempotency-Key", "ci-job-42")
            .json(&b)
            .send()
    };
    let first = create(body.clone()).await.unwrap();
    assert_eq!(first.status(), 201);
    let tenant_url = srv.url(first.headers()["location"].to_str().unwrap());
    let got: Value = c
        .get(&tenant_url)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        got["urls"],
        json!([]),
        "no URL before the tenant's routes are served (operations_real follows them)"
    );
    let etag = first.headers()["etag"].to_str().unwrap().to_string();
    let first: Value = first.json().await.unwrap();
    let again = create(body.clone()).await.unwrap();
    assert_eq!(again.status(), 201);
    assert_eq!(again.headers()[server::rest::REPLAYED], "true");
    assert_eq!(again.json::<Value>().await.unwrap(), first);
    let list: Value = c
        .get(srv.url("/api/v1/tenants?q=Once"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["total"], 1);
    let mut other = body.clone();
    other["company_name"] = json!("Another");
    let res = create(other).await.unwrap();
    assert_eq!(res.status(), 422);
    assert_eq!(
        res.json::<Value>().await.unwrap()["fields"][0]["field"],
        "Idempotency-Key"
    );

    // An answer with a secret shown once is never kept: its repeat is told
    // so, and the one-time password is nowhere in the database.
    let add = || {
        c.post(srv.url("/api/v1/staff"))
            .header("Idempotency-Key", "add-dana")
            .json(&json!({"username": "dana", "role": "viewer"}))
            .send()
    };
    let first = add().await.unwrap();
    assert_eq!(first.status(), 201);
    assert_eq!(first.headers()["cache-control"], "no-store");
    let password = first.json::<Value>().await.unwrap()["one_time_password"]
        .as_str()
        .unwrap()
        .to_string();
    let again = add().await.unwrap();
    assert_eq!(again.status(), 409);
    assert!(again.text().await.unwrap().contains("not shown again"));
    let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&db.url)
        .await
        .unwrap();
    let kept: Vec<(Option<String>,)> = sqlx::query_as("SELECT body FROM idempotency_keys")
        .fetch_all(&mut conn)
        .await
        .unwrap();
    assert!(!kept.is_empty());
    assert!(kept
        .iter()
        .all(|(b,)| !b.clone().unwrap_or_default().contains(&password)));

    // A tenant edit: the current ETag saves, an old one is refused.
    let edit = json!({"company_name": "Once Only Ltd", "owner_email": "o@example.com",
        "owner_name": "O", "custom_domain": ""});
    let res = c
        .patch(&tenant_url)
        .header("If-Match", &etag)
        .json(&edit)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    assert_ne!(res.headers()["etag"].to_str().unwrap(), etag);
    let res = c
        .patch(&tenant_url)
        .header("If-Match", &etag)
        .json(&edit)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 412);

    // One error shape, naming the field and the rule.
    let mut bad = body.clone();
    bad["owner_email"] = json!("not-an-address");
    let res = c
        .post(srv.url("/api/v1/tenants"))
        .json(&bad)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let p: Value = res.json().await.unwrap();
    assert_eq!(p["error"], "invalid");
    assert_eq!(p["fields"][0]["field"], "owner_email");
    let res = c
        .post(srv.url("/api/v1/tenants"))
        .json(&json!({"company_name": ["not", "text"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    assert_eq!(
        res.json::<Value>().await.unwrap()["fields"][0]["field"],
        "company_name"
    );
    let res = c
        .post(srv.url("/api/v1/tenants"))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    srv.stop().await;
}

#[tokio::test]
async fn a_token_never_reaches_the_log() {
    let db = TestDb::sqlite();
    let console = Console::start_with(&db.url, &[("RUST_LOG", "debug")], false);
    let anon = reqwest::Client::new();
    let res = anon
        .post(format!(
            "{}{}",
            console.base,
            server::rest::TOKEN_EXCHANGE_PATH
        ))
        .json(
            &json!({"username": "admin", "password": ADMIN_PASSWORD, "name": "log check",
            "role": "admin", "expires_in_days": 1}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let made: Value = res.json().await.unwrap();
    let secret = made["secret"].as_str().unwrap().to_string();
    let c = bearer(&secret);
    for path in [
        "/api/v1/tenants",
        "/api/v1/whoami",
        "/api/v1/templates",
        "/api/v1/nope",
    ] {
        c.get(format!("{}{path}", console.base))
            .send()
            .await
            .unwrap();
    }
    let mut stream = SseReader::open_at(&console.base, &c, "tenants", None).await;
    let _ = stream.next(Duration::from_millis(300)).await;
    // A wrong password and a wrong token are refused without echoing them.
    let res = anon
        .post(format!(
            "{}{}",
            console.base,
            server::rest::TOKEN_EXCHANGE_PATH
        ))
        .json(
            &json!({"username": "admin", "password": "wrong password here", "name": "x",
            "role": "admin"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    let wrong = format!("{secret}x");
    let res = bearer(&wrong)
        .get(format!("{}/api/v1/tenants", console.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    assert!(!res.text().await.unwrap().contains(&wrong));
    tokio::time::sleep(Duration::from_millis(300)).await;
    let log = console.log().join("\n");
    assert!(
        log.len() > 1000,
        "the debug log was captured ({} bytes)",
        log.len()
    );
    let body = &secret[4..];
    assert!(!log.contains(body), "the token is in the log");
    assert!(!log.contains("wrong password here"));
}

/// Releases over the API: a broken one is refused with every field named
/// and nothing stored; a valid one is the next number; a save based on an
/// older release is refused; a viewer may read but not release; a tenant
/// says which release it runs.
#[tokio::test]
async fn releases_are_checked_before_they_are_stored() {
    let db = TestDb::sqlite();
    let srv = TestServer::start(&db.url).await;
    let (_, token) = token_of(&srv, "operator", "operator").await;
    let c = bearer(&token);
    let res = c
        .post(srv.url("/api/v1/applications"))
        .json(&json!({ "key": "shop", "name": "Shop", "description": "A store" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    assert_eq!(res.headers()["location"], "/api/v1/applications/shop");

    let releases = srv.url("/api/v1/applications/shop/releases");
    let source = include_str!("releases/shop.yaml");
    let broken = source
        .replace("image: mysql:8.4", "image: mysql")
        .replace("${plan.key}", "${plan.name}");
    let body = |text: &str| json!({ "source": text, "notes": "first" });
    // Checked, nothing stored: both faults named where they are.
    for url in [format!("{releases}/check"), releases.clone()] {
        let res = c.post(&url).json(&body(&broken)).send().await.unwrap();
        assert_eq!(res.status(), 422);
        let problem: Value = res.json().await.unwrap();
        let fields: BTreeSet<&str> = problem["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["field"].as_str().unwrap())
            .collect();
        assert_eq!(
            fields,
            BTreeSet::from(["database.image", "components.store.files[0].content"]),
            "{problem}"
        );
        assert!(
            problem
                .to_string()
                .contains("unknown reference ${plan.name}"),
            "{problem}"
        );
    }
    let list = c.get(&releases).send().await.unwrap();
    assert_eq!(list.headers()["etag"], "\"r0\"");
    assert_eq!(list.json::<Value>().await.unwrap(), json!([]));
    let checked = c
        .post(format!("{releases}/check"))
        .json(&body(source))
        .send()
        .await
        .unwrap();
    assert_eq!(checked.status(), 200);
    assert_eq!(
        checked.json::<Value>().await.unwrap()["database"]["kind"],
        "mysql"
    );

    // Stored as release 1, then 2; a save based on 1 is refused after 2.
    let save = |tag: &'static str| {
        c.post(&releases)
            .header("If-Match", tag)
            .json(&body(source))
            .send()
    };
    let one = save("\"r0\"").await.unwrap();
    assert_eq!(one.status(), 201, "{}", one.text().await.unwrap());
    assert_eq!(one.headers()["etag"], "\"r1\"");
    assert_eq!(save("\"r1\"").await.unwrap().status(), 201);
    let stale = save("\"r1\"").await.unwrap();
    assert_eq!(stale.status(), 412);
    let got: Value = c
        .get(format!("{releases}/2"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (got["number"].as_i64(), got["source"].as_str()),
        (Some(2), Some(source))
    );

    // A viewer reads but may not release.
    let (_, viewer) = token_of(&srv, "viewer", "viewer").await;
    let v = bearer(&viewer);
    assert_eq!(v.get(&releases).send().await.unwrap().status(), 200);
    assert_eq!(
        v.post(&releases)
            .json(&body(source))
            .send()
            .await
            .unwrap()
            .status(),
        403
    );

    // A tenant runs its plan's application's newest release: the workshop's 1.
    let pro = srv
        .store
        .list_templates()
        .await
        .unwrap()
        .into_iter()
        .find(|t| t.key == "professional")
        .unwrap();
    let res = c
        .post(srv.url("/api/v1/tenants"))
        .json(
            &json!({ "company_name": "Release Reader", "owner_email": "r@example.com",
            "owner_name": "R", "template_id": pro.id.to_string() }),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let tenant: Value = res.json().await.unwrap();
    assert_eq!(tenant["release"], 1);
    let runs: Value = c
        .get(srv.url(&format!(
            "/api/v1/tenants/{}/release",
            tenant["id"].as_str().unwrap()
        )))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(runs["number"], 1);
    assert_eq!(runs["spec"]["components"][0]["name"], "api");
}

/// A new tenant's dry-run: what is wrong, field by field, or what
/// provisioning would make; nothing is stored either way.
#[tokio::test]
async fn a_new_tenant_is_dry_run_without_storing_it() {
    let db = TestDb::sqlite();
    let srv = TestServer::start(&db.url).await;
    let (_, token) = token_of(&srv, "viewer", "viewer").await;
    let c = bearer(&token);
    let template = srv.store.list_templates().await.unwrap()[0].id.to_string();
    let form = |email: &str| {
        json!({
            "company_name": "Dry Run Ltd",
            "owner_email": email,
            "owner_name": "Dee",
            "template_id": template,
            "tenant_id": "dry-run-1",
        })
    };
    let url = srv.url("/api/v1/tenant-dry-runs");
    // A dry-run answers 200 whether or not the tenant is valid.
    let dry_run = |body: &Value| {
        let req = c.post(&url).json(body);
        async move {
            let res = req.send().await.unwrap();
            assert_eq!(res.status(), 200);
            res.json::<Value>().await.unwrap()
        }
    };
    let run = dry_run(&form("not an address")).await;
    assert_eq!(run["valid"], false, "{run}");
    assert!(
        run["errors"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["field"] == "owner_email"),
        "{run}"
    );
    assert!(run.get("preview").is_none(), "{run}");
    let run = dry_run(&form("dee@example.com")).await;
    assert_eq!(run["valid"], true, "{run}");
    assert_eq!(run["errors"], json!([]));
    let yaml = run["preview"]["yaml"].as_str().unwrap();
    assert!(yaml.contains("name: tenant-dry-run-1"), "{yaml}");
    assert!(yaml.contains("kind: Deployment"), "{yaml}");
    // Without a cluster, what depends on it is said to be pending.
    let enterprise = srv
        .store
        .list_templates()
        .await
        .unwrap()
        .into_iter()
        .find(|t| t.key == "enterprise")
        .unwrap()
        .id
        .to_string();
    let mut big = form("dee@example.com");
    big["template_id"] = json!(enterprise);
    let run = dry_run(&big).await;
    assert_eq!(run["valid"], true, "{run}");
    assert!(
        run["warnings"][0]
            .as_str()
            .unwrap_or("")
            .starts_with("pending:"),
        "{run}"
    );
    let stored = srv.store.list_tenants(&Default::default()).await.unwrap();
    assert_eq!(stored.total, 0, "nothing stored");
}
