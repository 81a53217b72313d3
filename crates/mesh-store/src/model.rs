//! The task model: statuses and the state machine, risk, priority, and the value types that
//! cross the store's API.

use std::fmt;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// Render a task id the way people read it: `T-12`.
pub fn display_id(id: i64) -> String {
    format!("T-{id}")
}

/// Parse `12`, `T-12` or `t-12` into a task id. Anything else is `None` (it may be a key).
pub fn parse_id(text: &str) -> Option<i64> {
    let t = text.trim();
    let digits = t
        .strip_prefix("T-")
        .or_else(|| t.strip_prefix("t-"))
        .unwrap_or(t);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok().filter(|id| *id > 0)
}

/// Where a task is in its life.
///
/// ```text
/// pending ──claim──▶ in_progress ──submit──▶ reviewing ──approve──▶ completed
///    ▲                │  release / lease expiry    │ reject
///    └────────────────┴────────────────────────────┘
/// blocked (block / unblock), failed (release --fail), cancelled (cancel); reopen → pending
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Waiting to be claimed (claimable once every dependency is completed).
    Pending,
    /// Claimed by a worker holding a lease.
    InProgress,
    /// Submitted; waits for review.
    Reviewing,
    /// Approved by review. Nothing reaches this state any other way.
    Completed,
    /// Put aside by a person; `unblock` returns it to pending.
    Blocked,
    /// Given up by its worker; `reopen` returns it to pending.
    Failed,
    /// Will not be done; `reopen` returns it to pending.
    Cancelled,
}

impl Status {
    /// Every status, in life-cycle order.
    pub const ALL: [Status; 7] = [
        Status::Pending,
        Status::InProgress,
        Status::Reviewing,
        Status::Completed,
        Status::Blocked,
        Status::Failed,
        Status::Cancelled,
    ];

    /// The stored and displayed name (`in_progress`).
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::InProgress => "in_progress",
            Status::Reviewing => "reviewing",
            Status::Completed => "completed",
            Status::Blocked => "blocked",
            Status::Failed => "failed",
            Status::Cancelled => "cancelled",
        }
    }

    /// Parse a status name (also accepts `in-progress`).
    pub fn parse(text: &str) -> Option<Status> {
        let norm = text.trim().to_ascii_lowercase().replace('-', "_");
        Status::ALL.into_iter().find(|s| s.as_str() == norm)
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A state change. Each action has one target status and a fixed set of source statuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// pending → in_progress (a worker takes the task with a lease).
    Claim,
    /// in_progress → pending (the worker gives the task back).
    Release,
    /// in_progress → pending (the lease ran out; done by the reaper).
    Expire,
    /// in_progress → failed (the worker gives up).
    Fail,
    /// in_progress → reviewing.
    Submit,
    /// reviewing → completed.
    Approve,
    /// reviewing → pending (rework needed).
    Reject,
    /// pending / in_progress / reviewing → blocked.
    Block,
    /// blocked → pending.
    Unblock,
    /// any open status → cancelled.
    Cancel,
    /// completed / failed / cancelled → pending.
    Reopen,
}

impl Action {
    /// The verb used in messages and events.
    pub fn verb(self) -> &'static str {
        match self {
            Action::Claim => "claim",
            Action::Release => "release",
            Action::Expire => "expire",
            Action::Fail => "fail",
            Action::Submit => "submit",
            Action::Approve => "approve",
            Action::Reject => "reject",
            Action::Block => "block",
            Action::Unblock => "unblock",
            Action::Cancel => "cancel",
            Action::Reopen => "reopen",
        }
    }

    /// The status the action leads to.
    pub fn target(self) -> Status {
        match self {
            Action::Claim => Status::InProgress,
            Action::Release
            | Action::Expire
            | Action::Reject
            | Action::Unblock
            | Action::Reopen => Status::Pending,
            Action::Fail => Status::Failed,
            Action::Submit => Status::Reviewing,
            Action::Approve => Status::Completed,
            Action::Block => Status::Blocked,
            Action::Cancel => Status::Cancelled,
        }
    }
}

