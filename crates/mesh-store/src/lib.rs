//! mesh-store: Atomic Mesh's task store and scheduler, on SQLite (default, `.mesh/mesh.db`) or
//! PostgreSQL (for a team), with one API and the same behaviour on both.
//!
//! - [`Store`] opens a [`StoreLocation`] (creating and migrating the schema), and offers the
//!   task operations: [`Store::add_task`], [`Store::list_tasks`], [`Store::task_detail`],
//!   [`Store::next_task`] (pick and claim; concurrent calls on one store share a transaction,
//!   [`Store::next_tasks`]), [`Store::claim_task`], [`Store::heartbeat`],
//!   [`Store::release`], [`Store::submit`], [`Store::review`], [`Store::block`],
//!   [`Store::unblock`], [`Store::cancel`], [`Store::reopen`], [`Store::reap`], and
//!   [`Store::accept_plan`] for plans.
//! - Evidence ([`Store::record_evidence`]): what the tool observed when it verified a task or
//!   measured its change; append-only, read by the review gate.
//! - Tasks move through a guarded state machine ([`model::allowed_actions`]); nothing reaches
//!   `completed` except through review. Every change appends to the task's history.
//! - **Priority: a lower number is more urgent** ([`model::priority`]), everywhere.
//! - Claims hold a lease ([`DEFAULT_LEASE`], 5 minutes) renewed by heartbeats; an expired lease
//!   returns the task to pending on the next pick or [`Store::reap`].
//! - "Now" comes from a [`Clock`]; tests use [`ManualClock`].
//! - All SQL is parameterised.

mod checkpointer;
mod claims;
mod clock;
mod db;
mod error;
mod evidence;
mod location;
mod migrate;
pub mod model;
mod store;
mod tokens;
mod watch;

pub use checkpointer::WalCheckpoints;
pub use claims::ClaimStats;
pub use clock::{Clock, ManualClock, SystemClock};
pub use error::{Result, StoreError};
pub use evidence::{Evidence, EvidenceKind, MAX_EVIDENCE_DATA, NewEvidence};
pub use location::{DEFAULT_SQLITE_PATH, LocationSource, StoreLocation, redact_url};
pub use migrate::latest_version;
pub use model::{
    AcceptReport, AcceptedTask, Action, ChangedTask, DisappearedTask, NewTask, PlanTask, Reaped,
    Risk, Status, Task, TaskDetail, TaskEvent, TaskFilter, assess_risk, display_id, parse_id,
    priority,
};
pub use store::{DEFAULT_LEASE, NextRequest, OpenOptions, REAPER, Store, Verdict, normalize_lane};
pub use tokens::TokenRecord;

/// `Store` must stay shareable across threads (the server calls it from a blocking pool).
const _: () = {
    const fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Store>();
};
