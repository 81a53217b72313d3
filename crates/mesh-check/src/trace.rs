//! Traceability: requirement IDs (goals `G1`, stories `US3`, plan keys) → tasks → tests.
//!
//! Tests declare what they cover with a comment tag in any language — `// mesh: US3`,
//! `# mesh: US3, G1`, `-- mesh: backend:endpoint-get-books` — and [`scan_tags`] finds them. The
//! matrix and the TRC rules are pure functions of the documents, the tasks and the tags.

use serde::Serialize;

use mesh_docs::DocSet;
use mesh_docs::prd::Priority;

/// A task as the trace needs it.
#[derive(Debug, Clone, Serialize)]
pub struct TracedTask {
    /// `T-12`.
    pub id: String,
    pub key: Option<String>,
    pub title: String,
    /// `pending`, `completed`, …
    pub status: String,
    /// The task's trace field (`US3 (docs/PRD.md:42)`).
    pub trace: String,
}

/// A `mesh: ID` tag found in a file.
#[derive(Debug, Clone, Serialize)]
pub struct Tag {
    pub file: String,
    pub line: u32,
    pub column: u32,
    pub id: String,
}

/// What the trace rules read: the store's tasks and the tags in the code.
#[derive(Debug, Clone, Default, Serialize)]
pub struct TraceFacts {
    pub tasks: Vec<TracedTask>,
    pub tags: Vec<Tag>,
}

/// A requirement.
#[derive(Debug, Clone, Serialize)]
pub struct Requirement {
    pub id: String,
    /// `goal` or `story`.
    pub kind: &'static str,
    pub text: String,
    pub priority: Option<&'static str>,
    pub file: String,
    pub line: u32,
}

/// One row of the matrix.
#[derive(Debug, Clone, Serialize)]
pub struct TraceRow {
    pub requirement: Requirement,
    /// Task ids (`T-3`).
    pub tasks: Vec<String>,
    /// `file:line` of the tests that tag the requirement or one of its tasks.
    pub tests: Vec<String>,
}

/// Tag comment markers: the text before `mesh:` on its line must end with one of these.
const COMMENT_MARKERS: [&str; 8] = ["//", "#", "--", "/*", "<!--", ";", "%", "*"];

/// Find `mesh: ID[, ID…]` tags in comment text. `text` is one file; `file` is its display path.
pub fn scan_tags(file: &str, text: &str) -> Vec<Tag> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let mut from = 0;
        while let Some(p) = line.get(from..).and_then(|s| s.find("mesh:")) {
            let at = from + p;
            from = at + 5;
            let before = line[..at].trim_end();
            if !COMMENT_MARKERS
                .iter()
                .any(|m| before.ends_with(m) || before.contains(m))
            {
                continue;
            }
            let rest = &line[at + 5..];
            let list_end = rest.find(['*', '>', '"', '\'']).unwrap_or(rest.len());
            let mut col = at + 5;
            for tok in rest[..list_end].split([',', ' ', '\t']) {
                let t = tok.trim();
                if is_id_like(t) {
                    let offset = rest[..list_end].find(t).unwrap_or(0);
                    out.push(Tag {
                        file: file.to_string(),
                        line: i as u32 + 1,
                        column: line[..at + 5 + offset].chars().count() as u32 + 1,
                        id: t.to_string(),
                    });
                }
                col += tok.len() + 1;
            }
            let _ = col;
        }
    }
    out
}

fn is_id_like(t: &str) -> bool {
    !t.is_empty()
        && t.len() <= 80
        && t.chars().any(|c| c.is_ascii_digit() || c == ':')
        && t.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, ':' | '-' | '_' | '.' | '/'))
}

/// Goals and stories with an ID.
pub fn requirements(docs: &DocSet) -> Vec<Requirement> {
    let mut out = Vec::new();
    let (Some(prd), Some(doc)) = (&docs.prd, docs.get(mesh_docs::DocKind::Prd)) else {
        return out;
    };
    for g in &prd.goals {
        if let Some(id) = &g.id {
            out.push(Requirement {
                id: id.clone(),
                kind: "goal",
                text: g.text.clone(),
                priority: None,
                file: doc.path.clone(),
                line: g.span.line,
            });
        }
    }
    for s in &prd.stories {
        if let Some(id) = &s.id {
            out.push(Requirement {
                id: id.clone(),
                kind: "story",
                text: s.text.clone(),
                priority: Some(s.priority.as_str()),
                file: doc.path.clone(),
                line: s.span.line,
            });
        }
    }
    out
}

