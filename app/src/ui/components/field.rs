//! One field of a form: its label, its input, and the server's message for
//! it. The one way the pages write a field, so new forms reuse it.

use leptos::prelude::*;

use crate::error::AppError;

/// The error of a submitted form's result, for [`Field`].
pub fn failure<T: Clone + Send + Sync + 'static>(
    result: Signal<Option<Result<T, AppError>>>,
) -> Signal<Option<AppError>> {
    Signal::derive(move || result.get().and_then(|r| r.err()))
}

/// A label (with an optional muted note) for the input given as children,
/// whose id is `id` (`field` when not given), and under it the message for
/// the form key `field` from `error` (and from `also`, a second result such
/// as a dry-run's), when the form has one.
#[component]
pub fn Field(
    #[prop(into)] field: String,
    #[prop(into)] label: String,
    #[prop(optional, into)] error: Option<Signal<Option<AppError>>>,
    #[prop(optional, into)] also: Option<Signal<Option<AppError>>>,
    #[prop(optional, into)] id: Option<String>,
    #[prop(optional)] note: &'static str,
    /// Spans the form's width.
    #[prop(optional)]
    wide: bool,
    children: Children,
) -> impl IntoView {
    let id = id.unwrap_or_else(|| field.clone());
    let message = |source: Signal<Option<AppError>>| {
        let field = field.clone();
        move || {
            source
                .get()
                .and_then(|e| e.field_message(&field))
                .map(|m| view! { <p class="field-error" id=format!("{field}-error")>{m}</p> })
        }
    };
    view! {
        <div class=if wide { "field wide" } else { "field" }>
            <label for=id>
                {label}
                {(!note.is_empty()).then(|| view! { " " <span class="muted">{note}</span> })}
            </label>
            {children()}
            {error.map(&message)}
            {also.map(&message)}
        </div>
    }
}
