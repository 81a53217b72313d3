//! Hook install/uninstall: idempotence, chaining an existing hook, and real `git commit` /
//! `git push` runs (also from a linked worktree).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;

use common::{fixture, git, git_cmd};
use mesh_git::Repo;
use mesh_git::hooks::{
    HookKind, HookStatus, InstallOutcome, UninstallOutcome, hook_status, install_hook,
    uninstall_hook,
};

/// A stand-in for `mesh`: appends its name, arguments and standard input to `log`, and exits
/// with the code in file `exit` (0 when absent).
fn fake_program(dir: &Path, name: &str) -> String {
    let path = dir.join(name);
    let log = dir.join("log");
    let exit = dir.join("exit");
    std::fs::write(
        &path,
        format!(
            "#!/bin/sh\nprintf '%s %s\\n' '{name}' \"$*\" >> '{log}'\nif [ ! -t 0 ]; then sed 's/^/  stdin: /' >> '{log}'; fi\ncode=0\n[ -f '{exit}' ] && code=$(cat '{exit}')\nexit $code\n",
            log = log.display(),
            exit = exit.display()
        ),
    )
    .unwrap();
    make_executable(&path);
    path.display().to_string()
}

fn make_executable(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

fn log(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("log")).unwrap_or_default()
}

#[test]
fn install_is_idempotent_and_uninstall_restores() {
    let tmp = tempfile::TempDir::new().unwrap();
    let hooks = tmp.path().join("hooks");
    assert_eq!(
        hook_status(&hooks, HookKind::PreCommit).unwrap(),
        HookStatus::Absent
    );
    assert_eq!(
        install_hook(
            &hooks,
            HookKind::PreCommit,
            "/usr/local/bin/mesh",
            &["check", "--staged"]
        )
        .unwrap(),
        InstallOutcome::Installed
    );
    let hook = hooks.join("pre-commit");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&hook).unwrap().permissions().mode() & 0o111,
        0o111
    );
    assert_eq!(
        install_hook(
            &hooks,
            HookKind::PreCommit,
            "/usr/local/bin/mesh",
            &["check", "--staged"]
        )
        .unwrap(),
        InstallOutcome::Unchanged
    );
    assert_eq!(
        install_hook(
            &hooks,
            HookKind::PreCommit,
            "/opt/mesh",
            &["check", "--staged"]
        )
        .unwrap(),
        InstallOutcome::Updated
    );
    assert_eq!(
        hook_status(&hooks, HookKind::PreCommit).unwrap(),
        HookStatus::Ours { chains: false }
    );
    assert_eq!(
        uninstall_hook(&hooks, HookKind::PreCommit).unwrap(),
        UninstallOutcome::Removed
    );
    assert!(!hook.exists());
    assert_eq!(
        uninstall_hook(&hooks, HookKind::PreCommit).unwrap(),
        UninstallOutcome::NotInstalled
    );

    // An existing hook is chained, then restored byte for byte.
    let original = "#!/bin/sh\necho lint\n";
    std::fs::write(&hook, original).unwrap();
    make_executable(&hook);
    let chained = hooks.join("pre-commit.mesh-chained");
    assert_eq!(
        install_hook(&hooks, HookKind::PreCommit, "mesh", &["check"]).unwrap(),
        InstallOutcome::InstalledChaining {
            chained: chained.clone()
        }
    );
    assert_eq!(std::fs::read_to_string(&chained).unwrap(), original);
    assert_eq!(
        install_hook(&hooks, HookKind::PreCommit, "mesh", &["check"]).unwrap(),
        InstallOutcome::Unchanged
    );
    assert_eq!(std::fs::read_to_string(&chained).unwrap(), original);
    assert_eq!(
        hook_status(&hooks, HookKind::PreCommit).unwrap(),
        HookStatus::Ours { chains: true }
    );
    assert_eq!(
        uninstall_hook(&hooks, HookKind::PreCommit).unwrap(),
        UninstallOutcome::RemovedRestoredChained {
            restored: hook.clone()
        }
    );
    assert_eq!(std::fs::read_to_string(&hook).unwrap(), original);
    assert!(!chained.exists());
    // A foreign hook is never touched by uninstall.
    assert_eq!(
        hook_status(&hooks, HookKind::PreCommit).unwrap(),
        HookStatus::Foreign
    );
    assert_eq!(
        uninstall_hook(&hooks, HookKind::PreCommit).unwrap(),
        UninstallOutcome::NotOurs
    );
    assert_eq!(std::fs::read_to_string(&hook).unwrap(), original);

    // A foreign hook with a chained one already beside it: refuse rather than lose one.
    install_hook(&hooks, HookKind::PreCommit, "mesh", &["check"]).unwrap();
    std::fs::write(&hook, "#!/bin/sh\necho replaced by someone\n").unwrap();
    let err = install_hook(&hooks, HookKind::PreCommit, "mesh", &["check"]).unwrap_err();
    assert!(err.to_string().contains("merge them by hand"), "{err}");
}

