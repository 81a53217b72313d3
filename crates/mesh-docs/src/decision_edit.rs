//! Editing the decision log as text: text in, new text out. No I/O, no clock.
//!
//! The log is append-only. Every edit here keeps the file's own layout and only
//!
//! - inserts one new row directly after the last row of the decision table (rows the original
//!   tool wrote below the `<!-- ATOMIC_MESH_APPEND_DECISIONS_BELOW -->` anchor count as part of
//!   the table; when the anchor directly follows the table the new row goes before it), and
//! - for a supersede or a revert, rewrites the Status cell of the old row so the link is in the
//!   row itself (`🔄 superseded by 014`, `SUPERSEDED by 014`, `❌ reverted by 015`).
//!
//! Nothing else in the file changes, byte for byte.
//!
//! **Layout.** The new row has one cell per header column, in header order, whatever the layout
//! (8-column generation 15, 10-column generation 16, the older 5-column log, reordered columns,
//! tables without outer pipes). Line endings follow the file (CRLF stays CRLF). Cell text is
//! escaped: `|` becomes `\|`, line breaks become spaces, and an empty value is written `-`.
//! Values whose column the layout lacks are reported in [`Appended::dropped`].
//!
//! **Status style.** A log whose status cells are mostly symbols (✅ 🔄 ❌) gets symbols; a log
//! that writes words (ACCEPTED, PROPOSED, SUPERSEDED, REJECTED) gets words, reusing the word and
//! letter case the file already uses for that status.
//!
//! **ID scheme.** The next ID follows the scheme of the last decision row whose ID has digits
//! (word IDs such as `SAMPLE-ARCH` carry no sequence and are skipped):
//!
//! - numbers keep the width of that ID: `013` → `014`, `7` → `8`, `099` → `100`; the new
//!   number is one more than the largest numeric ID anywhere in the log;
//! - a prefix and a number keep both: `ADR-007` → `ADR-008`, `D-9` → `D-10`;
//! - unix timestamps (nine or more digits; thirteen or more are milliseconds) continue as
//!   timestamps: the current time, or one more than the largest timestamp in the log when the
//!   clock is behind it, so IDs stay unique and sort in append order even when many rows are
//!   added within one second;
//! - a log with no row, or only word IDs, starts at `001`.
//!
//! The chosen ID is checked against every ID in the log and never repeats one.

use crate::decision::{Column, Decision, DecisionLog, RowKind, Status};
use crate::document::{DocKind, Document};

/// The decision types a row may have.
pub const DECISION_TYPES: [&str; 11] = [
    "INIT", "SCOPE", "ARCH", "API", "DATA", "SECURITY", "UX", "PERF", "OPS", "TEST", "RELEASE",
];

/// Why an edit was refused. Nothing is produced when any of these is returned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EditError {
    #[error("line {line}: {message}; nothing was written")]
    NoTable { line: u32, message: String },
    #[error(
        "line {line}: the decision table has no {column} column; add one to the header (and a cell to every row) before appending"
    )]
    MissingColumn { line: u32, column: &'static str },
    #[error("unknown decision type `{given}`; use one of {}{}", DECISION_TYPES.join(", "), suggestion.map(|s| format!(" (did you mean {s}?)")).unwrap_or_default())]
    UnknownType {
        given: String,
        suggestion: Option<&'static str>,
    },
    #[error("this decision log has a Type column: give the decision a type, one of {}", DECISION_TYPES.join(", "))]
    MissingType,
    #[error("the decision text is empty; say what was decided")]
    EmptyDecision,
    #[error("a new decision is `active` or `proposed`, not `{0}`")]
    BadStatus(&'static str),
    #[error("no decision `{id}` in the log{}", known_hint(known))]
    UnknownId { id: String, known: Vec<String> },
    #[error(
        "decision `{id}` is used on lines {}; fix the duplicate IDs first (`mesh check` reports DEC001)",
        join_lines(lines)
    )]
    AmbiguousId { id: String, lines: Vec<u32> },
    #[error("line {line}: `{id}` is a rejected-task (KICKBACK) row, not a decision")]
    NotADecision { id: String, line: u32 },
    #[error("line {line}: decision `{id}` is already {status}{}; supersede or revert its successor instead", by.as_ref().map(|b| format!(" (by {b})")).unwrap_or_default())]
    AlreadyClosed {
        id: String,
        line: u32,
        status: &'static str,
        by: Option<String>,
    },
    #[error(
        "line {line}: the row of decision `{id}` does not fit the table ({problem}); fix the row first (`mesh check` reports DEC002)"
    )]
    MalformedRow {
        id: String,
        line: u32,
        problem: String,
    },
    #[error("internal error: {0}; nothing was written (please report this with the file attached)")]
    Internal(String),
}

