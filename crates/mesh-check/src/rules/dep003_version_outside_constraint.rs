use std::collections::HashSet;

use mesh_deps::{Dependency, Ecosystem, RangeError};
use mesh_docs::{Document, Span};

use crate::context::{Context, loc};
use crate::declare_rule;
use crate::diagnostic::Diagnostic;
use crate::rule::{Rule, RuleMeta};
use crate::rules::drift::{
    code_loc, dependency_facts, key, list_ecosystem, spec, tech_stack, third_party_direct,
};

declare_rule! {
    /// Finds locked versions outside the version constraint that SPEC.md's Third-Party
    /// Libraries (`serde: serialization; ^1`) or a TECH_STACK.md approved line
    /// (`fastapi>=0.110,<1`) give for a direct dependency. Each ecosystem's own range syntax is
    /// used: Cargo and npm semver (`^1.2`, `~1.2`, `1.x`, `>=1 <2`), PEP 440 for Python (`~=1.4`,
    /// `>=2,<3`, also Poetry's `^`), and exact versions or comparators for Go. The version
    /// checked is the one a lockfile (or an exact pin) fixes; without one nothing is judged.
    /// Reported at the lockfile entry, with the document line as a related location.
    ///
    /// Why: the constraint is the contract; a lockfile outside it runs code nobody agreed to,
    /// e.g. a new major version with breaking changes.
    ///
    /// Example: SPEC says `pydantic: validation; >=2,<3` and uv.lock pins pydantic 1.10.13.
    ///
    /// Fix: update the lockfile to a version inside the range (`cargo update -p`, `npm install`,
    /// `uv lock --upgrade-package`), or change the constraint through a decision row.
    pub struct VersionOutsideConstraint => DEP003, "version-outside-constraint", Dep, Error, "A locked version is outside the documented constraint.";
}

/// A version constraint written in a document.
pub(crate) struct Constraint<'a> {
    pub doc: &'a Document,
    pub span: Span,
    pub name: String,
    pub constraint: String,
    /// The ecosystem of a TECH_STACK list; `None` for SPEC libraries (matched in every one).
    pub ecosystem: Option<Ecosystem>,
    pub source: &'static str,
}

/// Every constraint of SPEC's Third-Party Libraries and TECH_STACK's approved lists.
pub(crate) fn constraints<'a>(ctx: &'a Context<'_>) -> Vec<Constraint<'a>> {
    let mut out = Vec::new();
    if let Some((doc, spec)) = spec(ctx) {
        for l in &spec.libraries {
            if let Some(c) = l.constraint.as_deref().filter(|c| !c.trim().is_empty()) {
                out.push(Constraint {
                    doc,
                    span: l.span,
                    name: l.name.clone(),
                    constraint: c.trim().to_string(),
                    ecosystem: None,
                    source: "SPEC.md",
                });
            }
        }
    }
    if let Some((doc, ts)) = tech_stack(ctx) {
        for a in &ts.approved {
            let Some(eco) = list_ecosystem(&a.ecosystem) else {
                continue;
            };
            let Some(req) = mesh_deps::parse_requirement(eco, &a.requirement) else {
                continue;
            };
            if let Some(c) = req.constraint.filter(|c| !c.trim().is_empty()) {
                out.push(Constraint {
                    doc,
                    span: a.span,
                    name: req.name,
                    constraint: c,
                    ecosystem: Some(eco),
                    source: "TECH_STACK.md",
                });
            }
        }
    }
    out
}

/// What checking one locked version against one constraint gave.
pub(crate) enum Outcome<'a> {
    Outside(&'a Dependency),
    Unreadable(Ecosystem, RangeError),
}

/// Check every direct dependency that a constraint names: each distinct locked version once;
/// an unreadable constraint once per ecosystem.
pub(crate) fn outcomes<'a>(c: &Constraint<'_>, deps: &'a [Dependency]) -> Vec<Outcome<'a>> {
    let mut out = Vec::new();
    let mut seen: HashSet<(Ecosystem, &str)> = HashSet::new();
    let mut bad_eco: HashSet<Ecosystem> = HashSet::new();
    for d in deps.iter().filter(|d| third_party_direct(d)) {
        if c.ecosystem.is_some_and(|e| e != d.ecosystem)
            || key(d.ecosystem, &d.name) != key(d.ecosystem, &c.name)
        {
            continue;
        }
        let Some(v) = d.locked_version.as_deref() else {
            continue;
        };
        if !seen.insert((d.ecosystem, v)) || bad_eco.contains(&d.ecosystem) {
            continue;
        }
        match mesh_deps::satisfies(d.ecosystem, &c.constraint, v) {
            Ok(true) => {}
            Ok(false) => out.push(Outcome::Outside(d)),
            Err(e @ RangeError::InvalidConstraint { .. }) => {
                bad_eco.insert(d.ecosystem);
                out.push(Outcome::Unreadable(d.ecosystem, e));
            }
            Err(RangeError::InvalidVersion { .. }) => {}
        }
    }
    out
}

impl Rule for VersionOutsideConstraint {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
        let Some(facts) = dependency_facts(ctx) else {
            return;
        };
        for c in constraints(ctx) {
            for o in outcomes(&c, &facts.dependencies) {
                let Outcome::Outside(d) = o else { continue };
                let at = d.locked_at.as_ref().unwrap_or(&d.declared_at);
                let version = d.locked_version.as_deref().unwrap_or_default();
                let mut diag = self
                    .diag(
                        code_loc(at),
                        format!(
                            "`{}` ({}) is locked at {version}, outside {}'s constraint `{}`",
                            d.display_name, d.ecosystem, c.source, c.constraint
                        ),
                    )
                    .with_help(format!(
                        "update the lockfile to a version that satisfies `{}`, or change the \
                         constraint in {} with a decision row",
                        c.constraint, c.source
                    ))
                    .with_related(loc(c.doc, c.span), "the constraint");
                if d.locked_at.is_some() {
                    diag = diag.with_related(code_loc(&d.declared_at), "declared here");
                }
                out.push(diag);
            }
        }
    }
}
