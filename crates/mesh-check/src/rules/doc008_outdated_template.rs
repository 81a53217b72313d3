use crate::context::{Context, loc};
use crate::declare_rule;
use crate::diagnostic::Diagnostic;
use crate::rule::{Rule, RuleMeta};

/// The oldest template generation we consider current.
pub const CURRENT_MIN: f32 = 15.0;

declare_rule! {
    /// Finds documents whose `*Template version: N*` line names a generation older than 15.
    ///
    /// Why: older generations lack sections the tool reads (the Hydration Contract, the Change
    /// Policy, the 8-column decision log), so parts of the project go unchecked.
    ///
    /// Example: `*Template version: 13.6*`.
    ///
    /// Fix: compare with a fresh `mesh init --generation 16` scaffold in a scratch directory, add
    /// the missing sections, and update the version line.
    pub struct OutdatedTemplate => DOC008, "outdated-template", Doc, Warning, "The document uses an outdated template generation.";
}

impl Rule for OutdatedTemplate {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
        for doc in &ctx.docs.docs {
            let Some((v, span)) = &doc.meta.template_version else {
                continue;
            };
            let Ok(gen_) = v.parse::<f32>() else { continue };
            if gen_ < CURRENT_MIN {
                out.push(
                    self.diag(loc(doc, *span), format!("{} uses template generation {v}; generations 15 and 16 are current", doc.kind))
                        .with_help("add the sections of a fresh `mesh init --generation 16` scaffold, then update the version line"),
                );
            }
        }
    }
}
