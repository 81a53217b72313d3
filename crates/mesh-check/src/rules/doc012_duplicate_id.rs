use std::collections::HashMap;

use mesh_docs::DocKind;
use mesh_docs::markdown::Span;

use crate::context::{Context, loc};
use crate::declare_rule;
use crate::diagnostic::Diagnostic;
use crate::rule::{Rule, RuleMeta};

declare_rule! {
    /// Finds goal and user-story IDs (`G1`, `US3`) used twice in the PRD.
    ///
    /// Why: tasks, tests (`mesh: US3` tags) and the trace matrix refer to requirements by ID; a
    /// duplicate makes every such reference ambiguous.
    ///
    /// Example: two stories both written `US2: …`.
    ///
    /// Fix: renumber the later one to the next free ID and update references to it.
    pub struct DuplicateId => DOC012, "duplicate-id", Doc, Error, "A goal or story ID is used twice.";
}

impl Rule for DuplicateId {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
        let (Some(doc), Some(prd)) = (ctx.doc(DocKind::Prd), ctx.docs.prd.as_ref()) else {
            return;
        };
        let ids = prd
            .goals
            .iter()
            .filter_map(|g| g.id.as_deref().map(|i| (i, g.span)))
            .chain(
                prd.stories
                    .iter()
                    .filter_map(|s| s.id.as_deref().map(|i| (i, s.span))),
            );
        let mut first: HashMap<&str, Span> = HashMap::new();
        for (id, span) in ids {
            match first.get(id) {
                Some(prev) => out.push(
                    self.diag(
                        loc(doc, span),
                        format!("ID `{id}` is already used on line {}", prev.line),
                    )
                    .with_related(loc(doc, *prev), format!("`{id}` first used here"))
                    .with_help("renumber this one to the next free ID and update references to it"),
                ),
                None => {
                    first.insert(id, span);
                }
            }
        }
    }
}
