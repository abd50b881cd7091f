//! Password hashing with argon2id (explicit parameters), off the async threads.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng};
use argon2::{Algorithm, Argon2, Params, Version};

/// argon2id with 19 MiB, 2 passes, 1 lane (the OWASP minimum for argon2id).
fn hasher() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Passwords shorter than this are refused.
pub const MIN_LEN: usize = 10;
/// Passwords longer than this are refused.
pub const MAX_LEN: usize = 1024;

pub fn check_strength(password: &str) -> Result<(), amends_domain::ValidationError> {
    if password.chars().count() < MIN_LEN {
        return Err(amends_domain::ValidationError::new(
            "password",
            format!("password must be at least {MIN_LEN} characters long"),
        ));
    }
    if password.chars().count() > MAX_LEN {
        return Err(amends_domain::ValidationError::new(
            "password",
            format!("password must be at most {MAX_LEN} characters long"),
        ));
    }
    Ok(())
}

pub async fn hash(password: String) -> anyhow::Result<String> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        hasher()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| anyhow::anyhow!("hashing failed: {e}"))
    })
    .await?
}

/// True if `password` matches `stored`. A malformed stored hash never matches.
pub async fn verify(password: String, stored: String) -> bool {
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&stored)
            .map(|parsed| hasher().verify_password(password.as_bytes(), &parsed).is_ok())
            .unwrap_or(false)
    })
    .await
    .unwrap_or(false)
}

/// A hash to verify against when the user does not exist, so that a wrong
/// username takes as long as a wrong password.
pub const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$0JmPqM0Ebl5qfvVpBMmzGhdnF1W1nZhEyzbEmJnJZcM";

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_verify_and_wrong_passwords_fail() {
        let h = hash("correct horse battery".into()).await.expect("hash");
        assert!(h.starts_with("$argon2id$"));
        assert!(verify("correct horse battery".into(), h.clone()).await);
        assert!(!verify("wrong horse battery".into(), h).await);
        assert!(!verify("x".into(), "not a hash".into()).await);
        assert!(check_strength("short").is_err());
        assert!(check_strength("long enough pw").is_ok());
    }
}
