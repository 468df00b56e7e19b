//! argon2id hashes, computed off the async threads by a bounded pool: at
//! most one hash per core runs at once, each in a memory arena the pool
//! keeps and reuses, so a flood of sign-ins can neither pile up hashes nor
//! leave gigabytes behind in the allocator (each hash needs 19 MiB).

use crate::values::random_chars;
use std::sync::{Mutex, OnceLock};

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{Output, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use tokio::sync::Semaphore;

use crate::error::{Result, ServerError};

/// Stored hashes asking for more memory than this are refused rather than
/// allocated (a corrupted or hostile row must not take the process down).
const MAX_BLOCKS: usize = 64 * 1024;

/// The process's hashing pool.
struct Pool {
    permits: Semaphore,
    /// One more slot, only for sign-ins to accounts that exist from
    /// addresses without recent failures: a flood of guesses fills
    /// `permits`, never this, so the real staff still get in.
    reserved: Semaphore,
    /// One arena per permit, made on first use and kept.
    arenas: Mutex<Vec<Vec<Block>>>,
}

fn pool() -> &'static Pool {
    static POOL: OnceLock<Pool> = OnceLock::new();
    POOL.get_or_init(|| {
        let n = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2);
        Pool {
            permits: Semaphore::new(n),
            reserved: Semaphore::new(1),
            arenas: Mutex::new((0..=n).map(|_| Vec::new()).collect()),
        }
    })
}

fn hash_error(e: impl std::fmt::Display) -> ServerError {
    ServerError::Hash(e.to_string())
}

/// Runs `work` on a blocking thread with an arena, once a permit is held.
async fn with_arena<T: Send + 'static>(
    permit: tokio::sync::SemaphorePermit<'static>,
    work: impl FnOnce(&mut Vec<Block>) -> Result<T> + Send + 'static,
) -> Result<T> {
    let p = pool();
    let mut arena = p
        .arenas
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .pop()
        .unwrap_or_default();
    let (arena, out) = tokio::task::spawn_blocking(move || {
        let out = work(&mut arena);
        (arena, out)
    })
    .await
    .map_err(hash_error)?;
    p.arenas
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(arena);
    drop(permit);
    out
}

/// Computes argon2 of `password` with `params` and `salt` into `out`.
fn compute(
    arena: &mut Vec<Block>,
    params: Params,
    (password, salt): (&[u8], &[u8]),
    out: &mut [u8],
) -> Result<()> {
    let blocks = params.block_count();
    if blocks > MAX_BLOCKS {
        return Err(hash_error(format!(
            "a stored hash asks for {blocks} KiB of memory; at most {MAX_BLOCKS} are allowed"
        )));
    }
    if arena.len() < blocks {
        arena.resize(blocks, Block::default());
    }
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password_into_with_memory(password, salt, out, &mut arena[..blocks])
        .map_err(hash_error)
}

fn hash_with(arena: &mut Vec<Block>, password: &str) -> Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    let mut raw = [0u8; Params::DEFAULT_OUTPUT_LEN];
    let mut salt_bytes = [0u8; 64];
    let salt_raw = salt.decode_b64(&mut salt_bytes).map_err(hash_error)?;
    compute(
        arena,
        Params::DEFAULT,
        (password.as_bytes(), salt_raw),
        &mut raw,
    )?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: (&Params::DEFAULT).try_into().map_err(hash_error)?,
        salt: Some(salt.as_salt()),
        hash: Some(Output::new(&raw).map_err(hash_error)?),
    };
    Ok(phc.to_string())
}

fn verify_with(arena: &mut Vec<Block>, password: &str, stored: &str) -> Result<bool> {
    let phc = PasswordHash::new(stored).map_err(hash_error)?;
    if phc.algorithm != Algorithm::Argon2id.ident() {
        return Err(hash_error("stored hash is not argon2id"));
    }
    let params = Params::try_from(&phc).map_err(hash_error)?;
    let expected = phc
        .hash
        .ok_or_else(|| hash_error("stored hash has no output"))?;
    let mut salt_bytes = [0u8; 64];
    let salt = phc
        .salt
        .ok_or_else(|| hash_error("stored hash has no salt"))?
        .decode_b64(&mut salt_bytes)
        .map_err(hash_error)?;
    let mut raw = vec![0u8; expected.len()];
    compute(arena, params, (password.as_bytes(), salt), &mut raw)?;
    // `Output`'s equality is constant-time.
    Ok(Output::new(&raw).map_err(hash_error)? == expected)
}

