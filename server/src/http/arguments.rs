//! Arguments of server functions checked before the function runs, so a
//! malformed request is a 400 that names the argument: a key given twice,
//! a value of the wrong type, a missing argument (the checks themselves,
//! with the types each function decodes, are `app::api`'s).

use app::api;
use app::error::AppError;
use axum::body::{to_bytes, Body};
use axum::extract::Request;
use axum::http::{header, Method};
use axum::middleware::Next;
use axum::response::Response;

use super::guards::BODY_LIMIT;
use crate::answer::{refusal, Reader};

/// The first key a form sends more than once (keys ending in `[]` are lists).
pub fn repeated_key(form: &[u8]) -> Option<String> {
    let mut seen = std::collections::HashSet::new();
    url::form_urlencoded::parse(form)
        .map(|(k, _)| k.into_owned())
        .find(|k| !k.ends_with("[]") && !seen.insert(k.clone()))
}

/// Why `body` is not valid for the server function at `path` (each
/// capability file of `app::api` lists its functions for this).
fn check(path: &str, body: &[u8]) -> Option<String> {
    api::checked_arguments()
        .find(|c| c.path == path)
        .and_then(|c| (c.explain)(body))
}

/// Refuses a server function call whose form repeats a key or does not
/// decode, naming the argument. Runs after the session checks, so an
/// anonymous caller still gets 401 whatever it sent.
pub async fn check_arguments(req: Request, next: Next) -> Response {
    let form = req.method() == Method::POST
        && Reader::of(req.uri().path()) == Reader::ServerFunction
        && req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !form {
        return next.run(req).await;
    }
    let (parts, body) = req.into_parts();
    let refuse = |why: String| refusal(parts.uri.path(), None, AppError::Request(why));
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
    use leptos::server_fn::ServerFn;

    #[test]
    fn every_registered_server_function_is_checked() {
        let mut registered: Vec<String> = leptos::server_fn::axum::server_fn_paths()
            .map(|(p, _)| p.to_string())
            .collect();
        registered.sort();
        registered.dedup();
        let mut checked: Vec<String> = api::checked_arguments()
            .map(|c| c.path.to_string())
            .collect();
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
