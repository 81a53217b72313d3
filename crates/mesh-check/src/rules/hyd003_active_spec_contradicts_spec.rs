use std::borrow::Cow;

use mesh_docs::document::{Labeled, labeled_items, tables};
use mesh_docs::inline;
use mesh_docs::markdown::{Span, normalize_title};
use mesh_docs::spec::{Endpoint, Field, Spec, entity_name, parse_endpoint};
use mesh_docs::{DocKind, Document};

use crate::context::{Context, loc};
use crate::declare_rule;
use crate::diagnostic::Diagnostic;
use crate::rule::{Rule, RuleMeta};
use crate::rules::dat001_relationship_unknown_entity::entity_key;
use crate::rules::hydration;

declare_rule! {
    /// Finds human-written parts of ACTIVE_SPEC.md (everything outside the hydrated parts) that
    /// contradict SPEC.md: another database, auth, API style or runtime than the Hydration
    /// Contract names, an endpoint SPEC does not declare, or an entity SPEC's data model does
    /// not declare. Both places are shown.
    ///
    /// Why: workers follow ACTIVE_SPEC first, planners SPEC first; where they disagree SPEC
    /// wins, so the snapshot is wrong and someone will build the wrong thing. The original
    /// hydrator also left such lines behind (`Database: [Postgres`, relationships listed as
    /// entities); adoption keeps them, this rule points them out.
    ///
    /// Example: ACTIVE_SPEC.md says `- Database: MySQL 8` under Current Batch Focus while
    /// SPEC.md's Hydration Contract says `- Database: PostgreSQL 16`.
    ///
    /// Fix: correct or delete the line in ACTIVE_SPEC.md. If SPEC.md is what should change,
    /// change it with a decision-log row, then run `mesh hydrate`.
    pub struct ActiveSpecContradictsSpec => HYD003, "active-spec-contradicts-spec", Hyd, Error, "ACTIVE_SPEC.md contradicts SPEC.md outside its hydrated parts.";
}

/// The contract fields a human line may restate: (index in `Contract::fields`, label).
fn contract_slot(key: &str) -> Option<usize> {
    let k = normalize_title(key);
    match k.as_str() {
        "database" | "db" | "datastore" => Some(0),
        "auth" | "authentication" => Some(1),
        "api style" | "api" => Some(2),
        "runtime" | "deploy" | "deployment" | "runtime/deploy" | "deployment/runtime"
        | "runtime/deployment" | "deploy/runtime" => Some(3),
        _ => None,
    }
}

const STOP: [&str; 16] = [
    "a", "an", "and", "the", "with", "for", "of", "on", "in", "via", "plus", "only", "using", "as",
    "to", "by",
];

/// Comparable words: lower case, common aliases folded, filler dropped; sorted and distinct.
fn words(s: &str) -> Vec<Cow<'_, str>> {
    let mut out: Vec<Cow<'_, str>> = s
        .split(|c: char| !c.is_alphanumeric() && c != '.')
        .map(|w| w.trim_matches('.'))
        .filter(|w| !w.is_empty())
        .map(|w| {
            if w.is_ascii() && !w.bytes().any(|b| b.is_ascii_uppercase()) {
                Cow::Borrowed(w)
            } else {
                Cow::Owned(w.to_lowercase())
            }
        })
        .filter(|w| !STOP.contains(&w.as_ref()))
        .map(|w| {
            let alias = match w.as_ref() {
                "postgres" | "pg" | "psql" => "postgresql",
                "sqlite3" => "sqlite",
                "mongo" => "mongodb",
                "k8s" => "kubernetes",
                "jwts" => "jwt",
                "sessions" => "session",
                "oauth" => "oauth2",
                "restful" => "rest",
                "containers" | "container" | "docker-compose" => "docker",
                _ => return w,
            };
            Cow::Borrowed(alias)
        })
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// Whether every word of `a` is in `b` (both from [`words`]).
fn subset(a: &[Cow<'_, str>], b: &[Cow<'_, str>]) -> bool {
    a.iter().all(|w| b.binary_search(w).is_ok())
}

/// Whether a restated value agrees with SPEC's: one says no more than the other.
pub fn agrees(active: &str, spec: &str) -> bool {
    let a = words(active);
    let s = words(spec);
    subset(&a, &s) || subset(&s, &a)
}

/// `/books/{id}/?q=` → `/books/{}`.
fn norm_path(p: &str) -> String {
    let p = p.split(['?', '#']).next().unwrap_or(p);
    let segs: Vec<String> = p
        .split('/')
        .filter(|s| !s.is_empty())
        .map(|s| {
            if (s.starts_with('{') && s.ends_with('}'))
                || s.starts_with(':')
                || (s.starts_with('<') && s.ends_with('>'))
            {
                "{}".to_string()
            } else {
                s.to_string()
            }
        })
        .collect();
    format!("/{}", segs.join("/"))
}

