//! `/api/v1`: the console's operations as a versioned JSON API, for
//! scripts and the `tenantry` CLI. Every handler calls the same
//! [`Console`] as the pages (one role check, one validation, one audit
//! trail). The OpenAPI 3.1 document is generated from the handlers and the
//! DTOs, so a route cannot exist without its documentation (and the other
//! way round: both come from one `routes!` list).

mod api_keys;
mod applications;
mod operations;
mod people;
mod preconditions;
mod problem;
mod records;
mod reference;
mod rollouts;
mod runs;
mod templates;
mod tenants;

use std::sync::{Arc, OnceLock};

use app::api::Console;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{middleware, Router};
use utoipa::openapi::{self, RefOr};
use utoipa::{Modify, OpenApi};
use utoipa_axum::{router::OpenApiRouter, routes};

pub use crate::answer::Problem;
use crate::http::state::AppState;
pub use preconditions::{IDEMPOTENCY_KEY, REPLAYED};

pub const PREFIX: &str = crate::answer::API_V1;
pub const OPENAPI_PATH: &str = "/api/v1/openapi.json";
pub const REFERENCE_PATH: &str = "/api/v1/reference";
pub use crate::answer::TOKEN_EXCHANGE_PATH;
pub const LIVE_PATH: &str = "/api/v1/live";

fn console(s: &AppState) -> &dyn Console {
    s.console.as_ref()
}

/// `Idempotency-Key`, accepted by creates and operations.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Header)]
pub struct Idempotency {
    /// Any unique string (a UUID): a retry with the same key and the same
    /// request gets the first answer again (`Idempotent-Replayed: true`)
    /// instead of doing the work twice; kept for 24 hours per staff member.
    #[param(rename = "Idempotency-Key")]
    pub idempotency_key: Option<String>,
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Tenantry API",
        version = "1",
        description = "Provision, watch, repair and remove the tenants of a multi-tenant SaaS on \
Kubernetes. Authenticate with `Authorization: Bearer <token>` (make a token on the console's \
API tokens page, or with `tenantry login`). Errors are `Problem` objects. Updates need \
`If-Match` with the resource's `ETag` (428 without, 412 when stale). Creates and operations \
accept `Idempotency-Key`. Operations answer 202 with the run; follow it with `GET /api/v1/runs/{id}` \
or the live stream (`GET /api/v1/live?topics=run:<id>`)."
    ),
    // Schemas that only query parameters name (bodies bring their own).
    components(schemas(
        Problem,
        app::dto::TenantSort,
        app::dto::TenantState,
        app::dto::Health,
        app::dto::RunState,
        app::dto::Operation,
        app::dto::AlertState,
        app::dto::Severity,
        app::dto::RuleId,
        records::ExportKind
    )),
    modifiers(&Conventions),
    tags(
        (name = "tenants", description = "Tenant records and what the cluster shows of them"),
        (name = "operations", description = "Operations that start a run"),
        (name = "runs", description = "Runs, their steps and repairs"),
        (name = "rollouts", description = "Tenants moved to a release or a plan in waves"),
        (name = "applications", description = "Applications and their numbered releases"),
        (name = "templates", description = "Tiers, versioned"),
        (name = "staff", description = "Accounts (admins) and the caller"),
        (name = "tokens", description = "Personal API tokens"),
        (name = "audit", description = "The audit trail and statistics"),
        (name = "alerts", description = "Alerts"),
        (name = "live", description = "The live stream"),
    )
)]
struct ApiDoc;

