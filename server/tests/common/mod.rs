//! Test fixtures: databases on both backends and a console served on an
//! ephemeral port, with staff of every role.
#![allow(dead_code)] // each test binary uses a different part of the fixtures

pub mod chart;
pub mod cluster;
pub mod dns;
pub mod netns;
pub mod ops;
pub mod process;
pub mod receivers;
pub mod releases;
pub mod sse;
pub mod stats;

use std::net::SocketAddr;
use std::sync::Arc;

use app::dto::Role;
use server::auth::{hash_password, ThrottlePolicy};
use server::console::{ConsoleOptions, ConsoleService};
use server::http::{serve, AppState, HttpOptions};
use server::store::{AuditEntry, PasswordKind, Store};
use sqlx::Connection;

pub const PASSWORD: &str = "correct horse battery staple";

/// A database for one test: a temporary SQLite file, or a fresh PostgreSQL
/// database dropped again by [`TestDb::cleanup`].
pub struct TestDb {
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    pg_admin: Option<(String, String)>,
}

impl TestDb {
    pub fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().expect("tempdir");
        let url = format!("sqlite://{}/tenantry.db", dir.path().display());
        TestDb {
            url,
            _dir: Some(dir),
            pg_admin: None,
        }
    }

    /// `None` when no PostgreSQL is configured; in CI that is a failure.
    pub async fn postgres() -> Option<TestDb> {
        let Ok(admin_url) = std::env::var("TENANTRY_TEST_POSTGRES_URL") else {
            assert!(
                std::env::var("CI").is_err(),
                "CI must set TENANTRY_TEST_POSTGRES_URL (see .ci/test)"
            );
            eprintln!("TENANTRY_TEST_POSTGRES_URL is not set: skipping the PostgreSQL half");
            return None;
        };
        sqlx::any::install_default_drivers();
        let name = format!("tenantry_test_{}_{}", std::process::id(), rand_suffix());
        let mut conn = sqlx::AnyConnection::connect(&admin_url)
            .await
            .expect("connect to PostgreSQL");
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .await
            .expect("create database");
        conn.close().await.ok();
        let base = admin_url
            .rsplit_once('/')
            .map(|(b, _)| b.to_string())
            .expect("URL with a database");
        Some(TestDb {
            url: format!("{base}/{name}"),
            _dir: None,
            pg_admin: Some((admin_url, name)),
        })
    }

    pub async fn cleanup(self) {
        if let Some((admin_url, name)) = &self.pg_admin {
            if let Ok(mut conn) = sqlx::AnyConnection::connect(admin_url).await {
                let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&mut conn)
                    .await;
            }
        }
    }
}

fn rand_suffix() -> u32 {
    use std::time::{SystemTime, UNIX_EPOCH};
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0)
}

pub async fn add_staff(store: &Store, username: &str, role: Role) {
    let hash = hash_password(PASSWORD.into()).await.expect("hash");
    store
        .insert_staff(
            username,
            (&hash, PasswordKind::Chosen),
            role,
            AuditEntry::new("test", "staff.create", "staff", username),
        )
        .await
        .expect("insert staff");
}

/// A server function's answer, decoded; any failure panics naming `what`,
/// the status and the body.
/// A form DTO as a server function's fields (`form[<field>]`, text and
/// numbers; an empty option is left out, as a browser leaves it).
pub fn form_fields<T: serde::Serialize>(form: &T) -> Vec<(String, String)> {
    let value = serde_json::to_value(form).expect("a form serializes");
    value
        .as_object()
        .map(|o| {
            o.iter()
                .filter_map(|(k, v)| {
                    let v = match v {
                        serde_json::Value::String(s) => s.clone(),
                        serde_json::Value::Number(n) => n.to_string(),
                        _ => return None,
                    };
                    Some((format!("form[{k}]"), v))
                })
                .collect()
        })
        .unwrap_or_default()
}

pub async fn json<T: serde::de::DeserializeOwned>(res: reqwest::Response, what: &str) -> T {
    let status = res.status();
    let body = res.text().await.expect("a body");
    assert!(status.is_success(), "{what}: {status} {body}");
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("{what}: {e}: {body}"))
}

