//! The forms that start operations with options, checked field by field
//! before anything is written: a deprovisioning (one or in bulk), a tier or
//! replica change, and a restore. Pure, shared by the pages and the server.

use super::utc::parse_utc_datetime;
use crate::dto::{ChangeForm, DeprovisionForm, RunOptions};
use crate::error::{AppError, FieldErrors};

/// The longest grace period: 30 days.
pub const MAX_GRACE_HOURS: u32 = 720;
/// The furthest a deprovisioning can be scheduled: a year.
pub const MAX_SCHEDULE_AHEAD_MS: i64 = 366 * 24 * 3_600_000;

/// When an operation scheduled for `text` starts: `None` (now) when empty,
/// else a UTC time in the future, within a year.
pub fn schedule(text: &str, now_ms: i64) -> Result<Option<i64>, String> {
    let when = text.trim();
    if when.is_empty() {
        return Ok(None);
    }
    let t = parse_utc_datetime(when)
        .ok_or_else(|| "must be a UTC date and time like 2026-12-01T09:30".to_string())?;
    if t <= now_ms {
        Err("must be in the future".to_string())
    } else if t - now_ms > MAX_SCHEDULE_AHEAD_MS {
        Err("must be within a year".to_string())
    } else {
        Ok(Some(t))
    }
}
pub const MAX_REPLICAS: i64 = 50;

/// A key rotation's overlap as typed: whole hours, 0 to
/// [`crate::dto::MAX_KEY_OVERLAP_HOURS`]; empty for the default.
pub fn key_overlap_hours(text: &str) -> Result<u32, String> {
    use crate::dto::{DEFAULT_KEY_OVERLAP_HOURS, MAX_KEY_OVERLAP_HOURS};
    let text = text.trim();
    if text.is_empty() {
        return Ok(DEFAULT_KEY_OVERLAP_HOURS);
    }
    text.parse::<u32>()
        .ok()
        .filter(|h| *h <= MAX_KEY_OVERLAP_HOURS)
        .ok_or_else(|| format!("must be whole hours, 0 to {MAX_KEY_OVERLAP_HOURS}"))
}

/// The catalogue entry a restore form names, if it names one.
pub fn restore_backup_id(form: &crate::dto::RestoreForm) -> Option<i64> {
    form.backup_id.trim().parse().ok()
}

/// A validated restore: the dump to put back, and whether the data it
/// replaces is dumped first (always, unless the ID was typed once more).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidRestore {
    pub backup: crate::dto::BackupDto,
    pub backup_first: bool,
}

/// Checks a restore request against the tenant and the catalogue entry its
/// form names (`found`, looked up by [`restore_backup_id`]): the ID typed
/// again, a backup of this tenant still in the store; skipping the dump of
/// the data it replaces takes the ID typed once more.
pub fn validate_restore(
    tenant: &str,
    form: &crate::dto::RestoreForm,
    found: Option<crate::dto::BackupDto>,
) -> Result<ValidRestore, AppError> {
    let mut e = FieldErrors::default();
    let chosen = match (restore_backup_id(form), found) {
        (None, _) => {
            e.push(
                "backup_id",
                "must be the number of one of the tenant's backups",
            );
            None
        }
        (Some(id), None) => {
            e.push("backup_id", format!("there is no backup {id}"));
            None
        }
        (Some(id), Some(b)) if b.tenant_id != tenant => {
            e.push(
                "backup_id",
                format!("backup {id} is not one of \"{tenant}\"'s"),
            );
            None
        }
        (Some(id), Some(b)) if b.pruned_at.is_some() => {
            e.push(
                "backup_id",
                format!("backup {id} was pruned by retention and is no longer in the store"),
            );
            None
        }
        (Some(_), Some(b)) => Some(b),
    };
    if form.confirm.trim() != tenant {
        e.push(
            "confirm",
            format!("type the tenant ID \"{tenant}\" to confirm: a restore replaces its data"),
        );
    }
    let skip = form.without_backup.trim();
    if !skip.is_empty() && skip != tenant {
        e.push(
            "without_backup",
            format!(
                "leave empty to dump the current data first, or type the tenant ID \"{tenant}\" again to restore without that dump"
            ),
        );
    }
    e.into_result()?;
    Ok(ValidRestore {
        backup: chosen.ok_or_else(|| AppError::invalid("backup_id", "incomplete"))?,
        backup_first: skip.is_empty(),
    })
}

