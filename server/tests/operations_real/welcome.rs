//! The welcome mail on the real control plane, a real SMTP server and two
//! replicas on PostgreSQL: when a tenant is first provisioned (here after
//! a failed attempt retried), its owner gets one mail through the owner
//! channel, with the tenant's URLs, the admin's user name and a one-time
//! link, never the password; the link's page shows the password once
//! (`Referrer-Policy: no-referrer`), and then says it was used. A
//! deprovisioning that asks for it tells the owner before and after.

use super::*;
use common::ops::application_with_plan;
use common::receivers::SmtpServer;
use k8s_openapi::api::core::v1::Secret;
use server::store::{NewChannel, SecretUpdate};

const GREETED: &str = r#"
database:
  kind: postgres
  image: postgres:16
  name: greeted
components:
  - name: api
    image: greeted:1.0
    ports: [{ name: http, container_port: 8080 }]
    route: { path: / }
jobs:
  - name: create-admin
    phase: post-provision
    image: greeted:1.0
    env:
      - { name: ADMIN_USERNAME, value: "${admin.username}" }
      - { name: ADMIN_PASSWORD, value: "${admin.password}" }
contract:
  admin: true
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_owner_is_welcomed_once_with_a_link_that_works_once() {
    let Some(cluster) = test_cluster().await else {
        return;
    };
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    let kube = cluster.client.clone();
    let smtp = SmtpServer::start();
    // Each replica's public address is its own (the link names one).
    let replica = |cluster: server::cluster::Cluster| {
        let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let at = free.local_addr().unwrap();
        drop(free);
        let mut o = common::TestOptions::default().engine(
            cluster,
            RunnerOptions {
                owner_channel: Some("owners".into()),
                wait_database: Duration::from_secs(8),
                ..fast()
            },
        );
        o.bind = at.to_string();
        o.http.public_url = Some(format!("http://{at}/").parse().unwrap());
        o
    };
    let a = replica(cluster.clone()).start(&db.url).await;
    let b = replica(cluster).start(&db.url).await;
    let op = a.signed_in("operator").await;
    a.store
        .save_channel(
            None,
            NewChannel {
                name: "owners",
                kind: app::dto::ChannelKind::Email,
                settings: serde_json::json!({
                    "host": "127.0.0.1", "port": smtp.port, "tls": "none",
                    "from": "tenantry@example.com", "to": "ops@example.com",
                }),
                secret: SecretUpdate::Keep,
                min_severity: app::dto::Severity::Critical,
                template_ids: &[],
                tenant_ids: &[],
                group_window_secs: 0,
                repeat_secs: 0,
                send_resolved: false,
                enabled: true,
            },
            "test",
        )
        .await
        .unwrap();
    application_with_plan(
        &a,
        ("greeted", "Greeted"),
        GREETED,
        ("free", |_: &mut _| {}),
    )
    .await;
    let id = new_tenant(&a, &op, "greeted-plan", "greeted").await;
    let ns = format!("tenant-{id}");
    let broken = Arc::new(AtomicBool::new(true));
    let flag = Arc::clone(&broken);
    let _kubelet = FakeKubelet::start(kube.clone(), &ns, move |p| {
        if component(p) == "database" && flag.load(Ordering::SeqCst) {
            PodFate::CrashLoop
        } else {
            happy(p)
        }
    });

    // The first attempt fails: nobody is welcomed to a tenant that is not.
    let run: RunDto = json(
        a.call(&op, "provision_tenant", &[("id", &id)]).await,
        "provision",
    )
    .await;
    let failed = wait_run(&a.store, run.id, Duration::from_secs(120)).await;
    assert_eq!(failed.state, RunState::Failed);
    assert!(a.store.owner_messages(&id).await.unwrap().is_empty());
    // Retried, it completes (on whichever replica claims it): one mail.
    let step = failed
        .steps
        .iter()
        .find(|s| s.state == StepState::Failed)
        .unwrap();
    broken.store(false, Ordering::SeqCst);
    let (run_id, position) = (run.id.to_string(), step.position.to_string());
    let _: RunDto = json(
        a.call(
            &op,
            "retry_step",
            &[("id", run_id.as_str()), ("position", position.as_str())],
        )
        .await,
        "retry",
    )
    .await;
    let done = wait_run(&a.store, run.id, Duration::from_secs(120)).await;
    assert_eq!(done.state, RunState::Completed, "{:#?}", done.steps);

    let to_owner = |m: &common::receivers::Mail| m.to.iter().any(|t| t == "owner@example.com");
    let mail = smtp.wait_for("to the owner", to_owner).await;
    assert_eq!(mail.to, ["owner@example.com"], "only the owner");
    assert!(mail.data.contains("Subject: Welcome:"), "{}", mail.data);
    assert!(
        mail.data.contains("Your administrator account: owner"),
        "{}",
        mail.data
    );
    let link = mail
        .data
        .split_whitespace()
        .find(|w| {
            [&a.base, &b.base]
                .iter()
                .any(|at| w.starts_with(&format!("{at}/welcome/")))
        })
        .unwrap_or_else(|| panic!("a link in {}", mail.data))
        .to_string();
    let token = link.rsplit('/').next().unwrap_or_default().to_string();
    assert_eq!(token.len(), 43, "{link}");
    let secret = Api::<Secret>::namespaced(kube.clone(), &ns)
        .get("tenant-admin")
        .await
        .unwrap();
    let password = String::from_utf8(secret.data.unwrap()["password"].0.clone()).unwrap();
    // Both replicas deliver for a while: still one mail, and none with
    // the password.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let mails = smtp.mails();
    assert_eq!(
        mails.iter().filter(|m| to_owner(m)).count(),
        1,
        "{mails:#?}"
    );
    for m in &mails {
        assert!(!m.data.contains(&password), "{}", m.data);
    }
    let sent = a.store.owner_messages(&id).await.unwrap();
    assert_eq!(sent.len(), 1);
    assert_eq!(
        (sent[0].0.as_str(), sent[0].1.as_str()),
        ("welcome", "sent")
    );

    // The link's page: opening it spends nothing, and shows no password.
    let http = reqwest::Client::new();
    let url = format!("{}/welcome/{token}", b.base);
    for _ in 0..2 {
        let page = http.get(&url).send().await.unwrap();
        assert_eq!(page.status(), 200);
        assert_eq!(page.headers()["referrer-policy"], "no-referrer");
        assert_eq!(page.headers()["cache-control"], "no-store");
        let text = page.text().await.unwrap();
        assert!(text.contains("Show my password once") && !text.contains(&password));
    }
    // The button shows it, once, on any replica.
    let shown = http.post(&url).send().await.unwrap();
    assert_eq!(shown.status(), 200);
    assert_eq!(shown.headers()["referrer-policy"], "no-referrer");
    let text = shown.text().await.unwrap();
    assert!(text.contains(&password), "{text}");
    assert!(text.contains(">owner<"), "{text}");
    for again in [
        http.post(format!("{}/welcome/{token}", a.base))
            .send()
            .await
            .unwrap(),
        http.get(&url).send().await.unwrap(),
    ] {
        assert_eq!(again.status(), 410);
        let text = again.text().await.unwrap();
        assert!(
            text.contains("used already") && !text.contains(&password),
            "{text}"
        );
    }
    let unknown = http
        .get(format!("{}/welcome/{}", a.base, "x".repeat(43)))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
    let used = a
        .store
        .list_audit("welcome_link_used", 1, 10)
        .await
        .unwrap();
    assert_eq!(used.total, 1);

    // Staff see each message as it reads (the link a placeholder) and
    // whether it went out.
    let viewer = a.signed_in("viewer").await;
    let previews: app::dto::OwnerMessagesDto = json(
        a.call(&viewer, "owner_messages", &[("id", &id)]).await,
        "owner messages",
    )
    .await;
    assert_eq!(previews.channel.as_deref(), Some("owners"));
    let states: Vec<(&str, Option<&str>)> = previews
        .messages
        .iter()
        .map(|m| (m.message.as_str(), m.state.as_deref()))
        .collect();
    assert_eq!(
        states,
        [
            ("welcome", Some("sent")),
            ("deprovision-notice", None),
            ("deprovisioned", None)
        ]
    );
    let welcome = &previews.messages[0];
    assert!(
        welcome.text.contains("Your administrator account: owner"),
        "{}",
        welcome.text
    );
    assert!(
        welcome.text.contains("welcome/<one-time token"),
        "{}",
        welcome.text
    );
    assert!(!welcome.text.contains(&password) && !welcome.text.contains(&token));

    // Deprovisioning that asks for it tells the owner before and after.
    let gone: RunDto = json(
        a.call(
            &op,
            "deprovision_tenant",
            &[
                ("id", id.as_str()),
                ("form[notify_owner]", "true"),
                ("form[confirm]", id.as_str()),
            ],
        )
        .await,
        "deprovision",
    )
    .await;
    let before = smtp
        .wait_for("the notice before", |m| {
            to_owner(m) && m.data.contains("is being removed")
        })
        .await;
    assert!(
        before.data.contains("access to it ends now"),
        "{}",
        before.data
    );
    let done = wait_run(&a.store, gone.id, Duration::from_secs(120)).await;
    assert_eq!(done.state, RunState::Completed, "{:#?}", done.steps);
    smtp.wait_for("the notice after", |m| {
        to_owner(m) && m.data.contains("has been removed")
    })
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let to_owner_now: Vec<_> = smtp.mails().into_iter().filter(|m| to_owner(m)).collect();
    assert_eq!(
        to_owner_now.len(),
        3,
        "welcome, before, after: {to_owner_now:#?}"
    );
    let messages: Vec<String> = a
        .store
        .owner_messages(&id)
        .await
        .unwrap()
        .into_iter()
        .map(|(m, s, _)| format!("{m} {s}"))
        .collect();
    assert_eq!(
        messages,
        [
            "welcome sent",
            "deprovision-notice sent",
            "deprovisioned sent"
        ]
    );
    drop(b);
    db.cleanup().await;
}
