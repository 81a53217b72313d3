use crate::code::{SINGLE_CHOICE_CATEGORIES, compare_stack, runtime_evidence};
use crate::context::Context;
use crate::declare_rule;
use crate::diagnostic::Diagnostic;
use crate::rule::{Rule, RuleMeta};
use crate::rules::drift::{code_loc, manifest_facts, spec};

declare_rule! {
    /// Finds a database or auth technology the code uses at run time (not only in dev or test
    /// dependencies) that the Hydration Contract's field does not name, when that field names
    /// other known values, all of which the code shows (otherwise STK001 reports the field).
    /// Reported at the package, with the contract line as a related location. Test tools and
    /// API styles are left out: projects often combine them.
    ///
    /// Why: a second database driver or auth library is an architecture decision; if the
    /// contract does not show it, ACTIVE_SPEC and the workers do not know about it.
    ///
    /// Example: `- Database: PostgreSQL` while pyproject.toml also depends on `pymongo`.
    ///
    /// Fix: name it in the contract (`Database: PostgreSQL (data), Redis (cache)`) with a
    /// decision row, or remove the dependency.
    pub struct UndeclaredStackInCode => STK002, "undeclared-stack-in-code", Stk, Warning, "The code uses a database or auth technology the contract does not name.";
}

impl Rule for UndeclaredStackInCode {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
        let (Some(facts), Some(spec)) = (manifest_facts(ctx), spec(ctx)) else {
            return;
        };
        let table = ctx.config.code.stack_table();
        for cat in compare_stack(Some(spec), facts, &table) {
            if !SINGLE_CHOICE_CATEGORIES.contains(&cat.category.as_str()) {
                continue;
            }
            let Some(claim) = &cat.contract else { continue };
            for value in &cat.undeclared {
                let Some(e) = cat
                    .detected
                    .iter()
                    .find(|f| &f.value == value)
                    .and_then(runtime_evidence)
                else {
                    continue;
                };
                out.push(
                    self.diag(
                        code_loc(&e.at),
                        format!(
                            "`{}` uses {value}, which the Hydration Contract's {} field does not name",
                            e.package, claim.label
                        ),
                    )
                    .with_help(format!(
                        "name {value} in `{}:` in SPEC.md with a decision row, or remove the dependency",
                        claim.label
                    ))
                    .with_related(
                        claim.location.clone(),
                        format!("{}: {}", claim.label, claim.text),
                    ),
                );
            }
        }
    }
}
