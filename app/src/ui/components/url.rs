//! Query-string values, percent-encoded (everything but unreserved characters).

pub fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_unreserved_characters_pass() {
        assert_eq!(
            super::urlencode("a&b c,tenant:x-1_~."),
            "a%26b%20c%2Ctenant%3Ax-1_~."
        );
    }
}
