//! [`Store`]: one API over SQLite and PostgreSQL.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use jiff::Timestamp;

use crate::checkpointer::{self, Checkpointer, WalCheckpoints};
use crate::claims::{self, Claim, ClaimStats, Combiner};
use crate::clock::{Clock, SystemClock, millis_to_ts};
use crate::db::{Conn, Dialect, P, PgConn, Row, SqliteConn, map_sqlite};
use crate::error::{Result, StoreError};
use crate::location::{StoreLocation, redact_url};
use crate::migrate;
use crate::model::{
    AcceptReport, AcceptedTask, Action, ChangedTask, DisappearedTask, NewTask, PlanTask, Reaped,
    Risk, Status, Task, TaskDetail, TaskEvent, TaskFilter, allowed_actions, assess_risk,
    describe_allowed, display_id, parse_id, priority,
};

/// How long a claim lasts unless renewed by a heartbeat.
pub const DEFAULT_LEASE: Duration = Duration::from_secs(300);

/// At most this many connections serve one store's claims ([`OpenOptions::claim_connections`]).
const MAX_CLAIM_CONNECTIONS: usize = 16;

/// The actor recorded for expired leases.
pub const REAPER: &str = "mesh:reaper";

/// Options for opening a store.
#[derive(Debug, Clone)]
pub struct OpenOptions {
    /// How long to keep retrying when the store is busy (SQLite locked by another writer,
    /// PostgreSQL serialization failures). Default 10 s.
    pub busy_timeout: Duration,
    /// PostgreSQL connect timeout. Default 5 s.
    pub connect_timeout: Duration,
    /// PostgreSQL schema to keep mesh's tables in (created when missing); `None` uses the
    /// server's search path (normally `public`).
    pub pg_schema: Option<String>,
    /// The clock ("now"). Default: the system clock.
    pub clock: Arc<dyn Clock>,
    /// SQLite: checkpoint the WAL from a background thread with its own connection instead of
    /// inside the commit that fills it (see [`Store::wal_checkpoints`]). For processes that keep
    /// the store open and serve many calls (`mesh serve`, `mesh mcp`): a commit then never waits
    /// for a checkpoint's fsync. Default off: a one-shot command keeps SQLite's automatic
    /// checkpoint. Ignored for PostgreSQL.
    pub background_checkpoint: bool,
    /// PostgreSQL: connections that serve claims ([`Store::next_task`]), the store's own one
    /// included. Concurrent claims on the store are served in batches, one batch at a time per
    /// connection; with two, a batch gathers while the other runs, so a server's workers keep
    /// both cores busy. Default 1; `mesh serve` and `mesh mcp` use 2. Ignored for SQLite (one
    /// writer at a time).
    pub claim_connections: usize,
}

impl Default for OpenOptions {
    fn default() -> Self {
        OpenOptions {
            busy_timeout: Duration::from_secs(10),
            connect_timeout: Duration::from_secs(5),
            pg_schema: None,
            clock: Arc::new(SystemClock),
            background_checkpoint: false,
            claim_connections: 1,
        }
    }
}

/// One worker's request for its next task ([`Store::next_tasks`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NextRequest {
    /// The worker claiming.
    pub worker: String,
    /// Only from this lane, when set.
    pub lane: Option<String>,
    /// The claim's lease.
    pub lease: Duration,
}

enum Backend {
    Sqlite(Mutex<SqliteConn>),
    /// The store's connection, then the extra ones that only serve claims.
    Postgres(Box<Mutex<PgConn>>, Vec<Mutex<PgConn>>),
}

/// The task store.
///
/// `Store` is `Send + Sync`; calls on one `Store` share its single connection and run one at a
/// time, except that concurrent [`Store::next_task`] calls are combined: one transaction serves
/// every claim waiting at that moment (see [`Store::next_tasks`]), so many workers behind one
/// store (a server) claim at batch speed. For other parallel work open one `Store` per thread
/// (cheap for SQLite; one connection each for PostgreSQL). Every method is synchronous; async
/// callers use `spawn_blocking`.
pub struct Store {
    /// Declared before `backend` so that it stops first: the store's own connection then closes
    /// last and does SQLite's checkpoint-on-close as without it.
    checkpointer: Option<Checkpointer>,
    backend: Backend,
    /// Concurrent `next_task` calls, served in batches.
    claims: Combiner,
    clock: Arc<dyn Clock>,
    location: String,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.backend_name())
            .field("location", &self.location)
            .finish()
    }
}

/// A review verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// reviewing → completed.
    Approve,
    /// reviewing → pending (rework).
    Reject,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn ms(t: Timestamp) -> i64 {
    t.as_millisecond()
}

fn lease_ms(lease: Duration) -> Result<i64> {
    let max = Duration::from_secs(30 * 24 * 3600);
    if lease.is_zero() || lease > max {
        return Err(StoreError::Invalid(format!(
            "a lease must last between 1 ms and 30 days, not {lease:?}"
        )));
    }
    Ok(i64::try_from(lease.as_millis()).unwrap_or(i64::MAX))
}

// ---------------------------------------------------------------------------------------------
// Validation of user-controlled text.

fn clean_line(what: &str, text: &str, max: usize) -> Result<String> {
    let t = text.trim();
    if t.is_empty() {
        return Err(StoreError::Invalid(format!("{what} must not be empty")));
    }
    if t.chars().count() > max {
        return Err(StoreError::Invalid(format!(
            "{what} is longer than {max} characters"
        )));
    }
    if t.chars().any(char::is_control) {
        return Err(StoreError::Invalid(format!(
            "{what} must be one line without control characters"
        )));
    }
    Ok(t.to_string())
}

pub(crate) fn clean_text(what: &str, text: &str, max: usize) -> Result<String> {
    let t = text.trim();
    if t.chars().count() > max {
        return Err(StoreError::Invalid(format!(
            "{what} is longer than {max} characters"
        )));
    }
    if t.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return Err(StoreError::Invalid(format!(
            "{what} must not contain control characters"
        )));
    }
    Ok(t.to_string())
}

/// Lanes are lower-case words: letters, digits, `-`, `_`, `.`.
pub fn normalize_lane(lane: &str) -> Result<String> {
    let l = lane.trim().to_ascii_lowercase();
    let ok = !l.is_empty()
        && l.len() <= 64
        && l.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric())
        && l.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.');
    if ok {
        Ok(l)
    } else {
        Err(StoreError::Invalid(format!(
            "lane `{lane}` is not a lane name: use letters, digits, `-`, `_` or `.` (e.g. backend, frontend, qa, ops, docs)"
        )))
    }
}

fn clean_key(key: &str) -> Result<String> {
    let k = clean_line("a task key", key, 200)?;
    if k.chars().any(char::is_whitespace) {
        return Err(StoreError::Invalid(format!(
            "task key `{k}` must not contain spaces"
        )));
    }
    if parse_id(&k).is_some() {
        return Err(StoreError::Invalid(format!(
            "task key `{k}` looks like a task id; use a name such as `backend:login`"
        )));
    }
    Ok(k)
}

pub(crate) fn clean_actor(what: &str, actor: &str) -> Result<String> {
    clean_line(what, actor, 200)
}

fn check_priority(p: i64) -> Result<i64> {
    if (0..=priority::MAX).contains(&p) {
        Ok(p)
    } else {
        Err(StoreError::Invalid(format!(
            "priority {p} is out of range: use 0 (most urgent) to {} (least urgent)",
            priority::MAX
        )))
    }
}

fn note_or(note: Option<&str>, default: &str) -> Result<String> {
    match note.map(str::trim).filter(|n| !n.is_empty()) {
        Some(n) => clean_text("the note", n, 10_000),
        None => Ok(default.to_string()),
    }
}

fn required_note(action: &str, note: &str) -> Result<String> {
    let n = clean_text("the note", note, 10_000)?;
    if n.is_empty() {
        return Err(StoreError::Invalid(format!(
            "{action} needs a note saying why (--note TEXT)"
        )));
    }
    Ok(n)
}

