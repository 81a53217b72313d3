//! `ship`: decide whether the batch can ship, and ship it — a `ship` ledger entry and an
//! annotated git tag at HEAD.
//!
//! The conditions, each reported with `name`, `ok` and `detail`:
//! - `documents`: every document root is in EXECUTION mode;
//! - `active_spec`: ACTIVE_SPEC.md is what `mesh hydrate` would write (what `mesh hydrate
//!   --check` tests);
//! - `check`: `mesh check` (the rules, with the staged-changes history rules) finds no error;
//! - `high_risk`: no HIGH-risk task in review or completed lacks a passing verification;
//! - `batch`: every task of the batch is completed or deferred. The batch is the tasks created
//!   after the last `ship` ledger entry (all tasks when there is none). A task is deferred when
//!   it is cancelled, or when an active row of a decision log names its id (`T-12`) or its key
//!   (`backend:login`) as a whole word in any cell;
//! - `ledger`: `.mesh/ledger.jsonl` verifies;
//! - `tree`: the project is in a git working tree with a commit, and nothing is uncommitted
//!   (untracked files that are not ignored count). The ledger and the store live in `.mesh/`,
//!   which `mesh init` puts in .gitignore, so recording a ship leaves the tree clean.
//!
//! Shipping creates the tag first and then appends the ledger entry; when the append fails the
//! tag is deleted again, so a tag never exists without its entry. `--push` is checked (a remote
//! named `origin`) before anything is written, and pushes the tag last.

use std::path::Path;
use std::process::{Command, Stdio};

use serde::Serialize;

use mesh_check::engine::{self, Selection};
use mesh_check::history::{self, Collected, HistoryMode};
use mesh_check::readiness::Mode;
use mesh_docs::decision::Status as DecisionStatus;
use mesh_docs::{DecisionLog, DocKind};
use mesh_store::{Status, Store, Task, TaskFilter, display_id};

use crate::hydrate::{self, HydrateError};
use crate::ledger;
use crate::project::Project;
use crate::status;

/// `schema_version` of the JSON report.
pub const SCHEMA_VERSION: u32 = 1;

/// The ledger entry kind of a ship.
pub const SHIP_KIND: &str = "ship";

/// At most this many items are named in one condition's detail.
const NAMED: usize = 5;

/// One condition of shipping.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Condition {
    pub name: &'static str,
    pub ok: bool,
    pub detail: String,
}

fn cond(name: &'static str, ok: bool, detail: impl Into<String>) -> Condition {
    Condition {
        name,
        ok,
        detail: detail.into(),
    }
}

/// A task of the batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BatchTask {
    /// `T-12`.
    pub id: String,
    pub key: Option<String>,
    pub title: String,
    pub status: Status,
    /// Why it is deferred: `cancelled`, or `decision <ID>`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deferred_by: Option<String>,
}

/// The tasks of the batch, sorted by id.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Batch {
    /// When the last ship read its batch (this batch is what was created after it), if any.
    pub since: Option<String>,
    /// When this batch was read: the next ship's `since`.
    pub until: Option<String>,
    /// Completed: these ship.
    pub completed: Vec<BatchTask>,
    /// Cancelled, or named by an active decision.
    pub deferred: Vec<BatchTask>,
    /// Neither: these keep the batch from shipping.
    pub open: Vec<BatchTask>,
}

/// What `ship` found and did.
#[derive(Debug, Clone, Serialize)]
pub struct ShipReport {
    pub schema_version: u32,
    /// Every condition holds.
    pub ready: bool,
    pub dry_run: bool,
    pub conditions: Vec<Condition>,
    pub batch: Batch,
    /// HEAD, when there is one.
    pub commit: Option<String>,
    /// The tag created (or, in a dry run that is ready, the tag that would be created).
    pub tag: Option<String>,
    /// Whether the tag was created and the ship recorded.
    pub shipped: bool,
    /// The sequence number of the `ship` ledger entry.
    pub ledger_seq: Option<u64>,
    /// Whether the tag was pushed to `origin`.
    pub pushed: bool,
}

