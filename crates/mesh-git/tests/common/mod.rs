//! Test helpers: fixture repositories built by the scripts in `tests/fixtures/` with the real git.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use mesh_git::ObjectId;
use tempfile::TempDir;

/// A git command with a clean, reproducible environment.
pub fn git_cmd(dir: &Path) -> Command {
    let mut c = Command::new("git");
    c.current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_AUTHOR_NAME", "T")
        .env("GIT_AUTHOR_EMAIL", "t@example.invalid")
        .env("GIT_COMMITTER_NAME", "T")
        .env("GIT_COMMITTER_EMAIL", "t@example.invalid")
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .env_remove("GIT_INDEX_FILE")
        .env_remove("GIT_OBJECT_DIRECTORY")
        .env_remove("GIT_COMMON_DIR")
        .stdin(Stdio::null());
    c
}

/// Run git in `dir`; panic with its stderr on failure; return trimmed stdout.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = git_cmd(dir).args(args).output().expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?} failed in {}: {}",
        dir.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// Build fixture `name` (tests/fixtures/NAME.sh) in a new temp dir; returns the dir and the
/// repository path inside it.
pub fn fixture(name: &str, extra: &[&str]) -> (TempDir, PathBuf) {
    let tmp = TempDir::new().expect("temp dir");
    let repo = tmp.path().join("repo");
    let script = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(format!("{name}.sh"));
    let out = Command::new("bash")
        .arg(&script)
        .arg(&repo)
        .args(extra)
        .env_remove("GIT_DIR")
        .env_remove("GIT_INDEX_FILE")
        .stdin(Stdio::null())
        .output()
        .expect("bash runs");
    assert!(
        out.status.success(),
        "fixture {name} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (tmp, repo)
}

/// The commit id a revision names, by git itself.
pub fn rev(dir: &Path, rev: &str) -> ObjectId {
    let hex = git(dir, &["rev-parse", &format!("{rev}^{{commit}}")]);
    ObjectId::from_hex(hex.as_bytes()).expect("hex id")
}

/// Commit ids listed by a git command, one per line.
pub fn ids(text: &str) -> Vec<ObjectId> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| ObjectId::from_hex(l.trim().as_bytes()).expect("hex id"))
        .collect()
}
