//! A passphrase stretched into a master key with Argon2id. The salt and cost
//! parameters are not secret; they live in `vault.json` so the same passphrase
//! gives the same key next time.

use super::master_key::{KeySource, MasterKey, MASTER_KEY_LEN};
use argon2::{Algorithm, Argon2, Params, Version};
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use molten_core::{Sensitive, VaultError};
use serde::{Deserialize, Serialize};
use zeroize::Zeroize;

/// The only algorithm written or accepted.
pub const KDF_ALGORITHM: &str = "argon2id";
/// Bytes of random salt per vault.
pub const SALT_LEN: usize = 16;
/// Memory cost floor (KiB): parameters below it in `vault.json` are refused,
/// so an edited file cannot quietly weaken the key.
pub const MIN_M_COST_KIB: u32 = 8 * 1024;

/// Argon2id's inputs besides the passphrase, as stored in `vault.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KdfParams {
    pub algorithm: String,
    /// Argon2 version 0x13 = 19.
    pub version: u32,
    /// Base64 of [`SALT_LEN`] random bytes.
    pub salt: String,
    pub m_cost_kib: u32,
    pub t_cost: u32,
    pub p_cost: u32,
}

impl KdfParams {
    /// Fresh salt with the recommended costs: 64 MiB, 3 passes, 1 lane
    /// (RFC 9106's memory-constrained choice; about a quarter second on a
    /// laptop in a release build).
    pub fn recommended() -> Result<Self, VaultError> {
        Self::with_costs(64 * 1024, 3, 1)
    }

    /// Fresh salt with the given costs (memory in KiB, at least
    /// [`MIN_M_COST_KIB`]). Tests use the floor to stay quick.
    pub fn with_costs(m_cost_kib: u32, t_cost: u32, p_cost: u32) -> Result<Self, VaultError> {
        let mut salt = [0u8; SALT_LEN];
        getrandom::fill(&mut salt).map_err(|e| VaultError::Random(e.to_string()))?;
        let params = Self {
            algorithm: KDF_ALGORITHM.into(),
            version: 0x13,
            salt: STANDARD.encode(salt),
            m_cost_kib,
            t_cost,
            p_cost,
        };
        params.argon2()?;
        Ok(params)
    }

    fn argon2(&self) -> Result<(Argon2<'static>, Vec<u8>), VaultError> {
        let bad = |detail: String| VaultError::MalformedKey {
            origin: "vault.json (the passphrase parameters)".into(),
            detail,
        };
        if self.algorithm != KDF_ALGORITHM || self.version != 0x13 {
            return Err(bad(format!(
                "unsupported key derivation {} version {}",
                self.algorithm, self.version
            )));
        }
        if self.m_cost_kib < MIN_M_COST_KIB {
            return Err(bad(format!(
                "memory cost {} KiB is below the floor of {MIN_M_COST_KIB} KiB",
                self.m_cost_kib
            )));
        }
        let salt = STANDARD
            .decode(&self.salt)
            .ok()
            .filter(|s| s.len() >= SALT_LEN)
            .ok_or_else(|| {
                bad(format!(
                    "the salt is not base64 of {SALT_LEN} or more bytes"
                ))
            })?;
        let params = Params::new(
            self.m_cost_kib,
            self.t_cost,
            self.p_cost,
            Some(MASTER_KEY_LEN),
        )
        .map_err(|e| bad(e.to_string()))?;
        Ok((
            Argon2::new(Algorithm::Argon2id, Version::V0x13, params),
            salt,
        ))
    }

    /// Stretches `passphrase` into a master key. Slow on purpose: call it
    /// from a blocking context.
    pub fn derive(&self, passphrase: &Sensitive<String>) -> Result<MasterKey, VaultError> {
        if passphrase.expose().is_empty() {
            return Err(VaultError::MalformedKey {
                origin: "the passphrase".into(),
                detail: "it is empty".into(),
            });
        }
        let (argon2, salt) = self.argon2()?;
        let mut out = [0u8; MASTER_KEY_LEN];
        argon2
            .hash_password_into(passphrase.expose().as_bytes(), &salt, &mut out)
            .map_err(|e| VaultError::MalformedKey {
                origin: "the passphrase".into(),
                detail: e.to_string(),
            })?;
        let key = MasterKey::new(out, KeySource::Passphrase);
        out.zeroize();
        Ok(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quick() -> KdfParams {
        KdfParams::with_costs(MIN_M_COST_KIB, 1, 1).expect("params")
    }

    #[test]
    fn same_passphrase_and_salt_give_the_same_key() {
        let p = quick();
        let pass = Sensitive::new("correct horse".to_string());
        let a = p.derive(&pass).expect("derive");
        let b = p.derive(&pass).expect("derive again");
        assert_eq!(a.bytes(), b.bytes(), "deterministic for one salt");
        let other = p
            .derive(&Sensitive::new("wrong horse".into()))
            .expect("derive");
        assert_ne!(a.bytes(), other.bytes(), "another passphrase, another key");
        let resalted = quick().derive(&pass).expect("derive");
        assert_ne!(a.bytes(), resalted.bytes(), "another salt, another key");
    }

    #[test]
    fn weak_or_foreign_parameters_are_refused() {
        let mut p = quick();
        p.m_cost_kib = 64;
        let e = p
            .derive(&Sensitive::new("x".into()))
            .expect_err("below the floor");
        assert_eq!(e.code(), "vault_bad_key", "{e}");
        let mut p = quick();
        p.algorithm = "scrypt".into();
        assert!(
            p.derive(&Sensitive::new("x".into())).is_err(),
            "only argon2id"
        );
        let e = quick()
            .derive(&Sensitive::new(String::new()))
            .expect_err("empty passphrase");
        assert!(e.to_string().contains("empty"), "{e}");
    }
}
