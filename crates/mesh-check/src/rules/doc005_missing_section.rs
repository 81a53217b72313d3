use mesh_docs::DocKind;

use crate::context::Context;
use crate::declare_rule;
use crate::diagnostic::{Diagnostic, Location};
use crate::readiness::missing_sections;
use crate::rule::{Rule, RuleMeta};

declare_rule! {
    /// Finds required sections missing from PRD and SPEC: PRD needs Goals and User Stories;
    /// SPEC needs the Hydration Contract, a Data Model, an API (or Interfaces) section and
    /// Security. Headings are matched by name at any level, so `### Goals` counts.
    ///
    /// Why: the planner, the hydrator and the gates read these sections; without them they have
    /// nothing to work from, and readiness counts each missing one as two unfilled units.
    ///
    /// Example: a SPEC with no `## Hydration Contract (for ACTIVE_SPEC)`.
    ///
    /// Fix: add the section (see `mesh init` templates for its shape); if it truly does not
    /// apply, add it anyway and say so in one line (`No network API: this is a CLI tool.`).
    pub struct MissingSection => DOC005, "missing-section", Doc, Error, "A required section is missing.";
}

impl Rule for MissingSection {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
        for kind in [DocKind::Prd, DocKind::Spec] {
            let Some(doc) = ctx.doc(kind) else { continue };
            for name in missing_sections(doc) {
                out.push(
                    self.diag(Location::file(doc.path.clone()), format!("{kind} has no `{name}` section"))
                        .with_help(format!("add a `## {name}` section; if it does not apply, say so in one line under it")),
                );
            }
        }
    }
}
