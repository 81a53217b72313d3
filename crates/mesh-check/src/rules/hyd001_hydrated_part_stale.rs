use mesh_docs::hydrate::RegionId;

use crate::context::{Context, loc};
use crate::declare_rule;
use crate::diagnostic::Diagnostic;
use crate::rule::{Rule, RuleMeta};
use crate::rules::hydration::{self, line_span, sources};

declare_rule! {
    /// Finds derived parts of ACTIVE_SPEC.md that no longer match PRD.md, SPEC.md and
    /// DECISION_LOG.md: a hydrated part whose sources changed since the last `mesh hydrate`, a
    /// part that is missing, or a file that was never hydrated (no markers at all).
    ///
    /// Why: workers read ACTIVE_SPEC first. A stale snapshot sends them after a goal that was
    /// dropped, an endpoint that was renamed or a database that was replaced; where the two
    /// disagree SPEC wins, but only if someone notices.
    ///
    /// Example: SPEC.md's Hydration Contract now says `Database: PostgreSQL 16`, while the
    /// hydrated `technical-constraints` part still says `PostgreSQL 15`.
    ///
    /// Fix: run `mesh hydrate` and commit the result. It rewrites only the marked parts (and
    /// adopts an unmarked file without losing a line); `mesh hydrate --check` fails in CI while
    /// the file is stale.
    pub struct HydratedPartStale => HYD001, "hydrated-part-stale", Hyd, Warning, "A derived part of ACTIVE_SPEC.md is stale or missing.";
}

impl Rule for HydratedPartStale {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
        let Some(h) = hydration::of(ctx) else { return };
        if !h.scan.problems.is_empty() {
            return; // HYD004 first: hydration cannot run until the markers are mended.
        }
        let first_line = h.doc.meta.title.as_ref().map(|(_, s)| s.line).unwrap_or(1);
        if h.scan.regions.is_empty() {
            out.push(
                self.diag(
                    loc(h.doc, line_span(h.doc, first_line)),
                    "ACTIVE_SPEC.md has never been hydrated: its derived sections are not kept in step with PRD.md, SPEC.md and DECISION_LOG.md",
                )
                .with_help("run `mesh hydrate` (it keeps every line you wrote, outside the hydrated parts) and commit the result"),
            );
            return;
        }
        for id in RegionId::ALL {
            let body = h.generated().body(id);
            match h.scan.get(id) {
                None => out.push(
                    self.diag(
                        loc(h.doc, line_span(h.doc, first_line)),
                        format!("ACTIVE_SPEC.md has no hydrated `{id}` part"),
                    )
                    .with_help("run `mesh hydrate` to add it"),
                ),
                // A hand edit is HYD002's finding; hydration would overwrite it either way.
                Some(r) if r.edited() => {}
                Some(r) if r.body != body => out.push(
                    self.diag(
                        loc(h.doc, r.begin_span),
                        format!("the hydrated `{id}` part is stale: {} changed since the last `mesh hydrate`", sources(&h.changed(id.sources()))),
                    )
                    .with_help("run `mesh hydrate` and commit the result"),
                ),
                Some(_) => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use mesh_docs::DocKind;

    use crate::rules::hydration::testing::{BOOKSHOP, files, hydrated, render, run};

    #[test]
    fn never_hydrated_stale_missing_and_fresh() {
        // The hand-written ACTIVE_SPEC has no hydrated part yet.
        let original = files(&BOOKSHOP, None);
        let never = render(&run(&original, "HYD001"));

        // Hydrated: nothing to report.
        let fresh = hydrated(&original);
        assert!(run(&files(&BOOKSHOP, Some(&fresh)), "HYD001").is_empty());

        // SPEC changes after hydration: the parts derived from it are stale.
        let mut changed = files(&BOOKSHOP, Some(&fresh));
        for (k, t) in &mut changed {
            if *k == DocKind::Spec {
                *t = t.replace("- Database: PostgreSQL 16", "- Database: PostgreSQL 17");
            }
        }
        let stale = render(&run(&changed, "HYD001"));

        // A part deleted with its markers is missing.
        let start = fresh
            .find("<!-- mesh:hydrate:begin open-questions")
            .unwrap();
        let end = fresh
            .find("<!-- mesh:hydrate:end open-questions -->\n")
            .unwrap()
            + "<!-- mesh:hydrate:end open-questions -->\n".len();
        let without = format!("{}{}", &fresh[..start], &fresh[end..]);
        let missing = render(&run(&files(&BOOKSHOP, Some(&without)), "HYD001"));

        insta::assert_snapshot!(format!(
            "never hydrated:\n{never}\nstale:\n{stale}\nmissing:\n{missing}"
        ));
    }
}
