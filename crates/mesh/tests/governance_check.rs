//! `mesh check --base REV` and the pre-commit mode (no `--base`: the staged changes) end to end,
//! on repositories built with the real git at test time; every output format.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;
use tempfile::TempDir;

mod common;
use common::git;

fn mesh(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mesh"))
        .args(args)
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env_remove("GIT_DIR")
        .env_remove("GIT_INDEX_FILE")
        .output()
        .unwrap()
}

fn out(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn code(o: &Output) -> i32 {
    o.status.code().unwrap()
}

const SPEC: &str = "# SPEC: Shop\n\n## Data Model\n\n- [ ] Orders have an id and a total\n- [ ] Totals are integer cents\n";
const LOG: &str = "# Decision Log\n\n## Records\n\n| ID | Date | Type | Decision | Rationale | Scope | Task | Status |\n|----|------|------|----------|-----------|-------|------|--------|\n| 001 | 2026-01-01 | INIT | Init | base | project | - | ✅ |\n<!-- ATOMIC_MESH_APPEND_DECISIONS_BELOW -->\n";

/// A repository with docs/SPEC.md and docs/DECISION_LOG.md committed and tagged `c0`.
fn repo() -> (TempDir, PathBuf) {
    let tmp = TempDir::new().unwrap();
    let dir = tmp.path().join("repo");
    std::fs::create_dir_all(dir.join("docs")).unwrap();
    git(&dir, &["init", "-q", "-b", "main"]);
    std::fs::write(dir.join("docs/SPEC.md"), SPEC).unwrap();
    std::fs::write(dir.join("docs/DECISION_LOG.md"), LOG).unwrap();
    commit(&dir, "c0", "init");
    (tmp, dir)
}

fn commit(dir: &Path, tag: &str, msg: &str) {
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "--allow-empty", "-m", msg]);
    git(dir, &["tag", tag]);
}

fn append(dir: &Path, path: &str, text: &str) {
    let p = dir.join(path);
    let mut s = std::fs::read_to_string(&p).unwrap();
    s.push_str(text);
    std::fs::write(p, s).unwrap();
}

fn add_row(dir: &Path, row: &str) {
    let p = dir.join("docs/DECISION_LOG.md");
    let s = std::fs::read_to_string(&p)
        .unwrap()
        .replace("<!-- ATOMIC_MESH", &format!("{row}\n<!-- ATOMIC_MESH"));
    std::fs::write(p, s).unwrap();
}

const HISTORY: &[&str] = &["--select", "GOV,DEC02"];

fn check(dir: &Path, extra: &[&str]) -> Output {
    let mut args = vec!["check"];
    args.extend_from_slice(HISTORY);
    args.extend_from_slice(extra);
    mesh(&args, dir)
}

#[test]
fn base_flag_reports_in_every_format() {
    let (_t, dir) = repo();
    append(&dir, "docs/SPEC.md", "- [ ] Refunds within 30 days\n");
    commit(&dir, "c1", "spec: refunds");

    let o = check(&dir, &["--base", "c0"]);
    assert_eq!(code(&o), 1, "{}{}", out(&o), err(&o));
    let human = out(&o);
    assert!(
        human.contains("error[GOV001]: SPEC line 7 added since c0 ("),
        "{human}"
    );
    assert!(human.contains("--> docs/SPEC.md:7:1"), "{human}");
    assert!(
        human.contains("7 | - [ ] Refunds within 30 days"),
        "{human}"
    );

    let o = check(&dir, &["--base", "c0", "--format", "json"]);
    let v: Value = serde_json::from_str(&out(&o)).unwrap();
    assert_eq!(v["schema_version"], 1);
    assert_eq!(v["diagnostics"][0]["code"], "GOV001");
    assert_eq!(v["diagnostics"][0]["file"], "docs/SPEC.md");
    assert_eq!(v["diagnostics"][0]["line"], 7);

    let o = check(&dir, &["--base", "c0", "--format", "sarif"]);
    let v: Value = serde_json::from_str(&out(&o)).unwrap();
    let result = &v["runs"][0]["results"][0];
    assert_eq!(result["ruleId"], "GOV001");
    assert_eq!(
        result["locations"][0]["physicalLocation"]["region"]["startLine"],
        7
    );
    let rules = v["runs"][0]["tool"]["driver"]["rules"].as_array().unwrap();
    assert!(
        rules.iter().any(|r| r["id"] == "DEC020"),
        "history rules are described"
    );

    let o = check(&dir, &["--base", "c0", "--format", "github"]);
    assert!(
        out(&o).contains("::error file=docs/SPEC.md,line=7"),
        "{}",
        out(&o)
    );

    // With the decision row in the range, clean.
    add_row(
        &dir,
        "| 002 | 2026-01-02 | SCOPE | Refunds within 30 days | asked | shop | - | ✅ |",
    );
    commit(&dir, "c2", "decision 002");
    let o = check(&dir, &["--base", "c0"]);
    assert_eq!(code(&o), 0, "{}", out(&o));
    // A decision row deleted later is reported as DEC020.
    let p = dir.join("docs/DECISION_LOG.md");
    let s = std::fs::read_to_string(&p).unwrap();
    let s: String = s
        .lines()
        .filter(|l| !l.starts_with("| 002"))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&p, s).unwrap();
    commit(&dir, "c3", "drop 002");
    let o = check(&dir, &["--base", "c2", "--format", "json"]);
    let v: Value = serde_json::from_str(&out(&o)).unwrap();
    assert_eq!(v["diagnostics"][0]["code"], "DEC020", "{v}");
    assert_eq!(code(&o), 1);
}

