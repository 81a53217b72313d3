use std::collections::HashSet;

use mesh_deps::SqlTable;

use crate::context::{Context, loc};
use crate::declare_rule;
use crate::diagnostic::Diagnostic;
use crate::rule::{Rule, RuleMeta};
use crate::rules::drift::{EntityIndex, code_loc, facts, spec};

declare_rule! {
    /// Finds tables of the SQL migrations that match no entity of SPEC.md's Core Entities (same
    /// name matching as DAT010). Left out: join tables (two or more foreign keys and at most
    /// two other columns) and the bookkeeping tables of migration tools (`schema_migrations`,
    /// `_sqlx_migrations`, `alembic_version`, `flyway_schema_history`, …). Quiet when the code
    /// has no migration or SPEC no entity.
    ///
    /// Why: a table that SPEC does not mention is data nobody described: no invariants, no
    /// relationships, nothing for the planner or a reviewer to hold it to.
    ///
    /// Example: a migration creates `audit_events`; SPEC's entities are Book and Author.
    ///
    /// Fix: add the entity to SPEC with a decision row, or drop the table. A warning: tables
    /// of implementation details may be fine undocumented.
    pub struct TableWithoutEntity => DAT011, "table-without-entity", Dat, Warning, "A table matches no SPEC entity.";
}

/// Tables that migration tools keep for themselves.
const BOOKKEEPING: [&str; 14] = [
    "schema_migrations",
    "_sqlx_migrations",
    "__diesel_schema_migrations",
    "seaql_migrations",
    "refinery_schema_history",
    "alembic_version",
    "django_migrations",
    "flyway_schema_history",
    "knex_migrations",
    "knex_migrations_lock",
    "goose_db_version",
    "ar_internal_metadata",
    "_prisma_migrations",
    "atlas_schema_revisions",
];

/// A table that only links others (N:M).
pub(crate) fn is_join_table(t: &SqlTable) -> bool {
    if t.foreign_keys.len() < 2 {
        return false;
    }
    let fk_cols: HashSet<String> = t
        .foreign_keys
        .iter()
        .flat_map(|f| f.columns.iter().map(|c| c.to_ascii_lowercase()))
        .collect();
    t.columns
        .iter()
        .filter(|c| !fk_cols.contains(&c.name.to_ascii_lowercase()))
        .count()
        <= 2
}

impl Rule for TableWithoutEntity {
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
        let index = EntityIndex::new(&spec.entities, &facts.tables);
        let listed = loc(doc, spec.entities[0].span);
        for t in &facts.tables {
            let lower = t.name.to_ascii_lowercase();
            if BOOKKEEPING.contains(&lower.as_str()) || is_join_table(t) {
                continue;
            }
            if index.entity_of(&t.name).is_some() {
                continue;
            }
            out.push(
                self.diag(
                    code_loc(&t.at),
                    format!("the table `{}` matches no entity of SPEC", t.name),
                )
                .with_help(
                    "add the entity to SPEC's Core Entities with a decision row, or drop the table",
                )
                .with_related(listed.clone(), "SPEC's entities are listed here"),
            );
        }
    }
}
