//! Channel secrets at rest: tokens and app secrets are sealed with XChaCha20-Poly1305 (an
//! AEAD: a dump of the database alone reveals no token, and a tampered value fails to open)
//! under one 32-byte key per installation, given as `EARSHOT_SECRET_KEY` (base64) or kept in
//! a key file created at first start with 0600 permissions.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore as _;
use std::path::Path;

/// What a sealed value starts with: the scheme, so that a later one can be told apart.
const PREFIX: &str = "xc20p1:";
/// Binds sealed values to their use: a value sealed for something else does not open.
const CONTEXT: &[u8] = b"earshot channel secrets";

#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("EARSHOT_SECRET_KEY must be 32 bytes in base64 (e.g. `openssl rand -base64 32`)")]
    BadKey,
    #[error("the key file {path}: {error}")]
    KeyFile { path: String, error: String },
    #[error("a stored secret could not be opened: it was sealed with another key or altered")]
    Unreadable,
}

/// Seals and opens channel secrets with the installation's key.
#[derive(Clone)]
pub struct SecretBox {
    cipher: XChaCha20Poly1305,
    /// Signs the links Earshot hands out (customers' preference pages): derived from the
    /// installation's key, so a link stops working when the key changes.
    link_key: [u8; 32],
}

impl std::fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretBox(..)")
    }
}

impl SecretBox {
    pub fn from_key(key: &[u8; 32]) -> Self {
        use hmac::Mac as _;
        let mut mac =
            <hmac::Hmac<sha2::Sha256> as hmac::Mac>::new_from_slice(key).expect("any key length");
        mac.update(b"earshot link signing key v1");
        Self {
            cipher: XChaCha20Poly1305::new(key.into()),
            link_key: mac.finalize().into_bytes().into(),
        }
    }

    /// The key that signs links (never the sealing key itself).
    pub fn link_key(&self) -> &[u8; 32] {
        &self.link_key
    }

    /// A key that lives as long as the process (tests, throwaway demos): what it sealed cannot
    /// be opened after a restart.
    pub fn ephemeral() -> Self {
        let mut key = [0u8; 32];
        rand::rng().fill_bytes(&mut key);
        Self::from_key(&key)
    }

    /// The key from `EARSHOT_SECRET_KEY` (`env`, base64) when set, else from `path`, which is
    /// created with a new random key (mode 0600) when it does not exist.
    pub fn from_env_or_file(env: Option<&str>, path: &Path) -> Result<Self, SecretError> {
        if let Some(value) = env.filter(|v| !v.trim().is_empty()) {
            return Self::from_base64(value.trim()).ok_or(SecretError::BadKey);
        }
        let file_error = |error: std::io::Error| SecretError::KeyFile {
            path: path.display().to_string(),
            error: error.to_string(),
        };
        match std::fs::read_to_string(path) {
            Ok(text) => Self::from_base64(text.trim()).ok_or_else(|| SecretError::KeyFile {
                path: path.display().to_string(),
                error: "does not hold a 32-byte base64 key".into(),
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut key = [0u8; 32];
                rand::rng().fill_bytes(&mut key);
                write_private(path, &B64.encode(key)).map_err(file_error)?;
                Ok(Self::from_key(&key))
            }
            Err(e) => Err(file_error(e)),
        }
    }

    fn from_base64(text: &str) -> Option<Self> {
        let bytes = B64.decode(text).ok()?;
        let key: [u8; 32] = bytes.try_into().ok()?;
        Some(Self::from_key(&key))
    }

    /// `plain` sealed, as text a database column holds.
    pub fn seal(&self, plain: &[u8]) -> String {
        let mut nonce = [0u8; 24];
        rand::rng().fill_bytes(&mut nonce);
        let sealed = self
            .cipher
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: plain,
                    aad: CONTEXT,
                },
            )
            .expect("XChaCha20-Poly1305 seals any length the database can hold");
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        format!("{PREFIX}{}", B64.encode(out))
    }

    pub fn open(&self, sealed: &str) -> Result<Vec<u8>, SecretError> {
        let bytes = sealed
            .strip_prefix(PREFIX)
            .and_then(|b| B64.decode(b).ok())
            .filter(|b| b.len() > 24)
            .ok_or(SecretError::Unreadable)?;
        let (nonce, sealed) = bytes.split_at(24);
        self.cipher
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: sealed,
                    aad: CONTEXT,
                },
            )
            .map_err(|_| SecretError::Unreadable)
    }
}

#[cfg(unix)]
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(text.as_bytes())?;
    f.sync_all()
}

#[cfg(not(unix))]
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    std::fs::write(path, text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_open_with_the_same_key_only_and_hide_the_text() {
        let a = SecretBox::ephemeral();
        let sealed = a.seal(b"EAAG-page-token");
        assert!(!sealed.contains("EAAG"));
        assert_ne!(
            sealed,
            a.seal(b"EAAG-page-token"),
            "a fresh nonce each time"
        );
        assert_eq!(a.open(&sealed).unwrap(), b"EAAG-page-token");
        assert!(SecretBox::ephemeral().open(&sealed).is_err());
        let mut tampered = sealed.clone();
        tampered.pop();
        tampered.push(if sealed.ends_with('A') { 'B' } else { 'A' });
        assert!(a.open(&tampered).is_err());
    }

    #[test]
    fn the_key_file_is_created_private_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("earshot.key");
        let first = SecretBox::from_env_or_file(None, &path).unwrap();
        let sealed = first.seal(b"x");
        let again = SecretBox::from_env_or_file(None, &path).unwrap();
        assert_eq!(again.open(&sealed).unwrap(), b"x");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert!(matches!(
            SecretBox::from_env_or_file(Some("short"), &path),
            Err(SecretError::BadKey)
        ));
    }
}