/// The actions allowed from a status (the whole state machine in one table).
pub fn allowed_actions(from: Status) -> &'static [Action] {
    match from {
        Status::Pending => &[Action::Claim, Action::Block, Action::Cancel],
        Status::InProgress => &[
            Action::Submit,
            Action::Release,
            Action::Expire,
            Action::Fail,
            Action::Block,
            Action::Cancel,
        ],
        Status::Reviewing => &[
            Action::Approve,
            Action::Reject,
            Action::Block,
            Action::Cancel,
        ],
        Status::Completed => &[Action::Reopen],
        Status::Blocked => &[Action::Unblock, Action::Cancel],
        Status::Failed => &[Action::Reopen, Action::Cancel],
        Status::Cancelled => &[Action::Reopen],
    }
}

/// `claim (→ in_progress), block (→ blocked), …`, or `none` for a status without exits.
pub fn describe_allowed(from: Status) -> String {
    let list: Vec<String> = allowed_actions(from)
        .iter()
        .filter(|a| **a != Action::Expire)
        .map(|a| format!("{} (→ {})", a.verb(), a.target()))
        .collect();
    if list.is_empty() {
        "none".to_string()
    } else {
        list.join(", ")
    }
}

/// How much can go wrong if the task is done badly (`Low < Medium < High`); the one definition
/// lives with the plan grammar in mesh-docs.
pub use mesh_docs::plan::Risk;

/// Words that make a task high-risk wherever they appear (as a whole word) in its title, DoD or
/// trace.
pub const HIGH_RISK_WORDS: &[&str] = &[
    "auth", "authn", "authz", "oauth", "sso", "jwt", "rbac", "acl", "pii", "gdpr", "delete",
    "drop", "crypto",
];

/// Word beginnings that make a task high-risk (`migrat` matches migration, migrations, migrate).
pub const HIGH_RISK_STEMS: &[&str] = &[
    "authent",
    "authoriz",
    "authoris",
    "login",
    "logout",
    "password",
    "passwd",
    "credential",
    "secret",
    "token",
    "permission",
    "payment",
    "billing",
    "invoice",
    "checkout",
    "refund",
    "migrat",
    "crypto",
    "encrypt",
    "decrypt",
    "delet",
    "purge",
    "wipe",
    "security",
];

/// Lanes whose work is high-risk by nature.
const HIGH_RISK_LANES: &[&str] = &["security", "sec", "auth", "payments", "db", "data", "infra"];
/// Lanes whose work is ordinary product code or operations.
const MEDIUM_RISK_LANES: &[&str] = &["backend", "api", "ops", "server", "platform"];

/// Assess a task's risk from its lane and its words.
///
/// HIGH when the lane is a high-risk lane (security, auth, payments, db, data, infra), or a word
/// of the title, DoD or trace is one of [`HIGH_RISK_WORDS`] or starts with one of
/// [`HIGH_RISK_STEMS`] (auth, payment, migration, crypto, delete …); otherwise MEDIUM for backend, api, ops, server and platform lanes, and LOW
/// for the rest (frontend, qa, docs …).
pub fn assess_risk(lane: &str, texts: &[&str]) -> Risk {
    let lane = lane.to_ascii_lowercase();
    if HIGH_RISK_LANES.contains(&lane.as_str()) {
        return Risk::High;
    }
    let risky_word = texts.iter().any(|text| {
        text.split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .any(|w| {
                let w = w.to_lowercase();
                HIGH_RISK_WORDS.contains(&w.as_str())
                    || HIGH_RISK_STEMS.iter().any(|stem| w.starts_with(stem))
            })
    });
    if risky_word {
        Risk::High
    } else if MEDIUM_RISK_LANES.contains(&lane.as_str()) {
        Risk::Medium
    } else {
        Risk::Low
    }
}

/// Priority: one meaning everywhere, **a lower number is more urgent**. `0` is the most urgent;
/// the scheduler hands out the lowest number first.
pub mod priority {
    use mesh_docs::plan::priority as plan;

    /// Drop everything else.
    pub const URGENT: i64 = plan::URGENT as i64;
    /// Before normal work.
    pub const HIGH: i64 = plan::HIGH as i64;
    /// The default.
    pub const NORMAL: i64 = plan::NORMAL as i64;
    /// When nothing else is waiting.
    pub const LOW: i64 = plan::LOW as i64;
    /// The least urgent value accepted.
    pub const MAX: i64 = plan::MAX as i64;

