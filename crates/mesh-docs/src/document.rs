//! The six governed documents: kind, metadata common to all of them, and content iteration that
//! skips what is not project content (the generation-16 chat-model preamble, quotes, comments).

use serde::Serialize;

use crate::inline;
use crate::markdown::{
    Block, ListItem, Markdown, Paragraph, Section, Span, Table, normalize_title,
};

/// Which document a file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum DocKind {
    #[serde(rename = "PRD")]
    Prd,
    #[serde(rename = "SPEC")]
    Spec,
    #[serde(rename = "ACTIVE_SPEC")]
    ActiveSpec,
    #[serde(rename = "DECISION_LOG")]
    DecisionLog,
    #[serde(rename = "TECH_STACK")]
    TechStack,
    #[serde(rename = "INBOX")]
    Inbox,
}

impl DocKind {
    pub const ALL: [DocKind; 6] = [
        DocKind::Prd,
        DocKind::Spec,
        DocKind::ActiveSpec,
        DocKind::DecisionLog,
        DocKind::TechStack,
        DocKind::Inbox,
    ];

    /// The kinds whose readiness decides the mode.
    pub const GOVERNED: [DocKind; 3] = [DocKind::Prd, DocKind::Spec, DocKind::DecisionLog];

    pub fn as_str(self) -> &'static str {
        match self {
            DocKind::Prd => "PRD",
            DocKind::Spec => "SPEC",
            DocKind::ActiveSpec => "ACTIVE_SPEC",
            DocKind::DecisionLog => "DECISION_LOG",
            DocKind::TechStack => "TECH_STACK",
            DocKind::Inbox => "INBOX",
        }
    }

    pub fn file_name(self) -> &'static str {
        match self {
            DocKind::Prd => "PRD.md",
            DocKind::Spec => "SPEC.md",
            DocKind::ActiveSpec => "ACTIVE_SPEC.md",
            DocKind::DecisionLog => "DECISION_LOG.md",
            DocKind::TechStack => "TECH_STACK.md",
            DocKind::Inbox => "INBOX.md",
        }
    }

    pub fn from_file_name(name: &str) -> Option<DocKind> {
        DocKind::ALL
            .into_iter()
            .find(|k| k.file_name().eq_ignore_ascii_case(name))
    }

    pub fn parse(s: &str) -> Option<DocKind> {
        DocKind::ALL
            .into_iter()
            .find(|k| k.as_str().eq_ignore_ascii_case(s) || k.file_name().eq_ignore_ascii_case(s))
    }
}

impl std::fmt::Display for DocKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

pub const STUB_MARKER: &str = "ATOMIC_MESH_TEMPLATE_STUB";
pub const APPEND_ANCHOR: &str = "ATOMIC_MESH_APPEND_DECISIONS_BELOW";

/// The `**Author**: … | **Date**: … | **Status**: …` header line.
#[derive(Debug, Clone, Serialize)]
pub struct Header {
    pub author: Option<String>,
    pub date: Option<String>,
    pub status: Option<String>,
    pub span: Span,
}

/// Facts every document shares.
#[derive(Debug, Clone, Serialize)]
pub struct Meta {
    /// The stub marker comment, when present in the first lines.
    pub stub_marker: Option<Span>,
    /// `*Template version: N*`.
    pub template_version: Option<(String, Span)>,
    /// The first level-1 heading.
    pub title: Option<(String, Span)>,
    pub header: Option<Header>,
    /// Section indices (into `Markdown::sections`) that belong to the generation-16 preamble.
    pub preamble: Vec<usize>,
}

/// A parsed document: its text, the Markdown structure and shared metadata.
#[derive(Debug, Clone, Serialize)]
pub struct Document {
    pub kind: DocKind,
    /// Path as shown to the user.
    pub path: String,
    #[serde(skip)]
    pub text: String,
    pub md: Markdown,
    pub meta: Meta,
}

