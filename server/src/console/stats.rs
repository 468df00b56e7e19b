//! The statistics page's figures: facts from the store, summed by the pure
//! rules in `app::domain::stats`.

use app::domain::stats::summary::summarize;
use app::dto::{CurrentStaff, Role, StatsDto};
use app::error::AppError;

use super::{require, ConsoleService, R};
use crate::store::{format_ms, now_ms};

/// The longest window the page offers.
pub const MAX_DAYS: u32 = 90;
const DAY_MS: i64 = 24 * 3600 * 1000;

impl ConsoleService {
    pub(super) async fn statistics(&self, who: &CurrentStaff, days: u32) -> R<StatsDto> {
        require(who, Role::Viewer, "see statistics")?;
        if !(1..=MAX_DAYS).contains(&days) {
            return Err(AppError::invalid(
                "days",
                format!("must be 1 to {MAX_DAYS}"),
            ));
        }
        let now = now_ms();
        let since = (now.div_euclid(DAY_MS) - i64::from(days) + 1) * DAY_MS;
        let runs = self.store.run_facts(since).await?;
        let steps = self.store.step_facts(since).await?;
        let tenants = self.store.tenant_facts().await?;
        Ok(summarize(&runs, &steps, &tenants, days, now, |d| {
            format_ms(d * DAY_MS).chars().take(10).collect()
        }))
    }
}
