//! Safe file writes shared by every operation that changes a user's file.

use std::io::Write;
use std::path::{Path, PathBuf};

/// A failed write, naming the file.
#[derive(Debug, thiserror::Error)]
#[error("cannot write {path}: {source}")]
pub struct WriteError {
    pub path: String,
    #[source]
    pub source: std::io::Error,
}

/// Write `bytes` to `path` atomically (temporary file in the same directory, fsync, rename):
/// readers see the old file or the new one, never half of either.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), WriteError> {
    let err = |source| WriteError {
        path: path.display().to_string(),
        source,
    };
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(err)?;
    tmp.write_all(bytes).map_err(err)?;
    tmp.as_file().sync_all().map_err(err)?;
    tmp.persist(path).map_err(|e| err(e.error))?;
    Ok(())
}

/// `file.bak`, or `file.bak.1`, `file.bak.2`, … — the first that does not exist.
pub fn backup_path(path: &Path) -> PathBuf {
    let base = format!("{}.bak", path.display());
    let first = PathBuf::from(&base);
    if !first.exists() {
        return first;
    }
    (1..)
        .map(|i| PathBuf::from(format!("{base}.{i}")))
        .find(|p| !p.exists())
        .unwrap_or(first)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_and_backup_names() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.md");
        write_atomic(&p, b"one").unwrap();
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "one");
        assert_eq!(backup_path(&p), dir.path().join("a.md.bak"));
        std::fs::write(dir.path().join("a.md.bak"), "x").unwrap();
        assert_eq!(backup_path(&p), dir.path().join("a.md.bak.1"));
    }
}
