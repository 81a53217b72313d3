//! Recording decisions in a root's DECISION_LOG.md: add, supersede, revert, list.
//!
//! Every change runs under an exclusive lock and ends in one atomic write, so concurrent
//! writers (people, agents, the review gate) never lose a row and never see half a file:
//!
//! 1. take an exclusive lock on `<root>/.DECISION_LOG.md.lock` (created when missing and left
//!    in place; add it to `.gitignore`). The lock lives in a file of its own because the log
//!    itself is replaced by a rename on every write, and a lock on a replaced file protects
//!    nothing;
//! 2. read the log, build the new text with [`mesh_docs::decision_edit`] (which re-reads its
//!    own result and refuses anything that does not parse back as intended);
//! 3. write it through a temporary file and a rename ([`crate::fsio::write_atomic`]), keeping
//!    the file's permissions;
//! 4. release the lock.
//!
//! When any step fails, the log on disk is the one from before.

use std::fs::{self, File, OpenOptions};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::Serialize;

use mesh_check::load::{ReadProblem, read_text};
use mesh_docs::decision::{DecisionLog, Status};
use mesh_docs::decision_edit::{self, Appended, EditError, Entry};
use mesh_docs::{DocKind, Document};

use crate::fsio::{WriteError, write_atomic};

/// The lock file beside the log, in the document root.
pub const LOCK_FILE_NAME: &str = ".DECISION_LOG.md.lock";

/// Version of the [`DecisionList`] JSON shape.
pub const LIST_SCHEMA_VERSION: u32 = 1;

/// A decision to record. `decision` is required; the rest is written where the log has a column
/// for it (see [`AddedDecision::dropped`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewDecision {
    /// One of INIT, SCOPE, ARCH, API, DATA, SECURITY, UX, PERF, OPS, TEST, RELEASE (any case).
    /// Required when the log has a Type column, except when superseding or reverting (the old
    /// row's type is kept).
    pub kind: Option<String>,
    pub decision: String,
    pub rationale: Option<String>,
    pub context: Option<String>,
    pub options: Option<String>,
    pub constraints: Option<String>,
    pub rollback: Option<String>,
    pub scope: Option<String>,
    pub task: Option<String>,
    pub owner: Option<String>,
    /// `YYYY-MM-DD`; today (UTC) when `None`.
    pub date: Option<String>,
    /// Record the decision as proposed rather than active.
    pub proposed: bool,
}

impl NewDecision {
    /// A decision of `kind` saying `decision`, dated today.
    pub fn new(kind: impl Into<String>, decision: impl Into<String>) -> NewDecision {
        NewDecision {
            kind: Some(kind.into()),
            decision: decision.into(),
            ..NewDecision::default()
        }
    }

    fn entry(&self) -> Entry {
        Entry {
            kind: self.kind.clone(),
            decision: self.decision.clone(),
            rationale: self.rationale.clone(),
            context: self.context.clone(),
            options: self.options.clone(),
            constraints: self.constraints.clone(),
            rollback: self.rollback.clone(),
            scope: self.scope.clone(),
            task: self.task.clone(),
            owner: self.owner.clone(),
            date: self.date.clone().unwrap_or_else(today_utc),
            status: Some(if self.proposed {
                Status::Proposed
            } else {
                Status::Active
            }),
        }
    }
}

/// The row a supersede or revert closed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClosedRow {
    pub id: String,
    pub line: u32,
    /// `superseded` or `reverted`.
    pub status: &'static str,
}

/// What was written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AddedDecision {
    /// The new row's ID, in the log's own scheme.
    pub id: String,
    /// The new row's 1-based line.
    pub line: u32,
    /// The log that was changed.
    pub path: PathBuf,
    /// Fields that were given but have no column in this log's layout (not recorded).
    pub dropped: Vec<&'static str>,
    /// The row marked superseded or reverted by the new one.
    pub closed: Option<ClosedRow>,
}

