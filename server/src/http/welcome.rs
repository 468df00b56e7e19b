//! `/welcome/<token>`: the one link Tenantry sends that carries a
//! capability. The welcome mail holds it instead of the tenant admin's
//! temporary password; the page shows the password once. Only the token's
//! SHA-256 is stored; a link works once (spending it is guarded), for at
//! most 72 hours. Opening the link (GET, which mail scanners also do)
//! spends nothing: a button posts it back. Every answer says
//! `Referrer-Policy: no-referrer` (the token is in the URL) and
//! `Cache-Control: no-store`.

use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use leptos::prelude::*;

use super::state::AppState;
use crate::store::{now_ms, WelcomeLink};

/// The path prefix of welcome links (public: no session).
pub const WELCOME_PATH: &str = "/welcome/";

fn page(status: StatusCode, title: &'static str, body: impl IntoView + 'static) -> Response {
    let html = view! {
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <title>{title}</title>
                <link rel="stylesheet" href="/pkg/tenantry.css"/>
            </head>
            <body>
                <main id="main" class="narrow">
                    <h1>{title}</h1>
                    {body}
                </main>
            </body>
        </html>
    }
    .to_html();
    let mut res = (status, Html(format!("<!DOCTYPE html>{html}"))).into_response();
    let h = res.headers_mut();
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

fn gone(link: &WelcomeLink) -> Response {
    let (status, text) = match link {
        WelcomeLink::Spent => (
            StatusCode::GONE,
            "This link was used already: it works once. Ask your provider for a new password if you did not keep it.",
        ),
        WelcomeLink::Expired => (
            StatusCode::GONE,
            "This link has expired: ask your provider for a new one.",
        ),
        _ => (StatusCode::NOT_FOUND, "There is no such link."),
    };
    page(
        status,
        "Welcome",
        view! { <p data-testid="welcome-gone">{text}</p> },
    )
}

fn unavailable() -> Response {
    page(
        StatusCode::SERVICE_UNAVAILABLE,
        "Welcome",
        view! { <p>"Your password cannot be read just now; the link still works. Try again in a few minutes."</p> },
    )
}

/// The link's page: what it is for, and the button that spends it.
pub async fn open(State(s): State<AppState>, Path(token): Path<String>) -> Response {
    let hash = crate::auth::hash_token(&token);
    match s.store.welcome_link(&hash, now_ms()).await {
        Ok(WelcomeLink::Open { expires_at, .. }) => page(
            StatusCode::OK,
            "Welcome",
            view! {
                <p>"This link shows your administrator account's temporary password once. Have somewhere safe to keep it, then press the button."</p>
                <p class="muted">{format!("It works until {} (UTC).", crate::store::format_ms(expires_at))}</p>
                <form method="post">
                    <button type="submit" class="button primary">"Show my password once"</button>
                </form>
            },
        ),
        Ok(other) => gone(&other),
        Err(e) => {
            tracing::warn!(error = %e, "could not look up a welcome link");
            unavailable()
        }
    }
}

/// Spends the link and shows the tenant admin's user name and password.
pub async fn reveal(State(s): State<AppState>, Path(token): Path<String>) -> Response {
    let hash = crate::auth::hash_token(&token);
    let now = now_ms();
    let tenant_id = match s.store.spend_welcome_link(&hash, now).await {
        Ok(Some(t)) => t,
        Ok(None) => {
            let link = s
                .store
                .welcome_link(&hash, now)
                .await
                .unwrap_or(WelcomeLink::Unknown);
            return gone(&link);
        }
        Err(e) => {
            tracing::warn!(error = %e, "could not spend a welcome link");
            return unavailable();
        }
    };
    match admin_of(&s, &tenant_id).await {
        Ok((username, password, urls)) => {
            let audit = crate::store::AuditEntry::new(
                crate::store::SYSTEM,
                "tenant.welcome_link_used",
                "tenant",
                &tenant_id,
            );
            if let Err(e) = s.store.write_audit(audit).await {
                tracing::warn!(error = %e, "could not audit a welcome link");
            }
            page(
                StatusCode::OK,
                "Your administrator account",
                view! {
                    <p><strong>"Shown once."</strong>" Keep the password now; this link will not show it again. Change it when you first sign in."</p>
                    <dl class="facts">
                        <dt>"User name"</dt><dd><code data-testid="welcome-username">{username}</code></dd>
                        <dt>"Temporary password"</dt><dd><code class="secret" data-testid="welcome-password">{password}</code></dd>
                        <dt>"Sign in at"</dt><dd>{urls.into_iter().map(|u| view! { <a href=u.clone() rel="noreferrer">{u.clone()}</a>" " }).collect_view()}</dd>
                    </dl>
                },
            )
        }
        Err(why) => {
            tracing::warn!(tenant = %tenant_id, error = %why, "could not read a tenant admin for its welcome link");
            if let Err(e) = s.store.unspend_welcome_link(&hash).await {
                tracing::warn!(error = %e, "could not reopen a welcome link");
            }
            unavailable()
        }
    }
}

/// The tenant admin's user name and password (from its Secret) and the
/// tenant's URLs.
async fn admin_of(s: &AppState, tenant_id: &str) -> Result<(String, String, Vec<String>), String> {
    use app::domain::release::contract::ADMIN_SECRET;
    let t = s
        .store
        .get_tenant(tenant_id)
        .await
        .map_err(|e| e.to_string())?;
    let engine = s
        .console
        .engine_slot()
        .get()
        .ok_or("no cluster is connected")?;
    let values = crate::cluster::read_tenant_secrets(
        &engine.cluster.client,
        &t.namespace,
        &[ADMIN_SECRET.to_string()],
    )
    .await
    .map_err(|e| e.to_string())?;
    let value = |key: &str| {
        values
            .iter()
            .find(|(k, _)| k == &format!("{ADMIN_SECRET}/{key}"))
            .map(|(_, v)| v.clone())
            .ok_or_else(|| format!("{ADMIN_SECRET} has no {key}"))
    };
    Ok((value("username")?, value("password")?, t.urls))
}
