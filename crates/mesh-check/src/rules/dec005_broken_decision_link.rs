use std::collections::HashSet;

use mesh_docs::DocKind;
use mesh_docs::decision::{Decision, LinkKind};
use mesh_docs::markdown::Span;

use crate::context::{Context, loc};
use crate::declare_rule;
use crate::diagnostic::Diagnostic;
use crate::rule::{Rule, RuleMeta};

declare_rule! {
    /// Finds supersede and revert links that point nowhere: `Supersedes 004`, `superseded by
    /// 042`, `Reverts 009` or `reverted by 011` naming an ID that no row of the log has, or a
    /// row naming itself.
    ///
    /// Only link targets that contain a digit are checked, so prose such as "replaces SFTP" is
    /// not mistaken for a link; word IDs (`SAMPLE-ARCH`) are still followed when they exist.
    ///
    /// Why: links are how the log says which decision is in force. A link to a missing row is
    /// usually a typo or a row that was deleted, and the log is append-only.
    ///
    /// Example: `| 003 | … | 🔄 superseded by 042 |` in a log that ends at 009.
    ///
    /// Fix: correct the ID in the link. Use `mesh decide supersede` and `mesh decide revert`,
    /// which write both ends of the link.
    pub struct BrokenDecisionLink => DEC005, "broken-decision-link", Dec, Error, "A supersede or revert link names a missing decision.";
}

impl Rule for BrokenDecisionLink {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
        let (Some(doc), Some(log)) = (ctx.doc(DocKind::DecisionLog), ctx.docs.decisions.as_ref())
        else {
            return;
        };
        let ids: HashSet<&str> = log.decisions().map(|d| d.id.as_str()).collect();
        for row in log.decisions() {
            for (kind, target) in row.links() {
                let message = if target == row.id {
                    format!("decision `{}` says it {} itself", row.id, kind.as_str())
                } else if !ids.contains(target) && target.chars().any(|c| c.is_ascii_digit()) {
                    format!(
                        "decision `{}` {} `{target}`, but the log has no decision `{target}`",
                        row.id,
                        kind.as_str()
                    )
                } else {
                    continue;
                };
                out.push(
                    self.diag(loc(doc, link_span(row, &doc.text, kind, target)), message)
                        .with_help(
                            "correct the ID; `mesh decide list` shows every decision and its ID",
                        ),
                );
            }
        }
    }
}

/// The span of `target` after the link word in the row, or the whole row.
fn link_span(row: &Decision, text: &str, kind: LinkKind, target: &str) -> Span {
    for (&(_, span), (_, cell)) in row.cells.iter().zip(row.cell_texts(text)) {
        // Searched in the text itself: a lower-cased copy can have other byte offsets.
        let word = kind.as_str().as_bytes();
        let Some(p) = cell
            .as_bytes()
            .windows(word.len())
            .position(|w| w.eq_ignore_ascii_case(word))
        else {
            continue;
        };
        let after = p + kind.as_str().len();
        if let Some(q) = cell.get(after..).and_then(|s| s.find(target)) {
            let start = span.start + after + q;
            return Span {
                start,
                end: start + target.len(),
                line: span.line,
            };
        }
    }
    row.span
}

#[cfg(test)]
mod tests {
    use super::super::dec004_superseded_without_successor::testing::{assert_clean, fixture, run};
    use super::*;

    #[test]
    fn finds_links_to_missing_rows_and_to_self() {
        insta::assert_snapshot!(run(&BrokenDecisionLink, &fixture("bad-links.md")), @r"
        DEC005 error 9:84 decision `003` superseded by `042`, but the log has no decision `042`
        DEC005 error 12:58 decision `006` says it supersedes itself
        DEC005 error 14:35 decision `007` reverts `099`, but the log has no decision `099`
        ");
        assert_clean(&BrokenDecisionLink);
    }
}
