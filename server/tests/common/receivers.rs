//! Real peers that notifications are sent to: an SMTP server (npm
//! `smtp-server`, started with node) and an HTTP receiver of webhooks, each
//! on a free loopback port, keeping what they received.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::http::HeaderMap;

/// One mail as the SMTP server received it.
#[derive(Clone, Debug, serde::Deserialize)]
pub struct Mail {
    pub from: String,
    pub to: Vec<String>,
    /// Headers and body as sent.
    pub data: String,
}

pub struct SmtpServer {
    child: Child,
    pub port: u16,
    mails: Arc<Mutex<Vec<Mail>>>,
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl SmtpServer {
    pub fn start() -> SmtpServer {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../end2end/support/smtp.mjs");
        let mut child = Command::new("node")
            .arg(script)
            .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../end2end"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("node runs end2end/support/smtp.mjs (npm ci in end2end first)");
        let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let port = loop {
            let line = lines.next().expect("the SMTP server starts").expect("line");
            if let Some(p) = line.strip_prefix("listening ") {
                break p.trim().parse().expect("port");
            }
        };
        let mails = Arc::new(Mutex::new(vec![]));
        let keep = Arc::clone(&mails);
        std::thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                if let Ok(m) = serde_json::from_str::<Mail>(&line) {
                    keep.lock().expect("mails").push(m);
                }
            }
        });
        SmtpServer { child, port, mails }
    }

    pub fn mails(&self) -> Vec<Mail> {
        self.mails.lock().expect("mails").clone()
    }

    /// Waits until a mail satisfies `ok`.
    pub async fn wait_for(&self, what: &str, ok: impl Fn(&Mail) -> bool) -> Mail {
        let start = Instant::now();
        loop {
            if let Some(m) = self.mails().into_iter().find(|m| ok(m)) {
                return m;
            }
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "no mail {what}: got {:#?}",
                self.mails()
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

/// One webhook delivery: its headers and body.
#[derive(Clone, Debug)]
pub struct Delivery {
    pub id: String,
    pub timestamp: u64,
    pub signature: String,
    pub body: String,
    pub json: serde_json::Value,
    /// When it arrived.
    pub at: Instant,
}

/// An HTTP server that records every POST; `failing` makes it answer 503.
pub struct WebhookReceiver {
    pub url: String,
    got: Arc<Mutex<Vec<Delivery>>>,
    pub failing: Arc<std::sync::atomic::AtomicBool>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for WebhookReceiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl WebhookReceiver {
    pub async fn start() -> WebhookReceiver {
        let got: Arc<Mutex<Vec<Delivery>>> = Arc::new(Mutex::new(vec![]));
        let failing = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (keep, fail) = (Arc::clone(&got), Arc::clone(&failing));
        let app = axum::Router::new().fallback(axum::routing::post(
            move |headers: HeaderMap, body: Bytes| {
                let (keep, fail) = (Arc::clone(&keep), Arc::clone(&fail));
                async move {
                    if fail.load(std::sync::atomic::Ordering::SeqCst) {
                        return axum::http::StatusCode::SERVICE_UNAVAILABLE;
                    }
                    let h = |k: &str| {
                        headers
                            .get(k)
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or("")
                            .to_string()
                    };
                    let body = String::from_utf8_lossy(&body).to_string();
                    keep.lock().expect("deliveries").push(Delivery {
                        id: h("webhook-id"),
                        timestamp: h("webhook-timestamp").parse().unwrap_or(0),
                        signature: h("webhook-signature"),
                        json: serde_json::from_str(&body).unwrap_or_default(),
                        body,
                        at: Instant::now(),
                    });
                    axum::http::StatusCode::NO_CONTENT
                }
            },
        ));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://{}/hook", listener.local_addr().expect("addr"));
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        WebhookReceiver {
            url,
            got,
            failing,
            task,
        }
    }

    pub fn deliveries(&self) -> Vec<Delivery> {
        self.got.lock().expect("deliveries").clone()
    }

    /// Waits until a delivery satisfies `ok`.
    pub async fn wait_for(&self, what: &str, ok: impl Fn(&Delivery) -> bool) -> Delivery {
        let start = Instant::now();
        loop {
            if let Some(d) = self.deliveries().into_iter().find(|d| ok(d)) {
                return d;
            }
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "no webhook {what}: got {:#?}",
                self.deliveries()
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

/// Whether a delivery's signature is right for `secret` (Standard Webhooks).
pub fn signed_by(d: &Delivery, secret: &str) -> bool {
    server::alerts::send::sign(secret, &d.id, d.timestamp, &d.body).is_ok_and(|s| s == d.signature)
}

/// The alerts a webhook delivery tells of: (tenant, rule, subject).
pub fn alerts_in(d: &Delivery) -> Vec<(String, String, String)> {
    d.json["alerts"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|x| {
                    let s = |k: &str| x[k].as_str().unwrap_or("").to_string();
                    (s("tenant"), s("rule"), s("subject"))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The raw bodies an OTLP/HTTP trace receiver got.
pub type OtlpBodies = Arc<Mutex<Vec<Vec<u8>>>>;

/// An OTLP/HTTP receiver (`POST /v1/traces`) on a free loopback port: its
/// base URL (for `OTEL_EXPORTER_OTLP_ENDPOINT`) and what it received.
pub async fn otlp() -> (String, OtlpBodies) {
    let bodies: OtlpBodies = Arc::default();
    let keep = Arc::clone(&bodies);
    let app = axum::Router::new().route(
        "/v1/traces",
        axum::routing::post(move |body: Bytes| {
            let keep = Arc::clone(&keep);
            async move {
                if let Ok(mut b) = keep.lock() {
                    b.push(body.to_vec());
                }
                // An empty ExportTraceServiceResponse.
                (
                    [(axum::http::header::CONTENT_TYPE, "application/x-protobuf")],
                    Vec::<u8>::new(),
                )
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("address");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (format!("http://{addr}"), bodies)
}
