//! `mesh hydrate` end to end: the real binary on copies of the fixture document sets.
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

fn fixture(group: &str, name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures")
        .join(group)
        .join(name)
}

/// A temporary project holding a copy of a fixture's docs/.
fn project(group: &str, name: &str) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let docs = tmp.path().join("docs");
    fs::create_dir_all(&docs).unwrap();
    for e in fs::read_dir(fixture(group, name).join("docs")).unwrap() {
        let e = e.unwrap();
        fs::copy(e.path(), docs.join(e.file_name())).unwrap();
    }
    tmp
}

fn active(dir: &Path) -> String {
    fs::read_to_string(dir.join("docs/ACTIVE_SPEC.md")).unwrap()
}

#[test]
fn check_and_stdout_write_nothing() {
    let p = project("projects", "bookshop-gen15");
    let before = active(p.path());

    let o = mesh(&["hydrate", "--check"], p.path());
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let diff = stdout(&o);
    assert!(
        diff.starts_with("--- a/docs/ACTIVE_SPEC.md\n+++ b/docs/ACTIVE_SPEC.md\n@@ "),
        "{diff}"
    );
    assert!(diff.contains("+<!-- mesh:hydrate:begin goals sha256="));
    assert!(stderr(&o).contains("docs/ACTIVE_SPEC.md is stale: run `mesh hydrate`"));
    assert_eq!(active(p.path()), before);

    let o = mesh(&["hydrate", "--stdout"], p.path());
    assert_eq!(code(&o), 0);
    let printed = stdout(&o);
    assert_eq!(active(p.path()), before);

    let o = mesh(&["hydrate", "--format", "json"], p.path());
    assert_eq!(code(&o), 0);
    assert_eq!(active(p.path()), before);

    // What --stdout printed is what a real run writes.
    let o = mesh(&["hydrate"], p.path());
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(stdout(&o), "docs/ACTIVE_SPEC.md: hydrated\n");
    assert_eq!(active(p.path()), printed);
}

#[test]
fn a_second_run_changes_nothing_and_check_passes() {
    let p = project("projects", "telemetry-gen16");
    assert_eq!(code(&mesh(&["hydrate"], p.path())), 0);
    let first = fs::read(p.path().join("docs/ACTIVE_SPEC.md")).unwrap();
    let o = mesh(&["hydrate"], p.path());
    assert_eq!(stdout(&o), "docs/ACTIVE_SPEC.md: up to date\n");
    assert_eq!(
        fs::read(p.path().join("docs/ACTIVE_SPEC.md")).unwrap(),
        first
    );
    let o = mesh(&["hydrate", "--check"], p.path());
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    assert_eq!(stdout(&o), "docs/ACTIVE_SPEC.md up to date\n");
    // The document folder itself works as DIR too.
    assert_eq!(code(&mesh(&["hydrate", "--check", "docs"], p.path())), 0);
}

#[test]
fn json_snapshot_is_data_with_a_stable_key_order() {
    let p = project("projects", "bookshop-gen15");
    let o = mesh(&["hydrate", "--format", "json"], p.path());
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let text = stdout(&o);
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["schema_version"], 1);
    assert_eq!(v["constraints"]["database"], "PostgreSQL 16");
    assert_eq!(v["stories"][0]["id"], "US1");
    assert_eq!(v["stories"][0]["priority"], "must");
    assert_eq!(v["provenance"][1]["path"], "SPEC.md");
    let keys = [
        "\"schema_version\"",
        "\"constraints\"",
        "\"objective\"",
        "\"goals\"",
        "\"stories\"",
        "\"non_functional\"",
        "\"endpoints\"",
        "\"entities\"",
        "\"relationships\"",
        "\"out_of_scope\"",
        "\"open_questions\"",
        "\"decisions\"",
        "\"provenance\"",
    ];
    let pos: Vec<usize> = keys
        .iter()
        .map(|k| {
            text.find(&format!("\n  {k}"))
                .unwrap_or_else(|| panic!("{k}"))
        })
        .collect();
    assert!(
        pos.windows(2).all(|w| w[0] < w[1]),
        "keys out of order: {pos:?}"
    );
    // The same documents give the same bytes.
    assert_eq!(
        stdout(&mesh(&["hydrate", "--format", "json"], p.path())),
        text
    );
}

#[test]
fn a_missing_active_spec_is_created_and_check_then_passes() {
    let p = project("projects", "legacy-8col");
    let o = mesh(&["hydrate", "--check"], p.path());
    assert_eq!(code(&o), 1);
    assert!(stdout(&o).starts_with("--- /dev/null\n+++ b/docs/ACTIVE_SPEC.md\n"));
    assert!(stderr(&o).contains("docs/ACTIVE_SPEC.md is missing"));
    assert!(!p.path().join("docs/ACTIVE_SPEC.md").exists());
    let o = mesh(&["hydrate"], p.path());
    assert_eq!(stdout(&o), "docs/ACTIVE_SPEC.md: created\n");
    assert!(active(p.path()).contains("<!-- mesh:hydrate:begin technical-constraints sha256="));
    assert_eq!(code(&mesh(&["hydrate", "--check"], p.path())), 0);
}

