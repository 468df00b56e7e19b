//! Request layers: who is calling (from the session), page guards, the
//! first-sign-in password change, and the refusal of state-changing
//! requests from other origins.

use app::dto::Principal;
use app::error::AppError;
use axum::extract::{Request, State};
use axum::http::{header, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use tower_sessions::Session;

use crate::answer::{refusal, Reader};
use crate::store::Store;

pub const SESSION_STAFF_ID: &str = "staff_id";
pub const SESSION_EPOCH: &str = "epoch";

/// A store the layer needs is down: logged with its cause, answered
/// without it.
fn unavailable(path: &str, what: &str, cause: impl std::fmt::Display) -> Response {
    tracing::error!(%cause, "{what}");
    refusal(path, None, AppError::Unavailable(format!("{what}.")))
}

/// Puts the request's [`Principal`] into its extensions. A disabled account,
/// or a session older than the account's last password reset, is anonymous.
/// A storage outage is a 503, never a silent sign-out.
pub async fn resolve_principal(
    State(store): State<Store>,
    session: Session,
    mut req: Request,
    next: Next,
) -> Response {
    // A bearer token speaks for itself: the request's cookies are ignored,
    // and a token that does not (or no longer) work is a 401 at once. It
    // works only on `/api/v1` and the live stream: a token must not reach
    // what only a person may do (server functions such as changing a
    // password or revealing credentials, and the pages).
    if let Some(token) = super::bearer(req.headers()) {
        let path = req.uri().path();
        if !(path.starts_with(crate::rest::PREFIX) || path == LIVE_STREAM) {
            return refusal(path, None, AppError::TokenNotAccepted);
        }
        let who = match store.staff_for_token(&super::hash_token(token)).await {
            Err(e) => return unavailable(req.uri().path(), "API tokens cannot be read", e),
            Ok(None) => return refusal(req.uri().path(), None, AppError::InvalidToken),
            Ok(Some(who)) => who,
        };
        req.extensions_mut().insert(Principal(Some(who)));
        return next.run(req).await;
    }
    let ids = async {
        let id = session.get::<i64>(SESSION_STAFF_ID).await?;
        let epoch = session.get::<i64>(SESSION_EPOCH).await?;
        Ok::<_, tower_sessions::session::Error>(id.zip(epoch))
    };
    let principal = match ids.await {
        Err(e) => return unavailable(req.uri().path(), "the session store is unavailable", e),
        Ok(None) => None,
        Ok(Some((id, epoch))) => match store.staff_by_id(id).await {
            Err(e) => return unavailable(req.uri().path(), "staff accounts cannot be read", e),
            Ok(Some(row)) if row.is_active() && row.session_epoch == epoch => Some(row.current()),
            Ok(_) => None,
        },
    };
    req.extensions_mut().insert(Principal(principal));
    next.run(req).await
}

/// The live stream, which API tokens may follow too.
pub const LIVE_STREAM: &str = crate::answer::LIVE_STREAM;

/// Server functions callable without a session.
pub const PUBLIC_API: &[&str] = &[
    "/api/login",
    "/api/logout",
    "/api/whoami",
    crate::rest::OPENAPI_PATH,
    crate::rest::REFERENCE_PATH,
    crate::rest::TOKEN_EXCHANGE_PATH,
];

/// Where a signed-in person on a generated password may still go.
pub const PASSWORD_CHANGE_PAGE: &str = "/account/password";
const ALLOWED_BEFORE_CHANGE: &[&str] = &[PASSWORD_CHANGE_PAGE, "/api/change_password", "/login"];

/// Someone signed in with a generated password may only change it (or sign
/// out): every other call is refused and every page leads to the form.
pub async fn require_password_change(req: Request, next: Next) -> Response {
    let must = req
        .extensions()
        .get::<Principal>()
        .and_then(|p| p.0.as_ref())
        .is_some_and(|who| who.must_change_password);
    let path = req.uri().path();
    if !must
        || PUBLIC_API.contains(&path)
        || ALLOWED_BEFORE_CHANGE.contains(&path)
        || (is_public(path) && !path.starts_with("/api/"))
    {
        return next.run(req).await;
    }
    if path.starts_with("/api/") {
        return refusal(path, None, AppError::PasswordChangeRequired);
    }
    Redirect::to(PASSWORD_CHANGE_PAGE).into_response()
}

/// Refuses anonymous calls to every other server function before its input
/// is even decoded. Each function checks again (defence in depth); this layer
/// makes "no session" a uniform 401 whatever the request body holds.
pub async fn require_api_session(req: Request, next: Next) -> Response {
    let path = req.uri().path();
    let signed_in = req
        .extensions()
        .get::<Principal>()
        .is_some_and(|p| p.0.is_some());
    if path.starts_with("/api/") && !PUBLIC_API.contains(&path) && !signed_in {
        return refusal(path, None, AppError::Unauthorized);
    }
    next.run(req).await
}

/// Paths anyone may load: sign-in, health, the API (which answers 401 by
/// itself) and static files (anything with a dot in its last segment).
fn is_public(path: &str) -> bool {
    path == "/login"
        || path.starts_with(crate::http::welcome::WELCOME_PATH)
        || path.starts_with("/api/")
        || path.starts_with("/pkg/")
        || path == "/healthz"
        || path == "/readyz"
        || path
            .rsplit('/')
            .next()
            .is_some_and(|last| last.contains('.'))
}

/// Sends anonymous page loads to the sign-in page (and signed-in visitors of
/// the sign-in page home), on the server, before anything renders.
pub async fn require_page_session(req: Request, next: Next) -> Response {
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return next.run(req).await;
    }
    let signed_in = req
        .extensions()
        .get::<Principal>()
        .is_some_and(|p| p.0.is_some());
    let path = req.uri().path();
    if path == "/login" && signed_in {
        return Redirect::to("/").into_response();
    }
    if !signed_in && !is_public(path) {
        let target = req
            .uri()
            .path_and_query()
            .map(|p| p.as_str())
            .unwrap_or("/");
        let next_param: String = url::form_urlencoded::byte_serialize(target.as_bytes()).collect();
        return Redirect::to(&format!("/login?next={next_param}")).into_response();
    }
    next.run(req).await
}