/// How to ship.
#[derive(Debug, Clone, Default)]
pub struct ShipOptions {
    /// Report only; create nothing.
    pub dry_run: bool,
    /// The tag name (default `ship-YYYYMMDD-N`, the first N free).
    pub tag: Option<String>,
    /// Push the tag to `origin` after shipping.
    pub push: bool,
    /// Who ships (the ledger entry's actor).
    pub actor: String,
}

/// Why shipping stopped. Each message says what to do.
#[derive(Debug, thiserror::Error)]
pub enum ShipError {
    #[error(
        "--push needs a remote named `origin`, and this repository has none: add it (`git remote add origin URL`) or ship without --push; nothing was created"
    )]
    NoRemote,
    #[error("the tag `{0}` already exists: choose another name with --tag; nothing was created")]
    TagExists(String),
    #[error("`{name}` is not a valid tag name ({reason}); nothing was created")]
    BadTagName { name: String, reason: String },
    #[error(
        "git has no identity for the tag's tagger: set one with `git config user.name NAME` and `git config user.email EMAIL`; nothing was created"
    )]
    NoIdentity,
    #[error("cannot create the tag `{name}`: {reason}; nothing was recorded")]
    Tag { name: String, reason: String },
    #[error(
        "the ship entry could not be appended to the ledger, so the tag `{tag}` was deleted again: {source}"
    )]
    Ledger {
        tag: String,
        #[source]
        source: ledger::LedgerError,
    },
    #[error(
        "the tag `{tag}` was created and the ship recorded, but pushing it failed: {stderr}; retry with `git push origin refs/tags/{tag}`"
    )]
    Push { tag: String, stderr: String },
    #[error("{0}")]
    Git(String),
}

/// Check every condition. Writes nothing.
pub fn assess(project: &Project, store: Option<&Store>, dir: &Path) -> ShipReport {
    let history = staged_history(project, dir);
    let reports = engine::check_roots_with_history(
        project.roots.clone(),
        &project.config,
        &Selection::default(),
        history.as_ref().ok().and_then(Option::as_ref),
    );
    let mut conditions = Vec::with_capacity(7);

    // documents
    let present: Vec<&engine::RootReport> = reports
        .iter()
        .filter(|r| !r.loaded.docs.docs.is_empty() || !r.loaded.unreadable.is_empty())
        .collect();
    let not_ready: Vec<String> = present
        .iter()
        .filter(|r| r.readiness.mode != Mode::Execution)
        .map(|r| {
            let below: Vec<&str> = r
                .readiness
                .documents
                .iter()
                .filter(|d| d.threshold.is_some() && !d.ready)
                .map(|d| d.kind.as_str())
                .collect();
            format!(
                "{} is {} (below threshold: {})",
                r.root.display,
                r.readiness.mode.as_str(),
                below.join(", ")
            )
        })
        .collect();
    conditions.push(if present.is_empty() {
        cond(
            "documents",
            false,
            "no documents found: run `mesh init` and fill them",
        )
    } else if not_ready.is_empty() {
        cond(
            "documents",
            true,
            "EXECUTION: every governed document is ready",
        )
    } else {
        cond(
            "documents",
            false,
            format!("{}; run `mesh status`", not_ready.join("; ")),
        )
    });

    conditions.push(active_spec(project));

    // check
    let mut errors: Vec<String> = Vec::new();
    let mut n_errors = 0usize;
    for r in &reports {
        for d in &r.diagnostics {
            if d.severity == mesh_check::diagnostic::Severity::Error {
                n_errors += 1;
                if errors.len() < NAMED {
                    errors.push(format!(
                        "{} {}:{} {}",
                        d.code, d.location.file, d.location.line, d.message
                    ));
                }
            }
        }
    }
    let history_problem = history.err();
    conditions.push(match (n_errors, history_problem) {
        (_, Some(e)) => cond("check", false, format!("the history rules cannot run: {e}")),
        (0, None) => cond("check", true, "`mesh check` finds no error"),
        (n, None) => cond(
            "check",
            false,
            format!(
                "`mesh check` finds {n} error(s): {}{}; run `mesh check`",
                errors.join("; "),
                if n > errors.len() { "; …" } else { "" }
            ),
        ),
    });

    conditions.push(high_risk(store));

    let (batch_cond, batch) = batch(project, store, dir);
    conditions.push(batch_cond);

    conditions.push(ledger_condition(dir));

    let (tree_cond, commit) = tree(dir);
    conditions.push(tree_cond);

    let ready = conditions.iter().all(|c| c.ok);
    ShipReport {
        schema_version: SCHEMA_VERSION,
        ready,
        dry_run: true,
        conditions,
        batch,
        commit,
        tag: None,
        shipped: false,
        ledger_seq: None,
        pushed: false,
    }
}

