//! Facts from git for the history rules (GOV, DEC020+): what a range of commits, or the staged
//! changes, did to each root's SPEC.md and DECISION_LOG.md.
//!
//! [`collect`] reads git through mesh-git and returns [`HistoryFacts`]: per document root, the net
//! change of SPEC and of the decision log over the range (content at the base, following renames,
//! against content at the tip), and for `policy.decision_scope = "commit"` each commit's own SPEC
//! change with the number of decision rows it added. The rules read these facts through
//! [`Context::history`](crate::context::Context::history); they never touch git themselves.
//!
//! The diffs are pure ([`delta`]): [`SpecDelta::between`] and [`LogDelta::between`] take two
//! texts. `mesh audit` uses the same functions commit by commit.
//!
//! Modes:
//! - [`HistoryMode::Range`] (`mesh check --base REV`): the first-parent commits after REV up to
//!   the tip (HEAD). Merge commits are judged against their first parent, the root commit
//!   against the empty tree; the walk streams, keeping at most two versions of each document.
//! - [`HistoryMode::Staged`] (`mesh check` without `--base`, the pre-commit mode): HEAD's trees
//!   against the index; no history is walked.

mod delta;
mod diff;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use mesh_docs::DocKind;
use mesh_git::{ChangeKind, FileChange, GitError, Repo, WalkOptions, Watch, WorkSource};
use serde::Serialize;

pub use delta::{
    LineKind, LogDelta, RewriteKind, RowRef, RowRemoval, RowRewrite, SpecDelta, SpecHunk, SpecLine,
    is_tick,
};
pub use diff::{Block, blocks};

use crate::config::{DecisionScope, PolicyConfig};
use crate::context::Root;

/// What to compare.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HistoryMode {
    /// The commits after `base` up to `tip` (HEAD when `None`).
    Range { base: String, tip: Option<String> },
    /// The staged changes against HEAD (the pre-commit mode).
    Staged,
}

/// How a document file changed over the judged change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FileKind {
    Added,
    Deleted,
    Modified,
    /// Moved (possibly with content changes); the content is compared across the move.
    Renamed,
}

/// The net change of one document, with its delta.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DocChange<D> {
    pub kind: FileKind,
    /// Repository-relative path before (absent when added).
    pub old_path: Option<String>,
    /// Repository-relative path after (absent when deleted).
    pub new_path: Option<String>,
    pub delta: D,
}

/// One commit's own change to a root's SPEC (kept for `policy.decision_scope = "commit"` when it
/// changed content).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CommitSpecChange {
    /// Full commit id.
    pub id: String,
    /// First line of the message.
    pub summary: String,
    /// Whether it is a merge (judged against its first parent).
    pub merge: bool,
    /// Whether the commit deleted the SPEC.
    pub deleted: bool,
    /// Its SPEC change against its first parent.
    pub spec: SpecDelta,
    /// Decision rows the same commit added to the root's log.
    pub decisions_added: usize,
}

impl CommitSpecChange {
    /// The abbreviated id (12 hex digits).
    pub fn short(&self) -> &str {
        self.id.get(..12).unwrap_or(&self.id)
    }
}

/// What the judged change did to one document root.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RootHistory {
    /// The root as shown to the user (`docs`).
    pub root: String,
    /// Words that name the change in messages: `since main (1a2b3c4d5e6f)`, `in the staged
    /// changes`.
    pub label: String,
    /// SPEC's net change, if it changed.
    pub spec: Option<DocChange<SpecDelta>>,
    /// The decision log's net change, if it changed.
    pub log: Option<DocChange<LogDelta>>,
    /// Commit by commit (range mode with `decision_scope = "commit"` only): the commits whose
    /// SPEC content changed, newest first.
    pub commits: Vec<CommitSpecChange>,
}

impl RootHistory {
    /// Decision rows added to the log over the whole change.
    pub fn decisions_added(&self) -> usize {
        self.log.as_ref().map_or(0, |l| l.delta.decisions_added())
    }

