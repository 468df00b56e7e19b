//! Tenantry's web console: pages, components, DTOs and server-function
//! declarations. Compiled twice: for the server (`ssr`) and to wasm (`hydrate`).

pub mod api;
pub mod domain;
pub mod dto;
pub mod error;
pub mod ui;

pub use ui::shell::{shell, App};

/// Entry point of the wasm bundle: takes over the server-rendered page.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(App);
}
