//! PRD.md as typed values: goals, personas, user stories (with priority and acceptance),
//! metrics, constraints, scope, out of scope, open questions and risks.

use serde::Serialize;

use crate::document::{Document, labeled_items, leading_id, tables};
use crate::inline;
use crate::markdown::{Block, ListItem, Section, Span};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    Must,
    Should,
    Nice,
}

impl Priority {
    pub fn as_str(self) -> &'static str {
        match self {
            Priority::Must => "must",
            Priority::Should => "should",
            Priority::Nice => "nice",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Goal {
    pub id: Option<String>,
    pub text: String,
    pub success: Option<String>,
    pub measure: Option<String>,
    pub span: Span,
}

#[derive(Debug, Clone, Serialize)]
pub struct Story {
    pub id: Option<String>,
    pub text: String,
    pub acceptance: Option<String>,
    pub priority: Priority,
    pub span: Span,
    pub checked: Option<bool>,
}

/// A plain item of a list section (scope, out of scope, open questions, constraints, …).
#[derive(Debug, Clone, Serialize)]
pub struct Item {
    pub id: Option<String>,
    pub text: String,
    pub span: Span,
    pub checked: Option<bool>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Prd {
    pub one_liner: Option<Item>,
    pub objective: Option<Item>,
    pub goals: Vec<Goal>,
    pub personas: Vec<Item>,
    pub stories: Vec<Story>,
    pub metrics: Vec<Item>,
    pub constraints: Vec<Item>,
    pub scope: Vec<Item>,
    pub out_of_scope: Vec<Item>,
    pub open_questions: Vec<Item>,
    pub risks: Vec<Item>,
}

impl Prd {
    pub fn from_document(doc: &Document) -> Prd {
        let mut prd = Prd::default();
        let mut labels = Vec::new();
        for (idx, sec) in doc.content_sections() {
            let title = sec.norm_title.as_str();
            let sub = own_subtree(doc.subtree(idx));
            let direct = std::slice::from_ref(sec);
            if title.starts_with("one-liner")
                || title.starts_with("one liner")
                || title == "summary"
            {
                prd.one_liner = first_text(sec);
            } else if title.starts_with("goals") || title.starts_with("objectives") {
                for l in labeled_items(sub, &mut labels) {
                    if l.depth > 0 || inline::is_unfilled(&l.item.text) {
                        continue;
                    }
                    let text = inline::plain(&l.item.text);
                    if let Some(kv) = crate::markdown::key_value(&text, 0, 0)
                        && kv.key.to_ascii_lowercase().contains("objective")
                    {
                        prd.objective = Some(item(l.item, None, kv.value));
                        continue;
                    }
                    prd.goals.push(goal(l.item));
                }
                for t in tables(sub) {
                    let Some(gc) = t.column(|h| h == "goal" || h == "objective") else {
                        continue;
                    };
                    let ic = t.column(|h| h == "id");
                    let sc = t.column(|h| h.contains("success") || h.contains("target"));
                    let mc = t.column(|h| h.contains("measure"));
                    for row in &t.rows {
                        let Some(g) = row.cell(gc).filter(|c| !c.text.is_empty()) else {
                            continue;
                        };
                        let cell = |c: Option<usize>| {
                            c.and_then(|c| row.cell(c))
                                .map(|c| inline::plain(&c.text))
                                .filter(|s| !s.is_empty())
                        };
                        prd.goals.push(Goal {
                            id: cell(ic),
                            text: inline::plain(&g.text),
                            success: cell(sc),
                            measure: cell(mc),
                            span: row.span,
                        });
                    }
                }
                if prd.objective.is_none() {
                    prd.objective = first_text(sec);
                }
            } else if title.starts_with("users") || title.contains("persona") {
                prd.personas.extend(items(direct));
            } else if title.starts_with("user stories") || title == "stories" {
                stories(&mut prd, doc, idx);
            } else if title.contains("metric") {
                prd.metrics.extend(items(sub));
            } else if title.starts_with("constraints") {
                prd.constraints.extend(items(sub));
            } else if title.starts_with("out of scope") || title.starts_with("non-goals") {
                prd.out_of_scope.extend(items(sub));
            } else if title.starts_with("scope") || title.starts_with("in scope") {
                prd.scope.extend(items(direct));
            } else if title.starts_with("open questions") {
                prd.open_questions.extend(items(sub));
            } else if title.starts_with("risks") {
                prd.risks.extend(items(sub));
            }
        }
        prd
    }

    /// A story by ID.
    pub fn story(&self, id: &str) -> Option<&Story> {
        self.stories.iter().find(|s| s.id.as_deref() == Some(id))
    }
}

/// A section and its subsections, up to the first subsection that is a PRD section of its own
/// (teams nest `### Users & Context` under `## Goals`, or `### Risks` under `## Open Questions`).
fn own_subtree(sub: &[Section]) -> &[Section] {
    let end = sub
        .iter()
        .skip(1)
        .position(|s| is_prd_section(&s.norm_title))
        .map(|p| p + 1)
        .unwrap_or(sub.len());
    &sub[..end]
}

fn is_prd_section(t: &str) -> bool {
    [
        "one-liner",
        "one liner",
        "summary",
        "goals",
        "objectives",
        "users",
        "user stories",
        "stories",
        "ux",
        "success metrics",
        "metrics",
        "constraints",
        "scope",
        "in scope",
        "out of scope",
        "non-goals",
        "open questions",
        "risks",
        "rollout",
        "milestones",
    ]
    .iter()
    .any(|k| t.starts_with(k))
        || t.contains("persona")
}

fn first_text(sec: &Section) -> Option<Item> {
    for b in &sec.blocks {
        match b {
            Block::Paragraph(p) => {
                let text = p.text();
                if !inline::is_unfilled(&text) {
                    return Some(Item {
                        id: None,
                        text: inline::plain(&text),
                        span: p.span,
                        checked: None,
                    });
                }
            }
            Block::List(l) => {
                if let Some(i) = l.items.first().filter(|i| !inline::is_unfilled(&i.text)) {
                    return Some(item(i, None, inline::plain(&i.text)));
                }
            }
            _ => {}
        }
    }
    None
}

fn item(i: &ListItem, id: Option<String>, text: String) -> Item {
    Item {
        id,
        text,
        span: i.span,
        checked: i.checked,
    }
}

/// Filled top-level items (and table rows, joined) of `sections`.
fn items(sections: &[Section]) -> Vec<Item> {
    let mut labels = Vec::new();
    let mut out: Vec<Item> = labeled_items(sections, &mut labels)
        .into_iter()
        .filter(|l| {
            l.depth == 0 && !l.item.text.trim().is_empty() && !inline::is_unfilled(&l.item.text)
        })
        .map(|l| {
            let id = leading_id(&l.item.text).map(|(id, _)| id);
            item(l.item, id, inline::plain(&l.item.text))
        })
        .collect();
    for t in tables(sections) {
        for row in &t.rows {
            let text = row
                .cells
                .iter()
                .map(|c| inline::plain(&c.text))
                .filter(|c| !c.is_empty())
                .collect::<Vec<_>>()
                .join(" | ");
            if text.is_empty() || inline::is_unfilled(&text) {
                continue;
            }
            out.push(Item {
                id: None,
                text,
                span: row.span,
                checked: None,
            });
        }
    }
    out
}

fn goal(i: &ListItem) -> Goal {
    let (id, rest) = match leading_id(&i.text) {
        Some((id, rest)) => (Some(id), rest.to_string()),
        None => (None, i.text.clone()),
    };
    let mut parts = rest.split('|');
    let text = inline::plain(parts.next().unwrap_or(""));
    let mut success = None;
    let mut measure = None;
    for p in parts {
        if let Some(kv) = crate::markdown::key_value(p.trim(), 0, 0) {
            let k = kv.key.to_ascii_lowercase();
            if k.contains("success") || k.contains("target") {
                success = Some(inline::plain(&kv.value));
            } else if k.contains("measure") {
                measure = Some(inline::plain(&kv.value));
            }
        }
    }
    for c in &i.children {
        if let Some(kv) = c.key_value() {
            let k = kv.key.to_ascii_lowercase();
            if k.contains("success") && success.is_none() {
                success = Some(inline::plain(&kv.value));
            } else if k.contains("measure") && measure.is_none() {
                measure = Some(inline::plain(&kv.value));
            }
        }
    }
    Goal {
        id,
        text,
        success,
        measure,
        span: i.span,
    }
}

fn priority_of(title: &str) -> Option<Priority> {
    if title.starts_with("must") || title.contains("mvp") || title.contains("p0") {
        Some(Priority::Must)
    } else if title.starts_with("should") || title.contains("vnext") || title.contains("p1") {
        Some(Priority::Should)
    } else if title.starts_with("nice")
        || title.starts_with("could")
        || title.contains("future")
        || title.contains("p2")
    {
        Some(Priority::Nice)
    } else {
        None
    }
}

fn stories(prd: &mut Prd, doc: &Document, idx: usize) {
    let sub = own_subtree(doc.subtree(idx));
    let mut labels = Vec::new();
    for sec in sub {
        let p = priority_of(&sec.norm_title).unwrap_or(Priority::Must);
        let one = std::slice::from_ref(sec);
        for l in labeled_items(one, &mut labels) {
            if l.depth > 0 || inline::is_unfilled(&l.item.text) || l.item.text.trim().is_empty() {
                continue;
            }
            let p = priority_of(l.label).unwrap_or(p);
            let (id, rest) = match leading_id(&l.item.text) {
                Some((id, rest)) => (Some(id), rest.to_string()),
                None => (None, l.item.text.clone()),
            };
            let (text, acc_inline) = match rest.find("**Acceptance") {
                Some(pos) => (rest[..pos].to_string(), Some(rest[pos..].to_string())),
                None => (rest, None),
            };
            let acceptance = acceptance_of(l.item).or_else(|| {
                acc_inline.and_then(|a| {
                    crate::markdown::key_value(&a, 0, 0).map(|kv| inline::plain(&kv.value))
                })
            });
            prd.stories.push(Story {
                id,
                text: inline::plain(&text),
                acceptance,
                priority: p,
                span: l.item.span,
                checked: l.item.checked,
            });
        }
        for t in tables(one) {
            let Some(sc) =
                t.column(|h| h.contains("story") || h == "description" || h == "requirement")
            else {
                continue;
            };
            let ic = t.column(|h| h == "id");
            let ac = t.column(|h| h.contains("acceptance"));
            let pc = t.column(|h| h.contains("priority"));
            for row in &t.rows {
                let Some(s) = row
                    .cell(sc)
                    .filter(|c| !c.text.is_empty() && !inline::is_unfilled(&c.text))
                else {
                    continue;
                };
                let cell = |c: Option<usize>| {
                    c.and_then(|c| row.cell(c))
                        .map(|c| inline::plain(&c.text))
                        .filter(|s| !s.is_empty())
                };
                prd.stories.push(Story {
                    id: cell(ic),
                    text: inline::plain(&s.text),
                    acceptance: cell(ac),
                    priority: cell(pc)
                        .and_then(|v| priority_of(&v.to_ascii_lowercase()))
                        .unwrap_or(p),
                    span: row.span,
                    checked: None,
                });
            }
        }
    }
}

fn acceptance_of(i: &ListItem) -> Option<String> {
    for c in &i.children {
        if let Some(kv) = c.key_value()
            && kv.key.to_ascii_lowercase().starts_with("acceptance")
        {
            return Some(inline::plain(&kv.value));
        }
    }
    for c in &i.continuation {
        let t = c.text();
        if let Some(kv) = crate::markdown::key_value(t.trim(), 0, 0)
            && kv.key.to_ascii_lowercase().starts_with("acceptance")
        {
            return Some(inline::plain(&kv.value));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::DocKind;

    #[test]
    fn stories_goals_questions() {
        let doc = Document::parse(
            DocKind::Prd,
            "PRD.md",
            "# PRD\n## Goals\n- **Primary Objective**: sell books\n- G1: Launch | **Success:** 100 orders\n## User Stories\n### Must Have (MVP)\n- [ ] US1: As a reader, I can search so that I find books\n  - **Acceptance:** results in 1s\n### Should Have (vNext)\n- US2: As an admin, I can export\n    **Acceptance:** CSV file\n## Open Questions (Blockers)\n- OPEN QUESTION: which payment provider?\n- [ ] {{question}}\n",
        );
        let prd = Prd::from_document(&doc);
        assert_eq!(prd.objective.as_ref().unwrap().text, "sell books");
        assert_eq!(prd.goals.len(), 1);
        assert_eq!(prd.goals[0].id.as_deref(), Some("G1"));
        assert_eq!(prd.goals[0].success.as_deref(), Some("100 orders"));
        assert_eq!(prd.stories.len(), 2);
        assert_eq!(prd.stories[0].acceptance.as_deref(), Some("results in 1s"));
        assert_eq!(prd.stories[1].priority, Priority::Should);
        assert_eq!(prd.stories[1].acceptance.as_deref(), Some("CSV file"));
        assert_eq!(prd.open_questions.len(), 1);
    }

    #[test]
    fn nested_sections_keep_their_own_items() {
        let doc = Document::parse(
            DocKind::Prd,
            "PRD.md",
            "## Goals\n- G1: Pay sellers | **Success:** weekly\n### Users & Context\n- P1: Seller (small shop)\n## Open Questions (Blockers)\nNone.\n### Risks\n| Risk | Mitigation |\n|---|---|\n| Bank changes schema | contract test |\n",
        );
        let prd = Prd::from_document(&doc);
        assert_eq!(prd.goals.len(), 1);
        assert_eq!(prd.personas.len(), 1);
        assert!(prd.open_questions.is_empty());
        assert_eq!(prd.risks.len(), 1);
    }
}
