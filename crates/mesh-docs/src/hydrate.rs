//! Hydration: the derived parts of ACTIVE_SPEC.md, computed from PRD + SPEC + DECISION_LOG.
//!
//! Pure: documents in, text and data out. Nothing here reads a clock or a file, so the same
//! documents always give the same bytes.
//!
//! # The hydrated parts
//!
//! Each derived part ([`RegionId`]) sits between two one-line HTML comments:
//!
//! ```text
//! <!-- mesh:hydrate:begin technical-constraints sha256=<64 hex digits> -->
//! - Database: PostgreSQL 16
//! <!-- mesh:hydrate:end technical-constraints -->
//! ```
//!
//! The hash is the SHA-256 of the lines between the markers (joined with `\n`, without the
//! markers). It lets a check tell a stale part (the body still has its recorded hash, but the
//! sources now give another body) from a hand edit inside a part (the body no longer has its
//! recorded hash; the next hydration will overwrite it).
//!
//! Everything outside the markers is the humans' and is never changed, byte for byte. A file
//! without markers (written by hand, by `mesh init`, or by the original system's hydrator) is
//! *adopted*: in each section that holds a derived part, the blocks the hydrator can reproduce
//! exactly (and the template's own placeholder lines) are replaced by the marked part; every
//! other line is kept, outside the markers. Sections that are missing are added.
//!
//! Line endings (LF or CRLF) and a byte-order mark are kept.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write as _;
use std::ops::Range;
use std::sync::OnceLock;

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::decision::{DecisionLog, Status};
use crate::docset::DocSet;
use crate::document::{DocKind, Document, labeled_items, leading_id};
use crate::inline;
use crate::markdown::{Block, ListItem, Markdown, Span, Table, key_value};
use crate::prd::Priority;
use crate::templates::{self, Generation, Values};

/// Version of the JSON snapshot ([`Snapshot`]).
pub const SCHEMA_VERSION: u32 = 1;

const BEGIN: &str = "mesh:hydrate:begin";
const END: &str = "mesh:hydrate:end";
const MARKER_NS: &str = "mesh:hydrate:";

/// A derived part of ACTIVE_SPEC.md, in document order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RegionId {
    CoreObjective,
    Goals,
    UserStories,
    NonFunctionalRequirements,
    TechnicalConstraints,
    Interfaces,
    OutOfScope,
    OpenQuestions,
    ActiveDecisions,
    Provenance,
}

impl RegionId {
    pub const ALL: [RegionId; 10] = [
        RegionId::CoreObjective,
        RegionId::Goals,
        RegionId::UserStories,
        RegionId::NonFunctionalRequirements,
        RegionId::TechnicalConstraints,
        RegionId::Interfaces,
        RegionId::OutOfScope,
        RegionId::OpenQuestions,
        RegionId::ActiveDecisions,
        RegionId::Provenance,
    ];

    /// The name used in the markers.
    pub fn as_str(self) -> &'static str {
        match self {
            RegionId::CoreObjective => "core-objective",
            RegionId::Goals => "goals",
            RegionId::UserStories => "user-stories",
            RegionId::NonFunctionalRequirements => "non-functional-requirements",
            RegionId::TechnicalConstraints => "technical-constraints",
            RegionId::Interfaces => "interfaces",
            RegionId::OutOfScope => "out-of-scope",
            RegionId::OpenQuestions => "open-questions",
            RegionId::ActiveDecisions => "active-decisions",
            RegionId::Provenance => "provenance",
        }
    }

    pub fn parse(s: &str) -> Option<RegionId> {
        RegionId::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// Heading level and title used when the section has to be added.
    pub fn heading(self) -> (u8, &'static str) {
        match self {
            RegionId::CoreObjective => (2, "Core Objective"),
            RegionId::Goals => (3, "Goals (from PRD)"),
            RegionId::UserStories => (3, "User Stories (from PRD)"),
            RegionId::NonFunctionalRequirements => (2, "Non-Functional Requirements"),
            RegionId::TechnicalConstraints => (2, "Technical Constraints (from SPEC)"),
            RegionId::Interfaces => (2, "Interfaces (from SPEC)"),
            RegionId::OutOfScope => (2, "Out of Scope (from PRD)"),
            RegionId::OpenQuestions => (2, "Open Questions (from PRD)"),
            RegionId::ActiveDecisions => (2, "Active Decisions (from DECISION_LOG)"),
            RegionId::Provenance => (2, "Provenance"),
        }
    }

    /// Whether a (normalised) heading is this part's section.
    pub fn matches_title(self, t: &str) -> bool {
        match self {
            RegionId::CoreObjective => t.starts_with("core objective"),
            RegionId::Goals => t.starts_with("goals"),
            RegionId::UserStories => t.starts_with("user stories"),
            RegionId::NonFunctionalRequirements => {
                t.starts_with("non-functional")
                    || t.starts_with("non functional")
                    || t.starts_with("nfr")
            }
            RegionId::TechnicalConstraints => t.starts_with("technical constraints"),
            RegionId::Interfaces => t.starts_with("interfaces"),
            RegionId::OutOfScope => t.starts_with("out of scope"),
            RegionId::OpenQuestions => t.starts_with("open questions"),
            RegionId::ActiveDecisions => t.starts_with("active decisions"),
            RegionId::Provenance => t.starts_with("provenance"),
        }
    }

    /// The documents this part is computed from.
    pub fn sources(self) -> &'static [DocKind] {
        match self {
            RegionId::CoreObjective
            | RegionId::Goals
            | RegionId::UserStories
            | RegionId::OutOfScope
            | RegionId::OpenQuestions => &[DocKind::Prd],
            RegionId::NonFunctionalRequirements => &[DocKind::Prd, DocKind::Spec],
            RegionId::TechnicalConstraints | RegionId::Interfaces => &[DocKind::Spec],
            RegionId::ActiveDecisions => &[DocKind::DecisionLog],
            RegionId::Provenance => &[DocKind::Prd, DocKind::Spec, DocKind::DecisionLog],
        }
    }

    /// Whether adoption replaces the template's placeholder lines in this section. The Core
    /// Objective's placeholder asks for the batch's own objective, which stays the humans' job.
    fn replaces_scaffold(self) -> bool {
        self != RegionId::CoreObjective
    }
}

impl std::fmt::Display for RegionId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

// ---------------------------------------------------------------------------------------------
// The snapshot (JSON)
// ---------------------------------------------------------------------------------------------

