//! API tokens: `tnt_` and 43 random characters (256 bits). The database
//! keeps only the SHA-256; the bearer header is the only place a token
//! travels, and it is never logged.

use axum::http::{header, HeaderMap};
use sha2::{Digest, Sha256};

use crate::values::random_chars;

const PREFIX: &str = "tnt_";
const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
/// 43 characters of 62 carry just over 256 bits.
const LEN: usize = 43;
/// Characters shown in lists to tell tokens apart.
const SHOWN: usize = PREFIX.len() + 6;

/// A freshly made token.
pub struct MintedToken {
    /// Shown once to its maker.
    pub secret: String,
    pub hash: String,
    pub prefix: String,
}

pub fn mint_token() -> MintedToken {
    let secret = format!("{PREFIX}{}", random_chars(ALPHABET, LEN));
    MintedToken {
        hash: hash_token(&secret),
        prefix: secret.chars().take(SHOWN).collect(),
        secret,
    }
}

pub fn hash_token(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// The token of an `Authorization: Bearer …` header, if the request has one.
pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_random_and_only_their_hash_is_kept() {
        let a = mint_token();
        let b = mint_token();
        assert_ne!(a.secret, b.secret);
        assert_eq!(a.secret.len(), PREFIX.len() + LEN);
        assert!(a.secret.starts_with(&a.prefix) && a.prefix.len() == SHOWN);
        assert_eq!(a.hash, hash_token(&a.secret));
        assert!(!a.hash.contains(&a.secret[PREFIX.len()..]));
    }

    #[test]
    fn bearer_reads_only_the_bearer_scheme() {
        let mut h = HeaderMap::new();
        assert_eq!(bearer(&h), None);
        h.insert(header::AUTHORIZATION, "Basic abc".parse().unwrap());
        assert_eq!(bearer(&h), None);
        h.insert(header::AUTHORIZATION, "Bearer tnt_x".parse().unwrap());
        assert_eq!(bearer(&h), Some("tnt_x"));
        h.insert(header::AUTHORIZATION, "bearer  tnt_y ".parse().unwrap());
        assert_eq!(bearer(&h), Some("tnt_y"));
    }
}