fn host_of(origin: &str) -> Option<String> {
    url::Url::parse(origin).ok().and_then(|u| {
        let host = u.host_str()?.to_ascii_lowercase();
        Some(match u.port() {
            Some(p) => format!("{host}:{p}"),
            None => host,
        })
    })
}

/// The one origin browsers reach the console at, when `--public-url` says.
#[derive(Clone, Debug, Default)]
pub struct PublicOrigin(pub Option<url::Origin>);

impl PublicOrigin {
    pub fn of(public_url: Option<&url::Url>) -> Self {
        PublicOrigin(public_url.map(|u| u.origin()).filter(|o| o.is_tuple()))
    }
}

/// Refuses a state-changing request whose `Origin` (or `Referer`) is not this
/// console: the `--public-url`'s origin when one is set, else the request's
/// own `Host`. Browsers always send one of them on cross-site writes;
/// clients without either (the CLI, curl) carry no ambient cookies to abuse.
pub async fn reject_cross_origin(
    State(public): State<std::sync::Arc<PublicOrigin>>,
    req: Request,
    next: Next,
) -> Response {
    // Safe methods change nothing; a bearer request is authorised by its
    // token alone (a browser never adds one on its own, and its cookies are
    // ignored), so the origin does not matter for it.
    // A welcome link is authorised by its token alone, and its page says
    // `no-referrer`, so the browser's post back names no origin.
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS)
        || super::bearer(req.headers()).is_some()
        || req
            .uri()
            .path()
            .starts_with(crate::http::welcome::WELCOME_PATH)
    {
        return next.run(req).await;
    }
    let headers = req.headers();
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(|h| h.to_ascii_lowercase());
    let claimed = headers
        .get(header::ORIGIN)
        .or_else(|| headers.get(header::REFERER))
        .map(|v| v.to_str().ok().and_then(|s| url::Url::parse(s).ok()));
    let cross_site = headers
        .get("sec-fetch-site")
        .is_some_and(|v| v.as_bytes() == b"cross-site");
    let allowed = match (claimed, &public.0) {
        (None, _) => !cross_site,
        (Some(None), _) => false,
        (Some(Some(url)), Some(origin)) => url.origin() == *origin,
        (Some(Some(url)), None) => match host_of(url.as_str()) {
            Some(origin_host) => {
                host.as_deref() == Some(origin_host.as_str())
                    || host_matches_default_port(&host, &origin_host)
            }
            None => false,
        },
    };
    if allowed {
        next.run(req).await
    } else {
        tracing::warn!(method = %req.method(), path = req.uri().path(), "cross-origin request rejected");
        if Reader::of(req.uri().path()) == Reader::Api {
            return refusal(
                req.uri().path(),
                None,
                AppError::Forbidden {
                    have: "a session cookie from another origin".into(),
                    need: "a bearer token, or the console's own origin".into(),
                    action: "write through the API".into(),
                },
            );
        }
        (
            StatusCode::FORBIDDEN,
            "Cross-origin request rejected: this request did not come from the Tenantry console.",
        )
            .into_response()
    }
}

/// `Host: example.com` and `Origin: https://example.com:443` are the same site.
fn host_matches_default_port(host: &Option<String>, origin_host: &str) -> bool {
    match host {
        Some(h) => {
            origin_host
                .strip_suffix(":443")
                .or_else(|| origin_host.strip_suffix(":80"))
                == Some(h.as_str())
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_origin_is_scheme_host_and_port() {
        let u = url::Url::parse("https://console.example.com/base").expect("url");
        let o = PublicOrigin::of(Some(&u));
        let same = url::Url::parse("https://console.example.com:443/x").expect("url");
        let http = url::Url::parse("http://console.example.com/x").expect("url");
        assert_eq!(o.0.as_ref(), Some(&same.origin()));
        assert_ne!(o.0.as_ref(), Some(&http.origin()));
    }

    #[test]
    fn public_paths() {
        assert!(is_public("/login"));
        assert!(is_public("/pkg/tenantry.js"));
        assert!(is_public("/favicon.ico"));
        assert!(!is_public("/tenants"));
        assert!(!is_public("/"));
    }

    #[test]
    fn origins() {
        assert_eq!(
            host_of("http://127.0.0.1:3000").as_deref(),
            Some("127.0.0.1:3000")
        );
        assert_eq!(
            host_of("https://Console.Example.com/x").as_deref(),
            Some("console.example.com")
        );
        assert_eq!(host_of("null"), None);
    }
}