/// Whether a task's trace names requirement `id` (as a whole word).
pub fn traces_to(task: &TracedTask, id: &str) -> bool {
    task.trace
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
        .any(|w| w == id)
}

/// Whether a tag names this task (its key or its id).
fn tag_names_task(tag: &Tag, task: &TracedTask) -> bool {
    tag.id == task.id || task.key.as_deref() == Some(tag.id.as_str())
}

/// The matrix: each requirement with its tasks and tests.
pub fn matrix(docs: &DocSet, facts: &TraceFacts) -> Vec<TraceRow> {
    requirements(docs)
        .into_iter()
        .map(|r| {
            let tasks: Vec<&TracedTask> =
                facts.tasks.iter().filter(|t| traces_to(t, &r.id)).collect();
            let mut tests: Vec<String> = facts
                .tags
                .iter()
                .filter(|tag| tag.id == r.id || tasks.iter().any(|t| tag_names_task(tag, t)))
                .map(|tag| format!("{}:{}", tag.file, tag.line))
                .collect();
            tests.sort();
            tests.dedup();
            TraceRow {
                tasks: tasks.iter().map(|t| t.id.clone()).collect(),
                requirement: r,
                tests,
            }
        })
        .collect()
}

/// Must Have stories with no task.
pub fn must_stories_without_task<'a>(
    docs: &'a DocSet,
    facts: &TraceFacts,
) -> Vec<&'a mesh_docs::prd::Story> {
    let Some(prd) = &docs.prd else {
        return Vec::new();
    };
    prd.stories
        .iter()
        .filter(|s| s.priority == Priority::Must && s.checked != Some(true))
        .filter(|s| {
            s.id.as_deref()
                .is_some_and(|id| !facts.tasks.iter().any(|t| traces_to(t, id)))
        })
        .collect()
}

/// Completed tasks whose requirement (or the task itself) no test tags.
pub fn completed_untested(docs: &DocSet, facts: &TraceFacts) -> Vec<TracedTask> {
    let ids: Vec<String> = requirements(docs).into_iter().map(|r| r.id).collect();
    facts
        .tasks
        .iter()
        .filter(|t| t.status == "completed")
        .filter(|t| {
            let req_tagged = ids
                .iter()
                .filter(|id| traces_to(t, id))
                .any(|id| facts.tags.iter().any(|tag| &tag.id == id));
            let task_tagged = facts.tags.iter().any(|tag| tag_names_task(tag, t));
            !(req_tagged || task_tagged)
        })
        .cloned()
        .collect()
}

/// Tags that name no requirement, task key or task id.
pub fn unknown_tags<'a>(docs: &DocSet, facts: &'a TraceFacts) -> Vec<&'a Tag> {
    let ids: Vec<String> = requirements(docs).into_iter().map(|r| r.id).collect();
    facts
        .tags
        .iter()
        .filter(|tag| !ids.contains(&tag.id) && !facts.tasks.iter().any(|t| tag_names_task(tag, t)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_in_any_comment_style() {
        let text = "fn a() {}\n// mesh: US3, G1\n# mesh: backend:endpoint-get-books\n/* mesh: T-4 */\nlet s = \"mesh: US9\";\n<!-- mesh: US2 -->\n";
        let ids: Vec<(u32, String)> = scan_tags("t.rs", text)
            .into_iter()
            .map(|t| (t.line, t.id))
            .collect();
        assert_eq!(
            ids,
            vec![
                (2, "US3".into()),
                (2, "G1".into()),
                (3, "backend:endpoint-get-books".into()),
                (4, "T-4".into()),
                (6, "US2".into())
            ]
        );
    }

    #[test]
    fn trace_word_match() {
        let t = TracedTask {
            id: "T-1".into(),
            key: None,
            title: "x".into(),
            status: "completed".into(),
            trace: "US1 (docs/PRD.md:40)".into(),
        };
        assert!(traces_to(&t, "US1"));
        assert!(!traces_to(&t, "US10"));
    }
}
