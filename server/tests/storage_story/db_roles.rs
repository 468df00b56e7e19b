//! The script that takes superuser rights from a StatefulSet tenant's
//! application role (`server/src/manifests/db_roles.sh`), run with `sh` and
//! `psql` against the real test PostgreSQL, as the Job runs it in a tenant.

use std::process::Command;

use sqlx::{Connection, PgConnection};

const SCRIPT: &str = include_str!("../../src/manifests/db_roles.sh");

fn run(url: &url::Url, db: &str, app: &str, superuser: &str) -> String {
    let out = Command::new("sh")
        .args(["-c", SCRIPT])
        .env("PGHOST", url.host_str().unwrap())
        .env("PGPORT", url.port().unwrap_or(5432).to_string())
        .env("PGDATABASE", db)
        .env("APP_USER", app)
        .env("APP_PASSWORD", "app password")
        .env("SUPER_USER", superuser)
        .env("SUPER_PASSWORD", "super password")
        .output()
        .expect("sh and psql run");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{text}");
    assert!(
        !text.contains("password"),
        "a password in the output: {text}"
    );
    text
}

async fn flags(admin: &mut PgConnection, role: &str) -> (bool, bool, bool) {
    sqlx::query_as("SELECT rolsuper, rolcreaterole, rolcreatedb FROM pg_roles WHERE rolname = $1")
        .bind(role)
        .fetch_one(admin)
        .await
        .unwrap()
}

#[tokio::test]
async fn the_application_database_role_is_no_superuser() {
    let Ok(base) = std::env::var("TENANTRY_TEST_POSTGRES_URL") else {
        return;
    };
    let url = url::Url::parse(&base).unwrap();
    let stem = format!("dbr{}", std::process::id());
    let (app, superuser, db) = (
        format!("{stem}_app"),
        format!("{stem}_su"),
        format!("{stem}_db"),
    );
    let mut admin = PgConnection::connect(&base).await.unwrap();
    let clean = [
        format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"),
        format!("DROP ROLE IF EXISTS {app}"),
        format!("DROP ROLE IF EXISTS {superuser}"),
    ];
    for sql in &clean {
        sqlx::query(sql).execute(&mut admin).await.unwrap();
    }
    // A tenant made before this release: the image's entrypoint made the
    // application's role the superuser and the database's owner, and its
    // migrations made tables.
    for sql in [
        format!("CREATE ROLE {app} SUPERUSER LOGIN PASSWORD 'app password'"),
        format!("CREATE DATABASE {db} OWNER {app}"),
    ] {
        sqlx::query(&sql).execute(&mut admin).await.unwrap();
    }
    let mut app_url = url.clone();
    app_url.set_username(&app).unwrap();
    app_url.set_path(&db);
    let mut as_app = PgConnection::connect(app_url.as_str()).await.unwrap();
    sqlx::raw_sql("CREATE TABLE orders (id int); INSERT INTO orders VALUES (1)")
        .execute(&mut as_app)
        .await
        .unwrap();
    drop(as_app);

    let said = run(&url, &db, &app, &superuser);
    assert!(said.contains("is no longer a superuser"), "{said}");
    assert_eq!(flags(&mut admin, &app).await, (false, false, false));
    assert!(
        flags(&mut admin, &superuser).await.0,
        "{superuser} is the superuser"
    );
    let owner: String =
        sqlx::query_scalar("SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = $1")
            .bind(&db)
            .fetch_one(&mut admin)
            .await
            .unwrap();
    assert_eq!(owner, app);

    // The application still reads and writes what it owns, and makes
    // tables; it can no longer make roles or read the server's files.
    let mut as_app = PgConnection::connect(app_url.as_str()).await.unwrap();
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM orders")
        .fetch_one(&mut as_app)
        .await
        .unwrap();
    assert_eq!(n, 1);
    sqlx::query("CREATE TABLE invoices (id int)")
        .execute(&mut as_app)
        .await
        .unwrap();
    for refused in ["CREATE ROLE intruder", "SELECT pg_read_file('PG_VERSION')"] {
        assert!(
            sqlx::query(refused).execute(&mut as_app).await.is_err(),
            "{refused} was allowed"
        );
    }
    drop(as_app);

    // Run again (every migration runs it): it only checks.
    let said = run(&url, &db, &app, &superuser);
    assert!(said.contains("is not a superuser"), "{said}");

    for sql in &clean {
        sqlx::query(sql).execute(&mut admin).await.unwrap();
    }
}
