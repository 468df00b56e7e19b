//! Tenant IDs: DNS-1123 labels that become the namespace `tenant-<id>` and the
//! host `<id>.<base domain>`, so they must stay valid in both places.

use super::text::describe_char;

/// Prefix of every tenant namespace.
pub const NAMESPACE_PREFIX: &str = "tenant-";
/// A namespace name is a DNS-1123 label of at most 63 characters.
pub const MAX_ID_LEN: usize = 63 - NAMESPACE_PREFIX.len();
/// Length of the random suffix of a generated ID.
pub const SUFFIX_LEN: usize = 6;
/// The shortest ID accepted when staff type one themselves.
pub const MIN_ID_LEN: usize = 3;
/// Subdomains a tenant may not take, because the platform uses them.
pub const RESERVED_IDS: &[&str] = &[
    "admin",
    "api",
    "app",
    "auth",
    "console",
    "dashboard",
    "default",
    "mail",
    "status",
    "static",
    "system",
    "tenantry",
    "www",
];

/// Checks a tenant ID against every rule, naming the rule that failed.
pub fn validate_tenant_id(id: &str) -> Result<(), String> {
    if id.is_empty() {
        return Err("must not be empty".into());
    }
    let len = id.chars().count();
    if len > MAX_ID_LEN {
        return Err(format!(
            "must be at most {MAX_ID_LEN} characters so that the namespace \"{NAMESPACE_PREFIX}<id>\" fits in 63 (got {len})"
        ));
    }
    if len < MIN_ID_LEN {
        return Err(format!(
            "must be at least {MIN_ID_LEN} characters (got {len})"
        ));
    }
    if let Some(c) = id
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'))
    {
        return Err(format!(
            "may contain only lowercase letters a-z, digits and '-' (found {})",
            describe_char(c)
        ));
    }
    if id.starts_with('-') || id.ends_with('-') {
        return Err("must start and end with a letter or digit".into());
    }
    if id.contains("--") {
        return Err("must not contain two hyphens in a row".into());
    }
    if !id.starts_with(|c: char| c.is_ascii_lowercase()) {
        return Err("must start with a letter".into());
    }
    if RESERVED_IDS.contains(&id) {
        return Err(format!("\"{id}\" is reserved for the platform"));
    }
    Ok(())
}

/// Prefixes of namespaces that belong to the cluster itself.
pub const SYSTEM_NAMESPACE_PREFIXES: &[&str] = &["kube-", "openshift-"];
/// Namespaces that belong to the cluster itself.
pub const SYSTEM_NAMESPACES: &[&str] = &["default", "openshift"];

/// Refuses a tenant namespace that would be one of the cluster's own or the
/// console's: `default`, `kube-*`, `openshift-*`, or `console_namespace`.
pub fn check_namespace(ns: &str, console_namespace: Option<&str>) -> Result<(), String> {
    if SYSTEM_NAMESPACES.contains(&ns)
        || SYSTEM_NAMESPACE_PREFIXES.iter().any(|p| ns.starts_with(p))
    {
        return Err(format!(
            "would make the namespace \"{ns}\", which belongs to the cluster itself"
        ));
    }
    if console_namespace == Some(ns) {
        return Err(format!(
            "would make the namespace \"{ns}\", where the console itself runs"
        ));
    }
    Ok(())
}

/// Refuses a namespace prefix under which every tenant would land among the
/// cluster's namespaces, or some tenant ID in the console's own (checked at
/// start-up; single IDs are checked again at creation by [`check_namespace`]).
pub fn check_namespace_prefix(prefix: &str, console_namespace: Option<&str>) -> Result<(), String> {
    if let Some(p) = SYSTEM_NAMESPACE_PREFIXES
        .iter()
        .find(|p| prefix.starts_with(*p))
    {
        return Err(format!(
            "\"{prefix}\" would put tenants among the cluster's own namespaces ({p}*)"
        ));
    }
    if let Some(console) = console_namespace {
        if let Some(id) = console
            .strip_prefix(prefix)
            .filter(|id| validate_tenant_id(id).is_ok())
        {
            return Err(format!(
                "\"{prefix}\" would let tenant \"{id}\" take the console's own namespace \"{console}\""
            ));
        }
    }
    Ok(())
}

/// Turns a company name into the stem of an ID: ASCII letters and digits kept
/// (Latin letters with accents folded to their base letter), everything else a
/// single hyphen. Never empty: a name with nothing usable gives "tenant".
pub fn slug_stem(company_name: &str) -> String {
    let max_stem = MAX_ID_LEN - SUFFIX_LEN - 1;
    let mut stem = String::new();
    let mut pending_hyphen = false;
    for c in company_name.chars().flat_map(fold_latin) {
        if c.is_ascii_alphanumeric() {
            if pending_hyphen && !stem.is_empty() {
                stem.push('-');
            }
            pending_hyphen = false;
            stem.push(c.to_ascii_lowercase());
        } else {
            pending_hyphen = true;
        }
        if stem.len() >= max_stem {
            break;
        }
    }
    stem.truncate(max_stem);
    let mut stem = stem.trim_end_matches('-').to_string();
    if !stem.starts_with(|c: char| c.is_ascii_lowercase()) {
        stem = if stem.is_empty() {
            "tenant".into()
        } else {
            let mut s = format!("t-{stem}");
            s.truncate(max_stem);
            s.trim_end_matches('-').to_string()
        };
    }
    if RESERVED_IDS.contains(&stem.as_str()) {
        stem = format!("{stem}-co");
    }
    stem
}

