//! The review gate end to end: `mesh task submit` and `mesh task review` on real git
//! repositories built at test time and a real SQLite store. Evidence (verifications,
//! simplifications) is recorded through the store library with the real tree id of the working
//! tree, as `mesh task verify` and `mesh task simplify` record it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use mesh_store::{EvidenceKind, NewEvidence, Store, StoreLocation};
use serde_json::{Value, json};
use tempfile::TempDir;

mod common;
use common::git;

fn mesh(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mesh"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env_remove("GIT_DIR")
        .env_remove("GIT_INDEX_FILE")
        .env_remove("MESH_STORE")
        .env_remove("MESH_ACTOR")
        .env_remove("MESH_WORKER")
        .stdin(Stdio::null())
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

fn ok(o: Output) -> String {
    assert_eq!(code(&o), 0, "stdout: {}\nstderr: {}", out(&o), err(&o));
    out(&o)
}

fn json_of(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("{e}: stdout {}\nstderr {}", out(o), err(o)))
}

/// A git repository holding the bookshop documents, committed, with `.mesh/` ignored.
fn repo() -> (TempDir, PathBuf) {
    let tmp = TempDir::new().unwrap();
    let dir = tmp.path().join("shop");
    let src = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/projects/bookshop-gen15/docs");
    fs::create_dir_all(dir.join("docs")).unwrap();
    for e in fs::read_dir(src).unwrap() {
        let e = e.unwrap();
        fs::copy(e.path(), dir.join("docs").join(e.file_name())).unwrap();
    }
    fs::write(dir.join("mesh.toml"), "").unwrap();
    fs::write(dir.join(".gitignore"), "/.mesh/\n.DECISION_LOG.md.lock\n").unwrap();
    git(&dir, &["init", "-q", "-b", "main"]);
    git(&dir, &["add", "-A"]);
    git(&dir, &["commit", "-q", "-m", "documents"]);
    (tmp, dir)
}

fn store(dir: &Path) -> Store {
    Store::open(&StoreLocation::Sqlite(dir.join(".mesh/mesh.db"))).unwrap()
}

/// Record a verification on the working tree as it is now.
fn verified(dir: &Path, id: i64, passed: bool) {
    let tree = mesh_service::evidence::current_tree(dir).unwrap();
    store(dir)
        .record_evidence(
            id,
            "w",
            &NewEvidence {
                kind: EvidenceKind::Verify,
                passed,
                tree: Some(tree.clone()),
                summary: format!("sh -c true: {}", if passed { "ok" } else { "failed" }),
                data: json!({
                    "command": "sh -c 'echo test result'",
                    "exit_code": if passed { 0 } else { 1 },
                    "timed_out": false,
                    "tree": tree,
                }),
            },
        )
        .unwrap();
}

/// Record a simplification of the change since HEAD.
fn simplified(dir: &Path, id: i64) {
    let head = git(dir, &["rev-parse", "HEAD"]);
    store(dir)
        .record_evidence(
            id,
            "w",
            &NewEvidence {
                kind: EvidenceKind::Simplify,
                passed: true,
                tree: Some(mesh_service::evidence::current_tree(dir).unwrap()),
                summary: "1 file, +3 −0, no repeated code".into(),
                data: json!({"base": head, "files": 1, "added": 3, "removed": 0,
                             "changed_files": ["src/search.rs"], "duplicate_blocks": [],
                             "duplicate_lines": 0}),
            },
        )
        .unwrap();
}

/// Add a task, claim it as `w`, write some code and return its id.
fn claimed(dir: &Path, title: &str, trace: &str, risk: &str) -> i64 {
    let v = json_of(&mesh(
        dir,
        &[
            "task", "add", title, "--lane", "backend", "--trace", trace, "--risk", risk, "--by",
            "pm", "--format", "json",
        ],
    ));
    let id = v["task"]["id"].as_i64().unwrap();
    ok(mesh(
        dir,
        &["task", "claim", &id.to_string(), "--worker", "w"],
    ));
    fs::create_dir_all(dir.join("src")).unwrap();
    fs::write(
        dir.join(format!("src/task{id}.rs")),
        format!("// mesh: {trace}\npub fn task{id}() {{}}\n"),
    )
    .unwrap();
    id
}

