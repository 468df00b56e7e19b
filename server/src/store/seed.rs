//! First-start data: each seeded application's plans (see
//! `applications::SEEDS`), read from `seed/plans/<application>.yaml` and
//! checked by the same rules as any template form. An application's
//! plans are made once, when the application is: plans staff later edit
//! or remove stay as they left them.

use app::domain::template_rules::ValidTemplate;
use app::dto::TemplateForm;
use app::error::AppError;

use super::Store;
use crate::applications::SeedApplication;
use crate::error::{Result, ServerError};

/// The plans of `seed`, checked; the first broken rule otherwise.
pub fn plans_of(seed: &SeedApplication) -> Result<Vec<ValidTemplate>> {
    let forms: Vec<TemplateForm> = yaml_serde::from_str(seed.plans).map_err(|e| {
        ServerError::Config(format!("the plans of {} are unreadable: {e}", seed.key))
    })?;
    forms
        .into_iter()
        .map(|mut f| {
            f.application = seed.key.to_string();
            f.validate().map_err(|e| {
                ServerError::Config(format!("plan {} of {} is invalid: {e}", f.key, seed.key))
            })
        })
        .collect()
}

/// Every seeded plan, of every seeded application.
pub fn seed_templates() -> Vec<ValidTemplate> {
    crate::applications::SEEDS
        .iter()
        .filter_map(|s| plans_of(s).ok())
        .flatten()
        .collect()
}

impl Store {
    /// Makes the plans of the application `seed` just made; a plan whose
    /// key is taken (a console that had them before applications
    /// existed) is left as it is. Returns how many it made.
    pub(super) async fn seed_plans(&self, seed: &SeedApplication) -> Result<usize> {
        let mut made = 0;
        for t in plans_of(seed)? {
            match self.create_template(&t, super::SYSTEM).await {
                Ok(_) => made += 1,
                Err(ServerError::App(AppError::Invalid(e)))
                    if e.iter().any(|f| f.field == "key") => {}
                Err(e) => return Err(e),
            }
        }
        Ok(made)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_seeded_plan_passes_validation() {
        for seed in crate::applications::SEEDS {
            let plans = super::plans_of(seed).expect("valid plans");
            assert!(plans.len() >= 2, "{} has {} plans", seed.key, plans.len());
        }
        let tiers = super::seed_templates();
        let ent = tiers
            .iter()
            .find(|t| t.key == "enterprise")
            .map(|t| &t.spec);
        assert_eq!(
            ent.map(|s| (
                s.postgres_instances,
                s.postgres_storage_gi,
                s.api_replicas,
                s.user_limit
            )),
            Some((3, 200, 3, None))
        );
        let school = tiers
            .iter()
            .find(|t| t.key == "school-basic")
            .map(|t| &t.spec);
        assert_eq!(
            school.map(|s| (s.user_limit, s.limits.get("schools").copied())),
            Some((Some(50), Some(10)))
        );
    }
}
