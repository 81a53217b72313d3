//! 50 `mesh decide add` processes at once on one log: 50 new rows, unique IDs, a log that parses.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashSet;
use std::fs;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use mesh_docs::decision::DecisionLog;
use mesh_docs::{DocKind, Document};

const WRITERS: usize = 50;

fn run_writers(fixture: &str) -> (DecisionLog, usize) {
    let src = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/decision-logs")
        .join(fixture);
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join("docs")).unwrap();
    let log_path = dir.path().join("docs/DECISION_LOG.md");
    fs::copy(&src, &log_path).unwrap();
    let before = DecisionLog::from_document(&Document::parse(
        DocKind::DecisionLog,
        "x",
        fs::read_to_string(&log_path).unwrap(),
    ));

    let children: Vec<_> = (0..WRITERS)
        .map(|i| {
            Command::new(env!("CARGO_BIN_EXE_mesh"))
                .args([
                    "decide",
                    "add",
                    "--type",
                    "OPS",
                    "--owner",
                    "load-test",
                    "--decision",
                ])
                .arg(format!("Concurrent decision number {i}"))
                .current_dir(dir.path())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    let text = fs::read_to_string(&log_path).unwrap();
    let after =
        DecisionLog::from_document(&Document::parse(DocKind::DecisionLog, "x", text.as_str()));
    assert!(after.problems.is_empty(), "{:?}", after.problems);
    assert!(after.rows.iter().all(|r| r.malformed.is_none()));
    // Every writer's row is there exactly once.
    for i in 0..WRITERS {
        let want = format!("Concurrent decision number {i}");
        assert_eq!(
            after.rows.iter().filter(|r| r.decision == want).count(),
            1,
            "{want}"
        );
    }
    // Only the lock file sits beside the log: no temporary file left behind.
    let names: Vec<String> = fs::read_dir(dir.path().join("docs"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
    (after, before.rows.len())
}

fn assert_unique_and_ordered(log: &DecisionLog, before: usize) -> Vec<u64> {
    assert_eq!(log.rows.len(), before + WRITERS);
    let ids: Vec<&str> = log.decisions().map(|d| d.id.as_str()).collect();
    let unique: HashSet<&str> = ids.iter().copied().collect();
    assert_eq!(unique.len(), ids.len(), "duplicate IDs: {ids:?}");
    // New rows are appended in order: their numeric IDs increase down the file.
    let new: Vec<u64> = log.rows[before..]
        .iter()
        .map(|r| r.id.parse().unwrap())
        .collect();
    assert!(new.windows(2).all(|w| w[0] < w[1]), "{new:?}");
    new
}

#[test]
fn fifty_concurrent_adds_with_numbered_ids() {
    let (log, before) = run_writers("gen15-symbols.md");
    let new = assert_unique_and_ordered(&log, before);
    assert_eq!(new.first(), Some(&9));
    assert_eq!(new.last(), Some(&58));
    assert!(log.rows[before..].iter().all(|r| r.id.len() == 3));
}

#[test]
fn fifty_concurrent_adds_with_timestamp_ids() {
    let (log, before) = run_writers("legacy-8col-accepted.md");
    assert_unique_and_ordered(&log, before);
}
