//! Staff authentication: password hashing (a bounded pool), sign-in
//! throttling, the client's address, and the request layers that resolve a
//! session to a principal, hold a generated password to its change, and
//! refuse cross-origin writes.

mod client;
mod layers;
mod password;
mod throttle;
mod tokens;

pub use crate::values::random_chars;
pub use client::{address_of, client_address, ClientAddr, TrustedProxies};
pub use layers::{
    reject_cross_origin, require_api_session, require_page_session, require_password_change,
    resolve_principal, PublicOrigin, LIVE_STREAM, PASSWORD_CHANGE_PAGE, PUBLIC_API, SESSION_EPOCH,
    SESSION_STAFF_ID,
};
pub use password::{generate_password, hash_password, try_hash_slot, verify_password, HashSlot};
pub use throttle::{Record, Throttle, ThrottlePolicy, USER_KEY};
pub use tokens::{bearer, hash_token, mint_token, MintedToken};