/// The Hydration Contract values as written; `None` while unfilled or missing.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Constraints {
    pub database: Option<String>,
    pub auth: Option<String>,
    pub api_style: Option<String>,
    pub runtime: Option<String>,
    pub error_format: Option<String>,
    pub logging: Option<String>,
    pub testing: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GoalOut {
    pub id: Option<String>,
    pub text: String,
    pub success: Option<String>,
    pub measure: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoryOut {
    pub id: Option<String>,
    pub text: String,
    pub acceptance: Option<String>,
    pub priority: Priority,
}

/// A non-functional target (PRD success metrics and constraints, SPEC performance).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RequirementOut {
    pub requirement: String,
    pub target: String,
    /// Where it comes from, and the baseline for a metric.
    pub notes: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EndpointOut {
    pub method: String,
    pub path: String,
    pub summary: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EntityOut {
    pub name: String,
    pub fields: Vec<String>,
    pub description: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RelationshipOut {
    pub from: String,
    pub to: String,
    pub cardinality: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DecisionOut {
    pub id: String,
    pub date: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub decision: String,
    pub scope: Option<String>,
}

/// A source document and the SHA-256 of its text (LF line endings, no byte-order mark);
/// `sha256` is `None` when the document is missing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SourceOut {
    pub path: String,
    pub sha256: Option<String>,
}

/// The hydrated snapshot as data (`mesh hydrate --format json`). Keys keep this order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Snapshot {
    pub schema_version: u32,
    pub constraints: Constraints,
    pub objective: Option<String>,
    pub goals: Vec<GoalOut>,
    pub stories: Vec<StoryOut>,
    pub non_functional: Vec<RequirementOut>,
    pub endpoints: Vec<EndpointOut>,
    pub entities: Vec<EntityOut>,
    pub relationships: Vec<RelationshipOut>,
    pub out_of_scope: Vec<String>,
    pub open_questions: Vec<String>,
    /// Active decisions only (no superseded, reverted or proposed rows, no INIT row).
    pub decisions: Vec<DecisionOut>,
    pub provenance: Vec<SourceOut>,
}

/// Everything hydration derives from one document set.
#[derive(Debug, Clone)]
pub struct Generated {
    pub snapshot: Snapshot,
    /// The body of each part (lines joined with `\n`, no trailing newline), in document order.
    pub bodies: Vec<(RegionId, String)>,
}

impl Generated {
    pub fn body(&self, id: RegionId) -> &str {
        self.bodies
            .iter()
            .find(|(r, _)| *r == id)
            .map(|(_, b)| b.as_str())
            .unwrap_or("")
    }
}

/// SHA-256 (lower-case hex) of a part's body.
pub fn body_hash(body: &str) -> String {
    hex(&Sha256::digest(body.as_bytes()))
}

/// SHA-256 of a source text with LF line endings and without a byte-order mark, so a checkout
/// that converts line endings gives the same provenance.
pub fn source_hash(text: &str) -> String {
    let mut rest = text.strip_prefix('\u{feff}').unwrap_or(text);
    // Hashed piece by piece: the same bytes as `replace("\r\n", "\n")`, without the copy.
    let mut hasher = Sha256::new();
    // `memmem` searches with SIMD; `str::find("\r\n")` cost more than the hashing itself.
    while let Some(i) = memchr::memmem::find(rest.as_bytes(), b"\r\n") {
        hasher.update(&rest.as_bytes()[..i]);
        hasher.update(b"\n");
        rest = &rest[i + 2..];
    }
    hasher.update(rest.as_bytes());
    hex(&hasher.finalize())
}

fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// Compute the snapshot and the body of every part.
pub fn generate(docs: &DocSet) -> Generated {
    let prd_doc = docs.get(DocKind::Prd);
    let spec_doc = docs.get(DocKind::Spec);
    let log_doc = docs.get(DocKind::DecisionLog);
    let prd_items = Items::of(prd_doc);
    let spec_items = Items::of(spec_doc);
    let mut bodies = Vec::new();

    // Core objective.
    let (objective, lines) = objective(docs, &prd_items);
    bodies.push((RegionId::CoreObjective, lines));

    // Goals.
    let mut goals = Vec::new();
    let mut lines = Vec::new();
    if let Some(prd) = &docs.prd {
        for g in &prd.goals {
            goals.push(GoalOut {
                id: g.id.clone(),
                text: g.text.clone(),
                success: g.success.clone(),
                measure: g.measure.clone(),
            });
            match prd_items.get(g.span) {
                Some(item) => push_item(&mut lines, item, 0),
                None => {
                    let mut l = format!("- {}{}", id_prefix(g.id.as_deref()), g.text);
                    if let Some(s) = &g.success {
                        let _ = write!(l, " | **Success:** {s}");
                    }
                    if let Some(m) = &g.measure {
                        let _ = write!(l, " | **Measure:** {m}");
                    }
                    lines.push(l);
                }
            }
        }
    }
    if lines.is_empty() {
        lines.push(none_line(prd_doc, "No goals in PRD.md yet."));
    }
    bodies.push((RegionId::Goals, lines));

    // User stories: the MVP ones in full, the later ones by reference.
    let mut stories = Vec::new();
    let mut lines = Vec::new();
    let mut later = Vec::new();
    if let Some(prd) = &docs.prd {
        for s in &prd.stories {
            stories.push(StoryOut {
                id: s.id.clone(),
                text: s.text.clone(),
                acceptance: s.acceptance.clone(),
                priority: s.priority,
            });
            if s.priority != Priority::Must {
                let name = s.id.clone().unwrap_or_else(|| format!("\"{}\"", s.text));
                let when = if s.priority == Priority::Should {
                    "should have"
                } else {
                    "nice to have"
                };
                later.push(format!("{name} ({when})"));
                continue;
            }
            match prd_items.get(s.span) {
                Some(item) => push_story(&mut lines, item, s.acceptance.as_deref()),
                None => {
                    lines.push(format!("- {}{}", id_prefix(s.id.as_deref()), s.text));
                    if let Some(a) = &s.acceptance {
                        lines.push(format!("  - **Acceptance:** {a}"));
                    }
                }
            }
        }
    }
    if lines.is_empty() {
        lines.push(none_line(prd_doc, "No MVP user stories in PRD.md yet."));
    }
    if !later.is_empty() {
        lines.push(String::new());
        lines.push(format!("Later, not in this scope: {}.", later.join(", ")));
    }
    bodies.push((RegionId::UserStories, lines));

    // Non-functional requirements.
    let non_functional = requirements(docs, prd_doc, spec_doc, &prd_items, &spec_items);
    let mut lines = Vec::new();
    if non_functional.is_empty() {
        lines.push(none_line(
            prd_doc.or(spec_doc),
            "No targets yet in PRD.md (Success Metrics, Constraints) or SPEC.md (Performance).",
        ));
    } else {
        lines.push("| Requirement | Target | Notes |".to_string());
        lines.push("|-------------|--------|-------|".to_string());
        for r in &non_functional {
            lines.push(format!(
                "| {} | {} | {} |",
                cell(&r.requirement),
                cell(&r.target),
                cell(&r.notes)
            ));
        }
    }
    bodies.push((RegionId::NonFunctionalRequirements, lines));

    // Technical constraints.
    let mut constraints = Constraints::default();
    let mut lines = Vec::new();
    let contract = docs.spec.as_ref().map(|s| &s.contract);
    let labels = [
        ("Database", 0),
        ("Auth", 1),
        ("API Style", 2),
        ("Deployment/Runtime", 3),
        ("Error format", 4),
        ("Logging", 5),
        ("Testing", 6),
    ];
    for (label, i) in labels {
        let field = contract.and_then(|c| c.fields()[i].2);
        let value = field.and_then(|f| f.value.clone());
        let slot = match i {
            0 => &mut constraints.database,
            1 => &mut constraints.auth,
            2 => &mut constraints.api_style,
            3 => &mut constraints.runtime,
            4 => &mut constraints.error_format,
            5 => &mut constraints.logging,
            _ => &mut constraints.testing,
        };
        *slot = value.clone();
        match (field, value) {
            (Some(f), Some(_)) => lines.push(format!("- {label}: {}", f.raw.trim())),
            (Some(_), None) => lines.push(format!(
                "- {label}: _unfilled in SPEC.md (Hydration Contract)_"
            )),
            (None, _) if spec_doc.is_none() => {
                lines.push(format!("- {label}: _unfilled (SPEC.md is missing)_"))
            }
            (None, _) => lines.push(format!(
                "- {label}: _unfilled (no `{}:` field in SPEC.md's Hydration Contract)_",
                contract_key(i)
            )),
        }
    }
    bodies.push((RegionId::TechnicalConstraints, lines));

    // Interfaces.
    let mut endpoints = Vec::new();
    let mut entities = Vec::new();
    let mut relationships = Vec::new();
    let mut ep_lines = Vec::new();
    let mut en_lines = Vec::new();
    let mut rel_lines = Vec::new();
    if let Some(spec) = &docs.spec {
        for e in &spec.endpoints {
            endpoints.push(EndpointOut {
                method: e.method.clone(),
                path: e.path.clone(),
                summary: e.summary.clone(),
            });
            match spec_items.get(e.span) {
                Some(item) => push_item(&mut ep_lines, item, 0),
                None if e.summary.is_empty() => {
                    ep_lines.push(format!("- `{} {}`", e.method, e.path))
                }
                None => ep_lines.push(format!("- `{} {}` - {}", e.method, e.path, e.summary)),
            }
        }
        for e in &spec.entities {
            entities.push(EntityOut {
                name: e.name.clone(),
                fields: e.fields.clone(),
                description: e.description.clone(),
            });
            match spec_items.get(e.span) {
                Some(item) => push_item(&mut en_lines, item, 0),
                None => {
                    let mut l = format!("- {}", e.name);
                    if !e.description.is_empty() {
                        let _ = write!(l, ": {}", e.description);
                    }
                    if !e.fields.is_empty() {
                        let _ = write!(l, " (fields: {})", e.fields.join(", "));
                    }
                    en_lines.push(l);
                }
            }
        }
        for r in &spec.relationships {
            relationships.push(RelationshipOut {
                from: r.from.clone(),
                to: r.to.clone(),
                cardinality: r.cardinality.clone(),
            });
            match spec_items.get(r.span) {
                Some(item) => push_item(&mut rel_lines, item, 0),
                None => match &r.cardinality {
                    Some(c) => rel_lines.push(format!("- {} → {}: {c}", r.from, r.to)),
                    None => rel_lines.push(format!("- {} → {}", r.from, r.to)),
                },
            }
        }
    }
    if ep_lines.is_empty()
        && let Some(doc) = spec_doc
    {
        // No endpoint, but the SPEC may say why under its Endpoints label
        // (`- None: the tool opens no sockets`): show that as written.
        let mut labels = Vec::new();
        for (idx, sec) in doc.content_sections() {
            let t = sec.norm_title.as_str();
            if !(t.contains("api") || t.contains("interface") || t.contains("endpoint")) {
                continue;
            }
            for l in labeled_items(std::slice::from_ref(&doc.md.sections[idx]), &mut labels) {
                if l.depth == 0 && l.label.contains("endpoint") && filled(&l.item.text) {
                    push_item(&mut ep_lines, l.item, 0);
                }
            }
        }
    }
    let mut lines = Vec::new();
    for (label, group, what) in [
        ("**Endpoints**:", ep_lines, "endpoints"),
        ("**Entities**:", en_lines, "entities"),
        ("**Relationships**:", rel_lines, "relationships"),
    ] {
        if !lines.is_empty() {
            lines.push(String::new());
        }
        lines.push(label.to_string());
        if group.is_empty() {
            lines.push(none_line(
                spec_doc,
                &format!("No {what} declared in SPEC.md."),
            ));
        } else {
            lines.extend(group);
        }
    }
    bodies.push((RegionId::Interfaces, lines));

    // Out of scope and open questions.
    let mut out_of_scope = Vec::new();
    let mut lines = Vec::new();
    if let Some(prd) = &docs.prd {
        for it in &prd.out_of_scope {
            out_of_scope.push(it.text.clone());
            match prd_items.get(it.span) {
                Some(item) => push_item(&mut lines, item, 0),
                None => lines.push(format!("- {}", it.text)),
            }
        }
    }
    if lines.is_empty() {
        lines.push(none_line(
            prd_doc,
            "Nothing listed as out of scope in PRD.md yet.",
        ));
    }
    bodies.push((RegionId::OutOfScope, lines));

    let mut open_questions = Vec::new();
    let mut lines = Vec::new();
    if let Some(prd) = &docs.prd {
        for it in prd
            .open_questions
            .iter()
            .filter(|q| q.checked != Some(true))
        {
            open_questions.push(it.text.clone());
            match prd_items.get(it.span) {
                Some(item) => push_item(&mut lines, item, 0),
                None => lines.push(format!("- {}", it.text)),
            }
        }
    }
    if lines.is_empty() {
        lines.push(none_line(prd_doc, "No open questions in PRD.md."));
    }
    bodies.push((RegionId::OpenQuestions, lines));

    // Active decisions.
    let mut decisions = Vec::new();
    let mut lines = Vec::new();
    if let Some(log) = &docs.decisions {
        for d in log
            .decisions()
            .filter(|d| d.status == Status::Active && !DecisionLog::is_init(d))
        {
            decisions.push(DecisionOut {
                id: d.id.clone(),
                date: d.date.clone(),
                kind: d.kind_of_decision.clone(),
                decision: inline::plain(&d.decision),
                scope: d.scope.clone(),
            });
            let meta: Vec<&str> = [d.kind_of_decision.as_deref(), d.date.as_deref()]
                .into_iter()
                .flatten()
                .filter(|s| !s.is_empty() && *s != "-")
                .collect();
            let decision = one_line(&d.decision);
            if meta.is_empty() {
                lines.push(format!("- {}: {decision}", d.id));
            } else {
                lines.push(format!("- {} ({}): {decision}", d.id, meta.join(", ")));
            }
        }
    }
    if lines.is_empty() {
        lines.push(none_line(
            log_doc,
            "No active decisions in DECISION_LOG.md yet.",
        ));
    }
    bodies.push((RegionId::ActiveDecisions, lines));

    // Provenance.
    let mut provenance = Vec::new();
    let mut lines = vec!["Hydrated by `mesh hydrate` from these sources (SHA-256 of each text, LF line endings, no byte-order mark):".to_string()];
    for kind in [DocKind::Prd, DocKind::Spec, DocKind::DecisionLog] {
        let sha = docs.get(kind).map(|d| source_hash(&d.text));
        match &sha {
            Some(h) => lines.push(format!("- `{}` sha256:{h}", kind.file_name())),
            None => lines.push(format!("- `{}` missing", kind.file_name())),
        }
        provenance.push(SourceOut {
            path: kind.file_name().to_string(),
            sha256: sha,
        });
    }
    bodies.push((RegionId::Provenance, lines));

    Generated {
        snapshot: Snapshot {
            schema_version: SCHEMA_VERSION,
            constraints,
            objective,
            goals,
            stories,
            non_functional: non_functional
                .into_iter()
                .map(|r| RequirementOut {
                    requirement: inline::plain(&r.requirement),
                    target: inline::plain(&r.target),
                    notes: inline::plain(&r.notes),
                })
                .collect(),
            endpoints,
            entities,
            relationships,
            out_of_scope,
            open_questions,
            decisions,
            provenance,
        },
        bodies: bodies
            .into_iter()
            .map(|(id, lines)| (id, finish_body(lines)))
            .collect(),
    }
}

/// The JSON snapshot alone.
pub fn snapshot(docs: &DocSet) -> Snapshot {
    generate(docs).snapshot
}

fn contract_key(i: usize) -> &'static str {
    [
        "Database",
        "Auth",
        "API Style",
        "Runtime/Deploy",
        "Error format",
        "Logging",
        "Testing",
    ]
    .get(i)
    .copied()
    .unwrap_or("?")
}

/// Join body lines; drop any line that could be read as a marker (a source could hold one).
fn finish_body(lines: Vec<String>) -> String {
    let mut out = String::with_capacity(lines.iter().map(|l| l.len() + 1).sum());
    let mut first = true;
    for line in &lines {
        // A line break inside a line (from a source's multi-line cell) becomes a space.
        let flat: std::borrow::Cow<str> =
            if memchr::memchr2(b'\r', b'\n', line.as_bytes()).is_some() {
                line.replace(['\r', '\n'], " ").into()
            } else {
                line.as_str().into()
            };
        let kept = flat.trim_end();
        if is_marker_like(kept) {
            continue;
        }
        if !first {
            out.push('\n');
        }
        first = false;
        out.push_str(kept);
    }
    out
}

fn none_line(source: Option<&Document>, text: &str) -> String {
    match source {
        Some(_) => format!("_{text}_"),
        None => {
            let missing = text
                .split_whitespace()
                .find(|w| w.ends_with(".md"))
                .unwrap_or("The source");
            let missing =
                missing.trim_matches(|c: char| !c.is_alphanumeric() && c != '.' && c != '_');
            format!("_{} is missing._", missing.trim_end_matches('.'))
        }
    }
}

fn id_prefix(id: Option<&str>) -> String {
    id.map(|i| format!("{i}: ")).unwrap_or_default()
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn cell(s: &str) -> String {
    one_line(s).replace('|', "\\|")
}

/// List items of a document by the byte where their line starts.
struct Items<'a> {
    by_start: HashMap<usize, &'a ListItem>,
}

impl<'a> Items<'a> {
    fn of(doc: Option<&'a Document>) -> Items<'a> {
        let mut by_start = HashMap::new();
        if let Some(doc) = doc {
            for sec in &doc.md.sections {
                for b in &sec.blocks {
                    if let Block::List(l) = b {
                        for it in &l.items {
                            for x in it.walk() {
                                by_start.entry(x.span.start).or_insert(x);
                            }
                        }
                    }
                }
            }
        }
        Items { by_start }
    }

    fn get(&self, span: Span) -> Option<&'a ListItem> {
        self.by_start
            .get(&span.start)
            .copied()
            .filter(|i| i.span == span)
    }
}

fn checkbox(c: Option<bool>) -> &'static str {
    match c {
        Some(true) => "[x] ",
        Some(false) => "[ ] ",
        None => "",
    }
}

