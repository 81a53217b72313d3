use crate::context::Context;
use crate::declare_rule;
use crate::diagnostic::{Diagnostic, Location};
use crate::rule::{Rule, RuleMeta};
use crate::trace::unknown_tags;

declare_rule! {
    /// Finds `mesh: ID` test tags that name no goal, story, task key or task id.
    ///
    /// Why: a tag with a typo or a deleted requirement gives false assurance: the matrix shows
    /// nothing covering the real requirement.
    ///
    /// Example: `// mesh: US33` when the PRD has US1–US6.
    ///
    /// Fix: correct the ID, or remove the tag if the requirement is gone.
    pub struct UnknownTestTag => TRC003, "unknown-test-tag", Trc, Error, "A test tag names an unknown ID.";
}

impl Rule for UnknownTestTag {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
        let Some(facts) = ctx.trace else { return };
        for tag in unknown_tags(ctx.docs, facts) {
            out.push(
                self.diag(
                    Location::new(tag.file.clone(), tag.line, tag.column),
                    format!("test tag `mesh: {}` names no requirement or task", tag.id),
                )
                .with_help(
                    "use a goal or story ID from the PRD (G1, US3), a task key or a task id (T-4)",
                ),
            );
        }
    }
}
