//! Evidence the tool gathers itself for the review gate: which tree the working directory is
//! (`current_tree`), what a task changed (`changed_files`), the project's tests run on that tree
//! (`verify`), the size and repeated code of the change (`simplify`) and a logged waiver
//! (`waive`).
//!
//! Git is driven through its command line here, not through gix: the tree id of the working
//! tree *including untracked files* needs the working tree staged into a temporary index
//! (`GIT_INDEX_FILE=<tmp> git add -A`, then `git write-tree`), and gix cannot stage a working tree
//! into an index. The real index (`.git/index`) is only copied, never written. Staging writes the
//! new blobs into the object database as loose objects, as `git add` would; `git gc` prunes them.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Why evidence could not be gathered or recorded.
#[derive(Debug, thiserror::Error)]
pub enum EvidenceError {
    /// `git` could not be started.
    #[error("cannot run git: {0}; install git and make sure it is on PATH")]
    GitMissing(std::io::Error),
    /// The directory is not inside a git work tree.
    #[error(
        "{dir} is not inside a git work tree; evidence is taken from git (run `git init` first)"
    )]
    NotARepository { dir: String },
    /// The base revision does not name a commit.
    #[error("`{rev}` does not name a commit in this repository; give a branch, tag or commit id")]
    BadRevision { rev: String },
    /// A git command failed.
    #[error("`git {args}` failed: {message}")]
    Git { args: String, message: String },
    /// A file could not be read or written.
    #[error("{what}: {source}")]
    Io {
        what: String,
        #[source]
        source: std::io::Error,
    },
}

fn io_err(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> EvidenceError {
    let what = what.into();
    move |source| EvidenceError::Io { what, source }
}

/// Run git in `dir` with optional extra environment; non-zero exit is an error carrying stderr.
fn git<I, S>(dir: &Path, index: Option<&Path>, args: I) -> Result<Output, EvidenceError>
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let args: Vec<std::ffi::OsString> = args.into_iter().map(|a| a.as_ref().to_owned()).collect();
    let mut cmd = Command::new("git");
    cmd.args(&args).current_dir(dir);
    if let Some(index) = index {
        cmd.env("GIT_INDEX_FILE", index);
    }
    let out = cmd.output().map_err(EvidenceError::GitMissing)?;
    if out.status.success() {
        Ok(out)
    } else {
        let shown = args
            .iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join(" ");
        Err(EvidenceError::Git {
            args: shown,
            message: String::from_utf8_lossy(&out.stderr).trim().to_string(),
        })
    }
}

fn stdout_line(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// The working tree of the repository holding `dir`, staged into a temporary index (deleted on
/// drop). The caller runs further git commands against it with [`Staged::git`].
struct Staged {
    /// Directory git runs in.
    dir: PathBuf,
    /// Holds the temporary index file.
    _tmp: tempfile::TempDir,
    index: PathBuf,
    /// The tree id of the staged working tree.
    tree: String,
}

impl Staged {
    fn new(dir: &Path) -> Result<Staged, EvidenceError> {
        let inside = Command::new("git")
            .args(["rev-parse", "--is-inside-work-tree"])
            .current_dir(dir)
            .output()
            .map_err(EvidenceError::GitMissing)?;
        if !inside.status.success() || stdout_line(&inside) != "true" {
            return Err(EvidenceError::NotARepository {
                dir: dir.display().to_string(),
            });
        }
        // `--git-path index` honours worktrees and GIT_INDEX_FILE; relative to `dir`.
        let real = PathBuf::from(stdout_line(&git(
            dir,
            None,
            ["rev-parse", "--git-path", "index"],
        )?));
        let real = if real.is_absolute() {
            real
        } else {
            dir.join(real)
        };
        let tmp = tempfile::Builder::new()
            .prefix("mesh-evidence")
            .tempdir()
            .map_err(io_err("cannot create a temporary directory"))?;
        let index = tmp.path().join("index");
        if real.exists() {
            // A copy keeps the stat cache, so unchanged files are not hashed again.
            std::fs::copy(&real, &index).map_err(io_err(format!(
                "cannot copy the git index {}",
                real.display()
            )))?;
        }
        // From the top level, so the whole work tree is staged whatever `dir` is.
        let top = PathBuf::from(stdout_line(&git(
            dir,
            None,
            ["rev-parse", "--show-toplevel"],
        )?));
        git(&top, Some(&index), ["add", "--all", "--", "."])?;
        let tree = stdout_line(&git(&top, Some(&index), ["write-tree"])?);
        Ok(Staged {
            dir: top,
            _tmp: tmp,
            index,
            tree,
        })
    }

    /// Run git at the top level against the temporary index.
    fn git<I, S>(&self, args: I) -> Result<Output, EvidenceError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        git(&self.dir, Some(&self.index), args)
    }

    /// The commit id `base` names (default HEAD); `None` when `base` is not given and HEAD is
    /// unborn (a repository without commits: everything is new).
    fn resolve(&self, base: Option<&str>) -> Result<Option<String>, EvidenceError> {
        let rev = base.unwrap_or("HEAD");
        let spec = format!("{rev}^{{commit}}");
        match git(
            &self.dir,
            None,
            [
                "rev-parse",
                "--verify",
                "--quiet",
                "--end-of-options",
                &spec,
            ],
        ) {
            Ok(out) => Ok(Some(stdout_line(&out))),
            Err(EvidenceError::Git { .. }) if base.is_none() => Ok(None),
            Err(EvidenceError::Git { .. }) => Err(EvidenceError::BadRevision {
                rev: rev.to_string(),
            }),
            Err(e) => Err(e),
        }
    }
}