    /// Parse a priority name (`URGENT`, `HIGH`, `NORMAL`, `LOW`, case-insensitive) or a number
    /// `0..=9`: the plan grammar's parser, so a plan and the store read priorities alike.
    pub fn parse(text: &str) -> Option<i64> {
        plan::parse(text).map(i64::from)
    }

    /// The name of a priority value, when it has one.
    pub fn name(p: i64) -> Option<&'static str> {
        match p {
            URGENT => Some("URGENT"),
            HIGH => Some("HIGH"),
            NORMAL => Some("NORMAL"),
            LOW => Some("LOW"),
            _ => None,
        }
    }
}

/// A task as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Task {
    /// Store-assigned id (display as `T-<id>`).
    pub id: i64,
    /// Stable plan key (`backend:login`), when the task came from a plan or was given one.
    pub key: Option<String>,
    /// The plan the task was accepted from.
    pub plan: Option<String>,
    /// One line saying what to do.
    pub title: String,
    /// Lane (backend, frontend, qa, ops, docs …), lower-case.
    pub lane: String,
    /// Lower number = more urgent (see [`priority`]).
    pub priority: i64,
    /// LOW / MEDIUM / HIGH.
    pub risk: Risk,
    /// The source item the task traces to (`US1`, a SPEC item).
    pub trace: String,
    /// Definition of done.
    pub dod: String,
    /// Ids of the tasks this one waits for, ascending.
    pub deps: Vec<i64>,
    /// Current status.
    pub status: Status,
    /// The worker holding the claim (in_progress), or who last worked on it (reviewing …).
    pub worker: Option<String>,
    /// When the current claim's lease runs out (in_progress only).
    pub lease_expires_at: Option<Timestamp>,
    /// Creation time (UTC).
    pub created_at: Timestamp,
    /// Last change (UTC).
    pub updated_at: Timestamp,
}

/// One entry of a task's append-only history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskEvent {
    /// Event id (ascending in time).
    pub id: i64,
    /// The task.
    pub task_id: i64,
    /// When (UTC).
    pub at: Timestamp,
    /// Who (a worker, a reviewer, `mesh:reaper`).
    pub actor: String,
    /// Status before; `None` for creation.
    pub from: Option<Status>,
    /// Status after.
    pub to: Status,
    /// Why.
    pub reason: String,
}

/// A task with its history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskDetail {
    /// The task.
    #[serde(flatten)]
    pub task: Task,
    /// Its history, oldest first.
    pub events: Vec<TaskEvent>,
    /// Its evidence (verifications, simplifications, waivers), oldest first.
    #[serde(default)]
    pub evidence: Vec<crate::evidence::Evidence>,
}

/// Input of [`crate::Store::add_task`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NewTask {
    /// What to do (required).
    pub title: String,
    /// Lane (required).
    pub lane: String,
    /// Lower = more urgent; [`priority::NORMAL`] when `None`.
    pub priority: Option<i64>,
    /// Raised to at least the assessed risk ([`assess_risk`]).
    pub risk: Option<Risk>,
    /// Trace to the source item.
    pub trace: String,
    /// Definition of done.
    pub dod: String,
    /// Ids of tasks this one waits for.
    pub deps: Vec<i64>,
    /// Optional stable key.
    pub key: Option<String>,
}

/// One task of a plan, as the plan parser hands it to [`crate::Store::accept_plan`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanTask {
    /// Stable key (`K: backend:login`), unique across the store.
    pub key: String,
    /// Title.
    pub title: String,
    /// Lane.
    pub lane: String,
    /// Lower = more urgent (see [`priority`]).
    pub priority: i64,
    /// Declared risk; the stored risk is the higher of this and [`assess_risk`].
    pub risk: Option<Risk>,
    /// Trace (`US1`).
    pub trace: String,
    /// Definition of done.
    pub dod: String,
    /// Keys of the tasks this one waits for (in this plan or already in the store).
    pub deps: Vec<String>,
}

/// A task created by accepting a plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AcceptedTask {
    /// Its key.
    pub key: String,
    /// Its new id.
    pub id: i64,
}

/// A key of the plan that exists in the store with different content. The store keeps what it
/// has (tasks live in the store; change them through their commands) and reports the difference.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangedTask {
    /// Its key.
    pub key: String,
    /// Its id.
    pub id: i64,
    /// Which fields differ (`title`, `lane`, `priority`, `risk`, `trace`, `dod`, `deps`).
    pub fields: Vec<String>,
}

