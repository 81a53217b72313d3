//! The JSON renderer: one stable document for scripts.
//!
//! ```json
//! {
//!   "schema_version": 1,
//!   "diagnostics": [
//!     {
//!       "code": "DOC002", "severity": "error",
//!       "file": "docs/SPEC.md", "line": 12, "column": 8, "end_line": 12, "end_column": 16,
//!       "message": "unfilled placeholder {{NAME}}", "help": "…", "root": "docs",
//!       "related": [{ "file": "…", "line": 3, "column": 1, "message": "…" }]
//!     }
//!   ],
//!   "summary": { "errors": 1, "warnings": 0, "infos": 0, "files_checked": 6, "roots": ["docs"] }
//! }
//! ```
//!
//! `code`, `severity`, `file`, `line`, `column`, `message` and `help` (`null` when there is none)
//! are always present; `root`, `end_line`, `end_column`, `related` and `fix` only when known.
//! Adding a field is not a breaking change; removing or changing one bumps
//! [`JSON_SCHEMA_VERSION`].

use std::borrow::Borrow;

use serde::Serialize;

use super::{Summary, render_in_order, sorted};
use crate::diagnostic::{Diagnostic, Location};

/// The version of the JSON output format (the `schema_version` field).
pub const JSON_SCHEMA_VERSION: u32 = 1;

#[derive(Serialize)]
struct JsonDiagnostic<'a> {
    code: &'a str,
    severity: &'a str,
    file: &'a str,
    line: u32,
    column: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    end_line: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    end_column: Option<u32>,
    message: &'a str,
    help: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    root: Option<&'a str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    related: Vec<JsonRelated<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    fix: Option<JsonFix<'a>>,
}

#[derive(Serialize)]
struct JsonRelated<'a> {
    file: &'a str,
    line: u32,
    column: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    end_line: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    end_column: Option<u32>,
    message: &'a str,
}

/// A suggested edit: replace bytes `start..end` of `file` with `replacement`.
#[derive(Serialize)]
struct JsonFix<'a> {
    description: &'a str,
    file: &'a str,
    start: usize,
    end: usize,
    replacement: &'a str,
}

fn related<'a>(loc: &'a Location, message: &'a str) -> JsonRelated<'a> {
    JsonRelated {
        file: &loc.file,
        line: loc.line,
        column: loc.column,
        end_line: loc.end_line,
        end_column: loc.end_column,
        message,
    }
}

/// Render `diags` (sorted, see [`super::sorted`]) and `summary` as a pretty-printed JSON document
/// ending with a newline.
pub fn json<D: Borrow<Diagnostic>>(diags: &[D], summary: &Summary) -> String {
    let mut out = Vec::new();
    // Writing into a Vec cannot fail.
    let _ = json_to(&mut out, diags, summary);
    String::from_utf8(out).unwrap_or_default()
}

/// [`json`] written straight to `w` (a buffered stdout): a 2,000-root check prints some 30 MB
/// of JSON, which need not be held in memory, let alone grown by doubling.
///
/// The bytes are exactly those of `serde_json::to_writer_pretty` on the whole document (a test
/// holds the two equal), but the findings are rendered in blocks of `BLOCK` on all cores and
/// written in order, `WINDOW` at most held at once: on one core a monorepo's findings took a
/// tenth of `mesh check`'s time.
pub fn json_to<W: std::io::Write, D: Borrow<Diagnostic>>(
    mut w: W,
    diags: &[D],
    summary: &Summary,
) -> std::io::Result<()> {
    let sorted = sorted(diags);
    write!(
        w,
        "{{\n  \"schema_version\": {JSON_SCHEMA_VERSION},\n  \"diagnostics\": "
    )?;
    if sorted.is_empty() {
        w.write_all(b"[]")?;
    } else {
        w.write_all(b"[")?;
        // Every element is rendered as `,\n    {…}`; the very first one is written without its
        // comma.
        let mut first = true;
        render_in_order(
            &sorted,
            BLOCK,
            WINDOW,
            |out: &mut Vec<u8>, d| {
                out.extend_from_slice(b",\n    ");
                let mut ser = serde_json::Serializer::with_formatter(&mut *out, Nested::at(2));
                // Serialising these plain structs (strings, integers, vectors) into a Vec
                // cannot fail.
                let _ = element(d).serialize(&mut ser);
            },
            |block| {
                let skip = usize::from(std::mem::take(&mut first));
                w.write_all(block.get(skip..).unwrap_or_default())
            },
        )?;
        w.write_all(b"\n  ]")?;
    }
    w.write_all(b",\n  \"summary\": ")?;
    let mut rendered = Vec::with_capacity(256);
    summary
        .serialize(&mut serde_json::Serializer::with_formatter(
            &mut rendered,
            Nested::at(1),
        ))
        .map_err(std::io::Error::from)?;
    w.write_all(&rendered)?;
    w.write_all(b"\n}\n")?;
    w.flush()
}

/// Findings rendered per task by [`json_to`], and the most rendered ahead of the writer.
const BLOCK: usize = 1024;
const WINDOW: usize = 16 * BLOCK;

/// `serde_json`'s pretty layout (two spaces a level) for a value nested `level` levels deep: the
/// bytes `to_writer_pretty` gives, with every line after the first indented by `level` more
/// levels. The findings are written straight into their block with it, instead of being
/// rendered at the top level and indented again in a second pass.
struct Nested {
    level: usize,
    has_value: bool,
}

impl Nested {
    fn at(level: usize) -> Self {
        Nested {
            level,
            has_value: false,
        }
    }

    fn newline<W: ?Sized + std::io::Write>(&self, w: &mut W, comma: bool) -> std::io::Result<()> {
        w.write_all(if comma { b",\n" } else { b"\n" })?;
        for _ in 0..self.level {
            w.write_all(b"  ")?;
        }
        Ok(())
    }

