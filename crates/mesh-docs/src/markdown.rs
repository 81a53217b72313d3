//! A tolerant, line-oriented Markdown reader that keeps exact byte spans and line numbers.
//!
//! It reads the subset of Markdown that spec documents use — headings, list items (with
//! checkboxes and nesting), tables, fenced blocks, HTML comments, block quotes, rules and
//! paragraphs — and never fails: any input yields a [`Markdown`] value. CRLF line endings, a
//! UTF-8 byte-order mark and tab indentation are accepted; every span indexes the original text.

use rayon::prelude::*;
use serde::Serialize;

/// A byte range into the document text (end exclusive) and the 1-based line where it starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Default)]
pub struct Span {
    pub start: usize,
    pub end: usize,
    pub line: u32,
}

impl Span {
    pub fn range(&self) -> std::ops::Range<usize> {
        self.start..self.end
    }
}

/// One physical line of the source, without its line terminator.
#[derive(Debug, Clone, Copy)]
struct Line<'a> {
    text: &'a str,
    start: usize,
    number: u32,
}

impl Line<'_> {
    fn span(&self) -> Span {
        Span {
            start: self.start,
            end: self.start + self.text.len(),
            line: self.number,
        }
    }
}

/// A heading and everything up to the next heading (of any level).
#[derive(Debug, Clone, Serialize)]
pub struct Section {
    /// 1 for `#`, 2 for `##`, …; 0 for the content before the first heading.
    pub level: u8,
    /// Heading text with surrounding `#`, spaces and emphasis markers removed.
    pub title: String,
    /// `title` through [`normalize_title`], computed once: sections are looked up by it many
    /// times per check.
    #[serde(skip)]
    pub norm_title: String,
    /// The heading line (empty span at 0 for the leading pseudo-section).
    pub heading: Span,
    pub blocks: Vec<Block>,
}

/// A block of content inside a section.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Block {
    List(List),
    Table(Table),
    Fence(Fence),
    Comment(Comment),
    Quote(Paragraph),
    Paragraph(Paragraph),
    Rule(Span),
}

/// A run of list items at the same top level.
#[derive(Debug, Clone, Serialize)]
pub struct List {
    pub items: Vec<ListItem>,
    pub span: Span,
}

/// A list item: `- text`, `* text`, `1. text`, with an optional checkbox and nested items.
#[derive(Debug, Clone, Serialize)]
pub struct ListItem {
    /// The whole item line.
    pub span: Span,
    /// Indentation in columns (tabs count as 4).
    pub indent: usize,
    /// `Some(true)` for `[x]`, `Some(false)` for `[ ]`, `None` without a checkbox.
    pub checked: Option<bool>,
    /// Text after the marker and checkbox.
    pub text: String,
    /// Span of `text` in the source.
    pub text_span: Span,
    /// Indented lines that continue this item without being items themselves.
    pub continuation: Vec<Paragraph>,
    pub children: Vec<ListItem>,
}

impl ListItem {
    /// `Key: value` when the text has that shape (`**Key**: v`, `**Key:** v`, `Key: v`).
    pub fn key_value(&self) -> Option<KeyValue> {
        key_value(&self.text, self.text_span.start, self.text_span.line)
    }

    /// All items of this subtree in document order, this one first.
    pub fn walk(&self) -> Vec<&ListItem> {
        let mut out = vec![self];
        for c in &self.children {
            out.extend(c.walk());
        }
        out
    }
}

/// A `Key: value` split of a line of text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeyValue {
    pub key: String,
    pub value: String,
    /// Span of the value in the source (may be empty).
    pub value_span: Span,
}

/// A table; `header` is present when the second line is a delimiter row (`|---|`).
#[derive(Debug, Clone, Serialize)]
pub struct Table {
    pub span: Span,
    pub header: Option<Vec<Cell>>,
    pub rows: Vec<Row>,
}

