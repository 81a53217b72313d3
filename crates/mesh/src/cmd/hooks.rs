//! `mesh hooks`: install or remove the git hooks that run `mesh check`.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Parser as _;
use mesh_git::Repo;
use mesh_git::hooks::{
    HookKind, HookStatus, InstallOutcome, UninstallOutcome, hook_status, install_hook,
    uninstall_hook,
};

use crate::cmd::check;
use crate::output;

/// Install, remove or show the git hooks that run `mesh check`.
///
/// The pre-commit hook judges the staged changes (`mesh check`); the pre-push hook judges the
/// commits being pushed (`mesh check --base <remote commit>`). Installing is idempotent; a hook
/// that was already there keeps working (ours runs it first); uninstalling restores it. Hooks live
/// in the repository's common git directory (or core.hooksPath), so linked worktrees share them.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  mesh hooks install                 # pre-commit\n  mesh hooks install --pre-commit --pre-push\n  mesh hooks uninstall               # every hook of ours\n  mesh hooks status"
)]
pub struct Args {
    #[command(subcommand)]
    pub action: Action,
}

#[derive(Debug, clap::Subcommand)]
pub enum Action {
    /// Install hooks (default: --pre-commit).
    Install(Which),
    /// Remove our hooks and restore the ones they chained (default: every hook of ours).
    Uninstall(Which),
    /// Show which hooks are installed.
    Status {
        /// Project directory inside the repository.
        #[arg(default_value = ".")]
        dir: PathBuf,
    },
    /// Run a hook (what the installed scripts call).
    #[command(hide = true)]
    Run {
        /// `pre-push`.
        hook: String,
        /// Project directory, relative to the worktree root.
        #[arg(long, default_value = ".")]
        dir: PathBuf,
        /// What git passes to the hook (for pre-push: remote name and URL).
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        rest: Vec<String>,
    },
}

#[derive(Debug, clap::Args)]
pub struct Which {
    /// Project directory (holding docs/ or mesh.toml) inside the repository.
    #[arg(default_value = ".")]
    pub dir: PathBuf,
    /// The pre-commit hook: `mesh check` on the staged changes.
    #[arg(long)]
    pub pre_commit: bool,
    /// The pre-push hook: `mesh check --base <remote commit>` on the pushed commits.
    #[arg(long)]
    pub pre_push: bool,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    match args.action {
        Action::Install(w) => install(&w),
        Action::Uninstall(w) => uninstall(&w),
        Action::Status { dir } => status(&dir),
        Action::Run { hook, dir, rest } => match hook.as_str() {
            "pre-push" => pre_push(&dir, &rest),
            other => anyhow::bail!("unknown hook `{other}`; mesh runs only `pre-push` this way"),
        },
    }
}

/// The repository of `dir`, its hooks directory and `dir` relative to the worktree root.
fn locate(dir: &Path) -> anyhow::Result<(Repo, PathBuf, String)> {
    let repo = Repo::discover(dir)?;
    let hooks = repo.hooks_dir();
    let rel = match repo.workdir() {
        Some(wd) => {
            let wd = wd.canonicalize().unwrap_or_else(|_| wd.to_path_buf());
            let d = dir
                .canonicalize()
                .with_context(|| format!("cannot resolve {}", dir.display()))?;
            d.strip_prefix(&wd)
                .map(|p| p.to_string_lossy().replace('\\', "/"))
                .unwrap_or_default()
        }
        None => anyhow::bail!(
            "this is a bare repository: git runs no commit hooks here; install them in a clone"
        ),
    };
    Ok((repo, hooks, rel))
}

fn kinds(w: &Which, default_all: bool) -> Vec<HookKind> {
    let mut k = Vec::new();
    if w.pre_commit {
        k.push(HookKind::PreCommit);
    }
    if w.pre_push {
        k.push(HookKind::PrePush);
    }
    if k.is_empty() {
        k.push(HookKind::PreCommit);
        if default_all {
            k.push(HookKind::PrePush);
        }
    }
    k
}

/// The command line our hook script runs, for `kind`.
fn hook_args(kind: HookKind, rel: &str) -> Vec<String> {
    let mut a: Vec<String> = match kind {
        HookKind::PreCommit => vec!["check".into()],
        HookKind::PrePush => vec!["hooks".into(), "run".into(), "pre-push".into()],
    };
    if !rel.is_empty() {
        match kind {
            HookKind::PreCommit => a.push(rel.to_string()),
            HookKind::PrePush => {
                a.push("--dir".into());
                a.push(rel.to_string());
            }
        }
    }
    if kind == HookKind::PrePush {
        a.push("--".into());
    }
    a
}

