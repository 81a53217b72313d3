//! `mesh init`: scaffold the six documents and mesh.toml.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use mesh_docs::DocKind;
use mesh_docs::templates::{self, Generation, Values};

use crate::env;
use crate::output;
use mesh_service::fsio::{backup_path, write_atomic};

/// Scaffold docs/ (PRD, SPEC, ACTIVE_SPEC, DECISION_LOG, TECH_STACK, INBOX) and mesh.toml.
///
/// Existing files are never touched unless --force, which first copies each replaced file to
/// `<file>.bak` (or `.bak.1`, `.bak.2`, …).
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  mesh init                      # scaffold ./docs and ./mesh.toml\n  mesh init shop --name \"Shop\"    # in ./shop\n  mesh init --generation 16      # generation-16 templates (with the LLM Prompt preamble)"
)]
pub struct Args {
    /// Project directory (created if missing).
    #[arg(default_value = ".")]
    pub dir: PathBuf,
    /// Project name (default: the directory's name).
    #[arg(long)]
    pub name: Option<String>,
    /// Author (default: git's user.name).
    #[arg(long)]
    pub author: Option<String>,
    /// Template generation: 15 (default) or 16.
    #[arg(long, default_value = "15", value_parser = ["15", "16"])]
    pub generation: String,
    /// Replace existing files, keeping a backup of each.
    #[arg(long)]
    pub force: bool,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let generation = Generation::parse(&args.generation).unwrap_or(Generation::G15);
    if args.dir.exists() && !args.dir.is_dir() {
        bail!(
            "{} exists and is not a directory; choose another DIR",
            args.dir.display()
        );
    }
    fs::create_dir_all(&args.dir)
        .with_context(|| format!("cannot create {}", args.dir.display()))?;
    let abs = fs::canonicalize(&args.dir).unwrap_or_else(|_| args.dir.clone());
    let name = args.name.clone().unwrap_or_else(|| {
        abs.file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_else(|| "project".into())
    });
    let author = args
        .author
        .clone()
        .or_else(|| env::git_user_name(&abs))
        .or_else(|| std::env::var("USER").ok())
        .unwrap_or_else(|| "unknown".into());
    let date = env::today();
    let repo_path = abs.to_string_lossy().to_string();
    let values = Values {
        project_name: &name,
        date: &date,
        author: &author,
        repo_path: &repo_path,
    };

    let docs = args.dir.join("docs");
    if docs.exists() && !docs.is_dir() {
        bail!(
            "{} exists and is not a directory; move it away first",
            docs.display()
        );
    }
    let mut plan: Vec<(PathBuf, String)> = DocKind::ALL
        .iter()
        .map(|k| {
            (
                docs.join(k.file_name()),
                templates::render(*k, generation, &values),
            )
        })
        .collect();
    plan.push((
        args.dir.join("mesh.toml"),
        templates::fill(templates::MESH_TOML, &values),
    ));

    // Check everything before writing anything.
    for (path, _) in &plan {
        if path.is_dir() {
            bail!(
                "{} is a directory; move it away first (nothing was written)",
                path.display()
            );
        }
    }
    fs::create_dir_all(&docs).with_context(|| format!("cannot create {}", docs.display()))?;
    let mut report = String::new();
    let mut written = 0;
    for (path, text) in &plan {
        let shown = shown(&args.dir, path);
        if path.exists() {
            if !args.force {
                report.push_str(&format!(
                    "  kept     {shown} (exists; --force replaces it and keeps a backup)\n"
                ));
                continue;
            }
            let backup = backup_path(path);
            fs::copy(path, &backup).with_context(|| {
                format!("cannot back up {} to {}", path.display(), backup.display())
            })?;
            write_atomic(path, text.as_bytes())?;
            report.push_str(&format!(
                "  replaced {shown} (backup: {})\n",
                shown_path(&args.dir, &backup)
            ));
        } else {
            write_atomic(path, text.as_bytes())?;
            report.push_str(&format!("  created  {shown}\n"));
        }
        written += 1;
    }
    report.push_str(&ignore_working_files(&args.dir, args.force)?);
    let gen_label = match generation {
        Generation::G15 => "15",
        Generation::G16 => "16",
    };
    let mut out = format!(
        "Scaffolded `{name}` (template generation {gen_label}, author {author}):\n{report}"
    );
    if written == 0 {
        out.push_str(
            "Nothing written: every file exists. Use --force to replace them (backups are kept).\n",
        );
    } else {
        out.push_str("\nNext: fill docs/PRD.md, docs/SPEC.md and docs/DECISION_LOG.md, then run `mesh status` to see what is still unfilled.\n");
    }
    output::print(&out)?;
    Ok(ExitCode::SUCCESS)
}

/// What git must not track: the task store and ledger (`.mesh/`) and the decision log's lock
/// file. A missing `<dir>/.gitignore` is created with them. An existing one is like every other
/// existing file: kept as it is (the report names the missing lines) unless --force, which keeps
/// a backup and appends only the missing lines.
const IGNORED: [&str; 2] = ["/.mesh/", ".DECISION_LOG.md.lock"];

fn ignore_working_files(dir: &Path, force: bool) -> anyhow::Result<String> {
    let path = dir.join(".gitignore");
    let existing = match fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    let present = |entry: &str| {
        let bare = entry.trim_start_matches('/').trim_end_matches('/');
        existing
            .lines()
            .map(str::trim)
            .any(|l| l.trim_start_matches('/').trim_end_matches('/') == bare)
    };
    let missing: Vec<&str> = IGNORED.into_iter().filter(|e| !present(e)).collect();
    if missing.is_empty() {
        return Ok(String::new());
    }
    let exists = path.exists();
    if exists && !force {
        return Ok(format!(
            "  kept     .gitignore (exists; add {} to it, or --force appends them and keeps a backup)\n",
            missing.join(" and ")
        ));
    }
    if exists {
        let backup = backup_path(&path);
        fs::copy(&path, &backup).with_context(|| {
            format!("cannot back up {} to {}", path.display(), backup.display())
        })?;
    }
    let mut text = existing.clone();
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    text.push_str("# Atomic Mesh: the task store, the ledger and the decision log's lock file\n");
    for entry in &missing {
        text.push_str(entry);
        text.push('\n');
    }
    write_atomic(&path, text.as_bytes())?;
    let verb = if exists { "updated " } else { "created " };
    Ok(format!("  {verb} .gitignore ({})\n", missing.join(", ")))
}

fn shown(base: &Path, path: &Path) -> String {
    shown_path(base, path)
}

fn shown_path(base: &Path, path: &Path) -> String {
    path.strip_prefix(base)
        .unwrap_or(path)
        .to_string_lossy()
        .replace('\\', "/")
}
