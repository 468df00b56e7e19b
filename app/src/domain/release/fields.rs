//! The rules of custom fields: a release's declarations, and a tenant's
//! values checked against them (each error on `custom_fields.<name>`).
//! A tenant stores only the values given; a field without one reads its
//! default, so a later release's default reaches every tenant that never
//! chose.

use std::collections::HashSet;

use crate::domain::text::check_human_text;
use crate::domain::validate::validate_email;
use crate::dto::{CustomFieldKind, CustomFieldSpec, CustomValues};
use crate::error::{AppError, FieldErrors};

const MAX_FIELDS: usize = 30;
const MAX_NAME: usize = 40;
const MAX_TEXT: usize = 500;
const MAX_URL: usize = 2000;

/// Where a field's value is reported in forms and the API.
pub fn form_key(name: &str) -> String {
    format!("custom_fields.{name}")
}

fn name_rule(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name.len() <= MAX_NAME
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "must be 1 to {MAX_NAME} of a-z, 0-9 and '_', starting with a letter"
        ))
    }
}

/// A release's field declarations checked, each error under
/// `fields[i]` or `fields.<name>`; returns the declared names.
pub fn check_specs(fields: &[CustomFieldSpec], e: &mut FieldErrors) -> HashSet<String> {
    let mut names = HashSet::new();
    if fields.len() > MAX_FIELDS {
        e.push("fields", format!("must be at most {MAX_FIELDS}"));
    }
    for (i, f) in fields.iter().enumerate() {
        if e.check(&format!("fields[{i}].name"), name_rule(&f.name))
            .is_none()
        {
            continue;
        }
        let at = format!("fields.{}", f.name);
        if !names.insert(f.name.clone()) {
            e.push(&at, "is declared twice");
            continue;
        }
        if f.label.trim().is_empty() {
            e.push(&format!("{at}.label"), "must not be empty");
        } else {
            e.check(
                &format!("{at}.label"),
                check_human_text(&f.label, 64, false),
            );
        }
        if let Some(h) = &f.help {
            e.check(&format!("{at}.help"), check_human_text(h, 200, false));
        }
        if f.kind == CustomFieldKind::Choice {
            let unique: HashSet<&str> = f.choices.iter().map(|c| c.trim()).collect();
            if f.choices.len() < 2 || unique.len() != f.choices.len() {
                e.push(
                    &format!("{at}.choices"),
                    "must offer at least two different values",
                );
            }
            for c in &f.choices {
                if c.trim().is_empty() || c.trim() != c {
                    e.push(&format!("{at}.choices"), "must not be empty or padded");
                } else {
                    e.check(&format!("{at}.choices"), check_human_text(c, 64, false));
                }
            }
        } else if !f.choices.is_empty() {
            e.push(&format!("{at}.choices"), "are for choice fields only");
        }
        if let Some(p) = &f.pattern {
            if f.kind != CustomFieldKind::Text {
                e.push(&format!("{at}.pattern"), "is for text fields only");
            } else {
                e.check(&format!("{at}.pattern"), compile(p).map(|_| ()));
            }
        }
        if let Some(d) = &f.default {
            e.check(&format!("{at}.default"), value(f, d).map(|_| ()));
        }
    }
    names
}

/// The pattern as a whole-value expression; the compiler's message when
/// it is not one.
#[cfg(feature = "ssr")]
fn compile(pattern: &str) -> Result<regex_lite::Regex, String> {
    if pattern.len() > 500 {
        return Err("must be at most 500 characters".into());
    }
    regex_lite::Regex::new(&format!("^(?:{pattern})$"))
        .map_err(|e| format!("is not a regular expression: {e}"))
}

#[cfg(not(feature = "ssr"))]
fn compile(_: &str) -> Result<(), String> {
    Ok(())
}

