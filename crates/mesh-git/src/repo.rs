//! Opening a repository and the simple queries: HEAD, revisions, a file at a revision.

use std::cell::OnceCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use gix::ObjectId;
use gix::bstr::ByteSlice;
use gix::objs::{Exists, FindExt, TreeRefIter, tree::EntryMode};

use crate::error::{GitError, GixContext, Result};
use crate::graph::CommitGraph;
use crate::watch::normalize_path;

/// An open git repository: the entry point of every query in this crate.
///
/// Not `Sync`: open one per thread.
pub struct Repo {
    pub(crate) repo: gix::Repository,
    graph: OnceCell<Option<CommitGraph>>,
    /// The shallow boundary (commits whose parents are absent), sorted; empty when not shallow.
    pub(crate) shallow: Vec<ObjectId>,
}

/// Where HEAD points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Head {
    /// On a branch (`refs/heads/<name>`; `name` is the short name).
    Branch {
        /// Short branch name, e.g. `main`.
        name: String,
        /// The commit the branch points at.
        commit: ObjectId,
    },
    /// Detached at a commit.
    Detached {
        /// The commit HEAD points at.
        commit: ObjectId,
    },
    /// On a branch with no commit yet (a new repository).
    Unborn {
        /// Short branch name, e.g. `main`.
        name: String,
    },
}

impl Head {
    /// The commit HEAD points at, if any.
    pub fn commit(&self) -> Option<ObjectId> {
        match self {
            Head::Branch { commit, .. } | Head::Detached { commit } => Some(*commit),
            Head::Unborn { .. } => None,
        }
    }

    /// Whether HEAD is detached.
    pub fn is_detached(&self) -> bool {
        matches!(self, Head::Detached { .. })
    }
}

/// A summary of what the commit-graph offers, for notes and benchmarks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GraphSupport {
    /// No commit-graph file: commits are decoded from the object database.
    None,
    /// A commit-graph without changed-path Bloom filters.
    Graph,
    /// A commit-graph with changed-path Bloom filters (`--changed-paths`).
    GraphWithBloom,
}

impl Repo {
    /// Open the repository containing `path` (any directory inside a worktree, a linked worktree,
    /// or a bare repository). Honors `GIT_DIR`, `GIT_INDEX_FILE` and the other environment
    /// variables git sets for hooks.
    ///
    /// A path outside any repository gives [`GitError::NotARepository`].
    pub fn discover(path: impl AsRef<Path>) -> Result<Repo> {
        let path = path.as_ref();
        if let Err(e) = std::fs::metadata(path) {
            return Err(GitError::io("cannot open", path, e));
        }
        let repo = match gix::ThreadSafeRepository::discover_with_environment_overrides(path) {
            Ok(r) => r.to_thread_local(),
            Err(e) => {
                if e.iter_errors().any(|inner| {
                    inner
                        .downcast_ref::<gix::discover::upwards::Error>()
                        .is_some_and(|d| {
                            !matches!(
                                d,
                                gix::discover::upwards::Error::NoTrustedGitRepository { .. }
                            )
                        })
                }) {
                    return Err(GitError::NotARepository { path: path.into() });
                }
                return Err(GitError::git(
                    format!("cannot open the repository at {}", path.display()),
                    e,
                ));
            }
        };
        Self::from_gix(repo)
    }

