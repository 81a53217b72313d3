use mesh_docs::inline::MarkerKind;

use crate::context::{Context, loc};
use crate::declare_rule;
use crate::diagnostic::Diagnostic;
use crate::rule::{Rule, RuleMeta};

declare_rule! {
    /// Finds `TODO:` tokens (generation-16 templates put them inside items).
    ///
    /// Why: a TODO in the constitution means the spec is not settled on that point; readiness
    /// counts the item as unfilled.
    ///
    /// Example: `- Performance: TODO: agree on the p99 target`.
    ///
    /// Fix: resolve the TODO and remove the token, or turn it into an `OPEN QUESTION:` in the PRD.
    pub struct TodoToken => DOC007, "todo-token", Doc, Warning, "A TODO: token marks unfinished text.";
}

impl Rule for TodoToken {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
        for doc in &ctx.docs.docs {
            for m in ctx.markers(doc.kind) {
                if m.kind != MarkerKind::Todo || ctx.is_contract_value(doc.kind, m.start) {
                    continue;
                }
                let span = mesh_docs::Span {
                    start: m.start,
                    end: m.end,
                    line: 0,
                };
                out.push(
                    self.diag(loc(doc, span), format!("unresolved {} token", m.text))
                        .with_help(
                            "resolve it and remove the token, or move it to the PRD open questions",
                        ),
                );
            }
        }
    }
}
