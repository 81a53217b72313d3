//! `mesh decide`: record, supersede, revert and list decisions in DECISION_LOG.md.
//!
//! Thin: the work (locking, the edit, the atomic write) is `mesh_service::decide`.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::bail;
use mesh_docs::DocKind;
use mesh_docs::decision::Status;
use mesh_service::decide::{self, AddedDecision, DecisionList, NewDecision};

use crate::env;
use crate::output;
use crate::project;

/// Record decisions in the decision log, append-only.
///
/// New rows go after the last row, in the log's own layout (columns, status symbols or words, ID
/// scheme); nothing is ever deleted: superseding or reverting adds a row and marks the old one.
/// Writes are locked and atomic, so concurrent runs never lose a row.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  mesh decide add --type ARCH --decision \"Use PostgreSQL 16\" --rationale \"Row locks\"\n  mesh decide supersede 007 --decision \"Use SQLite\" --rationale \"Single host\"\n  mesh decide revert 009 --why \"The vendor API was withdrawn\"\n  mesh decide list --status active --format json"
)]
pub struct Args {
    #[command(subcommand)]
    pub command: Sub,
}

#[derive(Debug, clap::Subcommand)]
pub enum Sub {
    /// Append a decision (next ID, today's date, owner from git config).
    Add(AddArgs),
    /// Append a decision that replaces ID and mark ID `superseded by <new>`.
    Supersede(SupersedeArgs),
    /// Append a row reverting ID and mark ID `reverted by <new>`.
    Revert(RevertArgs),
    /// List the decisions (rejected-task rows are left out).
    List(ListArgs),
}

/// Where the log is.
#[derive(Debug, clap::Args)]
pub struct Target {
    /// Project directory (holding docs/ or mesh.toml), or a document folder itself.
    #[arg(default_value = ".")]
    pub dir: PathBuf,
    /// The document root holding DECISION_LOG.md, relative to DIR (default: the project's root,
    /// `docs/` unless mesh.toml says otherwise).
    #[arg(long, value_name = "PATH")]
    pub root: Option<PathBuf>,
}

/// The cells of a new row. Values whose column the log lacks are reported and not recorded.
#[derive(Debug, clap::Args)]
pub struct Fields {
    /// Decision type: INIT, SCOPE, ARCH, API, DATA, SECURITY, UX, PERF, OPS, TEST, RELEASE.
    #[arg(long = "type", value_name = "TYPE")]
    pub kind: Option<String>,
    /// What was decided, in one line.
    #[arg(long, value_name = "TEXT")]
    pub decision: String,
    /// Why.
    #[arg(long, value_name = "TEXT")]
    pub rationale: Option<String>,
    /// The problem (generation-16 logs).
    #[arg(long, value_name = "TEXT")]
    pub context: Option<String>,
    /// Options considered (generation-16 logs).
    #[arg(long, value_name = "TEXT")]
    pub options: Option<String>,
    /// What limited the choice (generation-16 logs).
    #[arg(long, value_name = "TEXT")]
    pub constraints: Option<String>,
    /// How to undo it (generation-16 logs).
    #[arg(long, value_name = "TEXT")]
    pub rollback: Option<String>,
    /// Area it applies to (backend, api, project, …).
    #[arg(long, value_name = "TEXT")]
    pub scope: Option<String>,
    /// The task it came from.
    #[arg(long, value_name = "ID")]
    pub task: Option<String>,
    /// Who answers for it (default: git config user.name).
    #[arg(long, value_name = "NAME")]
    pub owner: Option<String>,
    /// Date as YYYY-MM-DD (default: today, UTC).
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub date: Option<String>,
    /// Record it as proposed instead of active.
    #[arg(long)]
    pub proposed: bool,
}

#[derive(Debug, clap::Args)]
pub struct AddArgs {
    #[command(flatten)]
    pub fields: Fields,
    #[command(flatten)]
    pub target: Target,
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
}

#[derive(Debug, clap::Args)]
pub struct SupersedeArgs {
    /// The decision being replaced.
    pub id: String,
    #[command(flatten)]
    pub fields: Fields,
    #[command(flatten)]
    pub target: Target,
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
}

#[derive(Debug, clap::Args)]
pub struct RevertArgs {
    /// The decision being reverted.
    pub id: String,
    /// Why it is reverted.
    #[arg(long, value_name = "TEXT")]
    pub why: String,
    /// The task it came from.
    #[arg(long, value_name = "ID")]
    pub task: Option<String>,
    /// Who answers for it (default: git config user.name).
    #[arg(long, value_name = "NAME")]
    pub owner: Option<String>,
    /// Date as YYYY-MM-DD (default: today, UTC).
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub date: Option<String>,
    #[command(flatten)]
    pub target: Target,
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
}