// ---------------------------------------------------------------------------------------------
// SQL shared by the logic. Status literals stay in the text where the partial indexes need them.

macro_rules! task_select {
    ($deps:literal) => {
        concat!(
            "SELECT t.id, t.key, t.plan, t.title, t.lane, t.priority, t.risk, t.trace, t.dod, ",
            "t.status, t.worker, t.lease_expires_at, t.created_at, t.updated_at, ",
            $deps,
            " FROM tasks t"
        )
    };
}
const SQLITE_TASK_BY_ID: &str = concat!(
    task_select!("(SELECT group_concat(d.dep_id, ',') FROM task_deps d WHERE d.task_id = t.id)"),
    " WHERE t.id = $1"
);
const PG_TASK_BY_ID: &str = concat!(
    task_select!(
        "(SELECT string_agg(d.dep_id::text, ',') FROM task_deps d WHERE d.task_id = t.id)"
    ),
    " WHERE t.id = $1"
);
const SQLITE_TASK_LIST: &str = concat!(
    task_select!("(SELECT group_concat(d.dep_id, ',') FROM task_deps d WHERE d.task_id = t.id)"),
    " WHERE ($1 IS NULL OR t.status = $1) AND ($2 IS NULL OR t.lane = $2)",
    " AND ($3 IS NULL OR t.worker = $3) ORDER BY t.id"
);
const PG_TASK_LIST: &str = concat!(
    task_select!(
        "(SELECT string_agg(d.dep_id::text, ',') FROM task_deps d WHERE d.task_id = t.id)"
    ),
    " WHERE ($1::text IS NULL OR t.status = $1) AND ($2::text IS NULL OR t.lane = $2)",
    " AND ($3::text IS NULL OR t.worker = $3) ORDER BY t.id"
);

macro_rules! unverified_high_risk_where {
    () => {
        concat!(
            " WHERE t.risk = 'HIGH' AND t.status IN ('reviewing', 'completed')",
            " AND NOT EXISTS (SELECT 1 FROM task_evidence e",
            " WHERE e.task_id = t.id AND e.kind = 'verify' AND e.passed = 1) ORDER BY t.id"
        )
    };
}
/// HIGH-risk tasks in review or completed without a passing verification, in one query.
pub(crate) const SQLITE_UNVERIFIED_HIGH_RISK: &str = concat!(
    task_select!("(SELECT group_concat(d.dep_id, ',') FROM task_deps d WHERE d.task_id = t.id)"),
    unverified_high_risk_where!()
);
pub(crate) const PG_UNVERIFIED_HIGH_RISK: &str = concat!(
    task_select!(
        "(SELECT string_agg(d.dep_id::text, ',') FROM task_deps d WHERE d.task_id = t.id)"
    ),
    unverified_high_risk_where!()
);

pub(crate) fn parse_task(r: &Row) -> Result<Task> {
    let status_text = r.text(9)?;
    let status = Status::parse(&status_text)
        .ok_or_else(|| StoreError::Database(format!("unknown status `{status_text}` in store")))?;
    let risk_text = r.text(6)?;
    let risk = Risk::parse(&risk_text)
        .ok_or_else(|| StoreError::Database(format!("unknown risk `{risk_text}` in store")))?;
    let mut deps: Vec<i64> = r
        .opt_text(14)?
        .unwrap_or_default()
        .split(',')
        .filter_map(|d| d.trim().parse().ok())
        .collect();
    deps.sort_unstable();
    Ok(Task {
        id: r.i64(0)?,
        key: r.opt_text(1)?,
        plan: r.opt_text(2)?,
        title: r.text(3)?,
        lane: r.text(4)?,
        priority: r.i64(5)?,
        risk,
        trace: r.text(7)?,
        dod: r.text(8)?,
        deps,
        status,
        worker: r.opt_text(10)?,
        lease_expires_at: r.opt_i64(11)?.map(millis_to_ts),
        created_at: millis_to_ts(r.i64(12)?),
        updated_at: millis_to_ts(r.i64(13)?),
    })
}

fn fetch_task(c: &mut dyn Conn, id: i64) -> Result<Option<Task>> {
    let sql = match c.dialect() {
        Dialect::Sqlite => SQLITE_TASK_BY_ID,
        Dialect::Postgres => PG_TASK_BY_ID,
    };
    c.query_opt(sql, &[P::I(id)])?
        .map(|r| parse_task(&r))
        .transpose()
}

pub(crate) fn must_task(c: &mut dyn Conn, id: i64) -> Result<Task> {
    fetch_task(c, id)?.ok_or_else(|| StoreError::UnknownTask(display_id(id)))
}

fn fetch_events(c: &mut dyn Conn, id: i64) -> Result<Vec<TaskEvent>> {
    let rows = c.query(
        "SELECT id, task_id, at, actor, from_status, to_status, reason FROM task_events
         WHERE task_id = $1 ORDER BY id",
        &[P::I(id)],
    )?;
    rows.iter()
        .map(|r| {
            let to_text = r.text(5)?;
            Ok(TaskEvent {
                id: r.i64(0)?,
                task_id: r.i64(1)?,
                at: millis_to_ts(r.i64(2)?),
                actor: r.text(3)?,
                from: r.opt_text(4)?.as_deref().and_then(Status::parse),
                to: Status::parse(&to_text).ok_or_else(|| {
                    StoreError::Database(format!("unknown status `{to_text}` in history"))
                })?,
                reason: r.text(6)?,
            })
        })
        .collect()
}

fn insert_event(
    c: &mut dyn Conn,
    task: i64,
    now: i64,
    actor: &str,
    from: Option<Status>,
    to: Status,
    reason: &str,
) -> Result<i64> {
    c.query_opt(
        "INSERT INTO task_events (task_id, at, actor, from_status, to_status, reason)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        &[
            P::I(task),
            P::I(now),
            P::T(actor),
            P::OT(from.map(Status::as_str)),
            P::T(to.as_str()),
            P::T(reason),
        ],
    )?
    .ok_or_else(|| StoreError::Database("event insert returned no id".into()))?
    .i64(0)
}

fn ensure_lane(c: &mut dyn Conn, lane: &str) -> Result<()> {
    c.exec(
        "INSERT INTO lanes (lane) VALUES ($1) ON CONFLICT (lane) DO NOTHING",
        &[P::T(lane)],
    )?;
    Ok(())
}

/// Return expired claims to pending; one event each.
pub(crate) fn reap_in(c: &mut dyn Conn, now: i64) -> Result<Vec<Reaped>> {
    let rows = c.query(
        "SELECT id, worker FROM tasks
         WHERE status = 'in_progress' AND lease_expires_at <= $1
         ORDER BY lease_expires_at, id",
        &[P::I(now)],
    )?;
    let mut reaped = Vec::new();
    for r in rows {
        let id = r.i64(0)?;
        let worker = r.opt_text(1)?.unwrap_or_else(|| "?".to_string());
        let n = c.exec(
            "UPDATE tasks SET status = 'pending', worker = NULL, lease_expires_at = NULL,
                 updated_at = $1
             WHERE id = $2 AND status = 'in_progress' AND lease_expires_at <= $1",
            &[P::I(now), P::I(id)],
        )?;
        if n == 1 {
            let reason = format!("lease of {worker} expired");
            insert_event(
                c,
                id,
                now,
                REAPER,
                Some(Status::InProgress),
                Status::Pending,
                &reason,
            )?;
            reaped.push(Reaped { id, worker });
        }
    }
    Ok(reaped)
}

