use super::*;

fn ids(n: usize) -> Vec<String> {
    (1..=n).map(|i| format!("t{i:02}")).collect()
}

fn sizes(waves: &[Vec<String>]) -> Vec<usize> {
    waves.iter().map(Vec::len).collect()
}

#[test]
fn waves_are_counts_or_shares_and_the_last_takes_the_rest() {
    let twelve = ids(12);
    let w = cut_waves(&twelve, None, &parse_waves("1, 3, 8").expect("waves"));
    assert_eq!(sizes(&w), [1, 3, 8]);
    assert_eq!(w.concat(), twelve, "every tenant once, in order");
    // The last wave takes every tenant left, whatever it says.
    let w = cut_waves(&twelve, None, &parse_waves("1 3 2").expect("waves"));
    assert_eq!(sizes(&w), [1, 3, 8]);
    // Shares of the whole, rounded up; no empty wave.
    let w = cut_waves(
        &twelve,
        None,
        &parse_waves("1, 10%, 50%, 100%").expect("waves"),
    );
    assert_eq!(sizes(&w), [1, 2, 6, 3]);
    let w = cut_waves(&ids(2), None, &parse_waves("1, 5, 100%").expect("waves"));
    assert_eq!(sizes(&w), [1, 1]);
    assert!(cut_waves(&[], None, &[WaveSize::Count(1)]).is_empty());
}

#[test]
fn the_canary_goes_first() {
    let twelve = ids(12);
    let w = cut_waves(
        &twelve,
        Some("t07"),
        &parse_waves("1, 100%").expect("waves"),
    );
    assert_eq!(w[0], vec!["t07".to_string()]);
    assert_eq!(w[1].len(), 11);
    assert!(!w[1].contains(&"t07".to_string()));
    // A canary not among the tenants is no canary.
    let w = cut_waves(&twelve, Some("zz"), &parse_waves("1, 100%").expect("waves"));
    assert_eq!(w[0], vec!["t01".to_string()]);
}

#[test]
fn a_form_names_every_broken_rule() {
    let bad = RolloutForm {
        waves: "1, 0, 150%".into(),
        parallelism: "9".into(),
        soak_secs: "-1".into(),
        ..Default::default()
    };
    let e = bad.validate(4).expect_err("refused");
    for field in [
        "application",
        "release",
        "waves",
        "parallelism",
        "soak_secs",
    ] {
        assert!(e.field_message(field).is_some(), "{field}: {e:?}");
    }
    assert!(e
        .field_message("parallelism")
        .is_some_and(|m| m.contains("1 to 4")));
    let good = RolloutForm {
        application: "shop".into(),
        release: "2".into(),
        tenants: vec!["a".into(), " b ".into(), String::new()],
        canary: "b".into(),
        waves: "1, 100%".into(),
        parallelism: "2".into(),
        soak_secs: "30".into(),
        ..Default::default()
    };
    let v = good.validate(4).expect("valid");
    assert_eq!(
        (v.release, v.tenants.clone(), v.parallelism, v.soak_secs),
        (Some(2), vec!["a".to_string(), "b".into()], 2, 30)
    );
    let stray = RolloutForm {
        canary: "c".into(),
        ..good
    };
    assert!(stray
        .validate(4)
        .expect_err("c")
        .field_message("canary")
        .is_some());
}

#[test]
fn staff_pause_resume_and_abort_what_is_under_way() {
    use RolloutState::*;
    assert!(may_move(Running, Paused) && may_move(Paused, Running));
    assert!(may_move(Running, Aborted) && may_move(Paused, Aborted));
    assert!(!may_move(Completed, Running) && !may_move(Aborted, Running));
    assert!(!may_move(Completed, Aborted));
}

#[test]
fn a_dry_run_says_what_the_move_creates_changes_and_removes() {
    use crate::dto::{ChangeAction, FieldChange, ObjectChange};
    let object = |kind: &str, name: &str, action, fields: &[&str]| ObjectChange {
        kind: kind.into(),
        name: name.into(),
        action,
        fields: fields
            .iter()
            .map(|p| FieldChange {
                path: p.to_string(),
                live: None,
                desired: None,
            })
            .collect(),
    };
    assert_eq!(
        dry_run_summary(&[object("Deployment", "api", ChangeAction::Unchanged, &[])]),
        "nothing changes on the cluster"
    );
    let all = [
        object(
            "Deployment",
            "api",
            ChangeAction::Update,
            &["spec.template.spec.containers[0].image"],
        ),
        object("Service", "api", ChangeAction::Unchanged, &[]),
        object("Job", "db-schema-2", ChangeAction::Create, &[]),
        object("CronJob", "old", ChangeAction::Delete, &[]),
    ];
    assert_eq!(
        dry_run_summary(&all),
        "changes Deployment api (spec.template.spec.containers[0].image); creates Job db-schema-2; removes CronJob old"
    );
}