impl Document {
    /// Parse `text` as a document of `kind`. Never fails.
    pub fn parse(kind: DocKind, path: impl Into<String>, text: impl Into<String>) -> Document {
        let text = text.into();
        let md = Markdown::parse(&text);
        let meta = meta(&md, &text);
        Document {
            kind,
            path: path.into(),
            text,
            md,
            meta,
        }
    }

    /// Sections that hold project content: all but the level-0 lead-in and the preamble.
    pub fn content_sections(&self) -> impl Iterator<Item = (usize, &Section)> {
        self.md
            .sections
            .iter()
            .enumerate()
            .filter(|(i, s)| s.level > 0 && !self.meta.preamble.contains(i))
    }

    /// Index of the first content section whose normalised title satisfies `pred`.
    pub fn find_section(&self, pred: impl Fn(&str) -> bool) -> Option<usize> {
        self.content_sections()
            .find(|(_, s)| pred(&s.norm_title))
            .map(|(i, _)| i)
    }

    /// The section at `idx` and its subsections.
    pub fn subtree(&self, idx: usize) -> &[Section] {
        self.md.subtree(idx)
    }

    /// 1-based (line, column) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (u32, u32) {
        self.md.line_col(&self.text, offset)
    }

    /// The text of line `n` (1-based) without its terminator.
    pub fn line_text(&self, n: u32) -> &str {
        let idx = (n as usize).saturating_sub(1);
        let Some(&start) = self.md.line_starts.get(idx) else {
            return "";
        };
        let end = self
            .md
            .line_starts
            .get(idx + 1)
            .copied()
            .unwrap_or(self.text.len());
        self.text
            .get(start..end)
            .unwrap_or("")
            .trim_end_matches(['\n', '\r'])
    }

    /// Whether the document declares a generation (from its version line or preamble).
    pub fn generation(&self) -> Option<f32> {
        if let Some((v, _)) = &self.meta.template_version {
            return v.parse().ok();
        }
        if !self.meta.preamble.is_empty() {
            return Some(16.0);
        }
        None
    }
}

fn meta(md: &Markdown, text: &str) -> Meta {
    let mut stub_marker = None;
    let mut template_version = None;
    let mut title = None;
    let mut header = None;
    for (si, sec) in md.sections.iter().enumerate() {
        if sec.level == 1 && title.is_none() {
            title = Some((sec.title.clone(), sec.heading));
        }
        for block in &sec.blocks {
            match block {
                Block::Comment(c) if c.text == STUB_MARKER && c.span.line <= 3 => {
                    stub_marker.get_or_insert(c.span);
                }
                Block::Paragraph(p) => {
                    for l in &p.lines {
                        if let Some(v) = version_line(&l.text) {
                            template_version = Some((v, l.span));
                        }
                        if header.is_none()
                            && si <= 2
                            && l.text.contains("**Author**")
                            && l.text.contains('|')
                        {
                            header = Some(parse_header(&l.text, l.span));
                        }
                    }
                }
                _ => {}
            }
        }
    }
    let _ = text;
    Meta {
        stub_marker,
        template_version,
        title,
        header,
        preamble: preamble(md),
    }
}

fn version_line(t: &str) -> Option<String> {
    let inner = t.trim().trim_matches(|c| c == '*' || c == '_').trim();
    let rest = inner.strip_prefix("Template version:")?;
    let v = rest.trim().trim_matches(|c| c == '*' || c == '_').trim();
    (!v.is_empty()).then(|| v.to_string())
}

fn parse_header(t: &str, span: Span) -> Header {
    let mut h = Header {
        author: None,
        date: None,
        status: None,
        span,
    };
    for part in t.split('|') {
        if let Some(kv) = crate::markdown::key_value(part.trim(), 0, span.line) {
            let v = Some(kv.value.clone()).filter(|v| !v.is_empty());
            match kv.key.to_ascii_lowercase().as_str() {
                "author" => h.author = v,
                "date" => h.date = v,
                "status" => h.status = v,
                _ => {}
            }
        }
    }
    h
}

