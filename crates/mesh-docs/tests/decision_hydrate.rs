//! Every decision-log fixture hydrates: ACTIVE_SPEC lists exactly the active decisions (no
//! superseded, reverted, proposed, INIT or KICKBACK rows), also after `mesh decide` edits.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use mesh_docs::decision_edit::{self, Entry};
use mesh_docs::hydrate::{hydrate, snapshot};
use mesh_docs::{DocKind, DocSet, Document};

fn read(name: &str) -> String {
    std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../tests/fixtures/decision-logs")
            .join(name),
    )
    .unwrap()
}

fn docs(log: &str) -> DocSet {
    DocSet::new(vec![Document::parse(
        DocKind::DecisionLog,
        "docs/DECISION_LOG.md",
        log,
    )])
}

fn active_ids(log: &str) -> Vec<String> {
    snapshot(&docs(log))
        .decisions
        .into_iter()
        .map(|d| d.id)
        .collect()
}

#[test]
fn fixtures_hydrate_with_their_active_decisions() {
    for (name, active) in [
        ("gen15-symbols.md", vec!["002", "004", "005", "007"]),
        ("gen16-ten-columns.md", vec!["003", "004"]),
        (
            "legacy-8col-accepted.md",
            vec!["SAMPLE-ARCH", "002", "004", "1736500000"],
        ),
        ("legacy-5col-unpadded.md", vec!["1", "2", "3"]),
        ("kickbacks.md", vec!["002", "003"]),
        ("pipeless-crlf.md", vec!["002", "003"]),
        ("prefixed-ids.md", vec!["ADR-001", "ADR-003"]),
    ] {
        let log = read(name);
        assert_eq!(active_ids(&log), active, "{name}");
        let h = hydrate(None, &docs(&log)).unwrap();
        for id in &active {
            assert!(
                h.text.contains(&format!("- {id}")),
                "{name}: {id} missing from\n{}",
                h.text
            );
        }
    }
}

#[test]
fn a_superseded_decision_leaves_active_spec() {
    let log = read("gen15-symbols.md");
    let entry = Entry {
        decision: "Prices as decimal strings".into(),
        date: "2026-05-01".into(),
        ..Entry::default()
    };
    let out = decision_edit::supersede(&log, "004", &entry, 0).unwrap();
    assert_eq!(active_ids(&out.text), ["002", "005", "007", "009"]);
}
