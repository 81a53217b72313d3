//! SPEC.md: the technical constitution, as typed values.
//!
//! Extraction reads bullets (template style) and tables (team style) alike. Items that still hold
//! an unfilled marker are left out of the typed lists (they are reported by the readiness and
//! placeholder rules instead); Hydration Contract fields keep their unfilled state.

use std::borrow::Cow;

use serde::Serialize;

use crate::document::{Document, Labeled, labeled_items, tables};
use crate::inline::{self, MarkerKind};
use crate::markdown::{KeyValue, ListItem, Span, Table, normalize_title};

/// A `Key: value` field; `value` is `None` while unfilled (option list, hint, placeholder, empty).
#[derive(Debug, Clone, Serialize)]
pub struct Field {
    pub key: String,
    pub value: Option<String>,
    /// The value text as written.
    pub raw: String,
    /// The whole item text.
    pub span: Span,
    pub value_span: Span,
    /// Why it is unfilled, when it is.
    pub unfilled: Option<MarkerKind>,
}

impl Field {
    fn from_kv(kv: &KeyValue, item_span: Span) -> Field {
        let unfilled = inline::first_marker(&kv.value);
        let empty = kv.value.trim().is_empty();
        Field {
            key: kv.key.clone(),
            value: (unfilled.is_none() && !empty).then(|| inline::plain(&kv.value)),
            raw: kv.value.clone(),
            span: item_span,
            value_span: kv.value_span,
            unfilled,
        }
    }
}

/// The `## Hydration Contract` fields. `None` = the field is missing from the document.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Contract {
    /// The section heading, when present.
    pub section: Option<Span>,
    pub database: Option<Field>,
    pub auth: Option<Field>,
    pub api_style: Option<Field>,
    pub runtime: Option<Field>,
    pub error_format: Option<Field>,
    pub logging: Option<Field>,
    pub testing: Option<Field>,
}

