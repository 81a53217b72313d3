//! `mesh task verify` and `mesh task simplify [--waive]` end to end: the real binary on real git
//! repositories built at test time, tiny real shell commands as the project's tests.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use tempfile::TempDir;

mod common;
use common::git;

fn out(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn code(o: &Output) -> i32 {
    o.status.code().unwrap()
}

fn json(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}\nstderr: {}", out(o), err(o)))
}

const DECISION_LOG: &str = "\
# Decision Log: Shop

## Records

| ID | Date | Type | Decision | Rationale | Scope | Task | Status |
|----|------|------|----------|-----------|-------|------|--------|
| 001 | 2026-03-02 | INIT | Project initialized | Baseline | project | - | ✅ |
<!-- ATOMIC_MESH_APPEND_DECISIONS_BELOW -->
";

fn spec(testing: &str) -> String {
    format!(
        "# Technical Specification: Shop\n\n## Hydration Contract (for ACTIVE_SPEC)\n\n- Database: PostgreSQL 16\n- Conventions:\n  - Testing: {testing}\n"
    )
}

/// A committed project with a task T-1; `verify` is the `[verify] command` (or none).
struct Project {
    dir: TempDir,
}

impl Project {
    fn new(verify: Option<&str>, testing: &str) -> Project {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        git(d, &["init", "-q", "-b", "main"]);
        fs::create_dir(d.join("docs")).unwrap();
        fs::write(d.join("docs/SPEC.md"), spec(testing)).unwrap();
        fs::write(d.join("docs/DECISION_LOG.md"), DECISION_LOG).unwrap();
        if let Some(cmd) = verify {
            fs::write(
                d.join("mesh.toml"),
                format!("[verify]\ncommand = {}\n", toml_string(cmd)),
            )
            .unwrap();
        }
        fs::write(d.join("README.md"), "# Shop\n").unwrap();
        git(d, &["add", "-A"]);
        git(d, &["commit", "-q", "-m", "start"]);
        let p = Project { dir };
        let o = p.mesh(&["task", "add", "Price the basket", "--lane", "backend"]);
        assert_eq!(code(&o), 0, "{}", err(&o));
        p
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn mesh(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_mesh"))
            .args(args)
            .current_dir(self.path())
            .env("NO_COLOR", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("MESH_ACTOR", "tester")
            .env_remove("MESH_STORE")
            .env_remove("GIT_DIR")
            .env_remove("GIT_INDEX_FILE")
            .stdin(Stdio::null())
            .output()
            .unwrap()
    }

    /// `mesh task verify 1 … --format json`: (exit code, evidence).
    fn verify(&self, extra: &[&str]) -> (i32, Value) {
        let mut args = vec!["task", "verify", "1", "--format", "json"];
        args.extend(extra);
        let o = self.mesh(&args);
        let c = code(&o);
        assert!(c == 0 || c == 1, "exit {c}: {}", err(&o));
        let v = json(&o);
        assert_eq!(v["schema_version"], 1);
        (c, v["evidence"].clone())
    }

    fn write(&self, path: &str, text: &str) {
        let p = self.path().join(path);
        if let Some(parent) = p.parent() {
            fs::create_dir_all(parent).unwrap();
        }
        fs::write(p, text).unwrap();
    }
}

fn toml_string(s: &str) -> String {
    format!("'''{s}'''")
}

const CARGO_LIKE: &str = "echo 'test result: ok. 3 passed; 0 failed; 1 ignored; 0 measured; 0 filtered out; finished in 0.01s'; echo 'test result: ok. 2 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.00s'";

#[test]
fn verify_records_the_tree_it_ran_on_and_leaves_the_index_alone() {
    let p = Project::new(Some(CARGO_LIKE), "cargo test");
    let d = p.path();
    let head_tree = git(d, &["rev-parse", "HEAD^{tree}"]);
    let index_before = fs::read(d.join(".git/index")).unwrap();

    let (c, ev) = p.verify(&[]);
    assert_eq!(c, 0);
    assert_eq!(ev["kind"], "verify");
    assert_eq!(ev["passed"], true);
    assert_eq!(ev["actor"], "tester");
    // A clean tree (the store under .mesh/ does not count) is HEAD's tree.
    assert_eq!(ev["tree"], head_tree.as_str());
    let data = &ev["data"];
    assert_eq!(data["tree"], head_tree.as_str());
    assert_eq!(data["command"], CARGO_LIKE);
    assert_eq!(data["command_source"], "config");
    assert_eq!(data["exit_code"], 0);
    assert_eq!(data["timed_out"], false);
    assert_eq!(data["timeout_s"], 900);
    assert_eq!(data["runner"], "cargo");
    assert_eq!(
        data["counts"],
        serde_json::json!({"passed": 5, "failed": 0, "ignored": 1})
    );
    assert!(data["duration_ms"].is_u64());
    assert!(data["output_tail"].as_str().unwrap().contains("3 passed"));

    // Changing a file changes the id; restoring it restores the id.
    p.write("README.md", "# Shop, changed\n");
    let (_, changed) = p.verify(&[]);
    assert_ne!(changed["tree"], head_tree.as_str());
    // An untracked file counts too.
    p.write("README.md", "# Shop\n");
    p.write("notes.txt", "new\n");
    let (_, untracked) = p.verify(&[]);
    assert_ne!(untracked["tree"], head_tree.as_str());
    assert_ne!(untracked["tree"], changed["tree"]);
    fs::remove_file(d.join("notes.txt")).unwrap();
    let (_, restored) = p.verify(&[]);
    assert_eq!(restored["tree"], head_tree.as_str());

    // The real index was never written: nothing staged, same bytes.
    assert_eq!(fs::read(d.join(".git/index")).unwrap(), index_before);
    assert_eq!(git(d, &["diff", "--cached", "--name-only"]), "");

    // The task shows its evidence, oldest first.
    let o = p.mesh(&["task", "show", "1", "--format", "json"]);
    let shown = json(&o);
    let all = shown["task"]["evidence"].as_array().unwrap();
    assert_eq!(all.len(), 4);
    assert_eq!(all[0]["tree"], head_tree.as_str());
    let o = p.mesh(&["task", "show", "1"]);
    let text = out(&o);
    let listed = text.split("evidence:\n").nth(1).unwrap_or("");
    assert_eq!(listed.lines().count(), 4, "{text}");
    assert!(
        listed.contains("tester       verify   ✓ passed: cargo: 5 passed, 0 failed, 1 ignored"),
        "{text}"
    );
    assert!(
        listed.contains(&format!("(tree {})", &head_tree[..12])),
        "{text}"
    );

    // Human output: the summary line and where the command came from.
    let o = p.mesh(&["task", "verify", "T-1"]);
    assert_eq!(code(&o), 0, "{}", err(&o));
    let text = out(&o);
    assert!(
        text.starts_with("T-1 verify passed: cargo: 5 passed, 0 failed, 1 ignored"),
        "{text}"
    );
    assert!(text.contains("[verify] command"), "{text}");
    assert!(text.contains(&head_tree), "{text}");
}

#[test]
fn a_failing_command_records_failed_evidence_and_exits_1() {
    let p = Project::new(Some(CARGO_LIKE), "cargo test");
    let failing = "echo 'test result: FAILED. 1 passed; 2 failed; 0 ignored; 0 measured; 0 filtered out'; echo 'boom at src/cart.rs:12' >&2; exit 101";
    let (c, ev) = p.verify(&["--command", failing]);
    assert_eq!(c, 1);
    assert_eq!(ev["passed"], false);
    assert_eq!(ev["data"]["exit_code"], 101);
    assert_eq!(ev["data"]["command_source"], "given");
    assert_eq!(
        ev["data"]["counts"],
        serde_json::json!({"passed": 1, "failed": 2, "ignored": 0})
    );
    assert!(
        ev["data"]["output_tail"]
            .as_str()
            .unwrap()
            .contains("boom at src/cart.rs:12")
    );

    // People see the failure and the output's last lines.
    let o = p.mesh(&["task", "verify", "1", "--command", failing]);
    assert_eq!(code(&o), 1);
    let text = out(&o);
    assert!(
        text.contains("T-1 verify failed (exit 101): cargo: 1 passed, 2 failed"),
        "{text}"
    );
    assert!(text.contains("    boom at src/cart.rs:12"), "{text}");

    // Output without counts: recorded as not recognised.
    let (c, ev) = p.verify(&["--command", "echo all good"]);
    assert_eq!(c, 0);
    assert_eq!(ev["data"]["counts"], Value::Null);
    assert_eq!(ev["data"]["runner"], "unknown");
}

/// Whether a process is gone (or a zombie nobody reaped yet).
#[cfg(target_os = "linux")]
fn dead(pid: &str) -> bool {
    match fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with(['Z', 'X'])),
    }
}

