//! The review gate: `mesh task submit` and `mesh task review`, on evidence the tool gathered
//! itself.
//!
//! - [`submit`] hands a claimed task to review only when it carries a verification
//!   ([`mesh_store::EvidenceKind::Verify`]) taken on the working tree as it is now; a failed one
//!   is accepted with a warning, for the reviewer to weigh.
//! - [`gate`] evaluates the five conditions of an approval, each with a name, ok and a detail:
//!   `verification` (the latest verification passed, on the current tree), `trace` (the task's
//!   trace names an item of the documents), `simplification` (simplification evidence or a
//!   waiver), `rules` (no error from the STK, DEP, GOV and DEC rules in the task's change) and
//!   `reviewer` (a HIGH-risk task is reviewed by someone other than its worker).
//! - [`approve`] approves when every condition holds; with an override reason it records a
//!   decision row and an `override` ledger entry first. The `reviewer` condition cannot be
//!   overridden: the one overriding would be the worker approving their own HIGH-risk work, which
//!   is exactly what the condition forbids. With `tick`, the task's checklist item in SPEC or PRD
//!   is ticked (`- [ ]` → `- [x]`), that line only.
//! - [`reject`] sends the task back; the third rejection (counted since the task was last
//!   unblocked) blocks it with the three reasons.
//!
//! Every approval and rejection is a `review` entry in the ledger (`.mesh/ledger.jsonl`). A
//! damaged ledger refuses the review before anything changes.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::json;

use mesh_check::config::DecisionScope;
use mesh_check::context::{Root, join_display};
use mesh_check::diagnostic::{Diagnostic, Location, Severity};
use mesh_check::engine::{self, Selection};
use mesh_check::history::{self, HistoryError};
use mesh_check::load;
use mesh_check::trace::{self as check_trace, TracedTask};
use mesh_docs::DocKind;
use mesh_store::{Evidence, EvidenceKind, Risk, Status, Store, StoreError, Task, Verdict};

use crate::decide::{self, DecideError, NewDecision};
use crate::evidence::{self, EvidenceError};
use crate::fsio::{WriteError, write_atomic};
use crate::ledger::{self, LedgerError};
use crate::plan::{plan_root, relative_root};
use crate::project::Project;

/// The conditions of the gate, in the order they are evaluated and printed.
pub const CONDITIONS: [&str; 5] = [
    "verification",
    "trace",
    "simplification",
    "rules",
    "reviewer",
];

/// The rule groups judged in the task's change.
pub const RULE_GROUPS: [&str; 4] = ["STK", "DEP", "GOV", "DEC"];

/// How many rejections (since the task was last unblocked) block a task.
pub const REJECTIONS_TO_BLOCK: usize = 3;

/// The decision type of an override row. The decision log's types are fixed (INIT … RELEASE);
/// the gate is a quality gate, so an override is recorded as a TEST decision whose text starts
/// with `Override review gate of T-n`.
pub const OVERRIDE_DECISION_TYPE: &str = "TEST";

/// Why a submission or review did not happen. Nothing changed in any case, except where a
/// variant says otherwise.
#[derive(Debug, thiserror::Error)]
pub enum ReviewError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Evidence(#[from] EvidenceError),
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    #[error(transparent)]
    Decide(#[from] DecideError),
    #[error(transparent)]
    Git(#[from] mesh_git::GitError),
    #[error(transparent)]
    History(#[from] HistoryError),
    #[error(transparent)]
    Write(#[from] WriteError),
    /// `submit` without a usable verification.
    #[error("{task} cannot be submitted: {why}.\n  help: run `mesh task verify {task}` first")]
    NotVerified { task: String, why: String },
    /// `review` of a task that is not waiting for review.
    #[error(
        "{task} is {status}, not reviewing: only a submitted task can be reviewed (`mesh task submit {task}`); allowed from {status}: {allowed}"
    )]
    NotReviewing {
        task: String,
        status: Status,
        allowed: String,
    },
    /// `submit` of a task that is not in progress.
    #[error(
        "{task} is {status}, not in progress: only a claimed task can be submitted; allowed from {status}: {allowed}"
    )]
    NotInProgress {
        task: String,
        status: Status,
        allowed: String,
    },
    /// An override of the `reviewer` condition (the reviewer is the worker of a HIGH-risk task).
    #[error(
        "{task} is HIGH risk and {reviewer} is its worker: the reviewer condition cannot be overridden, because the override would come from the same person approving their own work. Ask someone else to review it (`--reviewer NAME`)"
    )]
    SelfOverride { task: String, reviewer: String },
    /// Missing or empty input.
    #[error("{0}")]
    Invalid(String),
    /// The task was approved but its checklist item could not be ticked.
    #[error(
        "{task} was approved, but {file}:{line} could not be ticked: {source}; tick it by hand (`- [ ]` → `- [x]`)"
    )]
    TickAfterApproval {
        task: String,
        file: String,
        line: u32,
        #[source]
        source: WriteError,
    },
}

impl ReviewError {
    /// True when the rules refused the request (exit 1); everything else is exit 2.
    pub fn is_refusal(&self) -> bool {
        match self {
            ReviewError::Store(e) => e.is_refusal(),
            ReviewError::NotVerified { .. }
            | ReviewError::NotReviewing { .. }
            | ReviewError::NotInProgress { .. }
            | ReviewError::SelfOverride { .. }
            | ReviewError::Invalid(_) => true,
            _ => false,
        }
    }
}

/// One condition of the gate.
#[derive(Debug, Clone, Serialize)]
pub struct Condition {
    /// One of [`CONDITIONS`].
    pub name: &'static str,
    pub ok: bool,
    /// What was found.
    pub detail: String,
    /// What to do when it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    /// The findings behind a failed `rules` condition.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub findings: Vec<Diagnostic>,
}

impl Condition {
    fn pass(name: &'static str, detail: impl Into<String>) -> Condition {
        Condition {
            name,
            ok: true,
            detail: detail.into(),
            help: None,
            findings: Vec::new(),
        }
    }

    fn fail(name: &'static str, detail: impl Into<String>, help: impl Into<String>) -> Condition {
        Condition {
            name,
            ok: false,
            detail: detail.into(),
            help: Some(help.into()),
            findings: Vec::new(),
        }
    }
}

/// The gate of one task, as evaluated now.
#[derive(Debug, Clone, Serialize)]
pub struct Gate {
    /// `T-12`.
    pub task: String,
    pub task_id: i64,
    pub key: Option<String>,
    pub title: String,
    pub status: Status,
    pub risk: Risk,
    pub worker: Option<String>,
    pub reviewer: String,
    /// The tree id of the working tree the gate judged.
    pub tree: String,
    pub conditions: Vec<Condition>,
}