/// A task through verify, simplify and submit, waiting for review.
fn in_review(dir: &Path, title: &str, trace: &str, risk: &str) -> i64 {
    let id = claimed(dir, title, trace, risk);
    verified(dir, id, true);
    simplified(dir, id);
    ok(mesh(
        dir,
        &["task", "submit", &id.to_string(), "--worker", "w"],
    ));
    id
}

fn status(dir: &Path, id: i64) -> String {
    store(dir).get_task(id).unwrap().status.as_str().to_string()
}

fn ledger(dir: &Path) -> Vec<Value> {
    match fs::read_to_string(dir.join(".mesh/ledger.jsonl")) {
        Ok(t) => t
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect(),
        Err(_) => Vec::new(),
    }
}

fn ledger_verifies(dir: &Path) {
    let o = mesh(dir, &["ledger", "verify"]);
    assert_eq!(code(&o), 0, "{}{}", out(&o), err(&o));
}

fn review(dir: &Path, id: i64, extra: &[&str]) -> Output {
    let id = id.to_string();
    let mut args = vec!["task", "review", id.as_str(), "--approve"];
    args.extend_from_slice(extra);
    mesh(dir, &args)
}

#[test]
fn submit_needs_a_verification_on_the_current_tree() {
    let (_t, dir) = repo();
    let id = claimed(&dir, "Search", "US1", "MEDIUM");
    let sid = id.to_string();
    let submit = || mesh(&dir, &["task", "submit", &sid, "--worker", "w"]);

    // A task that is not in progress is refused by its state first.
    let other = claimed(&dir, "Other", "US2", "LOW");
    ok(mesh(
        &dir,
        &["task", "release", &other.to_string(), "--worker", "w"],
    ));
    let o = mesh(
        &dir,
        &["task", "submit", &other.to_string(), "--worker", "w"],
    );
    assert_eq!(code(&o), 1);
    assert!(
        err(&o).contains("is pending, not in progress"),
        "{}",
        err(&o)
    );

    let o = submit();
    assert_eq!(code(&o), 1, "{}", err(&o));
    assert!(
        err(&o).contains("no verification was recorded"),
        "{}",
        err(&o)
    );
    assert!(
        err(&o).contains(&format!("mesh task verify T-{id}")),
        "{}",
        err(&o)
    );

    verified(&dir, id, true);
    fs::write(dir.join("src/later.rs"), "pub fn later() {}\n").unwrap();
    let o = submit();
    assert_eq!(code(&o), 1);
    assert!(err(&o).contains("the code changed since"), "{}", err(&o));
    assert_eq!(status(&dir, id), "in_progress");

    // A failed verification on the current tree goes to review with a warning.
    verified(&dir, id, false);
    let o = mesh(
        &dir,
        &["task", "submit", &sid, "--worker", "w", "--format", "json"],
    );
    assert_eq!(code(&o), 0, "{}", err(&o));
    assert!(
        err(&o).contains("warning:") && err(&o).contains("failed"),
        "{}",
        err(&o)
    );
    let v = json_of(&o);
    assert_eq!(v["task"]["status"], "reviewing");
    assert_eq!(v["verification"]["passed"], false);
}