/// Why a decision could not be recorded or listed. The log is unchanged in every case.
#[derive(Debug, thiserror::Error)]
pub enum DecideError {
    #[error(
        "no decision log at {path}; run `mesh init` to scaffold the documents, or name the project directory (or its document root with --root)"
    )]
    Missing { path: String },
    #[error("{message}; {help}")]
    Unreadable {
        path: String,
        message: String,
        help: String,
    },
    /// The log cannot take this edit (no table, unknown ID, bad type, …).
    #[error("{path}: {error}")]
    Edit { path: String, error: EditError },
    #[error("cannot lock {path}: {source}")]
    Lock {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Write(#[from] WriteError),
}

/// One decision as listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DecisionEntry {
    pub id: String,
    pub date: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub decision: String,
    /// `active`, `proposed`, `superseded`, `reverted` or `unknown`.
    pub status: &'static str,
    /// The status cell as written.
    pub status_raw: String,
    pub superseded_by: Option<String>,
    pub reverted_by: Option<String>,
    pub supersedes: Vec<String>,
    pub reverts: Vec<String>,
    pub owner: Option<String>,
    pub line: u32,
}

/// `mesh decide list --format json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DecisionList {
    pub schema_version: u32,
    pub path: String,
    pub decisions: Vec<DecisionEntry>,
}

/// The log of a document root.
pub fn log_path(root_dir: &Path) -> PathBuf {
    root_dir.join(DocKind::DecisionLog.file_name())
}

/// Append a decision to the log of `root_dir` (the folder holding DECISION_LOG.md).
pub fn add(root_dir: &Path, new: NewDecision) -> Result<AddedDecision, DecideError> {
    let entry = new.entry();
    edit(root_dir, None, |text| {
        decision_edit::append(text, &entry, now_unix())
    })
}

/// Append a decision that supersedes `old_id`, and mark the old row `superseded by <new>`.
pub fn supersede(
    root_dir: &Path,
    old_id: &str,
    new: NewDecision,
) -> Result<AddedDecision, DecideError> {
    let entry = new.entry();
    edit(root_dir, Some("superseded"), |text| {
        decision_edit::supersede(text, old_id, &entry, now_unix())
    })
}

/// Append a row recording that `id` is reverted (`Reverts <id>: <why>`), and mark the old row
/// `reverted by <new>`. `why.decision` is the reason; its other fields fill the new row.
pub fn revert(root_dir: &Path, id: &str, why: NewDecision) -> Result<AddedDecision, DecideError> {
    let entry = why.entry();
    edit(root_dir, Some("reverted"), |text| {
        decision_edit::revert(text, id, &entry, now_unix())
    })
}

/// The decisions of the log (rejected-task rows left out), optionally only those in `status`.
pub fn list(root_dir: &Path, status: Option<Status>) -> Result<DecisionList, DecideError> {
    let path = log_path(root_dir);
    let shown = path.display().to_string();
    let text = read(&path)?;
    let doc = Document::parse(DocKind::DecisionLog, shown.clone(), text);
    let log = DecisionLog::from_document(&doc);
    if log.table.is_none() {
        let (span, message) = log.problems.first().cloned().unwrap_or_default();
        return Err(DecideError::Edit {
            path: shown,
            error: EditError::NoTable {
                line: span.line.max(1),
                message,
            },
        });
    }
    let decisions = log
        .decisions()
        .filter(|d| status.is_none_or(|s| d.status == s))
        .map(|d| DecisionEntry {
            id: d.id.clone(),
            date: d.date.clone(),
            kind: d.kind_of_decision.clone(),
            decision: d.decision.clone(),
            status: d.status.as_str(),
            status_raw: d.status_raw.clone(),
            superseded_by: log.successor_of(&d.id).map(str::to_string),
            reverted_by: log.reverter_of(&d.id).map(str::to_string),
            supersedes: d.supersedes.clone(),
            reverts: d.reverts.clone(),
            owner: d.owner.clone(),
            line: d.line(),
        })
        .collect();
    Ok(DecisionList {
        schema_version: LIST_SCHEMA_VERSION,
        path: shown,
        decisions,
    })
}

fn read(path: &Path) -> Result<String, DecideError> {
    read_text(path).map_err(|p| match p {
        ReadProblem::Missing => DecideError::Missing {
            path: path.display().to_string(),
        },
        ReadProblem::Problem(message, help, _) => DecideError::Unreadable {
            path: path.display().to_string(),
            message,
            help,
        },
    })
}

