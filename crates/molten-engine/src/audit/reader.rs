//! A second connection for long reads (verify, export). In WAL mode it reads
//! one consistent snapshot while the store's own connection keeps serving the
//! engine, so walking a million rows never stalls message handling.

use super::error::{sql, AuditError};
use molten_core::StoreError;
use rusqlite::{Connection, OpenFlags, Transaction};
use std::path::PathBuf;
use std::time::Duration;

/// Runs `f` in a blocking task inside a read transaction on a fresh connection.
pub(crate) async fn with_snapshot<T, F>(db: PathBuf, f: F) -> Result<T, AuditError>
where
    T: Send + 'static,
    F: FnOnce(&Transaction<'_>) -> Result<T, AuditError> + Send + 'static,
{
    tokio::task::spawn_blocking(move || {
        // Read-write flags without CREATE: a read-only open of a WAL database
        // fails when its -shm file is missing; nothing is written here.
        let mut c = Connection::open_with_flags(
            &db,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| {
            AuditError::Store(StoreError::Open {
                path: db.display().to_string(),
                detail: e.to_string(),
            })
        })?;
        c.busy_timeout(Duration::from_secs(5)).map_err(sql)?;
        let tx = c.transaction().map_err(sql)?;
        f(&tx)
        // Dropping the transaction rolls back: it only read.
    })
    .await
    .map_err(|e| AuditError::Store(StoreError::Sqlite(format!("audit reader task failed: {e}"))))?
}
