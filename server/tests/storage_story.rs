//! One storage story, run on SQLite and on PostgreSQL: templates with
//! versions, tenants with search and paging, constraints turned into field
//! errors, audit events written with every change, staff and sessions.
#![allow(clippy::unwrap_used)] // in a test, a panic is the failure report

#[path = "storage_story/applications.rs"]
mod applications;
mod common;
#[path = "storage_story/db_roles.rs"]
mod db_roles;

use app::domain::tenant_rules::ValidTenantFields;
use app::dto::{Health, Role, TemplateForm, TenantQuery, TenantSort, TenantState};
use common::TestDb;
use server::error::ServerError;
use server::store::{AuditEntry, NewTenantRecord, PasswordKind, Store};
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

    // Templates: each seeded application's plans, made with it, once
    // (connecting again makes none).
    let again = Store::connect(url).await.expect("connect again");
    assert_eq!(
        again.list_templates().await.expect("list").len(),
        server::store::seed_templates().len()
    );
    let templates = store.list_templates().await.expect("list");
    let names: Vec<_> = templates.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names[..4], ["Demo", "Free", "Professional", "Enterprise"]);
    assert!(names.contains(&"Basic School System") && names.contains(&"White-label Basic"));
    // The choices offered in filters are the same templates, at their
    // current versions, without their counts.
    let choices = store.template_choices().await.expect("choices");
    assert_eq!(
        choices,
        templates
            .iter()
            .map(app::dto::TemplateChoice::from)
            .collect::<Vec<_>>()
    );
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
        .update_template(pro.id, &form.validate().expect("valid"), None, "alice")
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
                    namespace: &format!("tenant-{}", id),
                    fields: &f,
                    template_id: pro.id,
                    release: None,
                    custom_fields: &server::manifests::NO_CUSTOM_FIELDS,
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
                namespace: "tenant-tenant-0-abc",
                fields: &fields("Again", None),
                template_id: pro.id,
                release: None,
                custom_fields: &server::manifests::NO_CUSTOM_FIELDS,
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
                namespace: "tenant-other-id",
                fields: &fields("Other", Some("shop.acme.example")),
                template_id: pro.id,
                release: None,
                custom_fields: &server::manifests::NO_CUSTOM_FIELDS,
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
                namespace: "tenant-nowhere",
                fields: &fields("X", None),
                template_id: 9999,
                release: None,
                custom_fields: &server::manifests::NO_CUSTOM_FIELDS,
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

    // Health as the leader records it: stored once per move (the same
    // health again writes no history), and filtered on like any column.
    let critical = |h: Health| TenantQuery {
        health: Some(h),
        ..Default::default()
    };
    assert_eq!(
        store
            .list_tenants(&critical(Health::Critical))
            .await
            .unwrap()
            .total,
        0
    );
    assert!(store
        .record_health(
            "tenant-0-abc",
            Health::Critical,
            Some("api: 0/2 ready"),
            1_000
        )
        .await
        .unwrap());
    assert!(!store
        .record_health(
            "tenant-0-abc",
            Health::Critical,
            Some("api: 0/2 ready"),
            2_000
        )
        .await
        .unwrap());
    let found = store
        .list_tenants(&critical(Health::Critical))
        .await
        .unwrap();
    assert_eq!(found.total, 1);
    assert_eq!(found.items[0].id, "tenant-0-abc");
    assert_eq!(store.health_history("tenant-0-abc").await.unwrap().len(), 1);
    assert!(store
        .record_health("tenant-0-abc", Health::Healthy, None, 3_000)
        .await
        .unwrap());
    let history = store.health_history("tenant-0-abc").await.unwrap();
    assert_eq!(
        history.iter().map(|h| h.health).collect::<Vec<_>>(),
        [Health::Healthy, Health::Critical]
    );
    let both = TenantQuery {
        health: Some(Health::Healthy),
        template_id: Some(pro.id),
        q: "acme".into(),
        ..Default::default()
    };
    assert_eq!(store.list_tenants(&both).await.unwrap().total, 1);
    // Each sort orders the whole list, both ways, ties broken the same.
    for sort in TenantSort::ALL {
        let asc: Vec<String> = store
            .list_tenants(&TenantQuery {
                sort,
                desc: false,
                ..Default::default()
            })
            .await
            .unwrap()
            .items
            .into_iter()
            .map(|t| t.id)
            .collect();
        let mut desc: Vec<String> = store
            .list_tenants(&TenantQuery {
                sort,
                desc: true,
                ..Default::default()
            })
            .await
            .unwrap()
            .items
            .into_iter()
            .map(|t| t.id)
            .collect();
        desc.reverse();
        assert_eq!((asc.len(), &asc), (4, &desc), "{sort:?}");
    }

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
            None,
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
            (hash, PasswordKind::Generated),
            Role::Viewer,
            AuditEntry::new("t", "staff.create", "staff", "carol"),
        )
        .await
        .expect("staff");
    let err = store
        .insert_staff(
            "carol",
            (hash, PasswordKind::Chosen),
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

    // Each application's custom plan (tenants without a plan): made once
    // however often it is asked for, listed as custom, never a choice.
    let workshop = store.get_application("workshop-saas").await.expect("app");
    assert!(store
        .custom_plan(workshop.id)
        .await
        .expect("read")
        .is_none());
    let made = store
        .ensure_custom_plan(&workshop, "t")
        .await
        .expect("made");
    let again = store
        .ensure_custom_plan(&workshop, "t")
        .await
        .expect("again");
    assert_eq!(
        (made.id, made.custom, made.key.as_str()),
        (again.id, true, "custom-workshop-saas")
    );
    assert_eq!(made.application_key, "workshop-saas");
    assert!(store
        .template_choices()
        .await
        .expect("choices")
        .iter()
        .all(|c| c.id != made.id));

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

/// Runs and steps: options and schedules stored, the queue, step attempts,
/// deferral, recover, cancel, filters, observations and tier changes.
async fn runs_story(url: &str) {
    use app::dto::{AttemptOutcome, Operation, RunOptions, RunQuery, RunState, StepState};
    use server::store::Failure;
    let store = Store::connect(url).await.expect("connect");
    let template = store.list_templates().await.expect("list")[0].clone();
    let record = |id: &'static str| NewTenantRecord {
        id,
        namespace: Box::leak(format!("tenant-{id}").into_boxed_str()),
        fields: Box::leak(Box::new(fields("Runs Ltd", None))),
        template_id: template.id,
        release: None,
        custom_fields: &server::manifests::NO_CUSTOM_FIELDS,
    };
    store
        .insert_tenant(record("runs-a"), "alice")
        .await
        .expect("a");
    store
        .insert_tenant(record("runs-b"), "alice")
        .await
        .expect("b");

    let now = server::store::now_ms();
    let opts = RunOptions {
        backup: true,
        grace_hours: 2,
        ..Default::default()
    };
    let later = store
        .create_run_with(
            "runs-a",
            Operation::Deprovision,
            &["backup", "delete-namespace"],
            "alice",
            &opts,
            Some(now + 3_600_000),
        )
        .await
        .expect("scheduled run");
    let err = store
        .create_run("runs-a", Operation::Update, &["namespace"], "alice")
        .await
        .expect_err("one open run per tenant");
    assert!(err.to_string().contains("already has run"), "{err}");
    let now_run = store
        .create_run(
            "runs-b",
            Operation::Provision,
            &["namespace", "secrets"],
            "bob",
        )
        .await
        .expect("run");
    let lease = std::time::Duration::from_secs(30);
    assert_eq!(
        store.claim_run("me", lease).await.expect("claim"),
        Some(now_run),
        "a scheduled run waits for its time"
    );
    assert_eq!(
        store.claim_run("other", lease).await.expect("claim"),
        None,
        "held"
    );
    let r = store.get_run(later).await.expect("get");
    assert_eq!(r.options, opts);
    assert_eq!(r.not_before, Some(now + 3_600_000));

    assert!(
        store.start_step(now_run, 0, "other").await.is_err(),
        "only the holder writes"
    );
    // The domain its routes serve: written under the claim only.
    assert!(store
        .serve_domain((now_run, "other"), Some("shop.example.org"))
        .await
        .is_err());
    store
        .serve_domain((now_run, "me"), Some("shop.example.org"))
        .await
        .expect("served");
    let tenant = store.get_run(now_run).await.expect("run").tenant_id;
    assert_eq!(
        store
            .get_tenant(&tenant)
            .await
            .expect("tenant")
            .served_domain
            .as_deref(),
        Some("shop.example.org")
    );
    assert_eq!(
        store.start_step(now_run, 0, "me").await.expect("start").0,
        1
    );
    store
        .finish_step(
            (now_run, 0),
            "me",
            StepState::Pending,
            (AttemptOutcome::Retrying, Some("boom")),
            "attempt 1 failed",
        )
        .await
        .expect("pause");
    let (attempt, first) = store.start_step(now_run, 0, "me").await.expect("again");
    assert_eq!(attempt, 2);
    assert!(first >= now);
    store
        .fail_run(
            now_run,
            "me",
            Failure {
                position: 0,
                cause: "for good",
                line: "attempt 2 failed",
                rollback: None,
                tenant: Some((TenantState::Failed, "namespace failed: for good")),
            },
        )
        .await
        .expect("fail");
    let failed = store.get_run(now_run).await.expect("run");
    assert_eq!(failed.state, RunState::Failed);
    let b = store.get_tenant("runs-b").await.expect("b");
    assert_eq!(b.state, TenantState::Failed, "in the same transaction");
    let history: Vec<_> = failed.steps[0]
        .history
        .iter()
        .map(|a| (a.attempt, a.outcome, a.process.as_str()))
        .collect();
    assert_eq!(
        history,
        [
            (1, AttemptOutcome::Retrying, "me"),
            (2, AttemptOutcome::Failed, "me")
        ],
        "every attempt is kept, with its process"
    );
    assert!(
        store
            .complete_run(now_run, "me", Some((TenantState::Active, None)), None)
            .await
            .is_err(),
        "a failed run is never completed"
    );
    let requeued = store
        .requeue_run(now_run, "carol", "run.recover")
        .await
        .expect("recover");
    assert_eq!(requeued.state, RunState::Pending);
    assert_eq!(requeued.steps[0].state, StepState::Pending);
    assert_eq!(requeued.steps[0].last_error.as_deref(), Some("for good"));
    assert!(requeued.steps[0].log.contains("attempt 2 failed"));
    assert_eq!(
        store.claim_run("next", lease).await.expect("claim"),
        Some(now_run)
    );
    store
        .start_step(now_run, 0, "next")
        .await
        .expect("a third attempt");
    store
        .defer_run((now_run, 0), "next", now + 60_000, "waiting")
        .await
        .expect("defer");
    assert_eq!(
        store.claim_run("me", lease).await.expect("queue"),
        None,
        "deferred"
    );
    let history = store.get_run(now_run).await.expect("run").steps[0]
        .history
        .clone();
    assert_eq!(history.len(), 3, "attempts outlive a recovery: {history:?}");
    assert_eq!(history[2].outcome, AttemptOutcome::Deferred);
    let (cancelled, held) = store.cancel_run(later, "carol").await.expect("cancel");
    assert!(!held, "nobody held it: the console settles the tenant");
    assert_eq!(cancelled.state, RunState::Cancelled);
    assert!(cancelled
        .steps
        .iter()
        .all(|s| s.state == StepState::Cancelled));
    assert!(
        store.cancel_run(later, "carol").await.is_err(),
        "already cancelled"
    );

    let page = store
        .list_runs(&RunQuery {
            operation: Some(Operation::Deprovision),
            ..Default::default()
        })
        .await
        .expect("list");
    assert_eq!((page.total, page.items[0].id), (1, later));
    let page = store
        .list_runs(&RunQuery {
            tenant: "runs-b".into(),
            state: Some(RunState::Pending),
            ..Default::default()
        })
        .await
        .expect("list");
    assert_eq!(page.total, 1, "the deferred run waits, pending");

    // Observations only move a tenant between the states they may.
    assert!(!store
        .observe_tenant(
            "runs-a",
            TenantState::Degraded,
            Some("api 0/1 ready"),
            &[TenantState::Active]
        )
        .await
        .expect("observe"));
    assert!(store
        .observe_tenant("runs-a", TenantState::Active, None, &[])
        .await
        .expect("observe"));
    let a = store.get_tenant("runs-a").await.expect("a");
    assert_eq!(a.state, TenantState::Active);
    assert!(a.observed_at.is_some());
    store
        .set_tenant_spec(
            "runs-a",
            ((template.id, template.version), 1),
            (Some(4), None),
            &[("colour".to_string(), "#1a73e8".to_string())].into(),
            ("dave", "replicas"),
        )
        .await
        .expect("spec");
    let a = store.get_tenant("runs-a").await.expect("a");
    assert_eq!(a.api_replicas, Some(4));
    // Custom field values are stored with the spec and read back as given.
    assert_eq!(
        a.custom_fields.get("colour").map(String::as_str),
        Some("#1a73e8")
    );
    let actions: Vec<String> = store
        .list_audit("runs-a", 1, 50)
        .await
        .expect("audit")
        .items
        .into_iter()
        .map(|e| e.action)
        .collect();
    for a in ["tenant.deprovision", "run.cancel", "tenant.change"] {
        assert!(actions.iter().any(|x| x == a), "{a} in {actions:?}");
    }
    assert!(
        store
            .purge_tenant_audit("runs-a", "dave")
            .await
            .expect("purge")
            >= 3
    );
    let left = store
        .list_audit("runs-a", 1, 50)
        .await
        .expect("audit")
        .items;
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].action, "tenant.audit_purged");
    store.close().await;
}

