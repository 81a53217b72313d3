//! The decision-log fixtures (tests/fixtures/decision-logs and the project fixtures) parse by
//! header names, and appending, superseding and reverting keep each file's own layout.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use mesh_docs::decision::{DecisionLog, RowKind, Status};
use mesh_docs::decision_edit::{self, EditError, Entry, IdScheme, StatusStyle};
use mesh_docs::{DocKind, Document};

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures")
}

fn read(name: &str) -> String {
    std::fs::read_to_string(fixtures().join("decision-logs").join(name)).unwrap()
}

fn parse(text: &str) -> DecisionLog {
    DecisionLog::from_document(&Document::parse(
        DocKind::DecisionLog,
        "DECISION_LOG.md",
        text,
    ))
}

fn entry(kind: Option<&str>, decision: &str) -> Entry {
    Entry {
        kind: kind.map(str::to_string),
        decision: decision.to_string(),
        rationale: Some("because | of a pipe\nand a newline".into()),
        scope: Some("backend".into()),
        owner: Some("Ada".into()),
        date: "2026-05-01".into(),
        ..Entry::default()
    }
}

/// The text with line `line` (1-based) removed.
fn without_line(text: &str, line: u32) -> String {
    text.split_inclusive('\n')
        .enumerate()
        .filter(|(i, _)| *i + 1 != line as usize)
        .map(|(_, l)| l)
        .collect()
}

#[test]
fn every_layout_parses_by_header_names() {
    let g15 = parse(&read("gen15-symbols.md"));
    assert_eq!(g15.decisions().count(), 8);
    assert_eq!(g15.get("003").unwrap().status, Status::Superseded);
    assert_eq!(g15.successor_of("003"), Some("005"));
    assert_eq!(g15.get("005").unwrap().supersedes, ["003"]);
    assert_eq!(g15.reverter_of("006"), Some("007"));
    assert_eq!(g15.get("006").unwrap().reverted_by.as_deref(), Some("007"));
    assert_eq!(g15.get("008").unwrap().status, Status::Proposed);
    assert!(
        g15.get("004")
            .unwrap()
            .decision
            .contains("\\| never floats")
    );
    assert!(g15.rows.iter().all(|r| r.malformed.is_none()));

    let g16 = parse(&read("gen16-ten-columns.md"));
    assert_eq!(g16.columns.len(), 10);
    let d4 = g16.get("004").unwrap();
    assert_eq!(d4.decision, "ClickHouse 24 for readings (supersedes 002)");
    assert_eq!(d4.owner.as_deref(), Some("Aino Virtanen"));
    assert_eq!(g16.successor_of("002"), Some("004"));
    assert_eq!(g16.get("005").unwrap().status, Status::Proposed);

    let legacy = parse(&read("legacy-8col-accepted.md"));
    let ids: Vec<&str> = legacy.decisions().map(|d| d.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "SAMPLE-ARCH",
            "001",
            "002",
            "003",
            "004",
            "005",
            "1736500000",
            "1737000000"
        ]
    );
    assert_eq!(
        legacy
            .rows
            .iter()
            .filter(|r| r.row == RowKind::Kickback)
            .count(),
        3
    );
    assert_eq!(legacy.get("003").unwrap().status, Status::Superseded);
    assert_eq!(legacy.get("005").unwrap().status, Status::Reverted);
    assert_eq!(legacy.get("1737000000").unwrap().status, Status::Proposed);
    assert!(legacy.rows.iter().all(|r| r.malformed.is_none()));

    let five = parse(&read("legacy-5col-unpadded.md"));
    assert_eq!(five.columns.len(), 5);
    assert_eq!(five.get("3").unwrap().status, Status::Active);

    let kb = parse(&read("kickbacks.md"));
    assert_eq!(kb.decisions().count(), 3);
    assert_eq!(
        kb.rows
            .iter()
            .filter(|r| r.row == RowKind::Kickback)
            .count(),
        3
    );
    let last = kb.rows.last().unwrap();
    assert_eq!(
        (last.row, last.task.as_deref()),
        (RowKind::Kickback, Some("T-110"))
    );

    let crlf = parse(&read("pipeless-crlf.md"));
    assert_eq!(crlf.decisions().count(), 3);
    assert_eq!(crlf.get("002").unwrap().decision, "Static site with Astro");
    assert_eq!(crlf.get("002").unwrap().status, Status::Active);

    let adr = parse(&read("prefixed-ids.md"));
    assert_eq!(adr.successor_of("ADR-002"), Some("ADR-003"));
}

#[test]
fn the_project_fixtures_parse_too() {
    for (project, decisions) in [
        ("bookshop-gen15", 8),
        ("cli-tool", 7),
        ("legacy-5col", 5),
        ("legacy-8col", 9),
        ("partially-filled", 2),
        ("prose-payments", 8),
        ("telemetry-gen16", 8),
        ("unfilled-gen15", 1),
        ("unfilled-gen16", 1),
    ] {
        let text = std::fs::read_to_string(
            fixtures()
                .join("projects")
                .join(project)
                .join("docs/DECISION_LOG.md"),
        )
        .unwrap();
        let log = parse(&text);
        assert!(log.problems.is_empty(), "{project}: {:?}", log.problems);
        assert_eq!(log.decisions().count(), decisions, "{project}");
        for d in log.decisions() {
            assert_ne!(d.status, Status::Unknown, "{project} {}", d.id);
            if d.status == Status::Superseded {
                assert!(log.successor_of(&d.id).is_some(), "{project} {}", d.id);
            }
        }
    }
}

