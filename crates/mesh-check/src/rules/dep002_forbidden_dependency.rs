use std::collections::HashMap;

use mesh_deps::{Dependency, Ecosystem};
use mesh_docs::techstack::Forbidden;

use crate::context::{Context, loc};
use crate::declare_rule;
use crate::diagnostic::Diagnostic;
use crate::rule::{Rule, RuleMeta};
use crate::rules::drift::{
    also_declared, code_loc, dependency_facts, grouped, key, shown, tech_stack, third_party_direct,
};

declare_rule! {
    /// Finds direct dependencies named in TECH_STACK.md's FORBIDDEN table. The table names no
    /// ecosystem, so a forbidden name is matched in every ecosystem with that ecosystem's name
    /// rules. One finding per package, at its first declaration, with the FORBIDDEN row as a
    /// related location and the listed alternative in the help.
    ///
    /// Why: a forbidden library was ruled out on purpose (unmaintained, a C library that breaks
    /// the static binary, a licence); using it undoes a decision.
    ///
    /// Example: `chrono = "0.4"` in a Cargo.toml while the FORBIDDEN table says
    /// `| chrono | One time library is enough | jiff |`.
    ///
    /// Fix: replace it with the alternative, or change the FORBIDDEN table through a decision
    /// row. Forbidden packages that only a lockfile pulls in are DEP005.
    pub struct ForbiddenDependency => DEP002, "forbidden-dependency", Dep, Error, "A direct dependency is in the FORBIDDEN table.";
}

/// Forbidden names keyed per ecosystem.
pub(crate) fn forbidden_index(forbidden: &[Forbidden]) -> HashMap<(Ecosystem, String), &Forbidden> {
    let mut out = HashMap::new();
    for f in forbidden {
        for eco in Ecosystem::ALL {
            out.entry((eco, key(eco, &f.library))).or_insert(f);
        }
    }
    out
}

pub(crate) fn forbidden_for<'a>(
    index: &HashMap<(Ecosystem, String), &'a Forbidden>,
    d: &Dependency,
) -> Option<&'a Forbidden> {
    index
        .get(&(d.ecosystem, key(d.ecosystem, &d.name)))
        .copied()
}

/// The help for a forbidden package.
pub(crate) fn forbidden_help(f: &Forbidden) -> String {
    let reason = if f.reason.is_empty() {
        String::new()
    } else {
        format!(" ({})", f.reason)
    };
    match &f.alternative {
        Some(a) => format!("forbidden{reason}; use the alternative instead: {a}"),
        None => format!(
            "forbidden{reason}; remove it, or change the FORBIDDEN table with a decision row"
        ),
    }
}

impl Rule for ForbiddenDependency {
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
        let deps = facts.dependencies.iter().filter(|d| third_party_direct(d));
        for (first, others) in grouped(deps) {
            let Some(f) = forbidden_for(&index, first) else {
                continue;
            };
            let d = self
                .diag(
                    code_loc(&first.declared_at),
                    format!("{} is forbidden by TECH_STACK.md", shown(first)),
                )
                .with_help(forbidden_help(f))
                .with_related(loc(doc, f.span), "forbidden here");
            out.push(also_declared(d, &others));
        }
    }
}
