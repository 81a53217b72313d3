//! DECISION_LOG.md: the decision table, parsed by header names (never by column count).
//!
//! Known layouts: generation 15 (`ID | Date | Type | Decision | Rationale | Scope | Task |
//! Status`), generation 16 (`ID | Date | Context | Options Considered | Decision | Constraints |
//! Rollback/Contingency | Scope | Owner | Status`), the older 5-column layout, and rejected-task
//! rows (`| KICKBACK | <timestamp> | T-<id> | WORKER | <reason> | ❌ |`).

use serde::Serialize;

use crate::document::{APPEND_ANCHOR, Document, tables};
use crate::markdown::{Block, Cell, Span, Table, map_rows, normalize_title};

/// A column we know by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Column {
    Id,
    Date,
    Type,
    Decision,
    Rationale,
    Scope,
    Task,
    Status,
    Context,
    Options,
    Constraints,
    Rollback,
    Owner,
    Other,
}

impl Column {
    pub fn from_header(h: &str) -> Column {
        let h = normalize_title(h);
        match h.as_str() {
            "id" | "#" | "no" | "ref" => Column::Id,
            "date" | "when" => Column::Date,
            "type" | "category" | "kind" => Column::Type,
            "decision" | "title" | "summary" => Column::Decision,
            "rationale" | "why" | "reason" => Column::Rationale,
            "scope" | "area" => Column::Scope,
            "task" | "tasks" | "task id" => Column::Task,
            "status" | "state" => Column::Status,
            "context" => Column::Context,
            "owner" | "author" | "by" | "decided by" => Column::Owner,
            "constraints" => Column::Constraints,
            _ if h.starts_with("options") => Column::Options,
            _ if h.starts_with("rollback") || h.contains("contingency") => Column::Rollback,
            _ => Column::Other,
        }
    }
}

/// Normalised decision status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Active,
    Proposed,
    Superseded,
    Reverted,
    /// A status cell we do not recognise.
    Unknown,
}

impl Status {
    /// Symbols (✅ 🔄 ❌) and words (ACTIVE, ACCEPTED, PROPOSED, SUPERSEDED, REVERTED, …).
    pub fn parse(s: &str) -> Status {
        // Searched in the text itself, ASCII case-insensitively, with no lower-cased copy. This
        // finds what `to_lowercase().contains(word)` finds: no word has a `k` (the Kelvin sign
        // lower-cases to one) or ends in an `i` (`İ` lower-cases to `i` and a combining dot),
        // and no other character lower-cases to ASCII.
        let t = s.trim();
        let has = |w: &str| contains_ascii_ci(t, w);
        if t.contains('✅')
            || has("active")
            || has("accepted")
            || has("approved")
            || has("done")
            || has("adopted")
        {
            Status::Active
        } else if t.contains('🔄') || has("supersed") || has("replaced") {
            Status::Superseded
        } else if t.contains('❌')
            || has("revert")
            || has("rejected")
            || has("withdrawn")
            || has("deprecated")
        {
            Status::Reverted
        } else if has("propos")
            || has("draft")
            || has("pending")
            || t.contains('📝')
            || t.contains('⏳')
        {
            Status::Proposed
        } else {
            Status::Unknown
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Active => "active",
            Status::Proposed => "proposed",
            Status::Superseded => "superseded",
            Status::Reverted => "reverted",
            Status::Unknown => "unknown",
        }
    }
}

/// What a row is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RowKind {
    Decision,
    /// `| KICKBACK | … |`: a rejected task, recorded in the log by the original system.
    Kickback,
}

