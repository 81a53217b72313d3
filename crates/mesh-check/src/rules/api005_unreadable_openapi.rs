use crate::context::Context;
use crate::declare_rule;
use crate::diagnostic::Diagnostic;
use crate::rule::{Rule, RuleMeta};
use crate::rules::drift::{ProblemArea, facts, report_problems};

declare_rule! {
    /// Reports OpenAPI documents that could not be read: a document named in `[openapi] paths`
    /// that is missing or has no `openapi`/`swagger` field, and YAML or JSON files that look
    /// like OpenAPI but do not parse.
    ///
    /// Why: API001 and API002 compare SPEC with the operations they read; an unreadable
    /// document silently removes every operation from the comparison.
    ///
    /// Example: `[openapi] paths = ["api/openapi.yaml"]` after the file moved to `spec/`.
    ///
    /// Fix: correct the path in mesh.toml, or repair the document (`openapi: 3.1.0` at the top,
    /// valid YAML or JSON).
    pub struct UnreadableOpenapi => API005, "unreadable-openapi", Api, Warning, "An OpenAPI document cannot be read.";
}

impl Rule for UnreadableOpenapi {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
        let Some(facts) = facts(ctx) else { return };
        report_problems(
            facts,
            ProblemArea::OpenApi,
            |l, m| self.diag(l, m),
            "correct the path in `[openapi] paths`, or repair the document so that it parses",
            out,
        );
    }
}
