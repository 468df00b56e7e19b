//! The browser's end of the live stream: one `EventSource` per tab, opened
//! by the frame for the topics the current page asks for. Pages read a
//! tick that moves when something they show changed, and refetch.

use leptos::prelude::*;

use crate::dto::Topic;

/// Shared by the frame and the pages.
#[derive(Clone, Copy)]
pub struct LiveCtx {
    /// What the current page wants to hear about.
    pub topics: RwSignal<Vec<Topic>>,
    /// Moves (at most a few times a second) when a message arrived.
    pub tick: RwSignal<u64>,
    /// Whether the stream is open.
    pub connected: RwSignal<bool>,
}

pub fn provide_live() -> LiveCtx {
    let ctx = LiveCtx {
        topics: RwSignal::new(Vec::new()),
        tick: RwSignal::new(0),
        connected: RwSignal::new(false),
    };
    provide_context(ctx);
    #[cfg(feature = "hydrate")]
    client::run(
        ctx,
        use_context::<crate::ui::session::SessionCtx>().map(|s| s.version),
    );
    ctx
}

/// Subscribes the page to `topics` and returns the tick to refetch on.
pub fn use_live(topics: impl Fn() -> Vec<Topic> + Send + Sync + 'static) -> Signal<u64> {
    let Some(ctx) = use_context::<LiveCtx>() else {
        return Signal::derive(|| 0);
    };
    Effect::new(move |_| {
        let wanted = topics();
        if ctx.topics.get_untracked() != wanted {
            ctx.topics.set(wanted);
        }
    });
    ctx.tick.into()
}

/// "Live" or "Reconnecting…" in the top bar.
#[component]
pub fn LiveIndicator() -> impl IntoView {
    let ctx = expect_context::<LiveCtx>();
    view! {
        <span class="live-indicator" data-live=move || if ctx.connected.get() { "on" } else { "off" }
            title="Pages update by themselves while this is on">
            {move || if ctx.connected.get() { "● live" } else { "○ offline" }}
        </span>
    }
}

#[cfg(feature = "hydrate")]
mod client {
    use std::cell::RefCell;
    use std::rc::Rc;
    use std::time::Duration;

    use leptos::prelude::*;
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::JsCast;
    use web_sys::{EventSource, MessageEvent};

    use super::LiveCtx;
    use crate::dto::Topic;
    use crate::ui::components::urlencode;

    /// Messages within this window cause one refetch, not one each.
    const COALESCE: Duration = Duration::from_millis(200);

    struct Open {
        source: EventSource,
        _handlers: Vec<Closure<dyn FnMut(web_sys::Event)>>,
    }

    thread_local! {
        static OPEN: RefCell<Option<Open>> = const { RefCell::new(None) };
        static LAST_ID: RefCell<String> = const { RefCell::new(String::new()) };
        static PENDING: RefCell<bool> = const { RefCell::new(false) };
    }

    fn bump(ctx: LiveCtx) {
        let already = PENDING.with(|p| std::mem::replace(&mut *p.borrow_mut(), true));
        if !already {
            set_timeout(
                move || {
                    PENDING.with(|p| *p.borrow_mut() = false);
                    ctx.tick.update(|t| *t += 1);
                },
                COALESCE,
            );
        }
    }

    fn close() {
        OPEN.with(|o| {
            if let Some(open) = o.borrow_mut().take() {
                open.source.close();
            }
        });
    }

    fn open(ctx: LiveCtx, topics: &[Topic], session: Option<RwSignal<u32>>) {
        close();
        ctx.connected.set(false);
        if topics.is_empty() {
            return;
        }
        let names: Vec<String> = topics.iter().map(Topic::to_string).collect();
        let mut url = format!("/api/live?topics={}", urlencode(&names.join(",")));
        let last = LAST_ID.with(|l| l.borrow().clone());
        if !last.is_empty() {
            url.push_str(&format!("&last_event_id={}", urlencode(&last)));
        }
        let Ok(source) = EventSource::new(&url) else {
            return;
        };
        let on_open = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| {
            ctx.connected.set(true);
            // Whatever happened while the stream was down is reloaded.
            bump(ctx);
        });
        let on_message = Closure::<dyn FnMut(web_sys::Event)>::new(move |e: web_sys::Event| {
            if let Some(m) = e.dyn_ref::<MessageEvent>() {
                let id = m.last_event_id();
                if !id.is_empty() {
                    LAST_ID.with(|l| *l.borrow_mut() = id);
                }
            }
            bump(ctx);
        });
        let on_resync = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| bump(ctx));
        let on_error = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| {
            // The browser reconnects by itself (sending Last-Event-ID).
            ctx.connected.set(false);
        });
        let on_signed_out = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| {
            close();
            ctx.connected.set(false);
            // The frame re-reads who is signed in and shows "Sign in".
            if let Some(version) = session {
                version.update(|v| *v += 1);
            }
        });
        // Too many tabs of this session: the newest ones stay live, this one
        // goes quiet instead of taking another's place again.
        let on_replaced = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| {
            close();
            ctx.connected.set(false);
        });
        source.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        source.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        source.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        let _ =
            source.add_event_listener_with_callback("resync", on_resync.as_ref().unchecked_ref());
        let _ = source
            .add_event_listener_with_callback("signed-out", on_signed_out.as_ref().unchecked_ref());
        let _ = source
            .add_event_listener_with_callback("replaced", on_replaced.as_ref().unchecked_ref());
        OPEN.with(|o| {
            *o.borrow_mut() = Some(Open {
                source,
                _handlers: vec![
                    on_open,
                    on_message,
                    on_resync,
                    on_error,
                    on_signed_out,
                    on_replaced,
                ],
            })
        });
    }

    pub fn run(ctx: LiveCtx, session: Option<RwSignal<u32>>) {
        let current: Rc<RefCell<Vec<Topic>>> = Rc::default();
        Effect::new(move |_| {
            let topics = ctx.topics.get();
            if *current.borrow() != topics {
                *current.borrow_mut() = topics.clone();
                open(ctx, &topics, session);
            }
        });
    }
}
