use mesh_docs::DocKind;

use crate::context::{Context, loc};
use crate::declare_rule;
use crate::diagnostic::Diagnostic;
use crate::rule::{Rule, RuleMeta};
use crate::trace::must_stories_without_task;

declare_rule! {
    /// Finds Must Have user stories that no task in the store traces to (runs in `mesh trace`,
    /// where the tasks are known).
    ///
    /// Why: a Must Have story without a task will not be built; the plan has a hole the size
    /// of an MVP requirement.
    ///
    /// Example: `US4` under `### Must Have (MVP)`, and no task whose Trace names `US4`.
    ///
    /// Fix: run `mesh plan draft` and `mesh plan accept` (the planner makes one task per story),
    /// or add a task with `mesh task add --trace US4`.
    pub struct MustStoryWithoutTask => TRC001, "must-story-without-task", Trc, Error, "A Must Have story has no task.";
}

impl Rule for MustStoryWithoutTask {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
        let (Some(facts), Some(doc)) = (ctx.trace, ctx.doc(DocKind::Prd)) else {
            return;
        };
        for s in must_stories_without_task(ctx.docs, facts) {
            let id = s.id.as_deref().unwrap_or("?");
            out.push(
                self.diag(loc(doc, s.span), format!("Must Have story {id} has no task"))
                    .with_help("run `mesh plan draft` and `mesh plan accept`, or `mesh task add` with this trace"),
            );
        }
    }
}
