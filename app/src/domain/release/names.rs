//! The name rules a cluster enforces, checked before a release is stored:
//! DNS labels, port names, env names, Secret keys, image references,
//! paths. Each returns the rule broken, worded for a person.

/// An RFC 1123 label of at most `max` characters (object names).
pub fn dns_label(value: &str, max: usize) -> Result<(), String> {
    let ok_char = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-';
    if value.is_empty() || value.len() > max {
        return Err(format!("must be 1 to {max} characters"));
    }
    if !value.chars().all(ok_char) {
        return Err("may hold only a-z, 0-9 and '-'".into());
    }
    if value.starts_with('-') || value.ends_with('-') {
        return Err("must start and end with a letter or digit".into());
    }
    Ok(())
}

/// A port's name (IANA service name): up to 15 of a-z, 0-9 and '-', with
/// a letter, no "--".
pub fn port_name(value: &str) -> Result<(), String> {
    dns_label(value, 15)?;
    if !value.chars().any(|c| c.is_ascii_lowercase()) {
        return Err("must hold at least one letter".into());
    }
    if value.contains("--") {
        return Err("may not hold \"--\"".into());
    }
    Ok(())
}

/// An environment variable's name: a letter or '_', then letters, digits
/// and '_'.
pub fn env_name(value: &str) -> Result<(), String> {
    let mut chars = value.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    if !first_ok || !chars.all(|c| c.is_ascii_alphanumeric() || c == '_') || value.len() > 128 {
        return Err("must be a letter or '_' then letters, digits or '_' (at most 128)".into());
    }
    Ok(())
}

/// A key of a Secret or ConfigMap.
pub fn data_key(value: &str) -> Result<(), String> {
    let ok = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
    if value.is_empty() || value.len() > 253 || !value.chars().all(ok) || value == "." {
        return Err("must be 1 to 253 of letters, digits, '-', '_' and '.'".into());
    }
    Ok(())
}

/// A URL path prefix an HTTP route serves.
pub fn route_path(value: &str) -> Result<(), String> {
    let ok = |c: char| c.is_ascii_alphanumeric() || "/._~%!$&'()*+,;=:@-".contains(c);
    if !value.starts_with('/') {
        return Err("must start with '/'".into());
    }
    if value.len() > 200 || !value.chars().all(ok) {
        return Err("may hold only URL path characters (at most 200)".into());
    }
    if value.contains("//") || value.split('/').any(|s| s == "." || s == "..") {
        return Err("may not hold \"//\", \".\" or \"..\" segments".into());
    }
    Ok(())
}

/// An absolute path in a container, for a file or a volume.
pub fn mount_path(value: &str) -> Result<(), String> {
    if !value.starts_with('/') || value == "/" {
        return Err("must be an absolute path below '/'".into());
    }
    if value.contains(':') || value.contains("//") || value.split('/').any(|s| s == "..") {
        return Err("may not hold ':', \"//\" or \"..\"".into());
    }
    if value.chars().any(|c| c.is_control() || c.is_whitespace()) || value.len() > 256 {
        return Err("may not hold spaces or control characters (at most 256)".into());
    }
    Ok(())
}

