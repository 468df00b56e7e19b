//! Staff authentication: password hashing, sign-in throttling, and the
//! request layers that resolve a session to a principal and refuse
//! cross-origin writes.

mod layers;
mod password;
mod throttle;

pub use layers::{
    reject_cross_origin, require_api_session, require_page_session, resolve_principal, PUBLIC_API,
    SESSION_EPOCH, SESSION_STAFF_ID,
};
pub use password::{generate_password, hash_password, random_chars, verify_password};
pub use throttle::{Throttle, ThrottlePolicy};
