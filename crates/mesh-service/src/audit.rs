//! `mesh audit`: the change policy judged over the whole history (or a range), commit by commit.
//!
//! The first-parent history is streamed from mesh-git (commit-graph, changed-path Bloom
//! filters; only commits that touched a SPEC or decision log are read). For every such commit:
//!
//! - a SPEC content change (ticks and blank lines aside, as `policy.tick_is_status_change` says)
//!   counts as a SPEC change, and it came *with a decision* when the same commit added a decision
//!   row to the same root's log;
//! - every decision row removed, and every row rewritten other than the one allowed status move
//!   (active → superseded/reverted while a newer row references it), is a violation.
//!
//! Merge commits are judged against their first parent, the root commit against the empty tree.
//! Documents moved to another folder are followed. Only the changed lines of each version are
//! diffed and parsed ([`mesh_check::history`]), so memory stays flat however long the history.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use mesh_check::config::PolicyConfig;
use mesh_check::context::Root;
use mesh_check::history::{
    Follow, HistoryError, LogDelta, RewriteKind, SpecDelta, blob_text, watch_roots,
};
use mesh_git::{ChangeKind, CommitChanges, GitError, Repo, WalkEnd, WalkOptions};
use serde::Serialize;

/// The version of the JSON report's shape.
pub const AUDIT_SCHEMA_VERSION: u32 = 1;

/// What to audit.
#[derive(Debug, Clone)]
pub struct AuditRequest<'a> {
    /// The project directory (inside the repository).
    pub dir: &'a Path,
    /// Its document roots.
    pub roots: &'a [Root],
    /// `[policy]` from mesh.toml.
    pub policy: &'a PolicyConfig,
    /// `A..B`, `A..`, `..B` or `B`; `None`: the whole history up to HEAD.
    pub range: Option<&'a str>,
}

/// The kind of a violation (`snake_case` in JSON).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ViolationKind {
    /// A commit changed SPEC content without adding a decision row.
    SpecChangeWithoutDecision,
    /// A commit deleted a decision row (or the whole log).
    DecisionRowRemoved,
    /// A commit rewrote a decision row.
    DecisionRowRewritten,
}

impl ViolationKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ViolationKind::SpecChangeWithoutDecision => "spec_change_without_decision",
            ViolationKind::DecisionRowRemoved => "decision_row_removed",
            ViolationKind::DecisionRowRewritten => "decision_row_rewritten",
        }
    }
}

/// One breach of the change policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Violation {
    /// Full commit id.
    pub commit: String,
    pub kind: ViolationKind,
    /// What happened, in words.
    pub detail: String,
    /// The document concerned (repository path at that commit).
    pub path: String,
    /// The commit's summary line.
    pub summary: String,
    /// Committer time, seconds since the Unix epoch.
    pub time: i64,
}

/// A commit that changed SPEC content, and whether it came with a decision row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SpecCommit {
    /// Full commit id.
    pub commit: String,
    /// Whether the same commit added a decision row to the log of every root whose SPEC it
    /// changed.
    pub with_decision: bool,
    /// The SPEC files it changed (repository paths at that commit).
    pub paths: Vec<String>,
    /// The commit's summary line.
    pub summary: String,
    /// Committer time, seconds since the Unix epoch.
    pub time: i64,
}

/// The audit's result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditReport {
    pub schema_version: u32,
    /// The range as given, or `HEAD` for the whole history.
    pub range: String,
    /// The base commit (absent: from the root).
    pub base: Option<String>,
    /// The newest commit.
    pub tip: String,
    /// First-parent commits examined.
    pub commits_walked: u64,
    /// Commits that changed SPEC content.
    pub spec_changes: u64,
    /// Of those, the ones that added a decision row in the same commit.
    pub with_decision: u64,
    /// `with_decision / spec_changes` (1.0 when SPEC never changed).
    pub compliance: f64,
    /// Decision rows removed, over all commits.
    pub rows_removed: u64,
    /// Decision rows rewritten, over all commits.
    pub rows_rewritten: u64,
    /// Every commit that changed SPEC content, newest first.
    pub spec_commits: Vec<SpecCommit>,
    /// Every violation, newest commit first.
    pub violations: Vec<Violation>,
    /// Things the reader should know (a shallow clone's cut-off, roots outside the history).
    pub notes: Vec<String>,
}

/// Progress events for a caller's progress bar.
pub enum Progress {
    /// The walk starts: the commit count to expect (from the commit-graph, when known) and a
    /// counter of commits examined that another thread may poll.
    Start {
        total: Option<u64>,
        counter: Arc<AtomicU64>,
    },
    /// The walk is over.
    Done,
}

