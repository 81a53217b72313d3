//! Which files the history queries look at.

use crate::error::{GitError, Result};

/// The set of watched files: exact repository-relative paths (`docs/SPEC.md`), plus optionally
/// file names matched in any directory (`SPEC.md` matches `docs/SPEC.md` and `spec/SPEC.md`).
///
/// Exact paths are the fast path of a history walk: only the trees along each path are read, and
/// a commit-graph with changed-path Bloom filters lets the walk skip most commits without reading
/// anything. File names cost a (pruned) tree diff of every commit whose root tree changed: use
/// them when the set of documents is not known in advance.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Watch {
    paths: Vec<String>,
    file_names: Vec<String>,
}

impl Watch {
    /// Watch these exact paths. Paths use forward slashes and are relative to the repository
    /// root; a leading `./` is dropped.
    pub fn paths<I, S>(paths: I) -> Result<Self>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut watch = Watch::default();
        for p in paths {
            watch = watch.with_path(p.as_ref())?;
        }
        Ok(watch)
    }

    /// Add one exact path.
    pub fn with_path(mut self, path: &str) -> Result<Self> {
        let p = normalize_path(path)?;
        if !self.paths.contains(&p) {
            self.paths.push(p);
        }
        Ok(self)
    }

    /// Also watch every file with this name (`SPEC.md`), in any directory.
    pub fn with_file_name(mut self, name: &str) -> Result<Self> {
        if name.is_empty() || name.contains('/') || name == "." || name == ".." {
            return Err(GitError::InvalidPath { path: name.into() });
        }
        if !self.file_names.iter().any(|n| n == name) {
            self.file_names.push(name.to_owned());
        }
        Ok(self)
    }

    /// The exact paths, in the order given.
    pub fn exact_paths(&self) -> &[String] {
        &self.paths
    }

    /// The file names matched in any directory.
    pub fn file_names(&self) -> &[String] {
        &self.file_names
    }

    /// Whether nothing is watched.
    pub fn is_empty(&self) -> bool {
        self.paths.is_empty() && self.file_names.is_empty()
    }

    /// Whether `path` (repository-relative, forward slashes) is watched.
    pub fn matches(&self, path: &str) -> bool {
        self.paths.iter().any(|p| p == path) || self.matches_name(path)
    }

    pub(crate) fn matches_name(&self, path: &str) -> bool {
        let name = file_name(path);
        self.file_names.iter().any(|n| n == name)
    }
}

/// The last component of a slash-separated path.
pub(crate) fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// Turn a user-given path into the canonical repository-relative form, or refuse it.
pub fn normalize_path(path: &str) -> Result<String> {
    let trimmed = path.replace('\\', "/");
    let mut parts = Vec::new();
    if trimmed.starts_with('/') {
        return Err(GitError::InvalidPath { path: path.into() });
    }
    for part in trimmed.split('/') {
        match part {
            "" | "." => {}
            ".." => return Err(GitError::InvalidPath { path: path.into() }),
            p => parts.push(p),
        }
    }
    if parts.is_empty() || parts.iter().any(|p| p.contains('\0')) {
        return Err(GitError::InvalidPath { path: path.into() });
    }
    Ok(parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_and_rejects() {
        assert_eq!(normalize_path("./docs//SPEC.md").unwrap(), "docs/SPEC.md");
        assert_eq!(normalize_path("docs\\SPEC.md").unwrap(), "docs/SPEC.md");
        assert!(normalize_path("/etc/passwd").is_err());
        assert!(normalize_path("../x").is_err());
        assert!(normalize_path("").is_err());
        assert!(normalize_path("./").is_err());
    }

    #[test]
    fn matches_exact_and_names() {
        let w = Watch::paths(["docs/SPEC.md"])
            .unwrap()
            .with_file_name("DECISION_LOG.md")
            .unwrap();
        assert!(w.matches("docs/SPEC.md"));
        assert!(!w.matches("spec/SPEC.md"));
        assert!(w.matches("a/b/DECISION_LOG.md"));
        assert!(w.matches("DECISION_LOG.md"));
        assert!(!w.matches("a/XDECISION_LOG.md"));
        assert!(Watch::default().is_empty());
        assert!(Watch::default().with_file_name("a/b").is_err());
    }
}
