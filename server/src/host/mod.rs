//! The commands that run on the console's host, beside its database:
//! `serve` (start-up: the first admin, the console, its background work)
//! and staff administration straight against the database. The HTTP
//! client behind `tenantry tenant …` is `client/`.

mod first_admin;
mod serve;
mod staff;

pub use first_admin::{ensure_first_admin, FirstPassword};
pub use serve::run_serve;
pub use staff::{run_staff, StaffCommand};
