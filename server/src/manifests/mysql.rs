//! MySQL: a StatefulSet of one server with its headless Service and volume
//! claim template. The application's user and the root password come from
//! the generated `db-credentials` and `db-superuser` Secrets.

use serde_json::json;

use super::database::{image, server_set, DB_SUPERUSER_SECRET};
use super::{container_resources, Manifest, RenderSettings, TenantInput, DB_SECRET};

/// The `mysql` user of the official image.
pub const MYSQL_UID: i64 = 999;
pub const MYSQL_PORT: u16 = 3306;

pub(super) fn render(t: &TenantInput, s: &RenderSettings, ns: &str) -> Vec<Manifest> {
    let from = |secret: &str, name: &str, key: &str| json!({ "name": name, "valueFrom": { "secretKeyRef": { "name": secret, "key": key } } });
    let container = json!({
        "name": "mysql",
        "image": image(t, s),
        "ports": [{ "name": "mysql", "containerPort": MYSQL_PORT, "protocol": "TCP" }],
        "env": [
            { "name": "MYSQL_DATABASE", "value": t.release.database.name() },
            from(DB_SECRET, "MYSQL_USER", "username"),
            from(DB_SECRET, "MYSQL_PASSWORD", "password"),
            from(DB_SUPERUSER_SECRET, "MYSQL_ROOT_PASSWORD", "password"),
        ],
        "readinessProbe": { "exec": { "command": ["sh", "-c", "mysqladmin ping -h 127.0.0.1 -uroot -p\"$MYSQL_ROOT_PASSWORD\""] }, "periodSeconds": 5 },
        "resources": container_resources(t.tier),
        "volumeMounts": [{ "name": "data", "mountPath": "/var/lib/mysql" }],
    });
    let mut out = vec![super::namespace::superuser(
        t,
        ns,
        DB_SUPERUSER_SECRET,
        "root",
    )];
    out.extend(server_set(
        t,
        s,
        ns,
        (("mysql", MYSQL_PORT), container, MYSQL_UID),
    ));
    out
}
