//! Archive files: `audit-archive/<first_seq>-<last_seq>.jsonl.gz`, one
//! [`AuditRecord`] per line as flat JSON (with `prev_hash` and `hash`, so the
//! chain continues across files and into the live table).

use super::entry::AuditRecord;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use flate2::Compression;
use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

/// `<first_seq>-<last_seq>.jsonl.gz`
pub(crate) fn file_name(first_seq: i64, last_seq: i64) -> String {
    format!("{first_seq}-{last_seq}.jsonl.gz")
}

/// Writes `records` to `dir/<first>-<last>.jsonl.gz` durably: a temporary
/// file is written, fsynced and renamed, and the folder is fsynced, so the
/// archive is on disk before the caller deletes any row.
pub(crate) fn write(dir: &Path, records: &[AuditRecord]) -> io::Result<PathBuf> {
    let (Some(first), Some(last)) = (records.first(), records.last()) else {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "nothing to archive",
        ));
    };
    std::fs::create_dir_all(dir)?;
    let name = file_name(first.seq, last.seq);
    let path = dir.join(&name);
    let tmp = dir.join(format!(".{name}.tmp"));
    let mut gz = GzEncoder::new(BufWriter::new(File::create(&tmp)?), Compression::default());
    // Whole lines into the compressor: many tiny writes would make it crawl.
    let mut line = Vec::with_capacity(512);
    for r in records {
        line.clear();
        serde_json::to_writer(&mut line, r)?;
        line.push(b'\n');
        gz.write_all(&line)?;
    }
    let file = gz.finish()?.into_inner().map_err(|e| e.into_error())?;
    file.sync_all()?;
    drop(file);
    std::fs::rename(&tmp, &path)?;
    sync_dir(dir)?;
    Ok(path)
}

#[cfg(unix)]
fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> io::Result<()> {
    // Windows has no directory fsync; the rename is journaled by NTFS.
    Ok(())
}

/// The lines of an archive, decompressed.
pub(crate) fn read_lines(path: &Path) -> io::Result<io::Lines<BufReader<GzDecoder<File>>>> {
    Ok(BufReader::new(GzDecoder::new(File::open(path)?)).lines())
}
