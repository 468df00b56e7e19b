//! Command-line operations that need no running console: `serve` start-up
//! and staff administration straight against the database.

mod serve;
mod staff;

pub use serve::run_serve;
pub use staff::{run_staff, StaffCommand};
