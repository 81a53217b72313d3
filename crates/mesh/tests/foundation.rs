//! End-to-end tests of the foundation: `mesh init`, readiness through `mesh status`, `mesh check`
//! exit codes and formats, monorepos and bad input. Each test runs the real binary.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

fn mesh(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mesh"))
        .args(args)
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .expect("run mesh")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn code(o: &Output) -> i32 {
    o.status.code().expect("exit code")
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn fixture(name: &str) -> PathBuf {
    repo_root().join("tests/fixtures/projects").join(name)
}

fn status_json(dir: &Path) -> Value {
    let o = mesh(&["status", "--format", "json"], dir);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    serde_json::from_str(&stdout(&o)).unwrap()
}

fn score(v: &Value, kind: &str) -> (u64, bool) {
    let d = v["documents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["kind"] == kind)
        .unwrap();
    (d["score"].as_u64().unwrap(), d["ready"].as_bool().unwrap())
}

/// Copy a directory tree.
fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for e in fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let p = e.path();
        if p.is_dir() {
            copy_dir(&p, &to.join(e.file_name()));
        } else {
            fs::copy(&p, to.join(e.file_name())).unwrap();
        }
    }
}

#[test]
fn init_writes_six_documents_and_config_with_values_filled() {
    let tmp = tempfile::tempdir().unwrap();
    let o = mesh(
        &[
            "init",
            "shop",
            "--name",
            "Paper Shop",
            "--author",
            "Ann Lee",
        ],
        tmp.path(),
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let dir = tmp.path().join("shop");
    for f in [
        "PRD.md",
        "SPEC.md",
        "ACTIVE_SPEC.md",
        "DECISION_LOG.md",
        "TECH_STACK.md",
        "INBOX.md",
    ] {
        let text = fs::read_to_string(dir.join("docs").join(f)).unwrap();
        assert!(
            !text.contains("{{PROJECT_NAME}}")
                && !text.contains("{{DATE}}")
                && !text.contains("{{AUTHOR}}"),
            "{f}"
        );
    }
    let prd = fs::read_to_string(dir.join("docs/PRD.md")).unwrap();
    assert!(prd.contains("Paper Shop") && prd.contains("Ann Lee"));
    assert!(dir.join("mesh.toml").is_file());
}

#[test]
fn fresh_init_of_either_generation_is_bootstrap_with_all_three_below_threshold() {
    for generation in ["15", "16"] {
        let tmp = tempfile::tempdir().unwrap();
        let o = mesh(
            &["init", ".", "--generation", generation, "--author", "x"],
            tmp.path(),
        );
        assert_eq!(code(&o), 0, "{}", stderr(&o));
        let v = status_json(tmp.path());
        assert_eq!(v["mode"], "BOOTSTRAP", "generation {generation}");
        for kind in ["PRD", "SPEC", "DECISION_LOG"] {
            let (s, ready) = score(&v, kind);
            assert!(
                !ready,
                "{kind} ready in a fresh generation-{generation} scaffold (score {s})"
            );
        }
        let stages = v["stages"].as_array().unwrap();
        assert_eq!(stages[0]["name"], "Context");
        assert_eq!(stages[0]["state"], "YELLOW");
    }
}

#[test]
fn init_refuses_to_touch_existing_files_and_force_keeps_a_backup() {
    let tmp = tempfile::tempdir().unwrap();
    fs::create_dir_all(tmp.path().join("docs")).unwrap();
    fs::write(tmp.path().join("docs/SPEC.md"), "my own spec\n").unwrap();
    let o = mesh(&["init", ".", "--author", "x"], tmp.path());
    assert_eq!(code(&o), 0);
    assert!(
        stdout(&o).contains("kept     docs/SPEC.md"),
        "{}",
        stdout(&o)
    );
    assert_eq!(
        fs::read_to_string(tmp.path().join("docs/SPEC.md")).unwrap(),
        "my own spec\n"
    );
    assert!(tmp.path().join("docs/PRD.md").exists());

    let o = mesh(&["init", ".", "--author", "x", "--force"], tmp.path());
    assert_eq!(code(&o), 0);
    assert_eq!(
        fs::read_to_string(tmp.path().join("docs/SPEC.md.bak")).unwrap(),
        "my own spec\n"
    );
    assert!(
        fs::read_to_string(tmp.path().join("docs/SPEC.md"))
            .unwrap()
            .contains("Hydration Contract")
    );
}

#[test]
fn init_ignores_the_store_and_lock_without_rewriting_a_users_gitignore() {
    let tmp = tempfile::tempdir().unwrap();
    let o = mesh(&["init", ".", "--author", "x"], tmp.path());
    assert_eq!(code(&o), 0);
    let ignore = fs::read_to_string(tmp.path().join(".gitignore")).unwrap();
    assert!(ignore.lines().any(|l| l == "/.mesh/"), "{ignore}");
    assert!(
        ignore.lines().any(|l| l == ".DECISION_LOG.md.lock"),
        "{ignore}"
    );
    assert!(stdout(&o).contains("created  .gitignore"), "{}", stdout(&o));
    // Running again changes nothing.
    mesh(&["init", ".", "--author", "x"], tmp.path());
    assert_eq!(
        fs::read_to_string(tmp.path().join(".gitignore")).unwrap(),
        ignore
    );

    // A user's own .gitignore is kept unless --force; --force appends only what is missing.
    let other = tempfile::tempdir().unwrap();
    fs::write(other.path().join(".gitignore"), "target\n.mesh\n").unwrap();
    let o = mesh(&["init", ".", "--author", "x"], other.path());
    assert!(stdout(&o).contains("kept     .gitignore"), "{}", stdout(&o));
    assert!(
        stdout(&o).contains(".DECISION_LOG.md.lock"),
        "{}",
        stdout(&o)
    );
    assert_eq!(
        fs::read_to_string(other.path().join(".gitignore")).unwrap(),
        "target\n.mesh\n"
    );
    mesh(&["init", ".", "--author", "x", "--force"], other.path());
    let text = fs::read_to_string(other.path().join(".gitignore")).unwrap();
    assert!(text.starts_with("target\n.mesh\n"), "{text}");
    assert!(text.ends_with(".DECISION_LOG.md.lock\n"), "{text}");
    assert!(
        !text.contains("/.mesh/"),
        "`.mesh` was already ignored: {text}"
    );
    assert_eq!(
        fs::read_to_string(other.path().join(".gitignore.bak")).unwrap(),
        "target\n.mesh\n"
    );
}

#[test]
fn init_refuses_a_directory_where_a_document_goes_and_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    fs::create_dir_all(tmp.path().join("docs/SPEC.md")).unwrap();
    let o = mesh(&["init", ".", "--author", "x"], tmp.path());
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("is a directory"), "{}", stderr(&o));
    assert!(!tmp.path().join("docs/PRD.md").exists());
}

