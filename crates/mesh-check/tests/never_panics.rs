//! Property tests: the whole pipeline (parse every document kind, typed extraction, readiness,
//! every rule) never panics on arbitrary bytes, and every span and location stays in bounds.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use mesh_check::config::Config;
use mesh_check::context::Root;
use mesh_check::engine::{Selection, run_rules};
use mesh_check::load::LoadedRoot;
use mesh_check::readiness::assess;
use mesh_docs::markdown::{Block, ListItem};
use mesh_docs::{DocKind, DocSet, Document};
use proptest::prelude::*;

/// Lines that exercise every construct, mixed with arbitrary text.
fn line() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("# Title".to_string()),
        Just("## Hydration Contract".to_string()),
        Just("## Data Model".to_string()),
        Just("## API".to_string()),
        Just("## Security".to_string()),
        Just("## Records".to_string()),
        Just("## LLM Prompt".to_string()),
        Just("**Core Entities**:".to_string()),
        Just("**Relationships**:".to_string()),
        Just("- [ ] Book: x (fields: a, b)".to_string()),
        Just("- [x] A → B: 1:N".to_string()),
        Just("  - nested: value".to_string()),
        Just("\t- tabbed".to_string()),
        Just("- Database: [Postgres | SQLite]".to_string()),
        Just("- `GET /x/{id}` - d".to_string()),
        Just("- Threat 1: t + m".to_string()),
        Just("| ID | Date | Type | Decision | Status |".to_string()),
        Just("|---|---|---|---|---|".to_string()),
        Just("| 001 | d | INIT | x | ✅ |".to_string()),
        Just("| KICKBACK | 1 | T-1 | W | r | ❌ |".to_string()),
        Just("a | b".to_string()),
        Just("--- | ---".to_string()),
        Just("```".to_string()),
        Just("<!--".to_string()),
        Just("-->".to_string()),
        Just("<!-- ATOMIC_MESH_TEMPLATE_STUB -->".to_string()),
        Just("> quote".to_string()),
        Just("{{PLACE}} [Hint, x] TODO: y".to_string()),
        Just("*Template version: 13.6*".to_string()),
        Just("\u{feff}".to_string()),
        Just("1. step".to_string()),
        Just("- US1: As a x, I can y".to_string()),
        Just("    **Acceptance:** z".to_string()),
        "[^\n]{0,40}",
        any::<String>(),
    ]
}

fn text() -> impl Strategy<Value = String> {
    (prop::collection::vec(line(), 0..40), any::<bool>())
        .prop_map(|(lines, crlf)| lines.join(if crlf { "\r\n" } else { "\n" }))
}

fn check_item(item: &ListItem, len: usize) {
    assert!(item.span.start <= item.span.end && item.span.end <= len);
    assert!(item.text_span.start <= item.text_span.end && item.text_span.end <= len);
    item.children.iter().for_each(|c| check_item(c, len));
}

fn check_spans(doc: &Document) {
    let len = doc.text.len();
    for sec in &doc.md.sections {
        assert!(sec.heading.end <= len);
        for b in &sec.blocks {
            match b {
                Block::List(l) => l.items.iter().for_each(|i| check_item(i, len)),
                Block::Table(t) => {
                    for r in &t.rows {
                        for c in &r.cells {
                            assert!(c.span.start <= c.span.end && c.span.end <= len);
                            assert!(
                                doc.text.get(c.span.range()).is_some(),
                                "cell span on a char boundary"
                            );
                        }
                    }
                }
                Block::Paragraph(p) | Block::Quote(p) => {
                    for l in &p.lines {
                        assert!(doc.text.get(l.span.range()).is_some());
                    }
                }
                Block::Fence(f) => assert!(f.span.end <= len && f.content_span.end <= len),
                Block::Comment(c) => assert!(c.span.end <= len),
                Block::Rule(s) => assert!(s.end <= len),
            }
        }
    }
}

fn run_all(texts: Vec<String>) {
    let docs: Vec<Document> = DocKind::ALL
        .iter()
        .zip(texts)
        .map(|(k, t)| Document::parse(*k, format!("docs/{}", k.file_name()), t))
        .collect();
    for d in &docs {
        check_spans(d);
    }
    let set = DocSet::new(docs);
    let config = Config::default();
    let root = Root {
        dir: PathBuf::from("docs"),
        display: "docs".into(),
    };
    let readiness = assess(&set, &config.readiness, &[], &|k: DocKind| {
        root.file_display(k)
    });
    for d in &readiness.documents {
        assert!(d.score <= 100);
    }
    let loaded = LoadedRoot {
        docs: set,
        ..LoadedRoot::default()
    };
    for d in run_rules(&root, &loaded, &readiness, &config, &Selection::default()) {
        assert!(d.location.line >= 1 && d.location.column >= 1);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn structured_input_never_panics(texts in prop::collection::vec(text(), 6)) {
        run_all(texts);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..600), 6)) {
        run_all(bytes.into_iter().map(|b| String::from_utf8_lossy(&b).into_owned()).collect());
    }
}