fn known_hint(known: &[String]) -> String {
    if known.is_empty() {
        "; it has no decision rows yet".into()
    } else {
        format!("; the last IDs are {}", known.join(", "))
    }
}

fn join_lines(lines: &[u32]) -> String {
    lines
        .iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The content of a new row. Empty optional values are written `-`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Entry {
    /// One of [`DECISION_TYPES`] (any case).
    pub kind: Option<String>,
    pub decision: String,
    pub rationale: Option<String>,
    pub context: Option<String>,
    pub options: Option<String>,
    pub constraints: Option<String>,
    pub rollback: Option<String>,
    pub scope: Option<String>,
    pub task: Option<String>,
    pub owner: Option<String>,
    /// `YYYY-MM-DD`.
    pub date: String,
    /// `Active` (the default) or `Proposed`.
    pub status: Option<Status>,
}

/// The result of an edit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Appended {
    /// The whole new file.
    pub text: String,
    /// The new row's ID.
    pub id: String,
    /// The new row's 1-based line in `text`.
    pub line: u32,
    /// Entry fields that were given but have no column in this log's layout.
    pub dropped: Vec<&'static str>,
    /// The row marked superseded or reverted: its ID and line.
    pub marked: Option<(String, u32)>,
}

/// Validate and normalise a decision type (`arch` → `ARCH`).
pub fn normalize_type(given: &str) -> Result<&'static str, EditError> {
    let t = given.trim().to_ascii_uppercase();
    if let Some(k) = DECISION_TYPES.iter().find(|k| **k == t) {
        return Ok(k);
    }
    let suggestion = if t.len() >= 2 {
        DECISION_TYPES
            .iter()
            .copied()
            .find(|k| t.starts_with(k) || k.starts_with(&t))
            .or(match t.as_str() {
                "ARCHITECTURE" | "DESIGN" => Some("ARCH"),
                "SEC" | "AUTH" => Some("SECURITY"),
                "PERFORMANCE" => Some("PERF"),
                "OPERATIONS" | "INFRA" | "DEPLOY" => Some("OPS"),
                "TESTING" | "QA" => Some("TEST"),
                "DATABASE" | "DB" | "SCHEMA" => Some("DATA"),
                "UI" | "DESIGN-UX" => Some("UX"),
                _ => None,
            })
    } else {
        None
    };
    Err(EditError::UnknownType {
        given: given.trim().to_string(),
        suggestion,
    })
}

/// How the file writes statuses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StatusStyle {
    /// ✅ 🔄 ❌ (and 📝 for proposed).
    Symbols,
    /// Words, one per status, as the file spells them.
    Words {
        active: String,
        proposed: String,
        superseded: String,
        reverted: String,
    },
}

impl StatusStyle {
    /// The status cell for `status`, naming the successor when there is one.
    pub fn render(&self, status: Status, by: Option<&str>) -> String {
        let base = match self {
            StatusStyle::Symbols => match status {
                Status::Active | Status::Unknown => "✅".to_string(),
                Status::Proposed => "📝 proposed".to_string(),
                Status::Superseded => "🔄 superseded".to_string(),
                Status::Reverted => "❌ reverted".to_string(),
            },
            StatusStyle::Words {
                active,
                proposed,
                superseded,
                reverted,
            } => match status {
                Status::Active | Status::Unknown => active.clone(),
                Status::Proposed => proposed.clone(),
                Status::Superseded => superseded.clone(),
                Status::Reverted => reverted.clone(),
            },
        };
        match (status, by) {
            (Status::Superseded | Status::Reverted, Some(id)) => format!("{base} by {id}"),
            _ => base,
        }
    }
}

/// What a new row must look like in this file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    /// Rows start and end with `|`.
    pub pipes: bool,
    /// `\n` or `\r\n`.
    pub eol: &'static str,
    pub style: StatusStyle,
}

