//! `mesh task ask`: the real binary on a project made by `mesh init`, with a SQLite store.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

fn mesh(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mesh"))
        .args(args)
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env_remove("MESH_WORKER")
        .env_remove("MESH_ACTOR")
        .env_remove("MESH_STORE")
        .output()
        .expect("run mesh")
}

fn ok(o: &Output) -> String {
    assert_eq!(
        o.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn asking_blocks_the_task_and_writes_the_inbox() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    ok(&mesh(&["init", ".", "--name", "shop", "--author", "t"], p));
    std::fs::create_dir(p.join(".git")).unwrap();
    ok(&mesh(
        &["task", "add", "Build checkout", "--lane", "backend"],
        p,
    ));
    ok(&mesh(&["task", "next", "--worker", "w1"], p));
    let before = std::fs::read_to_string(p.join("docs/INBOX.md")).unwrap();

    // Someone else's claim: refused (exit 1), nothing written.
    let o = mesh(
        &[
            "task",
            "ask",
            "1",
            "--worker",
            "w2",
            "--question",
            "Which currency?",
        ],
        p,
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("claimed by w1"));
    assert_eq!(
        std::fs::read_to_string(p.join("docs/INBOX.md")).unwrap(),
        before
    );

    let out = ok(&mesh(
        &[
            "task",
            "ask",
            "T-1",
            "--worker",
            "w1",
            "--question",
            "Which currency?",
            "--format",
            "json",
        ],
        p,
    ));
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["schema_version"], 1);
    assert_eq!(v["asked"]["blocked"]["status"], "blocked");
    assert_eq!(v["asked"]["clarification"]["id"], 2);
    assert_eq!(v["asked"]["clarification"]["lane"], "docs");
    let after = std::fs::read_to_string(p.join("docs/INBOX.md")).unwrap();
    let added: Vec<&str> = after.lines().filter(|l| !before.contains(l)).collect();
    assert_eq!(added.len(), 1, "{after}");
    assert!(
        added[0]
            .starts_with("- [ ] OPEN QUESTION: Which currency? (T-1, asked by w1; answer in T-2, "),
        "{}",
        added[0]
    );
    // Every line from before is still there, in order.
    let kept: Vec<&str> = after.lines().filter(|l| *l != added[0]).collect();
    assert_eq!(kept, before.lines().collect::<Vec<_>>());
    let list = ok(&mesh(&["task", "list", "--status", "blocked"], p));
    assert!(list.contains("T-1") && list.contains("blocked"), "{list}");
}
