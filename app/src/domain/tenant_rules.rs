//! Validation of tenant forms. The tenant ID's uniqueness is the store's to
//! check; everything that needs no I/O is checked here.

use crate::domain::tenant_id::validate_tenant_id;
use crate::domain::validate::{
    validate_custom_domain, validate_display_name, validate_email, MAX_COMPANY_NAME,
    MAX_PERSON_NAME,
};
use crate::dto::{NewTenantForm, TenantForm};
use crate::error::{AppError, FieldErrors};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidTenantFields {
    pub company_name: String,
    pub owner_email: String,
    pub owner_name: String,
    pub custom_domain: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidNewTenant {
    pub fields: ValidTenantFields,
    /// 0 for a tenant without a plan (`custom`).
    pub template_id: i64,
    /// The application a tenant without a plan is made of (see
    /// `domain::custom_plan`).
    pub custom: Option<String>,
    /// `None`: generate one.
    pub tenant_id: Option<String>,
}

fn fields(
    e: &mut FieldErrors,
    company_name: &str,
    owner_email: &str,
    owner_name: &str,
    custom_domain: &str,
) -> Option<ValidTenantFields> {
    let company_name = e.check(
        "company_name",
        validate_display_name(company_name, MAX_COMPANY_NAME),
    );
    let owner_email = e.check("owner_email", validate_email(owner_email));
    let owner_name = e.check(
        "owner_name",
        validate_display_name(owner_name, MAX_PERSON_NAME),
    );
    let custom_domain = if custom_domain.trim().is_empty() {
        Some(None)
    } else {
        e.check(
            "custom_domain",
            validate_custom_domain(custom_domain).map(Some),
        )
    };
    Some(ValidTenantFields {
        company_name: company_name?,
        owner_email: owner_email?,
        owner_name: owner_name?,
        custom_domain: custom_domain?,
    })
}

/// The plan feature that lets a tenant have a custom domain.
pub const CUSTOM_DOMAIN_FEATURE: &str = "custom-domain";

/// Whether a tenant on a plan with `features` may have the custom domain
/// `wanted`, when it has `current` now: a plan without the
/// `custom-domain` feature takes none, but a tenant keeps the one it had
/// (and may remove it). The rule broken, naming the plan, otherwise.
pub fn custom_domain_allowed(
    (plan, features): (&str, &[String]),
    current: Option<&str>,
    wanted: Option<&str>,
) -> Result<(), String> {
    match wanted {
        None => Ok(()),
        Some(_) if features.iter().any(|f| f == CUSTOM_DOMAIN_FEATURE) => Ok(()),
        Some(w) if current == Some(w) => Ok(()),
        Some(_) => Err(format!(
            "is not part of plan \"{plan}\": it lacks the {CUSTOM_DOMAIN_FEATURE} feature"
        )),
    }
}

/// What a tenant with the custom domain `domain` is told on a plan with
/// `features` that has no `custom-domain` feature: it keeps its domain.
pub fn custom_domain_warning(
    (plan, features): (&str, &[String]),
    domain: Option<&str>,
) -> Option<String> {
    let d = domain?;
    (!features.iter().any(|f| f == CUSTOM_DOMAIN_FEATURE)).then(|| {
        format!(
            "Plan \"{plan}\" lacks the {CUSTOM_DOMAIN_FEATURE} feature: the tenant keeps \"{d}\", \
             which it had before, but can take no other custom domain."
        )
    })
}

impl NewTenantForm {
    pub fn validate(&self) -> Result<ValidNewTenant, AppError> {
        let mut e = FieldErrors::default();
        let f = fields(
            &mut e,
            &self.company_name,
            &self.owner_email,
            &self.owner_name,
            &self.custom_domain,
        );
        let custom = crate::domain::custom_plan::custom_application(&self.template_id);
        let template_id = match (custom, self.template_id.trim().parse::<i64>()) {
            (Some(app), _) => e.check(
                "template_id",
                crate::domain::template_rules::validate_template_key(app)
                    .map(|_| 0)
                    .map_err(|rule| format!("custom: must name an application ({rule})")),
            ),
            (None, Ok(id)) if id > 0 => Some(id),
            _ => {
                e.push("template_id", "must name one of the templates");
                None
            }
        };
        let wanted = self.tenant_id.trim();
        let tenant_id = if wanted.is_empty() {
            Some(None)
        } else {
            e.check(
                "tenant_id",
                validate_tenant_id(wanted).map(|_| Some(wanted.to_string())),
            )
        };
        e.into_result()?;
        let missing = || AppError::invalid("form", "incomplete");
        Ok(ValidNewTenant {
            fields: f.ok_or_else(missing)?,
            template_id: template_id.ok_or_else(missing)?,
            custom: custom.map(str::to_string),
            tenant_id: tenant_id.ok_or_else(missing)?,
        })
    }
}

impl TenantForm {
    pub fn validate(&self) -> Result<ValidTenantFields, AppError> {
        let mut e = FieldErrors::default();
        let f = fields(
            &mut e,
            &self.company_name,
            &self.owner_email,
            &self.owner_name,
            &self.custom_domain,
        );
        e.into_result()?;
        f.ok_or_else(|| AppError::invalid("form", "incomplete"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_custom_domain_needs_the_plan_feature_but_one_had_is_kept() {
        let demo = ("Demo", &["trial".to_string()][..]);
        let pro = ("Pro", &["custom-domain".to_string()][..]);
        let e = custom_domain_allowed(demo, None, Some("shop.acme.io")).expect_err("refused");
        assert!(e.contains("\"Demo\"") && e.contains("custom-domain"), "{e}");
        assert!(custom_domain_allowed(pro, None, Some("shop.acme.io")).is_ok());
        // Kept or removed on a plan without the feature; changed is refused.
        assert!(custom_domain_allowed(demo, Some("a.io"), Some("a.io")).is_ok());
        assert!(custom_domain_allowed(demo, Some("a.io"), None).is_ok());
        assert!(custom_domain_allowed(demo, Some("a.io"), Some("b.io")).is_err());
        assert!(custom_domain_warning(demo, Some("a.io")).is_some_and(|w| w.contains("keeps")));
        assert_eq!(custom_domain_warning(pro, Some("a.io")), None);
        assert_eq!(custom_domain_warning(demo, None), None);
    }

    #[test]
    fn collects_every_problem() {
        let form = NewTenantForm {
            company_name: "".into(),
            owner_email: "nope".into(),
            owner_name: "Jo".into(),
            template_id: "x".into(),
            custom_domain: "bad domain".into(),
            tenant_id: "UPPER".into(),
            provision: false,
            provision_at: String::new(),
            custom_fields: Default::default(),
        };
        let err = form.validate().unwrap_err();
        for field in [
            "company_name",
            "owner_email",
            "template_id",
            "custom_domain",
            "tenant_id",
        ] {
            assert!(
                err.field_message(field).is_some(),
                "{field} not reported: {err}"
            );
        }
        assert!(err.field_message("owner_name").is_none());
    }
}
