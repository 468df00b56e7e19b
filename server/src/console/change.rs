//! What a change makes of a tenant: the plan (template version, release,
//! replica overrides) it would run and its custom field values, checked
//! against that release, for the change's preview and the change itself.

use app::domain::lifecycle::check_operation;
use app::domain::operation_forms::ReplicaChange;
use app::domain::release::fields;
use app::dto::{
    ChangeForm, CurrentStaff, CustomValues, ObjectChange, Operation, RunDto, RunOptions, TenantDto,
};
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
    /// The dry-run of a change of `t`: what it would run, its objects as
    /// rendered, and what applying them would change on the cluster
    /// (`None` when no cluster answers).
    pub(super) async fn dry_run(
        &self,
        t: &TenantDto,
        form: &ChangeForm,
    ) -> R<(
        Target,
        Vec<crate::manifests::Manifest>,
        Option<Vec<ObjectChange>>,
    )> {
        let target = self.target(t, form).await?;
        let (settings, caps) = self.rendering();
        let at = crate::provisioning::desired::At {
            custom_fields: &target.custom_fields,
            ..crate::provisioning::desired::at(t)
        };
        let manifests = target.plan.desired(at, &settings, &caps).objects();
        let diff = match self.engine.get() {
            Some(e) => match crate::provisioning::diff_with_live(&e.cluster, &manifests).await {
                Ok(o) => Some(o),
                Err(err) => {
                    tracing::warn!(error = %err, tenant = %t.id, "dry-run could not read live objects");
                    None
                }
            },
            None => None,
        };
        Ok((target, manifests, diff))
    }

    /// Changes tenant `t` as `form` asks (its plan, release, replicas,
    /// custom fields) and starts the update run; `rollout`: the rollout
    /// that moves it, recorded with the run; `restore`: a catalogued dump
    /// the run puts back before the migrations (a roll-back's).
    pub(super) async fn apply_change(
        &self,
        who: &CurrentStaff,
        t: &TenantDto,
        form: &ChangeForm,
        (rollout, restore): (Option<i64>, Option<i64>),
    ) -> R<RunDto> {
        check_operation(t, Operation::Update)?;
        let target = self.target(t, form).await?;
        let engine = self.engine().await?;
        let (version, release) = (target.plan.version, target.plan.release_number);
        // A dump the run would take or read needs the store, before
        // anything is written.
        let dumps_first = release != t.release && target.plan.release.backup_first();
        if (dumps_first || restore.is_some()) && engine.runner.objects().is_none() {
            let (field, what) = match restore {
                Some(b) => ("restore", format!("restoring backup {b}")),
                None => (
                    "release",
                    format!("release {release} dumps the database before its migrations"),
                ),
            };
            return Err(AppError::invalid(
                field,
                format!(
                    "{what}, and no backup store is configured \
                     (TENANTRY_BACKUP_ACCESS_KEY_ID and TENANTRY_BACKUP_SECRET_ACCESS_KEY)"
                ),
            ));
        }
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
            backup_id: restore,
            backup: restore.is_some(),
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