    /// Like [`Repo::discover`], but `Ok(None)` when `path` is not inside a repository, so that
    /// callers can skip the history rules with a note.
    pub fn discover_optional(path: impl AsRef<Path>) -> Result<Option<Repo>> {
        match Self::discover(path) {
            Ok(r) => Ok(Some(r)),
            Err(GitError::NotARepository { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn from_gix(repo: gix::Repository) -> Result<Repo> {
        let shallow = match repo.shallow_commits() {
            Ok(Some(list)) => {
                let mut v: Vec<ObjectId> = list.iter().copied().collect();
                v.sort();
                v
            }
            Ok(None) => Vec::new(),
            Err(e) => return Err(GitError::git("cannot read the shallow file", e)),
        };
        Ok(Repo {
            repo,
            graph: OnceCell::new(),
            shallow,
        })
    }

    /// The root of the working tree, or `None` for a bare repository.
    pub fn workdir(&self) -> Option<&Path> {
        self.repo.workdir()
    }

    /// This worktree's private git directory (`.git`, or `.git/worktrees/<name>` for a linked
    /// worktree).
    pub fn git_dir(&self) -> &Path {
        self.repo.git_dir()
    }

    /// The git directory shared by all worktrees (where `hooks/`, `objects/` and `refs/` live).
    pub fn common_dir(&self) -> PathBuf {
        lexical_clean(self.repo.common_dir())
    }

    /// Whether this is a linked worktree (made by `git worktree add`).
    pub fn is_linked_worktree(&self) -> bool {
        matches!(self.repo.kind(), gix::repository::Kind::LinkedWorkTree)
    }

    /// The directory git runs hooks from: `core.hooksPath` if set (relative values are taken
    /// from the worktree root, as git does), else `<common dir>/hooks`.
    pub fn hooks_dir(&self) -> PathBuf {
        let configured = self
            .repo
            .config_snapshot()
            .trusted_path("core.hooksPath")
            .ok()
            .flatten();
        match configured {
            Some(p) if p.is_absolute() => p,
            Some(p) => lexical_clean(&self.workdir().unwrap_or_else(|| self.git_dir()).join(p)),
            None => self.common_dir().join("hooks"),
        }
    }

    /// Whether this is a shallow clone.
    pub fn is_shallow(&self) -> bool {
        !self.shallow.is_empty()
    }

    /// The commits at the shallow boundary (their parents are absent); empty if not shallow.
    pub fn shallow_boundary(&self) -> &[ObjectId] {
        &self.shallow
    }

    pub(crate) fn is_shallow_boundary(&self, id: &ObjectId) -> bool {
        self.shallow.binary_search(id).is_ok()
    }

    /// Where HEAD points.
    pub fn head(&self) -> Result<Head> {
        let head = self.repo.head().ctx(|| "cannot read HEAD".into())?;
        Ok(match head.kind {
            gix::head::Kind::Symbolic(r) => {
                let name = r.name.shorten().to_str_lossy().into_owned();
                let id = match r.target {
                    gix::refs::Target::Object(id) => id,
                    gix::refs::Target::Symbolic(_) => {
                        let mut head = self.repo.head().ctx(|| "cannot read HEAD".into())?;
                        head.peel_to_commit()
                            .ctx(|| format!("cannot resolve branch `{name}`"))?
                            .id
                    }
                };
                let commit = self.peel_to_commit_id(id, &name)?;
                Head::Branch { name, commit }
            }
            gix::head::Kind::Detached { target, peeled } => Head::Detached {
                commit: self.peel_to_commit_id(peeled.unwrap_or(target), "HEAD")?,
            },
            gix::head::Kind::Unborn(name) => Head::Unborn {
                name: name.shorten().to_str_lossy().into_owned(),
            },
        })
    }

    /// The commit HEAD points at; [`GitError::UnbornHead`] in a repository without commits.
    pub fn head_commit(&self) -> Result<ObjectId> {
        match self.head()? {
            Head::Branch { commit, .. } | Head::Detached { commit } => Ok(commit),
            Head::Unborn { name } => Err(GitError::UnbornHead { branch: name }),
        }
    }

    /// Resolve a revision (`main`, `origin/main`, `v1.2`, `HEAD~3`, a full or short commit id)
    /// to a commit id, peeling tags.
    ///
    /// An unresolvable revision gives [`GitError::RevNotInShallowClone`] in a shallow clone when
    /// it looks like a commit id or walks ancestry (`~`, `^`), telling to fetch more history;
    /// otherwise [`GitError::UnknownRev`].
    pub fn resolve(&self, rev: &str) -> Result<ObjectId> {
        let rev = rev.trim();
        if rev.is_empty() {
            return Err(GitError::UnknownRev { rev: rev.into() });
        }
        let id = match self.repo.rev_parse_single(rev) {
            Ok(id) => id.detach(),
            Err(_) => return Err(self.missing_rev(rev)),
        };
        match self.has_object(id) {
            true => self.peel_to_commit_id(id, rev),
            false => Err(self.missing_rev(rev)),
        }
    }

    /// The error for a revision that names nothing here.
    pub(crate) fn missing_rev(&self, rev: &str) -> GitError {
        if self.is_shallow() && looks_like_history(rev) {
            GitError::RevNotInShallowClone { rev: rev.into() }
        } else {
            GitError::UnknownRev { rev: rev.into() }
        }
    }

    /// Whether the object database holds `id`.
    pub(crate) fn has_object(&self, id: ObjectId) -> bool {
        self.repo.objects.exists(&id)
    }

    /// Resolve `A..B`, `A..` (B = HEAD), `..B` or a single revision `B` (no base: the whole
    /// history up to B) to `(base, tip)`.
    pub fn resolve_range(&self, range: &str) -> Result<(Option<ObjectId>, ObjectId)> {
        if range.contains("...") {
            return Err(GitError::UnknownRev {
                rev: format!("{range} (symmetric `...` ranges are not supported; use A..B)"),
            });
        }
        match range.split_once("..") {
            Some((a, b)) => {
                let base = if a.trim().is_empty() { "HEAD" } else { a };
                let tip = if b.trim().is_empty() { "HEAD" } else { b };
                Ok((Some(self.resolve(base)?), self.resolve(tip)?))
            }
            None => Ok((None, self.resolve(range)?)),
        }
    }

    fn peel_to_commit_id(&self, id: ObjectId, rev: &str) -> Result<ObjectId> {
        let object = self
            .repo
            .find_object(id)
            .ctx(|| format!("cannot read the object `{rev}` names"))?;
        let kind = object.kind;
        match object.peel_to_commit() {
            Ok(c) => Ok(c.id),
            Err(_) => Err(GitError::NotACommit {
                rev: rev.into(),
                kind: kind.to_string(),
            }),
        }
    }

    /// The content of `path` at `commit`, or `None` when the path does not exist there. A
    /// directory or submodule at that path is [`GitError::NotAFile`].
    pub fn file_at(&self, commit: ObjectId, path: &str) -> Result<Option<Vec<u8>>> {
        let path = normalize_path(path)?;
        let tree = self.commit_tree(commit)?;
        let mut buf = Vec::new();
        match self.lookup_path(tree, &path, &mut buf)? {
            None => Ok(None),
            Some((id, mode)) if mode.is_blob_or_symlink() => Ok(Some(self.read_blob(id)?.to_vec())),
            Some((_, mode)) => Err(GitError::NotAFile {
                path,
                rev: commit.to_string(),
                kind: if mode.is_tree() {
                    "directory"
                } else {
                    "submodule"
                }
                .into(),
            }),
        }
    }

    /// Whether `path` exists as a file at `commit`.
    pub fn file_exists_at(&self, commit: ObjectId, path: &str) -> Result<bool> {
        let path = normalize_path(path)?;
        let tree = self.commit_tree(commit)?;
        let mut buf = Vec::new();
        Ok(self
            .lookup_path(tree, &path, &mut buf)?
            .is_some_and(|(_, m)| m.is_blob_or_symlink()))
    }

    /// The content of `path` in the working tree, or `None` when there is no such file (or no
    /// working tree).
    pub fn worktree_file(&self, path: &str) -> Result<Option<Vec<u8>>> {
        let path = normalize_path(path)?;
        let Some(root) = self.workdir() else {
            return Ok(None);
        };
        let full = root.join(&path);
        match std::fs::read(&full) {
            Ok(b) => Ok(Some(b)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) if full.is_dir() => Err(GitError::NotAFile {
                path,
                rev: format!("the working tree ({e})"),
                kind: "directory".into(),
            }),
            Err(e) => Err(GitError::io("cannot read", full, e)),
        }
    }

    /// Id, parents, time, author and summary of a commit.
    pub fn commit_info(&self, id: ObjectId) -> Result<crate::CommitInfo> {
        let mut buf = Vec::new();
        let commit = self
            .repo
            .objects
            .find_commit(&id, &mut buf)
            .ctx(|| format!("cannot read commit {id}"))?;
        let author = commit
            .author()
            .map(|a| a.name.to_str_lossy().trim().to_owned())
            .unwrap_or_default();
        let time = commit.committer().map(|c| c.seconds()).unwrap_or_default();
        Ok(crate::CommitInfo {
            id,
            parents: commit.parents().collect(),
            time,
            author,
            summary: commit.message().summary().to_str_lossy().into_owned(),
        })
    }

    /// Which commit-graph support this repository has (loaded lazily, once).
    pub fn graph_support(&self) -> GraphSupport {
        match self.graph() {
            None => GraphSupport::None,
            Some(g) if g.has_bloom() => GraphSupport::GraphWithBloom,
            Some(_) => GraphSupport::Graph,
        }
    }

    pub(crate) fn graph(&self) -> Option<&CommitGraph> {
        self.graph
            .get_or_init(|| {
                let enabled = self
                    .repo
                    .config_snapshot()
                    .boolean("core.commitGraph")
                    .unwrap_or(true);
                if !enabled || self.is_shallow() {
                    return None;
                }
                CommitGraph::load(self.repo.objects.store_ref().path())
            })
            .as_ref()
    }

    /// The root tree of a commit (via the commit-graph when it knows the commit).
    pub(crate) fn commit_tree(&self, commit: ObjectId) -> Result<ObjectId> {
        if let Some(g) = self.graph()
            && let Some(c) = g.graph.commit_by_id(commit)
        {
            return Ok(c.root_tree_id().to_owned());
        }
        let mut buf = Vec::new();
        let mut iter = self
            .repo
            .objects
            .find_commit_iter(&commit, &mut buf)
            .ctx(|| format!("cannot read commit {commit}"))?;
        iter.tree_id()
            .ctx(|| format!("cannot parse commit {commit}"))
    }

    /// Find `path` (normalized) below `tree`: its id and mode.
    pub(crate) fn lookup_path(
        &self,
        tree: ObjectId,
        path: &str,
        buf: &mut Vec<u8>,
    ) -> Result<Option<(ObjectId, EntryMode)>> {
        self.lookup_path_in_dirs(tree, path, buf, &mut HashMap::new())
    }

    /// Find `path` (normalized) below `tree`, for one of many paths below the same tree: the
    /// trees of the folders on the way are read once and remembered in `dirs` (folder path →
    /// its tree, `None` when absent or not a folder), so the watched files of one folder cost
    /// one tree read each instead of one per folder level.
    pub(crate) fn lookup_path_in_dirs(
        &self,
        tree: ObjectId,
        path: &str,
        buf: &mut Vec<u8>,
        dirs: &mut HashMap<String, Option<ObjectId>>,
    ) -> Result<Option<(ObjectId, EntryMode)>> {
        let (dir, name) = match path.rsplit_once('/') {
            Some((dir, name)) => (Some(dir), name),
            None => (None, path),
        };
        let parent = match dir {
            None => Some(tree),
            Some(dir) => self.dir_tree(tree, dir, buf, dirs)?,
        };
        match parent {
            Some(parent) => self.lookup_entry(parent, name, buf),
            None => Ok(None),
        }
    }

    /// The tree of folder `dir` below `tree`, through the memo `dirs`.
    fn dir_tree(
        &self,
        tree: ObjectId,
        dir: &str,
        buf: &mut Vec<u8>,
        dirs: &mut HashMap<String, Option<ObjectId>>,
    ) -> Result<Option<ObjectId>> {
        if let Some(known) = dirs.get(dir) {
            return Ok(*known);
        }
        let (parent, name) = match dir.rsplit_once('/') {
            Some((parent, name)) => (self.dir_tree(tree, parent, buf, dirs)?, name),
            None => (Some(tree), dir),
        };
        let found = match parent {
            Some(parent) => self
                .lookup_entry(parent, name, buf)?
                .filter(|(_, mode)| mode.is_tree())
                .map(|(id, _)| id),
            None => None,
        };
        dirs.insert(dir.to_string(), found);
        Ok(found)
    }

    /// Find one entry by name in a tree.
    pub(crate) fn lookup_entry(
        &self,
        tree: ObjectId,
        name: &str,
        buf: &mut Vec<u8>,
    ) -> Result<Option<(ObjectId, EntryMode)>> {
        find_in_tree(self.tree_iter(tree, buf)?, name)
    }

    /// Read a tree (the empty tree needs no object).
    pub(crate) fn tree_iter<'b>(
        &self,
        tree: ObjectId,
        buf: &'b mut Vec<u8>,
    ) -> Result<TreeRefIter<'b>> {
        if tree.is_empty_tree() {
            buf.clear();
            return Ok(TreeRefIter::from_bytes(buf, self.repo.object_hash()));
        }
        self.repo
            .objects
            .find_tree_iter(&tree, buf)
            .ctx(|| format!("cannot read tree {tree}"))
    }

    /// Read a blob.
    pub(crate) fn read_blob(&self, id: ObjectId) -> Result<Arc<[u8]>> {
        let mut buf = Vec::new();
        let blob = self
            .repo
            .objects
            .find_blob(&id, &mut buf)
            .ctx(|| format!("cannot read blob {id}"))?;
        Ok(Arc::from(blob.data))
    }

    /// The underlying gix repository, for queries this crate does not wrap.
    pub fn gix(&self) -> &gix::Repository {
        &self.repo
    }
}

/// Scan a tree for `name`.
pub(crate) fn find_in_tree(
    iter: TreeRefIter<'_>,
    name: &str,
) -> Result<Option<(ObjectId, EntryMode)>> {
    for entry in iter {
        let entry = entry.ctx(|| "cannot parse a tree object".into())?;
        if entry.filename.as_bytes() == name.as_bytes() {
            return Ok(Some((entry.oid.to_owned(), entry.mode)));
        }
    }
    Ok(None)
}

/// Remove `.` and `name/..` components without touching the file system (git writes a linked
/// worktree's common dir as `.git/worktrees/<name>/../..`).
fn lexical_clean(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir
                if matches!(out.components().next_back(), Some(Component::Normal(_))) =>
            {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// Whether a revision that failed to resolve may exist beyond a shallow boundary: a commit id,
/// or an ancestry walk.
fn looks_like_history(rev: &str) -> bool {
    let hexlike = rev.len() >= 4 && rev.len() <= 64 && rev.bytes().all(|b| b.is_ascii_hexdigit());
    hexlike || rev.contains('~') || rev.contains('^')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn history_like_revisions() {
        assert!(looks_like_history("abc123de"));
        assert!(looks_like_history("HEAD~40"));
        assert!(looks_like_history("main^2"));
        assert!(!looks_like_history("feature/x"));
        assert!(!looks_like_history("v1.2"));
    }

    #[test]
    fn looking_up_many_paths_through_remembered_folders_finds_what_one_lookup_finds() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        for (path, text) in [
            ("top.md", "top"),
            ("a/b/c/SPEC.md", "spec"),
            ("a/b/c/DECISION_LOG.md", "log"),
            ("a/b/other.md", "other"),
            ("a/file", "a file where a folder could be"),
            ("z/SPEC.md", "another spec"),
        ] {
            let p = dir.join(path);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
        for step in [
            &["init", "-q"][..],
            &["add", "-A"],
            &[
                "-c",
                "user.name=t",
                "-c",
                "user.email=t@t",
                "commit",
                "-q",
                "-m",
                "tree",
            ],
        ] {
            let status = std::process::Command::new("git")
                .args(step)
                .current_dir(dir)
                .status()
                .unwrap();
            assert!(status.success(), "git {step:?}");
        }
        let repo = Repo::discover(dir).unwrap();
        let tree = repo.commit_tree(repo.head_commit().unwrap()).unwrap();
        let paths = [
            "a/b/c/SPEC.md",
            "a/b/c/DECISION_LOG.md",
            "a/b/c/missing.md",
            "a/b/other.md",
            "a/b/c",
            "a/file",
            "a/file/below",
            "a/missing/deeper/SPEC.md",
            "a/missing/SPEC.md",
            "top.md",
            "missing.md",
            "z/SPEC.md",
            "a/b/c/SPEC.md",
        ];
        let mut buf = Vec::new();
        let mut dirs = HashMap::new();
        let mut found = 0;
        for path in paths {
            let one = repo.lookup_path(tree, path, &mut buf).unwrap();
            let many = repo
                .lookup_path_in_dirs(tree, path, &mut buf, &mut dirs)
                .unwrap();
            assert_eq!(many, one, "{path}");
            found += usize::from(one.is_some());
        }
        // Files and the folder a/b/c exist; the rest do not (a file is not a folder).
        assert_eq!(found, 8);
        assert_eq!(dirs.get("a/file"), Some(&None));
        assert_eq!(dirs.get("a/missing"), Some(&None));
        assert!(dirs.get("a/b/c").is_some_and(Option::is_some));
    }
}