#[test]
fn appending_keeps_each_layout_and_changes_nothing_else() {
    // (fixture, expected ID, type, expected row)
    let cases: [(&str, &str, Option<&str>, &str); 7] = [
        (
            "gen15-symbols.md",
            "009",
            Some("test"),
            "| 009 | 2026-05-01 | TEST | Add a test | because \\| of a pipe and a newline | backend | - | ✅ |",
        ),
        (
            "gen16-ten-columns.md",
            "006",
            None,
            "| 006 | 2026-05-01 | - | - | Add a test | - | - | backend | Ada | ✅ |",
        ),
        (
            "legacy-8col-accepted.md",
            "1800000000",
            Some("TEST"),
            "| 1800000000 | 2026-05-01 | TEST | Add a test | because \\| of a pipe and a newline | backend | - | ACCEPTED |",
        ),
        (
            "legacy-5col-unpadded.md",
            "5",
            None,
            "| 5 | 2026-05-01 | Add a test | because \\| of a pipe and a newline | ACCEPTED |",
        ),
        (
            "kickbacks.md",
            "004",
            Some("TEST"),
            "| 004 | 2026-05-01 | TEST | Add a test | because \\| of a pipe and a newline | backend | - | ✅ |",
        ),
        (
            "pipeless-crlf.md",
            "004",
            Some("TEST"),
            "004 | ✅ | 2026-05-01 | TEST | Add a test | because \\| of a pipe and a newline | backend | -",
        ),
        (
            "prefixed-ids.md",
            "ADR-004",
            Some("TEST"),
            "| ADR-004 | 2026-05-01 | TEST | Add a test | because \\| of a pipe and a newline | ✅ |",
        ),
    ];
    for (name, id, kind, row) in cases {
        let text = read(name);
        let before = parse(&text);
        let out = decision_edit::append(&text, &entry(kind, "Add a test"), 1_800_000_000).unwrap();
        assert_eq!(out.id, id, "{name}");
        let line = out
            .text
            .split_inclusive('\n')
            .nth(out.line as usize - 1)
            .unwrap();
        assert_eq!(line.trim_end_matches(['\r', '\n']), row, "{name}");
        // Line endings follow the file.
        assert_eq!(line.ends_with("\r\n"), text.contains("\r\n"), "{name}");
        // The new row is the last row of the table (chronological order) ...
        let after = parse(&out.text);
        assert_eq!(after.rows.len(), before.rows.len() + 1, "{name}");
        assert_eq!(after.rows.last().unwrap().id, id, "{name}");
        assert!(after.rows.last().unwrap().malformed.is_none(), "{name}");
        // ... and nothing else changed.
        assert_eq!(without_line(&out.text, out.line), text, "{name}");
    }
}

#[test]
fn new_rows_go_before_the_anchor_unless_rows_follow_it() {
    let text = read("gen15-symbols.md");
    let out = decision_edit::append(&text, &entry(Some("OPS"), "x"), 0).unwrap();
    let lines: Vec<&str> = out.text.lines().collect();
    assert!(lines[out.line as usize].contains("ATOMIC_MESH_APPEND_DECISIONS_BELOW"));

    let text = read("legacy-8col-accepted.md");
    let out = decision_edit::append(&text, &entry(Some("OPS"), "x"), 0).unwrap();
    let lines: Vec<&str> = out.text.lines().collect();
    assert!(lines[out.line as usize - 2].starts_with("| 1737000000 "));
    assert_eq!(lines[out.line as usize], "");
    // The clock is behind the last timestamp: the next ID still sorts after it.
    assert_eq!(out.id, "1737000001");
}

#[test]
fn status_styles_follow_the_file() {
    assert_eq!(
        decision_edit::status_style(&parse(&read("gen15-symbols.md"))),
        StatusStyle::Symbols
    );
    assert_eq!(
        decision_edit::status_style(&parse(&read("pipeless-crlf.md"))),
        StatusStyle::Symbols
    );
    let StatusStyle::Words {
        active,
        superseded,
        reverted,
        proposed,
    } = decision_edit::status_style(&parse(&read("legacy-8col-accepted.md")))
    else {
        panic!("words expected");
    };
    assert_eq!(
        (
            active.as_str(),
            superseded.as_str(),
            reverted.as_str(),
            proposed.as_str()
        ),
        ("ACCEPTED", "SUPERSEDED", "REJECTED", "PROPOSED")
    );
    let five = decision_edit::status_style(&parse(&read("legacy-5col-unpadded.md")));
    assert_eq!(
        five.render(Status::Superseded, Some("9")),
        "SUPERSEDED by 9"
    );
}

