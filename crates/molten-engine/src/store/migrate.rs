//! Embedded forward-only migrations, tracked in `PRAGMA user_version`.

use molten_core::StoreError;
use rusqlite::Connection;

/// Each entry upgrades the schema from `version - 1` to `version`.
const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("../../migrations/0001_init.sql")),
    (2, include_str!("../../migrations/0002_secrets.sql")),
    (3, include_str!("../../migrations/0003_audit.sql")),
    (4, include_str!("../../migrations/0004_rbac.sql")),
];

/// The newest schema this binary understands.
pub const SCHEMA_VERSION: i64 = MIGRATIONS[MIGRATIONS.len() - 1].0;

pub fn current_version(conn: &Connection) -> Result<i64, StoreError> {
    conn.query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(|e| StoreError::Sqlite(e.to_string()))
}

/// Brings the schema up to date, one transaction per step. A database newer
/// than this binary is refused before anything is written.
pub fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    let found = current_version(conn)?;
    if found > SCHEMA_VERSION {
        return Err(StoreError::SchemaTooNew {
            found,
            supported: SCHEMA_VERSION,
        });
    }
    for (version, sql) in MIGRATIONS.iter().filter(|(v, _)| *v > found) {
        let fail = |e: rusqlite::Error| StoreError::Migration {
            version: *version,
            detail: e.to_string(),
        };
        let tx = conn.transaction().map_err(fail)?;
        tx.execute_batch(sql).map_err(fail)?;
        tx.pragma_update(None, "user_version", version)
            .map_err(fail)?;
        tx.commit().map_err(fail)?;
        tracing::info!(version, "database migrated");
    }
    Ok(())
}
