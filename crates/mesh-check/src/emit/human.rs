//! The human renderer: rustc-like text with the source line and an underline.
//!
//! ```text
//! error[DOC002]: unfilled placeholder {{NAME}}
//!   --> docs/SPEC.md:12:8
//!    |
//! 12 | Owner: {{NAME}}
//!    |        ^^^^^^^^
//!    |
//!    = help: replace the placeholder with the owner's name
//! ```
//!
//! Colour is used only when the caller asks for it; the CLI decides from the terminal, `NO_COLOR`
//! and `--color`. Styles come from `anstyle`, the style-description crate that clap already
//! brings into the build: it only formats ANSI escape codes into the string (no terminal I/O),
//! which keeps this renderer a pure function.
//!
//! Text that comes from the checked files (source lines, messages quoting them) is sanitised:
//! control characters other than newline and tab become `U+FFFD`, so a document cannot inject
//! terminal escape sequences; tabs are shown as four spaces. Underlines are placed by display
//! width (`unicode-width`), so they line up under wide characters such as CJK text and emoji.

use std::borrow::Borrow;
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

use anstyle::{AnsiColor, Style};
use unicode_width::UnicodeWidthChar;

use super::{render_in_order, sorted, summary_line};
use crate::diagnostic::{Diagnostic, Location, Severity};

/// Where the human renderer finds the text of a file, to show the offending line.
///
/// Keys are the paths exactly as they appear in [`Location::file`]. A file that cannot be found
/// is not an error: its diagnostics are shown without the source line.
pub trait SourceLookup {
    /// The full text of `file`, if available.
    fn source(&self, file: &str) -> Option<&str>;
}

impl SourceLookup for HashMap<String, String> {
    fn source(&self, file: &str) -> Option<&str> {
        self.get(file).map(String::as_str)
    }
}

impl SourceLookup for BTreeMap<String, String> {
    fn source(&self, file: &str) -> Option<&str> {
        self.get(file).map(String::as_str)
    }
}

impl SourceLookup for HashMap<&str, &str> {
    fn source(&self, file: &str) -> Option<&str> {
        self.get(file).copied()
    }
}

impl SourceLookup for BTreeMap<&str, &str> {
    fn source(&self, file: &str) -> Option<&str> {
        self.get(file).copied()
    }
}

/// No sources: every diagnostic is shown without its source line.
impl SourceLookup for () {
    fn source(&self, _file: &str) -> Option<&str> {
        None
    }
}

/// Widest source line shown, in terminal columns; longer lines are cut around the underline.
const MAX_LINE_WIDTH: usize = 160;
/// How many columns of context to keep before the underline when a line is cut.
const CONTEXT_BEFORE: usize = 40;
/// How many spaces a tab takes on screen.
const TAB_WIDTH: usize = 4;

/// Render `diags` for a person: one block per diagnostic (sorted, see [`super::sorted`]) and a
/// final summary line (`3 errors, 1 warning in 2 files` or `All checks passed.`).
///
/// `sources` supplies file texts for the source-line excerpts; `color` adds ANSI styling.
/// The result always ends with a newline.
pub fn human<D: Borrow<Diagnostic>>(
    diags: &[D],
    sources: &dyn SourceLookup,
    color: bool,
) -> String {
    let mut out = String::new();
    let _ = render(diags, sources, color, |text| {
        out.push_str(text);
        Ok::<(), std::convert::Infallible>(())
    });
    out
}

/// [`human`], written to `w` one diagnostic at a time: a check can report thousands, and their
/// text is never held in memory all at once.
pub fn human_to<D: Borrow<Diagnostic>>(
    w: &mut dyn std::io::Write,
    diags: &[D],
    sources: &dyn SourceLookup,
    color: bool,
) -> std::io::Result<()> {
    render(diags, sources, color, |text| w.write_all(text.as_bytes()))
}

/// Diagnostics rendered per task on the rayon pool (a log with 9,000 rows can have a thousand
/// findings); and the most rendered before their text is handed on, which bounds the memory
/// held at once.
const BLOCKS_PER_TASK: usize = 64;
const BLOCKS_PER_WINDOW: usize = 4096;

/// Render each diagnostic block, then the summary line, handing the text to `emit` in order.
fn render<'a, E, D: Borrow<Diagnostic>>(
    diags: &'a [D],
    sources: &'a dyn SourceLookup,
    color: bool,
    mut emit: impl FnMut(&str) -> Result<(), E>,
) -> Result<(), E> {
    let styles = Styles::new(color);
    let order = sorted(diags);
    let lines = SourceLines::index(sources, &order);
    render_in_order(
        &order,
        BLOCKS_PER_TASK,
        BLOCKS_PER_WINDOW,
        |out: &mut String, d| {
            render_one(out, d, &lines, &styles);
            out.push('\n');
        },
        |text| emit(text),
    )?;
    let mut out = String::new();
    let (errors, warnings, _) = super::count_by_severity(diags);
    let summary_style = if errors > 0 {
        styles.error
    } else if warnings > 0 {
        styles.warning
    } else if diags.is_empty() {
        styles.ok
    } else {
        styles.info
    };
    let _ = writeln!(out, "{}", paint(summary_style, &summary_line(diags)));
    emit(&out)
}

