//! Line diffs of document contents (SPEC, decision log), with line numbers.
//!
//! Lines are compared without their terminators, so a change of the final newline or of `\r\n`
//! to `\n` alone is not a changed line. The histogram algorithm (as in git) with git's
//! indent heuristic picks hunks people would pick.

use std::ops::Range;

use imara_diff::{Algorithm, Diff, InternedInput};

/// A block of lines replaced by another: `old` lines of the old text became `new` lines of the
/// new text. Ranges are 0-based line indices, end exclusive; one side may be empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hunk {
    /// Lines removed from the old text.
    pub old: Range<u32>,
    /// Lines added in the new text.
    pub new: Range<u32>,
}

/// One changed line. Line numbers are 1-based.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineChange<'a> {
    /// A line only in the new text.
    Added {
        /// Its line number in the new text.
        new_line: u32,
        /// Its text, without terminator.
        text: &'a str,
    },
    /// A line only in the old text.
    Removed {
        /// Its line number in the old text.
        old_line: u32,
        /// Its text, without terminator.
        text: &'a str,
    },
    /// A line rewritten in place (paired within a hunk, in order).
    Changed {
        /// Its line number in the old text.
        old_line: u32,
        /// Its line number in the new text.
        new_line: u32,
        /// Old text.
        old: &'a str,
        /// New text.
        new: &'a str,
    },
}

/// The line diff of two texts.
#[derive(Debug, Clone)]
pub struct LineDiff<'a> {
    old_lines: Vec<&'a str>,
    new_lines: Vec<&'a str>,
    hunks: Vec<Hunk>,
}

impl<'a> LineDiff<'a> {
    /// Diff two texts line by line.
    pub fn new(old: &'a str, new: &'a str) -> Self {
        let old_lines: Vec<&str> = old.lines().collect();
        let new_lines: Vec<&str> = new.lines().collect();
        let mut input = InternedInput::default();
        input.update_before(old_lines.iter().copied());
        input.update_after(new_lines.iter().copied());
        let mut diff = Diff::compute(Algorithm::Histogram, &input);
        diff.postprocess_lines(&input);
        let hunks = diff
            .hunks()
            .map(|h| Hunk {
                old: h.before,
                new: h.after,
            })
            .collect();
        LineDiff {
            old_lines,
            new_lines,
            hunks,
        }
    }

    /// The hunks, in order.
    pub fn hunks(&self) -> &[Hunk] {
        &self.hunks
    }

    /// Whether the texts have the same lines.
    pub fn is_empty(&self) -> bool {
        self.hunks.is_empty()
    }

    /// Whether every change only adds lines (nothing removed or rewritten).
    pub fn is_pure_addition(&self) -> bool {
        self.hunks.iter().all(|h| h.old.is_empty())
    }

    /// The old text's lines.
    pub fn old_lines(&self) -> &[&'a str] {
        &self.old_lines
    }

    /// The new text's lines.
    pub fn new_lines(&self) -> &[&'a str] {
        &self.new_lines
    }

    /// Every changed line. Within a hunk, old and new lines are paired in order as
    /// [`LineChange::Changed`]; the rest are [`LineChange::Removed`] or [`LineChange::Added`].
    pub fn changes(&self) -> Vec<LineChange<'a>> {
        let mut out = Vec::new();
        for h in &self.hunks {
            let paired = h.old.len().min(h.new.len()) as u32;
            for k in 0..paired {
                let (o, n) = (h.old.start + k, h.new.start + k);
                out.push(LineChange::Changed {
                    old_line: o + 1,
                    new_line: n + 1,
                    old: self.old_lines.get(o as usize).copied().unwrap_or_default(),
                    new: self.new_lines.get(n as usize).copied().unwrap_or_default(),
                });
            }
            for o in h.old.start + paired..h.old.end {
                out.push(LineChange::Removed {
                    old_line: o + 1,
                    text: self.old_lines.get(o as usize).copied().unwrap_or_default(),
                });
            }
            for n in h.new.start + paired..h.new.end {
                out.push(LineChange::Added {
                    new_line: n + 1,
                    text: self.new_lines.get(n as usize).copied().unwrap_or_default(),
                });
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_and_newline_only() {
        assert!(LineDiff::new("a\nb\n", "a\nb\n").is_empty());
        assert!(LineDiff::new("a\nb", "a\r\nb\n").is_empty());
        assert!(LineDiff::new("", "").is_empty());
    }

    #[test]
    fn addition_removal_change_with_line_numbers() {
        let d = LineDiff::new("a\nb\nc\n", "a\nB\nc\nd\n");
        assert!(!d.is_pure_addition());
        assert_eq!(
            d.changes(),
            vec![
                LineChange::Changed {
                    old_line: 2,
                    new_line: 2,
                    old: "b",
                    new: "B"
                },
                LineChange::Added {
                    new_line: 4,
                    text: "d"
                },
            ]
        );
        let d = LineDiff::new("a\nb\nc\n", "a\nc\n");
        assert_eq!(
            d.changes(),
            vec![LineChange::Removed {
                old_line: 2,
                text: "b"
            }]
        );
        let d = LineDiff::new("x\n", "x\ny\nz\n");
        assert!(d.is_pure_addition());
        assert_eq!(
            d.hunks(),
            &[Hunk {
                old: 1..1,
                new: 1..3
            }]
        );
    }

    #[test]
    fn checkbox_tick_is_a_changed_line() {
        let d = LineDiff::new("- [ ] one\n- [ ] two\n", "- [ ] one\n- [x] two\n");
        assert_eq!(
            d.changes(),
            vec![LineChange::Changed {
                old_line: 2,
                new_line: 2,
                old: "- [ ] two",
                new: "- [x] two"
            }]
        );
    }
}