#[derive(Debug, clap::Args)]
pub struct ListArgs {
    /// Only decisions with this status.
    #[arg(long, value_enum)]
    pub status: Option<StatusArg>,
    #[command(flatten)]
    pub target: Target,
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Human,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum StatusArg {
    Active,
    Proposed,
    Superseded,
    Reverted,
    /// A status cell Atomic Mesh does not recognise.
    Unknown,
}

impl StatusArg {
    fn status(self) -> Status {
        match self {
            StatusArg::Active => Status::Active,
            StatusArg::Proposed => Status::Proposed,
            StatusArg::Superseded => Status::Superseded,
            StatusArg::Reverted => Status::Reverted,
            StatusArg::Unknown => Status::Unknown,
        }
    }
}

fn parse_date(s: &str) -> Result<String, String> {
    let b = s.trim().as_bytes();
    let ok = b.len() == 10
        && b.iter().enumerate().all(|(i, c)| {
            if i == 4 || i == 7 {
                *c == b'-'
            } else {
                c.is_ascii_digit()
            }
        });
    if ok {
        Ok(s.trim().to_string())
    } else {
        Err(format!(
            "`{s}` is not a date; write YYYY-MM-DD, e.g. 2026-03-01"
        ))
    }
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    match args.command {
        Sub::Add(a) => {
            let root = resolve(&a.target)?;
            let (new, explicit) = new_decision(&a.fields, &root.dir);
            let added = decide::add(&root.dir, new)?;
            report(&root, &added, &explicit, a.format)
        }
        Sub::Supersede(a) => {
            let root = resolve(&a.target)?;
            let (new, explicit) = new_decision(&a.fields, &root.dir);
            let added = decide::supersede(&root.dir, &a.id, new)?;
            report(&root, &added, &explicit, a.format)
        }
        Sub::Revert(a) => {
            let root = resolve(&a.target)?;
            let mut explicit = Vec::new();
            if a.task.is_some() {
                explicit.push("task");
            }
            if a.owner.is_some() {
                explicit.push("owner");
            }
            let new = NewDecision {
                decision: a.why.clone(),
                task: a.task.clone(),
                owner: a.owner.clone().or_else(|| default_owner(&root.dir)),
                date: Some(a.date.clone().unwrap_or_else(env::today)),
                ..NewDecision::default()
            };
            let added = decide::revert(&root.dir, &a.id, new)?;
            report(&root, &added, &explicit, a.format)
        }
        Sub::List(a) => {
            let root = resolve(&a.target)?;
            let mut list = decide::list(&root.dir, a.status.map(StatusArg::status))?;
            list.path = root.log_display();
            let text = match a.format {
                Format::Json => format!("{}\n", serde_json::to_string_pretty(&list)?),
                Format::Human => human_list(&list),
            };
            output::print(&text)?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// The document root to work on.
struct RootDir {
    dir: PathBuf,
    display: String,
}

impl RootDir {
    fn log_display(&self) -> String {
        mesh_check::context::join_display(&self.display, DocKind::DecisionLog.file_name())
    }
}

fn resolve(t: &Target) -> anyhow::Result<RootDir> {
    if let Some(r) = &t.root {
        let dir = t.dir.join(r);
        let display = if t.dir.as_os_str() == "." {
            r.clone()
        } else {
            dir.clone()
        };
        return Ok(RootDir {
            dir,
            display: display.to_string_lossy().replace('\\', "/"),
        });
    }
    let project = project::open(&t.dir, false)?;
    let has_log = |d: &Path| d.join(DocKind::DecisionLog.file_name()).exists();
    let with_log: Vec<_> = project.roots.iter().filter(|r| has_log(&r.dir)).collect();
    let chosen = match (with_log.as_slice(), project.roots.as_slice()) {
        ([one], _) => *one,
        ([], [one]) => one,
        ([], []) => bail!(
            "no document root in {}; run `mesh init` there, or name the root with --root",
            t.dir.display()
        ),
        ([], many) => several(many.iter())?,
        (many, _) => several(many.iter().copied())?,
    };
    Ok(RootDir {
        dir: chosen.dir.clone(),
        display: chosen.display.clone(),
    })
}

fn several<'r>(
    roots: impl Iterator<Item = &'r mesh_check::context::Root>,
) -> anyhow::Result<&'r mesh_check::context::Root> {
    let names: Vec<&str> = roots.map(|r| r.display.as_str()).collect();
    bail!(
        "this project has several document roots ({}); choose one with --root",
        names.join(", ")
    )
}

fn default_owner(root_dir: &Path) -> Option<String> {
    let dir = if root_dir.is_dir() {
        root_dir
    } else {
        Path::new(".")
    };
    env::git_user_name(dir).or_else(|| std::env::var("USER").ok().filter(|u| !u.trim().is_empty()))
}

/// The service's input, and the names of the fields the user gave explicitly.
fn new_decision(f: &Fields, root_dir: &Path) -> (NewDecision, Vec<&'static str>) {
    let given = [
        ("type", f.kind.is_some()),
        ("rationale", f.rationale.is_some()),
        ("context", f.context.is_some()),
        ("options", f.options.is_some()),
        ("constraints", f.constraints.is_some()),
        ("rollback", f.rollback.is_some()),
        ("scope", f.scope.is_some()),
        ("task", f.task.is_some()),
        ("owner", f.owner.is_some()),
        ("date", f.date.is_some()),
    ];
    let explicit = given
        .iter()
        .filter(|(_, set)| *set)
        .map(|(n, _)| *n)
        .collect();
    let new = NewDecision {
        kind: f.kind.clone(),
        decision: f.decision.clone(),
        rationale: f.rationale.clone(),
        context: f.context.clone(),
        options: f.options.clone(),
        constraints: f.constraints.clone(),
        rollback: f.rollback.clone(),
        scope: f.scope.clone(),
        task: f.task.clone(),
        owner: f.owner.clone().or_else(|| default_owner(root_dir)),
        date: Some(f.date.clone().unwrap_or_else(env::today)),
        proposed: f.proposed,
    };
    (new, explicit)
}

fn report(
    root: &RootDir,
    added: &AddedDecision,
    explicit: &[&str],
    format: Format,
) -> anyhow::Result<ExitCode> {
    let dropped: Vec<&str> = added
        .dropped
        .iter()
        .copied()
        .filter(|d| explicit.contains(d))
        .collect();
    if !dropped.is_empty() {
        let flags: Vec<String> = dropped.iter().map(|d| format!("--{d}")).collect();
        let _ = writeln!(
            std::io::stderr().lock(),
            "note: {} has no column for {}; not recorded",
            root.log_display(),
            flags.join(", ")
        );
    }
    let text = match format {
        Format::Json => {
            let v = serde_json::json!({
                "schema_version": decide::LIST_SCHEMA_VERSION,
                "path": root.log_display(),
                "id": added.id,
                "line": added.line,
                "closed": added.closed,
                "dropped": dropped,
            });
            format!("{}\n", serde_json::to_string_pretty(&v)?)
        }
        Format::Human => {
            let mut s = format!(
                "Recorded decision {} at {}:{}",
                added.id,
                root.log_display(),
                added.line
            );
            if let Some(c) = &added.closed {
                s.push_str(&format!(
                    "; {} (line {}) is now {} by {}",
                    c.id, c.line, c.status, added.id
                ));
            }
            s.push('\n');
            s
        }
    };
    output::print(&text)?;
    Ok(ExitCode::SUCCESS)
}

fn human_list(list: &DecisionList) -> String {
    if list.decisions.is_empty() {
        return format!("No decisions in {} match.\n", list.path);
    }
    let w_id = list
        .decisions
        .iter()
        .map(|d| d.id.chars().count())
        .max()
        .unwrap_or(2)
        .max(2);
    let w_date = list
        .decisions
        .iter()
        .map(|d| d.date.as_deref().unwrap_or("-").chars().count())
        .max()
        .unwrap_or(4)
        .max(4);
    let w_type = list
        .decisions
        .iter()
        .map(|d| d.kind.as_deref().unwrap_or("-").chars().count())
        .max()
        .unwrap_or(4)
        .max(4);
    let mut s = format!(
        "{:w_id$}  {:w_date$}  {:w_type$}  {:10}  DECISION\n",
        "ID", "DATE", "TYPE", "STATUS"
    );
    for d in &list.decisions {
        let mut decision = d.decision.clone();
        if let Some(by) = &d.superseded_by {
            decision.push_str(&format!(" (superseded by {by})"));
        } else if let Some(by) = &d.reverted_by {
            decision.push_str(&format!(" (reverted by {by})"));
        }
        s.push_str(&format!(
            "{:w_id$}  {:w_date$}  {:w_type$}  {:10}  {}\n",
            d.id,
            d.date.as_deref().unwrap_or("-"),
            d.kind.as_deref().unwrap_or("-"),
            d.status,
            decision
        ));
    }
    s
}
