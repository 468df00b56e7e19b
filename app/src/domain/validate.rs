//! Field validators. Each returns the rule that failed, worded for a person;
//! callers attach the field name (see [`crate::error::FieldError`]).

use super::text::{check_human_text, describe_char};

pub const MAX_COMPANY_NAME: usize = 100;
pub const MAX_PERSON_NAME: usize = 100;
pub const MAX_EMAIL: usize = 254;
pub const MAX_DOMAIN: usize = 253;
pub const MIN_PASSWORD: usize = 12;
pub const MAX_PASSWORD: usize = 256;

/// A display name (company or person): trimmed, non-empty, printable.
pub fn validate_display_name(value: &str, max_chars: usize) -> Result<String, String> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err("must not be empty".into());
    }
    check_human_text(trimmed, max_chars, false)?;
    Ok(trimmed.to_string())
}

/// An e-mail address as staff type it: ASCII only (look-alike characters in a
/// contact address are a phishing risk), one '@', a valid host name after it.
pub fn validate_email(value: &str) -> Result<String, String> {
    let email = value.trim();
    if email.is_empty() {
        return Err("must not be empty".into());
    }
    if email.len() > MAX_EMAIL {
        return Err(format!("must be at most {MAX_EMAIL} characters"));
    }
    if let Some(c) = email
        .chars()
        .find(|c| !c.is_ascii() || c.is_ascii_control())
    {
        return Err(format!(
            "must use only ASCII characters (found {})",
            describe_char(c)
        ));
    }
    let Some((local, domain)) = email.rsplit_once('@') else {
        return Err("must look like name@example.com (no '@' found)".into());
    };
    if local.is_empty() || local.len() > 64 {
        return Err("the part before '@' must be 1 to 64 characters".into());
    }
    const LOCAL_OK: &str = "!#$%&'*+-/=?^_`{|}~.";
    if let Some(c) = local
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || LOCAL_OK.contains(*c)))
    {
        return Err(format!(
            "the part before '@' may not contain {}",
            describe_char(c)
        ));
    }
    if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
        return Err("the part before '@' must not start or end with '.' or hold '..'".into());
    }
    let domain = validate_hostname(domain).map_err(|e| format!("the domain after '@' {e}"))?;
    Ok(format!("{local}@{domain}"))
}

/// A custom domain for a tenant's Ingress: a lowercase DNS name with at least
/// two labels, no IP address, no wildcard.
pub fn validate_custom_domain(value: &str) -> Result<String, String> {
    let domain = value.trim();
    if domain.is_empty() {
        return Err("must not be empty".into());
    }
    if domain.starts_with("*.") {
        return Err("must not be a wildcard".into());
    }
    validate_hostname(domain)
}

/// Host-name rules shared by e-mail domains and custom domains.
fn validate_hostname(value: &str) -> Result<String, String> {
    let host = value
        .strip_suffix('.')
        .unwrap_or(value)
        .to_ascii_lowercase();
    if host.is_empty() {
        return Err("must not be empty".into());
    }
    if host.len() > MAX_DOMAIN {
        return Err(format!("must be at most {MAX_DOMAIN} characters"));
    }
    if let Some(c) = host
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '.'))
    {
        return Err(format!(
            "may contain only letters a-z, digits, '-' and '.' (found {}); write internationalised names in their xn-- form",
            describe_char(c)
        ));
    }
    let labels: Vec<&str> = host.split('.').collect();
    if labels.len() < 2 {
        return Err("must have at least two labels, like example.com".into());
    }
    for label in &labels {
        if label.is_empty() {
            return Err("must not contain an empty label ('..')".into());
        }
        if label.len() > 63 {
            return Err("must not have a label longer than 63 characters".into());
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err(format!("label \"{label}\" must not start or end with '-'"));
        }
    }
    let tld = labels.last().copied().unwrap_or_default();
    if tld.chars().all(|c| c.is_ascii_digit()) {
        return Err("must be a name, not an IP address".into());
    }
    Ok(host)
}

/// A staff user name: 3 to 32 of a-z, 0-9, '.', '_', '-', starting with a letter.
pub fn validate_username(value: &str) -> Result<String, String> {
    let name = value.trim();
    if name.len() < 3 || name.len() > 32 {
        return Err("must be 3 to 32 characters".into());
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-')))
    {
        return Err(format!(
            "may contain only a-z, 0-9, '.', '_' and '-' (found {})",
            describe_char(c)
        ));
    }
    if !name.starts_with(|c: char| c.is_ascii_lowercase()) {
        return Err("must start with a letter".into());
    }
    Ok(name.to_string())
}

/// A staff password chosen by a person.
pub fn validate_password(value: &str) -> Result<(), String> {
    let n = value.chars().count();
    if n < MIN_PASSWORD {
        return Err(format!("must be at least {MIN_PASSWORD} characters"));
    }
    if n > MAX_PASSWORD {
        return Err(format!("must be at most {MAX_PASSWORD} characters"));
    }
    if value.chars().any(|c| c.is_control()) {
        return Err("must not contain control characters".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        assert_eq!(
            validate_email(" Owner@Acme.COM ").as_deref(),
            Ok("Owner@acme.com")
        );
        assert!(validate_email("no-at-sign").unwrap_err().contains("'@'"));
        assert!(validate_email("a@b").unwrap_err().contains("two labels"));
        assert!(validate_email("a@exаmple.com")
            .unwrap_err()
            .contains("ASCII"));
        assert!(validate_email("<script>@x.com")
            .unwrap_err()
            .contains("'<'"));
        assert!(validate_email("a..b@x.com").unwrap_err().contains(".."));
        assert!(validate_email("a@1.2.3.4")
            .unwrap_err()
            .contains("IP address"));
    }

    #[test]
    fn domains() {
        assert_eq!(
            validate_custom_domain("Shop.Example.com.").as_deref(),
            Ok("shop.example.com")
        );
        assert!(validate_custom_domain("*.example.com")
            .unwrap_err()
            .contains("wildcard"));
        assert!(validate_custom_domain("localhost")
            .unwrap_err()
            .contains("two labels"));
        assert!(validate_custom_domain("-a.example.com")
            .unwrap_err()
            .contains("'-'"));
        assert!(validate_custom_domain("ex ample.com")
            .unwrap_err()
            .contains("U+0020"));
        assert!(validate_custom_domain("exa'mple.com; DROP TABLE x").is_err());
    }

    #[test]
    fn names() {
        assert_eq!(
            validate_display_name("  Acme  ", 100).as_deref(),
            Ok("Acme")
        );
        assert!(validate_display_name("   ", 100)
            .unwrap_err()
            .contains("empty"));
        assert!(validate_display_name("a\u{202E}b", 100)
            .unwrap_err()
            .contains("U+202E"));
        assert!(validate_display_name("a\u{0000}b", 100)
            .unwrap_err()
            .contains("control"));
        assert!(validate_display_name(&"x".repeat(101), 100)
            .unwrap_err()
            .contains("at most 100"));
        // Markup is fine as a name: it is always rendered as text.
        assert!(validate_display_name("<script>alert(1)</script>", 100).is_ok());
    }

    #[test]
    fn usernames_and_passwords() {
        assert!(validate_username("ops.alice").is_ok());
        assert!(validate_username("Al").is_err());
        assert!(validate_username("9lives").unwrap_err().contains("letter"));
        assert!(validate_password("short")
            .unwrap_err()
            .contains("at least 12"));
        assert!(validate_password("long enough pass").is_ok());
    }
}