#[tokio::test]
async fn runs_story_on_sqlite() {
    let db = TestDb::sqlite();
    runs_story(&db.url).await;
    db.cleanup().await;
}

#[tokio::test]
async fn runs_story_on_postgres() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    runs_story(&db.url).await;
    db.cleanup().await;
}

/// Two admins, each demoted (or disabled) by a different replica at the
/// same moment: one change goes through, the other is refused, and an
/// active admin remains. The check is one guarded write, not a read first.
async fn last_admin_story(url: &str) {
    let (one, two) = (
        Store::connect(url).await.expect("store"),
        Store::connect(url).await.expect("second replica"),
    );
    let hash = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA";
    for round in 0..10 {
        let mut ids = vec![];
        for name in ["ada", "bob"] {
            let name = format!("{name}{round}");
            let row = one
                .insert_staff(
                    &name,
                    (hash, PasswordKind::Chosen),
                    Role::Admin,
                    AuditEntry::new("t", "staff.create", "staff", name.clone()),
                )
                .await
                .expect("admin");
            ids.push(row.id);
        }
        if round > 0 {
            // Only this round's two are admins.
            for row in one.list_staff().await.expect("staff") {
                if row.role() == Role::Admin && !ids.contains(&row.id) {
                    one.set_staff_role(
                        row.id,
                        Role::Viewer,
                        AuditEntry::new("t", "staff.set_role", "staff", "x"),
                    )
                    .await
                    .expect("demote an earlier round's admin");
                }
            }
        }
        let audit = || AuditEntry::new("t", "staff.set_role", "staff", "x");
        let (a, b) = if round % 2 == 0 {
            tokio::join!(
                one.set_staff_role(ids[0], Role::Viewer, audit()),
                two.set_staff_role(ids[1], Role::Operator, audit())
            )
        } else {
            tokio::join!(
                one.set_staff_active(ids[0], false, audit()),
                two.set_staff_active(ids[1], false, audit())
            )
        };
        assert!(
            a.is_ok() != b.is_ok(),
            "round {round}: exactly one goes through: {:?} / {:?}",
            a.as_ref().err(),
            b.as_ref().err()
        );
        let refused = a.err().or(b.err()).expect("one refused").to_string();
        assert!(refused.contains("last active admin"), "{refused}");
        let admins = one
            .list_staff()
            .await
            .expect("staff")
            .into_iter()
            .filter(|r| r.is_active() && r.role() == Role::Admin)
            .count();
        assert_eq!(admins, 1, "round {round}");
    }
}