#[test]
fn crlf_and_bom_survive_a_real_write() {
    let p = project("projects", "cli-tool");
    let path = p.path().join("docs/ACTIVE_SPEC.md");
    let crlf = format!("\u{feff}{}", active(p.path()).replace('\n', "\r\n"));
    fs::write(&path, &crlf).unwrap();
    assert_eq!(code(&mesh(&["hydrate"], p.path())), 0);
    let out = fs::read_to_string(&path).unwrap();
    assert!(out.starts_with('\u{feff}'));
    assert_eq!(out.matches('\n').count(), out.matches("\r\n").count());
    assert_eq!(code(&mesh(&["hydrate", "--check"], p.path())), 0);
}

#[test]
fn errors_exit_2_and_say_what_to_do() {
    let p = project("projects", "bookshop-gen15");
    assert_eq!(code(&mesh(&["hydrate"], p.path())), 0);
    let path = p.path().join("docs/ACTIVE_SPEC.md");
    let broken = active(p.path()).replace("<!-- mesh:hydrate:end interfaces -->\n", "");
    fs::write(&path, &broken).unwrap();
    let o = mesh(&["hydrate"], p.path());
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("the hydrate markers are broken")
            && stderr(&o).contains("has no end marker"),
        "{}",
        stderr(&o)
    );
    assert_eq!(active(p.path()), broken, "nothing written");
    assert_eq!(code(&mesh(&["hydrate", "--check"], p.path())), 2);

    let empty = tempfile::tempdir().unwrap();
    let o = mesh(&["hydrate"], empty.path());
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("mesh init"), "{}", stderr(&o));

    let o = mesh(&["hydrate", "--check", "--stdout"], p.path());
    assert_eq!(code(&o), 2, "conflicting flags are a usage error");
}

#[test]
fn check_reports_stale_parts_edits_and_contradictions() {
    let p = project("projects", "bookshop-gen15");
    let json = |p: &Path| -> Vec<(String, String)> {
        let o = mesh(&["check", "--select", "HYD", "--format", "json"], p);
        let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
        v["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| {
                (
                    d["code"].as_str().unwrap().to_string(),
                    d["message"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    let found = json(p.path());
    assert_eq!(found.len(), 1);
    assert!(found[0].0 == "HYD001" && found[0].1.contains("never been hydrated"));

    assert_eq!(code(&mesh(&["hydrate"], p.path())), 0);
    assert!(json(p.path()).is_empty());

    let spec = p.path().join("docs/SPEC.md");
    fs::write(
        &spec,
        fs::read_to_string(&spec)
            .unwrap()
            .replace("- API Style: REST", "- API Style: REST (JSON:API)"),
    )
    .unwrap();
    let path = p.path().join("docs/ACTIVE_SPEC.md");
    let text = active(p.path())
        .replace(
            "- Testing: pytest\n",
            "- Testing: pytest and a manual smoke test\n",
        )
        .replace(
            "- Mode: DELIVERY\n",
            "- Mode: DELIVERY\n- Database: MySQL 8\n",
        );
    fs::write(&path, text).unwrap();
    let codes: Vec<String> = json(p.path()).into_iter().map(|(c, _)| c).collect();
    assert_eq!(codes, ["HYD003", "HYD002", "HYD001"], "{codes:?}");
    let o = mesh(&["check", "--select", "HYD"], p.path());
    assert_eq!(code(&o), 1, "HYD003 is an error");
    assert!(stdout(&o).contains("SPEC.md's Hydration Contract says `PostgreSQL 16`"));
}

#[test]
fn the_old_hydrators_file_parses_checks_and_hydrates() {
    let p = project("hydrate", "old-hydrator");
    let before = active(p.path());
    let o = mesh(&["check", "--format", "json"], p.path());
    assert!(matches!(code(&o), 0 | 1), "{}", stderr(&o));
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    let hyd: Vec<&str> = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|d| d["code"].as_str().filter(|c| c.starts_with("HYD")))
        .collect();
    assert_eq!(hyd, ["HYD001", "HYD003", "HYD003", "HYD003", "HYD003"]);
    assert_eq!(code(&mesh(&["hydrate"], p.path())), 0);
    let after = active(p.path());
    for line in before.lines().filter(|l| !l.trim().is_empty()) {
        assert!(after.contains(line), "lost: {line}");
    }
    assert_eq!(code(&mesh(&["hydrate", "--check"], p.path())), 0);
}
