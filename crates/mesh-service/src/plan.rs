//! Plans: draft one from the documents, accept one into the task store, draw its graph.
//!
//! - [`draft`] plans every document root of a project with the deterministic planner
//!   ([`mesh_docs::planner`]) and writes `<root>/PLANS/draft-<UTC timestamp>.md` atomically, in
//!   the plan line grammar ([`mesh_docs::plan`]). It refuses while a root is not in EXECUTION
//!   mode (readiness), saying what is missing, unless forced. Nothing is ever overwritten.
//! - [`accept`] reads a plan file (possibly edited by hand), checks it whole — every malformed
//!   line, duplicate key, unknown `Dep` and dependency cycle is reported with its line, and then
//!   nothing is imported — and hands it to the store in one transaction
//!   ([`mesh_store::Store::accept_plan`]): new keys become tasks, known keys are reported
//!   unchanged (or changed, not applied), and tasks an earlier acceptance of the same plan name
//!   created but the plan no longer has are reported as disappeared, never dropped.
//! - [`graph`] draws the dependency graph (mermaid or dot) of a plan file, or of the plan the
//!   documents give now.
//! - [`task_counts`] reads the task counts for the Plan and Work stages of `mesh status`,
//!   without ever creating a store.
//!
//! The store is found by [`crate::store::location`]: `--store`, then `MESH_STORE`, then
//! `[store] url` in mesh.toml, else `<project>/.mesh/mesh.db`.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use serde::Serialize;
use sha2::{Digest, Sha256};

use mesh_check::config::Config;
use mesh_check::context::Root;
use mesh_check::engine;
use mesh_check::load::{self, LoadedRoot, ReadProblem};
use mesh_check::pipeline::TaskCounts;
use mesh_check::readiness::{Mode, Readiness};
use mesh_docs::plan::{self, GraphFormat, Plan, PlanErrors, Risk};
use mesh_docs::planner;
use mesh_store::{AcceptReport, PlanTask, Status, Store, StoreError, StoreLocation, TaskFilter};

use crate::fsio::{WriteError, write_atomic};
use crate::ledger::{self, LedgerError};
use crate::project::{OpenError, Project};
use crate::store::{self, OpenStoreError};

/// The folder, inside a document root, that holds plans.
pub const PLANS_DIR: &str = "PLANS";
/// Draft file names: `draft-20260125T101500Z.md` (a clash in the same second adds `-2`, `-3`).
pub const DRAFT_PREFIX: &str = "draft-";

