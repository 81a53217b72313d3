//! Byte offsets ↔ lines and columns, and small text helpers shared by the parsers.

use std::ops::Range;

use crate::model::{ParseError, Problem, ProblemSeverity, SourceLoc};

/// Line starts of a text, for turning byte offsets into 1-based lines and columns.
pub(crate) struct LineIndex<'a> {
    file: &'a str,
    text: &'a str,
    starts: Vec<usize>,
    /// The original text started with a byte order mark (blanked in `text`): offsets inside
    /// it are moved past it, so they stay char boundaries of the original.
    bom: bool,
}

impl<'a> LineIndex<'a> {
    pub(crate) fn new(file: &'a str, text: &'a str) -> LineIndex<'a> {
        let mut starts = vec![0];
        starts.extend(
            text.bytes()
                .enumerate()
                .filter(|&(_, b)| b == b'\n')
                .map(|(i, _)| i + 1),
        );
        LineIndex {
            file,
            text,
            starts,
            bom: false,
        }
    }

    /// Mark that the original text had a byte order mark, blanked by [`blank_bom`].
    pub(crate) fn with_bom(mut self, bom: bool) -> Self {
        self.bom = bom;
        self
    }

    pub(crate) fn text(&self) -> &'a str {
        self.text
    }

    pub(crate) fn file(&self) -> &'a str {
        self.file
    }

    /// Clamp a byte offset into the text and onto a char boundary.
    fn clamp(&self, offset: usize) -> usize {
        let mut o = offset.min(self.text.len());
        while o > 0 && !self.text.is_char_boundary(o) {
            o -= 1;
        }
        if self.bom && o > 0 && o < 3 {
            o = 3.min(self.text.len());
        }
        o
    }

    /// 1-based line and character column of a byte offset.
    pub(crate) fn line_col(&self, offset: usize) -> (u32, u32) {
        let offset = self.clamp(offset);
        let line_idx = match self.starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        };
        let start = self.starts.get(line_idx).copied().unwrap_or(0);
        let col = self
            .text
            .get(start..offset)
            .map_or(0, |s| s.chars().count());
        (to_u32(line_idx + 1), to_u32(col + 1))
    }

    /// Byte offset of a 1-based line and 0-based character column (clamped to the line).
    pub(crate) fn offset_of(&self, line: usize, col_chars: usize) -> usize {
        let idx = line
            .saturating_sub(1)
            .min(self.starts.len().saturating_sub(1));
        let start = self.starts.get(idx).copied().unwrap_or(0);
        let end = self.starts.get(idx + 1).copied().unwrap_or(self.text.len());
        let line_text = self.text.get(start..end).unwrap_or("");
        let within = line_text
            .char_indices()
            .nth(col_chars)
            .map_or(line_text.len(), |(i, _)| i);
        start + within
    }

    /// A location for a byte range.
    pub(crate) fn loc(&self, range: Range<usize>) -> SourceLoc {
        let start = self.clamp(range.start);
        let end = self.clamp(range.end.max(start));
        let (line, column) = self.line_col(start);
        SourceLoc {
            file: self.file.to_string(),
            line,
            column,
            byte_range: start..end,
        }
    }

    pub(crate) fn problem(&self, range: Range<usize>, message: impl Into<String>) -> Problem {
        Problem {
            severity: ProblemSeverity::Warning,
            at: self.loc(range),
            message: message.into(),
        }
    }

    pub(crate) fn error(&self, range: Range<usize>, message: impl Into<String>) -> ParseError {
        let at = self.loc(range);
        ParseError {
            file: at.file,
            line: at.line,
            column: at.column,
            byte_range: at.byte_range,
            message: message.into(),
        }
    }
}

pub(crate) fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Find a JSON object key `"key"` followed by `:` at or after byte `from`; returns the byte range
/// of the quoted key. Best effort, used to give JSON facts a line.
pub(crate) fn find_json_key(text: &str, key: &str, from: usize) -> Option<Range<usize>> {
    let quoted = format!("\"{}\"", key.replace('\\', "\\\\").replace('"', "\\\""));
    let mut pos = from.min(text.len());
    while let Some(found) = text.get(pos..)?.find(&quoted) {
        let start = pos + found;
        let end = start + quoted.len();
        let rest = text.get(end..).unwrap_or("");
        if rest.trim_start().starts_with(':') {
            return Some(start..end);
        }
        pos = end;
    }
    None
}

/// Replace a leading UTF-8 byte order mark by three spaces, so byte offsets stay those of the
/// file (for formats where leading spaces mean nothing: TOML, JSON, line formats).
pub(crate) fn blank_bom(text: &str) -> std::borrow::Cow<'_, str> {
    match text.strip_prefix('\u{feff}') {
        Some(rest) => std::borrow::Cow::Owned(format!("   {rest}")),
        None => std::borrow::Cow::Borrowed(text),
    }
}

/// Offsets of every JSON object key in a text, found in one pass; used to give JSON facts a
/// line without a position-aware JSON parser.
pub(crate) struct JsonKeys<'a> {
    offsets: std::collections::HashMap<&'a str, Vec<usize>>,
}

impl<'a> JsonKeys<'a> {
    pub(crate) fn new(text: &'a str) -> JsonKeys<'a> {
        let bytes = text.as_bytes();
        let mut offsets: std::collections::HashMap<&'a str, Vec<usize>> =
            std::collections::HashMap::new();
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] != b'"' {
                i += 1;
                continue;
            }
            let start = i;
            i += 1;
            while i < bytes.len() && bytes[i] != b'"' {
                if bytes[i] == b'\\' {
                    i += 1;
                }
                i += 1;
            }
            let end = (i + 1).min(bytes.len());
            let mut j = end;
            while j < bytes.len() && bytes[j].is_ascii_whitespace() {
                j += 1;
            }
            if j < bytes.len()
                && bytes[j] == b':'
                && let Some(key) = text.get(start + 1..end.saturating_sub(1).max(start + 1))
            {
                offsets.entry(key).or_default().push(start);
            }
            i = end;
        }
        JsonKeys { offsets }
    }

    /// Byte offset of the opening quote of the first `"key":` at or after `from`.
    pub(crate) fn first_after(&self, key: &str, from: usize) -> Option<usize> {
        let list = self.offsets.get(key)?;
        let i = list.partition_point(|&o| o < from);
        list.get(i).copied()
    }
}