/// The layout of a parsed log.
pub fn layout(doc: &Document, log: &DecisionLog) -> Layout {
    let pipes = log
        .table
        .and_then(|t| doc.text.get(t.start..))
        .map(|s| s.trim_start().starts_with('|'))
        .unwrap_or(true);
    Layout {
        pipes,
        eol: if doc.md.crlf { "\r\n" } else { "\n" },
        style: status_style(log),
    }
}

fn is_symbolic(raw: &str) -> bool {
    raw.contains(['✅', '🔄', '❌', '📝', '⏳'])
}

/// The first word of a status cell (`SUPERSEDED by 004` → `SUPERSEDED`).
fn first_word(raw: &str) -> Option<&str> {
    raw.split(|c: char| !c.is_alphabetic())
        .find(|w| !w.is_empty())
}

/// `word` in the letter case of `sample` (upper, Capitalised or lower).
fn cased(word: &str, sample: &str) -> String {
    if sample.chars().all(|c| !c.is_lowercase()) {
        word.to_uppercase()
    } else if sample.chars().next().is_some_and(char::is_uppercase) {
        let lower = word.to_lowercase();
        let mut cs = lower.chars();
        cs.next()
            .map(|f| f.to_uppercase().chain(cs).collect())
            .unwrap_or_default()
    } else {
        word.to_lowercase()
    }
}

/// Symbols unless most status cells are words.
pub fn status_style(log: &DecisionLog) -> StatusStyle {
    let mut symbols = 0usize;
    let mut words: Vec<(Status, &str)> = Vec::new();
    for r in log.decisions() {
        if r.status_raw.trim().is_empty() {
            continue;
        }
        if is_symbolic(&r.status_raw) {
            symbols += 1;
        } else if r.status != Status::Unknown
            && let Some(w) = first_word(&r.status_raw)
        {
            words.push((r.status, w));
        }
    }
    if words.len() <= symbols {
        return StatusStyle::Symbols;
    }
    let sample = words
        .iter()
        .find(|(s, _)| *s == Status::Active)
        .or(words.first())
        .map(|(_, w)| *w)
        .unwrap_or("ACCEPTED");
    let pick = |status: Status, default: &str| -> String {
        words
            .iter()
            .find(|(s, _)| *s == status)
            .map(|(_, w)| (*w).to_string())
            .unwrap_or_else(|| cased(default, sample))
    };
    StatusStyle::Words {
        active: pick(Status::Active, "ACCEPTED"),
        proposed: pick(Status::Proposed, "PROPOSED"),
        superseded: pick(Status::Superseded, "SUPERSEDED"),
        reverted: pick(Status::Reverted, "REVERTED"),
    }
}

/// The numbering scheme of a log's IDs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdScheme {
    /// Plain numbers, zero-padded to at least `width` digits.
    Number { width: usize },
    /// A fixed prefix and a zero-padded number (`ADR-007`).
    Prefixed { prefix: String, width: usize },
    /// Unix timestamps in seconds, or milliseconds when `millis`.
    Timestamp { millis: bool },
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum IdClass<'a> {
    Number(u64, usize),
    Timestamp(u64, bool),
    Prefixed(&'a str, u64, usize),
    Word,
}

fn classify(id: &str) -> IdClass<'_> {
    let digits = id.bytes().rev().take_while(u8::is_ascii_digit).count();
    if digits == 0 || digits > 18 {
        return IdClass::Word;
    }
    let (prefix, num) = id.split_at(id.len() - digits);
    let Ok(n) = num.parse::<u64>() else {
        return IdClass::Word;
    };
    if prefix.is_empty() {
        if digits >= 9 {
            IdClass::Timestamp(n, digits >= 13)
        } else {
            IdClass::Number(n, digits)
        }
    } else if prefix.chars().any(char::is_whitespace) {
        IdClass::Word
    } else {
        IdClass::Prefixed(prefix, n, digits)
    }
}

