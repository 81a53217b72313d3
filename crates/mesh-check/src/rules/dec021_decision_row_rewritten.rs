use mesh_docs::DocKind;

use crate::context::Context;
use crate::declare_rule;
use crate::diagnostic::{Diagnostic, Location};
use crate::history::RewriteKind;
use crate::rule::{Rule, RuleMeta};

declare_rule! {
    /// Finds decision rows whose content was rewritten over the checked change (runs with git:
    /// `mesh check --base REV`, or on the staged changes).
    ///
    /// Why: the decision log is append-only. The one edit allowed to an existing row is its
    /// status moving from active (or proposed) to superseded or reverted, while a newer row
    /// references it (`Supersedes 004`, `Reverts 004`, or the old row's own `superseded by 007`
    /// naming a row that exists). Anything else (a reworded decision, a changed date, a status
    /// moved back to active, a row marked superseded that nothing supersedes) rewrites history.
    /// Columns added to the table are not rewrites of old rows.
    ///
    /// Example: `| 004 | ... | Use Redis for sessions | ... | ✅ |` becomes `| 004 | ... | Use
    /// Memcached for sessions | ... | ✅ |`.
    ///
    /// Fix: restore the row as it was and record the new decision as a new row that supersedes
    /// it (`mesh decide supersede 004 "Use Memcached for sessions"`).
    pub struct DecisionRowRewritten => DEC021, "decision-row-rewritten", Dec, Error, "A decision row was rewritten instead of superseded.";
}

impl Rule for DecisionRowRewritten {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
        let Some(h) = ctx.history else {
            return;
        };
        let Some(log) = &h.log else {
            return;
        };
        let log_file = ctx.root.file_display(DocKind::DecisionLog);
        for rw in &log.delta.rewritten {
            let id = &rw.new.id;
            let (message, help) = match &rw.kind {
                RewriteKind::Content { columns } => (
                    format!(
                        "decision row `{id}` was rewritten {} ({} changed); rows are never edited",
                        h.label,
                        columns.join(", ")
                    ),
                    format!(
                        "restore the row and record the new decision as a new row that supersedes it (`mesh decide supersede {id} \"...\"`)"
                    ),
                ),
                RewriteKind::Status { from, to } => (
                    format!(
                        "decision row `{id}` moved from {} to {} {}; the only allowed move is from active to superseded or reverted",
                        from.as_str(),
                        to.as_str(),
                        h.label
                    ),
                    "restore the status; to bring a decision back, add a new row".to_string(),
                ),
                RewriteKind::Unreferenced { from, to } => (
                    format!(
                        "decision row `{id}` moved from {} to {} {}, but no newer row references it",
                        from.as_str(),
                        to.as_str(),
                        h.label
                    ),
                    format!(
                        "add the row that replaces it, saying `Supersedes {id}` (or `Reverts {id}`): `mesh decide supersede {id} \"...\"` does both"
                    ),
                ),
                RewriteKind::Allowed { .. } => continue,
            };
            out.push(
                self.diag(Location::new(&log_file, rw.new.line, 1), message)
                    .with_help(help),
            );
        }
    }
}
