use crate::context::Context;
use crate::declare_rule;
use crate::diagnostic::{Diagnostic, Location};
use crate::rule::{Rule, RuleMeta};
use crate::trace::completed_untested;

declare_rule! {
    /// Finds completed tasks whose requirement (or the task itself, by key or id) no test tags
    /// with a `mesh: ID` comment.
    ///
    /// Why: "done" must mean "tested"; a completed task that no test claims to cover is a
    /// requirement nobody can show still works.
    ///
    /// Example: task T-7 traces to US3 and is completed; no file holds `mesh: US3` or
    /// `mesh: T-7`.
    ///
    /// Fix: add the tag to the test that covers it, in a comment in any language:
    /// `// mesh: US3`, `# mesh: US3`.
    pub struct CompletedTaskUntested => TRC002, "completed-task-untested", Trc, Warning, "A completed task's trace is tagged by no test.";
}

impl Rule for CompletedTaskUntested {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
        let Some(facts) = ctx.trace else { return };
        let where_ = ctx.root.file_display(mesh_docs::DocKind::Prd);
        for t in completed_untested(ctx.docs, facts) {
            out.push(
                self.diag(
                    Location::file(where_.clone()),
                    format!(
                        "completed task {} ({}) traces to `{}`, which no test tags",
                        t.id, t.title, t.trace
                    ),
                )
                .with_help("tag the covering test with a comment such as `// mesh: <ID>`"),
            );
        }
    }
}
