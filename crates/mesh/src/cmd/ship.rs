//! `mesh ship`: check that the batch can ship; record the ship in the ledger and tag HEAD.

use std::path::PathBuf;
use std::process::ExitCode;

use mesh_service::ship::{self, ShipOptions, ShipReport};

use crate::output;
use crate::project;

/// Ship the batch: check every condition (documents in EXECUTION, ACTIVE_SPEC fresh, `mesh
/// check` clean, no unverified HIGH-risk task, every task of the batch completed or deferred,
/// the ledger intact, the working tree clean), then record a `ship` entry in the ledger and
/// create an annotated tag at HEAD listing the shipped tasks.
///
/// The batch is the tasks created since the last ship (every task before the first). A task is
/// deferred when it is cancelled, or when an active decision row names its id (`T-12`) or its
/// key (`backend:login`).
///
/// Exit status: 0 ready (and shipped, without --dry-run), 1 not ready (nothing created), 2 on
/// an error.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  mesh ship --dry-run                 # what is still missing, nothing created\n  mesh ship                           # ledger entry + tag ship-YYYYMMDD-N at HEAD\n  mesh ship --tag v1.2.0 --push       # name the tag and push it to origin\n  mesh ship --dry-run --format json | jq '.conditions[] | select(.ok | not)'"
)]
pub struct Args {
    /// Project directory (holding docs/ or mesh.toml).
    #[arg(default_value = ".")]
    pub dir: PathBuf,
    /// Check and report only; create no tag and no ledger entry.
    #[arg(long)]
    pub dry_run: bool,
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// The tag to create (default `ship-YYYYMMDD-N`, the first N not taken).
    #[arg(long, value_name = "NAME")]
    pub tag: Option<String>,
    /// Push the tag to the remote `origin` after shipping (never without this flag).
    #[arg(long, conflicts_with = "dry_run")]
    pub push: bool,
    /// Who ships (default: MESH_ACTOR, then git's user.name, then USER).
    #[arg(long, value_name = "NAME")]
    pub by: Option<String>,
    /// The task store: a postgres:// URL or a SQLite file path (default: MESH_STORE, then
    /// [store] url in mesh.toml, then .mesh/mesh.db). A SQLite store that does not exist is not
    /// created (no store: no task to ship).
    #[arg(long, value_name = "URL|PATH")]
    pub store: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Human,
    Json,
}

fn actor(by: Option<&str>, dir: &std::path::Path) -> String {
    by.map(str::to_string)
        .or_else(|| std::env::var("MESH_ACTOR").ok())
        .filter(|s| !s.trim().is_empty())
        .or_else(|| crate::env::git_user_name(dir))
        .or_else(|| std::env::var("USER").ok())
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| "unknown".to_string())
}

fn human(r: &ShipReport) -> String {
    let mut out = String::new();
    for c in &r.conditions {
        let mark = if c.ok { '✓' } else { '✗' };
        out.push_str(&format!("{mark} {:<12} {}\n", c.name, c.detail));
    }
    let tag = r.tag.as_deref().unwrap_or("?");
    if !r.ready {
        let failed = r.conditions.iter().filter(|c| !c.ok).count();
        out.push_str(&format!(
            "not ready: {failed} condition(s) fail; nothing was created\n"
        ));
    } else if r.shipped {
        let commit = r.commit.as_deref().unwrap_or("");
        out.push_str(&format!(
            "shipped: tag {tag} at {} ({} task(s), {} deferred), ledger entry {}{}\n",
            &commit[..commit.len().min(12)],
            r.batch.completed.len(),
            r.batch.deferred.len(),
            r.ledger_seq.unwrap_or(0),
            if r.pushed { ", pushed to origin" } else { "" }
        ));
    } else {
        out.push_str(&format!(
            "ready: `mesh ship` would tag {tag} ({} task(s), {} deferred); nothing was created (--dry-run)\n",
            r.batch.completed.len(),
            r.batch.deferred.len()
        ));
    }
    out
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let project = project::open(&args.dir, false)?;
    let store =
        mesh_service::store::open_existing(&args.dir, &project.config, args.store.as_deref())?;
    let opts = ShipOptions {
        dry_run: args.dry_run,
        tag: args.tag.clone(),
        push: args.push,
        actor: actor(args.by.as_deref(), &args.dir),
    };
    let report = ship::ship(&project, store.as_ref(), &args.dir, &opts)?;
    let text = match args.format {
        Format::Json => format!("{}\n", serde_json::to_string_pretty(&report)?),
        Format::Human => human(&report),
    };
    output::print(&text)?;
    Ok(if report.ready {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
