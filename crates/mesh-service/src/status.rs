//! Project status: readiness per document, the mode, the six pipeline stages and the one next
//! step, per document root.

use std::path::Path;
use std::process::Command;

use serde::Serialize;

use mesh_check::engine;
use mesh_check::load::load_root;
use mesh_check::pipeline::{self, Facts, Stage, State, TaskCounts};
use mesh_check::readiness::{Mode, Readiness};
use mesh_store::{EvidenceKind, Status, Store, StoreError, TaskFilter, display_id};

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

/// The one next step for a root: the first stage after Context that needs something done, in
/// pipeline order, as a command to run.
pub fn next_step(readiness: &Readiness, stages: &[Stage], facts: &Facts) -> String {
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
        Mode::Execution => execution_step(stages, facts),
    }
}

fn execution_step(stages: &[Stage], facts: &Facts) -> String {
    let first_unverified = facts.unverified.first().map(String::as_str);
    for s in stages.iter().skip(1) {
        let step = match (s.name, s.state) {
            ("Plan", State::Red | State::Gray) => {
                Some("draft a plan and accept it: `mesh plan draft`, then `mesh plan accept`".into())
            }
            ("Work", State::Yellow) => {
                Some("claim the next task: `mesh task next --worker NAME`".into())
            }
            ("Work", State::Red) => Some(
                "every open task is blocked: `mesh task list --status blocked`, then unblock or cancel them".into(),
            ),
            ("Optimize", State::Red) => Some(match facts.last_approved.as_deref() {
                Some(t) => format!(
                    "{t} was approved without simplification evidence: `mesh task simplify {t}` (or `--waive TEXT`)"
                ),
                None => s.reason.clone(),
            }),
            ("Verify", State::Red) => Some(match first_unverified {
                Some(t) => format!("{}: run `mesh task verify {t}`", s.reason),
                None => format!("{}: run `mesh task verify ID`", s.reason),
            }),
            ("Ship", State::Yellow) => {
                Some("commit the working tree changes, then `mesh ship --dry-run`".into())
            }
            ("Ship", State::Gray) if facts.tree_clean.is_none() => {
                Some("put the project under git (`git init`, commit) to ship it".into())
            }
            _ => None,
        };
        if let Some(step) = step {
            return step;
        }
    }
    let open = facts.tasks.map(|t| t.open()).unwrap_or(0);
    if open > 0 {
        return format!(
            "finish the {open} open task(s) of the batch (`mesh task list`), then `mesh ship --dry-run`"
        );
    }
    match stages.last() {
        Some(s) if s.state == State::Green => {
            "everything is green: `mesh ship --dry-run`, then `mesh ship`".into()
        }
        _ => "`mesh ship --dry-run` lists what shipping still needs".into(),
    }
}

/// Task counts by status.
pub fn task_counts(store: &Store) -> Result<TaskCounts, StoreError> {
    let mut c = TaskCounts::default();
    for (status, n) in store.status_counts()? {
        let n = usize::try_from(n).unwrap_or(0);
        match status {
            Status::Pending => c.pending = n,
            Status::InProgress => c.in_progress = n,
            Status::Reviewing => c.reviewing = n,
            Status::Completed => c.completed = n,
            Status::Blocked => c.blocked = n,
            Status::Failed => c.failed = n,
            Status::Cancelled => c.cancelled = n,
        }
    }
    Ok(c)
}

/// The most recently approved task (the completed task changed last: a task reaches
/// `completed` only by an approval, and nothing else changes a completed task), and whether
/// it carries simplification evidence or a waiver. `None` before any approval.
pub fn last_approved(store: &Store) -> Result<Option<(i64, bool)>, StoreError> {
    let completed = store.list_tasks(&TaskFilter {
        status: Some(Status::Completed),
        ..TaskFilter::default()
    })?;
    let Some(task) = completed.iter().max_by_key(|t| (t.updated_at, t.id)) else {
        return Ok(None);
    };
    let optimized = store
        .latest_evidence(task.id, EvidenceKind::Simplify)?
        .is_some()
        || store
            .latest_evidence(task.id, EvidenceKind::Waiver)?
            .is_some();
    Ok(Some((task.id, optimized)))
}

