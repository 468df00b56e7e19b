//! Driving the engine in real-cluster tests: quick runner settings, the
//! fake kubelet's usual fate, and a tenant made and operated through the
//! console's server functions.

use std::time::Duration;

use app::dto::{RunDto, RunState, TenantDto};
use server::provisioning::RunnerOptions;

use super::cluster::{component, unique_id, PodFate};
use super::{json, wait_run, TestServer};

/// Short backoffs and waits, so a test's failures come quickly.
pub fn fast() -> RunnerOptions {
    RunnerOptions {
        base_backoff: Duration::from_millis(200),
        poll_every: Duration::from_millis(300),
        wait_database: Duration::from_secs(60),
        wait_application: Duration::from_secs(60),
        wait_teardown: Duration::from_secs(60),
        ..RunnerOptions::default()
    }
}

/// Jobs succeed, everything else becomes Ready.
pub fn happy(p: &k8s_openapi::api::core::v1::Pod) -> PodFate {
    match component(p) {
        "migration" | "backup" | "job" => PodFate::Succeeded,
        _ => PodFate::Ready,
    }
}

/// Makes a tenant record on `template` through the console.
pub async fn new_tenant(
    srv: &TestServer,
    op: &reqwest::Client,
    template: &str,
    stem: &str,
) -> String {
    let id = unique_id(stem);
    let template_id = srv
        .store
        .list_templates()
        .await
        .expect("templates")
        .into_iter()
        .find(|t| t.key == template)
        .expect("the template")
        .id
        .to_string();
    let made: TenantDto = json(
        srv.call(
            op,
            "create_tenant",
            &[
                ("form[company_name]", "Operations test"),
                ("form[owner_email]", "owner@example.com"),
                ("form[owner_name]", "Owner"),
                ("form[template_id]", &template_id),
                ("form[tenant_id]", &id),
            ],
        )
        .await,
        "create_tenant",
    )
    .await;
    made.id
}

/// Calls an operation's server function and waits for its run to complete.
pub async fn run_op(
    srv: &TestServer,
    client: &reqwest::Client,
    call: &str,
    args: &[(&str, &str)],
) -> RunDto {
    let run: RunDto = json(srv.call(client, call, args).await, call).await;
    let done = wait_run(&srv.store, run.id, Duration::from_secs(180)).await;
    assert_eq!(done.state, RunState::Completed, "{call}: {:#?}", done.steps);
    done
}

/// The template (plan) keyed `key`.
pub async fn template(srv: &TestServer, key: &str) -> app::dto::TemplateDto {
    srv.store
        .list_templates()
        .await
        .expect("templates")
        .into_iter()
        .find(|t| t.key == key)
        .unwrap_or_else(|| panic!("no template {key}"))
}

/// Application `key` (named `name`) with `release` (YAML) as its release
/// 1, and a plan `<key>-plan` for it sized like `like`, after `tune`
/// changed its form (limits, timeouts); the plan's form, for more like it.
pub async fn application_with_plan(
    srv: &TestServer,
    (key, name): (&str, &str),
    release: &str,
    (like, tune): (&str, impl FnOnce(&mut app::dto::TemplateForm)),
) -> app::dto::TemplateForm {
    let made = srv
        .store
        .create_application((key, name, "A test's application"), "test")
        .await
        .expect("the application");
    let spec = server::applications::parse_release(release).expect("the release");
    srv.store
        .create_release(made.id, (&spec, release, ""), Some(0), "test")
        .await
        .expect("its release");
    let mut form = plan_form(srv, like, (&format!("{key}-plan"), key)).await;
    tune(&mut form);
    srv.store
        .create_template(&form.validate().expect("the plan"), "test")
        .await
        .expect("the plan");
    form
}

/// A plan for application `app` sized like `like`, keyed `key`: its form,
/// to change before it is saved.
pub async fn plan_form(
    srv: &TestServer,
    like: &str,
    (key, app): (&str, &str),
) -> app::dto::TemplateForm {
    let mut form = app::dto::TemplateForm::from_template(&template(srv, like).await);
    form.key = key.into();
    form.name = format!("Plan {key}");
    form.application = app.into();
    form
}

/// Starts a change of tenant `id` (`args` are its form fields), waits for
/// its run to fail, and returns the run's id and the step that failed.
pub async fn change_fails(
    srv: &TestServer,
    client: &reqwest::Client,
    id: &str,
    args: &[(&str, &str)],
) -> (i64, app::dto::StepDto) {
    let mut all = vec![("id", id)];
    all.extend_from_slice(args);
    let run: RunDto = json(srv.call(client, "change_tenant", &all).await, "change").await;
    let failed = wait_run(&srv.store, run.id, Duration::from_secs(120)).await;
    assert_eq!(failed.state, RunState::Failed, "{:#?}", failed.steps);
    let step = failed
        .steps
        .into_iter()
        .find(|s| s.state == app::dto::StepState::Failed)
        .expect("a failed step");
    (run.id, step)
}

/// Rollout `id` as `who` reads it.
pub async fn rollout(srv: &TestServer, who: &reqwest::Client, id: i64) -> app::dto::RolloutDto {
    json(
        srv.call(who, "get_rollout", &[("id", &id.to_string())])
            .await,
        "get_rollout",
    )
    .await
}

/// Rollout `id` once `done` says so (within two minutes).
pub async fn rollout_until(
    srv: &TestServer,
    who: &reqwest::Client,
    id: i64,
    done: impl Fn(&app::dto::RolloutDto) -> bool,
) -> app::dto::RolloutDto {
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    loop {
        let r = rollout(srv, who, id).await;
        if done(&r) {
            return r;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "rollout {id} stands at {r:#?}"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}
