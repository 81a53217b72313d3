//! `mesh ship` and the Optimize / Verify / Ship stages of `mesh status`, end to end: the real
//! binary on git repositories built at test time and a real SQLite task store.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use mesh_store::{
    EvidenceKind, NewEvidence, NewTask, Risk, Store, StoreLocation, Verdict, display_id,
};
use serde_json::{Value, json};
use tempfile::TempDir;

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/projects/bookshop-gen15")
}

fn with_git_env(c: &mut Command) -> &mut Command {
    c.env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_AUTHOR_NAME", "Ann")
        .env("GIT_AUTHOR_EMAIL", "ann@example.invalid")
        .env("GIT_COMMITTER_NAME", "Ann")
        .env("GIT_COMMITTER_EMAIL", "ann@example.invalid")
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .env_remove("GIT_INDEX_FILE")
        .stdin(Stdio::null())
}

fn git(dir: &Path, args: &[&str]) -> String {
    let out = with_git_env(&mut Command::new("git"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn mesh(dir: &Path, args: &[&str]) -> Output {
    with_git_env(&mut Command::new(env!("CARGO_BIN_EXE_mesh")))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("MESH_STORE")
        .env_remove("MESH_ACTOR")
        .output()
        .unwrap()
}

fn code(o: &Output) -> i32 {
    o.status.code().unwrap()
}

fn out(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for e in fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            fs::copy(e.path(), &target).unwrap();
        }
    }
}

fn commit_all(dir: &Path, msg: &str) {
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "--allow-empty", "-m", msg]);
}

/// A project that can ship: the bookshop documents (EXECUTION), ACTIVE_SPEC hydrated, `.mesh/`
/// ignored, everything committed.
fn ready_project() -> (TempDir, PathBuf) {
    let tmp = TempDir::new().unwrap();
    let dir = tmp.path().join("shop");
    copy_dir(&fixture(), &dir);
    git(&dir, &["init", "-q", "-b", "main"]);
    let h = mesh(&dir, &["hydrate"]);
    assert_eq!(code(&h), 0, "{}", err(&h));
    fs::write(dir.join(".gitignore"), "/.mesh/\n.DECISION_LOG.md.lock\n").unwrap();
    commit_all(&dir, "init");
    (tmp, dir)
}

fn store(dir: &Path) -> Store {
    Store::open(&StoreLocation::Sqlite(dir.join(".mesh/mesh.db"))).unwrap()
}

fn add(store: &Store, title: &str, key: &str, risk: Risk) -> i64 {
    store
        .add_task(
            &NewTask {
                title: title.into(),
                lane: "backend".into(),
                risk: Some(risk),
                trace: "US1".into(),
                dod: "tests pass".into(),
                key: Some(key.into()),
                ..NewTask::default()
            },
            "ann",
        )
        .unwrap()
        .id
}

fn evidence(store: &Store, id: i64, kind: EvidenceKind) {
    store
        .record_evidence(
            id,
            "bob",
            &NewEvidence {
                kind,
                passed: true,
                tree: None,
                summary: format!("{kind} recorded by the test"),
                data: json!({}),
            },
        )
        .unwrap();
}

/// Take a task through claim, submit and approval.
fn complete(store: &Store, id: i64) {
    store
        .claim_task(id, "bob", Duration::from_secs(600))
        .unwrap();
    store.submit(id, "bob", Some("done")).unwrap();
    store
        .review(id, Verdict::Approve, "carol", "looks right")
        .unwrap();
}

fn ship_json(dir: &Path, args: &[&str]) -> (i32, Value) {
    let mut all = vec!["ship", "--format", "json"];
    all.extend_from_slice(args);
    let o = mesh(dir, &all);
    assert!(
        code(&o) == 0 || code(&o) == 1,
        "exit {}: {}",
        code(&o),
        err(&o)
    );
    (code(&o), serde_json::from_slice(&o.stdout).unwrap())
}

fn condition<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["conditions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no condition {name} in {report}"))
}

