//! What every handler shares (the router is built over it).

use std::sync::Arc;

use axum::extract::FromRef;
use leptos::prelude::LeptosOptions;

use crate::console::ConsoleService;
use crate::store::Store;

/// Shared by every handler; cloned per request (all fields are handles).
#[derive(Clone)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub store: Store,
    pub console: Arc<ConsoleService>,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}
