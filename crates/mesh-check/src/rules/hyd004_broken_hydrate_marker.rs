use crate::context::{Context, loc};
use crate::declare_rule;
use crate::diagnostic::Diagnostic;
use crate::rule::{Rule, RuleMeta};
use crate::rules::hydration;

declare_rule! {
    /// Finds hydrate markers in ACTIVE_SPEC.md that cannot be used: a begin marker without its
    /// end marker (or the reverse), a part that begins inside another, the same part twice, an
    /// unknown part name, or a marker split over several lines.
    ///
    /// Why: `mesh hydrate` rewrites exactly what lies between `<!-- mesh:hydrate:begin NAME … -->`
    /// and `<!-- mesh:hydrate:end NAME -->`. With a broken pair it cannot tell your text from
    /// its own, so it refuses to write until the markers are mended.
    ///
    /// Example: `<!-- mesh:hydrate:begin goals sha256=… -->` with the end marker deleted.
    ///
    /// Fix: restore the missing marker, or delete the whole part (both markers and the lines
    /// between them) and run `mesh hydrate`, which adds it again.
    pub struct BrokenHydrateMarker => HYD004, "broken-hydrate-marker", Hyd, Error, "A hydrate marker in ACTIVE_SPEC.md is broken.";
}

impl Rule for BrokenHydrateMarker {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
        let Some(h) = hydration::of(ctx) else { return };
        for p in &h.scan.problems {
            out.push(
                self.diag(loc(h.doc, p.span), p.message.clone())
                    .with_help(p.help.clone()),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::hydration::testing::{BOOKSHOP, files, hydrated, render, run};

    #[test]
    fn broken_pairs_unknown_names_and_duplicates() {
        let fresh = hydrated(&files(&BOOKSHOP, None));
        assert!(run(&files(&BOOKSHOP, Some(&fresh)), "HYD004").is_empty());
        let broken = fresh
            .replace("<!-- mesh:hydrate:end goals -->\n", "")
            .replace("begin interfaces", "begin interface")
            .replace(
                "<!-- mesh:hydrate:end provenance -->",
                "<!-- mesh:hydrate:end provenance",
            );
        let found = run(&files(&BOOKSHOP, Some(&broken)), "HYD004");
        assert_eq!(found.len(), 5, "{}", render(&found));
        insta::assert_snapshot!(render(&found));
    }
}
