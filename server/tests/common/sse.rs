//! A reader of the console's live stream (`text/event-stream`), for tests.

use std::time::Duration;

use super::TestServer;

/// One server-sent event.
#[derive(Debug, Clone, PartialEq)]
pub struct Sse {
    pub id: Option<String>,
    pub event: String,
    pub data: String,
}

/// Reads a `text/event-stream` body frame by frame.
pub struct SseReader {
    res: reqwest::Response,
    buf: String,
}

impl SseReader {
    pub async fn open(
        srv: &TestServer,
        client: &reqwest::Client,
        topics: &str,
        last: Option<&str>,
    ) -> SseReader {
        Self::open_at(&srv.base, client, topics, last).await
    }

    /// The same against a console at `base` (another process).
    pub async fn open_at(
        base: &str,
        client: &reqwest::Client,
        topics: &str,
        last: Option<&str>,
    ) -> SseReader {
        let mut req = client.get(format!("{base}/api/live?topics={topics}"));
        if let Some(id) = last {
            req = req.header("Last-Event-ID", id);
        }
        let res = req.send().await.expect("stream request");
        assert_eq!(res.status(), 200, "stream for {topics}");
        assert!(res
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/event-stream")));
        SseReader {
            res,
            buf: String::new(),
        }
    }

    /// The next event (keep-alive comments skipped); `None` when the stream
    /// ended or nothing came within `wait`.
    pub async fn next(&mut self, wait: Duration) -> Option<Sse> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            if let Some(end) = self.buf.find("\n\n") {
                let frame: String = self.buf.drain(..end + 2).collect();
                let mut ev = Sse {
                    id: None,
                    event: "message".into(),
                    data: String::new(),
                };
                let mut any = false;
                for line in frame.lines() {
                    if let Some(v) = line.strip_prefix("id:") {
                        ev.id = Some(v.trim().to_string());
                        any = true;
                    } else if let Some(v) = line.strip_prefix("event:") {
                        ev.event = v.trim().to_string();
                        any = true;
                    } else if let Some(v) = line.strip_prefix("data:") {
                        ev.data.push_str(v.trim_start());
                        any = true;
                    }
                }
                if any {
                    return Some(ev);
                }
                continue;
            }
            let chunk = tokio::time::timeout_at(deadline, self.res.chunk()).await;
            match chunk {
                Ok(Ok(Some(bytes))) => self.buf.push_str(&String::from_utf8_lossy(&bytes)),
                _ => return None,
            }
        }
    }

    /// Messages until `done` says stop (or the wait runs out).
    pub async fn until(&mut self, mut done: impl FnMut(&[Sse]) -> bool) -> Vec<Sse> {
        let mut got = vec![];
        while !done(&got) {
            match self.next(Duration::from_secs(10)).await {
                Some(e) => got.push(e),
                None => break,
            }
        }
        got
    }
}
