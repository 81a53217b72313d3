//! `mesh decide` and the DEC rules, end to end on copies of the decision-log fixtures.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn fixture(name: &str) -> String {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/decision-logs")
        .join(name);
    fs::read_to_string(p).unwrap()
}

fn project_fixture(name: &str) -> String {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/projects")
        .join(name)
        .join("docs/DECISION_LOG.md");
    fs::read_to_string(p).unwrap()
}

/// A project directory whose docs/DECISION_LOG.md is `log`, and a git config naming the owner.
struct Project {
    dir: tempfile::TempDir,
}

impl Project {
    fn new(log: &str) -> Project {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir(dir.path().join("docs")).unwrap();
        fs::write(dir.path().join("docs/DECISION_LOG.md"), log).unwrap();
        fs::write(
            dir.path().join("gitconfig"),
            "[user]\n\tname = Grace Hopper\n",
        )
        .unwrap();
        Project { dir }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn log(&self) -> String {
        fs::read_to_string(self.path().join("docs/DECISION_LOG.md")).unwrap()
    }

    fn mesh(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_mesh"))
            .args(args)
            .current_dir(self.path())
            .env("GIT_CONFIG_GLOBAL", self.path().join("gitconfig"))
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("NO_COLOR", "1")
            .output()
            .unwrap()
    }
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).to_string()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).to_string()
}

fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b.iter().enumerate().all(|(i, c)| {
            if i == 4 || i == 7 {
                *c == b'-'
            } else {
                c.is_ascii_digit()
            }
        })
}

/// The cells of line `n` (1-based) of `text`.
fn cells(text: &str, n: u32) -> Vec<String> {
    let line = text.lines().nth(n as usize - 1).unwrap();
    line.trim()
        .trim_matches('|')
        .split(" | ")
        .map(|c| c.trim().to_string())
        .collect()
}

