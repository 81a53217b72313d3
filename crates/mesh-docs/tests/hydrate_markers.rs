//! The marked parts: outside them nothing changes; stale and hand-edited parts are told apart;
//! line endings and byte-order marks survive; broken markers stop hydration with a location;
//! hydration never panics and is idempotent on any text.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod hydrate_common;

use hydrate_common::*;
use mesh_docs::hydrate::{self, RegionId};
use mesh_docs::{DocKind, DocSet, Document};
use proptest::prelude::*;

fn with_spec(docs: &DocSet, spec: &str) -> DocSet {
    let mut v: Vec<Document> = docs
        .docs
        .iter()
        .filter(|d| d.kind != DocKind::Spec)
        .cloned()
        .collect();
    v.push(Document::parse(DocKind::Spec, "SPEC.md", spec));
    DocSet::new(v)
}

/// The text with every marked part's body removed (markers kept, hash dropped).
fn outside(text: &str) -> String {
    let scan = hydrate::scan(text);
    text.lines()
        .enumerate()
        .filter_map(|(i, l)| {
            let n = i as u32 + 1;
            match scan
                .regions
                .iter()
                .find(|r| r.begin_line <= n && n <= r.end_line)
            {
                Some(r) if n == r.begin_line => Some(format!("<begin {}>", r.id)),
                Some(_) if l.contains("mesh:hydrate:end") => Some(l.to_string()),
                Some(_) => None,
                None => Some(l.to_string()),
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn outside_the_markers_nothing_changes_byte_for_byte() {
    let (docs, _, hydrated) = hydrate_fixture("projects", "bookshop-gen15");
    // People write around and between the parts, with odd spacing.
    let edited = hydrated
        .replace(
            "- Mode: DELIVERY\n",
            "- Mode: DELIVERY   \n  * odd   indent\t\n",
        )
        .replace(
            "<!-- mesh:hydrate:end technical-constraints -->\n",
            "<!-- mesh:hydrate:end technical-constraints -->\nNote right after the part.\n",
        );
    let again = hydrate::hydrate(Some(&edited), &docs).unwrap();
    assert_eq!(
        again.text, edited,
        "unchanged sources: the file is left exactly as it is"
    );
    assert!(!again.changed);

    // A SPEC change rewrites the parts that derive from it, and nothing else.
    let spec = docs
        .get(DocKind::Spec)
        .unwrap()
        .text
        .replace("- Database: PostgreSQL 16", "- Database: PostgreSQL 17");
    let docs2 = with_spec(&docs, &spec);
    let out = hydrate::hydrate(Some(&edited), &docs2).unwrap();
    assert!(out.changed);
    assert!(
        out.text.contains("- Database: PostgreSQL 17\n")
            && !out.text.contains("- Database: PostgreSQL 16\n")
    );
    assert_eq!(outside(&out.text), outside(&edited));
    let before = hydrate::scan(&edited);
    let after = hydrate::scan(&out.text);
    for id in RegionId::ALL {
        let changed = before.get(id).unwrap().body != after.get(id).unwrap().body;
        let expected = matches!(id, RegionId::TechnicalConstraints | RegionId::Provenance);
        assert_eq!(changed, expected, "{id}");
    }
}

#[test]
fn stale_and_hand_edited_parts_are_told_apart() {
    let (docs, _, hydrated) = hydrate_fixture("projects", "bookshop-gen15");
    // Sources changed: the body still has its recorded hash but differs from what hydration gives.
    let spec = docs
        .get(DocKind::Spec)
        .unwrap()
        .text
        .replace("- API Style: REST", "- API Style: GraphQL");
    let docs2 = with_spec(&docs, &spec);
    let g = hydrate::generate(&docs2);
    let r = hydrate::scan(&hydrated)
        .get(RegionId::TechnicalConstraints)
        .cloned()
        .unwrap();
    assert!(!r.edited());
    assert_ne!(r.body, g.body(RegionId::TechnicalConstraints));

    // A hand edit: the body no longer has its recorded hash.
    let edited = hydrated.replace(
        "- Testing: pytest\n",
        "- Testing: pytest (and manual QA on Fridays)\n",
    );
    let s = hydrate::scan(&edited);
    let r = s.get(RegionId::TechnicalConstraints).unwrap();
    assert!(r.edited());
    assert!(
        s.regions
            .iter()
            .filter(|x| x.id != RegionId::TechnicalConstraints)
            .all(|x| !x.edited())
    );
    // Hydration puts the derived text back.
    assert_eq!(
        hydrate::hydrate(Some(&edited), &docs).unwrap().text,
        hydrated
    );
}

#[test]
fn crlf_and_byte_order_mark_are_kept() {
    let (docs, active) = load(&fixture_docs("projects", "bookshop-gen15"));
    let lf = hydrate::hydrate(active.as_deref(), &docs).unwrap().text;
    let crlf_in = format!("\u{feff}{}", active.unwrap().replace('\n', "\r\n"));
    let out = hydrate::hydrate(Some(&crlf_in), &docs).unwrap().text;
    assert!(out.starts_with('\u{feff}'));
    assert_eq!(
        out.matches('\n').count(),
        out.matches("\r\n").count(),
        "every line ends with CRLF"
    );
    assert_eq!(out, format!("\u{feff}{}", lf.replace('\n', "\r\n")));
    // Same hashes, so a CRLF checkout of a hydrated file is not stale.
    assert!(hydrate::scan(&out).regions.iter().all(|r| !r.edited()));
    assert_eq!(hydrate::hydrate(Some(&out), &docs).unwrap().text, out);
}

#[test]
fn a_file_without_a_final_newline_gets_one_only_where_needed() {
    let (docs, _) = load(&fixture_docs("projects", "bookshop-gen15"));
    let (_, _, hydrated) = hydrate_fixture("projects", "bookshop-gen15");
    let trimmed = hydrated.trim_end_matches('\n').to_string();
    let out = hydrate::hydrate(Some(&trimmed), &docs).unwrap();
    assert_eq!(
        out.text, trimmed,
        "nothing to change: the last line stays without a newline"
    );
}

#[test]
fn broken_markers_stop_hydration_with_their_line() {
    let (docs, _, hydrated) = hydrate_fixture("projects", "bookshop-gen15");
    let broken = hydrated.replace("<!-- mesh:hydrate:end goals -->\n", "");
    let problems = hydrate::hydrate(Some(&broken), &docs).unwrap_err();
    assert!(
        problems.iter().any(|p| p
            .message
            .contains("`goals` has no end marker before `user-stories` begins")),
        "{problems:?}"
    );
    let line = hydrated
        .lines()
        .position(|l| l.starts_with("<!-- mesh:hydrate:begin goals"))
        .unwrap() as u32
        + 1;
    assert!(problems.iter().any(|p| p.line == line), "{problems:?}");

    let unknown = hydrated.replace("begin goals", "begin golas");
    let problems = hydrate::hydrate(Some(&unknown), &docs).unwrap_err();
    assert!(
        problems
            .iter()
            .any(|p| p.message.contains("unknown hydrated part `golas`"))
    );

    let twice = format!(
        "{hydrated}\n<!-- mesh:hydrate:begin goals sha256=00 -->\n<!-- mesh:hydrate:end goals -->\n"
    );
    assert!(
        hydrate::hydrate(Some(&twice), &docs)
            .unwrap_err()
            .iter()
            .any(|p| p.message.contains("appears twice"))
    );

    // In a closed code fence a marker is an example, not a marker.
    let fenced = format!("{hydrated}\n```text\n<!-- mesh:hydrate:begin goals sha256=00 -->\n```\n");
    assert_eq!(hydrate::hydrate(Some(&fenced), &docs).unwrap().text, fenced);
}

#[test]
fn missing_sections_are_added_in_template_order() {
    let (docs, _) = load(&fixture_docs("projects", "bookshop-gen15"));
    let hand = "# Active Spec: Marginalia\n\n## Current Batch Focus\n- Mode: DELIVERY\n\n## Notes\nKeep the till flow fast.\n";
    let out = hydrate::hydrate(Some(hand), &docs).unwrap().text;
    assert!(
        out.starts_with("# Active Spec: Marginalia\n\n## Current Batch Focus\n- Mode: DELIVERY\n")
    );
    assert!(out.contains("## Notes\nKeep the till flow fast.\n"));
    let heads: Vec<&str> = out.lines().filter(|l| l.starts_with('#')).collect();
    assert_eq!(
        heads,
        [
            "# Active Spec: Marginalia",
            "## Current Batch Focus",
            "## Notes",
            "## Core Objective",
            "## In Scope",
            "### Goals (from PRD)",
            "### User Stories (from PRD)",
            "## Non-Functional Requirements",
            "## Technical Constraints (from SPEC)",
            "## Interfaces (from SPEC)",
            "## Out of Scope (from PRD)",
            "## Open Questions (from PRD)",
            "## Active Decisions (from DECISION_LOG)",
            "## Provenance",
        ]
    );
    assert_eq!(hydrate::hydrate(Some(&out), &docs).unwrap().text, out);

    // Only some sections present: the rest go next to their neighbours.
    let partial = "# A\n\n## Core Objective\nShip it.\n\n---\n\n## Technical Constraints (from SPEC)\n- Database: PostgreSQL 16\n\n---\n\n## Acceptance Criteria (Execution Gate)\n- tests pass\n";
    let out = hydrate::hydrate(Some(partial), &docs).unwrap().text;
    let heads: Vec<&str> = out.lines().filter(|l| l.starts_with('#')).collect();
    assert_eq!(
        heads,
        [
            "# A",
            "## Core Objective",
            "## In Scope",
            "### Goals (from PRD)",
            "### User Stories (from PRD)",
            "## Non-Functional Requirements",
            "## Technical Constraints (from SPEC)",
            "## Interfaces (from SPEC)",
            "## Out of Scope (from PRD)",
            "## Open Questions (from PRD)",
            "## Active Decisions (from DECISION_LOG)",
            "## Acceptance Criteria (Execution Gate)",
            "## Provenance",
        ]
    );
    assert!(out.contains("Ship it.") && out.contains("- tests pass"));
    assert!(!out.contains("\n\n\n"), "no runs of blank lines:\n{out}");
    assert_eq!(hydrate::hydrate(Some(&out), &docs).unwrap().text, out);
}

/// Lines that exercise the hydrator: derived headings, template lines, lines it reproduces,
/// markers (well-formed or not), fences, comments and arbitrary text.
fn line() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("# Active Spec: X".to_string()),
        Just("## Core Objective".to_string()),
        Just("## In Scope".to_string()),
        Just("### Goals (from PRD)".to_string()),
        Just("### User Stories (from PRD)".to_string()),
        Just("## Non-Functional Requirements".to_string()),
        Just("## Technical Constraints (from SPEC)".to_string()),
        Just("## Interfaces (from SPEC)".to_string()),
        Just("## Out of Scope (from PRD)".to_string()),
        Just("## Provenance".to_string()),
        Just("## LLM Prompt".to_string()),
        Just("## Notes".to_string()),
        Just("- Database: PostgreSQL 16".to_string()),
        Just("- Database: [Postgres | SQLite | etc.]".to_string()),
        Just("- [ ] G1: {{Goal}} | **Success:** {{Measurable target}}".to_string()),
        Just("- [ ] G1: Sell online from existing branch stock | **Success:** 12% of monthly revenue from online orders by month 6".to_string()),
        Just("  - **Acceptance:** x".to_string()),
        Just("**Endpoints**:".to_string()),
        Just("| Requirement | Target | Notes |".to_string()),
        Just("|---|---|---|".to_string()),
        Just("---".to_string()),
        Just(String::new()),
        Just("```".to_string()),
        Just("<!--".to_string()),
        Just("-->".to_string()),
        Just("<!-- mesh:hydrate:begin goals sha256=00 -->".to_string()),
        Just("<!-- mesh:hydrate:end goals -->".to_string()),
        Just("<!-- mesh:hydrate:begin provenance -->".to_string()),
        Just("<!-- mesh:hydrate:end provenance -->".to_string()),
        Just("*Template version: 15.0*".to_string()),
        Just("\u{feff}".to_string()),
        Just("\t- tabbed".to_string()),
        "[^\n]{0,30}",
        any::<String>(),
    ]
}

fn text() -> impl Strategy<Value = String> {
    (
        prop::collection::vec(line(), 0..40),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(lines, crlf, end)| {
            let mut t = lines.join(if crlf { "\r\n" } else { "\n" });
            if end {
                t.push('\n');
            }
            t
        })
}

fn fixture_docs_once() -> &'static DocSet {
    static DOCS: std::sync::OnceLock<DocSet> = std::sync::OnceLock::new();
    DOCS.get_or_init(|| load(&fixture_docs("projects", "bookshop-gen15")).0)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn never_panics_and_is_idempotent(active in text()) {
        let docs = fixture_docs_once();
        let scan = hydrate::scan(&active);
        match hydrate::hydrate(Some(&active), docs) {
            Ok(first) => {
                prop_assert!(scan.problems.is_empty());
                let second = hydrate::hydrate(Some(&first.text), docs);
                prop_assert!(second.is_ok(), "second run failed: {:?}", second.err());
                let second = second.unwrap();
                prop_assert_eq!(&second.text, &first.text);
                prop_assert!(!second.changed);
                if scan.regions.is_empty() {
                    let g = hydrate::generate(docs);
                    assert_no_line_lost(&active, &first.text, &g);
                }
            }
            Err(problems) => prop_assert!(!problems.is_empty() && problems == scan.problems),
        }
    }

    #[test]
    fn arbitrary_sources_never_panic(prd in text(), spec in text(), log in text(), active in text()) {
        let docs = DocSet::new(vec![
            Document::parse(DocKind::Prd, "PRD.md", prd),
            Document::parse(DocKind::Spec, "SPEC.md", spec),
            Document::parse(DocKind::DecisionLog, "DECISION_LOG.md", log),
        ]);
        let g = hydrate::generate(&docs);
        for (_, body) in &g.bodies {
            prop_assert!(!body.lines().any(|l| l.trim_start().starts_with("<!--") && l.contains("mesh:hydrate:")));
        }
        if let Ok(first) = hydrate::hydrate(Some(&active), &docs) {
            let second = hydrate::hydrate(Some(&first.text), &docs).unwrap();
            prop_assert_eq!(second.text, first.text);
        }
        let created = hydrate::hydrate(None, &docs).unwrap();
        prop_assert_eq!(hydrate::hydrate(Some(&created.text), &docs).unwrap().text, created.text);
    }
}