/// The router for `/api/v1` and the document that describes it.
fn parts() -> (Router<AppState>, openapi::OpenApi) {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(tenants::list, tenants::create))
        .routes(routes!(tenants::get, tenants::update, tenants::delete))
        .routes(routes!(tenants::live))
        .routes(routes!(tenants::override_domain))
        .routes(routes!(tenants::owner_messages))
        .routes(routes!(tenants::check_id))
        .routes(routes!(operations::provision))
        .routes(routes!(operations::suspend))
        .routes(routes!(operations::resume))
        .routes(routes!(operations::cleanup))
        .routes(routes!(operations::backup))
        .routes(routes!(operations::backups))
        .routes(routes!(operations::restore))
        .routes(routes!(operations::rotate_secrets))
        .routes(routes!(operations::preview_change))
        .routes(routes!(operations::dry_run))
        .routes(routes!(operations::change))
        .routes(routes!(operations::deprovision))
        .routes(routes!(operations::bulk))
        .routes(routes!(api_keys::list))
        .routes(routes!(api_keys::rotate))
        .routes(routes!(applications::list, applications::create))
        .routes(routes!(applications::get))
        .routes(routes!(
            applications::releases,
            applications::create_release
        ))
        .routes(routes!(applications::check_release))
        .routes(routes!(applications::get_release))
        .routes(routes!(applications::tenant_release))
        .routes(routes!(templates::list, templates::create))
        .routes(routes!(
            templates::get,
            templates::update,
            templates::delete
        ))
        .routes(routes!(runs::list))
        .routes(routes!(runs::get))
        .routes(routes!(runs::retry))
        .routes(routes!(runs::recover))
        .routes(routes!(runs::cancel))
        .routes(routes!(rollouts::plan))
        .routes(routes!(rollouts::start, rollouts::list))
        .routes(routes!(rollouts::get))
        .routes(routes!(rollouts::pause))
        .routes(routes!(rollouts::resume))
        .routes(routes!(rollouts::abort))
        .routes(routes!(rollouts::skip))
        .routes(routes!(rollouts::rollback))
        .routes(routes!(people::whoami))
        .routes(routes!(people::exchange))
        .routes(routes!(people::tokens, people::create_token))
        .routes(routes!(people::revoke_token))
        .routes(routes!(people::staff, people::create_staff))
        .routes(routes!(people::change_staff))
        .routes(routes!(people::reset_password))
        .routes(routes!(records::audit))
        .routes(routes!(records::export))
        .routes(routes!(records::stats))
        .routes(routes!(records::alerts))
        .routes(routes!(records::alert))
        .routes(routes!(records::ack))
        .routes(routes!(records::resolve))
        .routes(routes!(live_stream))
        .split_for_parts()
}

/// The OpenAPI document (built once).
pub fn document() -> &'static openapi::OpenApi {
    static DOC: OnceLock<openapi::OpenApi> = OnceLock::new();
    DOC.get_or_init(|| with_errors(parts().1))
}

/// `/api/v1` with its document and reference page.
pub fn router(state: &AppState) -> Router<AppState> {
    let (api, _) = parts();
    api.route(OPENAPI_PATH, get(openapi_json))
        .route(REFERENCE_PATH, get(reference::page))
        .route("/api/v1/{*rest}", axum::routing::any(no_route))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            preconditions::idempotent,
        ))
}

async fn openapi_json() -> Response {
    static JSON: OnceLock<Arc<str>> = OnceLock::new();
    let body = JSON.get_or_init(|| {
        document()
            .to_pretty_json()
            .unwrap_or_else(|_| "{}".into())
            .into()
    });
    (
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

async fn no_route() -> crate::answer::ApiError {
    crate::answer::ApiError::new(
        StatusCode::NOT_FOUND,
        format!("No route: see {OPENAPI_PATH} for the API's paths"),
    )
}

/// Server-sent events for the topics asked for (`tenants`, `runs`,
/// `alerts`, `tenant:<id>`, `run:<id>`, comma-separated). Each message has
/// an `id`; reconnect with `Last-Event-ID` (or `last_event_id`) to resume,
/// or get `event: resync` when what was missed is gone. `event: message`
/// data is `{"topic", "kind", "data"}`; control events are `resync`,
/// `dropped`, `replaced`, `signed-out` and `unavailable`.
#[utoipa::path(get, path = "/api/v1/live", tag = "live",
    params(("topics" = String, Query, description = "Comma-separated topics"),
        ("Last-Event-ID" = Option<String>, Header, description = "Resume after this message")),
    responses((status = 200, description = "An endless text/event-stream", content_type = "text/event-stream", body = String)))]
pub(crate) async fn live_stream(
    State(state): State<AppState>,
    session: tower_sessions::Session,
    axum::Extension(principal): axum::Extension<app::dto::Principal>,
    headers: axum::http::HeaderMap,
    axum::extract::Query(query): axum::extract::Query<std::collections::HashMap<String, String>>,
) -> Response {
    let live = state.console.live();
    crate::live::sse::open(
        live,
        state.store.clone(),
        session,
        principal,
        headers,
        query,
    )
    .await
}

/// What every operation shares: bearer authentication, and the errors any
/// call may answer with (all `Problem` objects).
struct Conventions;

