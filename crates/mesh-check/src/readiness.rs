//! Readiness: how much of each governed document is filled, and the mode that follows.
//!
//! # Scoring
//! A document is cut into **content units**: every list item (nested ones too; a `Key:` bullet
//! whose only content is its nested bullets is a container, not a unit), every table row, every
//! paragraph and every fenced block inside a section. Not units: headings, block quotes (template
//! guidance), HTML comments (the stub marker among them), rules, bold labels such as
//! `**Core Entities**:`, the `**Author**` header line, the `*Template version*` line, the
//! SPEC's fixed `## Change Policy` text, and the whole generation-16 `## LLM Prompt` preamble.
//!
//! A unit is **unfilled** when it holds a `{{placeholder}}`, an option list `[A | B]`, a bracket
//! hint `[Name, purpose]`, a `TODO:` token, or is an empty item. A section whose whole subtree has
//! no unit counts as one unfilled unit (`empty section`). A required section that is missing
//! counts as two unfilled units (`missing section`). Checkbox state does not matter: a filled
//! requirement written as `- [ ] Store: …` is content.
//!
//! `score = round(100 × filled / (filled + unfilled))`, 0 for a document with no unit.
//!
//! The decision log is scored on its decision rows instead: every row that records a real
//! decision (not the scaffold's INIT row, no unfilled marker, a non-empty Decision cell) adds 34,
//! up to 100 — so the default threshold of 30 means "at least one real decision".
//!
//! # Mode
//! `PRE_INIT` when none of PRD, SPEC and DECISION_LOG exists; `EXECUTION` when all three exist
//! and reach their thresholds (defaults 80/80/30, `[readiness]` in mesh.toml); `BOOTSTRAP`
//! otherwise.

use serde::Serialize;

use mesh_docs::decision::RowKind;
use mesh_docs::document::bold_label;
use mesh_docs::inline::{self, MarkerKind};
use mesh_docs::markdown::{Block, ListItem, Span, normalize_title};
use mesh_docs::{DecisionLog, DocKind, DocSet, Document};

use crate::config::ReadinessConfig;

/// Why a unit is unfilled. Serialised as its readable name (`option list`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    Placeholder,
    OptionList,
    Hint,
    TodoToken,
    EmptyItem,
    EmptySection,
    MissingSection,
    NoDecisions,
    MissingDocument,
    Unreadable,
}

impl Serialize for Reason {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl Reason {
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Placeholder => "placeholder",
            Reason::OptionList => "option list",
            Reason::Hint => "hint",
            Reason::TodoToken => "TODO token",
            Reason::EmptyItem => "empty item",
            Reason::EmptySection => "empty section",
            Reason::MissingSection => "missing section",
            Reason::NoDecisions => "no decisions recorded",
            Reason::MissingDocument => "missing document",
            Reason::Unreadable => "unreadable document",
        }
    }

    fn from_marker(k: MarkerKind) -> Reason {
        match k {
            MarkerKind::Placeholder => Reason::Placeholder,
            MarkerKind::OptionList => Reason::OptionList,
            MarkerKind::Hint => Reason::Hint,
            MarkerKind::Todo => Reason::TodoToken,
        }
    }
}

/// One unfilled unit.
#[derive(Debug, Clone, Serialize)]
pub struct Unfilled {
    pub line: u32,
    pub text: String,
    pub reason: Reason,
    #[serde(skip)]
    pub span: Span,
}

/// Readiness of one document.
#[derive(Debug, Clone, Serialize)]
pub struct DocReadiness {
    pub kind: DocKind,
    pub path: String,
    pub exists: bool,
    pub score: u8,
    /// `None` for documents without a threshold (ACTIVE_SPEC, TECH_STACK, INBOX).
    pub threshold: Option<u8>,
    pub ready: bool,
    pub filled: usize,
    pub unfilled: Vec<Unfilled>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Mode {
    #[serde(rename = "PRE_INIT")]
    PreInit,
    #[serde(rename = "BOOTSTRAP")]
    Bootstrap,
    #[serde(rename = "EXECUTION")]
    Execution,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::PreInit => "PRE_INIT",
            Mode::Bootstrap => "BOOTSTRAP",
            Mode::Execution => "EXECUTION",
        }
    }
}

/// Readiness of a root.
#[derive(Debug, Clone, Serialize)]
pub struct Readiness {
    pub mode: Mode,
    pub documents: Vec<DocReadiness>,
}

impl Readiness {
    pub fn get(&self, kind: DocKind) -> Option<&DocReadiness> {
        self.documents.iter().find(|d| d.kind == kind)
    }
}

