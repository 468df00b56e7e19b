//! Small pieces shared by the pages.

mod charts;
mod custom_fields;
mod feedback;
mod field;
mod health;
mod tier;
mod time;
mod url;

pub use charts::{app_row::Row as DurationRow, DurationBars, Series, StackedBars};
pub use custom_fields::{CustomFieldFacts, CustomFieldInputs};
pub use feedback::{ErrorPanel, FieldError, FormError, Pager, StateBadge};
pub use field::{failure, Field};
pub use health::{format_duration, step_icon, HealthBadge};
pub use tier::{tier_summary, TemplateOptions};
pub use time::{format_age, format_time};
pub use url::urlencode;
