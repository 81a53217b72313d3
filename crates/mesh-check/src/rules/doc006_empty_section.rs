use crate::context::{Context, loc};
use crate::declare_rule;
use crate::diagnostic::Diagnostic;
use crate::readiness::Reason;
use crate::rule::{Rule, RuleMeta};

declare_rule! {
    /// Finds sections with a heading and no content at all (no item, row, paragraph or block in
    /// the section or its subsections; quotes and comments do not count).
    ///
    /// Why: an empty section is a part of the constitution nobody wrote; readiness counts it as
    /// unfilled.
    ///
    /// Example: `## Risks` directly followed by `## Milestones`.
    ///
    /// Fix: write the section, or delete the heading if it does not apply to the project.
    pub struct EmptySection => DOC006, "empty-section", Doc, Warning, "A section has a heading but no content.";
}

impl Rule for EmptySection {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
        for r in &ctx.readiness.documents {
            let Some(doc) = ctx.doc(r.kind) else { continue };
            for u in r
                .unfilled
                .iter()
                .filter(|u| u.reason == Reason::EmptySection)
            {
                out.push(
                    self.diag(
                        loc(doc, u.span),
                        format!(
                            "section `{}` is empty",
                            u.text.trim_start_matches('#').trim()
                        ),
                    )
                    .with_help("write the section, or delete the heading if it does not apply"),
                );
            }
        }
    }
}