/// Exactly `name` fails, its detail contains `needle`, the exit is 1 and nothing was created.
fn fails_alone(dir: &Path, name: &str, needle: &str) {
    let (rc, r) = ship_json(dir, &[]);
    assert_eq!(rc, 1, "{r:#}");
    assert_eq!(r["ready"], false);
    let failed: Vec<&str> = r["conditions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["ok"] == false)
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(failed, [name], "{r:#}");
    let detail = condition(&r, name)["detail"].as_str().unwrap();
    assert!(detail.contains(needle), "{name}: {detail}");
    assert_eq!(git(dir, &["tag", "-l"]), "", "no tag on a failed ship");
    assert_eq!(r["shipped"], false);
    // The human form marks the same condition.
    let h = mesh(dir, &["ship"]);
    assert_eq!(code(&h), 1);
    let line = out(&h)
        .lines()
        .find(|l| l.contains(name))
        .unwrap()
        .to_string();
    assert!(line.starts_with('✗'), "{line}");
    assert!(out(&h).contains("nothing was created"), "{}", out(&h));
}

fn ledger_lines(dir: &Path) -> Vec<Value> {
    match fs::read_to_string(dir.join(".mesh/ledger.jsonl")) {
        Ok(t) => t
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect(),
        Err(_) => Vec::new(),
    }
}

fn today() -> String {
    // `git log` gives the commit date; the tag date is the UTC date of the run.
    let o = Command::new("date")
        .args(["-u", "+%Y%m%d"])
        .output()
        .unwrap();
    String::from_utf8_lossy(&o.stdout).trim().to_string()
}

#[test]
fn a_green_ship_records_a_ledger_entry_and_an_annotated_tag() {
    let (_t, dir) = ready_project();
    let s = store(&dir);
    let done = add(&s, "Search the catalogue", "backend:search", Risk::Low);
    complete(&s, done);
    let dropped = add(&s, "Gift wrapping", "backend:gift", Risk::Low);
    s.cancel(dropped, "ann", "not this time").unwrap();
    let later = add(&s, "Loyalty points", "backend:loyalty", Risk::Low);
    // An active decision naming the key defers the pending task.
    let d = mesh(
        &dir,
        &[
            "decide",
            "add",
            "--type",
            "SCOPE",
            "--decision",
            "Defer backend:loyalty to the next batch",
            "--rationale",
            "launch first",
        ],
    );
    assert_eq!(code(&d), 0, "{}", err(&d));
    assert_eq!(code(&mesh(&dir, &["hydrate"])), 0);
    commit_all(&dir, "defer loyalty");

    let (rc, r) = ship_json(&dir, &[]);
    assert_eq!(rc, 0, "{r:#}");
    assert_eq!(r["schema_version"], 1);
    assert_eq!(r["ready"], true);
    assert_eq!(r["shipped"], true);
    for c in r["conditions"].as_array().unwrap() {
        assert_eq!(c["ok"], true, "{c}");
    }
    let tag = format!("ship-{}-1", today());
    assert_eq!(r["tag"], tag.as_str());
    let ids = |list: &str| -> Vec<String> {
        r["batch"][list]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["id"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(ids("completed"), [display_id(done)]);
    assert_eq!(ids("deferred"), [display_id(dropped), display_id(later)]);
    assert_eq!(r["batch"]["deferred"][0]["deferred_by"], "cancelled");
    assert!(
        r["batch"]["deferred"][1]["deferred_by"]
            .as_str()
            .unwrap()
            .starts_with("decision ")
    );

    // An annotated tag at HEAD whose message lists the shipped task.
    assert_eq!(git(&dir, &["cat-file", "-t", &tag]), "tag");
    assert_eq!(
        git(&dir, &["rev-parse", &format!("{tag}^{{commit}}")]),
        git(&dir, &["rev-parse", "HEAD"])
    );
    let message = git(&dir, &["tag", "-l", "--format=%(contents)", &tag]);
    assert!(message.contains("T-1 Search the catalogue"), "{message}");
    assert!(message.contains("Deferred"), "{message}");
    assert_eq!(
        git(&dir, &["tag", "-l", "--format=%(taggername)", &tag]),
        "Ann"
    );

    // One ship entry in a chain that verifies; the tree stays clean.
    let entries = ledger_lines(&dir);
    assert_eq!(entries.len(), 1);
    let e = &entries[0];
    assert_eq!(e["kind"], "ship");
    assert_eq!(e["data"]["tag"], tag.as_str());
    assert_eq!(
        e["data"]["commit"],
        git(&dir, &["rev-parse", "HEAD"]).as_str()
    );
    assert_eq!(e["data"]["tasks"], json!([display_id(done)]));
    assert_eq!(e["data"]["conditions"].as_array().unwrap().len(), 7);
    assert_eq!(code(&mesh(&dir, &["ledger", "verify"])), 0);
    assert_eq!(git(&dir, &["status", "--porcelain"]), "");

    // Human output: every condition ticked, the tag named.
    let again = mesh(&dir, &["ship", "--dry-run"]);
    assert_eq!(code(&again), 0, "{}", err(&again));
    let text = out(&again);
    assert_eq!(
        text.lines().filter(|l| l.starts_with('✓')).count(),
        7,
        "{text}"
    );
    assert!(text.contains(&format!("ship-{}-2", today())), "{text}");
}

#[test]
fn a_dry_run_creates_nothing() {
    let (_t, dir) = ready_project();
    let s = store(&dir);
    let id = add(&s, "Search the catalogue", "backend:search", Risk::Low);
    complete(&s, id);
    let (rc, r) = ship_json(&dir, &["--dry-run"]);
    assert_eq!(rc, 0, "{r:#}");
    assert_eq!(
        (r["ready"].clone(), r["shipped"].clone()),
        (json!(true), json!(false))
    );
    assert_eq!(r["dry_run"], true);
    assert_eq!(r["tag"], format!("ship-{}-1", today()).as_str());
    assert_eq!(git(&dir, &["tag", "-l"]), "");
    assert!(!dir.join(".mesh/ledger.jsonl").exists());
    let h = mesh(&dir, &["ship", "--dry-run"]);
    assert!(
        out(&h).contains("nothing was created (--dry-run)"),
        "{}",
        out(&h)
    );
}

#[test]
fn a_second_ship_takes_only_the_tasks_created_since_the_first() {
    let (_t, dir) = ready_project();
    let s = store(&dir);
    let first = add(&s, "Search the catalogue", "backend:search", Risk::Low);
    complete(&s, first);
    let (rc, r) = ship_json(&dir, &["--tag", "v1"]);
    assert_eq!(rc, 0, "{r:#}");
    assert_eq!(r["tag"], "v1");

    // Nothing new: an empty batch is ready, and says so.
    let (rc, r) = ship_json(&dir, &["--dry-run"]);
    assert_eq!(rc, 0, "{r:#}");
    assert!(
        condition(&r, "batch")["detail"]
            .as_str()
            .unwrap()
            .contains("no task in the batch (created since the last ship)")
    );

    let second = add(&s, "Browse by genre", "backend:browse", Risk::Low);
    let third = add(&s, "Pick queue", "backend:pick", Risk::Low);
    complete(&s, second);
    // The old task is not in the batch; the unfinished new one is.
    let (rc, r) = ship_json(&dir, &[]);
    assert_eq!(rc, 1);
    let batch = condition(&r, "batch");
    let detail = batch["detail"].as_str().unwrap();
    assert!(
        detail.contains(&format!("{} (pending)", display_id(third))),
        "{detail}"
    );
    assert!(
        detail.contains("1 of 2 task(s) in the batch (created since the last ship)"),
        "{detail}"
    );
    assert!(!detail.contains(&display_id(first)), "{detail}");

    s.cancel(third, "ann", "later").unwrap();
    let (rc, r) = ship_json(&dir, &["--tag", "v2"]);
    assert_eq!(rc, 0, "{r:#}");
    let entries = ledger_lines(&dir);
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0]["data"]["tasks"], json!([display_id(first)]));
    assert_eq!(entries[1]["data"]["tasks"], json!([display_id(second)]));
    assert_eq!(
        entries[1]["data"]["deferred"],
        json!([{"id": display_id(third), "by": "cancelled"}])
    );
    assert_eq!(entries[1]["prev"], entries[0]["hash"]);
    let message = git(&dir, &["tag", "-l", "--format=%(contents)", "v2"]);
    assert!(
        message.contains("Browse by genre") && !message.contains("Search"),
        "{message}"
    );
}

#[test]
fn documents_below_their_threshold_fail_alone() {
    let (_t, dir) = ready_project();
    let prd = dir.join("docs/PRD.md");
    let text = fs::read_to_string(&prd).unwrap();
    let steps: String = (0..60)
        .map(|i| format!("- [ ] {{{{STEP_{i}}}}}\n"))
        .collect();
    fs::write(
        &prd,
        text.replace(
            "## Rollout & Launch\n",
            &format!("## Rollout & Launch\n{steps}"),
        ),
    )
    .unwrap();
    assert_eq!(code(&mesh(&dir, &["hydrate"])), 0);
    commit_all(&dir, "unfill the PRD");
    fails_alone(&dir, "documents", "BOOTSTRAP (below threshold: PRD)");
}

#[test]
fn a_stale_active_spec_fails_alone() {
    let (_t, dir) = ready_project();
    let prd = dir.join("docs/PRD.md");
    let text = fs::read_to_string(&prd).unwrap();
    let (before, after) = text.split_once("## Out of Scope (MVP)\n").unwrap();
    fs::write(
        &prd,
        format!("{before}## Out of Scope (MVP)\n- Gift cards\n{after}"),
    )
    .unwrap();
    commit_all(&dir, "PRD: gift cards out of scope");
    fails_alone(&dir, "active_spec", "ACTIVE_SPEC.md is stale");
}

#[test]
fn an_error_from_mesh_check_fails_alone() {
    let (_t, dir) = ready_project();
    let inbox = dir.join("docs/INBOX.md");
    let text = fs::read_to_string(&inbox).unwrap();
    fs::write(
        &inbox,
        format!("{text}\n- TODO: ask the printer about bookmarks\n"),
    )
    .unwrap();
    fs::write(
        dir.join("mesh.toml"),
        "[rules.severity]\nDOC007 = \"error\"\n",
    )
    .unwrap();
    commit_all(&dir, "a todo, and todos are errors");
    fails_alone(&dir, "check", "DOC007 docs/INBOX.md:");
}

#[test]
fn an_unverified_high_risk_task_fails_alone() {
    let (_t, dir) = ready_project();
    let s = store(&dir);
    let id = add(&s, "Take card payments", "backend:pay", Risk::High);
    complete(&s, id);
    fails_alone(
        &dir,
        "high_risk",
        &format!("mesh task verify {}", display_id(id)),
    );
    evidence(&s, id, EvidenceKind::Verify);
    let (rc, r) = ship_json(&dir, &["--dry-run"]);
    assert_eq!(rc, 0, "{r:#}");
}

#[test]
fn an_unfinished_task_of_the_batch_fails_alone() {
    let (_t, dir) = ready_project();
    let s = store(&dir);
    let done = add(&s, "Search the catalogue", "backend:search", Risk::Low);
    complete(&s, done);
    let open = add(&s, "Browse by genre", "backend:browse", Risk::Low);
    s.claim_task(open, "bob", Duration::from_secs(600)).unwrap();
    fails_alone(
        &dir,
        "batch",
        &format!("{} (in_progress)", display_id(open)),
    );
    // A decision naming the task by id (not T-1 inside T-12) defers it.
    let d = mesh(
        &dir,
        &[
            "decide",
            "add",
            "--type",
            "SCOPE",
            "--decision",
            &format!("Ship without {}", display_id(open)),
            "--rationale",
            "not ready",
        ],
    );
    assert_eq!(code(&d), 0, "{}", err(&d));
    assert_eq!(code(&mesh(&dir, &["hydrate"])), 0);
    commit_all(&dir, "defer checkout");
    let (rc, r) = ship_json(&dir, &["--dry-run"]);
    assert_eq!(rc, 0, "{r:#}");
    assert_eq!(r["batch"]["deferred"][0]["id"], display_id(open).as_str());
}

#[test]
fn a_damaged_ledger_fails_alone() {
    let (_t, dir) = ready_project();
    let path = dir.join(".mesh/ledger.jsonl");
    mesh_service::ledger::append(
        &path,
        "review",
        "carol",
        json!({"task": "T-9", "verdict": "approve"}),
    )
    .unwrap();
    let text = fs::read_to_string(&path).unwrap();
    fs::write(&path, text.replace("approve", "reject")).unwrap();
    fails_alone(&dir, "ledger", "damaged at line 1");
}

#[test]
fn an_uncommitted_file_fails_alone() {
    let (_t, dir) = ready_project();
    fs::write(dir.join("notes.txt"), "draft\n").unwrap();
    fails_alone(&dir, "tree", "1 uncommitted path(s): notes.txt");
    fs::remove_file(dir.join("notes.txt")).unwrap();

    // A tracked change counts too.
    let inbox = dir.join("docs/INBOX.md");
    let text = fs::read_to_string(&inbox).unwrap();
    fs::write(&inbox, format!("{text}\n- a note\n")).unwrap();
    fails_alone(&dir, "tree", "docs/INBOX.md");
    git(&dir, &["checkout", "--", "docs/INBOX.md"]);

    // A SQLite store ignores itself (.mesh/.gitignore), so it never dirties the tree.
    fs::remove_file(dir.join(".gitignore")).unwrap();
    commit_all(&dir, "no ignore file");
    store(&dir);
    let (rc, r) = ship_json(&dir, &["--dry-run"]);
    assert_eq!(rc, 0, "{r:#}");

    // A ledger alone (a PostgreSQL store) in a .mesh/ that git does not ignore dirties it; the
    // detail says what to do.
    let tmp = TempDir::new().unwrap();
    let bare = tmp.path().join("shop");
    copy_dir(&dir.join("docs"), &bare.join("docs"));
    git(&bare, &["init", "-q", "-b", "main"]);
    commit_all(&bare, "init");
    mesh_service::ledger::append(
        &bare.join(".mesh/ledger.jsonl"),
        "review",
        "carol",
        json!({}),
    )
    .unwrap();
    fails_alone(&bare, "tree", "add `/.mesh/` to .gitignore");
}

#[test]
fn outside_git_the_tree_condition_fails() {
    let tmp = TempDir::new().unwrap();
    let dir = tmp.path().join("shop");
    copy_dir(&fixture(), &dir);
    assert_eq!(code(&mesh(&dir, &["hydrate"])), 0);
    let (rc, r) = ship_json(&dir, &[]);
    assert_eq!(rc, 1);
    assert!(
        condition(&r, "tree")["detail"]
            .as_str()
            .unwrap()
            .contains("not a git repository")
    );
    assert!(!dir.join(".mesh/ledger.jsonl").exists());
}

#[test]
fn push_needs_origin_and_pushes_the_tag_when_there_is_one() {
    let (t, dir) = ready_project();
    let o = mesh(&dir, &["ship", "--push"]);
    assert_eq!(code(&o), 2, "{}", out(&o));
    assert!(err(&o).contains("remote named `origin`"), "{}", err(&o));
    assert_eq!(git(&dir, &["tag", "-l"]), "");
    assert!(ledger_lines(&dir).is_empty());

    let remote = t.path().join("remote.git");
    git(
        t.path(),
        &["init", "-q", "--bare", remote.to_str().unwrap()],
    );
    git(&dir, &["remote", "add", "origin", remote.to_str().unwrap()]);
    let (rc, r) = ship_json(&dir, &["--push", "--tag", "v1.0.0"]);
    assert_eq!(rc, 0, "{r:#}");
    assert_eq!(r["pushed"], true);
    assert_eq!(git(&remote, &["cat-file", "-t", "v1.0.0"]), "tag");
}

#[test]
fn a_taken_or_invalid_tag_name_is_refused_before_anything_is_written() {
    let (_t, dir) = ready_project();
    git(&dir, &["tag", "v1"]);
    let o = mesh(&dir, &["ship", "--tag", "v1"]);
    assert_eq!(code(&o), 2);
    assert!(err(&o).contains("already exists"), "{}", err(&o));
    let o = mesh(&dir, &["ship", "--tag", "bad..name"]);
    assert_eq!(code(&o), 2);
    assert!(err(&o).contains("not a valid tag name"), "{}", err(&o));
    assert!(ledger_lines(&dir).is_empty());
    assert_eq!(git(&dir, &["tag", "-l"]), "v1");
}

fn stages(dir: &Path) -> (Vec<(String, String)>, String) {
    let o = mesh(dir, &["status", "--format", "json"]);
    assert_eq!(code(&o), 0, "{}", err(&o));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let st = v["stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["name"].as_str().unwrap().to_string(),
                s["state"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    (st, v["next"].as_str().unwrap().to_string())
}

fn state(dir: &Path, name: &str) -> String {
    stages(dir)
        .0
        .into_iter()
        .find(|(n, _)| n == name)
        .unwrap()
        .1
}

#[test]
fn status_shows_optimize_verify_and_ship() {
    let (_t, dir) = ready_project();
    // No store: the three stages are GRAY.
    let (st, _) = stages(&dir);
    assert_eq!(
        st.iter().map(|(_, s)| s.as_str()).collect::<Vec<_>>(),
        ["GREEN", "GRAY", "GRAY", "GRAY", "GRAY", "GRAY"]
    );

    let s = store(&dir);
    let a = add(&s, "Search the catalogue", "backend:search", Risk::Low);
    complete(&s, a);
    // Approved without simplification: Optimize RED, and the next step says what to run.
    let (st, next) = stages(&dir);
    assert_eq!(st[3], ("Optimize".into(), "RED".into()));
    assert_eq!(st[4], ("Verify".into(), "GREEN".into()));
    assert_eq!(st[5], ("Ship".into(), "GREEN".into()));
    assert!(
        next.contains(&format!("mesh task simplify {}", display_id(a))),
        "{next}"
    );
    evidence(&s, a, EvidenceKind::Simplify);
    assert_eq!(state(&dir, "Optimize"), "GREEN");

    // The most recently approved task decides: a newer one with only a waiver is GREEN too.
    let b = add(&s, "Browse by genre", "backend:browse", Risk::Low);
    complete(&s, b);
    assert_eq!(state(&dir, "Optimize"), "RED");
    evidence(&s, b, EvidenceKind::Waiver);
    assert_eq!(state(&dir, "Optimize"), "GREEN");

    // An unverified HIGH-risk task in review: Verify RED, Ship RED.
    let c = add(&s, "Take card payments", "backend:pay", Risk::High);
    s.claim_task(c, "bob", Duration::from_secs(600)).unwrap();
    s.submit(c, "bob", None).unwrap();
    let (st, next) = stages(&dir);
    assert_eq!(st[4], ("Verify".into(), "RED".into()));
    assert_eq!(st[5], ("Ship".into(), "RED".into()));
    assert!(
        next.contains(&format!("mesh task verify {}", display_id(c))),
        "{next}"
    );
    evidence(&s, c, EvidenceKind::Verify);
    assert_eq!(state(&dir, "Verify"), "GREEN");
    assert_eq!(state(&dir, "Ship"), "GREEN");

    // A dirty tree: Ship YELLOW.
    fs::write(dir.join("notes.txt"), "draft\n").unwrap();
    assert_eq!(state(&dir, "Ship"), "YELLOW");
    let h = mesh(&dir, &["status"]);
    assert!(
        out(&h).contains("Ship      YELLOW working tree has uncommitted changes"),
        "{}",
        out(&h)
    );
}

#[test]
fn without_a_git_identity_for_the_tagger_nothing_is_created() {
    let (t, dir) = ready_project();
    let o = with_git_env(&mut Command::new(env!("CARGO_BIN_EXE_mesh")))
        .args(["ship"])
        .current_dir(&dir)
        .env("HOME", t.path())
        .env_remove("GIT_COMMITTER_NAME")
        .env_remove("GIT_COMMITTER_EMAIL")
        .env_remove("GIT_AUTHOR_NAME")
        .env_remove("GIT_AUTHOR_EMAIL")
        .env_remove("EMAIL")
        .env_remove("MESH_STORE")
        .output()
        .unwrap();
    assert_eq!(code(&o), 2, "{}", out(&o));
    assert!(err(&o).contains("git config user.name"), "{}", err(&o));
    assert_eq!(git(&dir, &["tag", "-l"]), "");
    assert!(ledger_lines(&dir).is_empty());
}
