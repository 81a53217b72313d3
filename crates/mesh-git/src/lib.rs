//! mesh-git: the history queries behind the governance rules (issue 4).
//!
//! Git is read through gix (pure Rust) with its commit-graph; the changed-path Bloom filters
//! that gix does not read are read here ([`graph`](crate::GraphSupport)). No function panics on
//! any repository state; errors are [`GitError`], each saying what to do.
//!
//! - [`Repo::discover`]: open from any path inside a worktree (linked worktrees, bare
//!   repositories, the `GIT_*` variables of hooks); [`Repo::head`], [`Repo::is_shallow`],
//!   [`Repo::workdir`], [`Repo::git_dir`], [`Repo::common_dir`], [`Repo::hooks_dir`].
//! - [`Repo::resolve`] / [`Repo::resolve_range`]: revisions to commit ids, with distinct errors
//!   for an unknown revision and one missing from a shallow clone.
//! - [`Repo::walk`]: the streaming first-parent history walk over [`Watch`]ed files
//!   ([`HistoryWalk`] yields [`CommitChanges`]).
//! - [`Repo::range_changes`]: net changes of `base..tip` plus the commits in between.
//! - [`Repo::uncommitted_changes`]: HEAD against the index ([`WorkSource::Staged`], what the
//!   pre-commit mode judges) or the working tree.
//! - [`Repo::file_at`], [`Repo::worktree_file`]: file contents.
//! - [`hooks`]: hook scripts, install/uninstall with chaining.
//! - [`LineDiff`]: line diffs with line numbers.

mod error;
mod graph;
pub mod hooks;
mod linediff;
mod range;
mod repo;
mod walk;
mod watch;
mod worktree;

pub use error::{GitError, Result};
pub use gix::ObjectId;
pub use linediff::{Hunk, LineChange, LineDiff};
pub use range::RangeChanges;
pub use repo::{GraphSupport, Head, Repo};
pub use walk::{
    ChangeKind, CommitChanges, CommitInfo, FileChange, HistoryWalk, WalkEnd, WalkOptions,
};
pub use watch::{Watch, normalize_path};
pub use worktree::WorkSource;
