//! Writing files whole: new contents go to a temporary file beside the
//! target, are synced, then renamed over it, so a crash leaves the old file
//! or the new one, never a mix. Restored files keep the old one as
//! `<name>.bak`.

use super::error::BundleError;
use std::io::Write;
use std::path::{Path, PathBuf};

/// What happened to one file on import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileOutcome {
    /// Written from the bundle; the previous file, if any, kept at `backup`.
    Restored { backup: Option<PathBuf> },
    /// The file already held exactly the bundle's text; left alone.
    Unchanged,
    /// The bundle has no such file (the exporting machine had none); left alone.
    NotInBundle,
}

fn io_err<'a>(action: &'static str, path: &'a Path) -> impl Fn(std::io::Error) -> BundleError + 'a {
    move |e| BundleError::Io {
        action,
        path: path.display().to_string(),
        detail: e.to_string(),
    }
}

/// `config.yaml` → `config.yaml.bak`.
pub(crate) fn backup_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".bak");
    path.with_file_name(name)
}

/// Replaces `path` with `contents`, first copying the current file (if any)
/// to `<name>.bak`. The new file takes the old one's permissions.
pub(crate) fn replace_keeping_backup(
    path: &Path,
    contents: &[u8],
) -> Result<FileOutcome, BundleError> {
    let old = match std::fs::read(path) {
        Ok(bytes) => Some(zeroize::Zeroizing::new(bytes)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(io_err("read", path)(e)),
    };
    let Some(old) = old else {
        write_whole(path, contents, None)?;
        return Ok(FileOutcome::Restored { backup: None });
    };
    if old.as_slice() == contents {
        return Ok(FileOutcome::Unchanged);
    }
    let permissions = std::fs::metadata(path)
        .map_err(io_err("read", path))?
        .permissions();
    let backup = backup_path(path);
    write_whole(&backup, &old, Some(permissions.clone()))?;
    write_whole(path, contents, Some(permissions))?;
    Ok(FileOutcome::Restored {
        backup: Some(backup),
    })
}

/// Writes `contents` to `path` whole, readable by the owner only (0600 on
/// Unix): for the bundle file itself, encrypted but nobody else's business.
pub fn write_owner_only(path: &Path, contents: &[u8]) -> Result<(), BundleError> {
    #[cfg(unix)]
    let permissions = {
        use std::os::unix::fs::PermissionsExt;
        Some(std::fs::Permissions::from_mode(0o600))
    };
    #[cfg(not(unix))]
    let permissions = None;
    write_whole(path, contents, permissions)
}

fn write_whole(
    path: &Path,
    contents: &[u8],
    permissions: Option<std::fs::Permissions>,
) -> Result<(), BundleError> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let _ = std::fs::remove_file(&tmp); // a leftover would keep its old mode
    let written = (|| {
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        {
            // Owner-only until the final permissions are set.
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let mut file = opts.open(&tmp)?;
        file.write_all(contents)?;
        if let Some(p) = permissions {
            file.set_permissions(p)?;
        } else {
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                file.set_permissions(std::fs::Permissions::from_mode(0o644))?;
            }
        }
        file.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(io_err("write", path)(e));
    }
    sync_dir(&dir);
    Ok(())
}

/// Makes the rename durable. Best effort: not every platform or file
/// system lets a directory be synced.
fn sync_dir(dir: &Path) {
    #[cfg(unix)]
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    #[cfg(not(unix))]
    let _ = dir;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_old_file_as_bak_and_skips_identical_text() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("config.yaml");
        assert_eq!(
            replace_keeping_backup(&path, b"a: 1\n").expect("first"),
            FileOutcome::Restored { backup: None },
            "no file before, no backup"
        );
        let outcome = replace_keeping_backup(&path, b"a: 2\n").expect("second");
        let bak = dir.path().join("config.yaml.bak");
        assert_eq!(
            outcome,
            FileOutcome::Restored {
                backup: Some(bak.clone())
            },
            "the old file is kept"
        );
        assert_eq!(
            std::fs::read(&bak).expect("bak"),
            b"a: 1\n",
            "old text in .bak"
        );
        assert_eq!(
            std::fs::read(&path).expect("new"),
            b"a: 2\n",
            "new text in place"
        );
        assert_eq!(
            replace_keeping_backup(&path, b"a: 2\n").expect("third"),
            FileOutcome::Unchanged,
            "identical text is left alone"
        );
        assert_eq!(
            std::fs::read(&bak).expect("bak"),
            b"a: 1\n",
            "the backup is not overwritten by an unchanged import"
        );
        let names: Vec<String> = std::fs::read_dir(dir.path())
            .expect("list")
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".tmp"))
            .collect();
        assert!(names.is_empty(), "no temporary files left: {names:?}");
    }

    #[cfg(unix)]
    #[test]
    fn owner_only_files_are_0600() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("out.moltenb");
        write_owner_only(&path, b"x").expect("write");
        let mode = std::fs::metadata(&path).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "owner-only, got {mode:o}");
    }
}