#[test]
fn stub_marker_removal_alone_changes_no_score() {
    let tmp = tempfile::tempdir().unwrap();
    mesh(&["init", ".", "--author", "x"], tmp.path());
    let before = status_json(tmp.path());
    for f in ["PRD.md", "SPEC.md", "DECISION_LOG.md"] {
        let p = tmp.path().join("docs").join(f);
        let text = fs::read_to_string(&p).unwrap();
        let stripped = text.replacen("<!-- ATOMIC_MESH_TEMPLATE_STUB -->\n", "", 1);
        assert_ne!(text, stripped);
        fs::write(&p, stripped).unwrap();
    }
    let after = status_json(tmp.path());
    for kind in ["PRD", "SPEC", "DECISION_LOG"] {
        assert_eq!(score(&before, kind), score(&after, kind), "{kind}");
    }
}

#[test]
fn generation_16_preamble_never_counts_as_content() {
    let tmp = tempfile::tempdir().unwrap();
    mesh(
        &["init", ".", "--generation", "16", "--author", "x"],
        tmp.path(),
    );
    let before = status_json(tmp.path());
    // Write plenty of "content" into the preamble: it must not move any score.
    let p = tmp.path().join("docs/SPEC.md");
    let text = fs::read_to_string(&p).unwrap();
    let extra: String = (0..200)
        .map(|i| format!("- Filled looking line {i}: PostgreSQL 16\n"))
        .collect();
    let patched = text.replacen(
        "### Context Pack\n",
        &format!("### Context Pack\n{extra}"),
        1,
    );
    assert_ne!(
        text, patched,
        "the generation-16 SPEC has a Context Pack heading"
    );
    fs::write(&p, patched).unwrap();
    let after = status_json(tmp.path());
    assert_eq!(score(&before, "SPEC"), score(&after, "SPEC"));
}

