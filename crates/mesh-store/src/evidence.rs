//! Evidence attached to a task: what the tool itself observed when it ran the project's tests
//! (`verify`), measured the task's change (`simplify`), or the reason recorded for skipping the
//! simplification (`waiver`). The review gate reads it; nobody can type it in.
//!
//! Evidence is append-only (a trigger refuses UPDATE and DELETE): a newer record supersedes an
//! older one of the same kind, the older stays as history. The store keeps what the service
//! layer measured — command, exit code, counts, tree id … in `data` (JSON) — and does not
//! interpret it beyond `passed` and `tree`.

use serde::{Deserialize, Serialize};

use crate::clock::millis_to_ts;
use crate::db::{Conn, Dialect, P, Row};
use crate::error::{Result, StoreError};
use crate::model::{Task, display_id};
use crate::store::{
    PG_UNVERIFIED_HIGH_RISK, SQLITE_UNVERIFIED_HIGH_RISK, Store, clean_actor, clean_text,
    must_task, parse_task,
};

/// What a piece of evidence is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EvidenceKind {
    /// The project's test command ran on a known tree.
    Verify,
    /// The size of the task's change and the repeated code it adds were measured.
    Simplify,
    /// Simplification was waived, with a reason (recorded as a decision too).
    Waiver,
}

impl EvidenceKind {
    /// The stored name: `verify`, `simplify`, `waiver`.
    pub fn as_str(self) -> &'static str {
        match self {
            EvidenceKind::Verify => "verify",
            EvidenceKind::Simplify => "simplify",
            EvidenceKind::Waiver => "waiver",
        }
    }

    /// Parse a stored name.
    pub fn parse(text: &str) -> Option<EvidenceKind> {
        match text {
            "verify" => Some(EvidenceKind::Verify),
            "simplify" => Some(EvidenceKind::Simplify),
            "waiver" => Some(EvidenceKind::Waiver),
            _ => None,
        }
    }
}

impl std::fmt::Display for EvidenceKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Input of [`Store::record_evidence`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEvidence {
    pub kind: EvidenceKind,
    /// Verify: the command exited 0 (and did not time out). Simplify and waiver: true.
    pub passed: bool,
    /// The git tree id the evidence was taken on, when known.
    pub tree: Option<String>,
    /// One human line (`cargo test: 120 passed, 0 failed in 8.2 s`).
    pub summary: String,
    /// Everything measured, as JSON (an object).
    pub data: serde_json::Value,
}

/// A stored piece of evidence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    pub id: i64,
    pub task_id: i64,
    pub kind: EvidenceKind,
    /// When it was recorded (UTC).
    pub at: jiff::Timestamp,
    /// Who ran it.
    pub actor: String,
    pub passed: bool,
    pub tree: Option<String>,
    pub summary: String,
    pub data: serde_json::Value,
}

/// Largest `data` accepted, serialised (output tails belong in it, whole logs do not).
pub const MAX_EVIDENCE_DATA: usize = 256 * 1024;

const COLUMNS: &str = "id, task_id, kind, at, actor, passed, tree, summary, data";

fn parse_evidence(r: &Row) -> Result<Evidence> {
    let kind_text = r.text(2)?;
    let kind = EvidenceKind::parse(&kind_text).ok_or_else(|| {
        StoreError::Database(format!("unknown evidence kind `{kind_text}` in store"))
    })?;
    let data_text = r.text(8)?;
    let data = serde_json::from_str(&data_text)
        .map_err(|e| StoreError::Database(format!("evidence data is not JSON: {e}")))?;
    Ok(Evidence {
        id: r.i64(0)?,
        task_id: r.i64(1)?,
        kind,
        at: millis_to_ts(r.i64(3)?),
        actor: r.text(4)?,
        passed: r.i64(5)? != 0,
        tree: r.opt_text(6)?,
        summary: r.text(7)?,
        data,
    })
}

pub(crate) fn fetch_evidence(c: &mut dyn Conn, task_id: i64) -> Result<Vec<Evidence>> {
    let rows = c.query(
        &format!("SELECT {COLUMNS} FROM task_evidence WHERE task_id = $1 ORDER BY id"),
        &[P::I(task_id)],
    )?;
    rows.iter().map(parse_evidence).collect()
}

