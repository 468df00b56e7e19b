//! Applications and releases on both backends: the workshop SaaS seeded at
//! every start (never changed once stored), templates and tenants of the
//! previous release filled in, numbered releases that two saves cannot
//! both take, and a tenant's plan read with its release.

use app::domain::tenant_rules::ValidTenantFields;
use server::applications::{parse_release, WORKSHOP_KEY, WORKSHOP_RELEASE};
use server::error::ServerError;
use server::store::{NewTenantRecord, Store};

use super::common::TestDb;

async fn new_tenant(store: &Store, id: &str, template_id: i64) -> app::dto::TenantDto {
    let fields = ValidTenantFields {
        company_name: id.into(),
        owner_email: "owner@example.com".into(),
        owner_name: "Owner".into(),
        custom_domain: None,
    };
    let record = NewTenantRecord {
        id,
        namespace: &format!("tenant-{id}"),
        fields: &fields,
        template_id,
        release: None,
        custom_fields: &server::manifests::NO_CUSTOM_FIELDS,
    };
    store.insert_tenant(record, "alice").await.expect("tenant")
}

async fn story(url: &str) {
    let store = Store::connect(url).await.expect("connect");
    let apps = store.list_applications().await.expect("list");
    // One per reference system, each with its release 1 and its plans.
    assert_eq!(apps.len(), server::applications::SEEDS.len());
    for a in &apps {
        assert_eq!(a.latest_release, 1, "{}", a.key);
        assert!(a.plan_count >= 2, "{} has {} plans", a.key, a.plan_count);
    }
    let workshop = apps
        .iter()
        .find(|a| a.key == WORKSHOP_KEY)
        .expect("the workshop");
    assert_eq!(
        (workshop.key.as_str(), workshop.latest_release),
        (WORKSHOP_KEY, 1)
    );
    let one = store.get_release(workshop.id, 1).await.expect("release 1");
    assert_eq!(one.spec, parse_release(WORKSHOP_RELEASE).expect("valid"));
    assert_eq!(one.source, WORKSHOP_RELEASE);

    // Templates are the workshop's plans; a new tenant gets the newest release.
    assert_eq!(
        store
            .get_application(WORKSHOP_KEY)
            .await
            .expect("get")
            .plan_count,
        4
    );
    let pro = store
        .list_templates()
        .await
        .expect("templates")
        .into_iter()
        .find(|t| t.key == "professional")
        .expect("professional");
    let first = new_tenant(&store, "apps-first", pro.id).await;
    assert_eq!(first.release, 1);

    // Releases are numbered; a save based on an older one is refused.
    let mut next = one.spec.clone();
    next.components[0].image = "api:1.1.0".into();
    let two = store
        .create_release(workshop.id, (&next, "edited", "api 1.1"), Some(1), "alice")
        .await
        .expect("release 2");
    assert_eq!(two.number, 2);
    let stale = store
        .create_release(workshop.id, (&next, "edited", "again"), Some(1), "bob")
        .await
        .expect_err("based on 1, but 2 exists");
    assert!(
        matches!(stale, ServerError::App(app::error::AppError::Stale(_))),
        "{stale}"
    );
    let three = store
        .create_release(workshop.id, (&next, "edited", ""), None, "bob")
        .await
        .expect("release 3");
    assert_eq!(three.number, 3);
    let second = new_tenant(&store, "apps-second", pro.id).await;
    assert_eq!(second.release, 3);
    assert_eq!(
        store
            .get_release(workshop.id, 1)
            .await
            .expect("1")
            .tenant_count,
        1
    );

    // A tenant's plan comes with its release; the newest when none is named.
    let plan = store
        .tenant_plan((pro.id, pro.version), Some(1))
        .await
        .expect("plan");
    assert_eq!((plan.key.as_str(), plan.release.0), ("professional", 1));
    assert_eq!(plan.release.1.components[0].image, "api:1.0.0");
    let newest = store
        .tenant_plan((pro.id, pro.version), None)
        .await
        .expect("plan");
    assert_eq!(newest.release.0, 3);
    let missing = store.tenant_plan((pro.id, pro.version), Some(9)).await;
    assert!(matches!(missing, Err(ServerError::NotFound(_))));

    // Rows of the previous release (no application, no release number)
    // read as the workshop's release 1, and the next start fills them in.
    sqlx_reset(url).await;
    let t = store.get_tenant("apps-second").await.expect("tenant");
    assert_eq!(t.release, 1);
    let again = Store::connect(url).await.expect("restart");
    assert_eq!(
        again.list_applications().await.expect("list").len(),
        server::applications::SEEDS.len()
    );
    assert_eq!(
        again
            .get_application(WORKSHOP_KEY)
            .await
            .expect("get")
            .plan_count,
        4
    );
    assert_eq!(
        again
            .get_release(workshop.id, 1)
            .await
            .expect("1")
            .tenant_count,
        2
    );

    // Keys are unique, said on the field.
    let dup = store
        .create_application((WORKSHOP_KEY, "Again", ""), "alice")
        .await
        .expect_err("taken");
    match dup {
        ServerError::App(e) => assert!(e.field_message("key").is_some(), "{e}"),
        other => panic!("{other}"),
    }
    let audit = store.list_audit("release", 1, 50).await.expect("audit");
    assert_eq!(audit.total, 2);
}