impl Gate {
    /// Whether every condition holds.
    pub fn passed(&self) -> bool {
        self.conditions.iter().all(|c| c.ok)
    }

    /// The names of the failed conditions.
    pub fn failed(&self) -> Vec<&'static str> {
        self.conditions
            .iter()
            .filter(|c| !c.ok)
            .map(|c| c.name)
            .collect()
    }

    /// `[{"name", "ok"}]`, for ledger entries.
    fn summary(&self) -> serde_json::Value {
        self.conditions
            .iter()
            .map(|c| json!({"name": c.name, "ok": c.ok}))
            .collect()
    }
}

fn same_person(a: &str, b: &str) -> bool {
    a.trim().eq_ignore_ascii_case(b.trim())
}

fn short(id: &str) -> &str {
    id.get(..12).unwrap_or(id)
}

/// The most recent evidence of `kind` (evidence comes oldest first).
fn latest(evidence: &[Evidence], kinds: &[EvidenceKind]) -> Option<Evidence> {
    evidence
        .iter()
        .rev()
        .find(|e| kinds.contains(&e.kind))
        .cloned()
}

/// How a verification ended, in words: `exit code 1`, `timed out`, `exit code 0`.
fn outcome(v: &Evidence) -> String {
    if v.data.get("timed_out").and_then(|t| t.as_bool()) == Some(true) {
        return "timed out".into();
    }
    match v.data.get("exit_code").and_then(|c| c.as_i64()) {
        Some(c) => format!("exit code {c}"),
        None if v.passed => "passed".into(),
        None => "failed".into(),
    }
}

fn command_of(v: &Evidence) -> String {
    v.data
        .get("command")
        .and_then(|c| c.as_str())
        .map(|c| format!(" `{c}`"))
        .unwrap_or_default()
}

/// The `verification` condition: the latest verification passed and ran on `tree`.
pub fn verification_condition(task: &str, latest: Option<&Evidence>, tree: &str) -> Condition {
    const NAME: &str = "verification";
    let Some(v) = latest else {
        return Condition::fail(
            NAME,
            "no verification was recorded",
            format!("run `mesh task verify {task}`"),
        );
    };
    let ran_on = v.tree.as_deref().unwrap_or("");
    if ran_on != tree {
        return Condition::fail(
            NAME,
            format!(
                "the last verification ({}, {}) ran on tree {}, but the working tree is now {}: the code changed since",
                v.at,
                outcome(v),
                if ran_on.is_empty() {
                    "(unknown)"
                } else {
                    short(ran_on)
                },
                short(tree)
            ),
            format!("run `mesh task verify {task}` again on the current code"),
        );
    }
    if !v.passed {
        return Condition::fail(
            NAME,
            format!(
                "the last verification{} failed on the current tree ({}, {})",
                command_of(v),
                outcome(v),
                v.at
            ),
            format!("fix the failing tests, then run `mesh task verify {task}`"),
        );
    }
    Condition::pass(
        NAME,
        format!(
            "the last verification{} passed on the current tree {} ({})",
            command_of(v),
            short(tree),
            v.at
        ),
    )
}

/// The `simplification` condition: a simplification or a waiver was recorded.
pub fn simplification_condition(task: &str, latest: Option<&Evidence>) -> Condition {
    const NAME: &str = "simplification";
    match latest {
        None => Condition::fail(
            NAME,
            "no simplification and no waiver was recorded",
            format!(
                "run `mesh task simplify {task}`, or waive it with a reason: `mesh task simplify {task} --waive \"...\"`"
            ),
        ),
        Some(e) if e.kind == EvidenceKind::Waiver => {
            let reason = e.data.get("reason").and_then(|r| r.as_str()).unwrap_or("");
            let decision = e
                .data
                .get("decision")
                .and_then(|d| d.as_str())
                .map(|d| format!(" (decision {d})"))
                .unwrap_or_default();
            Condition::pass(NAME, format!("waived{decision}: {reason}"))
        }
        Some(e) => Condition::pass(
            NAME,
            if e.summary.is_empty() {
                format!("simplification recorded {}", e.at)
            } else {
                format!("simplification recorded {}: {}", e.at, e.summary)
            },
        ),
    }
}

/// The `reviewer` condition: for a HIGH-risk task the reviewer is not its worker.
pub fn reviewer_condition(task: &Task, reviewer: &str) -> Condition {
    const NAME: &str = "reviewer";
    if task.risk != Risk::High {
        return Condition::pass(
            NAME,
            format!(
                "risk {}: any reviewer may approve ({reviewer})",
                task.risk.as_str()
            ),
        );
    }
    match task.worker.as_deref() {
        Some(w) if same_person(w, reviewer) => Condition::fail(
            NAME,
            format!("the task is HIGH risk and the reviewer {reviewer} is its worker"),
            "a HIGH-risk task needs a second person: ask someone else to review it (`--reviewer NAME`); this condition cannot be overridden",
        ),
        Some(w) => Condition::pass(
            NAME,
            format!("HIGH risk, reviewed by {reviewer}, worked on by {w}"),
        ),
        None => Condition::pass(
            NAME,
            format!("HIGH risk, reviewed by {reviewer}; no worker is recorded"),
        ),
    }
}

/// A document item a task can trace to.
#[derive(Debug, Clone)]
struct Item {
    /// The planner's key for it (`data:entity-book`); empty for a requirement ID.
    key: String,
    /// `US3`, `entity Book`.
    label: String,
    /// Project-relative document path (`docs/SPEC.md`).
    file: String,
    line: u32,
    /// The document file on disk, when it is a SPEC or a PRD.
    path: Option<PathBuf>,
}

/// Every item of the documents a task can trace to: requirement IDs (goals, stories; the index
/// behind `mesh trace`) and the items the planner derives tasks from (entities, endpoints,
/// threats …), with their current lines.
#[derive(Debug, Default)]
struct ItemIndex {
    requirements: Vec<Item>,
    planned: Vec<Item>,
    /// SPEC and PRD of every root: project-relative path, file on disk, text. The planner skips
    /// checked items, so an item ticked earlier is found in the text.
    docs: Vec<(String, PathBuf, String)>,
}

/// The words the planner puts before an item's name in a trace (`entity Book`).
const TRACE_KINDS: [&str; 5] = ["entity ", "control ", "service ", "target ", "constraint "];

/// The text of a checklist line after its box (`- [x] Book: …` → `Book: …`), or `None`.
fn checklist_item(line: &str) -> Option<&str> {
    let rest = line.trim_start().strip_prefix(['-', '*', '+'])?;
    let rest = rest.strip_prefix(' ')?.trim_start();
    let rest = ["[ ]", "[x]", "[X]"]
        .iter()
        .find_map(|b| rest.strip_prefix(b))?;
    (rest.is_empty() || rest.starts_with(char::is_whitespace)).then(|| rest.trim_start())
}

