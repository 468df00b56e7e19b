//! The live stream over real HTTP: a client that reconnects with
//! `Last-Event-ID` gets exactly the messages it missed, in order, then live
//! ones; topics are checked; the stream ends when its session does.

mod common;

use std::time::Duration;

use app::dto::LiveEvent;
use common::sse::{Sse, SseReader};
use common::{TestDb, TestServer};

fn tenant_of(e: &Sse) -> String {
    serde_json::from_str::<LiveEvent>(&e.data)
        .ok()
        .and_then(|m| {
            m.data
                .get("tenant_id")
                .and_then(|v| v.as_str())
                .map(String::from)
        })
        .unwrap_or_default()
}

async fn create(srv: &TestServer, client: &reqwest::Client, id: &str) {
    let res = srv
        .call(
            client,
            "create_tenant",
            &[
                ("form[company_name]", &format!("Company {id}")),
                ("form[owner_email]", "owner@example.com"),
                ("form[owner_name]", "Owner"),
                ("form[template_id]", "1"),
                ("form[tenant_id]", id),
            ],
        )
        .await;
    assert_eq!(
        res.status(),
        200,
        "{}",
        res.text().await.unwrap_or_default()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reconnect_with_last_event_id_gets_exactly_the_missed_messages() {
    let db = TestDb::sqlite();
    let srv = TestServer::start(&db.url).await;
    let op = srv.signed_in("operator").await;

    // A witness stream stays connected throughout and sees everything.
    let mut witness = SseReader::open(&srv, &op, "tenants", None).await;
    let mut first = SseReader::open(&srv, &op, "tenants", None).await;
    create(&srv, &op, "live-one").await;
    let seen = first
        .until(|g| g.iter().any(|e| tenant_of(e) == "live-one"))
        .await;
    let last = seen.last().and_then(|e| e.id.clone()).expect("an id");
    drop(first);

    // Missed while away: two tenants, plus messages on another topic.
    create(&srv, &op, "live-two").await;
    create(&srv, &op, "live-three").await;
    let mut witnessed = witness
        .until(|g| g.iter().any(|e| tenant_of(e) == "live-three"))
        .await;
    // A new tenant says more than one thing (record, then health): take
    // whatever else follows until the stream goes quiet.
    while let Some(e) = witness.next(Duration::from_millis(800)).await {
        witnessed.push(e);
    }
    let after: Vec<Sse> = witnessed
        .iter()
        .skip_while(|e| e.id.as_deref() != Some(last.as_str()))
        .skip(1)
        .cloned()
        .collect();
    assert!(
        after.iter().any(|e| tenant_of(e) == "live-two"),
        "{after:?}"
    );

    let mut again = SseReader::open(&srv, &op, "tenants", Some(&last)).await;
    let replayed = again.until(|g| g.len() >= after.len()).await;
    assert_eq!(replayed, after, "exactly the missed messages, in order");
    // …and nothing more until something new happens, which then arrives live.
    assert_eq!(again.next(Duration::from_millis(800)).await, None);
    create(&srv, &op, "live-four").await;
    let live = again
        .next(Duration::from_secs(10))
        .await
        .expect("a live message");
    assert_eq!(tenant_of(&live), "live-four");

    // An id from before a restart (or long forgotten) asks for a resync.
    let mut stale = SseReader::open(&srv, &op, "tenants", Some("0-1")).await;
    let e = stale.next(Duration::from_secs(5)).await.expect("resync");
    assert_eq!(e.event, "resync");
    srv.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_stream_checks_its_session_and_topics() {
    let db = TestDb::sqlite();
    let srv = TestServer::start(&db.url).await;
    let anonymous = srv.client();
    let res = anonymous
        .get(srv.url("/api/live?topics=tenants"))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), 401);

    let viewer = srv.signed_in("viewer").await;
    let res = viewer
        .get(srv.url("/api/live?topics=tenants,secrets"))
        .send()
        .await
        .expect("request");
    assert_eq!(
        res.status(),
        422,
        "a topic that does not exist names the field"
    );
    let text = res.text().await.unwrap_or_default();
    assert!(
        text.contains("topics") && text.contains("secrets"),
        "{text}"
    );

    // Signing out ends the open stream within the session check interval.
    let mut stream = SseReader::open(&srv, &viewer, "tenants,alerts", None).await;
    assert_eq!(srv.call(&viewer, "logout", &[]).await.status(), 200);
    let end = stream
        .next(server::live::sse::SESSION_CHECK * 3)
        .await
        .expect("a closing message");
    assert_eq!(end.event, "signed-out");
    assert_eq!(
        stream.next(Duration::from_secs(2)).await,
        None,
        "stream closed"
    );
    srv.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_seventh_stream_of_a_session_replaces_the_oldest() {
    let db = TestDb::sqlite();
    let srv = TestServer::start(&db.url).await;
    let viewer = srv.signed_in("viewer").await;
    let mut open = vec![];
    for _ in 0..server::live::STREAMS_PER_SESSION {
        open.push(SseReader::open(&srv, &viewer, "tenants", None).await);
    }
    // Another session's streams do not count against this one.
    let operator = srv.signed_in("operator").await;
    let mut theirs = SseReader::open(&srv, &operator, "tenants", None).await;
    let mut seventh = SseReader::open(&srv, &viewer, "tenants", None).await;
    let end = open[0]
        .next(Duration::from_secs(5))
        .await
        .expect("the oldest is told");
    assert_eq!(end.event, "replaced");
    assert_eq!(
        open[0].next(Duration::from_secs(2)).await,
        None,
        "and closed"
    );
    // The others, the seventh and the other session's stream stay live.
    create(&srv, &operator, "still-live").await;
    for s in open.iter_mut().skip(1).chain([&mut seventh, &mut theirs]) {
        let got = s
            .until(|g| g.iter().any(|e| tenant_of(e) == "still-live"))
            .await;
        assert!(
            got.iter().all(|e| e.event != "replaced"),
            "only the oldest goes: {got:?}"
        );
        assert!(got.iter().any(|e| tenant_of(e) == "still-live"), "{got:?}");
    }
    srv.stop().await;
}
