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
    /// Whether the most recently reviewed task carries simplification evidence or a waiver.
    pub optimized: Option<bool>,
    /// Number of HIGH-risk tasks without a passing verification.
    pub unverified_high_risk: Option<usize>,
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
    out.push(match facts.optimized {
        None => stage("Optimize", State::Gray, "no reviewed task yet"),
        Some(true) => stage(
            "Optimize",
            State::Green,
            "the reviewed task carries simplification evidence or a waiver",
        ),
        Some(false) => stage(
            "Optimize",
            State::Red,
            "the reviewed task has no simplification evidence or waiver",
        ),
    });
    let verify = match facts.unverified_high_risk {
        None => stage("Verify", State::Gray, "no verification data yet"),
        Some(0) => stage("Verify", State::Green, "no HIGH-risk task is unverified"),
        Some(n) => stage(
            "Verify",
            State::Red,
            format!("{n} HIGH-risk task(s) unverified"),
        ),
    };
    let verify_state = verify.state;
    out.push(verify);
    out.push(match (verify_state, facts.tree_clean) {
        (State::Red, _) => stage("Ship", State::Red, "Verify is red"),
        (_, None) => stage(
            "Ship",
            State::Gray,
            "not a git repository or tree state unknown",
        ),
        (State::Green, Some(true)) => stage("Ship", State::Green, "tree clean and Verify green"),
        (_, Some(false)) => stage(
            "Ship",
            State::Yellow,
            "working tree has uncommitted changes",
        ),
        (_, Some(true)) => stage("Ship", State::Gray, "tree clean; Verify has no data yet"),
    });
    out
}