fn filled(text: &str) -> bool {
    !text.trim().is_empty() && !inline::is_unfilled(text)
}

/// An item as written (normalised to `- `), with its filled continuation lines and children.
fn push_item(out: &mut Vec<String>, item: &ListItem, depth: usize) {
    let pad = "  ".repeat(depth);
    out.push(format!("{pad}- {}{}", checkbox(item.checked), item.text));
    for c in &item.continuation {
        for l in &c.lines {
            if filled(&l.text) {
                out.push(format!("{pad}  {}", l.text));
            }
        }
    }
    for child in &item.children {
        if filled(&child.text) {
            push_item(out, child, depth + 1);
        }
    }
}

fn is_acceptance(text: &str) -> bool {
    key_value(text.trim(), 0, 0)
        .is_some_and(|kv| kv.key.to_ascii_lowercase().starts_with("acceptance"))
}

/// A story as written, with its acceptance line in the template's shape
/// (`  - **Acceptance:** …`) whether the source wrote it as a child or a continuation line.
fn push_story(out: &mut Vec<String>, item: &ListItem, acceptance: Option<&str>) {
    out.push(format!("- {}{}", checkbox(item.checked), item.text));
    let inline_acceptance = item.text.contains("**Acceptance");
    let raw = item
        .children
        .iter()
        .map(|c| c.text.as_str())
        .chain(
            item.continuation
                .iter()
                .flat_map(|p| p.lines.iter().map(|l| l.text.as_str())),
        )
        .find(|t| is_acceptance(t))
        .and_then(|t| key_value(t.trim(), 0, 0))
        .map(|kv| kv.value);
    if !inline_acceptance && let Some(a) = raw.as_deref().or(acceptance).filter(|a| filled(a)) {
        out.push(format!("  - **Acceptance:** {a}"));
    }
    for c in &item.continuation {
        for l in &c.lines {
            if filled(&l.text) && !is_acceptance(&l.text) {
                out.push(format!("  {}", l.text));
            }
        }
    }
    for child in &item.children {
        if filled(&child.text) && !is_acceptance(&child.text) {
            push_item(out, child, 1);
        }
    }
}

