//! Applications and their immutable, numbered releases. A release is
//! stored as checked (JSON, what is rendered) beside the text staff wrote;
//! a new one takes the next number, and two saves racing for it cannot
//! both win (the primary key on (application, number)).

use app::dto::{ApplicationDto, ReleaseDto, ReleaseSpec, TierSpec};
use app::error::AppError;

use super::{now_ms, AuditEntry, Store};
use crate::applications::SeedApplication;
use crate::error::{is_unique_violation, Result, ServerError};

/// The application the template `tp` sizes: its own, or, for a template
/// made before applications existed (or by a replica of the previous
/// release), the seeded workshop SaaS (whose key a test holds to
/// `WORKSHOP_KEY`). A macro, so the queries below are one literal each.
macro_rules! application_of {
    () => {
        "COALESCE(tp.application_id, (SELECT w.id FROM applications w WHERE w.key = 'workshop-saas'))"
    };
}
pub(super) use application_of;

const APPLICATION_OF: &str = application_of!();

#[derive(sqlx::FromRow)]
struct ApplicationRow {
    id: i64,
    key: String,
    name: String,
    description: String,
    latest_release: i64,
    plan_count: i64,
    tenant_count: i64,
    created_at: i64,
    created_by: String,
}

impl From<ApplicationRow> for ApplicationDto {
    fn from(r: ApplicationRow) -> Self {
        ApplicationDto {
            id: r.id,
            key: r.key,
            name: r.name,
            description: r.description,
            latest_release: r.latest_release,
            plan_count: r.plan_count,
            tenant_count: r.tenant_count,
            created_at: r.created_at,
            created_by: r.created_by,
        }
    }
}

const SELECT_APPLICATIONS: &str = concat!(
    "SELECT a.id, a.key, a.name, a.description, \
     COALESCE((SELECT MAX(r.number) FROM releases r WHERE r.application_id = a.id), 0) AS latest_release, \
     (SELECT COUNT(*) FROM templates tp WHERE ",
    application_of!(),
    " = a.id) AS plan_count, \
     (SELECT COUNT(*) FROM tenants x JOIN templates tp ON tp.id = x.template_id WHERE ",
    application_of!(),
    " = a.id) AS tenant_count, a.created_at, a.created_by FROM applications a"
);

#[derive(sqlx::FromRow)]
struct ReleaseRow {
    application_id: i64,
    number: i64,
    spec: String,
    source: String,
    notes: String,
    tenant_count: i64,
    created_at: i64,
    created_by: String,
}

fn parse_release(json: &str) -> Result<ReleaseSpec> {
    serde_json::from_str(json)
        .map_err(|e| ServerError::Config(format!("a stored release is unreadable: {e}")))
}

impl ReleaseRow {
    fn into_dto(self) -> Result<ReleaseDto> {
        Ok(ReleaseDto {
            application_id: self.application_id,
            number: self.number,
            spec: parse_release(&self.spec)?,
            source: self.source,
            notes: self.notes,
            tenant_count: self.tenant_count,
            created_at: self.created_at,
            created_by: self.created_by,
            warnings: vec![],
        })
    }
}

const SELECT_RELEASES: &str = concat!(
    "SELECT r.application_id, r.number, r.spec, r.source, r.notes, \
     (SELECT COUNT(*) FROM tenants x JOIN templates tp ON tp.id = x.template_id \
       WHERE COALESCE(x.release_number, 1) = r.number AND ",
    application_of!(),
    " = r.application_id) AS tenant_count, r.created_at, r.created_by FROM releases r"
);

/// A template version and a release of its application, as stored.
pub struct PlanParts {
    pub key: String,
    pub tier: TierSpec,
    /// (number, release).
    pub release: (i64, ReleaseSpec),
}

