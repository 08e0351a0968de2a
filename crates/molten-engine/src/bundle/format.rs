//! A bundle's bytes:
//!
//! ```text
//! "MOLTENB1"            8 bytes, the magic
//! header length         4 bytes, big-endian u32 (at most MAX_HEADER_LEN)
//! header                JSON: format, kdf (Argon2id costs and salt), created_at, app_version
//! nonce                 12 random bytes
//! ciphertext + tag      AES-256-GCM of the JSON payload, 16-byte tag last
//! ```
//!
//! The key is Argon2id of the passphrase with the header's salt and costs.
//! Everything before the nonce (magic, length, header) is the associated
//! data, so changing any header byte breaks decryption as surely as changing
//! the body. The header holds nothing secret; [`read_header`] reads it
//! without the passphrase. Sealing and opening run Argon2id and block: call
//! them from `spawn_blocking` in async code.

use super::error::BundleError;
use super::payload::BundlePayload;
use crate::vault::passphrase::{KDF_ALGORITHM, MIN_M_COST_KIB};
use crate::vault::{KdfParams, MasterKey};
use aes_gcm::aead::{Aead, Payload};
use aes_gcm::{Aes256Gcm, KeyInit, Nonce};
use chrono::{DateTime, Utc};
use molten_core::{Sensitive, VaultError};
use serde::{Deserialize, Serialize};

/// The first bytes of every bundle.
pub const MAGIC: &[u8; 8] = b"MOLTENB1";
/// The header's `format` this version writes and reads.
pub const FORMAT_VERSION: u32 = 1;
/// The largest header accepted; real ones are a few hundred bytes.
pub const MAX_HEADER_LEN: usize = 4096;
/// AES-GCM's 96-bit nonce.
pub const NONCE_LEN: usize = 12;
/// AES-GCM's 128-bit tag.
pub const TAG_LEN: usize = 16;
/// The Argon2id costs a bundle may ask for. The floor keeps a bundle from
/// being sealed weakly; the ceilings keep a crafted header from making
/// import spend gigabytes or minutes before the passphrase is even checked.
pub const MAX_M_COST_KIB: u32 = 1024 * 1024;
pub const MAX_T_COST: u32 = 16;
pub const MAX_P_COST: u32 = 16;

const LEN_FIELD: usize = 4;

/// The bundle's plaintext header: how to derive the key, and when and by
/// which version it was made. Authenticated, not encrypted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BundleHeader {
    pub format: u32,
    pub kdf: KdfParams,
    pub created_at: DateTime<Utc>,
    pub app_version: String,
}

impl BundleHeader {
    /// A header for this Molten version.
    pub fn new(kdf: KdfParams, created_at: DateTime<Utc>) -> Self {
        Self {
            format: FORMAT_VERSION,
            kdf,
            created_at,
            app_version: env!("CARGO_PKG_VERSION").to_string(),
        }
    }
}

/// A bundle cut into its parts, the header parsed and checked.
struct Frame<'a> {
    associated_data: &'a [u8],
    header: BundleHeader,
    nonce: [u8; NONCE_LEN],
    sealed: &'a [u8],
}

fn not_a_bundle(detail: &str) -> BundleError {
    BundleError::NotABundle {
        detail: detail.to_string(),
    }
}

fn bad_header(detail: impl Into<String>) -> BundleError {
    BundleError::BadHeader {
        detail: detail.into(),
    }
}

fn split(bytes: &[u8]) -> Result<Frame<'_>, BundleError> {
    let rest = bytes
        .strip_prefix(MAGIC.as_slice())
        .ok_or_else(|| not_a_bundle("it does not start with MOLTENB1"))?;
    let (len_field, rest) = rest
        .split_first_chunk::<LEN_FIELD>()
        .ok_or_else(|| not_a_bundle("it ends inside the header"))?;
    let header_len = usize::try_from(u32::from_be_bytes(*len_field))
        .map_err(|_| bad_header("the header length does not fit in memory"))?;
    if header_len > MAX_HEADER_LEN {
        return Err(bad_header(format!(
            "it claims {header_len} bytes; the limit is {MAX_HEADER_LEN}"
        )));
    }
    if rest.len() < header_len + NONCE_LEN + TAG_LEN {
        return Err(not_a_bundle("it is shorter than its header says"));
    }
    let (header_bytes, rest) = rest.split_at(header_len);
    let (nonce, sealed) = rest.split_at(NONCE_LEN);
    let header = parse_header(header_bytes)?;
    let mut nonce_bytes = [0u8; NONCE_LEN];
    nonce_bytes.copy_from_slice(nonce);
    Ok(Frame {
        associated_data: &bytes[..MAGIC.len() + LEN_FIELD + header_len],
        header,
        nonce: nonce_bytes,
        sealed,
    })
}