/// The scheme of the last decision row whose ID carries a number.
pub fn id_scheme(log: &DecisionLog) -> IdScheme {
    for r in log.decisions().collect::<Vec<_>>().into_iter().rev() {
        match classify(&r.id) {
            IdClass::Number(_, w) => return IdScheme::Number { width: w },
            IdClass::Timestamp(_, millis) => return IdScheme::Timestamp { millis },
            IdClass::Prefixed(p, _, w) => {
                return IdScheme::Prefixed {
                    prefix: p.to_string(),
                    width: w,
                };
            }
            IdClass::Word => {}
        }
    }
    IdScheme::Number { width: 3 }
}

/// The next free ID in the log's own scheme; `now_unix` is the current time in seconds.
pub fn next_id(log: &DecisionLog, now_unix: i64) -> String {
    let ids: Vec<&str> = log.decisions().map(|d| d.id.as_str()).collect();
    let scheme = id_scheme(log);
    let mut next: u64 = match &scheme {
        IdScheme::Number { .. } => ids
            .iter()
            .filter_map(|i| match classify(i) {
                IdClass::Number(n, _) => Some(n),
                _ => None,
            })
            .max()
            .map_or(1, |m| m.saturating_add(1)),
        IdScheme::Prefixed { prefix, .. } => ids
            .iter()
            .filter_map(|i| match classify(i) {
                IdClass::Prefixed(p, n, _) if p == prefix => Some(n),
                _ => None,
            })
            .max()
            .map_or(1, |m| m.saturating_add(1)),
        IdScheme::Timestamp { millis } => {
            let now = u64::try_from(now_unix.max(0)).unwrap_or(0);
            let now = if *millis {
                now.saturating_mul(1000)
            } else {
                now
            };
            let max = ids
                .iter()
                .filter_map(|i| match classify(i) {
                    IdClass::Timestamp(n, m) if m == *millis => Some(n),
                    _ => None,
                })
                .max()
                .unwrap_or(0);
            now.max(max.saturating_add(1))
        }
    };
    loop {
        let candidate = match &scheme {
            IdScheme::Number { width } => format!("{next:0width$}"),
            IdScheme::Prefixed { prefix, width } => format!("{prefix}{next:0width$}"),
            IdScheme::Timestamp { .. } => next.to_string(),
        };
        if !log.rows.iter().any(|r| r.id == candidate) || next == u64::MAX {
            return candidate;
        }
        next = next.saturating_add(1);
    }
}

/// Escape text for one table cell: `|` → `\|` (unless already escaped), an unpaired backtick →
/// `` \` ``, line breaks and tabs → spaces, trimmed; empty → `-`.
pub fn escape_cell(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 4);
    let mut backslashes = 0usize;
    let mut last_space = false;
    for c in text.trim().chars() {
        let c = if matches!(c, '\n' | '\r' | '\t') {
            ' '
        } else {
            c
        };
        if c == ' ' && last_space {
            continue;
        }
        last_space = c == ' ';
        if c == '|' && backslashes.is_multiple_of(2) {
            out.push('\\');
        }
        backslashes = if c == '\\' { backslashes + 1 } else { 0 };
        out.push(c);
    }
    // A trailing odd backslash would escape the closing pipe.
    if !backslashes.is_multiple_of(2) {
        out.push('\\');
    }
    // An unpaired backtick would open a code span that swallows the rest of the row's pipes.
    if let Some(at) = unpaired_backtick(&out) {
        out.insert(at, '\\');
    }
    if out.is_empty() { "-".to_string() } else { out }
}

/// The byte offset of the last unescaped backtick when their number is odd.
fn unpaired_backtick(s: &str) -> Option<usize> {
    let mut count = 0usize;
    let mut last = None;
    let mut escaped = false;
    for (i, c) in s.char_indices() {
        if escaped {
            escaped = false;
            continue;
        }
        match c {
            '\\' => escaped = true,
            '`' => {
                count += 1;
                last = Some(i);
            }
            _ => {}
        }
    }
    if count.is_multiple_of(2) { None } else { last }
}

