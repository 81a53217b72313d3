//! Git hook scripts: the pure part of `mesh hooks install|uninstall`.
//!
//! Every function works on a hooks directory ([`crate::Repo::hooks_dir`]: `core.hooksPath` or the
//! common git dir's `hooks/`, so linked worktrees share the hooks of their main repository).
//!
//! - Installing is idempotent: our hook is recognised by [`HOOK_MARKER`] and rewritten in place.
//! - A hook that was there before (not ours) is kept working: it is renamed to
//!   `<hook>.mesh-chained` and our script runs it first (with the same arguments and, for
//!   pre-push, the same standard input), stopping if it fails.
//! - Uninstalling removes only our script and puts the chained hook back under its own name.

use std::path::{Path, PathBuf};

use crate::error::{GitError, Result};

/// The line that marks a hook script as ours.
pub const HOOK_MARKER: &str = "# managed-by: atomic-mesh";

/// The hooks we install.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HookKind {
    /// `pre-commit`: judges the staged changes.
    PreCommit,
    /// `pre-push`: judges the pushed ranges (git writes them on standard input).
    PrePush,
}

impl HookKind {
    /// The hook's file name (`pre-commit`).
    pub fn file_name(self) -> &'static str {
        match self {
            HookKind::PreCommit => "pre-commit",
            HookKind::PrePush => "pre-push",
        }
    }

    /// The name a previous hook is kept under (`pre-commit.mesh-chained`).
    pub fn chained_name(self) -> String {
        format!("{}.mesh-chained", self.file_name())
    }
}

/// What [`install_hook`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InstallOutcome {
    /// Our hook was written; there was none before.
    Installed,
    /// Our hook was written, and the hook that was there now runs first from `chained`.
    InstalledChaining {
        /// Where the previous hook now lives.
        chained: PathBuf,
    },
    /// Our hook was already there with other content (e.g. another `mesh` path); rewritten.
    Updated,
    /// Our hook was already there, identical: nothing changed.
    Unchanged,
}

/// What [`uninstall_hook`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UninstallOutcome {
    /// Our hook was removed.
    Removed,
    /// Our hook was removed and the chained hook is back under its own name.
    RemovedRestoredChained {
        /// The restored hook.
        restored: PathBuf,
    },
    /// There was no hook of ours.
    NotInstalled,
    /// A hook is there but it is not ours: left untouched.
    NotOurs,
}

/// What is installed now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HookStatus {
    /// No hook file.
    Absent,
    /// Our hook; `chains` tells whether a previous hook runs first.
    Ours {
        /// Whether `<hook>.mesh-chained` exists.
        chains: bool,
    },
    /// Someone else's hook.
    Foreign,
}