/// Two deliverers (two stores, as two replicas) claiming due notifications
/// at once: each notification is claimed by exactly one of them, and a
/// claim keeps it from the other until its lease is over.
async fn claimed_notifications_story(url: &str) {
    use app::dto::{ChannelKind, Severity};
    use server::store::NewChannel;
    let (one, two) = (
        Store::connect(url).await.expect("store"),
        Store::connect(url).await.expect("second replica"),
    );
    let channel = one
        .save_channel(
            None,
            NewChannel {
                name: "ops hook",
                kind: ChannelKind::Webhook,
                settings: serde_json::json!({ "url": "https://hooks.example.com/x" }),
                secret: server::store::SecretUpdate::Keep,
                min_severity: Severity::Warning,
                template_ids: &[],
                tenant_ids: &[],
                group_window_secs: 0,
                repeat_secs: 3600,
                send_resolved: true,
                enabled: true,
            },
            "t",
        )
        .await
        .expect("channel");
    let mut queued = vec![];
    for _ in 0..40 {
        queued.push(one.enqueue_test(channel.id, "t").await.expect("queued"));
    }
    let lease = std::time::Duration::from_secs(60);
    let (mut got, mut rounds) = (vec![], 0);
    while got.len() < queued.len() && rounds < 20 {
        rounds += 1;
        let (a, b) = tokio::join!(
            one.claim_notifications(7, lease),
            two.claim_notifications(7, lease)
        );
        got.extend(a.expect("claim").into_iter().map(|n| n.id));
        got.extend(b.expect("claim").into_iter().map(|n| n.id));
    }
    let mut sorted = got.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(sorted.len(), got.len(), "no notification claimed twice");
    queued.sort_unstable();
    assert_eq!(sorted, queued, "every notification claimed");
    // Claimed ones are out of reach until their lease is over.
    assert!(one
        .claim_notifications(50, lease)
        .await
        .expect("claim")
        .is_empty());
}