#[test]
fn pre_commit_mode_judges_the_staged_changes() {
    let (_t, dir) = repo();
    // Nothing staged: clean.
    let o = check(&dir, &[]);
    assert_eq!(code(&o), 0, "{}{}", out(&o), err(&o));
    append(&dir, "docs/SPEC.md", "- [ ] Staged requirement\n");
    git(&dir, &["add", "docs/SPEC.md"]);
    let o = check(&dir, &[]);
    assert_eq!(code(&o), 1, "{}", out(&o));
    assert!(out(&o).contains("in the staged changes"), "{}", out(&o));
    // Ticking a box alone needs no decision.
    git(&dir, &["reset", "-q", "--hard"]);
    let p = dir.join("docs/SPEC.md");
    let s = std::fs::read_to_string(&p)
        .unwrap()
        .replace("- [ ] Totals", "- [x] Totals");
    std::fs::write(&p, s).unwrap();
    git(&dir, &["add", "-A"]);
    let o = check(&dir, &[]);
    assert_eq!(code(&o), 0, "{}", out(&o));
    // ... unless mesh.toml says otherwise.
    std::fs::write(
        dir.join("mesh.toml"),
        "[policy]\ntick_is_status_change = false\n",
    )
    .unwrap();
    let o = check(&dir, &[]);
    assert_eq!(code(&o), 1, "{}", out(&o));
}

#[test]
fn edge_cases_have_clear_messages() {
    // Not a git repository: --base is skipped with a note.
    let tmp = TempDir::new().unwrap();
    std::fs::create_dir_all(tmp.path().join("docs")).unwrap();
    std::fs::write(tmp.path().join("docs/SPEC.md"), SPEC).unwrap();
    let o = check(tmp.path(), &["--base", "main"]);
    assert_eq!(code(&o), 0, "{}", err(&o));
    assert!(err(&o).contains("note: "), "{}", err(&o));
    assert!(
        err(&o).contains("not inside a git repository"),
        "{}",
        err(&o)
    );
    // Without --base outside git: no noise.
    let o = check(tmp.path(), &[]);
    assert_eq!(err(&o), "");

    let (_t, dir) = repo();
    let o = check(&dir, &["--base", "nope"]);
    assert_eq!(code(&o), 2);
    assert!(err(&o).contains("unknown revision `nope`"), "{}", err(&o));

    // A shallow clone that lacks the base.
    append(&dir, "docs/SPEC.md", "- [ ] one\n");
    commit(&dir, "c1", "one");
    let c0 = git(&dir, &["rev-parse", "c0"]);
    let parent = TempDir::new().unwrap();
    let url = format!("file://{}", dir.display());
    git(
        parent.path(),
        &["clone", "-q", "--depth", "1", &url, "shallow"],
    );
    let o = check(&parent.path().join("shallow"), &["--base", &c0]);
    assert_eq!(code(&o), 2, "{}", err(&o));
    assert!(err(&o).contains("shallow clone"), "{}", err(&o));
    assert!(!err(&o).contains("panicked"));

    // Every document deleted: the deletion is reported, not "no documents".
    git(&dir, &["rm", "-q", "-r", "docs"]);
    commit(&dir, "c2", "delete the documents");
    let o = check(&dir, &["--base", "c1"]);
    assert_eq!(code(&o), 1, "{}{}", out(&o), err(&o));
    assert!(
        out(&o).contains("docs/SPEC.md was deleted since c1"),
        "{}",
        out(&o)
    );
    assert!(out(&o).contains("DEC020"), "{}", out(&o));
    // With nothing changed and no documents, the usual message.
    let o = check(&dir, &["--base", "c2"]);
    assert_eq!(code(&o), 2);
    assert!(err(&o).contains("no documents found"), "{}", err(&o));
}

#[test]
fn our_own_history_follows_our_change_policy() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let first = git(&root, &["rev-list", "--max-parents=0", "HEAD"]);
    let first = first.lines().last().unwrap().to_string();
    let o = check(&root, &["--base", &first]);
    assert_eq!(code(&o), 0, "{}{}", out(&o), err(&o));
}