#[test]
fn pre_commit_runs_the_chained_hook_first_and_can_block() {
    let (tmp, dir) = fixture("history", &[]);
    let bin = tmp.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let mesh = fake_program(&bin, "mesh");
    let previous = fake_program(&bin, "previous");
    let repo = Repo::discover(&dir).unwrap();
    let hooks = repo.hooks_dir();
    std::fs::create_dir_all(&hooks).unwrap();
    std::fs::copy(&previous, hooks.join("pre-commit")).unwrap();
    make_executable(&hooks.join("pre-commit"));

    install_hook(&hooks, HookKind::PreCommit, &mesh, &["check", "--staged"]).unwrap();
    std::fs::write(dir.join("README.md"), "changed\n").unwrap();
    git(&dir, &["commit", "-qam", "with hooks"]);
    assert_eq!(log(&bin), "previous \nmesh check --staged\n");

    // Our program failing blocks the commit.
    std::fs::write(bin.join("exit"), "1").unwrap();
    std::fs::write(dir.join("README.md"), "changed again\n").unwrap();
    let out = git_cmd(&dir)
        .args(["commit", "-qam", "blocked"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert_eq!(git(&dir, &["log", "-1", "--format=%s"]), "with hooks");

    // The same hooks run from a linked worktree.
    std::fs::write(bin.join("exit"), "0").unwrap();
    std::fs::remove_file(bin.join("log")).unwrap();
    let wt = tmp.path().join("wt");
    git(
        &dir,
        &[
            "worktree",
            "add",
            "-q",
            "-b",
            "wt-branch",
            wt.to_str().unwrap(),
        ],
    );
    assert_eq!(Repo::discover(&wt).unwrap().hooks_dir(), hooks);
    std::fs::write(wt.join("README.md"), "from the worktree\n").unwrap();
    git(&wt, &["commit", "-qam", "worktree commit"]);
    assert_eq!(log(&bin), "previous \nmesh check --staged\n");

    // Uninstalled: only the previous hook runs.
    uninstall_hook(&hooks, HookKind::PreCommit).unwrap();
    std::fs::remove_file(bin.join("log")).unwrap();
    std::fs::write(dir.join("README.md"), "after uninstall\n").unwrap();
    git(&dir, &["commit", "-qam", "after uninstall"]);
    assert_eq!(log(&bin), "previous \n");
}

#[test]
fn pre_push_feeds_the_same_input_to_both_hooks() {
    let (tmp, dir) = fixture("history", &[]);
    let remote = tmp.path().join("remote.git");
    git(
        tmp.path(),
        &["init", "-q", "--bare", remote.to_str().unwrap()],
    );
    git(&dir, &["remote", "add", "origin", remote.to_str().unwrap()]);
    let bin = tmp.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let mesh = fake_program(&bin, "mesh");
    let previous = fake_program(&bin, "previous");
    let hooks = Repo::discover(&dir).unwrap().hooks_dir();
    std::fs::copy(&previous, hooks.join("pre-push")).unwrap();
    make_executable(&hooks.join("pre-push"));
    install_hook(&hooks, HookKind::PrePush, &mesh, &["check", "--pre-push"]).unwrap();

    git(&dir, &["push", "-q", "origin", "main"]);
    let head = git(&dir, &["rev-parse", "HEAD"]);
    let zero = "0".repeat(40);
    let line = format!("  stdin: refs/heads/main {head} refs/heads/main {zero}");
    let url = remote.to_str().unwrap();
    assert_eq!(
        log(&bin),
        format!("previous origin {url}\n{line}\nmesh check --pre-push origin {url}\n{line}\n")
    );
}

#[test]
fn missing_mesh_warns_and_lets_the_commit_through() {
    let (_tmp, dir) = fixture("history", &[]);
    let hooks = Repo::discover(&dir).unwrap().hooks_dir();
    install_hook(&hooks, HookKind::PreCommit, "/nonexistent/mesh", &["check"]).unwrap();
    std::fs::write(dir.join("README.md"), "x\n").unwrap();
    let out = git_cmd(&dir)
        .args(["commit", "-qam", "no mesh here"])
        .env("PATH", "/usr/bin:/bin")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("mesh not found"));
}

/// The `staged` example built by `cargo test` next to the test binaries.
fn staged_example() -> std::path::PathBuf {
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().unwrap().parent().unwrap();
    dir.join("examples").join("staged")
}

/// In a real pre-commit run, `git commit -a` stages into a temporary index named by
/// `GIT_INDEX_FILE`: the staged mode must read that one, and see what will be committed.
#[test]
fn pre_commit_sees_what_commit_dash_a_will_record() {
    let program = staged_example();
    assert!(
        program.is_file(),
        "{} is missing: `cargo test -p mesh-git` builds the examples (a `--test` filter does not)",
        program.display()
    );
    let (tmp, dir) = fixture("history", &[]);
    let out = tmp.path().join("seen");
    let hooks = Repo::discover(&dir).unwrap().hooks_dir();
    let out_arg = out.to_str().unwrap();
    install_hook(
        &hooks,
        HookKind::PreCommit,
        program.to_str().unwrap(),
        &["--out", out_arg, "spec/SPEC.md"],
    )
    .unwrap();
    std::fs::write(dir.join("spec/SPEC.md"), "only on disk until commit -a\n").unwrap();
    git(&dir, &["commit", "-qam", "commit -a"]);
    let seen = std::fs::read_to_string(&out).unwrap();
    assert!(seen.starts_with("Modified spec/SPEC.md "), "{seen}");
    assert!(seen.trim_end().ends_with(" 29"), "{seen}");
}