/// Builds an ID from a company name and a random suffix of [a-z0-9].
/// The caller supplies the randomness, so this stays pure and testable.
pub fn tenant_id_from(company_name: &str, suffix: &str) -> String {
    format!("{}-{}", slug_stem(company_name), suffix)
}

/// Alphabet of the random suffix.
pub const SUFFIX_ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyz23456789";

fn fold_latin(c: char) -> impl Iterator<Item = char> {
    let folded: &str = match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'À' | 'Á' | 'Â' | 'Ã' | 'Ä' | 'Å' => "a",
        'æ' | 'Æ' => "ae",
        'ç' | 'Ç' => "c",
        'è' | 'é' | 'ê' | 'ë' | 'È' | 'É' | 'Ê' | 'Ë' => "e",
        'ì' | 'í' | 'î' | 'ï' | 'Ì' | 'Í' | 'Î' | 'Ï' => "i",
        'ñ' | 'Ñ' => "n",
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'Ò' | 'Ó' | 'Ô' | 'Õ' | 'Ö' | 'Ø' => "o",
        'ù' | 'ú' | 'û' | 'ü' | 'Ù' | 'Ú' | 'Û' | 'Ü' => "u",
        'ý' | 'ÿ' | 'Ý' => "y",
        'ß' => "ss",
        '&' => "and",
        _ => "",
    };
    let single = if folded.is_empty() { Some(c) } else { None };
    folded.chars().chain(single)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stems_company_names() {
        assert_eq!(slug_stem("Acme Workshop"), "acme-workshop");
        assert_eq!(slug_stem("  Müller & Söhne GmbH "), "muller-and-sohne-gmbh");
        assert_eq!(slug_stem("123 Garage"), "t-123-garage");
        assert_eq!(slug_stem("日本"), "tenant");
        assert_eq!(
            slug_stem("<script>alert(1)</script>"),
            "script-alert-1-script"
        );
        assert_eq!(slug_stem("Admin"), "admin-co");
    }

    #[test]
    fn generated_id_fits_namespace() {
        let id = tenant_id_from(&"x".repeat(500), "abc234");
        assert!(id.len() <= MAX_ID_LEN);
        assert_eq!(validate_tenant_id(&id), Ok(()));
        assert!(format!("{NAMESPACE_PREFIX}{id}").len() <= 63);
    }

    #[test]
    fn system_and_console_namespaces_are_refused() {
        assert!(check_namespace("tenant-acme", Some("tenantry")).is_ok());
        for ns in ["default", "kube-system", "kube-public", "openshift-ingress"] {
            let e = check_namespace(ns, None).unwrap_err();
            assert!(e.contains("belongs to the cluster"), "{ns}: {e}");
        }
        let e = check_namespace("t-console", Some("t-console")).unwrap_err();
        assert!(e.contains("console itself"), "{e}");
        assert!(check_namespace_prefix("tenant-", Some("tenantry")).is_ok());
        assert!(check_namespace_prefix("kube-", None).is_err());
        assert!(check_namespace_prefix("kube-x", None).is_err());
        // Only some IDs would land there: those are refused one by one.
        assert!(check_namespace_prefix("k", None).is_ok());
        assert!(check_namespace("kube-system", None).is_err());
        let e = check_namespace_prefix("ops-", Some("ops-tenantry-ui")).unwrap_err();
        assert!(
            e.contains("\"tenantry-ui\"") && e.contains("ops-tenantry-ui"),
            "{e}"
        );
        // "system" is reserved, so no tenant can ever be "t-system".
        assert!(check_namespace_prefix("t-", Some("t-system")).is_ok());
    }

    #[test]
    fn rejects_bad_ids_with_the_rule() {
        assert!(validate_tenant_id("").unwrap_err().contains("empty"));
        assert!(validate_tenant_id("ab").unwrap_err().contains("at least 3"));
        assert!(validate_tenant_id("Acme")
            .unwrap_err()
            .contains("lowercase"));
        assert!(validate_tenant_id("-acme")
            .unwrap_err()
            .contains("start and end"));
        assert!(validate_tenant_id("acme-")
            .unwrap_err()
            .contains("start and end"));
        assert!(validate_tenant_id("ac--me")
            .unwrap_err()
            .contains("two hyphens"));
        assert!(validate_tenant_id("1acme")
            .unwrap_err()
            .contains("start with a letter"));
        assert!(validate_tenant_id("www").unwrap_err().contains("reserved"));
        assert!(validate_tenant_id(&"a".repeat(57))
            .unwrap_err()
            .contains("at most 56"));
        // Cyrillic 'а' looks like Latin 'a'.
        assert!(validate_tenant_id("\u{0430}cme")
            .unwrap_err()
            .contains("U+0430"));
        assert_eq!(validate_tenant_id(&"a".repeat(56)), Ok(()));
    }
}
