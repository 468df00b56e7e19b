//! A new tenant: its form checked with its plan, custom fields, custom
//! domain and schedule (every problem at once, before anything is
//! stored), and its record made under a given or generated ID.

use app::domain::release::fields;
use app::domain::tenant_id::tenant_id_from;
use app::domain::tenant_rules::{custom_domain_allowed, ValidNewTenant};
use app::dto::{CurrentStaff, CustomValues, NewTenantForm, Role, TemplateDto, TenantDto};
use app::error::AppError;

use super::tenants::{random_suffix, ID_ATTEMPTS};
use super::{require, ConsoleService, R};
use crate::store::NewTenantRecord;

/// A new tenant checked: the form, its plan and what it runs, what is
/// pending or warned of, and its custom field values.
pub(super) struct NewTenant {
    pub valid: ValidNewTenant,
    /// When its provisioning starts, if it is scheduled.
    pub not_before: Option<i64>,
    pub template: TemplateDto,
    pub plan: crate::provisioning::TenantPlan,
    pub said: Vec<String>,
    pub custom_fields: CustomValues,
}

impl NewTenant {
    /// Its record under the ID `id` in `namespace`.
    fn record<'a>(&'a self, id: &'a str, namespace: &'a str) -> NewTenantRecord<'a> {
        NewTenantRecord {
            id,
            namespace,
            fields: &self.valid.fields,
            template_id: self.template.id,
            release: Some(self.plan.release_number),
            custom_fields: &self.custom_fields,
        }
    }
}

impl ConsoleService {
    /// A new tenant's record, and when its provisioning is to start if it
    /// is scheduled.
    pub(super) async fn create_record(
        &self,
        who: &CurrentStaff,
        form: NewTenantForm,
    ) -> R<(TenantDto, Option<i64>)> {
        require(who, Role::Operator, "create tenants")?;
        let mut new = self.checked_new_tenant(&form).await?;
        if new.template.custom {
            require(who, Role::Admin, "make a tenant without a plan")?;
            let application = self
                .store
                .get_application(&new.template.application_key)
                .await?;
            new.template = self
                .store
                .ensure_custom_plan(&application, &who.username)
                .await?;
        }
        let t = self.insert_record(who, &new).await?;
        // Its custom domain is judged before any run renders it.
        Ok((self.check_domain(t).await?, new.not_before))
    }

    /// Stores the new tenant under its ID (or one made from its company's
    /// name).
    async fn insert_record(&self, who: &CurrentStaff, new: &NewTenant) -> R<TenantDto> {
        let valid = &new.valid;
        if let Some(id) = &valid.tenant_id {
            let namespace = self.namespace_for(id).await?;
            return Ok(self
                .store
                .insert_tenant(new.record(id, &namespace), &who.username)
                .await?);
        }
        for _ in 0..ID_ATTEMPTS {
            let id = tenant_id_from(&valid.fields.company_name, &random_suffix());
            let namespace = match self.namespace_for(&id).await {
                Err(AppError::Invalid(_)) => continue,
                other => other?,
            };
            match self
                .store
                .insert_tenant(new.record(&id, &namespace), &who.username)
                .await
            {
                Err(crate::error::ServerError::App(e))
                    if e.field_message("tenant_id").is_some() =>
                {
                    continue
                }
                other => return Ok(other?),
            }
        }
        Err(AppError::Conflict(
            "No free tenant ID could be generated; type one instead.".into(),
        ))
    }