fn parse_header(bytes: &[u8]) -> Result<BundleHeader, BundleError> {
    // The version first: a newer header may have fields this one refuses.
    let value: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| bad_header(format!("not JSON ({e})")))?;
    let format = value
        .get("format")
        .and_then(serde_json::Value::as_u64)
        .ok_or_else(|| bad_header("no format version"))?;
    if format != u64::from(FORMAT_VERSION) {
        return Err(BundleError::UnsupportedFormat {
            found: u32::try_from(format).unwrap_or(u32::MAX),
            supported: FORMAT_VERSION,
        });
    }
    let header: BundleHeader =
        serde_json::from_value(value).map_err(|e| bad_header(e.to_string()))?;
    check_kdf(&header.kdf)?;
    Ok(header)
}

/// Refuses key derivation this version does not write, or costs outside
/// the floor and ceilings.
fn check_kdf(kdf: &KdfParams) -> Result<(), BundleError> {
    if kdf.algorithm != KDF_ALGORITHM || kdf.version != 0x13 {
        return Err(bad_header(format!(
            "unsupported key derivation {} version {}",
            kdf.algorithm, kdf.version
        )));
    }
    let costs_ok = (MIN_M_COST_KIB..=MAX_M_COST_KIB).contains(&kdf.m_cost_kib)
        && (1..=MAX_T_COST).contains(&kdf.t_cost)
        && (1..=MAX_P_COST).contains(&kdf.p_cost);
    if !costs_ok {
        return Err(bad_header(format!(
            "Argon2id costs m={} KiB, t={}, p={} are outside {MIN_M_COST_KIB}..={MAX_M_COST_KIB} KiB, 1..={MAX_T_COST}, 1..={MAX_P_COST}",
            kdf.m_cost_kib, kdf.t_cost, kdf.p_cost
        )));
    }
    Ok(())
}

/// The header of `bytes`, checked, without decrypting anything.
pub fn read_header(bytes: &[u8]) -> Result<BundleHeader, BundleError> {
    split(bytes).map(|frame| frame.header)
}

fn cipher(kdf: &KdfParams, passphrase: &Sensitive<String>) -> Result<Aes256Gcm, BundleError> {
    if passphrase.expose().is_empty() {
        return Err(BundleError::WeakPassphrase {
            len: 0,
            min: super::MIN_PASSPHRASE_CHARS,
        });
    }
    let key: MasterKey = kdf.derive(passphrase).map_err(|e| match e {
        VaultError::MalformedKey { detail, .. } => {
            bad_header(format!("the key derivation parameters: {detail}"))
        }
        other => BundleError::Vault(other),
    })?;
    Ok(Aes256Gcm::new(&(*key.bytes()).into()))
}

/// Encrypts `payload` under `passphrase` with `header`'s key derivation.
/// Blocking (Argon2id). Does not check the passphrase's length: export does.
pub fn seal_payload(
    payload: &BundlePayload,
    passphrase: &Sensitive<String>,
    header: &BundleHeader,
) -> Result<Vec<u8>, BundleError> {
    check_kdf(&header.kdf)?;
    let header_bytes = serde_json::to_vec(header).map_err(|e| bad_header(e.to_string()))?;
    if header_bytes.len() > MAX_HEADER_LEN {
        return Err(bad_header(format!(
            "it would be {} bytes; the limit is {MAX_HEADER_LEN}",
            header_bytes.len()
        )));
    }
    let header_len = u32::try_from(header_bytes.len())
        .map_err(|_| bad_header("the header length does not fit in 32 bits"))?;
    let mut out = Vec::with_capacity(MAGIC.len() + LEN_FIELD + header_bytes.len() + NONCE_LEN);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&header_len.to_be_bytes());
    out.extend_from_slice(&header_bytes);

    let cipher = cipher(&header.kdf, passphrase)?;
    let plaintext = payload.to_json()?;
    let mut nonce = [0u8; NONCE_LEN];
    getrandom::fill(&mut nonce).map_err(|e| VaultError::Random(e.to_string()))?;
    let sealed = cipher
        .encrypt(
            &Nonce::from(nonce),
            Payload {
                msg: &plaintext,
                aad: &out,
            },
        )
        .map_err(|_| BundleError::BadPayload {
            detail: "too large to encrypt".into(),
        })?;
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&sealed);
    Ok(out)
}

/// Decrypts a bundle: its header and what it holds. A wrong passphrase and
/// any altered byte both give [`BundleError::Undecryptable`]. Blocking.
pub fn open_payload(
    bytes: &[u8],
    passphrase: &Sensitive<String>,
) -> Result<(BundleHeader, BundlePayload), BundleError> {
    let frame = split(bytes)?;
    let cipher = cipher(&frame.header.kdf, passphrase)?;
    let plaintext = cipher
        .decrypt(
            &Nonce::from(frame.nonce),
            Payload {
                msg: frame.sealed,
                aad: frame.associated_data,
            },
        )
        .map(zeroize::Zeroizing::new)
        .map_err(|_| BundleError::Undecryptable)?;
    let payload = BundlePayload::from_json(&plaintext)?;
    Ok((frame.header, payload))
}
