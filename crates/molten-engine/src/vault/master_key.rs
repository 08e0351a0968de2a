//! `MasterKey`: the 256-bit key that seals every secret, where it came from,
//! and how a key given as text (`MOLTEN_MASTER_KEY`) is read.

use base64::Engine as _;
use molten_core::{Sensitive, VaultError};
use zeroize::Zeroize;

/// Bytes in a master key (AES-256).
pub const MASTER_KEY_LEN: usize = 32;

/// Where the master key came from, in the resolver's order of preference.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeySource {
    /// `MOLTEN_MASTER_KEY`, for headless servers.
    Env,
    /// A passphrase stretched with Argon2id.
    Passphrase,
    /// A random key kept in the OS keyring.
    Keyring,
    /// A random key kept in `master.key` in the data dir (no keyring reachable).
    KeyFile,
}

impl KeySource {
    pub fn describe(self) -> &'static str {
        match self {
            Self::Env => "the MOLTEN_MASTER_KEY environment variable",
            Self::Passphrase => "a passphrase (Argon2id)",
            Self::Keyring => "the OS keyring",
            Self::KeyFile => "the key file master.key in the data directory",
        }
    }
}

/// The key that seals every secret. Prints as `<redacted>`; zeroed on drop.
#[derive(Debug, Clone)]
pub struct MasterKey {
    bytes: Sensitive<[u8; MASTER_KEY_LEN]>,
    source: KeySource,
}

impl MasterKey {
    pub fn new(bytes: [u8; MASTER_KEY_LEN], source: KeySource) -> Self {
        Self {
            bytes: Sensitive::new(bytes),
            source,
        }
    }

    /// A fresh random key.
    pub fn generate(source: KeySource) -> Result<Self, VaultError> {
        let mut bytes = [0u8; MASTER_KEY_LEN];
        getrandom::fill(&mut bytes).map_err(|e| VaultError::Random(e.to_string()))?;
        let key = Self::new(bytes, source);
        bytes.zeroize();
        Ok(key)
    }

    /// Reads a key written as 64 hex characters or as the base64 of 32
    /// bytes (standard or URL-safe alphabet, padding optional). `origin`
    /// names where the text came from, for the error. Errors never quote
    /// the text.
    pub fn parse(text: &str, origin: &str, source: KeySource) -> Result<Self, VaultError> {
        let fail = |detail: String| VaultError::MalformedKey {
            origin: origin.to_string(),
            detail,
        };
        let text = text.trim();
        if text.is_empty() {
            return Err(fail("it is empty".into()));
        }
        let mut bytes = [0u8; MASTER_KEY_LEN];
        if text.len() == 2 * MASTER_KEY_LEN {
            decode_hex(text, &mut bytes).map_err(fail)?;
        } else {
            let mut decoded = decode_base64(text).ok_or_else(|| {
                fail(format!(
                    "it is {} characters long and is neither 64 hex characters nor base64",
                    text.chars().count()
                ))
            })?;
            if decoded.len() != MASTER_KEY_LEN {
                let len = decoded.len();
                decoded.zeroize();
                return Err(fail(format!(
                    "it is base64 of {len} bytes; a master key is {MASTER_KEY_LEN} bytes"
                )));
            }
            bytes.copy_from_slice(&decoded);
            decoded.zeroize();
        }
        let key = Self::new(bytes, source);
        bytes.zeroize();
        Ok(key)
    }

    /// The key as 64 lowercase hex characters, for the key file and keyring.
    pub fn to_hex(&self) -> Sensitive<String> {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        let mut s = String::with_capacity(2 * MASTER_KEY_LEN);
        for b in self.bytes.expose() {
            s.push(char::from(DIGITS[usize::from(b >> 4)]));
            s.push(char::from(DIGITS[usize::from(b & 0x0f)]));
        }
        Sensitive::new(s)
    }

    pub fn bytes(&self) -> &[u8; MASTER_KEY_LEN] {
        self.bytes.expose()
    }

    pub fn source(&self) -> KeySource {
        self.source
    }
}

fn decode_hex(text: &str, out: &mut [u8; MASTER_KEY_LEN]) -> Result<(), String> {
    let digits = text.as_bytes();
    let nibble = |pos: usize| -> Result<u8, String> {
        match digits.get(pos).map(|d| char::from(*d).to_digit(16)) {
            // A hex digit is below 16, so it fits in a byte.
            Some(Some(v)) => u8::try_from(v).map_err(|e| e.to_string()),
            _ => Err(format!("character {} is not a hex digit", pos + 1)),
        }
    };
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = nibble(2 * i)? << 4 | nibble(2 * i + 1)?;
    }
    Ok(())
}

fn decode_base64(text: &str) -> Option<Vec<u8>> {
    use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
    [STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD]
        .iter()
        .find_map(|engine| engine.decode(text).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trips() {
        let hex = "00112233445566778899aabbccddeeff00112233445566778899AABBCCDDEEFF";
        let key = MasterKey::parse(hex, "test", KeySource::Env).expect("hex");
        assert_eq!(key.bytes()[1], 0x11, "second byte");
        assert_eq!(key.bytes()[31], 0xff, "last byte, upper case accepted");
        assert_eq!(
            key.to_hex().expose(),
            &hex.to_lowercase(),
            "written back in lower case"
        );
    }

    #[test]
    fn base64_variants_are_accepted() {
        let raw = [0xfbu8; 32];
        for engine in [
            base64::engine::general_purpose::STANDARD,
            base64::engine::general_purpose::URL_SAFE_NO_PAD,
        ] {
            let text = engine.encode(raw);
            let key = MasterKey::parse(&text, "test", KeySource::Env).expect("base64");
            assert_eq!(key.bytes(), &raw, "{text} decodes to the bytes");
        }
    }

    #[test]
    fn debug_does_not_show_the_key() {
        let key = MasterKey::new([0xab; 32], KeySource::Env);
        let shown = format!("{key:?}");
        assert!(
            !shown.contains("171") && !shown.contains("ab, "),
            "no bytes in {shown}"
        );
        assert!(shown.contains("<redacted>"), "{shown}");
    }
}