/// The generation-16 `## LLM Prompt` section and its subsections, before the title.
fn preamble(md: &Markdown) -> Vec<usize> {
    let mut out = Vec::new();
    let Some(start) = md
        .sections
        .iter()
        .position(|s| s.level > 0 && s.norm_title.starts_with("llm prompt"))
    else {
        return out;
    };
    let level = md.sections[start].level;
    out.push(start);
    for (i, s) in md.sections.iter().enumerate().skip(start + 1) {
        if s.level > level {
            out.push(i);
        } else {
            break;
        }
    }
    out
}

/// A list item together with the bold label (`**Core Entities**:`) or the section it sits under.
#[derive(Debug, Clone, Copy)]
pub struct Labeled<'a> {
    /// Normalised label: the last `**Label**` paragraph before the list, or "".
    pub label: &'a str,
    pub item: &'a ListItem,
    /// Depth of nesting (0 = top level).
    pub depth: usize,
}

/// Every list item in `sections` (depth-first), with the bold label in force.
pub fn labeled_items<'a>(sections: &'a [Section], labels: &'a mut Vec<String>) -> Vec<Labeled<'a>> {
    // Collect labels first so the returned references live as long as `labels`.
    labels.clear();
    let mut plan: Vec<(usize, &'a ListItem, usize)> = Vec::new();
    for sec in sections {
        let mut current = usize::MAX;
        for block in &sec.blocks {
            match block {
                Block::Paragraph(p) => {
                    if let Some(l) = bold_label(p) {
                        labels.push(l);
                        current = labels.len() - 1;
                    }
                }
                Block::List(list) => {
                    for item in &list.items {
                        push_items(item, current, 0, &mut plan);
                    }
                }
                _ => {}
            }
        }
        // Section boundary resets the label.
    }
    let labels: &'a Vec<String> = labels;
    plan.into_iter()
        .map(|(li, item, depth)| Labeled {
            label: labels.get(li).map(String::as_str).unwrap_or(""),
            item,
            depth,
        })
        .collect()
}

fn push_items<'a>(
    item: &'a ListItem,
    label: usize,
    depth: usize,
    out: &mut Vec<(usize, &'a ListItem, usize)>,
) {
    out.push((label, item, depth));
    for c in &item.children {
        push_items(c, label, depth + 1, out);
    }
}

/// `**Core Entities**:` or `**Core Entities**` alone on a line → "core entities".
pub fn bold_label(p: &Paragraph) -> Option<String> {
    let first = p.lines.first()?;
    let t = first.text.trim();
    let inner = t.strip_prefix("**")?;
    let close = inner.find("**")?;
    let label = inner[..close].trim_end_matches(':');
    let after = inner[close + 2..].trim();
    if after.is_empty() || after == ":" {
        Some(normalize_title(label))
    } else {
        None
    }
}

/// All tables in `sections`.
pub fn tables(sections: &[Section]) -> impl Iterator<Item = &Table> {
    sections.iter().flat_map(|s| {
        s.blocks.iter().filter_map(|b| match b {
            Block::Table(t) => Some(t),
            _ => None,
        })
    })
}

/// A requirement-like ID at the start of `text` (`US3:`, `G1 -`, `NFR-2.`): returns the ID and the rest.
pub fn leading_id(text: &str) -> Option<(String, &str)> {
    let t = inline::plain_prefix(text);
    let letters = t.bytes().take_while(|b| b.is_ascii_uppercase()).count();
    if letters == 0 || letters > 5 {
        return None;
    }
    let mut i = letters;
    if t.as_bytes().get(i) == Some(&b'-') {
        i += 1;
    }
    let digits = t[i..].bytes().take_while(|b| b.is_ascii_digit()).count();
    if digits == 0 || digits > 6 {
        return None;
    }
    let id_end = i + digits;
    let id = t[..id_end].replace('-', "");
    let rest = t[id_end..].trim_start_matches(['*', ' ']);
    let rest = rest
        .strip_prefix(':')
        .or_else(|| rest.strip_prefix('.'))
        .or_else(|| rest.strip_prefix(" -"))
        .or_else(|| rest.strip_prefix('—'))
        .or_else(|| rest.strip_prefix(')'))?;
    Some((id, rest.trim_start_matches(['*', ' ']).trim()))
}