/// Why the working tree could not be inspected.
#[derive(Debug, thiserror::Error)]
pub enum TreeError {
    #[error("{0}")]
    Git(#[from] mesh_git::GitError),
    #[error("cannot run `git status` (is git installed and on PATH?): {0}")]
    Spawn(std::io::Error),
    #[error("`git status` failed in {dir}: {stderr}")]
    Status { dir: String, stderr: String },
}

/// The uncommitted paths of the git working tree that holds `dir`: tracked files changed
/// (staged or not) and untracked files that are not ignored, repository-relative. `None` when
/// `dir` is not inside a git working tree (or the repository is bare).
pub fn uncommitted(dir: &Path) -> Result<Option<Vec<String>>, TreeError> {
    let Some(repo) = mesh_git::Repo::discover_optional(dir)? else {
        return Ok(None);
    };
    let Some(workdir) = repo.workdir() else {
        return Ok(None);
    };
    let out = Command::new("git")
        .args([
            "--no-optional-locks",
            "status",
            "--porcelain=v1",
            "-z",
            "--untracked-files=all",
            "--ignore-submodules=none",
        ])
        .current_dir(workdir)
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(TreeError::Spawn)?;
    if !out.status.success() {
        return Err(TreeError::Status {
            dir: workdir.display().to_string(),
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
        });
    }
    Ok(Some(porcelain_paths(&out.stdout)))
}

/// The paths of `git status --porcelain=v1 -z` output (`XY path\0`, a rename or copy followed
/// by its source path `\0orig\0`, which is skipped).
fn porcelain_paths(raw: &[u8]) -> Vec<String> {
    let mut paths = Vec::new();
    let mut fields = raw.split(|b| *b == 0).filter(|f| !f.is_empty());
    while let Some(f) = fields.next() {
        if f.len() < 4 {
            continue;
        }
        paths.push(String::from_utf8_lossy(&f[3..]).into_owned());
        if matches!(f[0], b'R' | b'C') {
            fields.next();
        }
    }
    paths
}

/// Whether the working tree holding `dir` is clean (no uncommitted path), `None` outside git or
/// when git cannot tell.
pub fn tree_clean(dir: &Path) -> Option<bool> {
    uncommitted(dir).ok().flatten().map(|p| p.is_empty())
}

/// Everything the pipeline stages need beyond the documents: task counts, the last approved
/// task's simplification evidence, unverified HIGH-risk tasks (from `store`, when there is
/// one) and whether the git working tree at `dir` is clean. What cannot be read stays `None`
/// (the stage shows GRAY).
pub fn facts(_project: &Project, store: Option<&Store>, dir: &Path) -> Facts {
    let mut f = Facts {
        tree_clean: tree_clean(dir),
        ..Facts::default()
    };
    let Some(store) = store else {
        return f;
    };
    f.tasks = task_counts(store).ok();
    if let Ok(last) = last_approved(store) {
        f.optimized = last.map(|(_, ok)| ok);
        f.last_approved = last.map(|(id, _)| display_id(id));
    }
    if let Ok(tasks) = store.unverified_high_risk() {
        f.unverified_high_risk = Some(tasks.len());
        f.unverified = tasks.iter().map(|t| display_id(t.id)).collect();
    }
    f
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
            let next = next_step(&readiness, &stages, facts);
            RootStatus {
                root: root.display.clone(),
                readiness,
                stages,
                next,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn git(dir: &Path, args: &[&str]) {
        let out = Command::new("git")
            .args(args)
            .current_dir(dir)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_AUTHOR_NAME", "T")
            .env("GIT_AUTHOR_EMAIL", "t@example.invalid")
            .env("GIT_COMMITTER_NAME", "T")
            .env("GIT_COMMITTER_EMAIL", "t@example.invalid")
            .env_remove("GIT_DIR")
            .env_remove("GIT_INDEX_FILE")
            .output()
            .unwrap();
        assert!(out.status.success(), "git {args:?}: {out:?}");
    }

    #[test]
    fn the_tree_is_clean_dirty_or_unknown() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        assert_eq!(tree_clean(dir), None, "not a repository");
        git(dir, &["init", "-q", "-b", "main"]);
        std::fs::write(dir.join(".gitignore"), "build/\n").unwrap();
        std::fs::write(dir.join("a.txt"), "a\n").unwrap();
        git(dir, &["add", "-A"]);
        git(dir, &["commit", "-q", "-m", "init"]);
        assert_eq!(tree_clean(dir), Some(true));
        std::fs::create_dir(dir.join("build")).unwrap();
        std::fs::write(dir.join("build/out"), "x").unwrap();
        assert_eq!(tree_clean(dir), Some(true), "ignored files do not count");
        std::fs::create_dir(dir.join("sub")).unwrap();
        std::fs::write(dir.join("sub/new.txt"), "n\n").unwrap();
        assert_eq!(
            uncommitted(&dir.join("sub")).unwrap(),
            Some(vec!["sub/new.txt".to_string()]),
            "untracked files count, from any folder of the tree"
        );
        std::fs::remove_file(dir.join("sub/new.txt")).unwrap();
        std::fs::write(dir.join("a.txt"), "changed\n").unwrap();
        assert_eq!(tree_clean(dir), Some(false));
    }

    #[test]
    fn facts_come_from_the_store() {
        use mesh_store::{NewEvidence, NewTask, Risk, StoreLocation, Verdict};
        let tmp = tempfile::tempdir().unwrap();
        let store = Store::open(&StoreLocation::Sqlite(tmp.path().join("m.db"))).unwrap();
        let project = Project {
            config: mesh_check::config::Config::default(),
            roots: Vec::new(),
        };
        let f = facts(&project, Some(&store), tmp.path());
        assert_eq!(f.tasks.map(|t| t.total()), Some(0));
        assert_eq!((f.optimized, f.unverified_high_risk), (None, Some(0)));
        assert_eq!(f.tree_clean, None);

        let add = |title: &str, risk| {
            store
                .add_task(
                    &NewTask {
                        title: title.into(),
                        lane: "docs".into(),
                        risk: Some(risk),
                        ..NewTask::default()
                    },
                    "ann",
                )
                .unwrap()
                .id
        };
        let done = |id| {
            store
                .claim_task(id, "bob", std::time::Duration::from_secs(60))
                .unwrap();
            store.submit(id, "bob", None).unwrap();
            store.review(id, Verdict::Approve, "carol", "ok").unwrap();
        };
        let a = add("Write the guide", Risk::Low);
        let b = add("Rotate the keys", Risk::High);
        add("Later", Risk::Low);
        done(a);
        done(b);
        let f = facts(&project, Some(&store), tmp.path());
        let t = f.tasks.unwrap();
        assert_eq!((t.completed, t.pending), (2, 1));
        assert_eq!(f.last_approved.as_deref(), Some(display_id(b).as_str()));
        assert_eq!(f.optimized, Some(false));
        assert_eq!(f.unverified, [display_id(b)]);
        for kind in [EvidenceKind::Waiver, EvidenceKind::Verify] {
            store
                .record_evidence(
                    b,
                    "bob",
                    &NewEvidence {
                        kind,
                        passed: true,
                        tree: None,
                        summary: "recorded".into(),
                        data: serde_json::json!({}),
                    },
                )
                .unwrap();
        }
        let f = facts(&project, Some(&store), tmp.path());
        assert_eq!((f.optimized, f.unverified_high_risk), (Some(true), Some(0)));
    }

    #[test]
    fn porcelain_paths_skip_rename_sources() {
        let raw = b" M src/a.rs\0R  new.rs\0old.rs\0?? notes.txt\0";
        assert_eq!(porcelain_paths(raw), ["src/a.rs", "new.rs", "notes.txt"]);
        assert!(porcelain_paths(b"").is_empty());
        assert!(porcelain_paths(b"xx\0").is_empty());
    }

    fn stage(name: &'static str, state: State) -> Stage {
        Stage {
            name,
            state,
            reason: format!("{name} reason"),
        }
    }

    fn all(states: [State; 6]) -> Vec<Stage> {
        ["Context", "Plan", "Work", "Optimize", "Verify", "Ship"]
            .into_iter()
            .zip(states)
            .map(|(n, s)| stage(n, s))
            .collect()
    }

    #[test]
    fn the_next_step_is_the_first_stage_that_needs_work() {
        use State::*;
        let facts = Facts {
            last_approved: Some("T-4".into()),
            unverified: vec!["T-2".into()],
            tree_clean: Some(true),
            ..Facts::default()
        };
        let s = |st| execution_step(&all(st), &facts);
        assert!(s([Green, Red, Gray, Gray, Gray, Gray]).contains("mesh plan draft"));
        assert!(s([Green, Green, Yellow, Gray, Gray, Gray]).contains("mesh task next"));
        assert!(s([Green, Yellow, Gray, Red, Green, Green]).contains("mesh task simplify T-4"));
        assert!(s([Green, Yellow, Gray, Green, Red, Red]).contains("mesh task verify T-2"));
        assert!(s([Green, Yellow, Gray, Green, Green, Yellow]).contains("commit"));
        assert!(s([Green, Yellow, Gray, Green, Green, Green]).contains("`mesh ship`"));
        let open = Facts {
            tasks: Some(TaskCounts {
                in_progress: 2,
                ..TaskCounts::default()
            }),
            ..facts.clone()
        };
        let step = execution_step(&all([Green, Green, Green, Green, Green, Green]), &open);
        assert!(step.contains("2 open task"), "{step}");
    }
}
