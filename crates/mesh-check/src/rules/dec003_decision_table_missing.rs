use mesh_docs::DocKind;

use crate::context::{Context, loc};
use crate::declare_rule;
use crate::diagnostic::Diagnostic;
use crate::rule::{Rule, RuleMeta};

declare_rule! {
    /// Finds a decision log without a usable decision table: no table with ID, Date, Decision and
    /// Status columns, or a table without an ID column.
    ///
    /// Why: without the table no decision can be read, linked or appended, and every SPEC change
    /// fails the change policy.
    ///
    /// Example: a DECISION_LOG.md that lists decisions as bullets.
    ///
    /// Fix: add a `## Records` table with the header
    /// `| ID | Date | Type | Decision | Rationale | Scope | Task | Status |` and move the
    /// decisions into rows.
    pub struct DecisionTableMissing => DEC003, "decision-table-missing", Dec, Error, "The decision log has no usable decision table.";
}

impl Rule for DecisionTableMissing {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
        let (Some(doc), Some(log)) = (ctx.doc(DocKind::DecisionLog), ctx.docs.decisions.as_ref())
        else {
            return;
        };
        for (span, msg) in &log.problems {
            out.push(self.diag(loc(doc, *span), msg.clone()).with_help(
                "add a `## Records` table: | ID | Date | Type | Decision | Rationale | Scope | Task | Status |",
            ));
        }
    }
}