/// The 1-based line of the checklist item named `name` in `text`: `hint` when that line is one,
/// else the first such line. An item is named when its text starts with the name (after
/// backticks or bold markers) followed by `:`, a closing marker, ` -`, ` —` or nothing — not by
/// ` →` (a relationship) or more words.
fn find_checklist(text: &str, name: &str, hint: u32) -> Option<u32> {
    let names = |line: &str| {
        checklist_item(line).is_some_and(|t| {
            t.trim_start_matches(['`', '*'])
                .strip_prefix(name)
                .is_some_and(|r| {
                    r.is_empty()
                        || r.starts_with([':', '`', '*'])
                        || r.starts_with(" -")
                        || r.starts_with(" —")
                })
        })
    };
    if name.is_empty() {
        return None;
    }
    let lines: Vec<&str> = text.lines().collect();
    if hint >= 1 && lines.get(hint as usize - 1).is_some_and(|l| names(l)) {
        return Some(hint);
    }
    lines.iter().position(|l| names(l)).map(|i| i as u32 + 1)
}

/// `label (path:line)` → (label, path, line).
fn split_trace(trace: &str) -> Option<(&str, &str, u32)> {
    let (label, rest) = trace.trim().rsplit_once(" (")?;
    let inner = rest.strip_suffix(')')?;
    let (path, line) = inner.rsplit_once(':')?;
    Some((label.trim(), path, line.parse().ok()?))
}

/// The SPEC or PRD file a project-relative document path names, in `root`.
fn doc_path(shown: &Root, actual: &Root, file: &str) -> Option<PathBuf> {
    [DocKind::Spec, DocKind::Prd]
        .into_iter()
        .find(|k| shown.file_display(*k) == file)
        .map(|k| actual.dir.join(k.file_name()))
}

impl ItemIndex {
    fn build(dir: &Path, project: &Project) -> ItemIndex {
        let mut index = ItemIndex::default();
        for actual in &project.roots {
            let shown = relative_root(dir, actual);
            let loaded = load::load_root(&shown);
            for kind in [DocKind::Spec, DocKind::Prd] {
                if let Some(d) = loaded.docs.get(kind) {
                    index.docs.push((
                        d.path.clone(),
                        actual.dir.join(kind.file_name()),
                        d.text.clone(),
                    ));
                }
            }
            for r in check_trace::requirements(&loaded.docs) {
                index.requirements.push(Item {
                    key: String::new(),
                    path: doc_path(&shown, actual, &r.file),
                    label: r.id,
                    file: r.file,
                    line: r.line,
                });
            }
            for t in plan_root(&shown, &loaded, &project.config).tasks {
                let Some((label, file, line)) = split_trace(&t.trace) else {
                    continue;
                };
                index.planned.push(Item {
                    key: t.key.clone(),
                    label: label.to_string(),
                    path: doc_path(&shown, actual, file),
                    file: file.to_string(),
                    line,
                });
            }
        }
        index
    }

    /// The item `task` traces to, and how it was found.
    fn find(&self, task: &Task) -> Option<(Item, &'static str)> {
        if task.trace.trim().is_empty() {
            return None;
        }
        if let Some(key) = task.key.as_deref()
            && let Some(i) = self.planned.iter().find(|i| i.key == key)
        {
            return Some((i.clone(), "the item its plan key comes from"));
        }
        let traced = TracedTask {
            id: mesh_store::display_id(task.id),
            key: task.key.clone(),
            title: task.title.clone(),
            status: task.status.as_str().to_string(),
            trace: task.trace.clone(),
        };
        if let Some(i) = self
            .requirements
            .iter()
            .find(|r| check_trace::traces_to(&traced, &r.label))
        {
            return Some((i.clone(), "a requirement ID"));
        }
        let (label, file, line) = match split_trace(&task.trace) {
            Some((l, f, n)) => (l, Some(f), n),
            None => (task.trace.trim(), None, 0),
        };
        if let Some(i) = self.planned.iter().find(|i| i.label == label) {
            return Some((i.clone(), "an item of the documents"));
        }
        // An item the planner no longer offers (checked `[x]`): its checklist line in the
        // document the trace names.
        let name = TRACE_KINDS
            .iter()
            .find_map(|k| label.strip_prefix(k))
            .unwrap_or(label);
        let (shown, path, text) = self
            .docs
            .iter()
            .find(|(p, _, _)| Some(p.as_str()) == file)?;
        let at = find_checklist(text, name, line)?;
        Some((
            Item {
                key: String::new(),
                label: label.to_string(),
                file: shown.clone(),
                line: at,
                path: Some(path.clone()),
            },
            "a checklist item of the documents",
        ))
    }
}

/// The `trace` condition from an index.
fn trace_condition(task: &Task, index: &ItemIndex) -> Condition {
    const NAME: &str = "trace";
    let id = mesh_store::display_id(task.id);
    if task.trace.trim().is_empty() {
        return Condition::fail(
            NAME,
            format!("{id} has no trace"),
            "accept the task from a plan line with `Trace: ...` (or add it with `mesh task add --trace US1`) so it names a requirement, or override",
        );
    }
    match index.find(task) {
        Some((item, how)) => Condition::pass(
            NAME,
            format!(
                "`{}` names {} ({how}) at {}:{}",
                task.trace, item.label, item.file, item.line
            ),
        ),
        None => {
            let mut known: Vec<&str> = index
                .requirements
                .iter()
                .map(|r| r.label.as_str())
                .collect();
            known.dedup();
            let shown = if known.is_empty() {
                "the documents define no requirement ID".to_string()
            } else if known.len() > 8 {
                format!("known IDs: {} …", known[..8].join(", "))
            } else {
                format!("known IDs: {}", known.join(", "))
            };
            Condition::fail(
                NAME,
                format!(
                    "`{}` names no requirement or item of the documents ({shown})",
                    task.trace
                ),
                "trace the task to an existing requirement (G1, US3, a SPEC item), or restore the item it named in the documents",
            )
        }
    }
}

/// Maps the paths diagnostics show (prefixed the way the project directory was given) to
/// repository-relative paths, to compare them with [`evidence::changed_files`].
struct Paths {
    /// How the project directory was given (`""` for `.`).
    given: String,
    /// The project directory inside the repository (`""` at the top level).
    in_repo: String,
}

impl Paths {
    fn new(dir: &Path) -> Result<Paths, ReviewError> {
        let given = dir.to_string_lossy().replace('\\', "/");
        let given = given.trim_end_matches('/');
        let given = if given == "." { "" } else { given }.to_string();
        let repo = mesh_git::Repo::discover(dir)?;
        let in_repo = match (
            repo.workdir().and_then(|w| w.canonicalize().ok()),
            dir.canonicalize().ok(),
        ) {
            (Some(top), Some(d)) => d
                .strip_prefix(&top)
                .map(|r| r.to_string_lossy().replace('\\', "/"))
                .unwrap_or_default(),
            _ => String::new(),
        };
        Ok(Paths { given, in_repo })
    }