#[tokio::test]
async fn notifications_are_claimed_once_on_sqlite() {
    let db = TestDb::sqlite();
    claimed_notifications_story(&db.url).await;
    db.cleanup().await;
}

#[tokio::test]
async fn notifications_are_claimed_once_on_postgres() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    claimed_notifications_story(&db.url).await;
    db.cleanup().await;
}

#[tokio::test]
async fn the_last_admin_stays_on_sqlite() {
    let db = TestDb::sqlite();
    last_admin_story(&db.url).await;
    db.cleanup().await;
}

#[tokio::test]
async fn the_last_admin_stays_on_postgres() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    last_admin_story(&db.url).await;
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

/// Namespaces stored once and unique, their UIDs remembered and forgotten;
/// the sign-in throttle counted one by one under concurrency, shared by two
/// stores on one database (two replicas), and bounded in rows.
async fn ownership_story(url: &str) {
    use server::auth::{Throttle, ThrottlePolicy};
    let store = Store::connect(url).await.expect("connect");
    let template = store.list_templates().await.expect("list")[0].id;
    let f = fields("Own Ltd", None);
    let made = store
        .insert_tenant(
            NewTenantRecord {
                id: "own-a",
                namespace: "team-own-a",
                fields: &f,
                template_id: template,
                release: None,
                custom_fields: &server::manifests::NO_CUSTOM_FIELDS,
            },
            "alice",
        )
        .await
        .expect("insert");
    assert_eq!(
        made.namespace, "team-own-a",
        "stored as given, not recomputed"
    );
    assert_eq!(made.namespace_uid, None);
    let err = store
        .insert_tenant(
            NewTenantRecord {
                id: "own-b",
                namespace: "team-own-a",
                fields: &f,
                template_id: template,
                release: None,
                custom_fields: &server::manifests::NO_CUSTOM_FIELDS,
            },
            "alice",
        )
        .await
        .unwrap_err();
    assert!(field_error(err, "tenant_id").contains("team-own-a"));
    assert!(store.namespace_taken("team-own-a").await.expect("taken"));
    // The claim nonce is made once, before the namespace, and kept until
    // the namespace is forgotten; the UID is remembered beside it.
    let nonce = store
        .namespace_nonce("own-a")
        .await
        .expect("nonce")
        .nonce
        .expect("a nonce");
    assert_eq!(nonce.len(), 32);
    assert_eq!(
        store.namespace_nonce("own-a").await.expect("nonce").nonce,
        Some(nonce.clone())
    );
    store
        .set_namespace_uid("own-a", "uid-1")
        .await
        .expect("uid");
    let rec = store.namespace_record("own-a").await.expect("record");
    assert_eq!(
        (rec.uid.as_deref(), rec.nonce.as_deref()),
        (Some("uid-1"), Some(nonce.as_str()))
    );
    store.forget_namespace("own-a").await.expect("forget");
    assert_eq!(
        store.namespace_record("own-a").await.expect("record"),
        Default::default()
    );
    assert_ne!(
        store.namespace_nonce("own-a").await.expect("nonce").nonce,
        Some(nonce)
    );
    store
        .set_namespace_uid("own-a", "uid-2")
        .await
        .expect("uid");
    let made = store.namespaces_made().await.expect("made");
    assert!(
        made.iter().any(|(id, ns, r)| id == "own-a"
            && ns == "team-own-a"
            && r.uid.as_deref() == Some("uid-2")),
        "{made:?}"
    );

    // When it first stood live is kept by the database on any state write,
    // and never moves again.
    let first_live =
        |s: Store| async move { s.get_tenant("own-a").await.expect("tenant").first_live_at };
    assert_eq!(first_live(store.clone()).await, None);
    store
        .observe_tenant("own-a", TenantState::Failed, Some("failed"), &[])
        .await
        .expect("state");
    assert_eq!(first_live(store.clone()).await, None, "failed is not live");
    store
        .observe_tenant("own-a", TenantState::Active, None, &[])
        .await
        .expect("state");
    let live = first_live(store.clone()).await.expect("live once active");
    for state in [TenantState::Failed, TenantState::Degraded] {
        store
            .observe_tenant("own-a", state, None, &[])
            .await
            .expect("state");
        assert_eq!(first_live(store.clone()).await, Some(live));
    }

    // 40 concurrent attempts from two "replicas": exactly the free ones get in.
    let policy = ThrottlePolicy {
        free_per_account: 5,
        free_per_address: 1000,
        ..ThrottlePolicy::default()
    };
    let other = Store::connect(url).await.expect("second replica");
    let (one, two) = (
        Throttle::new(store.clone(), policy),
        Throttle::new(other.clone(), policy),
    );
    let attempts = (0..40).map(|i| {
        let t = if i % 2 == 0 { one.clone() } else { two.clone() };
        async move {
            t.attempt("admin", "10.9.9.9", false)
                .await
                .expect("attempt")
        }
    });
    let let_in = futures::future::join_all(attempts)
        .await
        .into_iter()
        .filter(Option::is_none)
        .count();
    assert_eq!(
        let_in, 5,
        "the free attempts, the last of which sets the lock"
    );
    assert!(one
        .attempt("admin", "10.9.9.10", false)
        .await
        .expect("other address")
        .is_none());
    two.succeeded("admin", "10.9.9.10").await.expect("success");

    let rows = store.throttle_records().await.expect("rows");
    assert!(rows >= 3, "{rows}");
    // Trimming never frees a locked-out guesser.
    store.trim_throttle_now(1).await.expect("trim");
    assert!(store.throttle_records().await.expect("rows") <= 2);
    assert!(
        one.attempt("admin", "10.9.9.9", false)
            .await
            .expect("attempt")
            .is_some(),
        "the locked record survived the trim"
    );

    // An account's budget across addresses: once spent, addresses with
    // failures are refused, a clean one (its owner's) still may try.
    let budget = Throttle::new(
        store.clone(),
        ThrottlePolicy {
            free_per_account: 100,
            free_per_address: 100,
            free_per_user: 3,
            ..ThrottlePolicy::default()
        },
    );
    for i in 0..3 {
        let addr = format!("10.8.0.{i}");
        assert!(budget
            .attempt("carol", &addr, false)
            .await
            .expect("attempt")
            .is_none());
    }
    assert!(!budget.clean("10.8.0.1").await.expect("clean"));
    assert!(budget.clean("10.8.7.7").await.expect("clean"));
    assert!(
        budget
            .attempt("carol", "10.8.0.9", false)
            .await
            .expect("attempt")
            .is_some(),
        "the budget is spent for addresses with failures"
    );
    assert!(
        budget
            .attempt("carol", "10.8.7.7", true)
            .await
            .expect("attempt")
            .is_none(),
        "a clean address still may try"
    );
    other.close().await;
    store.close().await;
}