/// The staged-changes history facts, as `mesh check` without `--base` gathers them; `Ok(None)`
/// outside git.
fn staged_history(
    project: &Project,
    dir: &Path,
) -> Result<Option<history::HistoryFacts>, history::HistoryError> {
    match history::collect(
        dir,
        &project.roots,
        &HistoryMode::Staged,
        &project.config.policy,
    )? {
        Collected::Facts(f) => Ok(Some(f)),
        Collected::Skipped { .. } => Ok(None),
    }
}

fn active_spec(project: &Project) -> Condition {
    let mut stale = Vec::new();
    let mut fresh = 0usize;
    for root in &project.roots {
        match hydrate::plan(root) {
            Ok(h) if h.changed => stale.push(h.display_path),
            Ok(_) => fresh += 1,
            Err(HydrateError::NoSources { .. }) => {}
            Err(e) => return cond("active_spec", false, e.to_string()),
        }
    }
    if !stale.is_empty() {
        cond(
            "active_spec",
            false,
            format!(
                "{} is stale (not what PRD, SPEC and the decision log give): run `mesh hydrate` and commit it",
                stale.join(", ")
            ),
        )
    } else if fresh == 0 {
        cond(
            "active_spec",
            false,
            "nothing to hydrate from: run `mesh init`",
        )
    } else {
        cond("active_spec", true, "ACTIVE_SPEC is up to date")
    }
}

fn named(ids: &[String]) -> String {
    let mut s = ids
        .iter()
        .take(NAMED)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if ids.len() > NAMED {
        s.push_str(&format!(" and {} more", ids.len() - NAMED));
    }
    s
}

fn high_risk(store: Option<&Store>) -> Condition {
    let Some(store) = store else {
        return cond("high_risk", true, "no task store: no HIGH-risk task");
    };
    match store.unverified_high_risk() {
        Err(e) => cond(
            "high_risk",
            false,
            format!("cannot read the task store: {e}"),
        ),
        Ok(t) if t.is_empty() => cond("high_risk", true, "no HIGH-risk task is unverified"),
        Ok(t) => {
            let ids: Vec<String> = t.iter().map(|t| display_id(t.id)).collect();
            cond(
                "high_risk",
                false,
                format!(
                    "{} HIGH-risk task(s) without a passing verification: {}; run `mesh task verify {}`",
                    ids.len(),
                    named(&ids),
                    ids[0]
                ),
            )
        }
    }
}

/// An active decision row: its id and the text of its cells.
struct ActiveRow {
    id: String,
    text: String,
}

