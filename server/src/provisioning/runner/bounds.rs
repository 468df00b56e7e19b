//! How long a run may take: the plan's run timeout over provisioning,
//! updates and resumes.

use std::time::Duration;

use app::dto::Operation;

/// When a run of `op` on a tenant of `tier` must be over: provisioning,
/// updates and resumes are bounded by the plan's run timeout, counted from
/// when this process took the run up (a retry or a takeover counts
/// anew); the other operations wait on data and have their steps' own
/// bounds.
pub(super) fn run_deadline(
    op: Operation,
    tier: &app::dto::TierSpec,
) -> Option<tokio::time::Instant> {
    matches!(
        op,
        Operation::Provision | Operation::Update | Operation::Resume
    )
    .then(|| tokio::time::Instant::now() + Duration::from_secs(tier.run_timeout_secs.into()))
}

/// Resolves at `deadline`; never without one.
pub(super) async fn until(deadline: Option<tokio::time::Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d).await,
        None => std::future::pending().await,
    }
}
