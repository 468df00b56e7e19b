//! The release editor: the newest release's text to start from, checked by
//! the server as staff type (after a pause), every broken rule listed with
//! where it is, and a form for the most common edit (an image's tag) that
//! rewrites the text; saving stores it as the next release (refused if
//! another was saved since this page was opened).

use std::time::Duration;

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_navigate;

use crate::api::applications::{check_release, list_releases, CreateRelease};
use crate::domain::release::edit::with_image;
use crate::dto::{ReleaseDto, ReleaseForm, ReleaseSpec};
use crate::error::AppError;
use crate::ui::components::{failure, ErrorPanel, Field};

/// How long typing must pause before the text is checked.
const PAUSE: Duration = Duration::from_millis(400);

/// Every broken rule, or what the release would run.
#[component]
fn CheckResult(result: Option<Result<ReleaseSpec, AppError>>) -> impl IntoView {
    match result {
        None => ().into_any(),
        Some(Ok(spec)) => view! {
            <p class="check ok" data-testid="release-check" role="status">
                {format!("Valid: {} component(s), {} job(s).", spec.components.len(), spec.jobs.len())}
            </p>
        }
        .into_any(),
        Some(Err(AppError::Invalid(errors))) => view! {
            <ul class="check errors" data-testid="release-check" role="alert">
                {errors.into_iter().map(|e| view! {
                    <li><code>{e.field}</code>" "{e.message}</li>
                }).collect_view()}
            </ul>
        }
        .into_any(),
        Some(Err(e)) => view! { <ErrorPanel err=e/> }.into_any(),
    }
}

/// The images of the release's components and jobs as a form, one row per
/// image: changing one rewrites that value wherever the text uses it
/// (comments and layout kept), and the text is checked again.
#[component]
fn ImagesForm(
    spec: ReleaseSpec,
    textarea: NodeRef<leptos::html::Textarea>,
    on_edit: Callback<String>,
) -> impl IntoView {
    let mut rows: Vec<(String, Vec<String>)> = vec![];
    let uses = spec
        .components
        .iter()
        .map(|c| (c.image.clone(), c.name.clone()))
        .chain(
            spec.jobs
                .iter()
                .map(|j| (j.image.clone(), format!("{} job {}", j.phase, j.name))),
        );
    for (image, by) in uses {
        match rows.iter_mut().find(|(i, _)| *i == image) {
            Some((_, users)) => users.push(by),
            None => rows.push((image, vec![by])),
        }
    }
    view! {
        <fieldset class="images wide" data-testid="release-images">
            <legend>"Images"</legend>
            {rows.into_iter().enumerate().map(|(i, (image, users))| {
                let was = RwSignal::new(image.clone());
                let id = format!("image-{i}");
                view! {
                    <label for=id.clone()>{users.join(", ")}</label>
                    <input id=id class="mono" value=image on:change=move |ev| {
                        let new = event_target_value(&ev).trim().to_string();
                        let Some(area) = textarea.get() else { return };
                        let text = with_image(&area.value(), &was.get_untracked(), &new);
                        area.set_value(&text);
                        was.set(new);
                        on_edit.run(text);
                    }/>
                }
            }).collect_view()}
        </fieldset>
    }
}

#[component]
pub fn NewReleasePage() -> impl IntoView {
    let key = super::param("app");
    let releases = Resource::new(key, list_releases);
    let save = ServerAction::<CreateRelease>::new();
    let result: Signal<Option<Result<ReleaseDto, AppError>>> =
        Signal::derive(move || save.value().get());
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(r)) = result.get() {
            navigate(
                &format!("/applications/{}/releases/{}", key(), r.number),
                Default::default(),
            );
        }
    });
    // What was typed, and the text once typing paused: only that is checked.
    let typed = RwSignal::new(None::<String>);
    let settled = RwSignal::new(None::<String>);
    let check = Resource::new(
        move || settled.get(),
        move |text| async move {
            let source = text?;
            Some(
                check_release(
                    key(),
                    ReleaseForm {
                        source,
                        ..Default::default()
                    },
                )
                .await,
            )
        },
    );
    let area = NodeRef::<leptos::html::Textarea>::new();
    let edited = Callback::new(move |text: String| {
        typed.set(Some(text.clone()));
        settled.set(Some(text));
    });
    let on_input = move |ev| {
        let text = event_target_value(&ev);
        typed.set(Some(text.clone()));
        set_timeout(
            move || {
                if typed.get_untracked().as_deref() == Some(text.as_str()) {
                    settled.set(Some(text));
                }
            },
            PAUSE,
        );
    };
    view! {
        <Title text="New release"/>
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let list = match releases.await {
                    Err(e) => return view! { <ErrorPanel err=e/> }.into_any(),
                    Ok(list) => list,
                };
                let newest = list.first().map_or(0, |r| r.number);
                let start = list.first().map(|r| r.source.clone()).unwrap_or_default();
                let images = list.first().map(|r| view! { <ImagesForm spec=r.spec.clone() textarea=area on_edit=edited/> });
                view! {
                    <h1>{format!("{} · release {}", key(), newest + 1)}</h1>
                    <p class="muted">"YAML or JSON; the schema is at "
                        <a href="/schemas/release.schema.json">"/schemas/release.schema.json"</a>
                        ". It is checked as you type; nothing is stored until you save."</p>
                    <ActionForm action=save attr:class="form-grid" attr:novalidate=true>
                        <input type="hidden" name="application" value=key()/>
                        <input type="hidden" name="form[based_on]" value=newest.to_string()/>
                        <Field field="source" label="Release" error=failure(result) wide=true>
                            <textarea id="source" name="form[source]" class="mono release-editor" rows="30"
                                spellcheck="false" node_ref=area on:input=on_input>{start}</textarea>
                        </Field>
                        {images}
                        <Transition fallback=|| ()>
                            {move || Suspend::new(async move { view! { <CheckResult result=check.await/> } })}
                        </Transition>
                        <Field field="notes" label="Notes" error=failure(result) wide=true>
                            <input id="notes" name="form[notes]"/>
                        </Field>
                        <div class="actions"><button type="submit" class="button primary">"Save release"</button></div>
                    </ActionForm>
                    {move || match result.get() {
                        Some(Err(AppError::Invalid(errors))) => view! {
                            <CheckResult result=Some(Err(AppError::Invalid(errors)))/>
                        }.into_any(),
                        Some(Err(e)) => view! { <ErrorPanel err=e/> }.into_any(),
                        _ => ().into_any(),
                    }}
                }.into_any()
            })}
        </Suspense>
    }
}
