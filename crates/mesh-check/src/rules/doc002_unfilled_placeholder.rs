use mesh_docs::inline::MarkerKind;

use crate::context::{Context, loc};
use crate::declare_rule;
use crate::diagnostic::Diagnostic;
use crate::rule::{Rule, RuleMeta};

declare_rule! {
    /// Finds `{{NAME}}` placeholders left from the template.
    ///
    /// Why: a placeholder is a question the template asked and nobody answered yet; the planner,
    /// the hydrator and the gates would read it as if it were content.
    ///
    /// Example: `# Technical Specification: {{PROJECT_NAME}}`.
    ///
    /// Fix: replace the placeholder with the real text, or delete the line if it does not apply.
    pub struct UnfilledPlaceholder => DOC002, "unfilled-placeholder", Doc, Warning, "A {{placeholder}} is still in the document.";
}

impl Rule for UnfilledPlaceholder {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
        for doc in &ctx.docs.docs {
            for m in ctx.markers(doc.kind) {
                if m.kind != MarkerKind::Placeholder || ctx.is_contract_value(doc.kind, m.start) {
                    continue;
                }
                let span = mesh_docs::Span {
                    start: m.start,
                    end: m.end,
                    line: 0,
                };
                out.push(
                    self.diag(loc(doc, span), format!("unfilled placeholder {}", m.text))
                        .with_help("replace it with the real text, or delete the line if it does not apply"),
                );
            }
        }
    }
}
