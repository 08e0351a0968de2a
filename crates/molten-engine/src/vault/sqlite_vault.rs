//! `SqliteVault`: the `SecretVault` seam over the shared `SqliteStore`, one
//! sealed envelope per row of `secrets`. Plaintext never reaches SQL: values
//! are sealed before the statement runs and opened after it returns.

use super::envelope::EnvelopeCipher;
use super::master_key::MasterKey;
use crate::store::SqliteStore;
use async_trait::async_trait;
use molten_core::{validate_secret_name, Clock, SecretVault, Sensitive, StoreError, VaultError};
use rusqlite::{params, OptionalExtension};
use std::sync::Arc;

fn sql_err(e: rusqlite::Error) -> StoreError {
    StoreError::Sqlite(e.to_string())
}

#[derive(Clone)]
pub struct SqliteVault {
    store: SqliteStore,
    cipher: Arc<EnvelopeCipher>,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for SqliteVault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteVault")
            .field("store", &self.store)
            .finish_non_exhaustive()
    }
}

impl SqliteVault {
    /// A vault on `store`'s database (which has the `secrets` table once
    /// migrated), sealing with `key`.
    pub fn new(store: SqliteStore, key: &MasterKey, clock: Arc<dyn Clock>) -> Self {
        Self {
            store,
            cipher: Arc::new(EnvelopeCipher::new(key)),
            clock,
        }
    }
}

#[async_trait]
impl SecretVault for SqliteVault {
    async fn set(&self, name: &str, value: Sensitive<String>) -> Result<(), VaultError> {
        validate_secret_name(name)?;
        let envelope = self.cipher.seal(name, value.expose().as_bytes())?;
        drop(value);
        let name = name.to_string();
        let now = self.clock.now().timestamp_millis();
        self.store
            .run(move |c| {
                c.execute(
                    "INSERT INTO secrets (name, envelope, updated_at_ms) VALUES (?1, ?2, ?3)
                     ON CONFLICT(name) DO UPDATE SET envelope = excluded.envelope, updated_at_ms = excluded.updated_at_ms",
                    params![name, envelope, now],
                )
                .map_err(sql_err)?;
                Ok(())
            })
            .await?;
        Ok(())
    }

    async fn get(&self, name: &str) -> Result<Option<Sensitive<String>>, VaultError> {
        validate_secret_name(name)?;
        let key = name.to_string();
        let envelope: Option<Vec<u8>> = self
            .store
            .run(move |c| {
                c.query_row("SELECT envelope FROM secrets WHERE name = ?1", [key], |r| {
                    r.get(0)
                })
                .optional()
                .map_err(sql_err)
            })
            .await?;
        match envelope {
            Some(env) => self.cipher.open_string(name, &env).map(Some),
            None => Ok(None),
        }
    }

    async fn delete(&self, name: &str) -> Result<bool, VaultError> {
        delete_secret(&self.store, name).await
    }

    async fn names(&self) -> Result<Vec<String>, VaultError> {
        secret_names(&self.store).await
    }
}

/// Every stored name, sorted; needs no master key (names are not secret).
pub async fn secret_names(store: &SqliteStore) -> Result<Vec<String>, VaultError> {
    let names = store
        .run(|c| {
            let mut stmt = c
                .prepare("SELECT name FROM secrets ORDER BY name")
                .map_err(sql_err)?;
            let rows = stmt
                .query_map([], |r| r.get::<_, String>(0))
                .map_err(sql_err)?
                .collect::<rusqlite::Result<Vec<_>>>()
                .map_err(sql_err)?;
            Ok(rows)
        })
        .await?;
    Ok(names)
}

/// Removes `name`; `true` when something was removed. Needs no master key.
pub async fn delete_secret(store: &SqliteStore, name: &str) -> Result<bool, VaultError> {
    validate_secret_name(name)?;
    let name = name.to_string();
    let n = store
        .run(move |c| {
            c.execute("DELETE FROM secrets WHERE name = ?1", [name])
                .map_err(sql_err)
        })
        .await?;
    Ok(n > 0)
}