impl Table {
    /// Index of the first header cell whose normalised text satisfies `pred`.
    pub fn column(&self, pred: impl Fn(&str) -> bool) -> Option<usize> {
        self.header
            .as_ref()?
            .iter()
            .position(|c| pred(&normalize_title(&c.text)))
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub span: Span,
    pub cells: Vec<Cell>,
}

impl Row {
    pub fn cell(&self, idx: usize) -> Option<&Cell> {
        self.cells.get(idx)
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Cell {
    /// Trimmed cell text.
    pub text: String,
    pub span: Span,
}

#[derive(Debug, Clone, Serialize)]
pub struct Fence {
    pub span: Span,
    pub info: String,
    /// The lines between the fences.
    pub content: String,
    pub content_span: Span,
}

#[derive(Debug, Clone, Serialize)]
pub struct Comment {
    pub span: Span,
    /// Text between `<!--` and `-->`, trimmed.
    pub text: String,
}

/// Consecutive non-blank text lines (or quote lines, without their `>`).
#[derive(Debug, Clone, Serialize)]
pub struct Paragraph {
    pub span: Span,
    pub lines: Vec<TextLine>,
}

impl Paragraph {
    pub fn text(&self) -> String {
        self.lines
            .iter()
            .map(|l| l.text.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct TextLine {
    pub text: String,
    pub span: Span,
}

/// A parsed document.
#[derive(Debug, Clone, Serialize)]
pub struct Markdown {
    /// Whether the text starts with a UTF-8 byte-order mark (spans still index the text with it).
    pub bom: bool,
    /// Whether any line ends with CRLF.
    pub crlf: bool,
    /// Sections in document order; the first one (level 0) holds content before any heading.
    pub sections: Vec<Section>,
    /// Byte offset of the start of each line (index 0 = line 1).
    #[serde(skip)]
    pub line_starts: Vec<usize>,
}

impl Markdown {
    /// Parse `text`. Never fails and never panics.
    pub fn parse(text: &str) -> Markdown {
        Parser::new(text).run()
    }

    /// 1-based line and character column of a byte offset.
    pub fn line_col(&self, text: &str, offset: usize) -> (u32, u32) {
        let offset = offset.min(text.len());
        let idx = match self.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        };
        let start = self.line_starts.get(idx).copied().unwrap_or(0);
        let col = text
            .get(start..offset)
            .map(|s| s.chars().count())
            .unwrap_or(0);
        (idx as u32 + 1, col as u32 + 1)
    }

    /// Indices of sections whose normalised title satisfies `pred`.
    pub fn find(&self, pred: impl Fn(&str) -> bool) -> Option<usize> {
        self.sections
            .iter()
            .position(|s| s.level > 0 && pred(&s.norm_title))
    }

    /// The section at `idx` followed by its subsections (until a heading of the same or higher level).
    pub fn subtree(&self, idx: usize) -> &[Section] {
        let Some(first) = self.sections.get(idx) else {
            return &[];
        };
        let mut end = idx + 1;
        while end < self.sections.len() && self.sections[end].level > first.level {
            end += 1;
        }
        &self.sections[idx..end]
    }
}

/// Lower-case a heading, drop emphasis, emoji and punctuation at the edges, collapse spaces.
/// Called for every section by every lookup, so it allocates once and lower-cases ASCII directly.
pub fn normalize_title(title: &str) -> String {
    let mut out = String::with_capacity(title.len());
    let mut space = false;
    for c in title.chars() {
        if c.is_alphanumeric() || matches!(c, '&' | '/' | '(' | ')' | '-' | '+' | '.' | '_' | ':') {
            if space && !out.is_empty() {
                out.push(' ');
            }
            space = false;
            if c.is_ascii() {
                out.push(c.to_ascii_lowercase());
            } else {
                out.extend(c.to_lowercase());
            }
        } else {
            space = true;
        }
    }
    let edge = |c: char| !c.is_alphanumeric() && c != ')';
    let end = out.trim_end_matches(edge).len();
    out.truncate(end);
    let start = out.len() - out.trim_start_matches(edge).len();
    out.drain(..start);
    out
}

/// Split `Key: value` (also `**Key**: value`, `**Key:** value`, `*Key*: value`).
pub fn key_value(text: &str, start: usize, line: u32) -> Option<KeyValue> {
    let t = text;
    let (key, rest_off) = if let Some(inner) = t.strip_prefix("**") {
        let close = inner.find("**")?;
        let key_part = &inner[..close];
        let after = &inner[close + 2..];
        if let Some(k) = key_part.strip_suffix(':') {
            (k.trim(), 2 + close + 2)
        } else if after.starts_with(':') {
            (key_part.trim(), 2 + close + 2 + 1)
        } else {
            return None;
        }
    } else {
        let colon = t.find(':')?;
        let key = &t[..colon];
        // Not a key: URLs, code, sentences.
        if key.contains('`')
            || key.contains('[')
            || key.contains('|')
            || key.contains("//")
            || key.trim().is_empty()
            || t[colon + 1..].starts_with("//")
        {
            return None;
        }
        (key.trim().trim_matches('*').trim(), colon + 1)
    };
    if key.is_empty() || key.chars().count() > 48 || key.split_whitespace().count() > 6 {
        return None;
    }
    let rest = t.get(rest_off..)?;
    let lead = rest.len() - rest.trim_start().len();
    let value = rest.trim();
    let vstart = start + rest_off + lead;
    Some(KeyValue {
        key: key.to_string(),
        value: value.to_string(),
        value_span: Span {
            start: vstart,
            end: vstart + value.len(),
            line,
        },
    })
}

fn indent_width(s: &str) -> usize {
    let mut w = 0;
    for c in s.chars() {
        match c {
            ' ' => w += 1,
            '\t' => w += 4 - (w % 4),
            _ => break,
        }
    }
    w
}

fn strip_indent(s: &str) -> &str {
    s.trim_start_matches([' ', '\t'])
}

/// `- `, `* `, `+ `, `1. `, `1) ` → (marker length including the following space).
fn list_marker(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    match b.first()? {
        b'-' | b'*' | b'+' => {
            if b.len() == 1 {
                Some(1)
            } else if b[1] == b' ' || b[1] == b'\t' {
                Some(2)
            } else {
                None
            }
        }
        b'0'..=b'9' => {
            let digits = b.iter().take_while(|c| c.is_ascii_digit()).count();
            if digits > 9 {
                return None;
            }
            match b.get(digits) {
                Some(b'.') | Some(b')') => match b.get(digits + 1) {
                    None => Some(digits + 1),
                    Some(b' ') | Some(b'\t') => Some(digits + 2),
                    _ => None,
                },
                _ => None,
            }
        }
        _ => None,
    }
}

/// A thematic break: three or more `-`, `*` or `_` (the same one), spaces allowed between.
/// Called for most lines, so it does not allocate.
fn is_rule(s: &str) -> bool {
    let mut marks = s.chars().filter(|c| !c.is_whitespace());
    let Some(first) = marks.next().filter(|c| matches!(c, '-' | '*' | '_')) else {
        return false;
    };
    let mut n = 1usize;
    for c in marks {
        if c != first {
            return false;
        }
        n += 1;
    }
    n >= 3
}

fn heading(s: &str) -> Option<(u8, &str)> {
    let hashes = s.bytes().take_while(|&b| b == b'#').count();
    if hashes == 0 || hashes > 6 {
        return None;
    }
    let rest = &s[hashes..];
    if !rest.is_empty() && !rest.starts_with(' ') && !rest.starts_with('\t') {
        return None;
    }
    let title = rest.trim().trim_end_matches('#').trim();
    Some((hashes as u8, title))
}

fn fence_open(s: &str) -> Option<(char, usize, &str)> {
    let c = s.chars().next()?;
    if c != '`' && c != '~' {
        return None;
    }
    let n = s.chars().take_while(|&x| x == c).count();
    if n < 3 {
        return None;
    }
    let info = s[n..].trim();
    if c == '`' && info.contains('`') {
        return None;
    }
    Some((c, n, info))
}

fn clean_heading_title(t: &str) -> String {
    t.trim().trim_matches('*').trim().to_string()
}

/// `f` over the rows of a table, results in order: on all cores from 512 rows (a decision log
/// can have thousands), here below that, where the hand-off costs more than it saves. Also
/// types the decision log's rows.
pub(crate) fn map_rows<T: Sync, R: Send>(rows: &[T], f: impl Fn(&T) -> R + Sync + Send) -> Vec<R> {
    const PARALLEL_ROWS: usize = 512;
    if rows.len() >= PARALLEL_ROWS {
        // An indexed collect: written in place into a vector of the exact length.
        rows.par_iter().map(f).collect()
    } else {
        rows.iter().map(f).collect()
    }
}

/// The rows of a table, in order.
fn split_rows(lines: &[Line<'_>]) -> Vec<Row> {
    map_rows(lines, |l| Row {
        span: l.span(),
        cells: split_row(l),
    })
}

/// Split a table line into trimmed cells with spans.
fn split_row(line: &Line<'_>) -> Vec<Cell> {
    let text = line.text;
    let lead = text.len() - text.trim_start().len();
    let body = text.trim();
    // One cell per pipe at most (plus the last): sized once instead of grown by doubling.
    let mut cells = Vec::with_capacity(memchr_count(body.as_bytes(), b'|') + 1);
    let mut cell_start = lead;
    let inner_start = if body.starts_with('|') {
        cell_start += 1;
        lead + 1
    } else {
        lead
    };
    let trail = if body.ends_with('|') && body.len() > 1 {
        lead + body.len() - 1
    } else {
        lead + body.len()
    };
    let mut i = inner_start;
    let bytes = text.as_bytes();
    let mut in_code = false;
    while i < trail {
        let b = bytes[i];
        if b == b'`' {
            in_code = !in_code;
        }
        if b == b'\\' && i + 1 < trail {
            i += 2;
            continue;
        }
        if b == b'|' && !in_code {
            cells.push(make_cell(line, cell_start, i));
            cell_start = i + 1;
        }
        i += 1;
    }
    if trail >= cell_start {
        cells.push(make_cell(line, cell_start, trail));
    }
    cells
}

fn memchr_count(bytes: &[u8], needle: u8) -> usize {
    memchr::memchr_iter(needle, bytes).count()
}

fn make_cell(line: &Line<'_>, from: usize, to: usize) -> Cell {
    let raw = line.text.get(from..to).unwrap_or("");
    let lead = raw.len() - raw.trim_start().len();
    let t = raw.trim();
    let start = line.start + from + lead;
    Cell {
        text: t.to_string(),
        span: Span {
            start,
            end: start + t.len(),
            line: line.number,
        },
    }
}

fn is_delimiter_row(cells: &[Cell]) -> bool {
    !cells.is_empty()
        && cells.iter().all(|c| {
            let t = c.text.trim();
            !t.is_empty() && t.contains('-') && t.chars().all(|ch| matches!(ch, '-' | ':' | ' '))
        })
}

struct Parser<'a> {
    text: &'a str,
    lines: Vec<Line<'a>>,
    pos: usize,
    bom: bool,
    crlf: bool,
    line_starts: Vec<usize>,
}

impl<'a> Parser<'a> {
    fn new(text: &'a str) -> Self {
        let bom = text.starts_with('\u{feff}');
        // One line per `\n` plus the last: sized once instead of grown by doubling.
        let count = memchr_count(text.as_bytes(), b'\n') + 1;
        let mut lines = Vec::with_capacity(count);
        let mut line_starts = Vec::with_capacity(count);
        let mut crlf = false;
        let mut start = 0;
        let mut number = 1u32;
        let bytes = text.as_bytes();
        while start <= text.len() {
            line_starts.push(start);
            let end = memchr::memchr(b'\n', &bytes[start..]).map(|p| start + p);
            let (content_end, next) = match end {
                Some(e) => (e, e + 1),
                None => (text.len(), text.len() + 1),
            };
            let mut content = &text[start..content_end];
            if let Some(c) = content.strip_suffix('\r') {
                content = c;
                crlf = true;
            }
            let mut line_start = start;
            if number == 1 && bom {
                content = &content[3.min(content.len())..];
                line_start += 3;
            }
            lines.push(Line {
                text: content,
                start: line_start,
                number,
            });
            if end.is_none() {
                break;
            }
            start = next;
            number = number.saturating_add(1);
        }
        // A trailing newline produces one empty final line; drop it.
        if text.ends_with('\n') {
            lines.pop();
            line_starts.pop();
        }
        Parser {
            text,
            lines,
            pos: 0,
            bom,
            crlf,
            line_starts,
        }
    }

    fn run(mut self) -> Markdown {
        let mut sections = vec![Section {
            level: 0,
            title: String::new(),
            norm_title: String::new(),
            heading: Span::default(),
            blocks: Vec::new(),
        }];
        while self.pos < self.lines.len() {
            let line = self.lines[self.pos];
            let trimmed = strip_indent(line.text);
            let indent = indent_width(line.text);
            if trimmed.is_empty() {
                self.pos += 1;
                continue;
            }
            if indent < 4
                && let Some((level, title)) = heading(trimmed)
            {
                let title = clean_heading_title(title);
                sections.push(Section {
                    level,
                    norm_title: normalize_title(&title),
                    title,
                    heading: line.span(),
                    blocks: Vec::new(),
                });
                self.pos += 1;
                continue;
            }
            let block = self.block();
            if let Some(sec) = sections.last_mut() {
                sec.blocks.push(block);
            }
        }
        let _ = self.text;
        Markdown {
            bom: self.bom,
            crlf: self.crlf,
            sections,
            line_starts: self.line_starts,
        }
    }

    /// Parse one block starting at a non-blank, non-heading line.
    fn block(&mut self) -> Block {
        let line = self.lines[self.pos];
        let trimmed = strip_indent(line.text);
        if let Some((ch, n, info)) = fence_open(trimmed) {
            return self.fence(ch, n, info.to_string());
        }
        if trimmed.starts_with("<!--") {
            return self.comment();
        }
        if trimmed.starts_with('|') || self.pipeless_table_at(self.pos) {
            return self.table();
        }
        if trimmed.starts_with('>') {
            return self.quote();
        }
        if list_marker(trimmed).is_some() && !is_rule(trimmed) {
            return self.list();
        }
        if is_rule(trimmed) {
            self.pos += 1;
            return Block::Rule(line.span());
        }
        self.paragraph()
    }

    fn fence(&mut self, ch: char, n: usize, info: String) -> Block {
        let open = self.lines[self.pos];
        self.pos += 1;
        let content_first = self.pos;
        let mut end_line = open;
        let mut closed_at = None;
        while self.pos < self.lines.len() {
            let l = self.lines[self.pos];
            let t = strip_indent(l.text);
            let run = t.chars().take_while(|&c| c == ch).count();
            if run >= n && t[run * ch.len_utf8()..].trim().is_empty() {
                closed_at = Some(self.pos);
                end_line = l;
                self.pos += 1;
                break;
            }
            end_line = l;
            self.pos += 1;
        }
        let content_last = closed_at.unwrap_or(self.pos);
        let (cstart, cend) = if content_first < content_last {
            let first = self.lines[content_first];
            let last = self.lines[content_last - 1];
            (first.start, last.start + last.text.len())
        } else {
            let s = open.start + open.text.len();
            (s, s)
        };
        Block::Fence(Fence {
            span: Span {
                start: open.start,
                end: end_line.start + end_line.text.len(),
                line: open.number,
            },
            info,
            content: self.text.get(cstart..cend).unwrap_or("").replace('\r', ""),
            content_span: Span {
                start: cstart,
                end: cend,
                line: open.number + 1,
            },
        })
    }

    fn comment(&mut self) -> Block {
        let first = self.lines[self.pos];
        let mut last;
        loop {
            let l = self.lines[self.pos];
            last = l;
            self.pos += 1;
            if l.text.contains("-->") || self.pos >= self.lines.len() {
                break;
            }
        }
        let start = first.start + (first.text.len() - strip_indent(first.text).len());
        let end = last.start + last.text.len();
        let raw = self.text.get(start..end).unwrap_or("");
        let inner = raw
            .strip_prefix("<!--")
            .unwrap_or(raw)
            .split("-->")
            .next()
            .unwrap_or("")
            .trim()
            .to_string();
        Block::Comment(Comment {
            span: Span {
                start,
                end,
                line: first.number,
            },
            text: inner,
        })
    }

    /// A table written without outer pipes: `a | b` followed by a delimiter row `---|---`.
    fn pipeless_table_at(&self, pos: usize) -> bool {
        let (Some(l), Some(next)) = (self.lines.get(pos), self.lines.get(pos + 1)) else {
            return false;
        };
        if !l.text.contains('|') {
            return false;
        }
        // A delimiter row holds only pipes, dashes, colons and spaces: most lines are told
        // without being split into cells.
        let t = next.text;
        if !t.contains('-')
            || !t.contains('|')
            || !t
                .chars()
                .all(|c| matches!(c, '-' | ':' | '|') || c.is_whitespace())
        {
            return false;
        }
        let cells = split_row(next);
        cells.len() >= 2 && is_delimiter_row(&cells)
    }

    fn table(&mut self) -> Block {
        let first = self.lines[self.pos];
        let piped = strip_indent(first.text).starts_with('|');
        let from = self.pos;
        while self.pos < self.lines.len() {
            let l = self.lines[self.pos];
            let t = strip_indent(l.text);
            let row_like = if piped {
                t.starts_with('|')
            } else {
                !t.is_empty() && t.contains('|') && heading(t).is_none()
            };
            if !row_like {
                break;
            }
            self.pos += 1;
        }
        let mut rows = split_rows(&self.lines[from..self.pos]);
        let last_end = rows.last().map(|r| r.span.end).unwrap_or(first.start);
        let mut header = None;
        if rows.len() >= 2 && is_delimiter_row(&rows[1].cells) {
            header = rows.drain(..2).next().map(|h| h.cells);
        }
        Block::Table(Table {
            span: Span {
                start: first.start,
                end: last_end,
                line: first.number,
            },
            header,
            rows,
        })
    }

    fn quote(&mut self) -> Block {
        let first = self.lines[self.pos];
        let mut lines = Vec::new();
        let mut end = first.start;
        while self.pos < self.lines.len() {
            let l = self.lines[self.pos];
            let t = strip_indent(l.text);
            let Some(rest) = t.strip_prefix('>') else {
                break;
            };
            let body = rest.trim();
            let off = l.text.len() - rest.len() + (rest.len() - rest.trim_start().len());
            lines.push(TextLine {
                text: body.to_string(),
                span: Span {
                    start: l.start + off,
                    end: l.start + off + body.len(),
                    line: l.number,
                },
            });
            end = l.start + l.text.len();
            self.pos += 1;
        }
        Block::Quote(Paragraph {
            span: Span {
                start: first.start,
                end,
                line: first.number,
            },
            lines,
        })
    }

    fn paragraph(&mut self) -> Block {
        let first = self.lines[self.pos];
        let mut lines = Vec::new();
        let mut end = first.start;
        while self.pos < self.lines.len() {
            let l = self.lines[self.pos];
            let t = strip_indent(l.text);
            if t.is_empty() {
                break;
            }
            if !lines.is_empty()
                && (heading(t).is_some()
                    || self.pipeless_table_at(self.pos)
                    || fence_open(t).is_some()
                    || t.starts_with("<!--")
                    || t.starts_with('|')
                    || t.starts_with('>')
                    || list_marker(t).is_some()
                    || is_rule(t))
            {
                break;
            }
            let lead = l.text.len() - t.len();
            let body = t.trim_end();
            lines.push(TextLine {
                text: body.to_string(),
                span: Span {
                    start: l.start + lead,
                    end: l.start + lead + body.len(),
                    line: l.number,
                },
            });
            end = l.start + l.text.len();
            self.pos += 1;
        }
        Block::Paragraph(Paragraph {
            span: Span {
                start: first.start,
                end,
                line: first.number,
            },
            lines,
        })
    }

    /// A list: consecutive items (blank lines allowed between them), nested by indentation.
    fn list(&mut self) -> Block {
        let first = self.lines[self.pos];
        let mut flat: Vec<ListItem> = Vec::new();
        let mut end = first.start;
        while self.pos < self.lines.len() {
            let l = self.lines[self.pos];
            let t = strip_indent(l.text);
            if t.is_empty() {
                // A blank line ends the list unless an item or an indented continuation follows.
                let mut next = self.pos + 1;
                while next < self.lines.len() && strip_indent(self.lines[next].text).is_empty() {
                    next += 1;
                }
                if next < self.lines.len() {
                    let nl = self.lines[next];
                    let nt = strip_indent(nl.text);
                    if (list_marker(nt).is_some() && !is_rule(nt)) || indent_width(nl.text) >= 2 {
                        self.pos = next;
                        continue;
                    }
                }
                break;
            }
            let indent = indent_width(l.text);
            if let Some(mlen) = list_marker(t).filter(|_| !is_rule(t)) {
                let lead = l.text.len() - t.len();
                let mut body_off = lead + mlen.min(t.len());
                let mut body = &l.text[body_off..];
                let ws = body.len() - body.trim_start().len();
                body_off += ws;
                body = body.trim_start();
                let mut checked = None;
                if body.len() >= 3 && body.is_char_boundary(3) {
                    let b = &body[..3];
                    let box_state = match b {
                        "[ ]" => Some(false),
                        "[x]" | "[X]" => Some(true),
                        _ => None,
                    };
                    if box_state.is_some()
                        && (body.len() == 3 || body[3..].starts_with([' ', '\t']))
                    {
                        checked = box_state;
                        let rest = &body[3..];
                        let ws = rest.len() - rest.trim_start().len();
                        body_off += 3 + ws;
                        body = rest.trim_start();
                    }
                }
                let text = body.trim_end();
                let ts = l.start + body_off;
                flat.push(ListItem {
                    span: l.span(),
                    indent,
                    checked,
                    text: text.to_string(),
                    text_span: Span {
                        start: ts,
                        end: ts + text.len(),
                        line: l.number,
                    },
                    continuation: Vec::new(),
                    children: Vec::new(),
                });
                end = l.start + l.text.len();
                self.pos += 1;
                continue;
            }
            // Not an item: a continuation if indented under the current item, else the list ends.
            let is_block_start = heading(t).is_some()
                || fence_open(t).is_some()
                || t.starts_with('|')
                || t.starts_with("<!--");
            if let Some(last) = flat.last_mut()
                && indent > last.indent
                && !(is_block_start && indent < 2)
            {
                let body = t.trim_end();
                let lead = l.text.len() - t.len();
                last.continuation.push(Paragraph {
                    span: l.span(),
                    lines: vec![TextLine {
                        text: body.to_string(),
                        span: Span {
                            start: l.start + lead,
                            end: l.start + lead + body.len(),
                            line: l.number,
                        },
                    }],
                });
                end = l.start + l.text.len();
                self.pos += 1;
                continue;
            }
            break;
        }
        Block::List(List {
            items: nest(flat),
            span: Span {
                start: first.start,
                end,
                line: first.number,
            },
        })
    }
}

/// Turn a flat sequence of items with indentation into a tree.
fn nest(flat: Vec<ListItem>) -> Vec<ListItem> {
    let mut roots: Vec<ListItem> = Vec::new();
    // Stack of (indent, path into roots).
    let mut stack: Vec<ListItem> = Vec::new();
    for item in flat {
        while let Some(top) = stack.last() {
            if item.indent > top.indent {
                break;
            }
            let done = stack.pop();
            if let Some(done) = done {
                attach(&mut stack, &mut roots, done);
            }
        }
        stack.push(item);
    }
    while let Some(done) = stack.pop() {
        attach(&mut stack, &mut roots, done);
    }
    roots
}

fn attach(stack: &mut [ListItem], roots: &mut Vec<ListItem>, item: ListItem) {
    match stack.last_mut() {
        Some(parent) => parent.children.push(item),
        None => roots.push(item),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_and_lists() {
        let md = Markdown::parse(
            "# Title\n\n## Hydration Contract\n- Database: PostgreSQL 16\n- Conventions:\n  - Error format: RFC7807\n\tLogging: x\n- [x] done\n- [ ] open\n",
        );
        assert_eq!(md.sections.len(), 3);
        let s = &md.sections[2];
        assert_eq!(s.title, "Hydration Contract");
        let Block::List(list) = &s.blocks[0] else {
            panic!("expected list")
        };
        assert_eq!(list.items.len(), 4);
        let kv = list.items[0].key_value().unwrap();
        assert_eq!(kv.key, "Database");
        assert_eq!(kv.value, "PostgreSQL 16");
        assert_eq!(list.items[1].children.len(), 1);
        assert_eq!(
            list.items[1].children[0].key_value().unwrap().value,
            "RFC7807"
        );
        assert_eq!(list.items[2].checked, Some(true));
        assert_eq!(list.items[3].checked, Some(false));
        assert_eq!(list.items[3].text, "open");
        assert_eq!(list.items[3].span.line, 9);
    }

    #[test]
    fn crlf_bom_and_spans() {
        let text = "\u{feff}# T\r\n\r\n| A | B |\r\n|---|---|\r\n| 1 | `x|y` |\r\n";
        let md = Markdown::parse(text);
        assert!(md.bom && md.crlf);
        assert_eq!(md.sections[1].title, "T");
        let Block::Table(t) = &md.sections[1].blocks[0] else {
            panic!("expected table")
        };
        assert_eq!(t.header.as_ref().unwrap().len(), 2);
        assert_eq!(t.rows[0].cells[1].text, "`x|y`");
        let c = &t.rows[0].cells[0];
        assert_eq!(&text[c.span.range()], "1");
        assert_eq!(c.span.line, 5);
    }

    #[test]
    fn fences_and_comments() {
        let md = Markdown::parse(
            "<!-- ATOMIC_MESH_TEMPLATE_STUB -->\n```text\n# not a heading\n```\n<!--\nmulti\n-->\nafter\n",
        );
        let blocks = &md.sections[0].blocks;
        assert!(matches!(&blocks[0], Block::Comment(c) if c.text == "ATOMIC_MESH_TEMPLATE_STUB"));
        assert!(matches!(&blocks[1], Block::Fence(f) if f.content == "# not a heading"));
        assert!(matches!(&blocks[2], Block::Comment(c) if c.text == "multi"));
        assert!(matches!(&blocks[3], Block::Paragraph(p) if p.text() == "after"));
    }

    #[test]
    fn pipeless_table() {
        let md = Markdown::parse("## F\nLibrary | Reason\n--- | ---\nmoment | big\n\nafter\n");
        let Block::Table(t) = &md.sections[1].blocks[0] else {
            panic!("expected table")
        };
        assert_eq!(t.rows.len(), 1);
        assert_eq!(t.rows[0].cells[0].text, "moment");
    }

    #[test]
    fn key_value_forms() {
        assert_eq!(
            key_value("**Acceptance:** works", 0, 1).unwrap().value,
            "works"
        );
        assert_eq!(key_value("**Success**: 90%", 0, 1).unwrap().key, "Success");
        assert!(key_value("see https://x.y", 0, 1).is_none());
        assert!(key_value("`GET /a` - b: c", 0, 1).is_none());
    }

    #[test]
    fn line_col() {
        let text = "ab\ncdé\nf";
        let md = Markdown::parse(text);
        assert_eq!(md.line_col(text, 0), (1, 1));
        assert_eq!(md.line_col(text, 4), (2, 2));
        assert_eq!(md.line_col(text, text.len()), (3, 2));
    }

    #[test]
    fn normalized_titles() {
        let cases = [
            (
                "Hydration Contract (for ACTIVE_SPEC)",
                "hydration contract (for active_spec)",
            ),
            ("**Users & Context** 👥", "users & context"),
            ("  1. Goals —  Primary  ", "1. goals primary"),
            ("Ünïcode ÆSIR: Straße", "ünïcode æsir: straße"),
            ("İstanbul", "i\u{307}stanbul"),
            ("— ✅ —", ""),
            ("(Optional) Scope:", "optional) scope"),
            ("", ""),
        ];
        for (title, want) in cases {
            assert_eq!(normalize_title(title), want, "{title:?}");
        }
    }

    /// The straightforward form `normalize_title` must keep agreeing with.
    fn normalize_title_reference(title: &str) -> String {
        let mut out = String::new();
        let mut space = false;
        for c in title.chars() {
            if c.is_alphanumeric() || "&/()-+._:".contains(c) {
                if space && !out.is_empty() {
                    out.push(' ');
                }
                space = false;
                out.extend(c.to_lowercase());
            } else {
                space = true;
            }
        }
        out.trim_matches(|c: char| !c.is_alphanumeric() && c != ')')
            .to_string()
    }

    proptest::proptest! {
        #[test]
        fn normalize_title_matches_reference(title in "[ -~İıÄäÆß✅—()*_#\t]{0,40}") {
            proptest::prop_assert_eq!(normalize_title(&title), normalize_title_reference(&title));
        }

        #[test]
        fn is_rule_matches_reference(line in "[-*_ \tx]{0,8}") {
            let t: String = line.chars().filter(|c| !c.is_whitespace()).collect();
            let want = t.len() >= 3
                && (t.chars().all(|c| c == '-') || t.chars().all(|c| c == '*') || t.chars().all(|c| c == '_'));
            proptest::prop_assert_eq!(is_rule(&line), want);
        }
    }

    #[test]
    fn thematic_breaks() {
        for yes in ["---", "***", "___", "- - -", " * * * * ", "-\t-\t-"] {
            assert!(is_rule(yes), "{yes:?} is a thematic break");
        }
        for no in [
            "",
            "--",
            "-*-",
            "- - x",
            "-- -a",
            "—————",
            "- item",
            "* * *x",
            "__ _ *",
        ] {
            assert!(!is_rule(no), "{no:?} is not a thematic break");
        }
        let md = Markdown::parse("- a\n\n* * *\n\n- b\n");
        let kinds: Vec<bool> = md.sections[0]
            .blocks
            .iter()
            .map(|b| matches!(b, Block::Rule(_)))
            .collect();
        assert_eq!(kinds, [false, true, false]);
    }
}