impl Store {
    /// Append a piece of evidence to a task. Refused for an unknown or cancelled task, for an
    /// empty summary, for `data` that is not a JSON object or is larger than
    /// [`MAX_EVIDENCE_DATA`].
    pub fn record_evidence(&self, task_id: i64, actor: &str, ev: &NewEvidence) -> Result<Evidence> {
        let actor = clean_actor("the actor", actor)?;
        let summary = clean_text("the evidence summary", &ev.summary, 2_000)?;
        if summary.is_empty() {
            return Err(StoreError::Invalid(
                "evidence needs a summary line".to_string(),
            ));
        }
        if !ev.data.is_object() {
            return Err(StoreError::Invalid(
                "evidence data must be a JSON object".to_string(),
            ));
        }
        let data = ev.data.to_string();
        if data.len() > MAX_EVIDENCE_DATA {
            return Err(StoreError::Invalid(format!(
                "evidence data is {} bytes, more than the {MAX_EVIDENCE_DATA} allowed: keep output tails, not whole logs",
                data.len()
            )));
        }
        let tree = ev.tree.as_deref().map(str::trim).filter(|t| !t.is_empty());
        if let Some(t) = tree
            && (t.len() > 128 || !t.bytes().all(|b| b.is_ascii_hexdigit()))
        {
            return Err(StoreError::Invalid(format!("`{t}` is not a git object id")));
        }
        let now = self.now_ms();
        self.write(|c| {
            let task = must_task(c, task_id)?;
            if task.status == crate::Status::Cancelled {
                return Err(StoreError::Invalid(format!(
                    "{} is cancelled: reopen it before recording evidence",
                    display_id(task_id)
                )));
            }
            let row = c
                .query_opt(
                    &format!(
                        "INSERT INTO task_evidence (task_id, kind, at, actor, passed, tree, summary, data)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING {COLUMNS}"
                    ),
                    &[
                        P::I(task_id),
                        P::T(ev.kind.as_str()),
                        P::I(now),
                        P::T(&actor),
                        P::I(i64::from(ev.passed)),
                        P::OT(tree),
                        P::T(&summary),
                        P::T(&data),
                    ],
                )?
                .ok_or_else(|| StoreError::Database("insert returned no row".into()))?;
            parse_evidence(&row)
        })
    }

    /// Every piece of evidence of a task, oldest first.
    pub fn evidence(&self, task_id: i64) -> Result<Vec<Evidence>> {
        self.read(|c| {
            must_task(c, task_id)?;
            fetch_evidence(c, task_id)
        })
    }

    /// The newest evidence of one kind, if any.
    pub fn latest_evidence(&self, task_id: i64, kind: EvidenceKind) -> Result<Option<Evidence>> {
        self.read(|c| {
            must_task(c, task_id)?;
            c.query_opt(
                &format!(
                    "SELECT {COLUMNS} FROM task_evidence WHERE task_id = $1 AND kind = $2
                     ORDER BY id DESC LIMIT 1"
                ),
                &[P::I(task_id), P::T(kind.as_str())],
            )?
            .map(|r| parse_evidence(&r))
            .transpose()
        })
    }

    /// How many times the task was rejected in review (moves from reviewing back to pending).
    pub fn rejection_count(&self, task_id: i64) -> Result<usize> {
        self.read(|c| {
            must_task(c, task_id)?;
            let n = c
                .query_opt(
                    "SELECT count(*) FROM task_events
                     WHERE task_id = $1 AND from_status = 'reviewing' AND to_status = 'pending'",
                    &[P::I(task_id)],
                )?
                .map(|r| r.i64(0))
                .transpose()?
                .unwrap_or(0);
            Ok(usize::try_from(n).unwrap_or(0))
        })
    }

    /// HIGH-risk tasks that reached review or completion without any passing verification,
    /// by id.
    pub fn unverified_high_risk(&self) -> Result<Vec<Task>> {
        self.read(|c| {
            let sql = match c.dialect() {
                Dialect::Sqlite => SQLITE_UNVERIFIED_HIGH_RISK,
                Dialect::Postgres => PG_UNVERIFIED_HIGH_RISK,
            };
            c.query(sql, &[])?.iter().map(parse_task).collect()
        })
    }
}