/// The primary objective as written (or the one-liner), as (plain text, body lines).
fn objective(docs: &DocSet, items: &Items<'_>) -> (Option<String>, Vec<String>) {
    let prd_doc = docs.get(DocKind::Prd);
    let from = |it: &crate::prd::Item| -> Option<Vec<String>> {
        let doc = prd_doc?;
        let mut lines: Vec<String> = match items.get(it.span) {
            // A goal item picked up as the "first text" of the Goals section is not an objective.
            Some(item) if leading_id(&item.text).is_some() => return None,
            Some(item) => vec![item.text.clone()],
            None => doc
                .text
                .get(it.span.range())?
                .lines()
                .map(|l| l.trim().to_string())
                .filter(|l| !l.is_empty())
                .collect(),
        };
        let first = lines.first_mut()?;
        if let Some(kv) = key_value(first, 0, 0)
            && kv.key.to_ascii_lowercase().contains("objective")
        {
            *first = kv.value;
        }
        lines.retain(|l| filled(l));
        (!lines.is_empty()).then_some(lines)
    };
    let prd = docs.prd.as_ref();
    let found = prd
        .and_then(|p| p.objective.as_ref())
        .and_then(from)
        .or_else(|| prd.and_then(|p| p.one_liner.as_ref()).and_then(from));
    match found {
        Some(mut lines) => {
            let plain = inline::plain(&lines.join(" "));
            if let Some(first) = lines.first_mut() {
                *first = format!("{OBJECTIVE_LABEL}{first}");
            }
            (Some(plain), lines)
        }
        None => (
            None,
            vec![none_line(
                prd_doc,
                "Unfilled: PRD.md has no primary objective or one-liner yet.",
            )],
        ),
    }
}

const OBJECTIVE_LABEL: &str = "**Product objective (PRD):** ";

const TOKEN_KEYS: [&str; 5] = ["todo", "assumption", "decision", "risk", "open question"];

/// Non-functional targets: PRD success metrics and constraints, SPEC performance items.
fn requirements(
    docs: &DocSet,
    prd_doc: Option<&Document>,
    spec_doc: Option<&Document>,
    prd_items: &Items<'_>,
    spec_items: &Items<'_>,
) -> Vec<RequirementOut> {
    let mut out = Vec::new();
    if let (Some(prd), Some(doc)) = (&docs.prd, prd_doc) {
        // Metrics written as bullets (`Metric: x | Baseline: y | Target: z`).
        for m in &prd.metrics {
            let Some(item) = prd_items.get(m.span) else {
                continue;
            };
            let mut name = None;
            let mut baseline = None;
            let mut target = None;
            let mut rest = Vec::new();
            for part in item.text.split('|') {
                match key_value(part.trim(), 0, 0) {
                    Some(kv) => {
                        let k = kv.key.to_ascii_lowercase();
                        if k.starts_with("metric") || k == "name" {
                            name = Some(kv.value);
                        } else if k.starts_with("baseline") {
                            baseline = Some(kv.value);
                        } else if k.starts_with("target") || k.starts_with("goal") {
                            target = Some(kv.value);
                        } else {
                            rest.push(part.trim().to_string());
                        }
                    }
                    None => rest.push(part.trim().to_string()),
                }
            }
            let requirement = name.unwrap_or_else(|| rest.first().cloned().unwrap_or_default());
            if requirement.is_empty() || has_token_key(&requirement) {
                continue;
            }
            out.push(RequirementOut {
                requirement,
                target: target.unwrap_or_default(),
                notes: metric_notes(baseline.as_deref()),
            });
        }
        // Metrics written as tables.
        if let Some(idx) = doc.find_section(|t| t.contains("metric")) {
            for sec in doc.subtree(idx) {
                for b in &sec.blocks {
                    if let Block::Table(t) = b {
                        metric_table(t, &mut out);
                    }
                }
            }
        }
        for c in &prd.constraints {
            let text = prd_items
                .get(c.span)
                .map(|i| i.text.clone())
                .unwrap_or_else(|| c.text.clone());
            match key_value(&text, 0, 0) {
                Some(kv) if !has_token_key(&kv.key) && !kv.value.is_empty() => {
                    out.push(RequirementOut {
                        requirement: inline::plain(&kv.key),
                        target: kv.value,
                        notes: "PRD.md constraint".into(),
                    })
                }
                Some(_) => {}
                None => out.push(RequirementOut {
                    requirement: text,
                    target: String::new(),
                    notes: "PRD.md constraint".into(),
                }),
            }
        }
    }
    if let (Some(spec), Some(_)) = (&docs.spec, spec_doc) {
        for p in &spec.performance {
            let text = spec_items
                .get(p.span)
                .map(|i| i.text.clone())
                .unwrap_or_else(|| p.text.clone());
            match key_value(&text, 0, 0) {
                Some(kv) if !has_token_key(&kv.key) && !kv.value.is_empty() => {
                    out.push(RequirementOut {
                        requirement: inline::plain(&kv.key),
                        target: kv.value,
                        notes: "SPEC.md performance".into(),
                    })
                }
                Some(_) => {}
                None => out.push(RequirementOut {
                    requirement: text,
                    target: String::new(),
                    notes: "SPEC.md performance".into(),
                }),
            }
        }
    }
    out
}

fn has_token_key(key: &str) -> bool {
    let k = key.trim().to_ascii_lowercase();
    TOKEN_KEYS.iter().any(|t| k == *t)
}

fn metric_notes(baseline: Option<&str>) -> String {
    match baseline.map(str::trim).filter(|b| !b.is_empty()) {
        Some(b) => format!("PRD.md success metric; baseline {b}"),
        None => "PRD.md success metric".into(),
    }
}

fn metric_table(t: &Table, out: &mut Vec<RequirementOut>) {
    let Some(nc) = t.column(|h| h.starts_with("metric") || h == "name" || h == "kpi") else {
        return;
    };
    let tc = t.column(|h| h.starts_with("target") || h == "goal");
    let bc = t.column(|h| h.starts_with("baseline"));
    for row in &t.rows {
        let get = |c: Option<usize>| {
            c.and_then(|c| row.cell(c))
                .map(|c| c.text.clone())
                .unwrap_or_default()
        };
        let name = get(Some(nc));
        if !filled(&name) {
            continue;
        }
        let target = get(tc);
        if !target.is_empty() && !filled(&target) {
            continue;
        }
        let baseline = get(bc);
        out.push(RequirementOut {
            requirement: name,
            target,
            notes: metric_notes(filled(&baseline).then_some(baseline.as_str())),
        });
    }
}

