use std::collections::HashMap;

use mesh_docs::DocKind;
use mesh_docs::decision::{Column, Decision, LinkKind, Status};

use crate::context::{Context, loc};
use crate::declare_rule;
use crate::diagnostic::Diagnostic;
use crate::rule::{Rule, RuleMeta};

declare_rule! {
    /// Finds decisions that a later row supersedes or reverts (`Supersedes 004`, `Reverts 004`)
    /// while their own status still says active or proposed.
    ///
    /// Why: two rows then both claim to be in force, and hydration and the gates may follow the
    /// old one. Superseding is two edits: the new row, and the old row's status.
    ///
    /// Example: `| 004 | … | REST | … | ✅ |` and later `| 005 | … | GraphQL (supersedes 004) | … | ✅ |`.
    ///
    /// Fix: set the old row's status to `🔄 superseded by 005` (or `❌ reverted by 005`), in the
    /// log's own style. `mesh decide supersede` and `mesh decide revert` do both edits at once.
    pub struct ReplacedDecisionStillActive => DEC008, "replaced-decision-still-active", Dec, Warning, "A superseded or reverted decision is still marked active.";
}

impl Rule for ReplacedDecisionStillActive {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
        let (Some(doc), Some(log)) = (ctx.doc(DocKind::DecisionLog), ctx.docs.decisions.as_ref())
        else {
            return;
        };
        if !log.columns.contains(&Column::Status) {
            return;
        }
        // `log.get` for every link at once (the first row with an ID wins, as in `get`).
        let mut by_id: HashMap<&str, &Decision> = HashMap::with_capacity(log.rows.len());
        for r in &log.rows {
            by_id.entry(r.id.as_str()).or_insert(r);
        }
        for newer in log.decisions() {
            for (kind, target) in newer.links() {
                let verb = match kind {
                    LinkKind::Supersedes => "superseded",
                    LinkKind::Reverts => "reverted",
                    _ => continue,
                };
                if target == newer.id {
                    continue;
                }
                let Some(&old) = by_id.get(target) else {
                    continue;
                };
                if !matches!(old.status, Status::Active | Status::Proposed) {
                    continue;
                }
                let span = old.cell(Column::Status).unwrap_or(old.span);
                out.push(
                    self.diag(
                        loc(doc, span),
                        format!(
                            "decision `{}` is {verb} by `{}` (line {}) but its status is still {}",
                            old.id,
                            newer.id,
                            newer.line(),
                            old.status.as_str()
                        ),
                    )
                    .with_related(
                        loc(doc, newer.span),
                        format!("`{}` {} `{}` here", newer.id, kind.as_str(), old.id),
                    )
                    .with_help(format!(
                        "set the status of `{}` to {verb} by {} in the log's own style",
                        old.id, newer.id
                    )),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::dec004_superseded_without_successor::testing::{assert_clean, fixture, run};
    use super::*;

    #[test]
    fn finds_replaced_rows_still_active() {
        insta::assert_snapshot!(run(&ReplacedDecisionStillActive, &fixture("bad-links.md")), @"DEC008 warning 10:84 decision `004` is superseded by `005` (line 11) but its status is still active");
        assert_clean(&ReplacedDecisionStillActive);
    }
}