impl Store {
    /// Makes each seeded application with its release 1 and its plans
    /// where missing (never changing a stored one), then gives templates without an
    /// application the workshop's and tenants without a release number
    /// release 1. Safe to run on every start of every replica.
    pub async fn ensure_seeded_applications(&self, seeds: &[SeedApplication]) -> Result<()> {
        for seed in seeds {
            let spec = crate::applications::parse_release(seed.release).map_err(|e| {
                ServerError::Config(format!(
                    "the seeded application {} is invalid: {e}",
                    seed.key
                ))
            })?;
            let json = serde_json::to_string(&spec)
                .map_err(|e| ServerError::Config(format!("release: {e}")))?;
            let mut tx = self.begin().await?;
            let now = now_ms();
            let made = sqlx::query(
                "INSERT INTO applications (key, name, description, created_at, created_by) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (key) DO NOTHING",
            )
            .bind(seed.key)
            .bind(seed.name)
            .bind(seed.description)
            .bind(now)
            .bind(super::SYSTEM)
            .execute(&mut *tx)
            .await?
            .rows_affected()
                == 1;
            sqlx::query(
                "INSERT INTO releases (application_id, number, spec, source, notes, created_at, created_by) \
                 SELECT a.id, 1, $2, $3, 'seeded', $4, $5 FROM applications a WHERE a.key = $1 \
                 ON CONFLICT (application_id, number) DO NOTHING",
            )
            .bind(seed.key)
            .bind(&json)
            .bind(seed.release)
            .bind(now)
            .bind(super::SYSTEM)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            // Only the replica that made the application makes its plans.
            if made {
                self.seed_plans(seed).await?;
            }
        }
        sqlx::query(concat!(
            "UPDATE templates AS tp SET application_id = ",
            application_of!(),
            " WHERE application_id IS NULL"
        ))
        .execute(&self.pool)
        .await?;
        sqlx::query("UPDATE tenants SET release_number = 1 WHERE release_number IS NULL")
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn list_applications(&self) -> Result<Vec<ApplicationDto>> {
        let rows =
            sqlx::query_as::<_, ApplicationRow>(&format!("{SELECT_APPLICATIONS} ORDER BY a.key"))
                .fetch_all(&self.pool)
                .await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    /// An application by its ID or its key.
    pub async fn get_application(&self, id_or_key: &str) -> Result<ApplicationDto> {
        let id = id_or_key.parse::<i64>().unwrap_or(-1);
        sqlx::query_as::<_, ApplicationRow>(&format!(
            "{SELECT_APPLICATIONS} WHERE a.id = $1 OR a.key = $2"
        ))
        .bind(id)
        .bind(id_or_key)
        .fetch_optional(&self.pool)
        .await?
        .map(Into::into)
        .ok_or_else(|| ServerError::NotFound(format!("Application {id_or_key}")))
    }

    /// A new application, without releases yet.
    pub async fn create_application(
        &self,
        (key, name, description): (&str, &str, &str),
        actor: &str,
    ) -> Result<ApplicationDto> {
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO applications (key, name, description, created_at, created_by) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(key)
        .bind(name)
        .bind(description)
        .bind(now_ms())
        .bind(actor)
        .execute(&mut *tx)
        .await
        .map_err(|e| {
            if is_unique_violation(&e) {
                ServerError::App(AppError::invalid("key", format!("\"{key}\" is already another application's")))
            } else {
                e.into()
            }
        })?;
        AuditEntry::new(actor, "application.create", "application", key.to_string())
            .detail(format!("\"{name}\""))
            .write(&mut tx)
            .await?;
        tx.commit().await?;
        self.get_application(key).await
    }

    pub async fn list_releases(&self, application_id: i64) -> Result<Vec<ReleaseDto>> {
        sqlx::query_as::<_, ReleaseRow>(&format!(
            "{SELECT_RELEASES} WHERE r.application_id = $1 ORDER BY r.number DESC"
        ))
        .bind(application_id)
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .map(ReleaseRow::into_dto)
        .collect()
    }

    pub async fn get_release(&self, application_id: i64, number: i64) -> Result<ReleaseDto> {
        sqlx::query_as::<_, ReleaseRow>(&format!(
            "{SELECT_RELEASES} WHERE r.application_id = $1 AND r.number = $2"
        ))
        .bind(application_id)
        .bind(number)
        .fetch_optional(&self.pool)
        .await?
        .ok_or_else(|| {
            ServerError::NotFound(format!("Release {number} of application {application_id}"))
        })?
        .into_dto()
    }

    /// Stores a checked release as the application's next number. With
    /// `based_on`, refused ([`AppError::Stale`]) unless that is still the
    /// newest, so two people cannot both release "the next one" unaware.
    pub async fn create_release(
        &self,
        application_id: i64,
        (spec, source, notes): (&ReleaseSpec, &str, &str),
        based_on: Option<i64>,
        actor: &str,
    ) -> Result<ReleaseDto> {
        let json = serde_json::to_string(spec)
            .map_err(|e| ServerError::Config(format!("release: {e}")))?;
        let mut tx = self.begin().await?;
        let (key, latest) = sqlx::query_as::<_, (String, i64)>(
            "SELECT a.key, COALESCE((SELECT MAX(r.number) FROM releases r WHERE r.application_id = a.id), 0) \
             FROM applications a WHERE a.id = $1",
        )
        .bind(application_id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| ServerError::NotFound(format!("Application {application_id}")))?;
        if let Some(base) = based_on.filter(|b| *b != latest) {
            return Err(AppError::Stale(format!(
                "release {latest} was saved after release {base}, which this one was based on; read it first"
            ))
            .into());
        }
        let number = latest + 1;
        sqlx::query(
            "INSERT INTO releases (application_id, number, spec, source, notes, created_at, created_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(application_id)
        .bind(number)
        .bind(&json)
        .bind(source)
        .bind(notes)
        .bind(now_ms())
        .bind(actor)
        .execute(&mut *tx)
        .await
        .map_err(|e| {
            if is_unique_violation(&e) {
                ServerError::App(AppError::Stale(format!(
                    "release {number} of {key} was just saved by someone else; read it first"
                )))
            } else {
                e.into()
            }
        })?;
        AuditEntry::new(actor, "release.create", "application", key.clone())
            .detail(format!("release {number}"))
            .write(&mut tx)
            .await?;
        tx.commit().await?;
        self.get_release(application_id, number).await
    }

    /// The release tenant `id` runs.
    pub async fn release_of_tenant(&self, id: &str) -> Result<ReleaseDto> {
        let (application, number) = sqlx::query_as::<_, (i64, i64)>(&format!(
            "SELECT {APPLICATION_OF}, COALESCE(x.release_number, 1) FROM tenants x \
             JOIN templates tp ON tp.id = x.template_id WHERE x.id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or_else(|| ServerError::NotFound(format!("Tenant {id}")))?;
        self.get_release(application, number).await
    }

    /// What a tenant is rendered from: its template's key and tier at
    /// `version`, and release `release` of the template's application (its
    /// newest when `None`, as a new tenant gets), with that release's number.
    pub async fn tenant_plan(
        &self,
        (template_id, version): (i64, i64),
        release: Option<i64>,
    ) -> Result<PlanParts> {
        let (key, tier, number, spec) = sqlx::query_as::<_, (String, String, i64, String)>(&format!(
            "SELECT tp.slug, v.spec, r.number, r.spec FROM templates tp \
             JOIN template_versions v ON v.template_id = tp.id \
             JOIN releases r ON r.application_id = {APPLICATION_OF} \
              AND r.number = COALESCE($3, (SELECT MAX(n.number) FROM releases n WHERE n.application_id = r.application_id)) \
             WHERE tp.id = $1 AND v.version = $2"
        ))
        .bind(template_id)
        .bind(version)
        .bind(release)
        .fetch_optional(&self.pool)
        .await?
        .ok_or_else(|| {
            let which = release.map_or_else(|| "its newest release".to_string(), |n| format!("release {n}"));
            ServerError::NotFound(format!(
                "Template {template_id} version {version} with {which} of its application"
            ))
        })?;
        let tier = serde_json::from_str(&tier).map_err(|e| {
            ServerError::Config(format!("a stored template spec is unreadable: {e}"))
        })?;
        Ok(PlanParts {
            key,
            tier,
            release: (number, parse_release(&spec)?),
        })
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_templates_without_an_application_are_the_workshops() {
        let key = format!("w.key = '{}'", crate::applications::WORKSHOP_KEY);
        assert!(super::APPLICATION_OF.contains(&key));
    }
}