/// Claim `id` for `worker` until `until` (its event, then the task's update) and return the
/// task; `Busy` when the task was taken meanwhile (the transaction retries). The caller picked
/// `id` in this transaction (SQLite's side of [`crate::claims::claim_in`]).
pub(crate) fn write_claim(
    c: &mut dyn Conn,
    id: i64,
    now: i64,
    worker: &str,
    until: i64,
) -> Result<Option<Task>> {
    let seq = insert_event(
        c,
        id,
        now,
        worker,
        Some(Status::Pending),
        Status::InProgress,
        "claimed",
    )?;
    let n = c.exec(
        "UPDATE tasks SET status = 'in_progress', worker = $1, lease_expires_at = $2,
             claim_seq = $3, updated_at = $4
         WHERE id = $5 AND status = 'pending' AND unmet_deps = 0",
        &[P::T(worker), P::I(until), P::I(seq), P::I(now), P::I(id)],
    )?;
    if n != 1 {
        return Err(StoreError::Busy(format!("{} was taken", display_id(id))));
    }
    fetch_task(c, id)
}

/// Shift `unmet_deps` of every task that depends on `id` by `delta` (±1) when `id` enters or
/// leaves `completed`.
fn adjust_dependents(c: &mut dyn Conn, id: i64, delta: i64) -> Result<()> {
    c.exec(
        "UPDATE tasks SET unmet_deps = unmet_deps + $1
         WHERE id IN (SELECT task_id FROM task_deps WHERE dep_id = $2)",
        &[P::I(delta), P::I(id)],
    )?;
    Ok(())
}

/// The open dependencies of a task, rendered `T-3 (in_progress)`.
fn open_deps(c: &mut dyn Conn, id: i64) -> Result<Vec<String>> {
    let rows = c.query(
        "SELECT t.id, t.status FROM task_deps d JOIN tasks t ON t.id = d.dep_id
         WHERE d.task_id = $1 AND t.status <> 'completed' ORDER BY t.id",
        &[P::I(id)],
    )?;
    rows.iter()
        .map(|r| Ok(format!("{} ({})", display_id(r.i64(0)?), r.text(1)?)))
        .collect()
}

/// Who may do an action, checked against the current claim.
#[derive(Clone, Copy)]
enum Guard<'a> {
    /// Anyone (reviewers, operators).
    Anyone,
    /// Only the worker holding the claim; `live` also requires an unexpired lease.
    Holder { worker: &'a str, live: bool },
}

/// The one path for every state change: check the state machine and the guard, then
/// compare-and-set the row (a concurrent change makes the transaction retry), keep the
/// dependency counters right, and append the event.
#[allow(clippy::too_many_arguments)]
fn transition(
    c: &mut dyn Conn,
    id: i64,
    action: Action,
    actor: &str,
    guard: Guard<'_>,
    reason: &str,
    now: i64,
    lease_until: Option<i64>,
) -> Result<Task> {
    let row = c
        .query_opt(
            "SELECT status, worker, lease_expires_at, unmet_deps, claim_seq FROM tasks WHERE id = $1",
            &[P::I(id)],
        )?
        .ok_or_else(|| StoreError::UnknownTask(display_id(id)))?;
    let status_text = row.text(0)?;
    let from = Status::parse(&status_text)
        .ok_or_else(|| StoreError::Database(format!("unknown status `{status_text}` in store")))?;
    let holder = row.opt_text(1)?;
    let lease = row.opt_i64(2)?;
    let unmet = row.i64(3)?;
    let claim_seq = row.i64(4)?;

    if !allowed_actions(from).contains(&action) {
        return Err(StoreError::IllegalTransition {
            task: id,
            action: action.verb(),
            from,
            allowed: describe_allowed(from),
        });
    }
    if let Guard::Holder { worker, live } = guard {
        if holder.as_deref() != Some(worker) {
            return Err(StoreError::NotYourClaim {
                task: id,
                worker: worker.to_string(),
                holder,
            });
        }
        if live && lease.is_some_and(|l| l <= now) {
            return Err(StoreError::LeaseExpired {
                task: id,
                worker: worker.to_string(),
                expired_at: lease.map(millis_to_ts).unwrap_or_default().to_string(),
            });
        }
    }
    if action == Action::Claim && unmet > 0 {
        return Err(StoreError::DependenciesNotCompleted {
            task: id,
            waiting: open_deps(c, id)?,
        });
    }

    let to = action.target();
    // The event first: a claim's event id is the task's new claim_seq. Should the
    // compare-and-set below lose a race, the whole transaction (event included) is retried.
    let event = insert_event(c, id, now, actor, Some(from), to, reason)?;
    let (new_worker, new_lease, new_seq): (Option<&str>, Option<i64>, i64) = match action {
        Action::Claim => (Some(actor), lease_until, event),
        Action::Submit | Action::Approve | Action::Fail => (holder.as_deref(), None, claim_seq),
        _ => (None, None, claim_seq),
    };
    let n = c.exec(
        "UPDATE tasks SET status = $1, worker = $2, lease_expires_at = $3, claim_seq = $4,
             updated_at = $5
         WHERE id = $6 AND status = $7 AND worker IS NOT DISTINCT FROM $8",
        &[
            P::T(to.as_str()),
            P::OT(new_worker),
            P::OI(new_lease),
            P::I(new_seq),
            P::I(now),
            P::I(id),
            P::T(from.as_str()),
            P::OT(holder.as_deref()),
        ],
    )?;
    if n != 1 {
        return Err(StoreError::Busy(format!(
            "{} changed concurrently",
            display_id(id)
        )));
    }
    if to == Status::Completed {
        adjust_dependents(c, id, -1)?;
    } else if from == Status::Completed {
        adjust_dependents(c, id, 1)?;
    }
    must_task(c, id)
}

/// Find a dependency cycle in `graph` (node → deps), visiting nodes in the given order.
/// Returns the cycle with its first node repeated at the end.
fn find_cycle(order: &[String], graph: &HashMap<&str, Vec<&str>>) -> Option<Vec<String>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        Open,
        Done,
    }
    let mut marks: HashMap<&str, Mark> = HashMap::new();
    for start in order {
        if marks.contains_key(start.as_str()) {
            continue;
        }
        // Iterative DFS: stack of (node, next dep index); `path` mirrors the open nodes.
        let mut stack: Vec<(&str, usize)> = vec![(start.as_str(), 0)];
        marks.insert(start.as_str(), Mark::Open);
        while let Some(&mut (node, ref mut next)) = stack.last_mut() {
            let deps = graph.get(node).map(Vec::as_slice).unwrap_or(&[]);
            if *next < deps.len() {
                let dep = deps[*next];
                *next += 1;
                match marks.get(dep) {
                    Some(Mark::Open) => {
                        let pos = stack.iter().position(|(n, _)| *n == dep).unwrap_or(0);
                        let mut cycle: Vec<String> =
                            stack[pos..].iter().map(|(n, _)| n.to_string()).collect();
                        cycle.push(dep.to_string());
                        return Some(cycle);
                    }
                    Some(Mark::Done) => {}
                    None => {
                        if graph.contains_key(dep) {
                            marks.insert(dep, Mark::Open);
                            stack.push((dep, 0));
                        }
                    }
                }
            } else {
                marks.insert(node, Mark::Done);
                stack.pop();
            }
        }
    }
    None
}

/// A plan task after validation.
struct CleanPlanTask {
    key: String,
    title: String,
    lane: String,
    priority: i64,
    risk: Risk,
    trace: String,
    dod: String,
    deps: Vec<String>,
}

fn clean_plan(tasks: &[PlanTask]) -> Result<Vec<CleanPlanTask>> {
    let mut seen = HashSet::new();
    let mut out = Vec::with_capacity(tasks.len());
    for t in tasks {
        let key = clean_key(&t.key)?;
        if !seen.insert(key.clone()) {
            return Err(StoreError::Invalid(format!(
                "the plan has two tasks with key `{key}`; keys must be unique"
            )));
        }
        let title = clean_line(&format!("the title of `{key}`"), &t.title, 500)?;
        let lane = normalize_lane(&t.lane)?;
        let priority = check_priority(t.priority)?;
        let trace = clean_text("the trace", &t.trace, 1_000)?;
        let dod = clean_text("the DoD", &t.dod, 10_000)?;
        let assessed = assess_risk(&lane, &[&title, &dod, &trace]);
        let risk = t.risk.map_or(assessed, |r| r.max(assessed));
        let mut deps = Vec::new();
        for d in &t.deps {
            let d = d.trim().to_string();
            if d == key {
                return Err(StoreError::Cycle(vec![key.clone(), key.clone()]));
            }
            if !d.is_empty() && !deps.contains(&d) {
                deps.push(d);
            }
        }
        out.push(CleanPlanTask {
            key,
            title,
            lane,
            priority,
            risk,
            trace,
            dod,
            deps,
        });
    }
    Ok(out)
}

