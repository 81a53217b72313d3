//! Renderers: turn a list of [`Diagnostic`]s into text for people and machines.
//!
//! Every renderer is a pure function — diagnostics and context in, a `String` out — so the CLI,
//! the REST API and tests all get byte-identical output for the same input. None of them prints,
//! reads a file or looks at the terminal: the caller decides where the text goes and whether
//! colour is wanted.
//!
//! | format | function | for |
//! |---|---|---|
//! | human | [`human`], [`human_to`] | people at a terminal: rustc-like, with the source line and a `^^^` underline |
//! | json | [`json()`] | scripts: a stable document with `schema_version` |
//! | sarif | [`sarif`] | code scanning (SARIF 2.1.0; every result has a location) |
//! | github | [`github`] | GitHub Actions workflow commands (annotations in a pull request) |
//!
//! All renderers order diagnostics the same way ([`sorted`]): by file, line, column, code and then
//! message, so the output does not depend on the order in which rules ran.
//!
//! Positions follow [`crate::diagnostic::Location`]: `line` and `column` are 1-based and `column`
//! counts Unicode scalar values (characters). `end_column` is *exclusive*: it is the column just
//! past the last character of the range (the convention of SARIF and LSP), so a one-character
//! range at column 5 has `end_column = 6`.

mod github;
mod human;
mod json;
mod sarif;

pub use github::github;
pub use human::{SourceLookup, human, human_to};
pub use json::{JSON_SCHEMA_VERSION, json, json_to};
pub use sarif::{SARIF_SCHEMA_URI, SarifOptions, file_uri_for_dir, sarif};

use std::borrow::Borrow;
use std::collections::BTreeSet;

use rayon::prelude::*;
use serde::Serialize;

use crate::diagnostic::{Diagnostic, Severity};

/// What a rule is, for renderers that describe rules (SARIF `tool.driver.rules`, GitHub titles).
///
/// The rule registry produces one per rule; emitters only read them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RuleDescriptor {
    /// The rule code, e.g. `DOC002`. Never reused.
    pub code: &'static str,
    /// Kebab-case name that reads well after "allow", e.g. `unfilled-placeholder`.
    pub name: &'static str,
    /// One sentence: what the rule finds.
    pub summary: &'static str,
    /// The long explanation: why it matters and how to fix it (Markdown allowed).
    pub explanation: &'static str,
    /// The severity the rule has unless `mesh.toml` overrides it.
    pub default_severity: Severity,
}

/// Counts for the end of a run, as shown by the `json` renderer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Findings at error severity (these make `mesh check` exit 1).
    pub errors: usize,
    /// Findings at warning severity.
    pub warnings: usize,
    /// Findings at info severity.
    pub infos: usize,
    /// How many files were read and checked (with or without findings).
    pub files_checked: usize,
    /// The document roots that were checked, as shown to the user (e.g. `docs`, `svc/a/docs`).
    pub roots: Vec<String>,
}

impl Summary {
    /// Count `diags` by severity and record how many files and which roots were checked.
    pub fn from_diagnostics<D: Borrow<Diagnostic>>(
        diags: &[D],
        files_checked: usize,
        roots: Vec<String>,
    ) -> Self {
        let (errors, warnings, infos) = count_by_severity(diags);
        Summary {
            errors,
            warnings,
            infos,
            files_checked,
            roots,
        }
    }
}

/// `(errors, warnings, infos)` in `diags`.
pub fn count_by_severity<D: Borrow<Diagnostic>>(diags: &[D]) -> (usize, usize, usize) {
    diags
        .iter()
        .fold((0, 0, 0), |(e, w, i), d| match d.borrow().severity {
            Severity::Error => (e + 1, w, i),
            Severity::Warning => (e, w + 1, i),
            Severity::Info => (e, w, i + 1),
        })
}

/// The diagnostics in output order: file, line, column, code, then message and severity.
///
/// The sort is stable, so two diagnostics equal on all of these keep their input order; from
/// `PARALLEL_SORT_FROM` findings on (a monorepo's tens of thousands) it runs on all cores,
/// with the same result.
pub fn sorted<D: Borrow<Diagnostic>>(diags: &[D]) -> Vec<&Diagnostic> {
    let mut out: Vec<&Diagnostic> = diags.iter().map(Borrow::borrow).collect();
    let order = |a: &&Diagnostic, b: &&Diagnostic| {
        a.sort_key()
            .cmp(&b.sort_key())
            .then_with(|| a.message.cmp(&b.message))
            .then_with(|| b.severity.cmp(&a.severity))
    };
    if out.len() >= PARALLEL_SORT_FROM {
        out.par_sort_by(order);
    } else {
        out.sort_by(order);
    }
    out
}

/// Below this many findings a sort on one core is quicker than splitting the work.
const PARALLEL_SORT_FROM: usize = 4096;