/// One row of the decision table.
#[derive(Debug, Clone, Serialize)]
pub struct Decision {
    pub id: String,
    pub date: Option<String>,
    pub kind_of_decision: Option<String>,
    pub decision: String,
    pub rationale: Option<String>,
    pub scope: Option<String>,
    pub task: Option<String>,
    pub owner: Option<String>,
    pub status_raw: String,
    pub status: Status,
    pub row: RowKind,
    /// IDs this row says it supersedes (`Supersedes 003`).
    pub supersedes: Vec<String>,
    /// The ID named as successor (`superseded by 007`), when written in the row.
    pub superseded_by: Option<String>,
    /// IDs this row says it reverts (`Reverts 004`).
    pub reverts: Vec<String>,
    /// The ID named as the reverting row (`reverted by 009`), when written in the row.
    pub reverted_by: Option<String>,
    /// The whole row.
    pub span: Span,
    /// Each cell's column and the span of its trimmed text in the document the row was read
    /// from, in order ([`Decision::cell_texts`] gives the texts).
    pub cells: Vec<(Column, Span)>,
    /// Set when the row's cell count does not match the header.
    pub malformed: Option<String>,
}

impl Decision {
    /// The span of the first cell in column `col`.
    pub fn cell(&self, col: Column) -> Option<Span> {
        self.cells.iter().find(|(c, _)| *c == col).map(|(_, s)| *s)
    }

    /// Each cell's column and text, in order, read from `text`: the document this row was
    /// parsed from (a cell whose span does not fit `text` reads as empty).
    pub fn cell_texts<'t>(&self, text: &'t str) -> impl Iterator<Item = (Column, &'t str)> {
        self.cells
            .iter()
            .map(move |(c, s)| (*c, text.get(s.range()).unwrap_or("")))
    }

    /// The 1-based line of the row.
    pub fn line(&self) -> u32 {
        self.span.line
    }

    /// Every decision ID this row links to (supersedes, superseded by, reverts, reverted by),
    /// with the link's wording.
    pub fn links(&self) -> Vec<(LinkKind, &str)> {
        let mut out: Vec<(LinkKind, &str)> = Vec::new();
        out.extend(
            self.supersedes
                .iter()
                .map(|s| (LinkKind::Supersedes, s.as_str())),
        );
        out.extend(
            self.superseded_by
                .iter()
                .map(|s| (LinkKind::SupersededBy, s.as_str())),
        );
        out.extend(self.reverts.iter().map(|s| (LinkKind::Reverts, s.as_str())));
        out.extend(
            self.reverted_by
                .iter()
                .map(|s| (LinkKind::RevertedBy, s.as_str())),
        );
        out
    }
}

/// How one row refers to another.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkKind {
    Supersedes,
    SupersededBy,
    Reverts,
    RevertedBy,
}

impl LinkKind {
    /// The wording as written in a row (`supersedes`, `superseded by`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            LinkKind::Supersedes => "supersedes",
            LinkKind::SupersededBy => "superseded by",
            LinkKind::Reverts => "reverts",
            LinkKind::RevertedBy => "reverted by",
        }
    }
}

/// The parsed log.
#[derive(Debug, Clone, Default, Serialize)]
pub struct DecisionLog {
    /// Column of each header cell, in order (empty when no table was found).
    pub columns: Vec<Column>,
    /// Header names as written.
    pub headers: Vec<String>,
    pub table: Option<Span>,
    pub rows: Vec<Decision>,
    /// The `<!-- ATOMIC_MESH_APPEND_DECISIONS_BELOW -->` comment.
    pub anchor: Option<Span>,
    /// Problems found while reading the table (no table, no ID column, …) with a location.
    pub problems: Vec<(Span, String)>,
}

