//! Following a run until it ends: the live stream (`run:<id>`) says when
//! it changed, the run is read again, and each step gets a progress line
//! (bars on a terminal, plain lines otherwise). Ends with the run's outcome;
//! a failed run is an error naming the failed step and its cause.

use std::collections::HashMap;
use std::io::IsTerminal;
use std::time::Duration;

use app::dto::{RunDto, RunState, StepState};
use eventsource_stream::{Event, EventStreamError, Eventsource};
use futures::StreamExt;
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};

use super::api::{Api, CliResult, ClientError, Exit};

/// Also read the run this often, in case the stream is interrupted.
const POLL: Duration = Duration::from_secs(5);

enum Show {
    Bars(MultiProgress, HashMap<i64, ProgressBar>),
    Lines(HashMap<i64, StepState>),
}

impl Show {
    fn new() -> Show {
        if std::io::stderr().is_terminal() {
            Show::Bars(MultiProgress::new(), HashMap::new())
        } else {
            Show::Lines(HashMap::new())
        }
    }

    fn update(&mut self, run: &RunDto) {
        match self {
            Show::Bars(multi, bars) => {
                let style = ProgressStyle::with_template("{spinner} {prefix:<24} {msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner());
                for s in &run.steps {
                    let bar = bars.entry(s.position).or_insert_with(|| {
                        let b = multi.add(ProgressBar::new_spinner());
                        b.set_style(style.clone());
                        b.set_prefix(s.name.clone());
                        b
                    });
                    match s.state {
                        StepState::Running => {
                            bar.enable_steady_tick(Duration::from_millis(120));
                            bar.set_message(format!("running (attempt {})", s.attempts.max(1)));
                        }
                        StepState::Pending => bar.set_message("waiting"),
                        other => {
                            let why = s.last_error.as_deref().unwrap_or("");
                            bar.finish_with_message(format!("{other} {why}"));
                        }
                    }
                }
            }
            Show::Lines(seen) => {
                for s in &run.steps {
                    if seen.get(&s.position) != Some(&s.state) {
                        seen.insert(s.position, s.state);
                        if s.state != StepState::Pending {
                            let why = s
                                .last_error
                                .as_deref()
                                .map(|e| format!(": {e}"))
                                .unwrap_or_default();
                            eprintln!("run {} step {} {}{why}", run.id, s.name, s.state);
                        }
                    }
                }
            }
        }
    }
}

/// The console's live stream of `topics`; `None` when it serves none now.
pub(super) async fn live_events(
    api: &Api,
    topics: &str,
) -> Option<impl futures::Stream<Item = Result<Event, EventStreamError<reqwest::Error>>> + Unpin> {
    let req = api
        .request(
            reqwest::Method::GET,
            &format!("/api/v1/live?topics={topics}"),
        )
        .ok()?;
    let res = req.send().await.ok()?;
    res.status()
        .is_success()
        .then(|| res.bytes_stream().eventsource())
}

/// What the next read of a live stream says to someone following it.
pub(super) enum Heard {
    /// A message or a resync: read what you show again.
    Changed,
    /// The token stopped working (why).
    SignedOut(String),
    /// Replaced, dropped, unavailable or ended: reconnect later.
    Ended,
}

pub(super) fn heard<E>(next: Option<Result<Event, E>>) -> Heard {
    match next {
        Some(Ok(e)) if matches!(e.event.as_str(), "message" | "resync") => Heard::Changed,
        Some(Ok(e)) if e.event == "signed-out" => Heard::SignedOut(e.data),
        _ => Heard::Ended,
    }
}

fn finished(run: &RunDto) -> bool {
    run.state.is_finished()
}

/// Follows run `id` to its end: `Ok` when it completed, an error with exit
/// code [`Exit::RunFailed`] naming the failed step otherwise.
pub async fn follow_run(api: &Api, id: i64) -> CliResult<RunDto> {
    let path = format!("/api/v1/runs/{id}");
    let mut show = Show::new();
    let mut run: RunDto = api.get(&path).await?;
    show.update(&run);
    let mut backoff = Duration::from_secs(1);
    while !finished(&run) {
        // The stream only says "something changed"; the run is read again
        // either way, and read every POLL while the stream is quiet.
        if let Some(mut events) = live_events(api, &app::dto::Topic::Run(id).to_string()).await {
            backoff = Duration::from_secs(1);
            loop {
                if let Ok(next) = tokio::time::timeout(POLL, events.next()).await {
                    match heard(next) {
                        Heard::Changed => {}
                        Heard::SignedOut(why) => {
                            return Err(ClientError::new(
                                Exit::Auth,
                                format!("the token stopped working: {why}"),
                            ));
                        }
                        Heard::Ended => break,
                    }
                }
                run = api.get(&path).await?;
                show.update(&run);
                if finished(&run) {
                    break;
                }
            }
        }
        if !finished(&run) {
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(POLL);
            run = api.get(&path).await?;
            show.update(&run);
        }
    }
    if run.state == RunState::Completed {
        return Ok(run);
    }
    let failed = run.steps.iter().find(|s| s.state == StepState::Failed);
    let cause = match failed {
        Some(s) => format!(
            "step \"{}\" failed: {}",
            s.name,
            s.last_error.as_deref().unwrap_or("no reason recorded")
        ),
        None => "no step failed".into(),
    };
    Err(ClientError::new(
        Exit::RunFailed,
        format!("run {} of {} {}: {cause}", run.id, run.tenant_id, run.state),
    ))
}