impl Rule for ActiveSpecContradictsSpec {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
        let Some(h) = hydration::of(ctx) else { return };
        let (Some(spec_doc), Some(spec)) = (ctx.doc(DocKind::Spec), ctx.docs.spec.as_ref()) else {
            return;
        };
        let doc = h.doc;
        let human = |span: Span| !h.scan.contains_line(span.line);
        // SPEC's endpoints with their paths normalized once (not once per ACTIVE_SPEC line).
        let declared: Vec<(&Endpoint, String)> = spec
            .endpoints
            .iter()
            .map(|e| (e, norm_path(&e.path)))
            .collect();
        let mut labels = Vec::new();
        for (idx, sec) in doc.content_sections() {
            let section_title = sec.norm_title.as_str();
            let one = std::slice::from_ref(&doc.md.sections[idx]);
            for l in labeled_items(one, &mut labels) {
                if !human(l.item.span) || inline::is_unfilled(&l.item.text) {
                    continue;
                }
                self.constraint(doc, spec_doc, spec, &l, out);
                self.endpoint(doc, spec_doc, &declared, &l.item.text, l.item.span, out);
                if l.depth == 0
                    && (l.label.contains("entit")
                        || section_title.contains("entit")
                        || section_title.contains("data model"))
                {
                    self.entity(doc, spec_doc, spec, &l.item.text, l.item.span, out);
                }
            }
            for t in tables(one) {
                let mc = t.column(|c| c == "method" || c == "verb");
                let pc = t.column(|c| c == "path" || c == "route" || c == "endpoint");
                for row in t.rows.iter().filter(|r| human(r.span)) {
                    let text = match (mc, pc) {
                        (Some(m), Some(p)) => match (row.cell(m), row.cell(p)) {
                            (Some(m), Some(p)) => format!("{} {}", m.text, p.text),
                            _ => continue,
                        },
                        (None, Some(p)) => match row.cell(p) {
                            Some(p) => p.text.clone(),
                            None => continue,
                        },
                        _ => continue,
                    };
                    self.endpoint(doc, spec_doc, &declared, &text, row.span, out);
                }
            }
        }
    }
}

impl ActiveSpecContradictsSpec {
    fn constraint(
        &self,
        doc: &Document,
        spec_doc: &Document,
        spec: &Spec,
        l: &Labeled<'_>,
        out: &mut Vec<Diagnostic>,
    ) {
        let Some(kv) = l.item.key_value() else { return };
        let Some(slot) = contract_slot(&inline::plain(&kv.key)) else {
            return;
        };
        let value = inline::plain(&kv.value);
        if value.is_empty() || value.starts_with('_') {
            return;
        }
        let (_, label, field): (_, _, Option<&Field>) = spec.contract.fields()[slot];
        let Some(field) = field else { return };
        let Some(spec_value) = &field.value else {
            return;
        };
        // `[Postgres`: the original hydrator cut values out of option lists.
        let fragment = value.contains('[') && !value.contains(']');
        if !fragment && agrees(&value, spec_value) {
            return;
        }
        let message = if fragment {
            format!(
                "ACTIVE_SPEC.md says {label} `{value}`, a fragment of an option list, not SPEC.md's `{spec_value}`"
            )
        } else {
            format!(
                "ACTIVE_SPEC.md says {label} `{value}`, but SPEC.md's Hydration Contract says `{spec_value}`; SPEC wins"
            )
        };
        out.push(
            self.diag(loc(doc, kv.value_span), message)
            .with_related(loc(spec_doc, field.value_span), format!("SPEC.md: {label}: {spec_value}"))
            .with_help(format!(
                "correct the line to `{spec_value}` or delete it; if SPEC.md is wrong, change it with a decision-log row and run `mesh hydrate`"
            )),
        );
    }

    fn endpoint(
        &self,
        doc: &Document,
        spec_doc: &Document,
        declared: &[(&Endpoint, String)],
        text: &str,
        span: Span,
        out: &mut Vec<Diagnostic>,
    ) {
        let Some(ep) = parse_endpoint(text) else {
            return;
        };
        let key = norm_path(&ep.path);
        if declared
            .iter()
            .any(|(d, path)| d.method == ep.method && *path == key)
        {
            return;
        }
        let mut d = self
            .diag(
                loc(doc, span),
                format!("ACTIVE_SPEC.md lists `{} {}`, which SPEC.md does not declare; SPEC wins", ep.method, ep.path),
            )
            .with_help("declare the endpoint in SPEC.md (with a decision-log row) and run `mesh hydrate`, or remove it from ACTIVE_SPEC.md");
        let same_path = declared
            .iter()
            .find(|(_, path)| *path == key)
            .map(|(d, _)| *d);
        match same_path.or(declared.first().map(|(d, _)| *d)) {
            Some(e) => {
                let note = if same_path.is_some() {
                    format!("SPEC.md declares `{} {}` on this path", e.method, e.path)
                } else {
                    "SPEC.md's endpoints start here".to_string()
                };
                d = d.with_related(loc(spec_doc, e.span), note);
            }
            None => {
                d = d.with_related(
                    loc(
                        spec_doc,
                        Span {
                            start: 0,
                            end: 0,
                            line: 1,
                        },
                    ),
                    "SPEC.md declares no endpoint",
                )
            }
        }
        out.push(d);
    }

