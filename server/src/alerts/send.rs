//! Sending one message on one channel: email over SMTP (STARTTLS, TLS or
//! plain, with an optional private CA), a webhook signed as the Standard
//! Webhooks specification says, a Slack incoming webhook, PagerDuty Events
//! v2 (the alert's fingerprint as dedup key). Errors name the channel and
//! the peer's answer, never the secret.

use std::time::{SystemTime, UNIX_EPOCH};

use app::dto::{ChannelKind, Severity};
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use lettre::message::header::ContentType;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use serde_json::{json, Value};
use sha2::Sha256;

use super::message::Message;
use super::outbound::Outbound;
use crate::store::ChannelRow;

/// Default PagerDuty Events v2 endpoint.
pub const PAGERDUTY_EVENTS: &str = "https://events.pagerduty.com/v2/enqueue";
const HTTP_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(15);

/// Sends `m` on `ch`; `secret` is the channel's opened secret, `owners`
/// extra mail recipients (tenant owners, for the rules the channel says).
pub async fn send(
    ch: &ChannelRow,
    secret: Option<&str>,
    m: &Message,
    (owners, o): (&[String], &Outbound),
) -> Result<(), String> {
    let settings: Value =
        serde_json::from_str(&ch.settings).map_err(|e| format!("settings: {e}"))?;
    match ch.kind() {
        ChannelKind::Email => email(o, &settings, secret, (m, owners)).await,
        ChannelKind::Webhook => webhook(o, &settings, secret, m).await,
        ChannelKind::Slack => slack(o, &settings, secret, m).await,
        ChannelKind::Pagerduty => pagerduty(o, &settings, secret, m).await,
    }
}

fn s<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key].as_str().unwrap_or("")
}

/// One mail: its subject, text, Message-ID (stable across retries) and
/// recipients.
pub struct Mail {
    pub subject: String,
    pub text: String,
    pub message_id: String,
    pub to: Vec<String>,
}

/// An alert notification as a mail: to the channel's recipients and the
/// `owners` it names.
async fn email(
    o: &Outbound,
    settings: &Value,
    password: Option<&str>,
    (m, owners): (&Message, &[String]),
) -> Result<(), String> {
    let mut to: Vec<String> = s(settings, "to")
        .split(',')
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .map(String::from)
        .collect();
    to.extend(owners.iter().cloned());
    to.dedup();
    let mail = Mail {
        subject: m.subject(),
        text: m.text(),
        message_id: m.idempotency_key.clone(),
        to,
    };
    mail_via(o, settings, password, mail).await
}

/// Sends `mail` through e-mail channel `ch` (`secret`: its opened SMTP
/// password) to the mail's recipients alone.
pub async fn send_mail(
    ch: &ChannelRow,
    secret: Option<&str>,
    mail: Mail,
    o: &Outbound,
) -> Result<(), String> {
    if ch.kind() != ChannelKind::Email {
        return Err(format!("channel {} is not an e-mail channel", ch.name));
    }
    let settings: Value =
        serde_json::from_str(&ch.settings).map_err(|e| format!("settings: {e}"))?;
    mail_via(o, &settings, secret, mail).await
}

/// Sends one mail over the SMTP server `settings` name.
async fn mail_via(
    o: &Outbound,
    settings: &Value,
    password: Option<&str>,
    mail: Mail,
) -> Result<(), String> {
    let host = s(settings, "host");
    let port = u16::try_from(settings["port"].as_u64().unwrap_or(587)).map_err(|_| "bad port")?;
    let ca = s(settings, "ca_cert");
    let tls = |host: &str| -> Result<TlsParameters, String> {
        let mut b = TlsParameters::builder(host.to_string());
        if !ca.is_empty() {
            let cert =
                Certificate::from_pem(ca.as_bytes()).map_err(|e| format!("CA certificate: {e}"))?;
            b = b.add_root_certificate(cert);
        }
        b.build().map_err(|e| format!("TLS: {e}"))
    };
    // Connected to an address judged here (TLS still checks the name).
    let at = o.resolve(host, port).await?;
    let ip = at.first().map(|a| a.ip().to_string()).unwrap_or_default();
    let mut transport = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(ip).port(port);
    transport = match s(settings, "tls") {
        "none" => transport.tls(Tls::None),
        "tls" => transport.tls(Tls::Wrapper(tls(host)?)),
        _ => transport.tls(Tls::Required(tls(host)?)),
    };
    let user = s(settings, "user");
    if !user.is_empty() {
        transport =
            transport.credentials(Credentials::new(user.into(), password.unwrap_or("").into()));
    }
    let mut builder = lettre::Message::builder()
        .from(
            s(settings, "from")
                .parse()
                .map_err(|e| format!("from: {e}"))?,
        )
        .subject(mail.subject)
        .message_id(Some(format!("<{}@tenantry>", mail.message_id)))
        .header(ContentType::TEXT_PLAIN);
    for addr in &mail.to {
        builder = builder.to(addr.parse().map_err(|e| format!("to {addr}: {e}"))?);
    }
    let mail = builder
        .body(mail.text)
        .map_err(|e| format!("message: {e}"))?;
    transport
        .build()
        .send(mail)
        .await
        .map(|_| ())
        .map_err(|e| format!("SMTP {host}:{port}: {}", smtp_failure(&e)))
}

