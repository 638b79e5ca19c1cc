//! API tokens. A token is shown once when minted; only its SHA-256 is stored, so a leaked
//! database does not leak working credentials. Tokens carry 256 bits of randomness, which is
//! why a fast hash (not a password hash) is the right tool here.

use rand::RngCore;
use sha2::{Digest, Sha256};

/// Every token starts with this, so secret scanners and people can recognise one.
pub const TOKEN_PREFIX: &str = "esk_";

/// A fresh random token, e.g. `esk_3f9a…` (64 hex digits after the prefix).
pub fn generate_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!("{TOKEN_PREFIX}{}", hex::encode(bytes))
}

/// The value stored for a token and looked up on every request.
pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// An argon2id hash of a person's password (PHC string, random salt), for storing.
pub fn hash_password(password: &str) -> String {
    use argon2::password_hash::{PasswordHasher, SaltString};
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt).expect("16 bytes make a salt");
    argon2::Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 hashes any password")
        .to_string()
}

/// Whether `password` matches a stored [`hash_password`] hash (false for a malformed hash).
pub fn verify_password(password: &str, hash: &str) -> bool {
    use argon2::password_hash::{PasswordHash, PasswordVerifier};
    PasswordHash::new(hash).is_ok_and(|h| {
        argon2::Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

/// Checks a new password: 10 to 256 characters.
pub fn check_password(password: &str) -> Result<(), String> {
    let n = password.chars().count();
    if !(10..=256).contains(&n) {
        return Err(format!("a password has 10 to 256 characters, this one {n}"));
    }
    Ok(())
}

/// A person who signs in to the web UI.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct User {
    pub id: i64,
    pub workspace_id: crate::WorkspaceId,
    pub email: String,
    pub name: String,
    /// `admin` or `agent`.
    pub role: String,
    /// The agent this person answers as, if any.
    pub agent_id: Option<crate::AgentId>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_with_a_salt_and_verify() {
        let a = hash_password("correct horse battery");
        let b = hash_password("correct horse battery");
        assert_ne!(a, b, "salted");
        assert!(a.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", &a));
        assert!(!verify_password("correct horse battery!", &a));
        assert!(!verify_password("x", "not a hash"));
        assert!(check_password("short").is_err());
        assert!(check_password("long enough pw").is_ok());
    }

    #[test]
    fn tokens_are_unique_prefixed_and_hash_stably() {
        let a = generate_token();
        let b = generate_token();
        assert_ne!(a, b);
        assert!(a.starts_with(TOKEN_PREFIX));
        assert_eq!(a.len(), TOKEN_PREFIX.len() + 64);
        assert_eq!(hash_token(&a), hash_token(&a));
        assert_ne!(hash_token(&a), hash_token(&b));
        assert_ne!(hash_token(&a), a);
    }
}