    /// `shown` (a diagnostic's file, a root's display) relative to the repository.
    fn repo_relative(&self, shown: &str) -> String {
        let rel = if self.given.is_empty() {
            shown
        } else {
            shown
                .strip_prefix(&self.given)
                .and_then(|r| r.strip_prefix('/'))
                .unwrap_or(shown)
        };
        let rel = rel.trim_start_matches("./");
        join_display(&self.in_repo, rel)
    }
}

/// Whether a STK/DEP finding belongs to the change: one of its locations is a changed file, or
/// its own location is a document (a contract item of SPEC or TECH_STACK the code does not
/// meet). A related location in an unchanged document does not count: DEP001 points at the
/// approved list of TECH_STACK for every unapproved package, also the ones that were there
/// before the task.
fn touches(d: &Diagnostic, paths: &Paths, changed: &BTreeSet<String>, doc_dirs: &[String]) -> bool {
    let in_docs = |l: &Location| {
        let f = paths.repo_relative(&l.file);
        let parent = f.rsplit_once('/').map_or("", |(p, _)| p).to_string();
        doc_dirs.contains(&parent)
    };
    in_docs(&d.location)
        || std::iter::once(&d.location)
            .chain(d.related.iter().map(|r| &r.location))
            .any(|l: &Location| changed.contains(&paths.repo_relative(&l.file)))
}

/// The findings of the STK, DEP, GOV and DEC rules that count against the change since `base`.
fn rule_findings(
    dir: &Path,
    project: &Project,
    base: &str,
) -> Result<(Vec<Diagnostic>, usize), ReviewError> {
    let changed: BTreeSet<String> = evidence::changed_files(dir, Some(base))?
        .into_iter()
        .collect();
    let facts = history::worktree_since(dir, &project.roots, base)?;
    let paths = Paths::new(dir)?;
    let doc_dirs: Vec<String> = project
        .roots
        .iter()
        .map(|r| paths.repo_relative(&r.display))
        .collect();
    let mut config = project.config.clone();
    // The change is judged as one: the facts carry no commit-by-commit split.
    config.policy.decision_scope = DecisionScope::Range;
    let selection = Selection {
        select: RULE_GROUPS.iter().map(|g| g.to_string()).collect(),
        ignore: Vec::new(),
    };
    let reports = engine::check_roots_with_history(
        project.roots.clone(),
        &config,
        &selection,
        facts.as_ref(),
    );
    let mut out = Vec::new();
    for r in reports {
        for d in r.diagnostics {
            if d.severity != Severity::Error {
                continue;
            }
            let governance = d.code.starts_with("GOV") || d.code.starts_with("DEC");
            if governance || touches(&d, &paths, &changed, &doc_dirs) {
                out.push(d);
            }
        }
    }
    out.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    Ok((out, changed.len()))
}

/// The `rules` condition: no error from the STK, DEP, GOV and DEC rules in the task's change
/// (since the simplification's `base`, else HEAD, up to the working tree).
fn rules_condition(dir: &Path, project: &Project, base: Option<&str>) -> Condition {
    const NAME: &str = "rules";
    let rev = base.unwrap_or("HEAD");
    let since = match base {
        Some(b) => format!("since {}", short(b)),
        None => "since HEAD".to_string(),
    };
    match rule_findings(dir, project, rev) {
        Ok((found, files)) if found.is_empty() => Condition::pass(
            NAME,
            format!(
                "no error from the {} rules in the change {since} ({files} files changed)",
                RULE_GROUPS.join("/")
            ),
        ),
        Ok((found, _)) => {
            let listed: Vec<String> = found
                .iter()
                .take(5)
                .map(|d| {
                    format!(
                        "{} {}:{} {}",
                        d.code, d.location.file, d.location.line, d.message
                    )
                })
                .collect();
            let more = if found.len() > 5 {
                format!("; and {} more", found.len() - 5)
            } else {
                String::new()
            };
            let mut c = Condition::fail(
                NAME,
                format!(
                    "{} error(s) in the change {since}: {}{more}",
                    found.len(),
                    listed.join("; ")
                ),
                format!(
                    "fix them (`mesh check --select {}` shows each with its help)",
                    RULE_GROUPS.join(",")
                ),
            );
            c.findings = found;
            c
        }
        Err(e) => Condition::fail(
            NAME,
            format!("the change {since} could not be judged: {e}"),
            "run `mesh task simplify` again to record a base that exists, or check the repository",
        ),
    }
}

/// Evaluate the gate of task `task_id` for `reviewer`, in the project at `dir` (a git work
/// tree). Reads only: nothing is recorded.
pub fn gate(
    dir: &Path,
    project: &Project,
    store: &Store,
    task_id: i64,
    reviewer: &str,
) -> Result<Gate, ReviewError> {
    let task = store.get_task(task_id)?;
    let id = mesh_store::display_id(task.id);
    let tree = evidence::current_tree(dir)?;
    let all = store.evidence(task_id)?;
    let verify = latest(&all, &[EvidenceKind::Verify]);
    let simplified = latest(&all, &[EvidenceKind::Simplify, EvidenceKind::Waiver]);
    let base = latest(&all, &[EvidenceKind::Simplify]).and_then(|s| {
        s.data
            .get("base")
            .and_then(|b| b.as_str())
            .map(str::to_string)
    });
    let index = ItemIndex::build(dir, project);
    let conditions = vec![
        verification_condition(&id, verify.as_ref(), &tree),
        trace_condition(&task, &index),
        simplification_condition(&id, simplified.as_ref()),
        rules_condition(dir, project, base.as_deref()),
        reviewer_condition(&task, reviewer),
    ];
    Ok(Gate {
        task: id,
        task_id: task.id,
        key: task.key.clone(),
        title: task.title.clone(),
        status: task.status,
        risk: task.risk,
        worker: task.worker.clone(),
        reviewer: reviewer.to_string(),
        tree,
        conditions,
    })
}

/// What [`submit`] did.
#[derive(Debug, Clone, Serialize)]
pub struct Submitted {
    pub task: Task,
    /// The verification the submission rests on.
    pub verification: Evidence,
    /// Set when that verification failed: the task goes to review anyway, the reviewer decides.
    pub warning: Option<String>,
}

