//! The HTML shell, the router and the signed-in frame around every page.

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::components::{Outlet, ParentRoute, Route, Router, Routes, A};
use leptos_router::hooks::use_navigate;
use leptos_router::path;

use crate::api::session::{whoami, Logout};
use crate::ui::pages::*;
pub use crate::ui::session::{can, use_session, SessionCtx};

/// The page's Content-Security-Policy: scripts only from this origin or
/// carrying this response's nonce (Leptos puts it on its inline hydration
/// and streaming scripts), WebAssembly allowed, no framing.
pub fn page_policy(nonce: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; \
         base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )
}

/// Sends [`page_policy`] with the response being rendered.
#[cfg(feature = "ssr")]
fn send_page_policy() {
    use leptos::nonce::use_nonce;
    let (Some(nonce), Some(res)) = (use_nonce(), use_context::<leptos_axum::ResponseOptions>())
    else {
        return;
    };
    if let Ok(value) = http::HeaderValue::from_str(&page_policy(&nonce)) {
        res.insert_header(http::header::CONTENT_SECURITY_POLICY, value);
    }
}

pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    send_page_policy();
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="color-scheme" content="light dark"/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                <AutoReload options=options.clone()/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    let version = RwSignal::new(0u32);
    let me = Resource::new(move || version.get(), |_| whoami());
    provide_context(SessionCtx { me, version });
    // Marks the page as interactive, so browser tests (and people's scripts)
    // act only after hydration; effects never run on the server.
    Effect::new(|_| {
        if let Some(body) = document().body() {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });

    view! {
        <Stylesheet id="leptos" href="/pkg/tenantry.css"/>
        <Title formatter=|t: String| if t.is_empty() { "Tenantry".to_string() } else { format!("{t} · Tenantry") }/>
        <Router>
            <a class="skip-link" href="#main">"Skip to content"</a>
            <Routes fallback=|| view! { <NotFoundPage/> }>
                <Route path=path!("/login") view=LoginPage/>
                <ParentRoute path=path!("") view=Frame>
                    <Route path=path!("") view=DashboardPage/>
                    <Route path=path!("tenants") view=TenantListPage/>
                    <Route path=path!("tenants/new") view=NewTenantPage/>
                    <Route path=path!("tenants/:id") view=TenantDetailPage/>
                    <Route path=path!("runs") view=RunListPage/>
                    <Route path=path!("rollouts") view=RolloutListPage/>
                    <Route path=path!("rollouts/:id") view=RolloutPage/>
                    <Route path=path!("applications") view=ApplicationListPage/>
                    <Route path=path!("applications/:app") view=ApplicationPage/>
                    <Route path=path!("applications/:app/releases/new") view=NewReleasePage/>
                    <Route path=path!("applications/:app/releases/:number") view=ReleasePage/>
                    <Route path=path!("templates") view=TemplateListPage/>
                    <Route path=path!("templates/new") view=NewTemplatePage/>
                    <Route path=path!("templates/:id") view=TemplateDetailPage/>
                    <Route path=path!("templates/:id/edit") view=EditTemplatePage/>
                    <Route path=path!("alerts") view=AlertsPage/>
                    <Route path=path!("alerts/channels") view=ChannelsPage/>
                    <Route path=path!("audit") view=AuditPage/>
                    <Route path=path!("stats") view=StatsPage/>
                    <Route path=path!("staff") view=StaffPage/>
                    <Route path=path!("account/password") view=AccountPasswordPage/>
                    <Route path=path!("account/tokens") view=TokensPage/>
                </ParentRoute>
            </Routes>
        </Router>
    }
}

/// Navigation and the signed-in user's menu around every page but sign-in.
#[component]
fn Frame() -> impl IntoView {
    let session = use_session();
    crate::ui::live::provide_live();
    let logout = ServerAction::<Logout>::new();
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(())) = logout.value().get() {
            session.version.update(|v| *v += 1);
            navigate("/login", Default::default());
        }
    });

    view! {
        <header class="topbar">
            <A href="/" attr:class="brand">"Tenantry"</A>
            <nav aria-label="Main">
                <ul>
                    <li><A href="/" exact=true>"Dashboard"</A></li>
                    <li><A href="/tenants">"Tenants"</A></li>
                    <li><A href="/runs">"Runs"</A></li>
                    <li><A href="/rollouts">"Rollouts"</A></li>
                    <li><A href="/applications">"Applications"</A></li>
                    <li><A href="/templates">"Templates"</A></li>
                    <li><A href="/alerts">"Alerts"</A></li>
                    <li><A href="/stats">"Statistics"</A></li>
                    <li><A href="/audit">"Audit"</A></li>
                    <li><A href="/staff">"Staff"</A></li>
                    <li><A href="/account/tokens">"API tokens"</A></li>
                </ul>
            </nav>
            <div class="whoami">
                <crate::ui::live::LiveIndicator/>
                <Transition fallback=|| ()>
                    {move || Suspend::new(async move {
                        match session.me.await {
                            Ok(Some(me)) => view! {
                                <A href="/account/password" attr:class="user" attr:data-testid="whoami"
                                    attr:title="Change your password">
                                    {me.username.clone()}
                                    <span class="role">{me.role.as_str()}</span>
                                </A>
                            }.into_any(),
                            _ => view! { <A href="/login">"Sign in"</A> }.into_any(),
                        }
                    })}
                </Transition>
                <ActionForm action=logout>
                    <button type="submit" class="button subtle">"Sign out"</button>
                </ActionForm>
            </div>
        </header>
        <main id="main" tabindex="-1">
            <Outlet/>
        </main>
    }
}
