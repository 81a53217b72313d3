//! What one change did to a SPEC and to a decision log: pure functions over two texts.
//!
//! - [`SpecDelta::between`]: the changed SPEC lines, each classified (added, removed, rewritten,
//!   a checkbox tick, a blank line), grouped in hunks that carry the line to point at.
//! - [`LogDelta::between`]: the decision rows added, removed and rewritten, and the status moves
//!   the change policy allows. Only the changed lines are parsed (with the log's own header, by
//!   the same parser as the document rules), so a long log costs little per change.

use mesh_docs::decision::{Column, Decision, DecisionLog, RowKind, Status};
use mesh_docs::{DocKind, Document};
use serde::Serialize;

use super::diff::{Block, blocks};

/// How one SPEC line changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LineKind {
    /// A new line.
    Added,
    /// A line that is gone.
    Removed,
    /// A line replaced by another.
    Rewritten,
}

/// One changed SPEC line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SpecLine {
    pub kind: LineKind,
    /// 1-based line in the old text (absent for an added line).
    pub old_line: Option<u32>,
    /// 1-based line in the new text (absent for a removed line).
    pub new_line: Option<u32>,
    /// Old text (empty for an added line).
    pub old: String,
    /// New text (empty for a removed line).
    pub new: String,
    /// Only a checklist box changed (`- [ ]` ↔ `- [x]`): a status change.
    pub tick: bool,
    /// Blank on both sides (whitespace only): not content.
    pub blank: bool,
}

impl SpecLine {
    /// Whether this line is a change of content under the policy (`tick_is_status_change`).
    pub fn is_content(&self, tick_is_status_change: bool) -> bool {
        !(self.blank || (tick_is_status_change && self.tick))
    }
}

/// A block of changed SPEC lines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SpecHunk {
    /// 1-based first line of the block in the new text; for lines only removed, the line that
    /// now stands where they were (at least 1).
    pub line: u32,
    /// 1-based last line in the new text (`line` when nothing was added).
    pub end_line: u32,
    pub lines: Vec<SpecLine>,
}

impl SpecHunk {
    /// Whether any line of this hunk is content under the policy.
    pub fn has_content(&self, tick_is_status_change: bool) -> bool {
        self.lines
            .iter()
            .any(|l| l.is_content(tick_is_status_change))
    }

    /// Content lines removed or rewritten (not added) under the policy.
    pub fn removed_or_rewritten(&self, tick_is_status_change: bool) -> (usize, usize) {
        let content = |l: &&SpecLine| l.is_content(tick_is_status_change);
        let removed = self
            .lines
            .iter()
            .filter(content)
            .filter(|l| l.kind == LineKind::Removed)
            .count();
        let rewritten = self
            .lines
            .iter()
            .filter(content)
            .filter(|l| l.kind == LineKind::Rewritten)
            .count();
        (removed, rewritten)
    }

    /// The first added or rewritten content line's new text, if any.
    pub fn first_new_text(&self, tick_is_status_change: bool) -> Option<&str> {
        self.lines
            .iter()
            .find(|l| l.is_content(tick_is_status_change) && l.kind != LineKind::Removed)
            .map(|l| l.new.as_str())
    }
}

/// The changed lines of a SPEC between two versions.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SpecDelta {
    pub hunks: Vec<SpecHunk>,
}

impl SpecDelta {
    /// Diff two versions of a SPEC (either may be empty: added or deleted).
    pub fn between(old: &str, new: &str) -> SpecDelta {
        let hunks = blocks(old, new)
            .into_iter()
            .map(|b| spec_hunk(&b))
            .collect();
        SpecDelta { hunks }
    }

    /// Whether the change touches content under the policy (not only ticks and blank lines).
    pub fn has_content(&self, tick_is_status_change: bool) -> bool {
        self.hunks
            .iter()
            .any(|h| h.has_content(tick_is_status_change))
    }

    /// The hunks with content changes under the policy.
    pub fn content_hunks(&self, tick_is_status_change: bool) -> impl Iterator<Item = &SpecHunk> {
        self.hunks
            .iter()
            .filter(move |h| h.has_content(tick_is_status_change))
    }
}

