//! Channel secrets at rest (SMTP passwords, webhook signing keys, Slack
//! URLs, PagerDuty routing keys): sealed with ChaCha20-Poly1305 under a key
//! derived from `TENANTRY_SECRET_KEY`, a fresh nonce each time. Without a
//! configured key no channel with a secret can be saved.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use sha2::{Digest, Sha256};

use crate::config::Secret;
use crate::error::{Result, ServerError};

/// Seals and opens channel secrets. The default has no key: nothing can
/// be sealed.
#[derive(Clone, Default)]
pub struct Sealer {
    cipher: Option<ChaCha20Poly1305>,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sealer([redacted])")
    }
}

const VERSION: &str = "v1:";

impl Sealer {
    /// From the configured key (any string of at least 16 characters; it
    /// is hashed to the cipher's 256-bit key), or none.
    pub fn new(key: Option<&Secret>) -> Result<Sealer> {
        let cipher = match key {
            None => None,
            Some(k) if k.0.chars().count() < 16 => {
                return Err(ServerError::Config(
                    "TENANTRY_SECRET_KEY must be at least 16 characters".into(),
                ))
            }
            Some(k) => {
                let digest = Sha256::digest(k.0.as_bytes());
                Some(ChaCha20Poly1305::new(Key::from_slice(&digest)))
            }
        };
        Ok(Sealer { cipher })
    }

    pub fn configured(&self) -> bool {
        self.cipher.is_some()
    }

    fn cipher(&self) -> Result<&ChaCha20Poly1305> {
        self.cipher.as_ref().ok_or_else(|| {
            ServerError::App(app::error::AppError::invalid(
                "secret",
                "cannot be stored: the console has no TENANTRY_SECRET_KEY to seal it with",
            ))
        })
    }

    pub fn seal(&self, plain: &str) -> Result<String> {
        let cipher = self.cipher()?;
        let nonce = ChaCha20Poly1305::generate_nonce(&mut OsRng);
        let sealed = cipher
            .encrypt(&nonce, plain.as_bytes())
            .map_err(|_| ServerError::Config("a secret could not be sealed".into()))?;
        let mut out = nonce.to_vec();
        out.extend(sealed);
        Ok(format!("{VERSION}{}", STANDARD.encode(out)))
    }

    pub fn open(&self, sealed: &str) -> Result<String> {
        let cipher = self.cipher()?;
        let fail = || {
            ServerError::Config(
                "a channel secret cannot be opened: was TENANTRY_SECRET_KEY changed?".into(),
            )
        };
        let raw = STANDARD
            .decode(sealed.strip_prefix(VERSION).ok_or_else(fail)?)
            .map_err(|_| fail())?;
        if raw.len() < 12 {
            return Err(fail());
        }
        let (nonce, body) = raw.split_at(12);
        let plain = cipher
            .decrypt(Nonce::from_slice(nonce), body)
            .map_err(|_| fail())?;
        String::from_utf8(plain).map_err(|_| fail())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_round_trip_sealed_differently_each_time_and_need_the_key() {
        let key = Secret("correct horse battery staple".into());
        let s = Sealer::new(Some(&key)).expect("sealer");
        let a = s.seal("smtp-password").expect("seal");
        let b = s.seal("smtp-password").expect("seal");
        assert_ne!(a, b, "a fresh nonce each time");
        assert!(!a.contains("smtp-password"));
        assert_eq!(s.open(&a).expect("open"), "smtp-password");
        let other = Sealer::new(Some(&Secret("another key entirely!".into()))).expect("sealer");
        assert!(other
            .open(&a)
            .unwrap_err()
            .to_string()
            .contains("TENANTRY_SECRET_KEY"));
        let none = Sealer::new(None).expect("none");
        assert!(none
            .seal("x")
            .unwrap_err()
            .to_string()
            .contains("TENANTRY_SECRET_KEY"));
        assert!(Sealer::new(Some(&Secret("short".into()))).is_err());
    }
}