#[tokio::test]
async fn ownership_story_on_sqlite() {
    let db = TestDb::sqlite();
    ownership_story(&db.url).await;
    db.cleanup().await;
}

#[tokio::test]
async fn ownership_story_on_postgres() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    ownership_story(&db.url).await;
    db.cleanup().await;
}

/// Several replicas on one database: every run claimed exactly once, an
/// expired lease taken over (and the old holder fenced off), one active run
/// per tenant whatever the race, a cancel never undone, runs let go on
/// shutdown; on PostgreSQL also one leader and changes heard across stores.
async fn replicas_story(url: &str) {
    use app::dto::{Operation, RunState, TenantState};
    use std::time::Duration;
    let connect = || async { Store::connect(url).await.expect("replica") };
    let (a, b, c) = (connect().await, connect().await, connect().await);
    let template = a.list_templates().await.expect("list")[0].id;
    let f = fields("Replica Ltd", None);
    let mut runs = vec![];
    for i in 0..40 {
        let id = format!("rep-{i}");
        a.insert_tenant(
            NewTenantRecord {
                id: &id,
                namespace: &format!("tenant-{id}"),
                fields: &f,
                template_id: template,
                release: None,
                custom_fields: &server::manifests::NO_CUSTOM_FIELDS,
            },
            "alice",
        )
        .await
        .expect("tenant");
        runs.push(
            a.create_run(&id, Operation::Provision, &["namespace"], "alice")
                .await
                .expect("run"),
        );
    }

    // One active run per tenant, whatever the race.
    let racers = (0..12).map(|_| {
        let s = b.clone();
        async move {
            s.create_run("rep-0", Operation::Update, &["namespace"], "bob")
                .await
                .is_ok()
        }
    });
    let won = futures::future::join_all(racers)
        .await
        .into_iter()
        .filter(|ok| *ok)
        .count();
    assert_eq!(won, 0, "rep-0 already has a pending run");
    let (cancelled, _) = a.cancel_run(runs[0], "alice").await.expect("cancel");
    assert_eq!(cancelled.state, RunState::Cancelled);
    let racers = (0..12).map(|i| {
        let s = if i % 2 == 0 { b.clone() } else { c.clone() };
        async move {
            s.create_run("rep-0", Operation::Update, &["namespace"], "bob")
                .await
                .is_ok()
        }
    });
    let won = futures::future::join_all(racers)
        .await
        .into_iter()
        .filter(|ok| *ok)
        .count();
    assert_eq!(won, 1, "concurrent requests for one tenant make one run");

    // Three replicas claim concurrently: each run exactly once.
    let lease = Duration::from_secs(30);
    let claimers = [("ra", &a), ("rb", &b), ("rc", &c)].map(|(owner, s)| {
        let s = s.clone();
        async move {
            let mut mine = vec![];
            while let Some(id) = s.claim_run(owner, lease).await.expect("claim") {
                mine.push(id);
            }
            mine
        }
    });
    let claimed: Vec<Vec<i64>> = futures::future::join_all(claimers).await;
    let mut all: Vec<i64> = claimed.iter().flatten().copied().collect();
    all.sort_unstable();
    let before = all.len();
    all.dedup();
    assert_eq!(before, all.len(), "no run claimed twice: {claimed:?}");
    assert_eq!(all.len(), 40, "39 provisioning runs and the update");

    // A cancel racing the holder: a cancel that succeeded is never undone.
    let holders = [("ra", &a), ("rb", &b), ("rc", &c)];
    let staff = &a;
    let races = claimed
        .iter()
        .zip(holders)
        .flat_map(|(ids, (owner, holder))| {
            ids.iter().map(move |id| {
                let (holder, staff) = (holder.clone(), staff.clone());
                let id = *id;
                async move {
                    let cancel = staff.cancel_run(id, "bob");
                    let finish =
                        holder.complete_run(id, owner, Some((TenantState::Active, None)), None);
                    let (cancelled, finished) = tokio::join!(cancel, finish);
                    (id, cancelled.is_ok(), finished.is_ok())
                }
            })
        });
    for (id, cancelled, finished) in futures::future::join_all(races).await {
        assert!(
            cancelled != finished,
            "run {id}: exactly one of cancel and completion wins"
        );
        let state = a.get_run(id).await.expect("run").state;
        let expected = if cancelled {
            RunState::Cancelled
        } else {
            RunState::Completed
        };
        assert_eq!(state, expected, "run {id}");
    }

    // An expired lease is taken over, and the old holder is fenced off.
    a.insert_tenant(
        NewTenantRecord {
            id: "rep-lease",
            namespace: "tenant-rep-lease",
            fields: &f,
            template_id: template,
            release: None,
            custom_fields: &server::manifests::NO_CUSTOM_FIELDS,
        },
        "alice",
    )
    .await
    .expect("tenant");
    let one = a
        .create_run("rep-lease", Operation::Provision, &["namespace"], "alice")
        .await
        .expect("run");
    assert_eq!(b.claim_run("rb", lease).await.expect("claim"), Some(one));
    assert!(b
        .renew_leases("rb", Duration::from_millis(1))
        .await
        .expect("renew")
        .contains(&one));
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(c.claim_run("rc2", lease).await.expect("rescue"), Some(one));
    assert!(matches!(
        b.start_step(one, 0, "rb").await,
        Err(ServerError::LeaseLost(_))
    ));
    assert!(!b
        .renew_leases("rb", lease)
        .await
        .expect("renew")
        .contains(&one));
    c.start_step(one, 0, "rc2")
        .await
        .expect("the new holder writes");

    // Shutting down lets runs go at once; their open attempts read interrupted.
    assert!(c.release_runs("rc2").await.expect("release") >= 1);
    assert_eq!(b.claim_run("rb2", lease).await.expect("claim"), Some(one));
    let steps = b.get_run(one).await.expect("run").steps;
    assert_eq!(
        steps[0]
            .history
            .first()
            .map(|h| (h.outcome, h.process.as_str())),
        Some((app::dto::AttemptOutcome::Interrupted, "rc2"))
    );

    if a.backend() == server::store::Backend::Postgres {
        leader_and_fanout(&a, &b).await;
    }
    for s in [a, b, c] {
        s.close().await;
    }
}

