//! Templates and their immutable versions. An edit adds a version; tenants
//! keep pointing at the version they were made from.

use app::domain::template_rules::ValidTemplate;
use app::dto::{TemplateChoice, TemplateDto, TemplateVersionDto, TierSpec};
use app::error::AppError;

use super::applications::application_of;
use super::{now_ms, AuditEntry, Store};
use crate::error::{is_unique_violation, Result, ServerError};

#[derive(sqlx::FromRow)]
pub(super) struct TemplateRow {
    id: i64,
    slug: String,
    current_version: i64,
    name: String,
    description: String,
    spec: String,
    created_at: i64,
    created_by: String,
    tenant_count: i64,
    application_id: i64,
    application_key: String,
    custom: i64,
}

#[derive(sqlx::FromRow)]
struct VersionRow {
    version: i64,
    name: String,
    description: String,
    spec: String,
    created_at: i64,
    created_by: String,
}

fn parse_spec(json: &str) -> Result<TierSpec> {
    serde_json::from_str(json)
        .map_err(|e| ServerError::Config(format!("a stored template spec is unreadable: {e}")))
}

fn spec_json(spec: &TierSpec) -> Result<String> {
    serde_json::to_string(spec).map_err(|e| ServerError::Config(format!("template spec: {e}")))
}

impl TemplateRow {
    pub(super) fn into_dto(self) -> Result<TemplateDto> {
        Ok(TemplateDto {
            id: self.id,
            key: self.slug,
            name: self.name,
            description: self.description,
            version: self.current_version,
            spec: parse_spec(&self.spec)?,
            updated_at: self.created_at,
            updated_by: self.created_by,
            tenant_count: self.tenant_count,
            application_id: self.application_id,
            application_key: self.application_key,
            custom: self.custom != 0,
        })
    }
}

pub(super) const SELECT: &str = concat!(
    "SELECT tp.id, tp.slug, tp.current_version, tp.custom, v.name, v.description, v.spec, v.created_at, v.created_by, \
     (SELECT COUNT(*) FROM tenants x WHERE x.template_id = tp.id) AS tenant_count, ",
    application_of!(),
    " AS application_id, COALESCE((SELECT a.key FROM applications a WHERE a.id = ",
    application_of!(),
    "), '') AS application_key \
     FROM templates tp JOIN template_versions v ON v.template_id = tp.id AND v.version = tp.current_version"
);

impl Store {
    pub async fn list_templates(&self) -> Result<Vec<TemplateDto>> {
        let rows = sqlx::query_as::<_, TemplateRow>(&format!("{SELECT} ORDER BY tp.id"))
            .fetch_all(&self.pool)
            .await?;
        rows.into_iter().map(TemplateRow::into_dto).collect()
    }

    /// Id, name and version of every template, without counting tenants.
    /// Each tenant whose plan (at the tenant's version) sets the edge's
    /// `requests-per-minute`, with that limit.
    pub async fn edge_rate_limits(&self) -> Result<std::collections::HashMap<String, u64>> {
        let rows = sqlx::query_as::<_, (String, String)>(
            "SELECT t.id, v.spec FROM tenants t JOIN template_versions v \
             ON v.template_id = t.template_id AND v.version = t.template_version",
        )
        .fetch_all(&self.pool)
        .await?;
        // A spec is parsed once, however many tenants share its version.
        let mut parsed: std::collections::HashMap<String, Option<u64>> =
            std::collections::HashMap::new();
        let mut out = std::collections::HashMap::new();
        for (tenant, spec) in rows {
            let limit = *parsed.entry(spec).or_insert_with_key(|s| {
                parse_spec(s).ok().and_then(|t| {
                    t.limits
                        .get(app::domain::template_rules::EDGE_RATE_LIMIT)
                        .copied()
                })
            });
            if let Some(n) = limit {
                out.insert(tenant, n);
            }
        }
        Ok(out)
    }