#[test]
fn a_task_with_every_condition_met_is_approved_and_recorded() {
    let (_t, dir) = repo();
    let id = in_review(&dir, "Search", "US1", "MEDIUM");
    let o = review(&dir, id, &["--reviewer", "w", "--format", "json"]);
    assert_eq!(code(&o), 0, "{}{}", out(&o), err(&o));
    let v = json_of(&o);
    assert_eq!(v["schema_version"], 1);
    assert_eq!(v["approved"], true);
    assert_eq!(v["task"]["status"], "completed");
    let names: Vec<&str> = v["gate"]["conditions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            assert_eq!(c["ok"], true, "{c}");
            c["name"].as_str().unwrap()
        })
        .collect();
    assert_eq!(
        names,
        [
            "verification",
            "trace",
            "simplification",
            "rules",
            "reviewer"
        ]
    );
    let entries = ledger(&dir);
    assert_eq!(entries.len(), 1);
    let e = &entries[0];
    assert_eq!(e["kind"], "review");
    assert_eq!(e["actor"], "w");
    assert_eq!(e["data"]["task"], format!("T-{id}"));
    assert_eq!(e["data"]["verdict"], "approve");
    assert_eq!(e["data"]["worker"], "w");
    assert_eq!(e["data"]["reviewer"], "w");
    assert_eq!(e["data"]["tree"], v["gate"]["tree"]);
    assert_eq!(e["data"]["conditions"].as_array().unwrap().len(), 5);
    ledger_verifies(&dir);
}

