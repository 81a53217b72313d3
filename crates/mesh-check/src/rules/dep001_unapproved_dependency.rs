use crate::context::Context;
use crate::declare_rule;
use crate::diagnostic::Diagnostic;
use crate::rule::{Rule, RuleMeta};
use crate::rules::dep002_forbidden_dependency::{forbidden_for, forbidden_index};
use crate::rules::drift::{
    Approvals, also_declared, approved_list_location, code_loc, dependency_facts, grouped, shown,
    tech_stack, third_party_direct,
};

declare_rule! {
    /// Finds direct dependencies that are approved nowhere: not in an approved package list of
    /// TECH_STACK.md (for the dependency's ecosystem), not in a TECH_STACK choice table, and
    /// not among SPEC.md's Third-Party Libraries (a forbidden one is DEP002's). Every kind counts (runtime, dev, build, peer,
    /// optional); the project's own path and workspace packages do not. Names are compared the
    /// way each ecosystem compares them (PyPI normalisation and extras, npm scopes, Cargo `-`/`_`,
    /// Go major-version suffixes). One finding per package, at its first declaration, with the
    /// other declarations as related locations.
    ///
    /// Why: TECH_STACK's policy is "unlisted = ask first". A package added without asking is
    /// a supply-chain, licence and maintenance decision nobody took.
    ///
    /// Example: `requests = "2"` in requirements.txt while the Python list approves only
    /// `httpx>=0.27`.
    ///
    /// Fix: ask, record the decision in DECISION_LOG.md and add the package to the ecosystem's
    /// approved list in TECH_STACK.md, or remove the dependency. The policy's severity is yours:
    /// `[rules.severity] DEP001 = "warning"` in mesh.toml makes it a reminder. Quiet when
    /// neither TECH_STACK nor SPEC approves any package yet.
    pub struct UnapprovedDependency => DEP001, "unapproved-dependency", Dep, Error, "A direct dependency is approved nowhere.";
}

impl Rule for UnapprovedDependency {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
        let Some(facts) = dependency_facts(ctx) else {
            return;
        };
        let Some(approvals) = Approvals::of(ctx) else {
            return;
        };
        let forbidden = tech_stack(ctx)
            .map(|(_, ts)| forbidden_index(&ts.forbidden))
            .unwrap_or_default();
        let deps = facts.dependencies.iter().filter(|d| third_party_direct(d));
        for (first, others) in grouped(deps) {
            // A forbidden package is DEP002's.
            if approvals.approves(first) || forbidden_for(&forbidden, first).is_some() {
                continue;
            }
            let mut d = self
                .diag(
                    code_loc(&first.declared_at),
                    format!(
                        "{} is not approved in TECH_STACK.md or SPEC.md",
                        shown(first)
                    ),
                )
                .with_help(format!(
                    "unlisted = ask first: record the decision in DECISION_LOG.md and add `{}` to \
                     the {} approved list in TECH_STACK.md, or remove the dependency",
                    first.display_name, first.ecosystem
                ));
            if let Some(l) = approved_list_location(ctx, first.ecosystem) {
                d = d.with_related(l, "the approved packages are listed here");
            }
            out.push(also_declared(d, &others));
        }
    }
}
