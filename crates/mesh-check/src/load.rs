//! Reading document roots from disk, safely: missing files, directories, binary or huge files
//! and invalid UTF-8 become diagnostics, never panics.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use mesh_docs::{DocKind, DocSet, Document};

use crate::config::Config;
use crate::context::{Root, join_display};
use crate::diagnostic::{Diagnostic, Location, Severity};

/// Largest document we read (a spec document is a few kilobytes; 8 MiB is generous).
pub const MAX_DOC_BYTES: u64 = 8 * 1024 * 1024;

/// The buffer a document is first read into: larger than most documents, so that one read
/// takes the whole file and the next one finds its end.
const READ_CAPACITY: usize = 16 * 1024;

/// Codes for load problems (registered as rules in `rules::load`).
pub const CODE_UNREADABLE: &str = "DOC010";

/// One root's documents as read from disk.
#[derive(Debug, Default)]
pub struct LoadedRoot {
    pub docs: DocSet,
    /// Kinds whose file exists but could not be used.
    pub unreadable: Vec<DocKind>,
    /// Diagnostics about reading (unreadable, binary, too large, not UTF-8, a directory).
    pub problems: Vec<Diagnostic>,
    /// Number of files read.
    pub files: usize,
}

/// Why a file could not be used.
#[derive(Debug)]
pub enum ReadProblem {
    Missing,
    Problem(String, String, Option<(u32, u32)>),
}

/// Read a text file for parsing, refusing directories, huge and binary files and invalid UTF-8.
pub fn read_text(path: &Path) -> Result<String, ReadProblem> {
    let cannot_read = |e: std::io::Error| {
        ReadProblem::Problem(
            format!("cannot read {}: {e}", path.display()),
            "check the file's permissions".into(),
            None,
        )
    };
    let a_directory = || {
        ReadProblem::Problem(
            format!("{} is a directory, not a Markdown file", path.display()),
            "rename the directory; the document must be a file".into(),
            None,
        )
    };
    // Opened and read at once: the size and the kind of file are not asked for first (a
    // 2,000-root monorepo reads 12,000 documents, and each system call counts). A directory
    // opens on Unix and is told by its read error; where it does not open, the path's own
    // metadata tells. A file over the limit is measured only once it has been refused.
    let file = match fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(ReadProblem::Missing),
        Err(_) if fs::metadata(path).is_ok_and(|m| m.is_dir()) => return Err(a_directory()),
        Err(e) => return Err(cannot_read(e)),
    };
    let mut bytes = Vec::with_capacity(READ_CAPACITY);
    let mut file = file.take(MAX_DOC_BYTES + 1);
    match file.read_to_end(&mut bytes) {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::IsADirectory => return Err(a_directory()),
        Err(e) => return Err(cannot_read(e)),
    }
    if bytes.len() as u64 > MAX_DOC_BYTES {
        let size = file
            .into_inner()
            .metadata()
            .map_or(bytes.len() as u64, |m| m.len());
        return Err(ReadProblem::Problem(
            format!(
                "{} is {} MiB, larger than the {} MiB a document may have",
                path.display(),
                size / (1024 * 1024),
                MAX_DOC_BYTES / (1024 * 1024)
            ),
            "spec documents are prose; move generated or bulk content elsewhere".into(),
            None,
        ));
    }
    // `contains` on bytes is a memchr; `position` runs only for a binary file.
    let head = &bytes[..bytes.len().min(64 * 1024)];
    if head.contains(&0)
        && let Some(pos) = head.iter().position(|&b| b == 0)
    {
        let line = 1 + bytes[..pos].iter().filter(|&&b| b == b'\n').count() as u32;
        return Err(ReadProblem::Problem(
            format!(
                "{} looks binary (a NUL byte at line {line})",
                path.display()
            ),
            "documents must be UTF-8 Markdown text".into(),
            Some((line, 1)),
        ));
    }
    match String::from_utf8(bytes) {
        Ok(s) => Ok(s),
        Err(e) => {
            let valid = e.utf8_error().valid_up_to();
            let bytes = e.as_bytes();
            let line = 1 + bytes[..valid].iter().filter(|&&b| b == b'\n').count() as u32;
            let line_start = bytes[..valid]
                .iter()
                .rposition(|&b| b == b'\n')
                .map(|p| p + 1)
                .unwrap_or(0);
            let col = String::from_utf8_lossy(&bytes[line_start..valid])
                .chars()
                .count() as u32
                + 1;
            Err(ReadProblem::Problem(
                format!(
                    "{} is not valid UTF-8 (invalid byte at line {line}, column {col})",
                    path.display()
                ),
                "re-save the file as UTF-8 (for example with `iconv -f latin1 -t utf-8`)".into(),
                Some((line, col)),
            ))
        }
    }
}

/// Read and parse every document of `root`.
pub fn load_root(root: &Root) -> LoadedRoot {
    let mut out = LoadedRoot::default();
    let mut docs = Vec::new();
    for kind in DocKind::ALL {
        let path = root.dir.join(kind.file_name());
        let display = root.file_display(kind);
        match read_text(&path) {
            Ok(text) => {
                out.files += 1;
                docs.push(Document::parse(kind, display, text));
            }
            Err(ReadProblem::Missing) => {}
            Err(ReadProblem::Problem(message, help, at)) => {
                out.unreadable.push(kind);
                let (line, col) = at.unwrap_or((1, 1));
                let mut d = Diagnostic::new(
                    CODE_UNREADABLE,
                    Severity::Error,
                    Location::new(display, line, col),
                    message,
                )
                .with_help(help);
                d.root = Some(root.display.clone());
                out.problems.push(d);
            }
        }
    }
    out.docs = DocSet::new(docs);
    out
}