/// Submit task `task_id` for review as `worker` (the holder of its claim): refused unless its
/// latest verification ran on the working tree as it is now. A failed verification is accepted
/// with a warning.
pub fn submit(
    dir: &Path,
    store: &Store,
    task_id: i64,
    worker: &str,
    note: Option<&str>,
) -> Result<Submitted, ReviewError> {
    let id = mesh_store::display_id(task_id);
    let status = store.get_task(task_id)?.status;
    if status != Status::InProgress {
        return Err(ReviewError::NotInProgress {
            task: id,
            status,
            allowed: mesh_store::model::describe_allowed(status),
        });
    }
    let all = store.evidence(task_id)?;
    let Some(v) = latest(&all, &[EvidenceKind::Verify]) else {
        return Err(ReviewError::NotVerified {
            task: id,
            why: "no verification was recorded".into(),
        });
    };
    let tree = evidence::current_tree(dir)?;
    if v.tree.as_deref() != Some(tree.as_str()) {
        return Err(ReviewError::NotVerified {
            why: format!(
                "its last verification ({}) ran on tree {}, and the working tree is now {}: the code changed since",
                v.at,
                v.tree.as_deref().map_or("(unknown)", short),
                short(&tree)
            ),
            task: id,
        });
    }
    let warning = (!v.passed).then(|| {
        format!(
            "{id}'s verification{} failed ({}); submitted anyway: the reviewer decides, and `mesh task review --approve` needs a passing one",
            command_of(&v),
            outcome(&v)
        )
    });
    let task = store.submit(task_id, worker, note)?;
    Ok(Submitted {
        task,
        verification: v,
        warning,
    })
}

/// Options of [`approve`].
#[derive(Debug, Clone, Default)]
pub struct ApproveOptions<'a> {
    /// Who approves.
    pub reviewer: &'a str,
    /// The review note (a default is written when `None`).
    pub note: Option<&'a str>,
    /// Pass the failed conditions, recorded as a decision row and a ledger entry.
    pub override_reason: Option<&'a str>,
    /// Tick the task's checklist item in SPEC or PRD.
    pub tick: bool,
}

/// A recorded override.
#[derive(Debug, Clone, Serialize)]
pub struct Overridden {
    /// The conditions passed by the override.
    pub failed: Vec<&'static str>,
    /// The decision row's ID and file.
    pub decision: String,
    pub decision_file: PathBuf,
    pub reason: String,
    pub ledger_seq: u64,
}

/// What `--tick` did.
#[derive(Debug, Clone, Serialize)]
pub struct Tick {
    /// The document (project-relative) and 1-based line.
    pub file: String,
    pub line: u32,
    /// Whether the line was changed (false: already ticked, or not a checklist item).
    pub ticked: bool,
    /// The line after the edit, or why nothing was ticked.
    pub detail: String,
}

/// What [`approve`] did.
#[derive(Debug, Clone, Serialize)]
pub struct Approval {
    pub approved: bool,
    pub gate: Gate,
    /// The task after approval.
    pub task: Option<Task>,
    #[serde(rename = "override")]
    pub overridden: Option<Overridden>,
    pub tick: Option<Tick>,
    /// Set when `tick` was asked but the trace is no unchecked checklist item of SPEC or PRD.
    pub tick_note: Option<String>,
    /// The sequence number of the `review` ledger entry.
    pub ledger_seq: Option<u64>,
    /// Set when an override was given but nothing needed it.
    pub note: Option<String>,
}

fn check_ledger(dir: &Path) -> Result<PathBuf, ReviewError> {
    let path = ledger::path_in(dir);
    let v = ledger::verify(&path)?;
    if let Some(p) = v.problem {
        return Err(LedgerError::Damaged {
            path: v.path,
            line: p.line,
            detail: p.detail,
        }
        .into());
    }
    Ok(path)
}

/// The decision log an override is written to: the first root that has one.
fn decision_root(project: &Project) -> Option<&Path> {
    project
        .roots
        .iter()
        .find(|r| decide::log_path(&r.dir).is_file())
        .or(project.roots.first())
        .map(|r| r.dir.as_path())
}

/// A located checklist line to tick.
#[derive(Debug, Clone)]
struct TickTarget {
    path: PathBuf,
    file: String,
    line: u32,
}

/// Where the task's item is, if it is a SPEC or PRD line; else why not.
fn tick_target(dir: &Path, project: &Project, task: &Task) -> Result<TickTarget, String> {
    let index = ItemIndex::build(dir, project);
    let Some((item, _)) = index.find(task) else {
        return Err(format!(
            "the trace `{}` names no item of the documents: nothing to tick",
            task.trace
        ));
    };
    let Some(path) = &item.path else {
        return Err(format!(
            "{} is in {}, not in SPEC or PRD: nothing to tick",
            item.label, item.file
        ));
    };
    Ok(TickTarget {
        path: path.clone(),
        file: item.file.clone(),
        line: item.line,
    })
}

/// Why a line cannot be ticked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotTickable {
    NoSuchLine,
    NotChecklist,
    AlreadyTicked,
}

/// `text` with the checklist box of 1-based `line` ticked (`[ ]` → `[x]`); every other byte is
/// kept, line endings included.
pub fn tick_text(text: &str, line: u32) -> Result<String, NotTickable> {
    let mut start = 0usize;
    for _ in 1..line {
        start += text[start..].find('\n').ok_or(NotTickable::NoSuchLine)? + 1;
    }
    if line == 0 || start > text.len() || (start == text.len() && line > 1) {
        return Err(NotTickable::NoSuchLine);
    }
    let end = text[start..].find('\n').map_or(text.len(), |e| start + e);
    let l = &text[start..end];
    let indent = l.len() - l.trim_start().len();
    let rest = &l[indent..];
    let bullet = rest.starts_with(['-', '*', '+']) && rest[1..].starts_with(' ');
    if !bullet {
        return Err(NotTickable::NotChecklist);
    }
    let after = rest[1..].trim_start();
    let box_at = start + indent + (rest.len() - after.len());
    let well_formed =
        |b: &str| after.starts_with(b) && after[3..].chars().next().is_none_or(char::is_whitespace);
    if well_formed("[x]") || well_formed("[X]") {
        return Err(NotTickable::AlreadyTicked);
    }
    if !well_formed("[ ]") {
        return Err(NotTickable::NotChecklist);
    }
    let mut out = String::with_capacity(text.len());
    out.push_str(&text[..box_at + 1]);
    out.push('x');
    out.push_str(&text[box_at + 2..]);
    Ok(out)
}

fn apply_tick(target: &TickTarget) -> Result<Tick, WriteError> {
    let text = std::fs::read_to_string(&target.path).map_err(|source| WriteError {
        path: target.path.display().to_string(),
        source,
    })?;
    let line_of = |t: &str| {
        t.lines()
            .nth(target.line.saturating_sub(1) as usize)
            .unwrap_or("")
            .trim()
            .to_string()
    };
    let (ticked, detail) = match tick_text(&text, target.line) {
        Ok(new) => {
            write_atomic(&target.path, new.as_bytes())?;
            (true, line_of(&new))
        }
        Err(NotTickable::AlreadyTicked) => (false, "already ticked".to_string()),
        Err(NotTickable::NotChecklist) => (
            false,
            format!(
                "not a checklist item (`{}`): nothing ticked",
                line_of(&text)
            ),
        ),
        Err(NotTickable::NoSuchLine) => (false, "the line no longer exists".to_string()),
    };
    Ok(Tick {
        file: target.file.clone(),
        line: target.line,
        ticked,
        detail,
    })
}

