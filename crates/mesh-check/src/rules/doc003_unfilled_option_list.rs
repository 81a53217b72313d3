use mesh_docs::inline::MarkerKind;

use crate::context::{Context, loc};
use crate::declare_rule;
use crate::diagnostic::Diagnostic;
use crate::rule::{Rule, RuleMeta};

declare_rule! {
    /// Finds option lists such as `[Postgres | SQLite | etc.]` outside the Hydration Contract
    /// (where DOC011 reports them).
    ///
    /// Why: an option list is a decision still open; the rest of the spec cannot rely on it.
    ///
    /// Example: `- [ ] Method: [JWT | OAuth2 | API Key]`.
    ///
    /// Fix: choose one option and write it plainly (`Method: JWT`), and record the choice in the
    /// decision log.
    pub struct UnfilledOptionList => DOC003, "unfilled-option-list", Doc, Warning, "An option list [A | B] marks a choice not made yet.";
}

impl Rule for UnfilledOptionList {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
        for doc in &ctx.docs.docs {
            for m in ctx.markers(doc.kind) {
                if m.kind != MarkerKind::OptionList || ctx.is_contract_value(doc.kind, m.start) {
                    continue;
                }
                let span = mesh_docs::Span {
                    start: m.start,
                    end: m.end,
                    line: 0,
                };
                out.push(
                    self.diag(loc(doc, span), format!("unfilled option list {}", m.text))
                        .with_help("choose one option and write it plainly; record the choice in DECISION_LOG.md"),
                );
            }
        }
    }
}