/// Review `id` as `reviewer` and expect a refusal naming exactly `failed`, with nothing changed.
fn refused_alone(dir: &Path, id: i64, reviewer: &str, failed: &str, says: &str) {
    let log_before = fs::read(dir.join("docs/DECISION_LOG.md")).unwrap();
    let o = review(dir, id, &["--reviewer", reviewer]);
    let text = out(&o);
    assert_eq!(code(&o), 1, "{text}{}", err(&o));
    assert!(text.contains("not approved: 1 of 5"), "{text}");
    for name in [
        "verification",
        "trace",
        "simplification",
        "rules",
        "reviewer",
    ] {
        let mark = if name == failed { "✗" } else { "✓" };
        assert!(
            text.contains(&format!("{mark} {name}")),
            "{name} should be {mark}:\n{text}"
        );
    }
    assert!(text.contains(says), "{text}");
    assert!(text.contains("help:"), "{text}");
    assert!(text.contains("--override"), "{text}");
    assert_eq!(status(dir, id), "reviewing", "nothing changed");
    assert!(ledger(dir).is_empty(), "no ledger entry");
    assert_eq!(
        fs::read(dir.join("docs/DECISION_LOG.md")).unwrap(),
        log_before
    );

    let o = review(dir, id, &["--reviewer", reviewer, "--format", "json"]);
    assert_eq!(code(&o), 1);
    let v = json_of(&o);
    assert_eq!(v["approved"], false);
    let bad: Vec<&str> = v["gate"]["conditions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["ok"] == false)
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(bad, [failed]);
}

#[test]
fn a_stale_verification_fails_alone() {
    let (_t, dir) = repo();
    let id = in_review(&dir, "Search", "US1", "MEDIUM");
    fs::write(dir.join("src/after.rs"), "pub fn after() {}\n").unwrap();
    refused_alone(&dir, id, "r", "verification", "the code changed since");
}

#[test]
fn a_failed_verification_fails_alone() {
    let (_t, dir) = repo();
    let id = claimed(&dir, "Search", "US1", "MEDIUM");
    simplified(&dir, id);
    verified(&dir, id, false);
    ok(mesh(
        &dir,
        &["task", "submit", &id.to_string(), "--worker", "w"],
    ));
    refused_alone(&dir, id, "r", "verification", "failed on the current tree");
}

#[test]
fn an_unknown_trace_fails_alone() {
    let (_t, dir) = repo();
    let id = in_review(&dir, "Search", "US99", "MEDIUM");
    refused_alone(&dir, id, "r", "trace", "`US99` names no requirement");
}

#[test]
fn a_missing_simplification_fails_alone() {
    let (_t, dir) = repo();
    let id = claimed(&dir, "Search", "US1", "MEDIUM");
    verified(&dir, id, true);
    ok(mesh(
        &dir,
        &["task", "submit", &id.to_string(), "--worker", "w"],
    ));
    refused_alone(
        &dir,
        id,
        "r",
        "simplification",
        &format!("mesh task simplify T-{id}"),
    );
}

#[test]
fn a_spec_change_without_decision_fails_the_rules_alone() {
    let (_t, dir) = repo();
    let id = claimed(&dir, "Search", "US1", "MEDIUM");
    let spec = dir.join("docs/SPEC.md");
    let text = fs::read_to_string(&spec).unwrap();
    fs::write(
        &spec,
        text.replacen(
            "- [ ] Store: a bookshop branch",
            "- [ ] Store: a bookshop branch with a manager",
            1,
        ),
    )
    .unwrap();
    verified(&dir, id, true);
    simplified(&dir, id);
    ok(mesh(
        &dir,
        &["task", "submit", &id.to_string(), "--worker", "w"],
    ));
    refused_alone(&dir, id, "r", "rules", "GOV001");
}

#[test]
fn a_new_forbidden_dependency_fails_the_rules_alone_and_an_old_finding_does_not() {
    let (_t, dir) = repo();
    // Stack rules off: this repository has no code for the SPEC's stack, only a manifest.
    fs::write(dir.join("mesh.toml"), "[rules]\nignore = [\"STK\"]\n").unwrap();
    // An unapproved dependency that was there before any task (DEP001 in an unchanged file).
    fs::write(
        dir.join("requirements.txt"),
        "django>=5.1,<5.2\nflask==3.0\n",
    )
    .unwrap();
    git(&dir, &["add", "-A"]);
    git(&dir, &["commit", "-q", "-m", "legacy manifest"]);
    let o = mesh(&dir, &["check", "--select", "DEP"]);
    assert_eq!(code(&o), 1, "the old finding exists: {}", out(&o));
    assert!(out(&o).contains("flask"), "{}", out(&o));

    let first = in_review(&dir, "Search", "US1", "MEDIUM");
    let o = review(&dir, first, &["--reviewer", "lead"]);
    assert_eq!(code(&o), 0, "an old finding is not the task's: {}", out(&o));

    let id = claimed(&dir, "Cart", "US2", "MEDIUM");
    fs::write(dir.join("requirements-dev.txt"), "requests==2.32\n").unwrap();
    verified(&dir, id, true);
    simplified(&dir, id);
    ok(mesh(
        &dir,
        &["task", "submit", &id.to_string(), "--worker", "w"],
    ));
    let entries = ledger(&dir).len();
    let log_before = fs::read(dir.join("docs/DECISION_LOG.md")).unwrap();
    let o = review(&dir, id, &["--reviewer", "lead", "--format", "json"]);
    assert_eq!(code(&o), 1, "{}{}", out(&o), err(&o));
    let v = json_of(&o);
    let rules = v["gate"]["conditions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["name"].as_str().unwrap(), c))
        .collect::<Vec<_>>();
    for (name, c) in &rules {
        assert_eq!(c["ok"], *name != "rules", "{c}");
    }
    let findings = rules[3].1["findings"].as_array().unwrap();
    let codes: Vec<&str> = findings
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["DEP002"], "{findings:?}");
    assert_eq!(findings[0]["location"]["file"], "requirements-dev.txt");
    assert!(!rules[3].1["detail"].as_str().unwrap().contains("flask"));
    assert_eq!(status(&dir, id), "reviewing");
    assert_eq!(ledger(&dir).len(), entries);
    assert_eq!(
        fs::read(dir.join("docs/DECISION_LOG.md")).unwrap(),
        log_before
    );
}

#[test]
fn a_high_risk_task_reviewed_by_its_worker_fails_alone_and_cannot_be_overridden() {
    let (_t, dir) = repo();
    let id = in_review(&dir, "Search", "US1", "HIGH");
    refused_alone(&dir, id, "w", "reviewer", "is its worker");

    let log_before = fs::read(dir.join("docs/DECISION_LOG.md")).unwrap();
    let o = review(
        &dir,
        id,
        &["--reviewer", "W", "--override", "I checked it myself"],
    );
    assert_eq!(code(&o), 1, "{}{}", out(&o), err(&o));
    assert!(err(&o).contains("cannot be overridden"), "{}", err(&o));
    assert!(err(&o).contains("same person"), "{}", err(&o));
    assert_eq!(status(&dir, id), "reviewing");
    assert!(ledger(&dir).is_empty());
    assert_eq!(
        fs::read(dir.join("docs/DECISION_LOG.md")).unwrap(),
        log_before
    );

    // Someone else may approve it.
    let o = review(&dir, id, &["--reviewer", "lead"]);
    assert_eq!(code(&o), 0, "{}{}", out(&o), err(&o));
    assert!(out(&o).contains("✓ reviewer"), "{}", out(&o));
    ledger_verifies(&dir);
}

#[test]
fn an_override_writes_a_decision_and_a_ledger_entry_then_approves() {
    let (_t, dir) = repo();
    let id = claimed(&dir, "Search", "US1", "MEDIUM");
    verified(&dir, id, true);
    ok(mesh(
        &dir,
        &["task", "submit", &id.to_string(), "--worker", "w"],
    ));
    fs::write(dir.join("src/after.rs"), "pub fn after() {}\n").unwrap();
    let o = review(
        &dir,
        id,
        &[
            "--reviewer",
            "lead",
            "--override",
            "hotfix for the launch; tests rerun in CI",
            "--format",
            "json",
        ],
    );
    assert_eq!(code(&o), 0, "{}{}", out(&o), err(&o));
    let v = json_of(&o);
    assert_eq!(v["approved"], true);
    assert_eq!(v["task"]["status"], "completed");
    assert_eq!(
        v["override"]["failed"],
        json!(["verification", "simplification"])
    );
    let decision = v["override"]["decision"].as_str().unwrap().to_string();

    let log = fs::read_to_string(dir.join("docs/DECISION_LOG.md")).unwrap();
    let row = log
        .lines()
        .find(|l| l.contains("Override review gate"))
        .expect("a decision row");
    assert!(
        row.contains(&format!(
            "Override review gate of T-{id} (failed: verification, simplification): hotfix for the launch; tests rerun in CI"
        )),
        "{row}"
    );
    assert!(row.contains(&format!("| {decision} |")), "{row}");
    assert!(row.contains(&format!("T-{id}")), "{row}");

    let entries = ledger(&dir);
    assert_eq!(entries.len(), 2, "{entries:?}");
    assert_eq!(entries[0]["kind"], "override");
    assert_eq!(entries[0]["data"]["task"], format!("T-{id}"));
    assert_eq!(
        entries[0]["data"]["failed"],
        json!(["verification", "simplification"])
    );
    assert_eq!(entries[0]["data"]["decision"], decision.as_str());
    assert_eq!(
        entries[0]["data"]["reason"],
        "hotfix for the launch; tests rerun in CI"
    );
    assert_eq!(entries[0]["data"]["reviewer"], "lead");
    assert_eq!(entries[1]["kind"], "review");
    assert_eq!(entries[1]["data"]["override"], decision.as_str());
    ledger_verifies(&dir);
    // The decision row is a valid row of the log.
    let o = mesh(&dir, &["check", "--select", "DEC"]);
    assert_eq!(code(&o), 0, "{}{}", out(&o), err(&o));
}

#[test]
fn the_third_rejection_blocks_the_task_with_the_reasons() {
    let (_t, dir) = repo();
    let id = claimed(&dir, "Search", "US1", "MEDIUM");
    let sid = id.to_string();
    let reasons = [
        "no test for ISBN search",
        "stock is not per branch",
        "still slow",
    ];
    for (n, reason) in reasons.iter().enumerate() {
        if n > 0 {
            ok(mesh(&dir, &["task", "claim", &sid, "--worker", "w"]));
        }
        verified(&dir, id, true);
        ok(mesh(&dir, &["task", "submit", &sid, "--worker", "w"]));
        let o = mesh(
            &dir,
            &[
                "task",
                "review",
                &sid,
                "--reject",
                "--note",
                reason,
                "--reviewer",
                "lead",
                "--format",
                "json",
            ],
        );
        assert_eq!(code(&o), 0, "{}", err(&o));
        let v = json_of(&o);
        assert_eq!(v["rejections"], n + 1);
        if n < 2 {
            assert_eq!(v["blocked"], false);
            assert_eq!(v["task"]["status"], "pending");
        } else {
            assert_eq!(v["blocked"], true);
            assert_eq!(v["task"]["status"], "blocked");
            assert_eq!(v["reasons"], json!(reasons));
        }
    }
    let detail = store(&dir).task_detail(id).unwrap();
    let last = detail.events.last().unwrap();
    assert_eq!(last.to.as_str(), "blocked");
    for r in reasons {
        assert!(last.reason.contains(r), "{}", last.reason);
    }
    let entries = ledger(&dir);
    assert_eq!(entries.len(), 3);
    assert!(entries.iter().all(|e| e["kind"] == "review"
        && e["data"]["verdict"] == "reject"
        && e["actor"] == "lead"));
    assert_eq!(entries[2]["data"]["tree"].as_str().map(str::len), Some(40));
    assert_eq!(entries[2]["data"]["blocked"], true);
    assert_eq!(entries[2]["data"]["reasons"], json!(reasons));
    ledger_verifies(&dir);

    // A rejection needs a reason.
    let o = mesh(&dir, &["task", "review", &sid, "--reject"]);
    assert_eq!(code(&o), 1, "{}", err(&o));
}

#[test]
fn tick_edits_one_line_and_the_change_policy_sees_a_status_change() {
    let (_t, dir) = repo();
    // Tasks from an accepted plan, so the entity task carries its plan key and trace.
    ok(mesh(&dir, &["plan", "draft", "--force"]));
    let accepted = json_of(&mesh(&dir, &["plan", "accept", "--format", "json"]));
    assert!(accepted["ledger_seq"].is_u64(), "{accepted}");
    let again = json_of(&mesh(&dir, &["plan", "accept", "--format", "json"]));
    assert!(
        again["ledger_seq"].is_null(),
        "a no-op acceptance is not recorded"
    );
    let entries = ledger(&dir);
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0]["kind"], "plan_accept");
    assert!(
        entries[0]["data"]["added"]
            .as_array()
            .unwrap()
            .contains(&json!("data:entity-store"))
    );
    git(&dir, &["add", "-A"]);
    git(&dir, &["commit", "-q", "-m", "plan"]);

    let id = store(&dir).resolve("data:entity-store").unwrap();
    let sid = id.to_string();
    ok(mesh(&dir, &["task", "claim", &sid, "--worker", "w"]));
    fs::create_dir_all(dir.join("src")).unwrap();
    fs::write(dir.join("src/store.rs"), "pub struct Store;\n").unwrap();
    verified(&dir, id, true);
    simplified(&dir, id);
    ok(mesh(&dir, &["task", "submit", &sid, "--worker", "w"]));

    let spec = dir.join("docs/SPEC.md");
    let before = fs::read_to_string(&spec).unwrap();
    let o = review(&dir, id, &["--reviewer", "lead", "--tick"]);
    assert_eq!(code(&o), 0, "{}{}", out(&o), err(&o));
    assert!(out(&o).contains("ticked docs/SPEC.md:29"), "{}", out(&o));
    let after = fs::read_to_string(&spec).unwrap();
    let changed: Vec<(usize, &str, &str)> = before
        .lines()
        .zip(after.lines())
        .enumerate()
        .filter(|(_, (a, b))| a != b)
        .map(|(i, (a, b))| (i + 1, a, b))
        .collect();
    assert_eq!(before.lines().count(), after.lines().count());
    assert_eq!(changed.len(), 1, "{changed:?}");
    assert_eq!(changed[0].0, 29);
    assert!(changed[0].1.starts_with("- [ ] Store:"));
    assert_eq!(changed[0].2, changed[0].1.replacen("[ ]", "[x]", 1));
    assert_eq!(before.len(), after.len());
    let e = ledger(&dir).pop().unwrap();
    assert_eq!(e["data"]["tick"], "docs/SPEC.md:29");

    // The tick is a status change: no GOV finding, staged, committed, or against HEAD.
    let gov_clean = |args: &[&str]| {
        let mut a = vec!["check", "--select", "GOV", "--format", "json"];
        a.extend_from_slice(args);
        let o = mesh(&dir, &a);
        assert_eq!(code(&o), 0, "{}{}", out(&o), err(&o));
        assert_eq!(json_of(&o)["diagnostics"], json!([]), "{}", out(&o));
    };
    gov_clean(&["--base", "HEAD"]);
    git(&dir, &["add", "docs/SPEC.md"]);
    gov_clean(&[]);
    git(&dir, &["commit", "-q", "-m", "tick"]);
    gov_clean(&["--base", "HEAD~1"]);
    gov_clean(&["--base", "HEAD"]);

    // Reopened and reviewed again: the planner no longer offers the ticked item, its checklist
    // line still is the task's trace.
    ok(mesh(
        &dir,
        &["task", "reopen", &sid, "--note", "again", "--by", "lead"],
    ));
    ok(mesh(&dir, &["task", "claim", &sid, "--worker", "w"]));
    fs::write(dir.join("src/store.rs"), "pub struct Store(u32);\n").unwrap();
    verified(&dir, id, true);
    simplified(&dir, id);
    ok(mesh(&dir, &["task", "submit", &sid, "--worker", "w"]));
    let o = review(
        &dir,
        id,
        &["--reviewer", "lead", "--tick", "--format", "json"],
    );
    assert_eq!(code(&o), 0, "{}{}", out(&o), err(&o));
    let v = json_of(&o);
    assert_eq!(v["gate"]["conditions"][1]["ok"], true, "{v}");
    assert_eq!(v["tick"]["line"], 29);
    assert_eq!(v["tick"]["detail"], "already ticked");
    // The same line changed in its words is a SPEC change without a decision.
    let text = fs::read_to_string(&spec).unwrap();
    fs::write(&spec, text.replacen("a bookshop branch", "a branch", 1)).unwrap();
    git(&dir, &["add", "docs/SPEC.md"]);
    let o = mesh(&dir, &["check", "--select", "GOV"]);
    assert_eq!(code(&o), 1, "{}", out(&o));
    ledger_verifies(&dir);
}

