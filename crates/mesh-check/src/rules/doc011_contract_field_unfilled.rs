use mesh_docs::DocKind;

use crate::context::{Context, loc};
use crate::declare_rule;
use crate::diagnostic::Diagnostic;
use crate::rule::{Rule, RuleMeta};

declare_rule! {
    /// Finds Hydration Contract fields (Database, Auth, API Style, Runtime/Deploy, Error format,
    /// Logging, Testing) that are missing or still an option list, hint, placeholder or empty.
    ///
    /// Why: the contract is what ACTIVE_SPEC, the stack checks and the verify gate read; an
    /// unfilled field means workers guess the database or the test runner.
    ///
    /// Example: `- Database: [Postgres | SQLite | etc.]`.
    ///
    /// Fix: write the choice as it is (`- Database: PostgreSQL 16`); for a project without one,
    /// say so (`- Database: none (files only)`).
    pub struct ContractFieldUnfilled => DOC011, "contract-field-unfilled", Doc, Warning, "A Hydration Contract field is unfilled.";
}

impl Rule for ContractFieldUnfilled {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
        let (Some(doc), Some(spec)) = (ctx.doc(DocKind::Spec), ctx.docs.spec.as_ref()) else {
            return;
        };
        let Some(section) = spec.contract.section else {
            return; // DOC005 reports the missing section.
        };
        for (_, label, field) in spec.contract.fields() {
            match field {
                None => out.push(
                    self.diag(
                        loc(doc, section),
                        format!("Hydration Contract has no `{label}:` field"),
                    )
                    .with_help(format!(
                        "add `- {label}: <value>` to the Hydration Contract"
                    )),
                ),
                Some(f) if f.value.is_none() => {
                    let why = f.unfilled.map(|k| k.reason()).unwrap_or("empty value");
                    let at = if f.value_span.end > f.value_span.start {
                        f.value_span
                    } else {
                        f.span
                    };
                    let shown = if f.raw.is_empty() {
                        String::new()
                    } else {
                        format!(" ({})", f.raw)
                    };
                    out.push(
                        self.diag(loc(doc, at), format!("Hydration Contract field `{label}` is unfilled: {why}{shown}"))
                            .with_help(format!("write the choice plainly, e.g. `{label}: ...`; if none applies, say `none`")),
                    );
                }
                Some(_) => {}
            }
        }
    }
}