impl DecisionLog {
    pub fn from_document(doc: &Document) -> DecisionLog {
        let mut log = DecisionLog::default();
        for sec in &doc.md.sections {
            for b in &sec.blocks {
                if let Block::Comment(c) = b
                    && c.text == APPEND_ANCHOR
                {
                    log.anchor = Some(c.span);
                }
            }
        }
        // Prefer the table under `## Records`; otherwise the first table with an ID and a
        // Decision column anywhere in the content.
        let records = doc
            .find_section(|t| t.starts_with("records"))
            .or_else(|| doc.find_section(|t| t.starts_with("decision log") || t == "decisions"));
        let mut candidates: Vec<&Table> = Vec::new();
        if let Some(idx) = records {
            candidates.extend(tables(doc.subtree(idx)));
        }
        let all: Vec<&Table> = doc
            .content_sections()
            .flat_map(|(_, s)| tables(std::slice::from_ref(s)))
            .collect();
        candidates.extend(all);
        let table = candidates.into_iter().find(|t| {
            t.header.as_ref().is_some_and(|h| {
                let cols: Vec<Column> = h.iter().map(|c| Column::from_header(&c.text)).collect();
                cols.contains(&Column::Decision)
                    || (cols.contains(&Column::Id) && cols.contains(&Column::Status))
            })
        });
        let Some(table) = table else {
            let at = records
                .map(|i| doc.md.sections[i].heading)
                .unwrap_or_default();
            log.problems.push((at, "no decision table found (expected a table with ID, Date, Decision and Status columns under `## Records`)".into()));
            return log;
        };
        let header = table.header.as_deref().unwrap_or(&[]);
        log.headers = header.iter().map(|c| c.text.clone()).collect();
        log.columns = header
            .iter()
            .map(|c| Column::from_header(&c.text))
            .collect();
        log.table = Some(table.span);
        if !log.columns.contains(&Column::Id) {
            log.problems
                .push((table.span, "the decision table has no ID column".into()));
        }
        // Rows the original tool appended below the anchor comment form header-less tables
        // right after it; they belong to the same log. Blank rows are skipped.
        let rows: Vec<&crate::markdown::Row> = table
            .rows
            .iter()
            .chain(continuation_rows(doc, table))
            .filter(|row| !row.cells.iter().all(|c| c.text.is_empty()))
            .collect();
        let columns = &log.columns;
        log.rows = map_rows(&rows, |row| parse_row(columns, row.span, &row.cells));
        log
    }

    /// Whether `row` is the scaffold's INIT row (type INIT, or the template's first row).
    pub fn is_init(row: &Decision) -> bool {
        if row
            .kind_of_decision
            .as_deref()
            .is_some_and(|t| t.eq_ignore_ascii_case("INIT"))
        {
            return true;
        }
        let d = row.decision.to_ascii_lowercase();
        (d.contains("initialized from") || d.contains("initialised from")) && d.contains("template")
    }

    pub fn get(&self, id: &str) -> Option<&Decision> {
        self.rows.iter().find(|d| d.id == id)
    }

    /// Decision rows only (no kickbacks).
    pub fn decisions(&self) -> impl Iterator<Item = &Decision> {
        self.rows.iter().filter(|d| d.row == RowKind::Decision)
    }

    /// The ID of the row that supersedes `id`: named in the old row, or a newer row saying
    /// `Supersedes <id>`.
    pub fn successor_of(&self, id: &str) -> Option<&str> {
        if let Some(d) = self.get(id)
            && let Some(s) = &d.superseded_by
        {
            return Some(s.as_str());
        }
        self.rows
            .iter()
            .find(|d| d.supersedes.iter().any(|s| s == id))
            .map(|d| d.id.as_str())
    }

    /// The ID of the row that reverts `id`: named in the old row (`reverted by 009`), or a newer
    /// row saying `Reverts <id>`.
    pub fn reverter_of(&self, id: &str) -> Option<&str> {
        if let Some(d) = self.get(id)
            && let Some(s) = &d.reverted_by
        {
            return Some(s.as_str());
        }
        self.rows
            .iter()
            .find(|d| d.reverts.iter().any(|s| s == id))
            .map(|d| d.id.as_str())
    }
}

/// Header-less tables (and comments) directly after `table` in the same section.
fn continuation_rows<'d>(doc: &'d Document, table: &Table) -> Vec<&'d crate::markdown::Row> {
    let mut out = Vec::new();
    for sec in &doc.md.sections {
        let Some(pos) = sec
            .blocks
            .iter()
            .position(|b| matches!(b, Block::Table(t) if t.span == table.span))
        else {
            continue;
        };
        for b in &sec.blocks[pos + 1..] {
            match b {
                Block::Comment(_) => {}
                Block::Table(t) if t.header.is_none() => out.extend(t.rows.iter()),
                _ => break,
            }
        }
    }
    out
}

