//! SQLite implementation of the `Store` seam: WAL, a busy timeout, embedded
//! forward-only migrations, and a refusal to touch a database from the future.

mod migrate;
mod rows;
mod sqlite;

pub use migrate::SCHEMA_VERSION;
pub use sqlite::SqliteStore;