    /// Whether anything of this root changed.
    pub fn has_changes(&self) -> bool {
        self.spec.is_some() || self.log.is_some()
    }
}

/// Facts for every root of a check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HistoryFacts {
    /// The judged change in words (`since main (1a2b3c4d5e6f)`).
    pub label: String,
    /// First-parent commits walked (0 in the staged mode).
    pub commits_walked: u64,
    pub roots: Vec<RootHistory>,
}

impl HistoryFacts {
    /// The facts of the root shown as `display`.
    pub fn for_root(&self, display: &str) -> Option<&RootHistory> {
        self.roots.iter().find(|r| r.root == display)
    }

    /// Whether any root's documents changed.
    pub fn has_changes(&self) -> bool {
        self.roots.iter().any(RootHistory::has_changes)
    }
}

/// A SPEC or decision-log blob as text (lossy UTF-8; borrowed when valid).
pub fn blob_text(b: &Option<Arc<[u8]>>) -> std::borrow::Cow<'_, str> {
    match b {
        Some(b) => String::from_utf8_lossy(b),
        None => std::borrow::Cow::Borrowed(""),
    }
}

/// The result of [`collect`].
#[derive(Debug, Clone)]
pub enum Collected {
    /// The facts.
    Facts(HistoryFacts),
    /// The history rules cannot run here; the note says why (shown to the user, not an error).
    Skipped { note: String },
}

/// Why the history could not be judged (the check cannot run: exit 2).
#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    #[error(transparent)]
    Git(#[from] GitError),
    #[error("{}: {reason}", path.display())]
    Root { path: PathBuf, reason: String },
}

/// Paths of one root's SPEC and decision log inside the repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Watched {
    /// `docs/SPEC.md`.
    pub spec: String,
    /// `docs/DECISION_LOG.md`.
    pub log: String,
}

/// The repository paths of each root's SPEC and decision log (roots under `workdir`), and a
/// [`Watch`] of all of them.
pub fn watch_roots(workdir: &Path, roots: &[Root]) -> Result<(Vec<Watched>, Watch), HistoryError> {
    let workdir = workdir
        .canonicalize()
        .unwrap_or_else(|_| workdir.to_path_buf());
    let mut watched = Vec::new();
    let mut watch = Watch::default();
    for root in roots {
        let rel = repo_relative(&workdir, &root.dir)?;
        let join = |f: &str| {
            if rel.is_empty() {
                f.to_string()
            } else {
                format!("{rel}/{f}")
            }
        };
        let w = Watched {
            spec: join(DocKind::Spec.file_name()),
            log: join(DocKind::DecisionLog.file_name()),
        };
        watch = watch.with_path(&w.spec)?.with_path(&w.log)?;
        watched.push(w);
    }
    Ok((watched, watch))
}

/// Gather the facts for `roots` (of the project in `dir`) in `mode`.
///
/// Outside a git repository, or for the staged mode in a bare repository, the result is
/// [`Collected::Skipped`] with a note. An unknown revision, a revision missing from a shallow
/// clone, history cut off by a shallow clone, or unresolved merge conflicts are errors, each
/// saying what to do.
pub fn collect(
    dir: &Path,
    roots: &[Root],
    mode: &HistoryMode,
    policy: &PolicyConfig,
) -> Result<Collected, HistoryError> {
    let Some(repo) = Repo::discover_optional(dir)? else {
        return Ok(Collected::Skipped {
            note: format!(
                "{} is not inside a git repository: the history rules (GOV, DEC020 and up) were skipped",
                dir.display()
            ),
        });
    };
    let workdir = match repo.workdir() {
        Some(w) => w.to_path_buf(),
        None => {
            if *mode == HistoryMode::Staged {
                return Ok(Collected::Skipped {
                    note: "this is a bare repository: there are no staged changes to judge; the history rules were skipped (give --base REV to judge a range)".into(),
                });
            }
            // A bare repository: roots are taken relative to it as if it were the worktree.
            dir.to_path_buf()
        }
    };
    let (watched, watch) = watch_roots(&workdir, roots)?;
    match mode {
        HistoryMode::Staged => staged(&repo, roots, &watched, &watch),
        HistoryMode::Range { base, tip } => {
            range(&repo, roots, &watched, &watch, base, tip.as_deref(), policy)
        }
    }
    .map(Collected::Facts)
}