#[test]
fn tick_on_a_trace_that_is_no_checklist_item_approves_and_says_so() {
    let (_t, dir) = repo();
    // US1's line is a checklist item in the PRD: ticking it works by requirement ID too.
    let id = in_review(&dir, "Search", "US1", "MEDIUM");
    let o = review(
        &dir,
        id,
        &["--reviewer", "lead", "--tick", "--format", "json"],
    );
    assert_eq!(code(&o), 0, "{}{}", out(&o), err(&o));
    let v = json_of(&o);
    assert_eq!(v["tick"]["file"], "docs/PRD.md");
    assert_eq!(v["tick"]["line"], 41);
    assert_eq!(v["tick"]["ticked"], true);
    let prd = fs::read_to_string(dir.join("docs/PRD.md")).unwrap();
    assert!(prd.lines().nth(40).unwrap().starts_with("- [x] US1:"));

    // A requirement whose line is already ticked changes nothing.
    let id2 = in_review(&dir, "Search again", "US1", "MEDIUM");
    let before = fs::read(dir.join("docs/PRD.md")).unwrap();
    let o = review(
        &dir,
        id2,
        &["--reviewer", "lead", "--tick", "--format", "json"],
    );
    assert_eq!(code(&o), 0, "{}{}", out(&o), err(&o));
    let v = json_of(&o);
    assert_eq!(v["approved"], true);
    assert_eq!(v["tick"]["ticked"], false);
    assert_eq!(v["tick"]["detail"], "already ticked");
    assert_eq!(fs::read(dir.join("docs/PRD.md")).unwrap(), before);
    ledger_verifies(&dir);
}

