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

use serde::Serialize;

use super::{Summary, sorted};
use crate::diagnostic::{Diagnostic, Location};

/// The version of the JSON output format (the `schema_version` field).
pub const JSON_SCHEMA_VERSION: u32 = 1;

#[derive(Serialize)]
struct Document<'a> {
    schema_version: u32,
    diagnostics: Vec<JsonDiagnostic<'a>>,
    summary: &'a Summary,
}

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
pub fn json(diags: &[Diagnostic], summary: &Summary) -> String {
    let mut out = Vec::new();
    // Writing into a Vec cannot fail.
    let _ = json_to(&mut out, diags, summary);
    String::from_utf8(out).unwrap_or_default()
}

/// [`json`] written straight to `w` (a buffered stdout): a 2,000-root check prints some 30 MB
/// of JSON, which need not be held in memory, let alone grown by doubling.
pub fn json_to<W: std::io::Write>(
    mut w: W,
    diags: &[Diagnostic],
    summary: &Summary,
) -> std::io::Result<()> {
    let doc = Document {
        schema_version: JSON_SCHEMA_VERSION,
        diagnostics: sorted(diags)
            .into_iter()
            .map(|d| JsonDiagnostic {
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
            })
            .collect(),
        summary,
    };
    // Serialising these plain structs (strings, integers, vectors) fails only when `w` does.
    serde_json::to_writer_pretty(&mut w, &doc).map_err(std::io::Error::from)?;
    w.write_all(b"\n")?;
    w.flush()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::Severity;

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
