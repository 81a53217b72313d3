//! `mesh status`: readiness per document, the mode, the pipeline and the one next step.

use std::path::PathBuf;
use std::process::ExitCode;

use mesh_check::readiness::Mode;
use mesh_service::status::{self, RootStatus, collect};
use serde_json::json;

use crate::output;
use crate::project;

/// Show readiness per document (score, threshold, what is unfilled and where), the mode
/// (PRE_INIT, BOOTSTRAP, EXECUTION), the pipeline stages and the one next step.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  mesh status\n  mesh status --format json | jq .mode\n  mesh status --all            # list every unfilled item, not the first five per document"
)]
pub struct Args {
    /// Project directory (holding docs/ or mesh.toml), or a document folder itself.
    #[arg(default_value = ".")]
    pub dir: PathBuf,
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// List every unfilled item (human output shows five per document).
    #[arg(long)]
    pub all: bool,
    /// Also include every folder below DIR that holds a SPEC.md.
    #[arg(long)]
    pub discover: bool,
    /// The task store for the Plan, Work, Optimize and Verify stages: a postgres:// URL or a SQLite file path
    /// (default: MESH_STORE, then [store] url in mesh.toml, then .mesh/mesh.db). A SQLite store
    /// that does not exist is not created.
    #[arg(long, value_name = "URL|PATH")]
    pub store: Option<String>,
}

/// The store when there is one (never created just to show status). A store that cannot be
/// opened leaves the Plan, Work, Optimize and Verify stages GRAY, with a warning on stderr.
fn open_store(args: &Args, project: &mesh_service::project::Project) -> Option<mesh_store::Store> {
    use std::io::Write as _;
    match mesh_service::store::open_existing(&args.dir, &project.config, args.store.as_deref()) {
        Ok(s) => s,
        Err(e) => {
            let _ = writeln!(
                std::io::stderr().lock(),
                "warning: task store not read: {e}"
            );
            None
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Human,
    Json,
}

fn root_json(s: &RootStatus) -> serde_json::Value {
    serde_json::to_value(s).unwrap_or(serde_json::Value::Null)
}

fn human(s: &RootStatus, all: bool) -> String {
    let mut out = format!("{}  mode {}\n", s.root, s.readiness.mode.as_str());
    for d in &s.readiness.documents {
        let th = d
            .threshold
            .map(|t| format!("/{t:<3}"))
            .unwrap_or_else(|| "    ".into());
        let state = if !d.exists {
            "missing"
        } else if d.threshold.is_none() {
            ""
        } else if d.ready {
            "ready"
        } else {
            "NOT READY"
        };
        out.push_str(&format!(
            "  {:<13} {:>3}{} {:<9} {} unfilled\n",
            d.kind.as_str(),
            d.score,
            th,
            state,
            d.unfilled.len()
        ));
        if d.threshold.is_some() && !d.ready {
            let limit = if all { usize::MAX } else { 5 };
            for u in d.unfilled.iter().take(limit) {
                out.push_str(&format!(
                    "      {}:{}  {:<15} {}\n",
                    d.path,
                    u.line,
                    u.reason.as_str(),
                    u.text
                ));
            }
            if d.unfilled.len() > limit {
                out.push_str(&format!(
                    "      … {} more (`mesh status --all`)\n",
                    d.unfilled.len() - limit
                ));
            }
        }
    }
    let pipe: Vec<String> = s
        .stages
        .iter()
        .map(|st| format!("{} {}", st.name, st.state.as_str()))
        .collect();
    out.push_str(&format!("  pipeline: {}\n", pipe.join(" → ")));
    for st in &s.stages {
        out.push_str(&format!(
            "    {:<9} {:<6} {}\n",
            st.name,
            st.state.as_str(),
            st.reason
        ));
    }
    out.push_str(&format!("  next: {}\n", s.next));
    out
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let project = project::open(&args.dir, args.discover)?;
    let store = open_store(&args, &project);
    let facts = status::facts(&project, store.as_ref(), &args.dir);
    let statuses = collect(&project, &facts);
    let text = match args.format {
        Format::Json => {
            let mut v = match statuses.first() {
                Some(s) => root_json(s),
                None => {
                    json!({"mode": Mode::PreInit, "documents": [], "stages": [], "next": "run `mesh init`"})
                }
            };
            if let Some(obj) = v.as_object_mut() {
                obj.insert("schema_version".into(), json!(1));
                if statuses.len() > 1 {
                    obj.insert(
                        "roots".into(),
                        json!(statuses.iter().map(root_json).collect::<Vec<_>>()),
                    );
                }
            }
            format!("{}\n", serde_json::to_string_pretty(&v)?)
        }
        Format::Human => statuses
            .iter()
            .map(|s| human(s, args.all))
            .collect::<Vec<_>>()
            .join("\n"),
    };
    output::print(&text)?;
    Ok(ExitCode::SUCCESS)
}
