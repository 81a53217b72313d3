//! `mesh audit` end to end on a history built with the real git at test time.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

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
        .output()
        .unwrap()
}

fn commit(dir: &Path, tag: &str, msg: &str) {
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "--allow-empty", "-m", msg]);
    git(dir, &["tag", tag]);
}

fn edit(dir: &Path, path: &str, f: impl FnOnce(String) -> String) {
    let p = dir.join(path);
    let s = std::fs::read_to_string(&p).unwrap_or_default();
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, f(s)).unwrap();
}

fn row(id: &str, text: &str) -> String {
    format!("| {id} | 2026-01-01 | ARCH | {text} | why | core | - | ✅ |\n")
}

const SPEC: &str = "# SPEC\n\n## Data Model\n\n- [ ] Orders have an id\n- [ ] Totals are cents\n";
const LOG: &str = "# Decision Log\n\n## Records\n\n| ID | Date | Type | Decision | Rationale | Scope | Task | Status |\n|----|------|------|----------|-----------|-------|------|--------|\n";

/// c0 root (SPEC + log with 001: compliant), c1 SPEC without decision, c2 SPEC with decision,
/// c3 tick only, c4 code only, c5 row 002 rewritten, f1 on a branch + c6 merge (SPEC changed
/// against the first parent, no decision), c7 row 001 removed, c8 docs moved to spec/ (no
/// content change), c9 SPEC changed in spec/ with a decision.
fn history() -> (TempDir, PathBuf) {
    let tmp = TempDir::new().unwrap();
    let dir = tmp.path().join("repo");
    std::fs::create_dir_all(&dir).unwrap();
    git(&dir, &["init", "-q", "-b", "main"]);
    edit(&dir, "docs/SPEC.md", |_| SPEC.into());
    edit(&dir, "docs/DECISION_LOG.md", |_| {
        format!("{LOG}{}", row("001", "Init"))
    });
    commit(&dir, "c0", "root");
    edit(&dir, "docs/SPEC.md", |s| s + "- [ ] Refunds\n");
    commit(&dir, "c1", "spec without decision");
    edit(&dir, "docs/SPEC.md", |s| s + "- [ ] Coupons\n");
    edit(&dir, "docs/DECISION_LOG.md", |s| s + &row("002", "Coupons"));
    commit(&dir, "c2", "spec with decision");
    edit(&dir, "docs/SPEC.md", |s| {
        s.replace("- [ ] Orders", "- [x] Orders")
    });
    commit(&dir, "c3", "tick");
    edit(&dir, "src/main.rs", |_| "fn main() {}\n".into());
    commit(&dir, "c4", "code");
    edit(&dir, "docs/DECISION_LOG.md", |s| {
        s.replace("| Coupons |", "| Coupons and vouchers |")
    });
    commit(&dir, "c5", "rewrite 002");
    git(&dir, &["checkout", "-q", "-b", "feature"]);
    edit(&dir, "docs/SPEC.md", |s| s + "- [ ] Gift cards\n");
    commit(&dir, "f1", "feature spec");
    git(&dir, &["checkout", "-q", "main"]);
    git(
        &dir,
        &["merge", "-q", "--no-ff", "feature", "-m", "merge feature"],
    );
    git(&dir, &["tag", "c6"]);
    edit(&dir, "docs/DECISION_LOG.md", |s| {
        s.lines()
            .filter(|l| !l.starts_with("| 001"))
            .map(|l| format!("{l}\n"))
            .collect()
    });
    commit(&dir, "c7", "drop 001");
    std::fs::create_dir_all(dir.join("spec")).unwrap();
    git(&dir, &["mv", "docs/SPEC.md", "spec/SPEC.md"]);
    git(
        &dir,
        &["mv", "docs/DECISION_LOG.md", "spec/DECISION_LOG.md"],
    );
    edit(&dir, "mesh.toml", |_| "[docs]\nroots = [\"spec\"]\n".into());
    commit(&dir, "c8", "move documents");
    edit(&dir, "spec/SPEC.md", |s| s + "- [ ] Loyalty points\n");
    edit(&dir, "spec/DECISION_LOG.md", |s| s + &row("003", "Loyalty"));
    commit(&dir, "c9", "spec with decision after the move");
    (tmp, dir)
}

fn rev(dir: &Path, r: &str) -> String {
    git(dir, &["rev-parse", &format!("{r}^{{commit}}")])
}

