//! TECH_STACK.md: approved package lists per ecosystem and the FORBIDDEN table.

use serde::Serialize;

use crate::document::{Document, tables};
use crate::inline;
use crate::markdown::{Block, Span};

/// One approved requirement line from a fenced list (`uvicorn[standard]>=0.29`).
#[derive(Debug, Clone, Serialize)]
pub struct Approved {
    /// Ecosystem guessed from the heading: `python`, `npm`, `cargo`, `go`, or `other`.
    pub ecosystem: String,
    /// The requirement as written.
    pub requirement: String,
    /// The package name (extras and version removed).
    pub name: String,
    pub span: Span,
}

#[derive(Debug, Clone, Serialize)]
pub struct Forbidden {
    pub library: String,
    pub reason: String,
    pub alternative: Option<String>,
    pub span: Span,
}

/// A row of a per-area `| Component | Choice | Version | Notes |` table.
#[derive(Debug, Clone, Serialize)]
pub struct Choice {
    pub component: String,
    pub choice: String,
    pub version: Option<String>,
    pub span: Span,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct TechStack {
    pub approved: Vec<Approved>,
    pub forbidden: Vec<Forbidden>,
    pub choices: Vec<Choice>,
}

fn ecosystem_of(title: &str, info: &str) -> &'static str {
    let s = format!("{title} {info}");
    if s.contains("python") || s.contains("pip") || s.contains("pypi") || s.contains("requirements")
    {
        "python"
    } else if s.contains("npm")
        || s.contains("node")
        || s.contains("javascript")
        || s.contains("typescript")
        || s.contains("json")
    {
        "npm"
    } else if s.contains("cargo") || s.contains("rust") || s.contains("crate") || s.contains("toml")
    {
        "cargo"
    } else if s.contains("composer") || s.contains("php") {
        "composer"
    } else if s.contains("go ")
        || s.ends_with(" go")
        || s.contains("golang")
        || s.contains("go modules")
    {
        "go"
    } else {
        "other"
    }
}

/// The name part of a requirement line: `uvicorn[standard]>=0.29` → `uvicorn`,
/// `@scope/pkg@^1` → `@scope/pkg`, `serde = "1"` → `serde`.
pub fn requirement_name(req: &str) -> String {
    let t = req.trim().trim_matches(['"', '\'', ',', '`']);
    let (scoped, body) = match t.strip_prefix('@') {
        Some(rest) => (true, rest),
        None => (false, t),
    };
    let end = body
        .find(['[', '=', '<', '>', '~', '!', ';', ' ', '^', ':', '@', '"'])
        .unwrap_or(body.len());
    let name = &body[..end];
    if scoped {
        format!("@{name}")
    } else {
        name.to_string()
    }
}

/// The package names in a FORBIDDEN cell: `mapbox-gl (v2 and later)` → `mapbox-gl`,
/// `big.js / decimal.js for amounts` → `big.js`, `decimal.js`.
pub fn forbidden_names(cell: &str) -> Vec<String> {
    cell.split(" / ")
        .flat_map(|p| p.split(','))
        .filter_map(|part| part.split_whitespace().next())
        .map(|n| n.trim_matches(['`', '*', '(', ')']).to_string())
        .filter(|n| !n.is_empty())
        .collect()
}