    /// A new tenant as typed, checked the same way for the record, its
    /// preview and its dry-run, every problem at once: the form's rules,
    /// its plan (one with a release to run, which the cluster can give),
    /// the custom domain (allowed by the plan, not the console's or under
    /// the base domain) and its custom fields (against the release).
    pub(super) async fn checked_new_tenant(&self, form: &NewTenantForm) -> R<NewTenant> {
        let mut errors = vec![];
        let mut keep = |r: R<()>| match r {
            Err(AppError::Invalid(list)) => {
                errors.extend(list);
                Ok(())
            }
            other => other,
        };
        let valid = form.validate();
        let not_before = match app::domain::operation_forms::schedule(
            &form.provision_at,
            crate::store::now_ms(),
        ) {
            Ok(Some(_)) if !form.provision => {
                keep(Err(AppError::invalid(
                    "provision_at",
                    "schedules provisioning: ask for provisioning too, or leave it empty",
                )))?;
                None
            }
            Ok(at) => at,
            Err(rule) => {
                keep(Err(AppError::invalid("provision_at", rule)))?;
                None
            }
        };
        let template_id = match &valid {
            Ok(v) => Some(v.template_id),
            Err(_) => form
                .template_id
                .trim()
                .parse::<i64>()
                .ok()
                .filter(|id| *id > 0),
        };
        let custom = app::domain::custom_plan::custom_application(&form.template_id);
        let planned = match (custom, template_id) {
            (Some(application), _) => match self.custom_tenant_plan(application).await {
                Ok(p) => Some(p),
                Err(e) => {
                    keep(Err(e))?;
                    None
                }
            },
            (None, Some(id)) => match self.new_tenant_plan(id).await {
                Ok(p) => Some(p),
                Err(e) => {
                    keep(Err(e))?;
                    None
                }
            },
            (None, None) => None,
        };
        let custom = planned.as_ref().map(|(_, plan, _)| {
            fields::values(
                &plan.release.fields,
                &CustomValues::new(),
                &form.custom_fields,
            )
        });
        let custom_fields = match custom {
            Some(Ok(c)) => c,
            Some(Err(e)) => {
                keep(Err(e))?;
                CustomValues::new()
            }
            None => CustomValues::new(),
        };
        if let Ok(v) = &valid {
            let domain = v.fields.custom_domain.as_deref();
            keep(self.check_custom_domain(domain))?;
            if let Some((template, plan, _)) = &planned {
                let rule =
                    custom_domain_allowed((&template.name, &plan.tier.features), None, domain);
                keep(rule.map_err(|m| AppError::invalid("custom_domain", m)))?;
            }
        }
        let valid = match valid {
            Err(AppError::Invalid(list)) => {
                errors.splice(0..0, list);
                None
            }
            other => Some(other?),
        };
        match (valid, planned) {
            (Some(valid), Some((template, plan, said))) if errors.is_empty() => Ok(NewTenant {
                valid,
                not_before,
                template,
                plan,
                said,
                custom_fields,
            }),
            _ => Err(AppError::Invalid(errors)),
        }
    }

    /// The plan `template_id` a new tenant would be made on, with what it
    /// would run and what is pending or warned of; refused (on
    /// `template_id`) when it is not one, its application has no release
    /// to run yet, or the cluster cannot give what it asks.
    async fn new_tenant_plan(
        &self,
        template_id: i64,
    ) -> R<(TemplateDto, crate::provisioning::TenantPlan, Vec<String>)> {
        let template = match self.store.get_template(template_id).await {
            Err(crate::error::ServerError::NotFound(_)) => {
                return Err(AppError::invalid(
                    "template_id",
                    "must be one of the templates",
                ))
            }
            other => other?,
        };
        let application = self
            .store
            .get_application(&template.application_id.to_string())
            .await?;
        if application.latest_release == 0 {
            return Err(AppError::invalid(
                "template_id",
                format!(
                    "plan \"{}\" runs application \"{}\", which has no release yet: \
                     save its first release before making tenants on the plan",
                    template.name, application.key
                ),
            ));
        }
        // A new tenant has no overrides yet.
        let plan = crate::provisioning::TenantPlan::load(
            &self.store,
            (template.id, template.version),
            None,
            (None, None),
        )
        .await?;
        let said = self.new_tenant_fits(&plan)?;
        Ok((template, plan, said))
    }
}
