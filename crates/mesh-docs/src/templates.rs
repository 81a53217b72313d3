//! The templates `mesh init` writes, embedded in the binary.
//!
//! Each template is Markdown with four values filled at init time: `{{PROJECT_NAME}}`,
//! `{{DATE}}`, `{{AUTHOR}}` and `{{REPO_PATH}}`. Every other `{{…}}`, option list and hint is
//! left for the author.

use crate::document::DocKind;

/// Template generations we can scaffold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Generation {
    G15,
    G16,
}

impl Generation {
    pub fn parse(s: &str) -> Option<Generation> {
        match s.trim() {
            "15" | "15.0" => Some(Generation::G15),
            "16" | "16.0" => Some(Generation::G16),
            _ => None,
        }
    }
}

/// The values filled into a template.
#[derive(Debug, Clone)]
pub struct Values<'a> {
    pub project_name: &'a str,
    pub date: &'a str,
    pub author: &'a str,
    pub repo_path: &'a str,
}

/// The raw template text for a document kind.
pub fn raw(kind: DocKind, generation: Generation) -> &'static str {
    use DocKind::*;
    use Generation::*;
    match (generation, kind) {
        (G15, Prd) => include_str!("../templates/gen15/PRD.md"),
        (G15, Spec) => include_str!("../templates/gen15/SPEC.md"),
        (G15, ActiveSpec) => include_str!("../templates/gen15/ACTIVE_SPEC.md"),
        (G15, DecisionLog) => include_str!("../templates/gen15/DECISION_LOG.md"),
        (G15, TechStack) => include_str!("../templates/gen15/TECH_STACK.md"),
        (G15, Inbox) => include_str!("../templates/gen15/INBOX.md"),
        (G16, Prd) => include_str!("../templates/gen16/PRD.md"),
        (G16, Spec) => include_str!("../templates/gen16/SPEC.md"),
        (G16, ActiveSpec) => include_str!("../templates/gen16/ACTIVE_SPEC.md"),
        (G16, DecisionLog) => include_str!("../templates/gen16/DECISION_LOG.md"),
        (G16, TechStack) => include_str!("../templates/gen16/TECH_STACK.md"),
        (G16, Inbox) => include_str!("../templates/gen16/INBOX.md"),
    }
}

/// The raw `mesh.toml` template.
pub const MESH_TOML: &str = include_str!("../templates/mesh.toml");

/// Fill the four init values into `template`. Values are inserted literally; a value that
/// itself looks like a placeholder is not expanded again.
pub fn fill(template: &str, v: &Values<'_>) -> String {
    let mut out = String::with_capacity(template.len() + 64);
    let mut rest = template;
    while let Some(p) = rest.find("{{") {
        out.push_str(&rest[..p]);
        let after = &rest[p..];
        let (token, value) = [
            ("{{PROJECT_NAME}}", v.project_name),
            ("{{DATE}}", v.date),
            ("{{AUTHOR}}", v.author),
            ("{{REPO_PATH}}", v.repo_path),
        ]
        .into_iter()
        .find(|(t, _)| after.starts_with(t))
        .unwrap_or(("{{", "{{"));
        out.push_str(value);
        rest = &after[token.len()..];
    }
    out.push_str(rest);
    out
}

/// A document rendered for `mesh init`.
pub fn render(kind: DocKind, generation: Generation, v: &Values<'_>) -> String {
    fill(raw(kind, generation), v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fills_only_the_four_values() {
        let v = Values {
            project_name: "Shop {{X}}",
            date: "2026-11-25",
            author: "Ann",
            repo_path: "/r",
        };
        assert_eq!(
            fill("# {{PROJECT_NAME}} {{DATE}} {{Other}}", &v),
            "# Shop {{X}} 2026-11-25 {{Other}}"
        );
        for g in [Generation::G15, Generation::G16] {
            for k in DocKind::ALL {
                let t = render(k, g, &v);
                assert!(
                    !t.contains("{{PROJECT_NAME}}") && !t.contains("{{DATE}}"),
                    "{k:?} {g:?}"
                );
            }
        }
    }
}
