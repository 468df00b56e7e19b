//! `GET /api/live?topics=…`: the one server-sent-event stream per browser
//! tab. It resumes from `Last-Event-ID`, sends keep-alives, drops a client
//! that falls behind (it reconnects and resumes or resyncs), and ends when
//! the session does. A session holds at most a few streams (one more
//! replaces the oldest: `event: replaced`); a storage outage while checking
//! the session ends the stream with `event: unavailable` (the browser
//! reconnects), never with "signed out".

use std::collections::{HashMap, VecDeque};
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use app::dto::Principal;
use app::error::AppError;
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use tokio::sync::broadcast::error::RecvError;
use tower_sessions::session::Id;
use tower_sessions::{Session, SessionStore as _};

use super::hub::{Numbered, Resume};
use super::streams::{Streams, Ticket};
use super::topics::Topics;
use crate::auth::{SESSION_EPOCH, SESSION_STAFF_ID};
use crate::store::{SessionStore, Store};

/// How often a stream checks that its session is still signed in.
pub const SESSION_CHECK: Duration = Duration::from_secs(3);
/// A comment line this often keeps proxies from closing an idle stream.
pub const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// A refusal before the stream opens, as a JSON `Problem` (the API's
/// error shape; a browser's EventSource only sees the status).
fn refuse(e: AppError) -> Response {
    crate::answer::ApiError::from(e).into_response()
}

/// Opens a stream for the caller (`/api/live` for the pages,
/// `/api/v1/live` for the API; both routes call this).
pub async fn open(
    live: &super::Live,
    store: Store,
    session: Session,
    principal: Principal,
    headers: HeaderMap,
    query: HashMap<String, String>,
) -> Response {
    if principal.0.is_none() {
        return refuse(AppError::Unauthorized);
    }
    let topics = match Topics::parse(query.get("topics").map(String::as_str).unwrap_or("")) {
        Ok(t) => t,
        Err(e) => return refuse(e),
    };
    let ids = async {
        Some((
            session.id()?,
            session.get::<i64>(SESSION_STAFF_ID).await.ok()??,
            session.get::<i64>(SESSION_EPOCH).await.ok()??,
        ))
    };
    // A bearer token's stream lives as long as the token works; a
    // session's as long as the session.
    let holder = match principal.0.as_ref().and_then(|w| w.token) {
        Some(id) => Holder::Token { id },
        None => {
            let Some((sid, staff_id, epoch)) = ids.await else {
                return refuse(AppError::Unauthorized);
            };
            Holder::Session {
                sid,
                staff_id,
                epoch,
            }
        }
    };
    // The browser sends the header on its own reconnects; a page that
    // reopens the stream for new topics passes the id in the query.
    let last = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .or_else(|| query.get("last_event_id").cloned());
    let ticket = live.streams().open(&holder.key());
    let hub = live.hub();
    let closing = hub.closing();
    let (rx, resume) = hub.subscribe(last.as_deref());
    let mut backlog = VecDeque::new();
    match resume {
        Resume::Fresh => {}
        Resume::Missed(missed) => backlog.extend(missed.into_iter().map(Some)),
        Resume::Resync => backlog.push_back(None),
    }
    let client = Client {
        backlog,
        rx,
        topics,
        check: tokio::time::interval_at(tokio::time::Instant::now() + SESSION_CHECK, SESSION_CHECK),
        guard: Guard {
            store,
            holder,
            streams: Arc::clone(live.streams()),
        },
        ticket,
        ended: false,
        closing,
    };
    Sse::new(futures::stream::unfold(client, Client::next))
        .keep_alive(KeepAlive::new().interval(KEEP_ALIVE))
        .into_response()
}

/// Whether the stream's session is still signed in (not logged out,
/// expired, disabled or reset); the answer is shared by the session's
/// streams for [`SESSION_CHECK`].
struct Guard {
    store: Store,
    holder: Holder,
    streams: Arc<Streams>,
}