/// The text of a checklist line with its box cleared, when it is one (`- [x] a` → `- [ ] a`).
fn untick(line: &str) -> Option<String> {
    let trimmed = line.trim_start();
    let indent = line.len() - trimmed.len();
    let marker_len =
        if trimmed.starts_with("- ") || trimmed.starts_with("* ") || trimmed.starts_with("+ ") {
            2
        } else {
            let digits = trimmed.bytes().take_while(u8::is_ascii_digit).count();
            let rest = &trimmed[digits..];
            if digits > 0 && (rest.starts_with(". ") || rest.starts_with(") ")) {
                digits + 2
            } else {
                return None;
            }
        };
    let after = &trimmed[marker_len..];
    let after_ws = after.trim_start_matches(' ');
    let box_at = indent + marker_len + (after.len() - after_ws.len());
    let b = after_ws.as_bytes();
    if b.len() >= 3 && b[0] == b'[' && b[2] == b']' && matches!(b[1], b' ' | b'x' | b'X') {
        let mut s = String::with_capacity(line.len());
        s.push_str(&line[..box_at]);
        s.push_str("[ ]");
        s.push_str(&line[box_at + 3..]);
        Some(s)
    } else {
        None
    }
}

/// Whether `old` → `new` only ticks or unticks a checklist box.
pub fn is_tick(old: &str, new: &str) -> bool {
    old != new
        && match (untick(old), untick(new)) {
            (Some(a), Some(b)) => a == b,
            _ => false,
        }
}

fn spec_hunk(b: &Block<'_>) -> SpecHunk {
    let mut lines = Vec::new();
    let mut used_new = vec![false; b.new_lines.len()];
    let mut paired_old = vec![None; b.old_lines.len()];
    // Ticks first: an old line pairs with the new line that differs from it by the box only.
    for (i, o) in b.old_lines.iter().enumerate() {
        if let Some(j) =
            (0..b.new_lines.len()).find(|&j| !used_new[j] && is_tick(o, b.new_lines[j]))
        {
            used_new[j] = true;
            paired_old[i] = Some(j);
        }
    }
    // The rest pair in order, as a rewrite.
    let mut free_new = (0..b.new_lines.len())
        .filter(|&j| !used_new[j])
        .collect::<Vec<_>>()
        .into_iter();
    for p in paired_old.iter_mut() {
        if p.is_none()
            && let Some(j) = free_new.next()
        {
            used_new[j] = true;
            *p = Some(j);
        }
    }
    for (i, o) in b.old_lines.iter().enumerate() {
        let old_line = Some(b.old.start + i as u32 + 1);
        match paired_old[i] {
            Some(j) => {
                let n = b.new_lines[j];
                lines.push(SpecLine {
                    kind: LineKind::Rewritten,
                    old_line,
                    new_line: Some(b.new.start + j as u32 + 1),
                    old: (*o).to_string(),
                    new: n.to_string(),
                    tick: is_tick(o, n),
                    blank: o.trim().is_empty() && n.trim().is_empty(),
                });
            }
            None => lines.push(SpecLine {
                kind: LineKind::Removed,
                old_line,
                new_line: None,
                old: (*o).to_string(),
                new: String::new(),
                tick: false,
                blank: o.trim().is_empty(),
            }),
        }
    }
    for (j, n) in b.new_lines.iter().enumerate() {
        if !used_new[j] {
            lines.push(SpecLine {
                kind: LineKind::Added,
                old_line: None,
                new_line: Some(b.new.start + j as u32 + 1),
                old: String::new(),
                new: (*n).to_string(),
                tick: false,
                blank: n.trim().is_empty(),
            });
        }
    }
    let line = (b.new.start + 1).max(1);
    let end_line = if b.new.is_empty() { line } else { b.new.end };
    SpecHunk {
        line,
        end_line,
        lines,
    }
}

/// A decision-log row as it stands on one side of a change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowRef {
    /// The row's ID (its first cell).
    pub id: String,
    /// 1-based line of the row on its side.
    pub line: u32,
    /// The line as written.
    pub text: String,
    pub status: Status,
    /// Whether it is a decision (`true`) or a rejected-task KICKBACK row.
    pub decision: bool,
    /// The Decision column, for messages.
    pub summary: String,
}