/// The styles in use; all plain when colour is off.
struct Styles {
    error: Style,
    warning: Style,
    info: Style,
    note: Style,
    gutter: Style,
    bold: Style,
    ok: Style,
}

impl Styles {
    fn new(color: bool) -> Self {
        if !color {
            let plain = Style::new();
            return Styles {
                error: plain,
                warning: plain,
                info: plain,
                note: plain,
                gutter: plain,
                bold: plain,
                ok: plain,
            };
        }
        let bold = Style::new().bold();
        Styles {
            error: bold.fg_color(Some(AnsiColor::BrightRed.into())),
            warning: bold.fg_color(Some(AnsiColor::BrightYellow.into())),
            info: bold.fg_color(Some(AnsiColor::BrightCyan.into())),
            note: bold.fg_color(Some(AnsiColor::BrightGreen.into())),
            gutter: bold.fg_color(Some(AnsiColor::BrightBlue.into())),
            bold,
            ok: bold.fg_color(Some(AnsiColor::BrightGreen.into())),
        }
    }

    fn severity(&self, s: Severity) -> Style {
        match s {
            Severity::Error => self.error,
            Severity::Warning => self.warning,
            Severity::Info => self.info,
        }
    }
}

/// `text` wrapped in `style` (nothing added for the plain style).
fn paint(style: Style, text: &str) -> String {
    format!("{style}{text}{style:#}")
}

fn render_one(out: &mut String, d: &Diagnostic, sources: &SourceLines<'_>, s: &Styles) {
    let sev = s.severity(d.severity);
    let width = gutter_width(d);
    let pad = " ".repeat(width);

    let _ = writeln!(
        out,
        "{}{}",
        paint(sev, &format!("{}[{}]", d.severity.as_str(), d.code)),
        paint(s.bold, &format!(": {}", sanitize(&d.message)))
    );
    let excerpt_shown = render_location(out, &d.location, sources, s, sev, &pad);

    if let Some(help) = d.help.as_deref().filter(|h| !h.is_empty()) {
        if excerpt_shown {
            let _ = writeln!(out, "{pad} {}", paint(s.gutter, "|"));
        }
        let label = "= help: ";
        let mut lines = sanitize(help)
            .lines()
            .map(str::to_owned)
            .collect::<Vec<_>>();
        if lines.is_empty() {
            lines.push(String::new());
        }
        let _ = writeln!(
            out,
            "{pad} {}{}",
            paint(s.bold, "= help:"),
            format!(" {}", lines[0]).trim_end()
        );
        for line in &lines[1..] {
            let _ = writeln!(
                out,
                "{}",
                format!("{pad} {}{line}", " ".repeat(label.len())).trim_end()
            );
        }
    }

    for related in &d.related {
        let _ = writeln!(
            out,
            "{}{}",
            paint(s.note, "note"),
            paint(s.bold, &format!(": {}", sanitize(&related.message)))
        );
        let _ = render_location(out, &related.location, sources, s, s.note, &pad);
    }
}

/// The `-->` line and, when the source is available, the excerpt with its underline.
/// Returns whether the excerpt was shown.
fn render_location(
    out: &mut String,
    loc: &Location,
    sources: &SourceLines<'_>,
    s: &Styles,
    underline: Style,
    pad: &str,
) -> bool {
    let _ = writeln!(
        out,
        "{pad}{} {}:{}:{}",
        paint(s.gutter, "-->"),
        sanitize(&loc.file),
        loc.line,
        loc.column
    );
    let Some(line) = sources.line(&loc.file, loc.line) else {
        return false;
    };
    let excerpt = Excerpt::new(line, loc);
    let bar = paint(s.gutter, "|");
    let _ = writeln!(out, "{pad} {bar}");
    let number = paint(s.gutter, &format!("{:>w$} |", loc.line, w = pad.len()));
    let _ = writeln!(out, "{}", format!("{number} {}", excerpt.text).trim_end());
    let _ = writeln!(
        out,
        "{pad} {bar} {}{}",
        " ".repeat(excerpt.caret_offset),
        paint(underline, &"^".repeat(excerpt.caret_len))
    );
    true
}

/// Width of the line-number gutter: the digits of the largest line number shown.
fn gutter_width(d: &Diagnostic) -> usize {
    std::iter::once(d.location.line)
        .chain(d.related.iter().map(|r| r.location.line))
        .max()
        .unwrap_or(1)
        .to_string()
        .len()
}