// ---------------------------------------------------------------------------------------------
// Markers
// ---------------------------------------------------------------------------------------------

/// A marked part found in an ACTIVE_SPEC text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Region {
    pub id: RegionId,
    /// 1-based lines of the begin and end markers.
    pub begin_line: u32,
    pub end_line: u32,
    /// The hash written in the begin marker.
    pub recorded: Option<String>,
    /// The lines between the markers, joined with `\n` (CR removed).
    pub body: String,
    /// Byte range of the begin marker line and of the end marker line in the text.
    pub begin_span: Span,
    pub end_span: Span,
}

impl Region {
    /// Whether the body no longer has the hash recorded when it was written.
    pub fn edited(&self) -> bool {
        self.recorded
            .as_deref()
            .is_some_and(|h| h != body_hash(&self.body))
    }
}

/// A marker that cannot be used, with what to do about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MarkerProblem {
    /// 1-based line.
    pub line: u32,
    pub span: Span,
    pub message: String,
    pub help: String,
}

impl std::fmt::Display for MarkerProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {} ({})", self.line, self.message, self.help)
    }
}

/// The marked parts and marker problems of a text.
#[derive(Debug, Clone, Default)]
pub struct Scan {
    pub regions: Vec<Region>,
    pub problems: Vec<MarkerProblem>,
}

impl Scan {
    pub fn get(&self, id: RegionId) -> Option<&Region> {
        self.regions.iter().find(|r| r.id == id)
    }

    /// Whether 1-based `line` lies inside a part (markers included).
    pub fn contains_line(&self, line: u32) -> bool {
        self.regions
            .iter()
            .any(|r| r.begin_line <= line && line <= r.end_line)
    }
}

/// One physical line: content (without terminator; the first without a byte-order mark) and
/// the terminator as written.
#[derive(Debug, Clone, Copy)]
struct SrcLine<'a> {
    text: &'a str,
    term: &'a str,
    start: usize,
}

fn split_lines(text: &str) -> Vec<SrcLine<'_>> {
    let mut out = Vec::new();
    let mut start = 0;
    while start < text.len() {
        let (end, next, term) = match text[start..].find('\n') {
            Some(p) => {
                let e = start + p;
                if e > start && text.as_bytes()[e - 1] == b'\r' {
                    (e - 1, e + 1, "\r\n")
                } else {
                    (e, e + 1, "\n")
                }
            }
            None => (text.len(), text.len(), ""),
        };
        let mut content_start = start;
        if start == 0 && text.starts_with('\u{feff}') {
            content_start = 3.min(end);
        }
        out.push(SrcLine {
            text: &text[content_start..end],
            term,
            start: content_start,
        });
        start = next;
    }
    out
}

fn is_marker_like(line: &str) -> bool {
    let t = line.trim();
    t.starts_with("<!--") && t.contains(MARKER_NS)
}

enum Marker<'a> {
    Begin(&'a str, Option<&'a str>),
    End(&'a str),
}

fn parse_marker(line: &str) -> Result<Marker<'_>, String> {
    let t = line.trim();
    let Some(inner) = t.strip_prefix("<!--").and_then(|r| r.strip_suffix("-->")) else {
        return Err("a hydrate marker must open and close on one line (`<!-- … -->`)".into());
    };
    let mut toks = inner.split_whitespace();
    let kind = toks.next().unwrap_or("");
    let id = toks.next().unwrap_or("");
    match kind {
        BEGIN if !id.is_empty() => {
            let hash = toks.find_map(|t| t.strip_prefix("sha256="));
            Ok(Marker::Begin(id, hash))
        }
        END if !id.is_empty() => Ok(Marker::End(id)),
        BEGIN | END => Err(format!("`{kind}` needs the name of a part")),
        _ => Err(format!(
            "`{kind}` is not a hydrate marker (expected `{BEGIN}` or `{END}`)"
        )),
    }
}

