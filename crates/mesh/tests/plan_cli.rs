//! `mesh plan` end to end with the real binary: draft (files, determinism, BOOTSTRAP refusal,
//! JSON, lanes), accept (idempotent, changed plans, bad input: malformed lines, unknown
//! dependencies, cycles — nothing imported), graph, and the Plan and Work stages of
//! `mesh status`. The store is SQLite always, and PostgreSQL too when MESH_TEST_PG_URL is set
//! (required under CI).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn mesh(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mesh"))
        .args(args)
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("MESH_ACTOR", "planner-test")
        .env_remove("MESH_STORE")
        .output()
        .expect("run mesh")
}

fn code(o: &Output) -> i32 {
    o.status.code().expect("exit code")
}

fn out(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn json(o: &Output) -> Value {
    assert_eq!(code(o), 0, "stderr: {}", err(o));
    serde_json::from_slice(&o.stdout).expect("JSON on stdout")
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/projects")
        .join(name)
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for e in fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dest = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &dest);
        } else {
            fs::copy(e.path(), dest).unwrap();
        }
    }
}

/// A copy of a fixture project in a temporary directory.
fn project(name: &str) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join(name);
    copy_dir(&fixture(name), &dir);
    (tmp, dir)
}

fn drafts(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = fs::read_dir(dir.join("docs/PLANS"))
        .map(|rd| rd.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    v.sort();
    v
}

fn keys(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|t| t["key"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn draft_writes_a_deterministic_plan_file() {
    let (_t, dir) = project("bookshop-gen15");
    let first = mesh(&["plan", "draft"], &dir);
    assert_eq!(code(&first), 0, "{}", err(&first));
    let files = drafts(&dir);
    assert_eq!(files.len(), 1);
    let name = files[0].file_name().unwrap().to_string_lossy().to_string();
    assert!(
        name.starts_with("draft-")
            && name.ends_with("Z.md")
            && name.len() == "draft-20260101T000000Z.md".len(),
        "{name}"
    );
    let text = fs::read_to_string(&files[0]).unwrap();
    assert_eq!(out(&first), text, "stdout is the file");
    assert!(text.starts_with("# Plan: docs\n"));
    assert!(text.contains("| K: product:us1 |"));
    assert!(
        err(&first).contains("(36 tasks, mode EXECUTION)"),
        "{}",
        err(&first)
    );
    // A second draft goes to a new file (never overwriting) with the same bytes.
    let second = mesh(&["plan", "draft"], &dir);
    assert_eq!(code(&second), 0);
    let files = drafts(&dir);
    assert_eq!(files.len(), 2);
    assert_eq!(fs::read(&files[0]).unwrap(), fs::read(&files[1]).unwrap());
}

#[test]
fn draft_json_has_the_documented_shape() {
    let (_t, dir) = project("telemetry-gen16");
    let v = json(&mesh(&["plan", "draft", "--format", "json"], &dir));
    assert_eq!(v["schema_version"], 1);
    assert_eq!(v["root"], "docs");
    assert_eq!(v["mode"], "EXECUTION");
    let tasks = v["tasks"].as_array().unwrap();
    let first = &tasks[0];
    for field in [
        "key", "title", "lane", "priority", "risk", "trace", "dod", "deps",
    ] {
        assert!(first.get(field).is_some(), "missing {field}: {first}");
    }
    assert!(
        first["key"]
            .as_str()
            .unwrap()
            .starts_with("product:question-")
    );
    assert_eq!(first["priority"], 0, "clarifications are URGENT (0)");
    let us4 = tasks.iter().find(|t| t["key"] == "product:us4").unwrap();
    assert!(
        us4["deps"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d == &first["key"]),
        "the open question blocks US4"
    );
    let threat = tasks
        .iter()
        .find(|t| t["key"] == "security:threat-1")
        .unwrap();
    assert_eq!(threat["risk"], "HIGH", "the security lane is high-risk");
    assert_eq!(threat["lane"], "security");
    assert_eq!(drafts(&dir).len(), 1, "JSON output still writes the draft");
}

#[test]
fn a_cli_tool_gets_no_endpoint_tasks() {
    let (_t, dir) = project("cli-tool");
    let v = json(&mesh(&["plan", "draft", "--format", "json"], &dir));
    let ks = keys(&v["tasks"]);
    assert!(
        !ks.iter().any(|k| k.starts_with("backend:endpoint-")),
        "{ks:?}"
    );
    assert!(ks.contains(&"product:us1".to_string()));
}

#[test]
fn bootstrap_is_refused_unless_forced() {
    let (_t, dir) = project("unfilled-gen15");
    let o = mesh(&["plan", "draft"], &dir);
    assert_eq!(code(&o), 1, "{}", err(&o));
    let e = err(&o);
    assert!(e.contains("BOOTSTRAP"), "{e}");
    assert!(e.contains("docs/PRD.md: readiness"), "{e}");
    assert!(e.contains("--force"), "{e}");
    assert!(!dir.join("docs/PLANS").exists(), "nothing written");
    let o = mesh(&["plan", "draft", "--force"], &dir);
    assert_eq!(code(&o), 0, "{}", err(&o));
    assert_eq!(drafts(&dir).len(), 1);
    assert!(out(&o).contains("--force before the documents were ready"));
    // Without documents there is nothing to plan, even forced.
    let empty = tempfile::tempdir().unwrap();
    let o = mesh(&["plan", "draft", "--force"], empty.path());
    assert_eq!(code(&o), 1, "{}", err(&o));
    assert!(err(&o).contains("PRE_INIT"), "{}", err(&o));
}

#[test]
fn lanes_follow_mesh_toml() {
    let (_t, dir) = project("bookshop-gen15");
    fs::write(
        dir.join("mesh.toml"),
        "[lanes]\nstories = \"frontend\"\n\"backend:service\" = \"ops\"\n",
    )
    .unwrap();
    let v = json(&mesh(&["plan", "draft", "--format", "json"], &dir));
    let lane = |k: &str| {
        v["tasks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["key"] == k)
            .unwrap()["lane"]
            .clone()
    };
    assert_eq!(lane("product:us1"), "frontend");
    assert_eq!(lane("backend:service-postmark"), "ops");
    assert_eq!(lane("backend:endpoint-post-api-orders"), "backend");
}

fn accept(dir: &Path, store: &str, file: Option<&Path>) -> Output {
    let mut args: Vec<String> = vec!["plan".into(), "accept".into()];
    if let Some(f) = file {
        args.push(f.display().to_string());
    }
    if !store.is_empty() {
        args.push("--store".into());
        args.push(store.into());
    }
    args.push("--format".into());
    args.push("json".into());
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    mesh(&refs, dir)
}

fn status_stages(dir: &Path, store: &str) -> Value {
    let mut args = vec!["status", "--format", "json"];
    if !store.is_empty() {
        args.push("--store");
        args.push(store);
    }
    let v = json(&mesh(&args, dir));
    v["stages"].clone()
}

fn stage<'a>(stages: &'a Value, name: &str) -> &'a Value {
    stages
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == name)
        .unwrap()
}

/// Accept, accept again, change the plan, and the bad inputs — on one store.
fn accept_flow(dir: &Path, store: &str) {
    let o = mesh(&["plan", "draft"], dir);
    assert_eq!(code(&o), 0, "{}", err(&o));
    let draft = drafts(dir).pop().unwrap();

    // First acceptance: everything added.
    let v = json(&accept(dir, store, None));
    assert_eq!(v["schema_version"], 1);
    assert_eq!(v["plan"], "docs");
    assert_eq!(v["added"].as_array().unwrap().len(), 36);
    assert_eq!(v["sha256"].as_str().unwrap().len(), 64);
    let status = status_stages(dir, store);
    assert_eq!(stage(&status, "Plan")["state"], "GREEN");
    assert_eq!(stage(&status, "Work")["state"], "YELLOW");

    // The same plan again changes nothing.
    let v = json(&accept(dir, store, Some(&draft)));
    assert_eq!(v["added"].as_array().unwrap().len(), 0);
    assert_eq!(v["unchanged"].as_array().unwrap().len(), 36);
    assert_eq!(v["changed"].as_array().unwrap().len(), 0);
    assert_eq!(v["disappeared"].as_array().unwrap().len(), 0);

    // A hand-edited plan: one task removed, one added (depending on a task already stored),
    // one ticked [x]. The removed one is reported, not dropped.
    let text = fs::read_to_string(&draft).unwrap();
    let edited: String = text
        .lines()
        .filter(|l| !l.contains("| K: backend:service-postmark |"))
        .map(|l| {
            if l.contains("| K: qa:us6 |") {
                l.replacen("- [ ]", "- [x]", 1)
            } else {
                l.to_string()
            }
        })
        .chain(std::iter::once(
            "- [ ] docs: Write the bookseller guide — DoD: a one-page guide | K: docs:guide | Dep: product:us3 | P: LOW".to_string(),
        ))
        .collect::<Vec<_>>()
        .join("\n");
    let edited_path = dir.join("docs/PLANS/sprint.md");
    fs::write(&edited_path, format!("{edited}\n")).unwrap();
    let v = json(&accept(dir, store, Some(&edited_path)));
    assert_eq!(
        v["plan"], "docs",
        "same plan name, so it is compared with the draft"
    );
    assert_eq!(keys(&v["added"]), vec!["docs:guide"]);
    assert_eq!(
        keys(&v["disappeared"]),
        vec!["backend:service-postmark", "qa:us6"]
    );
    assert_eq!(v["disappeared"][0]["status"], "pending");
    assert_eq!(v["skipped_done"], 1);
    // The human report names them too.
    let o = mesh(
        &[
            "plan",
            "accept",
            edited_path.to_str().unwrap(),
            "--store",
            store,
        ],
        dir,
    );
    assert_eq!(code(&o), 0, "{}", err(&o));
    assert!(out(&o).contains("backend:service-postmark (pending) is no longer in the plan"));

    // Bad input: a malformed line; nothing imported.
    let bad = dir.join("docs/PLANS/bad.md");
    fs::write(
        &bad,
        "# Plan: docs\n- [ ] docs: fine | K: docs:fine\n- [ ] docs: broken | Owner: me\n",
    )
    .unwrap();
    let o = accept(dir, store, Some(&bad));
    assert_eq!(code(&o), 1);
    assert!(
        err(&o).contains("line 3: unknown field `Owner`"),
        "{}",
        err(&o)
    );
    assert!(err(&o).contains("nothing was imported"), "{}", err(&o));

    // A Dep on an unknown key names the line.
    fs::write(
        &bad,
        "# Plan: docs\n\n- [ ] docs: fine | K: docs:fine\n- [ ] docs: needs | K: docs:needs | Dep: docs:nowhere\n",
    )
    .unwrap();
    let o = accept(dir, store, Some(&bad));
    assert_eq!(code(&o), 1);
    assert!(
        err(&o).contains("line 4: Dep `docs:nowhere` is an unknown key"),
        "{}",
        err(&o)
    );

    // A cycle is refused and named.
    fs::write(
        &bad,
        "# Plan: docs\n- [ ] docs: a | K: docs:a | Dep: docs:b\n- [ ] docs: b | K: docs:b | Dep: docs:a\n",
    )
    .unwrap();
    let o = accept(dir, store, Some(&bad));
    assert_eq!(code(&o), 1);
    assert!(
        err(&o).contains("dependency cycle: docs:a (line 2) → docs:b (line 3) → docs:a (line 2)"),
        "{}",
        err(&o)
    );

    // None of the refused plans imported anything: the draft is still all unchanged but for
    // the guide added above.
    let v = json(&accept(dir, store, Some(&draft)));
    assert_eq!(v["added"].as_array().unwrap().len(), 0);
    assert_eq!(v["unchanged"].as_array().unwrap().len(), 36);
    assert_eq!(keys(&v["disappeared"]), vec!["docs:guide"]);
    let status = status_stages(dir, store);
    assert_eq!(stage(&status, "Plan")["reason"], "37 tasks queued or open");
}

#[test]
fn accept_on_sqlite() {
    let (_t, dir) = project("bookshop-gen15");
    // No store yet: status says so and does not create one.
    let status = status_stages(&dir, "");
    assert_eq!(stage(&status, "Plan")["state"], "GRAY");
    assert!(
        !dir.join(".mesh").exists(),
        "status must not create a store"
    );
    accept_flow(&dir, "");
    assert!(dir.join(".mesh/mesh.db").is_file());
}

#[test]
fn a_malformed_plan_creates_no_store() {
    let (_t, dir) = project("bookshop-gen15");
    let plan = dir.join("plan.md");
    fs::write(&plan, "- [ ] backend login without a colon | K: x:y\n").unwrap();
    let o = mesh(&["plan", "accept", "plan.md"], &dir);
    assert_eq!(code(&o), 1);
    assert!(err(&o).contains("line 1: no lane"), "{}", err(&o));
    assert!(!dir.join(".mesh").exists());
    // No draft and no file: a usage error.
    let o = mesh(&["plan", "accept"], &dir);
    assert_eq!(code(&o), 2);
    assert!(
        err(&o).contains("run `mesh plan draft` first"),
        "{}",
        err(&o)
    );
}

#[test]
fn accept_on_postgres() {
    let Some((url, schema)) = pg_store() else {
        return;
    };
    let (_t, dir) = project("bookshop-gen15");
    accept_flow(&dir, &url);
    // The ledger lives in .mesh/ whatever the store; no SQLite file may appear there.
    assert!(
        !dir.join(".mesh/mesh.db").exists(),
        "the PostgreSQL store was used"
    );
    assert!(dir.join(".mesh/ledger.jsonl").is_file());
    drop_schema(&schema);
}

#[test]
fn graph_draws_the_dependencies() {
    let (_t, dir) = project("bookshop-gen15");
    let o = mesh(&["plan", "graph"], &dir);
    assert_eq!(code(&o), 0, "{}", err(&o));
    let m = out(&o);
    assert!(m.starts_with("graph TD\n"));
    assert!(m.contains("product:us1<br/>US1: As a regular reader"));
    assert!(m.contains(" --> "));
    assert!(!dir.join("docs/PLANS").exists(), "graph writes nothing");
    let o = mesh(&["plan", "graph", "--format", "dot"], &dir);
    let d = out(&o);
    assert!(d.starts_with("digraph plan {"));
    // The QA task of US1 waits for US1: an edge from US1's node to it.
    let id = |key: &str| {
        d.lines()
            .find(|l| l.contains(&format!("label=\"{key}\\n")))
            .and_then(|l| l.split_whitespace().next())
            .unwrap()
            .to_string()
    };
    assert!(d.contains(&format!("{} -> {};", id("product:us1"), id("qa:us1"))));
    // From a plan file.
    let plan = dir.join("p.md");
    fs::write(
        &plan,
        "- [ ] a: one | K: a:1\n- [ ] a: two | K: a:2 | Dep: a:1\n",
    )
    .unwrap();
    let o = mesh(&["plan", "graph", "p.md", "--format", "dot"], &dir);
    assert!(out(&o).contains("t1 -> t2;"), "{}", out(&o));
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
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let schema = format!("mesh_plan_{}_{nanos}", std::process::id());
    let mut c = postgres::Client::connect(&url, postgres::NoTls)
        .unwrap_or_else(|e| panic!("cannot connect to {url}: {e}"));
    c.batch_execute(&format!("CREATE SCHEMA \"{schema}\""))
        .unwrap();
    let sep = if url.contains('?') { '&' } else { '?' };
    Some((
        format!("{url}{sep}options=-c%20search_path%3D{schema}"),
        schema,
    ))
}

fn drop_schema(schema: &str) {
    if let Ok(url) = std::env::var("MESH_TEST_PG_URL")
        && let Ok(mut c) = postgres::Client::connect(&url, postgres::NoTls)
    {
        let _ = c.batch_execute(&format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE"));
    }
}