/// `path` relative to the worktree root, `/`-separated ("" for the root itself). The path need
/// not exist (a deleted document folder): its nearest existing ancestor is resolved.
fn repo_relative(workdir: &Path, path: &Path) -> Result<String, HistoryError> {
    let abs = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()
            .map_err(|e| HistoryError::Root {
                path: path.to_path_buf(),
                reason: format!("cannot read the current directory: {e}"),
            })?
            .join(path)
    };
    let mut existing = abs.as_path();
    let mut rest: Vec<std::ffi::OsString> = Vec::new();
    let resolved = loop {
        match existing.canonicalize() {
            Ok(p) => break p,
            Err(_) => {
                let (Some(parent), Some(name)) = (existing.parent(), existing.file_name()) else {
                    break existing.to_path_buf();
                };
                rest.push(name.to_os_string());
                existing = parent;
            }
        }
    };
    let mut full = resolved;
    for name in rest.iter().rev() {
        full.push(name);
    }
    let rel = full.strip_prefix(workdir).map_err(|_| HistoryError::Root {
        path: path.to_path_buf(),
        reason: format!(
            "this document root is outside the repository at {}; check it from inside that repository",
            workdir.display()
        ),
    })?;
    let mut parts = Vec::new();
    for c in rel.components() {
        match c {
            std::path::Component::Normal(s) => parts.push(s.to_string_lossy().into_owned()),
            std::path::Component::CurDir => {}
            _ => {
                return Err(HistoryError::Root {
                    path: path.to_path_buf(),
                    reason: "cannot place this document root inside the repository".into(),
                });
            }
        }
    }
    Ok(parts.join("/"))
}

/// One watched file followed back through a history walk (newest first), across renames.
#[derive(Debug, Clone, Default)]
pub struct Follow {
    /// The path the file has before the oldest change seen so far.
    cur: String,
    touched: bool,
}

impl Follow {
    /// Follow the file that is at `path` at the tip.
    pub fn new(path: &str) -> Follow {
        Follow {
            cur: path.to_string(),
            touched: false,
        }
    }

    /// Whether `c` (a change of the next older commit) is a change of this file.
    pub fn owns(&self, c: &FileChange) -> bool {
        c.new_path.as_deref() == Some(self.cur.as_str())
            || (c.old_path.as_deref() == Some(self.cur.as_str())
                && (c.new_path.is_none() || !self.touched))
    }

    /// Take the change into account: older commits know the file by its old name.
    pub fn apply(&mut self, c: &FileChange) {
        self.touched = true;
        if let Some(p) = &c.old_path {
            self.cur = p.clone();
        }
    }

    /// The file's path before the oldest change seen so far.
    pub fn path(&self) -> &str {
        &self.cur
    }
}

/// One watched file followed back through the changes (newest first), keeping the content at
/// the tip and before the oldest change.
#[derive(Default)]
struct Net {
    follow: Follow,
    touched: bool,
    /// At the tip: path and content (`None`: absent).
    newest: Option<(String, Arc<[u8]>)>,
    /// Before the oldest change seen: path and content (`None`: absent).
    oldest: Option<(String, Arc<[u8]>)>,
}

impl Net {
    fn new(path: &str) -> Net {
        Net {
            follow: Follow::new(path),
            ..Net::default()
        }
    }

    fn owns(&self, c: &FileChange) -> bool {
        self.follow.owns(c)
    }