const ERRORS: &[(&str, &str)] = &[
    ("400", "The request is malformed"),
    ("401", "No valid token or session"),
    ("403", "The caller's role does not allow this"),
    ("404", "No such resource"),
    ("409", "The resource's state does not allow this now"),
    ("413", "The body is too large"),
    ("415", "The body is not JSON"),
    ("422", "A field breaks a rule (see `fields`)"),
    ("429", "Too many requests: wait `Retry-After` seconds"),
    ("503", "The cluster or the database is unavailable"),
];
const UPDATE_ERRORS: &[(&str, &str)] = &[
    ("412", "The resource changed since the ETag in If-Match"),
    ("428", "If-Match is required"),
];

impl Modify for Conventions {
    fn modify(&self, doc: &mut openapi::OpenApi) {
        use openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        doc.security = Some(vec![SecurityRequirement::new(
            "bearer",
            Vec::<String>::new(),
        )]);
    }
}

fn problem_response(description: &str) -> RefOr<openapi::Response> {
    let content = openapi::ContentBuilder::new()
        .schema(Some(openapi::Ref::from_schema_name("Problem")))
        .build();
    RefOr::T(
        openapi::ResponseBuilder::new()
            .description(description)
            .content("application/json", content)
            .build(),
    )
}

/// Adds the shared error responses to every operation (after the routes
/// are collected: `Modify` runs before them).
fn with_errors(mut doc: openapi::OpenApi) -> openapi::OpenApi {
    for item in doc.paths.paths.values_mut() {
        let ops = [
            (&mut item.get, false),
            (&mut item.post, false),
            (&mut item.put, true),
            (&mut item.patch, true),
            (&mut item.delete, false),
        ];
        for (op, update) in ops {
            let Some(op) = op.as_mut() else { continue };
            let extra = if update { UPDATE_ERRORS } else { &[] };
            for (code, why) in ERRORS.iter().chain(extra) {
                op.responses
                    .responses
                    .entry((*code).to_string())
                    .or_insert_with(|| problem_response(why));
            }
        }
    }
    doc
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use app::api::{capabilities, Surface};

    /// Routes that serve no console capability: the caller, the audit
    /// export (a stream) and the live stream.
    const NOT_CAPABILITIES: &[&str] = &["whoami", "export_audit", "live_stream"];

    fn api_operations() -> BTreeSet<String> {
        let doc = super::document();
        doc.paths
            .paths
            .values()
            .flat_map(|item| {
                [&item.get, &item.post, &item.put, &item.patch, &item.delete]
                    .into_iter()
                    .flatten()
                    .map(|op| op.operation_id.clone().unwrap_or_default())
            })
            .collect()
    }

    fn server_functions() -> BTreeSet<String> {
        leptos::server_fn::axum::server_fn_paths()
            .map(|(path, _)| path.trim_start_matches("/api/").to_string())
            .collect()
    }

    /// Every method of every capability is served where its declaration
    /// says (a server function for `Page`, an `/api/v1` operation for
    /// `Api`), and every server function and operation serves a declared
    /// method: a method added without its route fails here.
    #[test]
    fn every_console_call_is_served_where_it_is_declared() {
        let api = api_operations();
        let pages = server_functions();
        let mut claimed_api = BTreeSet::new();
        let mut claimed_pages = BTreeSet::new();
        for m in capabilities() {
            assert!(!m.served.is_empty(), "{}::{}", m.capability, m.name);
            for (surface, names) in m.served {
                for name in *names {
                    let (offered, claimed, what) = match surface {
                        Surface::Page => (&pages, &mut claimed_pages, "server function"),
                        Surface::Api => (&api, &mut claimed_api, "/api/v1 operation"),
                    };
                    assert!(
                        offered.contains(*name),
                        "{}::{} is declared to be served as the {what} {name:?}, which does not exist",
                        m.capability,
                        m.name
                    );
                    claimed.insert(name.to_string());
                }
            }
        }
        let others: BTreeSet<String> = NOT_CAPABILITIES.iter().map(|s| s.to_string()).collect();
        let unclaimed: Vec<_> = api
            .difference(&claimed_api)
            .filter(|n| !others.contains(*n))
            .collect();
        assert!(
            unclaimed.is_empty(),
            "operations no capability declares: {unclaimed:?}"
        );
        let unclaimed: Vec<_> = pages
            .difference(&claimed_pages)
            .filter(|n| !others.contains(*n))
            .collect();
        assert!(
            unclaimed.is_empty(),
            "server functions no capability declares: {unclaimed:?}"
        );
    }
}
