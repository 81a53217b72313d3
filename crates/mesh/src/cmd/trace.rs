//! `mesh trace`: requirements → tasks → tests, and the traceability rules.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::ExitCode;

use mesh_check::diagnostic::Severity;
use mesh_check::emit;
use mesh_check::trace::TraceFacts;
use mesh_service::{store, trace};
use serde_json::json;

use crate::output;
use crate::project;

/// Print the traceability matrix: each goal and story with the tasks that trace to it and the
/// tests that tag it (`// mesh: US3` in a comment, any language), and check the TRC rules:
/// a Must Have story with no task, a completed task no test tags, a tag naming an unknown ID.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  mesh trace\n  mesh trace --format csv > trace.csv\n  mesh trace --format json | jq '.roots[0].rows[] | select(.tests == [])'"
)]
pub struct Args {
    /// Project directory.
    #[arg(default_value = ".")]
    pub dir: PathBuf,
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Task store URL or SQLite path (default: MESH_STORE, mesh.toml, .mesh/mesh.db).
    #[arg(long)]
    pub store: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Human,
    Json,
    Csv,
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let project = project::open(&args.dir, false)?;
    let tasks = match store::open_existing(&args.dir, &project.config, args.store.as_deref())? {
        Some(s) => trace::tasks_of(&s)?,
        None => Vec::new(),
    };
    let facts = TraceFacts {
        tasks,
        tags: trace::scan_dir(&args.dir),
    };
    let reports = trace::report(&project, &facts);
    let errors = reports
        .iter()
        .flat_map(|r| &r.diagnostics)
        .filter(|d| d.severity == Severity::Error)
        .count();
    let text = match args.format {
        Format::Json => format!(
            "{}\n",
            serde_json::to_string_pretty(&json!({"schema_version": 1, "roots": reports}))?
        ),
        Format::Csv => {
            let mut s = String::from("root,requirement,kind,priority,text,tasks,tests\n");
            for r in &reports {
                for row in &r.rows {
                    let q = &row.requirement;
                    s.push_str(&format!(
                        "{},{},{},{},{},{},{}\n",
                        csv_field(&r.root),
                        csv_field(&q.id),
                        q.kind,
                        q.priority.unwrap_or(""),
                        csv_field(&q.text),
                        csv_field(&row.tasks.join(" ")),
                        csv_field(&row.tests.join(" "))
                    ));
                }
            }
            s
        }
        Format::Human => {
            let mut s = String::new();
            for r in &reports {
                s.push_str(&format!(
                    "{}: {} requirements, {} tasks, {} test tags\n",
                    r.root,
                    r.rows.len(),
                    r.tasks,
                    r.tags
                ));
                for row in &r.rows {
                    let q = &row.requirement;
                    s.push_str(&format!(
                        "  {:<6} {:<6} tasks: {:<16} tests: {}\n",
                        q.id,
                        q.priority.unwrap_or(q.kind),
                        if row.tasks.is_empty() {
                            "-".to_string()
                        } else {
                            row.tasks.join(" ")
                        },
                        if row.tests.is_empty() {
                            "-".to_string()
                        } else {
                            row.tests.join(" ")
                        }
                    ));
                }
                if !r.diagnostics.is_empty() {
                    s.push('\n');
                    s.push_str(&emit::human(
                        &r.diagnostics,
                        &HashMap::<String, String>::new(),
                        false,
                    ));
                }
            }
            s
        }
    };
    output::print(&text)?;
    Ok(if errors > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
