use std::collections::HashMap;

use mesh_docs::DocKind;
use mesh_docs::decision::RowKind;

use crate::context::{Context, loc};
use crate::declare_rule;
use crate::diagnostic::Diagnostic;
use crate::rule::{Rule, RuleMeta};

declare_rule! {
    /// Finds decision IDs that appear on more than one row (rejected-task KICKBACK rows are not
    /// decisions and are ignored).
    ///
    /// Why: supersede and revert links, task overrides and the ledger refer to decisions by ID;
    /// two rows with one ID make the log ambiguous and break its append-only history.
    ///
    /// Example: two rows `| 004 | … |`.
    ///
    /// Fix: give the later row the next free ID (`mesh decide add` always picks one).
    pub struct DuplicateDecisionId => DEC001, "duplicate-decision-id", Dec, Error, "A decision ID is used on two rows.";
}

impl Rule for DuplicateDecisionId {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
        let (Some(doc), Some(log)) = (ctx.doc(DocKind::DecisionLog), ctx.docs.decisions.as_ref())
        else {
            return;
        };
        let mut seen = HashMap::with_capacity(log.rows.len());
        for row in log
            .rows
            .iter()
            .filter(|r| r.row == RowKind::Decision && !r.id.is_empty())
        {
            match seen.get(row.id.as_str()) {
                Some(prev) => out.push(
                    self.diag(
                        loc(doc, row.span),
                        format!(
                            "decision ID `{}` is already used on line {}",
                            row.id,
                            prev_line(*prev)
                        ),
                    )
                    .with_related(loc(doc, *prev), "first used here")
                    .with_help(
                        "give this row the next free ID; `mesh decide add` picks one for you",
                    ),
                ),
                None => {
                    seen.insert(row.id.as_str(), row.span);
                }
            }
        }
    }
}

fn prev_line(s: mesh_docs::Span) -> u32 {
    s.line
}
