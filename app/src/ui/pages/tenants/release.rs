//! What a tenant runs: its application's release, with its components and
//! jobs (the release page's summary).

use leptos::prelude::*;
use leptos_router::components::A;

use crate::api::applications::release_of_tenant;
use crate::dto::CustomValues;
use crate::ui::components::{CustomFieldFacts, ErrorPanel};
use crate::ui::pages::applications::ReleaseSummary;

#[component]
pub fn TenantRelease(id: String, values: CustomValues) -> impl IntoView {
    let release = Resource::new(move || id.clone(), release_of_tenant);
    view! {
        <section aria-labelledby="release-h">
            <Suspense fallback=|| ()>
                {move || {
                    let values = values.clone();
                    Suspend::new(async move {
                    match release.await {
                        Err(e) => view! { <ErrorPanel err=e/> }.into_any(),
                        Ok(r) => view! {
                            <h2 id="release-h">"Runs "
                                <A href=format!("/applications/{}/releases/{}", r.application_id, r.number)>
                                    {format!("release {}", r.number)}
                                </A>
                            </h2>
                            {r.warnings.into_iter().map(|w| view! {
                                <p class="warning" role="status" data-testid="release-warning">{w}</p>
                            }).collect_view()}
                            {(!r.spec.fields.is_empty()).then(|| view! {
                                <h3>"Custom fields"</h3>
                                <CustomFieldFacts specs=r.spec.fields.clone() values=values.clone()/>
                            })}
                            <ReleaseSummary spec=r.spec/>
                        }.into_any(),
                    }
                })}}
            </Suspense>
        </section>
    }
}