#[test]
fn a_filled_requirement_written_as_an_unchecked_item_counts_as_filled() {
    let tmp = tempfile::tempdir().unwrap();
    let docs = tmp.path().join("docs");
    fs::create_dir_all(&docs).unwrap();
    let spec = "# Spec\n## Hydration Contract\n- [ ] Store: a bookshop selling paper books online\n- [ ] Database: PostgreSQL 16\n## Data Model\n- [ ] Book: a title (isbn, title)\n## API\n- [ ] `GET /books` - list books\n## Security\n- [ ] Threat 1: scraping + rate limits\n";
    fs::write(docs.join("SPEC.md"), spec).unwrap();
    let v = status_json(tmp.path());
    assert_eq!(score(&v, "SPEC").0, 100);
}

#[test]
fn realistic_fixtures_reach_their_expected_mode() {
    for (name, mode) in [
        ("bookshop-gen15", "EXECUTION"),
        ("telemetry-gen16", "EXECUTION"),
        ("prose-payments", "EXECUTION"),
        ("cli-tool", "EXECUTION"),
        ("legacy-8col", "EXECUTION"),
        ("legacy-5col", "EXECUTION"),
        ("unfilled-gen15", "BOOTSTRAP"),
        ("unfilled-gen16", "BOOTSTRAP"),
        ("partially-filled", "BOOTSTRAP"),
    ] {
        let v = status_json(&fixture(name));
        assert_eq!(
            v["mode"],
            mode,
            "{name}: {}",
            serde_json::to_string_pretty(&v["documents"]).unwrap()
        );
    }
}

#[test]
fn status_json_has_the_documented_shape() {
    let v = status_json(&fixture("partially-filled"));
    assert_eq!(v["schema_version"], 1);
    let docs = v["documents"].as_array().unwrap();
    let kinds: Vec<&str> = docs.iter().map(|d| d["kind"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        [
            "PRD",
            "SPEC",
            "ACTIVE_SPEC",
            "DECISION_LOG",
            "TECH_STACK",
            "INBOX"
        ]
    );
    let spec = &docs[1];
    assert_eq!(spec["threshold"], 80);
    let first = &spec["unfilled"][0];
    assert!(first["line"].as_u64().unwrap() > 0);
    assert!(first["text"].is_string() && first["reason"].is_string());
    let stages: Vec<&str> = v["stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        stages,
        ["Context", "Plan", "Work", "Optimize", "Verify", "Ship"]
    );
    assert!(v["next"].as_str().unwrap().contains("SPEC.md"));
}

#[test]
fn status_on_an_empty_directory_is_pre_init() {
    let tmp = tempfile::tempdir().unwrap();
    let v = status_json(tmp.path());
    assert_eq!(v["mode"], "PRE_INIT");
    assert_eq!(v["stages"][0]["state"], "RED");
    assert!(v["next"].as_str().unwrap().contains("mesh init"));
}

#[test]
fn check_exit_codes_clean_findings_and_nothing_to_judge() {
    let clean = mesh(&["check"], &fixture("bookshop-gen15"));
    assert_eq!(code(&clean), 0, "{}", stdout(&clean));

    let tmp = tempfile::tempdir().unwrap();
    copy_dir(&fixture("bookshop-gen15"), tmp.path());
    let spec = tmp.path().join("docs/SPEC.md");
    let text = fs::read_to_string(&spec).unwrap();
    fs::write(&spec, format!("{text}\n## Extra\n- Threat 9: undefended\n")).unwrap();
    let log = tmp.path().join("docs/DECISION_LOG.md");
    let text = fs::read_to_string(&log).unwrap();
    fs::write(&log, text.replacen("| 002 |", "| 001 |", 1)).unwrap();
    let o = mesh(&["check", "--format", "json"], tmp.path());
    assert_eq!(code(&o), 1, "{}", stdout(&o));
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["schema_version"], 1);
    let codes: Vec<&str> = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap())
        .collect();
    assert!(codes.contains(&"DEC001"), "{codes:?}");
    for d in v["diagnostics"].as_array().unwrap() {
        for key in ["code", "severity", "file", "line", "column", "message"] {
            assert!(!d[key].is_null(), "{key} missing in {d}");
        }
    }
    assert!(v["summary"]["errors"].as_u64().unwrap() >= 1);

    let none = mesh(&["check", "does-not-exist"], tmp.path());
    assert_eq!(code(&none), 2);
    assert!(stderr(&none).contains("does not exist"));

    let empty = tempfile::tempdir().unwrap();
    let o = mesh(&["check"], empty.path());
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("mesh init"), "{}", stderr(&o));
}

