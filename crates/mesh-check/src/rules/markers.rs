//! Shared scan: every unfilled marker in a document's content, with its location.

use mesh_docs::Document;
use mesh_docs::inline::{self, MarkerKind};
use mesh_docs::markdown::{Block, ListItem};

/// A marker found in a document: kind, byte range in the document text, marker text.
#[derive(Debug, Clone)]
pub struct Occurrence<'a> {
    pub kind: MarkerKind,
    pub start: usize,
    pub end: usize,
    pub text: &'a str,
}

fn scan<'a>(text: &'a str, base: usize, out: &mut Vec<Occurrence<'a>>) {
    inline::scan_markers(text, |kind, start, end| {
        out.push(Occurrence {
            kind,
            start: base + start,
            end: base + end,
            text: &text[start..end],
        });
        true
    });
}

fn item<'a>(it: &'a ListItem, out: &mut Vec<Occurrence<'a>>) {
    scan(&it.text, it.text_span.start, out);
    for c in &it.continuation {
        for l in &c.lines {
            scan(&l.text, l.span.start, out);
        }
    }
    for c in &it.children {
        item(c, out);
    }
}

/// Every marker in the content of `doc` (headings, items, tables, paragraphs, fenced blocks),
/// skipping HTML comments, block quotes and the generation-16 preamble.
pub fn occurrences(doc: &Document) -> Vec<Occurrence<'_>> {
    let mut out = Vec::new();
    for (i, sec) in doc.md.sections.iter().enumerate() {
        if doc.meta.preamble.contains(&i) {
            continue;
        }
        if sec.level > 0
            && let Some(t) = doc.text.get(sec.heading.range())
        {
            scan(t, sec.heading.start, &mut out);
        }
        for b in &sec.blocks {
            match b {
                Block::List(l) => l.items.iter().for_each(|it| item(it, &mut out)),
                Block::Table(t) => {
                    for row in &t.rows {
                        for c in &row.cells {
                            scan(&c.text, c.span.start, &mut out);
                        }
                    }
                }
                Block::Paragraph(p) => {
                    for l in &p.lines {
                        scan(&l.text, l.span.start, &mut out);
                    }
                }
                Block::Fence(f) => {
                    if let Some(t) = doc.text.get(f.content_span.range()) {
                        scan(t, f.content_span.start, &mut out);
                    }
                }
                Block::Quote(_) | Block::Comment(_) | Block::Rule(_) => {}
            }
        }
    }
    out
}
