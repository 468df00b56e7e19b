//! Rotating a tenant's generated Secrets: which ones staff may make anew
//! (the release's own and the tenant admin's), and which of the release's
//! jobs take one and so run again after it. The database's credentials
//! are kept by the database as well as in their Secret: a new value in the
//! Secret alone would lock the application out, so they are not rotated.

use super::contract::ADMIN_SECRET;
use super::values::{parse, Piece};
use crate::dto::{JobSpec, ReleaseSpec};
use crate::error::AppError;

/// The Secrets of a tenant on `r` that a rotation may make anew, in the
/// release's order, the tenant admin's last.
pub fn rotatable(r: &ReleaseSpec) -> Vec<String> {
    let mut out: Vec<String> = r.secrets.iter().map(|s| s.name.clone()).collect();
    if r.contract.admin {
        out.push(ADMIN_SECRET.into());
    }
    out
}

/// Whether `job` reads any of `secrets` through a `${…}` reference.
pub fn job_takes(job: &JobSpec, secrets: &[String]) -> bool {
    job.env.iter().any(|e| {
        parse(&e.value).is_ok_and(|pieces| {
            pieces.iter().any(|p| match p {
                Piece::Ref(r) => r
                    .secret_key()
                    .is_some_and(|(name, _)| secrets.iter().any(|s| s == name)),
                Piece::Text(_) => false,
            })
        })
    })
}

/// The Secrets named for a rotation, checked against the release (field
/// `secrets`): at least one, each one the release generates and may be
/// rotated; returned without repeats, in the order asked.
pub fn check_rotation(r: &ReleaseSpec, names: &[String]) -> Result<Vec<String>, AppError> {
    let allowed = rotatable(r);
    let list = if allowed.is_empty() {
        "none: the release generates no Secret of its own and takes no tenant admin".to_string()
    } else {
        allowed.join(", ")
    };
    if names.is_empty() {
        return Err(AppError::invalid(
            "secrets",
            format!("name at least one Secret to rotate (rotatable: {list})"),
        ));
    }
    let mut out: Vec<String> = vec![];
    for name in names {
        let name = name.trim();
        if !allowed.iter().any(|a| a == name) {
            let why = if super::RESERVED_SECRETS.contains(&name) {
                format!(
                    "\"{name}\" is kept by Tenantry or by the database as well as in its Secret, \
                     so a new value would lock the application out: it is not rotated"
                )
            } else {
                format!("the tenant's release generates no Secret \"{name}\"")
            };
            return Err(AppError::invalid(
                "secrets",
                format!("{why} (rotatable: {list})"),
            ));
        }
        if !out.iter().any(|o| o == name) {
            out.push(name.to_string());
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dto::{EnvVar, JobPhase, SecretKeySpec, SecretSpec};

    fn release() -> ReleaseSpec {
        let mut r = crate::domain::release::tests::shop();
        r.secrets = vec![SecretSpec {
            name: "jwt".into(),
            keys: vec![SecretKeySpec {
                key: "secret".into(),
                length: 32,
                alphabet: Default::default(),
            }],
        }];
        r.contract.admin = true;
        r
    }

    #[test]
    fn the_release_secrets_and_the_admin_rotate_and_the_database_does_not() {
        let r = release();
        assert_eq!(rotatable(&r), vec!["jwt", "tenant-admin"]);
        let asked = vec!["tenant-admin".to_string(), "jwt".into(), "jwt".into()];
        assert_eq!(
            check_rotation(&r, &asked).expect("allowed"),
            vec!["tenant-admin", "jwt"]
        );
        let db = check_rotation(&r, &["db-credentials".into()]).expect_err("refused");
        let text = db.field_message("secrets").expect("on secrets");
        assert!(text.contains("lock the application out"), "{text}");
        assert!(text.contains("rotatable: jwt, tenant-admin"), "{text}");
        let unknown = check_rotation(&r, &["nope".into()]).expect_err("refused");
        assert!(unknown
            .field_message("secrets")
            .is_some_and(|m| m.contains("no Secret \"nope\"")));
        assert!(check_rotation(&r, &[]).is_err());
        let mut bare = release();
        bare.secrets.clear();
        bare.contract.admin = false;
        let none = check_rotation(&bare, &["jwt".into()]).expect_err("refused");
        assert!(none
            .field_message("secrets")
            .is_some_and(|m| m.contains("rotatable: none")));
    }

    #[test]
    fn a_job_takes_a_secret_through_any_reference_to_it() {
        let job = |value: &str| JobSpec {
            env: vec![EnvVar {
                name: "X".into(),
                value: value.into(),
            }],
            ..crate::domain::release::tests::shop()
                .jobs
                .into_iter()
                .find(|j| j.phase == JobPhase::PostProvision)
                .expect("a post-provision job")
        };
        let admin = vec!["tenant-admin".to_string()];
        assert!(job_takes(&job("${admin.password}"), &admin));
        assert!(job_takes(&job("user=${admin.username}"), &admin));
        assert!(!job_takes(&job("${secret.jwt.secret}"), &admin));
        assert!(job_takes(&job("${secret.jwt.secret}"), &["jwt".into()]));
        assert!(!job_takes(&job("${tenant.id}"), &admin));
        assert!(!job_takes(&job("$${admin.password}"), &admin));
    }
}
