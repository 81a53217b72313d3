//! Safe file writes: a temporary file in the same directory, then an atomic rename.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context as _;

/// Write `bytes` to `path` atomically: readers see the old file or the new one, never half.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir)
        .with_context(|| format!("cannot create a temporary file in {}", dir.display()))?;
    tmp.write_all(bytes)
        .and_then(|()| tmp.as_file().sync_all())
        .with_context(|| format!("cannot write {}", path.display()))?;
    tmp.persist(path)
        .map_err(|e| e.error)
        .with_context(|| format!("cannot replace {}", path.display()))?;
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
    use std::fs;

    #[test]
    fn atomic_write_and_backup_names() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.md");
        write_atomic(&p, b"one").unwrap();
        assert_eq!(fs::read_to_string(&p).unwrap(), "one");
        assert_eq!(backup_path(&p), dir.path().join("a.md.bak"));
        fs::write(dir.path().join("a.md.bak"), "x").unwrap();
        assert_eq!(backup_path(&p), dir.path().join("a.md.bak.1"));
    }
}
