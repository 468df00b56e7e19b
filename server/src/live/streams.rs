//! Bounds on live streams: a session holds at most a few at once (one more
//! replaces the oldest, which is told `replaced` and closed), and all of a
//! session's streams share one cached answer to "still signed in?", so six
//! tabs cost one session check every few seconds, not six.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::watch;

/// Live streams one session may hold open by default.
pub const STREAMS_PER_SESSION: usize = 6;

#[derive(Default)]
struct Inner {
    next: u64,
    /// Open streams per session id, oldest first, each with its "replaced" switch.
    open: HashMap<String, VecDeque<(u64, watch::Sender<bool>)>>,
    /// The last "still signed in?" answer per session id, and when it was given.
    checks: HashMap<String, (Instant, bool)>,
}

pub struct Streams {
    per_session: usize,
    inner: Mutex<Inner>,
}

/// One open stream; dropping it (the stream ended) forgets it.
pub struct Ticket {
    id: u64,
    session: String,
    /// Turns true when a newer stream of the same session replaced this one.
    pub replaced: watch::Receiver<bool>,
    streams: Arc<Streams>,
}

impl Drop for Ticket {
    fn drop(&mut self) {
        crate::metrics::metrics().live_streams.dec();
        let mut inner = self.streams.lock();
        if let Some(list) = inner.open.get_mut(&self.session) {
            list.retain(|(id, _)| *id != self.id);
            if list.is_empty() {
                inner.open.remove(&self.session);
                inner.checks.remove(&self.session);
            }
        }
    }
}

impl Streams {
    pub fn new(per_session: usize) -> Arc<Streams> {
        Arc::new(Streams {
            per_session: per_session.max(1),
            inner: Mutex::new(Inner::default()),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Registers a new stream of `session`; the oldest ones beyond the limit
    /// are told they were replaced.
    pub fn open(self: &Arc<Self>, session: &str) -> Ticket {
        let (tx, rx) = watch::channel(false);
        let mut inner = self.lock();
        inner.next += 1;
        let id = inner.next;
        let list = inner.open.entry(session.to_string()).or_default();
        list.push_back((id, tx));
        while list.len() > self.per_session {
            if let Some((_, old)) = list.pop_front() {
                old.send_replace(true);
            }
        }
        crate::metrics::metrics().live_streams.inc();
        Ticket {
            id,
            session: session.to_string(),
            replaced: rx,
            streams: Arc::clone(self),
        }
    }

    /// The session's last answer, if it is younger than `fresh`.
    pub fn cached(&self, session: &str, fresh: Duration) -> Option<bool> {
        self.lock()
            .checks
            .get(session)
            .filter(|(at, _)| at.elapsed() < fresh)
            .map(|(_, ok)| *ok)
    }

    pub fn remember(&self, session: &str, ok: bool) {
        let mut inner = self.lock();
        if inner.open.contains_key(session) {
            inner
                .checks
                .insert(session.to_string(), (Instant::now(), ok));
        }
    }

    /// Open streams of a session (for tests).
    pub fn count(&self, session: &str) -> usize {
        self.lock().open.get(session).map_or(0, VecDeque::len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_more_than_the_limit_replaces_the_oldest() {
        let streams = Streams::new(2);
        let first = streams.open("s");
        let second = streams.open("s");
        let other = streams.open("t");
        assert!(!*first.replaced.borrow());
        let third = streams.open("s");
        assert!(*first.replaced.borrow(), "the oldest is replaced");
        assert!(!*second.replaced.borrow() && !*third.replaced.borrow());
        assert!(!*other.replaced.borrow(), "other sessions are not touched");
        assert_eq!(streams.count("s"), 2);
        drop(second);
        drop(third);
        assert_eq!(streams.count("s"), 0);
        drop(first);
        assert_eq!(streams.count("t"), 1);
    }

    #[test]
    fn answers_are_shared_while_fresh_and_forgotten_with_the_last_stream() {
        let streams = Streams::new(6);
        let t = streams.open("s");
        assert_eq!(streams.cached("s", Duration::from_secs(3)), None);
        streams.remember("s", true);
        assert_eq!(streams.cached("s", Duration::from_secs(3)), Some(true));
        assert_eq!(
            streams.cached("s", Duration::ZERO),
            None,
            "stale answers are not used"
        );
        drop(t);
        assert_eq!(streams.cached("s", Duration::from_secs(3)), None);
    }
}
