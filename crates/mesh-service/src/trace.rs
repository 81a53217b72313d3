//! `mesh trace`: the requirement → task → test matrix and the TRC rules.

use std::path::Path;

use serde::Serialize;

use mesh_check::context::Context;
use mesh_check::diagnostic::Diagnostic;
use mesh_check::engine::{self, Selection};
use mesh_check::load::load_root;
use mesh_check::trace::{self, Tag, TraceFacts, TraceRow, TracedTask};
use mesh_store::{Store, TaskFilter};

use crate::project::Project;

/// Largest file scanned for tags.
const MAX_TAG_FILE: u64 = 2 * 1024 * 1024;

/// Find `mesh: ID` tags in every text file under `dir` (respecting .gitignore; skipping
/// Markdown documents, hidden folders, `target` and `node_modules`).
pub fn scan_dir(dir: &Path) -> Vec<Tag> {
    let mut tags = Vec::new();
    let walker = ignore::WalkBuilder::new(dir)
        .hidden(true)
        .filter_entry(|e| {
            let n = e.file_name().to_string_lossy();
            !(n == "target" || n == "node_modules" || n == "fixtures")
        })
        .build();
    for entry in walker.flatten() {
        let path = entry.path();
        if !entry.file_type().is_some_and(|t| t.is_file())
            || path.extension().is_some_and(|e| e == "md")
            || entry
                .metadata()
                .map(|m| m.len() > MAX_TAG_FILE)
                .unwrap_or(true)
        {
            continue;
        }
        let Ok(bytes) = std::fs::read(path) else {
            continue;
        };
        if bytes.contains(&0) {
            continue;
        }
        let text = String::from_utf8_lossy(&bytes);
        if !text.contains("mesh:") {
            continue;
        }
        let shown = path
            .strip_prefix(dir)
            .unwrap_or(path)
            .to_string_lossy()
            .replace('\\', "/");
        tags.extend(trace::scan_tags(&shown, &text));
    }
    tags.sort_by(|a, b| (&a.file, a.line, a.column).cmp(&(&b.file, b.line, b.column)));
    tags
}

/// The tasks of the store as the trace sees them.
pub fn tasks_of(store: &Store) -> Result<Vec<TracedTask>, mesh_store::StoreError> {
    Ok(store
        .list_tasks(&TaskFilter::default())?
        .into_iter()
        .map(|t| TracedTask {
            id: mesh_store::display_id(t.id),
            key: t.key,
            title: t.title,
            status: t.status.as_str().to_string(),
            trace: t.trace,
        })
        .collect())
}

/// The matrix and the findings of one root.
#[derive(Debug, Clone, Serialize)]
pub struct TraceReport {
    pub root: String,
    pub rows: Vec<TraceRow>,
    pub tags: usize,
    pub tasks: usize,
    pub diagnostics: Vec<Diagnostic>,
}

/// Build the trace of every root of `project` from `facts`.
pub fn report(project: &Project, facts: &TraceFacts) -> Vec<TraceReport> {
    let selection = Selection {
        select: vec!["TRC".into()],
        ignore: Vec::new(),
    };
    project
        .roots
        .iter()
        .map(|root| {
            let loaded = load_root(root);
            let readiness = engine::readiness_of(root, &loaded, &project.config);
            let ctx = Context::new(
                root,
                &loaded.docs,
                &project.config,
                &readiness,
                &loaded.unreadable,
                &loaded.problems,
            )
            .with_trace(Some(facts));
            let diagnostics = engine::run_context(&ctx, &selection);
            TraceReport {
                root: root.display.clone(),
                rows: trace::matrix(&loaded.docs, facts),
                tags: facts.tags.len(),
                tasks: facts.tasks.len(),
                diagnostics,
            }
        })
        .collect()
}
