//! The hub every live message passes through: it numbers messages, keeps
//! the recent ones so a reconnecting client resumes where it was, and fans
//! them out to every stream.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use app::dto::{LiveEvent, LiveKind, Topic};
use tokio::sync::broadcast;

/// Messages kept for clients that reconnect (`Last-Event-ID`).
pub const REPLAY_CAPACITY: usize = 8192;
/// Messages a stream may fall behind before it is dropped and must resync.
pub const CLIENT_BUFFER: usize = 1024;

/// A numbered message. Its id is `<boot>-<seq>`: a client holding an id from
/// before a restart is told to resync rather than given wrong messages.
#[derive(Debug)]
pub struct Numbered {
    pub seq: u64,
    pub id: String,
    pub event: LiveEvent,
}

/// Where a (re)connecting client starts.
#[derive(Debug)]
pub enum Resume {
    /// No id given: only what happens from now on.
    Fresh,
    /// The messages it missed (possibly none).
    Missed(Vec<Arc<Numbered>>),
    /// Its id is unknown or too old: it must reload what it shows.
    Resync,
}

#[derive(Clone)]
pub struct Hub {
    inner: Arc<Mutex<Ring>>,
    tx: broadcast::Sender<Arc<Numbered>>,
    boot: String,
    /// Set when the server shuts down, so open streams end.
    closing: Arc<tokio::sync::watch::Sender<bool>>,
}

struct Ring {
    next: u64,
    recent: VecDeque<Arc<Numbered>>,
}

impl Default for Hub {
    fn default() -> Self {
        Self::new()
    }
}

impl Hub {
    pub fn new() -> Hub {
        let (tx, _) = broadcast::channel(CLIENT_BUFFER);
        Hub {
            inner: Arc::new(Mutex::new(Ring {
                next: 1,
                recent: VecDeque::with_capacity(REPLAY_CAPACITY),
            })),
            tx,
            boot: format!("{:x}", crate::store::now_ms()),
            closing: Arc::new(tokio::sync::watch::channel(false).0),
        }
    }

    /// Ends every open stream (the server is shutting down).
    pub fn close(&self) {
        self.closing.send_replace(true);
    }

    /// Resolves once [`Hub::close`] was called.
    pub fn closing(&self) -> tokio::sync::watch::Receiver<bool> {
        self.closing.subscribe()
    }

    /// Numbers and sends one message to every stream.
    pub fn publish(&self, topic: Topic, kind: LiveKind, data: serde_json::Value) {
        let event = LiveEvent { topic, kind, data };
        let Ok(mut ring) = self.inner.lock() else {
            return;
        };
        let seq = ring.next;
        ring.next += 1;
        let n = Arc::new(Numbered {
            seq,
            id: format!("{}-{seq}", self.boot),
            event,
        });
        if ring.recent.len() == REPLAY_CAPACITY {
            ring.recent.pop_front();
        }
        ring.recent.push_back(Arc::clone(&n));
        // Sent under the lock, so a subscriber sees each message exactly
        // once: either in its replay or on its receiver.
        let _ = self.tx.send(n);
    }

    /// Subscribes, with the messages after `last_id` when it is given.
    pub fn subscribe(&self, last_id: Option<&str>) -> (broadcast::Receiver<Arc<Numbered>>, Resume) {
        let Ok(ring) = self.inner.lock() else {
            return (self.tx.subscribe(), Resume::Resync);
        };
        let rx = self.tx.subscribe();
        let Some(last) = last_id.map(str::trim).filter(|s| !s.is_empty()) else {
            return (rx, Resume::Fresh);
        };
        let seq = last
            .split_once('-')
            .filter(|(boot, _)| *boot == self.boot)
            .and_then(|(_, seq)| seq.parse::<u64>().ok());
        let oldest = ring.recent.front().map(|n| n.seq).unwrap_or(ring.next);
        let resume = match seq {
            Some(s) if s < ring.next && s + 1 >= oldest => {
                Resume::Missed(ring.recent.iter().filter(|n| n.seq > s).cloned().collect())
            }
            _ => Resume::Resync,
        };
        (rx, resume)
    }

    /// How many streams are connected.
    pub fn streams(&self) -> usize {
        self.tx.receiver_count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seqs(r: Resume) -> Vec<u64> {
        match r {
            Resume::Missed(v) => v.iter().map(|n| n.seq).collect(),
            other => panic!("expected missed messages, got {other:?}"),
        }
    }

    #[test]
    fn a_reconnect_gets_exactly_what_it_missed() {
        let hub = Hub::new();
        for i in 0..5 {
            hub.publish(Topic::Tenants, LiveKind::Tenant, serde_json::json!(i));
        }
        let (_rx, r) = hub.subscribe(Some(&format!("{}-3", hub.boot)));
        assert_eq!(seqs(r), vec![4, 5]);
        let (_rx, r) = hub.subscribe(Some(&format!("{}-5", hub.boot)));
        assert_eq!(seqs(r), Vec::<u64>::new());
        assert!(matches!(hub.subscribe(None).1, Resume::Fresh));
    }

    #[test]
    fn unknown_future_or_forgotten_ids_resync() {
        let hub = Hub::new();
        for _ in 0..(REPLAY_CAPACITY + 10) {
            hub.publish(Topic::Tenants, LiveKind::Tenant, serde_json::Value::Null);
        }
        for bad in [
            "nonsense".to_string(),
            "0-1".to_string(),
            format!("{}-1", hub.boot),
            format!("{}-999999", hub.boot),
        ] {
            assert!(
                matches!(hub.subscribe(Some(&bad)).1, Resume::Resync),
                "{bad}"
            );
        }
        let (_rx, r) = hub.subscribe(Some(&format!("{}-11", hub.boot)));
        assert_eq!(seqs(r).len(), REPLAY_CAPACITY - 1);
    }

    #[tokio::test]
    async fn live_messages_follow_the_replay_without_gap() {
        let hub = Hub::new();
        hub.publish(Topic::Alerts, LiveKind::Alert, serde_json::Value::Null);
        let (mut rx, r) = hub.subscribe(Some(&format!("{}-0", hub.boot)));
        assert_eq!(seqs(r), vec![1]);
        hub.publish(Topic::Alerts, LiveKind::Alert, serde_json::Value::Null);
        assert_eq!(rx.recv().await.map(|n| n.seq).ok(), Some(2));
    }
}
