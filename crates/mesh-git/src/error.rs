//! The one error type of this crate.

use std::path::PathBuf;

/// Everything that can go wrong in a history query. Every message says what is wrong and, where
/// the user can act, what to do.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GitError {
    /// No repository contains the given path (callers skip the git rules with a note).
    #[error(
        "{} is not inside a git repository; the history rules need one (run `git init`, or run from inside a clone)",
        path.display()
    )]
    NotARepository {
        /// The path that was searched from.
        path: PathBuf,
    },

    /// The revision names nothing in this repository.
    #[error(
        "unknown revision `{rev}`: no branch, tag or commit has that name here; check the spelling, or `git fetch` if it lives on a remote"
    )]
    UnknownRev {
        /// The revision as given.
        rev: String,
    },

    /// The revision may exist, but this clone is shallow and does not hold it.
    #[error(
        "revision `{rev}` is not in this shallow clone; fetch more history: `git fetch --deepen=<N>` (or `git fetch --unshallow`), or in CI check out with full history (actions/checkout: fetch-depth: 0)"
    )]
    RevNotInShallowClone {
        /// The revision as given.
        rev: String,
    },

    /// The revision resolves to an object that is not (and does not peel to) a commit.
    #[error("`{rev}` does not name a commit (it names a {kind}); give a branch, tag or commit")]
    NotACommit {
        /// The revision as given.
        rev: String,
        /// The kind of object it names.
        kind: String,
    },

    /// A walk toward a base reached the end of a shallow clone's history first.
    #[error(
        "the history from {tip} back to {base} is cut off at {boundary} because this clone is shallow; fetch more history: `git fetch --deepen=<N>` (or `git fetch --unshallow`)"
    )]
    ShallowHistory {
        /// Where the walk started.
        tip: String,
        /// Where it should have stopped.
        base: String,
        /// The last commit whose parents are present.
        boundary: String,
    },

    /// HEAD has no commit yet (a new repository) where one is needed.
    #[error(
        "HEAD has no commit yet (branch `{branch}` is unborn); make a first commit, or compare against the empty tree"
    )]
    UnbornHead {
        /// The branch HEAD points at.
        branch: String,
    },

    /// Uncommitted changes were asked of a repository without a working tree.
    #[error(
        "this is a bare repository: it has no working tree or staged changes to check; check a range instead (e.g. --base origin/main)"
    )]
    BareRepository,

    /// A watched path has unresolved merge conflicts in the index.
    #[error("`{path}` has unresolved merge conflicts; resolve them and `git add` the result first")]
    Unmerged {
        /// The conflicted path.
        path: String,
    },

    /// A path given to watch or read is not a clean repository-relative path.
    #[error(
        "`{path}` is not a repository-relative path (write it like `docs/SPEC.md`: forward slashes, no `..`, not absolute)"
    )]
    InvalidPath {
        /// The path as given.
        path: String,
    },

    /// A path expected to be a file is something else in the tree (a directory, a submodule).
    #[error("`{path}` at {rev} is a {kind}, not a file")]
    NotAFile {
        /// The path.
        path: String,
        /// The commit (or "the index") it was looked up in.
        rev: String,
        /// What it is instead.
        kind: String,
    },

    /// A hook file exists with our name but is not ours and cannot be chained.
    #[error("{}: {reason}", path.display())]
    Hook {
        /// The hook file concerned.
        path: PathBuf,
        /// What is wrong and what to do.
        reason: String,
    },

    /// A file system operation failed.
    #[error("{action} {}: {source}", path.display())]
    Io {
        /// What was being done, e.g. "cannot read".
        action: &'static str,
        /// The file concerned.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },

    /// The repository data could not be read (a corrupt or unsupported repository, a missing
    /// object in a partial clone, ...).
    #[error("git: {context}: {source}")]
    Git {
        /// What was being done.
        context: String,
        /// The library's error.
        #[source]
        source: Box<gix::Error>,
    },
}

impl GitError {
    pub(crate) fn git(context: impl Into<String>, source: impl Into<gix::Error>) -> Self {
        GitError::Git {
            context: context.into(),
            source: Box::new(source.into()),
        }
    }

    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
        source: std::io::Error,
    ) -> Self {
        GitError::Io {
            action,
            path: path.into(),
            source,
        }
    }
}

/// Shorthand used throughout the crate.
pub type Result<T, E = GitError> = std::result::Result<T, E>;

/// Attach context to a gix result.
pub(crate) trait GixContext<T> {
    fn ctx(self, context: impl FnOnce() -> String) -> Result<T>;
}

impl<T, E: Into<gix::Error>> GixContext<T> for std::result::Result<T, E> {
    fn ctx(self, context: impl FnOnce() -> String) -> Result<T> {
        self.map_err(|e| GitError::git(context(), e))
    }
}