fn client(o: &Outbound, ca: &str) -> Result<reqwest::Client, String> {
    o.http_client(ca, HTTP_TIMEOUT)
}

async fn post(o: &Outbound, url: &str, req: reqwest::RequestBuilder) -> Result<(), String> {
    o.check_url(url)?;
    let res = req.send().await.map_err(|e| {
        let host = url::Url::parse(url)
            .ok()
            .and_then(|u| u.host_str().map(String::from))
            .unwrap_or_default();
        format!("POST to {host}: {}", http_failure(e))
    })?;
    let status = res.status();
    if status.is_success() {
        return Ok(());
    }
    // The status only: an answer's body (or a redirect's target) is the
    // receiver's to say, and would turn a channel into a probe of whatever
    // answers there. Redirects are not followed.
    Err(format!("the receiver answered {status}"))
}

/// Why a request failed, without its URL: a channel's URL is its secret
/// (a Slack webhook's path), and reqwest's own text carries it.
fn http_failure(e: reqwest::Error) -> String {
    let e = e.without_url();
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else if e.is_redirect() {
        "redirected"
    } else {
        "failed"
    };
    let mut cause: &dyn std::error::Error = &e;
    while let Some(next) = cause.source() {
        cause = next;
    }
    format!("{kind} ({cause})")
}

/// Why an SMTP delivery failed, without the server's own words (its reply
/// or banner is not ours to repeat to viewers): the kind and reply code.
fn smtp_failure(e: &lettre::transport::smtp::Error) -> String {
    let kind = if e.is_permanent() {
        "the server refused the message"
    } else if e.is_transient() {
        "the server deferred the message"
    } else if e.is_timeout() {
        "timed out"
    } else if e.is_tls() {
        "TLS failed"
    } else {
        "the connection failed"
    };
    match e.status() {
        Some(code) => format!("{kind} (reply code {code})"),
        None => kind.to_string(),
    }
}

/// `v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">` under the
/// secret's key (`whsec_<base64>`), as the Standard Webhooks spec says.
pub fn sign(secret: &str, id: &str, timestamp: u64, body: &str) -> Result<String, String> {
    let key = STANDARD
        .decode(secret.trim_start_matches("whsec_"))
        .map_err(|_| "the signing secret is not whsec_<base64>".to_string())?;
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).map_err(|e| e.to_string())?;
    mac.update(format!("{id}.{timestamp}.{body}").as_bytes());
    Ok(format!(
        "v1,{}",
        STANDARD.encode(mac.finalize().into_bytes())
    ))
}

/// A new signing secret: `whsec_` and 32 random bytes in base64.
pub fn new_signing_secret() -> String {
    use rand::RngCore;
    let mut key = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut key);
    format!("whsec_{}", STANDARD.encode(key))
}

async fn webhook(
    o: &Outbound,
    settings: &Value,
    secret: Option<&str>,
    m: &Message,
) -> Result<(), String> {
    let url = s(settings, "url");
    let body = m.json().to_string();
    let ts = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let signature = sign(
        secret.ok_or("no signing secret stored")?,
        &m.idempotency_key,
        ts,
        &body,
    )?;
    let c = client(o, s(settings, "ca_cert"))?;
    let req = c
        .post(url)
        .header("content-type", "application/json")
        .header("webhook-id", &m.idempotency_key)
        .header("webhook-timestamp", ts.to_string())
        .header("webhook-signature", signature)
        .body(body);
    post(o, url, req).await
}