    fn entity(
        &self,
        doc: &Document,
        spec_doc: &Document,
        spec: &Spec,
        text: &str,
        span: Span,
        out: &mut Vec<Diagnostic>,
    ) {
        if spec.entities.is_empty() || parse_endpoint(text).is_some() {
            return;
        }
        let Some(name) = entity_name(text) else {
            return;
        };
        let key = entity_key(&name);
        if key.is_empty() || spec.entities.iter().any(|d| entity_key(&d.name) == key) {
            return;
        }
        let arrow = name.contains('→') || name.contains("->");
        let message = if arrow {
            format!(
                "ACTIVE_SPEC.md lists the relationship `{}` as an entity; SPEC.md declares no such entity",
                name
            )
        } else {
            format!(
                "ACTIVE_SPEC.md lists the entity `{}`, which SPEC.md's data model does not declare; SPEC wins",
                name
            )
        };
        let names: Vec<&str> = spec.entities.iter().map(|e| e.name.as_str()).collect();
        out.push(
            self.diag(loc(doc, span), message)
                .with_related(loc(spec_doc, spec.entities[0].span), format!("SPEC.md declares: {}", names.join(", ")))
                .with_help("declare the entity in SPEC.md (with a decision-log row) and run `mesh hydrate`, or remove the line from ACTIVE_SPEC.md"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::hydration::testing::{BOOKSHOP, OLD_HYDRATOR, files, hydrated, render, run};

    #[test]
    fn the_old_hydrators_leftovers_are_pointed_at() {
        let found = run(&files(&OLD_HYDRATOR, None), "HYD003");
        insta::assert_snapshot!(render(&found));
        // Hydration removes the relationships it repeated under Entities; the rest stays
        // (it is outside the markers) until someone deletes it.
        let after = hydrated(&files(&OLD_HYDRATOR, None));
        let left: Vec<String> = run(&files(&OLD_HYDRATOR, Some(&after)), "HYD003")
            .iter()
            .map(|d| d.message.clone())
            .collect();
        assert_eq!(left.len(), 2, "{left:?}");
        assert!(left[0].contains("`[Postgres`") && left[1].contains("`DELETE /api/bookings/{id}`"));
    }

    #[test]
    fn human_lines_that_contradict_spec() {
        let fresh = hydrated(&files(&BOOKSHOP, None));
        assert!(
            run(&files(&BOOKSHOP, Some(&fresh)), "HYD003").is_empty(),
            "the hydrated file agrees with SPEC"
        );
        let human = fresh.replace(
            "- Non-negotiables:",
            "- Database: MySQL 8 for the batch
- API Style: REST
- Runtime: Kubernetes
- [ ] `GET /api/books/{isbn}` - fine: declared as {isbn13}
- [ ] `POST /api/refunds` - not in SPEC
- Non-negotiables:",
        );
        let found = run(&files(&BOOKSHOP, Some(&human)), "HYD003");
        insta::assert_snapshot!(render(&found));
        assert_eq!(found.len(), 3);
        // Inside a hydrated part the same lines are HYD002's business, not this rule's.
        let inside = fresh.replace(
            "- Testing: pytest
",
            "- Testing: pytest
- Database: MySQL 8
",
        );
        assert!(run(&files(&BOOKSHOP, Some(&inside)), "HYD003").is_empty());
    }

    #[test]
    fn values_agree_when_one_says_no_more() {
        assert!(agrees(
            "PostgreSQL 16",
            "PostgreSQL 16 with TimescaleDB 2.17"
        ));
        assert!(agrees("Postgres", "PostgreSQL 15 (AWS RDS, Multi-AZ)"));
        assert!(agrees("[Postgres", "PostgreSQL 16"));
        assert!(agrees("none", "none (files only)"));
        assert!(!agrees("MySQL 8", "PostgreSQL 16"));
        assert!(!agrees("PostgreSQL 15", "PostgreSQL 16"));
        assert!(!agrees(
            "JWT",
            "session (Django server-side sessions, httpOnly cookie)"
        ));
        assert_eq!(norm_path("/books/{isbn}/?q=x"), "/books/{}");
        assert_eq!(norm_path("/books/:id"), "/books/{}");
    }
}