/// A task of an earlier acceptance of the same plan whose key is no longer in the plan. It stays
/// in the store untouched; cancel it explicitly if it is really gone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DisappearedTask {
    /// Its key.
    pub key: String,
    /// Its id.
    pub id: i64,
    /// Its current status.
    pub status: Status,
}

/// What [`crate::Store::accept_plan`] did.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct AcceptReport {
    /// Tasks created, in plan order.
    pub added: Vec<AcceptedTask>,
    /// Keys already in the store with the same content.
    pub unchanged: Vec<String>,
    /// Keys already in the store with different content (not applied).
    pub changed: Vec<ChangedTask>,
    /// Keys of this plan in the store that the plan no longer has (never dropped silently).
    pub disappeared: Vec<DisappearedTask>,
}

impl AcceptReport {
    /// True when the acceptance changed nothing in the store.
    pub fn is_noop(&self) -> bool {
        self.added.is_empty()
    }
}

/// Filter for [`crate::Store::list_tasks`]; `None` fields match everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TaskFilter {
    /// Only this status.
    pub status: Option<Status>,
    /// Only this lane.
    pub lane: Option<String>,
    /// Only tasks of this worker.
    pub worker: Option<String>,
}

/// A task returned to pending by the reaper.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reaped {
    /// The task.
    pub id: i64,
    /// The worker whose lease expired.
    pub worker: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_parse_in_every_spelling() {
        assert_eq!(parse_id("12"), Some(12));
        assert_eq!(parse_id("T-12"), Some(12));
        assert_eq!(parse_id("t-7"), Some(7));
        assert_eq!(parse_id("T-"), None);
        assert_eq!(parse_id("0"), None);
        assert_eq!(parse_id("backend:login"), None);
        assert_eq!(parse_id("99999999999999999999999"), None);
    }

    #[test]
    fn risk_comes_from_words_and_lanes() {
        assert_eq!(assess_risk("docs", &["Write the README"]), Risk::Low);
        assert_eq!(assess_risk("frontend", &["Login page"]), Risk::High);
        assert_eq!(assess_risk("backend", &["List items"]), Risk::Medium);
        assert_eq!(
            assess_risk("backend", &["Add Payments endpoint"]),
            Risk::High
        );
        assert_eq!(assess_risk("ops", &["Run DB migrations"]), Risk::High);
        assert_eq!(
            assess_risk("qa", &["", "rows are deleted on cancel"]),
            Risk::High
        );
        assert_eq!(assess_risk("qa", &["Use Cryptography lib"]), Risk::High);
        assert_eq!(assess_risk("Security", &["anything"]), Risk::High);
        assert_eq!(assess_risk("frontend", &["OAuth callback"]), Risk::High);
        assert_eq!(
            assess_risk("backend", &["Drop the legacy table"]),
            Risk::High
        );
        // Whole words and word starts only: no match inside other words.
        assert_eq!(
            assess_risk("docs", &["Describe the author field"]),
            Risk::Low
        );
        assert_eq!(assess_risk("frontend", &["Fix the dropdown"]), Risk::Low);
        assert_eq!(assess_risk("docs", &["Fix the backdrop colour"]), Risk::Low);
    }

    #[test]
    fn priorities_parse_names_and_numbers() {
        assert_eq!(priority::parse("URGENT"), Some(0));
        assert_eq!(priority::parse("high"), Some(1));
        assert_eq!(priority::parse("7"), Some(7));
        assert_eq!(priority::parse("10"), None);
        assert_eq!(priority::parse("-1"), None);
        assert_eq!(priority::name(priority::LOW), Some("LOW"));
    }

    #[test]
    fn state_machine_names_the_allowed_moves() {
        assert_eq!(
            describe_allowed(Status::Pending),
            "claim (→ in_progress), block (→ blocked), cancel (→ cancelled)"
        );
        // Completed is reachable only by approval.
        for from in Status::ALL {
            for a in allowed_actions(from) {
                if a.target() == Status::Completed {
                    assert_eq!((from, *a), (Status::Reviewing, Action::Approve));
                }
            }
        }
        assert_eq!(Status::parse("in-progress"), Some(Status::InProgress));
        assert_eq!(Status::parse("nope"), None);
    }
}
