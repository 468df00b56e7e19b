#![allow(clippy::unwrap_used)] // test support: a panic is the failure report

//! A real `tenantry serve` process: started with a database and settings,
//! its address read from what it prints, signed in to over HTTP, its
//! server functions called, its memory read from the kernel.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};

/// The first admin's password every console started here gets.
pub const ADMIN_PASSWORD: &str = "process test admin password";

pub struct Console {
    pub child: Child,
    pub base: String,
    /// What the process wrote to stderr (its log).
    log: Arc<Mutex<Vec<String>>>,
}

impl Console {
    /// `tenantry serve` on `db_url`, with `env` on top of the defaults
    /// (admin password, warnings only in the log; an empty value unsets).
    pub fn start(db_url: &str, env: &[(&str, &str)]) -> Console {
        Console::start_with(db_url, env, true)
    }

    /// As [`Console::start`]; `echo`: copy its log to this stderr.
    pub fn start_with(db_url: &str, env: &[(&str, &str)], echo: bool) -> Console {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_tenantry"));
        cmd.args(["serve", "--listen", "127.0.0.1:0"])
            .env("TENANTRY_DATABASE_URL", db_url)
            .env("TENANTRY_ADMIN_PASSWORD", ADMIN_PASSWORD)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        // Backups go to the test S3 API, when there is one.
        if let Some(url) = super::s3_url() {
            cmd.env("TENANTRY_BACKUP_ENDPOINT", url)
                .env("TENANTRY_BACKUP_ACCESS_KEY_ID", "testing")
                .env("TENANTRY_BACKUP_SECRET_ACCESS_KEY", "testing");
        }
        // An empty value unsets the variable (e.g. no admin password).
        for (k, v) in env {
            if v.is_empty() {
                cmd.env_remove(k);
            } else {
                cmd.env(k, v);
            }
        }
        let mut child = cmd.spawn().unwrap();
        // Drain the log (stderr) from the start: a console that logs more
        // than a pipe holds before it prints its address (debug logging of
        // a first start) would otherwise block, and this wait with it.
        let log = Arc::new(Mutex::new(vec![]));
        let keep = Arc::clone(&log);
        let stderr = BufReader::new(child.stderr.take().unwrap()).lines();
        std::thread::spawn(move || {
            for line in stderr.map_while(Result::ok) {
                if echo {
                    eprintln!("{line}");
                }
                keep.lock().unwrap().push(line);
            }
        });
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let base = loop {
            let line = lines
                .next()
                .expect("the console prints its address")
                .unwrap();
            if let Some(url) = line.strip_prefix("Tenantry console: ") {
                break url.trim().to_string();
            }
        };
        // Keep draining stdout too, so the child never blocks on it.
        std::thread::spawn(move || for _ in lines {});
        Console { child, base, log }
    }

    /// The log lines written so far.
    pub fn log(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// A kernel figure of the process, in KiB ("VmRSS", "VmHWM").
    pub fn kib(&self, field: &str) -> u64 {
        std::fs::read_to_string(format!("/proc/{}/status", self.pid()))
            .unwrap()
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{field}:")))
            .and_then(|v| v.split_whitespace().next()?.parse().ok())
            .unwrap()
    }

    /// Whether `owner` (a run owner, `host/pid/boot`) is this process.
    pub fn owns(&self, owner: &Option<String>) -> bool {
        owner
            .as_deref()
            .is_some_and(|o| o.split('/').nth(1) == Some(&self.pid().to_string()))
    }

    /// A client whose requests come from the console's own origin.
    pub fn client(&self) -> reqwest::Client {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(reqwest::header::ORIGIN, self.base.parse().unwrap());
        reqwest::Client::builder()
            .cookie_store(true)
            .default_headers(headers)
            .build()
            .unwrap()
    }

    /// A client signed in as `username`.
    pub async fn signed_in(&self, username: &str, password: &str) -> reqwest::Client {
        let client = self.client();
        let res = client
            .post(format!("{}/api/login", self.base))
            .form(&[("username", username), ("password", password)])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "signing in as {username}");
        client
    }

    /// A client signed in as the first admin.
    pub async fn admin(&self) -> reqwest::Client {
        self.signed_in("admin", ADMIN_PASSWORD).await
    }

    /// Calls a server function and decodes its answer; any failure panics
    /// with the function's name, status and body.
    pub async fn call<T: serde::de::DeserializeOwned>(
        &self,
        client: &reqwest::Client,
        f: &str,
        form: &[(&str, &str)],
    ) -> T {
        let res = client
            .post(format!("{}/api/{f}", self.base))
            .form(form)
            .send()
            .await
            .unwrap();
        let (status, body) = (res.status(), res.text().await.unwrap());
        assert!(status.is_success(), "{f}: {status} {body}");
        serde_json::from_str(&body).unwrap()
    }

    /// Ends the process at once (SIGKILL).
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Console {
    fn drop(&mut self) {
        self.kill();
    }
}