impl TechStack {
    pub fn from_document(doc: &Document) -> TechStack {
        let mut ts = TechStack::default();
        for (idx, sec) in doc.content_sections() {
            let title = sec.norm_title.as_str();
            for b in &sec.blocks {
                if let Block::Fence(f) = b {
                    if !(title.contains("approved")
                        || title.contains("dependencies")
                        || title.contains("packages"))
                    {
                        continue;
                    }
                    let eco = ecosystem_of(title, &f.info.to_ascii_lowercase());
                    let mut offset = f.content_span.start;
                    for (i, line) in f.content.split('\n').enumerate() {
                        let t = line.trim();
                        let len = line.len() + 1;
                        if !t.is_empty()
                            && !t.starts_with('#')
                            && !t.starts_with("//")
                            && !t.starts_with('[')
                            && !inline::is_unfilled(t)
                        {
                            let name = requirement_name(t);
                            if !name.is_empty() {
                                ts.approved.push(Approved {
                                    ecosystem: eco.to_string(),
                                    requirement: t.to_string(),
                                    name,
                                    span: Span {
                                        start: offset,
                                        end: offset + line.len(),
                                        line: f.content_span.line + i as u32,
                                    },
                                });
                            }
                        }
                        offset += len;
                    }
                }
            }
            let one = std::slice::from_ref(sec);
            for t in tables(one) {
                if title.contains("forbidden") {
                    let lc = t.column(|h| h.contains("library") || h == "package" || h == "name");
                    let rc = t.column(|h| h.contains("reason") || h.contains("why"));
                    let ac = t.column(|h| h.contains("alternative") || h.contains("instead"));
                    let Some(lc) = lc else { continue };
                    for row in &t.rows {
                        let Some(l) = row
                            .cell(lc)
                            .filter(|c| !c.text.is_empty() && !inline::is_unfilled(&c.text))
                        else {
                            continue;
                        };
                        let reason = rc
                            .and_then(|c| row.cell(c))
                            .map(|c| inline::plain(&c.text))
                            .unwrap_or_default();
                        let alternative = ac
                            .and_then(|c| row.cell(c))
                            .map(|c| inline::plain(&c.text))
                            .filter(|s| !s.is_empty());
                        for library in forbidden_names(&inline::plain(&l.text)) {
                            ts.forbidden.push(Forbidden {
                                library,
                                reason: reason.clone(),
                                alternative: alternative.clone(),
                                span: row.span,
                            });
                        }
                    }
                } else if let (Some(cc), Some(ch)) = (
                    t.column(|h| h == "component" || h == "area"),
                    t.column(|h| h == "choice" || h == "technology"),
                ) {
                    let vc = t.column(|h| h.contains("version"));
                    for row in &t.rows {
                        let (Some(c), Some(x)) = (row.cell(cc), row.cell(ch)) else {
                            continue;
                        };
                        if x.text.is_empty() || inline::is_unfilled(&x.text) {
                            continue;
                        }
                        ts.choices.push(Choice {
                            component: inline::plain(&c.text),
                            choice: inline::plain(&x.text),
                            version: vc
                                .and_then(|v| row.cell(v))
                                .map(|v| inline::plain(&v.text))
                                .filter(|s| !s.is_empty()),
                            span: row.span,
                        });
                    }
                }
            }
            let _ = idx;
        }
        ts
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::DocKind;

    #[test]
    fn approved_and_forbidden() {
        let text = "## Approved\n### Python Dependencies (Approved)\n```text\nfastapi>=0.110\nuvicorn[standard]\n# comment\n```\n### NPM Dependencies (Approved)\n```\n@tanstack/query@^5\n```\n## FORBIDDEN Libraries ❌\n| Library | Reason | Alternative |\n|---|---|---|\n| requests | sync | httpx |\n";
        let ts = TechStack::from_document(&Document::parse(DocKind::TechStack, "T", text));
        let names: Vec<_> = ts
            .approved
            .iter()
            .map(|a| (a.ecosystem.as_str(), a.name.as_str()))
            .collect();
        assert_eq!(
            names,
            vec![
                ("python", "fastapi"),
                ("python", "uvicorn"),
                ("npm", "@tanstack/query")
            ]
        );
        assert_eq!(ts.approved[1].span.line, 5);
        assert_eq!(ts.forbidden[0].alternative.as_deref(), Some("httpx"));
        assert_eq!(
            forbidden_names("big.js / decimal.js for amounts"),
            vec!["big.js", "decimal.js"]
        );
        assert_eq!(forbidden_names("@babel/core (v6)"), vec!["@babel/core"]);
    }
}
