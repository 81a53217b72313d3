use mesh_docs::DocKind;

use crate::context::Context;
use crate::declare_rule;
use crate::diagnostic::{Diagnostic, Location, Severity};
use crate::rule::{Rule, RuleMeta};

declare_rule! {
    /// Finds governed documents missing from a root that has other documents: PRD, SPEC and
    /// DECISION_LOG are errors; a missing ACTIVE_SPEC is a warning (`mesh hydrate` writes it).
    ///
    /// Why: the mode cannot reach EXECUTION without all three governed documents, and the change
    /// policy needs a decision log to hold SPEC changes.
    ///
    /// Example: docs/ holds PRD.md and SPEC.md but no DECISION_LOG.md.
    ///
    /// Fix: run `mesh init` (it writes only the missing files) or create the file by hand.
    pub struct MissingDocument => DOC009, "missing-document", Doc, Error, "A governed document is missing.";
}

impl Rule for MissingDocument {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
        if ctx.docs.docs.is_empty() && ctx.unreadable.is_empty() {
            // Nothing here at all: the caller reports PRE_INIT.
            return;
        }
        for kind in [
            DocKind::Prd,
            DocKind::Spec,
            DocKind::DecisionLog,
            DocKind::ActiveSpec,
        ] {
            if ctx.doc(kind).is_some() || ctx.unreadable.contains(&kind) {
                continue;
            }
            let mut d = self
                .diag(
                    Location::file(ctx.root.file_display(kind)),
                    format!("{} is missing", kind.file_name()),
                )
                .with_help(if kind == DocKind::ActiveSpec {
                    "run `mesh hydrate` to derive it from PRD, SPEC and the decision log"
                } else {
                    "run `mesh init` to scaffold the missing documents (existing files are kept)"
                });
            if kind == DocKind::ActiveSpec {
                d.severity = Severity::Warning;
            }
            out.push(d);
        }
    }
}
