//! Several console processes on one database: who this process is, the one
//! leader for work that must happen once, live fan-out of writes between
//! replicas, and the refusal of a second console on one SQLite file. Runs
//! themselves are claimed with leases by the store (`store/execution.rs`).

mod fanout;
mod leader;
mod setup;
mod single;

use std::sync::OnceLock;

pub use fanout::{decode, encode, start_fanout, CHANNEL};
pub use leader::Leadership;
pub use setup::one_replica_at_a_time;
pub use single::ServeLock;

/// This process as other replicas and the step history see it:
/// `<host>/<pid>/<boot>` (the boot part tells a restart on the same pid).
pub fn process_id() -> &'static str {
    static ID: OnceLock<String> = OnceLock::new();
    ID.get_or_init(|| {
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .ok()
            .map(|h| h.trim().to_string())
            .filter(|h| !h.is_empty())
            .or_else(|| std::env::var("HOSTNAME").ok())
            .unwrap_or_else(|| "host".into());
        let boot = crate::auth::random_chars(b"abcdefghijkmnpqrstuvwxyz23456789", 6);
        format!("{host}/{}/{boot}", std::process::id())
    })
}
