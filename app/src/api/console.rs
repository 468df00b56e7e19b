//! The console as the server functions and `/api/v1` see it: every
//! capability trait at once. The `server` crate implements each trait in
//! its own `console/<capability>.rs`, checking the role of `who` on every
//! call; nothing forwards from one name to another.

use std::sync::Arc;

use super::alerts::Alerts;
use super::channels::Channels;
use super::credentials::Credentials;
use super::operations::Operations;
use super::records::Records;
use super::runs::Runs;
use super::session::Session;
use super::staff::Staff;
use super::templates::Templates;
use super::tenants::Tenants;
use super::Method;

/// Everything staff can do, one capability at a time.
pub trait Console:
    Session
    + Tenants
    + Credentials
    + Operations
    + Runs
    + Alerts
    + Channels
    + Staff
    + Templates
    + Records
    + 'static
{
}

impl<T> Console for T where
    T: Session
        + Tenants
        + Credentials
        + Operations
        + Runs
        + Alerts
        + Channels
        + Staff
        + Templates
        + Records
        + 'static
{
}

/// Every capability's methods, with where each is served.
pub fn capabilities() -> impl Iterator<Item = &'static Method> {
    [
        super::alerts::METHODS,
        super::channels::METHODS,
        super::credentials::METHODS,
        super::operations::METHODS,
        super::records::METHODS,
        super::runs::METHODS,
        super::session::METHODS,
        super::staff::METHODS,
        super::templates::METHODS,
        super::tenants::METHODS,
    ]
    .into_iter()
    .flatten()
}

/// The handle put into Leptos context.
#[derive(Clone)]
pub struct ConsoleHandle(pub Arc<dyn Console>);
