//! Shared helpers for the hydration tests: load a fixture's documents as `mesh hydrate` does.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use mesh_docs::{DocKind, DocSet, Document};

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The `docs/` folder of a fixture under `tests/fixtures/<group>/<name>`.
pub fn fixture_docs(group: &str, name: &str) -> PathBuf {
    repo_root()
        .join("tests/fixtures")
        .join(group)
        .join(name)
        .join("docs")
}

/// Every document of `dir` except ACTIVE_SPEC, plus the ACTIVE_SPEC text (if any).
pub fn load(dir: &Path) -> (DocSet, Option<String>) {
    let mut docs = Vec::new();
    let mut active = None;
    for kind in DocKind::ALL {
        let Ok(text) = std::fs::read_to_string(dir.join(kind.file_name())) else {
            continue;
        };
        if kind == DocKind::ActiveSpec {
            active = Some(text);
        } else {
            docs.push(Document::parse(kind, kind.file_name(), text));
        }
    }
    (DocSet::new(docs), active)
}

/// Non-blank lines of `text`, trimmed, as a sorted multiset.
pub fn line_multiset(text: &str) -> Vec<String> {
    let mut v: Vec<String> = text
        .lines()
        .map(|l| l.trim_start_matches('\u{feff}').trim().to_string())
        .filter(|l| !l.is_empty())
        .collect();
    v.sort();
    v
}

/// Whether every line of `before` (as a multiset, except `dropped`) is still in `after`.
pub fn missing_lines(before: &str, after: &str, dropped: impl Fn(&str) -> bool) -> Vec<String> {
    let mut after = line_multiset(after);
    let mut missing = Vec::new();
    for l in line_multiset(before) {
        if dropped(&l) {
            continue;
        }
        match after.binary_search(&l) {
            Ok(i) => {
                after.remove(i);
            }
            Err(_) => missing.push(l),
        }
    }
    missing
}

/// Hydrate a fixture's ACTIVE_SPEC (or create one), asserting the second run changes nothing.
pub fn hydrate_fixture(group: &str, name: &str) -> (DocSet, Option<String>, String) {
    let (docs, active) = load(&fixture_docs(group, name));
    let first = mesh_docs::hydrate::hydrate(active.as_deref(), &docs).expect("hydrate");
    let second = mesh_docs::hydrate::hydrate(Some(&first.text), &docs).expect("hydrate again");
    assert_eq!(
        first.text, second.text,
        "{group}/{name}: a second run changed the file"
    );
    assert!(!second.changed && !second.created);
    (docs, active, first.text)
}

/// Lines of both ACTIVE_SPEC templates (trimmed), the only lines adoption may replace besides
/// the ones it reproduces.
pub fn is_template_line(line: &str) -> bool {
    use mesh_docs::templates::{Generation, raw};
    [Generation::G15, Generation::G16].iter().any(|g| {
        raw(DocKind::ActiveSpec, *g).lines().any(|t| {
            let t = t.trim();
            !t.is_empty() && !t.starts_with('#') && !t.starts_with("*Template version") && t == line
        })
    })
}

/// The adoption guarantee: every non-blank line of `before` is still in `after`, and keeps its
/// count unless hydration reproduces it (a duplicate the old hydrator wrote is written once) or
/// it is a template placeholder line.
pub fn assert_no_line_lost(before: &str, after: &str, generated: &mesh_docs::hydrate::Generated) {
    const LABEL: &str = "**Product objective (PRD):** ";
    let mut reproduced: std::collections::HashSet<&str> = generated
        .bodies
        .iter()
        .flat_map(|(_, b)| b.split('\n'))
        .map(str::trim)
        .collect();
    // The objective is written with a label; the same text without it counts as reproduced.
    reproduced.extend(
        generated
            .body(mesh_docs::hydrate::RegionId::CoreObjective)
            .lines()
            .filter_map(|l| l.strip_prefix(LABEL)),
    );
    let after_set: std::collections::HashSet<String> = line_multiset(after).into_iter().collect();
    for l in line_multiset(before) {
        let present = after_set.contains(&l) || after_set.contains(&format!("{LABEL}{l}"));
        assert!(present || is_template_line(&l), "line lost: {l:?}");
    }
    let missing = missing_lines(before, after, |l| {
        reproduced.contains(l) || is_template_line(l)
    });
    assert!(missing.is_empty(), "lines lost (counted): {missing:#?}");
}
