//! Arguments of server functions checked before the function runs, with the
//! very types the function decodes (the structs the `#[server]` macro
//! generates), so a malformed request is a 400 that names the argument: a
//! key given twice, a value of the wrong type, a missing argument. The
//! decoder inside Leptos reports only "invalid type", without the name.

use app::api;
use app::error::AppError;
use axum::body::{to_bytes, Body};
use axum::extract::Request;
use axum::http::{header, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use leptos::server_fn::ServerFn;
use serde::de::DeserializeOwned;
use serde_path_to_error::Segment;

use super::guards::BODY_LIMIT;

/// The nesting depth server functions decode forms with.
const FORM_DEPTH: usize = 5;

/// "form[ids][0]" for the path serde reports as form.ids[0].
fn form_key(path: &serde_path_to_error::Path) -> String {
    let mut out = String::new();
    for seg in path.iter() {
        let part = match seg {
            Segment::Seq { index } => index.to_string(),
            Segment::Map { key } => key.clone(),
            Segment::Enum { variant } => variant.clone(),
            Segment::Unknown => "?".into(),
        };
        if out.is_empty() {
            out = part;
        } else {
            out.push_str(&format!("[{part}]"));
        }
    }
    out
}

/// Why `body` does not decode as `T`, naming the argument.
fn explain<T: DeserializeOwned>(body: &[u8]) -> Option<String> {
    let config = serde_qs::Config::new(FORM_DEPTH, false);
    let de = match serde_qs::Deserializer::with_config(&config, body) {
        Ok(de) => de,
        Err(e) => return Some(format!("the form cannot be read: {e}")),
    };
    match serde_path_to_error::deserialize::<_, T>(de) {
        Ok(_) => None,
        Err(e) => {
            let key = form_key(e.path());
            let inner = e.inner().to_string();
            Some(if key.is_empty() || key == "?" {
                inner
            } else {
                format!("argument \"{key}\": {inner}")
            })
        }
    }
}

/// The first key a form sends more than once (keys ending in `[]` are lists).
pub fn repeated_key(form: &[u8]) -> Option<String> {
    let mut seen = std::collections::HashSet::new();
    url::form_urlencoded::parse(form)
        .map(|(k, _)| k.into_owned())
        .find(|k| !k.ends_with("[]") && !seen.insert(k.clone()))
}

macro_rules! server_functions {
    ($($f:ty),* $(,)?) => {
        /// Every server function's path, as checked here.
        #[cfg(test)]
        const CHECKED: &[&str] = &[$(<$f as ServerFn>::PATH),*];

        /// Why `body` is not valid for the server function at `path`.
        fn check(path: &str, body: &[u8]) -> Option<String> {
            $(if path == <$f as ServerFn>::PATH {
                return explain::<$f>(body);
            })*
            None
        }
    };
}

server_functions!(
    api::alerts::ListAlerts,
    api::alerts::GetAlert,
    api::alerts::AckAlert,
    api::alerts::ResolveAlert,
    api::alerts::SilenceAlerts,
    api::alerts::EndSilence,
    api::alerts::ListSilences,
    api::alerts::AlertRules,
    api::alerts::SetAlertRule,
    api::alerts::ListChannels,
    api::alerts::SaveChannel,
    api::alerts::DeleteChannel,
    api::alerts::TestChannel,
    api::alerts::DeliveryLog,
    api::audit::ListAudit,
    api::auth::Login,
    api::auth::Logout,
    api::auth::ChangePassword,
    api::auth::Whoami,
    api::dashboard::Dashboard,
    api::live::TenantLive,
    api::live::BulkAction,
    api::live::PreviewNewTenant,
    api::live::RevealCredentials,
    api::operations::ProvisionTenant,
    api::operations::SuspendTenant,
    api::operations::ResumeTenant,
    api::operations::CleanupTenant,
    api::operations::BackupTenant,
    api::operations::RestoreTenant,
    api::operations::TenantBackups,
    api::operations::PreviewTenantChange,
    api::operations::ChangeTenant,
    api::operations::DeprovisionTenant,
    api::runs::ListRuns,
    api::runs::GetRun,
    api::runs::RetryStep,
    api::runs::RecoverRun,
    api::runs::CancelRun,
    api::staff::ListStaff,
    api::staff::CreateStaff,
    api::staff::SetStaffRole,
    api::staff::SetStaffActive,
    api::staff::ResetStaffPassword,
    api::templates::ListTemplates,
    api::templates::TemplateChoices,
    api::templates::GetTemplate,
    api::templates::CreateTemplate,
    api::templates::UpdateTemplate,
    api::templates::DeleteTemplate,
    api::tenants::ListTenants,
    api::tenants::GetTenant,
    api::tenants::CreateTenant,
    api::tenants::UpdateTenant,
    api::tenants::DeleteTenant,
    api::tenants::SuggestTenantId,
    api::tenants::CheckTenantId,
    api::tokens::ListTokens,
    api::tokens::CreateToken,
    api::tokens::RevokeToken,
    api::stats::Statistics,
);

fn refuse(message: String) -> Response {
    let body = serde_json::to_string(&AppError::Request(message)).unwrap_or_default();
    (
        StatusCode::BAD_REQUEST,
        [(header::CONTENT_TYPE, "application/json")],
        body,
    )
        .into_response()
}

/// Refuses a server function call whose form repeats a key or does not
/// decode, naming the argument. Runs after the session checks, so an
/// anonymous caller still gets 401 whatever it sent.
pub async fn check_arguments(req: Request, next: Next) -> Response {
    let form = req.method() == Method::POST
        && req.uri().path().starts_with("/api/")
        && !req.uri().path().starts_with(crate::rest::PREFIX)
        && req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !form {
        return next.run(req).await;
    }
    let (parts, body) = req.into_parts();
    let Ok(bytes) = to_bytes(body, BODY_LIMIT).await else {
        return refuse(format!(
            "the request body is larger than {BODY_LIMIT} bytes"
        ));
    };
    if let Some(key) = repeated_key(&bytes) {
        return refuse(format!("argument \"{key}\" was given more than once"));
    }
    if let Some(why) = check(parts.uri.path(), &bytes) {
        return refuse(why);
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_registered_server_function_is_checked() {
        let mut registered: Vec<String> = leptos::server_fn::axum::server_fn_paths()
            .map(|(p, _)| p.to_string())
            .collect();
        registered.sort();
        registered.dedup();
        let mut checked: Vec<String> = CHECKED.iter().map(|p| p.to_string()).collect();
        checked.sort();
        assert_eq!(checked, registered);
    }

    #[test]
    fn wrong_and_missing_arguments_are_named() {
        let path = <api::runs::RetryStep as ServerFn>::PATH;
        assert_eq!(check(path, b"id=1&position=0"), None);
        let e = check(path, b"id=1&position=first").unwrap_or_default();
        assert!(e.contains("\"position\""), "{e}");
        let e = check(path, b"id=1").unwrap_or_default();
        assert!(e.contains("position"), "{e}");
        let path = <api::tenants::CreateTenant as ServerFn>::PATH;
        let e = check(path, b"form[provision]=maybe").unwrap_or_default();
        assert!(e.contains("\"form[provision]\""), "{e}");
    }

    #[test]
    fn repeated_keys_are_found_and_lists_allowed() {
        assert_eq!(repeated_key(b"a=1&b=2"), None);
        assert_eq!(
            repeated_key(b"form%5Bcompany_name%5D=x&form%5Bcompany_name%5D=y").as_deref(),
            Some("form[company_name]")
        );
        assert_eq!(repeated_key(b"ids[]=1&ids[]=2"), None);
        assert_eq!(repeated_key(b"form[ids][0]=a&form[ids][1]=b"), None);
    }
}