/// An existing keyed task, as accept_plan compares it.
struct Existing {
    id: i64,
    plan: Option<String>,
    title: String,
    lane: String,
    priority: i64,
    risk: String,
    trace: String,
    dod: String,
    status: Status,
    deps: BTreeSet<String>,
}

fn load_keyed(c: &mut dyn Conn) -> Result<HashMap<String, Existing>> {
    let rows = c.query(
        "SELECT id, key, plan, title, lane, priority, risk, trace, dod, status FROM tasks
         WHERE key IS NOT NULL",
        &[],
    )?;
    let mut by_key = HashMap::with_capacity(rows.len());
    let mut key_of = HashMap::with_capacity(rows.len());
    for r in rows {
        let id = r.i64(0)?;
        let key = r.text(1)?;
        let status_text = r.text(9)?;
        key_of.insert(id, key.clone());
        by_key.insert(
            key,
            Existing {
                id,
                plan: r.opt_text(2)?,
                title: r.text(3)?,
                lane: r.text(4)?,
                priority: r.i64(5)?,
                risk: r.text(6)?,
                trace: r.text(7)?,
                dod: r.text(8)?,
                status: Status::parse(&status_text).ok_or_else(|| {
                    StoreError::Database(format!("unknown status `{status_text}` in store"))
                })?,
                deps: BTreeSet::new(),
            },
        );
    }
    let deps = c.query(
        "SELECT d.task_id, t.key FROM task_deps d JOIN tasks t ON t.id = d.dep_id
         WHERE t.key IS NOT NULL",
        &[],
    )?;
    for r in deps {
        let task = r.i64(0)?;
        let dep_key = r.text(1)?;
        if let Some(k) = key_of.get(&task)
            && let Some(e) = by_key.get_mut(k)
        {
            e.deps.insert(dep_key);
        }
    }
    Ok(by_key)
}

fn accept_in(
    c: &mut dyn Conn,
    plan: &str,
    tasks: &[CleanPlanTask],
    actor: &str,
    now: i64,
) -> Result<AcceptReport> {
    if c.dialect() == Dialect::Postgres {
        // One acceptance at a time per schema: two concurrent acceptances of the same plan
        // would otherwise both insert its keys.
        c.query(
            "SELECT pg_advisory_xact_lock(hashtext('mesh_accept:' || current_schema()))",
            &[],
        )?;
    }
    let existing = load_keyed(c)?;
    let plan_keys: HashSet<&str> = tasks.iter().map(|t| t.key.as_str()).collect();

    // Every dependency must name a key of the plan or of the store.
    for t in tasks {
        for d in &t.deps {
            if !plan_keys.contains(d.as_str()) && !existing.contains_key(d) {
                return Err(StoreError::UnknownDependency {
                    task: t.key.clone(),
                    dep: d.clone(),
                });
            }
        }
    }
    // The plan's own graph must be acyclic (stored tasks never depend on new ones, so a cycle
    // through the store would have to run through the plan's edges).
    let graph: HashMap<&str, Vec<&str>> = tasks
        .iter()
        .map(|t| (t.key.as_str(), t.deps.iter().map(String::as_str).collect()))
        .collect();
    let order: Vec<String> = tasks.iter().map(|t| t.key.clone()).collect();
    if let Some(cycle) = find_cycle(&order, &graph) {
        return Err(StoreError::Cycle(cycle));
    }

    let mut report = AcceptReport::default();
    let mut new_tasks: Vec<&CleanPlanTask> = Vec::new();
    for t in tasks {
        match existing.get(&t.key) {
            Some(e) => {
                let mut fields = Vec::new();
                if e.title != t.title {
                    fields.push("title".to_string());
                }
                if e.lane != t.lane {
                    fields.push("lane".to_string());
                }
                if e.priority != t.priority {
                    fields.push("priority".to_string());
                }
                if e.risk != t.risk.as_str() {
                    fields.push("risk".to_string());
                }
                if e.trace != t.trace {
                    fields.push("trace".to_string());
                }
                if e.dod != t.dod {
                    fields.push("dod".to_string());
                }
                let plan_deps: BTreeSet<String> = t.deps.iter().cloned().collect();
                if e.deps != plan_deps {
                    fields.push("deps".to_string());
                }
                if fields.is_empty() {
                    report.unchanged.push(t.key.clone());
                } else {
                    report.changed.push(ChangedTask {
                        key: t.key.clone(),
                        id: e.id,
                        fields,
                    });
                }
            }
            None => new_tasks.push(t),
        }
    }
    let mut gone: Vec<DisappearedTask> = existing
        .iter()
        .filter(|(k, e)| e.plan.as_deref() == Some(plan) && !plan_keys.contains(k.as_str()))
        .map(|(k, e)| DisappearedTask {
            key: k.clone(),
            id: e.id,
            status: e.status,
        })
        .collect();
    gone.sort_by_key(|d| d.id);
    report.disappeared = gone;
    if new_tasks.is_empty() {
        return Ok(report);
    }

    // Dependencies on stored tasks: their status decides the unmet count. On PostgreSQL, lock
    // them (FOR SHARE) so a concurrent completion or reopen cannot slip between the count and
    // the insert.
    let new_keys: HashSet<&str> = new_tasks.iter().map(|t| t.key.as_str()).collect();
    let mut stored_dep_ids: Vec<i64> = new_tasks
        .iter()
        .flat_map(|t| t.deps.iter())
        .filter(|d| !new_keys.contains(d.as_str()))
        .filter_map(|d| existing.get(d).map(|e| e.id))
        .collect();
    stored_dep_ids.sort_unstable();
    stored_dep_ids.dedup();
    let mut completed: HashSet<i64> = HashSet::new();
    if !stored_dep_ids.is_empty() {
        let rows = match c.dialect() {
            Dialect::Postgres => c.query(
                "SELECT id, status FROM tasks WHERE id = ANY($1) FOR SHARE",
                &[P::IA(&stored_dep_ids)],
            )?,
            Dialect::Sqlite => {
                let mut rows = Vec::new();
                for id in &stored_dep_ids {
                    rows.extend(
                        c.query("SELECT id, status FROM tasks WHERE id = $1", &[P::I(*id)])?,
                    );
                }
                rows
            }
        };
        for r in rows {
            if r.text(1)? == Status::Completed.as_str() {
                completed.insert(r.i64(0)?);
            }
        }
    }
    let unmet_of = |t: &CleanPlanTask| -> i64 {
        t.deps
            .iter()
            .filter(|d| match existing.get(d.as_str()) {
                Some(e) if !new_keys.contains(d.as_str()) => !completed.contains(&e.id),
                _ => true,
            })
            .count() as i64
    };

    let reason = format!("accepted from plan {plan}");
    let mut ids: HashMap<String, i64> = HashMap::with_capacity(new_tasks.len());
    match c.dialect() {
        Dialect::Postgres => {
            let col = |f: &dyn Fn(&CleanPlanTask) -> String| -> Vec<String> {
                new_tasks.iter().map(|t| f(t)).collect()
            };
            let keys = col(&|t| t.key.clone());
            let titles = col(&|t| t.title.clone());
            let lanes = col(&|t| t.lane.clone());
            let risks = col(&|t| t.risk.as_str().to_string());
            let traces = col(&|t| t.trace.clone());
            let dods = col(&|t| t.dod.clone());
            let prios: Vec<i64> = new_tasks.iter().map(|t| t.priority).collect();
            let unmet: Vec<i64> = new_tasks.iter().map(|t| unmet_of(t)).collect();
            let rows = c.query(
                "INSERT INTO tasks (key, plan, title, lane, priority, risk, trace, dod, status,
                                    unmet_deps, created_at, updated_at)
                 SELECT u.key, $1, u.title, u.lane, u.priority, u.risk, u.trace, u.dod,
                        'pending', u.unmet, $2, $2
                 FROM UNNEST($3::text[], $4::text[], $5::text[], $6::bigint[], $7::text[],
                             $8::text[], $9::text[], $10::bigint[])
                      WITH ORDINALITY AS u(key, title, lane, priority, risk, trace, dod, unmet, ord)
                 ORDER BY u.ord
                 RETURNING id, key",
                &[
                    P::T(plan),
                    P::I(now),
                    P::TA(&keys),
                    P::TA(&titles),
                    P::TA(&lanes),
                    P::IA(&prios),
                    P::TA(&risks),
                    P::TA(&traces),
                    P::TA(&dods),
                    P::IA(&unmet),
                ],
            )?;
            for r in rows {
                ids.insert(r.text(1)?, r.i64(0)?);
            }
            let mut dep_from = Vec::new();
            let mut dep_to = Vec::new();
            for t in &new_tasks {
                let Some(&id) = ids.get(&t.key) else { continue };
                for d in &t.deps {
                    let dep_id = ids
                        .get(d)
                        .copied()
                        .or_else(|| existing.get(d).map(|e| e.id));
                    if let Some(dep_id) = dep_id {
                        dep_from.push(id);
                        dep_to.push(dep_id);
                    }
                }
            }
            if !dep_from.is_empty() {
                c.exec(
                    "INSERT INTO task_deps (task_id, dep_id)
                     SELECT * FROM UNNEST($1::bigint[], $2::bigint[])",
                    &[P::IA(&dep_from), P::IA(&dep_to)],
                )?;
            }
            let new_ids: Vec<i64> = new_tasks
                .iter()
                .filter_map(|t| ids.get(&t.key).copied())
                .collect();
            c.exec(
                "INSERT INTO task_events (task_id, at, actor, from_status, to_status, reason)
                 SELECT u.id, $1, $2, NULL, 'pending', $3
                 FROM UNNEST($4::bigint[]) WITH ORDINALITY AS u(id, ord) ORDER BY u.ord",
                &[P::I(now), P::T(actor), P::T(&reason), P::IA(&new_ids)],
            )?;
            c.exec(
                "INSERT INTO lanes (lane) SELECT DISTINCT u.lane FROM UNNEST($1::text[]) AS u(lane)
                 ON CONFLICT (lane) DO NOTHING",
                &[P::TA(&lanes)],
            )?;
        }
        Dialect::Sqlite => {
            let mut lanes_seen: HashSet<&str> = HashSet::new();
            for t in &new_tasks {
                let row = c
                    .query_opt(
                        "INSERT INTO tasks (key, plan, title, lane, priority, risk, trace, dod,
                                            status, unmet_deps, created_at, updated_at)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'pending', $9, $10, $10)
                         RETURNING id",
                        &[
                            P::T(&t.key),
                            P::T(plan),
                            P::T(&t.title),
                            P::T(&t.lane),
                            P::I(t.priority),
                            P::T(t.risk.as_str()),
                            P::T(&t.trace),
                            P::T(&t.dod),
                            P::I(unmet_of(t)),
                            P::I(now),
                        ],
                    )?
                    .ok_or_else(|| StoreError::Database("insert returned no id".into()))?;
                let id = row.i64(0)?;
                ids.insert(t.key.clone(), id);
                insert_event(c, id, now, actor, None, Status::Pending, &reason)?;
                if lanes_seen.insert(t.lane.as_str()) {
                    ensure_lane(c, &t.lane)?;
                }
            }
            for t in &new_tasks {
                let Some(&id) = ids.get(&t.key) else { continue };
                for d in &t.deps {
                    let dep_id = ids
                        .get(d)
                        .copied()
                        .or_else(|| existing.get(d).map(|e| e.id));
                    if let Some(dep_id) = dep_id {
                        c.exec(
                            "INSERT INTO task_deps (task_id, dep_id) VALUES ($1, $2)",
                            &[P::I(id), P::I(dep_id)],
                        )?;
                    }
                }
            }
        }
    }
    report.added = new_tasks
        .iter()
        .filter_map(|t| {
            ids.get(&t.key).map(|&id| AcceptedTask {
                key: t.key.clone(),
                id,
            })
        })
        .collect();
    Ok(report)
}

