//! Errors, field hints, state badges and paging links.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::dto::TenantState;
use crate::error::AppError;

/// A designed error box: what failed, in words, with a way forward.
#[component]
pub fn ErrorPanel(err: AppError) -> impl IntoView {
    let hint = match &err {
        AppError::Unauthorized => Some(view! { <A href="/login">"Sign in again"</A> }.into_any()),
        AppError::NotFound(_) => Some(view! { <A href="/">"Back to the dashboard"</A> }.into_any()),
        _ => None,
    };
    view! {
        <div class="panel error" role="alert">
            <p>{err.to_string()}</p>
            {hint}
        </div>
    }
}

/// The message for one field of a submitted form, shown under the field.
#[component]
pub fn FieldError<T: Clone + Send + Sync + 'static>(
    result: Signal<Option<Result<T, AppError>>>,
    field: &'static str,
) -> impl IntoView {
    move || {
        result
            .get()
            .and_then(|r| r.err())
            .and_then(|e| e.field_message(field))
            .map(|m| {
                view! { <p class="field-error" id=format!("{field}-error")>{m}</p> }
            })
    }
}

/// Under a form: a validation error as one line (the fields show their
/// own messages), anything else as an [`ErrorPanel`].
#[component]
pub fn FormError<T: Clone + Send + Sync + 'static>(
    result: Signal<Option<Result<T, AppError>>>,
) -> impl IntoView {
    move || match result.get() {
        Some(Err(e @ AppError::Invalid(_))) => {
            Some(view! { <p class="form-error" role="alert">{e.to_string()}</p> }.into_any())
        }
        Some(Err(e)) => Some(view! { <ErrorPanel err=e/> }.into_any()),
        _ => None,
    }
}

#[component]
pub fn StateBadge(state: TenantState) -> impl IntoView {
    view! { <span class=format!("badge state-{}", state.as_str())>{state.as_str()}</span> }
}

/// "Page 2 of 7" with previous/next links built by `href(page)`.
#[component]
pub fn Pager(
    page: u32,
    pages: u32,
    total: i64,
    href: impl Fn(u32) -> String + 'static,
) -> impl IntoView {
    let prev =
        (page > 1).then(|| view! { <A href=href(page - 1) attr:rel="prev">"← Previous"</A> });
    let next =
        (page < pages).then(|| view! { <A href=href(page + 1) attr:rel="next">"Next →"</A> });
    view! {
        <nav class="pager" aria-label="Pages">
            {prev}
            <span>{format!("Page {page} of {pages} · {total} in all")}</span>
            {next}
        </nav>
    }
}