#[test]
fn a_task_not_in_review_is_refused_before_anything_is_recorded() {
    let (_t, dir) = repo();
    let id = claimed(&dir, "Search", "US1", "MEDIUM");
    let o = review(&dir, id, &["--reviewer", "lead", "--override", "ship it"]);
    assert_eq!(code(&o), 1);
    assert!(err(&o).contains("not reviewing"), "{}", err(&o));
    assert!(ledger(&dir).is_empty());
    let log = fs::read_to_string(dir.join("docs/DECISION_LOG.md")).unwrap();
    assert!(!log.contains("Override review gate"));
}

#[test]
fn a_damaged_ledger_refuses_reviews_and_plan_acceptance_before_anything_changes() {
    let (_t, dir) = repo();
    let id = in_review(&dir, "Search", "US1", "MEDIUM");
    fs::create_dir_all(dir.join(".mesh")).unwrap();
    fs::write(dir.join(".mesh/ledger.jsonl"), "{\"seq\":1,\"ts\":").unwrap();

    let o = review(&dir, id, &["--reviewer", "lead"]);
    assert_eq!(code(&o), 2, "{}{}", out(&o), err(&o));
    assert!(err(&o).contains("damaged at line 1"), "{}", err(&o));
    assert_eq!(status(&dir, id), "reviewing");
    let o = mesh(
        &dir,
        &[
            "task",
            "review",
            &id.to_string(),
            "--reject",
            "--note",
            "no",
            "--reviewer",
            "lead",
        ],
    );
    assert_eq!(code(&o), 2, "{}", err(&o));
    assert_eq!(status(&dir, id), "reviewing");

    ok(mesh(&dir, &["plan", "draft", "--force"]));
    let before = store(&dir).list_tasks(&Default::default()).unwrap().len();
    let o = mesh(&dir, &["plan", "accept"]);
    assert_eq!(code(&o), 2, "{}{}", out(&o), err(&o));
    assert!(err(&o).contains("damaged at line 1"), "{}", err(&o));
    assert_eq!(
        store(&dir).list_tasks(&Default::default()).unwrap().len(),
        before,
        "nothing imported"
    );
}

