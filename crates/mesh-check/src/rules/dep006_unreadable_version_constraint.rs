use crate::context::{Context, loc};
use crate::declare_rule;
use crate::diagnostic::Diagnostic;
use crate::rule::{Rule, RuleMeta};
use crate::rules::dep003_version_outside_constraint::{Outcome, constraints, outcomes};
use crate::rules::drift::{code_loc, dependency_facts};

declare_rule! {
    /// Finds version constraints in SPEC.md's Third-Party Libraries or TECH_STACK.md's approved
    /// lists that the ecosystem of the matching dependency cannot read, so DEP003 cannot judge
    /// the locked version. Only constraints of packages the code declares are checked, in the
    /// syntax of the ecosystem that declares them.
    ///
    /// Why: a constraint that no tool can read protects nothing, and usually hides a typo
    /// (`>= 1.2 < 2` in PEP 440, which needs a comma).
    ///
    /// Example: `- [ ] fastapi: web framework; >=0.110 <1` for a Python dependency.
    ///
    /// Fix: write the constraint in the ecosystem's syntax: Cargo `^1.2` or `>=1.2, <2`; npm
    /// `^1.2.0` or `>=1.2 <2`; Python `>=1.2,<2` or `~=1.4`; Go `v1.9.1`.
    pub struct UnreadableVersionConstraint => DEP006, "unreadable-version-constraint", Dep, Warning, "A documented version constraint cannot be read.";
}

impl Rule for UnreadableVersionConstraint {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
        let Some(facts) = dependency_facts(ctx) else {
            return;
        };
        for c in constraints(ctx) {
            for o in outcomes(&c, &facts.dependencies) {
                let Outcome::Unreadable(eco, err) = o else {
                    continue;
                };
                let declared = facts.dependencies.iter().find(|d| {
                    d.direct && d.ecosystem == eco && mesh_deps::names_match(eco, &d.name, &c.name)
                });
                let mut d = self
                    .diag(
                        loc(c.doc, c.span),
                        format!(
                            "the constraint `{}` for `{}` cannot be read as a {eco} constraint",
                            c.constraint, c.name
                        ),
                    )
                    .with_help(err.to_string());
                if let Some(dep) = declared {
                    d = d.with_related(code_loc(&dep.declared_at), "the dependency it applies to");
                }
                out.push(d);
            }
        }
    }
}
