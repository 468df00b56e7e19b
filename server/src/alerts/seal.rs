//! Channel secrets at rest (SMTP passwords, webhook signing keys, Slack
//! URLs, PagerDuty routing keys): sealed with ChaCha20-Poly1305, a fresh
//! nonce each time, under a key derived from `TENANTRY_SECRET_KEY`: HKDF
//! when it is a random key (base64 of at least 32 bytes), Argon2id when it
//! is a passphrase. Each ciphertext is bound, as associated data, to its
//! channel's row, kind and destination, so it opens nowhere else: moved to
//! another row, or left on a channel whose kind or destination changed, it
//! does not open. A previous key (`TENANTRY_SECRET_KEY_PREVIOUS`) still
//! opens what it sealed, and so does the first scheme (`v1:`: a SHA-256 of
//! the key, no binding); the leader re-seals those with the current key.
//! Without a configured key no channel with a secret can be saved.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use sha2::{Digest, Sha256};

use crate::error::{Result, ServerError};
use crate::values::Secret;

/// The ciphers one configured key gives.
#[derive(Clone)]
struct Keys {
    /// The current scheme's.
    bound: ChaCha20Poly1305,
    /// The first scheme's (SHA-256 of the key), to open old secrets only.
    legacy: ChaCha20Poly1305,
}

/// Seals and opens channel secrets. The default has no key: nothing can
/// be sealed.
#[derive(Clone, Default)]
pub struct Sealer {
    current: Option<Keys>,
    previous: Option<Keys>,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sealer([redacted])")
    }
}

const LEGACY: &str = "v1:";
const BOUND: &str = "v2:";

/// How a sealed secret opened.
#[derive(Debug, PartialEq, Eq)]
pub enum Opened {
    /// With the current key and scheme: nothing to do.
    Current(String),
    /// With a previous key or the first scheme: seal it again.
    Stale(String),
}

impl Opened {
    pub fn plain(self) -> String {
        match self {
            Opened::Current(p) | Opened::Stale(p) => p,
        }
    }
}

/// What a channel's secret is bound to: its row, kind and destination.
pub fn binding(id: i64, kind: &str, destination: &str) -> String {
    format!("tenantry channel secret|{id}|{kind}|{destination}")
}

/// Where a channel's secret goes, and how, from its settings: the URL of a
/// webhook or PagerDuty, the SMTP server, user and TLS mode of e-mail (a
/// Slack channel's URL is its secret), and the CA trusted for it. Changing
/// any of them needs the secret entered again: a stored password must not
/// go out in clear text, or to a server a new CA vouches for, unasked.
pub fn destination(settings: &serde_json::Value) -> String {
    let text = |k: &str| match &settings[k] {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    };
    let ca = text("ca_cert");
    let ca = if ca.trim().is_empty() {
        String::new()
    } else {
        hex::encode(Sha256::digest(ca.trim().as_bytes()))
    };
    format!(
        "{} {}:{} {} {} {ca}",
        text("url"),
        text("host"),
        text("port"),
        text("user"),
        text("tls"),
    )
}

/// The binding of a stored channel's secret.
pub fn channel_binding(id: i64, kind: &str, settings: &str) -> String {
    let settings: serde_json::Value = serde_json::from_str(settings).unwrap_or_default();
    binding(id, kind, &destination(&settings))
}

fn keys(k: &Secret) -> Result<Keys> {
    if k.0.chars().count() < 16 {
        return Err(ServerError::Config(
            "TENANTRY_SECRET_KEY must be at least 16 characters".into(),
        ));
    }
    let mut derived = [0u8; 32];
    match STANDARD.decode(k.0.trim()).ok().filter(|b| b.len() >= 32) {
        // A random key: HKDF extracts and expands it.
        Some(random) => hkdf::Hkdf::<Sha256>::new(Some(b"tenantry/seal/v2"), &random)
            .expand(b"channel secrets", &mut derived)
            .map_err(|_| ServerError::Config("the secret key cannot be derived".into()))?,
        // A passphrase: a memory-hard hash, salted per purpose.
        None => argon2::Argon2::default()
            .hash_password_into(
                k.0.as_bytes(),
                b"tenantry/seal/v2/channel-secrets",
                &mut derived,
            )
            .map_err(|_| ServerError::Config("the secret key cannot be derived".into()))?,
    }
    let digest = Sha256::digest(k.0.as_bytes());
    Ok(Keys {
        bound: ChaCha20Poly1305::new(Key::from_slice(&derived)),
        legacy: ChaCha20Poly1305::new(Key::from_slice(&digest)),
    })
}

