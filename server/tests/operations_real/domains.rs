//! Custom domains checked in DNS before they are served, against a real
//! DNS server the test runs (PyPI dnslib): a domain that is a CNAME to the
//! ingress's name is served; one that resolves elsewhere is held with the
//! reason (its Ingress does not name it) until DNS is fixed and the
//! leader's re-check passes it; one that does not resolve is served only
//! when an admin lets it through, which the audit trail records.

use super::*;
use common::dns::DnsServer;
use serde_json::json as zone;
use server::domains::{recheck_held, DnsCheck, DomainTarget};

const TARGET: &str = "ingress.example.test";

/// The hosts the tenant's Ingress routes.
async fn ingress_hosts(kube: &kube::Client, ns: &str) -> Vec<String> {
    Api::<Ingress>::namespaced(kube.clone(), ns)
        .get("tenant")
        .await
        .unwrap()
        .spec
        .and_then(|s| s.rules)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|r| r.host)
        .collect()
}

/// An update run (a replica change) that completes: it renders the
/// tenant's routes again.
async fn update(srv: &TestServer, op: &reqwest::Client, id: &str, replicas: &str) {
    run_op(
        srv,
        op,
        "change_tenant",
        &[("id", id), ("form[api_replicas]", replicas)],
    )
    .await;
}

