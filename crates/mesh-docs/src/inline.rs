//! Inline markers inside a line of text: `{{placeholders}}`, `[option | lists]`, `[hints]` and
//! the generation-16 tokens (`TODO:`, `ASSUMPTION:`, `DECISION:`, `RISK:`, `OPEN QUESTION:`).

use serde::Serialize;

/// What kind of unfilled marker was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MarkerKind {
    /// `{{NAME}}`
    Placeholder,
    /// `[A | B | etc.]`: a choice not made yet.
    OptionList,
    /// `[Name, purpose, key fields]`: text still to write.
    Hint,
    /// `TODO:`
    Todo,
}

impl MarkerKind {
    pub fn reason(self) -> &'static str {
        match self {
            MarkerKind::Placeholder => "placeholder",
            MarkerKind::OptionList => "option list",
            MarkerKind::Hint => "hint",
            MarkerKind::Todo => "TODO token",
        }
    }
}

/// The generation-16 annotation tokens.
pub const TOKENS: [&str; 5] = [
    "TODO:",
    "ASSUMPTION:",
    "DECISION:",
    "RISK:",
    "OPEN QUESTION:",
];

/// The kind of the first unfilled marker in `text`, if any (see [`scan_markers`]).
pub fn first_marker(text: &str) -> Option<MarkerKind> {
    let mut first = None;
    scan_markers(text, |kind, _, _| {
        first = Some(kind);
        false
    });
    first
}

/// Find the unfilled markers in `text` (one line or a short run of lines): `found(kind, start,
/// end)` for each, in order, with byte offsets in `text`, until it returns `false`.
///
/// Code spans (`` `...` ``) are skipped. Markdown links `[text](url)`, reference links
/// `[text][ref]`, footnotes `[^1]`, images and task boxes (`[ ]`, `[x]`) are not hints.
pub fn scan_markers(text: &str, mut found: impl FnMut(MarkerKind, usize, usize) -> bool) {
    let b = text.as_bytes();
    // The next `TODO:` at or after `i`, searched again only once `i` has passed it.
    let mut next_todo = find_todo(b);
    let mut i = 0;
    let mut in_code = false;
    while i < b.len() {
        // Most text holds no marker: jump to the next byte that can start one or toggle a code
        // span (inside a code span, only its closing backtick matters).
        let skip = if in_code {
            memchr::memchr(b'`', &b[i..]).map(|p| i + p)
        } else {
            if next_todo.is_some_and(|t| t < i) {
                next_todo = find_todo(&b[i..]).map(|p| i + p);
            }
            let special = memchr::memchr3(b'`', b'{', b'[', &b[i..]).map(|p| i + p);
            match (special, next_todo) {
                (Some(s), Some(t)) => Some(s.min(t)),
                (s, t) => s.or(t),
            }
        };
        match skip {
            Some(p) => i = p,
            None => break,
        }
        let c = b[i];
        if c == b'`' {
            in_code = !in_code;
            i += 1;
            continue;
        }
        if c == b'{' && b.get(i + 1) == Some(&b'{') {
            if let Some(rel) = text[i + 2..].find("}}") {
                let inner = &text[i + 2..i + 2 + rel];
                if !inner.trim().is_empty() && !inner.contains('\n') && !inner.contains("{{") {
                    let end = i + 2 + rel + 2;
                    if !found(MarkerKind::Placeholder, i, end) {
                        return;
                    }
                    i = end;
                    continue;
                }
            }
            i += 2;
            continue;
        }
        if c == b'[' {
            if let Some((end, kind)) = bracket(text, i) {
                if let Some(kind) = kind
                    && !found(kind, i, end)
                {
                    return;
                }
                i = end;
                continue;
            }
            i += 1;
            continue;
        }
        if c == b'T' && text[i..].starts_with("TODO:") && word_boundary_before(b, i) {
            if !found(MarkerKind::Todo, i, i + 5) {
                return;
            }
            i += 5;
            continue;
        }
        i += 1;
    }
}