fn opt(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// The row for `entry` with `id` and `status` in the table's column order.
pub fn render_row(
    log: &DecisionLog,
    layout: &Layout,
    id: &str,
    entry: &Entry,
    kind: Option<&str>,
) -> String {
    let status = layout
        .style
        .render(entry.status.unwrap_or(Status::Active), None);
    let cells: Vec<String> = log
        .columns
        .iter()
        .map(|col| {
            let v: Option<&str> = match col {
                Column::Id => Some(id),
                Column::Date => Some(entry.date.trim()),
                Column::Type => kind,
                Column::Decision => Some(entry.decision.as_str()),
                Column::Rationale => opt(&entry.rationale),
                Column::Scope => opt(&entry.scope),
                Column::Task => opt(&entry.task),
                Column::Status => Some(status.as_str()),
                Column::Context => opt(&entry.context),
                Column::Options => opt(&entry.options),
                Column::Constraints => opt(&entry.constraints),
                Column::Rollback => opt(&entry.rollback),
                Column::Owner => opt(&entry.owner),
                Column::Other => None,
            };
            escape_cell(v.unwrap_or(""))
        })
        .collect();
    let body = cells.join(" | ");
    if layout.pipes {
        format!("| {body} |")
    } else {
        body
    }
}

/// Entry fields that are set but have no column in `columns`.
fn dropped(columns: &[Column], entry: &Entry, kind: Option<&str>) -> Vec<&'static str> {
    let fields: [(&'static str, Column, bool); 10] = [
        ("type", Column::Type, kind.is_some()),
        ("date", Column::Date, !entry.date.trim().is_empty()),
        (
            "rationale",
            Column::Rationale,
            opt(&entry.rationale).is_some(),
        ),
        ("context", Column::Context, opt(&entry.context).is_some()),
        ("options", Column::Options, opt(&entry.options).is_some()),
        (
            "constraints",
            Column::Constraints,
            opt(&entry.constraints).is_some(),
        ),
        ("rollback", Column::Rollback, opt(&entry.rollback).is_some()),
        ("scope", Column::Scope, opt(&entry.scope).is_some()),
        ("task", Column::Task, opt(&entry.task).is_some()),
        ("owner", Column::Owner, opt(&entry.owner).is_some()),
    ];
    fields
        .iter()
        .filter(|(_, col, set)| *set && !columns.contains(col))
        .map(|(name, _, _)| *name)
        .collect()
}

/// Parse `text` and make sure a row can be appended.
fn open(text: &str) -> Result<(Document, DecisionLog), EditError> {
    let doc = Document::parse(DocKind::DecisionLog, "DECISION_LOG.md", text);
    let log = DecisionLog::from_document(&doc);
    let Some(table) = log.table else {
        let (span, message) = log.problems.first().cloned().unwrap_or_default();
        return Err(EditError::NoTable {
            line: span.line.max(1),
            message: if message.is_empty() {
                "no decision table found".into()
            } else {
                message
            },
        });
    };
    for (col, name) in [(Column::Id, "ID"), (Column::Decision, "Decision")] {
        if !log.columns.contains(&col) {
            return Err(EditError::MissingColumn {
                line: table.line,
                column: name,
            });
        }
    }
    Ok((doc, log))
}

/// Byte offset where a new row goes: the start of the line after the last row (or the end of
/// the text), and whether a line break must be written first.
fn insertion_point(doc: &Document, log: &DecisionLog) -> (usize, bool) {
    let last_end = log
        .rows
        .iter()
        .map(|r| r.span.end)
        .chain(log.table.map(|t| t.end))
        .max()
        .unwrap_or(doc.text.len())
        .min(doc.text.len());
    match doc.text.get(last_end..).and_then(|s| s.find('\n')) {
        Some(p) => (last_end + p + 1, false),
        None => (doc.text.len(), true),
    }
}

fn line_at(text: &str, offset: usize) -> u32 {
    let n = text
        .as_bytes()
        .iter()
        .take(offset)
        .filter(|&&b| b == b'\n')
        .count();
    u32::try_from(n + 1).unwrap_or(u32::MAX)
}

/// The one row with `id`, which must be an open decision.
fn target<'l>(log: &'l DecisionLog, id: &str) -> Result<&'l Decision, EditError> {
    let id = id.trim();
    let rows: Vec<&Decision> = log.rows.iter().filter(|r| r.id == id).collect();
    if let Some(k) = rows
        .first()
        .filter(|_| rows.iter().all(|r| r.row == RowKind::Kickback))
    {
        return Err(EditError::NotADecision {
            id: k.id.clone(),
            line: k.line(),
        });
    }
    match rows.as_slice() {
        [] => {
            let known: Vec<String> = log.decisions().map(|d| d.id.clone()).collect();
            let tail = known.len().saturating_sub(5);
            Err(EditError::UnknownId {
                id: id.to_string(),
                known: known[tail..].to_vec(),
            })
        }
        [one] => {
            let r = *one;
            if r.row == RowKind::Kickback {
                return Err(EditError::NotADecision {
                    id: r.id.clone(),
                    line: r.line(),
                });
            }
            if let Some(problem) = &r.malformed {
                return Err(EditError::MalformedRow {
                    id: r.id.clone(),
                    line: r.line(),
                    problem: problem.clone(),
                });
            }
            match r.status {
                Status::Superseded => Err(EditError::AlreadyClosed {
                    id: r.id.clone(),
                    line: r.line(),
                    status: "superseded",
                    by: log.successor_of(&r.id).map(str::to_string),
                }),
                Status::Reverted => Err(EditError::AlreadyClosed {
                    id: r.id.clone(),
                    line: r.line(),
                    status: "reverted",
                    by: log.reverter_of(&r.id).map(str::to_string),
                }),
                _ => Ok(r),
            }
        }
        many => Err(EditError::AmbiguousId {
            id: id.to_string(),
            lines: many.iter().map(|r| r.line()).collect(),
        }),
    }
}

