use std::collections::HashSet;

use crate::context::{Context, loc};
use crate::declare_rule;
use crate::diagnostic::Diagnostic;
use crate::rule::{Rule, RuleMeta};
use crate::rules::dep002_forbidden_dependency::{forbidden_for, forbidden_help, forbidden_index};
use crate::rules::drift::{code_loc, dependency_facts, grouped, key, shown, tech_stack};

declare_rule! {
    /// Finds packages of TECH_STACK.md's FORBIDDEN table that no manifest declares but a
    /// lockfile contains: another dependency pulls them in. Reported at the lockfile entry,
    /// once per package.
    ///
    /// Why: the forbidden library ends up in the build all the same (its C library, its
    /// vulnerabilities, its licence); the dependency that brings it may have an option to drop
    /// it, or an alternative.
    ///
    /// Example: `openssl` in Cargo.lock, pulled in by `reqwest` with default features, while
    /// the FORBIDDEN table lists openssl.
    ///
    /// Fix: find what pulls it in (`cargo tree -i openssl`, `npm why`, `pip show`), turn off
    /// the feature or replace that dependency. A warning by default, since the fix is upstream.
    pub struct ForbiddenTransitiveDependency => DEP005, "forbidden-transitive-dependency", Dep, Warning, "A lockfile pulls in a forbidden package.";
}

impl Rule for ForbiddenTransitiveDependency {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
        // The code first: TECH_STACK's view is built only when there is something to compare.
        let Some(facts) = dependency_facts(ctx) else {
            return;
        };
        let Some((doc, ts)) = tech_stack(ctx) else {
            return;
        };
        if ts.forbidden.is_empty() {
            return;
        }
        let index = forbidden_index(&ts.forbidden);
        let direct: HashSet<_> = facts
            .dependencies
            .iter()
            .filter(|d| d.direct)
            .map(|d| (d.ecosystem, key(d.ecosystem, &d.name)))
            .collect();
        let transitive = facts
            .dependencies
            .iter()
            .filter(|d| !d.direct && !d.source.is_local())
            .filter(|d| !direct.contains(&(d.ecosystem, key(d.ecosystem, &d.name))));
        for (first, _) in grouped(transitive) {
            let Some(f) = forbidden_for(&index, first) else {
                continue;
            };
            let version = first
                .locked_version
                .as_deref()
                .map(|v| format!(" {v}"))
                .unwrap_or_default();
            out.push(
                self.diag(
                    code_loc(&first.declared_at),
                    format!(
                        "{}{version} is forbidden by TECH_STACK.md, and a dependency pulls it in",
                        shown(first)
                    ),
                )
                .with_help(format!(
                    "{}; find what pulls it in and turn that off or replace it",
                    forbidden_help(f)
                ))
                .with_related(loc(doc, f.span), "forbidden here"),
            );
        }
    }
}
