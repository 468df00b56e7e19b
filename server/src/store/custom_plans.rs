//! Each application's custom plan (see `app::domain::custom_plan`): the
//! template that sizes its tenants made without a plan, made the first
//! time one is (audited), never offered as a plan to choose.

use app::domain::custom_plan::{custom_plan, CUSTOM_PLAN_NAME};
use app::dto::{ApplicationDto, TemplateDto};
use app::error::AppError;

use super::templates::{insert_version, TemplateRow, SELECT};
use super::{now_ms, AuditEntry, Store};
use crate::error::{Result, ServerError};

impl Store {
    /// Application `application_id`'s custom plan, once made.
    pub async fn custom_plan(&self, application_id: i64) -> Result<Option<TemplateDto>> {
        sqlx::query_as::<_, TemplateRow>(&format!(
            "{SELECT} WHERE tp.custom = 1 AND tp.application_id = $1"
        ))
        .bind(application_id)
        .fetch_optional(&self.pool)
        .await?
        .map(TemplateRow::into_dto)
        .transpose()
    }

    /// The application's custom plan, made now (as [`custom_plan`] says,
    /// audited) when it has none: two admins at once make one.
    pub async fn ensure_custom_plan(
        &self,
        application: &ApplicationDto,
        actor: &str,
    ) -> Result<TemplateDto> {
        if let Some(plan) = self.custom_plan(application.id).await? {
            return Ok(plan);
        }
        let plan = custom_plan(&application.key, &application.name);
        let key = plan.key.clone();
        let mut tx = self.begin().await?;
        let now = now_ms();
        let made = sqlx::query_scalar::<_, i64>(
            "INSERT INTO templates (slug, current_version, created_at, application_id, custom) \
             VALUES ($1, 1, $2, $3, 1) ON CONFLICT (slug) DO NOTHING RETURNING id",
        )
        .bind(&key)
        .bind(now)
        .bind(application.id)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(id) = made {
            insert_version(&mut tx, id, 1, &plan, actor, now).await?;
            AuditEntry::new(actor, "template.create", "template", key.clone())
                .detail(format!(
                    "version 1 \"{CUSTOM_PLAN_NAME}\": the custom plan of application {}",
                    application.key
                ))
                .write(&mut tx)
                .await?;
        }
        tx.commit().await?;
        self.custom_plan(application.id).await?.ok_or_else(|| {
            ServerError::App(AppError::Conflict(format!(
                "The key \"{key}\" of application {}'s custom plan is another template's: \
                 rename that template first.",
                application.key
            )))
        })
    }
}