/// The type to write: validated; required when the log has a Type column.
fn resolve_kind(
    log: &DecisionLog,
    entry: &Entry,
    inherited: Option<&str>,
) -> Result<Option<&'static str>, EditError> {
    match opt(&entry.kind) {
        Some(k) => normalize_type(k).map(Some),
        None => match inherited.map(normalize_type) {
            Some(Ok(k)) => Ok(Some(k)),
            _ if log.columns.contains(&Column::Type) => Err(EditError::MissingType),
            _ => Ok(None),
        },
    }
}

/// Build the new text: insert the row and optionally rewrite the old row's status cell.
fn apply(
    doc: &Document,
    log: &DecisionLog,
    entry: &Entry,
    kind: Option<&'static str>,
    now_unix: i64,
    close: Option<(&Decision, Status)>,
) -> Result<Appended, EditError> {
    if entry.decision.trim().is_empty() {
        return Err(EditError::EmptyDecision);
    }
    match entry.status {
        None | Some(Status::Active) | Some(Status::Proposed) => {}
        Some(s) => return Err(EditError::BadStatus(s.as_str())),
    }
    let lay = layout(doc, log);
    let id = next_id(log, now_unix);
    let row = render_row(log, &lay, &id, entry, kind);
    let (at, needs_break) = insertion_point(doc, log);
    let text = doc.text.as_str();
    let mut out = String::with_capacity(text.len() + row.len() + 64);
    let mut marked = None;
    // The old row always lies before the insertion point.
    let mut cursor = 0;
    if let Some((old, status)) = close
        && let Some(cell) = old.cell(Column::Status)
    {
        let new_status = lay.style.render(status, Some(&id));
        let range = cell.range();
        if range.end > at || text.get(cursor..range.start).is_none() {
            return Err(EditError::Internal(format!(
                "status cell of `{}` is not before the insertion point",
                old.id
            )));
        }
        out.push_str(&text[cursor..range.start]);
        out.push_str(&new_status);
        if range.is_empty() {
            out.push(' ');
        }
        cursor = range.end;
        marked = Some((old.id.clone(), old.line()));
    } else if let Some((old, _)) = close {
        // No Status column: the link lives only in the new row.
        marked = Some((old.id.clone(), old.line()));
    }
    let Some(before) = text.get(cursor..at) else {
        return Err(EditError::Internal(
            "insertion point is not on a character boundary".into(),
        ));
    };
    out.push_str(before);
    if needs_break {
        out.push_str(lay.eol);
    }
    let row_start = out.len();
    out.push_str(&row);
    out.push_str(lay.eol);
    out.push_str(text.get(at..).unwrap_or(""));
    let line = line_at(&out, row_start);
    let result = Appended {
        text: out,
        id,
        line,
        dropped: dropped(&log.columns, entry, kind),
        marked,
    };
    verify(log, &result, close.map(|(d, s)| (d.id.as_str(), s)))?;
    Ok(result)
}

