//! Project status: readiness per document, the mode, the six pipeline stages and the one next
//! step, per document root.

use serde::Serialize;

use mesh_check::engine;
use mesh_check::load::load_root;
use mesh_check::pipeline::{self, Facts, Stage, State};
use mesh_check::readiness::{Mode, Readiness};

use crate::project::Project;

/// Everything `status` reports for one root.
#[derive(Debug, Clone, Serialize)]
pub struct RootStatus {
    pub root: String,
    #[serde(flatten)]
    pub readiness: Readiness,
    pub stages: Vec<Stage>,
    pub next: String,
}

/// The one next step for a root.
pub fn next_step(readiness: &Readiness, stages: &[Stage]) -> String {
    match readiness.mode {
        Mode::PreInit => "run `mesh init` to scaffold the documents".into(),
        Mode::Bootstrap => {
            let worst = readiness
                .documents
                .iter()
                .filter(|d| d.threshold.is_some() && !d.ready)
                .min_by_key(|d| (d.exists, d.score));
            match worst {
                Some(d) if !d.exists => {
                    format!("create {} (`mesh init` writes only missing files)", d.path)
                }
                Some(d) => match d.unfilled.first() {
                    Some(u) => format!(
                        "fill {} (score {} < {}): line {}: {} — {}",
                        d.path,
                        d.score,
                        d.threshold.unwrap_or(0),
                        u.line,
                        u.reason.as_str(),
                        u.text
                    ),
                    None => format!("add content to {} (score {})", d.path, d.score),
                },
                None => "fill the documents below their threshold".into(),
            }
        }
        Mode::Execution => match stages.iter().skip(1).find(|s| s.state != State::Green) {
            Some(s) => format!("{}: {}", s.name, s.reason),
            None => "everything is green: `mesh ship`".into(),
        },
    }
}

/// Status of every root of `project`. `facts` supplies what the store and git know (task
/// counts, verification, tree state); `Facts::default()` leaves those stages GRAY.
pub fn collect(project: &Project, facts: &Facts) -> Vec<RootStatus> {
    project
        .roots
        .iter()
        .map(|root| {
            let loaded = load_root(root);
            let readiness = engine::readiness_of(root, &loaded, &project.config);
            let stages = pipeline::stages(&readiness, facts);
            let next = next_step(&readiness, &stages);
            RootStatus {
                root: root.display.clone(),
                readiness,
                stages,
                next,
            }
        })
        .collect()
}
