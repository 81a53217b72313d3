use mesh_docs::inline::MarkerKind;

use crate::context::{Context, loc};
use crate::declare_rule;
use crate::diagnostic::Diagnostic;
use crate::rule::{Rule, RuleMeta};

declare_rule! {
    /// Finds bracket hints such as `[Name, purpose, key fields]` that a template left for the
    /// author to replace. Markdown links, reference links, footnotes and task boxes are not hints.
    ///
    /// Why: a hint describes what to write; left in place it reads as an unfinished requirement.
    ///
    /// Example: `- [ ] Entity 1: [Name, purpose, key fields]`.
    ///
    /// Fix: write the content the hint asks for, e.g. `- [ ] Book: a title for sale (isbn, title,
    /// price)`.
    pub struct UnfilledHint => DOC004, "unfilled-hint", Doc, Warning, "A bracket hint [Name, purpose] is still in the document.";
}

impl Rule for UnfilledHint {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
        for doc in &ctx.docs.docs {
            for m in ctx.markers(doc.kind) {
                if m.kind != MarkerKind::Hint || ctx.is_contract_value(doc.kind, m.start) {
                    continue;
                }
                let span = mesh_docs::Span {
                    start: m.start,
                    end: m.end,
                    line: 0,
                };
                out.push(
                    self.diag(loc(doc, span), format!("unfilled hint {}", m.text))
                        .with_help("write the content the hint describes in its place"),
                );
            }
        }
    }
}