impl Sealer {
    /// From the configured key (a random key in base64, or a passphrase of
    /// at least 16 characters), or none.
    pub fn new(key: Option<&Secret>) -> Result<Sealer> {
        Self::rotating(key, None)
    }

    /// With a previous key too, which only opens.
    pub fn rotating(key: Option<&Secret>, previous: Option<&Secret>) -> Result<Sealer> {
        if previous.is_some() && key.is_none() {
            return Err(ServerError::Config(
                "TENANTRY_SECRET_KEY_PREVIOUS needs TENANTRY_SECRET_KEY".into(),
            ));
        }
        Ok(Sealer {
            current: key.map(keys).transpose()?,
            previous: previous.map(keys).transpose()?,
        })
    }

    pub fn configured(&self) -> bool {
        self.current.is_some()
    }

    /// Fails, saying why, when nothing can be sealed.
    pub fn ready(&self) -> Result<()> {
        self.current().map(|_| ())
    }

    fn current(&self) -> Result<&Keys> {
        self.current.as_ref().ok_or_else(|| {
            ServerError::App(app::error::AppError::invalid(
                "secret",
                "cannot be stored: the console has no TENANTRY_SECRET_KEY to seal it with",
            ))
        })
    }

    /// Seals `plain` bound to `binding` (see [`binding`]).
    pub fn seal(&self, plain: &str, binding: &str) -> Result<String> {
        let keys = self.current()?;
        let nonce = ChaCha20Poly1305::generate_nonce(&mut OsRng);
        let sealed = keys
            .bound
            .encrypt(
                &nonce,
                Payload {
                    msg: plain.as_bytes(),
                    aad: binding.as_bytes(),
                },
            )
            .map_err(|_| ServerError::Config("a secret could not be sealed".into()))?;
        let mut out = nonce.to_vec();
        out.extend(sealed);
        Ok(format!("{BOUND}{}", STANDARD.encode(out)))
    }

