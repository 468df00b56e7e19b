//! What the records say: the dashboard's summary, the audit trail a page
//! at a time (its export is in `audit.rs`), and the statistics page's
//! figures (facts from the store, summed by `app::domain::stats`).

use app::api::records::Records;
use app::domain::stats::summary::summarize;
use app::dto::{
    AuditEventDto, AuditQuery, CurrentStaff, DashboardDto, Page, Role, RunQuery, RunState, StatsDto,
};
use app::error::AppError;

use super::audit::{audit_filter, AUDIT_PER_PAGE};
use super::{require, ConsoleService, R};
use crate::store::{format_ms, now_ms};

/// The longest window the statistics page offers.
pub const MAX_DAYS: u32 = 90;
const DAY_MS: i64 = 24 * 3600 * 1000;

#[async_trait::async_trait]
impl Records for ConsoleService {
    async fn dashboard(&self, who: &CurrentStaff) -> R<DashboardDto> {
        require(who, Role::Viewer, "see the dashboard")?;
        let tenants_by_state = self.store.tenants_by_state().await?;
        let runs = |state: RunState, per_page: u32| RunQuery {
            state: Some(state),
            per_page,
            ..Default::default()
        };
        let mut runs_in_progress = self
            .store
            .list_runs(&runs(RunState::Running, 20))
            .await?
            .items;
        runs_in_progress.extend(
            self.store
                .list_runs(&runs(RunState::Pending, 20))
                .await?
                .items,
        );
        let (tenants_by_health, alerts) = self.live.view().health_summary(20);
        Ok(DashboardDto {
            tenant_total: tenants_by_state.iter().map(|(_, n)| n).sum(),
            tenants_by_state,
            template_count: self.store.count_templates().await?,
            recent_audit: self.store.list_audit("", 1, 10).await?.items,
            tenants_by_health,
            runs_in_progress,
            recent_failures: self
                .store
                .list_runs(&runs(RunState::Failed, 5))
                .await?
                .items,
            alerts,
            firing_alerts: self.store.firing_by_severity().await?,
        })
    }

    async fn list_audit(&self, who: &CurrentStaff, q: AuditQuery) -> R<Page<AuditEventDto>> {
        require(who, Role::Viewer, "read the audit log")?;
        let filter = audit_filter(&q)?;
        Ok(self
            .store
            .search_audit(&filter, q.page.max(1), AUDIT_PER_PAGE)
            .await?)
    }

    async fn statistics(&self, who: &CurrentStaff, days: u32) -> R<StatsDto> {
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
