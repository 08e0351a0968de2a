//! `master.key` in the data dir: the master key's last resort when no OS
//! keyring is reachable (servers, CI). Created owner-only (0600); the
//! resolver warns every time it is used, because secrets are then only as
//! safe as this file.

use super::master_key::{KeySource, MasterKey};
use molten_core::VaultError;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The file's name in the data dir.
pub const KEY_FILE: &str = "master.key";

pub fn path(data_dir: &Path) -> PathBuf {
    data_dir.join(KEY_FILE)
}

/// The key in `master.key`, or `None` when the file does not exist.
pub fn read(data_dir: &Path) -> Result<Option<MasterKey>, VaultError> {
    let path = path(data_dir);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => zeroize::Zeroizing::new(t),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(VaultError::Locked {
                reason: format!("cannot read the key file {}: {e}", path.display()),
            })
        }
    };
    tighten_permissions(&path);
    MasterKey::parse(&text, &path.display().to_string(), KeySource::KeyFile).map(Some)
}

/// Writes a new random key to `master.key` (owner-only) and returns it. The
/// file appears whole or not at all (written aside, then hard-linked into
/// place); if another process made one first, that one is read instead.
pub fn create(data_dir: &Path) -> Result<MasterKey, VaultError> {
    let path = path(data_dir);
    let fail = |e: std::io::Error| VaultError::Locked {
        reason: format!("cannot create the key file {}: {e}", path.display()),
    };
    let key = MasterKey::generate(KeySource::KeyFile)?;
    std::fs::create_dir_all(data_dir).map_err(fail)?;
    let tmp = data_dir.join(format!("{KEY_FILE}.{}.tmp", std::process::id()));
    let _ = std::fs::remove_file(&tmp); // a leftover would keep its old mode
    let written = write_owner_only(&tmp, &key);
    let linked = written.and_then(|()| std::fs::hard_link(&tmp, &path));
    let _ = std::fs::remove_file(&tmp);
    match linked {
        Ok(()) => Ok(key),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            read(data_dir)?.ok_or_else(|| fail(e))
        }
        Err(e) => Err(fail(e)),
    }
}

fn write_owner_only(path: &Path, key: &MasterKey) -> std::io::Result<()> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut file = opts.open(path)?;
    let mut line = key.to_hex().expose().clone();
    line.push('\n');
    let written = file
        .write_all(line.as_bytes())
        .and_then(|()| file.sync_all());
    zeroize::Zeroize::zeroize(&mut line);
    written
}

/// A key file readable by others (copied, restored from a backup) is made
/// owner-only again, with a warning.
#[cfg(unix)]
fn tighten_permissions(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let Ok(meta) = std::fs::metadata(path) else {
        return;
    };
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        tracing::warn!(
            path = %path.display(),
            mode = format!("{mode:o}"),
            "the master key file was readable by other users; making it owner-only (0600)"
        );
        if let Err(e) = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)) {
            tracing::warn!(path = %path.display(), error = %e, "could not restrict the master key file");
        }
    }
}

#[cfg(not(unix))]
fn tighten_permissions(_path: &Path) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_create_reads_the_first_key_and_leaves_no_temp_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let first = create(dir.path()).expect("create");
        let second = create(dir.path()).expect("create again");
        assert_eq!(first.bytes(), second.bytes(), "the existing file wins");
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .expect("list")
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, vec![KEY_FILE.to_string()], "only master.key remains");
        let back = read(dir.path()).expect("read").expect("present");
        assert_eq!(back.bytes(), first.bytes(), "read gives the same key");
    }
}