/// Lock, read, edit, write atomically, unlock.
fn edit(
    root_dir: &Path,
    closed_status: Option<&'static str>,
    f: impl FnOnce(&str) -> Result<Appended, EditError>,
) -> Result<AddedDecision, DecideError> {
    let path = log_path(root_dir);
    let shown = path.display().to_string();
    if !path.exists() {
        return Err(DecideError::Missing { path: shown });
    }
    let lock = acquire(root_dir)?;
    let text = read(&path)?;
    let appended = f(&text).map_err(|error| DecideError::Edit {
        path: shown.clone(),
        error,
    })?;
    // Write through symlinks rather than replacing them.
    let target = fs::canonicalize(&path).unwrap_or_else(|_| path.clone());
    let perms = fs::metadata(&target).map(|m| m.permissions()).ok();
    write_atomic(&target, appended.text.as_bytes())?;
    if let Some(p) = perms {
        // The temporary file was created private; give the log back its own mode. The rows are
        // already written, so a failure here only leaves the mode tighter than before.
        let _ = fs::set_permissions(&target, p);
    }
    drop(lock);
    Ok(AddedDecision {
        id: appended.id,
        line: appended.line,
        path,
        dropped: appended.dropped,
        closed: appended
            .marked
            .zip(closed_status)
            .map(|((id, line), status)| ClosedRow { id, line, status }),
    })
}

/// An exclusive lock on the root's lock file, held until the returned file is dropped.
fn acquire(root_dir: &Path) -> Result<File, DecideError> {
    let lock_path = root_dir.join(LOCK_FILE_NAME);
    let err = |source| DecideError::Lock {
        path: lock_path.display().to_string(),
        source,
    };
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .read(true)
        .write(true)
        .open(&lock_path)
        .map_err(err)?;
    file.lock().map_err(err)?;
    Ok(file)
}

fn now_unix() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Today's date in UTC, `YYYY-MM-DD`.
pub fn today_utc() -> String {
    jiff::Timestamp::now()
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .date()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOG: &str = "# Decision Log\n\n## Records\n\n| ID | Date | Type | Decision | Rationale | Scope | Task | Status |\n|----|------|------|----------|-----------|-------|------|--------|\n| 001 | 2026-01-01 | INIT | Start | - | project | - | ✅ |\n<!-- ATOMIC_MESH_APPEND_DECISIONS_BELOW -->\n";

    #[test]
    fn add_supersede_revert_list() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(log_path(dir.path()), LOG).unwrap();
        let a = add(dir.path(), NewDecision::new("arch", "Use Go")).unwrap();
        assert_eq!((a.id.as_str(), a.line), ("002", 8));
        let s = supersede(
            dir.path(),
            "002",
            NewDecision {
                decision: "Use Rust".into(),
                ..NewDecision::default()
            },
        )
        .unwrap();
        assert_eq!(s.id, "003");
        assert_eq!(
            s.closed,
            Some(ClosedRow {
                id: "002".into(),
                line: 8,
                status: "superseded"
            })
        );
        let r = revert(
            dir.path(),
            "003",
            NewDecision {
                decision: "team left".into(),
                ..NewDecision::default()
            },
        )
        .unwrap();
        assert_eq!(r.id, "004");
        let all = list(dir.path(), None).unwrap();
        assert_eq!(all.decisions.len(), 4);
        assert_eq!(all.decisions[1].superseded_by.as_deref(), Some("003"));
        assert_eq!(all.decisions[2].reverted_by.as_deref(), Some("004"));
        let active = list(dir.path(), Some(Status::Active)).unwrap();
        let ids: Vec<&str> = active.decisions.iter().map(|d| d.id.as_str()).collect();
        assert_eq!(ids, ["001", "004"]);
        assert!(dir.path().join(LOCK_FILE_NAME).exists());
    }

    #[test]
    fn missing_and_tableless_logs_are_errors_and_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let e = add(dir.path(), NewDecision::new("ARCH", "x")).unwrap_err();
        assert!(matches!(e, DecideError::Missing { .. }), "{e}");
        assert!(e.to_string().contains("mesh init"));
        let text = "# Decision Log\n\n- we chose Go\n";
        fs::write(log_path(dir.path()), text).unwrap();
        let e = add(dir.path(), NewDecision::new("ARCH", "x")).unwrap_err();
        assert!(
            matches!(
                e,
                DecideError::Edit {
                    error: EditError::NoTable { .. },
                    ..
                }
            ),
            "{e}"
        );
        assert_eq!(fs::read_to_string(log_path(dir.path())).unwrap(), text);
    }
}