pub async fn hash_password(password: String) -> Result<String> {
    let permit = pool().permits.acquire().await.map_err(hash_error)?;
    with_arena(permit, move |arena| hash_with(arena, &password)).await
}

/// Checks a password; with no stored hash it still spends the same work, so
/// timing does not tell whether an account exists. Waits for a free slot.
pub async fn verify_password(password: String, hash: Option<String>) -> Result<bool> {
    let permit = pool().permits.acquire().await.map_err(hash_error)?;
    verify_holding(permit, password, hash).await
}

/// A hashing slot taken without waiting: sign-in takes one first and
/// answers "busy, try again" when none is free, instead of queueing hashes
/// without bound (and without counting the attempt against the throttle).
pub struct HashSlot(tokio::sync::SemaphorePermit<'static>);

/// A free slot, if there is one now; a `trusted` sign-in (an existing
/// account, an address without recent failures) may also take the reserved
/// one.
pub fn try_hash_slot(trusted: bool) -> Option<HashSlot> {
    let p = pool();
    p.permits
        .try_acquire()
        .ok()
        .or_else(|| trusted.then(|| p.reserved.try_acquire().ok()).flatten())
        .map(HashSlot)
}

impl HashSlot {
    /// [`verify_password`] in this slot.
    pub async fn verify(self, password: String, hash: Option<String>) -> Result<bool> {
        verify_holding(self.0, password, hash).await
    }
}

async fn verify_holding(
    permit: tokio::sync::SemaphorePermit<'static>,
    password: String,
    hash: Option<String>,
) -> Result<bool> {
    let dummy = dummy_hash().await?;
    with_arena(permit, move |arena| {
        let stored = hash.as_deref().unwrap_or(&dummy);
        let ok = verify_with(arena, &password, stored)?;
        Ok(ok && hash.is_some())
    })
    .await
}

/// A hash of nothing, for accounts that do not exist (made once).
async fn dummy_hash() -> Result<String> {
    static DUMMY: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();
    DUMMY
        .get_or_try_init(|| async {
            tokio::task::spawn_blocking(|| hash_with(&mut Vec::new(), "tenantry-no-such-account"))
                .await
                .map_err(hash_error)?
        })
        .await
        .cloned()
}

/// A random password for a new account or a reset: 20 characters from an
/// alphabet without look-alikes (about 117 bits).
pub fn generate_password() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789";
    random_chars(ALPHABET, 20)
}

#[cfg(test)]
mod tests {
    use super::*;
    use argon2::PasswordVerifier;

    #[tokio::test]
    async fn hashes_verify_and_differ() {
        let h1 = hash_password("correct horse battery".into())
            .await
            .expect("hash");
        let h2 = hash_password("correct horse battery".into())
            .await
            .expect("hash");
        assert_ne!(h1, h2, "salted");
        assert!(h1.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h1}");
        // The reference implementation agrees with the pooled one.
        let parsed = PasswordHash::new(&h1).expect("phc");
        assert!(Argon2::default()
            .verify_password(b"correct horse battery", &parsed)
            .is_ok());
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

    #[tokio::test]
    async fn hashes_made_elsewhere_verify_and_greedy_ones_are_refused() {
        use argon2::PasswordHasher;
        let salt = SaltString::generate(&mut OsRng);
        let theirs = Argon2::default()
            .hash_password(b"pw from before", &salt)
            .expect("hash")
            .to_string();
        assert!(verify_password("pw from before".into(), Some(theirs))
            .await
            .expect("verify"));
        let greedy = "$argon2id$v=19$m=4194304,t=1,p=1$c29tZXNhbHQ$aGFzaGhhc2hoYXNoaGFzaA";
        let e = verify_password("x".into(), Some(greedy.into()))
            .await
            .unwrap_err();
        assert!(e.to_string().contains("memory"), "{e}");
    }

    #[test]
    fn generated_passwords_are_long_and_distinct() {
        let a = generate_password();
        assert_eq!(a.len(), 20);
        assert_ne!(a, generate_password());
    }
}
