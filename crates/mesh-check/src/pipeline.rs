//! The six pipeline stages of the cockpit (Context → Plan → Work → Optimize → Verify → Ship),
//! each GREEN, YELLOW, RED or GRAY, computed from facts the caller gathers.

use serde::Serialize;

use crate::readiness::{Mode, Readiness};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum State {
    #[serde(rename = "GREEN")]
    Green,
    #[serde(rename = "YELLOW")]
    Yellow,
    #[serde(rename = "RED")]
    Red,
    /// Not enough information yet (e.g. no task store).
    #[serde(rename = "GRAY")]
    Gray,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Green => "GREEN",
            State::Yellow => "YELLOW",
            State::Red => "RED",
            State::Gray => "GRAY",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Stage {
    pub name: &'static str,
    pub state: State,
    pub reason: String,
}

/// Task counts by status, from the store.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct TaskCounts {
    pub pending: usize,
    pub in_progress: usize,
    pub reviewing: usize,
    pub completed: usize,
    pub blocked: usize,
    pub failed: usize,
    pub cancelled: usize,
}

impl TaskCounts {
    pub fn total(&self) -> usize {
        self.pending
            + self.in_progress
            + self.reviewing
            + self.completed
            + self.blocked
            + self.failed
            + self.cancelled
    }
    /// Tasks not finished (pending, running, in review, blocked).
    pub fn open(&self) -> usize {
        self.pending + self.in_progress + self.reviewing + self.blocked
    }
}

/// What the caller knows; `None` means "not known" and yields GRAY.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    pub tasks: Option<TaskCounts>,
    /// Whether the most recently approved task carries simplification evidence or a waiver.
    pub optimized: Option<bool>,
    /// The most recently approved task (`T-12`), named in the Optimize reason.
    pub last_approved: Option<String>,
    /// Number of HIGH-risk tasks without a passing verification.
    pub unverified_high_risk: Option<usize>,
    /// Those tasks (`T-3`), named in the Verify reason.
    pub unverified: Vec<String>,
    /// Whether the working tree is clean.
    pub tree_clean: Option<bool>,
}

fn stage(name: &'static str, state: State, reason: impl Into<String>) -> Stage {
    Stage {
        name,
        state,
        reason: reason.into(),
    }
}

