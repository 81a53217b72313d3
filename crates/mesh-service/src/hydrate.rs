//! `hydrate`: regenerate the derived parts of one root's ACTIVE_SPEC.md from its PRD, SPEC and
//! decision log.
//!
//! [`plan`] reads and computes (writes nothing); [`apply`] writes the result atomically when it
//! changed. The pure work is [`mesh_docs::hydrate`].

use std::path::PathBuf;

use mesh_check::context::Root;
use mesh_check::load::{ReadProblem, read_text};
use mesh_docs::hydrate::{self, MarkerProblem, Snapshot};
use mesh_docs::{DocKind, DocSet, Document};

use crate::fsio::{WriteError, write_atomic};

/// What hydrating one root gives.
#[derive(Debug, Clone)]
pub struct Hydrated {
    /// The root as shown to the user (`docs`, `svc/a/docs`).
    pub root: String,
    /// ACTIVE_SPEC.md on disk.
    pub path: PathBuf,
    /// ACTIVE_SPEC.md as shown to the user.
    pub display_path: String,
    /// The file before (`None` when it does not exist).
    pub before: Option<String>,
    /// The file after hydration.
    pub after: String,
    /// The file did not exist (or was empty) and is created from the template.
    pub created: bool,
    /// `after` differs from `before`: the file is stale.
    pub changed: bool,
    /// The hydrated snapshot as data.
    pub snapshot: Snapshot,
}

impl Hydrated {
    /// A unified diff from the file on disk to the hydrated file (empty when unchanged).
    pub fn unified_diff(&self) -> String {
        if !self.changed {
            return String::new();
        }
        let old = self.before.as_deref().unwrap_or("");
        let a = if self.before.is_some() {
            format!("a/{}", self.display_path)
        } else {
            "/dev/null".to_string()
        };
        let b = format!("b/{}", self.display_path);
        similar::TextDiff::from_lines(old, self.after.as_str())
            .unified_diff()
            .context_radius(3)
            .header(&a, &b)
            .to_string()
    }
}

/// Why a root could not be hydrated. Each message says what to do.
#[derive(Debug, thiserror::Error)]
pub enum HydrateError {
    #[error(
        "{root}: nothing to hydrate from (no PRD.md, SPEC.md or DECISION_LOG.md); run `mesh init`, or give the project directory"
    )]
    NoSources { root: String },
    #[error("{message}; {help}")]
    Unreadable { message: String, help: String },
    #[error("{path}: cannot hydrate, the hydrate markers are broken:\n{}", list(.problems))]
    Markers {
        path: String,
        problems: Vec<MarkerProblem>,
    },
    #[error(transparent)]
    Write(#[from] WriteError),
}

fn list(problems: &[MarkerProblem]) -> String {
    problems
        .iter()
        .map(|p| format!("  line {}: {}; {}", p.line, p.message, p.help))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Read a root's documents and compute its hydrated ACTIVE_SPEC. Writes nothing.
pub fn plan(root: &Root) -> Result<Hydrated, HydrateError> {
    let mut docs = Vec::new();
    let mut before = None;
    for kind in [
        DocKind::Prd,
        DocKind::Spec,
        DocKind::DecisionLog,
        DocKind::ActiveSpec,
    ] {
        let path = root.dir.join(kind.file_name());
        match read_text(&path) {
            Ok(text) if kind == DocKind::ActiveSpec => before = Some(text),
            Ok(text) => docs.push(Document::parse(kind, root.file_display(kind), text)),
            Err(ReadProblem::Missing) => {}
            Err(ReadProblem::Problem(message, help, _)) => {
                return Err(HydrateError::Unreadable { message, help });
            }
        }
    }
    if docs.is_empty() {
        return Err(HydrateError::NoSources {
            root: root.display.clone(),
        });
    }
    let set = DocSet::new(docs);
    let display_path = root.file_display(DocKind::ActiveSpec);
    let generated = hydrate::generate(&set);
    let result =
        hydrate::hydrate_with(before.as_deref(), &set, &generated).map_err(|problems| {
            HydrateError::Markers {
                path: display_path.clone(),
                problems,
            }
        })?;
    Ok(Hydrated {
        root: root.display.clone(),
        path: root.dir.join(DocKind::ActiveSpec.file_name()),
        display_path,
        before,
        after: result.text,
        created: result.created,
        changed: result.changed,
        snapshot: generated.snapshot,
    })
}

/// Write the hydrated file (atomically) when it changed. Returns whether it wrote.
pub fn apply(h: &Hydrated) -> Result<bool, HydrateError> {
    if !h.changed {
        return Ok(false);
    }
    write_atomic(&h.path, h.after.as_bytes())?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root(dir: &std::path::Path) -> Root {
        Root {
            dir: dir.to_path_buf(),
            display: "docs".into(),
        }
    }

    #[test]
    fn plan_apply_and_second_run() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("SPEC.md"),
            "# Spec\n## Hydration Contract\n- Database: PostgreSQL 16\n",
        )
        .unwrap();
        let h = plan(&root(dir.path())).unwrap();
        assert!(h.created && h.changed);
        assert!(
            h.unified_diff()
                .starts_with("--- /dev/null\n+++ b/docs/ACTIVE_SPEC.md\n")
        );
        assert!(apply(&h).unwrap());
        let again = plan(&root(dir.path())).unwrap();
        assert!(!again.changed && !again.created);
        assert_eq!(again.unified_diff(), "");
        assert!(!apply(&again).unwrap());
        assert_eq!(
            again.snapshot.constraints.database.as_deref(),
            Some("PostgreSQL 16")
        );
    }

    #[test]
    fn errors_say_what_to_do() {
        let dir = tempfile::tempdir().unwrap();
        let e = plan(&root(dir.path())).unwrap_err().to_string();
        assert!(e.contains("run `mesh init`"), "{e}");
        std::fs::write(dir.path().join("PRD.md"), "# P\n").unwrap();
        std::fs::write(
            dir.path().join("ACTIVE_SPEC.md"),
            "# A\n<!-- mesh:hydrate:begin goals sha256=00 -->\n",
        )
        .unwrap();
        let e = plan(&root(dir.path())).unwrap_err().to_string();
        assert!(e.contains("line 2") && e.contains("no end marker"), "{e}");
        std::fs::write(dir.path().join("SPEC.md"), [0xffu8, 0xfe, 0x00]).unwrap();
        assert!(matches!(
            plan(&root(dir.path())),
            Err(HydrateError::Unreadable { .. })
        ));
    }
}
