use crate::context::{Context, loc};
use crate::declare_rule;
use crate::diagnostic::Diagnostic;
use crate::rule::{Rule, RuleMeta};
use crate::rules::drift::{TableIndex, code_loc, facts, name_key, spec};

declare_rule! {
    /// Compares SPEC.md's Core Entities with the tables that the SQL migrations of the code
    /// leave (CREATE TABLE, ALTER TABLE and DROP TABLE in file order; PostgreSQL and SQLite;
    /// down migrations skipped): every entity needs a table. Names match across singular and
    /// plural, snake, camel and Pascal case and schemas (`OrderItem` = `order_items`,
    /// `Category` = `categories`, `Person` = `people`). Quiet when the code has no migration
    /// or SPEC no entity.
    ///
    /// Why: an entity without a table is either not built yet or stored somewhere SPEC does
    /// not say; both mean the data model in SPEC is not the real one.
    ///
    /// Example: SPEC declares `Invoice: a bill sent to a customer` and no migration creates
    /// `invoices`.
    ///
    /// Fix: add the migration, or remove or rename the entity in SPEC with a decision row.
    /// Entities that are not stored (values computed per run) do not belong among the tables'
    /// entities; move them out of Core Entities or describe them elsewhere.
    pub struct EntityWithoutTable => DAT010, "entity-without-table", Dat, Error, "A SPEC entity has no table in the migrations.";
}

impl Rule for EntityWithoutTable {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
        let (Some(facts), Some((doc, spec))) = (facts(ctx), spec(ctx)) else {
            return;
        };
        if facts.tables.is_empty() || spec.entities.is_empty() {
            return;
        }
        let index = TableIndex::new(&facts.tables);
        for e in &spec.entities {
            if index.table_of(&e.name).is_some() {
                continue;
            }
            let wanted = name_key(&e.name);
            let closest = facts
                .tables
                .iter()
                .map(|t| (strsim::levenshtein(&wanted, &name_key(&t.name)), t))
                .filter(|(d, _)| *d <= 2)
                .min_by_key(|(d, _)| *d)
                .map(|(_, t)| t);
            let mut d = self
                .diag(
                    loc(doc, e.span),
                    format!("the entity `{}` has no table in the migrations", e.name),
                )
                .with_help(
                    "add a migration that creates its table, or change the entity in SPEC with \
                     a decision row",
                );
            d = match closest {
                Some(t) => d.with_related(
                    code_loc(&t.at),
                    format!("the closest table is `{}`", t.name),
                ),
                None => d.with_related(
                    code_loc(&facts.tables[0].at),
                    format!(
                        "{} tables were read from the migrations",
                        facts.tables.len()
                    ),
                ),
            };
            out.push(d);
        }
    }
}
