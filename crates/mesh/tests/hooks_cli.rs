//! `mesh hooks install|uninstall|status` and the hooks themselves, run by the real git: commits
//! and pushes are blocked when the change policy is broken, existing hooks keep working, linked
//! worktrees share the hooks.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use tempfile::TempDir;

fn git_cmd(dir: &Path) -> Command {
    let mut c = Command::new("git");
    c.current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_AUTHOR_NAME", "T")
        .env("GIT_AUTHOR_EMAIL", "t@example.invalid")
        .env("GIT_COMMITTER_NAME", "T")
        .env("GIT_COMMITTER_EMAIL", "t@example.invalid")
        .env("NO_COLOR", "1")
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .env_remove("GIT_INDEX_FILE")
        .env_remove("MESH_BIN")
        .stdin(Stdio::null());
    c
}

fn git_out(dir: &Path, args: &[&str]) -> Output {
    git_cmd(dir).args(args).output().unwrap()
}

fn git(dir: &Path, args: &[&str]) -> String {
    let out = git_out(dir, args);
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn mesh(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mesh"))
        .args(args)
        .current_dir(cwd)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

const SPEC: &str = "# SPEC\n\n## Data Model\n\n- [ ] Orders have an id\n";
const LOG: &str = "# Decision Log\n\n## Records\n\n| ID | Date | Type | Decision | Rationale | Scope | Task | Status |\n|----|------|------|----------|-----------|-------|------|--------|\n| 001 | 2026-01-01 | INIT | Init | base | project | - | ✅ |\n";

fn repo() -> (TempDir, PathBuf) {
    let tmp = TempDir::new().unwrap();
    let dir = tmp.path().join("repo");
    std::fs::create_dir_all(dir.join("docs")).unwrap();
    git(&dir, &["init", "-q", "-b", "main"]);
    // Only the history rules, so that the scaffold-free documents pass the document rules.
    std::fs::write(
        dir.join("mesh.toml"),
        "[rules]\nselect = [\"GOV\", \"DEC02\"]\n",
    )
    .unwrap();
    std::fs::write(dir.join("docs/SPEC.md"), SPEC).unwrap();
    std::fs::write(dir.join("docs/DECISION_LOG.md"), LOG).unwrap();
    git(&dir, &["add", "-A"]);
    git(&dir, &["commit", "-q", "-m", "init"]);
    (tmp, dir)
}

fn append(dir: &Path, path: &str, s: &str) {
    let p = dir.join(path);
    let mut t = std::fs::read_to_string(&p).unwrap();
    t.push_str(s);
    std::fs::write(p, t).unwrap();
}

fn hooks_dir(dir: &Path) -> PathBuf {
    let common = git(dir, &["rev-parse", "--git-common-dir"]);
    let p = PathBuf::from(common);
    let p = if p.is_absolute() { p } else { dir.join(p) };
    p.join("hooks")
}

#[test]
fn install_is_idempotent_and_the_hook_blocks_a_spec_change_without_decision() {
    let (_t, dir) = repo();
    let o = mesh(&["hooks", "install"], &dir);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(
        text(&o.stdout).starts_with("installed "),
        "{}",
        text(&o.stdout)
    );
    let hook = hooks_dir(&dir).join("pre-commit");
    let script = std::fs::read_to_string(&hook).unwrap();
    assert!(script.contains("# managed-by: atomic-mesh"));
    let o = mesh(&["hooks", "install"], &dir);
    assert!(
        text(&o.stdout).contains("is already installed"),
        "{}",
        text(&o.stdout)
    );
    assert_eq!(std::fs::read_to_string(&hook).unwrap(), script);

    append(&dir, "docs/SPEC.md", "- [ ] Refunds within 30 days\n");
    git(&dir, &["add", "-A"]);
    let o = git_out(&dir, &["commit", "-q", "-m", "spec without decision"]);
    assert!(!o.status.success(), "the hook must block this commit");
    let all = format!("{}{}", text(&o.stdout), text(&o.stderr));
    assert!(all.contains("GOV001"), "{all}");

    // `git commit -a` stages through a temporary index: the hook sees it too.
    git(&dir, &["reset", "-q"]);
    let o = git_out(&dir, &["commit", "-q", "-a", "-m", "spec without decision"]);
    assert!(!o.status.success(), "commit -a must be blocked as well");

    append(
        &dir,
        "docs/DECISION_LOG.md",
        "| 002 | 2026-01-02 | SCOPE | Refunds within 30 days | asked | shop | - | ✅ |\n",
    );
    git(&dir, &["add", "-A"]);
    let o = git_out(&dir, &["commit", "-q", "-m", "spec with decision"]);
    assert!(o.status.success(), "{}{}", text(&o.stdout), text(&o.stderr));

    let o = mesh(&["hooks", "status"], &dir);
    assert!(
        text(&o.stdout).contains("pre-commit  installed"),
        "{}",
        text(&o.stdout)
    );
    let o = mesh(&["hooks", "uninstall"], &dir);
    assert!(text(&o.stdout).contains("removed"), "{}", text(&o.stdout));
    assert!(!hook.exists());
    let o = mesh(&["hooks", "uninstall"], &dir);
    assert!(
        text(&o.stdout).contains("no pre-commit hook of ours"),
        "{}",
        text(&o.stdout)
    );
}

#[test]
fn an_existing_hook_keeps_working_and_comes_back() {
    let (tmp, dir) = repo();
    let hooks = hooks_dir(&dir);
    std::fs::create_dir_all(&hooks).unwrap();
    let ran = tmp.path().join("theirs-ran");
    let theirs = format!("#!/bin/sh\necho ran >> '{}'\nexit 0\n", ran.display());
    let hook = hooks.join("pre-commit");
    std::fs::write(&hook, &theirs).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let o = mesh(&["hooks", "install"], &dir);
    assert!(
        text(&o.stdout).contains("runs first"),
        "{}",
        text(&o.stdout)
    );
    git(&dir, &["commit", "-q", "--allow-empty", "-m", "empty"]);
    assert!(ran.exists(), "the previous hook ran");
    let o = mesh(&["hooks", "uninstall"], &dir);
    assert!(text(&o.stdout).contains("restored"), "{}", text(&o.stdout));
    assert_eq!(std::fs::read_to_string(&hook).unwrap(), theirs);
    // A failing previous hook still stops the commit.
    std::fs::write(&hook, "#!/bin/sh\nexit 3\n").unwrap();
    mesh(&["hooks", "install"], &dir);
    assert!(
        !git_out(&dir, &["commit", "-q", "--allow-empty", "-m", "x"])
            .status
            .success()
    );
}

#[test]
fn linked_worktrees_share_the_hooks() {
    let (tmp, dir) = repo();
    let wt = tmp.path().join("wt");
    git(
        &dir,
        &["worktree", "add", "-q", "-b", "side", wt.to_str().unwrap()],
    );
    let o = mesh(&["hooks", "install", "--pre-commit"], &wt);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(
        hooks_dir(&dir).join("pre-commit").exists(),
        "installed in the common git dir"
    );
    append(&wt, "docs/SPEC.md", "- [ ] From the worktree\n");
    git(&wt, &["add", "-A"]);
    let o = git_out(&wt, &["commit", "-q", "-m", "wt"]);
    assert!(!o.status.success(), "blocked in the worktree");
    assert!(text(&o.stderr).contains("GOV001") || text(&o.stdout).contains("GOV001"));
}

#[test]
fn pre_push_judges_the_pushed_commits() {
    let (tmp, dir) = repo();
    let remote = tmp.path().join("remote.git");
    git(
        tmp.path(),
        &["init", "-q", "--bare", remote.to_str().unwrap()],
    );
    git(&dir, &["remote", "add", "origin", remote.to_str().unwrap()]);
    git(&dir, &["push", "-q", "origin", "main"]);
    let o = mesh(&["hooks", "install", "--pre-push"], &dir);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(
        !hooks_dir(&dir).join("pre-commit").exists(),
        "only what was asked"
    );

    append(&dir, "docs/SPEC.md", "- [ ] Pushed without decision\n");
    git(&dir, &["add", "-A"]);
    git(&dir, &["commit", "-q", "-m", "spec"]);
    let o = git_out(&dir, &["push", "-q", "origin", "main"]);
    assert!(!o.status.success(), "the push must be refused");
    let all = format!("{}{}", text(&o.stdout), text(&o.stderr));
    assert!(all.contains("GOV001"), "{all}");

    append(
        &dir,
        "docs/DECISION_LOG.md",
        "| 002 | 2026-01-02 | SCOPE | Pushed | why | shop | - | ✅ |\n",
    );
    git(&dir, &["add", "-A"]);
    git(&dir, &["commit", "-q", "-m", "decision"]);
    let o = git_out(&dir, &["push", "-q", "origin", "main"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
}

#[test]
fn outside_a_repository_install_says_so() {
    let tmp = TempDir::new().unwrap();
    let o = mesh(&["hooks", "install"], tmp.path());
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("not inside a git repository"),
        "{}",
        text(&o.stderr)
    );
}