async fn edit_domain(srv: &TestServer, op: &reqwest::Client, id: &str, domain: &str) -> TenantDto {
    json(
        srv.call(
            op,
            "update_tenant",
            &[
                ("id", id),
                ("form[company_name]", "Domain test"),
                ("form[owner_email]", "owner@example.com"),
                ("form[owner_name]", "Owner"),
                ("form[custom_domain]", domain),
            ],
        )
        .await,
        "edit",
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_custom_domain_is_served_once_dns_points_at_the_ingress() {
    let Some(cluster) = test_cluster().await else {
        return;
    };
    let Some(dns_server) = DnsServer::start(zone!({
        TARGET: { "a": ["10.1.2.3"] },
        "good.example.test": { "cname": TARGET },
        "same.example.test": { "a": ["10.1.2.3"] },
        "wrong.example.test": { "a": ["10.9.9.9"] },
    })) else {
        return;
    };
    let kube = cluster.client.clone();
    let dns = Arc::new(
        DnsCheck::new(
            DomainTarget::parse(TARGET).unwrap(),
            Some(dns_server.address()),
        )
        .unwrap(),
    );
    // The check itself: a CNAME, the same address, elsewhere, nowhere.
    for (domain, ok, says) in [
        (
            "good.example.test",
            true,
            "good.example.test is a CNAME to ingress.example.test",
        ),
        (
            "same.example.test",
            true,
            "resolves to 10.1.2.3, as ingress.example.test does",
        ),
        (
            "wrong.example.test",
            false,
            "resolves to 10.9.9.9, not to ingress.example.test (10.1.2.3)",
        ),
        (
            "nowhere.example.test",
            false,
            "nowhere.example.test does not resolve",
        ),
    ] {
        let v = dns.check(domain).await;
        assert_eq!(v.ok, ok, "{domain}: {}", v.detail);
        assert!(v.detail.contains(says), "{domain}: {}", v.detail);
    }

    let db = TestDb::sqlite();
    let mut options = common::TestOptions::default().engine(cluster, fast());
    options.dns = Some(Arc::clone(&dns));
    let srv = options.start(&db.url).await;
    let (op, admin) = (
        srv.signed_in("operator").await,
        srv.signed_in("admin").await,
    );

    // The wizard's dry-run says a domain pointing elsewhere would be held,
    // and renders no route for it.
    let template = common::ops::template(&srv, "professional")
        .await
        .id
        .to_string();
    let dry: app::dto::ChangePreview = json(
        srv.call(
            &op,
            "preview_new_tenant",
            &[
                ("form[company_name]", "Dry run"),
                ("form[owner_email]", "owner@example.com"),
                ("form[owner_name]", "Owner"),
                ("form[template_id]", template.as_str()),
                ("form[custom_domain]", "wrong.example.test"),
            ],
        )
        .await,
        "dry-run",
    )
    .await;
    assert!(
        dry.warnings
            .iter()
            .any(|w| w.contains("wrong.example.test resolves to 10.9.9.9")
                && w.contains("held (not routed) until DNS points at ingress.example.test")),
        "{:?}",
        dry.warnings
    );
    assert!(!dry.yaml.contains("wrong.example.test"));

    // Pointing at the ingress: checked when made, served when provisioned.
    let id = new_tenant(&srv, &op, "professional", "domains").await;
    let ns = format!("tenant-{id}");
    let _kubelet = FakeKubelet::start(kube.clone(), &ns, happy);
    let t = edit_domain(&srv, &op, &id, "good.example.test").await;
    assert_eq!(
        t.domain_to_serve(),
        Some("good.example.test"),
        "{:?}",
        t.domain_check
    );
    run_op(&srv, &op, "provision_tenant", &[("id", &id)]).await;
    assert!(ingress_hosts(&kube, &ns)
        .await
        .contains(&"good.example.test".to_string()));

    // Elsewhere: held with the reason; the next run does not route it.
    let t = edit_domain(&srv, &op, &id, "wrong.example.test").await;
    assert_eq!(t.held_domain(), Some("wrong.example.test"));
    let why = t.domain_check.clone().unwrap_or_default();
    assert!(
        why.contains("resolves to 10.9.9.9, not to ingress.example.test"),
        "{why}"
    );
    update(&srv, &op, &id, "2").await;
    let hosts = ingress_hosts(&kube, &ns).await;
    assert!(
        !hosts.iter().any(|h| h.ends_with("example.test")),
        "{hosts:?}"
    );
    assert_eq!(served(&srv, &op, &id).await.len(), 1, "only its own host");

    // DNS fixed: the leader's re-check passes it, and the next run routes it.
    dns_server.set_zone(zone!({
        TARGET: { "a": ["10.1.2.3"] },
        "wrong.example.test": { "cname": TARGET },
    }));
    assert_eq!(
        recheck_held(&srv.store, &dns).await.unwrap(),
        vec![id.clone()]
    );
    assert!(
        recheck_held(&srv.store, &dns).await.unwrap().is_empty(),
        "nothing held now"
    );
    update(&srv, &op, &id, "1").await;
    assert!(ingress_hosts(&kube, &ns)
        .await
        .contains(&"wrong.example.test".to_string()));

    // Nowhere: held; only an admin may let it through, and it is audited.
    let t = edit_domain(&srv, &op, &id, "nowhere.example.test").await;
    assert_eq!(t.held_domain(), Some("nowhere.example.test"));
    let refused = srv.call(&op, "override_domain_check", &[("id", &id)]).await;
    assert_eq!(refused.status(), 403);
    let t: TenantDto = json(
        srv.call(&admin, "override_domain_check", &[("id", &id)])
            .await,
        "override",
    )
    .await;
    assert_eq!(t.domain_to_serve(), Some("nowhere.example.test"));
    let again = srv
        .call(&admin, "override_domain_check", &[("id", &id)])
        .await;
    assert_eq!(again.status(), 409, "nothing held any more");
    let audit = srv
        .store
        .list_audit("domain_override", 1, 10)
        .await
        .unwrap();
    assert_eq!(audit.total, 1);
    let event = &audit.items[0];
    assert_eq!(
        (event.actor.as_str(), event.target_id.as_str()),
        ("admin", id.as_str())
    );
    assert!(
        event
            .detail
            .contains("nowhere.example.test does not resolve"),
        "{}",
        event.detail
    );
    update(&srv, &op, &id, "2").await;
    assert!(ingress_hosts(&kube, &ns)
        .await
        .contains(&"nowhere.example.test".to_string()));
}