/// One leader at a time, handed over on release; a change made through one
/// store is heard by another.
async fn leader_and_fanout(a: &Store, b: &Store) {
    use server::replicas::Leadership;
    use std::time::{Duration, Instant};
    async fn until(what: &str, ok: impl Fn() -> bool) {
        let start = Instant::now();
        while !ok() {
            assert!(start.elapsed() < Duration::from_secs(15), "{what}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    let (la, lb) = (Leadership::start(a), Leadership::start(b));
    until("a leader", || la.is_leader() || lb.is_leader()).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(la.is_leader() != lb.is_leader(), "exactly one leads");
    let (leader, other) = if la.is_leader() {
        (&la, &lb)
    } else {
        (&lb, &la)
    };
    leader.release();
    until("the other takes over", || other.is_leader()).await;
    other.release();

    server::replicas::start_fanout(a);
    server::replicas::start_fanout(b);
    let mut heard = b.changes();
    let start = Instant::now();
    loop {
        a.observe_tenant("rep-1", TenantState::Active, None, &[])
            .await
            .expect("write");
        match tokio::time::timeout(Duration::from_millis(500), heard.recv()).await {
            Ok(Ok(server::store::Change::Tenant(id))) if id == "rep-1" => break,
            _ => assert!(
                start.elapsed() < Duration::from_secs(15),
                "b hears a's write"
            ),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_story_on_sqlite() {
    let db = TestDb::sqlite();
    replicas_story(&db.url).await;
    db.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_story_on_postgres() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    replicas_story(&db.url).await;
    db.cleanup().await;
}
