use mesh_deps::SqlTable;

use crate::context::{Context, loc};
use crate::declare_rule;
use crate::diagnostic::Diagnostic;
use crate::rule::{Rule, RuleMeta};
use crate::rules::drift::{TableIndex, code_loc, facts, same_table, spec};

declare_rule! {
    /// Finds relationships of SPEC.md's data model (`Author → Book: 1:N`) with no foreign key
    /// between the two entities' tables: neither table references the other (either direction
    /// counts, whatever the cardinality), and no third table references both (a join table,
    /// for N:M). A relationship of an entity to itself needs a table that references it (the
    /// table itself, or a join table with two references). Quiet when either entity has no
    /// table (that is DAT010) or the code has no migration.
    ///
    /// Why: a relationship without a foreign key is held only by application code; orphans and
    /// dangling references appear the first time that code has a bug.
    ///
    /// Example: `Order → Customer: N:1` while `orders` has a `customer_id BIGINT` column with
    /// no `REFERENCES customers (id)`.
    ///
    /// Fix: add the foreign key in a migration (`ALTER TABLE orders ADD FOREIGN KEY
    /// (customer_id) REFERENCES customers (id)`), or correct the relationship in SPEC.
    pub struct RelationshipWithoutForeignKey => DAT012, "relationship-without-foreign-key", Dat, Error, "A SPEC relationship has no foreign key.";
}

fn references(from: &SqlTable, to: &SqlTable) -> usize {
    from.foreign_keys
        .iter()
        .filter(|f| same_table(&f.references_table, &to.name))
        .count()
}

/// Whether a foreign key links the two tables, directly or through a join table.
pub(crate) fn linked(a: &SqlTable, b: &SqlTable, tables: &[SqlTable]) -> bool {
    if same_table(&a.name, &b.name) {
        return references(a, a) > 0 || tables.iter().any(|t| references(t, a) >= 2);
    }
    references(a, b) > 0
        || references(b, a) > 0
        || tables
            .iter()
            .any(|t| references(t, a) > 0 && references(t, b) > 0)
}

impl Rule for RelationshipWithoutForeignKey {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
        let (Some(facts), Some((doc, spec))) = (facts(ctx), spec(ctx)) else {
            return;
        };
        if facts.tables.is_empty() || spec.relationships.is_empty() {
            return;
        }
        let index = TableIndex::new(&facts.tables);
        for r in &spec.relationships {
            let (Some(a), Some(b)) = (index.table_of(&r.from), index.table_of(&r.to)) else {
                continue;
            };
            if linked(a, b, &facts.tables) {
                continue;
            }
            let cardinality = r
                .cardinality
                .as_deref()
                .map(|c| format!(" ({c})"))
                .unwrap_or_default();
            let mut d = self
                .diag(
                    loc(doc, r.span),
                    format!(
                        "the relationship {} → {}{cardinality} has no foreign key between `{}` and `{}`",
                        r.from, r.to, a.name, b.name
                    ),
                )
                .with_help(format!(
                    "add a foreign key (e.g. a `{}_id` column in `{}` with REFERENCES {}), or a \
                     join table for N:M; or correct the relationship in SPEC",
                    mesh_deps::entity_key(&r.from),
                    b.name,
                    a.name
                ))
                .with_related(code_loc(&a.at), format!("`{}` is created here", a.name));
            if !same_table(&a.name, &b.name) {
                d = d.with_related(code_loc(&b.at), format!("`{}` is created here", b.name));
            }
            out.push(d);
        }
    }
}