/// Required sections per kind: (accepted title prefixes, shown name).
fn required(kind: DocKind) -> &'static [(&'static [&'static str], &'static str)] {
    match kind {
        DocKind::Prd => &[
            (&["goals", "objectives"], "Goals"),
            (&["user stories", "stories", "requirements"], "User Stories"),
        ],
        DocKind::Spec => &[
            (
                &["hydration contract"],
                "Hydration Contract (for ACTIVE_SPEC)",
            ),
            (&["data model", "data", "storage"], "Data Model"),
            (&["api", "interfaces", "interface", "endpoints"], "API"),
            (&["security"], "Security"),
        ],
        _ => &[],
    }
}

/// Required sections of `kind` missing from `doc`, with their display names.
pub fn missing_sections(doc: &Document) -> Vec<&'static str> {
    required(doc.kind)
        .iter()
        .filter(|(prefixes, _)| {
            doc.find_section(|t| prefixes.iter().any(|p| t.starts_with(p)))
                .is_none()
        })
        .map(|(_, name)| *name)
        .collect()
}

fn short(text: &str) -> String {
    let t = text.trim();
    if t.chars().count() > 100 {
        let mut s: String = t.chars().take(97).collect();
        s.push('…');
        s
    } else {
        t.to_string()
    }
}

struct Counter<'a> {
    doc: &'a Document,
    filled: usize,
    unfilled: Vec<Unfilled>,
}

impl Counter<'_> {
    fn unit(&mut self, text: &str, span: Span) -> bool {
        if let Some(kind) = inline::first_marker(text) {
            self.unfilled.push(Unfilled {
                line: span.line,
                text: short(self.doc.line_text(span.line)),
                reason: Reason::from_marker(kind),
                span,
            });
            false
        } else if text.trim().is_empty() {
            self.unfilled.push(Unfilled {
                line: span.line,
                text: short(self.doc.line_text(span.line)),
                reason: Reason::EmptyItem,
                span,
            });
            false
        } else {
            self.filled += 1;
            true
        }
    }

    fn item(&mut self, item: &ListItem) -> usize {
        let mut units = 0;
        let container = !item.children.is_empty()
            && item
                .key_value()
                .is_some_and(|kv| kv.value.trim().is_empty());
        if !container {
            self.unit(&item.text, item.span);
            units += 1;
        }
        for c in &item.continuation {
            self.unit(&c.text(), c.span);
            units += 1;
        }
        for c in &item.children {
            units += self.item(c);
        }
        units
    }
}

/// Score a PRD, SPEC or any prose document by content units.
pub fn score_units(doc: &Document) -> (usize, Vec<Unfilled>) {
    let mut c = Counter {
        doc,
        filled: 0,
        unfilled: Vec::new(),
    };
    // The Change Policy is fixed text every SPEC carries; it is neither content nor unfilled.
    let sections: Vec<usize> = doc
        .content_sections()
        .filter(|(_, s)| !s.norm_title.starts_with("change policy"))
        .map(|(i, _)| i)
        .collect();
    let mut units_in = vec![0usize; doc.md.sections.len()];
    for &i in &sections {
        let sec = &doc.md.sections[i];
        let mut n = 0;
        for b in &sec.blocks {
            match b {
                Block::List(l) => {
                    for it in &l.items {
                        n += c.item(it);
                    }
                }
                Block::Table(t) => {
                    for row in &t.rows {
                        let text: Vec<&str> = row.cells.iter().map(|c| c.text.as_str()).collect();
                        let joined = text.join(" | ");
                        if row.cells.iter().all(|c| c.text.trim().is_empty()) {
                            continue;
                        }
                        c.unit(&joined, row.span);
                        n += 1;
                    }
                }
                Block::Paragraph(p) => {
                    if bold_label(p).is_some() {
                        continue;
                    }
                    let text = p.text();
                    let t = text.trim();
                    if t.contains("**Author**")
                        || t.trim_matches(['*', '_']).starts_with("Template version:")
                    {
                        continue;
                    }
                    c.unit(&text, p.span);
                    n += 1;
                }
                Block::Fence(f) => {
                    c.unit(&f.content, f.span);
                    n += 1;
                }
                Block::Quote(_) | Block::Comment(_) | Block::Rule(_) => {}
            }
        }
        units_in[i] = n;
    }
    // Empty sections: report the top-most heading whose whole subtree has no unit.
    let mut covered_until = 0usize;
    for &i in &sections {
        if i < covered_until {
            continue;
        }
        let sub = doc.md.subtree(i);
        let total: usize = (i..i + sub.len())
            .map(|j| units_in.get(j).copied().unwrap_or(0))
            .sum();
        if total == 0 {
            let sec = &doc.md.sections[i];
            // The document title (level 1) with subsections is not a content section itself.
            if sec.level == 1 && sub.len() > 1 {
                continue;
            }
            c.unfilled.push(Unfilled {
                line: sec.heading.line,
                text: short(doc.line_text(sec.heading.line)),
                reason: Reason::EmptySection,
                span: sec.heading,
            });
            covered_until = i + sub.len();
        }
    }
    // A missing required section weighs two units (see `assess`); it is listed once.
    for name in missing_sections(doc) {
        c.unfilled.push(Unfilled {
            line: 1,
            text: format!("## {name}"),
            reason: Reason::MissingSection,
            span: Span::default(),
        });
    }
    c.unfilled.sort_by_key(|u| (u.line, u.span.start));
    (c.filled, c.unfilled)
}