#[test]
fn a_hanging_command_is_killed_with_its_children_and_recorded_as_timed_out() {
    let p = Project::new(Some("sleep 100 & echo $! > sleep.pid; wait"), "cargo test");
    let start = Instant::now();
    let (c, ev) = p.verify(&["--timeout", "1"]);
    let took = start.elapsed();
    assert_eq!(c, 1);
    assert!(took < Duration::from_secs(30), "took {took:?}");
    assert_eq!(ev["passed"], false);
    assert_eq!(ev["data"]["timed_out"], true);
    assert_eq!(ev["data"]["exit_code"], Value::Null);
    assert_eq!(ev["data"]["timeout_s"], 1);
    assert!(
        ev["summary"]
            .as_str()
            .unwrap()
            .starts_with("timed out after 1 s")
    );
    #[cfg(target_os = "linux")]
    {
        let pid = fs::read_to_string(p.path().join("sleep.pid")).unwrap();
        let pid = pid.trim();
        let deadline = Instant::now() + Duration::from_secs(5);
        while !dead(pid) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
        assert!(dead(pid), "the sleep child {pid} survived the timeout");
    }

    // The timeout from mesh.toml applies without --timeout.
    let p = Project::new(None, "cargo test");
    p.write(
        "mesh.toml",
        "[verify]\ncommand = 'sleep 100'\ntimeout_s = 1\n",
    );
    let start = Instant::now();
    let (c, ev) = p.verify(&[]);
    assert_eq!(c, 1);
    assert!(start.elapsed() < Duration::from_secs(30));
    assert_eq!(ev["data"]["timed_out"], true);
    assert_eq!(ev["data"]["timeout_s"], 1);
}

