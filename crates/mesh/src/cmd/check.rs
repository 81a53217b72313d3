//! `mesh check`: run the rules over every document root and report.

use std::collections::HashMap;
use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use mesh_check::diagnostic::{Diagnostic, Severity};
use mesh_check::emit::{self, SarifOptions, Summary};
use mesh_check::engine::{self, Selection};
use mesh_check::history::{self, Collected, HistoryFacts, HistoryMode};
use mesh_check::rules;

use crate::env::{self, ColorChoice};
use crate::output;
use crate::project;

/// Check the documents against the rules (`mesh rules` lists them).
///
/// Exit status: 0 no error-severity finding, 1 at least one error, 2 usage, configuration or
/// internal error (nothing could be judged).
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  mesh check                         # ./docs (or the roots in mesh.toml), and the staged changes\n  mesh check --base origin/main      # also judge every commit since origin/main (CI)\n  mesh check --format sarif > mesh.sarif\n  mesh check --select DOC,DEC --ignore DOC004\n  mesh check --discover              # every folder holding a SPEC.md"
)]
pub struct Args {
    /// Project directory (holding docs/ or mesh.toml), or a document folder itself.
    #[arg(default_value = ".")]
    pub dir: PathBuf,
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Only these rules: comma-separated codes or prefixes (DOC,DEC002).
    #[arg(long, value_delimiter = ',')]
    pub select: Vec<String>,
    /// Skip these rules: comma-separated codes or prefixes.
    #[arg(long, value_delimiter = ',')]
    pub ignore: Vec<String>,
    /// Also check every folder below DIR that holds a SPEC.md.
    #[arg(long)]
    pub discover: bool,
    /// Colour for human output.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Judge the git history since REV (branch, tag or commit): SPEC changes need a decision
    /// row, decision rows are never deleted or rewritten. Without it, the staged changes are
    /// judged against HEAD (the pre-commit mode).
    #[arg(long, value_name = "REV")]
    pub base: Option<String>,
    /// The newest commit of the judged range (default HEAD); used by the pre-push hook.
    #[arg(long, value_name = "REV", requires = "base", hide = true)]
    pub tip: Option<String>,
    /// Print the stack detected in the code of each root (database, auth, API style, testing),
    /// from which file and line, and what SPEC's Hydration Contract says; then exit 0.
    #[arg(long)]
    pub explain_stack: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Human,
    Json,
    Sarif,
    Github,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let project = project::open(&args.dir, args.discover)?;
    if args.explain_stack {
        output::print(&mesh_check::code::explain_stack(
            &project.roots,
            &project.config,
        ))?;
        return Ok(ExitCode::SUCCESS);
    }
    for code in args.select.iter().chain(&args.ignore) {
        let c = code.trim().to_ascii_uppercase();
        if !rules::metas().iter().any(|m| m.code.starts_with(&c)) {
            anyhow::bail!("no rule code starts with `{code}`; run `mesh rules` to list them");
        }
    }
    let selection = Selection {
        select: args.select.clone(),
        ignore: args.ignore.clone(),
    };
    let want_sources = args.format == Format::Human;
    // With one root (the pre-commit hook) nothing runs beside it, and freeing its parsed
    // documents is pure delay: a 9,000-row decision log is some 250,000 allocations, 15 ms to
    // free. The process exits right after printing, so that memory is left to the OS. With
    // several roots each one is freed on its worker thread, keeping peak memory per thread.
    let single_root = project.roots.len() == 1;
    // Keep only what the output needs from each root (its diagnostics, its file count and, for
    // human output, the texts its findings quote): the parsed documents are dropped on the
    // worker thread as soon as the root is checked, so memory follows the number of threads,
    // not the number of roots.
    // The git facts are gathered while the documents are read (the hook's 100,000-commit
    // repository: 5 ms of the critical path).
    let (history, mut reports) = engine::check_roots_map_collecting(
        project.roots.clone(),
        &project.config,
        &selection,
        || history(&args, &project),
        |mut r| {
            let no_docs = r.loaded.docs.docs.is_empty() && r.loaded.unreadable.is_empty();
            let sources: Vec<(String, String)> = if want_sources && !r.diagnostics.is_empty() {
                r.loaded
                    .docs
                    .docs
                    .iter_mut()
                    .map(|d| (std::mem::take(&mut d.path), std::mem::take(&mut d.text)))
                    .collect()
            } else {
                Vec::new()
            };
            let kept = Kept {
                display: r.root.display,
                files: r.loaded.files,
                no_docs,
                diagnostics: r.diagnostics,
                sources,
            };
            if single_root {
                std::mem::forget(r.loaded);
            }
            kept
        },
    )?;
    let changed = history.as_ref().is_some_and(|h| h.has_changes());
    if !changed && reports.iter().all(|r| r.no_docs) {
        let looked: Vec<&str> = project.roots.iter().map(|r| r.display.as_str()).collect();
        anyhow::bail!(
            "no documents found (looked in {}); run `mesh init` to scaffold them, or pass the project directory",
            if looked.is_empty() {
                "nothing".to_string()
            } else {
                looked.join(", ")
            }
        );
    }
    let mut files = 0;
    let mut sources: HashMap<String, String> = HashMap::new();
    let mut roots = Vec::new();
    for r in &mut reports {
        if r.no_docs && r.diagnostics.is_empty() {
            continue;
        }
        roots.push(std::mem::take(&mut r.display));
        files += r.files;
        sources.extend(std::mem::take(&mut r.sources));
    }
    // The findings stay where each root's check left them; the renderers take references. (A
    // 2,000-root monorepo has 62,700 findings, some 17 MB that were copied into one vector on
    // one core between the check and the output.)
    let diags: Vec<&Diagnostic> = reports.iter().flat_map(|r| &r.diagnostics).collect();
    let errors = diags
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    let descriptors: Vec<_> = rules::metas().iter().map(|m| m.descriptor()).collect();
    let printed = match args.format {
        // Streamed: a large log can have thousands of findings.
        Format::Human => output::print_with(|w| {
            emit::human_to(w, &diags, &sources, env::use_color(args.color))?;
            if roots.len() > 1 {
                writeln!(w, "Checked {} roots, {} files.", roots.len(), files)?;
            }
            Ok(())
        }),
        // Streamed: a monorepo's JSON is tens of megabytes.
        Format::Json => output::print_with(|w| {
            emit::json_to(w, &diags, &Summary::from_diagnostics(&diags, files, roots))
        }),
        Format::Sarif => output::print(&emit::sarif(
            &diags,
            &descriptors,
            &SarifOptions {
                tool_version: env!("CARGO_PKG_VERSION").to_string(),
                ..SarifOptions::default()
            },
        )),
        Format::Github => output::print(&emit::github(&diags, &descriptors)),
    };
    // The process ends once the findings are printed (the pre-push hook runs a check per
    // pushed ref, a handful): freeing them one by one is pure delay (62,700 findings of a
    // 2,000-root monorepo), so their memory is left to the OS, as a single root's documents are.
    drop(diags);
    std::mem::forget(reports);
    std::mem::forget(sources);
    printed?;
    Ok(exit_code(errors))
}

fn exit_code(errors: usize) -> ExitCode {
    if errors > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// What `mesh check` keeps of one root's report.
struct Kept {
    display: String,
    files: usize,
    /// No document was found (none read, none unreadable).
    no_docs: bool,
    diagnostics: Vec<Diagnostic>,
    /// `(path, text)` of the root's documents, for the human output's source lines.
    sources: Vec<(String, String)>,
}

/// The git facts for the history rules: a range with `--base`, else the staged changes. Outside
/// a git repository the rules are skipped with a note on stderr.
fn history(args: &Args, project: &project::Project) -> anyhow::Result<Option<HistoryFacts>> {
    let mode = match &args.base {
        Some(base) => HistoryMode::Range {
            base: base.clone(),
            tip: args.tip.clone(),
        },
        None => HistoryMode::Staged,
    };
    match history::collect(&args.dir, &project.roots, &mode, &project.config.policy)? {
        Collected::Facts(f) => Ok(Some(f)),
        Collected::Skipped { note } => {
            if args.base.is_some() {
                eprintln!("note: {note}");
            }
            Ok(None)
        }
    }
}
