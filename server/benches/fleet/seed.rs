//! Many tenant records at once, written straight into the database (the
//! console's own insert path audits and checks each one, which is not what
//! is measured here).

use sqlx::any::AnyPoolOptions;

const BATCH: usize = 500;

/// `count` tenants `<stem>-00000…` on the first template, spread over the
/// lifecycle states, with their namespaces `tenant-<id>`; 1 % of them
/// recorded critical and 2 % degraded, the rest healthy.
pub async fn tenants(url: &str, count: usize, stem: &str) -> Vec<String> {
    sqlx::any::install_default_drivers();
    let pool = AnyPoolOptions::new()
        .max_connections(1)
        .connect(url)
        .await
        .unwrap();
    let (template, version): (i64, i64) =
        sqlx::query_as("SELECT id, current_version FROM templates ORDER BY id LIMIT 1")
            .fetch_one(&pool)
            .await
            .unwrap();
    let ids: Vec<String> = (0..count).map(|i| format!("{stem}-{i:06}")).collect();
    let now = server::store::now_ms();
    for (b, chunk) in ids.chunks(BATCH).enumerate() {
        let mut sql = String::from(
            "INSERT INTO tenants (id, company_name, owner_email, owner_name, template_id, \
             template_version, state, created_at, updated_at, created_by, namespace, health) VALUES ",
        );
        let mut n = 0;
        for (k, _) in chunk.iter().enumerate() {
            if k > 0 {
                sql.push(',');
            }
            sql.push_str(&format!(
                "(${}, ${}, ${}, 'Owner', ${}, ${}, ${}, ${}, ${}, 'bench', ${}, ${})",
                n + 1,
                n + 2,
                n + 3,
                n + 4,
                n + 5,
                n + 6,
                n + 7,
                n + 7,
                n + 8,
                n + 9
            ));
            n += 9;
        }
        let mut q = sqlx::query(&sql);
        for (k, id) in chunk.iter().enumerate() {
            let i = b * BATCH + k;
            let state = match i % 50 {
                0 => "failed",
                1 => "suspended",
                2 | 3 => "degraded",
                _ => "active",
            };
            let health = match i % 100 {
                0 => "critical",
                1 | 2 => "degraded",
                _ => "healthy",
            };
            q = q
                .bind(id.clone())
                .bind(format!("Company {i}"))
                .bind(format!("owner{i}@example.com"))
                .bind(template)
                .bind(version)
                .bind(state)
                .bind(now - (count - i) as i64 * 1000)
                .bind(format!("tenant-{id}"))
                .bind(health);
        }
        q.execute(&pool).await.unwrap();
    }
    pool.close().await;
    ids
}
