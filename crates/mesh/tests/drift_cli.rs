//! `mesh check` compares the documents with the code (issue 6): the real binary on copies of
//! the drift fixtures of mesh-check, in every output format, with `--explain-stack`, in a
//! monorepo, and without the scan when only document rules are selected.
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

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for e in fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            fs::copy(e.path(), target).unwrap();
        }
    }
}

/// A temporary copy of a drift fixture (outside any git repository).
fn project(name: &str) -> tempfile::TempDir {
    let from: PathBuf = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../mesh-check/tests/fixtures/drift")
        .join(name);
    let tmp = tempfile::tempdir().unwrap();
    copy_dir(&from, tmp.path());
    tmp
}

fn json_diags(o: &Output) -> Vec<Value> {
    let v: Value = serde_json::from_str(&stdout(o)).expect("json output");
    v["diagnostics"].as_array().unwrap().clone()
}

fn find<'a>(diags: &'a [Value], code: &str) -> &'a Value {
    diags
        .iter()
        .find(|d| d["code"] == code)
        .unwrap_or_else(|| panic!("no {code} in {diags:#?}"))
}

#[test]
fn drift_findings_point_at_code_and_document() {
    let p = project("python-shop");
    let o = mesh(&["check", "--format", "json"], p.path());
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let diags = json_diags(&o);
    for code in [
        "DEP001", "DEP002", "DEP003", "DEP004", "STK001", "API001", "API002", "API003", "API004",
        "DAT010", "DAT011", "DAT012",
    ] {
        find(&diags, code);
    }
    // Code location first, the document as related (or the reverse).
    let dep002 = find(&diags, "DEP002");
    assert_eq!(dep002["file"], "requirements.txt");
    assert_eq!(dep002["line"], 7);
    assert_eq!(dep002["related"][0]["file"], "docs/TECH_STACK.md");
    assert!(dep002["help"].as_str().unwrap().contains("httpx"));
    let stk001 = find(&diags, "STK001");
    assert_eq!(stk001["file"], "docs/SPEC.md");
    assert_eq!(stk001["related"][0]["file"], "requirements.txt");
    assert_eq!(stk001["related"][0]["line"], 6);
}

#[test]
fn every_format_carries_the_code_locations() {
    let p = project("python-shop");
    let o = mesh(&["check", "--format", "sarif"], p.path());
    assert_eq!(o.status.code(), Some(1));
    let sarif: Value = serde_json::from_str(&stdout(&o)).unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert!(results.iter().any(|r| {
        r["ruleId"] == "DEP002"
            && r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                .as_str()
                .unwrap()
                .ends_with("requirements.txt")
    }));
    let o = mesh(&["check", "--format", "github"], p.path());
    assert!(
        stdout(&o).contains("file=requirements.txt,line=7"),
        "{}",
        stdout(&o)
    );
    let o = mesh(&["check"], p.path());
    let human = stdout(&o);
    assert!(human.contains("error[DEP002]"), "{human}");
    assert!(human.contains("--> requirements.txt:7:1"), "{human}");
}

#[test]
fn explain_stack_shows_contract_and_evidence() {
    let p = project("python-shop");
    let o = mesh(&["check", "--explain-stack"], p.path());
    assert_eq!(o.status.code(), Some(0));
    let text = stdout(&o);
    for want in [
        "docs (code in .:",
        "  database\n    contract  docs/SPEC.md:6  Database: PostgreSQL 16  (names postgres)",
        "detected  sqlite       aiosqlite at requirements.txt:6",
        "STK001    postgres is declared, but nothing in the code shows it",
        "detected  pytest       pytest (dev) at requirements-dev.txt:2",
        "detected  rest         OpenAPI document at api/openapi.yaml:1",
    ] {
        assert!(text.contains(want), "missing {want:?} in:\n{text}");
    }
}

#[test]
fn each_root_of_a_monorepo_is_compared_with_its_own_code() {
    let p = project("monorepo");
    let o = mesh(&["check", "--format", "json"], p.path());
    let diags = json_diags(&o);
    let drift: Vec<(String, String)> = diags
        .iter()
        .filter(|d| {
            let c = d["code"].as_str().unwrap();
            c.starts_with("DEP") || c.starts_with("STK") || c.starts_with("API")
        })
        .map(|d| {
            (
                d["code"].as_str().unwrap().to_string(),
                d["root"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        drift,
        [
            ("DEP003".to_string(), "services/billing/docs".to_string()),
            ("DEP003".to_string(), "services/billing/docs".to_string()),
            ("STK001".to_string(), "services/catalog/docs".to_string()),
        ]
    );
    let o = mesh(&["check", "--explain-stack"], p.path());
    let text = stdout(&o);
    assert!(
        text.contains("services/catalog/docs (code in services/catalog:"),
        "{text}"
    );
    assert!(
        text.contains("detected  sqlite       rusqlite at services/catalog/Cargo.toml:7"),
        "{text}"
    );
}

#[test]
fn document_rules_alone_do_not_compare_the_code() {
    let p = project("python-shop");
    let o = mesh(
        &["check", "--format", "json", "--select", "DOC,DEC"],
        p.path(),
    );
    let diags = json_diags(&o);
    assert!(
        diags.iter().all(|d| {
            let c = d["code"].as_str().unwrap();
            !(c.starts_with("DEP") || c.starts_with("STK") || c.starts_with("API"))
        }),
        "{diags:#?}"
    );
}
