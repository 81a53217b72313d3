//! `mesh task` end to end: the real binary on a SQLite store (always) and a PostgreSQL store
//! (when MESH_TEST_PG_URL is set; required under CI), JSON shapes, exit codes and bad input.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

fn mesh(store: &str, args: &[&str], cwd: &Path) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_mesh"));
    cmd.arg("task")
        .args(args)
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env_remove("MESH_WORKER")
        .env_remove("MESH_ACTOR");
    if store.is_empty() {
        cmd.env_remove("MESH_STORE");
    } else {
        cmd.env("MESH_STORE", store);
    }
    cmd.output().expect("run mesh")
}

fn code(o: &Output) -> i32 {
    o.status.code().expect("exit code")
}

fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn json(o: &Output) -> Value {
    assert_eq!(code(o), 0, "stderr: {}", err(o));
    serde_json::from_slice(&o.stdout).expect("JSON on stdout")
}

/// A fresh PostgreSQL schema reachable through a URL (search_path in the options), or None.
fn pg_store() -> Option<(String, String)> {
    let url = match std::env::var("MESH_TEST_PG_URL") {
        Ok(u) if !u.trim().is_empty() => u,
        _ => {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI is set but MESH_TEST_PG_URL is not: run `eval \"$(bash scripts/pg.sh)\"` first"
            );
            eprintln!("note: MESH_TEST_PG_URL is not set; PostgreSQL variant not run");
            return None;
        }
    };
    let schema = format!("mesh_cli_{}_{}", std::process::id(), unique_suffix());
    // Create the schema (and the tables) through the library, then point the CLI at it.
    mesh_store::Store::open_with(
        &mesh_store::StoreLocation::Postgres(url.clone()),
        &mesh_store::OpenOptions {
            pg_schema: Some(schema.clone()),
            ..mesh_store::OpenOptions::default()
        },
    )
    .unwrap();
    let sep = if url.contains('?') { '&' } else { '?' };
    Some((
        format!("{url}{sep}options=-c%20search_path%3D{schema}"),
        schema,
    ))
}

fn unique_suffix() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0)
}