// ---------------------------------------------------------------------------------------------

/// Validate a PostgreSQL schema name (it becomes an identifier, so it is checked, not quoted
/// blindly): a lower-case letter or `_`, then letters, digits or `_`, at most 63 bytes.
fn check_schema_name(schema: &str) -> Result<()> {
    let ok = !schema.is_empty()
        && schema.len() <= 63
        && schema
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_lowercase() || b == b'_')
        && schema
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(StoreError::Invalid(format!(
            "PostgreSQL schema name `{schema}` must be lower-case letters, digits and `_`, starting with a letter"
        )))
    }
}

fn error_chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(s) = source {
        let s_text = s.to_string();
        if !text.contains(&s_text) {
            text.push_str(": ");
            text.push_str(&s_text);
        }
        source = s.source();
    }
    text
}

/// One claim on PostgreSQL: `mesh_next` in autocommit, one transaction and one round trip,
/// retried on contention until the busy timeout.
fn pg_next_one(db: &mut PgConn, claim: &Claim, now: i64) -> Result<Option<Task>> {
    let timeout = db.busy_timeout;
    let row = crate::db::retry_busy(timeout, || {
        db.query_opt(
            "SELECT * FROM mesh_next($1, $2, $3, $4)",
            &[
                P::T(&claim.worker),
                P::OT(claim.lane.as_deref()),
                P::I(now),
                P::I(claim.until),
            ],
        )
    })?;
    row.map(|row| parse_task(&row)).transpose()
}

impl Store {
    /// Open (creating and migrating when needed) the store at `location`.
    pub fn open(location: &StoreLocation) -> Result<Store> {
        Store::open_with(location, &OpenOptions::default())
    }

    /// Open with options.
    pub fn open_with(location: &StoreLocation, opts: &OpenOptions) -> Result<Store> {
        match location {
            StoreLocation::Sqlite(path) => Store::open_sqlite_with(path, opts),
            StoreLocation::Postgres(url) => Store::open_postgres_with(url, opts),
        }
    }

    /// Open from a location string (`postgres://…`, `sqlite:PATH` or a path relative to the
    /// current directory).
    pub fn open_url(location: &str) -> Result<Store> {
        let cwd = std::env::current_dir().map_err(|source| StoreError::Io {
            path: ".".into(),
            source,
        })?;
        Store::open(&StoreLocation::parse(location, &cwd)?)
    }