/// A row that is gone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowRemoval {
    /// The row as it was.
    pub row: RowRef,
    /// 1-based line in the new text where it stood (at least 1).
    pub at_line: u32,
}

/// Why a rewritten row is (or is not) allowed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum RewriteKind {
    /// Cells other than Status changed (the header names of those columns).
    Content { columns: Vec<String> },
    /// Only the status changed, but not from active to superseded or reverted.
    Status { from: Status, to: Status },
    /// Active → superseded/reverted, but no other row references this one.
    Unreferenced { from: Status, to: Status },
    /// Active → superseded/reverted, referenced by `by`: the one allowed edit.
    Allowed {
        from: Status,
        to: Status,
        by: String,
    },
}

/// A row whose text changed in place (same ID on both sides).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowRewrite {
    pub old: RowRef,
    pub new: RowRef,
    pub kind: RewriteKind,
}

/// What one change did to a decision log.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct LogDelta {
    /// Rows new on the new side (decisions and KICKBACK rows).
    pub added: Vec<RowRef>,
    /// Rows gone.
    pub removed: Vec<RowRemoval>,
    /// Rows changed in place that the policy forbids.
    pub rewritten: Vec<RowRewrite>,
    /// Status moves the policy allows (active → superseded/reverted, referenced by a newer row).
    pub status_moves: Vec<RowRewrite>,
}

impl LogDelta {
    /// Compare two versions of a decision log (either may be empty).
    pub fn between(old: &str, new: &str) -> LogDelta {
        let blocks = blocks(old, new);
        if blocks.is_empty() {
            return LogDelta::default();
        }
        let old_header = find_header(old);
        let new_header = find_header(new);
        let old_lines: Vec<(u32, &str)> = blocks
            .iter()
            .flat_map(|b| {
                b.old_lines
                    .iter()
                    .enumerate()
                    .map(move |(i, l)| (b.old.start + i as u32 + 1, *l))
            })
            .collect();
        let new_lines: Vec<(u32, &str)> = blocks
            .iter()
            .flat_map(|b| {
                b.new_lines
                    .iter()
                    .enumerate()
                    .map(move |(i, l)| (b.new.start + i as u32 + 1, *l))
            })
            .collect();
        let old_rows = old_header
            .as_ref()
            .map(|h| rows_of(h, &old_lines))
            .unwrap_or_default();
        let new_rows = new_header
            .as_ref()
            .map(|h| rows_of(h, &new_lines))
            .unwrap_or_default();

        let mut delta = LogDelta::default();
        let mut used = vec![false; new_rows.len()];
        for (oline, otext, orow) in &old_rows {
            let found = (0..new_rows.len())
                .find(|&j| !used[j] && same_row(orow, otext, &new_rows[j].2, new_rows[j].1));
            let Some(j) = found else {
                delta.removed.push(RowRemoval {
                    row: row_ref(*oline, otext, orow),
                    at_line: removal_anchor(&blocks, *oline),
                });
                continue;
            };
            used[j] = true;
            let (nline, ntext, nrow) = &new_rows[j];
            if otext.trim() == ntext.trim() {
                continue; // moved, not changed
            }
            let (Some(oh), Some(nh)) = (&old_header, &new_header) else {
                continue;
            };
            let changed = changed_columns(oh, (otext, orow), nh, (ntext, nrow));
            let kind = if !changed.is_empty() {
                RewriteKind::Content { columns: changed }
            } else if orow.status_raw.trim() == nrow.status_raw.trim() {
                // Only spacing or escaping changed: not a rewrite of content.
                continue;
            } else {
                let (from, to) = (orow.status, nrow.status);
                let closing = matches!(from, Status::Active | Status::Proposed)
                    && matches!(to, Status::Superseded | Status::Reverted);
                if from == to {
                    RewriteKind::Content {
                        columns: vec![column_name(nh, Column::Status)],
                    }
                } else if !closing {
                    RewriteKind::Status { from, to }
                } else {
                    match referenced_by(new, nh, nrow, &new_rows) {
                        Some(by) => RewriteKind::Allowed { from, to, by },
                        None => RewriteKind::Unreferenced { from, to },
                    }
                }
            };
            let rw = RowRewrite {
                old: row_ref(*oline, otext, orow),
                new: row_ref(*nline, ntext, nrow),
                kind,
            };
            if matches!(rw.kind, RewriteKind::Allowed { .. }) {
                delta.status_moves.push(rw);
            } else {
                delta.rewritten.push(rw);
            }
        }
        for (j, (nline, ntext, nrow)) in new_rows.iter().enumerate() {
            if !used[j] {
                delta.added.push(row_ref(*nline, ntext, nrow));
            }
        }
        delta
    }

