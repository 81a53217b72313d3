//! Properties of the decision-log editor: no panic on any input, an append changes nothing but
//! the one inserted line, and any text survives a trip through a cell.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use mesh_docs::decision::DecisionLog;
use mesh_docs::decision_edit::{self, Entry, escape_cell};
use mesh_docs::{DocKind, Document};
use proptest::prelude::*;

const LOG: &str = "## Records\n\n| ID | Date | Type | Decision | Rationale | Scope | Task | Status |\n|---|---|---|---|---|---|---|---|\n| 001 | 2026-01-01 | INIT | Start | - | project | - | ✅ |\n<!-- ATOMIC_MESH_APPEND_DECISIONS_BELOW -->\n";

fn parse(text: &str) -> DecisionLog {
    DecisionLog::from_document(&Document::parse(
        DocKind::DecisionLog,
        "DECISION_LOG.md",
        text,
    ))
}

fn entry(decision: &str) -> Entry {
    Entry {
        kind: Some("ARCH".into()),
        decision: decision.into(),
        date: "2026-01-02".into(),
        ..Entry::default()
    }
}

/// Lines that look like parts of a decision log, to build hostile documents from.
fn line() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("## Records".to_string()),
        Just("# Decision Log".to_string()),
        Just("| ID | Date | Type | Decision | Rationale | Scope | Task | Status |".to_string()),
        Just("| ID | Decision | Status |".to_string()),
        Just("ID | Decision | Status".to_string()),
        Just("|---|---|---|".to_string()),
        Just("---|---|---".to_string()),
        Just("<!-- ATOMIC_MESH_APPEND_DECISIONS_BELOW -->".to_string()),
        Just("| KICKBACK | 1700000000 | T-1 | WORKER | no tests | ❌ |".to_string()),
        Just(String::new()),
        "[0-9]{1,4}".prop_map(|id| format!("| {id} | 2026-01-01 | ARCH | d | r | s | - | ✅ |")),
        "[0-9]{1,3}"
            .prop_map(|id| format!("| {id} | d supersedes 001 | 🔄 superseded by 00{id} |")),
        "\\PC{0,30}".prop_map(|s| format!("| {s} |")),
        "\\PC{0,40}",
    ]
}

fn document() -> impl Strategy<Value = String> {
    (proptest::collection::vec(line(), 0..14), any::<bool>(), any::<bool>(), any::<bool>()).prop_map(|(mut lines, crlf, final_eol, header)| {
        let eol = if crlf { "\r\n" } else { "\n" };
        if header {
            lines.insert(0, "## Records\n| ID | Date | Type | Decision | Rationale | Scope | Task | Status |\n|---|---|---|---|---|---|---|---|".replace('\n', eol));
        }
        let mut t = lines.join(eol);
        if final_eol {
            t.push_str(eol);
        }
        t
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn append_only_inserts_one_line(text in document(), decision in "\\PC{1,40}") {
        match decision_edit::append(&text, &entry(&decision), 1_800_000_000) {
            Err(_) => {}
            Ok(out) => {
                let lines: Vec<&str> = out.text.split_inclusive('\n').collect();
                let idx = out.line as usize - 1;
                prop_assert!(idx < lines.len());
                let rest: String = lines.iter().enumerate().filter(|(i, _)| *i != idx).map(|(_, l)| *l).collect();
                if text.ends_with('\n') || text.is_empty() {
                    prop_assert_eq!(rest, text.clone());
                } else {
                    prop_assert!(rest.starts_with(&text) && rest.len() - text.len() <= 2);
                }
                let log = parse(&out.text);
                prop_assert!(log.get(&out.id).is_some_and(|r| r.malformed.is_none()));
            }
        }
    }

    #[test]
    fn supersede_and_revert_never_panic(text in document(), id in "[0-9]{1,4}", decision in "\\PC{0,20}") {
        if let Ok(out) = decision_edit::supersede(&text, &id, &entry(&decision), 0) {
            let log = parse(&out.text);
            prop_assert_eq!(log.successor_of(&id), Some(out.id.as_str()));
        }
        if let Ok(out) = decision_edit::revert(&text, &id, &entry(&decision), 0) {
            let log = parse(&out.text);
            prop_assert_eq!(log.reverter_of(&id), Some(out.id.as_str()));
        }
    }

    #[test]
    fn any_text_fits_in_one_cell(decision in "[a-z |`\\\\\\n\\t]{1,30}") {
        prop_assume!(!decision.trim().is_empty());
        let out = decision_edit::append(LOG, &entry(&decision), 0).unwrap();
        let log = parse(&out.text);
        let row = log.get("002").unwrap();
        prop_assert!(row.malformed.is_none(), "{}", out.text);
        prop_assert_eq!(&row.decision, &escape_cell(&decision));
        prop_assert_eq!(row.kind_of_decision.as_deref(), Some("ARCH"));
        prop_assert_eq!(row.date.as_deref(), Some("2026-01-02"));
    }
}
