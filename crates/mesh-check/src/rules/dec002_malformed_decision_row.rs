use mesh_docs::DocKind;
use mesh_docs::decision::RowKind;

use crate::context::{Context, loc};
use crate::declare_rule;
use crate::diagnostic::Diagnostic;
use crate::rule::{Rule, RuleMeta};

declare_rule! {
    /// Finds decision rows that do not fit the table: a different number of cells than the
    /// header has, an empty ID, or an empty Decision cell.
    ///
    /// Why: the log is parsed by header names; a row with a missing or extra cell puts its text
    /// under the wrong column (a rationale read as a status), and an empty decision records
    /// nothing.
    ///
    /// Example: `| 005 | 2026-02-01 | ARCH | Use Redis |` under an 8-column header.
    ///
    /// Fix: give the row one cell per header column (leave a cell empty with `|  |` or `-`).
    pub struct MalformedDecisionRow => DEC002, "malformed-decision-row", Dec, Error, "A decision row does not fit the table.";
}

impl Rule for MalformedDecisionRow {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
        let (Some(doc), Some(log)) = (ctx.doc(DocKind::DecisionLog), ctx.docs.decisions.as_ref())
        else {
            return;
        };
        for row in log.rows.iter().filter(|r| r.row == RowKind::Decision) {
            let problem = if let Some(m) = &row.malformed {
                Some(m.clone())
            } else if row.id.is_empty() {
                Some("row has an empty ID".to_string())
            } else if row.decision.trim().is_empty() {
                Some(format!("decision `{}` has an empty Decision cell", row.id))
            } else {
                None
            };
            if let Some(p) = problem {
                out.push(self.diag(loc(doc, row.span), p).with_help(format!(
                    "give the row one cell per column: {}",
                    log.headers.join(" | ")
                )));
            }
        }
    }
}