fn parse_row(columns: &[Column], span: Span, cells: &[Cell]) -> Decision {
    let first = cells
        .first()
        .map(|c| c.text.trim().to_string())
        .unwrap_or_default();
    let is_kickback = first.eq_ignore_ascii_case("KICKBACK");
    let get = |col: Column| -> Option<String> {
        columns
            .iter()
            .position(|c| *c == col)
            .and_then(|i| cells.get(i))
            .map(|c| c.text.trim().to_string())
            .filter(|s| !s.is_empty())
    };
    let mut malformed = None;
    if !is_kickback && cells.len() != columns.len() {
        malformed = Some(format!(
            "row has {} cells but the header has {} columns",
            cells.len(),
            columns.len()
        ));
    }
    let status_raw = if is_kickback {
        cells.last().map(|c| c.text.clone()).unwrap_or_default()
    } else {
        get(Column::Status).unwrap_or_default()
    };
    let decision = if is_kickback {
        cells.get(4).map(|c| c.text.clone()).unwrap_or_default()
    } else {
        get(Column::Decision).unwrap_or_default()
    };
    let mut supersedes = Vec::new();
    let mut reverts = Vec::new();
    let mut superseded_by = None;
    let mut reverted_by = None;
    for c in cells {
        let [sup, rep, rev, sup_by, rev_by] = cell_links(&c.text);
        supersedes.extend(sup);
        supersedes.extend(rep);
        reverts.extend(rev);
        if let Some(b) = sup_by.into_iter().next() {
            superseded_by = Some(b);
        }
        if let Some(b) = rev_by.into_iter().next() {
            reverted_by = Some(b);
        }
    }
    let paired: Vec<(Column, Span)> = cells
        .iter()
        .enumerate()
        .map(|(i, c)| (columns.get(i).copied().unwrap_or(Column::Other), c.span))
        .collect();
    Decision {
        id: first,
        date: if is_kickback {
            cells.get(1).map(|c| c.text.clone())
        } else {
            get(Column::Date)
        },
        kind_of_decision: if is_kickback {
            Some("KICKBACK".into())
        } else {
            get(Column::Type)
        },
        decision,
        rationale: get(Column::Rationale),
        scope: get(Column::Scope),
        task: if is_kickback {
            cells.get(2).map(|c| c.text.clone())
        } else {
            get(Column::Task)
        },
        owner: get(Column::Owner),
        status: Status::parse(&status_raw),
        status_raw,
        row: if is_kickback {
            RowKind::Kickback
        } else {
            RowKind::Decision
        },
        supersedes,
        superseded_by,
        reverts,
        reverted_by,
        span,
        cells: paired,
        malformed,
    }
}

/// Whether `hay` contains `word` (lower-case ASCII), ignoring ASCII case.
fn contains_ascii_ci(hay: &str, word: &str) -> bool {
    let w = word.as_bytes();
    hay.as_bytes()
        .windows(w.len())
        .any(|s| s.eq_ignore_ascii_case(w))
}

/// The link words, lower-case ASCII, in the order [`cell_links`] returns their IDs.
const LINK_WORDS: [&str; 5] = [
    "supersedes",
    "replaces",
    "reverts",
    "superseded by",
    "reverted by",
];

