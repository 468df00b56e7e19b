//! The release's jobs of one phase, in their order. A Job's pod template
//! is immutable, so each is named by a hash of its spec: re-applying the
//! same spec is a no-op, and a changed image, env or plan makes a new Job
//! (a new run of it) instead of a refusal. Migrations are `db-<name>-…`,
//! the other phases `<phase>-<name>-…`.

use app::dto::{JobPhase, JobSpec, DEFAULT_RUN_AS_USER};
use serde_json::json;

use super::components::resources;
use super::parts::hashed_pod_job;
use super::{env, Capabilities, Manifest, RenderSettings, TenantInput};

/// Pods of migration Jobs carry this component label (the database lets
/// them in; health ignores them); other phases' carry [`JOB_COMPONENT`].
pub const MIGRATION_COMPONENT: &str = "migration";
pub const JOB_COMPONENT: &str = "job";

/// The prefix of a job's Job names.
pub fn job_prefix(j: &JobSpec) -> String {
    match j.phase {
        JobPhase::Migrate => format!("db-{}-", j.name),
        other => format!("{other}-{}-", j.name),
    }
}

/// The Jobs of `phase`, in the release's order.
pub(super) fn render(
    t: &TenantInput,
    s: &RenderSettings,
    caps: &Capabilities,
    ns: &str,
    phase: JobPhase,
) -> Vec<Manifest> {
    t.release
        .jobs
        .iter()
        .filter(|j| j.phase == phase)
        .map(|j| job(t, s, caps, ns, j))
        .collect()
}

fn job(
    t: &TenantInput,
    s: &RenderSettings,
    caps: &Capabilities,
    ns: &str,
    j: &JobSpec,
) -> Manifest {
    let mut container = json!({
        "name": j.name,
        "image": s.image(&j.image),
        "resources": resources(j.resources.as_ref(), t.tier),
    });
    let vars = env::env(t, s, caps, &j.env);
    if !vars.is_empty() {
        container["env"] = json!(vars);
    }
    if !j.command.is_empty() {
        container["command"] = json!(j.command);
    }
    if !j.args.is_empty() {
        container["args"] = json!(j.args);
    }
    let component = if j.phase == JobPhase::Migrate {
        MIGRATION_COMPONENT
    } else {
        JOB_COMPONENT
    };
    let mut pod = json!({ "restartPolicy": "Never", "containers": [container] });
    super::contract::mount(t, s, caps, (&mut pod, None));
    hashed_pod_job(
        t,
        (&job_prefix(j), ns, component),
        pod,
        (
            j.run_as_user.unwrap_or(DEFAULT_RUN_AS_USER),
            j.backoff_limit.unwrap_or(4),
        ),
    )
}
