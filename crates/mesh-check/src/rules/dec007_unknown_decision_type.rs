use mesh_docs::DocKind;
use mesh_docs::decision::Column;
use mesh_docs::decision_edit::{EditError, normalize_type};

use crate::context::{Context, loc};
use crate::declare_rule;
use crate::diagnostic::Diagnostic;
use crate::rule::{Rule, RuleMeta};

declare_rule! {
    /// Finds decision rows whose Type is not one of INIT, SCOPE, ARCH, API, DATA, SECURITY, UX,
    /// PERF, OPS, TEST, RELEASE (letter case does not matter; an empty or `-` cell is allowed).
    ///
    /// Why: types let the planner, the change-policy gate and `mesh decide list` group
    /// decisions (a SPEC Data Model change looks for DATA decisions). A type outside the list is
    /// invisible to them.
    ///
    /// Example: `| 002 | 2026-01-06 | ARCHITECTURE | … |`.
    ///
    /// Fix: use the nearest listed type (`ARCH`). `mesh decide add --type` only accepts listed
    /// types.
    pub struct UnknownDecisionType => DEC007, "unknown-decision-type", Dec, Warning, "A decision's type is not a known type.";
}

impl Rule for UnknownDecisionType {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
        let (Some(doc), Some(log)) = (ctx.doc(DocKind::DecisionLog), ctx.docs.decisions.as_ref())
        else {
            return;
        };
        for row in log.decisions().filter(|r| r.malformed.is_none()) {
            let Some(kind) = row
                .kind_of_decision
                .as_deref()
                .map(str::trim)
                .filter(|k| !k.is_empty() && *k != "-")
            else {
                continue;
            };
            let Err(EditError::UnknownType { suggestion, .. }) = normalize_type(kind) else {
                continue;
            };
            let span = row.cell(Column::Type).unwrap_or(row.span);
            let help = match suggestion {
                Some(s) => format!("write `{s}`"),
                None => "use one of INIT, SCOPE, ARCH, API, DATA, SECURITY, UX, PERF, OPS, TEST, RELEASE".to_string(),
            };
            out.push(
                self.diag(
                    loc(doc, span),
                    format!(
                        "decision `{}` has type `{kind}`, which is not a known type",
                        row.id
                    ),
                )
                .with_help(help),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::dec004_superseded_without_successor::testing::{assert_clean, fixture, run};
    use super::*;

    #[test]
    fn finds_unknown_types() {
        insta::assert_snapshot!(run(&UnknownDecisionType, &fixture("bad-status-type.md")), @"DEC007 warning 8:22 decision `002` has type `ARCHITECTURE`, which is not a known type");
        assert_clean(&UnknownDecisionType);
    }
}