/// The git tree id of the working tree as it is now: tracked changes and untracked, not-ignored
/// files included. Same content gives the same id; the real index is never touched (the work
/// tree is staged into a copy of it).
pub fn current_tree(dir: &Path) -> Result<String, EvidenceError> {
    Ok(Staged::new(dir)?.tree)
}

/// Files changed between `base` (a revision; default HEAD) and the working tree, untracked
/// files included: repository-relative paths with `/`, sorted. A rename lists both names.
pub fn changed_files(dir: &Path, base: Option<&str>) -> Result<Vec<String>, EvidenceError> {
    let staged = Staged::new(dir)?;
    let base = staged.resolve(base)?;
    let mut args = vec![
        "diff",
        "--cached",
        "--no-renames",
        "--name-only",
        "-z",
        "--no-ext-diff",
    ];
    if let Some(b) = &base {
        args.push(b);
    }
    let out = staged.git(args)?;
    let mut files: Vec<String> = out
        .stdout
        .split(|b| *b == 0)
        .filter(|p| !p.is_empty())
        .map(|p| String::from_utf8_lossy(p).into_owned())
        .collect();
    files.sort();
    files.dedup();
    Ok(files)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use std::fs;

    fn run(dir: &Path, args: &[&str]) -> String {
        let out = Command::new("git")
            .args(args)
            .current_dir(dir)
            .env("GIT_AUTHOR_NAME", "Test")
            .env("GIT_AUTHOR_EMAIL", "t@example.com")
            .env("GIT_COMMITTER_NAME", "Test")
            .env("GIT_COMMITTER_EMAIL", "t@example.com")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn repo() -> tempfile::TempDir {
        let t = tempfile::tempdir().unwrap();
        run(t.path(), &["init", "-q", "-b", "main"]);
        fs::write(t.path().join("a.txt"), "one\n").unwrap();
        fs::write(t.path().join(".gitignore"), "target/\n").unwrap();
        run(t.path(), &["add", "-A"]);
        run(t.path(), &["commit", "-q", "-m", "first"]);
        t
    }

    #[test]
    fn clean_tree_is_head_tree_and_changes_move_the_id() {
        let t = repo();
        let d = t.path();
        let head_tree = run(d, &["rev-parse", "HEAD^{tree}"]).trim().to_string();
        assert_eq!(current_tree(d).unwrap(), head_tree);

        let index_before = fs::read(d.join(".git/index")).unwrap();
        fs::write(d.join("a.txt"), "two\n").unwrap();
        let changed = current_tree(d).unwrap();
        assert_ne!(changed, head_tree);
        fs::write(d.join("a.txt"), "one\n").unwrap();
        assert_eq!(current_tree(d).unwrap(), head_tree);

        // Untracked files count, ignored ones do not.
        fs::write(d.join("new.txt"), "n\n").unwrap();
        let with_new = current_tree(d).unwrap();
        assert_ne!(with_new, head_tree);
        fs::create_dir(d.join("target")).unwrap();
        fs::write(d.join("target/out.bin"), "x").unwrap();
        assert_eq!(current_tree(d).unwrap(), with_new);

        // The real index is untouched: nothing got staged.
        assert_eq!(fs::read(d.join(".git/index")).unwrap(), index_before);
        assert_eq!(run(d, &["diff", "--cached", "--name-only"]), "");
    }

    #[test]
    fn subdirectory_stages_whole_tree() {
        let t = repo();
        fs::create_dir(t.path().join("sub")).unwrap();
        fs::write(t.path().join("top.txt"), "t\n").unwrap();
        assert_eq!(
            current_tree(&t.path().join("sub")).unwrap(),
            current_tree(t.path()).unwrap()
        );
    }

    #[test]
    fn changed_files_include_untracked_and_deleted() {
        let t = repo();
        let d = t.path();
        assert!(changed_files(d, None).unwrap().is_empty());
        fs::write(d.join("a.txt"), "changed\n").unwrap();
        fs::create_dir(d.join("src")).unwrap();
        fs::write(d.join("src/new file.rs"), "fn x() {}\n").unwrap();
        assert_eq!(
            changed_files(d, None).unwrap(),
            vec!["a.txt".to_string(), "src/new file.rs".to_string()]
        );
        run(d, &["add", "-A"]);
        run(d, &["commit", "-q", "-m", "second"]);
        fs::remove_file(d.join(".gitignore")).unwrap();
        assert_eq!(changed_files(d, None).unwrap(), vec![".gitignore"]);
        assert_eq!(
            changed_files(d, Some("HEAD~1")).unwrap(),
            vec![".gitignore", "a.txt", "src/new file.rs"]
        );
        assert!(matches!(
            changed_files(d, Some("no-such-branch")),
            Err(EvidenceError::BadRevision { .. })
        ));
    }

    #[test]
    fn unborn_head_and_non_repository() {
        let t = tempfile::tempdir().unwrap();
        assert!(matches!(
            current_tree(t.path()),
            Err(EvidenceError::NotARepository { .. })
        ));
        run(t.path(), &["init", "-q"]);
        fs::write(t.path().join("x"), "x").unwrap();
        assert_eq!(changed_files(t.path(), None).unwrap(), vec!["x"]);
        assert_eq!(current_tree(t.path()).unwrap().len(), 40);
    }
}
