//! History retention and the backup catalogue on SQLite and PostgreSQL
//! alike: old finished runs go but each tenant's latest stays; old audit
//! events go but security events stay, and the pass is itself audited; the
//! catalogue records a Job once, prunes beyond the retention count, and
//! forgets a gone tenant's dumps only after the keep period.
#![allow(clippy::unwrap_used)] // in a test, a panic is the failure report

mod common;

use app::dto::BackupMethod;
use common::{seed_runs, tenant_on, TestDb};
use server::store::{now_ms, AuditEntry, AuditFilter, NewBackup, Pruned, Store};

const DAY: i64 = 86_400_000;

async fn age_audit(db: &TestDb, action: &str, at: i64) {
    let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&db.url)
        .await
        .unwrap();
    sqlx::query("UPDATE audit_events SET at = $1 WHERE action = $2")
        .bind(at)
        .bind(action)
        .execute(&mut conn)
        .await
        .unwrap();
}

async fn actions(store: &Store) -> Vec<String> {
    store
        .search_audit(&AuditFilter::default(), 1, 500)
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|e| e.action)
        .collect()
}

async fn retention_keeps_what_it_must(db: &TestDb) {
    let (store, tenant) = tenant_on(db, "professional", "keep").await;
    seed_runs(&db.url, &tenant, 5).await;
    let runs = store.runs_for_tenant(&tenant).await.unwrap();
    let latest = runs.iter().map(|r| r.id).max().unwrap();
    assert!(runs.len() >= 5);

    store
        .write_audit(AuditEntry::new(
            "alice",
            "tenant.update",
            "tenant",
            tenant.clone(),
        ))
        .await
        .unwrap();
    store
        .write_audit(AuditEntry::new(
            "mallory",
            "auth.login_failed",
            "staff",
            "mallory",
        ))
        .await
        .unwrap();
    store
        .write_audit(AuditEntry::new(
            "alice",
            "tenant.deprovision.forced",
            "tenant",
            tenant.clone(),
        ))
        .await
        .unwrap();
    for a in [
        "tenant.update",
        "auth.login_failed",
        "tenant.deprovision.forced",
    ] {
        age_audit(db, a, now_ms() - 400 * DAY).await;
    }

    // Nothing is old enough yet: nothing goes and nothing is written.
    let none = store
        .apply_retention(Some(now_ms() - 30 * DAY), Some(now_ms() - 500 * DAY))
        .await
        .unwrap();
    assert_eq!(none, Pruned::default());
    assert!(!actions(&store)
        .await
        .contains(&"retention.pruned".to_string()));

    let pruned = store
        .apply_retention(Some(now_ms()), Some(now_ms() - 365 * DAY))
        .await
        .unwrap();
    assert_eq!(pruned.runs, runs.len() as u64 - 1, "all but the latest");
    assert!(pruned.audit_events >= 1);
    let left = store.runs_for_tenant(&tenant).await.unwrap();
    assert_eq!(left.iter().map(|r| r.id).collect::<Vec<_>>(), vec![latest]);
    assert!(!left[0].steps.is_empty(), "the kept run keeps its steps");
    let after = actions(&store).await;
    assert!(!after.contains(&"tenant.update".to_string()), "{after:?}");
    assert!(
        after.contains(&"auth.login_failed".to_string()),
        "security events stay"
    );
    assert!(
        after.contains(&"tenant.deprovision.forced".to_string()),
        "forced operations stay"
    );
    assert!(
        after.contains(&"retention.pruned".to_string()),
        "the pass is audited"
    );
}