/// What can go wrong.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error(transparent)]
    Project(#[from] OpenError),
    /// The project has no document root.
    #[error("no document root under {0}: run `mesh init` or give the project directory")]
    NoRoots(String),
    /// A root is not ready to plan (BOOTSTRAP or PRE_INIT) and `--force` was not given.
    #[error("{}", refusal_text(.0))]
    NotReady(Vec<NotReady>),
    /// The plan file has errors (with line numbers); nothing was imported.
    #[error("{file}: {errors}")]
    Invalid { file: String, errors: PlanErrors },
    /// No plan file to accept.
    #[error("{0}")]
    NoPlan(String),
    /// A plan file could not be read.
    #[error("{message}\n  help: {help}")]
    Read { message: String, help: String },
    #[error(transparent)]
    Write(#[from] WriteError),
    #[error("{0}")]
    Io(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    OpenStore(#[from] OpenStoreError),
    /// The ledger is damaged or unreadable: checked before the store is touched, so nothing
    /// was imported.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    /// The tasks were imported but the `plan_accept` ledger entry could not be written.
    #[error(
        "the plan was accepted ({added} tasks added) but its ledger entry could not be written: {source}; run `mesh ledger verify`, repair the ledger, and record the acceptance by hand if it matters"
    )]
    LedgerAfterAccept {
        added: usize,
        #[source]
        source: LedgerError,
    },
}

impl PlanError {
    /// True when the request was refused by the rules (a root not ready, a bad plan, a refused
    /// acceptance): exit 1. Everything else (cannot read, write or reach the store) is exit 2.
    pub fn is_refusal(&self) -> bool {
        match self {
            PlanError::NotReady(_) | PlanError::Invalid { .. } => true,
            PlanError::Store(e) | PlanError::OpenStore(OpenStoreError::Store(e)) => e.is_refusal(),
            _ => false,
        }
    }
}

/// A root that is not ready to plan, and why.
#[derive(Debug, Clone, Serialize)]
pub struct NotReady {
    pub root: String,
    pub mode: Mode,
    /// One line per document below its threshold, naming its first unfilled items.
    pub missing: Vec<String>,
}

fn refusal_text(roots: &[NotReady]) -> String {
    let mut s = String::from("the documents are not ready to plan");
    for r in roots {
        s.push_str(&format!("\n{} is in {} mode:", r.root, r.mode.as_str()));
        for m in &r.missing {
            s.push_str(&format!("\n  - {m}"));
        }
    }
    s.push_str(
        "\n  help: fill what is listed (`mesh status` shows every unfilled item), or draft anyway with --force",
    );
    s
}

/// What is missing in a root, for the refusal.
fn missing(readiness: &Readiness) -> Vec<String> {
    let mut out = Vec::new();
    for d in readiness
        .documents
        .iter()
        .filter(|d| d.threshold.is_some() && !d.ready)
    {
        if !d.exists {
            out.push(format!(
                "{} is missing (`mesh init` writes only missing files)",
                d.path
            ));
            continue;
        }
        let mut line = format!(
            "{}: readiness {} < {}",
            d.path,
            d.score,
            d.threshold.unwrap_or(0)
        );
        let first: Vec<String> = d
            .unfilled
            .iter()
            .take(3)
            .map(|u| format!("line {} {} ({})", u.line, u.reason.as_str(), u.text))
            .collect();
        if !first.is_empty() {
            line.push_str(&format!("; unfilled: {}", first.join("; ")));
        }
        if d.unfilled.len() > 3 {
            line.push_str(&format!(" and {} more", d.unfilled.len() - 3));
        }
        out.push(line);
    }
    if out.is_empty() {
        out.push("no governed document is ready".into());
    }
    out
}

/// The root with its path shown relative to the project (`docs`, `services/api/docs`), so plan
/// names, traces and keys do not depend on how the project directory was named.
pub(crate) fn relative_root(project_dir: &Path, root: &Root) -> Root {
    Root {
        dir: root.dir.clone(),
        display: load::display_rel(project_dir, &root.dir),
    }
}

/// The store's risk assessment, so plan and store agree (both use `mesh_docs::plan::Risk`).
pub fn assess(lane: &str, texts: &[&str]) -> Risk {
    mesh_store::assess_risk(lane, texts)
}

/// Plan one loaded root (pure but for nothing: the documents are already read). `root` must be
/// shown relative to the project (see [`relative_root`]).
pub fn plan_root(root: &Root, loaded: &LoadedRoot, config: &Config) -> Plan {
    let opts = planner::Options {
        lanes: config.lanes.clone(),
        root: root.display.clone(),
    };
    let mut p = planner::draft(&loaded.docs, &opts, &assess);
    p.name = Some(root.display.clone());
    p
}

/// The lines written between the title and the tasks of a draft.
fn preface(root: &Root, loaded: &LoadedRoot, mode: Mode) -> Vec<String> {
    let sources: Vec<String> = [mesh_docs::DocKind::Prd, mesh_docs::DocKind::Spec]
        .iter()
        .filter(|k| loaded.docs.get(**k).is_some())
        .map(|k| root.file_display(*k))
        .collect();
    let from = if sources.is_empty() {
        "no documents".to_string()
    } else {
        sources.join(" and ")
    };
    let mut out = vec![format!(
        "<!-- Drafted by `mesh plan draft` from {from} (readiness mode {}). Edit freely, then run `mesh plan accept`. -->",
        mode.as_str()
    )];
    if mode != Mode::Execution {
        out.push(
            "<!-- Drafted with --force before the documents were ready: expect gaps. -->"
                .to_string(),
        );
    }
    out.push("<!-- One task per line: `- [ ] lane: Title — DoD: … | Trace: … | K: key | Dep: k1,k2 | P: URGENT|HIGH|NORMAL|LOW | R: LOW|MEDIUM|HIGH`. A lower P is more urgent. `[x]` lines are not imported. Keys stay stable across drafts; `Dep` names keys. -->".to_string());
    out
}

/// Options of [`draft`].
#[derive(Debug, Clone)]
pub struct DraftOptions {
    /// Draft even when a root is not in EXECUTION mode.
    pub force: bool,
    /// The time in the file name.
    pub now: jiff::Timestamp,
}

impl DraftOptions {
    /// Options with the current time.
    pub fn now(force: bool) -> DraftOptions {
        DraftOptions {
            force,
            now: jiff::Timestamp::now(),
        }
    }
}

/// One written draft.
#[derive(Debug, Clone, Serialize)]
pub struct Drafted {
    /// The root, relative to the project.
    pub root: String,
    pub mode: Mode,
    /// The file written.
    pub path: PathBuf,
    /// The plan (also its JSON form through [`Plan::json`]).
    #[serde(skip)]
    pub plan: Plan,
    /// The Markdown written.
    #[serde(skip)]
    pub text: String,
}

/// Draft a plan for every root of the project at `dir` and write each to
/// `<root>/PLANS/draft-<timestamp>.md`. Refuses (writing nothing) while any root is not in
/// EXECUTION mode, unless `opts.force`; a project without documents (PRE_INIT) is refused even
/// then.
pub fn draft(dir: &Path, opts: &DraftOptions) -> Result<Vec<Drafted>, PlanError> {
    let project = Project::open(dir, false)?;
    if project.roots.is_empty() {
        return Err(PlanError::NoRoots(dir.display().to_string()));
    }
    let mut work = Vec::new();
    let mut refused = Vec::new();
    for r in &project.roots {
        let root = relative_root(dir, r);
        let loaded = load::load_root(&root);
        let readiness = engine::readiness_of(&root, &loaded, &project.config);
        let ready = readiness.mode == Mode::Execution;
        if !ready && (!opts.force || readiness.mode == Mode::PreInit) {
            refused.push(NotReady {
                root: r.display.clone(),
                mode: readiness.mode,
                missing: missing(&readiness),
            });
            continue;
        }
        work.push((r.clone(), root, loaded, readiness.mode));
    }
    if !refused.is_empty() {
        return Err(PlanError::NotReady(refused));
    }
    let stamp = opts.now.strftime("%Y%m%dT%H%M%SZ").to_string();
    let mut out = Vec::new();
    for (shown, root, loaded, mode) in work {
        let p = plan_root(&root, &loaded, &project.config);
        let text = plan::render(&p, &preface(&root, &loaded, mode));
        let plans = shown.dir.join(PLANS_DIR);
        std::fs::create_dir_all(&plans)
            .map_err(|e| PlanError::Io(format!("cannot create {}: {e}", plans.display())))?;
        let path = free_name(&plans, &stamp);
        write_atomic(&path, text.as_bytes())?;
        out.push(Drafted {
            root: root.display.clone(),
            mode,
            path,
            plan: p,
            text,
        });
    }
    Ok(out)
}

/// `draft-<stamp>.md`, or `draft-<stamp>-2.md`, … — the first that does not exist.
fn free_name(plans: &Path, stamp: &str) -> PathBuf {
    let first = plans.join(format!("{DRAFT_PREFIX}{stamp}.md"));
    if !first.exists() {
        return first;
    }
    (2u32..)
        .map(|n| plans.join(format!("{DRAFT_PREFIX}{stamp}-{n}.md")))
        .find(|p| !p.exists())
        .unwrap_or(first)
}

/// The order of draft names: by timestamp, then by clash counter (`-2` after none).
fn draft_order(name: &str) -> Option<(String, u32)> {
    let stem = name.strip_prefix(DRAFT_PREFIX)?.strip_suffix(".md")?;
    match stem.rsplit_once('-') {
        Some((ts, n)) if n.bytes().all(|b| b.is_ascii_digit()) && !n.is_empty() => {
            Some((ts.to_string(), n.parse().unwrap_or(0)))
        }
        _ => Some((stem.to_string(), 1)),
    }
}

/// The newest `draft-*.md` of the project's roots. Several roots with drafts are ambiguous.
pub fn newest_draft(dir: &Path) -> Result<PathBuf, PlanError> {
    let project = Project::open(dir, false)?;
    let mut found: Vec<(String, PathBuf)> = Vec::new();
    for r in &project.roots {
        let plans = r.dir.join(PLANS_DIR);
        let Ok(rd) = std::fs::read_dir(&plans) else {
            continue;
        };
        let newest = rd
            .flatten()
            .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
            .filter_map(|e| {
                let name = e.file_name().to_string_lossy().to_string();
                draft_order(&name).map(|o| (o, e.path()))
            })
            .max_by(|a, b| a.0.cmp(&b.0));
        if let Some((_, p)) = newest {
            found.push((r.display.clone(), p));
        }
    }
    match found.len() {
        0 => Err(PlanError::NoPlan(format!(
            "no draft plan in {}: run `mesh plan draft` first, or name the plan file",
            project
                .roots
                .iter()
                .map(|r| format!("{}/{PLANS_DIR}/", r.display))
                .collect::<Vec<_>>()
                .join(", ")
        ))),
        1 => Ok(found.remove(0).1),
        _ => Err(PlanError::NoPlan(format!(
            "several roots have draft plans ({}): name the plan file to accept",
            found
                .iter()
                .map(|(r, _)| r.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

/// Read and parse a plan file; errors carry the line numbers.
pub fn read_plan(path: &Path) -> Result<(Plan, String), PlanError> {
    let text = match load::read_text(path) {
        Ok(t) => t,
        Err(ReadProblem::Missing) => {
            return Err(PlanError::Read {
                message: format!("{} does not exist", path.display()),
                help: "name an existing plan file, or run `mesh plan draft`".into(),
            });
        }
        Err(ReadProblem::Problem(message, help, _)) => {
            return Err(PlanError::Read { message, help });
        }
    };
    let plan = plan::parse(&text).map_err(|errors| PlanError::Invalid {
        file: path.display().to_string(),
        errors,
    })?;
    Ok((plan, text))
}

/// What [`accept`] did.
#[derive(Debug, Clone, Serialize)]
pub struct Accepted {
    /// The plan file.
    pub file: PathBuf,
    /// The plan name the store files the tasks under (`# Plan: NAME`, else the file stem).
    pub plan: String,
    /// SHA-256 of the plan file as read.
    pub sha256: String,
    /// Where the store is (password removed).
    pub store: String,
    /// Tasks in the plan, and how many of them are checked `[x]` (not imported).
    pub tasks: usize,
    pub skipped_done: usize,
    /// The store's report: added, unchanged, changed (not applied), disappeared.
    #[serde(flatten)]
    pub report: AcceptReport,
    /// The sequence number of the `plan_accept` ledger entry, when the acceptance changed
    /// something (an acceptance that added nothing is not recorded).
    pub ledger_seq: Option<u64>,
}

impl Accepted {
    /// The `data` of the `plan_accept` ledger entry [`accept`] appends for this acceptance.
    pub fn ledger_data(&self) -> serde_json::Value {
        serde_json::json!({
            "plan": self.plan,
            "file": self.file.display().to_string(),
            "sha256": self.sha256,
            "added": self.report.added.iter().map(|a| &a.key).collect::<Vec<_>>(),
            "unchanged": self.report.unchanged.len(),
            "changed": self.report.changed.iter().map(|c| &c.key).collect::<Vec<_>>(),
            "disappeared": self.report.disappeared.iter().map(|d| &d.key).collect::<Vec<_>>(),
        })
    }
}

/// Accept the plan at `file` (default: the newest draft of the project at `dir`) into the store
/// at `location`, as `actor`. The file is parsed and checked before the store is opened: a plan
/// with errors imports nothing and creates no store.
///
/// An acceptance that added tasks is recorded in the project's ledger
/// (`<dir>/.mesh/ledger.jsonl`) as a `plan_accept` entry ([`Accepted::ledger_data`]); one that
/// added nothing is not. A damaged ledger refuses the acceptance before the store is touched.
pub fn accept(
    dir: &Path,
    file: Option<&Path>,
    location: &StoreLocation,
    actor: &str,
) -> Result<Accepted, PlanError> {
    let file = match file {
        Some(f) => f.to_path_buf(),
        None => newest_draft(dir)?,
    };
    let (parsed, text) = read_plan(&file)?;
    let name = parsed.name.clone().unwrap_or_else(|| {
        file.file_stem()
            .map(|s| s.to_string_lossy().to_string())
            .unwrap_or_else(|| "plan".into())
    });
    // Plan-internal problems first (no store needed), then the ones that need the store.
    let plan_keys: HashSet<&str> = parsed.tasks.iter().map(|t| t.key.as_str()).collect();
    let needs_store = parsed
        .open_tasks()
        .flat_map(|t| t.deps.iter())
        .any(|d| !plan_keys.contains(d.as_str()))
        || parsed.tasks.iter().any(|t| t.done);
    // Taking every outside key as known leaves the errors that need no store: duplicate keys,
    // self-dependencies and cycles.
    let errors = plan::check(&parsed, &|_| true);
    if !errors.is_empty() {
        return Err(PlanError::Invalid {
            file: file.display().to_string(),
            errors: PlanErrors(errors),
        });
    }
    let ledger_path = ledger::path_in(dir);
    let chain = ledger::verify(&ledger_path)?;
    if let Some(p) = chain.problem {
        return Err(PlanError::Ledger(LedgerError::Damaged {
            path: chain.path,
            line: p.line,
            detail: p.detail,
        }));
    }
    let store = Store::open(location)?;
    if needs_store {
        let known: HashSet<String> = store
            .list_tasks(&TaskFilter::default())?
            .into_iter()
            .filter_map(|t| t.key)
            .collect();
        let errors = plan::check(&parsed, &|k| known.contains(k));
        if !errors.is_empty() {
            return Err(PlanError::Invalid {
                file: file.display().to_string(),
                errors: PlanErrors(errors),
            });
        }
    }
    let tasks: Vec<PlanTask> = parsed
        .open_tasks()
        .map(|t| PlanTask {
            key: t.key.clone(),
            title: t.title.clone(),
            lane: t.lane.clone(),
            priority: i64::from(t.priority),
            risk: t.risk,
            trace: t.trace.clone(),
            dod: t.dod.clone(),
            deps: t.deps.clone(),
        })
        .collect();
    let report = store.accept_plan(&name, &tasks, actor)?;
    let mut accepted = Accepted {
        file,
        plan: name,
        sha256: hex(&Sha256::digest(text.as_bytes())),
        store: location.to_string(),
        tasks: parsed.tasks.len(),
        skipped_done: parsed.tasks.iter().filter(|t| t.done).count(),
        report,
        ledger_seq: None,
    };
    if !accepted.report.is_noop() {
        let entry = ledger::append(&ledger_path, "plan_accept", actor, accepted.ledger_data())
            .map_err(|source| PlanError::LedgerAfterAccept {
                added: accepted.report.added.len(),
                source,
            })?;
        accepted.ledger_seq = Some(entry.seq);
    }
    Ok(accepted)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The dependency graph of the plan at `file`, or — without a file — of the plan every root's
/// documents give now (nothing is written; readiness is not required).
pub fn graph(dir: &Path, file: Option<&Path>, format: GraphFormat) -> Result<String, PlanError> {
    if let Some(f) = file {
        let (p, _) = read_plan(f)?;
        return Ok(plan::graph(&p, format));
    }
    let project = Project::open(dir, false)?;
    if project.roots.is_empty() {
        return Err(PlanError::NoRoots(dir.display().to_string()));
    }
    let mut all = Plan::default();
    for r in &project.roots {
        let root = relative_root(dir, r);
        let loaded = load::load_root(&root);
        all.tasks
            .extend(plan_root(&root, &loaded, &project.config).tasks);
    }
    Ok(plan::graph(&all, format))
}

/// Task counts by status for `mesh status`, from the store of the project at `dir` (`flag` is
/// `--store`): `Ok(None)` when there is no store yet — a SQLite file that does not exist is
/// never created here ([`crate::store::open_existing`]).
pub fn task_counts(
    dir: &Path,
    config: &Config,
    flag: Option<&str>,
) -> Result<Option<TaskCounts>, PlanError> {
    let Some(store) = store::open_existing(dir, config, flag)? else {
        return Ok(None);
    };
    let mut c = TaskCounts::default();
    for (status, n) in store.status_counts()? {
        let n = usize::try_from(n).unwrap_or(0);
        match status {
            Status::Pending => c.pending = n,
            Status::InProgress => c.in_progress = n,
            Status::Reviewing => c.reviewing = n,
            Status::Completed => c.completed = n,
            Status::Blocked => c.blocked = n,
            Status::Failed => c.failed = n,
            Status::Cancelled => c.cancelled = n,
        }
    }
    Ok(Some(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draft_names_order_by_time_then_counter() {
        let mut names = vec![
            "draft-20260101T000000Z-2.md",
            "draft-20260101T000000Z.md",
            "draft-20251231T235959Z.md",
            "draft-20260101T000000Z-10.md",
        ];
        names.sort_by_key(|n| draft_order(n));
        assert_eq!(
            names,
            vec![
                "draft-20251231T235959Z.md",
                "draft-20260101T000000Z.md",
                "draft-20260101T000000Z-2.md",
                "draft-20260101T000000Z-10.md",
            ]
        );
        assert_eq!(draft_order("notes.md"), None);
    }

    #[test]
    fn priorities_mean_the_same_in_plan_and_store() {
        use mesh_docs::plan::priority as p;
        use mesh_store::priority as s;
        assert_eq!(i64::from(p::URGENT), s::URGENT);
        assert_eq!(i64::from(p::HIGH), s::HIGH);
        assert_eq!(i64::from(p::NORMAL), s::NORMAL);
        assert_eq!(i64::from(p::LOW), s::LOW);
        assert_eq!(i64::from(p::MAX), s::MAX);
        for name in [
            "URGENT", "high", "Normal", "LOW", "0", "7", "P2", "10", "soon",
        ] {
            assert_eq!(p::parse(name).map(i64::from), s::parse(name), "{name}");
        }
    }
}