fn install(w: &Which) -> anyhow::Result<ExitCode> {
    let (_repo, hooks, rel) = locate(&w.dir)?;
    let exe = std::env::current_exe()
        .ok()
        .and_then(|p| p.canonicalize().ok())
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_else(|| "mesh".into());
    let mut text = String::new();
    for kind in kinds(w, false) {
        let args = hook_args(kind, &rel);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let outcome = install_hook(&hooks, kind, &exe, &args)?;
        let path = hooks.join(kind.file_name());
        let line = match outcome {
            InstallOutcome::Installed => format!("installed {}", path.display()),
            InstallOutcome::InstalledChaining { chained } => format!(
                "installed {} (the hook that was there runs first, from {})",
                path.display(),
                chained.display()
            ),
            InstallOutcome::Updated => format!("updated {}", path.display()),
            InstallOutcome::Unchanged => format!("{} is already installed", path.display()),
        };
        text.push_str(&line);
        text.push('\n');
    }
    output::print(&text)?;
    Ok(ExitCode::SUCCESS)
}

fn uninstall(w: &Which) -> anyhow::Result<ExitCode> {
    let (_repo, hooks, _rel) = locate(&w.dir)?;
    let mut text = String::new();
    for kind in kinds(w, true) {
        let path = hooks.join(kind.file_name());
        let line = match uninstall_hook(&hooks, kind)? {
            UninstallOutcome::Removed => format!("removed {}", path.display()),
            UninstallOutcome::RemovedRestoredChained { restored } => format!(
                "removed our {} hook and restored the previous one at {}",
                kind.file_name(),
                restored.display()
            ),
            UninstallOutcome::NotInstalled => {
                format!("no {} hook of ours was installed", kind.file_name())
            }
            UninstallOutcome::NotOurs => format!(
                "{} is not ours (no `managed-by: atomic-mesh` line); left untouched",
                path.display()
            ),
        };
        text.push_str(&line);
        text.push('\n');
    }
    output::print(&text)?;
    Ok(ExitCode::SUCCESS)
}

fn status(dir: &Path) -> anyhow::Result<ExitCode> {
    let (_repo, hooks, _rel) = locate(dir)?;
    let mut text = format!("hooks directory: {}\n", hooks.display());
    for kind in [HookKind::PreCommit, HookKind::PrePush] {
        let s = match hook_status(&hooks, kind)? {
            HookStatus::Absent => "not installed".to_string(),
            HookStatus::Ours { chains: false } => "installed".to_string(),
            HookStatus::Ours { chains: true } => {
                format!("installed, running {} first", kind.chained_name())
            }
            HookStatus::Foreign => "another tool's hook (not ours)".to_string(),
        };
        text.push_str(&format!("{:<11} {s}\n", kind.file_name()));
    }
    output::print(&text)?;
    Ok(ExitCode::SUCCESS)
}

/// `mesh check` arguments parsed as on the command line (every option keeps its default).
#[derive(clap::Parser)]
struct CheckCommand {
    #[command(flatten)]
    args: check::Args,
}

/// True for git's all-zero id (a ref created or deleted by the push).
fn is_zero(id: &str) -> bool {
    !id.is_empty() && id.bytes().all(|b| b == b'0')
}

/// The pre-push hook: git writes `<local ref> <local id> <remote ref> <remote id>` per pushed ref
/// on standard input; each pushed range is checked with `mesh check --base <remote id>`.
fn pre_push(dir: &Path, rest: &[String]) -> anyhow::Result<ExitCode> {
    let remote = rest.first().map(String::as_str).unwrap_or("origin");
    let mut input = String::new();
    std::io::stdin()
        .read_to_string(&mut input)
        .context("cannot read the refs git passes to the pre-push hook")?;
    let repo = Repo::discover(dir)?;
    let mut worst = 0u8;
    for line in input.lines() {
        let f: Vec<&str> = line.split_whitespace().collect();
        let [local_ref, local, _remote_ref, remote_id] = f.as_slice() else {
            continue;
        };
        if is_zero(local) {
            continue; // a deleted ref: nothing to judge
        }
        let base = if is_zero(remote_id) {
            // A new branch: judge what it adds to the remote's default branch.
            let default = format!("{remote}/HEAD");
            match repo.resolve(&default) {
                Ok(id) => id.to_string(),
                Err(_) => {
                    eprintln!(
                        "note: {local_ref} is new on {remote} and {default} is unknown here; its history was not judged (run `git remote set-head {remote} --auto`)"
                    );
                    continue;
                }
            }
        } else if repo.resolve(remote_id).is_err() {
            eprintln!(
                "note: {remote}'s {remote_id} is not in this repository (fetch first); {local_ref} was not judged"
            );
            continue;
        } else {
            (*remote_id).to_string()
        };
        let dir_arg = dir.as_os_str().to_string_lossy();
        let parsed = CheckCommand::try_parse_from([
            "check",
            "--base",
            base.as_str(),
            "--tip",
            local,
            dir_arg.as_ref(),
        ])?;
        let code = check::run(parsed.args)?;
        if code != ExitCode::SUCCESS {
            worst = worst.max(1);
        }
    }
    Ok(ExitCode::from(worst))
}
