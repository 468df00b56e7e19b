//! What a change makes of a tenant: the plan (template version, release,
//! replica overrides) it would run and its custom field values, checked
//! against that release, for the change's preview and the change itself.

use app::domain::lifecycle::check_operation;
use app::domain::operation_forms::ReplicaChange;
use app::domain::release::fields;
use app::dto::{ChangeForm, CurrentStaff, CustomValues, Operation, RunDto, RunOptions, TenantDto};
use app::error::AppError;

use super::{ConsoleService, R};

/// What a change would make of a tenant: its plan (template version,
/// release, replica overrides) and its custom field values.
pub(super) struct Target {
    pub template_id: i64,
    pub template_name: String,
    pub api_replicas: Option<i64>,
    pub web_replicas: Option<i64>,
    pub plan: crate::provisioning::TenantPlan,
    pub custom_fields: CustomValues,
}

fn replicas(change: ReplicaChange, current: Option<i64>) -> Option<i64> {
    match change {
        ReplicaChange::Keep => current,
        ReplicaChange::FollowTier => None,
        ReplicaChange::Set(n) => Some(n),
    }
}

/// The names of the custom fields whose values differ (given, changed or
/// cleared), for the audit trail.
pub(super) fn changed_fields<'a>(
    before: &'a CustomValues,
    after: &'a CustomValues,
) -> Vec<&'a str> {
    let mut names: Vec<&str> = after
        .iter()
        .filter(|(k, v)| before.get(*k) != Some(*v))
        .map(|(k, _)| k.as_str())
        .chain(
            before
                .keys()
                .filter(|k| !after.contains_key(*k))
                .map(String::as_str),
        )
        .collect();
    names.sort_unstable();
    names
}

impl ConsoleService {
    pub(super) async fn target(&self, t: &TenantDto, form: &ChangeForm) -> R<Target> {
        let change = form.validate()?;
        let template_id = change.template_id.unwrap_or(t.template_id);
        let template = match self.store.get_template(template_id).await {
            Ok(tpl) => tpl,
            Err(crate::error::ServerError::NotFound(_)) => {
                return Err(AppError::invalid(
                    "template_id",
                    "must be one of the templates",
                ))
            }
            Err(e) => return Err(e.into()),
        };
        // A custom plan is no plan to move to: it sizes the tenants of its
        // application made without one (and an admin resizes it).
        if template.custom && change.template_id.is_some_and(|id| id != t.template_id) {
            return Err(AppError::invalid(
                "template_id",
                "is an application's custom plan: tenants are made on it without a plan (by admins), never moved to it",
            ));
        }
        // No template asked for: the tenant keeps its version.
        let version = if change.template_id.is_none() {
            t.template_version
        } else {
            template.version
        };
        let release = change.release.unwrap_or(t.release);
        let api_replicas = replicas(change.api_replicas, t.api_replicas);
        let web_replicas = replicas(change.web_replicas, t.web_replicas);
        // What the runner would render after the change: the same plan.
        let plan = match crate::provisioning::TenantPlan::load(
            &self.store,
            (template_id, version),
            Some(release),
            (api_replicas, web_replicas),
        )
        .await
        {
            Ok(plan) => plan,
            // The release must be one of the plan's application's.
            Err(crate::error::ServerError::NotFound(_)) if change.release.is_some() => {
                return Err(AppError::invalid(
                    "release",
                    format!("there is no release {release} of the plan's application"),
                ))
            }
            Err(e) => return Err(e.into()),
        };
        // The tenant's values, with the change's, against the release it
        // will run (a new release may ask for a field it has no value for).
        let custom_fields =
            fields::values(&plan.release.fields, &t.custom_fields, &form.custom_fields)?;
        Ok(Target {
            template_id,
            template_name: template.name,
            api_replicas,
            web_replicas,
            plan,
            custom_fields,
        })
    }
}

impl ConsoleService {
    /// Changes tenant `t` as `form` asks (its plan, release, replicas,
    /// custom fields) and starts the update run; `rollout`: the rollout
    /// that moves it, recorded with the run.
    pub(super) async fn apply_change(
        &self,
        who: &CurrentStaff,
        t: &TenantDto,
        form: &ChangeForm,
        rollout: Option<i64>,
    ) -> R<RunDto> {
        check_operation(t, Operation::Update)?;
        let target = self.target(t, form).await?;
        let engine = self.engine().await?;
        let (version, release) = (target.plan.version, target.plan.release_number);
        let changed = changed_fields(&t.custom_fields, &target.custom_fields);
        let detail = format!(
            "template {} v{} → {} v{}; release {} → {}; replicas api {:?} web {:?}{}",
            t.template_name,
            t.template_version,
            target.template_name,
            version,
            t.release,
            release,
            target.api_replicas,
            target.web_replicas,
            if changed.is_empty() {
                String::new()
            } else {
                format!("; custom fields {}", changed.join(", "))
            }
        );
        self.store
            .set_tenant_spec(
                &t.id,
                ((target.template_id, version), release),
                (target.api_replicas, target.web_replicas),
                &target.custom_fields,
                (&who.username, &detail),
            )
            .await?;
        // A move to another release runs that release's post-upgrade jobs.
        let options = RunOptions {
            upgrade_from: (release != t.release).then_some(t.release),
            rollout,
            ..Default::default()
        };
        self.start(&engine, who, &t.id, Operation::Update, options, None)
            .await
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn changed_fields_name_what_was_given_changed_or_cleared() {
        let map = |p: &[(&str, &str)]| -> app::dto::CustomValues {
            p.iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        let before = map(&[("a", "1"), ("b", "2"), ("c", "3")]);
        let after = map(&[("a", "1"), ("b", "9"), ("d", "4")]);
        assert_eq!(super::changed_fields(&before, &after), ["b", "c", "d"]);
    }
}