#[test]
fn check_select_ignore_and_severity_overrides() {
    let dir = fixture("unfilled-gen15");
    let o = mesh(&["check", "--select", "DOC001", "--format", "json"], &dir);
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    let codes: Vec<&str> = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap())
        .collect();
    assert!(
        !codes.is_empty() && codes.iter().all(|c| *c == "DOC001"),
        "{codes:?}"
    );

    let o = mesh(&["check", "--ignore", "DOC", "--format", "json"], &dir);
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert!(
        v["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .all(|d| !d["code"].as_str().unwrap().starts_with("DOC"))
    );

    let o = mesh(&["check", "--select", "NOPE"], &dir);
    assert_eq!(code(&o), 2);

    let tmp = tempfile::tempdir().unwrap();
    copy_dir(&dir, tmp.path());
    fs::write(
        tmp.path().join("mesh.toml"),
        "[rules.severity]\nDOC001 = \"error\"\n",
    )
    .unwrap();
    let o = mesh(&["check", "--select", "DOC001"], tmp.path());
    assert_eq!(code(&o), 1, "{}", stdout(&o));
    fs::write(
        tmp.path().join("mesh.toml"),
        "[rules.severity]\nDOC001 = \"off\"\n",
    )
    .unwrap();
    let o = mesh(
        &["check", "--select", "DOC001", "--format", "json"],
        tmp.path(),
    );
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["diagnostics"].as_array().unwrap().len(), 0);
}

#[test]
fn check_renders_sarif_github_and_human() {
    let dir = fixture("partially-filled");
    let o = mesh(&["check", "--format", "sarif"], &dir);
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["version"], "2.1.0");
    let results = v["runs"][0]["results"].as_array().unwrap();
    assert!(!results.is_empty());
    for r in results {
        assert!(
            r["locations"][0]["physicalLocation"]["region"]["startLine"]
                .as_u64()
                .is_some()
        );
    }
    let o = mesh(&["check", "--format", "github"], &dir);
    assert!(
        stdout(&o)
            .lines()
            .any(|l| l.starts_with("::warning file=docs/SPEC.md,line=")),
        "{}",
        stdout(&o)
    );
    let o = mesh(&["check"], &dir);
    let out = stdout(&o);
    assert!(
        out.contains("warning[DOC002]") && out.contains(" --> docs/"),
        "{out}"
    );
}

#[test]
fn a_broken_config_is_reported_with_its_line_and_exit_2() {
    let tmp = tempfile::tempdir().unwrap();
    copy_dir(&fixture("bookshop-gen15"), tmp.path());
    fs::write(
        tmp.path().join("mesh.toml"),
        "[readiness]\nprd = 80\nspec = 120\n",
    )
    .unwrap();
    let before = fs::read_to_string(tmp.path().join("docs/SPEC.md")).unwrap();
    for cmd in ["check", "status"] {
        let o = mesh(&[cmd], tmp.path());
        assert_eq!(code(&o), 2, "{cmd}");
        let err = stderr(&o);
        assert!(err.contains("mesh.toml:3"), "{err}");
    }
    fs::write(tmp.path().join("mesh.toml"), "[docs\n").unwrap();
    let o = mesh(&["check"], tmp.path());
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("CFG002"), "{}", stderr(&o));
    assert_eq!(
        fs::read_to_string(tmp.path().join("docs/SPEC.md")).unwrap(),
        before
    );
}

#[test]
fn monorepo_roots_from_config_and_discovery_name_their_root() {
    let tmp = tempfile::tempdir().unwrap();
    copy_dir(
        &fixture("bookshop-gen15/docs"),
        &tmp.path().join("apps/shop/docs"),
    );
    copy_dir(
        &fixture("unfilled-gen15/docs"),
        &tmp.path().join("apps/new/docs"),
    );
    fs::write(
        tmp.path().join("mesh.toml"),
        "[docs]\nroots = [\"apps/shop/docs\", \"apps/new/docs\"]\n",
    )
    .unwrap();
    let o = mesh(
        &["check", "--format", "json", "--select", "DOC"],
        tmp.path(),
    );
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    let roots = v["summary"]["roots"].as_array().unwrap();
    assert_eq!(roots.len(), 2);
    let diags = v["diagnostics"].as_array().unwrap();
    assert!(!diags.is_empty());
    assert!(
        diags.iter().all(|d| d["root"] == "apps/new/docs"),
        "only the unfilled root has findings"
    );
    assert!(
        diags
            .iter()
            .all(|d| d["file"].as_str().unwrap().starts_with("apps/new/docs/"))
    );

    fs::remove_file(tmp.path().join("mesh.toml")).unwrap();
    let o = mesh(&["check", "--discover", "--format", "json"], tmp.path());
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(
        v["summary"]["roots"].as_array().unwrap().len(),
        2,
        "{}",
        stdout(&o)
    );
    assert_eq!(v["summary"]["files_checked"], 12);
}