/// Lines (0-based) inside closed fenced code blocks, where markers are only text.
fn fenced_lines(md: &Markdown, lines: &[SrcLine<'_>]) -> HashSet<usize> {
    let mut out = HashSet::new();
    for sec in &md.sections {
        for b in &sec.blocks {
            if let Block::Fence(f) = b {
                let first = line_index(md, f.span.start);
                let last = line_index(md, f.span.end);
                let closed = last > first
                    && lines.get(last).is_some_and(|l| {
                        let t = l.text.trim();
                        t.len() >= 3 && t.chars().all(|c| c == '`' || c == '~')
                    });
                if closed {
                    out.extend(first..=last);
                }
            }
        }
    }
    out
}

/// 0-based line holding byte `offset` of the parsed text.
fn line_index(md: &Markdown, offset: usize) -> usize {
    match md.line_starts.binary_search(&offset) {
        Ok(i) => i,
        Err(i) => i.saturating_sub(1),
    }
}

fn line_span(l: &SrcLine<'_>, number: usize) -> Span {
    Span {
        start: l.start,
        end: l.start + l.text.len(),
        line: number as u32 + 1,
    }
}

/// Find the marked parts of an ACTIVE_SPEC text and every problem with its markers.
pub fn scan(text: &str) -> Scan {
    scan_parsed(text, &Markdown::parse(text))
}

/// [`scan`] of a text already parsed: `md` must be `Markdown::parse(text)`, as a
/// [`crate::Document`]'s `md` is of its `text` (the check reads ACTIVE_SPEC once, not twice).
pub fn scan_parsed(text: &str, md: &Markdown) -> Scan {
    scan_lines(md, &split_lines(text))
}

fn scan_lines(md: &Markdown, lines: &[SrcLine<'_>]) -> Scan {
    let fenced = fenced_lines(md, lines);
    let mut scan = Scan::default();
    let mut open: Option<(usize, RegionId, Option<String>)> = None;
    let problem = |i: usize, message: String, help: &str| MarkerProblem {
        line: i as u32 + 1,
        span: line_span(&lines[i], i),
        message,
        help: help.to_string(),
    };
    for (i, l) in lines.iter().enumerate() {
        if fenced.contains(&i) || !is_marker_like(l.text) {
            continue;
        }
        match parse_marker(l.text) {
            Err(m) => scan.problems.push(problem(i, m, "write the marker as `mesh hydrate` does, or delete it and run `mesh hydrate` again")),
            Ok(Marker::Begin(name, hash)) => {
                let Some(id) = RegionId::parse(name) else {
                    scan.problems.push(problem(
                        i,
                        format!("unknown hydrated part `{name}`"),
                        "known parts: core-objective, goals, user-stories, non-functional-requirements, technical-constraints, interfaces, out-of-scope, open-questions, active-decisions, provenance",
                    ));
                    continue;
                };
                if let Some((at, prev, _)) = &open {
                    scan.problems.push(problem(
                        *at,
                        format!("the hydrated part `{prev}` has no end marker before `{id}` begins at line {}", i + 1),
                        "add the missing end marker, or delete the stray begin marker and run `mesh hydrate`",
                    ));
                }
                open = Some((i, id, hash.map(str::to_string)));
            }
            Ok(Marker::End(name)) => match open.take() {
                Some((at, id, recorded)) if id.as_str() == name => {
                    if scan.regions.iter().any(|r| r.id == id) {
                        scan.problems.push(problem(
                            at,
                            format!("the hydrated part `{id}` appears twice"),
                            "delete one of the two copies (markers and content) and run `mesh hydrate`",
                        ));
                        continue;
                    }
                    let body = lines[at + 1..i].iter().map(|l| l.text).collect::<Vec<_>>().join("\n");
                    scan.regions.push(Region {
                        id,
                        begin_line: at as u32 + 1,
                        end_line: i as u32 + 1,
                        recorded,
                        body,
                        begin_span: line_span(&lines[at], at),
                        end_span: line_span(l, i),
                    });
                }
                Some((at, id, recorded)) => {
                    scan.problems.push(problem(
                        i,
                        format!("end marker for `{name}` closes `{id}`, which began at line {}", at + 1),
                        "make the begin and end markers name the same part",
                    ));
                    open = Some((at, id, recorded));
                }
                None => scan.problems.push(problem(
                    i,
                    format!("end marker for `{name}` without a begin marker"),
                    "delete the stray end marker, or restore its begin marker, then run `mesh hydrate`",
                )),
            },
        }
    }
    if let Some((at, id, _)) = open {
        scan.problems.push(problem(
            at,
            format!("the hydrated part `{id}` has no end marker"),
            "add `<!-- mesh:hydrate:end NAME -->` after the part, or delete the begin marker and run `mesh hydrate`",
        ));
    }
    scan
}

// ---------------------------------------------------------------------------------------------
// Hydration (merge into the existing file)
// ---------------------------------------------------------------------------------------------

/// The result of hydrating an ACTIVE_SPEC text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hydration {
    /// The complete new ACTIVE_SPEC.md.
    pub text: String,
    /// There was no ACTIVE_SPEC.md (or it was empty): it was created from the template.
    pub created: bool,
    /// `text` differs from the input.
    pub changed: bool,
}

/// Hydrate `current` (the ACTIVE_SPEC text, `None` when the file does not exist) from `docs`.
///
/// Fails only when the existing markers are broken (the problems say where and what to do);
/// never panics.
pub fn hydrate(current: Option<&str>, docs: &DocSet) -> Result<Hydration, Vec<MarkerProblem>> {
    let generated = generate(docs);
    hydrate_with(current, docs, &generated)
}

/// [`hydrate`] with bodies computed already.
pub fn hydrate_with(
    current: Option<&str>,
    docs: &DocSet,
    generated: &Generated,
) -> Result<Hydration, Vec<MarkerProblem>> {
    let created = current.is_none_or(|t| t.trim_start_matches('\u{feff}').trim().is_empty());
    let base = match current {
        Some(t) if !created => t.to_string(),
        _ => new_file(docs),
    };
    let text = merge(&base, generated)?;
    Ok(Hydration {
        changed: current != Some(text.as_str()),
        text,
        created,
    })
}

/// The ACTIVE_SPEC template of the sources' generation, with the project name filled.
fn new_file(docs: &DocSet) -> String {
    let gen16 = [DocKind::Spec, DocKind::Prd]
        .iter()
        .filter_map(|k| docs.get(*k))
        .filter_map(|d| d.generation())
        .any(|g| g >= 16.0);
    let generation = if gen16 {
        Generation::G16
    } else {
        Generation::G15
    };
    let name = [DocKind::Prd, DocKind::Spec]
        .iter()
        .filter_map(|k| docs.get(*k))
        .find_map(|d| d.meta.title.as_ref().and_then(|(t, _)| project_name(t)))
        .unwrap_or_else(|| "{{PROJECT_NAME}}".to_string());
    templates::fill(
        templates::raw(DocKind::ActiveSpec, generation),
        &Values {
            project_name: &name,
            date: "{{DATE}}",
            author: "{{AUTHOR}}",
            repo_path: "{{REPO_PATH}}",
        },
    )
}

/// `Product Requirements: Shop` / `Shop: Technical Specification` → `Shop`.
fn project_name(title: &str) -> Option<String> {
    let generic = |s: &str| {
        let l = s.to_ascii_lowercase();
        l.contains("requirement")
            || l.contains("specification")
            || l.contains("spec")
            || l.contains("prd")
    };
    let name = match title.split_once(':') {
        Some((a, b)) if generic(a) && !generic(b) => b,
        Some((a, b)) if generic(b) && !generic(a) => a,
        Some((_, b)) => b,
        None if generic(title) => return None,
        None => title,
    };
    let name = name.trim();
    (!name.is_empty() && !inline::is_unfilled(name)).then(|| name.to_string())
}

/// What to emit.
#[derive(Debug, Clone)]
enum Out {
    Orig(usize),
    New(String),
    Region(RegionId),
}

fn marker_begin(id: RegionId, body: &str) -> String {
    format!("<!-- {BEGIN} {id} sha256={} -->", body_hash(body))
}

fn marker_end(id: RegionId) -> String {
    format!("<!-- {END} {id} -->")
}

fn is_blank(s: &str) -> bool {
    s.trim().is_empty()
}

fn is_rule_line(s: &str) -> bool {
    let t: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    t.len() >= 3
        && (t.chars().all(|c| c == '-')
            || t.chars().all(|c| c == '*')
            || t.chars().all(|c| c == '_'))
}

fn is_version_line(s: &str) -> bool {
    s.trim()
        .trim_matches(|c| c == '*' || c == '_')
        .trim()
        .starts_with("Template version:")
}

/// A contiguous run of lines of a section body, classified for adoption.
#[derive(Debug)]
struct Unit {
    lines: Range<usize>,
    blank: bool,
    derived: bool,
}

fn merge(text: &str, generated: &Generated) -> Result<String, Vec<MarkerProblem>> {
    let bom = text.starts_with('\u{feff}');
    let lines = split_lines(text);
    let crlf = lines.iter().filter(|l| l.term == "\r\n").count();
    let lf = lines.iter().filter(|l| l.term == "\n").count();
    let eol = if crlf > lf { "\r\n" } else { "\n" };
    let doc = Document::parse(DocKind::ActiveSpec, "ACTIVE_SPEC.md", text);
    let md = &doc.md;
    let scan = scan_lines(md, &lines);
    if !scan.problems.is_empty() {
        return Err(scan.problems);
    }
    let in_region: Vec<Option<RegionId>> = (0..lines.len())
        .map(|i| {
            scan.regions
                .iter()
                .find(|r| (r.begin_line as usize) <= i + 1 && i < r.end_line as usize)
                .map(|r| r.id)
        })
        .collect();

    // Headings outside marked parts: (section index, line index, level).
    let headings: Vec<(usize, usize, u8)> = md
        .sections
        .iter()
        .enumerate()
        .filter(|(_, s)| s.level > 0)
        .map(|(si, s)| (si, line_index(md, s.heading.start), s.level))
        .filter(|(_, h, _)| in_region.get(*h).is_some_and(Option::is_none))
        .collect();
    let content: Vec<(usize, usize, u8)> = headings
        .iter()
        .copied()
        .filter(|(si, _, _)| !doc.meta.preamble.contains(si))
        .collect();
    let next_heading_after = |line: usize| -> usize {
        headings
            .iter()
            .map(|(_, h, _)| *h)
            .filter(|&h| h > line)
            .min()
            .unwrap_or(lines.len())
    };
    // Back over the blank lines and rules that close a section (never into a marked part).
    let before_separators = |from: usize, floor: usize| -> usize {
        let mut at = from.min(lines.len());
        while at > floor
            && (is_blank(lines[at - 1].text) || is_rule_line(lines[at - 1].text))
            && in_region[at - 1].is_none()
        {
            at -= 1;
        }
        at
    };
    // A closing `*Template version: N*` line stays last: no section body reaches over it.
    let doc_end = match lines.iter().rposition(|l| !is_blank(l.text)) {
        Some(i) if is_version_line(lines[i].text) && in_region[i].is_none() => i,
        _ => lines.len(),
    };
    let section_of = |id: RegionId| -> Option<(usize, usize, u8)> {
        content
            .iter()
            .copied()
            .find(|(si, _, _)| id.matches_title(&md.sections[*si].norm_title))
    };

    // Plan each part: keep or rewrite it in place, adopt its section, or add a section.
    let mut adopt: HashMap<usize, (usize, Vec<Out>)> = HashMap::new(); // heading → (resume at, outs)
    let mut missing: Vec<RegionId> = Vec::new();
    for id in RegionId::ALL {
        if scan.get(id).is_some() {
            continue;
        }
        let Some((si, h, _)) = section_of(id) else {
            missing.push(id);
            continue;
        };
        let body_end = before_separators(next_heading_after(h).min(doc_end.max(h + 1)), h + 1);
        if (h + 1..next_heading_after(h)).any(|i| in_region[i].is_some()) {
            // Another part's markers sit in this section: add this part under the heading and
            // leave every other line where it is.
            adopt.insert(h, (h + 1, vec![Out::Region(id), Out::New(String::new())]));
        } else {
            let outs = adopt_section(&lines, md, si, h + 1..body_end, id, generated.body(id));
            adopt.insert(h, (body_end, outs));
        }
    }

    // Sections to add, keyed by the line they go before.
    let mut insert: BTreeMap<usize, Vec<Out>> = BTreeMap::new();
    let present = |id: RegionId| scan.get(id).is_some() || section_of(id).is_some();
    // The heading line a present part hangs under.
    let anchor_line = |id: RegionId| -> Option<usize> {
        if let Some(r) = scan.get(id) {
            let begin = r.begin_line as usize - 1;
            return content
                .iter()
                .rev()
                .find(|(_, h, _)| *h < begin)
                .map(|(_, h, _)| *h);
        }
        section_of(id).map(|(_, h, _)| h)
    };
    let level_at = |line: usize| -> u8 {
        headings
            .iter()
            .find(|(_, h, _)| *h == line)
            .map(|(_, _, l)| *l)
            .unwrap_or(2)
    };
    // Where the subtree of the heading at `line` ends, for headings of level `level`.
    let subtree_end = |line: usize, level: u8| -> usize {
        headings
            .iter()
            .filter(|(_, h, l)| *h > line && *l <= level)
            .map(|(_, h, _)| *h)
            .min()
            .unwrap_or(lines.len())
    };
    // Where a missing level-2 part goes: after the section of the nearest earlier part that is
    // present, else before the nearest later one, else at the end (before the version line).
    let outer_target = |pos: usize| -> usize {
        // Provenance closes the file, after the humans' last sections.
        let last = pos + 1 == RegionId::ALL.len();
        if !last
            && let Some(h) = RegionId::ALL[..pos]
                .iter()
                .rev()
                .copied()
                .find(|r| present(*r))
                .and_then(anchor_line)
        {
            return subtree_end(h, level_at(h).min(2));
        }
        if let Some(h) = RegionId::ALL[pos + 1..]
            .iter()
            .copied()
            .find(|r| present(*r))
            .and_then(anchor_line)
        {
            // Goals and stories hang under In Scope: go before that, not inside it.
            return headings
                .iter()
                .rev()
                .find(|(_, x, l)| *x <= h && *l <= 2)
                .map(|(_, x, _)| *x)
                .unwrap_or(h);
        }
        doc_end
    };
    let in_scope = content
        .iter()
        .copied()
        .find(|(si, _, _)| md.sections[*si].norm_title.starts_with("in scope"));
    let uses_rules = lines
        .iter()
        .any(|l| is_rule_line(l.text) && !l.text.starts_with([' ', '\t']));
    let mut made_in_scope = false;
    for (pos, id) in RegionId::ALL.iter().copied().enumerate() {
        if !missing.contains(&id) {
            continue;
        }
        let (mut level, title) = id.heading();
        let mut prefix: Vec<Out> = Vec::new();
        let target = if matches!(id, RegionId::Goals | RegionId::UserStories) {
            let sibling = if id == RegionId::Goals {
                RegionId::UserStories
            } else {
                RegionId::Goals
            };
            match (anchor_line(sibling).filter(|_| present(sibling)), in_scope) {
                (Some(s), _) => {
                    level = level_at(s).max(2);
                    if id == RegionId::Goals {
                        s
                    } else {
                        subtree_end(s, level)
                    }
                }
                (None, Some((_, h, l))) => {
                    level = l.saturating_add(1).min(6);
                    subtree_end(h, l)
                }
                (None, None) => {
                    if !made_in_scope {
                        prefix.push(Out::New("## In Scope".into()));
                        prefix.push(Out::New(String::new()));
                        made_in_scope = true;
                    }
                    level = 3;
                    outer_target(pos)
                }
            }
        } else {
            outer_target(pos)
        };
        let target = target.min(lines.len());
        let at = before_separators(target, 0);
        let run_has_rule = (at..target).any(|i| is_rule_line(lines[i].text));
        let run_empty = at == target;
        let slot = insert.entry(at).or_default();
        let mut outs = Vec::new();
        if at > 0 && !matches!(slot.last(), Some(Out::New(l)) if l.is_empty()) {
            outs.push(Out::New(String::new()));
        }
        let level2 = level <= 2 || !prefix.is_empty();
        if level2 && at > 0 && (run_has_rule || (run_empty && uses_rules)) {
            outs.push(Out::New("---".into()));
            outs.push(Out::New(String::new()));
        }
        outs.extend(prefix);
        outs.push(Out::New(format!("{} {title}", "#".repeat(level as usize))));
        outs.push(Out::Region(id));
        if run_empty && at < lines.len() {
            outs.push(Out::New(String::new()));
        }
        slot.extend(outs);
    }

    // Emit.
    let mut outs: Vec<Out> = Vec::with_capacity(lines.len() + 64);
    let mut i = 0;
    while i <= lines.len() {
        if let Some(ins) = insert.remove(&i) {
            outs.extend(ins);
        }
        if i == lines.len() {
            break;
        }
        if let Some((resume, planned)) = adopt.remove(&i) {
            outs.push(Out::Orig(i));
            outs.extend(planned);
            let resume = resume.max(i + 1);
            // Sections meant to go inside the adopted body go right after it.
            let inside: Vec<usize> = insert.range(i + 1..resume).map(|(k, _)| *k).collect();
            for k in inside {
                if let Some(ins) = insert.remove(&k) {
                    outs.extend(ins);
                }
            }
            i = resume;
            continue;
        }
        if let Some(r) = scan.regions.iter().find(|r| r.begin_line as usize == i + 1) {
            outs.push(Out::Region(r.id));
            i = r.end_line as usize;
            continue;
        }
        outs.push(Out::Orig(i));
        i += 1;
    }

    // Flatten to lines with their terminators, then render.
    let mut flat: Vec<(std::borrow::Cow<'_, str>, &str)> = Vec::with_capacity(outs.len() + 64);
    for o in outs {
        match o {
            Out::Orig(i) => flat.push((lines[i].text.into(), lines[i].term)),
            Out::New(s) => flat.push((s.into(), eol)),
            Out::Region(id) => {
                let body = generated.body(id);
                match scan.get(id) {
                    Some(r)
                        if r.body == body
                            && r.recorded.as_deref() == Some(body_hash(body).as_str()) =>
                    {
                        for l in &lines[r.begin_line as usize - 1..r.end_line as usize] {
                            flat.push((l.text.into(), l.term));
                        }
                    }
                    _ => {
                        flat.push((marker_begin(id, body).into(), eol));
                        if !body.is_empty() {
                            for l in body.split('\n') {
                                flat.push((l.to_string().into(), eol));
                            }
                        }
                        flat.push((marker_end(id).into(), eol));
                    }
                }
            }
        }
    }
    let mut out = String::with_capacity(text.len() + 4096);
    if bom {
        out.push('\u{feff}');
    }
    let n = flat.len();
    for (k, (line, term)) in flat.iter().enumerate() {
        out.push_str(line);
        // A last line without a terminator gets one when something now follows it.
        out.push_str(if term.is_empty() && k + 1 < n {
            eol
        } else {
            term
        });
    }
    Ok(out)
}

/// Adopt one section body: keep human units, drop units the hydrator reproduces (or the
/// template's placeholders), put the marked part where the first dropped unit was.
fn adopt_section(
    lines: &[SrcLine<'_>],
    md: &Markdown,
    si: usize,
    body: Range<usize>,
    id: RegionId,
    generated: &str,
) -> Vec<Out> {
    let mut gen_set: HashSet<&str> = generated
        .split('\n')
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    // The original hydrator copied the objective without our label.
    if let Some(plain) = generated
        .lines()
        .find_map(|l| l.strip_prefix(OBJECTIVE_LABEL))
    {
        gen_set.insert(plain.trim());
    }
    let scaffold: &[String] = if id.replaces_scaffold() {
        scaffold_lines(id)
    } else {
        &[]
    };
    let known = |l: &str| {
        let t = l.trim();
        gen_set.contains(t) || scaffold.iter().any(|p| p == t)
    };

    // Block boundaries (start line → end line, inclusive): one unit per top-level list item.
    let mut starts: HashMap<usize, usize> = HashMap::new();
    if let Some(sec) = md.sections.get(si) {
        for b in &sec.blocks {
            match b {
                Block::List(l) => {
                    for it in &l.items {
                        let end = item_end(it);
                        starts.insert(line_index(md, it.span.start), line_index(md, end));
                    }
                }
                other => {
                    let s = block_span(other);
                    starts.insert(line_index(md, s.start), line_index(md, s.end.max(s.start)));
                }
            }
        }
    }
    let mut units = Vec::new();
    let mut i = body.start;
    while i < body.end {
        let end = starts.get(&i).copied().unwrap_or(i).clamp(i, body.end - 1);
        let range = i..end + 1;
        let texts: Vec<&str> = range.clone().map(|j| lines[j].text).collect();
        let blank = texts.iter().all(|t| is_blank(t));
        let derived = !blank
            && !texts.iter().any(|t| is_rule_line(t) || is_version_line(t))
            && texts.iter().filter(|t| !is_blank(t)).all(|t| known(t));
        units.push(Unit {
            lines: range,
            blank,
            derived,
        });
        i = end + 1;
    }

    let mut outs = Vec::new();
    let first = units.iter().position(|u| u.derived).unwrap_or(0);
    let mut last_blank = true; // the heading line is just before
    for u in &units[..first] {
        outs.extend(u.lines.clone().map(Out::Orig));
        last_blank = u.blank;
    }
    if !last_blank {
        outs.push(Out::New(String::new()));
    }
    outs.push(Out::Region(id));
    // After the part: human units in order, one blank line before each (an original blank line
    // where there was one), none at the end (the section's closing lines follow).
    let mut pending: Option<usize> = None;
    let mut first_after = true;
    for u in &units[first..] {
        if u.derived {
            continue;
        }
        if u.blank {
            pending = pending.or(Some(u.lines.start));
            continue;
        }
        match pending.take() {
            Some(b) => outs.push(Out::Orig(b)),
            None if first_after => outs.push(Out::New(String::new())),
            None => {}
        }
        first_after = false;
        outs.extend(u.lines.clone().map(Out::Orig));
    }
    outs
}

fn item_end(it: &ListItem) -> usize {
    let mut end = it.span.end;
    for c in &it.continuation {
        end = end.max(c.span.end);
    }
    for ch in &it.children {
        end = end.max(item_end(ch));
    }
    end
}

fn block_span(b: &Block) -> Span {
    match b {
        Block::List(l) => l.span,
        Block::Table(t) => t.span,
        Block::Fence(f) => f.span,
        Block::Comment(c) => c.span,
        Block::Quote(p) | Block::Paragraph(p) => p.span,
        Block::Rule(s) => *s,
    }
}

/// The template's own lines in a part's section (generations 15 and 16), trimmed.
fn scaffold_lines(id: RegionId) -> &'static [String] {
    static CACHE: OnceLock<HashMap<RegionId, Vec<String>>> = OnceLock::new();
    let all = CACHE.get_or_init(|| {
        let mut map: HashMap<RegionId, Vec<String>> = HashMap::new();
        for generation in [Generation::G15, Generation::G16] {
            let text = templates::raw(DocKind::ActiveSpec, generation);
            let doc = Document::parse(DocKind::ActiveSpec, "", text);
            let lines = split_lines(text);
            for id in RegionId::ALL {
                let Some((_, sec)) = doc
                    .content_sections()
                    .find(|(_, s)| id.matches_title(&s.norm_title))
                else {
                    continue;
                };
                let h = line_index(&doc.md, sec.heading.start);
                let entry = map.entry(id).or_default();
                for l in lines.iter().skip(h + 1) {
                    if l.text.starts_with('#') {
                        break;
                    }
                    let t = l.text.trim();
                    if !t.is_empty()
                        && !is_rule_line(t)
                        && !is_version_line(t)
                        && !entry.iter().any(|e| e == t)
                    {
                        entry.push(t.to_string());
                    }
                }
            }
        }
        map
    });
    all.get(&id).map(Vec::as_slice).unwrap_or(&[])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finish_body_flattens_line_breaks_trims_and_drops_marker_like_lines() {
        // What finish_body did before it was one pass.
        let before = |lines: Vec<String>| {
            lines
                .into_iter()
                .map(|l| l.replace(['\r', '\n'], " ").trim_end().to_string())
                .filter(|l| !is_marker_like(l))
                .collect::<Vec<_>>()
                .join("\n")
        };
        let begin = marker_begin(RegionId::Goals, "");
        let cases: Vec<Vec<&str>> = vec![
            vec![],
            vec![""],
            vec!["", ""],
            vec!["- a  ", "b\r\nc", "d\ne\r"],
            vec![begin.as_str(), "kept", "  "],
            vec!["<!-- mesh:hydrate:end goals -->", ""],
            vec!["x \n", "\r", "é\r\nü  \t"],
        ];
        for lines in cases {
            let owned: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
            assert_eq!(finish_body(owned.clone()), before(owned), "{lines:?}");
        }
    }

    #[test]
    fn source_hash_is_the_hash_of_the_text_with_lf_endings() {
        for text in [
            "",
            "a\r\nb\r\n",
            "\u{feff}a\r\nb",
            "lone\rcr\r\r\nand\n\r\n\r\n",
            "no line ends",
            "\r\n",
        ] {
            let t = text.strip_prefix('\u{feff}').unwrap_or(text);
            let expected = hex(&Sha256::digest(t.replace("\r\n", "\n").as_bytes()));
            assert_eq!(source_hash(text), expected, "{text:?}");
        }
        assert_eq!(source_hash("a\r\nb"), source_hash("a\nb"));
    }

    #[test]
    fn scan_of_a_parsed_text_is_the_scan_of_the_text() {
        let text = format!(
            "# Active spec\n{}\n- G1\n{}\n```\n{}\n```\n{}\n",
            marker_begin(RegionId::Goals, "- G1"),
            marker_end(RegionId::Goals),
            marker_begin(RegionId::OutOfScope, ""),
            marker_end(RegionId::OpenQuestions),
        );
        let whole = scan(&text);
        // The goals part is found, the fenced marker is not, the stray end marker is a problem.
        assert!(whole.get(RegionId::Goals).is_some());
        assert!(whole.get(RegionId::OutOfScope).is_none());
        assert_eq!(whole.problems.len(), 1, "{whole:?}");
        let md = Markdown::parse(&text);
        assert_eq!(
            format!("{:?}", scan_parsed(&text, &md)),
            format!("{whole:?}")
        );
    }

    #[test]
    fn marker_round_trip_and_problems() {
        let body = "- Database: x";
        let text = format!(
            "# A\n## T\n{}\n{body}\n{}\n",
            marker_begin(RegionId::TechnicalConstraints, body),
            marker_end(RegionId::TechnicalConstraints)
        );
        let s = scan(&text);
        assert!(s.problems.is_empty(), "{:?}", s.problems);
        assert_eq!(s.regions.len(), 1);
        assert_eq!(s.regions[0].body, body);
        assert!(!s.regions[0].edited());
        assert_eq!((s.regions[0].begin_line, s.regions[0].end_line), (3, 5));

        let broken = "<!-- mesh:hydrate:begin goals -->\n- x\n<!-- mesh:hydrate:end interfaces -->\n<!-- mesh:hydrate:begin nonsense -->\n";
        let s = scan(broken);
        assert_eq!(s.problems.len(), 3, "{:?}", s.problems);
        assert!(
            s.problems
                .iter()
                .any(|p| p.message.contains("unknown hydrated part `nonsense`"))
        );
        assert!(
            s.problems
                .iter()
                .any(|p| p.message.contains("has no end marker"))
        );

        // Inside a closed fence a marker is only text.
        let s = scan("```\n<!-- mesh:hydrate:begin goals -->\n```\n");
        assert!(s.problems.is_empty() && s.regions.is_empty());
    }

    #[test]
    fn scaffold_lines_come_from_both_templates() {
        assert!(
            scaffold_lines(RegionId::Goals)
                .iter()
                .any(|l| l.contains("**Measure:**"))
        );
        assert!(
            scaffold_lines(RegionId::Goals)
                .iter()
                .any(|l| !l.contains("**Measure:**"))
        );
        assert_eq!(scaffold_lines(RegionId::CoreObjective).len(), 1);
        assert!(
            !scaffold_lines(RegionId::Provenance)
                .iter()
                .any(|l| l.starts_with("*Template version"))
        );
    }

    #[test]
    fn project_names() {
        assert_eq!(
            project_name("Product Requirements: Shop").as_deref(),
            Some("Shop")
        );
        assert_eq!(
            project_name("Payouts: Technical Specification").as_deref(),
            Some("Payouts")
        );
        assert_eq!(project_name("Technical Specification"), None);
        assert_eq!(project_name("Spec: {{PROJECT_NAME}}"), None);
    }
}