/// Why the audit could not run.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error(transparent)]
    Git(#[from] GitError),
    #[error(transparent)]
    History(#[from] HistoryError),
}

/// Audit the history. `progress` hears [`Progress::Start`] before the walk and
/// [`Progress::Done`] after it.
pub fn audit(
    req: &AuditRequest<'_>,
    progress: &mut dyn FnMut(Progress),
) -> Result<AuditReport, AuditError> {
    let repo = Repo::discover(req.dir)?;
    let workdir = repo
        .workdir()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| req.dir.to_path_buf());
    let (watched, watch) = watch_roots(&workdir, req.roots)?;
    let (base, tip) = match req.range {
        Some(r) => repo.resolve_range(r)?,
        None => (None, repo.head_commit()?),
    };
    let tick = req.policy.tick_is_status_change;
    let mut follows: Vec<(Follow, Follow)> = watched
        .iter()
        .map(|w| (Follow::new(&w.spec), Follow::new(&w.log)))
        .collect();
    let mut report = AuditReport {
        schema_version: AUDIT_SCHEMA_VERSION,
        range: req.range.unwrap_or("HEAD").to_string(),
        base: base.map(|b| b.to_string()),
        tip: tip.to_string(),
        commits_walked: 0,
        spec_changes: 0,
        with_decision: 0,
        compliance: 1.0,
        rows_removed: 0,
        rows_rewritten: 0,
        spec_commits: Vec::new(),
        violations: Vec::new(),
        notes: Vec::new(),
    };
    let mut walk = repo.walk(WalkOptions::new(tip, base, watch))?;
    progress(Progress::Start {
        total: walk.estimated_total(),
        counter: walk.progress_counter(),
    });
    for item in walk.by_ref() {
        let cc = item?;
        judge(&cc, &mut follows, tick, &mut report);
    }
    progress(Progress::Done);
    report.commits_walked = walk.visited();
    if let Some(WalkEnd::Shallow(at)) = walk.end() {
        report.notes.push(format!(
            "this clone is shallow: the history ends at {at}, older commits were not audited; `git fetch --unshallow` to audit them"
        ));
    }
    report.compliance = if report.spec_changes == 0 {
        1.0
    } else {
        report.with_decision as f64 / report.spec_changes as f64
    };
    Ok(report)
}

/// Judge one commit's changes, following each root's documents back through renames.
fn judge(
    cc: &CommitChanges,
    follows: &mut [(Follow, Follow)],
    tick: bool,
    report: &mut AuditReport,
) {
    let commit = cc.commit.id.to_string();
    let violation = |kind, detail: String, path: &str| Violation {
        commit: commit.clone(),
        kind,
        detail,
        path: path.to_string(),
        summary: cc.commit.summary.clone(),
        time: cc.commit.time,
    };
    let mut spec_paths: Vec<String> = Vec::new();
    let mut all_decided = true;
    let mut found = Vec::new();
    for (spec_f, log_f) in follows.iter_mut() {
        let spec = cc.changes.iter().find(|c| spec_f.owns(c));
        let log = cc.changes.iter().find(|c| log_f.owns(c));
        if let Some(c) = spec {
            spec_f.apply(c);
        }
        if let Some(c) = log {
            log_f.apply(c);
        }
        let log_delta = log.map(|c| (c, LogDelta::between(&blob_text(&c.old), &blob_text(&c.new))));
        if let Some(c) = spec {
            let delta = SpecDelta::between(&blob_text(&c.old), &blob_text(&c.new));
            if delta.has_content(tick) {
                spec_paths.push(c.path().to_string());
                let added = log_delta.as_ref().map_or(0, |(_, d)| d.decisions_added());
                if added == 0 {
                    all_decided = false;
                    let what = match c.kind {
                        ChangeKind::Added => "added",
                        ChangeKind::Deleted => "deleted",
                        ChangeKind::Renamed => "moved and changed",
                        ChangeKind::Modified => "changed",
                    };
                    let lines: usize = delta
                        .content_hunks(tick)
                        .map(|h| h.lines.iter().filter(|l| l.is_content(tick)).count())
                        .sum();
                    found.push(violation(
                        ViolationKind::SpecChangeWithoutDecision,
                        format!(
                            "{} {what} ({lines} line{}) without a decision row",
                            c.path(),
                            if lines == 1 { "" } else { "s" }
                        ),
                        c.path(),
                    ));
                }
            }
        }
        if let Some((c, d)) = &log_delta {
            report.rows_removed += d.removed.len() as u64;
            report.rows_rewritten += d.rewritten.len() as u64;
            if c.kind == ChangeKind::Deleted {
                if !d.removed.is_empty() {
                    found.push(violation(
                        ViolationKind::DecisionRowRemoved,
                        format!("{} deleted with its {} rows", c.path(), d.removed.len()),
                        c.path(),
                    ));
                }
                continue;
            }
            for r in &d.removed {
                found.push(violation(
                    ViolationKind::DecisionRowRemoved,
                    format!("row `{}` removed: {}", r.row.id, r.row.text.trim()),
                    c.path(),
                ));
            }
            for rw in &d.rewritten {
                let detail = match &rw.kind {
                    RewriteKind::Content { columns } => {
                        format!(
                            "row `{}` rewritten ({} changed)",
                            rw.new.id,
                            columns.join(", ")
                        )
                    }
                    RewriteKind::Status { from, to } => format!(
                        "row `{}` status moved from {} to {}",
                        rw.new.id,
                        from.as_str(),
                        to.as_str()
                    ),
                    RewriteKind::Unreferenced { from, to } => format!(
                        "row `{}` moved from {} to {} but no newer row references it",
                        rw.new.id,
                        from.as_str(),
                        to.as_str()
                    ),
                    RewriteKind::Allowed { .. } => continue,
                };
                found.push(violation(
                    ViolationKind::DecisionRowRewritten,
                    detail,
                    c.path(),
                ));
            }
        }
    }
    if !spec_paths.is_empty() {
        report.spec_changes += 1;
        if all_decided {
            report.with_decision += 1;
        }
        report.spec_commits.push(SpecCommit {
            commit: commit.clone(),
            with_decision: all_decided,
            paths: spec_paths,
            summary: cc.commit.summary.clone(),
            time: cc.commit.time,
        });
    }
    report.violations.extend(found);
}