/// Re-read the new text and make sure it says what we meant: one more row, the new row where
/// we put it, the old row closed.
fn verify(
    before: &DecisionLog,
    res: &Appended,
    closed: Option<(&str, Status)>,
) -> Result<(), EditError> {
    let doc = Document::parse(DocKind::DecisionLog, "DECISION_LOG.md", res.text.as_str());
    let log = DecisionLog::from_document(&doc);
    if log.rows.len() != before.rows.len() + 1 {
        return Err(EditError::Internal(format!(
            "the table would have {} rows instead of {}",
            log.rows.len(),
            before.rows.len() + 1
        )));
    }
    let Some(row) = log.rows.iter().find(|r| r.id == res.id) else {
        return Err(EditError::Internal(format!(
            "the new row `{}` does not read back",
            res.id
        )));
    };
    if row.line() != res.line || row.malformed.is_some() {
        return Err(EditError::Internal(format!(
            "the new row `{}` does not fit the table",
            res.id
        )));
    }
    if let Some((old, status)) = closed
        && log.columns.contains(&Column::Status)
        && log.get(old).map(|d| d.status) != Some(status)
    {
        return Err(EditError::Internal(format!(
            "the status of `{old}` does not read back as {}",
            status.as_str()
        )));
    }
    Ok(())
}

/// Append a new decision after the last row.
pub fn append(text: &str, entry: &Entry, now_unix: i64) -> Result<Appended, EditError> {
    let (doc, log) = open(text)?;
    let kind = resolve_kind(&log, entry, None)?;
    apply(&doc, &log, entry, kind, now_unix, None)
}

/// Append a decision that supersedes `old_id` and mark the old row superseded by it.
///
/// The new row's Decision cell ends with `(supersedes <old_id>)` unless it already says so; a
/// missing type or scope is taken from the old row.
pub fn supersede(
    text: &str,
    old_id: &str,
    entry: &Entry,
    now_unix: i64,
) -> Result<Appended, EditError> {
    let (doc, log) = open(text)?;
    let old = target(&log, old_id)?;
    let mut e = entry.clone();
    let marker = format!("supersedes {}", old.id);
    if !e.decision.to_lowercase().contains(&marker.to_lowercase()) && !e.decision.trim().is_empty()
    {
        e.decision = format!("{} ({marker})", e.decision.trim());
    }
    if opt(&e.scope).is_none() {
        e.scope.clone_from(&old.scope);
    }
    let kind = resolve_kind(&log, &e, old.kind_of_decision.as_deref())?;
    apply(
        &doc,
        &log,
        &e,
        kind,
        now_unix,
        Some((old, Status::Superseded)),
    )
}