/// The source files that the diagnostics of one rendering point into, each with the byte
/// offsets where its lines start: finding a line is then a lookup, not a scan from the top of the
/// file (838 findings in an 886 KB decision log took 130 ms to scan for). Built before rendering
/// and only read while the blocks are rendered side by side.
struct SourceLines<'a> {
    /// `None` for a file the lookup does not have.
    files: HashMap<&'a str, Option<(&'a str, Vec<usize>)>>,
}

impl<'a> SourceLines<'a> {
    fn index(sources: &'a dyn SourceLookup, diags: &[&'a Diagnostic]) -> Self {
        let mut files = HashMap::new();
        let locations = diags.iter().flat_map(|d| {
            std::iter::once(&d.location).chain(d.related.iter().map(|r| &r.location))
        });
        for loc in locations {
            files.entry(loc.file.as_str()).or_insert_with(|| {
                sources
                    .source(&loc.file)
                    .map(|text| (text, line_starts(text)))
            });
        }
        SourceLines { files }
    }

    /// Line `n` (1-based) of `file`, without its line terminator.
    fn line(&self, file: &str, n: u32) -> Option<&'a str> {
        let (text, starts) = self.files.get(file)?.as_ref()?;
        let text: &'a str = text;
        line_at(text, starts, n)
    }
}

/// Byte offsets where the lines of `text` start (lines split at `\n`).
fn line_starts(text: &str) -> Vec<usize> {
    std::iter::once(0)
        .chain(
            text.bytes()
                .enumerate()
                .filter(|&(_, b)| b == b'\n')
                .map(|(i, _)| i + 1),
        )
        .collect()
}

/// Line `n` (1-based) of `text` whose line starts are `starts`, without its line terminator.
fn line_at<'t>(text: &'t str, starts: &[usize], n: u32) -> Option<&'t str> {
    let index = usize::try_from(n.checked_sub(1)?).ok()?;
    let start = *starts.get(index)?;
    let end = starts.get(index + 1).map_or(text.len(), |next| next - 1);
    let line = text.get(start..end)?;
    Some(line.strip_suffix('\r').unwrap_or(line))
}

/// Line `n` (1-based) of `text`, without its line terminator.
#[cfg(test)]
fn nth_line(text: &str, n: u32) -> Option<&str> {
    line_at(text, &line_starts(text), n)
}

/// A source line prepared for display, with where its underline goes.
struct Excerpt {
    /// The displayed text (sanitised, tabs expanded, possibly cut with `...`).
    text: String,
    /// Display columns before the first `^`.
    caret_offset: usize,
    /// Number of `^`, at least one.
    caret_len: usize,
}

impl Excerpt {
    fn new(line: &str, loc: &Location) -> Self {
        let cells: Vec<(char, usize)> = line.chars().map(display_cell).collect();
        let len = cells.len();
        let start = usize::try_from(loc.column.saturating_sub(1))
            .unwrap_or(usize::MAX)
            .min(len);
        let end = match (loc.end_line, loc.end_column) {
            // The range goes on past this line: underline to its end.
            (Some(end_line), _) if end_line > loc.line => len,
            (_, Some(end_col)) => usize::try_from(end_col.saturating_sub(1))
                .unwrap_or(usize::MAX)
                .min(len),
            _ => start + 1,
        };
        let end = end.max(start + 1);

        // Choose the window of characters to show.
        let width_of = |range: std::ops::Range<usize>| -> usize {
            cells[range.start.min(len)..range.end.min(len)]
                .iter()
                .map(|c| c.1)
                .sum()
        };
        let total = width_of(0..len);
        let (from, to) = if total <= MAX_LINE_WIDTH {
            (0, len)
        } else {
            let mut from = start;
            let mut before = 0;
            while from > 0 && before + cells[from - 1].1 <= CONTEXT_BEFORE {
                from -= 1;
                before += cells[from].1;
            }
            let mut to = from;
            let mut shown = 0;
            while to < len && shown + cells[to].1 <= MAX_LINE_WIDTH {
                shown += cells[to].1;
                to += 1;
            }
            (from, to.max(start.min(len)))
        };

        let mut text = String::new();
        let mut caret_offset = 0;
        if from > 0 {
            text.push_str("...");
            caret_offset += 3;
        }
        for &(c, width) in &cells[from..to] {
            if c == '\t' {
                text.extend(std::iter::repeat_n(' ', width));
            } else {
                text.push(c);
            }
        }
        if to < len {
            text.push_str("...");
        }
        caret_offset += width_of(from..start);
        // Columns past the end of the line (or past the cut) count one cell each.
        let visible_end = end.min(to.max(start));
        let caret_len = (width_of(start..visible_end) + end.saturating_sub(len.max(start))).max(1);
        Excerpt {
            text,
            caret_offset,
            caret_len,
        }
    }
}