/// The shortest grace period of a bulk deprovisioning: staff have an hour
/// to cancel before anything is removed.
pub const MIN_BULK_GRACE_HOURS: u32 = 1;

/// A bulk action's selection and its checks, before any tenant is touched:
/// the tenant IDs (blank and repeated ones dropped), and for a bulk
/// deprovisioning the options every run gets (a backup first, a grace
/// period of at least an hour), with the number of tenants typed as the
/// confirmation.
pub fn validate_bulk(form: &crate::dto::BulkForm) -> Result<(Vec<String>, RunOptions), AppError> {
    let mut ids: Vec<String> = Vec::new();
    for id in form.ids.iter().map(|i| i.trim()).filter(|i| !i.is_empty()) {
        if !ids.iter().any(|have| have == id) {
            ids.push(id.to_string());
        }
    }
    let mut e = FieldErrors::default();
    if ids.is_empty() {
        e.push("ids", "select at least one tenant");
    } else if ids.len() > crate::dto::MAX_BULK {
        e.push(
            "ids",
            format!("at most {} tenants per bulk action", crate::dto::MAX_BULK),
        );
    }
    let action = form.action.as_str();
    if !matches!(
        action,
        "suspend" | "resume" | "retry" | "deprovision" | "change_plan"
    ) {
        e.push(
            "action",
            "choose suspend, resume, retry, deprovision or change_plan",
        );
    }
    if action == "change_plan" && form.template_id.trim().parse::<i64>().is_err() {
        e.push("template_id", "choose the plan the tenants move to");
    }
    let mut options = RunOptions::default();
    if action == "deprovision" {
        let n = ids.len();
        if form.confirm.trim() != n.to_string() {
            e.push(
                "confirm",
                format!("type the number of selected tenants ({n}) to deprovision them"),
            );
        }
        let hours = grace_hours(
            &mut e,
            &form.grace_hours,
            MIN_BULK_GRACE_HOURS,
            ": a bulk deprovisioning always keeps tenants at least an hour",
        );
        options = RunOptions {
            backup: true,
            grace_hours: hours.unwrap_or(MIN_BULK_GRACE_HOURS),
            ..Default::default()
        };
    }
    e.into_result()?;
    Ok((ids, options))
}

/// A grace period as typed: whole hours from `min` (also what empty means)
/// to [`MAX_GRACE_HOURS`]; `why` ends the message of a bad one.
fn grace_hours(e: &mut FieldErrors, value: &str, min: u32, why: &str) -> Option<u32> {
    let v = value.trim();
    if v.is_empty() {
        return Some(min);
    }
    e.check(
        "grace_hours",
        v.parse::<u32>()
            .ok()
            .filter(|h| (min..=MAX_GRACE_HOURS).contains(h))
            .ok_or_else(|| {
                format!("must be a whole number of hours from {min} to {MAX_GRACE_HOURS}{why}")
            }),
    )
}

/// A validated deprovisioning request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidDeprovision {
    pub options: RunOptions,
    pub not_before: Option<i64>,
}

impl DeprovisionForm {
    /// `now_ms` is the current time, for "must be in the future".
    pub fn validate(&self, tenant_id: &str, now_ms: i64) -> Result<ValidDeprovision, AppError> {
        let mut e = FieldErrors::default();
        if self.confirm.trim() != tenant_id {
            e.push(
                "confirm",
                format!("must repeat the tenant ID \"{tenant_id}\" exactly"),
            );
        }
        let grace = grace_hours(&mut e, &self.grace_hours, 0, "");
        let not_before = e.check("scheduled_at", schedule(&self.scheduled_at, now_ms));
        e.into_result()?;
        Ok(ValidDeprovision {
            options: RunOptions {
                backup: self.backup,
                purge_audit: self.purge_audit,
                grace_hours: grace.unwrap_or(0),
                force: self.force,
                notify_owner: self.notify_owner,
                ..Default::default()
            },
            not_before: not_before.flatten(),
        })
    }
}

