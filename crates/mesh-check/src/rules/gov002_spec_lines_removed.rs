use mesh_docs::DocKind;

use crate::context::Context;
use crate::declare_rule;
use crate::diagnostic::{Diagnostic, Location};
use crate::history::FileKind;
use crate::rule::{Rule, RuleMeta};
use crate::rules::gov001_spec_change_without_decision::hunk_location;

declare_rule! {
    /// Finds SPEC lines removed or rewritten, rather than added, over the checked change (runs
    /// with git: `mesh check --base REV`, or on the staged changes).
    ///
    /// Why: the Change Policy prefers adding constraints to rewriting them. A removed or reworded
    /// requirement silently changes what was agreed, and plans, tasks and ACTIVE_SPEC that trace
    /// to it go stale. A warning, not an error: sometimes a rewrite is right, and then its
    /// decision row says why. Ticking a checklist box is a status change and is not reported
    /// (unless `policy.tick_is_status_change = false`).
    ///
    /// Example: `- [ ] Passwords are hashed with bcrypt` becomes `- [ ] Passwords are hashed with
    /// argon2id`.
    ///
    /// Fix: keep the old line and add the new constraint beside it (or supersede it through a
    /// decision row); if the rewrite is intended, make sure a decision row explains it.
    pub struct SpecLinesRemoved => GOV002, "spec-lines-removed", Gov, Warning, "SPEC lines were removed or rewritten instead of added.";
}

impl Rule for SpecLinesRemoved {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
        let Some(h) = ctx.history else {
            return;
        };
        let Some(spec) = &h.spec else {
            return;
        };
        let tick = ctx.config.policy.tick_is_status_change;
        let spec_file = ctx.root.file_display(DocKind::Spec);
        if spec.kind == FileKind::Deleted {
            if spec.delta.has_content(tick) {
                out.push(
                    self.diag(
                        Location::file(&spec_file),
                        format!("{spec_file} was deleted {}", h.label),
                    )
                    .with_help("restore SPEC.md: the documents are the project's constitution; retire a requirement through a decision row instead"),
                );
            }
            return;
        }
        for hunk in &spec.delta.hunks {
            let (removed, rewritten) = hunk.removed_or_rewritten(tick);
            if removed + rewritten == 0 {
                continue;
            }
            let mut parts = Vec::new();
            if removed > 0 {
                parts.push(format!(
                    "{removed} line{} removed",
                    if removed == 1 { "" } else { "s" }
                ));
            }
            if rewritten > 0 {
                parts.push(format!(
                    "{rewritten} line{} rewritten",
                    if rewritten == 1 { "" } else { "s" }
                ));
            }
            let first_old = hunk
                .lines
                .iter()
                .find(|l| l.is_content(tick) && l.kind != crate::history::LineKind::Added)
                .map(|l| l.old.trim().to_string())
                .unwrap_or_default();
            out.push(
                self.diag(
                    hunk_location(&spec_file, hunk),
                    format!(
                        "SPEC {} {} (was: `{}`); prefer adding a constraint to rewriting one",
                        parts.join(" and "),
                        h.label,
                        clip(&first_old, 80)
                    ),
                )
                .with_help("keep the agreed line and add the new constraint, or record why it changed in a decision row"),
            );
        }
    }
}

/// At most `n` characters of `s`, with an ellipsis when cut.
pub(crate) fn clip(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n).collect();
        t.push('…');
        t
    }
}