async fn slack(
    o: &Outbound,
    settings: &Value,
    secret: Option<&str>,
    m: &Message,
) -> Result<(), String> {
    let url = secret.ok_or("no Slack webhook URL stored")?;
    let c = client(o, s(settings, "ca_cert"))?;
    let text = format!("*{}*\n{}", m.subject(), m.text());
    let req = c.post(url).json(&json!({ "text": text }));
    post(o, url, req).await
}

async fn pagerduty(
    o: &Outbound,
    settings: &Value,
    secret: Option<&str>,
    m: &Message,
) -> Result<(), String> {
    let url = match s(settings, "url") {
        "" => PAGERDUTY_EVENTS,
        u => u,
    };
    let key = secret.ok_or("no PagerDuty routing key stored")?;
    let c = client(o, s(settings, "ca_cert"))?;
    if m.alerts.is_empty() {
        let req = c.post(url).json(&json!({
            "routing_key": key, "event_action": "trigger", "dedup_key": m.idempotency_key,
            "payload": { "summary": m.subject(), "severity": "info", "source": "tenantry" },
        }));
        return post(o, url, req).await;
    }
    for a in &m.alerts {
        let severity = match a.severity {
            Severity::Critical => "critical",
            Severity::Warning => "warning",
            Severity::Info => "info",
        };
        let req = c.post(url).json(&json!({
            "routing_key": key,
            "event_action": m.pagerduty_action(a),
            "dedup_key": a.fingerprint,
            "payload": {
                "summary": a.summary, "severity": severity, "source": "tenantry",
                "component": a.tenant_id, "group": a.rule, "class": a.subject,
            },
            "links": m.link(Some(a)).map(|href| vec![json!({ "href": href, "text": "Tenantry" })]),
        }));
        post(o, url, req).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_follow_the_standard_webhooks_example() {
        // The specification's published example.
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let id = "msg_p5jXN8AQM9LWM0D4loKWxJek";
        let body = r#"{"test": 2432232314}"#;
        let sig = sign(secret, id, 1614265330, body).expect("sign");
        assert_eq!(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
        assert!(new_signing_secret().starts_with("whsec_"));
    }

    /// A receiver on a local port answering every request with `answer`.
    async fn receiver(answer: &'static str) -> u16 {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let port = listener.local_addr().expect("addr").port();
        tokio::spawn(async move {
            while let Ok((mut conn, _)) = listener.accept().await {
                let mut buf = [0u8; 4096];
                let _ = conn.read(&mut buf).await;
                let _ = conn.write_all(answer.as_bytes()).await;
            }
        });
        port
    }

    #[tokio::test]
    async fn a_failed_post_names_neither_the_url_nor_the_answer() {
        // Loopback is internal: refused unless allowed, before connecting.
        let refused = Outbound::default();
        let c = client(&refused, "").expect("client");
        let url = "http://127.0.0.1:9/hook".to_string();
        let err = post(&refused, &url, c.post(&url).body("{}"))
            .await
            .unwrap_err();
        assert!(err.contains("--outbound-allow"), "{err}");
        let o = Outbound {
            allow: vec!["127.0.0.1/32".parse().expect("net")],
            deny: vec![],
        };
        let c = client(&o, "").expect("client");
        // A closed port: reqwest's own text would carry the whole URL.
        let closed = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let url = format!("http://127.0.0.1:{closed}/services/T0/B0/SECRETPATH?token=QUERYSECRET");
        let err = post(&o, &url, c.post(&url).body("{}")).await.unwrap_err();
        assert!(err.contains("could not connect"), "{err}");
        for secret in ["SECRETPATH", "QUERYSECRET", "/services"] {
            assert!(!err.contains(secret), "{secret} in {err}");
        }
        // An error answer: its status, never its body.
        let port = receiver(
            "HTTP/1.1 500 Internal Server Error\r\ncontent-length: 22\r\nconnection: close\r\n\r\ninternal banner v1.2.3",
        )
        .await;
        let url = format!("http://127.0.0.1:{port}/hook");
        let err = post(&o, &url, c.post(&url).body("{}")).await.unwrap_err();
        assert!(err.contains("500"), "{err}");
        assert!(!err.contains("banner"), "{err}");
        // A redirect is not followed: it is an answer like any other.
        let port = receiver(
            "HTTP/1.1 302 Found\r\nlocation: http://169.254.169.254/latest\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
        )
        .await;
        let url = format!("http://127.0.0.1:{port}/hook");
        let err = post(&o, &url, c.post(&url).body("{}")).await.unwrap_err();
        assert!(err.contains("302") && !err.contains("169.254"), "{err}");
    }
}