fn percent(filled: usize, unfilled: usize) -> u8 {
    let total = filled + unfilled;
    if total == 0 {
        0
    } else {
        ((filled as f64 * 100.0 / total as f64).round() as u8).min(100)
    }
}

/// Score the decision log on real decision rows.
pub fn score_decisions(doc: &Document, docs: &DocSet) -> (u8, usize, Vec<Unfilled>) {
    let mut unfilled = Vec::new();
    let mut real = 0usize;
    if let Some(log) = &docs.decisions {
        // The row's cells joined with ` | ` (a marker such as `[A | B]` may span cells), in one
        // buffer reused for every row.
        let mut whole = String::new();
        for row in &log.rows {
            if row.row != RowKind::Decision {
                continue;
            }
            whole.clear();
            for (i, (_, c)) in row.cell_texts(&doc.text).enumerate() {
                if i > 0 {
                    whole.push_str(" | ");
                }
                whole.push_str(c);
            }
            if let Some(kind) = inline::first_marker(&whole) {
                unfilled.push(Unfilled {
                    line: row.span.line,
                    text: short(doc.line_text(row.span.line)),
                    reason: Reason::from_marker(kind),
                    span: row.span,
                });
                continue;
            }
            if DecisionLog::is_init(row) || row.decision.trim().is_empty() {
                continue;
            }
            real += 1;
        }
        if real == 0 {
            let span = log.table.unwrap_or_default();
            unfilled.push(Unfilled {
                line: span.line.max(1),
                text: "no decision recorded beyond the scaffold's INIT row".into(),
                reason: Reason::NoDecisions,
                span,
            });
        }
    }
    let score = (real * 34).min(100) as u8;
    (score, real, unfilled)
}

fn threshold(kind: DocKind, cfg: &ReadinessConfig) -> Option<u8> {
    match kind {
        DocKind::Prd => Some(cfg.prd),
        DocKind::Spec => Some(cfg.spec),
        DocKind::DecisionLog => Some(cfg.decision_log),
        _ => None,
    }
}

/// Readiness of every document kind of a root. `unreadable` lists kinds whose file exists but
/// could not be read; `paths` gives each kind's display path.
pub fn assess(
    docs: &DocSet,
    cfg: &ReadinessConfig,
    unreadable: &[DocKind],
    path_of: &dyn Fn(DocKind) -> String,
) -> Readiness {
    let mut out = Vec::new();
    for kind in DocKind::ALL {
        let th = threshold(kind, cfg);
        let path = path_of(kind);
        let Some(doc) = docs.get(kind) else {
            let bad = unreadable.contains(&kind);
            out.push(DocReadiness {
                kind,
                path,
                exists: bad,
                score: 0,
                threshold: th,
                ready: false,
                filled: 0,
                unfilled: vec![Unfilled {
                    line: 1,
                    text: if bad {
                        format!("{} cannot be read", kind.file_name())
                    } else {
                        format!("{} does not exist", kind.file_name())
                    },
                    reason: if bad {
                        Reason::Unreadable
                    } else {
                        Reason::MissingDocument
                    },
                    span: Span::default(),
                }],
            });
            continue;
        };
        let (score, filled, unfilled) = if kind == DocKind::DecisionLog {
            score_decisions(doc, docs)
        } else {
            let (filled, unfilled) = score_units(doc);
            let weight = unfilled.len()
                + unfilled
                    .iter()
                    .filter(|u| u.reason == Reason::MissingSection)
                    .count();
            (percent(filled, weight), filled, unfilled)
        };
        out.push(DocReadiness {
            kind,
            path,
            exists: true,
            score,
            threshold: th,
            ready: th.is_none_or(|t| score >= t),
            filled,
            unfilled,
        });
    }
    let governed: Vec<&DocReadiness> = out
        .iter()
        .filter(|d| DocKind::GOVERNED.contains(&d.kind))
        .collect();
    let mode = if governed.iter().all(|d| !d.exists) {
        Mode::PreInit
    } else if governed.iter().all(|d| d.exists && d.ready) {
        Mode::Execution
    } else {
        Mode::Bootstrap
    };
    Readiness {
        mode,
        documents: out,
    }
}

/// Whether a section title names a required section of `kind` (used by rules).
pub fn is_required_title(kind: DocKind, title: &str) -> bool {
    let t = normalize_title(title);
    required(kind)
        .iter()
        .any(|(prefixes, _)| prefixes.iter().any(|p| t.starts_with(p)))
}
