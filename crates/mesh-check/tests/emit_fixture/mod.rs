//! A fixed set of diagnostics (and the files they point into) shared by the emitter tests.
//! It covers: a plain error with a range and help, unicode columns, related locations, a
//! whole-file finding, a message with newlines, commas and percent signs, an info without
//! help, a path that needs escaping, a monorepo root, a code missing from the rule list and a
//! location whose source is not available.

#![allow(dead_code)]

use std::collections::BTreeMap;

use mesh_check::diagnostic::{Diagnostic, Location, Severity};
use mesh_check::emit::RuleDescriptor;

pub const SPEC: &str = "# SPEC\n\n**Author**: {{AUTHOR}} | **Date**: 2024-05-01\n\n## Hydration Contract (for ACTIVE_SPEC)\n- Database: PostgreSQL 16\n";
pub const ACTIVE: &str = "# ACTIVE_SPEC\n\n- Database: SQLite\n";
pub const PRD: &str = "# PRD\n\nÜnïcødé 名前 — {{DATE}} ✅\n";
pub const LOG: &str = "| ID | Date | Decision | Status |\n|---|---|---|---|\n| 007 | 2024-05-02 | use 50% less, more | ✅ |\n";
pub const ODD: &str = "\tTODO: write this\n";

/// File texts keyed by the path used in the diagnostics (INBOX.md is deliberately missing).
pub fn sources() -> BTreeMap<String, String> {
    [
        ("docs/SPEC.md", SPEC),
        ("docs/ACTIVE_SPEC.md", ACTIVE),
        ("docs/PRD.md", PRD),
        ("docs/DECISION_LOG.md", LOG),
        ("docs/my notes, v2:draft%.md", ODD),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

fn span(file: &str, line: u32, column: u32, end_column: u32) -> Location {
    let mut l = Location::new(file, line, column);
    l.end_line = Some(line);
    l.end_column = Some(end_column);
    l
}

/// The diagnostics, deliberately out of output order.
pub fn diagnostics() -> Vec<Diagnostic> {
    let mut with_root = Diagnostic::new(
        "DOC001",
        Severity::Warning,
        Location::file("services/billing/docs/INBOX.md"),
        "INBOX.md is still a template stub",
    )
    .with_help("fill it in, or remove the first line `<!-- ATOMIC_MESH_TEMPLATE_STUB -->`");
    with_root.root = Some("services/billing/docs".to_string());

    vec![
        // Related locations; a multi-line range on the related side.
        Diagnostic::new(
            "HYD001",
            Severity::Error,
            span("docs/ACTIVE_SPEC.md", 3, 3, 19),
            "ACTIVE_SPEC says `Database: SQLite`, SPEC says `Database: PostgreSQL 16`",
        )
        .with_help("SPEC wins: run `mesh hydrate` or change SPEC through a decision")
        .with_related(span("docs/SPEC.md", 6, 3, 26), "SPEC declares the database here"),
        // Unicode columns: {{DATE}} is at character 14 after wide and accented characters.
        Diagnostic::new(
            "DOC002",
            Severity::Error,
            span("docs/PRD.md", 3, 14, 22),
            "unfilled placeholder {{DATE}}",
        )
        .with_help("replace {{DATE}} with the date"),
        // A plain range with help.
        Diagnostic::new(
            "DOC002",
            Severity::Error,
            span("docs/SPEC.md", 3, 13, 23),
            "unfilled placeholder {{AUTHOR}}",
        )
        .with_help("replace {{AUTHOR}} with the author's name"),
        // Newlines, commas, percent signs and colons in message and help.
        Diagnostic::new(
            "DEC002",
            Severity::Warning,
            span("docs/DECISION_LOG.md", 3, 1, 46),
            "decision row 007 was edited in place: 50% of its cells changed,\nincluding Decision",
        )
        .with_help("never edit a row: add a new row and set this one's status to 🔄\nsee: the Change Policy, §2"),
        // A whole-file finding whose source text is not available, in a monorepo root.
        with_root,
        // An info without help on a path that needs escaping; a code not in the rule list.
        Diagnostic::new(
            "PLN001",
            Severity::Info,
            Location::new("docs/my notes, v2:draft%.md", 1, 2),
            "TODO: marker left in the document",
        ),
    ]
}

pub fn rules() -> Vec<RuleDescriptor> {
    vec![
        RuleDescriptor {
            code: "DOC001",
            name: "template-stub",
            summary: "A document is still an unfilled template stub.",
            explanation: "The first line `<!-- ATOMIC_MESH_TEMPLATE_STUB -->` marks a file that was scaffolded and not declared filled.\n\nFill the document in and remove the marker.",
            default_severity: Severity::Error,
        },
        RuleDescriptor {
            code: "DOC002",
            name: "unfilled-placeholder",
            summary: "A `{{NAME}}` placeholder is still in the document.",
            explanation: "Placeholders such as `{{PROJECT_NAME}}` mark content still to write.",
            default_severity: Severity::Error,
        },
        RuleDescriptor {
            code: "HYD001",
            name: "active-spec-contradicts-spec",
            summary: "ACTIVE_SPEC contradicts SPEC.",
            explanation: "",
            default_severity: Severity::Error,
        },
        RuleDescriptor {
            code: "DEC002",
            name: "decision-row-edited",
            summary: "A decision-log row was edited instead of superseded.",
            explanation: "The decision log is append-only.",
            default_severity: Severity::Warning,
        },
    ]
}