#[test]
fn audit_json_counts_every_spec_change_and_violation() {
    let (_t, dir) = history();
    let o = mesh(&["audit", "--format", "json"], &dir);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    // Not a terminal: no progress bar, nothing on stderr.
    assert_eq!(String::from_utf8_lossy(&o.stderr), "");
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["schema_version"], 1);
    // c0, c1, c2, c6, c9 changed SPEC content; c0, c2 and c9 came with a decision.
    assert_eq!(v["spec_changes"], 5, "{v:#}");
    assert_eq!(v["with_decision"], 3);
    assert!((v["compliance"].as_f64().unwrap() - 0.6).abs() < 1e-9);
    assert_eq!(
        v["commits_walked"], 10,
        "first-parent commits: f1 is not one"
    );
    let spec_commits: Vec<(String, bool)> = v["spec_commits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x["commit"].as_str().unwrap().to_string(),
                x["with_decision"].as_bool().unwrap(),
            )
        })
        .collect();
    let expected: Vec<(String, bool)> = [
        ("c9", true),
        ("c6", false),
        ("c2", true),
        ("c1", false),
        ("c0", true),
    ]
    .iter()
    .map(|(t, d)| (rev(&dir, t), *d))
    .collect();
    assert_eq!(spec_commits, expected);
    assert_eq!(v["spec_commits"][0]["paths"][0], "spec/SPEC.md");
    let violations: Vec<(String, String)> = v["violations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x["commit"].as_str().unwrap().to_string(),
                x["kind"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        violations,
        vec![
            (rev(&dir, "c7"), "decision_row_removed".to_string()),
            (rev(&dir, "c6"), "spec_change_without_decision".to_string()),
            (rev(&dir, "c5"), "decision_row_rewritten".to_string()),
            (rev(&dir, "c1"), "spec_change_without_decision".to_string()),
        ]
    );
    let details: Vec<&str> = v["violations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["detail"].as_str().unwrap())
        .collect();
    assert!(details[0].starts_with("row `001` removed"), "{details:?}");
    assert_eq!(details[2], "row `002` rewritten (Decision changed)");
    assert_eq!(
        details[3],
        "docs/SPEC.md changed (1 line) without a decision row"
    );
    assert_eq!(v["rows_removed"], 1);
    assert_eq!(v["rows_rewritten"], 1);
}

#[test]
fn audit_a_range_and_human_output() {
    let (_t, dir) = history();
    let o = mesh(&["audit", "--range", "c4..c9", "--format", "json"], &dir);
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["range"], "c4..c9");
    assert_eq!(v["base"], rev(&dir, "c4"));
    assert_eq!(v["spec_changes"], 2);
    assert_eq!(v["with_decision"], 1);
    assert_eq!(v["violations"].as_array().unwrap().len(), 3);

    let o = mesh(&["audit"], &dir);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("Audited 10 commits (the whole history"),
        "{text}"
    );
    assert!(text.contains("compliance 60.0%"), "{text}");
    assert!(text.contains("spec_change_without_decision"), "{text}");

    // --strict turns violations into exit 1; a clean range stays 0.
    assert_eq!(mesh(&["audit", "--strict"], &dir).status.code(), Some(1));
    let o = mesh(&["audit", "--strict", "--range", "c8..c9"], &dir);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
}

#[test]
fn audit_errors_are_clear() {
    let tmp = TempDir::new().unwrap();
    let o = mesh(&["audit"], tmp.path());
    assert_eq!(o.status.code(), Some(2));
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(e.contains("not inside a git repository"), "{e}");
    let (_t, dir) = history();
    let o = mesh(&["audit", "--range", "nope..HEAD"], &dir);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("unknown revision `nope`"));
}

#[test]
fn a_progress_bar_on_a_terminal() {
    let (_t, dir) = history();
    // `script` runs mesh with its standard streams on a pseudo-terminal.
    let exe = env!("CARGO_BIN_EXE_mesh");
    let o = Command::new("script")
        .args(["-qec", &format!("'{exe}' audit --format json"), "/dev/null"])
        .current_dir(&dir)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("TERM", "xterm")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0));
    let text = String::from_utf8_lossy(&o.stdout);
    // The bar's own line is drawn and then cleared (an erase-line sequence), around the report.
    assert!(text.contains("auditing history"), "{text}");
    assert!(text.contains("\"schema_version\": 1"), "{text}");
}