fn active_rows(project: &Project) -> Vec<ActiveRow> {
    let mut rows = Vec::new();
    for root in &project.roots {
        let path = root.dir.join(DocKind::DecisionLog.file_name());
        let Ok(text) = mesh_check::load::read_text(&path) else {
            continue;
        };
        let doc = mesh_docs::Document::parse(
            DocKind::DecisionLog,
            root.file_display(DocKind::DecisionLog),
            text,
        );
        let log = DecisionLog::from_document(&doc);
        for d in log.decisions() {
            if d.status != DecisionStatus::Active {
                continue;
            }
            let text = d
                .cell_texts(&doc.text)
                .map(|(_, c)| c)
                .collect::<Vec<_>>()
                .join(" | ");
            rows.push(ActiveRow {
                id: d.id.clone(),
                text,
            });
        }
    }
    rows
}

/// Whether `needle` occurs in `hay` as a whole word: not preceded or followed by a letter, a
/// digit, `_`, `-` or `:` (so `T-1` is not found in `T-12`). ASCII case is ignored.
pub fn names_word(hay: &str, needle: &str) -> bool {
    let needle = needle.trim();
    if needle.is_empty() {
        return false;
    }
    let hay_l = hay.to_ascii_lowercase();
    let needle_l = needle.to_ascii_lowercase();
    let word = |c: char| c.is_alphanumeric() || matches!(c, '_' | '-' | ':');
    let mut from = 0;
    while let Some(pos) = hay_l[from..].find(&needle_l) {
        let start = from + pos;
        let end = start + needle_l.len();
        let before = hay_l[..start].chars().next_back();
        let after = hay_l[end..].chars().next();
        if !before.is_some_and(word) && !after.is_some_and(word) {
            return true;
        }
        from = start + needle_l.len().max(1);
        while from < hay_l.len() && !hay_l.is_char_boundary(from) {
            from += 1;
        }
    }
    false
}

