//! `mesh task`: the task store from the command line.
//!
//! Thin: every operation is one `mesh_store::Store` call. The store is chosen by `--store`, then
//! `MESH_STORE`, then `[store] url` in mesh.toml, else `.mesh/mesh.db` at the project root (the
//! nearest directory upwards holding mesh.toml or .git).
//!
//! Exit codes: 0 done (also when `next` finds nothing claimable: `task` is null); 1 refused by
//! the rules (illegal transition, someone else's claim, open dependencies, invalid input); 2 the
//! store cannot be used (unreachable, locked, corrupt), an unknown task, or a usage error.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;
use mesh_service::review::{self, ReviewError};
use mesh_store::{
    NewTask, Risk, Status, Store, StoreError, Task, TaskDetail, TaskFilter, display_id, priority,
};
use serde::Serialize;
use serde_json::json;

use crate::output;

mod evidence;

/// The version of the JSON documents printed with `--format json`.
pub const SCHEMA_VERSION: u32 = 1;

/// Work with tasks: list, add, claim, renew, submit, review.
///
/// Priority: a lower number is more urgent (0 URGENT, 1 HIGH, 2 NORMAL, 3 LOW; up to 9).
/// States: pending → in_progress → reviewing → completed, and blocked, failed, cancelled.
/// Nothing reaches completed except through `mesh task review ID --approve`.
/// A claim holds a lease (default 300 s) renewed by `heartbeat`; an expired lease returns the task
/// to pending on the next pick or `mesh task reap`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  mesh task add \"Build the login API\" --lane backend --priority HIGH --dod \"tests pass\"\n  mesh task next --worker agent-1 --format json\n  mesh task heartbeat 12 --worker agent-1\n  mesh task submit 12 --worker agent-1 --note \"done\"\n  mesh task review 12 --approve --note \"checked\"\n  mesh task list --status pending --format json"
)]
pub struct Args {
    /// The store: a postgres:// URL or a SQLite file path (default: MESH_STORE, then
    /// [store] url in mesh.toml, then .mesh/mesh.db at the project root).
    #[arg(long, global = true, value_name = "URL|PATH")]
    pub store: Option<String>,
    /// Output format.
    #[arg(long, global = true, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    #[command(subcommand)]
    pub command: Sub,
}

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// For people.
    Human,
    /// For programs (`schema_version`, then the data).
    Json,
}

#[derive(Debug, clap::Subcommand)]
pub enum Sub {
    /// List tasks (by id).
    List(ListArgs),
    /// Show one task with its history.
    Show(IdArg),
    /// Add a task (pending).
    Add(AddArgs),
    /// Pick the most urgent claimable task and claim it (lanes round-robin); prints null when
    /// nothing is claimable.
    Next(NextArgs),
    /// Claim a given task.
    Claim(ClaimArgs),
    /// Renew the lease of your claim.
    Heartbeat(ClaimArgs),
    /// Give your claim back (pending), or give up on it with --fail (failed).
    Release(ReleaseArgs),
    /// Submit your claimed task for review; needs a verification (`mesh task verify`) taken on
    /// the current tree.
    Submit(SubmitArgs),
    /// Review a submitted task: --approve through the review gate (completed), or --reject (back
    /// to pending; the third rejection blocks it).
    Review(ReviewArgs),
    /// Ask a clarification about your claimed task: an URGENT clarification task, an OPEN
    /// QUESTION entry in INBOX.md, and your task blocked until the answer is in.
    Ask(AskArgs),
    /// Put a task aside (blocked).
    Block(NoteArgs),
    /// Return a blocked task to pending.
    Unblock(OptNoteArgs),
    /// Cancel a task.
    Cancel(NoteArgs),
    /// Return a completed, failed or cancelled task to pending.
    Reopen(NoteArgs),
    /// Return every expired claim to pending.
    Reap,
    /// Run the project's tests and record the result as the task's verification evidence.
    Verify(evidence::VerifyArgs),
    /// Record the size and repeated code of the task's change, or waive it (--waive).
    Simplify(evidence::SimplifyArgs),
}