#[test]
fn the_whole_flow_with_the_tools_own_evidence() {
    let (_t, dir) = repo();
    fs::write(
        dir.join("mesh.toml"),
        "[verify]\ncommand = \"echo 'test result: ok. 3 passed; 0 failed; 0 ignored'\"\n",
    )
    .unwrap();
    git(&dir, &["add", "-A"]);
    git(&dir, &["commit", "-q", "-m", "verify command"]);
    let id = claimed(&dir, "Search", "US1", "HIGH");
    let sid = id.to_string();
    ok(mesh(&dir, &["task", "verify", &sid, "--by", "w"]));
    ok(mesh(&dir, &["task", "simplify", &sid, "--by", "w"]));
    ok(mesh(&dir, &["task", "submit", &sid, "--worker", "w"]));
    let o = review(&dir, id, &["--reviewer", "lead", "--tick"]);
    assert_eq!(code(&o), 0, "{}{}", out(&o), err(&o));
    assert!(out(&o).contains("ticked docs/PRD.md:41"), "{}", out(&o));

    // A waiver instead of a simplification passes the condition too.
    let id = claimed(&dir, "Cart", "US2", "MEDIUM");
    let sid = id.to_string();
    ok(mesh(
        &dir,
        &[
            "task",
            "simplify",
            &sid,
            "--waive",
            "generated client code",
            "--by",
            "w",
        ],
    ));
    ok(mesh(&dir, &["task", "verify", &sid, "--by", "w"]));
    ok(mesh(&dir, &["task", "submit", &sid, "--worker", "w"]));
    let o = review(&dir, id, &["--reviewer", "lead", "--format", "json"]);
    assert_eq!(code(&o), 0, "{}{}", out(&o), err(&o));
    let v = json_of(&o);
    let simplification = &v["gate"]["conditions"][2];
    assert_eq!(simplification["name"], "simplification");
    assert!(
        simplification["detail"]
            .as_str()
            .unwrap()
            .contains("generated client code"),
        "{simplification}"
    );
    let kinds: Vec<String> = ledger(&dir)
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(kinds, ["review", "review"]);
    ledger_verifies(&dir);
}