/// When the last `ship` entry of the ledger read its batch (`Ok(None)` when there is none). Entries are
/// read line by line without judging the chain: a damaged ledger fails the `ledger` condition,
/// and the batch is still told from what can be read.
fn last_ship(dir: &Path) -> Result<Option<jiff::Timestamp>, String> {
    let path = ledger::path_in(dir);
    let text = match std::fs::read(&path) {
        Ok(b) => String::from_utf8_lossy(&b).into_owned(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
    };
    let last = text
        .lines()
        .rev()
        .filter_map(|l| serde_json::from_str::<ledger::Entry>(l).ok())
        .find(|e| e.kind == SHIP_KIND);
    // `until` (when that ship read its batch) closes the batch; older entries have only `ts`.
    match last {
        None => Ok(None),
        Some(e) => {
            let at = e.data["until"].as_str().unwrap_or(&e.ts);
            at.parse::<jiff::Timestamp>()
                .map(Some)
                .map_err(|err| format!("ship entry {} has an unreadable time `{at}`: {err}", e.seq))
        }
    }
}

fn batch_task(t: &Task, deferred_by: Option<String>) -> BatchTask {
    BatchTask {
        id: display_id(t.id),
        key: t.key.clone(),
        title: t.title.clone(),
        status: t.status,
        deferred_by,
    }
}

fn batch(project: &Project, store: Option<&Store>, dir: &Path) -> (Condition, Batch) {
    let since = match last_ship(dir) {
        Ok(s) => s,
        Err(e) => {
            return (
                cond(
                    "batch",
                    false,
                    format!("cannot tell the batch from the ledger: {e}"),
                ),
                Batch::default(),
            );
        }
    };
    let mut b = Batch {
        since: since.map(|t| t.to_string()),
        until: Some(jiff::Timestamp::now().to_string()),
        ..Batch::default()
    };
    let Some(store) = store else {
        return (cond("batch", true, "no task store: no task to ship"), b);
    };
    let tasks = match store.list_tasks(&TaskFilter::default()) {
        Ok(t) => t,
        Err(e) => {
            return (
                cond("batch", false, format!("cannot read the task store: {e}")),
                b,
            );
        }
    };
    let rows = active_rows(project);
    let mut tasks: Vec<&Task> = tasks
        .iter()
        .filter(|t| since.is_none_or(|s| t.created_at > s))
        .collect();
    tasks.sort_by_key(|t| t.id);
    for t in tasks {
        let id = display_id(t.id);
        let decision = rows
            .iter()
            .find(|r| {
                names_word(&r.text, &id) || t.key.as_deref().is_some_and(|k| names_word(&r.text, k))
            })
            .map(|r| format!("decision {}", r.id));
        match t.status {
            Status::Completed => b.completed.push(batch_task(t, None)),
            Status::Cancelled => b.deferred.push(batch_task(
                t,
                Some(decision.unwrap_or_else(|| "cancelled".into())),
            )),
            _ if decision.is_some() => b.deferred.push(batch_task(t, decision)),
            _ => b.open.push(batch_task(t, None)),
        }
    }
    let scope = if b.since.is_some() {
        "created since the last ship"
    } else {
        "nothing shipped yet: every task"
    };
    let total = b.completed.len() + b.deferred.len() + b.open.len();
    let c = if total == 0 {
        cond("batch", true, format!("no task in the batch ({scope})"))
    } else if b.open.is_empty() {
        cond(
            "batch",
            true,
            format!(
                "{total} task(s) in the batch ({scope}): {} completed, {} deferred",
                b.completed.len(),
                b.deferred.len()
            ),
        )
    } else {
        let open: Vec<String> = b
            .open
            .iter()
            .map(|t| format!("{} ({})", t.id, t.status))
            .collect();
        cond(
            "batch",
            false,
            format!(
                "{} of {total} task(s) in the batch ({scope}) not finished: {}; complete them, or defer them with a decision naming them (`mesh decide add --type SCOPE --decision \"Defer {}\"`) or cancel them",
                b.open.len(),
                named(&open),
                b.open[0].id
            ),
        )
    };
    (c, b)
}

fn ledger_condition(dir: &Path) -> Condition {
    match ledger::verify(&ledger::path_in(dir)) {
        Err(e) => cond("ledger", false, e.to_string()),
        Ok(v) if v.ok => cond(
            "ledger",
            true,
            format!("{} entries, chain intact", v.entries),
        ),
        Ok(v) => {
            let p = v.problem.unwrap_or(ledger::Problem {
                line: 0,
                damage: ledger::Damage::Unreadable,
                detail: String::new(),
            });
            cond(
                "ledger",
                false,
                format!(
                    "{} is damaged at line {}: {}; run `mesh ledger verify` and restore it",
                    v.path, p.line, p.detail
                ),
            )
        }
    }
}

/// The tree condition and HEAD.
fn tree(dir: &Path) -> (Condition, Option<String>) {
    let repo = match mesh_git::Repo::discover_optional(dir) {
        Ok(Some(r)) => r,
        Ok(None) => {
            return (
                cond(
                    "tree",
                    false,
                    "not a git repository: shipping tags a commit; run `git init` and commit",
                ),
                None,
            );
        }
        Err(e) => return (cond("tree", false, e.to_string()), None),
    };
    let commit = repo.head_commit().ok().map(|c| c.to_string());
    let paths = match status::uncommitted(dir) {
        Ok(Some(p)) => p,
        Ok(None) => {
            return (
                cond(
                    "tree",
                    false,
                    "a bare repository has no working tree to ship",
                ),
                commit,
            );
        }
        Err(e) => return (cond("tree", false, e.to_string()), commit),
    };
    let c = if !paths.is_empty() {
        let mesh_hint = if paths
            .iter()
            .any(|p| p == ".mesh/" || p.starts_with(".mesh/") || p.contains("/.mesh/"))
        {
            " (.mesh/ holds the task store and the ledger: add `/.mesh/` to .gitignore)"
        } else {
            ""
        };
        cond(
            "tree",
            false,
            format!(
                "{} uncommitted path(s): {}; commit them first{mesh_hint}",
                paths.len(),
                named(&paths)
            ),
        )
    } else {
        match &commit {
            None => cond("tree", false, "no commit yet: commit the project first"),
            Some(c) => cond("tree", true, format!("clean at {}", &c[..c.len().min(12)])),
        }
    };
    (c, commit)
}

/// Check the conditions and, unless `opts.dry_run`, ship when they all hold: create the tag,
/// append the `ship` ledger entry, push when asked. A report that is not `ready` created
/// nothing.
pub fn ship(
    project: &Project,
    store: Option<&Store>,
    dir: &Path,
    opts: &ShipOptions,
) -> Result<ShipReport, ShipError> {
    let mut report = assess(project, store, dir);
    report.dry_run = opts.dry_run;
    if !report.ready {
        return Ok(report);
    }
    let repo = mesh_git::Repo::discover(dir).map_err(|e| ShipError::Git(e.to_string()))?;
    let name = match &opts.tag {
        Some(t) => {
            let t = t.trim().to_string();
            check_tag_name(&t)?;
            if tag_exists(&repo, &t) {
                return Err(ShipError::TagExists(t));
            }
            t
        }
        None => default_tag(&repo, &crate::decide::today_utc()),
    };
    report.tag = Some(name.clone());
    if opts.dry_run {
        return Ok(report);
    }
    let workdir = repo
        .workdir()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| dir.to_path_buf());
    if opts.push && !has_origin(&workdir) {
        return Err(ShipError::NoRemote);
    }
    let commit = repo
        .head_commit()
        .map_err(|e| ShipError::Git(e.to_string()))?;
    let message = tag_message(&name, &report.batch);
    create_tag(&repo, &name, commit, &message)?;
    let data = serde_json::json!({
        "tag": name,
        "commit": commit.to_string(),
        "tasks": report.batch.completed.iter().map(|t| t.id.clone()).collect::<Vec<_>>(),
        "deferred": report.batch.deferred.iter()
            .map(|t| serde_json::json!({"id": t.id, "by": t.deferred_by}))
            .collect::<Vec<_>>(),
        "since": report.batch.since,
        "until": report.batch.until,
        "conditions": report.conditions,
    });
    let entry = match ledger::append(&ledger::path_in(dir), SHIP_KIND, &opts.actor, data) {
        Ok(e) => e,
        Err(source) => {
            delete_tag(&repo, &name);
            return Err(ShipError::Ledger { tag: name, source });
        }
    };
    report.shipped = true;
    report.ledger_seq = Some(entry.seq);
    report.commit = Some(commit.to_string());
    if opts.push {
        push_tag(&workdir, &name)?;
        report.pushed = true;
    }
    Ok(report)
}