/// Approve task `task_id` through the gate. When a condition fails and no override is given,
/// nothing changes and the result says `approved: false`. With an override reason, a decision
/// row (`Override review gate of T-n (failed: …): reason`) and an `override` ledger entry are
/// written first; the `reviewer` condition cannot be overridden ([`ReviewError::SelfOverride`]).
/// Every approval is a `review` ledger entry.
pub fn approve(
    dir: &Path,
    project: &Project,
    store: &Store,
    task_id: i64,
    opts: &ApproveOptions<'_>,
) -> Result<Approval, ReviewError> {
    let reviewer = opts.reviewer.trim();
    if reviewer.is_empty() {
        return Err(ReviewError::Invalid(
            "the reviewer is empty: give --reviewer NAME".into(),
        ));
    }
    let task = store.get_task(task_id)?;
    let id = mesh_store::display_id(task.id);
    if task.status != Status::Reviewing {
        return Err(ReviewError::NotReviewing {
            task: id,
            status: task.status,
            allowed: mesh_store::model::describe_allowed(task.status),
        });
    }
    let reason = match opts.override_reason.map(str::trim) {
        Some("") => {
            return Err(ReviewError::Invalid(
                "--override needs a reason: say why the failed conditions may pass".into(),
            ));
        }
        r => r,
    };
    let ledger_path = check_ledger(dir)?;
    let gate = gate(dir, project, store, task_id, reviewer)?;
    let failed = gate.failed();
    let mut result = Approval {
        approved: false,
        gate,
        task: None,
        overridden: None,
        tick: None,
        tick_note: None,
        ledger_seq: None,
        note: None,
    };
    if !failed.is_empty() {
        let Some(reason) = reason else {
            return Ok(result);
        };
        if failed.contains(&"reviewer") {
            return Err(ReviewError::SelfOverride {
                task: id,
                reviewer: reviewer.to_string(),
            });
        }
        let Some(root) = decision_root(project) else {
            return Err(ReviewError::Invalid(
                "the project has no document root to record the override decision in: run `mesh init`".into(),
            ));
        };
        let text = format!(
            "Override review gate of {id} (failed: {}): {reason}",
            failed.join(", ")
        );
        let added = decide::add(
            root,
            NewDecision {
                task: Some(id.clone()),
                owner: Some(reviewer.to_string()),
                scope: Some("review".into()),
                ..NewDecision::new(OVERRIDE_DECISION_TYPE, text)
            },
        )?;
        let entry = ledger::append(
            &ledger_path,
            "override",
            reviewer,
            json!({
                "task": id,
                "failed": failed,
                "decision": added.id,
                "reason": reason,
                "reviewer": reviewer,
            }),
        )?;
        result.overridden = Some(Overridden {
            failed: failed.clone(),
            decision: added.id,
            decision_file: added.path,
            reason: reason.to_string(),
            ledger_seq: entry.seq,
        });
    } else if reason.is_some() {
        result.note =
            Some("every condition holds: the override was not needed and was not recorded".into());
    }
    let target = if opts.tick {
        match tick_target(dir, project, &task) {
            Ok(t) => Some(t),
            Err(why) => {
                result.tick_note = Some(why);
                None
            }
        }
    } else {
        None
    };
    let note = match (
        opts.note.map(str::trim).filter(|n| !n.is_empty()),
        &result.overridden,
    ) {
        (Some(n), _) => n.to_string(),
        (None, Some(o)) => format!(
            "approved with an override (decision {}) of: {}",
            o.decision,
            o.failed.join(", ")
        ),
        (None, None) => "approved: every review condition holds".to_string(),
    };
    let approved = store.review(task_id, Verdict::Approve, reviewer, &note)?;
    let entry = ledger::append(
        &ledger_path,
        "review",
        reviewer,
        json!({
            "task": id,
            "key": task.key,
            "verdict": "approve",
            "reviewer": reviewer,
            "worker": task.worker,
            "tree": result.gate.tree,
            "conditions": result.gate.summary(),
            "override": result.overridden.as_ref().map(|o| &o.decision),
            "tick": target.as_ref().map(|t| format!("{}:{}", t.file, t.line)),
            "note": note,
        }),
    )?;
    result.approved = true;
    result.task = Some(approved);
    result.ledger_seq = Some(entry.seq);
    if let Some(t) = &target {
        let tick = apply_tick(t).map_err(|source| ReviewError::TickAfterApproval {
            task: id.clone(),
            file: t.file.clone(),
            line: t.line,
            source,
        })?;
        result.tick = Some(tick);
    }
    Ok(result)
}

/// What [`reject`] did.
#[derive(Debug, Clone, Serialize)]
pub struct Rejection {
    /// The task after the rejection (pending, or blocked at the third).
    pub task: Task,
    /// Rejections since the task was last unblocked, this one included.
    pub rejections: usize,
    pub blocked: bool,
    /// The rejection notes that blocked it (oldest first), when blocked.
    pub reasons: Vec<String>,
    pub ledger_seq: u64,
}

/// The rejection notes since the task was last unblocked, oldest first.
fn rejections_since_unblock(events: &[mesh_store::TaskEvent]) -> Vec<String> {
    let mut out = Vec::new();
    for e in events {
        match (e.from, e.to) {
            (Some(Status::Blocked), Status::Pending) => out.clear(),
            (Some(Status::Reviewing), Status::Pending) => out.push(e.reason.clone()),
            _ => {}
        }
    }
    out
}