#[test]
fn id_schemes_of_the_fixtures() {
    let scheme = |f: &str| decision_edit::id_scheme(&parse(&read(f)));
    assert_eq!(scheme("gen15-symbols.md"), IdScheme::Number { width: 3 });
    assert_eq!(
        scheme("legacy-5col-unpadded.md"),
        IdScheme::Number { width: 1 }
    );
    assert_eq!(
        scheme("legacy-8col-accepted.md"),
        IdScheme::Timestamp { millis: false }
    );
    assert_eq!(
        scheme("prefixed-ids.md"),
        IdScheme::Prefixed {
            prefix: "ADR-".into(),
            width: 3
        }
    );
}

#[test]
fn supersede_and_revert_in_word_style_and_in_crlf() {
    let text = read("legacy-8col-accepted.md");
    let out = decision_edit::supersede(
        &text,
        "004",
        &entry(None, "Sessions expire after 15 minutes idle"),
        1_800_000_000,
    )
    .unwrap();
    assert!(
        out.text
            .contains("| Shared reception PCs | backend | T-0012 | SUPERSEDED by 1800000000 |")
    );
    let log = parse(&out.text);
    let new = log.get("1800000000").unwrap();
    assert_eq!(
        new.kind_of_decision.as_deref(),
        Some("SECURITY"),
        "type taken from the old row"
    );
    assert_eq!(new.supersedes, ["004"]);
    assert_eq!(log.successor_of("004"), Some("1800000000"));
    assert_eq!(out.marked, Some(("004".into(), 17)));

    let text = read("pipeless-crlf.md");
    let out =
        decision_edit::revert(&text, "003", &entry(None, "Netlify pricing changed"), 0).unwrap();
    assert!(out.text.contains("003 | ❌ reverted by 004 | 2025-08-09 |"));
    assert!(
        out.text
            .contains("004 | ✅ | 2026-05-01 | OPS | Reverts 003: Netlify pricing changed |")
    );
    assert!(
        !out.text.replace("\r\n", "").contains('\n'),
        "all line endings stay CRLF"
    );
    assert_eq!(parse(&out.text).reverter_of("003"), Some("004"));
}

#[test]
fn bad_logs_are_refused_with_a_reason() {
    let e =
        decision_edit::append(&read("bad-no-table.md"), &entry(Some("ARCH"), "x"), 0).unwrap_err();
    assert!(matches!(e, EditError::NoTable { line: 5, .. }), "{e}");
    assert!(e.to_string().contains("nothing was written"));
    let e = decision_edit::append(&read("bad-no-id-column.md"), &entry(Some("ARCH"), "x"), 0)
        .unwrap_err();
    assert_eq!(
        e,
        EditError::MissingColumn {
            line: 5,
            column: "ID"
        }
    );

    // Malformed rows elsewhere do not stop an append, but such a row cannot be superseded.
    let cells = read("bad-cells.md");
    let out = decision_edit::append(&cells, &entry(Some("ARCH"), "x"), 0).unwrap();
    assert_eq!(out.id, "005");
    let e = decision_edit::supersede(&cells, "002", &entry(None, "x"), 0).unwrap_err();
    assert!(matches!(e, EditError::MalformedRow { line: 8, .. }), "{e}");

    let links = read("bad-links.md");
    let e = decision_edit::supersede(&links, "007", &entry(None, "x"), 0).unwrap_err();
    assert_eq!(
        e,
        EditError::AmbiguousId {
            id: "007".into(),
            lines: vec![13, 14]
        }
    );
    let e =
        decision_edit::revert(&read("kickbacks.md"), "KICKBACK", &entry(None, "x"), 0).unwrap_err();
    assert!(
        matches!(
            e,
            EditError::AmbiguousId { .. } | EditError::NotADecision { .. }
        ),
        "{e}"
    );
    let e =
        decision_edit::revert(&read("gen15-symbols.md"), "042", &entry(None, "x"), 0).unwrap_err();
    assert!(e.to_string().contains("no decision `042`"), "{e}");
    let e = decision_edit::append(&read("gen15-symbols.md"), &entry(Some("ARCH"), "  \n "), 0)
        .unwrap_err();
    assert_eq!(e, EditError::EmptyDecision);
    let e = decision_edit::append(
        &read("gen15-symbols.md"),
        &Entry {
            status: Some(Status::Reverted),
            ..entry(Some("ARCH"), "x")
        },
        0,
    )
    .unwrap_err();
    assert_eq!(e, EditError::BadStatus("reverted"));
}

#[test]
fn a_file_without_final_newline_and_a_header_only_table() {
    let text = "## Records\n| ID | Decision | Status |\n|---|---|---|";
    let out = decision_edit::append(text, &entry(None, "first"), 0).unwrap();
    assert_eq!(
        out.text,
        "## Records\n| ID | Decision | Status |\n|---|---|---|\n| 001 | first | ✅ |\n"
    );
    assert_eq!(out.line, 4);
    let out = decision_edit::append(&out.text, &entry(None, "second"), 0).unwrap();
    assert_eq!(out.id, "002");
}