/// What a stream was opened with.
enum Holder {
    Session { sid: Id, staff_id: i64, epoch: i64 },
    Token { id: i64 },
}

impl Holder {
    /// Streams are bounded per session, or per token.
    fn key(&self) -> String {
        match self {
            Holder::Session { sid, .. } => sid.to_string(),
            Holder::Token { id } => format!("token:{id}"),
        }
    }
}

impl Guard {
    /// `Err` when the database could not say (the stream ends, to be retried).
    async fn signed_in(&self) -> Result<bool, String> {
        let key = self.holder.key();
        if let Some(ok) = self.streams.cached(&key, SESSION_CHECK) {
            return Ok(ok);
        }
        let ok = match &self.holder {
            Holder::Token { id } => self
                .store
                .token_works(*id)
                .await
                .map_err(|e| e.to_string())?,
            Holder::Session {
                sid,
                staff_id,
                epoch,
            } => {
                let sessions = SessionStore::new(self.store.clone());
                match sessions.load(sid).await.map_err(|e| e.to_string())? {
                    None => false,
                    Some(_) => matches!(
                        self.store.staff_by_id(*staff_id).await.map_err(|e| e.to_string())?,
                        Some(row) if row.is_active() && row.session_epoch == *epoch
                    ),
                }
            }
        };
        self.streams.remember(&key, ok);
        Ok(ok)
    }
}

struct Client {
    /// Replayed messages first; `None` stands for "resync".
    backlog: VecDeque<Option<Arc<Numbered>>>,
    rx: tokio::sync::broadcast::Receiver<Arc<Numbered>>,
    topics: Topics,
    check: tokio::time::Interval,
    guard: Guard,
    /// This stream's place among its session's streams.
    ticket: Ticket,
    ended: bool,
    closing: tokio::sync::watch::Receiver<bool>,
}

fn message(n: &Numbered) -> Event {
    Event::default()
        .id(n.id.clone())
        .event("message")
        .data(serde_json::to_string(&n.event).unwrap_or_default())
}

fn control(name: &str, why: &str) -> Event {
    Event::default().event(name).data(why)
}

impl Client {
    async fn next(mut self) -> Option<(Result<Event, Infallible>, Client)> {
        if self.ended || *self.closing.borrow() {
            return None;
        }
        while let Some(item) = self.backlog.pop_front() {
            match item {
                Some(n) if self.topics.wants(&n.event.topic) => {
                    return Some((Ok(message(&n)), self))
                }
                Some(_) => {}
                None => {
                    let e = control("resync", "missed messages are gone; reload what you show");
                    return Some((Ok(e), self));
                }
            }
        }
        loop {
            tokio::select! {
                got = self.rx.recv() => match got {
                    Ok(n) if self.topics.wants(&n.event.topic) => return Some((Ok(message(&n)), self)),
                    Ok(_) => {}
                    Err(RecvError::Lagged(_)) => {
                        // Too slow: end here; the browser reconnects with
                        // its last id and catches up from the replay.
                        self.ended = true;
                        crate::metrics::metrics().live_dropped.inc();
                        return Some((Ok(control("dropped", "the stream fell behind")), self));
                    }
                    Err(RecvError::Closed) => return None,
                },
                _ = self.closing.changed() => return None,
                _ = self.ticket.replaced.changed() => {
                    self.ended = true;
                    let why = "a newer stream of this session replaced this one";
                    return Some((Ok(control("replaced", why)), self));
                }
                _ = self.check.tick() => match self.guard.signed_in().await {
                    Ok(true) => {}
                    Ok(false) => {
                        self.ended = true;
                        return Some((Ok(control("signed-out", "the session has ended")), self));
                    }
                    Err(why) => {
                        tracing::warn!(error = %why, "live stream: the session could not be checked");
                        self.ended = true;
                        let e = control("unavailable", "the session could not be checked; reconnect")
                            .retry(Duration::from_secs(3));
                        return Some((Ok(e), self));
                    }
                },
            }
        }
    }
}