    fn apply(&mut self, c: &FileChange) {
        if !self.touched {
            self.touched = true;
            self.newest = side(&c.new_path, &c.new);
        }
        self.oldest = side(&c.old_path, &c.old);
        self.follow.apply(c);
    }

    /// The net change, if the content or the path differs.
    fn change(&self) -> Option<NetChange> {
        if !self.touched {
            return None;
        }
        let text = |s: &Option<(String, Arc<[u8]>)>| {
            s.as_ref()
                .map(|(_, b)| String::from_utf8_lossy(b).into_owned())
                .unwrap_or_default()
        };
        let path = |s: &Option<(String, Arc<[u8]>)>| s.as_ref().map(|(p, _)| p.clone());
        let kind = match (&self.oldest, &self.newest) {
            (None, None) => return None,
            (None, Some(_)) => FileKind::Added,
            (Some(_), None) => FileKind::Deleted,
            (Some((op, ob)), Some((np, nb))) => {
                if op != np {
                    FileKind::Renamed
                } else if ob == nb {
                    return None;
                } else {
                    FileKind::Modified
                }
            }
        };
        Some((
            kind,
            path(&self.oldest),
            path(&self.newest),
            text(&self.oldest),
            text(&self.newest),
        ))
    }
}

/// A net change: kind, old path, new path, old text, new text.
type NetChange = (FileKind, Option<String>, Option<String>, String, String);

fn side(path: &Option<String>, content: &Option<Arc<[u8]>>) -> Option<(String, Arc<[u8]>)> {
    path.as_ref().map(|p| {
        (
            p.clone(),
            content.clone().unwrap_or_else(|| Arc::from(&[][..])),
        )
    })
}

/// Build a root's facts from its two followed files.
fn root_facts(
    root: &Root,
    label: &str,
    spec: &Net,
    log: &Net,
    commits: Vec<CommitSpecChange>,
) -> RootHistory {
    let spec = spec
        .change()
        .map(|(kind, old_path, new_path, o, n)| DocChange {
            kind,
            old_path,
            new_path,
            delta: SpecDelta::between(&o, &n),
        });
    let log = log
        .change()
        .map(|(kind, old_path, new_path, o, n)| DocChange {
            kind,
            old_path,
            new_path,
            delta: LogDelta::between(&o, &n),
        });
    RootHistory {
        root: root.display.clone(),
        label: label.to_string(),
        spec,
        log,
        commits,
    }
}

/// The net change of one document from `base` to the working tree.
fn doc_change<D>(
    path: &str,
    old: Option<Vec<u8>>,
    new: Option<Vec<u8>>,
    delta: impl Fn(&str, &str) -> D,
) -> Option<DocChange<D>> {
    let kind = match (&old, &new) {
        (None, None) => return None,
        (None, Some(_)) => FileKind::Added,
        (Some(_), None) => FileKind::Deleted,
        (Some(o), Some(n)) if o == n => return None,
        (Some(_), Some(_)) => FileKind::Modified,
    };
    let text = |b: &Option<Vec<u8>>| {
        b.as_deref()
            .map(|b| String::from_utf8_lossy(b).into_owned())
            .unwrap_or_default()
    };
    Some(DocChange {
        kind,
        old_path: old.as_ref().map(|_| path.to_string()),
        new_path: new.as_ref().map(|_| path.to_string()),
        delta: delta(&text(&old), &text(&new)),
    })
}

