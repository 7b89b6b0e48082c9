//! Secrets at rest: AES-256-GCM with a random nonce per ciphertext, the key id stored beside it
//! (so keys can rotate), and associated data that binds each ciphertext to its row.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::path::Path;

const NONCE_LEN: usize = 12;

/// A string that must never be printed, logged or serialized: Debug shows `***SECRET***`
/// and there is no Display, no Serialize.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Secret(s.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("***SECRET***")
    }
}

/// A ciphertext as stored: which key sealed it, and nonce || ciphertext+tag.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sealed {
    pub key_id: String,
    pub blob: Vec<u8>,
}

#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    #[error("the key that sealed this secret ({0}) is not configured")]
    UnknownKey(String),
    #[error(
        "the secret does not decrypt with its key and row (tampered, or copied from another row)"
    )]
    Decrypt,
}

struct KeyEntry {
    id: String,
    cipher: Aes256Gcm,
}

/// The current key and any previous ones still needed to read older ciphertexts.
pub struct Keyring {
    current: KeyEntry,
    previous: Vec<KeyEntry>,
    fingerprint_key: [u8; 32],
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keyring")
            .field("current", &self.current.id)
            .finish_non_exhaustive()
    }
}

/// A key's public name: the start of its SHA-256, so the same key always has the same id.
fn key_id(key: &[u8; 32]) -> String {
    let digest = Sha256::digest(key);
    digest[..4].iter().map(|b| format!("{b:02x}")).collect()
}

fn entry(key: &[u8; 32]) -> KeyEntry {
    KeyEntry {
        id: key_id(key),
        cipher: Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(key)),
    }
}

/// Decodes a base64 32-byte key.
pub fn parse_key(b64: &str) -> anyhow::Result<[u8; 32]> {
    let bytes = B64
        .decode(b64.trim())
        .map_err(|_| anyhow::anyhow!("the master key is not valid base64"))?;
    bytes
        .try_into()
        .map_err(|_| anyhow::anyhow!("the master key must be 32 bytes (base64 of 32 random bytes)"))
}

/// Reads the key file, or creates it (mode 0600, 32 random bytes in base64) when it does not exist.
/// An existing file that does not hold a key is an error, never overwritten.
pub fn load_or_create_key_file(path: &Path) -> anyhow::Result<[u8; 32]> {
    match std::fs::read_to_string(path) {
        Ok(text) => parse_key(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir)?;
            }
            let mut key = [0u8; 32];
            rand::rngs::OsRng.fill_bytes(&mut key);
            write_private(path, &B64.encode(key))?;
            Ok(key)
        }
        Err(e) => Err(anyhow::anyhow!(
            "cannot read the key file {}: {e}",
            path.display()
        )),
    }
}

#[cfg(unix)]
fn write_private(path: &Path, text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| anyhow::anyhow!("cannot create the key file {}: {e}", path.display()))?;
    f.write_all(text.as_bytes())?;
    f.sync_all()?;
    Ok(())
}

#[cfg(not(unix))]
fn write_private(path: &Path, text: &str) -> anyhow::Result<()> {
    std::fs::write(path, text)?;
    Ok(())
}

impl Keyring {
    pub fn new(current: &[u8; 32], previous: &[[u8; 32]]) -> Self {
        // A separate key for fingerprints, derived so it never equals the encryption key.
        let fingerprint_key: [u8; 32] = Sha256::new()
            .chain_update(b"gitpat fingerprint key")
            .chain_update(current)
            .finalize()
            .into();
        Keyring {
            current: entry(current),
            previous: previous.iter().map(entry).collect(),
            fingerprint_key,
        }
    }

    pub fn current_id(&self) -> &str {
        &self.current.id
    }

    /// Whether a ciphertext sealed under `key_id` can be opened with these keys.
    pub fn knows(&self, key_id: &str) -> bool {
        self.current.id == key_id || self.previous.iter().any(|k| k.id == key_id)
    }

    /// Encrypts with the current key, binding the ciphertext to `aad` (which names its row).
    pub fn seal(&self, plaintext: &Secret, aad: &str) -> Sealed {
        let mut nonce = [0u8; NONCE_LEN];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let ct = self
            .current
            .cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: plaintext.expose().as_bytes(),
                    aad: aad.as_bytes(),
                },
            )
            .expect("AES-GCM encryption of a short message cannot fail");
        let mut blob = nonce.to_vec();
        blob.extend_from_slice(&ct);
        Sealed {
            key_id: self.current.id.clone(),
            blob,
        }
    }

    pub fn open(&self, sealed: &Sealed, aad: &str) -> Result<Secret, CryptoError> {
        let key = std::iter::once(&self.current)
            .chain(&self.previous)
            .find(|k| k.id == sealed.key_id)
            .ok_or_else(|| CryptoError::UnknownKey(sealed.key_id.clone()))?;
        if sealed.blob.len() < NONCE_LEN {
            return Err(CryptoError::Decrypt);
        }
        let (nonce, ct) = sealed.blob.split_at(NONCE_LEN);
        let pt = key
            .cipher
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: ct,
                    aad: aad.as_bytes(),
                },
            )
            .map_err(|_| CryptoError::Decrypt)?;
        String::from_utf8(pt)
            .map(Secret)
            .map_err(|_| CryptoError::Decrypt)
    }
}

