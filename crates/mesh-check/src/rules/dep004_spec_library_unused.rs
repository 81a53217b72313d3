use std::collections::HashSet;

use mesh_deps::Ecosystem;

use crate::context::{Context, loc};
use crate::declare_rule;
use crate::diagnostic::Diagnostic;
use crate::rule::{Rule, RuleMeta};
use crate::rules::drift::{facts, first_manifest, has_manifests, key, spec};

declare_rule! {
    /// Finds libraries in SPEC.md's Third-Party Libraries that no manifest declares as a direct
    /// dependency, in any ecosystem (names compared with each ecosystem's rules, aliases and
    /// renamed packages included). Quiet when the code has no manifest at all.
    ///
    /// Why: SPEC lists what the project is built on. A listed library that nothing uses was
    /// replaced or dropped without SPEC following, and readers plan with a wrong picture.
    ///
    /// Example: `- [ ] celery: background jobs; ^5` while no requirements file or pyproject
    /// mentions celery.
    ///
    /// Fix: remove the library from SPEC (with a decision row), or add the dependency if the
    /// work is still to come. A warning, since a library may be listed ahead of its use.
    pub struct SpecLibraryUnused => DEP004, "spec-library-unused", Dep, Warning, "A SPEC library is used by no manifest.";
}

impl Rule for SpecLibraryUnused {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
        let (Some(facts), Some((doc, spec))) = (facts(ctx), spec(ctx)) else {
            return;
        };
        if spec.libraries.is_empty() || !has_manifests(facts) {
            return;
        }
        let mut used: HashSet<(Ecosystem, String)> = HashSet::new();
        for d in facts.dependencies.iter().filter(|d| d.direct) {
            used.insert((d.ecosystem, key(d.ecosystem, &d.name)));
            if let Some(a) = &d.alias {
                used.insert((d.ecosystem, key(d.ecosystem, a)));
            }
        }
        let manifest = first_manifest(facts);
        for l in &spec.libraries {
            let found = Ecosystem::ALL
                .iter()
                .any(|e| used.contains(&(*e, key(*e, &l.name))));
            if found {
                continue;
            }
            let mut d = self
                .diag(
                    loc(doc, l.span),
                    format!(
                        "SPEC lists the library `{}`, but no manifest declares it",
                        l.name
                    ),
                )
                .with_help(
                    "remove it from Third-Party Libraries with a decision row, or add the \
                     dependency when the work that needs it starts",
                );
            if let Some(m) = &manifest {
                d = d.with_related(m.clone(), "the first manifest read");
            }
            out.push(d);
        }
    }
}