/// The facts the history rules (GOV, DEC020+) judge for a change that may not be committed
/// yet: each root's SPEC and decision log at `base` against the working tree, as one change
/// (no commit-by-commit split; the review gate judges a task's change this way). `None`
/// outside a git work tree.
pub fn worktree_since(
    dir: &Path,
    roots: &[Root],
    base: &str,
) -> Result<Option<HistoryFacts>, HistoryError> {
    let Some(repo) = Repo::discover_optional(dir)? else {
        return Ok(None);
    };
    let Some(workdir) = repo.workdir().map(Path::to_path_buf) else {
        return Ok(None);
    };
    let commit = match repo.resolve(base) {
        Ok(c) => Some(c),
        // A repository without commits: everything is new.
        Err(_) if base == "HEAD" && repo.head()?.commit().is_none() => None,
        Err(e) => return Err(e.into()),
    };
    let label = match commit {
        Some(c) => format!("in the task's change since {}", c.to_hex_with_len(12)),
        None => "in the task's change".to_string(),
    };
    let (watched, _) = watch_roots(&workdir, roots)?;
    let at_base = |path: &str| -> Result<Option<Vec<u8>>, HistoryError> {
        Ok(match commit {
            Some(c) => repo.file_at(c, path)?,
            None => None,
        })
    };
    let mut out = Vec::new();
    for (root, w) in roots.iter().zip(&watched) {
        let spec = doc_change(
            &w.spec,
            at_base(&w.spec)?,
            repo.worktree_file(&w.spec)?,
            SpecDelta::between,
        );
        let log = doc_change(
            &w.log,
            at_base(&w.log)?,
            repo.worktree_file(&w.log)?,
            LogDelta::between,
        );
        out.push(RootHistory {
            root: root.display.clone(),
            label: label.clone(),
            spec,
            log,
            commits: Vec::new(),
        });
    }
    Ok(Some(HistoryFacts {
        label,
        commits_walked: 0,
        roots: out,
    }))
}

fn staged(
    repo: &Repo,
    roots: &[Root],
    watched: &[Watched],
    watch: &Watch,
) -> Result<HistoryFacts, HistoryError> {
    let changes = repo.uncommitted_changes(watch, WorkSource::Staged)?;
    let label = "in the staged changes";
    let mut out = Vec::new();
    for (root, w) in roots.iter().zip(watched) {
        let mut spec = Net::new(&w.spec);
        let mut log = Net::new(&w.log);
        for c in &changes {
            if spec.owns(c) {
                spec.apply(c);
            } else if log.owns(c) {
                log.apply(c);
            }
        }
        out.push(root_facts(root, label, &spec, &log, Vec::new()));
    }
    Ok(HistoryFacts {
        label: label.into(),
        commits_walked: 0,
        roots: out,
    })
}