#[test]
fn the_command_comes_from_spec_when_not_configured() {
    // `Testing: pytest` → `pytest`; installed or not, it fails here (no tests, or exit 127),
    // and the evidence says which command ran and where it came from.
    let p = Project::new(None, "pytest with coverage");
    let (c, ev) = p.verify(&[]);
    assert_eq!(c, 1);
    assert_eq!(ev["data"]["command"], "pytest");
    assert_eq!(ev["data"]["command_source"], "spec");
    assert_eq!(ev["data"]["runner"], "pytest");

    // A command that does not exist is a failed run, not an error.
    let (c, ev) = p.verify(&["--command", "no-such-test-runner-xyz"]);
    assert_eq!(c, 1);
    assert_eq!(ev["data"]["exit_code"], 127);
    assert!(
        ev["summary"]
            .as_str()
            .unwrap()
            .contains("command not found"),
        "{}",
        ev["summary"]
    );
}

#[test]
fn bad_input_errors() {
    // No [verify] command and a SPEC naming no known runner.
    let p = Project::new(None, "PHPUnit + Laravel Dusk");
    let o = p.mesh(&["task", "verify", "1"]);
    assert_eq!(code(&o), 2, "{}", out(&o));
    assert!(err(&o).contains("[verify] command"), "{}", err(&o));
    assert!(err(&o).contains("PHPUnit"), "{}", err(&o));

    // Unfilled Testing convention.
    let p = Project::new(None, "[pytest | unittest | etc.]");
    let o = p.mesh(&["task", "verify", "1"]);
    assert_eq!(code(&o), 2);
    assert!(err(&o).contains("not filled in"), "{}", err(&o));

    // Unknown task, for verify and simplify.
    let p = Project::new(Some("true"), "cargo test");
    for args in [
        &["task", "verify", "99"][..],
        &["task", "simplify", "T-99"][..],
        &["task", "simplify", "99", "--waive", "x"][..],
    ] {
        let o = p.mesh(args);
        assert_eq!(code(&o), 2, "{args:?}: {}", out(&o));
        assert!(err(&o).contains("99"), "{}", err(&o));
    }

    // Usage: empty command, zero timeout, empty waiver, --base with --waive, a bad base.
    for args in [
        &["task", "verify", "1", "--command", "  "][..],
        &["task", "verify", "1", "--timeout", "0"][..],
        &["task", "simplify", "1", "--waive", "  "][..],
        &["task", "simplify", "1", "--waive", "x", "--base", "HEAD"][..],
        &["task", "simplify", "1", "--base", "no-such-branch"][..],
    ] {
        let o = p.mesh(args);
        assert_eq!(code(&o), 2, "{args:?}: {}", out(&o));
    }
    let o = p.mesh(&["task", "simplify", "1", "--base", "no-such-branch"]);
    assert!(err(&o).contains("no-such-branch"), "{}", err(&o));
    // Nothing was recorded by any of these.
    let shown = json(&p.mesh(&["task", "show", "1", "--format", "json"]));
    assert_eq!(shown["task"]["evidence"], serde_json::json!([]));

    // A cancelled task takes no evidence: refused (exit 1), the command never runs.
    let o = p.mesh(&["task", "cancel", "1", "--note", "dropped"]);
    assert_eq!(code(&o), 0, "{}", err(&o));
    let o = p.mesh(&["task", "verify", "1", "--command", "touch ran"]);
    assert_eq!(code(&o), 1);
    assert!(err(&o).contains("cancelled"), "{}", err(&o));
    assert!(!p.path().join("ran").exists());
}