/// What a replica field asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReplicaChange {
    Keep,
    FollowTier,
    Set(i64),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidChange {
    pub template_id: Option<i64>,
    /// A release to move to (`None`: keep the tenant's).
    pub release: Option<i64>,
    pub api_replicas: ReplicaChange,
    pub web_replicas: ReplicaChange,
}

fn replicas(e: &mut FieldErrors, field: &str, value: &str) -> ReplicaChange {
    let v = value.trim();
    if v.is_empty() {
        return ReplicaChange::Keep;
    }
    if v.eq_ignore_ascii_case("tier") {
        return ReplicaChange::FollowTier;
    }
    e.check(
        field,
        v.parse::<i64>()
            .ok()
            .filter(|n| (1..=MAX_REPLICAS).contains(n))
            .map(ReplicaChange::Set)
            .ok_or_else(|| {
                format!("must be a whole number from 1 to {MAX_REPLICAS}, \"tier\", or empty")
            }),
    )
    .unwrap_or(ReplicaChange::Keep)
}

impl ChangeForm {
    pub fn validate(&self) -> Result<ValidChange, AppError> {
        let mut e = FieldErrors::default();
        let t = self.template_id.trim();
        let template_id = if t.is_empty() {
            None
        } else {
            e.check(
                "template_id",
                t.parse::<i64>()
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or_else(|| "must be one of the templates".to_string()),
            )
        };
        let api_replicas = replicas(&mut e, "api_replicas", &self.api_replicas);
        let web_replicas = replicas(&mut e, "web_replicas", &self.web_replicas);
        let r = self.release.trim();
        let release = if r.is_empty() {
            None
        } else {
            e.check(
                "release",
                r.parse::<i64>()
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or_else(|| "must be a release number (1, 2, …)".to_string()),
            )
        };
        e.into_result()?;
        Ok(ValidChange {
            template_id,
            release,
            api_replicas,
            web_replicas,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_overlap_is_whole_hours_within_a_month() {
        assert_eq!(key_overlap_hours(""), Ok(24));
        assert_eq!(key_overlap_hours(" 0 "), Ok(0));
        assert_eq!(key_overlap_hours("720"), Ok(720));
        for bad in ["721", "-1", "1.5", "soon"] {
            assert!(key_overlap_hours(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_restore_names_a_backup_of_this_tenant_still_stored_and_repeats_the_id() {
        use crate::dto::{BackupDto, BackupMethod, RestoreForm};
        let backup = |tenant: &str, pruned: Option<i64>| BackupDto {
            id: 7,
            tenant_id: tenant.into(),
            method: BackupMethod::Scheduled,
            run_id: None,
            taken_at: 0,
            location: "s3://b/k".into(),
            size_bytes: 1,
            sha256: String::new(),
            pruned_at: pruned,
        };
        let form = |id: &str, confirm: &str| RestoreForm {
            backup_id: id.into(),
            confirm: confirm.into(),
            without_backup: String::new(),
        };
        let ok = validate_restore("a", &form("7", "a"), Some(backup("a", None))).unwrap();
        assert!(ok.backup_first, "the current data is dumped first");
        let skip = |again: &str| RestoreForm {
            without_backup: again.into(),
            ..form("7", "a")
        };
        let skipped = validate_restore("a", &skip("a"), Some(backup("a", None))).unwrap();
        assert!(!skipped.backup_first);
        let err = validate_restore("a", &skip("b"), Some(backup("a", None))).unwrap_err();
        assert!(err
            .field_message("without_backup")
            .unwrap()
            .contains("type the tenant ID"));
        let field = |r: Result<ValidRestore, AppError>, f: &str| {
            r.unwrap_err().field_message(f).unwrap_or_default()
        };
        assert!(
            field(validate_restore("a", &form("x", "a"), None), "backup_id").contains("number")
        );
        assert!(
            field(validate_restore("a", &form("7", "a"), None), "backup_id")
                .contains("no backup 7")
        );
        assert!(field(
            validate_restore("a", &form("7", "a"), Some(backup("b", None))),
            "backup_id"
        )
        .contains("not one of"));
        assert!(field(
            validate_restore("a", &form("7", "a"), Some(backup("a", Some(1)))),
            "backup_id"
        )
        .contains("pruned"));
        assert!(field(
            validate_restore("a", &form("7", "b"), Some(backup("a", None))),
            "confirm"
        )
        .contains("type the tenant ID"));
    }

    #[test]
    fn a_bulk_deprovisioning_counts_backs_up_and_waits_an_hour() {
        use crate::dto::BulkForm;
        let form = |confirm: &str, grace: &str| BulkForm {
            action: "deprovision".into(),
            ids: vec!["a".into(), " b ".into(), "a".into(), "".into()],
            confirm: confirm.into(),
            grace_hours: grace.into(),
            ..Default::default()
        };
        let (ids, options) = validate_bulk(&form("2", "")).unwrap();
        assert_eq!(ids, ["a", "b"]);
        assert!(options.backup, "always backs up first");
        assert_eq!(options.grace_hours, 1);
        assert_eq!(validate_bulk(&form("2", "48")).unwrap().1.grace_hours, 48);
        let err = validate_bulk(&form("deprovision", "0")).unwrap_err();
        assert!(err.field_message("confirm").unwrap().contains("(2)"));
        assert!(err
            .field_message("grace_hours")
            .unwrap()
            .contains("at least an hour"));
        // Other actions need no confirmation and take no options.
        let suspend = BulkForm {
            action: "suspend".into(),
            ids: vec!["a".into()],
            ..Default::default()
        };
        assert_eq!(validate_bulk(&suspend).unwrap().1, RunOptions::default());
        let none = BulkForm {
            action: "explode".into(),
            ..Default::default()
        };
        let err = validate_bulk(&none).unwrap_err();
        assert!(err.field_message("ids").is_some() && err.field_message("action").is_some());
        // A change of plan names the plan.
        let plan = |template_id: &str| BulkForm {
            action: "change_plan".into(),
            ids: vec!["a".into()],
            template_id: template_id.into(),
            ..Default::default()
        };
        assert!(validate_bulk(&plan(""))
            .unwrap_err()
            .field_message("template_id")
            .is_some());
        assert!(validate_bulk(&plan("7")).is_ok());
    }

    #[test]
    fn deprovision_form_names_each_bad_field() {
        let now = parse_utc_datetime("2026-11-22T00:00").unwrap();
        let form = DeprovisionForm {
            confirm: "acme".into(),
            grace_hours: "721".into(),
            scheduled_at: "2026-11-21T00:00".into(),
            ..Default::default()
        };
        let Err(AppError::Invalid(errs)) = form.validate("acme-x", now) else {
            panic!("expected field errors");
        };
        let fields: Vec<&str> = errs.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["confirm", "grace_hours", "scheduled_at"]);
        let ok = DeprovisionForm {
            confirm: " acme-x ".into(),
            backup: true,
            grace_hours: "24".into(),
            scheduled_at: "2026-11-23T00:00".into(),
            ..Default::default()
        }
        .validate("acme-x", now)
        .unwrap();
        assert_eq!(ok.options.grace_hours, 24);
        assert!(ok.options.backup && !ok.options.purge_audit);
        assert_eq!(ok.not_before, Some(now + 24 * 3_600_000));
    }

    #[test]
    fn change_form_keeps_follows_or_sets_replicas() {
        let v = ChangeForm {
            template_id: "3".into(),
            api_replicas: "tier".into(),
            web_replicas: "4".into(),
            release: " 2 ".into(),
            ..Default::default()
        }
        .validate()
        .unwrap();
        assert_eq!(v.template_id, Some(3));
        assert_eq!(v.release, Some(2));
        assert_eq!(v.api_replicas, ReplicaChange::FollowTier);
        assert_eq!(v.web_replicas, ReplicaChange::Set(4));
        let Err(AppError::Invalid(errs)) = ChangeForm {
            template_id: "x".into(),
            api_replicas: "0".into(),
            web_replicas: "51".into(),
            release: "0".into(),
            ..Default::default()
        }
        .validate() else {
            panic!("expected field errors")
        };
        assert_eq!(errs.len(), 4);
        assert!(errs.iter().any(|e| e.field == "release"));
    }
}