#[test]
fn bad_documents_get_clear_diagnostics_never_a_panic() {
    let tmp = tempfile::tempdir().unwrap();
    copy_dir(&fixture("bookshop-gen15"), tmp.path());
    let docs = tmp.path().join("docs");
    // Invalid UTF-8 on line 3.
    fs::write(docs.join("PRD.md"), b"# PRD\n\nabc \xff\xfe def\n").unwrap();
    // A binary file.
    fs::write(docs.join("TECH_STACK.md"), b"\x00\x01\x02binary").unwrap();
    // A directory where a document goes.
    fs::remove_file(docs.join("INBOX.md")).unwrap();
    fs::create_dir(docs.join("INBOX.md")).unwrap();
    // A 50 MB file.
    let big = vec![b'a'; 50 * 1024 * 1024];
    fs::write(docs.join("ACTIVE_SPEC.md"), &big).unwrap();
    let o = mesh(
        &["check", "--format", "json", "--select", "DOC010"],
        tmp.path(),
    );
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    let diags = v["diagnostics"].as_array().unwrap();
    let find = |file: &str| {
        diags
            .iter()
            .find(|d| d["file"] == file)
            .unwrap_or_else(|| panic!("{file}: {diags:?}"))
    };
    let prd = find("docs/PRD.md");
    assert_eq!(prd["line"], 3);
    assert!(prd["message"].as_str().unwrap().contains("UTF-8"));
    assert!(
        find("docs/TECH_STACK.md")["message"]
            .as_str()
            .unwrap()
            .contains("binary")
    );
    assert!(
        find("docs/INBOX.md")["message"]
            .as_str()
            .unwrap()
            .contains("directory")
    );
    assert!(
        find("docs/ACTIVE_SPEC.md")["message"]
            .as_str()
            .unwrap()
            .contains("MiB")
    );
    let s = mesh(&["status", "--format", "json"], tmp.path());
    assert_eq!(code(&s), 0);
}

#[test]
fn a_closed_pipe_exits_quietly() {
    let dir = fixture("unfilled-gen16");
    let mut child = Command::new(env!("CARGO_BIN_EXE_mesh"))
        .args(["check"])
        .current_dir(&dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("panicked"), "{err}");
    assert!(
        out.status.code().is_some_and(|c| c <= 1),
        "{:?} {err}",
        out.status
    );
}

#[test]
fn rules_lists_and_explains() {
    let tmp = tempfile::tempdir().unwrap();
    let o = mesh(&["rules"], tmp.path());
    assert!(stdout(&o).contains("DOC002  unfilled-placeholder"));
    let o = mesh(&["rules", "SEC001"], tmp.path());
    let out = stdout(&o);
    assert!(
        out.contains("threat-without-mitigation") && out.contains("Fix:"),
        "{out}"
    );
    let o = mesh(&["rules", "XYZ999"], tmp.path());
    assert_eq!(code(&o), 2);
}

#[test]
fn our_own_docs_pass_our_own_gate() {
    let o = mesh(&["check"], &repo_root());
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    let v = status_json(&repo_root());
    assert_eq!(v["mode"], "EXECUTION");
}

/// Decision 026: on Linux/glibc the `mesh` executable is linked at a fixed address (ELF type
/// `EXEC`), unless it was built with `MESH_PIE=1` (type `DYN`, position-independent).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[test]
fn the_binary_is_linked_at_a_fixed_address_unless_mesh_pie_is_set() {
    use std::io::Read;
    let mut bytes = [0u8; 18];
    std::fs::File::open(env!("CARGO_BIN_EXE_mesh"))
        .and_then(|mut f| f.read_exact(&mut bytes))
        .unwrap();
    assert_eq!(&bytes[..4], b"\x7fELF");
    // e_type: a little-endian u16 at offset 16 (2 = EXEC, 3 = DYN).
    let e_type = u16::from_le_bytes([bytes[16], bytes[17]]);
    let want = if option_env!("MESH_PIE") == Some("1") {
        3
    } else {
        2
    };
    assert_eq!(e_type, want, "ELF type of the mesh binary");
}
