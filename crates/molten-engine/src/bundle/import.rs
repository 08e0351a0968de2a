//! `import`: opens a bundle and checks everything in it (both files parse,
//! every secret name and size is valid) before writing anything; then
//! replaces the files whole, keeping the old ones as `.bak`, and stores the
//! secrets, sealed with this vault's own master key.

use super::atomic_file::{replace_keeping_backup, FileOutcome};
use super::error::BundleError;
use super::format::{open_payload, BundleHeader};
use super::payload::BundlePayload;
use super::{CONFIG_FILE, PERMISSIONS_FILE};
use crate::config::Config;
use crate::paths::DataDir;
use crate::rbac::Policy;
use molten_core::vault::MAX_SECRET_VALUE_LEN;
use molten_core::{validate_secret_name, SecretVault, Sensitive};
use std::collections::BTreeSet;
use std::path::PathBuf;

/// What to do with a bundled secret whose name the vault already has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ExistingSecrets {
    /// Leave the vault's value; report the name as skipped.
    #[default]
    Keep,
    /// Overwrite it with the bundle's value.
    Replace,
}

/// One of the two files, and what import did with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestoredFile {
    pub name: &'static str,
    pub path: PathBuf,
    pub outcome: FileOutcome,
}

/// What an import did. Names only, never values.
#[derive(Debug, Clone)]
pub struct ImportReport {
    pub header: BundleHeader,
    pub files: Vec<RestoredFile>,
    pub secrets_added: Vec<String>,
    pub secrets_skipped: Vec<String>,
    pub secrets_replaced: Vec<String>,
}

/// Restores `bundle` into `data_dir` and `vault`. A wrong passphrase, an
/// altered file or anything invalid inside is an error with nothing written.
pub async fn import(
    data_dir: &DataDir,
    vault: &dyn SecretVault,
    bundle: &[u8],
    passphrase: &Sensitive<String>,
    existing: ExistingSecrets,
) -> Result<ImportReport, BundleError> {
    super::format::read_header(bundle)?; // a non-bundle fails before Argon2id runs
    let owned = bundle.to_vec();
    let passphrase = passphrase.clone();
    let (header, payload) = tokio::task::spawn_blocking(move || open_payload(&owned, &passphrase))
        .await
        .map_err(|e| BundleError::Task(e.to_string()))??;
    validate(&payload)?;

    let present: BTreeSet<String> = vault.names().await?.into_iter().collect();
    std::fs::create_dir_all(data_dir.root()).map_err(|e| BundleError::Io {
        action: "create",
        path: data_dir.root().display().to_string(),
        detail: e.to_string(),
    })?;
    let files = vec![
        restore_file(CONFIG_FILE, data_dir.config(), &payload.config_yaml)?,
        restore_file(
            PERMISSIONS_FILE,
            data_dir.permissions(),
            &payload.permissions_yaml,
        )?,
    ];
    let mut report = ImportReport {
        header,
        files,
        secrets_added: Vec::new(),
        secrets_skipped: Vec::new(),
        secrets_replaced: Vec::new(),
    };
    for secret in payload.secrets {
        let known = present.contains(&secret.name);
        if known && existing == ExistingSecrets::Keep {
            report.secrets_skipped.push(secret.name);
            continue;
        }
        vault.set(&secret.name, secret.value).await?;
        if known {
            report.secrets_replaced.push(secret.name);
        } else {
            report.secrets_added.push(secret.name);
        }
    }
    Ok(report)
}

/// Everything that could refuse the import, checked before any write.
fn validate(payload: &BundlePayload) -> Result<(), BundleError> {
    let in_bundle = |file: &str| format!("{file} (in the bundle)");
    if let Some(text) = &payload.config_yaml {
        Config::parse(text.expose(), &in_bundle(CONFIG_FILE)).map_err(|source| {
            BundleError::InvalidInBundle {
                file: CONFIG_FILE,
                source,
            }
        })?;
    }
    if let Some(text) = &payload.permissions_yaml {
        Policy::parse(text.expose(), &in_bundle(PERMISSIONS_FILE)).map_err(|source| {
            BundleError::InvalidInBundle {
                file: PERMISSIONS_FILE,
                source,
            }
        })?;
    }
    let mut seen = BTreeSet::new();
    for secret in &payload.secrets {
        validate_secret_name(&secret.name).map_err(|e| BundleError::BadPayload {
            detail: e.to_string(),
        })?;
        if !seen.insert(secret.name.as_str()) {
            return Err(BundleError::BadPayload {
                detail: format!("the secret `{}` appears twice", secret.name),
            });
        }
        let len = secret.value.expose().len();
        if len > MAX_SECRET_VALUE_LEN {
            return Err(BundleError::BadPayload {
                detail: format!(
                    "the value of `{}` is {len} bytes; the vault's limit is {MAX_SECRET_VALUE_LEN}",
                    secret.name
                ),
            });
        }
    }
    Ok(())
}

fn restore_file(
    name: &'static str,
    path: PathBuf,
    text: &Option<Sensitive<String>>,
) -> Result<RestoredFile, BundleError> {
    let outcome = match text {
        Some(text) => replace_keeping_backup(&path, text.expose().as_bytes())?,
        None => FileOutcome::NotInBundle,
    };
    Ok(RestoredFile {
        name,
        path,
        outcome,
    })
}