    pub async fn template_choices(&self) -> Result<Vec<TemplateChoice>> {
        let rows = sqlx::query_as::<_, (i64, String, i64)>(
            "SELECT t.id, v.name, t.current_version FROM templates t \
             JOIN template_versions v ON v.template_id = t.id AND v.version = t.current_version \
             WHERE t.custom = 0 ORDER BY t.id",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(id, name, version)| TemplateChoice { id, name, version })
            .collect())
    }

    pub async fn count_templates(&self) -> Result<i64> {
        Ok(
            sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM templates")
                .fetch_one(&self.pool)
                .await?,
        )
    }

    pub async fn get_template(&self, id: i64) -> Result<TemplateDto> {
        sqlx::query_as::<_, TemplateRow>(&format!("{SELECT} WHERE tp.id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| ServerError::NotFound(format!("Template {id}")))?
            .into_dto()
    }

    pub async fn template_versions(&self, id: i64) -> Result<Vec<TemplateVersionDto>> {
        let rows = sqlx::query_as::<_, VersionRow>(
            "SELECT version, name, description, spec, created_at, created_by FROM template_versions \
             WHERE template_id = $1 ORDER BY version DESC",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|r| {
                Ok(TemplateVersionDto {
                    version: r.version,
                    name: r.name,
                    description: r.description,
                    spec: parse_spec(&r.spec)?,
                    created_at: r.created_at,
                    created_by: r.created_by,
                })
            })
            .collect()
    }

    pub async fn create_template(&self, t: &ValidTemplate, actor: &str) -> Result<TemplateDto> {
        let mut tx = self.begin().await?;
        let now = now_ms();
        let application = match &t.application {
            Some(key) => Some(self.application_named(&mut tx, key).await?),
            None => None,
        };
        let id = sqlx::query_scalar::<_, i64>(
            "INSERT INTO templates (slug, current_version, created_at, application_id) \
             VALUES ($1, 1, $2, $3) RETURNING id",
        )
        .bind(&t.key)
        .bind(now)
        .bind(application)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| {
            if is_unique_violation(&e) {
                ServerError::App(AppError::invalid(
                    "key",
                    format!("\"{}\" is already used by another template", t.key),
                ))
            } else {
                e.into()
            }
        })?;
        insert_version(&mut tx, id, 1, t, actor, now).await?;
        AuditEntry::new(actor, "template.create", "template", t.key.clone())
            .detail(format!("version 1 \"{}\"", t.name))
            .write(&mut tx)
            .await?;
        tx.commit().await?;
        self.get_template(id).await
    }

    /// Saves a new version; the key never changes. With `based_on`, the
    /// edit is refused ([`AppError::Stale`]) unless that version is still
    /// the current one, so two people editing cannot overwrite each other
    /// (two saves racing from the same version: the primary key on
    /// (template, version) lets one win).
    pub async fn update_template(
        &self,
        id: i64,
        t: &ValidTemplate,
        based_on: Option<i64>,
        actor: &str,
    ) -> Result<TemplateDto> {
        let mut tx = self.begin().await?;
        let (slug, current) = sqlx::query_as::<_, (String, i64)>(
            "SELECT slug, current_version FROM templates WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| ServerError::NotFound(format!("Template {id}")))?;
        if slug != t.key {
            return Err(
                AppError::invalid("key", "cannot change; create a new template instead").into(),
            );
        }
        let stale = |current: i64| {
            AppError::Stale(format!(
                "Template \"{slug}\" changed since version {} (now version {current}): reload it and apply the edit again",
                based_on.unwrap_or(current)
            ))
        };
        if based_on.is_some_and(|v| v != current) {
            return Err(stale(current).into());
        }
        if let Some(key) = &t.application {
            self.move_to_application(&mut tx, id, key).await?;
        }
        let next = current + 1;
        insert_version(&mut tx, id, next, t, actor, now_ms())
            .await
            .map_err(|e| match e {
                ServerError::Db(ref d) if crate::error::is_unique_violation(d) => {
                    stale(next).into()
                }
                other => other,
            })?;
        let moved = sqlx::query(
            "UPDATE templates SET current_version = $2 WHERE id = $1 AND current_version = $3",
        )
        .bind(id)
        .bind(next)
        .bind(current)
        .execute(&mut *tx)
        .await?;
        if moved.rows_affected() == 0 {
            return Err(stale(next).into());
        }
        AuditEntry::new(actor, "template.update", "template", slug)
            .detail(format!("version {next} \"{}\"", t.name))
            .write(&mut tx)
            .await?;
        tx.commit().await?;
        self.get_template(id).await
    }

    /// The application `key`'s ID, or a field error listing the keys.
    async fn application_named(
        &self,
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        key: &str,
    ) -> Result<i64> {
        let found = sqlx::query_scalar::<_, i64>("SELECT id FROM applications WHERE key = $1")
            .bind(key)
            .fetch_optional(&mut **tx)
            .await?;
        if let Some(id) = found {
            return Ok(id);
        }
        let keys = sqlx::query_scalar::<_, String>("SELECT key FROM applications ORDER BY key")
            .fetch_all(&mut **tx)
            .await?;
        Err(AppError::invalid(
            "application",
            format!("must be one of the applications: {}", keys.join(", ")),
        )
        .into())
    }

    /// Points template `id` at application `key`; refused while tenants
    /// use the plan (their release numbers are the current application's).
    async fn move_to_application(
        &self,
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        id: i64,
        key: &str,
    ) -> Result<()> {
        let to = self.application_named(tx, key).await?;
        let (now, tenants) = sqlx::query_as::<_, (i64, i64)>(concat!(
            "SELECT ",
            application_of!(),
            ", (SELECT COUNT(*) FROM tenants x WHERE x.template_id = tp.id) \
             FROM templates tp WHERE tp.id = $1"
        ))
        .bind(id)
        .fetch_one(&mut **tx)
        .await?;
        if now == to {
            return Ok(());
        }
        if tenants > 0 {
            return Err(AppError::invalid(
                "application",
                format!(
                    "cannot change while {tenants} tenant(s) use the plan: they run releases of its \
                     current application; make a new plan for \"{key}\" instead"
                ),
            )
            .into());
        }
        sqlx::query("UPDATE templates SET application_id = $2 WHERE id = $1")
            .bind(id)
            .bind(to)
            .execute(&mut **tx)
            .await?;
        Ok(())
    }

    /// Refused while any tenant uses any version of the template.
    pub async fn delete_template(&self, id: i64, actor: &str) -> Result<()> {
        let mut tx = self.begin().await?;
        let slug = sqlx::query_scalar::<_, String>("SELECT slug FROM templates WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| ServerError::NotFound(format!("Template {id}")))?;
        let users = sqlx::query_scalar::<_, String>(
            "SELECT id FROM tenants WHERE template_id = $1 ORDER BY id LIMIT 6",
        )
        .bind(id)
        .fetch_all(&mut *tx)
        .await?;
        if !users.is_empty() {
            let total =
                sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM tenants WHERE template_id = $1")
                    .bind(id)
                    .fetch_one(&mut *tx)
                    .await?;
            let shown: Vec<&str> = users.iter().take(5).map(String::as_str).collect();
            let more = if total > 5 {
                format!(" and {} more", total - 5)
            } else {
                String::new()
            };
            return Err(ServerError::Conflict(format!(
                "Template \"{slug}\" cannot be deleted: {total} tenant(s) use it ({}{more}). Move or remove them first.",
                shown.join(", ")
            )));
        }
        sqlx::query("DELETE FROM template_versions WHERE template_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM templates WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        AuditEntry::new(actor, "template.delete", "template", slug)
            .write(&mut tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }
}

pub(super) async fn insert_version(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    id: i64,
    version: i64,
    t: &ValidTemplate,
    actor: &str,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO template_versions (template_id, version, name, description, spec, created_at, created_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(id)
    .bind(version)
    .bind(&t.name)
    .bind(&t.description)
    .bind(spec_json(&t.spec)?)
    .bind(now)
    .bind(actor)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
