//! The GitHub Actions renderer: one workflow command per diagnostic, which GitHub shows as an
//! annotation on the pull request's diff.
//!
//! ```text
//! ::error file=docs/SPEC.md,line=12,col=8,endColumn=15,title=DOC002 unfilled-placeholder::unfilled placeholder {{NAME}}%0Ahelp: …
//! ```
//!
//! Severity maps to the command: error → `::error`, warning → `::warning`, info → `::notice`.
//! The title is the code and the rule's name. The message carries the help and each related
//! location as extra lines. Escaping follows the workflow-command rules: in the message `%`,
//! `\r` and `\n` become `%25`, `%0D` and `%0A`; in property values `:` and `,` are also escaped
//! (`%3A`, `%2C`), so a path or message containing them cannot break the command.
//!
//! GitHub's `endColumn` is inclusive (the last column of the range), while ours is exclusive, so
//! it is written as `end_column - 1`; columns are only given for single-line ranges, as GitHub
//! ignores them otherwise.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::fmt::Write as _;

use super::{RuleDescriptor, message_with_help, sorted};
use crate::diagnostic::{Diagnostic, Severity};

/// Escape the data part of a workflow command (after `::`).
fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escape a property value of a workflow command (`file=…`, `title=…`).
fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// Render `diags` (sorted, see [`super::sorted`]) as GitHub Actions workflow commands, one per
/// line. `rules` supply the names used in annotation titles; a code without a descriptor is
/// titled by its code alone. Nothing is printed for an empty list.
pub fn github<D: Borrow<Diagnostic>>(diags: &[D], rules: &[RuleDescriptor]) -> String {
    let names: HashMap<&str, &str> = rules.iter().map(|r| (r.code, r.name)).collect();
    let mut out = String::new();
    for d in sorted(diags) {
        let command = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "notice",
        };
        let loc = &d.location;
        let mut props = vec![
            format!("file={}", escape_property(&loc.file)),
            format!("line={}", loc.line),
        ];
        let single_line = loc.end_line.is_none_or(|l| l == loc.line);
        if let Some(end_line) = loc.end_line.filter(|&l| l > loc.line) {
            props.push(format!("endLine={end_line}"));
        }
        if single_line {
            props.push(format!("col={}", loc.column));
            if let Some(end) = loc.end_column.filter(|&c| c > loc.column + 1) {
                props.push(format!("endColumn={}", end - 1));
            }
        }
        let title = match names.get(d.code) {
            Some(name) if !name.is_empty() => format!("{} {name}", d.code),
            _ => d.code.to_string(),
        };
        props.push(format!("title={}", escape_property(&title)));

        let mut message = message_with_help(d);
        for r in &d.related {
            let _ = write!(
                message,
                "\nnote: {}:{}:{}: {}",
                r.location.file, r.location.line, r.location.column, r.message
            );
        }
        let _ = writeln!(
            out,
            "::{command} {}::{}",
            props.join(","),
            escape_data(&message)
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::Location;

    #[test]
    fn escaping_follows_the_workflow_command_rules() {
        assert_eq!(escape_data("50%\r\nnext: a,b"), "50%25%0D%0Anext: a,b");
        assert_eq!(escape_property("a:b,c%\n"), "a%3Ab%2Cc%25%0A");
    }

    #[test]
    fn columns_only_for_single_line_ranges_and_end_column_is_inclusive() {
        let mut loc = Location::new("a.md", 2, 3);
        loc.end_column = Some(7);
        let d = Diagnostic::new("X1", Severity::Info, loc.clone(), "m");
        assert_eq!(
            github(&[d], &[]),
            "::notice file=a.md,line=2,col=3,endColumn=6,title=X1::m\n"
        );
        loc.end_line = Some(4);
        let d = Diagnostic::new("X1", Severity::Warning, loc, "m");
        assert_eq!(
            github(&[d], &[]),
            "::warning file=a.md,line=2,endLine=4,title=X1::m\n"
        );
    }
}
