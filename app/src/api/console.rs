//! The console as the server functions and `/api/v1` see it: every
//! capability trait at once. The `server` crate implements each trait in
//! its own `console/<capability>.rs`, checking the role of `who` on every
//! call; nothing forwards from one name to another.

use std::sync::Arc;

use super::alerts::Alerts;
use super::applications::Applications;
use super::channels::Channels;
use super::credentials::Credentials;
use super::operations::Operations;
use super::records::Records;
use super::rollouts::Rollouts;
use super::runs::Runs;
use super::session::Session;
use super::staff::Staff;
use super::templates::Templates;
use super::tenants::Tenants;
use super::{ArgumentCheck, Method};

/// The capabilities, listed once: the [`Console`] trait over all of them,
/// the list of their methods, and the list of their argument checks.
macro_rules! capabilities {
    ($($module:ident::$name:ident),+ $(,)?) => {
        /// Everything staff can do, one capability at a time.
        pub trait Console: $($name +)+ 'static {}

        impl<T> Console for T where T: $($name +)+ 'static {}

        /// Every capability's methods, with where each is served.
        pub fn capabilities() -> impl Iterator<Item = &'static Method> {
            [$(super::$module::METHODS),+].into_iter().flatten()
        }

        /// Every server function's argument check.
        pub fn checked_arguments() -> impl Iterator<Item = &'static ArgumentCheck> {
            [$(super::$module::ARGUMENTS),+].into_iter().flatten()
        }
    };
}

capabilities!(
    session::Session,
    tenants::Tenants,
    credentials::Credentials,
    operations::Operations,
    runs::Runs,
    alerts::Alerts,
    channels::Channels,
    staff::Staff,
    templates::Templates,
    applications::Applications,
    records::Records,
    rollouts::Rollouts,
);

/// The handle put into Leptos context.
#[derive(Clone)]
pub struct ConsoleHandle(pub Arc<dyn Console>);
