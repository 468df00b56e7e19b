//! Channel secrets end to end, with the console as its own process (its
//! log is read): a Slack URL never shows, a secret never follows a channel
//! to a new destination, and a secret sealed by the first scheme still
//! opens and is sealed again.

use std::time::{Duration, Instant};

use app::dto::{ChannelDto, ChannelKind, NotificationDto, SavedChannel, Severity};
use base64::Engine as _;
use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng};
use chacha20poly1305::{ChaCha20Poly1305, Key};
use server::store::{NewChannel, SecretUpdate, Store};
use sha2::Digest;

use crate::common::process::{Console, ADMIN_PASSWORD};
use crate::common::receivers::WebhookReceiver;
use crate::common::TestDb;

const KEY: &str = "a test key of the console's channels";

/// What the first scheme made of `plain`: SHA-256 of the key, no binding.
fn sealed_the_old_way(plain: &str) -> String {
    let digest = sha2::Sha256::digest(KEY.as_bytes());
    let cipher = ChaCha20Poly1305::new(Key::from_slice(&digest));
    let nonce = ChaCha20Poly1305::generate_nonce(&mut OsRng);
    let mut out = nonce.to_vec();
    out.extend(cipher.encrypt(&nonce, plain.as_bytes()).unwrap());
    format!(
        "v1:{}",
        base64::engine::general_purpose::STANDARD.encode(out)
    )
}

async fn stored_secret(store: &Store, id: i64) -> String {
    store.channel(id).await.unwrap().secret.unwrap_or_default()
}

async fn deliveries(c: &Console, admin: &reqwest::Client, id: i64) -> Vec<NotificationDto> {
    c.call(admin, "delivery_log", &[("channel", &id.to_string())])
        .await
}

#[tokio::test]
async fn a_channel_secret_stays_secret_and_stays_with_its_destination() {
    let db = TestDb::sqlite();
    let store = Store::connect(&db.url).await.unwrap();
    let slack = WebhookReceiver::start().await;
    // A channel saved before this release: its Slack URL sealed the old way.
    let legacy = store
        .save_channel(
            None,
            NewChannel {
                name: "legacy slack",
                kind: ChannelKind::Slack,
                settings: serde_json::json!({ "ca_cert": "" }),
                secret: SecretUpdate::Seal(Box::new(|_| Ok(sealed_the_old_way(&slack.url)))),
                min_severity: Severity::Warning,
                template_ids: &[],
                tenant_ids: &[],
                group_window_secs: 0,
                repeat_secs: 0,
                send_resolved: false,
                enabled: true,
            },
            "alice",
        )
        .await
        .unwrap()
        .id;
    let console = Console::start_with(
        &db.url,
        &[
            ("TENANTRY_SECRET_KEY", KEY),
            ("RUST_LOG", "info"),
            // The receivers listen here; the rest of loopback stays refused.
            ("TENANTRY_OUTBOUND_ALLOW", "127.0.0.1/32"),
        ],
        false,
    );
    let admin = console.signed_in("admin", ADMIN_PASSWORD).await;

    // The leader seals it again with the current scheme; it still opens.
    let start = Instant::now();
    while !stored_secret(&store, legacy).await.starts_with("v2:") {
        assert!(start.elapsed() < Duration::from_secs(20), "not re-sealed");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let _: i64 = console
        .call(&admin, "test_channel", &[("id", &legacy.to_string())])
        .await;
    slack.wait_for("the legacy channel's test", |_| true).await;

    // A Slack channel at a closed local port: its URL is its secret.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}/services/T0SEKRET/B0SEKRET/xoxSekr3tT0ken?team=q1");
    let saved: SavedChannel = console
        .call(
            &admin,
            "save_channel",
            &[
                ("form[name]", "team slack"),
                ("form[kind]", "slack"),
                ("form[secret]", &url),
                ("form[enabled]", "true"),
            ],
        )
        .await;
    let id = saved.channel.id;
    let _: i64 = console
        .call(&admin, "test_channel", &[("id", &id.to_string())])
        .await;
    let start = Instant::now();
    let log = loop {
        let log = deliveries(&console, &admin, id).await;
        if log.iter().any(|n| n.last_error.is_some()) {
            break log;
        }
        assert!(start.elapsed() < Duration::from_secs(20), "{log:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let channels: Vec<ChannelDto> = console.call(&admin, "list_channels", &[]).await;
    let page = admin
        .get(format!("{}/alerts/channels", console.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let everything = [
        format!("{log:?}"),
        format!("{channels:?}"),
        page,
        console.log().join("\n"),
    ];
    for (what, text) in [
        "the delivery log",
        "the channels",
        "the page",
        "the console's log",
    ]
    .iter()
    .zip(&everything)
    {
        for part in ["SEKRET", "Sekr3t", "team=q1", &format!("127.0.0.1:{port}")] {
            assert!(!text.contains(part), "{what} shows {part:?}:\n{text}");
        }
    }
    assert!(
        everything[3].contains("could not be delivered"),
        "the failure is logged, without the URL"
    );

    // A webhook at an internal address that is not allowed is refused
    // before anything is sent.
    let hook: SavedChannel = console
        .call(
            &admin,
            "save_channel",
            &[
                ("form[name]", "inward hook"),
                ("form[kind]", "webhook"),
                ("form[url]", &format!("http://127.0.0.2:{port}/admin")),
                ("form[enabled]", "true"),
            ],
        )
        .await;
    let hook_id = hook.channel.id;
    let _: i64 = console
        .call(&admin, "test_channel", &[("id", &hook_id.to_string())])
        .await;
    let start = Instant::now();
    loop {
        let log = deliveries(&console, &admin, hook_id).await;
        if let Some(e) = log.iter().find_map(|n| n.last_error.clone()) {
            assert!(
                e.contains("refused") && e.contains("--outbound-allow"),
                "{e}"
            );
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(20), "{log:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // Its kind or destination changed without the secret entered again:
    // refused, naming the field; a rename keeps it.
    let res = admin
        .post(format!("{}/api/save_channel", console.base))
        .form(&[
            ("id", id.to_string().as_str()),
            ("form[name]", "team slack"),
            ("form[kind]", "pagerduty"),
            ("form[url]", "http://collector.example.net/enqueue"),
            ("form[enabled]", "true"),
        ])
        .send()
        .await
        .unwrap();
    let (status, body) = (res.status(), res.text().await.unwrap());
    assert_eq!(status, 422, "{body}");
    assert!(
        body.contains("secret") && body.contains("enter its secret again"),
        "{body}"
    );
    let before = stored_secret(&store, id).await;
    let _: SavedChannel = console
        .call(
            &admin,
            "save_channel",
            &[
                ("id", &id.to_string()),
                ("form[name]", "team slack (ops)"),
                ("form[kind]", "slack"),
                ("form[enabled]", "true"),
            ],
        )
        .await;
    assert_eq!(stored_secret(&store, id).await, before, "a rename keeps it");
    // The stored secret moved to another row does not open there.
    let moved = store.channel(id).await.unwrap().secret.unwrap();
    assert!(store
        .reseal_channel_secret(legacy, &stored_secret(&store, legacy).await, &moved)
        .await
        .unwrap());
    let _: i64 = console
        .call(&admin, "test_channel", &[("id", &legacy.to_string())])
        .await;
    let start = Instant::now();
    loop {
        let log = deliveries(&console, &admin, legacy).await;
        if let Some(e) = log.iter().find_map(|n| n.last_error.clone()) {
            assert!(e.contains("cannot be opened"), "{e}");
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(20), "{log:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