#[test]
fn add_writes_the_next_row_with_today_and_the_git_owner() {
    let p = Project::new(&fixture("gen16-ten-columns.md"));
    let o = p.mesh(&[
        "decide",
        "add",
        "--type",
        "api",
        "--decision",
        "Rate-limit webhooks | 10/s",
        "--context",
        "Operator overload",
        "--scope",
        "api",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        "Recorded decision 006 at docs/DECISION_LOG.md:14\n"
    );
    assert!(
        stderr(&o).contains("no column for --type"),
        "{}",
        stderr(&o)
    );
    let c = cells(&p.log(), 14);
    assert_eq!(c[0], "006");
    assert!(is_date(&c[1]), "{c:?}");
    assert_eq!(
        &c[2..],
        [
            "Operator overload",
            "-",
            "Rate-limit webhooks \\| 10/s",
            "-",
            "-",
            "api",
            "Grace Hopper",
            "✅"
        ]
    );
    assert!(
        p.log()
            .lines()
            .nth(14)
            .unwrap()
            .contains("ATOMIC_MESH_APPEND_DECISIONS_BELOW")
    );

    let o = p.mesh(&[
        "decide",
        "add",
        "--type",
        "OPS",
        "--decision",
        "On-call rota",
        "--owner",
        "Ada",
        "--date",
        "2026-06-01",
        "--proposed",
        "--format",
        "json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(
        (v["id"].as_str(), v["line"].as_u64()),
        (Some("007"), Some(15))
    );
    let c = cells(&p.log(), 15);
    assert_eq!(
        (c[1].as_str(), c[8].as_str(), c[9].as_str()),
        ("2026-06-01", "Ada", "📝 proposed")
    );
}

#[test]
fn supersede_revert_and_list() {
    let p = Project::new(&project_fixture("bookshop-gen15"));
    let o = p.mesh(&[
        "decide",
        "supersede",
        "008",
        "--decision",
        "RQ with Redis instead of Celery",
        "--rationale",
        "Fewer moving parts",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        "Recorded decision 009 at docs/DECISION_LOG.md:26; 008 (line 25) is now superseded by 009\n"
    );
    let log = p.log();
    assert!(
        log.contains("| ops | T-21 | 🔄 superseded by 009 |"),
        "{log}"
    );
    let c = cells(&log, 26);
    assert_eq!(
        &c[2..],
        [
            "OPS",
            "RQ with Redis instead of Celery (supersedes 008)",
            "Fewer moving parts",
            "ops",
            "-",
            "✅"
        ]
    );

    let o = p.mesh(&[
        "decide",
        "revert",
        "007",
        "--why",
        "Customers asked for holds after all",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(p.log().contains("| frontend | - | ❌ reverted by 010 |"));

    let o = p.mesh(&["decide", "list", "--format", "json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["schema_version"], 1);
    let ds = v["decisions"].as_array().unwrap();
    assert_eq!(ds.len(), 10);
    let d8 = ds.iter().find(|d| d["id"] == "008").unwrap();
    assert_eq!(d8["status"], "superseded");
    assert_eq!(d8["superseded_by"], "009");
    assert_eq!(d8["type"], "OPS");
    assert_eq!(d8["date"], "2026-03-11");
    assert_eq!(d8["line"], 25);
    assert!(d8["decision"].as_str().unwrap().starts_with("Celery"));
    let d5 = ds.iter().find(|d| d["id"] == "005").unwrap();
    assert_eq!(
        d5["superseded_by"], "006",
        "successor found through `Supersedes 005` in the newer row"
    );
    let d7 = ds.iter().find(|d| d["id"] == "007").unwrap();
    assert_eq!(
        (d7["status"].as_str(), d7["reverted_by"].as_str()),
        (Some("reverted"), Some("010"))
    );

    let o = p.mesh(&["decide", "list", "--status", "superseded"]);
    let text = stdout(&o);
    assert!(text.starts_with("ID "), "{text}");
    let ids: Vec<&str> = text
        .lines()
        .skip(1)
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    assert_eq!(ids, ["005", "008"]);
    assert!(text.contains("(superseded by 009)"));

    // Closing a row twice is refused and changes nothing.
    let before = p.log();
    let o = p.mesh(&["decide", "supersede", "008", "--decision", "again"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("already superseded (by 009)"),
        "{}",
        stderr(&o)
    );
    assert_eq!(p.log(), before);

    // The edited log is still clean.
    let o = p.mesh(&["check", "--select", "DEC", "--format", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
}

#[test]
fn word_style_logs_get_words_and_timestamp_ids() {
    let p = Project::new(&fixture("legacy-8col-accepted.md"));
    let o = p.mesh(&[
        "decide",
        "supersede",
        "1737000000",
        "--decision",
        "Plain-text reminders stay",
        "--format",
        "json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    let id = v["id"].as_str().unwrap();
    assert!(
        id.len() == 10 && id.bytes().all(|b| b.is_ascii_digit()) && id > "1737000000",
        "{id}"
    );
    assert_eq!(v["closed"]["id"], "1737000000");
    let log = p.log();
    assert!(
        log.contains(&format!("| frontend | T-0024 | SUPERSEDED by {id} |")),
        "{log}"
    );
    let line = v["line"].as_u64().unwrap() as u32;
    assert_eq!(cells(&log, line).last().unwrap(), "ACCEPTED");
    assert!(
        log.lines().nth(line as usize).unwrap().is_empty(),
        "appended after the rows below the anchor"
    );
}

#[test]
fn bad_input_is_an_error_and_leaves_the_file_alone() {
    // No log at all.
    let empty = tempfile::tempdir().unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_mesh"))
        .args(["decide", "add", "--type", "ARCH", "--decision", "x"])
        .current_dir(empty.path())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("run `mesh init`"), "{}", stderr(&o));
    assert!(!empty.path().join("docs").exists(), "nothing created");

    for (name, args, expect) in [
        (
            "bad-no-table.md",
            vec!["decide", "add", "--type", "ARCH", "--decision", "x"],
            "no decision table found",
        ),
        (
            "bad-no-id-column.md",
            vec!["decide", "add", "--type", "ARCH", "--decision", "x"],
            "has no ID column",
        ),
        (
            "bad-no-table.md",
            vec!["decide", "list"],
            "no decision table found",
        ),
        (
            "gen15-symbols.md",
            vec!["decide", "add", "--type", "architecture", "--decision", "x"],
            "did you mean ARCH?",
        ),
        (
            "gen15-symbols.md",
            vec!["decide", "add", "--decision", "x"],
            "give the decision a type",
        ),
        (
            "gen15-symbols.md",
            vec!["decide", "add", "--type", "ARCH", "--decision", " "],
            "decision text is empty",
        ),
        (
            "gen15-symbols.md",
            vec!["decide", "revert", "042", "--why", "x"],
            "no decision `042`",
        ),
        (
            "bad-cells.md",
            vec!["decide", "supersede", "002", "--decision", "x"],
            "does not fit the table",
        ),
        (
            "bad-links.md",
            vec!["decide", "revert", "007", "--why", "x"],
            "used on lines 13, 14",
        ),
        (
            "kickbacks.md",
            vec!["decide", "revert", "KICKBACK", "--why", "x"],
            "is a rejected-task (KICKBACK) row",
        ),
    ] {
        let p = Project::new(&fixture(name));
        let before = p.log();
        let o = p.mesh(&args);
        assert_eq!(o.status.code(), Some(2), "{name} {args:?}: {}", stderr(&o));
        assert!(
            stderr(&o).contains(expect),
            "{name} {args:?}: {}",
            stderr(&o)
        );
        assert!(!stderr(&o).contains("panicked"));
        assert_eq!(p.log(), before, "{name} unchanged");
        assert!(
            fs::read_dir(p.path().join("docs")).unwrap().count() <= 2,
            "no temporary file left behind"
        );
    }

    // Not UTF-8.
    let p = Project::new("");
    let bytes = b"## Records\n| ID | Decision | Status |\n|---|---|---|\n| 001 | caf\xe9 | \xe2\x9c\x85 |\n";
    fs::write(p.path().join("docs/DECISION_LOG.md"), bytes).unwrap();
    let o = p.mesh(&["decide", "add", "--decision", "x"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("not valid UTF-8"), "{}", stderr(&o));
    assert_eq!(
        fs::read(p.path().join("docs/DECISION_LOG.md")).unwrap(),
        bytes
    );

    // A directory where the log should be.
    let p = Project::new("");
    fs::remove_file(p.path().join("docs/DECISION_LOG.md")).unwrap();
    fs::create_dir(p.path().join("docs/DECISION_LOG.md")).unwrap();
    let o = p.mesh(&["decide", "list"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("is a directory"), "{}", stderr(&o));
}

#[test]
fn dir_and_root_select_the_log() {
    let p = Project::new(&fixture("gen15-symbols.md"));
    fs::write(
        p.path().join("mesh.toml"),
        "[docs]\nroots = [\"docs\", \"svc/docs\"]\n",
    )
    .unwrap();
    fs::create_dir_all(p.path().join("svc/docs")).unwrap();
    fs::write(
        p.path().join("svc/docs/DECISION_LOG.md"),
        fixture("legacy-5col-unpadded.md"),
    )
    .unwrap();
    let o = p.mesh(&["decide", "list"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("choose one with --root"),
        "{}",
        stderr(&o)
    );
    let o = p.mesh(&[
        "decide",
        "add",
        "--decision",
        "Offline mode",
        "--root",
        "svc/docs",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        "Recorded decision 5 at svc/docs/DECISION_LOG.md:13\n"
    );

    // From elsewhere, naming the project directory (or the document folder itself).
    let single = Project::new(&fixture("prefixed-ids.md"));
    let o = Command::new(env!("CARGO_BIN_EXE_mesh"))
        .args([
            "decide",
            "add",
            "--type",
            "DATA",
            "--decision",
            "Snapshots every 100 events",
        ])
        .arg(single.path())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).starts_with("Recorded decision ADR-004 at "),
        "{}",
        stdout(&o)
    );
    let o = Command::new(env!("CARGO_BIN_EXE_mesh"))
        .args(["decide", "list", "--format", "json"])
        .arg(single.path().join("docs"))
        .output()
        .unwrap();
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["decisions"].as_array().unwrap().len(), 4);
}

#[test]
fn fixtures_check_clean_and_bad_logs_get_their_codes() {
    for name in [
        "gen15-symbols.md",
        "gen16-ten-columns.md",
        "legacy-8col-accepted.md",
        "legacy-5col-unpadded.md",
        "kickbacks.md",
        "pipeless-crlf.md",
        "prefixed-ids.md",
    ] {
        let p = Project::new(&fixture(name));
        let o = p.mesh(&["check", "--select", "DEC", "--format", "json"]);
        assert_eq!(
            o.status.code(),
            Some(0),
            "{name}: {}{}",
            stdout(&o),
            stderr(&o)
        );
        let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
        assert_eq!(v["diagnostics"].as_array().unwrap().len(), 0, "{name}: {v}");
    }
    for (name, codes) in [
        ("bad-no-table.md", vec!["DEC003"]),
        ("bad-no-id-column.md", vec!["DEC003"]),
        ("bad-cells.md", vec!["DEC002", "DEC002"]),
        (
            "bad-links.md",
            vec![
                "DEC001", "DEC002", "DEC004", "DEC005", "DEC005", "DEC005", "DEC008",
            ],
        ),
        ("bad-status-type.md", vec!["DEC006", "DEC006", "DEC007"]),
    ] {
        let p = Project::new(&fixture(name));
        let o = p.mesh(&["check", "--select", "DEC", "--format", "json"]);
        let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
        let mut got: Vec<&str> = v["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["code"].as_str().unwrap())
            .collect();
        got.sort_unstable();
        assert_eq!(got, codes, "{name}");
        let errors = v["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["severity"] == "error");
        assert_eq!(o.status.code(), Some(if errors { 1 } else { 0 }), "{name}");
    }
}
