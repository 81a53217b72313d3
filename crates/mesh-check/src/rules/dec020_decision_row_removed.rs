use mesh_docs::DocKind;

use crate::context::Context;
use crate::declare_rule;
use crate::diagnostic::{Diagnostic, Location};
use crate::history::FileKind;
use crate::rule::{Rule, RuleMeta};
use crate::rules::gov002_spec_lines_removed::clip;

declare_rule! {
    /// Finds decision rows deleted over the checked change (runs with git: `mesh check --base
    /// REV`, or on the staged changes).
    ///
    /// Why: the decision log is append-only. A decision that no longer holds is superseded or
    /// reverted by a newer row, and keeps its own row with its status changed; deleting it erases
    /// the reason behind constraints, overrides and ledger entries that name its ID. A row moved
    /// elsewhere in the table is not a deletion.
    ///
    /// Example: the row `| 004 | 2026-01-04 | ARCH | Use Redis for sessions | ... | ✅ |` is gone
    /// from `docs/DECISION_LOG.md` since `origin/main`.
    ///
    /// Fix: restore the row; to retire the decision, supersede it (`mesh decide supersede 004
    /// "..."`) or revert it (`mesh decide revert 004 "..."`).
    pub struct DecisionRowRemoved => DEC020, "decision-row-removed", Dec, Error, "A decision row was deleted from the log.";
}

impl Rule for DecisionRowRemoved {
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
        let help = "restore the row: the log is append-only; retire a decision with `mesh decide supersede ID` or `mesh decide revert ID`";
        if log.kind == FileKind::Deleted {
            let n = log.delta.removed.len();
            out.push(
                self.diag(
                    Location::file(&log_file),
                    format!(
                        "{log_file} was deleted {}, and with it {n} row{}",
                        h.label,
                        if n == 1 { "" } else { "s" }
                    ),
                )
                .with_help(help),
            );
            return;
        }
        for r in &log.delta.removed {
            let what = if r.row.decision {
                "decision"
            } else {
                "KICKBACK"
            };
            let id = if r.row.id.is_empty() {
                String::new()
            } else {
                format!(" `{}`", r.row.id)
            };
            out.push(
                self.diag(
                    Location::new(&log_file, r.at_line, 1),
                    format!(
                        "{what} row{id} was deleted {}; it was line {}: `{}`",
                        h.label,
                        r.row.line,
                        clip(r.row.text.trim(), 100)
                    ),
                )
                .with_help(help),
            );
        }
    }
}
