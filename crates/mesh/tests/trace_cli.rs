//! `mesh trace`: the matrix in every format and the three TRC rules, end to end with a real store.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs;
use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

fn mesh(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mesh"))
        .args(args)
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .env_remove("MESH_STORE")
        .output()
        .expect("run mesh")
}

fn ok(o: Output) -> String {
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn project() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let src = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/projects/bookshop-gen15/docs");
    fs::create_dir_all(tmp.path().join("docs")).unwrap();
    for e in fs::read_dir(src).unwrap() {
        let e = e.unwrap();
        fs::copy(e.path(), tmp.path().join("docs").join(e.file_name())).unwrap();
    }
    fs::write(tmp.path().join("mesh.toml"), "").unwrap();
    // A git repository: the review gate judges the working tree.
    fs::write(
        tmp.path().join(".gitignore"),
        "/.mesh/\n.DECISION_LOG.md.lock\n",
    )
    .unwrap();
    for args in [
        &["init", "-q", "-b", "main"][..],
        &["add", "-A"],
        &["commit", "-q", "-m", "documents"],
    ] {
        let o = Command::new("git")
            .args(args)
            .current_dir(tmp.path())
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_AUTHOR_NAME", "T")
            .env("GIT_AUTHOR_EMAIL", "t@example.invalid")
            .env("GIT_COMMITTER_NAME", "T")
            .env("GIT_COMMITTER_EMAIL", "t@example.invalid")
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    tmp
}

/// Record the evidence the review gate needs (a passing verification on the current tree and
/// a simplification), as `mesh task verify` and `mesh task simplify` record it.
fn evidence(dir: &Path, id: i64) {
    use mesh_store::{EvidenceKind, NewEvidence};
    let store = mesh_store::Store::open(&mesh_store::StoreLocation::Sqlite(
        dir.join(".mesh/mesh.db"),
    ))
    .unwrap();
    let tree = mesh_service::evidence::current_tree(dir).unwrap();
    for kind in [EvidenceKind::Verify, EvidenceKind::Simplify] {
        store
            .record_evidence(
                id,
                "w",
                &NewEvidence {
                    kind,
                    passed: true,
                    tree: Some(tree.clone()),
                    summary: "ok".into(),
                    data: serde_json::json!({"exit_code": 0, "timed_out": false}),
                },
            )
            .unwrap();
    }
}

fn codes(v: &Value) -> Vec<String> {
    v["roots"][0]["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            format!(
                "{} {}",
                d["code"].as_str().unwrap(),
                d["message"].as_str().unwrap()
            )
        })
        .collect()
}

#[test]
fn matrix_and_rules() {
    let tmp = project();
    let dir = tmp.path();
    // Without a store every Must Have story lacks a task.
    let o = mesh(&["trace", "--format", "json"], dir);
    assert_eq!(o.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(
        codes(&v)
            .iter()
            .any(|c| c.starts_with("TRC001") && c.contains("US1")),
        "{:?}",
        codes(&v)
    );

    for (trace, title) in [
        ("US1", "Search"),
        ("US2", "Cart"),
        ("US3", "Collect"),
        ("US4", "Stock"),
    ] {
        ok(mesh(
            &["task", "add", "--lane", "backend", "--trace", trace, title],
            dir,
        ));
    }
    // Complete T-1 through review; nothing tags US1 yet.
    ok(mesh(&["task", "claim", "1", "--worker", "w"], dir));
    evidence(dir, 1);
    ok(mesh(&["task", "submit", "1", "--worker", "w"], dir));
    ok(mesh(
        &[
            "task",
            "review",
            "1",
            "--approve",
            "--note",
            "ok",
            "--by",
            "r",
        ],
        dir,
    ));
    fs::create_dir_all(dir.join("tests")).unwrap();
    fs::write(
        dir.join("tests/cart.rs"),
        "// mesh: US2\n#[test]\nfn cart() {}\n// mesh: US77\n",
    )
    .unwrap();

    let o = mesh(&["trace", "--format", "json"], dir);
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let c = codes(&v);
    assert!(!c.iter().any(|c| c.starts_with("TRC001")), "{c:?}");
    assert!(
        c.iter()
            .any(|c| c.starts_with("TRC002") && c.contains("T-1")),
        "{c:?}"
    );
    assert!(
        c.iter()
            .any(|c| c.starts_with("TRC003") && c.contains("US77")),
        "{c:?}"
    );
    let rows = v["roots"][0]["rows"].as_array().unwrap();
    let us2 = rows
        .iter()
        .find(|r| r["requirement"]["id"] == "US2")
        .unwrap();
    assert_eq!(us2["tasks"][0], "T-2");
    assert_eq!(us2["tests"][0], "tests/cart.rs:1");

    // Tagging the completed task's story clears TRC002.
    fs::write(
        dir.join("tests/search.py"),
        "# mesh: US1\ndef test_search(): pass\n",
    )
    .unwrap();
    let v: Value =
        serde_json::from_slice(&mesh(&["trace", "--format", "json"], dir).stdout).unwrap();
    assert!(
        !codes(&v).iter().any(|c| c.starts_with("TRC002")),
        "{:?}",
        codes(&v)
    );

    let csv =
        String::from_utf8_lossy(&mesh(&["trace", "--format", "csv"], dir).stdout).into_owned();
    assert!(csv.starts_with("root,requirement,kind,priority,text,tasks,tests\n"));
    assert!(
        csv.lines()
            .any(|l| l.starts_with("docs,US1,story,must,") && l.ends_with("tests/search.py:1")),
        "{csv}"
    );
}
