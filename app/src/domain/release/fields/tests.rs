use super::*;
use crate::dto::{CustomFieldKind as K, ReleaseSpec};

fn field(name: &str, kind: K) -> CustomFieldSpec {
    CustomFieldSpec {
        name: name.into(),
        label: name.replace('_', " "),
        kind,
        required: false,
        default: None,
        pattern: None,
        choices: vec![],
        help: None,
    }
}

fn brand() -> Vec<CustomFieldSpec> {
    vec![
        CustomFieldSpec {
            required: true,
            ..field("company_name", K::Text)
        },
        CustomFieldSpec {
            default: Some("#1A73E8".into()),
            ..field("primary_colour", K::Colour)
        },
        CustomFieldSpec {
            choices: vec!["eu".into(), "us".into()],
            default: Some("eu".into()),
            ..field("region", K::Choice)
        },
        field("beta", K::Boolean),
        field("seats", K::Number),
        field("support", K::Email),
        field("logo_url", K::Url),
        CustomFieldSpec {
            pattern: Some("[A-Z]{2}[0-9]{4}".into()),
            ..field("code", K::Text)
        },
    ]
}

fn map(pairs: &[(&str, &str)]) -> CustomValues {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn every_kind_is_checked_and_normalised() {
    let f = brand();
    let got = values(
        &f,
        &CustomValues::new(),
        &map(&[
            ("company_name", "  Acme  "),
            ("primary_colour", "#F0a"),
            ("region", "us"),
            ("beta", "Yes"),
            ("seats", "-3.5"),
            ("support", "help@acme.io"),
            ("logo_url", "https://acme.io/logo.png"),
            ("code", "AB1234"),
        ]),
    )
    .expect("valid");
    assert_eq!(got["company_name"], "Acme");
    assert_eq!(got["primary_colour"], "#ff00aa");
    assert_eq!(got["beta"], "true");
    assert_eq!(got["seats"], "-3.5");
}

#[test]
fn each_bad_value_is_named_with_its_rule_all_at_once() {
    let e = values(
        &brand(),
        &CustomValues::new(),
        &map(&[
            ("primary_colour", "blue"),
            ("region", "asia"),
            ("beta", "maybe"),
            ("seats", "1e9"),
            ("support", "nope"),
            ("logo_url", "ftp://acme.io"),
            ("code", "ab12"),
            ("colour", "#fff"),
        ]),
    )
    .expect_err("invalid");
    let says = |f: &str| e.field_message(&format!("custom_fields.{f}"));
    assert!(
        says("company_name").is_some_and(|m| m.contains("required")),
        "{e}"
    );
    assert!(
        says("primary_colour").is_some_and(|m| m.contains("#1a73e8")),
        "{e}"
    );
    assert!(says("region").is_some_and(|m| m.contains("eu, us")), "{e}");
    assert!(says("beta").is_some(), "{e}");
    assert!(says("seats").is_some(), "{e}");
    assert!(says("support").is_some(), "{e}");
    assert!(says("logo_url").is_some_and(|m| m.contains("http")), "{e}");
    // Patterns are compiled on the server only.
    if cfg!(feature = "ssr") {
        assert!(says("code").is_some_and(|m| m.contains("pattern")), "{e}");
    }
    assert!(
        says("colour").is_some_and(|m| m.contains("not a field")),
        "{e}"
    );
}

#[test]
fn a_change_is_a_patch_and_empty_means_default() {
    let f = brand();
    let stored = map(&[("company_name", "Acme"), ("region", "us"), ("seats", "5")]);
    let got = values(&f, &stored, &map(&[("region", ""), ("seats", "7")])).expect("valid");
    // Kept, cleared to its default (not stored), changed.
    assert_eq!(got, map(&[("company_name", "Acme"), ("seats", "7")]));
    let reads = effective(&f, &got);
    assert_eq!(reads["region"], "eu");
    assert_eq!(reads["primary_colour"], "#1a73e8");
    assert_eq!(reads["beta"], "");
    // Clearing a required field without a default is refused.
    let e = values(&f, &stored, &map(&[("company_name", " ")])).expect_err("required");
    assert!(e.field_message("custom_fields.company_name").is_some());
}

#[test]
fn declarations_are_checked_where_they_are() {
    let mut e = FieldErrors::default();
    let bad = vec![
        field("Brand", K::Text),
        CustomFieldSpec {
            choices: vec!["only".into()],
            ..field("tier", K::Choice)
        },
        CustomFieldSpec {
            pattern: Some("[".into()),
            ..field("code", K::Text)
        },
        CustomFieldSpec {
            pattern: Some("x".into()),
            ..field("n", K::Number)
        },
        CustomFieldSpec {
            default: Some("red".into()),
            ..field("colour", K::Colour)
        },
        field("n", K::Number),
    ];
    check_specs(&bad, &mut e);
    let e = e.into_result().expect_err("invalid");
    for f in [
        "fields[0].name",
        "fields.tier.choices",
        "fields.n.pattern",
        "fields.colour.default",
        "fields.n",
    ] {
        assert!(e.field_message(f).is_some(), "{f} not reported: {e}");
    }
    // Patterns are compiled on the server only.
    if cfg!(feature = "ssr") {
        assert!(e.field_message("fields.code.pattern").is_some(), "{e}");
    }
}

#[test]
fn a_release_may_read_only_fields_it_declares() {
    let mut r: ReleaseSpec = serde_json::from_value(serde_json::json!({
        "fields": [{ "name": "region", "label": "Region", "type": "text" }],
        "env": [{ "name": "REGION", "value": "${field.region}" }],
        "components": [{ "name": "api", "image": "api:1" }]
    }))
    .expect("release");
    assert!(crate::domain::release::validate(&r).is_ok());
    r.env[0].value = "${field.zone}".into();
    let e = crate::domain::release::validate(&r).expect_err("undeclared");
    assert!(
        e.field_message("env.REGION")
            .is_some_and(|m| m.contains("no custom field")),
        "{e}"
    );
}

#[test]
fn a_component_behind_a_feature_runs_only_on_plans_with_it() {
    let r: ReleaseSpec = serde_json::from_value(serde_json::json!({
        "components": [
            { "name": "api", "image": "api:1" },
            { "name": "reports", "image": "reports:1", "feature": "reports" }
        ]
    }))
    .expect("release");
    let names = |features: &[&str]| {
        let f: Vec<String> = features.iter().map(|s| s.to_string()).collect();
        crate::domain::release::for_plan(r.clone(), &f)
            .components
            .into_iter()
            .map(|c| c.name)
            .collect::<Vec<_>>()
    };
    assert_eq!(names(&["reports", "sso"]), vec!["api", "reports"]);
    assert_eq!(names(&["sso"]), vec!["api"]);
}