/// A running console: base URL and a handle that stops it.
pub struct TestServer {
    pub base: String,
    pub addr: SocketAddr,
    pub store: Store,
    pub console: Arc<ConsoleService>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
    runner: Option<tokio::task::JoinHandle<()>>,
}

/// How a test console is set up: one builder for every test's needs.
#[derive(Clone)]
pub struct TestOptions {
    pub policy: ThrottlePolicy,
    pub bind: String,
    pub engine: Option<(
        server::cluster::Cluster,
        server::provisioning::RunnerOptions,
    )>,
    pub settings: server::manifests::RenderSettings,
    pub http: HttpOptions,
    pub streams_per_session: usize,
    /// Whether the engine's runner executes runs (off: runs stay queued).
    pub run_runner: bool,
    /// The Prometheus the alert rules read tenants' metrics from.
    pub prometheus: Option<server::alerts::Prometheus>,
    /// The DNS check of custom domains.
    pub dns: Option<Arc<server::domains::DnsCheck>>,
}

impl Default for TestOptions {
    fn default() -> Self {
        Self {
            policy: ThrottlePolicy::default(),
            bind: "127.0.0.1:0".into(),
            engine: None,
            settings: server::manifests::RenderSettings::default(),
            http: HttpOptions::default(),
            streams_per_session: server::live::STREAMS_PER_SESSION,
            run_runner: true,
            prometheus: None,
            dns: None,
        }
    }
}

impl TestOptions {
    /// With the provisioning engine on `cluster`, its runner running.
    pub fn engine(
        mut self,
        cluster: server::cluster::Cluster,
        opts: server::provisioning::RunnerOptions,
    ) -> Self {
        self.engine = Some((cluster, opts));
        self
    }

    pub async fn start(self, db_url: &str) -> TestServer {
        TestServer::launch(db_url, self).await
    }
}

/// The test S3 API's URL (`.ci/moto.sh`; `.ci/test` starts one). Tests
/// that back up need it: in CI its absence is an error.
#[allow(dead_code)] // not every test binary backs up
pub fn s3_url() -> Option<String> {
    let url = std::env::var("TENANTRY_TEST_S3_URL")
        .ok()
        .filter(|u| !u.is_empty());
    assert!(
        url.is_some() || std::env::var("CI").is_err(),
        "CI must start the test S3 API (source .ci/moto.sh; start_test_moto)"
    );
    url
}

impl TestServer {
    /// Seeds templates and one account per role: admin, operator, viewer.
    pub async fn start(db_url: &str) -> TestServer {
        TestOptions::default().start(db_url).await
    }

    pub async fn start_with(db_url: &str, policy: ThrottlePolicy) -> TestServer {
        TestOptions {
            policy,
            ..Default::default()
        }
        .start(db_url)
        .await
    }

    /// On a given address: a restart keeps the address, as a real one does.
    pub async fn start_at(db_url: &str, policy: ThrottlePolicy, bind: &str) -> TestServer {
        TestOptions {
            policy,
            bind: bind.into(),
            ..Default::default()
        }
        .start(db_url)
        .await
    }

    /// With the provisioning engine on `cluster`, its runner running.
    #[allow(dead_code)] // not every test binary drives the engine
    pub async fn start_engine(
        db_url: &str,
        cluster: server::cluster::Cluster,
        opts: server::provisioning::RunnerOptions,
    ) -> TestServer {
        TestOptions::default()
            .engine(cluster, opts)
            .start(db_url)
            .await
    }

