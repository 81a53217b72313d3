use mesh_docs::DocKind;

use crate::context::{Context, loc};
use crate::declare_rule;
use crate::diagnostic::Diagnostic;
use crate::rule::{Rule, RuleMeta};

declare_rule! {
    /// Finds relationships (`Author → Book: 1:N`) that name an entity the Core Entities do not
    /// declare. Names match across case, spaces, `_`/`-` and a plural `s`.
    ///
    /// Why: a relationship to an undeclared entity is either a typo or a missing entity; both
    /// leave the data model inconsistent and the planner without a task for it.
    ///
    /// Example: entities Book and Author, relationship `Author → Publisher: N:1`.
    ///
    /// Fix: declare the entity under Core Entities, or correct the name in the relationship.
    pub struct RelationshipUnknownEntity => DAT001, "relationship-unknown-entity", Dat, Error, "A relationship names an undeclared entity.";
}

/// Normalise an entity name for comparison: lower case, no separators, singular.
pub fn entity_key(name: &str) -> String {
    let k: String = name
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(|c| c.to_lowercase())
        .collect();
    if let Some(s) = k.strip_suffix("ies") {
        format!("{s}y")
    } else if k.ends_with("ss") {
        k
    } else {
        k.strip_suffix('s').map(str::to_string).unwrap_or(k)
    }
}

impl Rule for RelationshipUnknownEntity {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
        let (Some(doc), Some(spec)) = (ctx.doc(DocKind::Spec), ctx.docs.spec.as_ref()) else {
            return;
        };
        if spec.entities.is_empty() {
            return;
        }
        let known: Vec<String> = spec.entities.iter().map(|e| entity_key(&e.name)).collect();
        for r in &spec.relationships {
            for name in [&r.from, &r.to] {
                if !known.contains(&entity_key(name)) {
                    let names: Vec<&str> = spec.entities.iter().map(|e| e.name.as_str()).collect();
                    out.push(
                        self.diag(
                            loc(doc, r.span),
                            format!("relationship names `{name}`, which is not a declared entity"),
                        )
                        .with_help(format!(
                            "declare `{name}` under Core Entities or use one of: {}",
                            names.join(", ")
                        )),
                    );
                }
            }
        }
    }
}
