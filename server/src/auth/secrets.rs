//! Secrets: random tokens (stored only as hashes) and argon2id password hashes.

use std::cell::RefCell;

use argon2::password_hash::{Output, ParamsString, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};

/// 256 random bits from the OS CSPRNG, hex: session cookies, API tokens, share links.
pub fn new_secret() -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)?;
    Ok(hex::encode(bytes))
}

/// What the database keeps of a token: enough to recognise it, useless to sign in with.
/// Token comparison that takes as long whether the first or the last character differs.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The password hash of an account made through single sign-on: no PHC string, so no password
/// matches it until one is set (`server user reset-password`, or the profile).
pub const NO_PASSWORD_HASH: &str = "!none: signs in through the identity provider";

pub fn token_hash(secret: &str) -> String {
    crate::hashing::sha256_hex(secret.as_bytes())
}

#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    #[error("no randomness for the salt: {0}")]
    Random(String),
    #[error("cannot hash the password: {0}")]
    Hash(String),
}

/// The most working memory a stored hash may ask for (ours ask for 19 MiB).
const MAX_BLOCKS: usize = 64 * 1024;

thread_local! {
    /// This thread's argon2 working memory, kept from one hash to the next. Allocated afresh
    /// for each hash (as the crate's own `hash_password` does), the 19 MiB are kept by the
    /// allocator after every one: a server's resident memory grew by 19 MiB per sign-in.
    static BLOCKS: RefCell<Vec<Block>> = const { RefCell::new(Vec::new()) };
}

/// Runs `argon` over `password` and `salt` into `out`, in this thread's working memory.
fn argon2_into(argon: &Argon2<'_>, password: &[u8], salt: &[u8], out: &mut [u8]) -> Result<(), argon2::Error> {
    let needed = argon.params().block_count();
    if needed > MAX_BLOCKS {
        return Err(argon2::Error::MemoryTooMuch);
    }
    BLOCKS.with_borrow_mut(|blocks| {
        if blocks.len() < needed {
            blocks.resize(needed, Block::default());
        }
        argon.hash_password_into_with_memory(password, salt, out, &mut blocks[..needed])
    })
}

/// An argon2id hash (the crate's defaults: 19 MiB, 2 passes) in PHC form. CPU-bound: call from a
/// blocking thread (see `auth::password_work`).
pub fn hash_password(password: &str) -> Result<String, PasswordError> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| PasswordError::Random(e.to_string()))?;
    let argon = Argon2::default();
    let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
    argon2_into(&argon, password.as_bytes(), &salt, &mut out).map_err(|e| PasswordError::Hash(e.to_string()))?;
    let hash_error = |e: argon2::password_hash::Error| PasswordError::Hash(e.to_string());
    let salt = SaltString::encode_b64(&salt).map_err(hash_error)?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(argon.params()).map_err(hash_error)?,
        salt: Some(salt.as_salt()),
        hash: Some(Output::new(&out).map_err(hash_error)?),
    };
    Ok(phc.to_string())
}

/// Whether `password` matches the stored hash (compared in constant time). CPU-bound like
/// [`hash_password`].
pub fn verify_password(password: &str, stored: &str) -> bool {
    let Ok(hash) = PasswordHash::new(stored) else {
        return false;
    };
    let (Ok(algorithm), Ok(params), Some(salt), Some(expected)) = (
        Algorithm::try_from(hash.algorithm),
        Params::try_from(&hash),
        hash.salt,
        hash.hash,
    ) else {
        return false;
    };
    let version = match hash.version.map(Version::try_from) {
        None => Version::default(),
        Some(Ok(version)) => version,
        Some(Err(_)) => return false,
    };
    let mut salt_bytes = [0u8; 64];
    let Ok(salt) = salt.decode_b64(&mut salt_bytes) else {
        return false;
    };
    let mut out = vec![0u8; expected.len()];
    argon2_into(
        &Argon2::new(algorithm, version, params),
        password.as_bytes(),
        salt,
        &mut out,
    )
    .is_ok()
        && Output::new(&out).is_ok_and(|computed| computed == expected)
}

/// A hash to verify against when the email is unknown, so a wrong email takes as long as a
/// wrong password (no user enumeration by timing).
pub fn decoy_hash() -> &'static str {
    "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$Zk7J8yI4Rr7uC1kTqfJ0ihpBGpbVQm3OQ9zqnkUu2oA"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_only_themselves() {
        let hash = hash_password("correct horse").unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("correct horse", &hash));
        assert!(!verify_password("correct horse ", &hash));
        assert!(
            PasswordHash::new(decoy_hash()).is_ok(),
            "the decoy must cost a real verification"
        );
        assert!(!verify_password("x", decoy_hash()));
    }

    #[test]
    fn hashes_made_by_the_crate_itself_still_verify() {
        use argon2::password_hash::PasswordHasher;
        let salt = SaltString::encode_b64(b"sixteen byte slt").unwrap();
        let theirs = Argon2::default().hash_password(b"hunter2", &salt).unwrap().to_string();
        assert!(verify_password("hunter2", &theirs));
        assert!(!verify_password("hunter3", &theirs));
    }

    #[test]
    fn a_thread_hashing_again_and_again_keeps_one_working_memory() {
        let resident_kib = || {
            let status = std::fs::read_to_string("/proc/self/status").unwrap();
            let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap().to_owned();
            line.split_whitespace().nth(1).unwrap().parse::<i64>().unwrap()
        };
        std::thread::spawn(move || {
            verify_password("x", decoy_hash());
            let before = resident_kib();
            for _ in 0..12 {
                verify_password("x", decoy_hash());
            }
            let grown = resident_kib() - before;
            // Twelve hashes allocated afresh grew it by 12 × 19 MiB; the margin is for the
            // other tests of this process, hashing at the same time.
            assert!(grown < 48 * 1024, "grew {grown} KiB over twelve hashes");
        })
        .join()
        .unwrap();
    }

    #[test]
    fn secrets_are_256_bits_and_distinct() {
        let (a, b) = (new_secret().unwrap(), new_secret().unwrap());
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
        assert_eq!(token_hash(&a), token_hash(&a));
        assert_ne!(token_hash(&a), a);
    }
}
