//! The sealed form of one secret at rest:
//! `version (1 byte) || nonce (12 random bytes) || AES-256-GCM ciphertext + tag`,
//! with the secret's name as associated data, so a ciphertext moved to another
//! name no longer opens.

use super::master_key::MasterKey;
use aes_gcm::aead::{Aead, Payload};
use aes_gcm::{Aes256Gcm, KeyInit, Nonce};
use molten_core::vault::MAX_SECRET_VALUE_LEN;
use molten_core::{Sensitive, VaultError};
use zeroize::Zeroize;

/// The first byte of every envelope this version writes.
pub const ENVELOPE_VERSION: u8 = 1;
/// AES-GCM's 96-bit nonce.
pub const NONCE_LEN: usize = 12;
/// AES-GCM's 128-bit tag.
pub const TAG_LEN: usize = 16;
/// The smallest well-formed envelope: an empty value.
pub const MIN_ENVELOPE_LEN: usize = 1 + NONCE_LEN + TAG_LEN;

/// Seals and opens envelopes with one master key.
pub struct EnvelopeCipher {
    cipher: Aes256Gcm,
}

impl std::fmt::Debug for EnvelopeCipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EnvelopeCipher(<redacted>)")
    }
}

impl EnvelopeCipher {
    pub fn new(key: &MasterKey) -> Self {
        Self {
            cipher: Aes256Gcm::new(&(*key.bytes()).into()),
        }
    }

    /// Encrypts `value` for `name` under a fresh random nonce.
    pub fn seal(&self, name: &str, value: &[u8]) -> Result<Vec<u8>, VaultError> {
        if value.len() > MAX_SECRET_VALUE_LEN {
            return Err(VaultError::ValueTooLarge {
                name: name.to_string(),
                len: value.len(),
                max: MAX_SECRET_VALUE_LEN,
            });
        }
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::fill(&mut nonce).map_err(|e| VaultError::Random(e.to_string()))?;
        let sealed = self
            .cipher
            .encrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: value,
                    aad: name.as_bytes(),
                },
            )
            // Only a message beyond GCM's 64 GiB limit fails, and the size is checked above.
            .map_err(|_| VaultError::ValueTooLarge {
                name: name.to_string(),
                len: value.len(),
                max: MAX_SECRET_VALUE_LEN,
            })?;
        let mut envelope = Vec::with_capacity(1 + NONCE_LEN + sealed.len());
        envelope.push(ENVELOPE_VERSION);
        envelope.extend_from_slice(&nonce);
        envelope.extend_from_slice(&sealed);
        Ok(envelope)
    }

    /// Decrypts an envelope stored under `name`. A wrong key, another name,
    /// an unknown version or any altered byte gives `Undecryptable`.
    pub fn open(&self, name: &str, envelope: &[u8]) -> Result<Sensitive<Vec<u8>>, VaultError> {
        self.decrypt(name, envelope).map(Sensitive::new)
    }

    /// [`open`](Self::open), for a value that must be UTF-8.
    pub fn open_string(
        &self,
        name: &str,
        envelope: &[u8],
    ) -> Result<Sensitive<String>, VaultError> {
        match String::from_utf8(self.decrypt(name, envelope)?) {
            Ok(s) => Ok(Sensitive::new(s)),
            Err(e) => {
                e.into_bytes().zeroize();
                Err(VaultError::Undecryptable {
                    name: name.to_string(),
                })
            }
        }
    }

    fn decrypt(&self, name: &str, envelope: &[u8]) -> Result<Vec<u8>, VaultError> {
        let undecryptable = || VaultError::Undecryptable {
            name: name.to_string(),
        };
        if envelope.len() < MIN_ENVELOPE_LEN || envelope[0] != ENVELOPE_VERSION {
            return Err(undecryptable());
        }
        let (nonce, sealed) = envelope[1..].split_at(NONCE_LEN);
        let mut nonce_bytes = [0u8; NONCE_LEN];
        nonce_bytes.copy_from_slice(nonce);
        self.cipher
            .decrypt(
                &Nonce::from(nonce_bytes),
                Payload {
                    msg: sealed,
                    aad: name.as_bytes(),
                },
            )
            .map_err(|_| undecryptable())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vault::master_key::KeySource;

    fn cipher(byte: u8) -> EnvelopeCipher {
        EnvelopeCipher::new(&MasterKey::new([byte; 32], KeySource::Env))
    }

    #[test]
    fn seals_and_opens_with_the_layout_promised() {
        let c = cipher(7);
        let env = c.seal("a", b"hello").expect("seal");
        assert_eq!(env[0], ENVELOPE_VERSION, "version byte first");
        assert_eq!(
            env.len(),
            1 + NONCE_LEN + 5 + TAG_LEN,
            "version, nonce, text, tag"
        );
        let back = c.open_string("a", &env).expect("open");
        assert_eq!(back.expose(), "hello", "round trip");
    }

    #[test]
    fn refuses_other_names_keys_versions_and_short_input() {
        let c = cipher(7);
        let env = c.seal("a", b"hello").expect("seal");
        assert!(c.open("b", &env).is_err(), "another name is another AAD");
        assert!(cipher(8).open("a", &env).is_err(), "another key");
        let mut v2 = env.clone();
        v2[0] = 2;
        assert!(c.open("a", &v2).is_err(), "unknown version");
        assert!(
            c.open("a", &env[..MIN_ENVELOPE_LEN - 1]).is_err(),
            "truncated"
        );
        assert!(c.open("a", &[]).is_err(), "empty");
    }

    #[test]
    fn refuses_oversized_values() {
        let big = vec![b'x'; MAX_SECRET_VALUE_LEN + 1];
        let e = cipher(1).seal("a", &big).expect_err("too large");
        assert_eq!(e.code(), "secret_too_large", "size limit enforced: {e}");
    }
}