fn check_tag_name(name: &str) -> Result<(), ShipError> {
    let bad = |reason: &str| ShipError::BadTagName {
        name: name.to_string(),
        reason: reason.to_string(),
    };
    if name.is_empty() {
        return Err(bad("it is empty"));
    }
    if name.starts_with('-') {
        return Err(bad("it starts with `-`"));
    }
    gix::refs::FullName::try_from(format!("refs/tags/{name}"))
        .map(|_| ())
        .map_err(|e| bad(&e.to_string()))
}

fn tag_exists(repo: &mesh_git::Repo, name: &str) -> bool {
    repo.gix()
        .try_find_reference(format!("refs/tags/{name}").as_str())
        .ok()
        .flatten()
        .is_some()
}

/// `ship-YYYYMMDD-N` with the first N (from 1) not yet taken.
fn default_tag(repo: &mesh_git::Repo, today: &str) -> String {
    let date: String = today.chars().filter(char::is_ascii_digit).collect();
    let mut n = 1u32;
    loop {
        let name = format!("ship-{date}-{n}");
        if !tag_exists(repo, &name) {
            return name;
        }
        n += 1;
    }
}

/// The annotated tag's message: the tag, the shipped tasks and the deferred ones.
pub fn tag_message(name: &str, batch: &Batch) -> String {
    let mut m = format!("Ship {name}\n\n");
    if batch.completed.is_empty() {
        m.push_str("No task completed in this batch.\n");
    } else {
        m.push_str("Shipped tasks:\n");
        for t in &batch.completed {
            m.push_str(&format!("- {} {}\n", t.id, t.title));
        }
    }
    if !batch.deferred.is_empty() {
        m.push_str("\nDeferred:\n");
        for t in &batch.deferred {
            m.push_str(&format!(
                "- {} {} ({})\n",
                t.id,
                t.title,
                t.deferred_by.as_deref().unwrap_or("deferred")
            ));
        }
    }
    m
}

