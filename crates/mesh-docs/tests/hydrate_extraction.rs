//! Extraction is exact: values as written, unfilled shown as unfilled, endpoints from bullets and
//! tables, entities kept apart from relationships, IDs and acceptance lines kept, non-functional
//! targets from PRD and SPEC, and no placeholder ever reaches the output.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod hydrate_common;

use hydrate_common::*;
use mesh_docs::hydrate::{self, RegionId};
use mesh_docs::prd::Priority;
use mesh_docs::{DocKind, DocSet, Document};

fn set(docs: &[(DocKind, &str)]) -> DocSet {
    DocSet::new(
        docs.iter()
            .map(|(k, t)| Document::parse(*k, k.file_name(), *t))
            .collect(),
    )
}

#[test]
fn contract_values_as_written_and_unfilled_as_unfilled() {
    let docs = set(&[(
        DocKind::Spec,
        "## Hydration Contract (for ACTIVE_SPEC)\n- Database: PostgreSQL 16\n- Auth: [JWT | session | OAuth2 | etc.]\n- API Style: REST\n- Conventions:\n  - Testing: `cargo nextest`\n",
    )]);
    let g = hydrate::generate(&docs);
    let c = &g.snapshot.constraints;
    assert_eq!(c.database.as_deref(), Some("PostgreSQL 16"));
    assert_eq!(c.auth, None, "an option list is not a value");
    assert_eq!(c.runtime, None, "a missing field is unfilled");
    assert_eq!(c.testing.as_deref(), Some("cargo nextest"));
    let body = g.body(RegionId::TechnicalConstraints);
    assert!(body.contains("- Database: PostgreSQL 16\n"));
    assert!(body.contains("- Auth: _unfilled in SPEC.md (Hydration Contract)_"));
    assert!(body.contains("- Deployment/Runtime: _unfilled (no `Runtime/Deploy:` field"));
    assert!(
        body.contains("- Testing: `cargo nextest`"),
        "Markdown keeps the value as written"
    );
    assert!(!body.contains("[Postgres") && !body.contains("[JWT"));
}

#[test]
fn endpoints_from_bullets_and_from_tables() {
    let (docs, _) = load(&fixture_docs("projects", "bookshop-gen15"));
    let s = hydrate::snapshot(&docs);
    assert_eq!(s.endpoints.len(), 8);
    assert_eq!(
        (s.endpoints[1].method.as_str(), s.endpoints[1].path.as_str()),
        ("GET", "/api/books/{isbn13}")
    );

    let (docs, _) = load(&fixture_docs("projects", "prose-payments"));
    let g = hydrate::generate(&docs);
    assert_eq!(
        g.snapshot.endpoints.len(),
        7,
        "from the | Method | Path | Purpose | table"
    );
    assert_eq!(g.snapshot.endpoints[6].path, "/internal/payout-runs");
    assert!(
        g.body(RegionId::Interfaces)
            .contains("- `POST /internal/payout-runs` - Start a payout run")
    );
}

#[test]
fn entities_and_relationships_are_kept_apart() {
    for name in [
        "bookshop-gen15",
        "telemetry-gen16",
        "prose-payments",
        "cli-tool",
    ] {
        let (docs, _) = load(&fixture_docs("projects", name));
        let s = hydrate::snapshot(&docs);
        assert!(
            !s.entities.is_empty() && !s.relationships.is_empty(),
            "{name}"
        );
        for e in &s.entities {
            assert!(
                !e.name.contains('→') && !e.name.contains("->"),
                "{name}: relationship listed as entity: {}",
                e.name
            );
        }
        let names: Vec<&str> = s.entities.iter().map(|e| e.name.as_str()).collect();
        for r in &s.relationships {
            assert!(
                names.contains(&r.from.as_str()) && names.contains(&r.to.as_str()),
                "{name}: {r:?}"
            );
        }
    }
    let (docs, _) = load(&fixture_docs("projects", "prose-payments"));
    let s = hydrate::snapshot(&docs);
    let seller = s.entities.iter().find(|e| e.name == "Seller").unwrap();
    assert_eq!(
        seller.fields,
        [
            "seller_id",
            "legal_name",
            "country",
            "payout_schedule",
            "hold_until"
        ]
    );
    assert_eq!(s.relationships[0].cardinality.as_deref(), Some("1:N"));
}

