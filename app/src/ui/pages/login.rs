//! The sign-in page.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_query_map};

use crate::api::session::Login;
use crate::ui::shell::use_session;

/// Only paths on this console are followed after sign-in (no open
/// redirect): one leading '/', then no second '/' or a backslash right after it,
/// and no whitespace or control characters anywhere (browsers drop tabs and
/// newlines from URLs, so "/\t/evil.example" would become
/// "//evil.example", another site).
pub fn safe_next(next: Option<String>) -> String {
    let ok = |n: &str| {
        let mut chars = n.chars();
        chars.next() == Some('/')
            && !matches!(chars.next(), Some('/' | '\\'))
            && !n
                .chars()
                .any(|c| c.is_control() || c.is_whitespace() || c == '\\')
    };
    match next {
        Some(n) if ok(&n) => n,
        _ => "/".to_string(),
    }
}

#[component]
pub fn LoginPage() -> impl IntoView {
    let login = ServerAction::<Login>::new();
    let session = use_session();
    let query = use_query_map();
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(me)) = login.value().get() {
            session.version.update(|v| *v += 1);
            let next = if me.must_change_password {
                "/account/password".to_string()
            } else {
                safe_next(query.get_untracked().get("next"))
            };
            navigate(&next, Default::default());
        }
    });
    let error = move || login.value().get().and_then(|r| r.err());

    view! {
        <Title text="Sign in"/>
        <main id="main" class="login">
            <section class="card">
                <h1>"Tenantry"</h1>
                <p class="muted">"Sign in with your staff account."</p>
                <ActionForm action=login attr:class="stack">
                    <label for="username">"User name"</label>
                    <input id="username" name="username" autocomplete="username" required autofocus/>
                    <label for="password">"Password"</label>
                    <input id="password" name="password" type="password" autocomplete="current-password" required/>
                    <button type="submit" class="button primary" disabled=move || login.pending().get()>
                        {move || if login.pending().get() { "Signing in…" } else { "Sign in" }}
                    </button>
                </ActionForm>
                {move || error().map(|e| view! { <p class="form-error" role="alert">{e.to_string()}</p> })}
            </section>
        </main>
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn next_stays_on_site() {
        assert_eq!(super::safe_next(Some("/tenants".into())), "/tenants");
        assert_eq!(super::safe_next(Some("//evil.example".into())), "/");
        assert_eq!(super::safe_next(Some("https://evil.example".into())), "/");
        assert_eq!(super::safe_next(None), "/");
        for evil in [
            "/\t/evil.example",
            "/\n/evil.example",
            "/\\evil.example",
            "/ /x",
            "\t//evil",
        ] {
            assert_eq!(super::safe_next(Some(evil.into())), "/", "{evil:?}");
        }
        assert_eq!(
            super::safe_next(Some("/tenants?q=a%20b".into())),
            "/tenants?q=a%20b"
        );
    }
}
