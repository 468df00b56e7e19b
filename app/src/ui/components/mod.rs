//! Small pieces shared by the pages.

mod feedback;
mod tier;
mod time;

pub use feedback::{ErrorPanel, FieldError, Pager, StateBadge};
pub use tier::tier_summary;
pub use time::format_time;
