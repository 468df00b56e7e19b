//! Command-line operations that need no running console: `serve` start-up
//! and staff administration straight against the database.

mod serve;
mod staff;

pub use serve::{ensure_first_admin, run_serve};
pub use staff::{run_staff, StaffCommand};