    /// Decision rows added (KICKBACK rows are not decisions).
    pub fn decisions_added(&self) -> usize {
        self.added.iter().filter(|r| r.decision).count()
    }
}

fn row_ref(line: u32, text: &str, row: &Decision) -> RowRef {
    RowRef {
        id: row.id.clone(),
        line,
        text: text.to_string(),
        status: row.status,
        decision: row.row == RowKind::Decision,
        summary: row.decision.clone(),
    }
}

/// Two rows are the same record when they have the same ID (or, without an ID, the same text).
fn same_row(a: &Decision, a_text: &str, b: &Decision, b_text: &str) -> bool {
    if a.id.is_empty() || b.id.is_empty() {
        a_text.trim() == b_text.trim()
    } else {
        a.id == b.id
    }
}

/// Where a removed old line stood in the new text.
fn removal_anchor(blocks: &[Block<'_>], old_line: u32) -> u32 {
    let idx = old_line.saturating_sub(1);
    for b in blocks {
        if b.old.start <= idx && idx < b.old.end {
            return b.new.start + 1;
        }
    }
    old_line.max(1)
}

/// A decision table's header as found in a text.
#[derive(Debug, Clone)]
struct Header {
    /// 1-based line of the header row.
    line: u32,
    text: String,
    separator: String,
    names: Vec<String>,
    columns: Vec<Column>,
    /// Whether rows are written with a leading pipe.
    piped: bool,
}

fn split_cells(line: &str) -> Vec<String> {
    let t = line.trim();
    let t = t.strip_prefix('|').unwrap_or(t);
    let t = t.strip_suffix('|').unwrap_or(t);
    t.split('|').map(|c| c.trim().to_string()).collect()
}

fn is_separator(line: &str) -> bool {
    let t = line.trim();
    t.contains('-')
        && t.contains(['|', '-'])
        && t.chars().all(|c| matches!(c, '|' | '-' | ':' | ' ' | '\t'))
}

/// The first table header in `text` that names a Decision column, or ID and Status columns (the
/// same test as [`DecisionLog::from_document`]).
fn find_header(text: &str) -> Option<Header> {
    let mut prev: Option<&str> = None;
    let mut in_fence = false;
    for (i, line) in text.lines().enumerate() {
        let t = line.trim_start();
        if t.starts_with("```") || t.starts_with("~~~") {
            in_fence = !in_fence;
        }
        if !in_fence
            && is_separator(line)
            && let Some(h) = prev
            && h.contains('|')
        {
            let names = split_cells(h);
            let columns: Vec<Column> = names.iter().map(|n| Column::from_header(n)).collect();
            if columns.contains(&Column::Decision)
                || (columns.contains(&Column::Id) && columns.contains(&Column::Status))
            {
                return Some(Header {
                    line: i as u32, // the header is the previous line: 1-based i
                    text: h.to_string(),
                    separator: line.to_string(),
                    names,
                    columns,
                    piped: h.trim_start().starts_with('|'),
                });
            }
        }
        prev = Some(line);
    }
    None
}

/// Whether a changed line below the header is a table row.
fn is_row_line(h: &Header, line: &str) -> bool {
    let t = line.trim();
    !t.is_empty()
        && !is_separator(line)
        && if h.piped {
            t.starts_with('|')
        } else {
            t.contains('|')
        }
}

/// Parse the table rows among `lines` (line number, text) with the header `h`.
fn rows_of<'t>(h: &Header, lines: &[(u32, &'t str)]) -> Vec<(u32, &'t str, Decision)> {
    let candidates: Vec<(u32, &str)> = lines
        .iter()
        .copied()
        .filter(|(n, l)| *n > h.line && l.trim() != h.text.trim() && is_row_line(h, l))
        .collect();
    if candidates.is_empty() {
        return Vec::new();
    }
    parse_rows(h, &candidates)
}