/// Append a row recording that `id` is reverted and mark the old row reverted by it.
///
/// `entry.decision` is the reason; the new row's Decision cell reads `Reverts <id>: <reason>`.
/// A missing type or scope is taken from the old row.
pub fn revert(text: &str, id: &str, entry: &Entry, now_unix: i64) -> Result<Appended, EditError> {
    let (doc, log) = open(text)?;
    let old = target(&log, id)?;
    if entry.decision.trim().is_empty() {
        return Err(EditError::EmptyDecision);
    }
    let mut e = entry.clone();
    e.decision = format!("Reverts {}: {}", old.id, entry.decision.trim());
    if opt(&e.scope).is_none() {
        e.scope.clone_from(&old.scope);
    }
    let kind = resolve_kind(&log, &e, old.kind_of_decision.as_deref())?;
    apply(
        &doc,
        &log,
        &e,
        kind,
        now_unix,
        Some((old, Status::Reverted)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const G15: &str = "## Records\n\n| ID | Date | Type | Decision | Rationale | Scope | Task | Status |\n|----|------|------|----------|-----------|-------|------|--------|\n| 001 | 2026-01-01 | INIT | Start | - | project | - | ✅ |\n| 002 | 2026-01-02 | ARCH | Use Go | fast | backend | - | ✅ |\n<!-- ATOMIC_MESH_APPEND_DECISIONS_BELOW -->\n\n*Template version: 15.0*\n";

    fn entry(kind: &str, decision: &str) -> Entry {
        Entry {
            kind: Some(kind.into()),
            decision: decision.into(),
            date: "2026-02-01".into(),
            ..Entry::default()
        }
    }

    #[test]
    fn appends_before_anchor() {
        let r = append(G15, &entry("data", "Use SQLite"), 0).unwrap();
        assert_eq!(r.id, "003");
        assert_eq!(r.line, 7);
        assert!(r.text.contains("| 002 | 2026-01-02 | ARCH | Use Go | fast | backend | - | ✅ |\n| 003 | 2026-02-01 | DATA | Use SQLite | - | - | - | ✅ |\n<!-- ATOMIC"));
        assert!(r.dropped.is_empty());
    }

    #[test]
    fn supersede_marks_old_row() {
        let r = supersede(
            G15,
            "002",
            &Entry {
                kind: None,
                ..entry("", "Use Rust")
            },
            0,
        )
        .unwrap();
        assert_eq!(r.id, "003");
        assert!(r.text.contains(
            "| 002 | 2026-01-02 | ARCH | Use Go | fast | backend | - | 🔄 superseded by 003 |"
        ));
        assert!(r.text.contains(
            "| 003 | 2026-02-01 | ARCH | Use Rust (supersedes 002) | - | backend | - | ✅ |"
        ));
        assert_eq!(r.marked, Some(("002".into(), 6)));
        let again = supersede(&r.text, "002", &entry("ARCH", "x"), 0).unwrap_err();
        assert!(
            matches!(again, EditError::AlreadyClosed { ref by, .. } if by.as_deref() == Some("003"))
        );
    }

    #[test]
    fn revert_marks_old_row() {
        let r = revert(G15, "002", &entry("", "Go was too slow to hire for"), 0).unwrap();
        assert!(r.text.contains("| ❌ reverted by 003 |"));
        assert!(
            r.text
                .contains("| 003 | 2026-02-01 | ARCH | Reverts 002: Go was too slow to hire for |")
        );
    }

    #[test]
    fn id_schemes() {
        let log = |ids: &[&str]| {
            let mut t = String::from("| ID | Decision | Status |\n|---|---|---|\n");
            for i in ids {
                t.push_str(&format!("| {i} | d | ✅ |\n"));
            }
            DecisionLog::from_document(&Document::parse(
                DocKind::DecisionLog,
                "x",
                format!("## Records\n{t}"),
            ))
        };
        assert_eq!(next_id(&log(&["001", "013"]), 0), "014");
        assert_eq!(next_id(&log(&["7"]), 0), "8");
        assert_eq!(next_id(&log(&["9"]), 0), "10");
        assert_eq!(next_id(&log(&["099"]), 0), "100");
        assert_eq!(next_id(&log(&["ADR-007", "ADR-003"]), 0), "ADR-008");
        assert_eq!(next_id(&log(&["SAMPLE-ARCH"]), 0), "001");
        assert_eq!(next_id(&log(&[]), 0), "001");
        assert_eq!(
            next_id(&log(&["001", "1742288400"]), 1_800_000_000),
            "1800000000"
        );
        assert_eq!(next_id(&log(&["001", "1742288400"]), 5), "1742288401");
        assert_eq!(
            next_id(&log(&["1742288400000"]), 1_800_000_000),
            "1800000000000"
        );
        assert_eq!(next_id(&log(&["003", "SAMPLE-ARCH"]), 0), "004");
    }

    #[test]
    fn escaping() {
        assert_eq!(escape_cell("a | b"), "a \\| b");
        assert_eq!(escape_cell("a \\| b"), "a \\| b");
        assert_eq!(escape_cell("a\\\\| b"), "a\\\\\\| b");
        assert_eq!(escape_cell("line one\nline  two\r\n"), "line one line two");
        assert_eq!(escape_cell("  "), "-");
        assert_eq!(escape_cell("ends with \\"), "ends with \\\\");
    }

    #[test]
    fn types() {
        assert_eq!(normalize_type("arch"), Ok("ARCH"));
        assert!(matches!(
            normalize_type("architecture"),
            Err(EditError::UnknownType {
                suggestion: Some("ARCH"),
                ..
            })
        ));
        assert!(matches!(
            normalize_type("zzz"),
            Err(EditError::UnknownType {
                suggestion: None,
                ..
            })
        ));
        assert_eq!(
            append(
                G15,
                &Entry {
                    kind: None,
                    ..entry("", "x")
                },
                0
            )
            .unwrap_err(),
            EditError::MissingType
        );
    }
}