fn drop_schema(schema: &str) {
    if let Ok(url) = std::env::var("MESH_TEST_PG_URL")
        && let Ok(mut c) = postgres::Client::connect(&url, postgres::NoTls)
    {
        let _ = c.batch_execute(&format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE"));
    }
}

fn git(dir: &Path, args: &[&str]) {
    let o = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", "T")
        .env("GIT_AUTHOR_EMAIL", "t@example.invalid")
        .env("GIT_COMMITTER_NAME", "T")
        .env("GIT_COMMITTER_EMAIL", "t@example.invalid")
        .output()
        .expect("run git");
    assert!(o.status.success(), "git {args:?}: {}", err(&o));
}

/// The project the flow runs in: a git repository with a decision log (the review gate reads
/// the working tree and records overrides as decisions); the store files are ignored.
fn project(dir: &Path) {
    std::fs::create_dir_all(dir.join("docs")).unwrap();
    std::fs::write(
        dir.join("docs/DECISION_LOG.md"),
        "# Decision Log\n\n## Records\n\n| ID | Date | Type | Decision | Rationale | Scope | Task | Status |\n|----|------|------|----------|-----------|-------|------|--------|\n| 001 | 2026-01-01 | INIT | Init | base | project | - | ✅ |\n<!-- ATOMIC_MESH_APPEND_DECISIONS_BELOW -->\n",
    )
    .unwrap();
    std::fs::write(
        dir.join(".gitignore"),
        "/.mesh/\n*.db\n*.db-wal\n*.db-shm\n.DECISION_LOG.md.lock\n",
    )
    .unwrap();
    git(dir, &["init", "-q", "-b", "main"]);
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", "init"]);
}

/// Record a passing verification of task `id` on the current tree, as `mesh task verify` does.
fn verified(store: &str, dir: &Path, id: i64) {
    let tree = mesh_service::evidence::current_tree(dir).unwrap();
    let location = mesh_store::StoreLocation::parse(store, dir).unwrap();
    mesh_store::Store::open(&location)
        .unwrap()
        .record_evidence(
            id,
            "w1",
            &mesh_store::NewEvidence {
                kind: mesh_store::EvidenceKind::Verify,
                passed: true,
                tree: Some(tree),
                summary: "ok".into(),
                data: serde_json::json!({"command": "true", "exit_code": 0, "timed_out": false}),
            },
        )
        .unwrap();
}

/// The whole flow, for one store location.
fn flow(store: &str, dir: &Path) {
    project(dir);
    let m = |args: &[&str]| mesh(store, args, dir);

    let base = json(&m(&[
        "add",
        "Create the schema",
        "--lane",
        "backend",
        "--priority",
        "LOW",
        "--key",
        "backend:schema",
        "--by",
        "pm",
        "--format",
        "json",
    ]));
    assert_eq!(base["schema_version"], 1);
    let base_id = base["task"]["id"].as_i64().unwrap();
    let api = json(&m(&[
        "add",
        "Login API",
        "--lane",
        "backend",
        "--priority",
        "URGENT",
        "--dep",
        "backend:schema",
        "--dod",
        "tests pass",
        "--format",
        "json",
    ]));
    let api_id = api["task"]["id"].as_i64().unwrap();
    assert_eq!(api["task"]["risk"], "HIGH", "login is high-risk");

    let list = json(&m(&["list", "--format", "json"]));
    assert_eq!(list["schema_version"], 1);
    let tasks = list["tasks"].as_array().unwrap();
    assert_eq!(tasks.len(), 2);
    let keys: Vec<&str> = tasks[0]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    for k in [
        "id", "key", "title", "lane", "status", "priority", "risk", "worker", "deps",
    ] {
        assert!(keys.contains(&k), "list rows carry `{k}`: {keys:?}");
    }
    assert_eq!(tasks[1]["deps"], serde_json::json!([base_id]));
    assert_eq!(tasks[0]["key"], "backend:schema");

    // next: the urgent task waits for its dependency, so the dependency comes first.
    let next = json(&m(&["next", "--worker", "w1", "--format", "json"]));
    assert_eq!(next["task"]["id"].as_i64(), Some(base_id));
    assert_eq!(next["task"]["status"], "in_progress");
    assert_eq!(next["task"]["worker"], "w1");
    // Nothing else is claimable: task is null, exit 0.
    let none = json(&m(&["next", "--worker", "w2", "--format", "json"]));
    assert!(none["task"].is_null());
    let human = m(&["next", "--worker", "w2"]);
    assert_eq!(code(&human), 0);
    assert_eq!(
        String::from_utf8_lossy(&human.stdout),
        "nothing claimable\n"
    );

    // Someone else's claim: refused, exit 1.
    let id = base_id.to_string();
    let o = m(&["heartbeat", &id, "--worker", "w2"]);
    assert_eq!(code(&o), 1, "{}", err(&o));
    assert!(
        err(&o).contains("is claimed by w1, not by w2"),
        "{}",
        err(&o)
    );
    // Illegal transition: refused, naming the allowed ones.
    let o = m(&["review", &id, "--approve", "--note", "ok"]);
    assert_eq!(code(&o), 1);
    assert!(err(&o).contains("submit (→ reviewing)"), "{}", err(&o));
    // --approve or --reject is required.
    assert_eq!(code(&m(&["review", &id, "--note", "ok"])), 2);

    json(&m(&[
        "heartbeat",
        &id,
        "--worker",
        "w1",
        "--format",
        "json",
    ]));
    // Submitting needs a verification on the current tree.
    let o = m(&["submit", &id, "--worker", "w1"]);
    assert_eq!(code(&o), 1, "{}", err(&o));
    assert!(err(&o).contains("mesh task verify"), "{}", err(&o));
    verified(store, dir, base_id);
    let sub = json(&m(&[
        "submit",
        &format!("T-{base_id}"),
        "--worker",
        "w1",
        "--note",
        "done",
        "--format",
        "json",
    ]));
    assert_eq!(sub["task"]["status"], "reviewing");
    // The task traces to nothing and has no simplification: the gate refuses until overridden.
    let o = m(&["review", "backend:schema", "--approve", "--by", "lead"]);
    assert_eq!(code(&o), 1, "{}", err(&o));
    let done = json(&m(&[
        "review",
        "backend:schema",
        "--approve",
        "--note",
        "checked",
        "--by",
        "lead",
        "--override",
        "the state machine is under test here",
        "--format",
        "json",
    ]));
    assert_eq!(done["task"]["status"], "completed");
    let next = json(&m(&["next", "--worker", "w2", "--format", "json"]));
    assert_eq!(next["task"]["id"].as_i64(), Some(api_id));

    let show = json(&m(&["show", &id, "--format", "json"]));
    let events = show["task"]["events"].as_array().unwrap();
    let moves: Vec<(String, String)> = events
        .iter()
        .map(|e| {
            (
                e["from"].as_str().unwrap_or("-").to_string(),
                e["to"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        moves,
        vec![
            ("-".into(), "pending".into()),
            ("pending".into(), "in_progress".into()),
            ("in_progress".into(), "reviewing".into()),
            ("reviewing".into(), "completed".into()),
        ]
    );
    assert_eq!(events[3]["actor"], "lead");
    assert_eq!(events[3]["reason"], "checked");
    let human = m(&["show", &id]);
    assert!(String::from_utf8_lossy(&human.stdout).contains("reviewing → completed  checked"));

    // Block, unblock, cancel, reopen, release --fail.
    let aid = api_id.to_string();
    assert_eq!(code(&m(&["block", &aid, "--note", "vendor"])), 0);
    assert_eq!(code(&m(&["unblock", &aid])), 0);
    assert_eq!(code(&m(&["claim", &aid, "--worker", "w4"])), 0);
    let o = m(&["release", &aid, "--worker", "w4", "--fail"]);
    assert_eq!(code(&o), 1, "a failure needs a note");
    let failed = json(&m(&[
        "release", &aid, "--worker", "w4", "--fail", "--note", "stuck", "--format", "json",
    ]));
    assert_eq!(failed["task"]["status"], "failed");
    assert_eq!(code(&m(&["reopen", &aid, "--note", "retry"])), 0);
    assert_eq!(code(&m(&["cancel", &aid, "--note", "dropped"])), 0);
    let reaped = json(&m(&["reap", "--format", "json"]));
    assert_eq!(reaped["reaped"], serde_json::json!([]));

    // Unknown ids: exit 2, saying what to do.
    let o = m(&["show", "T-999"]);
    assert_eq!(code(&o), 2);
    assert!(err(&o).contains("no task `T-999`"), "{}", err(&o));
    assert_eq!(code(&m(&["claim", "nope", "--worker", "w"])), 2);
    // Bad input: exit 2 from the argument parser, or 1 from the store's rules.
    assert_eq!(
        code(&m(&["add", "x", "--lane", "qa", "--priority", "12"])),
        2
    );
    assert_eq!(code(&m(&["add", "x", "--lane", "two words"])), 1);
}

#[test]
fn flow_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("tasks.db");
    flow(db.to_str().unwrap(), dir.path());
}

#[test]
fn flow_on_postgres() {
    let Some((url, schema)) = pg_store() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    flow(&url, dir.path());
    drop_schema(&schema);
}

#[test]
fn the_default_store_is_at_the_project_root() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join(".git")).unwrap();
    let sub = dir.path().join("src/deep");
    std::fs::create_dir_all(&sub).unwrap();
    let o = mesh("", &["add", "x", "--lane", "qa"], &sub);
    assert_eq!(code(&o), 0, "{}", err(&o));
    assert!(dir.path().join(".mesh/mesh.db").is_file());
    assert!(!sub.join(".mesh").exists());

    // mesh.toml's [store] url is used when neither --store nor MESH_STORE says otherwise.
    std::fs::write(
        dir.path().join("mesh.toml"),
        "[store]\nurl = \"other.db\"\n",
    )
    .unwrap();
    let o = mesh("", &["list", "--format", "json"], &sub);
    assert_eq!(json(&o)["tasks"], serde_json::json!([]));
    assert!(dir.path().join("other.db").is_file());
    // --store wins.
    let o = mesh(
        "",
        &[
            "list",
            "--store",
            dir.path().join(".mesh/mesh.db").to_str().unwrap(),
            "--format",
            "json",
        ],
        &sub,
    );
    assert_eq!(json(&o)["tasks"].as_array().unwrap().len(), 1);
}

#[test]
fn unreachable_postgres_exits_2_with_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let o = mesh(
        "postgres://mesh:secret@127.0.0.1:1/mesh",
        &["list"],
        dir.path(),
    );
    assert_eq!(code(&o), 2);
    let e = err(&o);
    assert!(
        e.contains("cannot connect to PostgreSQL at postgres://mesh:***@127.0.0.1:1/mesh"),
        "{e}"
    );
    assert!(!e.contains("secret"), "{e}");
}

#[test]
fn a_corrupt_store_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("bad.db");
    std::fs::write(&db, vec![b'x'; 4096]).unwrap();
    let o = mesh(db.to_str().unwrap(), &["list"], dir.path());
    assert_eq!(code(&o), 2);
    assert!(
        err(&o).contains("is not a usable SQLite database"),
        "{}",
        err(&o)
    );
}