/// An image reference with a tag or a digest (no implicit `latest`), as
/// the distribution reference grammar has it.
pub fn image(value: &str) -> Result<(), String> {
    if value.is_empty() || value.len() > 255 {
        return Err("must be 1 to 255 characters".into());
    }
    let (name, digest) = match value.split_once('@') {
        Some((n, d)) => (n, Some(d)),
        None => (value, None),
    };
    // A tag follows the last ':' after the last '/' (a registry host may
    // have a port).
    let last_slash = name.rfind('/').map_or(0, |i| i + 1);
    let (repo, tag) = match name[last_slash..].rfind(':') {
        Some(i) => (&name[..last_slash + i], Some(&name[last_slash + i + 1..])),
        None => (name, None),
    };
    if tag.is_none() && digest.is_none() {
        return Err("needs a tag (name:1.2.3) or a digest (name@sha256:…)".into());
    }
    if let Some(t) = tag {
        let ok = t.len() <= 128
            && t.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
            && t.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
        if !ok {
            return Err(format!(
                "tag \"{t}\" must be 1 to 128 of letters, digits, '_', '.' and '-', not starting with '.' or '-'"
            ));
        }
    }
    if let Some(d) = digest {
        let ok = d.strip_prefix("sha256:").is_some_and(|h| {
            h.len() == 64
                && h.chars()
                    .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
        });
        if !ok {
            return Err("digest must be sha256: and 64 lower-case hex digits".into());
        }
    }
    let mut parts: Vec<&str> = repo.split('/').collect();
    if parts.len() > 1 && is_registry_host(parts[0]) {
        let host = parts.remove(0);
        let (h, port) = host.split_once(':').unwrap_or((host, ""));
        let host_ok = !h.is_empty()
            && h.split('.').all(|l| {
                !l.is_empty()
                    && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                    && !l.starts_with('-')
                    && !l.ends_with('-')
            });
        if !host_ok || !(port.is_empty() || port.parse::<u16>().is_ok()) {
            return Err(format!(
                "registry host \"{host}\" is not a host name[:port]"
            ));
        }
    }
    for p in parts {
        if !repository_component(p) {
            return Err(format!(
                "\"{p}\" must be lower-case letters and digits, joined by '.', '_', \"__\" or '-'"
            ));
        }
    }
    Ok(())
}

/// Whether an image reference names its registry; names that do not are
/// relative and get the console's `--image-registry` mirror prefix.
pub fn names_registry(image: &str) -> bool {
    image
        .split_once('/')
        .is_some_and(|(first, _)| is_registry_host(first))
}

fn is_registry_host(first: &str) -> bool {
    first.contains('.') || first.contains(':') || first == "localhost"
}

fn repository_component(p: &str) -> bool {
    let alnum = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit();
    if p.is_empty() || !p.starts_with(alnum) || !p.ends_with(alnum) {
        return false;
    }
    // Separators between alphanumeric runs: '.', '_', "__" or any dashes.
    let mut sep = String::new();
    for c in p.chars() {
        if alnum(c) {
            let ok = sep.is_empty()
                || sep == "."
                || sep == "_"
                || sep == "__"
                || sep.chars().all(|c| c == '-');
            if !ok {
                return false;
            }
            sep.clear();
        } else if matches!(c, '.' | '_' | '-') {
            sep.push(c);
        } else {
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_references_follow_the_distribution_grammar() {
        for ok in [
            "api:1.0.0",
            "postgres:16",
            "library/wordpress:6.5-php8.2-apache",
            "ghcr.io/acme/shop-api:v2",
            "localhost:5000/app__x/y:latest",
            "registry.example.com:443/a/b@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
            "a:b@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        ] {
            assert_eq!(image(ok), Ok(()), "{ok}");
        }
        for bad in [
            "api",
            "API:1",
            "api:",
            "api:-x",
            "api@sha256:xyz",
            "-api:1",
            "a..b:1",
            "exa mple:1",
            "host:99999/a:1",
        ] {
            assert!(image(bad).is_err(), "{bad}");
        }
        assert!(!names_registry("api:1.0.0"));
        assert!(!names_registry("library/wordpress:6"));
        assert!(names_registry("ghcr.io/acme/api:1"));
        assert!(names_registry("localhost/api:1"));
    }

    #[test]
    fn names_paths_and_keys() {
        assert!(dns_label("api", 40).is_ok());
        assert!(dns_label("Api", 40).is_err());
        assert!(dns_label("-a", 40).is_err());
        assert!(port_name("http").is_ok());
        assert!(port_name("8080").is_err());
        assert!(port_name("a--b").is_err());
        assert!(port_name("sixteen-chars-xx").is_err());
        assert!(env_name("JWT_SECRET").is_ok());
        assert!(env_name("1X").is_err());
        assert!(data_key("jwt-secret").is_ok());
        assert!(data_key("a/b").is_err());
        assert!(route_path("/api").is_ok());
        assert!(route_path("api").is_err());
        assert!(route_path("/a/../b").is_err());
        assert!(mount_path("/etc/app/config.json").is_ok());
        assert!(mount_path("etc").is_err());
        assert!(mount_path("/a/../b").is_err());
    }
}