/// The first `TODO:` in `hay`. Most texts scanned are an item or a cell, a few dozen bytes:
/// there the `T`s are found with `memchr`, as setting up the substring search cost more than
/// the search. Longer texts use the SIMD substring search.
fn find_todo(hay: &[u8]) -> Option<usize> {
    const SHORT: usize = 256;
    if hay.len() > SHORT {
        return todo_finder().find(hay);
    }
    let mut from = 0;
    while let Some(p) = memchr::memchr(b'T', &hay[from..]) {
        let at = from + p;
        if hay[at..].starts_with(b"TODO:") {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

/// The `TODO:` searcher, built once (SIMD substring search, as the single bytes use `memchr3`).
fn todo_finder() -> &'static memchr::memmem::Finder<'static> {
    static FINDER: std::sync::OnceLock<memchr::memmem::Finder<'static>> =
        std::sync::OnceLock::new();
    FINDER.get_or_init(|| memchr::memmem::Finder::new("TODO:"))
}

fn word_boundary_before(b: &[u8], i: usize) -> bool {
    i == 0 || !b[i - 1].is_ascii_alphanumeric()
}

/// Classify the bracket group starting at `open`. Returns its end and, when it is a marker,
/// its kind (`None` for links, boxes and other brackets that are content).
fn bracket(text: &str, open: usize) -> Option<(usize, Option<MarkerKind>)> {
    let b = text.as_bytes();
    // Find the matching close bracket on the same line, allowing one level of nesting.
    let mut depth = 0usize;
    let mut close = None;
    for (off, &c) in b[open..].iter().enumerate() {
        match c {
            b'[' => depth += 1,
            b']' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    close = Some(open + off);
                    break;
                }
            }
            b'\n' => return None,
            _ => {}
        }
    }
    let close = close?;
    let end = close + 1;
    let inner = &text[open + 1..close];
    let prev = if open > 0 { Some(b[open - 1]) } else { None };
    let next = b.get(end).copied();
    let is_link = matches!(next, Some(b'(') | Some(b'['))
        || prev == Some(b'!')
        || prev == Some(b']')
        || inner.starts_with('^');
    let is_box = matches!(inner, " " | "x" | "X" | "");
    // `psycopg[binary]`, `items[0]`: brackets glued to a word are code, not markers.
    let glued = prev.is_some_and(|p| p.is_ascii_alphanumeric() || p == b'_');
    if is_link || is_box || glued {
        return Some((end, None));
    }
    let trimmed = inner.trim();
    if trimmed.is_empty() {
        return Some((end, None));
    }
    // A bare reference such as `[RFC 7807]` or `[1]` in filled prose is content; option lists
    // always contain ` | `, hints are descriptive placeholders written by templates.
    if inner.contains('|') {
        return Some((end, Some(MarkerKind::OptionList)));
    }
    if looks_like_hint(trimmed) {
        return Some((end, Some(MarkerKind::Hint)));
    }
    Some((end, None))
}

/// Template hints are phrases such as `[Name, purpose, key fields]`, `[Description]`,
/// `[e.g., RFC7807/problem+json]`, `[Where, how]`. Short references like `[1]`, `[RFC 7807]`
/// or `[WIP]` in filled prose are not hints.
fn looks_like_hint(inner: &str) -> bool {
    let lower = inner.to_ascii_lowercase();
    if lower.starts_with("e.g") || lower.starts_with("eg ") || lower.starts_with("describe") {
        return true;
    }
    // `[1:N, N:M, etc.]`, `[localStorage, httpOnly cookie, etc.]`: a list of examples.
    if lower.contains("etc.")
        || lower.ends_with("etc")
        || lower.contains(", ...")
        || lower.contains("…")
    {
        return true;
    }
    if inner.chars().all(|c| c.is_ascii_digit()) {
        return false;
    }
    let words = inner.split_whitespace().count();
    let first_upper = inner.chars().next().is_some_and(|c| c.is_uppercase());
    let all_caps = inner
        .chars()
        .filter(|c| c.is_alphabetic())
        .all(|c| c.is_uppercase());
    if all_caps {
        return false;
    }
    // "[Description]", "[Name, purpose, key fields]", "[Purpose, SLA requirements]"
    first_upper && (inner.contains(',') || words >= 1) && !inner.contains("://")
}

/// Positions of generation-16 tokens in `text` (any of [`TOKENS`]), with the token.
pub fn tokens(text: &str) -> Vec<(usize, &'static str)> {
    let mut out = Vec::new();
    for tok in TOKENS {
        let mut from = 0;
        while let Some(p) = text[from..].find(tok) {
            let at = from + p;
            if word_boundary_before(text.as_bytes(), at) {
                out.push((at, tok));
            }
            from = at + tok.len();
        }
    }
    out.sort_by_key(|t| t.0);
    out
}

/// Remove markdown emphasis and code ticks for display and comparisons.
///
/// The same as removing every `**` and then every `` ` ``, then trimming, in one pass with one
/// allocation (it is called for most list items and cells).
pub fn plain(text: &str) -> String {
    if !text.bytes().any(|b| b == b'*' || b == b'`') {
        return text.trim().to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find(['*', '`']) {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        rest = if let Some(after) = tail.strip_prefix("**") {
            after
        } else if let Some(after) = tail.strip_prefix('`') {
            after
        } else {
            out.push('*');
            &tail[1..]
        };
    }
    out.push_str(rest);
    let end = out.trim_end().len();
    out.truncate(end);
    let start = out.len() - out.trim_start().len();
    out.drain(..start);
    out
}

/// Whether `text` still holds any unfilled marker.
pub fn is_unfilled(text: &str) -> bool {
    first_marker(text).is_some()
}

/// `text` without leading emphasis or code markers (`**US1**: …` → `US1**: …`).
pub fn plain_prefix(text: &str) -> &str {
    text.trim_start().trim_start_matches(['*', '_', '`'])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A marker with its byte range relative to the scanned text.
    #[derive(Debug, Clone, PartialEq, Eq)]
    struct Marker {
        kind: MarkerKind,
        start: usize,
        end: usize,
        text: String,
    }

    /// Every marker of `text`, collected from [`scan_markers`].
    fn markers(text: &str) -> Vec<Marker> {
        let mut out = Vec::new();
        scan_markers(text, |kind, start, end| {
            out.push(Marker {
                kind,
                start,
                end,
                text: text[start..end].to_string(),
            });
            true
        });
        out
    }
    use proptest::prelude::*;

    /// The byte-by-byte scan that `scan_markers` replaced, before it skipped to the next
    /// special byte.
    fn markers_one_byte_at_a_time(text: &str) -> Vec<Marker> {
        let mut out = Vec::new();
        let b = text.as_bytes();
        let mut i = 0;
        let mut in_code = false;
        while i < b.len() {
            let c = b[i];
            if c == b'`' {
                in_code = !in_code;
                i += 1;
                continue;
            }
            if in_code {
                i += 1;
                continue;
            }
            if c == b'{' && b.get(i + 1) == Some(&b'{') {
                if let Some(rel) = text[i + 2..].find("}}") {
                    let inner = &text[i + 2..i + 2 + rel];
                    if !inner.trim().is_empty() && !inner.contains('\n') && !inner.contains("{{") {
                        let end = i + 2 + rel + 2;
                        out.push(Marker {
                            kind: MarkerKind::Placeholder,
                            start: i,
                            end,
                            text: text[i..end].to_string(),
                        });
                        i = end;
                        continue;
                    }
                }
                i += 2;
                continue;
            }
            if c == b'[' {
                if let Some((end, kind)) = bracket(text, i) {
                    if let Some(kind) = kind {
                        out.push(Marker {
                            kind,
                            start: i,
                            end,
                            text: text[i..end].to_string(),
                        });
                    }
                    i = end;
                    continue;
                }
                i += 1;
                continue;
            }
            if c == b'T' && text[i..].starts_with("TODO:") && word_boundary_before(b, i) {
                out.push(Marker {
                    kind: MarkerKind::Todo,
                    start: i,
                    end: i + 5,
                    text: "TODO:".to_string(),
                });
                i += 5;
                continue;
            }
            i += 1;
        }
        out
    }

    proptest! {
        #[test]
        fn markers_finds_what_the_byte_by_byte_scan_found(
            text in "([a-zT ,.|:`{}\\[\\]\n]|é|TODO:|\\{\\{|\\}\\}|etc\\.){0,60}"
        ) {
            let all = markers_one_byte_at_a_time(&text);
            prop_assert_eq!(first_marker(&text), all.first().map(|m| m.kind));
            prop_assert_eq!(markers(&text), all);
            // Past the length where `TODO:` is looked for with the substring search.
            let long = text.repeat(8);
            prop_assert_eq!(markers(&long), markers_one_byte_at_a_time(&long));
        }

        #[test]
        fn markers_matches_the_byte_by_byte_scan_on_any_text(text in any::<String>()) {
            prop_assert_eq!(markers(&text), markers_one_byte_at_a_time(&text));
        }
    }

    #[test]
    fn markers_in_long_text_past_several_chunks() {
        let text = format!(
            "{}`[A | B]` then [Postgres | SQLite] and {{{{NAME}}}} TODO: end",
            "plain words without specials ".repeat(12)
        );
        assert_eq!(markers(&text), markers_one_byte_at_a_time(&text));
        let kinds: Vec<MarkerKind> = markers(&text).iter().map(|m| m.kind).collect();
        assert_eq!(
            kinds,
            [
                MarkerKind::OptionList,
                MarkerKind::Placeholder,
                MarkerKind::Todo
            ]
        );
    }

    #[test]
    fn plain_drops_emphasis_and_ticks_like_the_two_replaces() {
        for t in [
            "",
            "  plain text ",
            "**Bold**: `code` value",
            "***x***",
            "*`*`*",
            "a * b ** c *** d",
            "` ** `",
            " \u{a0}**é**\t",
            "**",
        ] {
            let expected = t.replace("**", "").replace('`', "").trim().to_string();
            assert_eq!(plain(t), expected, "{t:?}");
        }
    }

    fn kinds(t: &str) -> Vec<MarkerKind> {
        markers(t).into_iter().map(|m| m.kind).collect()
    }

    #[test]
    fn classifies() {
        use MarkerKind::*;
        assert_eq!(
            kinds("Database: [Postgres | SQLite | etc.]"),
            vec![OptionList]
        );
        assert_eq!(kinds("Entity 1: [Name, purpose, key fields]"), vec![Hint]);
        assert_eq!(kinds("# Spec: {{PROJECT_NAME}}"), vec![Placeholder]);
        assert_eq!(
            kinds("Error format: [e.g., RFC7807/problem+json]"),
            vec![Hint]
        );
        assert_eq!(
            kinds("see [the docs](https://x) and [ref][1] and [^2]"),
            vec![]
        );
        assert_eq!(kinds("per [RFC 7807] and [1]"), vec![]);
        assert_eq!(kinds("`[A | B]` in code"), vec![]);
        assert_eq!(kinds("TODO: write this"), vec![Todo]);
        assert_eq!(kinds("a TODOS: list"), vec![]);
        assert_eq!(
            kinds("- [ ] Entity1 → Entity2: [1:N, N:M, etc.]"),
            vec![Hint]
        );
        assert_eq!(
            kinds("Token storage: [localStorage, httpOnly cookie, etc.]"),
            vec![Hint]
        );
        assert_eq!(kinds("psycopg[binary]>=3.1 and celery[redis]"), vec![]);
    }

    #[test]
    fn marker_spans() {
        let t = "x {{A}} y";
        let m = &markers(t)[0];
        assert_eq!(&t[m.start..m.end], "{{A}}");
    }

    #[test]
    fn finds_tokens() {
        let t = "- ASSUMPTION: x; OPEN QUESTION: y";
        let toks: Vec<_> = tokens(t).into_iter().map(|x| x.1).collect();
        assert_eq!(toks, vec!["ASSUMPTION:", "OPEN QUESTION:"]);
    }
}