fn range(
    repo: &Repo,
    roots: &[Root],
    watched: &[Watched],
    watch: &Watch,
    base_rev: &str,
    tip_rev: Option<&str>,
    policy: &PolicyConfig,
) -> Result<HistoryFacts, HistoryError> {
    let base = repo.resolve(base_rev)?;
    let tip = match tip_rev {
        Some(t) => repo.resolve(t)?,
        None => repo.head_commit()?,
    };
    let short = base.to_string();
    let short = short.get(..12).unwrap_or(&short);
    let label = if short.starts_with(base_rev) || base_rev.starts_with(short) {
        format!("since {short}")
    } else {
        format!("since {base_rev} ({short})")
    };
    let per_commit = policy.decision_scope == DecisionScope::Commit;
    let mut nets: Vec<(Net, Net)> = watched
        .iter()
        .map(|w| (Net::new(&w.spec), Net::new(&w.log)))
        .collect();
    let mut commits: Vec<Vec<CommitSpecChange>> = vec![Vec::new(); roots.len()];
    let mut walk = repo.walk(WalkOptions::new(tip, Some(base), watch.clone()))?;
    for item in walk.by_ref() {
        let cc = item?;
        for (i, (spec, log)) in nets.iter_mut().enumerate() {
            let spec_change = cc.changes.iter().find(|c| spec.owns(c)).cloned();
            let log_change = cc.changes.iter().find(|c| log.owns(c)).cloned();
            if per_commit && let Some(sc) = &spec_change {
                let delta = SpecDelta::between(&blob_text(&sc.old), &blob_text(&sc.new));
                if delta.has_content(policy.tick_is_status_change) {
                    let decisions_added = log_change.as_ref().map_or(0, |lc| {
                        LogDelta::between(&blob_text(&lc.old), &blob_text(&lc.new))
                            .decisions_added()
                    });
                    commits[i].push(CommitSpecChange {
                        id: cc.commit.id.to_string(),
                        summary: cc.commit.summary.clone(),
                        merge: cc.commit.is_merge(),
                        deleted: sc.kind == ChangeKind::Deleted,
                        spec: delta,
                        decisions_added,
                    });
                }
            }
            if let Some(sc) = &spec_change {
                spec.apply(sc);
            }
            if let Some(lc) = &log_change {
                log.apply(lc);
            }
        }
    }
    let commits_walked = walk.visited();
    let out = roots
        .iter()
        .zip(nets.iter())
        .zip(commits)
        .map(|((root, (spec, log)), c)| root_facts(root, &label, spec, log, c))
        .collect();
    Ok(HistoryFacts {
        label,
        commits_walked,
        roots: out,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(
        kind: ChangeKind,
        old: Option<(&str, &str)>,
        new: Option<(&str, &str)>,
    ) -> FileChange {
        FileChange {
            kind,
            old_path: old.map(|o| o.0.to_string()),
            new_path: new.map(|n| n.0.to_string()),
            old_id: None,
            new_id: None,
            old: old.map(|o| Arc::from(o.1.as_bytes())),
            new: new.map(|n| Arc::from(n.1.as_bytes())),
        }
    }

    #[test]
    fn net_follows_renames_and_deletions() {
        let mut n = Net::new("spec/SPEC.md");
        // newest first: edit at the new place, the move, an edit at the old place
        let edits = [
            change(
                ChangeKind::Modified,
                Some(("spec/SPEC.md", "b")),
                Some(("spec/SPEC.md", "c")),
            ),
            change(
                ChangeKind::Renamed,
                Some(("docs/SPEC.md", "b")),
                Some(("spec/SPEC.md", "b")),
            ),
            change(
                ChangeKind::Modified,
                Some(("docs/SPEC.md", "a")),
                Some(("docs/SPEC.md", "b")),
            ),
        ];
        for c in &edits {
            assert!(n.owns(c), "{c:?}");
            n.apply(c);
        }
        let (kind, old, new, o, t) = n.change().unwrap();
        assert_eq!(kind, FileKind::Renamed);
        assert_eq!(old.as_deref(), Some("docs/SPEC.md"));
        assert_eq!(new.as_deref(), Some("spec/SPEC.md"));
        assert_eq!((o.as_str(), t.as_str()), ("a", "c"));

        // Deleted and added back with the same content: no net change.
        let mut n = Net::new("docs/SPEC.md");
        for c in [
            change(ChangeKind::Added, None, Some(("docs/SPEC.md", "x"))),
            change(ChangeKind::Deleted, Some(("docs/SPEC.md", "x")), None),
        ] {
            assert!(n.owns(&c));
            n.apply(&c);
        }
        assert!(n.change().is_none());

        // Deleted at the tip.
        let mut n = Net::new("docs/SPEC.md");
        let c = change(ChangeKind::Deleted, Some(("docs/SPEC.md", "x")), None);
        n.apply(&c);
        assert_eq!(n.change().unwrap().0, FileKind::Deleted);
    }

    #[test]
    fn relative_paths_inside_the_worktree() {
        let tmp = tempfile::tempdir().unwrap();
        let wd = tmp.path().canonicalize().unwrap();
        std::fs::create_dir_all(wd.join("a/docs")).unwrap();
        assert_eq!(repo_relative(&wd, &wd.join("a/docs")).unwrap(), "a/docs");
        assert_eq!(
            repo_relative(&wd, &wd.join("gone/docs")).unwrap(),
            "gone/docs"
        );
        assert_eq!(repo_relative(&wd, &wd).unwrap(), "");
        assert!(repo_relative(&wd.join("a"), &wd.join("b")).is_err());
    }
}
