//! YAML loading with positions, on `saphyr` (pure Rust, YAML 1.2, maintained; every node has a
//! span, which gives OpenAPI operations and pnpm entries their exact line). Scalars are kept as
//! written (no early type resolution), so `1.10` stays `1.10` and is never read as a float.

use std::ops::Range;

use saphyr::{LoadableYamlNode, MarkedYaml, Scalar, YamlData, YamlLoader};
use saphyr_parser::{Event, Parser, Span, SpannedEventReceiver};

use crate::model::ParseError;
use crate::text::LineIndex;

pub(crate) type Node<'a> = MarkedYaml<'a>;

/// Deepest collection nesting accepted. Deeper documents are refused: the loaded tree is
/// recursive, and thousands of levels (`- - - - …`) would overflow the stack.
const MAX_DEPTH: usize = 256;

/// Forwards events to the loader while the nesting stays within [`MAX_DEPTH`].
struct DepthGuard<'a> {
    loader: YamlLoader<'a, MarkedYaml<'a>>,
    depth: usize,
    too_deep: Option<Span>,
}

impl<'a> SpannedEventReceiver<'a> for DepthGuard<'a> {
    fn on_event(&mut self, ev: Event<'a>, span: Span) {
        match ev {
            Event::SequenceStart(..) | Event::MappingStart(..) => {
                self.depth += 1;
                if self.depth > MAX_DEPTH {
                    self.too_deep.get_or_insert(span);
                    return;
                }
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let skip = self.depth > MAX_DEPTH;
                self.depth = self.depth.saturating_sub(1);
                if skip {
                    return;
                }
            }
            _ if self.depth > MAX_DEPTH => return,
            _ => {}
        }
        self.loader.on_event(ev, span);
    }
}

/// Load the first document of a YAML text.
pub(crate) fn load<'a>(index: &LineIndex<'_>, text: &'a str) -> Result<Node<'a>, ParseError> {
    let mut parser = Parser::new_from_str(text);
    let mut loader: YamlLoader<'a, MarkedYaml<'a>> = YamlLoader::default();
    loader.early_parse(false);
    loader.allow_duplicate_keys(true);
    loader.alias_limit(10_000);
    let mut guard = DepthGuard {
        loader,
        depth: 0,
        too_deep: None,
    };
    // Driven event by event: `Parser::load` recurses once per nesting level.
    let mut result = Ok(());
    for ev in parser.by_ref() {
        match ev {
            Ok((ev, span)) => guard.on_event(ev, span),
            Err(e) => {
                result = Err(e);
                break;
            }
        }
        if guard.too_deep.is_some() {
            break;
        }
    }
    if let Some(span) = guard.too_deep {
        let offset = index.offset_of(span.start.line(), span.start.col());
        return Err(index.error(
            offset..offset,
            format!("YAML nested more than {MAX_DEPTH} levels deep; this is not a manifest, lockfile or OpenAPI document"),
        ));
    }
    let loader = guard.loader;
    let err = match result {
        Err(e) => Some(e),
        Ok(()) => loader.error().cloned(),
    };
    if let Some(e) = err {
        let m = e.marker();
        let offset = index.offset_of(m.line(), m.col());
        return Err(index.error(
            offset..offset,
            format!(
                "invalid YAML: {}; fix the syntax so the file can be read",
                e.info()
            ),
        ));
    }
    let docs = loader.into_documents();
    Ok(docs
        .into_iter()
        .next()
        .unwrap_or_else(|| MarkedYaml::from_bare_yaml(saphyr::Yaml::BadValue)))
}

/// The text of a scalar node as written (quotes removed), or `None` for collections.
pub(crate) fn scalar<'n>(node: &'n Node<'_>) -> Option<&'n str> {
    match &node.data {
        YamlData::Representation(s, _, _) => Some(s.as_ref()),
        YamlData::Value(Scalar::String(s)) => Some(s.as_ref()),
        YamlData::Tagged(_, inner) => scalar(inner),
        _ => None,
    }
}

/// Key/value pairs of a mapping node (keys that are not scalars are skipped).
pub(crate) fn entries<'n, 'a>(
    node: &'n Node<'a>,
) -> impl Iterator<Item = (&'n str, &'n Node<'a>, &'n Node<'a>)> {
    let map = match &node.data {
        YamlData::Mapping(m) => Some(m),
        _ => None,
    };
    map.into_iter()
        .flat_map(|m| m.iter())
        .filter_map(|(k, v)| scalar(k).map(|ks| (ks, k, v)))
}

/// The value under `key` in a mapping node.
pub(crate) fn get<'n, 'a>(node: &'n Node<'a>, key: &str) -> Option<&'n Node<'a>> {
    entries(node).find(|(k, _, _)| *k == key).map(|(_, _, v)| v)
}

/// Items of a sequence node.
pub(crate) fn items<'n, 'a>(node: &'n Node<'a>) -> impl Iterator<Item = &'n Node<'a>> {
    let seq = match &node.data {
        YamlData::Sequence(s) => Some(s),
        _ => None,
    };
    seq.into_iter().flat_map(|s| s.iter())
}

/// Byte range of a node in the text.
pub(crate) fn range(index: &LineIndex<'_>, node: &Node<'_>) -> Range<usize> {
    let s = node.span.start;
    let e = node.span.end;
    let start = index.offset_of(s.line(), s.col());
    let end = index.offset_of(e.line(), e.col()).max(start);
    start..end
}
