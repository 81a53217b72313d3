//! `mesh hydrate`: regenerate the derived parts of ACTIVE_SPEC.md from PRD + SPEC + DECISION_LOG.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use mesh_docs::hydrate::{SCHEMA_VERSION, Snapshot};
use mesh_service::hydrate::{self, HydrateError, Hydrated};
use serde::Serialize;

use crate::output;
use crate::project;

/// Regenerate the derived parts of ACTIVE_SPEC.md (goals, stories, non-functional targets,
/// technical constraints, interfaces, out of scope, open questions, active decisions,
/// provenance) from PRD.md, SPEC.md and DECISION_LOG.md.
///
/// Derived parts sit between `<!-- mesh:hydrate:begin NAME sha256=… -->` and
/// `<!-- mesh:hydrate:end NAME -->`; everything outside them is yours and stays byte for byte.
/// A file without markers is adopted without losing a line; a missing file is created from the
/// template. Running it twice changes nothing.
///
/// Exit status: 0 done (or up to date), 1 with --check when ACTIVE_SPEC.md is stale, 2 on usage
/// errors, unreadable documents or broken markers.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  mesh hydrate                       # rewrite docs/ACTIVE_SPEC.md's derived parts\n  mesh hydrate --check               # CI: exit 1 with a diff when it is stale\n  mesh hydrate --stdout | less       # show the result, write nothing\n  mesh hydrate --format json | jq .constraints"
)]
pub struct Args {
    /// Project directory (holding docs/ or mesh.toml), or a document folder itself.
    #[arg(default_value = ".")]
    pub dir: PathBuf,
    /// Write nothing; exit 1 and print a unified diff when ACTIVE_SPEC.md is stale.
    #[arg(long)]
    pub check: bool,
    /// Print the hydrated ACTIVE_SPEC.md instead of writing it.
    #[arg(long, conflicts_with = "check")]
    pub stdout: bool,
    /// `json` prints the hydrated snapshot as data (and writes nothing).
    #[arg(long, value_enum, default_value_t = Format::Markdown)]
    pub format: Format,
    /// Also hydrate every folder below DIR that holds a SPEC.md.
    #[arg(long)]
    pub discover: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Markdown,
    Json,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let project = project::open(&args.dir, args.discover)?;
    let mut results: Vec<Hydrated> = Vec::new();
    let mut skipped = Vec::new();
    for root in &project.roots {
        match hydrate::plan(root) {
            Ok(h) => results.push(h),
            Err(HydrateError::NoSources { root }) => skipped.push(root),
            Err(e) => return Err(e.into()),
        }
    }
    if results.is_empty() {
        let looked = if skipped.is_empty() {
            "nothing".to_string()
        } else {
            skipped.join(", ")
        };
        anyhow::bail!(
            "no documents to hydrate from (looked in {looked}); run `mesh init` to scaffold them, or pass the project directory"
        );
    }
    let stale: Vec<&Hydrated> = results.iter().filter(|h| h.changed).collect();

    if args.format == Format::Json {
        // Serialise the structs themselves: their field order is the documented key order.
        let text = if results.len() == 1 {
            serde_json::to_string_pretty(&results[0].snapshot)?
        } else {
            serde_json::to_string_pretty(&Roots {
                schema_version: SCHEMA_VERSION,
                roots: results
                    .iter()
                    .map(|h| RootSnapshot {
                        root: &h.root,
                        snapshot: &h.snapshot,
                    })
                    .collect(),
            })?
        };
        output::print(&format!("{text}\n"))?;
        if args.check && !stale.is_empty() {
            report_stale(&stale);
            return Ok(ExitCode::from(1));
        }
        return Ok(ExitCode::SUCCESS);
    }

    if args.check {
        if stale.is_empty() {
            let names: Vec<&str> = results.iter().map(|h| h.display_path.as_str()).collect();
            output::print(&format!("{} up to date\n", names.join(", ")))?;
            return Ok(ExitCode::SUCCESS);
        }
        let diff: String = stale.iter().map(|h| h.unified_diff()).collect();
        output::print(&diff)?;
        report_stale(&stale);
        return Ok(ExitCode::from(1));
    }

    if args.stdout {
        let many = results.len() > 1;
        let mut text = String::new();
        for h in &results {
            if many {
                text.push_str(&format!("==> {} <==\n", h.display_path));
            }
            text.push_str(&h.after);
        }
        output::print(&text)?;
        return Ok(ExitCode::SUCCESS);
    }

    let mut report = String::new();
    for h in &results {
        let wrote = hydrate::apply(h).with_context(|| format!("hydrating {}", h.display_path))?;
        let what = match (wrote, h.created) {
            (false, _) => "up to date",
            (true, true) => "created",
            (true, false) => "hydrated",
        };
        report.push_str(&format!("{}: {what}\n", h.display_path));
    }
    output::print(&report)?;
    Ok(ExitCode::SUCCESS)
}

/// `--format json` over several roots.
#[derive(Serialize)]
struct Roots<'a> {
    schema_version: u32,
    roots: Vec<RootSnapshot<'a>>,
}

#[derive(Serialize)]
struct RootSnapshot<'a> {
    root: &'a str,
    snapshot: &'a Snapshot,
}

fn report_stale(stale: &[&Hydrated]) {
    let mut err = std::io::stderr().lock();
    for h in stale {
        let why = if h.before.is_none() {
            "is missing"
        } else {
            "is stale"
        };
        let _ = writeln!(
            err,
            "{} {why}: run `mesh hydrate` and commit the result",
            h.display_path
        );
    }
}
