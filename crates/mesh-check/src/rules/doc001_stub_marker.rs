use crate::context::{Context, loc};
use crate::declare_rule;
use crate::diagnostic::Diagnostic;
use crate::rule::{Rule, RuleMeta};

declare_rule! {
    /// Finds the `<!-- ATOMIC_MESH_TEMPLATE_STUB -->` marker that `mesh init` writes on the
    /// first line of every scaffolded document.
    ///
    /// Why: the marker says "this file is a template nobody has declared filled". Readiness does
    /// not depend on it (deleting it alone changes no score), but a document that is really
    /// filled should not claim to be a stub.
    ///
    /// Example: `<!-- ATOMIC_MESH_TEMPLATE_STUB -->` on line 1 of docs/SPEC.md.
    ///
    /// Fix: fill the document, then delete the marker line.
    pub struct StubMarker => DOC001, "stub-marker", Doc, Warning, "The template stub marker is still present.";
}

impl Rule for StubMarker {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
        for doc in &ctx.docs.docs {
            if let Some(span) = doc.meta.stub_marker {
                out.push(
                    self.diag(
                        loc(doc, span),
                        format!("{} is still marked as a template stub", doc.kind),
                    )
                    .with_help("fill the document, then delete the ATOMIC_MESH_TEMPLATE_STUB line"),
                );
            }
        }
    }
}
