//! The staff CLI against a real database: add, list, set a role, reset a
//! password and disable, each leaving an audit event.
#![allow(clippy::unwrap_used)] // in a test, a panic is the failure report

mod common;

use common::TestDb;
use server::auth::verify_password;
use server::host::{run_staff, StaffCommand};
use server::store::Store;

async fn run(store: &Store, cmd: StaffCommand) -> String {
    let mut out = Vec::new();
    run_staff(store, cmd, &mut out).await.expect("command");
    String::from_utf8(out).expect("utf-8")
}

fn password_in(output: &str) -> String {
    output
        .rsplit(": ")
        .next()
        .map(|p| p.trim().to_string())
        .expect("a password")
}

#[tokio::test]
async fn staff_commands_manage_accounts() {
    let db = TestDb::sqlite();
    let store = Store::connect(&db.url).await.expect("store");

    let added = run(
        &store,
        StaffCommand::Add {
            username: "alice".into(),
            role: "operator".into(),
        },
    )
    .await;
    assert!(added.starts_with("Added alice (operator)"), "{added}");
    let first = password_in(&added);
    assert_eq!(first.len(), 20);
    let row = store
        .staff_by_username("alice")
        .await
        .expect("read")
        .expect("alice");
    assert!(
        verify_password(first.clone(), Some(row.password_hash.clone()))
            .await
            .expect("verify")
    );

    let list = run(&store, StaffCommand::List).await;
    assert!(
        list.lines()
            .any(|l| l.starts_with("alice") && l.contains("operator") && l.contains("active")),
        "{list}"
    );

    run(
        &store,
        StaffCommand::SetRole {
            username: "alice".into(),
            role: "admin".into(),
        },
    )
    .await;
    let reset = run(
        &store,
        StaffCommand::ResetPassword {
            username: "alice".into(),
        },
    )
    .await;
    let second = password_in(&reset);
    let row2 = store
        .staff_by_username("alice")
        .await
        .expect("read")
        .expect("alice");
    assert!(
        !verify_password(first, Some(row2.password_hash.clone()))
            .await
            .expect("verify"),
        "old password no longer works"
    );
    assert!(verify_password(second, Some(row2.password_hash.clone()))
        .await
        .expect("verify"));
    assert_eq!(
        row2.session_epoch,
        row.session_epoch + 1,
        "a reset ends open sessions"
    );

    // The last active admin cannot be disabled here either: make another
    // admin first.
    let last = run_staff(
        &store,
        StaffCommand::Disable {
            username: "alice".into(),
        },
        &mut Vec::new(),
    )
    .await;
    assert!(
        last.unwrap_err().to_string().contains("last active admin"),
        "the last admin stays"
    );
    run(
        &store,
        StaffCommand::Add {
            username: "bob".into(),
            role: "admin".into(),
        },
    )
    .await;
    run(
        &store,
        StaffCommand::Disable {
            username: "alice".into(),
        },
    )
    .await;
    assert!(!store
        .staff_by_username("alice")
        .await
        .expect("read")
        .expect("alice")
        .is_active());

    let bad = run_staff(
        &store,
        StaffCommand::Add {
            username: "Bad Name".into(),
            role: "admin".into(),
        },
        &mut Vec::new(),
    )
    .await;
    assert!(bad.unwrap_err().to_string().contains("username"));
    let missing = run_staff(
        &store,
        StaffCommand::Disable {
            username: "nobody".into(),
        },
        &mut Vec::new(),
    )
    .await;
    assert!(missing.unwrap_err().to_string().contains("not found"));

    let audit = store.list_audit("cli", 1, 50).await.expect("audit");
    let actions: Vec<_> = audit.items.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "staff.disable",
            "staff.create",
            "staff.reset_password",
            "staff.set_role",
            "staff.create"
        ]
    );
    store.close().await;
}
