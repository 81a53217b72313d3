//! Walk a repository's first-parent history and count the commits that changed watched files:
//! the benchmark stand-in for `mesh audit` (bench/audit.sh).
//!
//!     cargo run --release -p mesh-git --example walk -- REPO [--no-bloom] [--names] [--range A..B] [PATH...]
//!
//! PATHs default to docs/SPEC.md and docs/DECISION_LOG.md; `--names` watches every SPEC.md and
//! DECISION_LOG.md instead. Prints one line per changed commit to stdout (`id paths`), and a
//! summary to stderr.

use std::io::Write;
use std::process::ExitCode;
use std::time::Instant;

use mesh_git::{Repo, WalkOptions, Watch};

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
    let mut args = std::env::args().skip(1);
    let repo_path = args
        .next()
        .ok_or("usage: walk REPO [--no-bloom] [--names] [--range A..B] [PATH...]")?;
    let mut use_bloom = true;
    let mut names = false;
    let mut range = None;
    let mut paths = Vec::new();
    while let Some(a) = args.next() {
        match a.as_str() {
            "--no-bloom" => use_bloom = false,
            "--names" => names = true,
            "--range" => range = Some(args.next().ok_or("--range needs A..B")?),
            _ => paths.push(a),
        }
    }
    if paths.is_empty() && !names {
        paths = vec!["docs/SPEC.md".into(), "docs/DECISION_LOG.md".into()];
    }
    let mut watch = Watch::paths(&paths)?;
    if names {
        watch = watch
            .with_file_name("SPEC.md")?
            .with_file_name("DECISION_LOG.md")?;
    }
    let start = Instant::now();
    let repo = Repo::discover(&repo_path)?;
    let (base, tip) = match &range {
        Some(r) => repo.resolve_range(r)?,
        None => (None, repo.head_commit()?),
    };
    let mut opts = WalkOptions::new(tip, base, watch);
    opts.use_bloom = use_bloom;
    let mut walk = repo.walk(opts)?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let (mut changed, mut bytes) = (0u64, 0u64);
    for item in walk.by_ref() {
        let c = item?;
        changed += 1;
        write!(out, "{}", c.commit.id)?;
        for f in &c.changes {
            bytes += (f.old_bytes().len() + f.new_bytes().len()) as u64;
            write!(out, " {:?}:{}", f.kind, f.path())?;
        }
        writeln!(out)?;
    }
    out.flush()?;
    eprintln!(
        "walked {} commits, {} changed watched files ({} content bytes), graph: {:?}, bloom used: {}, end: {:?}, {:.3} s",
        walk.visited(),
        changed,
        bytes,
        repo.graph_support(),
        walk.uses_bloom(),
        walk.end(),
        start.elapsed().as_secs_f64()
    );
    Ok(())
}