/// Parse row lines through the document parser: a small log with the header and these rows.
/// Each row's cell spans are made relative to its own line, so that
/// [`Decision::cell_texts`] reads them from the row text returned beside it.
fn parse_rows<'t>(h: &Header, rows: &[(u32, &'t str)]) -> Vec<(u32, &'t str, Decision)> {
    const FIRST_ROW_LINE: u32 = 5;
    let mut text = format!("## Records\n\n{}\n{}\n", h.text, h.separator);
    for (_, l) in rows {
        // A row line never spans lines; escape nothing, keep it as written.
        text.push_str(l);
        text.push('\n');
    }
    let doc = Document::parse(DocKind::DecisionLog, "", text);
    let log = DecisionLog::from_document(&doc);
    log.rows
        .into_iter()
        .filter_map(|mut d| {
            let idx = d.line().checked_sub(FIRST_ROW_LINE)? as usize;
            let (n, l) = rows.get(idx)?;
            let line_start = d.span.start;
            for (_, s) in &mut d.cells {
                s.start = s.start.saturating_sub(line_start);
                s.end = s.end.saturating_sub(line_start);
            }
            Some((*n, *l, d))
        })
        .collect()
}

fn column_name(h: &Header, col: Column) -> String {
    h.columns
        .iter()
        .position(|c| *c == col)
        .and_then(|i| h.names.get(i).cloned())
        .unwrap_or_else(|| format!("{col:?}"))
}

/// Header names of the columns (other than Status) whose cells differ. Columns are matched by
/// header name, so a column added to the table does not count as a rewrite of old rows.
fn changed_columns(
    oh: &Header,
    (o_text, o): (&str, &Decision),
    nh: &Header,
    (n_text, n): (&str, &Decision),
) -> Vec<String> {
    let o_cells: Vec<&str> = o.cell_texts(o_text).map(|(_, t)| t).collect();
    let n_cells: Vec<&str> = n.cell_texts(n_text).map(|(_, t)| t).collect();
    let mut out = Vec::new();
    for (i, name) in oh.names.iter().enumerate() {
        if oh.columns.get(i) == Some(&Column::Status) {
            continue;
        }
        let Some(j) = nh.names.iter().position(|x| x.eq_ignore_ascii_case(name)) else {
            continue;
        };
        let a = o_cells.get(i).map_or("", |c| c.trim());
        let b = n_cells.get(j).map_or("", |c| c.trim());
        if a != b {
            out.push(name.clone());
        }
    }
    // Cells beyond the header (a malformed row) count as the row's own content.
    let extra = |cells: &[&str], h: &Header| -> Vec<String> {
        cells
            .iter()
            .skip(h.names.len())
            .map(|c| c.trim().to_string())
            .collect()
    };
    if extra(&o_cells, oh) != extra(&n_cells, nh) {
        out.push("(extra cells)".into());
    }
    out
}

