//! One storage story, run on SQLite and on PostgreSQL: templates with
//! versions, tenants with search and paging, constraints turned into field
//! errors, audit events written with every change, staff and sessions.
#![allow(clippy::unwrap_used)] // in a test, a panic is the failure report

mod common;

use app::domain::tenant_rules::ValidTenantFields;
use app::dto::{Role, TemplateForm, TenantQuery, TenantSort, TenantState};
use common::TestDb;
use server::error::ServerError;
use server::store::{AuditEntry, NewTenantRecord, Store};
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::SessionStore as _;

fn fields(company: &str, domain: Option<&str>) -> ValidTenantFields {
    ValidTenantFields {
        company_name: company.into(),
        owner_email: "owner@example.com".into(),
        owner_name: "Owner".into(),
        custom_domain: domain.map(Into::into),
    }
}

fn field_error(e: ServerError, field: &str) -> String {
    match e {
        ServerError::App(app) => app
            .field_message(field)
            .unwrap_or_else(|| panic!("no {field} error in {app}")),
        other => panic!("expected a field error on {field}, got {other}"),
    }
}

async fn story(url: &str) {
    let store = Store::connect(url).await.expect("connect and migrate");
    // Migrations are idempotent: a second connect finds nothing to do.
    Store::connect(url).await.expect("reconnect");

    // Templates: seeded once, versions on edit.
    assert_eq!(store.seed_templates_if_empty().await.expect("seed"), 4);
    assert_eq!(
        store.seed_templates_if_empty().await.expect("seed again"),
        0
    );
    let templates = store.list_templates().await.expect("list");
    let names: Vec<_> = templates.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["Demo", "Free", "Professional", "Enterprise"]);
    let pro = templates
        .iter()
        .find(|t| t.key == "professional")
        .expect("pro")
        .clone();
    assert_eq!(
        (
            pro.spec.api_replicas,
            pro.spec.postgres_storage_gi,
            pro.spec.backup_enabled
        ),
        (2, 50, true)
    );

    let mut form = TemplateForm::from_template(&pro);
    form.api_replicas = "3".into();
    let v2 = store
        .update_template(pro.id, &form.validate().expect("valid"), "alice")
        .await
        .expect("update");
    assert_eq!((v2.version, v2.spec.api_replicas), (2, 3));
    let versions = store.template_versions(pro.id).await.expect("versions");
    assert_eq!(
        versions.iter().map(|v| v.version).collect::<Vec<_>>(),
        [2, 1]
    );
    assert_eq!(
        versions[1].spec.api_replicas, 2,
        "old versions never change"
    );

    let mut dup = TemplateForm::from_template(&pro);
    dup.name = "Copy".into();
    let err = store
        .create_template(&dup.validate().expect("valid"), "alice")
        .await
        .unwrap_err();
    assert!(field_error(err, "key").contains("already used"));

    // Tenants: created at the template's current version.
    for (i, company) in ["Acme Workshop", "Bolt & Nut", "Cogs 50% Off", "Delta_Ltd"]
        .iter()
        .enumerate()
    {
        let id = format!("tenant-{i}-abc");
        let f = fields(
            company,
            if i == 0 {
                Some("shop.acme.example")
            } else {
                None
            },
        );
        let t = store
            .insert_tenant(
                NewTenantRecord {
                    id: &id,
                    fields: &f,
                    template_id: pro.id,
                },
                "alice",
            )
            .await
            .expect("insert");
        assert_eq!(
            (t.template_version, t.state, t.namespace.as_str()),
            (2, TenantState::Pending, format!("tenant-{id}").as_str())
        );
    }
    let taken = store
        .insert_tenant(
            NewTenantRecord {
                id: "tenant-0-abc",
                fields: &fields("Again", None),
                template_id: pro.id,
            },
            "alice",
        )
        .await
        .unwrap_err();
    assert!(field_error(taken, "tenant_id").contains("already taken"));
    let domain = store
        .insert_tenant(
            NewTenantRecord {
                id: "other-id",
                fields: &fields("Other", Some("shop.acme.example")),
                template_id: pro.id,
            },
            "alice",
        )
        .await
        .unwrap_err();
    assert!(field_error(domain, "custom_domain").contains("already used"));
    let missing = store
        .insert_tenant(
            NewTenantRecord {
                id: "nowhere",
                fields: &fields("X", None),
                template_id: 9999,
            },
            "alice",
        )
        .await
        .unwrap_err();
    assert!(field_error(missing, "template_id").contains("no existing template"));

    // Search is literal (LIKE wildcards escaped) and case-insensitive.
    let find = |q: &str| TenantQuery {
        q: q.into(),
        ..Default::default()
    };
    assert_eq!(
        store
            .list_tenants(&find("ACME"))
            .await
            .expect("search")
            .total,
        1
    );
    assert_eq!(
        store
            .list_tenants(&find("50%"))
            .await
            .expect("search")
            .items[0]
            .company_name,
        "Cogs 50% Off"
    );
    assert_eq!(
        store.list_tenants(&find("_")).await.expect("search").total,
        1,
        "underscore is literal"
    );
    let sorted = store
        .list_tenants(&TenantQuery {
            sort: TenantSort::Company,
            desc: false,
            per_page: 2,
            page: 2,
            ..Default::default()
        })
        .await
        .expect("page");
    assert_eq!((sorted.total, sorted.items.len()), (4, 2));
    assert_eq!(sorted.items[0].company_name, "Cogs 50% Off");
    let by_state = TenantQuery {
        state: Some(TenantState::Active),
        ..Default::default()
    };
    assert_eq!(
        store.list_tenants(&by_state).await.expect("filter").total,
        0
    );
    let by_template = TenantQuery {
        template_id: Some(pro.id),
        ..Default::default()
    };
    assert_eq!(
        store
            .list_tenants(&by_template)
            .await
            .expect("filter")
            .total,
        4
    );

    // A template in use cannot be deleted; the message names its tenants.
    let err = store
        .delete_template(pro.id, "alice")
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("4 tenant(s)") && err.contains("tenant-0-abc"),
        "{err}"
    );

    // Update and delete a tenant record.
    let updated = store
        .update_tenant(
            "tenant-1-abc",
            &fields("Bolt and Nut", Some("bolt.example")),
            "bob",
        )
        .await
        .expect("update");
    assert_eq!(updated.custom_domain.as_deref(), Some("bolt.example"));
    store
        .delete_tenant("tenant-1-abc", "bob")
        .await
        .expect("delete");
    assert!(matches!(
        store.get_tenant("tenant-1-abc").await,
        Err(ServerError::NotFound(_))
    ));

    // Every change left an audit event, newest first.
    let audit = store.list_audit("", 1, 100).await.expect("audit");
    let actions: Vec<_> = audit.items.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        &actions[..3],
        ["tenant.delete", "tenant.update", "tenant.create"]
    );
    assert_eq!(actions.iter().filter(|a| **a == "tenant.create").count(), 4);
    assert!(
        audit.items[1].detail.contains("company_name")
            && audit.items[1].detail.contains("custom_domain")
    );
    assert_eq!(
        store.list_audit("bob", 1, 100).await.expect("search").total,
        2
    );

    // Staff: unique names, role and epoch changes.
    let hash = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA";
    let s = store
        .insert_staff(
            "carol",
            hash,
            Role::Viewer,
            AuditEntry::new("t", "staff.create", "staff", "carol"),
        )
        .await
        .expect("staff");
    let err = store
        .insert_staff(
            "carol",
            hash,
            Role::Admin,
            AuditEntry::new("t", "staff.create", "staff", "carol"),
        )
        .await
        .unwrap_err();
    assert!(field_error(err, "username").contains("already taken"));
    let s2 = store
        .set_staff_active(
            s.id,
            false,
            AuditEntry::new("t", "staff.disable", "staff", "carol"),
        )
        .await
        .expect("disable");
    assert!(!s2.is_active() && s2.session_epoch == s.session_epoch + 1);
    let s3 = store
        .set_staff_role(
            s.id,
            Role::Operator,
            AuditEntry::new("t", "staff.set_role", "staff", "carol"),
        )
        .await
        .expect("role");
    assert_eq!(s3.role(), Role::Operator);

    // Sessions: saved, loaded, expired, deleted.
    let sessions = server::store::SessionStore::new(store.clone());
    let mut record = Record {
        id: Id::default(),
        data: [("staff_id".to_string(), serde_json::json!(s.id))]
            .into_iter()
            .collect(),
        expiry_date: time::OffsetDateTime::now_utc() + time::Duration::hours(1),
    };
    sessions.create(&mut record).await.expect("create session");
    let loaded = sessions
        .load(&record.id)
        .await
        .expect("load")
        .expect("present");
    assert_eq!(loaded.data, record.data);
    record.expiry_date = time::OffsetDateTime::now_utc() - time::Duration::seconds(1);
    sessions.save(&record).await.expect("save");
    assert!(
        sessions.load(&record.id).await.expect("load").is_none(),
        "expired sessions are gone"
    );
    sessions.delete(&record.id).await.expect("delete");

    store.close().await;
}

#[tokio::test]
async fn storage_story_on_sqlite() {
    let db = TestDb::sqlite();
    story(&db.url).await;
    db.cleanup().await;
}

#[tokio::test]
async fn storage_story_on_postgres() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    story(&db.url).await;
    db.cleanup().await;
}

#[tokio::test]
async fn unknown_database_scheme_is_an_error() {
    let err = Store::connect("mysql://localhost/x")
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("\"mysql\" is not supported"), "{err}");
}

#[tokio::test]
async fn a_broken_migration_history_stops_the_start() {
    let db = TestDb::sqlite();
    let store = Store::connect(&db.url).await.expect("first start");
    store.close().await;
    // Simulate a database migrated by a different build: a changed checksum.
    let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&db.url)
        .await
        .expect("open");
    sqlx::query("UPDATE _sqlx_migrations SET checksum = X'00'")
        .execute(&mut conn)
        .await
        .expect("tamper");
    drop(conn);
    let err = Store::connect(&db.url).await.unwrap_err().to_string();
    assert!(err.contains("migration"), "{err}");
}