fn create_tag(
    repo: &mesh_git::Repo,
    name: &str,
    commit: mesh_git::ObjectId,
    message: &str,
) -> Result<(), ShipError> {
    let g = repo.gix();
    let tagger = match g.committer() {
        None => return Err(ShipError::NoIdentity),
        Some(Err(e)) => {
            return Err(ShipError::Tag {
                name: name.to_string(),
                reason: format!("git's committer identity is unreadable: {e}"),
            });
        }
        Some(Ok(sig)) => sig,
    };
    g.tag(
        name,
        commit,
        gix::object::Kind::Commit,
        Some(tagger),
        message,
        gix::refs::transaction::PreviousValue::MustNotExist,
    )
    .map(|_| ())
    .map_err(|e| ShipError::Tag {
        name: name.to_string(),
        reason: e.to_string(),
    })
}

fn delete_tag(repo: &mesh_git::Repo, name: &str) {
    if let Ok(r) = repo
        .gix()
        .find_reference(format!("refs/tags/{name}").as_str())
    {
        let _ = r.delete();
    }
}

fn git(workdir: &Path) -> Command {
    let mut c = Command::new("git");
    c.current_dir(workdir).stdin(Stdio::null());
    c
}

fn has_origin(workdir: &Path) -> bool {
    git(workdir)
        .args(["remote", "get-url", "origin"])
        .output()
        .is_ok_and(|o| o.status.success())
}

fn push_tag(workdir: &Path, name: &str) -> Result<(), ShipError> {
    let out = git(workdir)
        .args(["push", "origin", &format!("refs/tags/{name}")])
        .output()
        .map_err(|e| ShipError::Push {
            tag: name.to_string(),
            stderr: format!("cannot run git: {e}"),
        })?;
    if out.status.success() {
        Ok(())
    } else {
        Err(ShipError::Push {
            tag: name.to_string(),
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_task_is_named_only_as_a_whole_word() {
        assert!(names_word("Defer T-12 to the next batch", "T-12"));
        assert!(names_word("defer (t-12).", "T-12"));
        assert!(!names_word("Defer T-123", "T-12"));
        assert!(!names_word("Defer XT-12", "T-12"));
        assert!(names_word("drop `backend:login` for now", "backend:login"));
        assert!(!names_word("backend:login2 later", "backend:login"));
        assert!(!names_word("backend:login-v2 later", "backend:login"));
        assert!(!names_word("anything", ""));
        assert!(names_word("é T-1 é", "T-1"));
    }

    #[test]
    fn the_tag_message_lists_shipped_and_deferred_tasks() {
        let t = |id: &str, title: &str, by: Option<&str>| BatchTask {
            id: id.into(),
            key: None,
            title: title.into(),
            status: Status::Completed,
            deferred_by: by.map(str::to_string),
        };
        let b = Batch {
            since: None,
            until: None,
            completed: vec![t("T-1", "Login", None)],
            deferred: vec![t("T-2", "Export", Some("decision 004"))],
            open: vec![],
        };
        let m = tag_message("ship-20260101-1", &b);
        assert!(m.starts_with("Ship ship-20260101-1\n"));
        assert!(m.contains("- T-1 Login\n"));
        assert!(m.contains("- T-2 Export (decision 004)\n"));
        assert!(tag_message("x", &Batch::default()).contains("No task completed"));
    }
}
