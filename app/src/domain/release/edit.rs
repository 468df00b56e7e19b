//! Edits the release editor's form makes to the text staff wrote: the
//! text stays theirs (comments, order, layout), only the value changes.

/// `source` with every `image:` value equal to `old` (YAML, quoted or not,
/// or JSON) replaced by `new`; anything else is left as it is.
pub fn with_image(source: &str, old: &str, new: &str) -> String {
    if old.is_empty() || old == new {
        return source.to_string();
    }
    let mut out = String::with_capacity(source.len());
    for (i, line) in source.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(&line_with_image(line, old, new));
    }
    out
}

fn line_with_image(line: &str, old: &str, new: &str) -> String {
    let mut out = String::new();
    let mut rest = line;
    while let Some(at) = rest.find(old) {
        let (before, after) = rest.split_at(at);
        let tail = &after[old.len()..];
        let ends = tail
            .chars()
            .next()
            .is_none_or(|c| matches!(c, '"' | '\'' | ',' | '}' | ' ' | '\t' | '\r' | '#'));
        let key = before
            .trim_end_matches(['"', '\''])
            .trim_end()
            .strip_suffix(':')
            .map(|k| k.trim_end().trim_end_matches(['"', '\'']))
            .is_some_and(|k| k.ends_with("image"));
        out.push_str(before);
        out.push_str(if ends && key { new } else { old });
        rest = tail;
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_image_values_change_and_the_rest_of_the_text_stays() {
        let yaml = "# api first\ncomponents:\n  - name: api\n    image: api:1.0.0  # pinned\n    \
                    env: [{ name: IMAGE, value: api:1.0.0 }]\n  - { name: web, image: \"api:1.0.0\" }\n    \
                    image: api:1.0.0-rc\n";
        let out = with_image(yaml, "api:1.0.0", "api:1.1.0");
        assert_eq!(
            out,
            "# api first\ncomponents:\n  - name: api\n    image: api:1.1.0  # pinned\n    \
             env: [{ name: IMAGE, value: api:1.0.0 }]\n  - { name: web, image: \"api:1.1.0\" }\n    \
             image: api:1.0.0-rc\n"
        );
        let json = r#"{"components": [{"name": "api", "image": "api:1.0.0"}]}"#;
        assert_eq!(
            with_image(json, "api:1.0.0", "api:2"),
            r#"{"components": [{"name": "api", "image": "api:2"}]}"#
        );
        assert_eq!(with_image(yaml, "", "x"), yaml);
    }
}