async fn the_catalogue_records_once_prunes_and_expires(db: &TestDb) {
    let (store, tenant) = tenant_on(db, "professional", "cat").await;
    let t0 = now_ms() - 10 * DAY;
    let backup = |i: i64| NewBackup {
        tenant_id: tenant.clone(),
        job: format!("db-backup-{i}"),
        method: BackupMethod::Scheduled,
        run_id: None,
        taken_at: t0 + i * DAY,
        location: format!("s3://b/{tenant}/{i}.dump"),
        size_bytes: 100 + i,
        sha256: format!("{i:064}"),
    };
    for i in 0..4 {
        let (row, pruned) = store.record_backup(&backup(i), 3).await.unwrap();
        assert_eq!(row.taken_at, t0 + i * DAY);
        // The fourth pushes the oldest beyond the retention: its location
        // is handed back, to be deleted from the store.
        let want: Vec<String> = if i == 3 {
            vec![format!("s3://b/{tenant}/0.dump")]
        } else {
            vec![]
        };
        assert_eq!(pruned, want, "dump {i}");
    }
    let (again, pruned) = store.record_backup(&backup(3), 3).await.unwrap();
    assert!(pruned.is_empty(), "pruned once");
    let list = store.list_backups(&tenant, 10).await.unwrap();
    assert_eq!(list.len(), 4, "one row per Job");
    assert_eq!(again.id, list[0].id);
    let pruned: Vec<bool> = list.iter().map(|b| b.pruned_at.is_some()).collect();
    assert_eq!(
        pruned,
        [false, false, false, true],
        "the oldest beyond 3 is pruned"
    );
    assert_eq!(
        store.get_tenant(&tenant).await.unwrap().last_backup_at,
        Some(t0 + 3 * DAY)
    );
    let known = store
        .recorded_backup_jobs(&["db-backup-2".into(), "db-backup-9".into()])
        .await
        .unwrap();
    assert!(known.contains(&(tenant.clone(), "db-backup-2".to_string())));
    assert_eq!(known.len(), 1, "only what was recorded");

    // A live tenant keeps its unpruned rows whatever their age; pruned rows
    // go after the keep period.
    assert_eq!(store.expire_backups(now_ms()).await.unwrap(), 1);
    assert_eq!(store.list_backups(&tenant, 10).await.unwrap().len(), 3);
    // The backup-age rule sees this tier's tenants once they are live.
    let watch = store.backup_watch(None).await.unwrap();
    assert!(
        !watch.contains_key(&tenant),
        "a pending tenant is not watched"
    );
    let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&db.url)
        .await
        .unwrap();
    sqlx::query("UPDATE tenants SET state = 'active' WHERE id = $1")
        .bind(&tenant)
        .execute(&mut conn)
        .await
        .unwrap();
    let created = store.get_tenant(&tenant).await.unwrap().created_at;
    let watch = store
        .backup_watch(Some(std::slice::from_ref(&tenant)))
        .await
        .unwrap();
    assert_eq!(watch.get(&tenant), Some(&(Some(t0 + 3 * DAY), created)));
    let other = store
        .backup_watch(Some(&["nobody".to_string()]))
        .await
        .unwrap();
    assert!(other.is_empty(), "only the tenants asked about");
    assert!(store.backup_watch(Some(&[])).await.unwrap().is_empty());
}

/// The triggers of migration 0011 keep every state a tenant takes, once.
async fn states_are_kept(db: &TestDb) {
    let (store, tenant) = tenant_on(db, "professional", "hist").await;
    let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&db.url)
        .await
        .unwrap();
    for state in ["active", "active", "suspended"] {
        sqlx::query("UPDATE tenants SET state = $1, observed_at = $2 WHERE id = $3")
            .bind(state)
            .bind(now_ms())
            .bind(&tenant)
            .execute(&mut conn)
            .await
            .unwrap();
    }
    let facts = store.tenant_facts().await.unwrap();
    let mine = facts
        .iter()
        .find(|f| f.state == app::dto::TenantState::Suspended)
        .unwrap();
    let states: Vec<&str> = mine.history.iter().map(|(_, s)| s.as_str()).collect();
    assert_eq!(states, ["pending", "active", "suspended"]);
    assert!(mine.history.windows(2).all(|w| w[0].0 <= w[1].0));
}

#[tokio::test]
async fn on_sqlite() {
    let db = TestDb::sqlite();
    states_are_kept(&db).await;
    retention_keeps_what_it_must(&db).await;
    the_catalogue_records_once_prunes_and_expires(&db).await;
}

#[tokio::test]
async fn on_postgres() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    states_are_kept(&db).await;
    retention_keeps_what_it_must(&db).await;
    the_catalogue_records_once_prunes_and_expires(&db).await;
    db.cleanup().await;
}