    fn open<W: ?Sized + std::io::Write>(&mut self, w: &mut W, c: &[u8]) -> std::io::Result<()> {
        self.level += 1;
        self.has_value = false;
        w.write_all(c)
    }

    fn close<W: ?Sized + std::io::Write>(&mut self, w: &mut W, c: &[u8]) -> std::io::Result<()> {
        self.level -= 1;
        if self.has_value {
            self.newline(w, false)?;
        }
        w.write_all(c)
    }
}

impl serde_json::ser::Formatter for Nested {
    fn begin_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.open(w, b"[")
    }

    fn end_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.close(w, b"]")
    }

    fn begin_array_value<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.newline(w, !first)
    }

    fn end_array_value<W: ?Sized + std::io::Write>(&mut self, _: &mut W) -> std::io::Result<()> {
        self.has_value = true;
        Ok(())
    }

    fn begin_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.open(w, b"{")
    }

    fn end_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.close(w, b"}")
    }

    fn begin_object_key<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.newline(w, !first)
    }

    fn begin_object_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        w.write_all(b": ")
    }

    fn end_object_value<W: ?Sized + std::io::Write>(&mut self, _: &mut W) -> std::io::Result<()> {
        self.has_value = true;
        Ok(())
    }
}

fn element(d: &Diagnostic) -> JsonDiagnostic<'_> {
    JsonDiagnostic {
        code: d.code,
        severity: d.severity.as_str(),
        file: &d.location.file,
        line: d.location.line,
        column: d.location.column,
        end_line: d.location.end_line,
        end_column: d.location.end_column,
        message: &d.message,
        help: d.help.as_deref(),
        root: d.root.as_deref(),
        related: d
            .related
            .iter()
            .map(|r| related(&r.location, &r.message))
            .collect(),
        fix: d.fix.as_ref().map(|f| JsonFix {
            description: &f.description,
            file: &f.file,
            start: f.range.start,
            end: f.range.end,
            replacement: &f.replacement,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::Severity;

    /// The whole document in one `serde_json` call: what [`json_to`] must reproduce byte for
    /// byte.
    #[derive(Serialize)]
    struct Document<'a> {
        schema_version: u32,
        diagnostics: Vec<JsonDiagnostic<'a>>,
        summary: &'a Summary,
    }

    fn one_call(diags: &[Diagnostic], summary: &Summary) -> String {
        let doc = Document {
            schema_version: JSON_SCHEMA_VERSION,
            diagnostics: sorted(diags).into_iter().map(element).collect(),
            summary,
        };
        serde_json::to_string_pretty(&doc).unwrap() + "\n"
    }

    /// `n` findings of every shape: optional fields present and absent, text that JSON must
    /// escape (quotes, backslashes, newlines, tabs, control bytes) and non-ASCII text.
    fn varied(n: usize) -> Vec<Diagnostic> {
        let texts = [
            "plain",
            "a \"quoted\" word",
            "two\nlines\r\n and a \t tab",
            "back\\slash \u{1}",
            "ünïcödé — 日本語 🚀",
            "",
        ];
        (0..n)
            .map(|i| {
                let t = texts[i % texts.len()];
                let mut loc = Location::new(format!("r{}/docs/{t}.md", i % 7), (i % 40) as u32, 3);
                if i % 3 == 0 {
                    loc.end_line = Some(loc.line + 1);
                    loc.end_column = Some(9);
                }
                let sev = [Severity::Error, Severity::Warning, Severity::Info][i % 3];
                let mut d = Diagnostic::new("DOC002", sev, loc, format!("{t} #{i}"));
                if i % 2 == 0 {
                    d = d.with_help(t);
                }
                if i % 5 == 0 {
                    d.root = Some(format!("r{}/docs", i % 7));
                }
                if i % 4 == 0 {
                    d = d.with_related(Location::new("x.md", 2, 1), t);
                    d = d.with_related(Location::file("y.md"), "second");
                }
                if i % 6 == 0 {
                    d.fix = Some(crate::diagnostic::Fix {
                        description: t.to_string(),
                        file: "f.md".into(),
                        range: i..i + 3,
                        replacement: t.to_string(),
                    });
                }
                d
            })
            .collect()
    }

    #[test]
    fn blocks_on_all_cores_print_the_bytes_of_one_serde_json_call() {
        for n in [
            0,
            1,
            2,
            BLOCK - 1,
            BLOCK,
            BLOCK + 1,
            3 * BLOCK + 17,
            WINDOW + 5,
        ] {
            let diags = varied(n);
            for roots in [
                vec![],
                vec!["docs".to_string()],
                vec!["a".into(), "b \"c\"".into()],
            ] {
                let summary = Summary::from_diagnostics(&diags, 6, roots);
                assert_eq!(
                    json(&diags, &summary),
                    one_call(&diags, &summary),
                    "{n} findings"
                );
            }
        }
    }

    #[test]
    fn help_is_always_present_and_optional_fields_only_when_known() {
        let d = Diagnostic::new("DOC001", Severity::Warning, Location::file("a.md"), "m");
        let summary = Summary::from_diagnostics(std::slice::from_ref(&d), 1, vec![]);
        let v: serde_json::Value = serde_json::from_str(&json(&[d], &summary)).unwrap();
        let first = &v["diagnostics"][0];
        assert_eq!(first["help"], serde_json::Value::Null);
        assert!(first.get("help").is_some());
        for absent in ["end_line", "end_column", "root", "related", "fix"] {
            assert!(first.get(absent).is_none(), "{absent} should be absent");
        }
        assert_eq!(v["schema_version"], 1);
        assert_eq!(v["summary"]["warnings"], 1);
    }
}
