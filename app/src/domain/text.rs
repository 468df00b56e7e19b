//! Character-level checks shared by every validator.

/// Characters that render as nothing or reorder text: a name holding one can
/// look like another name, so they are refused everywhere.
pub fn is_invisible_or_bidi(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{034F}'
            | '\u{061C}'
            | '\u{115F}'
            | '\u{1160}'
            | '\u{17B4}'
            | '\u{17B5}'
            | '\u{180E}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{206F}'
            | '\u{3164}'
            | '\u{FE00}'..='\u{FE0F}'
            | '\u{FEFF}'
            | '\u{FFA0}'
            | '\u{FFF9}'..='\u{FFFB}'
    )
}

/// A short, printable rendering of a rejected character for error messages.
pub fn describe_char(c: char) -> String {
    if c.is_control() || is_invisible_or_bidi(c) || c.is_whitespace() {
        format!("U+{:04X}", c as u32)
    } else {
        format!("'{c}' (U+{:04X})", c as u32)
    }
}

/// Human text (names, descriptions): printable, no control or invisible characters.
pub fn check_human_text(value: &str, max_chars: usize, allow_newlines: bool) -> Result<(), String> {
    let count = value.chars().count();
    if count > max_chars {
        return Err(format!(
            "must be at most {max_chars} characters (got {count})"
        ));
    }
    for c in value.chars() {
        let newline_ok = allow_newlines && (c == '\n' || c == '\r');
        if (c.is_control() && !newline_ok) || is_invisible_or_bidi(c) {
            return Err(format!(
                "must not contain control or invisible characters (found {})",
                describe_char(c)
            ));
        }
    }
    Ok(())
}