    /// Opens a secret sealed for `binding`, with the current key or the
    /// previous one, in either scheme.
    pub fn open(&self, sealed: &str, binding: &str) -> Result<Opened> {
        let current = self.current()?;
        let fail = || {
            ServerError::Config(
                "a channel secret cannot be opened: it was sealed for another channel, kind or \
                 destination, or with a key the console no longer has (TENANTRY_SECRET_KEY, \
                 TENANTRY_SECRET_KEY_PREVIOUS)"
                    .into(),
            )
        };
        let (bound, body) = match (sealed.strip_prefix(BOUND), sealed.strip_prefix(LEGACY)) {
            (Some(b), _) => (true, b),
            (None, Some(b)) => (false, b),
            _ => return Err(fail()),
        };
        let raw = STANDARD.decode(body).map_err(|_| fail())?;
        if raw.len() < 12 {
            return Err(fail());
        }
        let (nonce, body) = raw.split_at(12);
        let nonce = Nonce::from_slice(nonce);
        let try_keys = |k: &Keys| -> Option<Vec<u8>> {
            if bound {
                k.bound
                    .decrypt(
                        nonce,
                        Payload {
                            msg: body,
                            aad: binding.as_bytes(),
                        },
                    )
                    .ok()
            } else {
                k.legacy.decrypt(nonce, body).ok()
            }
        };
        let text = |p: Vec<u8>| String::from_utf8(p).map_err(|_| fail());
        if let Some(p) = try_keys(current) {
            return Ok(if bound {
                Opened::Current(text(p)?)
            } else {
                Opened::Stale(text(p)?)
            });
        }
        match self.previous.as_ref().and_then(try_keys) {
            Some(p) => Ok(Opened::Stale(text(p)?)),
            None => Err(fail()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sealer(key: &str) -> Sealer {
        Sealer::new(Some(&Secret(key.into()))).expect("sealer")
    }

    #[test]
    fn secrets_round_trip_sealed_differently_each_time_and_need_the_key() {
        let s = sealer("correct horse battery staple");
        let at = binding(1, "email", "smtp.example.com:587");
        let a = s.seal("smtp-password", &at).expect("seal");
        let b = s.seal("smtp-password", &at).expect("seal");
        assert_ne!(a, b, "a fresh nonce each time");
        assert!(!a.contains("smtp-password"));
        assert_eq!(
            s.open(&a, &at).expect("open"),
            Opened::Current("smtp-password".into())
        );
        let other = sealer("another key entirely!");
        assert!(other
            .open(&a, &at)
            .unwrap_err()
            .to_string()
            .contains("TENANTRY_SECRET_KEY"));
        let none = Sealer::new(None).expect("none");
        assert!(none
            .seal("x", &at)
            .unwrap_err()
            .to_string()
            .contains("TENANTRY_SECRET_KEY"));
        assert!(Sealer::new(Some(&Secret("short".into()))).is_err());
        // A random key in base64 is used through HKDF, and works alike.
        let random = sealer(&STANDARD.encode([7u8; 32]));
        let c = random.seal("k", &at).expect("seal");
        assert_eq!(random.open(&c, &at).expect("open").plain(), "k");
    }

    #[test]
    fn a_sealed_secret_opens_only_for_its_row_kind_and_destination() {
        let s = sealer("correct horse battery staple");
        let slack = binding(3, "slack", "");
        let sealed = s
            .seal("https://hooks.slack.com/services/T/B/x", &slack)
            .expect("seal");
        for elsewhere in [
            binding(4, "slack", ""),
            binding(3, "pagerduty", "http://attacker.example/"),
            binding(3, "slack", "changed"),
        ] {
            assert!(s.open(&sealed, &elsewhere).is_err(), "{elsewhere}");
        }
    }

    #[test]
    fn old_secrets_and_a_previous_key_still_open_and_are_marked_for_resealing() {
        let key = Secret("correct horse battery staple".into());
        // Sealed by the first scheme: SHA-256 of the key, no binding.
        let legacy = {
            let digest = Sha256::digest(key.0.as_bytes());
            let cipher = ChaCha20Poly1305::new(Key::from_slice(&digest));
            let nonce = ChaCha20Poly1305::generate_nonce(&mut OsRng);
            let mut out = nonce.to_vec();
            out.extend(
                cipher
                    .encrypt(&nonce, b"old secret".as_ref())
                    .expect("seal"),
            );
            format!("v1:{}", STANDARD.encode(out))
        };
        let s = Sealer::new(Some(&key)).expect("sealer");
        let at = binding(1, "webhook", "https://hooks.example.com/");
        assert_eq!(
            s.open(&legacy, &at).expect("open"),
            Opened::Stale("old secret".into())
        );
        // Rotation: the old key only opens; the new one seals.
        let new_key = Secret("a brand new key for the console".into());
        let sealed_before = s.seal("rotated", &at).expect("seal");
        let rotated = Sealer::rotating(Some(&new_key), Some(&key)).expect("sealer");
        assert_eq!(
            rotated.open(&sealed_before, &at).expect("open"),
            Opened::Stale("rotated".into())
        );
        assert_eq!(
            rotated.open(&legacy, &at).expect("open").plain(),
            "old secret"
        );
        let resealed = rotated.seal("rotated", &at).expect("seal");
        assert!(s.open(&resealed, &at).is_err(), "sealed with the new key");
        assert!(Sealer::rotating(None, Some(&key)).is_err());
    }
}
