use crate::code::compare_stack;
use crate::context::Context;
use crate::declare_rule;
use crate::diagnostic::Diagnostic;
use crate::rule::{Rule, RuleMeta};
use crate::rules::drift::{code_loc, first_manifest, manifest_facts, spec};

declare_rule! {
    /// Compares SPEC.md's Hydration Contract with the code: every value a field names (Database
    /// `PostgreSQL`, Auth `JWT`, API Style `GraphQL`, Testing `pytest`) must show in the code
    /// through a known package, a built-in tool or a schema file, per the stack table
    /// (crates/mesh-deps/src/stack.toml, extended by `[[code.stack]]` in mesh.toml). Reported
    /// at the contract line, with what the code uses instead as related locations.
    /// `mesh check --explain-stack` prints the whole comparison.
    ///
    /// Quiet for unfilled fields (`[Postgres | SQLite | etc.]`), for words the table does not
    /// know, and when the code has no manifest at all.
    ///
    /// Why: the contract is what ACTIVE_SPEC, the planner and the workers follow. Declaring
    /// PostgreSQL while only a SQLite driver is present means one of the two is wrong.
    ///
    /// Example: `- Database: PostgreSQL 16` with only `aiosqlite` in pyproject.toml.
    ///
    /// Fix: add the library the contract names, or correct the contract (with a decision row).
    pub struct ContractStackNotInCode => STK001, "contract-stack-not-in-code", Stk, Error, "A Hydration Contract value has no evidence in the code.";
}

impl Rule for ContractStackNotInCode {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
        let (Some(facts), Some(spec)) = (manifest_facts(ctx), spec(ctx)) else {
            return;
        };
        let table = ctx.config.code.stack_table();
        for cat in compare_stack(Some(spec), facts, &table) {
            let Some(claim) = &cat.contract else { continue };
            for value in &cat.missing {
                let instead: Vec<&str> = cat.detected.iter().map(|f| f.value.as_str()).collect();
                let message = if instead.is_empty() {
                    format!(
                        "the Hydration Contract names `{value}` for {}, but nothing in the code shows it",
                        claim.label
                    )
                } else {
                    format!(
                        "the Hydration Contract names `{value}` for {}, but the code shows only {}",
                        claim.label,
                        instead.join(", ")
                    )
                };
                let mut d = self
                    .diag(claim.location.clone(), message)
                    .with_help(format!(
                        "add a {value} library (see `mesh check --explain-stack` for what counts), \
                         or correct `{}:` in SPEC.md with a decision row",
                        claim.label
                    ));
                for fact in &cat.detected {
                    if let Some(e) = fact.evidence.first() {
                        d = d.with_related(
                            code_loc(&e.at),
                            format!("{} shows {}", e.package, fact.value),
                        );
                    }
                }
                if cat.detected.is_empty()
                    && let Some(m) = first_manifest(facts)
                {
                    d = d.with_related(m, "the first manifest read");
                }
                out.push(d);
            }
        }
    }
}
