//! The console's whole API, one file per capability. Each file declares
//! its capability trait (what the server implements, with the role check
//! of every call) and the server functions the pages call, each one line
//! through [`serve!`]; `/api/v1` serves the same trait methods. A test
//! (`server/tests/api_v1.rs`) holds every method against the server
//! functions and the OpenAPI document by the surfaces it declares.

#[macro_use]
mod declare;

pub mod alerts;
pub mod applications;
pub mod channels;
pub mod credentials;
pub mod operations;
pub mod records;
pub mod rollouts;
pub mod runs;
pub mod session;
pub mod staff;
pub mod templates;
pub mod tenants;

#[cfg(feature = "ssr")]
mod arguments;
#[cfg(feature = "ssr")]
mod console;
#[cfg(feature = "ssr")]
pub(crate) mod ctx;

#[cfg(feature = "ssr")]
pub use arguments::ArgumentCheck;
#[cfg(feature = "ssr")]
pub use console::{capabilities, checked_arguments, Console, ConsoleHandle};
pub use declare::{Method, Surface};

/// The capability traits, for calling them on a [`Console`] (imported
/// without their names, which the server's own types may share).
#[cfg(feature = "ssr")]
pub mod prelude {
    pub use super::alerts::Alerts as _;
    pub use super::applications::Applications as _;
    pub use super::channels::Channels as _;
    pub use super::credentials::Credentials as _;
    pub use super::operations::Operations as _;
    pub use super::records::Records as _;
    pub use super::rollouts::Rollouts as _;
    pub use super::runs::Runs as _;
    pub use super::session::Session as _;
    pub use super::staff::Staff as _;
    pub use super::templates::Templates as _;
    pub use super::tenants::Tenants as _;
}
