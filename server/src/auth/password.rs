//! argon2id hashes, computed off the async threads.

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use rand::Rng;

use crate::error::{Result, ServerError};

pub async fn hash_password(password: String) -> Result<String> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| ServerError::Hash(e.to_string()))
    })
    .await
    .map_err(|e| ServerError::Hash(e.to_string()))?
}

/// Checks a password; with no stored hash it still spends the same work, so
/// timing does not tell whether an account exists.
pub async fn verify_password(password: String, hash: Option<String>) -> Result<bool> {
    tokio::task::spawn_blocking(move || {
        let dummy;
        let stored = match &hash {
            Some(h) => h.as_str(),
            None => {
                dummy = dummy_hash();
                dummy.as_str()
            }
        };
        let parsed = PasswordHash::new(stored).map_err(|e| ServerError::Hash(e.to_string()))?;
        let ok = Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok();
        Ok(ok && hash.is_some())
    })
    .await
    .map_err(|e| ServerError::Hash(e.to_string()))?
}

fn dummy_hash() -> String {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY
        .get_or_init(|| {
            let salt = SaltString::generate(&mut OsRng);
            Argon2::default()
                .hash_password(b"tenantry-no-such-account", &salt)
                .map(|h| h.to_string())
                .unwrap_or_default()
        })
        .clone()
}

/// A random password for a new account or a reset: 20 characters from an
/// alphabet without look-alikes (about 117 bits).
pub fn generate_password() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789";
    random_chars(ALPHABET, 20)
}

/// `len` characters drawn uniformly from `alphabet` with the OS's CSPRNG:
/// the one source of every generated password, secret and ID suffix.
pub fn random_chars(alphabet: &[u8], len: usize) -> String {
    let mut rng = rand::rngs::OsRng;
    (0..len)
        .map(|_| alphabet[rng.gen_range(0..alphabet.len())] as char)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_verify_and_differ() {
        let h1 = hash_password("correct horse battery".into())
            .await
            .expect("hash");
        let h2 = hash_password("correct horse battery".into())
            .await
            .expect("hash");
        assert_ne!(h1, h2, "salted");
        assert!(h1.starts_with("$argon2id$"));
        assert!(
            verify_password("correct horse battery".into(), Some(h1.clone()))
                .await
                .expect("verify")
        );
        assert!(!verify_password("wrong".into(), Some(h1))
            .await
            .expect("verify"));
        assert!(!verify_password("anything".into(), None)
            .await
            .expect("verify"));
    }

    #[test]
    fn generated_passwords_are_long_and_distinct() {
        let a = generate_password();
        assert_eq!(a.len(), 20);
        assert_ne!(a, generate_password());
    }
}
