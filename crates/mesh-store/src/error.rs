//! The one error type of the store. Every message says what is wrong and what to do.

use std::path::PathBuf;

use crate::model::{Status, display_id};

/// Result alias used throughout the crate.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Everything that can go wrong in the store.
///
/// [`StoreError::is_refusal`] separates refused requests (illegal transition, someone else's
/// claim, a dependency cycle …: the store is fine, the request was not) from failures (the store
/// cannot be reached, is locked or corrupt, or an internal error).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The PostgreSQL server could not be reached or refused the connection.
    #[error(
        "cannot connect to PostgreSQL at {url}: {reason}\n  help: check that the server is running and that the store URL (--store, MESH_STORE or [store] url in mesh.toml) is right"
    )]
    Unreachable {
        /// The URL with any password removed.
        url: String,
        /// What the driver said.
        reason: String,
    },

    /// The SQLite file stayed locked by another process for longer than the busy timeout.
    #[error(
        "the store {} is locked by another process (waited {waited_ms} ms)\n  help: retry; if it stays locked, find the process holding it (`fuser` or `lsof` on the file)",
        path.display()
    )]
    Locked {
        /// The database file.
        path: PathBuf,
        /// How long we waited.
        waited_ms: u128,
    },

    /// The SQLite file is not a database, or is damaged.
    #[error(
        "the store {} is not a usable SQLite database ({reason})\n  help: move the file aside (a new store is created on next use) or restore it from a backup",
        path.display()
    )]
    Corrupt {
        /// The database file.
        path: PathBuf,
        /// What SQLite said.
        reason: String,
    },

    /// A file-system error around the store (creating `.mesh/`, opening the file).
    #[error("cannot use the store at {}: {source}", path.display())]
    Io {
        /// The path involved.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },

    /// The store was written by a newer mesh.
    #[error(
        "the store has schema version {found}, but this mesh knows only up to {supported}\n  help: upgrade mesh"
    )]
    SchemaTooNew {
        /// Version found in the store.
        found: i64,
        /// Highest version this build knows.
        supported: i64,
    },

    /// A store location that is neither a path nor a postgres:// URL.
    #[error(
        "unsupported store location `{0}`\n  help: use a file path (SQLite) or a postgres://user@host:port/database URL"
    )]
    UnsupportedLocation(String),

    /// No task with this id or key.
    #[error("no task `{0}` in the store\n  help: `mesh task list` shows the tasks and their ids")]
    UnknownTask(String),

    /// A dependency names a task or key that does not exist.
    #[error("task `{task}` depends on `{dep}`, which does not exist")]
    UnknownDependency {
        /// The depending task (key or id).
        task: String,
        /// The missing dependency.
        dep: String,
    },

    /// Dependencies form a cycle; the cycle is named, first element repeated at the end.
    #[error("dependency cycle: {}\n  help: remove one of these dependencies", .0.join(" → "))]
    Cycle(Vec<String>),

    /// A state change that the state machine does not allow from the current status.
    #[error(
        "cannot {action} {}: it is {from}; allowed from {from}: {allowed}",
        display_id(*task)
    )]
    IllegalTransition {
        /// Task id.
        task: i64,
        /// The attempted action (claim, submit, approve …).
        action: &'static str,
        /// Current status.
        from: Status,
        /// The allowed actions from `from`, rendered as `claim (→ in_progress), …`.
        allowed: String,
    },

    /// The task is claimed by another worker (or by nobody).
    #[error(
        "{} is claimed by {}, not by {worker}\n  help: a worker can only heartbeat, release or submit its own claim",
        display_id(*task),
        holder.as_deref().unwrap_or("nobody")
    )]
    NotYourClaim {
        /// Task id.
        task: i64,
        /// The worker who asked.
        worker: String,
        /// The worker holding the claim.
        holder: Option<String>,
    },

    /// The lease ran out before the worker renewed it.
    #[error(
        "the lease of {worker} on {} expired at {expired_at}\n  help: the task goes back to pending; claim it again with `mesh task claim`",
        display_id(*task)
    )]
    LeaseExpired {
        /// Task id.
        task: i64,
        /// The worker.
        worker: String,
        /// When the lease ran out (RFC 3339, UTC).
        expired_at: String,
    },

    /// The task waits for dependencies that are not completed.
    #[error("{} waits for dependencies that are not completed: {}", display_id(*task), waiting.join(", "))]
    DependenciesNotCompleted {
        /// Task id.
        task: i64,
        /// The open dependencies, rendered `T-3 (in_progress)`.
        waiting: Vec<String>,
    },

    /// Input that the store refuses (empty title, bad lane name, duplicate key …).
    #[error("{0}")]
    Invalid(String),

    /// Transient contention (SQLite busy, PostgreSQL serialization failure or deadlock, a row
    /// changed under us). Retried automatically; surfaces only if retries run out.
    #[error("the store is busy ({0}); retry")]
    Busy(String),

    /// Any other database error.
    #[error("store error: {0}")]
    Database(String),
}

impl StoreError {
    /// True when the store is fine and the request was refused by a rule (illegal transition,
    /// another worker's claim, a cycle, unknown dependency, invalid input, open dependencies).
    pub fn is_refusal(&self) -> bool {
        matches!(
            self,
            StoreError::IllegalTransition { .. }
                | StoreError::NotYourClaim { .. }
                | StoreError::LeaseExpired { .. }
                | StoreError::DependenciesNotCompleted { .. }
                | StoreError::Cycle(_)
                | StoreError::UnknownDependency { .. }
                | StoreError::Invalid(_)
        )
    }
}
