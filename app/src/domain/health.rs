//! A tenant's health from what the cluster shows: pure, so it is tested
//! without a cluster and means the same wherever it is shown.

use crate::dto::{Health, PodDto, TenantState, WorkloadDto};

/// Health and its reason. The lifecycle state wins while a run is changing
/// the tenant; otherwise the database and the release's components decide:
/// - a database (its pods or its workload seen) with no ready pod → down;
/// - a component's Deployment with nothing ready → critical;
/// - fewer ready than wanted, or a pod waiting on a bad reason → degraded;
/// - otherwise healthy.
pub fn derive_health(
    state: TenantState,
    pods: &[PodDto],
    workloads: &[WorkloadDto],
) -> (Health, Option<String>) {
    match state {
        TenantState::Provisioning => return (Health::Provisioning, None),
        TenantState::Suspended => return (Health::Suspended, None),
        TenantState::Deprovisioning => return (Health::Deprovisioning, None),
        TenantState::Pending => return (Health::Unknown, Some("not provisioned yet".into())),
        TenantState::Deprovisioned => return (Health::Unknown, Some("deprovisioned".into())),
        TenantState::Failed => return (Health::Down, Some("the last run failed".into())),
        TenantState::Active | TenantState::Degraded => {}
    }
    let db_pods: Vec<&PodDto> = pods.iter().filter(|p| p.component == "database").collect();
    // A release without a database has neither pods nor a workload of it.
    let has_database = !db_pods.is_empty() || workloads.iter().any(|w| w.component == "database");
    if workloads.is_empty() && pods.is_empty() {
        return (
            Health::Down,
            Some("no workload of the tenant's is seen".into()),
        );
    }
    if has_database && !db_pods.iter().any(|p| p.ready) {
        let why = db_pods
            .iter()
            .find_map(|p| {
                p.reason
                    .as_ref()
                    .map(|r| format!("database pod {}: {r}", p.name))
            })
            .unwrap_or_else(|| "database: no ready pod".into());
        return (Health::Down, Some(why));
    }
    // Every Deployment is one of the release's components.
    let serving = workloads.iter().filter(|w| w.kind == "Deployment");
    for w in serving.clone() {
        if w.desired > 0 && w.ready == 0 {
            return (
                Health::Critical,
                Some(format!("{}: 0/{} ready", w.component, w.desired)),
            );
        }
    }
    if let Some(p) = pods
        .iter()
        .filter(|p| !matches!(p.component.as_str(), "migration" | "backup" | "job"))
        .find(|p| p.reason.is_some() && !p.ready)
    {
        let reason = p.reason.clone().unwrap_or_default();
        return (
            Health::Degraded,
            Some(format!("{} pod {}: {reason}", p.component, p.name)),
        );
    }
    if let Some(w) = serving.clone().find(|w| w.ready < w.desired) {
        return (
            Health::Degraded,
            Some(format!("{}: {}/{} ready", w.component, w.ready, w.desired)),
        );
    }
    (Health::Healthy, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod(component: &str, ready: bool, reason: Option<&str>) -> PodDto {
        PodDto {
            name: format!("{component}-0"),
            component: component.into(),
            phase: "Running".into(),
            ready,
            restarts: 0,
            reason: reason.map(Into::into),
            created_at: None,
        }
    }

    fn deploy(component: &str, ready: i32, desired: i32) -> WorkloadDto {
        WorkloadDto {
            kind: "Deployment".into(),
            name: component.into(),
            component: component.into(),
            desired,
            ready,
        }
    }

    #[test]
    fn a_run_in_progress_decides() {
        for (s, h) in [
            (TenantState::Provisioning, Health::Provisioning),
            (TenantState::Suspended, Health::Suspended),
            (TenantState::Deprovisioning, Health::Deprovisioning),
            (TenantState::Failed, Health::Down),
            (TenantState::Pending, Health::Unknown),
        ] {
            assert_eq!(derive_health(s, &[], &[]).0, h, "{s}");
        }
    }

    #[test]
    fn database_api_web_and_pod_reasons_grade_an_active_tenant() {
        let all_up = [deploy("api", 2, 2), deploy("web", 2, 2)];
        let db = pod("database", true, None);
        assert_eq!(
            derive_health(TenantState::Active, std::slice::from_ref(&db), &all_up),
            (Health::Healthy, None)
        );
        let (h, why) = derive_health(
            TenantState::Active,
            &[pod("database", false, Some("CrashLoopBackOff"))],
            &all_up,
        );
        assert_eq!(h, Health::Down);
        assert!(why.unwrap_or_default().contains("CrashLoopBackOff"));
        let (h, why) = derive_health(
            TenantState::Active,
            std::slice::from_ref(&db),
            &[deploy("api", 0, 2), deploy("web", 2, 2)],
        );
        assert_eq!(
            (h, why.as_deref()),
            (Health::Critical, Some("api: 0/2 ready"))
        );
        let (h, why) = derive_health(
            TenantState::Degraded,
            &[db.clone(), pod("api", false, Some("CrashLoopBackOff"))],
            &[deploy("api", 1, 2), deploy("web", 2, 2)],
        );
        assert_eq!(h, Health::Degraded);
        assert_eq!(why.as_deref(), Some("api pod api-0: CrashLoopBackOff"));
        let (h, why) = derive_health(
            TenantState::Active,
            &[db],
            &[deploy("api", 2, 2), deploy("web", 1, 3)],
        );
        assert_eq!(
            (h, why.as_deref()),
            (Health::Degraded, Some("web: 1/3 ready"))
        );
    }

    #[test]
    fn a_release_without_a_database_is_graded_by_its_components() {
        let store = [deploy("store", 1, 1), deploy("worker", 2, 2)];
        assert_eq!(
            derive_health(TenantState::Active, &[], &store),
            (Health::Healthy, None)
        );
        let (h, why) = derive_health(
            TenantState::Active,
            &[],
            &[deploy("store", 1, 1), deploy("worker", 0, 2)],
        );
        assert_eq!(
            (h, why.as_deref()),
            (Health::Critical, Some("worker: 0/2 ready"))
        );
        // Nothing at all seen is no healthy tenant.
        assert_eq!(derive_health(TenantState::Active, &[], &[]).0, Health::Down);
    }
}