/// Render `items` on the rayon pool, `per_task` to a task, and hand the texts to `emit` in the
/// items' order. At most `window` items are rendered ahead of `emit`, so a monorepo's tens of
/// thousands of findings are never all held as text at once. The human and JSON renderers both
/// print through this.
pub(crate) fn render_in_order<T, B, E>(
    items: &[T],
    per_task: usize,
    window: usize,
    render: impl Fn(&mut B, &T) + Sync,
    mut emit: impl FnMut(&B) -> Result<(), E>,
) -> Result<(), E>
where
    T: Sync,
    B: Default + Send,
{
    for part in items.chunks(window.max(1)) {
        let texts: Vec<B> = part
            .par_chunks(per_task.max(1))
            .map(|chunk| {
                let mut out = B::default();
                for item in chunk {
                    render(&mut out, item);
                }
                out
            })
            .collect();
        for text in &texts {
            emit(text)?;
        }
    }
    Ok(())
}

/// The number of distinct files that have at least one diagnostic.
pub fn files_with_findings<D: Borrow<Diagnostic>>(diags: &[D]) -> usize {
    diags
        .iter()
        .map(|d| d.borrow().location.file.as_str())
        .collect::<BTreeSet<_>>()
        .len()
}

/// The one-line summary at the end of human output, e.g. `3 errors, 1 warning in 2 files`,
/// or `All checks passed.` when there is nothing to report.
pub fn summary_line<D: Borrow<Diagnostic>>(diags: &[D]) -> String {
    let (errors, warnings, infos) = count_by_severity(diags);
    if errors + warnings + infos == 0 {
        return "All checks passed.".to_string();
    }
    let mut parts = Vec::new();
    for (n, one, many) in [
        (errors, "error", "errors"),
        (warnings, "warning", "warnings"),
        (infos, "info", "infos"),
    ] {
        if n > 0 {
            parts.push(format!("{n} {}", if n == 1 { one } else { many }));
        }
    }
    let files = files_with_findings(diags);
    format!(
        "{} in {files} {}",
        parts.join(", "),
        if files == 1 { "file" } else { "files" }
    )
}

/// The text of a finding for renderers that have a single message field: the message, then the
/// help on its own line (`help: ...`) when there is one.
pub(crate) fn message_with_help(d: &Diagnostic) -> String {
    match &d.help {
        Some(help) if !help.is_empty() => format!("{}\nhelp: {help}", d.message),
        _ => d.message.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::Location;

    fn diag(code: &'static str, sev: Severity, file: &str, line: u32) -> Diagnostic {
        Diagnostic::new(code, sev, Location::new(file, line, 1), "m")
    }

    #[test]
    fn summary_line_pluralises_and_counts_files() {
        let diags = vec![
            diag("DOC001", Severity::Error, "a.md", 1),
            diag("DOC001", Severity::Error, "a.md", 2),
            diag("DOC002", Severity::Error, "b.md", 1),
            diag("DOC003", Severity::Warning, "b.md", 1),
        ];
        assert_eq!(summary_line(&diags), "3 errors, 1 warning in 2 files");
        assert_eq!(
            summary_line(&diags[3..]),
            "1 warning in 1 file",
            "only non-zero categories are named"
        );
        let infos = vec![
            diag("X", Severity::Info, "a", 1),
            diag("X", Severity::Info, "a", 2),
        ];
        assert_eq!(summary_line(&infos), "2 infos in 1 file");
        assert_eq!(summary_line(&[] as &[Diagnostic]), "All checks passed.");
    }

    #[test]
    fn sorted_orders_by_file_line_column_code() {
        let diags = vec![
            diag("DOC002", Severity::Error, "b.md", 1),
            diag("DOC009", Severity::Error, "a.md", 3),
            diag("DOC001", Severity::Error, "a.md", 3),
            diag("DOC001", Severity::Error, "a.md", 1),
        ];
        let order: Vec<_> = sorted(&diags)
            .iter()
            .map(|d| (d.location.file.as_str(), d.location.line, d.code))
            .collect();
        assert_eq!(
            order,
            [
                ("a.md", 1, "DOC001"),
                ("a.md", 3, "DOC001"),
                ("a.md", 3, "DOC009"),
                ("b.md", 1, "DOC002")
            ]
        );
    }

    #[test]
    fn summary_counts_match_diagnostics() {
        let diags = vec![
            diag("A", Severity::Error, "a", 1),
            diag("B", Severity::Warning, "a", 1),
            diag("C", Severity::Info, "a", 1),
            diag("D", Severity::Info, "a", 1),
        ];
        let s = Summary::from_diagnostics(&diags, 7, vec!["docs".into()]);
        assert_eq!(
            (s.errors, s.warnings, s.infos, s.files_checked),
            (1, 1, 2, 7)
        );
    }
}
