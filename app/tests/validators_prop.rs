//! Property tests: generated tenant IDs are always valid and distinct, and no
//! validator panics or accepts hostile input silently.
#![allow(clippy::unwrap_used)] // in a test, a panic is the failure report

use std::collections::HashSet;

use app::domain::tenant_id::{
    slug_stem, tenant_id_from, validate_tenant_id, MAX_ID_LEN, NAMESPACE_PREFIX, SUFFIX_ALPHABET,
    SUFFIX_LEN,
};
use app::domain::validate::{
    validate_custom_domain, validate_display_name, validate_email, validate_username,
};
use app::dto::{NewTenantForm, TemplateForm};
use proptest::prelude::*;

fn suffix() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        proptest::sample::select(SUFFIX_ALPHABET.to_vec()),
        SUFFIX_LEN,
    )
    .prop_map(|bytes| bytes.into_iter().map(char::from).collect())
}

/// Text a hostile or careless user might type.
fn hostile() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "\\PC{0,300}",
        Just("<script>alert('x')</script>".to_string()),
        Just("'; DROP TABLE tenants; --".to_string()),
        Just("a\u{0000}b\u{001b}[31m".to_string()),
        Just("\u{202E}evil\u{200B}".to_string()),
        Just("аcme".to_string()), // Cyrillic а
        Just("x".repeat(10_240)),
        Just("😀".repeat(3000)),
    ]
}

proptest! {
    #[test]
    fn generated_ids_are_always_valid(company in any::<String>(), s in suffix()) {
        let id = tenant_id_from(&company, &s);
        prop_assert_eq!(validate_tenant_id(&id), Ok(()), "{:?} from {:?}", id, company);
        prop_assert!(id.len() <= MAX_ID_LEN);
        let namespace = format!("{NAMESPACE_PREFIX}{id}");
        prop_assert!(namespace.len() <= 63);
    }

    #[test]
    fn distinct_suffixes_give_distinct_ids(company in "\\PC{0,80}", a in suffix(), b in suffix()) {
        prop_assume!(a != b);
        prop_assert_ne!(tenant_id_from(&company, &a), tenant_id_from(&company, &b));
    }

    #[test]
    fn stems_never_end_in_a_hyphen(company in any::<String>()) {
        let stem = slug_stem(&company);
        prop_assert!(!stem.is_empty() && !stem.ends_with('-') && !stem.starts_with('-'));
    }

    #[test]
    fn validators_never_panic_and_accept_only_clean_output(input in hostile()) {
        if let Ok(id) = validate_tenant_id(&input).map(|_| input.clone()) {
            prop_assert!(id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'));
        }
        if let Ok(email) = validate_email(&input) {
            prop_assert!(email.is_ascii() && !email.contains(['<', '>', '\'', ';', ' ']));
        }
        if let Ok(domain) = validate_custom_domain(&input) {
            prop_assert!(domain.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.'));
        }
        if let Ok(name) = validate_display_name(&input, 100) {
            prop_assert!(name.chars().count() <= 100);
            prop_assert!(!name.chars().any(|c| c.is_control()));
        }
        if let Ok(user) = validate_username(&input) {
            prop_assert!(user.len() <= 32);
        }
        let form = NewTenantForm {
            company_name: input.clone(), owner_email: input.clone(), owner_name: input.clone(),
            template_id: input.clone(), custom_domain: input.clone(), tenant_id: input.clone(), provision: false, provision_at: input.clone(),
            custom_fields: [(input.clone(), input.clone())].into(),
        };
        // Custom field values of every kind: checked, never a panic; a
        // value taken is taken again as it was normalised.
        for kind in app::dto::CustomFieldKind::ALL {
            let spec = app::dto::CustomFieldSpec {
                name: "f".into(), label: "F".into(), kind: *kind, required: false, default: None,
                pattern: Some("[a-z]+".into()).filter(|_| *kind == app::dto::CustomFieldKind::Text),
                choices: vec!["a".into(), "b".into()].into_iter().filter(|_| *kind == app::dto::CustomFieldKind::Choice).collect(),
                help: None,
            };
            if let Ok(v) = app::domain::release::fields::value(&spec, &input) {
                prop_assert_eq!(app::domain::release::fields::value(&spec, &v), Ok(v.clone()));
            }
        }
        if let Err(e) = form.validate() {
            prop_assert!(!e.to_string().is_empty());
        }
        let tf = TemplateForm { key: input.clone(), name: input.clone(), api_replicas: input.clone(), ..Default::default() };
        prop_assert!(tf.validate().is_err(), "an incomplete template form must not validate");
    }
}

#[test]
fn ten_thousand_generated_ids_are_unique_per_random_suffix() {
    // The suffix space is 32^6 ≈ 1.07e9; uniqueness across draws is the
    // store's job (it retries on collision), but distinct suffixes must
    // always give distinct IDs for the same company.
    let mut seen = HashSet::new();
    for n in 0u32..10_000 {
        let s: String = (0..SUFFIX_LEN)
            .map(|i| SUFFIX_ALPHABET[((n >> (5 * i)) & 31) as usize] as char)
            .collect();
        assert!(seen.insert(tenant_id_from("Acme Workshop", &s)));
    }
}

#[test]
fn hostile_examples_get_clear_errors() {
    let long = "x".repeat(10_240);
    assert!(validate_display_name(&long, 100)
        .unwrap_err()
        .contains("at most 100"));
    assert!(validate_email(&long).unwrap_err().contains("at most 254"));
    assert!(validate_custom_domain(&long)
        .unwrap_err()
        .contains("at most 253"));
    assert!(validate_tenant_id(&long)
        .unwrap_err()
        .contains("at most 56"));
    assert!(validate_tenant_id("<script>").unwrap_err().contains("'<'"));
    assert!(validate_tenant_id("x'; drop").unwrap_err().contains("'''"));
    assert!(validate_display_name("Acme\u{202E}", 100)
        .unwrap_err()
        .contains("U+202E"));
    assert!(validate_email("ownеr@example.com")
        .unwrap_err()
        .contains("U+0435"));
}