/// Reject task `task_id` (back to pending) with `note`; the third rejection since the task was
/// last unblocked blocks it, with the three reasons. Recorded as a `review` ledger entry.
pub fn reject(
    dir: &Path,
    store: &Store,
    task_id: i64,
    reviewer: &str,
    note: &str,
) -> Result<Rejection, ReviewError> {
    let note = note.trim();
    if note.is_empty() {
        return Err(ReviewError::Invalid(
            "a rejection needs a reason: --note \"what must change\"".into(),
        ));
    }
    let ledger_path = check_ledger(dir)?;
    let before = store.get_task(task_id)?;
    let id = mesh_store::display_id(task_id);
    let mut task = store.review(task_id, Verdict::Reject, reviewer, note)?;
    let reasons = rejections_since_unblock(&store.events(task_id)?);
    let rejections = reasons.len();
    let blocked = rejections >= REJECTIONS_TO_BLOCK;
    let reasons = if blocked {
        let last = reasons[rejections - REJECTIONS_TO_BLOCK..].to_vec();
        let listed: Vec<String> = last
            .iter()
            .enumerate()
            .map(|(i, r)| format!("{}) {r}", i + 1))
            .collect();
        task = store.block(
            task_id,
            reviewer,
            &format!(
                "blocked after {rejections} rejections in review: {}",
                listed.join("; ")
            ),
        )?;
        last
    } else {
        Vec::new()
    };
    let entry = ledger::append(
        &ledger_path,
        "review",
        reviewer,
        json!({
            "task": id,
            "key": before.key,
            "verdict": "reject",
            "reviewer": reviewer,
            "worker": before.worker,
            "tree": evidence::current_tree(dir).ok(),
            "note": note,
            "rejections": rejections,
            "blocked": blocked,
            "reasons": reasons,
        }),
    )?;
    Ok(Rejection {
        task,
        rejections,
        blocked,
        reasons,
        ledger_seq: entry.seq,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn ev(kind: EvidenceKind, passed: bool, tree: &str, data: serde_json::Value) -> Evidence {
        Evidence {
            id: 1,
            task_id: 1,
            kind,
            at: jiff::Timestamp::UNIX_EPOCH,
            actor: "w".into(),
            passed,
            tree: Some(tree.into()),
            summary: "3 files, +10 −2".into(),
            data,
        }
    }

    fn task(risk: Risk, worker: Option<&str>, trace: &str) -> Task {
        Task {
            id: 7,
            key: None,
            plan: None,
            title: "t".into(),
            lane: "backend".into(),
            priority: 2,
            risk,
            trace: trace.into(),
            dod: String::new(),
            deps: Vec::new(),
            status: Status::Reviewing,
            worker: worker.map(str::to_string),
            lease_expires_at: None,
            created_at: jiff::Timestamp::UNIX_EPOCH,
            updated_at: jiff::Timestamp::UNIX_EPOCH,
        }
    }

    #[test]
    fn verification_needs_a_pass_on_the_current_tree() {
        let none = verification_condition("T-7", None, "aaa");
        assert!(!none.ok);
        assert!(none.help.unwrap().contains("mesh task verify T-7"));

        let data = json!({"command": "cargo test", "exit_code": 0, "timed_out": false});
        let good = ev(EvidenceKind::Verify, true, "aaa", data.clone());
        assert!(verification_condition("T-7", Some(&good), "aaa").ok);

        let stale = verification_condition("T-7", Some(&good), "bbb");
        assert!(!stale.ok);
        assert!(stale.detail.contains("changed since"), "{}", stale.detail);

        let failed = ev(
            EvidenceKind::Verify,
            false,
            "aaa",
            json!({"command": "cargo test", "exit_code": 101, "timed_out": false}),
        );
        let c = verification_condition("T-7", Some(&failed), "aaa");
        assert!(!c.ok);
        assert!(c.detail.contains("exit code 101"), "{}", c.detail);
        let hung = ev(
            EvidenceKind::Verify,
            false,
            "aaa",
            json!({"exit_code": null, "timed_out": true}),
        );
        assert!(
            verification_condition("T-7", Some(&hung), "aaa")
                .detail
                .contains("timed out")
        );
    }

    #[test]
    fn simplification_or_waiver() {
        assert!(!simplification_condition("T-7", None).ok);
        let s = ev(EvidenceKind::Simplify, true, "a", json!({"base": "abc"}));
        assert!(simplification_condition("T-7", Some(&s)).ok);
        let w = ev(
            EvidenceKind::Waiver,
            true,
            "a",
            json!({"reason": "generated code", "decision": "012"}),
        );
        let c = simplification_condition("T-7", Some(&w));
        assert!(c.ok);
        assert!(c.detail.contains("generated code") && c.detail.contains("012"));
    }

    #[test]
    fn high_risk_needs_a_second_person() {
        assert!(reviewer_condition(&task(Risk::Medium, Some("ann"), ""), "ann").ok);
        assert!(!reviewer_condition(&task(Risk::High, Some("ann"), ""), "ann").ok);
        assert!(!reviewer_condition(&task(Risk::High, Some("Ann "), ""), "ann").ok);
        assert!(reviewer_condition(&task(Risk::High, Some("ann"), ""), "bob").ok);
    }

    fn index() -> ItemIndex {
        let item = |key: &str, label: &str, file: &str, line| Item {
            key: key.into(),
            label: label.into(),
            file: file.into(),
            line,
            path: None,
        };
        ItemIndex {
            requirements: vec![
                item("", "G1", "docs/PRD.md", 5),
                item("", "US3", "docs/PRD.md", 20),
            ],
            planned: vec![item("data:entity-book", "entity Book", "docs/SPEC.md", 31)],
            docs: vec![(
                "docs/SPEC.md".into(),
                PathBuf::from("/p/docs/SPEC.md"),
                "# SPEC\n- [ ] Store → Order: 1:N\n- [x] Store: a branch\n- [x] `GET /api/books` - search\n- [ ] Storefront: the site\n".into(),
            )],
        }
    }

    #[test]
    fn trace_names_a_requirement_or_a_planned_item() {
        let idx = index();
        let c = trace_condition(&task(Risk::Low, None, "US3 (docs/PRD.md:18)"), &idx);
        assert!(c.ok, "{}", c.detail);
        assert!(c.detail.contains("docs/PRD.md:20"));
        assert!(trace_condition(&task(Risk::Low, None, "entity Book (docs/SPEC.md:2)"), &idx).ok);
        let mut keyed = task(Risk::Low, None, "renamed");
        keyed.key = Some("data:entity-book".into());
        assert!(trace_condition(&keyed, &idx).ok);

        let c = trace_condition(&task(Risk::Low, None, "US33"), &idx);
        assert!(!c.ok);
        assert!(c.detail.contains("G1, US3"), "{}", c.detail);
        assert!(!trace_condition(&task(Risk::Low, None, "  "), &idx).ok);
    }

    #[test]
    fn a_ticked_item_is_found_by_its_checklist_line() {
        let idx = index();
        // The planner no longer offers it (checked), the line moved from 9 to 3.
        let (item, how) = idx
            .find(&task(Risk::Low, None, "entity Store (docs/SPEC.md:9)"))
            .unwrap();
        assert_eq!((item.file.as_str(), item.line), ("docs/SPEC.md", 3));
        assert_eq!(item.path, Some(PathBuf::from("/p/docs/SPEC.md")));
        assert!(how.contains("checklist"));
        let (item, _) = idx
            .find(&task(Risk::Low, None, "GET /api/books (docs/SPEC.md:4)"))
            .unwrap();
        assert_eq!(item.line, 4);
        assert!(
            idx.find(&task(Risk::Low, None, "entity Shop (docs/SPEC.md:3)"))
                .is_none()
        );
        assert!(
            idx.find(&task(Risk::Low, None, "entity Store (docs/PRD.md:3)"))
                .is_none()
        );
        assert_eq!(checklist_item("  * [X] done"), Some("done"));
        assert_eq!(checklist_item("- [ ]"), Some(""));
        assert_eq!(checklist_item("- [ ]x"), None);
        assert_eq!(checklist_item("- plain"), None);
        assert_eq!(find_checklist("- [ ] Store: a\n", "", 1), None);
        assert_eq!(find_checklist("- [ ] Store: a\n", "Store", 0), Some(1));
    }

    #[test]
    fn split_trace_reads_label_path_and_line() {
        assert_eq!(
            split_trace("entity Book (docs/SPEC.md:31)"),
            Some(("entity Book", "docs/SPEC.md", 31))
        );
        assert_eq!(
            split_trace("GET /a (b) (svc/docs/SPEC.md:9)"),
            Some(("GET /a (b)", "svc/docs/SPEC.md", 9))
        );
        assert_eq!(split_trace("US3"), None);
        assert_eq!(split_trace("x (docs/SPEC.md:y)"), None);
    }

    #[test]
    fn tick_changes_exactly_one_box() {
        let text = "# S\r\n- [ ] Book: a\r\n  * [ ] nested\n- [x] done\nplain\n- [ ]\n";
        let t = tick_text(text, 2).unwrap();
        assert_eq!(t, text.replacen("- [ ] Book", "- [x] Book", 1));
        assert!(mesh_check::history::is_tick(
            "- [ ] Book: a",
            "- [x] Book: a"
        ));
        let t = tick_text(text, 3).unwrap();
        assert_eq!(t, text.replacen("* [ ] nested", "* [x] nested", 1));
        assert_eq!(
            tick_text(text, 6).unwrap(),
            text.replacen("- [ ]\n", "- [x]\n", 1)
        );
        assert_eq!(tick_text(text, 4), Err(NotTickable::AlreadyTicked));
        assert_eq!(tick_text(text, 5), Err(NotTickable::NotChecklist));
        assert_eq!(tick_text(text, 1), Err(NotTickable::NotChecklist));
        assert_eq!(tick_text(text, 40), Err(NotTickable::NoSuchLine));
        assert_eq!(tick_text(text, 0), Err(NotTickable::NoSuchLine));
        assert_eq!(tick_text("- [ ]x", 1), Err(NotTickable::NotChecklist));
        assert_eq!(tick_text("", 1), Err(NotTickable::NotChecklist));
        assert_eq!(tick_text("-", 1), Err(NotTickable::NotChecklist));
        assert_eq!(tick_text("é [ ] x", 1), Err(NotTickable::NotChecklist));
    }

    proptest::proptest! {
        /// Ticking never panics, and when it succeeds exactly one byte changed: ` ` → `x`
        /// inside a box, on the asked line.
        #[test]
        fn tick_is_one_byte_or_nothing(
            text in "(( |\t)?[-*+x]( ?\\[[ xX]\\])?[ a-zé\\[\\]\r]{0,6}\n?){0,5}",
            line in 0u32..7,
        ) {
            if let Ok(new) = tick_text(&text, line) {
                proptest::prop_assert_eq!(new.len(), text.len());
                let diff: Vec<usize> = text
                    .bytes()
                    .zip(new.bytes())
                    .enumerate()
                    .filter(|(_, (a, b))| a != b)
                    .map(|(i, _)| i)
                    .collect();
                proptest::prop_assert_eq!(diff.len(), 1);
                let at = diff[0];
                proptest::prop_assert_eq!(&text[at - 1..=at + 1], "[ ]");
                proptest::prop_assert_eq!(&new[at - 1..=at + 1], "[x]");
                proptest::prop_assert_eq!(text[..at].matches('\n').count() as u32 + 1, line);
            }
            let _ = find_checklist(&text, "x", line);
        }
    }

    #[test]
    fn rejections_count_since_the_last_unblock() {
        let e = |from: Option<Status>, to: Status, reason: &str| mesh_store::TaskEvent {
            id: 0,
            task_id: 1,
            at: jiff::Timestamp::UNIX_EPOCH,
            actor: "r".into(),
            from,
            to,
            reason: reason.into(),
        };
        let mut events = vec![
            e(None, Status::Pending, "created"),
            e(Some(Status::Reviewing), Status::Pending, "one"),
            e(Some(Status::Reviewing), Status::Pending, "two"),
            e(Some(Status::Reviewing), Status::Pending, "three"),
            e(Some(Status::Pending), Status::Blocked, "blocked"),
        ];
        assert_eq!(
            rejections_since_unblock(&events),
            vec!["one", "two", "three"]
        );
        events.push(e(Some(Status::Blocked), Status::Pending, "unblocked"));
        events.push(e(Some(Status::Reviewing), Status::Pending, "four"));
        assert_eq!(rejections_since_unblock(&events), vec!["four"]);
    }

    #[test]
    fn a_dependency_finding_counts_when_the_change_touches_it() {
        let paths = Paths {
            given: String::new(),
            in_repo: String::new(),
        };
        let docs = vec!["docs".to_string()];
        let dep = Diagnostic::new(
            "DEP001",
            Severity::Error,
            Location::new("requirements.txt", 2, 1),
            "flask is not approved",
        )
        .with_related(Location::new("docs/TECH_STACK.md", 66, 1), "approved here");
        let none = BTreeSet::new();
        assert!(!touches(&dep, &paths, &none, &docs), "old finding");
        let manifest: BTreeSet<String> = ["requirements.txt".to_string()].into();
        assert!(touches(&dep, &paths, &manifest, &docs));
        let stack: BTreeSet<String> = ["docs/TECH_STACK.md".to_string()].into();
        assert!(touches(&dep, &paths, &stack, &docs), "the approval changed");
        let stk = Diagnostic::new(
            "STK001",
            Severity::Error,
            Location::new("docs/SPEC.md", 15, 3),
            "postgres is not in the code",
        );
        assert!(
            touches(&stk, &paths, &none, &docs),
            "a contract item of the docs"
        );
    }

    #[test]
    fn diagnostic_paths_map_into_the_repository() {
        let p = Paths {
            given: "/tmp/x".into(),
            in_repo: String::new(),
        };
        assert_eq!(p.repo_relative("/tmp/x/docs/SPEC.md"), "docs/SPEC.md");
        assert_eq!(p.repo_relative("Cargo.toml"), "Cargo.toml");
        let p = Paths {
            given: String::new(),
            in_repo: "svc".into(),
        };
        assert_eq!(p.repo_relative("./Cargo.toml"), "svc/Cargo.toml");
    }
}
