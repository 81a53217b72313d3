use crate::context::Context;
use crate::declare_rule;
use crate::diagnostic::Diagnostic;
use crate::rule::{Rule, RuleMeta};
use crate::rules::drift::{ProblemArea, facts, report_problems};

declare_rule! {
    /// Reports SQL migrations that could not be read: a file that is not UTF-8 or too large,
    /// and CREATE, ALTER or DROP TABLE statements that neither the PostgreSQL nor the SQLite
    /// dialect parses (the rest of the file is still read; other statements are not parsed).
    ///
    /// Why: DAT010 to DAT012 compare SPEC with the tables the migrations leave; a table created
    /// in an unreadable statement is missing from the comparison.
    ///
    /// Example: `CREATE TABEL users (…)` in `migrations/0001_init.sql`.
    ///
    /// Fix: repair the statement, or leave generated or vendored SQL out with
    /// `[code] extend_exclude` in mesh.toml.
    pub struct UnreadableMigration => DAT013, "unreadable-migration", Dat, Warning, "A SQL migration cannot be read.";
}

impl Rule for UnreadableMigration {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
        let Some(facts) = facts(ctx) else { return };
        report_problems(
            facts,
            ProblemArea::Migrations,
            |l, m| self.diag(l, m),
            "repair the statement, or leave the file out with `[code] extend_exclude` in mesh.toml",
            out,
        );
    }
}
