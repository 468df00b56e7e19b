//! A sign-in flood against the real `tenantry` binary: 300 concurrent
//! sign-ins with unknown names from 30 loopback addresses. The process stays
//! up, its peak RSS stays under a stated bound (on the code before the
//! bounded hashing pool it reached 4.3 GB), and throttling still holds
//! afterwards: the flooding addresses are locked out; and the admin, from
//! another address, signs in during the flood at the first try.
#![allow(clippy::unwrap_used)] // in a test, a panic is the failure report

mod common;

use std::net::IpAddr;

use common::process::{Console, ADMIN_PASSWORD};
use common::TestDb;

/// The whole process's peak resident memory allowed during the flood: a
/// debug build idles at tens of MiB, and each concurrent argon2 hash needs
/// 19 MiB, so this bound holds only if hashes are bounded by the cores.
const PEAK_RSS_BOUND_MIB: u64 = 256;

fn client_from(base: &str, ip: &str) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(reqwest::header::ORIGIN, base.parse().unwrap());
    reqwest::Client::builder()
        .local_address(ip.parse::<IpAddr>().unwrap())
        .default_headers(headers)
        .build()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_hundred_concurrent_sign_ins_keep_memory_bounded_and_throttling_holds() {
    let db = TestDb::sqlite();
    let mut console = Console::start(&db.url, &[("RUST_LOG", "error")]);
    let base = console.base.clone();
    let before = console.kib("VmRSS");

    let clients: Vec<reqwest::Client> = (2..32)
        .map(|i| client_from(&base, &format!("127.0.0.{i}")))
        .collect();
    let url = format!("{base}/api/login");
    // 300 sign-ins at once (ten per address), and the flood kept up, each
    // address sending again as soon as it is answered, until the admin has
    // signed in: the admin's attempt lands inside the flood by construction.
    let admin_done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let attempts = (0..300).map(|i| {
        let client = clients[i % clients.len()].clone();
        let url = url.clone();
        let admin_done = std::sync::Arc::clone(&admin_done);
        async move {
            let mut answers = vec![];
            for round in 0.. {
                let status = client
                    .post(&url)
                    .form(&[
                        ("username", format!("nobody-{i}-{round}")),
                        ("password", "guess guess guess".into()),
                    ])
                    .send()
                    .await
                    .map(|r| r.status().as_u16());
                answers.push(status);
                if admin_done.load(std::sync::atomic::Ordering::SeqCst) {
                    break;
                }
            }
            answers
        }
    });
    let flood = tokio::spawn(futures::future::join_all(attempts));
    // The real admin, from an address that did not flood, while the flood
    // fills the hashing pool: the share kept for existing accounts from
    // clean addresses lets them in at the first try.
    tokio::time::sleep(std::time::Duration::from_millis(30)).await;
    let admin = client_from(&base, "127.0.0.77");
    let started = std::time::Instant::now();
    let res = admin
        .post(&url)
        .form(&[("username", "admin"), ("password", ADMIN_PASSWORD)])
        .send()
        .await
        .unwrap();
    let admin_status = res.status().as_u16();
    let took = started.elapsed();
    admin_done.store(true, std::sync::atomic::Ordering::SeqCst);
    let statuses: Vec<u16> = flood
        .await
        .unwrap()
        .into_iter()
        .flatten()
        .map(|r| r.expect("every request is answered"))
        .collect();
    println!(
        "flood: the admin signed in during it in {} ms ({admin_status}), while {} flood sign-ins were answered",
        took.as_millis(),
        statuses.len()
    );
    assert_eq!(admin_status, 200, "the admin during the flood");
    assert!(statuses.len() >= 300);
    let peak = console.kib("VmHWM") / 1024;
    let after = console.kib("VmRSS");
    let count = |s: u16| statuses.iter().filter(|x| **x == s).count();
    println!(
        "flood: {} sign-ins from 30 addresses: {} wrong (401), {} busy or throttled (429); RSS {} → {} MiB, peak {} MiB (bound {} MiB)",
        statuses.len(),
        count(401),
        count(429),
        before / 1024,
        after / 1024,
        peak,
        PEAK_RSS_BOUND_MIB
    );
    assert!(
        console.child.try_wait().unwrap().is_none(),
        "the console stays up"
    );
    assert!(
        statuses.iter().all(|s| *s == 401 || *s == 429),
        "{statuses:?}"
    );
    assert!(count(401) > 0, "some sign-ins were checked");
    assert!(
        count(429) > 0,
        "the pool was full: some were told to come back"
    );
    assert!(
        peak < PEAK_RSS_BOUND_MIB,
        "peak RSS {peak} MiB ≥ {PEAK_RSS_BOUND_MIB} MiB"
    );

    // Throttling holds: an address that keeps guessing is locked…
    let flooder = &clients[0];
    let mut locked = false;
    for i in 0..30 {
        let res = flooder
            .post(&url)
            .form(&[
                ("username", format!("again-{i}")),
                ("password", "guess guess guess".into()),
            ])
            .send()
            .await
            .unwrap();
        if res.status() == 429 && res.headers().get("retry-after").is_some() {
            let again = flooder
                .post(&url)
                .form(&[("username", "admin"), ("password", ADMIN_PASSWORD)])
                .send()
                .await
                .unwrap();
            if again.status() == 429 {
                locked = true;
                break;
            }
        }
    }
    assert!(locked, "the flooding address is locked out");
    // …and the admin, from an address that did not flood, signs in.
    let res = admin
        .post(&url)
        .form(&[("username", "admin"), ("password", ADMIN_PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);

    console.kill();
}