/// What a replica of the previous release leaves: no application on the
/// templates, no release number on the tenants.
async fn sqlx_reset(url: &str) {
    let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(url)
        .await
        .expect("connect");
    for q in [
        // The workshop's plans were the only ones then.
        "UPDATE templates SET application_id = NULL WHERE application_id = \
         (SELECT id FROM applications WHERE key = 'workshop-saas')",
        "UPDATE tenants SET release_number = NULL",
    ] {
        sqlx::query(q).execute(&mut conn).await.expect("reset");
    }
}

#[tokio::test]
async fn applications_story_on_sqlite() {
    let db = TestDb::sqlite();
    story(&db.url).await;
    db.cleanup().await;
}

#[tokio::test]
async fn applications_story_on_postgres() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    story(&db.url).await;
    db.cleanup().await;
}

/// A tenant's API key hashes: issued once per name (a second first issue
/// loses), rotated with and without an overlap, the overlap ended only by
/// the time it names and never undoing a rotation made meanwhile.
async fn api_keys_story(url: &str) {
    use server::store::{AuditEntry, KeyHashes, NewKeyHash};
    let store = Store::connect(url).await.expect("connect");
    let key = |name: &'static str, hash: &'static str, overlap_until: Option<i64>| NewKeyHash {
        tenant_id: "keyed",
        name,
        hash,
        overlap_until,
    };
    let audit = || AuditEntry::new("alice", "tenant.api_key_issued", "tenant", "keyed");
    let hashes = || async { store.api_key_hashes("keyed").await.expect("hashes") };
    let of = |name: &str, h: &[&str]| KeyHashes {
        name: name.into(),
        hashes: h.iter().map(|s| s.to_string()).collect(),
    };

    assert!(store
        .issue_api_key(key("production", "h1", None), true, audit())
        .await
        .unwrap());
    assert!(!store
        .issue_api_key(key("production", "hX", None), true, audit())
        .await
        .unwrap());
    assert!(store
        .issue_api_key(key("development", "d1", None), true, audit())
        .await
        .unwrap());
    assert_eq!(
        hashes().await,
        [of("development", &["d1"]), of("production", &["h1"])]
    );

    // A rotation with an overlap keeps the replaced hash until its time.
    store
        .issue_api_key(key("production", "h2", Some(1_000)), false, audit())
        .await
        .unwrap();
    assert_eq!(hashes().await[1], of("production", &["h2", "h1"]));
    let listed = store.api_keys("keyed").await.unwrap();
    assert_eq!(
        (listed[1].name.as_str(), listed[1].previous_until),
        ("production", Some(1_000))
    );
    assert!(store.end_key_overlaps(999).await.unwrap().is_empty());
    assert_eq!(store.end_key_overlaps(1_000).await.unwrap(), ["keyed"]);
    assert_eq!(hashes().await[1], of("production", &["h2"]));

    // Rotated again meanwhile: the newer overlap is the one that counts.
    store
        .issue_api_key(key("production", "h3", Some(2_000)), false, audit())
        .await
        .unwrap();
    store
        .issue_api_key(key("production", "h4", Some(5_000)), false, audit())
        .await
        .unwrap();
    assert_eq!(hashes().await[1], of("production", &["h4", "h3"]));
    assert!(store.end_key_overlaps(2_000).await.unwrap().is_empty());
    // Without an overlap the replaced key stops at once.
    store
        .issue_api_key(key("production", "h5", None), false, audit())
        .await
        .unwrap();
    assert_eq!(hashes().await[1], of("production", &["h5"]));
    assert!(store.end_key_overlaps(9_000).await.unwrap().is_empty());
}

#[tokio::test]
async fn api_keys_story_on_sqlite() {
    let db = TestDb::sqlite();
    api_keys_story(&db.url).await;
    db.cleanup().await;
}

#[tokio::test]
async fn api_keys_story_on_postgres() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    api_keys_story(&db.url).await;
    db.cleanup().await;
}
