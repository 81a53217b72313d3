use mesh_docs::DocKind;
use mesh_docs::decision::{Column, Status};

use crate::context::{Context, loc};
use crate::declare_rule;
use crate::diagnostic::Diagnostic;
use crate::rule::{Rule, RuleMeta};

declare_rule! {
    /// Finds decision rows whose Status cell is empty or says something Atomic Mesh cannot read
    /// as active, proposed, superseded or reverted.
    ///
    /// Recognised: the symbols ✅ (active), 🔄 (superseded), ❌ (reverted), 📝 or ⏳ (proposed),
    /// and words such as ACTIVE, ACCEPTED, APPROVED, PROPOSED, DRAFT, SUPERSEDED, REPLACED,
    /// REVERTED, REJECTED, WITHDRAWN, DEPRECATED, in any letter case.
    ///
    /// Why: the status decides whether a decision is in force. An unreadable status makes the
    /// row neither in force nor retired, so hydration and the change-policy gate cannot use it.
    ///
    /// Example: `| 003 | … | maybe |`.
    ///
    /// Fix: write one of the statuses above (the log's own style: symbols or words).
    pub struct UnknownDecisionStatus => DEC006, "unknown-decision-status", Dec, Warning, "A decision's status cannot be read.";
}

impl Rule for UnknownDecisionStatus {
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
        for row in log
            .decisions()
            .filter(|r| r.status == Status::Unknown && r.malformed.is_none())
        {
            let span = row.cell(Column::Status).unwrap_or(row.span);
            let message = if row.status_raw.trim().is_empty() {
                format!("decision `{}` has an empty Status cell", row.id)
            } else {
                format!(
                    "decision `{}` has status `{}`, which is not a known status",
                    row.id,
                    row.status_raw.trim()
                )
            };
            out.push(self.diag(loc(doc, span), message).with_help(
                "write ✅ (active), 📝 (proposed), 🔄 (superseded) or ❌ (reverted), or the words ACCEPTED, PROPOSED, SUPERSEDED, REVERTED",
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::dec004_superseded_without_successor::testing::{assert_clean, fixture, run};
    use super::*;

    #[test]
    fn finds_unreadable_statuses() {
        insta::assert_snapshot!(run(&UnknownDecisionStatus, &fixture("bad-status-type.md")), @r"
        DEC006 warning 9:86 decision `003` has status `maybe`, which is not a known status
        DEC006 warning 10:74 decision `004` has an empty Status cell
        ");
        assert_clean(&UnknownDecisionStatus);
    }
}
