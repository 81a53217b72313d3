//! Print the watched files changed between HEAD and the index (or the working tree): the
//! stand-in for `mesh check` as a pre-commit hook (bench/audit.sh times it; tests run it as a
//! hook).
//!
//!     staged [--worktree] [--out FILE] [PATH...]
//!
//! PATHs default to docs/SPEC.md and docs/DECISION_LOG.md. One line per change:
//! `KIND PATH OLD_BYTES NEW_BYTES`, to FILE (appended) or stdout.

use std::io::Write;
use std::process::ExitCode;
use std::time::Instant;

use mesh_git::{Repo, Watch, WorkSource};

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let start = Instant::now();
    let mut source = WorkSource::Staged;
    let mut out_file = None;
    let mut paths = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--worktree" => source = WorkSource::WorkingTree,
            "--out" => out_file = Some(args.next().ok_or("--out needs a file")?),
            _ => paths.push(a),
        }
    }
    if paths.is_empty() {
        paths = vec!["docs/SPEC.md".into(), "docs/DECISION_LOG.md".into()];
    }
    let repo = Repo::discover(".")?;
    let changes = repo.uncommitted_changes(&Watch::paths(&paths)?, source)?;
    let mut text = String::new();
    for c in &changes {
        text.push_str(&format!(
            "{:?} {} {} {}\n",
            c.kind,
            c.path(),
            c.old_bytes().len(),
            c.new_bytes().len()
        ));
    }
    match out_file {
        Some(f) => std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(f)?
            .write_all(text.as_bytes())?,
        None => std::io::stdout().write_all(text.as_bytes())?,
    }
    eprintln!(
        "{} changes in {:.1} ms",
        changes.len(),
        start.elapsed().as_secs_f64() * 1000.0
    );
    Ok(())
}
