use mesh_docs::DocKind;

use crate::config::DecisionScope;
use crate::context::Context;
use crate::declare_rule;
use crate::diagnostic::{Diagnostic, Location};
use crate::history::{DocChange, FileKind, SpecDelta, SpecHunk};
use crate::rule::{Rule, RuleMeta};

declare_rule! {
    /// Finds SPEC content changes that came without a decision row (runs with git: `mesh check
    /// --base REV`, or on the staged changes without `--base`).
    ///
    /// Why: SPEC is the constitution; its Change Policy says every change needs a decision-log
    /// entry, so that the reason for each constraint can be found later. By default the row may be
    /// anywhere in the checked range (a pull request); with `policy.decision_scope = "commit"` in
    /// mesh.toml each commit that changes SPEC must add its own row. Ticking or unticking a
    /// checklist box (`- [ ]` ↔ `- [x]`) is a status change and needs no row, unless
    /// `policy.tick_is_status_change = false`. Blank lines do not count. A SPEC moved to another
    /// folder is followed, and only a change of its lines counts. Merge commits are judged
    /// against their first parent.
    ///
    /// Example: `docs/SPEC.md` gains `- [ ] Sessions expire after 30 minutes` on a branch, and
    /// `docs/DECISION_LOG.md` is unchanged.
    ///
    /// Fix: add a decision row that records the change (`mesh decide add --type ARCH "..."`), in
    /// the same range (or the same commit, with the commit scope).
    pub struct SpecChangeWithoutDecision => GOV001, "spec-change-without-decision", Gov, Error, "A SPEC change has no decision row added with it.";
}

impl Rule for SpecChangeWithoutDecision {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
        let Some(h) = ctx.history else {
            return;
        };
        let tick = ctx.config.policy.tick_is_status_change;
        let spec_file = ctx.root.file_display(DocKind::Spec);
        let log_file = ctx.root.file_display(DocKind::DecisionLog);
        let help = format!(
            "record why SPEC changed: add a row to {log_file} (`mesh decide add --type ARCH \"...\"`){}",
            if ctx.config.policy.decision_scope == DecisionScope::Commit {
                " in the same commit (policy.decision_scope = \"commit\")"
            } else {
                " in the same change"
            }
        );
        match ctx.config.policy.decision_scope {
            DecisionScope::Range => {
                let Some(spec) = &h.spec else {
                    return;
                };
                if h.decisions_added() > 0 || !spec.delta.has_content(tick) {
                    return;
                }
                if spec.kind == FileKind::Deleted {
                    out.push(
                        self.diag(
                            Location::file(&spec_file),
                            format!(
                                "{spec_file} was deleted {} and no decision row was added to {log_file}",
                                h.label
                            ),
                        )
                        .with_help(help),
                    );
                    return;
                }
                for hunk in spec.delta.content_hunks(tick) {
                    out.push(
                        self.diag(
                            hunk_location(&spec_file, hunk),
                            format!(
                                "SPEC {} {}{} but no decision row was added to {log_file}",
                                describe(hunk),
                                h.label,
                                moved(spec)
                            ),
                        )
                        .with_help(help.clone()),
                    );
                }
            }
            DecisionScope::Commit => {
                let current = ctx.doc(DocKind::Spec).map(|d| d.text.as_str());
                for c in h.commits.iter().filter(|c| c.decisions_added == 0) {
                    let merge = if c.merge {
                        " (a merge, judged against its first parent)"
                    } else {
                        ""
                    };
                    if c.deleted {
                        out.push(
                            self.diag(
                                Location::file(&spec_file),
                                format!(
                                    "commit {} `{}`{merge} deleted {spec_file} without adding a decision row",
                                    c.short(),
                                    c.summary
                                ),
                            )
                            .with_help(help.clone()),
                        );
                        continue;
                    }
                    let Some(first) = c.spec.content_hunks(tick).next() else {
                        continue;
                    };
                    let location = locate_in(current, &c.spec, tick)
                        .map(|line| Location::new(&spec_file, line, 1))
                        .unwrap_or_else(|| hunk_location(&spec_file, first));
                    let hunks = c.spec.content_hunks(tick).count();
                    out.push(
                        self.diag(
                            location,
                            format!(
                                "commit {} `{}`{merge} changed SPEC ({}{}) without adding a decision row",
                                c.short(),
                                c.summary,
                                describe(first),
                                if hunks > 1 {
                                    format!(" and {} more places", hunks - 1)
                                } else {
                                    String::new()
                                }
                            ),
                        )
                        .with_help(help.clone()),
                    );
                }
            }
        }
    }
}

/// The location of a hunk in the new SPEC text.
pub(crate) fn hunk_location(file: &str, hunk: &SpecHunk) -> Location {
    let mut l = Location::new(file, hunk.line, 1);
    if hunk.end_line > hunk.line {
        l.end_line = Some(hunk.end_line);
    } else if let Some(line) = hunk
        .lines
        .iter()
        .find(|x| x.new_line == Some(hunk.line) && !x.new.is_empty())
    {
        // One line: underline all of it.
        l.end_line = Some(hunk.line);
        l.end_column = Some(line.new.chars().count() as u32 + 1);
    }
    l
}

/// "line 12 changed", "lines 12-14 changed", "2 lines removed at line 7".
fn describe(hunk: &SpecHunk) -> String {
    let added = hunk
        .lines
        .iter()
        .any(|l| l.kind != crate::history::LineKind::Removed);
    if !added {
        let n = hunk.lines.len();
        return format!(
            "lost {n} line{} at line {}",
            if n == 1 { "" } else { "s" },
            hunk.line
        );
    }
    let only_added = hunk
        .lines
        .iter()
        .all(|l| l.kind == crate::history::LineKind::Added);
    let verb = if only_added { "added" } else { "changed" };
    if hunk.end_line > hunk.line {
        format!("lines {}-{} {verb}", hunk.line, hunk.end_line)
    } else {
        format!("line {} {verb}", hunk.line)
    }
}

fn moved(spec: &DocChange<SpecDelta>) -> String {
    match (&spec.kind, &spec.old_path) {
        (FileKind::Renamed, Some(old)) => format!(" (moved from {old})"),
        _ => String::new(),
    }
}

/// The line of the current SPEC that holds the commit's first added or rewritten line, when it
/// is still there (a commit's own line numbers may have shifted since).
fn locate_in(current: Option<&str>, delta: &SpecDelta, tick: bool) -> Option<u32> {
    let text = current?;
    let wanted = delta
        .content_hunks(tick)
        .find_map(|h| h.first_new_text(tick))?;
    if wanted.trim().is_empty() {
        return None;
    }
    text.lines().position(|l| l == wanted).map(|i| i as u32 + 1)
}
