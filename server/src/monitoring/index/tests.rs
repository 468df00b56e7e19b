//! The index as plain sync-ish tests: objects in, health and typed changes out.

use super::*;
use crate::monitoring::ready::PodOrigin;

fn pod(component: &str, ready: bool) -> Item {
    Item::Pod(
        PodDto {
            name: format!("{component}-0"),
            component: component.into(),
            phase: "Running".into(),
            ready,
            restarts: 0,
            reason: (!ready).then(|| "CrashLoopBackOff".to_string()),
            created_at: None,
        },
        PodOrigin::default(),
    )
}

const NS: &str = "tenant-t1";

/// A tenant as its record says, at version 1.
pub(crate) fn standing(id: &str, state: TenantState, namespace: &str) -> TenantStanding {
    TenantStanding {
        id: id.into(),
        state,
        namespace: namespace.into(),
        version: 1,
    }
}

fn connected(index: &ClusterIndex) {
    for kind in Kind::ALWAYS {
        index.set_watching(kind, true);
    }
}

fn drain(rx: &mut broadcast::Receiver<IndexChange>) -> Vec<IndexChange> {
    let mut out = vec![];
    while let Ok(c) = rx.try_recv() {
        out.push(c);
    }
    out
}

#[tokio::test]
async fn objects_outside_the_tenants_namespace_never_count() {
    let index = ClusterIndex::new();
    connected(&index);
    // Seen before the tenant is known: held apart until then.
    index.apply(
        Kind::Pod,
        ("t1", "elsewhere", "db-0"),
        Some(pod("database", true)),
    );
    index.set_state(&standing("t1", TenantState::Active, NS));
    let mut rx = index.subscribe();
    index.apply(
        Kind::Pod,
        ("t1", "other-team", "db-1"),
        Some(pod("database", true)),
    );
    assert_eq!(
        index.health("t1").health,
        Health::Down,
        "no database pod of its own"
    );
    assert!(index.objects("t1").pods.is_empty());
    assert!(drain(&mut rx).is_empty(), "a foreign pod tells nothing");
    index.apply(Kind::Pod, ("t1", NS, "db-0"), Some(pod("database", true)));
    assert_eq!(index.health("t1").health, Health::Healthy);
    assert_eq!(index.objects("t1").pods.len(), 1);
    let listed = |ns: &str, name: &str| Summary {
        tenant: "t1".into(),
        namespace: ns.into(),
        name: name.into(),
        item: pod("api", false),
    };
    index.replace(Kind::Pod, vec![listed("other-team", "api-0")]);
    assert_eq!(index.health("t1").health, Health::Down);
    index.replace(Kind::Pod, vec![listed(NS, "api-0"), listed("x", "db-9")]);
    assert_eq!(index.objects("t1").pods.len(), 1);
}

#[tokio::test]
async fn object_changes_rederive_health_and_tell_typed_changes_only_when_real() {
    let index = ClusterIndex::new();
    connected(&index);
    index.set_state(&standing("t1", TenantState::Active, NS));
    let mut rx = index.subscribe();
    assert_eq!(index.health("t1").health, Health::Down);
    index.apply(
        Kind::Pod,
        ("t1", NS, "database-0"),
        Some(pod("database", true)),
    );
    assert_eq!(index.health("t1").health, Health::Healthy);
    assert!(!index.health("t1").stale);
    index.apply(Kind::Pod, ("t1", NS, "api-0"), Some(pod("api", false)));
    let h = index.health("t1");
    assert_eq!(h.health, Health::Degraded);
    assert!(h.reason.unwrap_or_default().contains("CrashLoopBackOff"));
    let told = drain(&mut rx);
    assert!(
        told.iter().any(|c| matches!(
            c,
            IndexChange::Health {
                from: Some(Health::Healthy),
                to: Health::Degraded,
                ..
            }
        )),
        "{told:?}"
    );
    assert!(told.iter().any(|c| matches!(
        c,
        IndexChange::Object {
            kind: Kind::Pod,
            pod: Some(_),
            ..
        }
    )));
    // The same object again changes nothing and tells nothing.
    index.apply(Kind::Pod, ("t1", NS, "api-0"), Some(pod("api", false)));
    assert!(drain(&mut rx).is_empty());
    // A lost watch makes health say it may be stale, and is told once.
    index.set_watching(Kind::Job, false);
    let h = index.health("t1");
    assert!(h.stale);
    assert!(h.reason.unwrap_or_default().contains("out of date"));
    assert!(matches!(
        drain(&mut rx).as_slice(),
        [IndexChange::Watch {
            connected: false,
            ..
        }]
    ));
    index.set_watching(Kind::Quota, false);
    assert!(drain(&mut rx).is_empty(), "still lost: nothing new to tell");
    // A relist replaces what was held.
    index.replace(Kind::Pod, vec![]);
    assert_eq!(index.objects("t1").pods.len(), 0);
}

#[tokio::test]
async fn health_keeps_its_since_while_only_the_reason_moves() {
    let index = ClusterIndex::new();
    connected(&index);
    index.set_state(&standing("t1", TenantState::Active, NS));
    let since = index.snapshots(None)[0].health.clone().map(|h| h.since);
    std::thread::sleep(std::time::Duration::from_millis(5));
    index.apply(
        Kind::Pod,
        ("t1", NS, "database-0"),
        Some(pod("database", false)),
    );
    let now = index.snapshots(None)[0].health.clone();
    assert_eq!(now.as_ref().map(|h| h.health), Some(Health::Down));
    assert_eq!(now.map(|h| h.since), since, "still down since the start");
}