/// Compute the six stages.
pub fn stages(readiness: &Readiness, facts: &Facts) -> Vec<Stage> {
    let mut out = Vec::with_capacity(6);
    let below: Vec<&str> = readiness
        .documents
        .iter()
        .filter(|d| d.threshold.is_some() && !d.ready)
        .map(|d| d.kind.as_str())
        .collect();
    out.push(match readiness.mode {
        Mode::PreInit => stage("Context", State::Red, "no documents: run `mesh init`"),
        Mode::Bootstrap => stage(
            "Context",
            State::Yellow,
            format!("BOOTSTRAP: below threshold: {}", below.join(", ")),
        ),
        Mode::Execution => stage(
            "Context",
            State::Green,
            "EXECUTION: every governed document is ready",
        ),
    });
    out.push(match facts.tasks {
        None => stage(
            "Plan",
            State::Gray,
            "no task store yet: run `mesh plan draft` and `mesh plan accept`",
        ),
        Some(t) if t.total() == 0 => stage(
            "Plan",
            State::Red,
            "no tasks: run `mesh plan draft` and `mesh plan accept`",
        ),
        Some(t) if t.open() == 0 => stage(
            "Plan",
            State::Yellow,
            format!("all {} tasks finished", t.total()),
        ),
        Some(t) => stage(
            "Plan",
            State::Green,
            format!("{} tasks queued or open", t.open()),
        ),
    });
    out.push(match facts.tasks {
        None => stage("Work", State::Gray, "no task store yet"),
        Some(t) if t.in_progress + t.reviewing > 0 => stage(
            "Work",
            State::Green,
            format!("{} running, {} in review", t.in_progress, t.reviewing),
        ),
        Some(t) if t.pending > 0 => stage(
            "Work",
            State::Yellow,
            format!("{} queued, none running", t.pending),
        ),
        Some(t) if t.blocked > 0 => stage(
            "Work",
            State::Red,
            format!("only blocked tasks ({})", t.blocked),
        ),
        Some(_) => stage("Work", State::Gray, "nothing to work on"),
    });
    let approved = facts
        .last_approved
        .as_deref()
        .map(|t| format!("{t}, the last approved task,"))
        .unwrap_or_else(|| "the last approved task".into());
    out.push(match facts.optimized {
        None => stage("Optimize", State::Gray, "no approved task yet"),
        Some(true) => stage(
            "Optimize",
            State::Green,
            format!("{approved} carries simplification evidence or a waiver"),
        ),
        Some(false) => stage(
            "Optimize",
            State::Red,
            format!("{approved} has no simplification evidence or waiver"),
        ),
    });
    let verify = match facts.unverified_high_risk {
        None => stage("Verify", State::Gray, "no verification data yet"),
        Some(0) => stage("Verify", State::Green, "no HIGH-risk task is unverified"),
        Some(n) if facts.unverified.is_empty() => stage(
            "Verify",
            State::Red,
            format!("{n} HIGH-risk task(s) unverified"),
        ),
        Some(n) => stage(
            "Verify",
            State::Red,
            format!(
                "{n} HIGH-risk task(s) unverified: {}",
                facts.unverified.join(", ")
            ),
        ),
    };
    let verify_state = verify.state;
    out.push(verify);
    out.push(match (verify_state, facts.tree_clean) {
        (State::Red, _) => stage("Ship", State::Red, "Verify is red"),
        (State::Gray, _) => stage("Ship", State::Gray, "Verify has no data yet"),
        (_, None) => stage(
            "Ship",
            State::Gray,
            "not a git repository (shipping tags a commit)",
        ),
        (_, Some(true)) => stage("Ship", State::Green, "tree clean and Verify green"),
        (_, Some(false)) => stage(
            "Ship",
            State::Yellow,
            "working tree has uncommitted changes",
        ),
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::readiness::{Mode, Readiness};

    fn execution() -> Readiness {
        Readiness {
            mode: Mode::Execution,
            documents: Vec::new(),
        }
    }

    fn states(facts: &Facts) -> Vec<(&'static str, State)> {
        stages(&execution(), facts)
            .into_iter()
            .map(|s| (s.name, s.state))
            .collect()
    }

    fn state_of(facts: &Facts, name: &str) -> State {
        states(facts)
            .into_iter()
            .find(|(n, _)| *n == name)
            .map(|(_, s)| s)
            .unwrap()
    }

    fn known(optimized: Option<bool>, unverified: usize, clean: Option<bool>) -> Facts {
        Facts {
            tasks: Some(TaskCounts {
                completed: 1,
                ..TaskCounts::default()
            }),
            optimized,
            last_approved: Some("T-1".into()),
            unverified_high_risk: Some(unverified),
            unverified: (1..=unverified).map(|i| format!("T-{i}")).collect(),
            tree_clean: clean,
        }
    }

    #[test]
    fn optimize_follows_the_last_approved_task() {
        assert_eq!(state_of(&Facts::default(), "Optimize"), State::Gray);
        assert_eq!(
            state_of(&known(Some(true), 0, Some(true)), "Optimize"),
            State::Green
        );
        let red = stages(&execution(), &known(Some(false), 0, Some(true)));
        assert_eq!(red[3].state, State::Red);
        assert!(red[3].reason.contains("T-1"), "{}", red[3].reason);
    }

    #[test]
    fn verify_is_red_with_an_unverified_high_risk_task_and_ship_follows() {
        let s = stages(&execution(), &known(Some(true), 2, Some(true)));
        assert_eq!((s[4].state, s[5].state), (State::Red, State::Red));
        assert!(s[4].reason.contains("T-1, T-2"), "{}", s[4].reason);
        assert_eq!(
            state_of(&known(Some(true), 0, Some(true)), "Verify"),
            State::Green
        );
    }

    #[test]
    fn ship_is_green_clean_yellow_dirty_gray_without_git_or_verify_data() {
        assert_eq!(
            state_of(&known(Some(true), 0, Some(true)), "Ship"),
            State::Green
        );
        assert_eq!(
            state_of(&known(Some(true), 0, Some(false)), "Ship"),
            State::Yellow
        );
        assert_eq!(state_of(&known(Some(true), 0, None), "Ship"), State::Gray);
        let no_store = Facts {
            tree_clean: Some(false),
            ..Facts::default()
        };
        assert_eq!(state_of(&no_store, "Ship"), State::Gray);
    }
}
