use crate::context::Context;
use crate::declare_rule;
use crate::diagnostic::Diagnostic;
use crate::rule::{Rule, RuleMeta};
use crate::rules::drift::{ProblemArea, facts, report_problems};

declare_rule! {
    /// Reports manifests and lockfiles (Cargo.toml, Cargo.lock, package.json, the npm, pnpm
    /// and yarn lockfiles, pyproject.toml, requirements files, uv.lock, poetry.lock, go.mod)
    /// that could not be read (the whole file, or one line of it that was skipped), and parts of
    /// a code folder that could not be walked.
    ///
    /// Why: the dependency rules judge what they read. A broken lockfile silently removes its
    /// packages from every comparison.
    ///
    /// Example: a `package-lock.json` cut off by a merge conflict: "expected `,` or `}` at
    /// line 812".
    ///
    /// Fix: repair the file (regenerate a lockfile with its tool), or leave it out of the scan
    /// with `[code] extend_exclude` in mesh.toml.
    pub struct UnreadableDependencyFile => DEP007, "unreadable-dependency-file", Dep, Warning, "A manifest or lockfile cannot be read.";
}

impl Rule for UnreadableDependencyFile {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
        let Some(facts) = facts(ctx) else { return };
        report_problems(
            facts,
            ProblemArea::Dependencies,
            |l, m| self.diag(l, m),
            "repair the file (regenerate a lockfile with its tool), or leave it out with \
             `[code] extend_exclude` in mesh.toml",
            out,
        );
    }
}