#[test]
fn restarts_are_counted_over_the_last_ten_minutes() {
    let mut objs = TenantObjects::default();
    let t0 = 1_000_000_000;
    objs.sample_restarts("api-0", Some(2), t0);
    objs.sample_restarts("api-0", Some(5), t0 + 60_000);
    assert_eq!(
        objs.recent_restarts(t0 + 60_000),
        vec![("api-0".to_string(), 3)]
    );
    objs.sample_restarts("api-0", Some(9), t0 + RESTART_WINDOW_MS + 120_000);
    // The window now starts after the sample of 5: 9 - 5.
    assert_eq!(
        objs.recent_restarts(t0 + RESTART_WINDOW_MS + 120_000),
        vec![("api-0".to_string(), 4)]
    );
    objs.sample_restarts("api-0", None, t0 + RESTART_WINDOW_MS + 120_000);
    assert!(
        objs.recent_restarts(t0).is_empty(),
        "a pod gone is forgotten"
    );
}

#[tokio::test]
async fn a_live_tenants_health_waits_for_every_watch_to_list_and_holds_while_one_is_lost() {
    let index = ClusterIndex::new();
    index.set_state(&standing("t1", TenantState::Active, NS));
    index.set_state(&standing("t2", TenantState::Suspended, "tenant-t2"));
    for kind in Kind::ALWAYS {
        index.register(kind);
    }
    let mut rx = index.subscribe();
    // Before any watch listed: unknown, not "down", and nothing is told
    // for the live tenant (a suspended one's health needs no cluster).
    assert_eq!(index.health("t1").health, Health::Unknown);
    assert_eq!(index.health("t2").health, Health::Suspended);
    for kind in Kind::ALWAYS {
        if kind != Kind::Quota {
            index.set_watching(kind, true);
        }
    }
    index.replace(
        Kind::Pod,
        vec![Summary {
            tenant: "t1".into(),
            namespace: NS.into(),
            name: "database-0".into(),
            item: pod("database", true),
        }],
    );
    assert!(
        !drain(&mut rx)
            .iter()
            .any(|c| matches!(c, IndexChange::Health { .. })),
        "one watch has not listed yet"
    );
    assert_eq!(index.health("t1").health, Health::Unknown);
    index.set_watching(Kind::Quota, true);
    let told = drain(&mut rx);
    assert!(
        told.iter().any(|c| matches!(
            c,
            IndexChange::Health {
                from: None,
                to: Health::Healthy,
                ..
            }
        )),
        "{told:?}"
    );
    // Lost: the pod list comes back empty, but health holds until every
    // watch is back, then moves once.
    index.set_watching(Kind::Pod, false);
    index.replace(Kind::Pod, vec![]);
    assert_eq!(index.health("t1").health, Health::Healthy);
    assert!(index.health("t1").stale);
    drain(&mut rx);
    index.set_watching(Kind::Pod, true);
    assert!(drain(&mut rx).iter().any(|c| matches!(
        c,
        IndexChange::Health {
            from: Some(Health::Healthy),
            to: Health::Down,
            ..
        }
    )));
}

fn event(at: i64) -> Item {
    Item::Event(app::dto::K8sEventDto {
        at: Some(at),
        severity: "Normal".into(),
        reason: "Scheduled".into(),
        object: "Pod/api-0".into(),
        message: format!("event at {at}"),
        count: 1,
    })
}

#[tokio::test]
async fn a_namespaces_events_are_its_tenants_newest_kept_and_move_no_health() {
    let index = ClusterIndex::new();
    connected(&index);
    index.set_state(&standing("t1", TenantState::Active, NS));
    assert_eq!(index.tenant_in(NS).as_deref(), Some("t1"));
    assert_eq!(index.tenant_in("other-team"), None);
    let health = index.health("t1");
    let mut rx = index.subscribe();
    let n = i64::try_from(EVENTS_KEPT).unwrap_or(30) + 5;
    for at in 0..n {
        index.apply(Kind::Event, ("t1", NS, &format!("e{at}")), Some(event(at)));
    }
    let events = index.objects("t1").events;
    assert_eq!(events.len(), EVENTS_KEPT, "only the newest are kept");
    assert_eq!(events[0].at, Some(n - 1), "newest first");
    assert_eq!(events[EVENTS_KEPT - 1].at, Some(5));
    let changes = drain(&mut rx);
    assert!(
        changes.iter().all(|c| matches!(
            c,
            IndexChange::Object {
                kind: Kind::Event,
                ..
            }
        )),
        "events tell the page, never a health change: {changes:?}"
    );
    assert_eq!(index.health("t1").health, health.health);
    // A re-list keeps the newest too.
    let listed = (0..n)
        .map(|at| Summary {
            tenant: "t1".into(),
            namespace: NS.into(),
            name: format!("r{at}"),
            item: event(at + 100),
        })
        .collect();
    index.replace(Kind::Event, listed);
    let events = index.objects("t1").events;
    assert_eq!(events.len(), EVENTS_KEPT);
    assert_eq!(events[0].at, Some(n + 99));
    // A renamed namespace (a tenant re-created under another prefix) moves.
    index.set_state(&standing("t1", TenantState::Active, "tenant2-t1"));
    assert_eq!(index.tenant_in(NS), None);
    assert_eq!(index.tenant_in("tenant2-t1").as_deref(), Some("t1"));
}
