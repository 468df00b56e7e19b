//! Command-line operations that need no running console: `serve` start-up
//! and staff administration straight against the database.

mod first_admin;
mod serve;
mod staff;

pub use first_admin::{ensure_first_admin, FirstPassword};
pub use serve::run_serve;
pub use staff::{run_staff, StaffCommand};