impl Contract {
    /// Fields in a fixed order with their JSON names.
    pub fn fields(&self) -> [(&'static str, &'static str, Option<&Field>); 7] {
        [
            ("database", "Database", self.database.as_ref()),
            ("auth", "Auth", self.auth.as_ref()),
            ("api_style", "API Style", self.api_style.as_ref()),
            ("runtime", "Runtime/Deploy", self.runtime.as_ref()),
            ("error_format", "Error format", self.error_format.as_ref()),
            ("logging", "Logging", self.logging.as_ref()),
            ("testing", "Testing", self.testing.as_ref()),
        ]
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Entity {
    pub name: String,
    pub description: String,
    pub fields: Vec<String>,
    pub span: Span,
    pub checked: Option<bool>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Relationship {
    pub from: String,
    pub to: String,
    pub cardinality: Option<String>,
    pub text: String,
    pub span: Span,
    pub checked: Option<bool>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Endpoint {
    pub method: String,
    pub path: String,
    pub summary: String,
    pub span: Span,
    pub checked: Option<bool>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Threat {
    pub text: String,
    pub mitigation: Option<String>,
    pub span: Span,
    pub checked: Option<bool>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Library {
    pub name: String,
    pub purpose: String,
    pub constraint: Option<String>,
    pub span: Span,
    pub checked: Option<bool>,
}

/// A named item: an external service, a control, a performance target.
#[derive(Debug, Clone, Serialize)]
pub struct NamedItem {
    pub name: String,
    pub text: String,
    pub span: Span,
    pub checked: Option<bool>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Spec {
    pub contract: Contract,
    pub entities: Vec<Entity>,
    pub relationships: Vec<Relationship>,
    pub endpoints: Vec<Endpoint>,
    pub auth: Vec<Field>,
    pub threats: Vec<Threat>,
    pub controls: Vec<NamedItem>,
    pub services: Vec<NamedItem>,
    pub libraries: Vec<Library>,
    /// Targets from `## Performance & Capacity` (generation 16) or similar sections.
    pub performance: Vec<NamedItem>,
}

const METHODS: [&str; 7] = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];

impl Spec {
    /// Extract the typed SPEC from a parsed document.
    pub fn from_document(doc: &Document) -> Spec {
        let mut spec = Spec::default();
        let mut labels = Vec::new();

        // Hydration Contract.
        if let Some(idx) = doc.find_section(|t| t.starts_with("hydration contract")) {
            spec.contract.section = Some(doc.md.sections[idx].heading);
            for l in labeled_items(doc.subtree(idx), &mut labels) {
                contract_field(&mut spec.contract, l.item);
            }
        }

        // Data model.
        for (idx, sec) in doc.content_sections() {
            let title = sec.norm_title.as_str();
            if !(title.contains("data model") || title == "entities" || title == "relationships") {
                continue;
            }
            for sub in doc.subtree(idx) {
                let sub_title = sub.norm_title.as_str();
                let one = std::slice::from_ref(sub);
                for l in labeled_items(one, &mut labels) {
                    if l.depth > 0 || has_markers(&l.item.text) {
                        continue;
                    }
                    data_item(&mut spec, &l, sub_title);
                }
                for t in tables(one) {
                    data_table(&mut spec, t, sub_title);
                }
            }
        }
        dedup_by(&mut spec.entities, |e| e.span.start);
        dedup_by(&mut spec.relationships, |r| r.span.start);

        // API / Interfaces.
        for (idx, sec) in doc.content_sections() {
            let title = sec.norm_title.as_str();
            if !(title.contains("api") || title.contains("interface") || title.contains("endpoint"))
            {
                continue;
            }
            let sub = doc.subtree(idx);
            for l in labeled_items(sub, &mut labels) {
                if has_markers(&l.item.text) {
                    continue;
                }
                if let Some(ep) = parse_endpoint(&l.item.text) {
                    spec.endpoints.push(Endpoint {
                        span: l.item.span,
                        checked: l.item.checked,
                        ..ep
                    });
                } else if l.label.contains("authentication")
                    && let Some(kv) = l.item.key_value()
                {
                    spec.auth.push(Field::from_kv(&kv, l.item.text_span));
                }
            }
            for t in tables(sub) {
                endpoint_table(&mut spec, t);
            }
        }
        dedup_by(&mut spec.endpoints, |e| e.span.start);

        // Security.
        if let Some(idx) = doc.find_section(|t| t.contains("security")) {
            let sub = doc.subtree(idx);
            for l in labeled_items(sub, &mut labels) {
                if l.depth > 0 || has_markers(&l.item.text) {
                    continue;
                }
                let text = inline::plain(&l.item.text);
                let kv = l.item.key_value();
                let key = kv
                    .as_ref()
                    .map(|k| k.key.to_ascii_lowercase())
                    .unwrap_or_default();
                if l.label.contains("threat") || key.starts_with("threat") {
                    let (t, m) = split_mitigation(l.item);
                    spec.threats.push(Threat {
                        text: t,
                        mitigation: m,
                        span: l.item.span,
                        checked: l.item.checked,
                    });
                } else if l.label.contains("control") {
                    spec.controls.push(NamedItem {
                        name: kv.map(|k| k.key).unwrap_or_else(|| text.clone()),
                        text,
                        span: l.item.span,
                        checked: l.item.checked,
                    });
                }
            }
            for t in tables(sub) {
                let Some(tc) = t.column(|h| h.contains("threat") || h == "risk") else {
                    continue;
                };
                let mc = t.column(|h| h.contains("mitigation") || h.contains("control"));
                for row in &t.rows {
                    let Some(cell) = row.cell(tc) else { continue };
                    if cell.text.is_empty() || has_markers(&cell.text) {
                        continue;
                    }
                    let m = mc
                        .and_then(|c| row.cell(c))
                        .map(|c| inline::plain(&c.text))
                        .filter(|m| !m.is_empty());
                    spec.threats.push(Threat {
                        text: inline::plain(&cell.text),
                        mitigation: m,
                        span: row.span,
                        checked: None,
                    });
                }
            }
        }

        // Dependencies.
        if let Some(idx) =
            doc.find_section(|t| t.starts_with("dependencies") || t.contains("third-party"))
        {
            let sub = doc.subtree(idx);
            for l in labeled_items(sub, &mut labels) {
                if l.depth > 0 || has_markers(&l.item.text) {
                    continue;
                }
                let sec_title = "";
                if l.label.contains("librar")
                    || l.label.contains("crate")
                    || l.label.contains("package")
                {
                    if let Some(lib) = parse_library(&l.item.text) {
                        spec.libraries.push(Library {
                            span: l.item.span,
                            checked: l.item.checked,
                            ..lib
                        });
                    }
                } else if l.label.contains("service") || sec_title.contains("service") {
                    let text = inline::plain(&l.item.text);
                    spec.services.push(NamedItem {
                        name: l
                            .item
                            .key_value()
                            .map(|k| inline::plain(&k.key))
                            .unwrap_or_else(|| text.clone()),
                        text,
                        span: l.item.span,
                        checked: l.item.checked,
                    });
                }
            }
            for sec in sub {
                let st = sec.norm_title.as_str();
                let one = std::slice::from_ref(sec);
                if st.contains("librar") || st.contains("crate") || st.contains("package") {
                    for l in labeled_items(one, &mut labels) {
                        if l.depth == 0
                            && l.label.is_empty()
                            && !has_markers(&l.item.text)
                            && let Some(lib) = parse_library(&l.item.text)
                        {
                            spec.libraries.push(Library {
                                span: l.item.span,
                                checked: l.item.checked,
                                ..lib
                            });
                        }
                    }
                }
                for t in tables(one) {
                    library_table(&mut spec, t);
                }
            }
            dedup_by(&mut spec.libraries, |l| l.span.start);
        }

        // Performance targets.
        if let Some(idx) = doc.find_section(|t| t.contains("performance")) {
            for l in labeled_items(doc.subtree(idx), &mut labels) {
                if has_markers(&l.item.text) {
                    continue;
                }
                let text = inline::plain(&l.item.text);
                spec.performance.push(NamedItem {
                    name: l
                        .item
                        .key_value()
                        .map(|k| inline::plain(&k.key))
                        .unwrap_or_else(|| text.clone()),
                    text,
                    span: l.item.span,
                    checked: l.item.checked,
                });
            }
        }
        spec
    }
}

fn dedup_by<T>(v: &mut Vec<T>, key: impl Fn(&T) -> usize) {
    let mut seen = std::collections::HashSet::new();
    v.retain(|x| seen.insert(key(x)));
}

fn has_markers(text: &str) -> bool {
    inline::is_unfilled(text)
}

fn contract_field(c: &mut Contract, item: &ListItem) {
    let Some(kv) = item.key_value() else { return };
    let key = normalize_title(&kv.key);
    // A parent bullet (`Conventions:`) with nested fields has no value of its own.
    if key == "conventions" {
        return;
    }
    let f = Field::from_kv(&kv, item.text_span);
    let slot = if key.starts_with("database") || key == "db" || key.starts_with("storage") {
        &mut c.database
    } else if key.starts_with("auth") {
        &mut c.auth
    } else if key.starts_with("api") {
        &mut c.api_style
    } else if key.starts_with("runtime") || key.starts_with("deploy") {
        &mut c.runtime
    } else if key.starts_with("error") {
        &mut c.error_format
    } else if key.starts_with("logging") || key.starts_with("logs") {
        &mut c.logging
    } else if key.starts_with("test") {
        &mut c.testing
    } else {
        return;
    };
    if slot.is_none() {
        *slot = Some(f);
    }
}

fn is_arrow_text(t: &str) -> bool {
    t.contains('→') || t.contains("->")
}

fn data_item(spec: &mut Spec, l: &Labeled<'_>, section_title: &str) {
    let text = &l.item.text;
    let label = l.label;
    if label.contains("relationship")
        || section_title.contains("relationship")
        || is_arrow_text(text)
    {
        if let Some(r) = parse_relationship(text) {
            spec.relationships.push(Relationship {
                span: l.item.span,
                checked: l.item.checked,
                ..r
            });
        }
        return;
    }
    let entity_context = label.contains("entit")
        || section_title.contains("entit")
        || (label.is_empty() && section_title.contains("data model"));
    if !entity_context
        || label.contains("experiment")
        || label.contains("flag")
        || label.contains("index")
    {
        return;
    }
    if let Some(e) = parse_entity(text) {
        spec.entities.push(Entity {
            span: l.item.span,
            checked: l.item.checked,
            ..e
        });
    }
}

fn data_table(spec: &mut Spec, t: &Table, section_title: &str) {
    let from = t.column(|h| h == "from" || h == "source");
    let to = t.column(|h| h == "to" || h == "target");
    if let (Some(fc), Some(tc)) = (from, to) {
        let cc = t.column(|h| h.contains("cardinality") || h == "type" || h == "kind");
        for row in &t.rows {
            let (Some(f), Some(to)) = (row.cell(fc), row.cell(tc)) else {
                continue;
            };
            if f.text.is_empty() || has_markers(&f.text) || has_markers(&to.text) {
                continue;
            }
            spec.relationships.push(Relationship {
                from: inline::plain(&f.text),
                to: inline::plain(&to.text),
                cardinality: cc
                    .and_then(|c| row.cell(c))
                    .map(|c| inline::plain(&c.text))
                    .filter(|s| !s.is_empty()),
                text: inline::plain(
                    &row.cells
                        .iter()
                        .map(|c| c.text.as_str())
                        .collect::<Vec<_>>()
                        .join(" | "),
                ),
                span: row.span,
                checked: None,
            });
        }
        return;
    }
    if let Some(rc) = t.column(|h| h.contains("relationship")) {
        for row in &t.rows {
            if let Some(c) = row.cell(rc)
                && !has_markers(&c.text)
                && let Some(r) = parse_relationship(&c.text)
            {
                spec.relationships.push(Relationship {
                    span: row.span,
                    ..r
                });
            }
        }
        return;
    }
    let Some(nc) = t.column(|h| h == "entity" || h == "name" || h == "table" || h == "model")
    else {
        return;
    };
    let _ = section_title;
    let fc = t.column(|h| h.contains("field") || h.contains("column") || h.contains("attribute"));
    let dc = t.column(|h| h.contains("purpose") || h.contains("description"));
    for row in &t.rows {
        let Some(name) = row.cell(nc) else { continue };
        if name.text.is_empty() || has_markers(&name.text) {
            continue;
        }
        let fields = fc
            .and_then(|c| row.cell(c))
            .map(|c| split_fields(&c.text))
            .unwrap_or_default();
        spec.entities.push(Entity {
            name: inline::plain(&name.text),
            description: dc
                .and_then(|c| row.cell(c))
                .map(|c| inline::plain(&c.text))
                .unwrap_or_default(),
            fields,
            span: row.span,
            checked: None,
        });
    }
}

fn endpoint_table(spec: &mut Spec, t: &Table) {
    let mc = t.column(|h| h == "method" || h == "verb");
    let pc = t.column(|h| h == "path" || h == "route" || h == "url" || h == "endpoint");
    let sc = t.column(|h| {
        h.contains("purpose")
            || h.contains("description")
            || h.contains("summary")
            || h.contains("notes")
    });
    for row in &t.rows {
        let summary = sc
            .and_then(|c| row.cell(c))
            .map(|c| inline::plain(&c.text))
            .unwrap_or_default();
        let ep = match (mc, pc) {
            (Some(m), Some(p)) => {
                let (Some(m), Some(p)) = (row.cell(m), row.cell(p)) else {
                    continue;
                };
                let method = inline::plain(&m.text).to_ascii_uppercase();
                let path = inline::plain(&p.text);
                if !METHODS.contains(&method.as_str()) || !path.starts_with('/') {
                    continue;
                }
                Endpoint {
                    method,
                    path,
                    summary,
                    span: row.span,
                    checked: None,
                }
            }
            (None, Some(p)) => {
                let Some(cell) = row.cell(p) else { continue };
                let Some(mut ep) = parse_endpoint(&cell.text) else {
                    continue;
                };
                if ep.summary.is_empty() {
                    ep.summary = summary;
                }
                ep.span = row.span;
                ep
            }
            _ => continue,
        };
        if has_markers(&ep.path) {
            continue;
        }
        spec.endpoints.push(ep);
    }
}

fn library_table(spec: &mut Spec, t: &Table) {
    let Some(nc) = t.column(|h| h == "library" || h == "name" || h == "crate" || h == "package")
    else {
        return;
    };
    let vc = t.column(|h| h.contains("version") || h.contains("constraint"));
    let pc = t.column(|h| h.contains("purpose") || h.contains("description") || h.contains("why"));
    for row in &t.rows {
        let Some(n) = row.cell(nc) else { continue };
        if n.text.is_empty() || has_markers(&n.text) {
            continue;
        }
        spec.libraries.push(Library {
            name: inline::plain(&n.text),
            purpose: pc
                .and_then(|c| row.cell(c))
                .map(|c| inline::plain(&c.text))
                .unwrap_or_default(),
            constraint: vc
                .and_then(|c| row.cell(c))
                .map(|c| inline::plain(&c.text))
                .filter(|v| !v.is_empty() && v != "-" && v != "*"),
            span: row.span,
            checked: None,
        });
    }
}

/// `` `GET /books/{id}` - Fetch a book `` → method, path, summary.
pub fn parse_endpoint(text: &str) -> Option<Endpoint> {
    // Most lines handed here are not endpoints: refuse those without allocating. A path needs a
    // `/`; the code spans and bold markers are dropped only when there are any.
    if !text.contains('/') {
        return None;
    }
    let plain = if text.contains('`') || text.contains("**") {
        Cow::Owned(text.replace('`', "").replace("**", ""))
    } else {
        Cow::Borrowed(text)
    };
    let t = plain.trim();
    let mut parts = t.splitn(2, char::is_whitespace);
    let word = parts.next()?.trim_end_matches(':');
    let method = *METHODS.iter().find(|m| m.eq_ignore_ascii_case(word))?;
    let rest = parts.next()?.trim_start();
    if !rest.starts_with('/') {
        return None;
    }
    let path_end = rest.find(char::is_whitespace).unwrap_or(rest.len());
    let path = rest[..path_end].trim_end_matches([':', ',']).to_string();
    let summary = rest[path_end..]
        .trim()
        .trim_start_matches(['-', '—', '–', ':', '|'])
        .trim()
        .to_string();
    Some(Endpoint {
        method: method.to_string(),
        path,
        summary,
        span: Span::default(),
        checked: None,
    })
}

/// `Book → Author: N:1` (also `->`).
pub fn parse_relationship(text: &str) -> Option<Relationship> {
    let t = inline::plain(text);
    let (from, rest) = if let Some(p) = t.find('→') {
        (&t[..p], &t[p + '→'.len_utf8()..])
    } else if let Some(p) = t.find("->") {
        (&t[..p], &t[p + 2..])
    } else {
        return None;
    };
    let from = clean_name(from.rsplit(':').next().unwrap_or(from));
    let to_end = rest
        .find([':', '(', ',', '—', '['])
        .or_else(|| rest.find(" - "))
        .unwrap_or(rest.len());
    let to = clean_name(&rest[..to_end]);
    if from.is_empty() || to.is_empty() {
        return None;
    }
    Some(Relationship {
        from,
        to,
        cardinality: find_cardinality(rest),
        text: t.clone(),
        span: Span::default(),
        checked: None,
    })
}

fn find_cardinality(s: &str) -> Option<String> {
    let cs: Vec<char> = s.chars().collect();
    for i in 0..cs.len() {
        if cs[i] == ':' && i > 0 && i + 1 < cs.len() {
            let a = cs[i - 1];
            let b = cs[i + 1];
            let ok = |c: char| matches!(c, '1' | 'N' | 'M' | 'n' | 'm' | '*');
            let left_edge = i < 2 || !cs[i - 2].is_alphanumeric();
            let right_edge = i + 2 >= cs.len() || !cs[i + 2].is_alphanumeric();
            if ok(a) && ok(b) && left_edge && right_edge {
                return Some(format!(
                    "{}:{}",
                    a.to_ascii_uppercase(),
                    b.to_ascii_uppercase()
                ));
            }
        }
    }
    None
}

fn clean_name(s: &str) -> String {
    s.trim()
        .trim_matches(|c: char| c == '*' || c == '`' || c == '"' || c == '\'' || c.is_whitespace())
        .to_string()
}

/// `Book: a title for sale (fields: isbn, title)` or `Entity 1: Book — …`.
pub fn parse_entity(text: &str) -> Option<Entity> {
    let (name, desc) = entity_parts(text)?;
    Some(Entity {
        fields: fields_of(&desc),
        name,
        description: desc,
        span: Span::default(),
        checked: None,
    })
}

/// The name [`parse_entity`] finds in `text`, without reading the fields of its description.
pub fn entity_name(text: &str) -> Option<String> {
    entity_parts(text).map(|(name, _)| name)
}

/// An entity line's name and description.
fn entity_parts(text: &str) -> Option<(String, String)> {
    let plain = inline::plain(text);
    let (name, desc) = match crate::markdown::key_value(&plain, 0, 0) {
        Some(kv) => {
            let k = kv.key.to_ascii_lowercase();
            if k.starts_with("entity") && k[6..].trim().chars().all(|c| c.is_ascii_digit()) {
                let v = kv.value.trim();
                let end = v
                    .find([',', '(', ':', '—', '–'])
                    .or_else(|| v.find(" - "))
                    .unwrap_or(v.len());
                (
                    clean_name(&v[..end]),
                    v[end..]
                        .trim_start_matches([',', ':', '—', '–', '-', ' '])
                        .to_string(),
                )
            } else {
                (clean_name(&kv.key), kv.value.clone())
            }
        }
        None => {
            let end = plain
                .find(['(', '—', '–', ','])
                .or_else(|| plain.find(" - "))
                .unwrap_or(plain.len());
            (
                clean_name(&plain[..end]),
                plain[end..]
                    .trim_start_matches([',', '—', '–', '-', ' '])
                    .to_string(),
            )
        }
    };
    if name.is_empty() || name.split_whitespace().count() > 4 {
        return None;
    }
    Some((name, desc))
}

fn fields_of(desc: &str) -> Vec<String> {
    let lower = desc.to_ascii_lowercase();
    if let Some(p) = lower.find("fields") {
        let after = &desc[p + 6..];
        let after = after.trim_start_matches([':', ' ']);
        let end = after.find([')', ';', '.']).unwrap_or(after.len());
        return split_fields(&after[..end]);
    }
    // `a catalogue title — isbn13 (PK), title, authors; invariant: …`: the list after the dash,
    // up to the first `;`.
    let dash = ['—', '–']
        .iter()
        .filter_map(|d| desc.find(*d).map(|p| (p, d.len_utf8())))
        .chain(desc.find(" - ").map(|p| (p, 3)))
        .min();
    if let Some((p, len)) = dash {
        let list = &desc[p + len..];
        let end = top_level_find(list, ';').unwrap_or(list.len());
        let fields = split_fields(&list[..end]);
        if !fields.is_empty() {
            return fields;
        }
    }
    if let (Some(o), Some(c)) = (desc.find('('), desc.rfind(')'))
        && o < c
    {
        return split_fields(&desc[o + 1..c]);
    }
    Vec::new()
}

/// Byte offset of the first `needle` outside parentheses.
fn top_level_find(s: &str, needle: char) -> Option<usize> {
    let mut depth = 0usize;
    for (i, c) in s.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            c if c == needle && depth == 0 => return Some(i),
            _ => {}
        }
    }
    None
}

/// `isbn13 (PK, check digit), title, (store_id, isbn13) PK` → `isbn13`, `title`, `store_id`,
/// `isbn13`: split at commas and semicolons outside parentheses; each part gives its leading
/// name, or the names inside a leading parenthesis (a composite key). Parts that do not start
/// with an identifier (prose) give nothing.
fn split_fields(s: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    for (i, c) in s.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            ',' | ';' if depth == 0 => {
                parts.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&s[start..]);
    let mut out = Vec::new();
    for part in parts {
        let part = part.trim();
        if let Some(inner) = part.strip_prefix('(') {
            let inner = &inner[..inner.find(')').unwrap_or(inner.len())];
            out.extend(inner.split(',').filter_map(field_name));
        } else if let Some(name) = field_name(part) {
            out.push(name);
        }
    }
    out
}

/// The identifier a field description starts with (`price_pence`, `iban_last4`, `createdAt`).
fn field_name(part: &str) -> Option<String> {
    let first = part.split_whitespace().next()?;
    let name = clean_name(first.split('(').next().unwrap_or(first));
    let mut chars = name.chars();
    let ok = chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || c == '_' || c == '.');
    ok.then_some(name)
}

/// A threat item's description and mitigation (`Threat 1: X — mitigated by Y`, `X + Y`,
/// a nested `Mitigation:` bullet).
fn split_mitigation(item: &ListItem) -> (String, Option<String>) {
    let text = inline::plain(&item.text);
    let body = match crate::markdown::key_value(&text, 0, 0) {
        Some(kv) if kv.key.to_ascii_lowercase().starts_with("threat") => kv.value,
        _ => text.clone(),
    };
    for child in item.walk().into_iter().skip(1) {
        if let Some(kv) = child.key_value()
            && kv.key.to_ascii_lowercase().contains("mitigat")
            && !kv.value.trim().is_empty()
        {
            return (body, Some(kv.value));
        }
    }
    for c in &item.continuation {
        let t = c.text();
        if t.to_ascii_lowercase().contains("mitigat") {
            return (body, Some(t));
        }
    }
    let lower = body.to_ascii_lowercase();
    for sep in [
        "mitigation:",
        "mitigated by",
        "mitigate",
        "prevented by",
        "countered by",
    ] {
        if let Some(p) = lower.find(sep) {
            let m = body[p..].to_string();
            return (
                body[..p]
                    .trim()
                    .trim_end_matches(['—', '-', ';', ',', '.'])
                    .trim()
                    .to_string(),
                Some(m),
            );
        }
    }
    for sep in [" + ", " → ", " -> ", " — ", " – ", "; ", " - "] {
        if let Some(p) = body.find(sep) {
            let m = body[p + sep.len()..].trim().to_string();
            if !m.is_empty() {
                return (body[..p].trim().to_string(), Some(m));
            }
        }
    }
    (body, None)
}

/// `serde (serialization, ^1.0)`, `axum: HTTP server, 0.8.x`, `Library 1: tokio — runtime, >=1.40`.
pub fn parse_library(text: &str) -> Option<Library> {
    let plain = inline::plain(text);
    let (name, rest) = match crate::markdown::key_value(&plain, 0, 0) {
        Some(kv) => {
            let k = kv.key.to_ascii_lowercase();
            if k.starts_with("library") && k[7..].trim().chars().all(|c| c.is_ascii_digit()) {
                let v = kv.value.trim().to_string();
                let end = v.find([',', '(', ':', '—', '–', ' ']).unwrap_or(v.len());
                (clean_name(&v[..end]), v[end..].to_string())
            } else {
                (clean_name(&kv.key), kv.value.clone())
            }
        }
        None => {
            let end = plain
                .find([',', '(', ':', '—', '–', ' '])
                .unwrap_or(plain.len());
            (clean_name(&plain[..end]), plain[end..].to_string())
        }
    };
    if name.is_empty() || name.contains(' ') {
        return None;
    }
    let constraint = extract_constraint(&rest);
    let mut purpose = rest.clone();
    if let Some(c) = &constraint
        && let Some(p) = purpose.find(c.as_str())
    {
        purpose.replace_range(p..p + c.len(), "");
    }
    let purpose = purpose
        .replace("()", "")
        .trim()
        .trim_matches(|c: char| {
            matches!(c, ',' | ';' | ':' | '—' | '–' | '-' | '(' | ')') || c.is_whitespace()
        })
        .to_string();
    Some(Library {
        name,
        purpose,
        constraint,
        span: Span::default(),
        checked: None,
    })
}

fn looks_version_part(tok: &str) -> bool {
    let t = tok
        .trim_start_matches(['^', '~', '=', '>', '<', '!'])
        .trim_start_matches('v');
    let mut chars = t.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    first.is_ascii_digit()
        && t.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '*' | '-' | '+'))
        && (t.contains('.') || tok.len() != t.len() || t.chars().all(|c| c.is_ascii_digit()))
}

/// The version constraint written in a library line: `^1.0`, `>=1.2, <2`, `0.8`, `~= 2.1`.
///
/// Of several runs of version-like words, the first with an operator wins (`its 2.x series;
/// ^0.1` is `^0.1`), then the first with a dot, then bare numbers (`reading tables of 512 rows;
/// 1.4` is `1.4`); with only bare numbers, the first.
pub fn extract_constraint(text: &str) -> Option<String> {
    let toks: Vec<&str> = text.split_whitespace().collect();
    let mut first = None;
    let mut dotted = None;
    let mut from = 0;
    while let Some((run, next)) = constraint_run(&toks, from) {
        if run.contains(['^', '~', '=', '>', '<', '*']) {
            return Some(run);
        }
        if run.contains('.') {
            dotted.get_or_insert_with(|| run.clone());
        }
        first.get_or_insert(run);
        from = next;
    }
    dotted.or(first)
}

/// The first run of version-like words in `toks[from..]`, and where to look for the next.
fn constraint_run(toks: &[&str], from: usize) -> Option<(String, usize)> {
    let mut start = None;
    let mut end = 0;
    let mut i = from;
    while i < toks.len() {
        let raw = toks[i].trim_matches(|c: char| matches!(c, '(' | ')' | ';' | '`'));
        let bare = raw.trim_end_matches(',');
        let is_op = matches!(
            bare,
            "^" | "~" | "=" | "==" | ">=" | "<=" | ">" | "<" | "~=" | "!="
        );
        // `>=2,<3` written without spaces is one token holding a whole list.
        let is_list = bare.contains(',')
            && bare
                .split(',')
                .filter(|p| !p.is_empty())
                .all(looks_version_part);
        let is_part = looks_version_part(bare)
            || is_list
            || (is_op
                && toks.get(i + 1).is_some_and(|n| {
                    looks_version_part(n.trim_matches(|c: char| matches!(c, '(' | ')' | ',' | ';')))
                }));
        if is_part {
            if start.is_none() {
                start = Some(i);
            }
            end = i + 1;
            if is_op {
                i += 1;
                end = i + 1;
            }
        } else if start.is_some() {
            break;
        }
        i += 1;
    }
    let s = start?;
    let joined = toks[s..end]
        .iter()
        .map(|t| t.trim_matches(|c: char| matches!(c, '(' | ')' | ';' | '`')))
        .collect::<Vec<_>>()
        .join(" ");
    let joined = joined.trim_end_matches([',', '.']).to_string();
    (!joined.is_empty()).then_some((joined, end))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::DocKind;

    #[test]
    fn endpoints_and_relationships() {
        let e = parse_endpoint("`GET /books/{id}` - Fetch a book").unwrap();
        assert_eq!(
            (e.method.as_str(), e.path.as_str(), e.summary.as_str()),
            ("GET", "/books/{id}", "Fetch a book")
        );
        let e = parse_endpoint("`POST /orders` — Place an order").unwrap();
        assert_eq!(e.summary, "Place an order");
        let r = parse_relationship("Author → Book: 1:N").unwrap();
        assert_eq!(
            (r.from.as_str(), r.to.as_str(), r.cardinality.as_deref()),
            ("Author", "Book", Some("1:N"))
        );
        let r = parse_relationship("Order -> OrderLine (1:N, cascade delete)").unwrap();
        assert_eq!(r.to, "OrderLine");
    }

    #[test]
    fn libraries() {
        let l = parse_library("axum: HTTP server, ^0.8").unwrap();
        assert_eq!(
            (l.name.as_str(), l.constraint.as_deref()),
            ("axum", Some("^0.8"))
        );
        assert_eq!(l.purpose, "HTTP server");
        let l = parse_library("`sqlx` (database access, >= 0.7, < 0.9)").unwrap();
        assert_eq!(l.constraint.as_deref(), Some(">= 0.7, < 0.9"));
        let l = parse_library("Library 1: fastapi — web framework, ~=0.110").unwrap();
        assert_eq!(
            (l.name.as_str(), l.constraint.as_deref()),
            ("fastapi", Some("~=0.110"))
        );
        let l = parse_library("pydantic: validation, >=2,<3").unwrap();
        assert_eq!(l.constraint.as_deref(), Some(">=2,<3"));
        assert_eq!(l.purpose, "validation");
        assert_eq!(
            extract_constraint("(>=1.2,<2.0)").as_deref(),
            Some(">=1.2,<2.0")
        );
        // A comma list of words is not a version list.
        assert_eq!(extract_constraint("fast,small"), None);
        assert_eq!(
            extract_constraint("reading tables of 512 rows on all cores; ^1").as_deref(),
            Some("^1"),
            "an operator or a dot beats a bare number in the prose"
        );
        assert_eq!(
            extract_constraint("for 2 services, 1.2 or later").as_deref(),
            Some("1.2")
        );
        assert_eq!(extract_constraint("pinned at 3").as_deref(), Some("3"));
        assert_eq!(
            extract_constraint("2 of them, then 3").as_deref(),
            Some("2")
        );
        // An explicit operator beats a dotted number in the prose, wherever it stands.
        let l = parse_library(
            "mimalloc: the global allocator, its 2.x series (decision 030), without huge pages; ^0.1",
        )
        .unwrap();
        assert_eq!(l.constraint.as_deref(), Some("^0.1"));
        assert_eq!(
            extract_constraint("files of 1.5 MB, then 2 more, ~2.1").as_deref(),
            Some("~2.1")
        );
        assert_eq!(
            extract_constraint("2 runs of 1.5 MB, 3 more").as_deref(),
            Some("1.5"),
            "a dot beats a bare number"
        );
    }

    #[test]
    fn contract_keeps_values_and_unfilled() {
        let doc = Document::parse(
            DocKind::Spec,
            "SPEC.md",
            "## Hydration Contract (for ACTIVE_SPEC)\n- Database: PostgreSQL 16\n- Auth: [JWT | session | OAuth2 | etc.]\n- Conventions:\n  - Testing: pytest\n",
        );
        let s = Spec::from_document(&doc);
        assert_eq!(
            s.contract.database.as_ref().unwrap().value.as_deref(),
            Some("PostgreSQL 16")
        );
        let auth = s.contract.auth.as_ref().unwrap();
        assert_eq!(auth.value, None);
        assert_eq!(auth.unfilled, Some(MarkerKind::OptionList));
        assert_eq!(
            s.contract.testing.as_ref().unwrap().value.as_deref(),
            Some("pytest")
        );
        assert!(s.contract.runtime.is_none());
    }

    #[test]
    fn data_model_from_bullets_and_tables() {
        let doc = Document::parse(
            DocKind::Spec,
            "SPEC.md",
            "## Data Model\n\n**Core Entities**:\n- [ ] Book: a title for sale (fields: isbn, title, price)\n- [ ] Entity 2: [Name, purpose, key fields]\n\n**Relationships**:\n- [ ] Author → Book: 1:N\n\n### Tables\n| Entity | Purpose | Key fields |\n|---|---|---|\n| Author | writes | id, name |\n",
        );
        let s = Spec::from_document(&doc);
        let names: Vec<_> = s.entities.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, vec!["Book", "Author"]);
        assert_eq!(s.entities[0].fields, vec!["isbn", "title", "price"]);
        assert_eq!(s.relationships.len(), 1);
    }

    #[test]
    fn entity_fields_after_a_dash_and_in_tables() {
        let e = parse_entity("Book: a catalogue title — isbn13 (PK, validated check digit), title, price_pence; invariant: price_pence > 0").unwrap();
        assert_eq!(e.fields, vec!["isbn13", "title", "price_pence"]);
        let e = parse_entity(
            "StockLevel: copies of one book — (store_id, isbn13) PK, on_hand, reserved",
        )
        .unwrap();
        assert_eq!(e.fields, vec!["store_id", "isbn13", "on_hand", "reserved"]);
        let doc = Document::parse(
            DocKind::Spec,
            "SPEC.md",
            "## Data Model\n| Entity | Purpose | Key fields |\n|---|---|---|\n| Seller | A shop | seller_id (PK, from the marketplace), legal_name, country |\n",
        );
        let s = Spec::from_document(&doc);
        assert_eq!(
            s.entities[0].fields,
            vec!["seller_id", "legal_name", "country"]
        );
    }
}