/// Directories never searched for roots.
fn skip_dir(name: &str) -> bool {
    name.starts_with('.')
        || matches!(
            name,
            "node_modules" | "target" | "vendor" | "dist" | "build" | "__pycache__"
        )
}

/// Find every folder below `base` that holds a SPEC.md (for `--discover`), sorted.
///
/// Sibling folders are read in parallel: a monorepo has thousands of folders, and reading them
/// one after the other kept a core idle before any root could be checked. Symbolic links are not
/// followed.
pub fn discover(base: &Path) -> Vec<PathBuf> {
    let mut out = discover_in(base.to_path_buf());
    out.sort();
    out.dedup();
    out
}

fn discover_in(dir: PathBuf) -> Vec<PathBuf> {
    let Ok(rd) = fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut subdirs = Vec::new();
    let mut holds_spec = false;
    for entry in rd.flatten() {
        let Ok(ft) = entry.file_type() else { continue };
        let name = entry.file_name();
        if ft.is_dir() {
            if !skip_dir(&name.to_string_lossy()) {
                subdirs.push(entry.path());
            }
        } else if ft.is_file() && name == "SPEC.md" {
            holds_spec = true;
        }
    }
    let mut out: Vec<PathBuf> = subdirs.into_par_iter().flat_map_iter(discover_in).collect();
    if holds_spec {
        out.push(dir);
    }
    out
}

/// A root's display form relative to `base`.
pub fn display_rel(base: &Path, dir: &Path) -> String {
    match dir.strip_prefix(base) {
        Ok(rel) if rel.as_os_str().is_empty() => ".".into(),
        Ok(rel) => rel.to_string_lossy().replace('\\', "/"),
        Err(_) => dir.to_string_lossy().replace('\\', "/"),
    }
}

/// Error when nothing can be checked at all.
#[derive(Debug, thiserror::Error)]
pub enum RootsError {
    #[error("{0} does not exist")]
    NoDir(String),
    #[error("{0} is not a directory")]
    NotDir(String),
}

/// The roots to check under `base`: `[docs] roots` from the config (default `docs`), `base`
/// itself when it directly holds documents, plus discovered roots when asked.
pub fn roots(base: &Path, config: &Config, discover_all: bool) -> Result<Vec<Root>, RootsError> {
    if !base.exists() {
        return Err(RootsError::NoDir(base.display().to_string()));
    }
    if !base.is_dir() {
        return Err(RootsError::NotDir(base.display().to_string()));
    }
    let mut dirs: Vec<PathBuf> = Vec::new();
    let holds_docs = |d: &Path| {
        DocKind::GOVERNED
            .iter()
            .any(|k| d.join(k.file_name()).exists())
    };
    if discover_all || config.docs.discover {
        dirs.extend(discover(base));
    }
    for r in &config.docs.roots {
        let d = base.join(r);
        if !dirs.contains(&d) {
            dirs.push(d);
        }
    }
    // `mesh check docs/` — the directory itself is a root.
    if holds_docs(base) && !dirs.iter().any(|d| d == base) && !dirs.iter().any(|d| holds_docs(d)) {
        dirs = vec![base.to_path_buf()];
    }
    dirs.sort();
    dirs.dedup();
    Ok(dirs
        .into_iter()
        .map(|dir| Root {
            display: display_rel(base, &dir),
            dir,
        })
        .collect())
}

/// The path shown for `file` of `root`.
pub fn shown(root: &Root, file: &str) -> String {
    join_display(&root.display, file)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn discover_finds_nested_roots_sorted_and_skips_hidden_vendored_and_linked_folders() {
        let tmp = tempfile::tempdir().unwrap();
        let base = tmp.path();
        let spec_in = |rel: &str| {
            let d = base.join(rel);
            fs::create_dir_all(&d).unwrap();
            fs::write(d.join("SPEC.md"), "# Spec\n").unwrap();
        };
        // Many siblings, so that the parallel split has work to share; one root inside another.
        for i in (0..40).rev() {
            spec_in(&format!("area{}/svc{i:02}/docs", i % 3));
        }
        spec_in("docs");
        spec_in("area0/svc00/docs/nested/docs");
        for skipped in [".hidden/docs", "node_modules/pkg/docs", "target/x/docs"] {
            spec_in(skipped);
        }
        fs::create_dir_all(base.join("notes/SPEC.md")).unwrap(); // a folder, not a file
        #[cfg(unix)]
        std::os::unix::fs::symlink(base.join("area1"), base.join("link")).unwrap();

        let found = discover(base);
        let mut want: Vec<PathBuf> = (0..40)
            .map(|i| base.join(format!("area{}/svc{i:02}/docs", i % 3)))
            .chain([base.join("docs"), base.join("area0/svc00/docs/nested/docs")])
            .collect();
        want.sort();
        assert_eq!(found, want);
    }
}