/// SHA-256 of a string, in lowercase hex.
pub fn sha256_hex(s: &str) -> String {
    Sha256::digest(s.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Associated data for a user's Git token on a runtime.
pub fn token_aad(user_id: i64, runtime_id: i64) -> String {
    format!("gitpat/token/user={user_id}/runtime={runtime_id}")
}

impl Keyring {
    /// A stable, keyed fingerprint of a secret: equal secrets give equal fingerprints, but the
    /// fingerprint cannot be checked against guesses without the master key.
    pub fn fingerprint(&self, secret: &Secret) -> String {
        use hmac::{Mac, SimpleHmac};
        let mut mac = <SimpleHmac<Sha256> as Mac>::new_from_slice(self.fingerprint_key.as_slice())
            .expect("HMAC takes any key length");
        mac.update(secret.expose().as_bytes());
        let out = mac.finalize().into_bytes();
        out[..12].iter().map(|b| format!("{b:02x}")).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ring() -> Keyring {
        Keyring::new(&[7u8; 32], &[])
    }

    #[test]
    fn seal_and_open_round_trip_without_plaintext_in_blob() {
        let r = ring();
        let s = r.seal(&Secret::new("ghp_supersecretvalue123"), &token_aad(1, 2));
        assert!(!s.blob.windows(10).any(|w| w == b"supersecre"));
        assert_eq!(
            r.open(&s, &token_aad(1, 2)).unwrap().expose(),
            "ghp_supersecretvalue123"
        );
        assert_eq!(s.key_id, r.current_id());
    }

    #[test]
    fn a_ciphertext_copied_to_another_row_does_not_decrypt() {
        let r = ring();
        let s = r.seal(&Secret::new("tok"), &token_aad(1, 2));
        assert!(matches!(
            r.open(&s, &token_aad(1, 3)),
            Err(CryptoError::Decrypt)
        ));
        assert!(matches!(
            r.open(&s, &token_aad(2, 2)),
            Err(CryptoError::Decrypt)
        ));
    }

    #[test]
    fn rotation_reads_old_keys_and_seals_with_the_new() {
        let old = Keyring::new(&[1u8; 32], &[]);
        let s = old.seal(&Secret::new("tok"), "a");
        let rotated = Keyring::new(&[2u8; 32], &[[1u8; 32]]);
        assert_eq!(rotated.open(&s, "a").unwrap().expose(), "tok");
        assert_ne!(rotated.seal(&Secret::new("tok"), "a").key_id, s.key_id);
        let without_old = Keyring::new(&[2u8; 32], &[]);
        assert!(matches!(
            without_old.open(&s, "a"),
            Err(CryptoError::UnknownKey(_))
        ));
    }

    #[test]
    fn fingerprints_match_equal_tokens_only() {
        let r = ring();
        let a = r.fingerprint(&Secret::new("ghp_one"));
        assert_eq!(a, r.fingerprint(&Secret::new("ghp_one")));
        assert_ne!(a, r.fingerprint(&Secret::new("ghp_two")));
        assert_ne!(
            a,
            Keyring::new(&[8u8; 32], &[]).fingerprint(&Secret::new("ghp_one"))
        );
        assert!(!a.contains("one"));
    }

    #[test]
    fn secrets_do_not_debug_print() {
        assert_eq!(format!("{:?}", Secret::new("ghp_x")), "***SECRET***");
    }

    #[test]
    fn key_file_is_created_private_and_reused() {
        let dir = std::env::temp_dir().join(format!("gitpat-key-{}", std::process::id()));
        let path = dir.join("master.key");
        let _ = std::fs::remove_dir_all(&dir);
        let k1 = load_or_create_key_file(&path).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        assert_eq!(load_or_create_key_file(&path).unwrap(), k1);
        std::fs::write(&path, "garbage").unwrap();
        let err = load_or_create_key_file(&path).unwrap_err().to_string();
        assert!(err.contains("not valid base64"), "{err}");
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "garbage",
            "never overwritten"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