    async fn launch(db_url: &str, o: TestOptions) -> TestServer {
        let store = Store::connect(db_url).await.expect("store");
        if store.count_staff().await.expect("count") == 0 {
            add_staff(&store, "admin", Role::Admin).await;
            add_staff(&store, "operator", Role::Operator).await;
            add_staff(&store, "viewer", Role::Viewer).await;
        }
        let leptos_options = leptos::prelude::LeptosOptions::builder()
            .output_name("tenantry")
            .site_root("target/site")
            .site_pkg_dir("pkg")
            .build();
        let slot = server::provisioning::EngineSlot::default();
        let monitor = server::monitoring::Monitor::new();
        let mut settings = o.settings.clone();
        let mut runner_task = None;
        let cluster_configured = o.engine.is_some();
        if let Some((cluster, mut opts)) = o.engine {
            // Backups go to the test S3 API (.ci/moto.sh), when there is one.
            if let Some(url) = s3_url() {
                if settings.backup_endpoint.is_empty() {
                    settings.backup_endpoint = url;
                }
                opts.backup_credentials
                    .get_or_insert_with(|| server::values::StoreCredentials {
                        access_key_id: server::values::Secret("testing".into()),
                        secret_access_key: server::values::Secret("testing".into()),
                    });
            }
            let runner = server::provisioning::Runner::new(
                store.clone(),
                cluster.clone(),
                std::sync::Arc::clone(monitor.index()),
                settings.clone(),
                opts,
            );
            if o.run_runner {
                runner_task = Some(runner.spawn());
            }
            let _ = slot.set(server::provisioning::Engine {
                cluster,
                settings: settings.clone(),
                runner,
            });
        }
        let console = ConsoleService::with_engine(
            store.clone(),
            slot,
            monitor,
            ConsoleOptions {
                settings,
                throttle: o.policy,
                public_url: o.http.public_url.clone(),
                sealer: server::alerts::Sealer::new(Some(&server::values::Secret(
                    "test secret key for channels".into(),
                )))
                .expect("sealer"),
                // The tests' receivers listen on loopback.
                outbound: server::alerts::Outbound {
                    allow: vec!["127.0.0.0/8".parse().expect("net")],
                    deny: vec![],
                },
                cluster_configured,
                streams_per_session: o.streams_per_session,
                prometheus: o.prometheus.clone(),
                dns: o.dns.clone(),
            },
        );
        server::background::start(
            &console,
            &server::replicas::Leadership::start(&store),
            Default::default(),
        );
        let state = AppState {
            leptos_options,
            store: store.clone(),
            console: Arc::clone(&console),
        };
        let listener = tokio::net::TcpListener::bind(&o.bind).await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let http = o.http;
        let task = tokio::spawn(async move {
            let _ = serve(listener, state, http, async move {
                let _ = stopped.await;
            })
            .await;
        });
        TestServer {
            base: format!("http://{addr}"),
            addr,
            store,
            console,
            stop: Some(stop),
            task: Some(task),
            runner: runner_task,
        }
    }