/// Quote a word for POSIX sh.
fn sh_quote(s: &str) -> String {
    if !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./=:+@%".contains(&b))
    {
        return s.to_owned();
    }
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// The text of our hook script. `program` is the `mesh` executable (an absolute path is best:
/// hooks run with git's environment; `mesh` on `PATH` is the fallback, and `MESH_BIN` overrides
/// both), `args` its arguments (e.g. `["check", "--staged"]`). When no `mesh` can be found the
/// hook warns and lets the commit through rather than blocking people who have not installed it.
pub fn hook_script(kind: HookKind, program: &str, args: &[&str]) -> String {
    let name = kind.file_name();
    let chained = kind.chained_name();
    let args: Vec<String> = args.iter().map(|a| sh_quote(a)).collect();
    let args = args.join(" ");
    let program = sh_quote(program);
    let (capture, feed) = match kind {
        HookKind::PrePush => (
            "input=$(cat)\n",
            "if [ -n \"$input\" ]; then printf '%s\\n' \"$input\"; fi | ",
        ),
        HookKind::PreCommit => ("", ""),
    };
    format!(
        r#"#!/bin/sh
{HOOK_MARKER} ({name})
# Installed by `mesh hooks install`; `mesh hooks uninstall` removes it and restores any hook that
# was here before (kept as {chained}, which runs first).
{capture}hook_dir=$(dirname "$0")
if [ -x "$hook_dir/{chained}" ]; then
    {feed}"$hook_dir/{chained}" "$@" || exit $?
fi
mesh_bin=${{MESH_BIN:-{program}}}
if ! command -v "$mesh_bin" >/dev/null 2>&1; then
    mesh_bin=mesh
fi
if ! command -v "$mesh_bin" >/dev/null 2>&1; then
    echo "atomic-mesh: mesh not found (looked for {program} and mesh on PATH); {name} check skipped. Install mesh or set MESH_BIN." >&2
    exit 0
fi
{feed}"$mesh_bin" {args} "$@"
"#
    )
}

/// Whether a hook file's text is ours.
pub fn is_our_hook(text: &str) -> bool {
    text.lines().take(5).any(|l| l.starts_with(HOOK_MARKER))
}

fn read_text(path: &Path) -> Result<Option<String>> {
    match std::fs::read(path) {
        Ok(b) => Ok(Some(String::from_utf8_lossy(&b).into_owned())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(GitError::io("cannot read", path, e)),
    }
}

fn exists(path: &Path) -> bool {
    path.symlink_metadata().is_ok()
}

/// What hook of `kind` is installed in `hooks_dir`.
pub fn hook_status(hooks_dir: &Path, kind: HookKind) -> Result<HookStatus> {
    let hook = hooks_dir.join(kind.file_name());
    if !exists(&hook) {
        return Ok(HookStatus::Absent);
    }
    Ok(match read_text(&hook)? {
        Some(t) if is_our_hook(&t) => HookStatus::Ours {
            chains: exists(&hooks_dir.join(kind.chained_name())),
        },
        _ => HookStatus::Foreign,
    })
}

/// Install our hook of `kind` into `hooks_dir` (created if missing), chaining any existing hook.
/// Safe to run again: see [`InstallOutcome`].
pub fn install_hook(
    hooks_dir: &Path,
    kind: HookKind,
    program: &str,
    args: &[&str],
) -> Result<InstallOutcome> {
    std::fs::create_dir_all(hooks_dir)
        .map_err(|e| GitError::io("cannot create the hooks directory", hooks_dir, e))?;
    let hook = hooks_dir.join(kind.file_name());
    let chained = hooks_dir.join(kind.chained_name());
    let script = hook_script(kind, program, args);
    let mut outcome = InstallOutcome::Installed;
    if exists(&hook) {
        match read_text(&hook)? {
            Some(t) if is_our_hook(&t) => {
                if t == script {
                    return Ok(InstallOutcome::Unchanged);
                }
                outcome = InstallOutcome::Updated;
            }
            _ => {
                if exists(&chained) {
                    return Err(GitError::Hook {
                        path: hook,
                        reason: format!(
                            "a hook that is not ours is installed, and {} already holds an earlier one; merge them by hand, then run the install again",
                            chained.display()
                        ),
                    });
                }
                std::fs::rename(&hook, &chained)
                    .map_err(|e| GitError::io("cannot move the existing hook aside", &hook, e))?;
                outcome = InstallOutcome::InstalledChaining { chained };
            }
        }
    }
    write_executable(&hook, &script)?;
    Ok(outcome)
}

/// Remove our hook of `kind` from `hooks_dir` and restore the chained one. A hook that is not
/// ours is left untouched.
pub fn uninstall_hook(hooks_dir: &Path, kind: HookKind) -> Result<UninstallOutcome> {
    let hook = hooks_dir.join(kind.file_name());
    let chained = hooks_dir.join(kind.chained_name());
    let restore = |outcome_if_none: UninstallOutcome| -> Result<UninstallOutcome> {
        if exists(&chained) {
            std::fs::rename(&chained, &hook)
                .map_err(|e| GitError::io("cannot restore the chained hook", &chained, e))?;
            Ok(UninstallOutcome::RemovedRestoredChained {
                restored: hook.clone(),
            })
        } else {
            Ok(outcome_if_none)
        }
    };
    if !exists(&hook) {
        // Our hook is gone but the chained one is still aside: put it back.
        return restore(UninstallOutcome::NotInstalled);
    }
    match read_text(&hook)? {
        Some(t) if is_our_hook(&t) => {
            std::fs::remove_file(&hook).map_err(|e| GitError::io("cannot remove", &hook, e))?;
            restore(UninstallOutcome::Removed)
        }
        _ => Ok(UninstallOutcome::NotOurs),
    }
}

/// Write through a temporary file and rename, then make it executable.
fn write_executable(path: &Path, text: &str) -> Result<()> {
    let tmp = path.with_extension("mesh-tmp");
    std::fs::write(&tmp, text).map_err(|e| GitError::io("cannot write", &tmp, e))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o755))
            .map_err(|e| GitError::io("cannot make executable", &tmp, e))?;
    }
    std::fs::rename(&tmp, path).map_err(|e| GitError::io("cannot write", path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting() {
        assert_eq!(sh_quote("/usr/bin/mesh"), "/usr/bin/mesh");
        assert_eq!(sh_quote("a b"), "'a b'");
        assert_eq!(sh_quote("it's"), "'it'\\''s'");
        assert_eq!(sh_quote(""), "''");
    }

    #[test]
    fn script_is_marked_and_chains() {
        let s = hook_script(
            HookKind::PrePush,
            "/opt/mesh dir/mesh",
            &["check", "--pre-push"],
        );
        assert!(s.starts_with("#!/bin/sh\n"));
        assert!(is_our_hook(&s));
        assert!(s.contains("pre-push.mesh-chained"));
        assert!(s.contains("'/opt/mesh dir/mesh'"));
        assert!(s.contains("input=$(cat)"));
        assert!(!hook_script(HookKind::PreCommit, "mesh", &["check"]).contains("input=$(cat)"));
        assert!(!is_our_hook("#!/bin/sh\nexec lint\n"));
    }
}
