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
    pub template_id: i64,
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
        let template_id = match self.template_id.trim().parse::<i64>() {
            Ok(id) if id > 0 => Some(id),
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
    fn collects_every_problem() {
        let form = NewTenantForm {
            company_name: "".into(),
            owner_email: "nope".into(),
            owner_name: "Jo".into(),
            template_id: "x".into(),
            custom_domain: "bad domain".into(),
            tenant_id: "UPPER".into(),
            provision: false,
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