#[derive(Debug, clap::Args)]
pub struct ListArgs {
    /// Only this status (pending, in_progress, reviewing, completed, blocked, failed, cancelled).
    #[arg(long, value_parser = parse_status)]
    pub status: Option<Status>,
    /// Only this lane.
    #[arg(long)]
    pub lane: Option<String>,
    /// Only this worker's tasks.
    #[arg(long)]
    pub worker: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct IdArg {
    /// Task id (12 or T-12) or key.
    pub id: String,
}

#[derive(Debug, clap::Args)]
pub struct AddArgs {
    /// What to do, in one line.
    pub title: String,
    /// Lane (backend, frontend, qa, ops, docs …).
    #[arg(long)]
    pub lane: String,
    /// URGENT, HIGH, NORMAL, LOW, or 0..9 (lower is more urgent).
    #[arg(long, value_parser = parse_priority, default_value = "NORMAL")]
    pub priority: i64,
    /// LOW, MEDIUM or HIGH; raised to the assessed risk when that is higher.
    #[arg(long, value_parser = parse_risk)]
    pub risk: Option<Risk>,
    /// The source item the task traces to (US1, a SPEC item).
    #[arg(long, default_value = "")]
    pub trace: String,
    /// Definition of done.
    #[arg(long, default_value = "")]
    pub dod: String,
    /// A task this one waits for (repeatable; id or key).
    #[arg(long = "dep", value_name = "ID")]
    pub deps: Vec<String>,
    /// A stable key (backend:login).
    #[arg(long)]
    pub key: Option<String>,
    /// Who adds it (default: MESH_ACTOR, git user, USER).
    #[arg(long)]
    pub by: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct NextArgs {
    /// The worker claiming.
    #[arg(long, env = "MESH_WORKER")]
    pub worker: String,
    /// Only from this lane.
    #[arg(long)]
    pub lane: Option<String>,
    /// Lease length in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 300)]
    pub lease: u64,
}

#[derive(Debug, clap::Args)]
pub struct ClaimArgs {
    /// Task id or key.
    pub id: String,
    /// The worker.
    #[arg(long, env = "MESH_WORKER")]
    pub worker: String,
    /// Lease length in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 300)]
    pub lease: u64,
}

#[derive(Debug, clap::Args)]
pub struct ReleaseArgs {
    /// Task id or key.
    pub id: String,
    /// The worker holding the claim.
    #[arg(long, env = "MESH_WORKER")]
    pub worker: String,
    /// Why.
    #[arg(long)]
    pub note: Option<String>,
    /// Give up: the task becomes failed (a note is required).
    #[arg(long)]
    pub fail: bool,
}

#[derive(Debug, clap::Args)]
pub struct SubmitArgs {
    /// Task id or key.
    pub id: String,
    /// The worker holding the claim.
    #[arg(long, env = "MESH_WORKER")]
    pub worker: String,
    /// What was done.
    #[arg(long)]
    pub note: Option<String>,
}

/// The review gate: `--approve` needs a passing verification on the current tree, a trace to
/// an item of the documents, simplification evidence or a waiver, no error from the STK, DEP,
/// GOV and DEC rules in the task's change, and for a HIGH-risk task a reviewer other than its
/// worker. A failed condition refuses (exit 1, nothing changes) unless `--override TEXT` passes
/// it: recorded as a decision row and in the ledger. The reviewer condition cannot be
/// overridden. Every review is a ledger entry.
#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("verdict").required(true).args(["approve", "reject"])))]
pub struct ReviewArgs {
    /// Task id or key.
    pub id: String,
    /// Accept the work through the review gate: the task becomes completed.
    #[arg(long)]
    pub approve: bool,
    /// Send it back: the task returns to pending (the third rejection blocks it).
    #[arg(long)]
    pub reject: bool,
    /// Why (required with --reject).
    #[arg(long)]
    pub note: Option<String>,
    /// The reviewer (default: MESH_ACTOR, git user.name, USER).
    #[arg(long = "reviewer", visible_alias = "by", value_name = "NAME")]
    pub by: Option<String>,
    /// Pass the failed gate conditions for this reason: a decision row in DECISION_LOG.md and
    /// an `override` ledger entry.
    #[arg(long = "override", value_name = "TEXT", requires = "approve")]
    pub override_reason: Option<String>,
    /// Tick the task's checklist item in SPEC or PRD (`- [ ]` → `- [x]`), that line only.
    #[arg(long, requires = "approve")]
    pub tick: bool,
}

#[derive(Debug, clap::Args)]
pub struct AskArgs {
    /// Task id or key (the task you hold).
    pub id: String,
    /// What you need to know to go on.
    #[arg(long)]
    pub question: String,
    /// The worker holding the claim.
    #[arg(long, env = "MESH_WORKER")]
    pub worker: String,
}

#[derive(Debug, clap::Args)]
pub struct NoteArgs {
    /// Task id or key.
    pub id: String,
    /// Why (required).
    #[arg(long)]
    pub note: String,
    /// Who (default: MESH_ACTOR, git user, USER).
    #[arg(long)]
    pub by: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct OptNoteArgs {
    /// Task id or key.
    pub id: String,
    /// Why.
    #[arg(long)]
    pub note: Option<String>,
    /// Who (default: MESH_ACTOR, git user, USER).
    #[arg(long)]
    pub by: Option<String>,
}

fn parse_status(s: &str) -> Result<Status, String> {
    Status::parse(s).ok_or_else(|| {
        format!("`{s}` is not a status: pending, in_progress, reviewing, completed, blocked, failed or cancelled")
    })
}

fn parse_priority(s: &str) -> Result<i64, String> {
    priority::parse(s).ok_or_else(|| {
        format!("`{s}` is not a priority: URGENT, HIGH, NORMAL, LOW or 0..9 (lower is more urgent)")
    })
}

fn parse_risk(s: &str) -> Result<Risk, String> {
    Risk::parse(s).ok_or_else(|| format!("`{s}` is not a risk: LOW, MEDIUM or HIGH"))
}

/// The nearest directory from `start` upwards holding mesh.toml or .git; `start` if none.
fn project_root(start: &Path) -> PathBuf {
    start
        .ancestors()
        .find(|d| d.join("mesh.toml").is_file() || d.join(".git").exists())
        .unwrap_or(start)
        .to_path_buf()
}

fn open_store(flag: Option<&str>) -> anyhow::Result<Store> {
    let cwd = std::env::current_dir().context("cannot read the current directory")?;
    let location = crate::cmd::serve::store_location(&project_root(&cwd), flag)?;
    Ok(Store::open(&location)?)
}

/// Who is acting: --by, else MESH_ACTOR, else the git user, else USER.
fn actor(by: Option<&str>) -> String {
    by.map(str::to_string)
        .or_else(|| std::env::var("MESH_ACTOR").ok())
        .filter(|s| !s.trim().is_empty())
        .or_else(|| {
            std::env::current_dir()
                .ok()
                .and_then(|d| crate::env::git_user_name(&d))
        })
        .or_else(|| std::env::var("USER").ok())
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| "unknown".to_string())
}

/// The `list` row.
#[derive(Serialize)]
struct Row<'a> {
    id: i64,
    key: Option<&'a str>,
    title: &'a str,
    lane: &'a str,
    status: Status,
    priority: i64,
    risk: Risk,
    worker: Option<&'a str>,
    deps: &'a [i64],
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let format = args.format;
    let store = open_store(args.store.as_deref())?;
    match execute(&store, args.command, format) {
        Ok(text) => {
            output::print(&text)?;
            Ok(ExitCode::SUCCESS)
        }
        Err(e) if e.is::<GateRefused>() => {
            output::print(&e.to_string())?;
            Ok(ExitCode::from(1))
        }
        Err(e) if e.is::<evidence::VerifyFailed>() => {
            output::print(&e.to_string())?;
            Ok(ExitCode::from(1))
        }
        Err(e) => match e.downcast::<StoreError>() {
            Ok(se) if se.is_refusal() => {
                let _ = writeln!(std::io::stderr().lock(), "error: {se}");
                Ok(ExitCode::from(1))
            }
            Ok(se) => Err(se.into()),
            Err(other) => Err(other),
        },
    }
}

fn lease(secs: u64) -> Duration {
    Duration::from_secs(secs)
}

fn execute(store: &Store, command: Sub, format: Format) -> anyhow::Result<String> {
    let id_of = |r: &str| store.resolve(r);
    let one = |task: Task, verb: &str| -> anyhow::Result<String> {
        Ok(match format {
            Format::Json => json_doc(json!({ "schema_version": SCHEMA_VERSION, "task": task }))?,
            Format::Human => format!(
                "{} {verb}: {} ({})\n",
                display_id(task.id),
                task.title,
                task.status
            ),
        })
    };
    match command {
        Sub::List(a) => {
            let tasks = store.list_tasks(&TaskFilter {
                status: a.status,
                lane: a.lane,
                worker: a.worker,
            })?;
            Ok(match format {
                Format::Json => {
                    let rows: Vec<Row<'_>> = tasks
                        .iter()
                        .map(|t| Row {
                            id: t.id,
                            key: t.key.as_deref(),
                            title: &t.title,
                            lane: &t.lane,
                            status: t.status,
                            priority: t.priority,
                            risk: t.risk,
                            worker: t.worker.as_deref(),
                            deps: &t.deps,
                        })
                        .collect();
                    json_doc(json!({ "schema_version": SCHEMA_VERSION, "tasks": rows }))?
                }
                Format::Human => human_list(&tasks),
            })
        }
        Sub::Show(a) => {
            let detail = store.task_detail(id_of(&a.id)?)?;
            Ok(match format {
                Format::Json => {
                    json_doc(json!({ "schema_version": SCHEMA_VERSION, "task": detail }))?
                }
                Format::Human => human_detail(&detail),
            })
        }
        Sub::Add(a) => {
            let deps = a
                .deps
                .iter()
                .map(|d| id_of(d))
                .collect::<Result<Vec<_>, _>>()?;
            let task = store.add_task(
                &NewTask {
                    title: a.title,
                    lane: a.lane,
                    priority: Some(a.priority),
                    risk: a.risk,
                    trace: a.trace,
                    dod: a.dod,
                    deps,
                    key: a.key,
                },
                &actor(a.by.as_deref()),
            )?;
            one(task, "added")
        }
        Sub::Next(a) => {
            let task = store.next_task(&a.worker, a.lane.as_deref(), lease(a.lease))?;
            Ok(match (format, task) {
                (Format::Json, t) => {
                    json_doc(json!({ "schema_version": SCHEMA_VERSION, "task": t }))?
                }
                (Format::Human, Some(t)) => format!(
                    "{} claimed by {} until {}: {} [{} P{} {}]\n",
                    display_id(t.id),
                    a.worker,
                    t.lease_expires_at
                        .map(|l| l.to_string())
                        .unwrap_or_default(),
                    t.title,
                    t.lane,
                    t.priority,
                    t.risk
                ),
                (Format::Human, None) => "nothing claimable\n".to_string(),
            })
        }
        Sub::Claim(a) => {
            let task = store.claim_task(id_of(&a.id)?, &a.worker, lease(a.lease))?;
            one(task, "claimed")
        }
        Sub::Heartbeat(a) => {
            let task = store.heartbeat(id_of(&a.id)?, &a.worker, lease(a.lease))?;
            one(task, "renewed")
        }
        Sub::Release(a) => {
            let id = id_of(&a.id)?;
            let task = if a.fail {
                store.fail(id, &a.worker, a.note.as_deref().unwrap_or(""))?
            } else {
                store.release(id, &a.worker, a.note.as_deref())?
            };
            one(task, if a.fail { "failed" } else { "released" })
        }
        Sub::Submit(a) => submit(store, a, format),
        Sub::Review(a) => review(store, a, format),
        Sub::Ask(a) => ask(store, a, format),
        Sub::Verify(a) => evidence::verify(store, a, format),
        Sub::Simplify(a) => evidence::simplify(store, a, format),
        Sub::Block(a) => {
            let task = store.block(id_of(&a.id)?, &actor(a.by.as_deref()), &a.note)?;
            one(task, "blocked")
        }
        Sub::Unblock(a) => {
            let task = store.unblock(id_of(&a.id)?, &actor(a.by.as_deref()), a.note.as_deref())?;
            one(task, "unblocked")
        }
        Sub::Cancel(a) => {
            let task = store.cancel(id_of(&a.id)?, &actor(a.by.as_deref()), &a.note)?;
            one(task, "cancelled")
        }
        Sub::Reopen(a) => {
            let task = store.reopen(id_of(&a.id)?, &actor(a.by.as_deref()), &a.note)?;
            one(task, "reopened")
        }
        Sub::Reap => {
            let reaped = store.reap()?;
            Ok(match format {
                Format::Json => {
                    json_doc(json!({ "schema_version": SCHEMA_VERSION, "reaped": reaped }))?
                }
                Format::Human if reaped.is_empty() => "no expired claims\n".to_string(),
                Format::Human => reaped
                    .iter()
                    .map(|r| {
                        format!(
                            "{} back to pending (lease of {} expired)\n",
                            display_id(r.id),
                            r.worker
                        )
                    })
                    .collect(),
            })
        }
    }
}

/// `mesh task ask`: the service's clarify::ask on the project's first document root.
fn ask(store: &Store, a: AskArgs, format: Format) -> anyhow::Result<String> {
    let cwd = std::env::current_dir().context("cannot read the current directory")?;
    let project = mesh_service::project::Project::open(&project_root(&cwd), false)?;
    let root = project.roots.first().context(
        "the project has no document root: run `mesh init`, or run this inside the project",
    )?;
    // A store refusal stays a StoreError, so `run` exits 1 for it as for every other refusal.
    let asked = mesh_service::clarify::ask(store, &root.dir, &a.id, &a.worker, &a.question)
        .map_err(|e| match e {
            mesh_service::clarify::ClarifyError::Store(se) => anyhow::Error::from(se),
            other => other.into(),
        })?;
    Ok(match format {
        Format::Json => json_doc(json!({ "schema_version": SCHEMA_VERSION, "asked": asked }))?,
        Format::Human => format!(
            "{} blocked, waiting for clarification {}: {}\n{}:{}: {}\n",
            display_id(asked.blocked.id),
            display_id(asked.clarification.id),
            asked.clarification.title,
            asked
                .inbox
                .path
                .strip_prefix(&cwd)
                .unwrap_or(&asked.inbox.path)
                .display(),
            asked.inbox.line,
            asked.inbox.text
        ),
    })
}

/// A review the gate refused: the report (for stdout) is the message; `run` exits 1.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct GateRefused(String);

/// The project directory (nearest mesh.toml or .git upwards) and its documents.
fn project_here() -> anyhow::Result<(PathBuf, mesh_service::project::Project)> {
    let cwd = std::env::current_dir().context("cannot read the current directory")?;
    let dir = project_root(&cwd);
    // Shown relative when run at the project root: diagnostics then name `docs/SPEC.md`.
    let dir = if dir == cwd { PathBuf::from(".") } else { dir };
    let project = mesh_service::project::Project::open(&dir, false)?;
    Ok((dir, project))
}

/// A service refusal stays a StoreError where it is one (so `run` exits 1 as for every
/// refusal); other refusals exit 1 with their message on stderr.
fn review_error(e: ReviewError) -> anyhow::Error {
    match e {
        ReviewError::Store(se) => se.into(),
        other if other.is_refusal() => StoreError::Invalid(other.to_string()).into(),
        other => other.into(),
    }
}

/// `mesh task submit`: only with a verification taken on the current tree.
fn submit(store: &Store, a: SubmitArgs, format: Format) -> anyhow::Result<String> {
    let (dir, _) = project_here()?;
    let id = store.resolve(&a.id)?;
    let done =
        review::submit(&dir, store, id, &a.worker, a.note.as_deref()).map_err(review_error)?;
    if let Some(w) = &done.warning {
        let _ = writeln!(std::io::stderr().lock(), "warning: {w}");
    }
    Ok(match format {
        Format::Json => json_doc(json!({
            "schema_version": SCHEMA_VERSION,
            "task": done.task,
            "verification": {
                "id": done.verification.id,
                "passed": done.verification.passed,
                "tree": done.verification.tree,
                "at": done.verification.at,
            },
            "warning": done.warning,
        }))?,
        Format::Human => format!(
            "{} submitted: {} ({})\n",
            display_id(done.task.id),
            done.task.title,
            done.task.status
        ),
    })
}

/// `mesh task review`: approve through the gate, or reject.
fn review(store: &Store, a: ReviewArgs, format: Format) -> anyhow::Result<String> {
    let (dir, project) = project_here()?;
    let id = store.resolve(&a.id)?;
    let reviewer = actor(a.by.as_deref());
    if a.reject {
        let note = a.note.as_deref().unwrap_or("");
        let r = review::reject(&dir, store, id, &reviewer, note).map_err(review_error)?;
        return Ok(match format {
            Format::Json => json_doc(json!({
                "schema_version": SCHEMA_VERSION,
                "verdict": "reject",
                "task": r.task,
                "rejections": r.rejections,
                "blocked": r.blocked,
                "reasons": r.reasons,
                "ledger_seq": r.ledger_seq,
            }))?,
            Format::Human if r.blocked => {
                let mut s = format!(
                    "{} rejected for the {} time and blocked: {}\n",
                    display_id(r.task.id),
                    ordinal(r.rejections),
                    r.task.title
                );
                for (i, reason) in r.reasons.iter().enumerate() {
                    s.push_str(&format!("  {}. {reason}\n", i + 1));
                }
                s.push_str(&format!(
                    "  unblock it when the way forward is clear: mesh task unblock {} --note \"...\"\n",
                    display_id(r.task.id)
                ));
                s
            }
            Format::Human => format!(
                "{} rejected ({} of {} before it is blocked): back to pending\n",
                display_id(r.task.id),
                r.rejections,
                review::REJECTIONS_TO_BLOCK
            ),
        });
    }
    let done = review::approve(
        &dir,
        &project,
        store,
        id,
        &review::ApproveOptions {
            reviewer: &reviewer,
            note: a.note.as_deref(),
            override_reason: a.override_reason.as_deref(),
            tick: a.tick,
        },
    )
    .map_err(review_error)?;
    let text = match format {
        Format::Json => {
            let mut v = serde_json::to_value(&done)?;
            if let Some(o) = v.as_object_mut() {
                o.insert("schema_version".into(), json!(SCHEMA_VERSION));
            }
            json_doc(v)?
        }
        Format::Human => human_review(&done),
    };
    if done.approved {
        Ok(text)
    } else {
        Err(GateRefused(text).into())
    }
}

fn ordinal(n: usize) -> String {
    match n {
        1 => "first".into(),
        2 => "second".into(),
        3 => "third".into(),
        n => format!("{n}th"),
    }
}

fn human_review(done: &review::Approval) -> String {
    let g = &done.gate;
    let mut s = String::new();
    if done.approved {
        s.push_str(&format!(
            "{} approved by {}: {}\n",
            g.task, g.reviewer, g.title
        ));
    } else {
        s.push_str(&format!(
            "{} not approved: {} of {} review conditions failed; nothing changed\n",
            g.task,
            g.failed().len(),
            g.conditions.len()
        ));
    }
    for c in &g.conditions {
        s.push_str(&format!(
            "  {} {:<14} {}\n",
            if c.ok { "✓" } else { "✗" },
            c.name,
            c.detail
        ));
        if !c.ok
            && let Some(help) = &c.help
        {
            let overridden = done.overridden.is_some();
            s.push_str(&format!(
                "    {}: {help}\n",
                if overridden {
                    "overridden; was"
                } else {
                    "help"
                }
            ));
        }
    }
    if let Some(o) = &done.overridden {
        s.push_str(&format!(
            "  override: decision {} in {} ({}), ledger entry {}\n",
            o.decision,
            o.decision_file.display(),
            o.reason,
            o.ledger_seq
        ));
    } else if !done.approved {
        s.push_str(&format!(
            "  to pass anyway, give the reason: mesh task review {} --approve --override \"...\" (recorded as a decision)\n",
            g.task
        ));
    }
    if let Some(n) = &done.note {
        s.push_str(&format!("  note: {n}\n"));
    }
    if let Some(t) = &done.tick {
        if t.ticked {
            s.push_str(&format!("  ticked {}:{}: {}\n", t.file, t.line, t.detail));
        } else {
            s.push_str(&format!(
                "  not ticked {}:{}: {}\n",
                t.file, t.line, t.detail
            ));
        }
    }
    if let Some(n) = &done.tick_note {
        s.push_str(&format!("  not ticked: {n}\n"));
    }
    if let Some(seq) = done.ledger_seq {
        s.push_str(&format!("  ledger entry {seq}\n"));
    }
    s
}

fn json_doc(value: serde_json::Value) -> anyhow::Result<String> {
    Ok(format!("{}\n", serde_json::to_string_pretty(&value)?))
}

fn human_list(tasks: &[Task]) -> String {
    if tasks.is_empty() {
        return "no tasks\n".to_string();
    }
    let mut out = format!(
        "{:<7} {:<11} {:>2} {:<6} {:<10} {:<12} {}\n",
        "ID", "STATUS", "P", "RISK", "LANE", "WORKER", "TITLE"
    );
    for t in tasks {
        let mut title = t.title.clone();
        if !t.deps.is_empty() {
            let deps: Vec<String> = t.deps.iter().map(|d| display_id(*d)).collect();
            title.push_str(&format!("  (after {})", deps.join(", ")));
        }
        out.push_str(&format!(
            "{:<7} {:<11} {:>2} {:<6} {:<10} {:<12} {}\n",
            display_id(t.id),
            t.status.as_str(),
            t.priority,
            t.risk.as_str(),
            t.lane,
            t.worker.as_deref().unwrap_or("-"),
            title
        ));
    }
    out
}

fn human_detail(d: &TaskDetail) -> String {
    let t = &d.task;
    let mut out = format!("{}  {}\n", display_id(t.id), t.title);
    let mut field = |name: &str, value: String| {
        if !value.is_empty() {
            out.push_str(&format!("  {name:<9} {value}\n"));
        }
    };
    field("key", t.key.clone().unwrap_or_default());
    field("plan", t.plan.clone().unwrap_or_default());
    field("status", t.status.to_string());
    field(
        "priority",
        match priority::name(t.priority) {
            Some(n) => format!("{} ({n})", t.priority),
            None => t.priority.to_string(),
        },
    );
    field("risk", t.risk.to_string());
    field("lane", t.lane.clone());
    field("trace", t.trace.clone());
    field("dod", t.dod.clone());
    field(
        "deps",
        t.deps
            .iter()
            .map(|d| display_id(*d))
            .collect::<Vec<_>>()
            .join(", "),
    );
    field("worker", t.worker.clone().unwrap_or_default());
    field(
        "lease",
        t.lease_expires_at
            .map(|l| format!("until {l}"))
            .unwrap_or_default(),
    );
    field("created", t.created_at.to_string());
    field("updated", t.updated_at.to_string());
    out.push_str("history:\n");
    for e in &d.events {
        let from = e.from.map_or("(new)".to_string(), |f| f.to_string());
        out.push_str(&format!(
            "  {}  {:<12} {} → {}  {}\n",
            e.at, e.actor, from, e.to, e.reason
        ));
    }
    if !d.evidence.is_empty() {
        out.push_str("evidence:\n");
        out.push_str(&evidence::human_list(&d.evidence));
    }
    out
}