/// The ID of a row (other than `row` itself) that references `row` as superseded or reverted:
/// `row` names its successor and that row exists, or another row says `Supersedes <id>`,
/// `Replaces <id>` or `Reverts <id>`. Only lines containing the ID (or the named successor) are
/// parsed.
fn referenced_by(
    new_text: &str,
    h: &Header,
    row: &Decision,
    changed: &[(u32, &str, Decision)],
) -> Option<String> {
    let id = row.id.as_str();
    if id.is_empty() {
        return None;
    }
    let links_to = |d: &Decision| {
        d.id != id && (d.supersedes.iter().any(|s| s == id) || d.reverts.iter().any(|s| s == id))
    };
    if let Some((_, _, d)) = changed.iter().find(|(_, _, d)| links_to(d)) {
        return Some(d.id.clone());
    }
    let named = row
        .superseded_by
        .as_deref()
        .or(row.reverted_by.as_deref())
        .filter(|n| *n != id);
    let below: Vec<(u32, &str)> = new_text
        .lines()
        .enumerate()
        .skip(h.line as usize)
        .filter(|(_, l)| l.contains(id) || named.is_some_and(|n| l.contains(n)))
        .filter(|(_, l)| is_row_line(h, l))
        .map(|(i, l)| (i as u32 + 1, l))
        .collect();
    let rows = parse_rows(h, &below);
    if let Some(n) = named
        && rows.iter().any(|(_, _, d)| d.id == n)
    {
        return Some(n.to_string());
    }
    rows.iter()
        .find(|(_, _, d)| links_to(d))
        .map(|(_, _, d)| d.id.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEAD: &str = "# Decision Log\n\n## Records\n\n| ID | Date | Type | Decision | Rationale | Scope | Task | Status |\n|----|------|------|----------|-----------|-------|------|--------|\n";

    fn log(rows: &[&str]) -> String {
        let mut s = HEAD.to_string();
        for r in rows {
            s.push_str(r);
            s.push('\n');
        }
        s.push_str("<!-- ATOMIC_MESH_APPEND_DECISIONS_BELOW -->\n");
        s
    }

    const R1: &str = "| 001 | 2026-01-01 | INIT | Init | base | project | - | ✅ |";
    const R2: &str = "| 002 | 2026-01-02 | ARCH | Use Go | fast | backend | - | ✅ |";
    const R3: &str = "| 003 | 2026-01-03 | ARCH | Use Rust | safe | backend | - | ✅ |";

    #[test]
    fn ticks_are_recognised() {
        assert!(is_tick("- [ ] a", "- [x] a"));
        assert!(is_tick("  * [X] a b", "  * [ ] a b"));
        assert!(is_tick("1. [ ] a", "1. [x] a"));
        assert!(!is_tick("- [ ] a", "- [x] b"));
        assert!(!is_tick("- [ ] a", "- [ ] a"));
        assert!(!is_tick("[ ] a", "[x] a"));
        assert!(!is_tick("- a", "- b"));
    }

    #[test]
    fn spec_lines_are_classified() {
        let d = SpecDelta::between(
            "# S\n- [ ] one\n- [ ] two\nold\n",
            "# S\n- [x] one\n- [ ] two\n\nnew line\n- [ ] three\n",
        );
        let kinds: Vec<_> = d
            .hunks
            .iter()
            .flat_map(|h| {
                h.lines
                    .iter()
                    .map(|l| (l.kind, l.tick, l.blank, l.new.clone()))
            })
            .collect();
        assert!(kinds.contains(&(LineKind::Rewritten, true, false, "- [x] one".into())));
        assert!(
            kinds
                .iter()
                .any(|k| k.0 == LineKind::Rewritten && !k.1 && k.3.is_empty())
        );
        assert!(d.has_content(true));
        let only_tick = SpecDelta::between("- [ ] a\n- [ ] b\n", "- [x] a\n- [ ] b\n\n");
        assert!(!only_tick.has_content(true));
        assert!(only_tick.has_content(false));
        // A tick next to an inserted line pairs with its own line, not the new one.
        let d = SpecDelta::between("- [ ] a\n", "- [ ] z\n- [x] a\n");
        assert!(d.has_content(true));
        let h = &d.hunks[0];
        assert_eq!(h.removed_or_rewritten(true), (0, 0));
        assert_eq!(h.first_new_text(true), Some("- [ ] z"));
    }

    #[test]
    fn spec_hunk_lines_point_into_the_new_text() {
        let d = SpecDelta::between("a\nb\nc\nd\n", "a\nc\nd\ne\n");
        assert_eq!(d.hunks.len(), 2);
        assert_eq!((d.hunks[0].line, d.hunks[0].end_line), (2, 2));
        assert_eq!(d.hunks[0].removed_or_rewritten(true), (1, 0));
        assert_eq!((d.hunks[1].line, d.hunks[1].end_line), (4, 4));
        let gone = SpecDelta::between("a\nb\n", "");
        assert_eq!((gone.hunks[0].line, gone.hunks[0].end_line), (1, 1));
    }

    #[test]
    fn appended_row_is_an_addition() {
        let d = LogDelta::between(&log(&[R1, R2]), &log(&[R1, R2, R3]));
        assert_eq!(d.decisions_added(), 1);
        assert_eq!(d.added[0].id, "003");
        assert_eq!(d.added[0].line, 9);
        assert!(d.removed.is_empty() && d.rewritten.is_empty());
        // From nothing: every row is added.
        let d = LogDelta::between("", &log(&[R1, R2]));
        assert_eq!(d.decisions_added(), 2);
    }

    #[test]
    fn removed_and_rewritten_rows() {
        let d = LogDelta::between(&log(&[R1, R2, R3]), &log(&[R1, R3]));
        assert_eq!(d.removed.len(), 1);
        assert_eq!(d.removed[0].row.id, "002");
        assert_eq!(d.removed[0].at_line, 8);
        let edited = R2.replace("Use Go", "Use Go 1.22");
        let d = LogDelta::between(&log(&[R1, R2]), &log(&[R1, &edited]));
        assert_eq!(d.rewritten.len(), 1);
        assert_eq!(
            d.rewritten[0].kind,
            RewriteKind::Content {
                columns: vec!["Decision".into()]
            }
        );
        assert_eq!(d.decisions_added(), 0);
        // Moving a row is not a change.
        let d = LogDelta::between(&log(&[R1, R2, R3]), &log(&[R1, R3, R2]));
        assert_eq!(d, LogDelta::default());
    }

    #[test]
    fn supersede_is_allowed_only_when_referenced() {
        let sup = R2.replace("| ✅ |", "| 🔄 superseded by 003 |");
        let r3 = R3.replace("safe", "safe; Supersedes 002");
        let d = LogDelta::between(&log(&[R1, R2]), &log(&[R1, &sup, &r3]));
        assert!(d.rewritten.is_empty(), "{d:?}");
        assert_eq!(d.status_moves.len(), 1);
        assert_eq!(d.decisions_added(), 1);
        // Successor already in the log (added earlier): still allowed.
        let d = LogDelta::between(&log(&[R1, R2, &r3]), &log(&[R1, &sup, &r3]));
        assert!(d.rewritten.is_empty(), "{d:?}");
        assert!(matches!(&d.status_moves[0].kind, RewriteKind::Allowed { by, .. } if by == "003"));
        // Nobody references it.
        let plain = R2.replace("| ✅ |", "| 🔄 |");
        let d = LogDelta::between(&log(&[R1, R2, R3]), &log(&[R1, &plain, R3]));
        assert!(matches!(
            d.rewritten[0].kind,
            RewriteKind::Unreferenced { .. }
        ));
        // Back from superseded to active is never allowed.
        let d = LogDelta::between(&log(&[R1, &plain]), &log(&[R1, R2]));
        assert_eq!(
            d.rewritten[0].kind,
            RewriteKind::Status {
                from: Status::Superseded,
                to: Status::Active
            }
        );
    }

    #[test]
    fn other_layouts_and_added_columns() {
        let old = "## Records\n\nID | Decision | Status\n---|---|---\n1 | a | ACTIVE\n";
        let new =
            "## Records\n\nID | Decision | Status\n---|---|---\n1 | a | ACTIVE\n2 | b | PROPOSED\n";
        let d = LogDelta::between(old, new);
        assert_eq!(d.decisions_added(), 1);
        let old = "## Records\n\n| ID | Decision | Status |\n|---|---|---|\n| 1 | a | ✅ |\n";
        let new = "## Records\n\n| ID | Decision | Owner | Status |\n|---|---|---|---|\n| 1 | a | me | ✅ |\n";
        let d = LogDelta::between(old, new);
        assert!(d.rewritten.is_empty() && d.removed.is_empty(), "{d:?}");
        let kick = "| KICKBACK | 1700000000 | T-1 | WORKER | no tests | ❌ |";
        let d = LogDelta::between(&log(&[R1]), &log(&[R1, kick]));
        assert_eq!(d.added.len(), 1);
        assert_eq!(d.decisions_added(), 0);
    }

    #[test]
    fn no_table_means_no_rows() {
        let d = LogDelta::between("# Log\n\nnothing\n", "# Log\n\nstill nothing | here\n");
        assert_eq!(d, LogDelta::default());
    }
}