    pub async fn stop(mut self) {
        if let Some(r) = self.runner.take() {
            r.abort();
        }
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.task.take() {
            let _ = t.await;
        }
        self.store.close().await;
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// A browser-like client: keeps cookies, sends this server's Origin.
    pub fn client(&self) -> reqwest::Client {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(
            reqwest::header::ORIGIN,
            self.base.parse().expect("origin header"),
        );
        reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .default_headers(headers)
            .build()
            .expect("client")
    }

    pub async fn call(
        &self,
        client: &reqwest::Client,
        fn_name: &str,
        form: &[(&str, &str)],
    ) -> reqwest::Response {
        client
            .post(self.url(&format!("/api/{fn_name}")))
            .form(form)
            .send()
            .await
            .expect("request")
    }

    /// Signs in as `username` (password [`PASSWORD`]) and returns the client.
    pub async fn signed_in(&self, username: &str) -> reqwest::Client {
        let client = self.client();
        let (status, body) = self
            .login(&client, &[("username", username), ("password", PASSWORD)])
            .await;
        assert_eq!(status, 200, "login as {username}: {body}");
        client
    }
}

impl TestServer {
    /// A sign-in as a client should make it: when the console answers that
    /// it is busy hashing other sign-ins (tests in one binary share its
    /// hashing pool), it tries again shortly. Returns status and body.
    pub async fn login(&self, client: &reqwest::Client, form: &[(&str, &str)]) -> (u16, String) {
        retry_when_busy(|| self.call(client, "login", form)).await
    }
}

/// Sends a sign-in request until the console is not busy hashing others:
/// (status, body) of the first answer that is not `Busy`.
pub async fn retry_when_busy<F, Fut>(send: F) -> (u16, String)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = reqwest::Response>,
{
    for _ in 0..200 {
        let res = send().await;
        let status = res.status().as_u16();
        let body = res.text().await.unwrap_or_default();
        let busy = status == 429 && body.contains("Busy");
        if !busy {
            return (status, body);
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the console stayed busy");
}

/// Waits until run `id` finishes; fails the test after `timeout`, showing
/// its steps.
#[allow(dead_code)] // not every test binary has runs
pub async fn wait_run(store: &Store, id: i64, timeout: std::time::Duration) -> app::dto::RunDto {
    let start = std::time::Instant::now();
    loop {
        let run = store.get_run(id).await.expect("run");
        if run.state.is_finished() {
            return run;
        }
        assert!(
            start.elapsed() < timeout,
            "run {id} still {} after {timeout:?}: {:#?}",
            run.state,
            run.steps
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}

/// A store with the seeded templates and one pending tenant on `template`.
#[allow(dead_code)] // not every test binary makes tenants this way
pub async fn tenant_on(db: &TestDb, template: &str, stem: &str) -> (Store, String) {
    let store = Store::connect(&db.url).await.expect("tenant fixture");
    let template_id = store
        .list_templates()
        .await
        .expect("tenant fixture")
        .into_iter()
        .find(|t| t.key == template)
        .expect("tenant fixture")
        .id;
    let id = cluster::unique_id(stem);
    let fields = app::domain::tenant_rules::ValidTenantFields {
        company_name: format!("Runner test {id}"),
        owner_email: "owner@example.com".into(),
        owner_name: "Owner".into(),
        custom_domain: None,
    };
    store
        .insert_tenant(
            server::store::NewTenantRecord {
                id: &id,
                namespace: &format!("tenant-{}", id),
                fields: &fields,
                template_id,
                release: None,
                custom_fields: &server::manifests::NO_CUSTOM_FIELDS,
            },
            "test",
        )
        .await
        .expect("tenant fixture");
    (store, id)
}

/// Runs and steps written as the engine would leave them: `n` provisions
/// of `tenant`, every fourth failed at wait-database, finished today.
pub async fn seed_runs(db_url: &str, tenant: &str, n: i64) {
    let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(db_url)
        .await
        .expect("seed runs");
    let now = server::store::now_ms();
    for i in 0..n {
        let failed = i % 4 == 3;
        let state = if failed { "failed" } else { "completed" };
        let created = now - 3_600_000 + i;
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO provisioning_runs (tenant_id, operation, state, options, requested_by, \
             created_at, started_at, finished_at) VALUES ($1, 'provision', $2, '{}', 'bench', $3, $4, $5) \
             RETURNING id",
        )
        .bind(tenant)
        .bind(state)
        .bind(created)
        .bind(created + 500)
        .bind(created + 500 + 60_000)
        .fetch_one(&mut conn)
        .await
        .expect("seed a run");
        for (pos, name) in ["namespace", "wait-database"].iter().enumerate() {
            let (st, err) = match (pos, failed) {
                (1, true) => (
                    "failed",
                    Some(format!(
                        "StatefulSet tenant-{tenant}/db was not ready after {}s",
                        20 + i % 5
                    )),
                ),
                _ => ("completed", None),
            };
            sqlx::query(
                "INSERT INTO provisioning_steps (run_id, position, name, state, attempts, started_at, \
                 finished_at, last_error) VALUES ($1, $2, $3, $4, 1, $5, $6, $7)",
            )
            .bind(id)
            .bind(pos as i64)
            .bind(*name)
            .bind(st)
            .bind(created + 500)
            .bind(created + 500 + 1000 * (pos as i64 + 1))
            .bind(err)
            .execute(&mut conn)
            .await
            .expect("seed a step");
        }
    }
}

/// What the test's process logs at debug and above (the console's own
/// lines, kube's and sqlx's), kept to be searched: a test that reads
/// secrets proves none was logged. Installed once per process (nextest
/// runs each test in its own); later calls share the first buffer.
pub fn capture_logs() -> Arc<std::sync::Mutex<Vec<u8>>> {
    static LOGS: std::sync::OnceLock<Arc<std::sync::Mutex<Vec<u8>>>> = std::sync::OnceLock::new();
    LOGS.get_or_init(|| {
        let buf = Arc::new(std::sync::Mutex::new(Vec::new()));
        let sink = buf.clone();
        let _ = tracing_subscriber::fmt()
            .with_env_filter("debug")
            .with_ansi(false)
            .with_writer(move || LogSink(sink.clone()))
            .try_init();
        buf
    })
    .clone()
}

struct LogSink(Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for LogSink {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut v) = self.0.lock() {
            v.extend_from_slice(b);
        }
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
