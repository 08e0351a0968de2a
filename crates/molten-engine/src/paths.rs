//! Where Molten keeps its files, resolved without Tauri.
//! `MOLTEN_DATA_DIR` overrides the platform's data directory (tests, servers).

use crate::error::EngineError;
use std::path::{Path, PathBuf};

pub const DATA_DIR_ENV: &str = "MOLTEN_DATA_DIR";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataDir {
    root: PathBuf,
}

impl DataDir {
    /// `$MOLTEN_DATA_DIR`, else the platform data dir + `molten`
    /// (`~/.local/share/molten` on Linux).
    pub fn resolve() -> Result<Self, EngineError> {
        if let Some(dir) = std::env::var_os(DATA_DIR_ENV).filter(|v| !v.is_empty()) {
            return Ok(Self::at(PathBuf::from(dir)));
        }
        dirs::data_dir()
            .map(|d| Self::at(d.join("molten")))
            .ok_or_else(|| EngineError::DataDir {
                path: String::new(),
                detail: "no home or data directory is known for this user".into(),
            })
    }

    pub fn at(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }
    pub fn database(&self) -> PathBuf {
        self.root.join("molten.db")
    }
    pub fn config(&self) -> PathBuf {
        self.root.join("config.yaml")
    }
    /// Roles, users and approvals: `permissions.yaml`.
    pub fn permissions(&self) -> PathBuf {
        self.root.join("permissions.yaml")
    }
    /// The local API's bound address, for scripts and the CLI to find it.
    pub fn api_endpoint(&self) -> PathBuf {
        self.root.join("api.json")
    }
    /// Creates the directory if needed and proves it is writable.
    pub fn prepare(&self) -> Result<(), EngineError> {
        let fail = |e: std::io::Error| EngineError::DataDir {
            path: self.root.display().to_string(),
            detail: e.to_string(),
        };
        std::fs::create_dir_all(&self.root).map_err(fail)?;
        let probe = self.root.join(".write-probe");
        std::fs::write(&probe, b"ok").map_err(fail)?;
        std::fs::remove_file(&probe).map_err(fail)?;
        Ok(())
    }
}
