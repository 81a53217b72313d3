//! `mesh hydrate` on every fixture document set: adoption keeps every human line, a second run
//! changes nothing, and the generated Markdown and JSON are pinned by snapshots.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod hydrate_common;

use hydrate_common::*;
use mesh_docs::hydrate::{self, RegionId};

const PROJECTS: [&str; 9] = [
    "bookshop-gen15",
    "telemetry-gen16",
    "prose-payments",
    "cli-tool",
    "legacy-8col",
    "legacy-5col",
    "unfilled-gen15",
    "unfilled-gen16",
    "partially-filled",
];

#[test]
fn every_fixture_hydrates_idempotently_without_losing_a_line() {
    for name in PROJECTS {
        let (docs, before, after) = hydrate_fixture("projects", name);
        let generated = hydrate::generate(&docs);
        let scan = hydrate::scan(&after);
        assert!(scan.problems.is_empty(), "{name}: {:?}", scan.problems);
        let ids: Vec<RegionId> = scan.regions.iter().map(|r| r.id).collect();
        assert_eq!(
            ids,
            RegionId::ALL.to_vec(),
            "{name}: every part once, in document order"
        );
        for r in &scan.regions {
            assert!(!r.edited(), "{name}: {} recorded hash", r.id);
            assert_eq!(r.body, generated.body(r.id), "{name}: {} body", r.id);
        }
        match before {
            Some(before) => assert_no_line_lost(&before, &after, &generated),
            None => assert!(
                after.contains("## Current Batch Focus"),
                "{name}: created from the template"
            ),
        }
    }
}

#[test]
fn the_old_hydrators_file_is_adopted_and_its_duplicates_go() {
    let (docs, before, after) = hydrate_fixture("hydrate", "old-hydrator");
    let before = before.unwrap();
    let generated = hydrate::generate(&docs);
    assert_no_line_lost(&before, &after, &generated);
    // Its mistakes stay, outside the markers, for HYD003 to point at…
    let scan = hydrate::scan(&after);
    let outside = |needle: &str| {
        after
            .lines()
            .enumerate()
            .any(|(i, l)| l.contains(needle) && !scan.contains_line(i as u32 + 1))
    };
    assert!(outside("- Database: [Postgres"));
    assert!(outside("`DELETE /api/bookings/{id}`"));
    assert!(outside(
        "- Hydrated: 2025-09-14T10:22:31Z by hydrate_active_spec.py"
    ));
    // …except the relationship it repeated under Entities: hydration writes it once.
    assert_eq!(after.matches("- [ ] Route → Sailing: 1:N").count(), 1);
    insta::assert_snapshot!("old_hydrator_active_spec", after);
}

#[test]
fn snapshots_of_the_hydrated_markdown() {
    for name in ["bookshop-gen15", "telemetry-gen16", "prose-payments"] {
        let (_, _, after) = hydrate_fixture("projects", name);
        insta::assert_snapshot!(format!("{name}_active_spec"), after);
    }
}

#[test]
fn snapshot_of_the_json() {
    let (docs, _) = load(&fixture_docs("projects", "bookshop-gen15"));
    insta::assert_json_snapshot!("bookshop_gen15_snapshot", hydrate::snapshot(&docs));
}

#[test]
fn a_missing_active_spec_is_created_from_the_templates_structure() {
    let (docs, before, after) = hydrate_fixture("projects", "legacy-8col");
    assert!(before.is_none());
    let h = hydrate::hydrate(None, &docs).unwrap();
    assert!(h.created && h.changed);
    assert!(
        after
            .starts_with("<!-- ATOMIC_MESH_TEMPLATE_STUB -->\n# Active Spec: Brightside Booking\n")
    );
    for human in [
        "## Current Batch Focus",
        "## Acceptance Criteria (Execution Gate)",
        "*Template version: 15.0*",
    ] {
        assert!(after.contains(human), "{human}");
    }
    // Generation 16 sources get the generation-16 layout.
    let (_, _, g16) = hydrate_fixture("projects", "telemetry-gen16");
    assert!(g16.contains("## Plan & Tasks"));
    let (docs, _) = load(&fixture_docs("projects", "telemetry-gen16"));
    let created = hydrate::hydrate(None, &docs).unwrap().text;
    assert!(created.contains("## LLM Prompt") && created.contains("## Experiments"));
}