/// Ten lines of real-looking code; the copy takes eight of them.
const ORIGINAL: &str = "\
pub fn basket_total(items: &[Item], rate: u64) -> Result<u64, Error> {
    let total: u64 = items.iter().map(|i| i.price * i.qty).sum();
    let tax = total * rate / 100;
    if tax > MAX_TAX {
        return Err(Error::TaxTooHigh(tax));
    }
    let shipping = if total > 5_000 { 0 } else { 499 };
    let discount = loyalty_discount(total);
    let grand = total + tax + shipping - discount;
    tracing::info!(grand, \"basket priced\");
    Ok(grand)
}
";

#[test]
fn simplify_measures_the_change_and_finds_a_copied_block() {
    let p = Project::new(Some("true"), "cargo test");
    let d = p.path();
    p.write("src/basket.rs", ORIGINAL);
    git(d, &["add", "-A"]);
    git(d, &["commit", "-q", "-m", "basket"]);

    // The task's change: an untracked file that copies lines 2..=9 (8 lines), re-indented,
    // and a tracked file edited (one line removed, one added).
    let copied: Vec<&str> = ORIGINAL.lines().skip(1).take(8).collect();
    let mut copy = String::from(
        "// Quotes for the kiosk.\npub fn quote(items: &[Item]) -> Result<u64, Error> {\n    let rate = 20;\n",
    );
    for l in &copied {
        copy.push_str(&format!("  {}\n", l.trim()));
    }
    copy.push_str("    Ok(grand / 100)\n}\n");
    p.write("src/quote.rs", &copy);
    p.write("README.md", "# Shop\n\nPrices in cents.\n");
    let index_before = fs::read(d.join(".git/index")).unwrap();

    let o = p.mesh(&["task", "simplify", "1", "--format", "json"]);
    assert_eq!(code(&o), 0, "{}", err(&o));
    let ev = &json(&o)["evidence"];
    assert_eq!(ev["kind"], "simplify");
    assert_eq!(ev["passed"], true);
    let data = &ev["data"];
    assert_eq!(data["base"], git(d, &["rev-parse", "HEAD"]).as_str());
    assert_eq!(data["files"], 2);
    assert_eq!(
        data["changed_files"],
        serde_json::json!(["README.md", "src/quote.rs"])
    );
    let copy_lines = copy.lines().count() as u64;
    assert_eq!(data["added"], copy_lines + 2);
    assert_eq!(data["removed"], 0);
    let blocks = data["duplicate_blocks"].as_array().unwrap();
    assert_eq!(blocks.len(), 1, "{blocks:?}");
    assert_eq!(
        blocks[0],
        serde_json::json!({
            "file": "src/quote.rs",
            "line": 4,
            "lines": 8,
            "also_in": "src/basket.rs",
            "also_line": 2,
        })
    );
    assert_eq!(data["duplicate_lines"], 8);
    assert_eq!(fs::read(d.join(".git/index")).unwrap(), index_before);

    // People see the figures and where the block is.
    let o = p.mesh(&["task", "simplify", "1"]);
    assert_eq!(code(&o), 0, "{}", err(&o));
    let text = out(&o);
    assert!(
        text.contains(&format!("2 files, +{} -0 vs ", copy_lines + 2)),
        "{text}"
    );
    assert!(
        text.contains("src/quote.rs:4  8 lines, also in src/basket.rs:2"),
        "{text}"
    );

    // Against an older base the basket file is part of the change too, and the block in it
    // is counted from both sides.
    let o = p.mesh(&[
        "task", "simplify", "1", "--base", "HEAD~1", "--format", "json",
    ]);
    assert_eq!(code(&o), 0, "{}", err(&o));
    let data = &json(&o)["evidence"]["data"];
    assert_eq!(data["files"], 3);
    assert_eq!(data["duplicate_blocks"].as_array().unwrap().len(), 2);

    // Without the copy nothing repeats.
    fs::remove_file(d.join("src/quote.rs")).unwrap();
    let o = p.mesh(&["task", "simplify", "1", "--format", "json"]);
    let data = &json(&o)["evidence"]["data"];
    assert_eq!(data["files"], 1);
    assert_eq!(data["duplicate_blocks"], serde_json::json!([]));
}