/// One value checked against its field and normalised (trimmed; booleans
/// `true`/`false`, colours `#rrggbb` in lower case).
pub fn value(f: &CustomFieldSpec, raw: &str) -> Result<String, String> {
    let v = raw.trim();
    match f.kind {
        CustomFieldKind::Text => {
            check_human_text(v, MAX_TEXT, false)?;
            #[cfg(feature = "ssr")]
            if let Some(p) = &f.pattern {
                if !compile(p)?.is_match(v) {
                    return Err(format!("must match the pattern {p}"));
                }
            }
            Ok(v.to_string())
        }
        CustomFieldKind::Number => match v.parse::<f64>() {
            Ok(n) if n.is_finite() && !v.contains(['e', 'E', 'i', 'n', 'N', '+']) => {
                Ok(v.to_string())
            }
            _ => Err("must be a number, like 42 or -3.5".into()),
        },
        CustomFieldKind::Boolean => match v.to_ascii_lowercase().as_str() {
            "true" | "yes" | "on" | "1" => Ok("true".into()),
            "false" | "no" | "off" | "0" => Ok("false".into()),
            _ => Err("must be true or false".into()),
        },
        CustomFieldKind::Choice => {
            if f.choices.iter().any(|c| c == v) {
                Ok(v.to_string())
            } else {
                Err(format!("must be one of: {}", f.choices.join(", ")))
            }
        }
        CustomFieldKind::Email => validate_email(v),
        CustomFieldKind::Url => url(v),
        CustomFieldKind::Colour => colour(v),
    }
}

fn url(v: &str) -> Result<String, String> {
    let rule = "must be an http:// or https:// address with a host";
    if v.len() > MAX_URL || v.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!(
            "{rule}, at most {MAX_URL} characters, without spaces"
        ));
    }
    let rest = v
        .strip_prefix("https://")
        .or_else(|| v.strip_prefix("http://"))
        .ok_or_else(|| rule.to_string())?;
    if rest.is_empty() || rest.starts_with(['/', '?', '#']) {
        return Err(rule.into());
    }
    #[cfg(feature = "ssr")]
    match url::Url::parse(v) {
        Ok(u) if u.host_str().is_some_and(|h| !h.is_empty()) => {}
        Ok(_) => return Err(rule.into()),
        Err(e) => return Err(format!("{rule}: {e}")),
    }
    Ok(v.to_string())
}

fn colour(v: &str) -> Result<String, String> {
    let hex = v.strip_prefix('#').unwrap_or("");
    let ok = (hex.len() == 6 || hex.len() == 3) && hex.chars().all(|c| c.is_ascii_hexdigit());
    if !ok {
        return Err("must be a colour like #1a73e8 or #fff".into());
    }
    let hex = hex.to_ascii_lowercase();
    Ok(if hex.len() == 3 {
        hex.chars().fold(String::from("#"), |mut s, c| {
            s.push(c);
            s.push(c);
            s
        })
    } else {
        format!("#{hex}")
    })
}

/// A tenant's stored values after `given` (a patch: a name given empty
/// clears its value to the default), checked against the release's
/// `fields`: all problems at once, each under `custom_fields.<name>`.
/// Returns the values to store: the given or kept values of declared
/// fields only.
pub fn values(
    fields: &[CustomFieldSpec],
    stored: &CustomValues,
    given: &CustomValues,
) -> Result<CustomValues, AppError> {
    let mut e = FieldErrors::default();
    for name in given.keys() {
        if !fields.iter().any(|f| &f.name == name) {
            e.push(
                &form_key(name),
                "is not a field of the tenant's application release",
            );
        }
    }
    let mut out = CustomValues::new();
    for f in fields {
        let raw = given
            .get(&f.name)
            .or_else(|| stored.get(&f.name))
            .map(|v| v.trim())
            .filter(|v| !v.is_empty());
        match raw {
            Some(v) => {
                if let Some(v) = e.check(&form_key(&f.name), value(f, v)) {
                    out.insert(f.name.clone(), v);
                }
            }
            None if f.required && f.default.is_none() => {
                e.push(&form_key(&f.name), format!("\"{}\" is required", f.label));
            }
            None => {}
        }
    }
    e.into_result()?;
    Ok(out)
}

/// What each declared field reads for a tenant: its value, else its
/// default, else empty.
pub fn effective(fields: &[CustomFieldSpec], stored: &CustomValues) -> CustomValues {
    fields
        .iter()
        .map(|f| {
            let v = stored
                .get(&f.name)
                .cloned()
                .or_else(|| {
                    f.default
                        .as_deref()
                        .map(|d| value(f, d).unwrap_or(d.into()))
                })
                .unwrap_or_default();
            (f.name.clone(), v)
        })
        .collect()
}

#[cfg(test)]
mod tests;
