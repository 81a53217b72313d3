use std::collections::{HashMap, HashSet};

use mesh_docs::DocKind;
use mesh_docs::decision::{Column, Status};

use crate::context::{Context, loc};
use crate::declare_rule;
use crate::diagnostic::Diagnostic;
use crate::rule::{Rule, RuleMeta};

declare_rule! {
    /// Finds decisions marked superseded (🔄, `SUPERSEDED`) that name no successor: neither the
    /// row says `superseded by <ID>` nor a later row says `Supersedes <ID>`.
    ///
    /// Why: the log is append-only; a decision is replaced by a newer row, never edited away.
    /// A superseded row without a successor leaves no record of what is in force now, and the
    /// change-policy gate cannot tell which decision a SPEC change follows.
    ///
    /// Example: `| 005 | 2026-02-20 | SECURITY | Refunds need a login | … | 🔄 |` with no row
    /// saying `Supersedes 005`.
    ///
    /// Fix: record the replacing decision with `mesh decide supersede 005 --decision "…"`, which
    /// appends the new row and writes `🔄 superseded by <new>` into the old one; or, when the
    /// successor exists, write `Supersedes 005` in it.
    pub struct SupersededWithoutSuccessor => DEC004, "superseded-without-successor", Dec, Error, "A superseded decision names no successor.";
}

impl Rule for SupersededWithoutSuccessor {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
        let (Some(doc), Some(log)) = (ctx.doc(DocKind::DecisionLog), ctx.docs.decisions.as_ref())
        else {
            return;
        };
        // `DecisionLog::successor_of` for every row at once: the first row with an ID names its
        // successor, or some row supersedes the ID. (Calling it per row is quadratic: a log of
        // 9,000 rows took 40 ms.)
        let mut first_names_successor: HashMap<&str, bool> = HashMap::with_capacity(log.rows.len());
        let mut superseded: HashSet<&str> = HashSet::new();
        for r in &log.rows {
            first_names_successor
                .entry(r.id.as_str())
                .or_insert(r.superseded_by.is_some());
            superseded.extend(r.supersedes.iter().map(String::as_str));
        }
        let has_successor = |id: &str| {
            first_names_successor.get(id).copied().unwrap_or(false) || superseded.contains(id)
        };
        for row in log
            .decisions()
            .filter(|r| r.status == Status::Superseded && !r.id.is_empty())
        {
            if has_successor(&row.id) {
                continue;
            }
            let span = row.cell(Column::Status).unwrap_or(row.span);
            out.push(
                self.diag(loc(doc, span), format!("decision `{}` is marked superseded but no row replaces it", row.id))
                    .with_help(format!(
                        "record the replacement with `mesh decide supersede {} --decision \"…\"`, or write `Supersedes {}` in the row that replaced it",
                        row.id, row.id
                    )),
            );
        }
    }
}

/// Running the DEC rules over a decision log given as text (shared by the DEC rule tests).
#[cfg(test)]
pub(crate) mod testing {
    use mesh_docs::{DocKind, DocSet, Document};

    use crate::config::Config;
    use crate::context::{Context, Root};
    use crate::readiness::assess;
    use crate::rule::Rule;

    /// `CODE severity line:column message` for each finding of `rule` in `text`.
    pub fn run(rule: &dyn Rule, text: &str) -> String {
        let root = Root {
            dir: "docs".into(),
            display: "docs".into(),
        };
        let docs = DocSet::new(vec![Document::parse(
            DocKind::DecisionLog,
            "docs/DECISION_LOG.md",
            text,
        )]);
        let config = Config::default();
        let readiness = assess(&docs, &config.readiness, &[], &|k: DocKind| {
            root.file_display(k)
        });
        let ctx = Context::new(&root, &docs, &config, &readiness, &[], &[]);
        let mut out = Vec::new();
        rule.check(&ctx, &mut out);
        out.iter()
            .map(|d| {
                format!(
                    "{} {} {}:{} {}",
                    d.code,
                    d.severity.as_str(),
                    d.location.line,
                    d.location.column,
                    d.message
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// A fixture from tests/fixtures/decision-logs/.
    pub fn fixture(name: &str) -> String {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../tests/fixtures/decision-logs")
            .join(name);
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }

    /// The clean fixtures: every DEC rule must stay silent on them.
    pub const CLEAN: [&str; 7] = [
        "gen15-symbols.md",
        "gen16-ten-columns.md",
        "legacy-8col-accepted.md",
        "legacy-5col-unpadded.md",
        "kickbacks.md",
        "pipeless-crlf.md",
        "prefixed-ids.md",
    ];

    pub fn assert_clean(rule: &dyn Rule) {
        for f in CLEAN {
            assert_eq!(run(rule, &fixture(f)), "", "{} on {f}", rule.meta().code);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::testing::{assert_clean, fixture, run};
    use super::*;

    #[test]
    fn finds_superseded_rows_without_successor() {
        insta::assert_snapshot!(run(&SupersededWithoutSuccessor, &fixture("bad-links.md")), @"DEC004 error 8:77 decision `002` is marked superseded but no row replaces it");
        assert_clean(&SupersededWithoutSuccessor);
    }
}