fn decision_rows(log: &str) -> Vec<String> {
    log.lines()
        .filter(|l| l.starts_with("| 0"))
        .map(str::to_string)
        .collect()
}

#[test]
fn waive_writes_a_decision_row_and_waiver_evidence() {
    let p = Project::new(Some("true"), "cargo test");
    let d = p.path();
    let o = p.mesh(&[
        "task",
        "simplify",
        "1",
        "--waive",
        "generated client,\nregenerated on every API change",
        "--format",
        "json",
    ]);
    assert_eq!(code(&o), 0, "{}", err(&o));
    let ev = &json(&o)["evidence"];
    assert_eq!(ev["kind"], "waiver");
    assert_eq!(ev["passed"], true);
    assert_eq!(
        ev["data"]["reason"],
        "generated client, regenerated on every API change"
    );
    assert_eq!(ev["data"]["decision"], "002");

    let log = fs::read_to_string(d.join("docs/DECISION_LOG.md")).unwrap();
    let rows = decision_rows(&log);
    assert_eq!(rows.len(), 2, "{log}");
    let row = &rows[1];
    assert!(row.starts_with("| 002 | "), "{row}");
    assert!(row.contains("| TEST |"), "{row}");
    assert!(
        row.contains(
            "Waive simplification of T-1 (Price the basket): generated client, regenerated on every API change"
        ),
        "{row}"
    );
    assert!(row.contains("| T-1 |"), "{row}");
    // The row sits above the append anchor; the INIT row is untouched.
    assert!(log.find("| 002 |").unwrap() < log.find("ATOMIC_MESH_APPEND").unwrap());
    assert!(log.contains("| 001 | 2026-03-02 | INIT | Project initialized |"));

    // The task's evidence carries the decision id; human output names the row.
    let shown = json(&p.mesh(&["task", "show", "1", "--format", "json"]));
    let all = shown["task"]["evidence"].as_array().unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(all[0]["data"]["decision"], "002");

    let o = p.mesh(&["task", "simplify", "1", "--waive", "still generated"]);
    assert_eq!(code(&o), 0, "{}", err(&o));
    assert!(
        out(&o).starts_with("T-1 simplification waived: decision 003 in docs/DECISION_LOG.md:"),
        "{}",
        out(&o)
    );
    let rows = decision_rows(&fs::read_to_string(d.join("docs/DECISION_LOG.md")).unwrap());
    assert_eq!(rows.len(), 3);
}

/// Runs from a subdirectory find the project (store, mesh.toml, documents) above.
#[test]
fn works_from_a_subdirectory() {
    let p = Project::new(Some("pwd"), "cargo test");
    let sub: PathBuf = p.path().join("src/deep");
    fs::create_dir_all(&sub).unwrap();
    fs::write(sub.join("x.rs"), "fn x() {}\n").unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_mesh"))
        .args(["task", "verify", "1", "--format", "json"])
        .current_dir(&sub)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("MESH_ACTOR", "tester")
        .env_remove("MESH_STORE")
        .output()
        .unwrap();
    assert_eq!(code(&o), 0, "{}", err(&o));
    let ev = &json(&o)["evidence"];
    // The command ran in the project directory.
    let ran_in = ev["data"]["output_tail"]
        .as_str()
        .unwrap()
        .trim()
        .to_string();
    assert_eq!(
        Path::new(&ran_in).canonicalize().unwrap(),
        p.path().canonicalize().unwrap()
    );
}