/// How one character is shown and how many columns it takes.
/// How a character is shown and how many columns it takes: a tab stays `\t` and is written as
/// that many spaces; control characters become `U+FFFD`. (No `String` per character: an
/// excerpt is built for every finding.)
fn display_cell(c: char) -> (char, usize) {
    if c == '\t' {
        ('\t', TAB_WIDTH)
    } else if c.is_control() {
        ('\u{FFFD}', 1)
    } else {
        (c, c.width().unwrap_or(0))
    }
}

/// `text` with control characters other than `\n` and `\t` replaced by `U+FFFD`.
fn sanitize(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_control() && c != '\n' && c != '\t' {
                '\u{FFFD}'
            } else {
                c
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn loc(line: u32, col: u32, end_col: Option<u32>) -> Location {
        let mut l = Location::new("f.md", line, col);
        l.end_column = end_col;
        l
    }

    #[test]
    fn underline_covers_the_exclusive_column_range() {
        let e = Excerpt::new("Owner: {{NAME}}", &loc(1, 8, Some(16)));
        assert_eq!(e.text, "Owner: {{NAME}}");
        assert_eq!((e.caret_offset, e.caret_len), (7, 8));
    }

    #[test]
    fn underline_uses_display_width_of_wide_characters() {
        // "名前" are two wide characters (2 columns each); the span is the placeholder after them.
        let e = Excerpt::new("名前: {{X}}", &loc(1, 5, Some(10)));
        assert_eq!(
            e.caret_offset, 6,
            "2 + 2 columns for the CJK, then ':' and ' '"
        );
        assert_eq!(e.caret_len, 5);
        let e = Excerpt::new("a名b", &loc(1, 2, Some(3)));
        assert_eq!((e.caret_offset, e.caret_len), (1, 2));
    }

    #[test]
    fn tabs_expand_and_control_characters_are_neutralised() {
        let e = Excerpt::new("\tx\u{1b}[31m", &loc(1, 2, None));
        assert_eq!(e.text, "    x\u{FFFD}[31m");
        assert_eq!((e.caret_offset, e.caret_len), (4, 1));
    }

    #[test]
    fn columns_past_the_end_point_just_after_the_line() {
        let e = Excerpt::new("abc", &loc(1, 99, None));
        assert_eq!((e.caret_offset, e.caret_len), (3, 1));
        let e = Excerpt::new("", &loc(1, 1, Some(1)));
        assert_eq!((e.caret_offset, e.caret_len), (0, 1));
    }

    #[test]
    fn multi_line_ranges_underline_to_the_end_of_the_first_line() {
        let mut l = loc(1, 3, Some(2));
        l.end_line = Some(4);
        let e = Excerpt::new("abcdef", &l);
        assert_eq!((e.caret_offset, e.caret_len), (2, 4));
    }

    #[test]
    fn long_lines_are_cut_around_the_underline() {
        let line = format!("{}TARGET{}", "a".repeat(300), "b".repeat(300));
        let e = Excerpt::new(&line, &loc(1, 301, Some(307)));
        assert!(e.text.starts_with("...") && e.text.ends_with("..."));
        assert!(e.text.chars().count() <= MAX_LINE_WIDTH + 6);
        let shown: String = e
            .text
            .chars()
            .skip(e.caret_offset)
            .take(e.caret_len)
            .collect();
        assert_eq!(shown, "TARGET");
    }

    #[test]
    fn nth_line_handles_crlf_and_out_of_range() {
        assert_eq!(nth_line("a\r\nb\r\n", 2), Some("b"));
        assert_eq!(nth_line("a\nb", 3), None);
        assert_eq!(nth_line("a", 0), None);
        assert_eq!(nth_line("a\nb\n", 3), Some(""));
        assert_eq!(nth_line("a\nb\n", 4), None);
        assert_eq!(nth_line("", 1), Some(""));
        assert_eq!(nth_line("x\r\n\r\nyz", 3), Some("yz"));
    }

    #[test]
    fn missing_sources_still_show_the_location() {
        let d = Diagnostic::new(
            "DOC001",
            Severity::Error,
            Location::file("gone.md"),
            "missing",
        );
        let text = human(&[d], &(), false);
        assert!(
            text.contains("error[DOC001]: missing\n --> gone.md:1:1\n"),
            "{text}"
        );
        assert!(text.ends_with("1 error in 1 file\n"));
    }

    #[test]
    fn colour_only_when_asked() {
        let d = Diagnostic::new("DOC001", Severity::Warning, Location::file("a.md"), "m");
        assert!(!human(std::slice::from_ref(&d), &(), false).contains('\u{1b}'));
        let coloured = human(&[d], &(), true);
        assert!(coloured.contains("\u{1b}["), "{coloured:?}");
    }
}
