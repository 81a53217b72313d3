//! `mesh plan`: draft a plan from the documents, accept it into the task store, draw its graph.
//!
//! Thin: every operation is one `mesh_service::plan` call. Exit codes: 0 done; 1 refused (the
//! documents are not ready to plan, the plan file has errors, the store refused the plan);
//! 2 the store or a file cannot be used, or a usage error.

use std::path::PathBuf;
use std::process::ExitCode;

use std::io::Write as _;

use mesh_docs::plan::GraphFormat;
use mesh_service::plan::{self as service, Accepted, DraftOptions, Drafted, PlanError};
use mesh_service::project::Project;
use serde_json::json;

use crate::output;

/// The version of the JSON documents printed with `--format json`.
pub const SCHEMA_VERSION: u32 = 1;

/// Plan the work: draft a plan from PRD and SPEC, accept it into the task store, draw its graph.
///
/// A plan is Markdown, one task per line:
/// `- [ ] lane: Title — DoD: … | Trace: … | K: key | Dep: k1,k2 | P: HIGH | R: MEDIUM`
///
/// Priority: a lower number is more urgent (0 URGENT, 1 HIGH, 2 NORMAL, 3 LOW; up to 9).
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  mesh plan draft                      # writes docs/PLANS/draft-<timestamp>.md\n  mesh plan draft --format json | jq '.roots[0].tasks[].key'\n  mesh plan accept                     # the newest draft, into .mesh/mesh.db\n  mesh plan accept docs/PLANS/sprint-3.md --store postgres://mesh@db/mesh\n  mesh plan graph --format dot | dot -Tsvg > plan.svg"
)]
pub struct Args {
    #[command(subcommand)]
    pub command: Sub,
}

#[derive(Debug, clap::Subcommand)]
pub enum Sub {
    /// Draft a plan from the documents into <root>/PLANS/draft-<timestamp>.md (refused in
    /// BOOTSTRAP mode unless --force).
    Draft(DraftArgs),
    /// Import a plan (default: the newest draft) into the task store in one transaction.
    Accept(AcceptArgs),
    /// Draw the dependency graph of a plan file, or of the plan the documents give now.
    Graph(GraphArgs),
}