/// Every `<word> <ID>` in a cell (ASCII case-insensitive), e.g. `Supersedes 003`, `superseded
/// by SAMPLE-ARCH`, for each of [`LINK_WORDS`] in order, each list in text order.
///
/// One pass over the cell finds all five words, in the text itself: there is no lower-cased
/// copy whose byte offsets could differ from the text's. After a match, the same word is looked
/// for again only past its end.
fn cell_links(text: &str) -> [Vec<String>; 5] {
    let bytes = text.as_bytes();
    let mut found: [Vec<String>; 5] = Default::default();
    let mut next = [0usize; 5];
    for (i, &b) in bytes.iter().enumerate() {
        let c = b.to_ascii_lowercase();
        if c != b's' && c != b'r' {
            continue;
        }
        for (w, word) in LINK_WORDS.iter().enumerate() {
            let word = word.as_bytes();
            if word[0] != c
                || i < next[w]
                || !bytes
                    .get(i..i + word.len())
                    .is_some_and(|s| s.eq_ignore_ascii_case(word))
            {
                continue;
            }
            let at = i + word.len();
            next[w] = at;
            // The match is ASCII, so `at` is a char boundary.
            let rest = text.get(at..).unwrap_or("");
            let rest = rest.trim_start_matches([' ', ':', '#']);
            let len = rest
                .bytes()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == b'-' || *c == b'_')
                .count();
            let id = rest[..len].trim_end_matches(['-', '_']);
            if !id.is_empty()
                && id
                    .bytes()
                    .any(|c| c.is_ascii_digit() || c.is_ascii_uppercase())
            {
                found[w].push(id.to_string());
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::DocKind;

    #[test]
    fn a_log_read_on_all_cores_keeps_its_rows_in_order() {
        // Past the 512 rows from which tables are split and typed on the rayon pool; the
        // short, empty and escaped rows must land where a row-by-row read puts them.
        let mut text = String::from("## Records\n| ID | Decision | Status |\n|---|---|---|\n");
        for i in 0..1500 {
            match i % 50 {
                7 => text.push_str("| | | |\n"),
                11 => text.push_str(&format!("| {i:04} | short |\n")),
                _ => text.push_str(&format!("| {i:04} | a \\| b `c|d` | ✅ |\n")),
            }
        }
        let doc = Document::parse(DocKind::DecisionLog, "x", text.as_str());
        let log = DecisionLog::from_document(&doc);
        let ids: Vec<String> = log.rows.iter().map(|r| r.id.clone()).collect();
        let expected: Vec<String> = (0..1500)
            .filter(|i| i % 50 != 7)
            .map(|i| format!("{i:04}"))
            .collect();
        assert_eq!(ids, expected);
        for (row, line) in log.rows.iter().zip(log.rows.iter().skip(1)) {
            assert!(row.line() < line.line());
        }
        let r = &log.rows[0];
        let cells: Vec<&str> = r.cell_texts(&doc.text).map(|(_, t)| t).collect();
        assert_eq!(cells, ["0000", "a \\| b `c|d`", "✅"]);
        assert!(log.rows[10].malformed.is_some(), "row 0011 is short");
    }

    #[test]
    fn layouts_by_header() {
        let text = "## Records\n| ID | Date | Type | Decision | Rationale | Scope | Task | Status |\n|---|---|---|---|---|---|---|---|\n| 001 | 2026-01-01 | INIT | Start | - | all | - | ✅ |\n| 002 | 2026-01-02 | ARCH | Use Postgres. Supersedes 001 | scale | data | T-1 | ACCEPTED |\n| KICKBACK | 1700000000 | T-9 | WORKER | tests fail | ❌ |\n| 003 | x | y |\n<!-- ATOMIC_MESH_APPEND_DECISIONS_BELOW -->\n| 1700000001 | 2026-01-03 | OPS | Appended | r | ops | - | ✅ |\n";
        let doc = Document::parse(DocKind::DecisionLog, "DECISION_LOG.md", text);
        let log = DecisionLog::from_document(&doc);
        assert_eq!(log.rows.len(), 5);
        assert_eq!(log.rows[4].id, "1700000001");
        assert_eq!(log.rows[1].status, Status::Active);
        assert_eq!(log.rows[1].supersedes, vec!["001"]);
        let cells: Vec<(Column, &str)> = log.rows[1].cell_texts(text).collect();
        assert_eq!(
            cells,
            vec![
                (Column::Id, "002"),
                (Column::Date, "2026-01-02"),
                (Column::Type, "ARCH"),
                (Column::Decision, "Use Postgres. Supersedes 001"),
                (Column::Rationale, "scale"),
                (Column::Scope, "data"),
                (Column::Task, "T-1"),
                (Column::Status, "ACCEPTED"),
            ]
        );
        let status = log.rows[1].cell(Column::Status).map(|s| &text[s.range()]);
        assert_eq!(status, Some("ACCEPTED"));
        assert_eq!(
            log.rows[3].cell(Column::Status),
            None,
            "a short row has no Status cell"
        );
        assert_eq!(
            log.rows[1]
                .cell_texts("short")
                .map(|(_, t)| t)
                .collect::<String>(),
            "",
            "spans that do not fit the text read as empty"
        );
        assert_eq!(log.successor_of("001"), Some("002"));
        assert_eq!(log.rows[2].row, RowKind::Kickback);
        assert!(log.rows[2].malformed.is_none());
        assert!(log.rows[3].malformed.is_some());
        assert!(log.anchor.is_some());

        let g16 = "## Records\n| ID | Date | Context | Options Considered | Decision | Constraints | Rollback/Contingency | Scope | Owner | Status |\n|---|---|---|---|---|---|---|---|---|---|\n| D-1 | 2026-01-01 | c | a, b | Pick a | none | revert | api | ann | 🔄 |\n";
        let log = DecisionLog::from_document(&Document::parse(DocKind::DecisionLog, "x", g16));
        assert_eq!(log.rows[0].decision, "Pick a");
        assert_eq!(log.rows[0].owner.as_deref(), Some("ann"));
        assert_eq!(log.rows[0].status, Status::Superseded);
    }

    #[test]
    fn links_are_read_in_any_case_after_any_text() {
        // `İ` lower-cases to three bytes from two: the ID must still be read after the word.
        let [sup, ..] = cell_links("İİİİ Supersedes 003, SUPERSEDES: #D-7_");
        assert_eq!(sup, vec!["003", "D-7"]);
        let [sup, _, _, by, _] = cell_links("superseded by lowercase, supersedes");
        assert!(sup.is_empty() && by.is_empty(), "{sup:?} {by:?}");
        let [sup, rep, rev, by, rby] =
            cell_links("Reverted by R-2; replaces 7, supersedesupersedes X1 reverts 04");
        assert_eq!(
            sup,
            Vec::<String>::new(),
            "the second word overlaps the first"
        );
        assert_eq!(rep, vec!["7"]);
        assert_eq!(rev, vec!["04"]);
        assert!(by.is_empty());
        assert_eq!(rby, vec!["R-2"]);
        let row = "## Records\n| ID | Decision | Status |\n|---|---|---|\n| 004 | Ünïcödé first. Reverts 002; replaces 001 | 🔄 Superseded By 009 |\n";
        let log = DecisionLog::from_document(&Document::parse(DocKind::DecisionLog, "x", row));
        let r = &log.rows[0];
        assert_eq!(r.reverts, vec!["002"]);
        assert_eq!(r.supersedes, vec!["001"]);
        assert_eq!(r.superseded_by.as_deref(), Some("009"));
    }

    #[test]
    fn statuses() {
        assert_eq!(Status::parse("❌"), Status::Reverted);
        assert_eq!(Status::parse("PROPOSED"), Status::Proposed);
        assert_eq!(Status::parse("🔄 superseded by 004"), Status::Superseded);
        assert_eq!(Status::parse("??"), Status::Unknown);
    }

    #[test]
    fn status_matches_the_lower_cased_search() {
        // The former implementation, kept as the reference.
        fn by_lowercase(s: &str) -> Status {
            let t = s.trim().to_lowercase();
            let any = |ws: &[&str]| ws.iter().any(|w| t.contains(w));
            if any(&["✅", "active", "accepted", "approved", "done", "adopted"]) {
                Status::Active
            } else if any(&["🔄", "supersed", "replaced"]) {
                Status::Superseded
            } else if any(&["❌", "revert", "rejected", "withdrawn", "deprecated"]) {
                Status::Reverted
            } else if any(&["propos", "draft", "pending", "📝", "⏳"]) {
                Status::Proposed
            } else {
                Status::Unknown
            }
        }
        for s in [
            "✅",
            "ACTIVE",
            " Accepted ",
            "DONE",
            "adopTed",
            "🔄 Superseded by 4",
            "REPLACED",
            "❌",
            "Reverted",
            "REJECTED",
            "withdrawn",
            "DEPRECATED",
            "PROPOSED",
            "Draft",
            "pending",
            "📝",
            "⏳",
            "",
            "??",
            "İNACTİVE",
            "ACTİVE",
            "KELVİN",
            "Σ",
            "ÄCTIVE",
            "superseded (ACTIVE)",
            "proposal",
            "revertİ",
            "dönE",
        ] {
            assert_eq!(Status::parse(s), by_lowercase(s), "{s:?}");
        }
    }
}