#[test]
fn goals_and_stories_keep_ids_and_acceptance_lines() {
    let (docs, _) = load(&fixture_docs("projects", "prose-payments"));
    let g = hydrate::generate(&docs);
    let ids: Vec<_> = g
        .snapshot
        .goals
        .iter()
        .map(|x| x.id.clone().unwrap())
        .collect();
    assert_eq!(
        ids,
        ["G1", "G2", "G3"],
        "personas nested under Goals are not goals"
    );
    let us1 = &g.snapshot.stories[0];
    assert_eq!(us1.id.as_deref(), Some("US1"));
    assert!(
        us1.acceptance
            .as_deref()
            .unwrap()
            .starts_with("the breakdown on the balance page")
    );
    assert_eq!(g.snapshot.stories[4].priority, Priority::Should);
    // A tab-indented continuation line becomes the template's acceptance line.
    assert!(g.body(RegionId::UserStories).contains(
        "  - **Acceptance:** the breakdown on the balance page adds up to the balance to the cent"
    ));
    assert!(
        g.body(RegionId::UserStories)
            .ends_with("Later, not in this scope: US5 (should have), US6 (nice to have).")
    );

    let (docs, _) = load(&fixture_docs("projects", "telemetry-gen16"));
    let s = hydrate::snapshot(&docs);
    assert!(
        s.goals[0]
            .measure
            .as_deref()
            .unwrap()
            .contains("ingest_lag_seconds")
    );
    assert_eq!(
        s.open_questions.len(),
        1,
        "answered ([x]) questions are not open"
    );
}

#[test]
fn non_functional_targets_from_prd_and_spec() {
    let (docs, _) = load(&fixture_docs("projects", "telemetry-gen16"));
    let s = hydrate::snapshot(&docs);
    let find = |r: &str| {
        s.non_functional
            .iter()
            .find(|x| x.requirement == r)
            .unwrap_or_else(|| panic!("{r}"))
    };
    assert_eq!(find("Gearbox stops with 48 h warning").target, "70%");
    assert!(
        find("Gearbox stops with 48 h warning")
            .notes
            .contains("baseline 15%")
    );
    assert!(find("Performance").target.starts_with("1,200 turbines"));
    assert!(find("Latency budget").notes.contains("SPEC.md"));
    assert!(
        !s.non_functional
            .iter()
            .any(|x| x.requirement.contains("ASSUMPTION")),
        "tokens are not targets"
    );

    let (docs, _) = load(&fixture_docs("projects", "prose-payments"));
    let s = hydrate::snapshot(&docs);
    assert_eq!(
        s.non_functional[0].requirement, "Manual hours per weekly run",
        "metrics from a table"
    );
    assert_eq!(s.non_functional[0].target, "under 30 min (exceptions only)");
}

#[test]
fn decisions_are_the_active_ones_only() {
    let (docs, _) = load(&fixture_docs("projects", "bookshop-gen15"));
    let s = hydrate::snapshot(&docs);
    let ids: Vec<&str> = s.decisions.iter().map(|d| d.id.as_str()).collect();
    assert_eq!(
        ids,
        ["002", "003", "004", "006", "007", "008"],
        "no INIT row, no superseded 005"
    );
    assert_eq!(s.decisions[1].kind.as_deref(), Some("DATA"));
}

#[test]
fn placeholders_never_leak() {
    for name in [
        "unfilled-gen15",
        "unfilled-gen16",
        "partially-filled",
        "telemetry-gen16",
    ] {
        let (docs, _) = load(&fixture_docs("projects", name));
        let g = hydrate::generate(&docs);
        for (id, body) in &g.bodies {
            for line in body.lines() {
                assert!(!mesh_docs::inline::is_unfilled(line), "{name}/{id}: {line}");
                assert!(!line.contains("{{"), "{name}/{id}: {line}");
            }
        }
        let json = serde_json_free(&g.snapshot);
        assert!(
            !json.contains("{{") && !json.contains(" | etc."),
            "{name}: {json}"
        );
    }
}

/// The snapshot's Debug text (no serde_json in this crate's dependencies).
fn serde_json_free(s: &hydrate::Snapshot) -> String {
    format!("{s:?}")
}

#[test]
fn provenance_is_the_hash_of_each_source_and_nothing_else() {
    let (docs, _) = load(&fixture_docs("projects", "bookshop-gen15"));
    let s = hydrate::snapshot(&docs);
    let paths: Vec<&str> = s.provenance.iter().map(|p| p.path.as_str()).collect();
    assert_eq!(paths, ["PRD.md", "SPEC.md", "DECISION_LOG.md"]);
    let spec = docs.get(DocKind::Spec).unwrap();
    assert_eq!(
        s.provenance[1].sha256.as_deref(),
        Some(hydrate::source_hash(&spec.text).as_str())
    );
    // CRLF and a byte-order mark do not change the hash.
    let crlf = format!("\u{feff}{}", spec.text.replace('\n', "\r\n"));
    assert_eq!(
        hydrate::source_hash(&crlf),
        hydrate::source_hash(&spec.text)
    );
    // A missing source is named, without a hash.
    let only_prd = set(&[(DocKind::Prd, "# P\n")]);
    let p = hydrate::snapshot(&only_prd).provenance;
    assert_eq!(p[1].sha256, None);
    assert!(
        hydrate::generate(&only_prd)
            .body(RegionId::Provenance)
            .contains("- `SPEC.md` missing")
    );
}