#[derive(Debug, clap::Args)]
pub struct DraftArgs {
    /// Project directory (holding docs/ or mesh.toml).
    #[arg(default_value = ".")]
    pub dir: PathBuf,
    /// Draft even when the documents are not ready (BOOTSTRAP mode).
    #[arg(long)]
    pub force: bool,
    /// What to print: the plan as Markdown (as written), or JSON.
    #[arg(long, value_enum, default_value_t = DraftFormat::Markdown)]
    pub format: DraftFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DraftFormat {
    Markdown,
    Json,
}

#[derive(Debug, clap::Args)]
pub struct AcceptArgs {
    /// The plan file (default: the newest <root>/PLANS/draft-*.md).
    pub file: Option<PathBuf>,
    /// Project directory (for mesh.toml, the default plan and the default store).
    #[arg(long, default_value = ".")]
    pub dir: PathBuf,
    /// The store: a postgres:// URL or a SQLite file path (default: MESH_STORE, then
    /// [store] url in mesh.toml, then .mesh/mesh.db in the project directory).
    #[arg(long, value_name = "URL|PATH")]
    pub store: Option<String>,
    /// Who accepts (default: MESH_ACTOR, then git's user.name, then USER).
    #[arg(long)]
    pub by: Option<String>,
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Human,
    Json,
}

#[derive(Debug, clap::Args)]
pub struct GraphArgs {
    /// A plan file (default: the plan the documents give now; nothing is written).
    pub file: Option<PathBuf>,
    /// Project directory.
    #[arg(long, default_value = ".")]
    pub dir: PathBuf,
    #[arg(long, value_enum, default_value_t = GraphArg::Mermaid)]
    pub format: GraphArg,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum GraphArg {
    Mermaid,
    Dot,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let result = match args.command {
        Sub::Draft(a) => draft(a),
        Sub::Accept(a) => accept(a),
        Sub::Graph(a) => graph(a),
    };
    match result {
        Ok(code) => Ok(code),
        Err(Failure::Plan(e)) if e.is_refusal() => {
            note(&format!("error: {e}\n"));
            Ok(ExitCode::from(1))
        }
        Err(Failure::Plan(e)) => Err(e.into()),
        Err(Failure::Other(e)) => Err(e),
    }
}

enum Failure {
    Plan(PlanError),
    Other(anyhow::Error),
}

impl From<PlanError> for Failure {
    fn from(e: PlanError) -> Self {
        Failure::Plan(e)
    }
}

impl From<anyhow::Error> for Failure {
    fn from(e: anyhow::Error) -> Self {
        Failure::Other(e)
    }
}

impl From<serde_json::Error> for Failure {
    fn from(e: serde_json::Error) -> Self {
        Failure::Other(e.into())
    }
}

fn draft(a: DraftArgs) -> Result<ExitCode, Failure> {
    let opts = DraftOptions::now(a.force);
    let drafts = service::draft(&a.dir, &opts)?;
    let text = match a.format {
        DraftFormat::Markdown => drafts
            .iter()
            .map(|d| d.text.as_str())
            .collect::<Vec<_>>()
            .join("\n"),
        DraftFormat::Json => {
            let roots: Vec<_> = drafts.iter().map(draft_json).collect();
            let mut v = match roots.first() {
                Some(first) if roots.len() == 1 => first.clone(),
                _ => json!({}),
            };
            if let Some(o) = v.as_object_mut() {
                o.insert("schema_version".into(), json!(SCHEMA_VERSION));
                o.insert("roots".into(), json!(roots));
            }
            format!("{}\n", serde_json::to_string_pretty(&v)?)
        }
    };
    output::print(&text)?;
    for d in &drafts {
        note(&format!(
            "wrote {} ({} tasks, mode {}{})\n",
            shown(&d.path),
            d.plan.tasks.len(),
            d.mode.as_str(),
            if a.force && d.mode.as_str() != "EXECUTION" {
                ", forced"
            } else {
                ""
            }
        ));
    }
    Ok(ExitCode::SUCCESS)
}

fn draft_json(d: &Drafted) -> serde_json::Value {
    let plan = serde_json::to_value(d.plan.json()).unwrap_or(serde_json::Value::Null);
    json!({
        "root": d.root,
        "mode": d.mode,
        "path": shown(&d.path),
        "name": plan.get("name"),
        "tasks": plan.get("tasks"),
    })
}

/// A path as shown: without a leading `./`.
fn shown(p: &std::path::Path) -> String {
    let s = p.display().to_string();
    s.strip_prefix("./").map(str::to_string).unwrap_or(s)
}

/// A note on stderr (a closed stderr is not an error).
fn note(text: &str) {
    let _ = std::io::stderr().lock().write_all(text.as_bytes());
}

/// Who is acting: --by, else MESH_ACTOR, else the git user, else USER.
fn actor(by: Option<&str>, dir: &std::path::Path) -> String {
    by.map(str::to_string)
        .or_else(|| std::env::var("MESH_ACTOR").ok())
        .filter(|s| !s.trim().is_empty())
        .or_else(|| crate::env::git_user_name(dir))
        .or_else(|| std::env::var("USER").ok())
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| "unknown".to_string())
}

fn accept(a: AcceptArgs) -> Result<ExitCode, Failure> {
    let project = Project::open(&a.dir, false).map_err(PlanError::from)?;
    let (location, _) = mesh_service::store::location(&a.dir, &project.config, a.store.as_deref())
        .map_err(PlanError::from)?;
    let by = actor(a.by.as_deref(), &a.dir);
    let done = service::accept(&a.dir, a.file.as_deref(), &location, &by)?;
    let text = match a.format {
        Format::Json => {
            let mut v = serde_json::to_value(&done)?;
            if let Some(o) = v.as_object_mut() {
                o.insert("schema_version".into(), json!(SCHEMA_VERSION));
            }
            format!("{}\n", serde_json::to_string_pretty(&v)?)
        }
        Format::Human => human_accept(&done),
    };
    output::print(&text)?;
    Ok(ExitCode::SUCCESS)
}

fn human_accept(d: &Accepted) -> String {
    let r = &d.report;
    let mut s = format!(
        "accepted {} (plan `{}`) into {}: {} added, {} unchanged, {} changed (not applied), {} disappeared",
        shown(&d.file),
        d.plan,
        d.store,
        r.added.len(),
        r.unchanged.len(),
        r.changed.len(),
        r.disappeared.len()
    );
    if d.skipped_done > 0 {
        s.push_str(&format!("; {} checked [x] lines skipped", d.skipped_done));
    }
    s.push('\n');
    for t in &r.added {
        s.push_str(&format!("  + T-{} {}\n", t.id, t.key));
    }
    for c in &r.changed {
        s.push_str(&format!(
            "  ~ T-{} {} differs in {} (the store keeps its version; change it with `mesh task`)\n",
            c.id,
            c.key,
            c.fields.join(", ")
        ));
    }
    for g in &r.disappeared {
        s.push_str(&format!(
            "  - T-{} {} ({}) is no longer in the plan; it stays in the store: `mesh task cancel T-{} --note …` if it is really gone\n",
            g.id, g.key, g.status, g.id
        ));
    }
    if r.added.is_empty() && r.changed.is_empty() && r.disappeared.is_empty() {
        s.push_str("  nothing changed\n");
    }
    s
}

fn graph(a: GraphArgs) -> Result<ExitCode, Failure> {
    let format = match a.format {
        GraphArg::Mermaid => GraphFormat::Mermaid,
        GraphArg::Dot => GraphFormat::Dot,
    };
    let text = service::graph(&a.dir, a.file.as_deref(), format)?;
    output::print(&text)?;
    Ok(ExitCode::SUCCESS)
}