    /// Open a SQLite store: the file and its directory are created on first use (a new `.mesh/`
    /// directory gets a `.gitignore` so the database is never committed), WAL mode.
    pub fn open_sqlite_with(path: &Path, opts: &OpenOptions) -> Result<Store> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty())
            && !dir.exists()
        {
            std::fs::create_dir_all(dir).map_err(|source| StoreError::Io {
                path: dir.to_path_buf(),
                source,
            })?;
            if dir.file_name().is_some_and(|n| n == ".mesh") {
                // A failure here only means the directory may show up in `git status`.
                let _ = std::fs::write(dir.join(".gitignore"), "*\n");
            }
        }
        use rusqlite::OpenFlags as F;
        let conn = rusqlite::Connection::open_with_flags(
            path,
            F::SQLITE_OPEN_READ_WRITE | F::SQLITE_OPEN_CREATE | F::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| map_sqlite(path, e))?;
        conn.set_prepared_statement_cache_capacity(64);
        let mut db = SqliteConn {
            conn,
            path: path.to_path_buf(),
            busy_timeout: opts.busy_timeout,
        };
        let p = path.to_path_buf();
        db.with_retry(&mut |db| {
            let mode: String = db
                .conn
                .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
                .map_err(|e| map_sqlite(&p, e))?;
            if !mode.eq_ignore_ascii_case("wal") {
                return Err(StoreError::Database(format!(
                    "{} could not be switched to WAL mode (it is in {mode} mode)",
                    p.display()
                )));
            }
            db.conn
                .execute_batch("PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;")
                .map_err(|e| map_sqlite(&p, e))
        })?;
        migrate::migrate_sqlite(&mut db, ms(opts.clock.now()))?;
        let checkpointer = opts
            .background_checkpoint
            .then(|| Checkpointer::take_over(&db, checkpointer::Config::default()))
            .and_then(|started| {
                // Not fatal: the store keeps SQLite's automatic checkpoint.
                started
                    .inspect_err(|e| tracing::warn!(store = %path.display(), error = %e, "no background WAL checkpoints; SQLite checkpoints in the commits"))
                    .ok()
            });
        Ok(Store {
            checkpointer,
            backend: Backend::Sqlite(Mutex::new(db)),
            claims: Combiner::new(1),
            clock: opts.clock.clone(),
            location: path.display().to_string(),
        })
    }

    /// Open a PostgreSQL store (tables created in the connection's schema, or in
    /// `opts.pg_schema`).
    pub fn open_postgres_with(url: &str, opts: &OpenOptions) -> Result<Store> {
        let shown = redact_url(url);
        let mut config: postgres::Config =
            url.parse()
                .map_err(|e: postgres::Error| StoreError::Unreachable {
                    url: shown.clone(),
                    reason: format!("the URL is not valid ({})", error_chain(&e)),
                })?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(opts.connect_timeout);
        }
        config.application_name("mesh");
        let connect = || -> Result<PgConn> {
            let client = config
                .connect(postgres::NoTls)
                .map_err(|e| StoreError::Unreachable {
                    url: shown.clone(),
                    reason: error_chain(&e),
                })?;
            Ok(PgConn::new(client, shown.clone(), opts.busy_timeout))
        };
        let search_path = |db: &mut PgConn, schema: &str| -> Result<()> {
            db.query(
                "SELECT set_config('search_path', $1, false)",
                &[P::T(&format!("\"{schema}\""))],
            )
            .map(drop)
        };
        let mut db = connect()?;
        if let Some(schema) = &opts.pg_schema {
            check_schema_name(schema)?;
            let exists = db.query_opt(
                "SELECT 1 FROM pg_namespace WHERE nspname = $1",
                &[P::T(schema)],
            )?;
            if exists.is_none() {
                // Identifier checked above; identifiers cannot be bound as parameters.
                let create = format!("CREATE SCHEMA IF NOT EXISTS \"{schema}\"");
                if let Err(e) = db.batch(&create) {
                    // A concurrent opener may have created it first.
                    let again = db.query_opt(
                        "SELECT 1 FROM pg_namespace WHERE nspname = $1",
                        &[P::T(schema)],
                    )?;
                    if again.is_none() {
                        return Err(e);
                    }
                }
            }
            search_path(&mut db, schema)?;
        }
        migrate::migrate_postgres(&mut db, ms(opts.clock.now()))?;
        let extra = (1..opts.claim_connections.clamp(1, MAX_CLAIM_CONNECTIONS))
            .map(|_| {
                let mut extra = connect()?;
                if let Some(schema) = &opts.pg_schema {
                    search_path(&mut extra, schema)?;
                }
                Ok(Mutex::new(extra))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Store {
            checkpointer: None,
            claims: Combiner::new(1 + extra.len()),
            backend: Backend::Postgres(Box::new(Mutex::new(db)), extra),
            clock: opts.clock.clone(),
            location: shown,
        })
    }

    /// Replace the clock (tests move a [`crate::ManualClock`] instead of sleeping).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Store {
        self.clock = clock;
        self
    }

    /// `sqlite` or `postgres`.
    pub fn backend_name(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite(_) => "sqlite",
            Backend::Postgres(..) => "postgres",
        }
    }

    /// The file path, or the URL without password.
    pub fn location(&self) -> &str {
        &self.location
    }

    /// What the background WAL checkpointer did so far; `None` when the store has none
    /// ([`OpenOptions::background_checkpoint`] off, PostgreSQL, or it could not start).
    pub fn wal_checkpoints(&self) -> Option<WalCheckpoints> {
        self.checkpointer.as_ref().map(Checkpointer::stats)
    }

    /// The schema version of the store.
    pub fn schema_version(&self) -> Result<i64> {
        self.read(|c| {
            Ok(c.query_opt("SELECT max(version) FROM mesh_schema", &[])?
                .map(|r| r.opt_i64(0))
                .transpose()?
                .flatten()
                .unwrap_or(0))
        })
    }

    pub(crate) fn now_ms(&self) -> i64 {
        ms(self.clock.now())
    }

    pub(crate) fn write<T>(&self, mut f: impl FnMut(&mut dyn Conn) -> Result<T>) -> Result<T> {
        match &self.backend {
            Backend::Sqlite(m) => lock(m).transaction(true, &mut f),
            Backend::Postgres(m, _) => lock(m).transaction(true, &mut f),
        }
    }

    pub(crate) fn read<T>(&self, mut f: impl FnMut(&mut dyn Conn) -> Result<T>) -> Result<T> {
        match &self.backend {
            Backend::Sqlite(m) => lock(m).transaction(false, &mut f),
            Backend::Postgres(m, _) => lock(m).transaction(false, &mut f),
        }
    }

    // -- reading ------------------------------------------------------------------------------

    /// Resolve `12`, `T-12` or a task key to a task id.
    pub fn resolve(&self, reference: &str) -> Result<i64> {
        let reference = reference.trim();
        if let Some(id) = parse_id(reference) {
            let found =
                self.read(|c| c.query_opt("SELECT id FROM tasks WHERE id = $1", &[P::I(id)]))?;
            return match found {
                Some(_) => Ok(id),
                None => Err(StoreError::UnknownTask(reference.to_string())),
            };
        }
        let found =
            self.read(|c| c.query_opt("SELECT id FROM tasks WHERE key = $1", &[P::T(reference)]))?;
        match found {
            Some(r) => r.i64(0),
            None => Err(StoreError::UnknownTask(reference.to_string())),
        }
    }

    /// One task.
    pub fn get_task(&self, id: i64) -> Result<Task> {
        self.read(|c| must_task(c, id))
    }

    /// One task with its history.
    pub fn task_detail(&self, id: i64) -> Result<TaskDetail> {
        self.read(|c| {
            let task = must_task(c, id)?;
            let events = fetch_events(c, id)?;
            let evidence = crate::evidence::fetch_evidence(c, id)?;
            Ok(TaskDetail {
                task,
                events,
                evidence,
            })
        })
    }

    /// A task's history, oldest first.
    pub fn events(&self, id: i64) -> Result<Vec<TaskEvent>> {
        self.read(|c| {
            must_task(c, id)?;
            fetch_events(c, id)
        })
    }

    /// Tasks matching `filter`, by id.
    pub fn list_tasks(&self, filter: &TaskFilter) -> Result<Vec<Task>> {
        let lane = filter.lane.as_deref().map(normalize_lane).transpose()?;
        self.read(|c| {
            let sql = match c.dialect() {
                Dialect::Sqlite => SQLITE_TASK_LIST,
                Dialect::Postgres => PG_TASK_LIST,
            };
            let rows = c.query(
                sql,
                &[
                    P::OT(filter.status.map(Status::as_str)),
                    P::OT(lane.as_deref()),
                    P::OT(filter.worker.as_deref()),
                ],
            )?;
            rows.iter().map(parse_task).collect()
        })
    }

    /// Count of tasks per status (every status present, zero when none).
    pub fn status_counts(&self) -> Result<Vec<(Status, i64)>> {
        let rows =
            self.read(|c| c.query("SELECT status, count(*) FROM tasks GROUP BY status", &[]))?;
        let mut counts: HashMap<Status, i64> = HashMap::new();
        for r in rows {
            if let Some(s) = Status::parse(&r.text(0)?) {
                counts.insert(s, r.i64(1)?);
            }
        }
        Ok(Status::ALL
            .iter()
            .map(|s| (*s, counts.get(s).copied().unwrap_or(0)))
            .collect())
    }

    // -- creating -----------------------------------------------------------------------------

    /// Add one task (status pending). Dependencies must exist; the risk is raised to at least
    /// the assessed risk.
    pub fn add_task(&self, new: &NewTask, actor: &str) -> Result<Task> {
        let actor = clean_actor("the actor", actor)?;
        let title = clean_line("the title", &new.title, 500)?;
        let lane = normalize_lane(&new.lane)?;
        let prio = check_priority(new.priority.unwrap_or(priority::NORMAL))?;
        let trace = clean_text("the trace", &new.trace, 1_000)?;
        let dod = clean_text("the DoD", &new.dod, 10_000)?;
        let key = new.key.as_deref().map(clean_key).transpose()?;
        let assessed = assess_risk(&lane, &[&title, &dod, &trace]);
        let risk = new.risk.map_or(assessed, |r| r.max(assessed));
        let mut deps = new.deps.clone();
        deps.sort_unstable();
        deps.dedup();
        let now = self.now_ms();
        self.write(|c| {
            if let Some(k) = &key
                && c.query_opt("SELECT id FROM tasks WHERE key = $1", &[P::T(k)])?
                    .is_some()
            {
                return Err(StoreError::Invalid(format!(
                    "a task with key `{k}` already exists"
                )));
            }
            let lock_sql = match c.dialect() {
                Dialect::Sqlite => "SELECT status FROM tasks WHERE id = $1",
                Dialect::Postgres => "SELECT status FROM tasks WHERE id = $1 FOR SHARE",
            };
            let mut unmet = 0;
            for d in &deps {
                let row = c.query_opt(lock_sql, &[P::I(*d)])?;
                match row {
                    None => {
                        return Err(StoreError::UnknownDependency {
                            task: title.clone(),
                            dep: display_id(*d),
                        });
                    }
                    Some(r) => {
                        if r.text(0)? != Status::Completed.as_str() {
                            unmet += 1;
                        }
                    }
                }
            }
            let id = c
                .query_opt(
                    "INSERT INTO tasks (key, plan, title, lane, priority, risk, trace, dod, status,
                                        unmet_deps, created_at, updated_at)
                     VALUES ($1, NULL, $2, $3, $4, $5, $6, $7, 'pending', $8, $9, $9)
                     RETURNING id",
                    &[
                        P::OT(key.as_deref()),
                        P::T(&title),
                        P::T(&lane),
                        P::I(prio),
                        P::T(risk.as_str()),
                        P::T(&trace),
                        P::T(&dod),
                        P::I(unmet),
                        P::I(now),
                    ],
                )?
                .ok_or_else(|| StoreError::Database("insert returned no id".into()))?
                .i64(0)?;
            for d in &deps {
                c.exec(
                    "INSERT INTO task_deps (task_id, dep_id) VALUES ($1, $2)",
                    &[P::I(id), P::I(*d)],
                )?;
            }
            ensure_lane(c, &lane)?;
            insert_event(c, id, now, &actor, None, Status::Pending, "created")?;
            must_task(c, id)
        })
    }

    /// Import a plan in one transaction.
    ///
    /// - A key already in the store is left as it is: reported `unchanged`, or `changed` with
    ///   the differing fields (the store is the source of truth for tasks; nothing is
    ///   overwritten).
    /// - New keys become pending tasks of `plan`, in plan order, with their dependencies.
    /// - Keys that an earlier acceptance of the same `plan` created and that the plan no longer
    ///   has are returned as `disappeared` (never dropped).
    /// - A dependency on a key that is neither in the plan nor in the store, duplicate keys, and
    ///   dependency cycles (named) are refused; nothing is written then.
    ///
    /// Accepting the same plan again changes nothing.
    pub fn accept_plan(&self, plan: &str, tasks: &[PlanTask], actor: &str) -> Result<AcceptReport> {
        let plan = clean_line("the plan name", plan, 500)?;
        let actor = clean_actor("the actor", actor)?;
        let clean = clean_plan(tasks)?;
        let now = self.now_ms();
        self.write(|c| accept_in(c, &plan, &clean, &actor, now))
    }

    // -- scheduling ---------------------------------------------------------------------------

    /// Pick and claim in one step: expired leases are reaped first; then the most urgent
    /// claimable task (pending, every dependency completed), lanes served round-robin among
    /// equally urgent tasks. `lane` restricts the pick to one lane. `Ok(None)` when nothing is
    /// claimable.
    pub fn next_task(
        &self,
        worker: &str,
        lane: Option<&str>,
        lease: Duration,
    ) -> Result<Option<Task>> {
        let claim = self.check_claim(worker, lane, lease)?;
        // Concurrent calls on this store are served together, one transaction per batch.
        self.claims.submit(claim, |connection, batch| {
            self.serve_claims(connection, batch)
        })
    }

    /// Serve several workers' claims in one transaction, in order: each request gets what the
    /// same [`Store::next_task`] calls made one after another would get (its own task, lease and
    /// claim event, or `None`). For a process that gathers claims itself; concurrent
    /// `next_task` calls on one store are already combined this way. A request that is not
    /// valid (empty worker, bad lane or lease) gets its error and does not affect the others.
    pub fn next_tasks(&self, requests: &[NextRequest]) -> Vec<Result<Option<Task>>> {
        let mut answers: Vec<Option<Result<Option<Task>>>> = Vec::with_capacity(requests.len());
        let mut claims = Vec::new();
        for r in requests {
            match self.check_claim(&r.worker, r.lane.as_deref(), r.lease) {
                Ok(claim) => {
                    claims.push(claim);
                    answers.push(None);
                }
                Err(e) => answers.push(Some(Err(e))),
            }
        }
        let mut served = self.serve_claims(0, &claims).into_iter();
        answers
            .into_iter()
            .map(|a| {
                a.or_else(|| served.next()).unwrap_or_else(|| {
                    Err(StoreError::Database(
                        "a claim of the batch got no answer".into(),
                    ))
                })
            })
            .collect()
    }

    /// How concurrent [`Store::next_task`] calls on this store were batched so far.
    pub fn claim_stats(&self) -> ClaimStats {
        self.claims.stats()
    }

    fn check_claim(&self, worker: &str, lane: Option<&str>, lease: Duration) -> Result<Claim> {
        let worker = clean_actor("the worker", worker)?;
        let lane = lane.map(normalize_lane).transpose()?;
        let lease = lease_ms(lease)?;
        Ok(Claim {
            worker,
            lane,
            until: self.now_ms().saturating_add(lease),
        })
    }

    /// One transaction for the whole batch (expired leases reaped first, when there are any),
    /// on claim connection `connection`. A single claim on PostgreSQL is one call of
    /// `mesh_next` (one round trip). If a batch fails for another reason than contention, each
    /// claim is served alone so that each gets its own answer.
    fn serve_claims(&self, connection: usize, claims: &[Claim]) -> Vec<Result<Option<Task>>> {
        if claims.is_empty() {
            return Vec::new();
        }
        let now = self.now_ms();
        let mut serve = |c: &mut dyn Conn| claims::claim_in(c, now, claims);
        let batch = match &self.backend {
            Backend::Postgres(main, extra) => {
                let m = connection
                    .checked_sub(1)
                    .and_then(|i| extra.get(i))
                    .unwrap_or(main);
                let mut db = lock(m);
                if let [one] = claims {
                    return vec![pg_next_one(&mut db, one, now)];
                }
                db.transaction(true, &mut serve)
            }
            Backend::Sqlite(m) => lock(m).transaction(true, &mut serve),
        };
        match batch {
            Ok(tasks) => tasks.into_iter().map(Ok).collect(),
            Err(e) if claims.len() == 1 => vec![Err(e)],
            Err(_) => claims
                .iter()
                .flat_map(|c| self.serve_claims(connection, std::slice::from_ref(c)))
                .collect(),
        }
    }

    /// Claim a given task (pending, dependencies completed) for `worker` with a lease.
    pub fn claim_task(&self, id: i64, worker: &str, lease: Duration) -> Result<Task> {
        let worker = clean_actor("the worker", worker)?;
        let lease = lease_ms(lease)?;
        let now = self.now_ms();
        self.write(|c| {
            reap_in(c, now)?;
            transition(
                c,
                id,
                Action::Claim,
                &worker,
                Guard::Anyone,
                "claimed",
                now,
                Some(now.saturating_add(lease)),
            )
        })
    }

    /// Renew the lease of `worker`'s claim on `id` (now + `lease`). Refused when the task is
    /// not in progress, is claimed by another worker, or the lease already ran out.
    pub fn heartbeat(&self, id: i64, worker: &str, lease: Duration) -> Result<Task> {
        let worker = clean_actor("the worker", worker)?;
        let lease = lease_ms(lease)?;
        let now = self.now_ms();
        self.write(|c| {
            let row = c
                .query_opt(
                    "SELECT status, worker, lease_expires_at FROM tasks WHERE id = $1",
                    &[P::I(id)],
                )?
                .ok_or_else(|| StoreError::UnknownTask(display_id(id)))?;
            let status_text = row.text(0)?;
            let status = Status::parse(&status_text).ok_or_else(|| {
                StoreError::Database(format!("unknown status `{status_text}` in store"))
            })?;
            let holder = row.opt_text(1)?;
            if status != Status::InProgress {
                return Err(StoreError::IllegalTransition {
                    task: id,
                    action: "heartbeat",
                    from: status,
                    allowed: describe_allowed(status),
                });
            }
            if holder.as_deref() != Some(worker.as_str()) {
                return Err(StoreError::NotYourClaim {
                    task: id,
                    worker: worker.clone(),
                    holder,
                });
            }
            if let Some(l) = row.opt_i64(2)?
                && l <= now
            {
                return Err(StoreError::LeaseExpired {
                    task: id,
                    worker: worker.clone(),
                    expired_at: millis_to_ts(l).to_string(),
                });
            }
            let n = c.exec(
                "UPDATE tasks SET lease_expires_at = $1, updated_at = $2
                 WHERE id = $3 AND status = 'in_progress' AND worker = $4",
                &[
                    P::I(now.saturating_add(lease)),
                    P::I(now),
                    P::I(id),
                    P::T(&worker),
                ],
            )?;
            if n != 1 {
                return Err(StoreError::Busy(format!(
                    "{} changed concurrently",
                    display_id(id)
                )));
            }
            must_task(c, id)
        })
    }

    /// Give a claimed task back (in_progress → pending). Only the holder may.
    pub fn release(&self, id: i64, worker: &str, note: Option<&str>) -> Result<Task> {
        let worker = clean_actor("the worker", worker)?;
        let reason = note_or(note, "released")?;
        let now = self.now_ms();
        self.write(|c| {
            transition(
                c,
                id,
                Action::Release,
                &worker,
                Guard::Holder {
                    worker: &worker,
                    live: false,
                },
                &reason,
                now,
                None,
            )
        })
    }

    /// Give up on a claimed task (in_progress → failed). Only the holder may; a note is required.
    pub fn fail(&self, id: i64, worker: &str, note: &str) -> Result<Task> {
        let worker = clean_actor("the worker", worker)?;
        let reason = required_note("`release --fail`", note)?;
        let now = self.now_ms();
        self.write(|c| {
            transition(
                c,
                id,
                Action::Fail,
                &worker,
                Guard::Holder {
                    worker: &worker,
                    live: false,
                },
                &reason,
                now,
                None,
            )
        })
    }

    /// Submit for review (in_progress → reviewing). Only the holder, with a live lease.
    pub fn submit(&self, id: i64, worker: &str, note: Option<&str>) -> Result<Task> {
        let worker = clean_actor("the worker", worker)?;
        let reason = note_or(note, "submitted for review")?;
        let now = self.now_ms();
        self.write(|c| {
            transition(
                c,
                id,
                Action::Submit,
                &worker,
                Guard::Holder {
                    worker: &worker,
                    live: true,
                },
                &reason,
                now,
                None,
            )
        })
    }

    /// Review a submitted task: approve (→ completed, the only way there) or reject (→ pending).
    /// A note is required.
    pub fn review(&self, id: i64, verdict: Verdict, reviewer: &str, note: &str) -> Result<Task> {
        let reviewer = clean_actor("the reviewer", reviewer)?;
        let reason = required_note("`review`", note)?;
        let action = match verdict {
            Verdict::Approve => Action::Approve,
            Verdict::Reject => Action::Reject,
        };
        let now = self.now_ms();
        self.write(|c| transition(c, id, action, &reviewer, Guard::Anyone, &reason, now, None))
    }

    /// Block a task (pending / in_progress / reviewing → blocked); a note is required.
    pub fn block(&self, id: i64, actor: &str, note: &str) -> Result<Task> {
        self.simple(id, Action::Block, actor, Some(note), true)
    }

    /// Unblock a task (blocked → pending).
    pub fn unblock(&self, id: i64, actor: &str, note: Option<&str>) -> Result<Task> {
        self.simple(id, Action::Unblock, actor, note, false)
    }

    /// Cancel a task (any open status → cancelled); a note is required.
    pub fn cancel(&self, id: i64, actor: &str, note: &str) -> Result<Task> {
        self.simple(id, Action::Cancel, actor, Some(note), true)
    }

    /// Reopen a task (completed / failed / cancelled → pending); a note is required.
    pub fn reopen(&self, id: i64, actor: &str, note: &str) -> Result<Task> {
        self.simple(id, Action::Reopen, actor, Some(note), true)
    }

    fn simple(
        &self,
        id: i64,
        action: Action,
        actor: &str,
        note: Option<&str>,
        note_required: bool,
    ) -> Result<Task> {
        let actor = clean_actor("the actor", actor)?;
        let reason = if note_required {
            required_note(&format!("`{}`", action.verb()), note.unwrap_or(""))?
        } else {
            note_or(note, action.verb())?
        };
        let now = self.now_ms();
        self.write(|c| transition(c, id, action, &actor, Guard::Anyone, &reason, now, None))
    }

    /// Return every expired claim to pending (also done on every pick).
    pub fn reap(&self) -> Result<Vec<Reaped>> {
        let now = self.now_ms();
        self.write(|c| reap_in(c, now))
    }

    /// Internal consistency problems (none in a healthy store): dependency counters that do not
    /// match the dependencies' statuses, claims without worker or lease, leases on tasks that
    /// are not in progress.
    pub fn check_integrity(&self) -> Result<Vec<String>> {
        self.read(|c| {
            let mut problems = Vec::new();
            let rows = c.query(
                "SELECT t.id, t.unmet_deps,
                        (SELECT count(*) FROM task_deps d JOIN tasks p ON p.id = d.dep_id
                         WHERE d.task_id = t.id AND p.status <> 'completed')
                 FROM tasks t ORDER BY t.id",
                &[],
            )?;
            for r in rows {
                let (id, stored, actual) = (r.i64(0)?, r.i64(1)?, r.i64(2)?);
                if stored != actual {
                    problems.push(format!(
                        "{}: counts {stored} open dependencies, has {actual}",
                        display_id(id)
                    ));
                }
            }
            let rows = c.query(
                "SELECT id, status FROM tasks
                 WHERE (status = 'in_progress' AND (worker IS NULL OR lease_expires_at IS NULL))
                    OR (status <> 'in_progress' AND lease_expires_at IS NOT NULL)
                 ORDER BY id",
                &[],
            )?;
            for r in rows {
                problems.push(format!(
                    "{}: {} with an inconsistent claim",
                    display_id(r.i64(0)?),
                    r.text(1)?
                ));
            }
            Ok(problems)
        })
    }
}
