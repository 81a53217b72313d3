use crate::context::{Context, loc};
use crate::declare_rule;
use crate::diagnostic::Diagnostic;
use crate::rule::{Rule, RuleMeta};
use crate::rules::hydration::{self, line_span, sources};

declare_rule! {
    /// Finds hand edits inside a hydrated part of ACTIVE_SPEC.md: the lines between
    /// `<!-- mesh:hydrate:begin NAME sha256=… -->` and its end marker no longer have the hash
    /// recorded when `mesh hydrate` wrote them.
    ///
    /// Why: the next `mesh hydrate` replaces everything between the markers, so the edit will
    /// be lost; and a derived part that says something its sources do not is a quiet
    /// contradiction of SPEC.
    ///
    /// Example: a batch note typed under `- Database: PostgreSQL 16` inside the
    /// `technical-constraints` part.
    ///
    /// Fix: move your text outside the markers (below the end marker it is kept, byte for
    /// byte), or make the change in the source document (PRD.md, SPEC.md or DECISION_LOG.md)
    /// and run `mesh hydrate`.
    pub struct HandEditInHydratedPart => HYD002, "hand-edit-in-hydrated-part", Hyd, Warning, "A hydrated part of ACTIVE_SPEC.md was edited by hand.";
}

impl Rule for HandEditInHydratedPart {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
        let Some(h) = hydration::of(ctx) else { return };
        for r in h.scan.regions.iter().filter(|r| r.edited()) {
            // Point at the first line that differs from what hydration writes now.
            let generated: Vec<&str> = h.generated().body(r.id).split('\n').collect();
            let actual: Vec<&str> = if r.body.is_empty() {
                Vec::new()
            } else {
                r.body.split('\n').collect()
            };
            let k = actual
                .iter()
                .zip(generated.iter())
                .position(|(a, g)| a.trim_end() != g.trim_end())
                .unwrap_or(actual.len().min(generated.len()));
            let at = if k < actual.len() {
                line_span(h.doc, r.begin_line + 1 + k as u32)
            } else {
                r.begin_span
            };
            out.push(
                self.diag(
                    loc(h.doc, at),
                    format!("the hydrated `{}` part was edited by hand; the next `mesh hydrate` will overwrite the edit", r.id),
                )
                .with_help(format!(
                    "move your text below `<!-- mesh:hydrate:end {} -->`, or change {} and run `mesh hydrate`",
                    r.id,
                    sources(r.id.sources())
                )),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::hydration::testing::{BOOKSHOP, files, hydrated, render, run};

    #[test]
    fn an_edit_inside_a_part_is_found_at_its_line() {
        let fresh = hydrated(&files(&BOOKSHOP, None));
        assert!(run(&files(&BOOKSHOP, Some(&fresh)), "HYD002").is_empty());
        let edited = fresh.replace(
            "- Testing: pytest\n",
            "- Testing: pytest, plus manual QA on Fridays\n",
        );
        let found = run(&files(&BOOKSHOP, Some(&edited)), "HYD002");
        assert_eq!(found.len(), 1);
        let line = edited
            .lines()
            .position(|l| l.contains("manual QA"))
            .unwrap() as u32
            + 1;
        assert_eq!(found[0].location.line, line);
        // The same edit outside the markers is the humans' text: no finding.
        let outside = fresh.replace(
            "<!-- mesh:hydrate:end technical-constraints -->\n",
            "<!-- mesh:hydrate:end technical-constraints -->\n\nManual QA on Fridays.\n",
        );
        assert!(run(&files(&BOOKSHOP, Some(&outside)), "HYD002").is_empty());
        insta::assert_snapshot!(render(&found));
    }
}
