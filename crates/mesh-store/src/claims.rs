//! Claims served together.
//!
//! A process that serves many workers through one [`crate::Store`] (`mesh serve`, `mesh mcp`
//! over HTTP, a pool of agent threads) used to run their claims one transaction at a time on the
//! store's one connection. Now concurrent [`crate::Store::next_task`] calls on one store are
//! combined: the first caller that finds no batch running becomes the leader, takes every claim
//! queued so far and serves them all in one transaction (a few statements and one commit), while
//! the others wait for their answer; claims that arrive meanwhile form the next batch. It is the
//! group commit databases use for their own log, one level up.
//!
//! Each worker still gets one task, with its own lease and its own claim event, and the batch
//! hands tasks out in the order the same claims would get one after another ([`assign`]): the
//! most urgent claimable priority first, lanes served round-robin (least recently served first,
//! ties by name), a lane-restricted claim only from its lane.

use std::collections::{HashMap, VecDeque};
use std::sync::{Condvar, Mutex, MutexGuard};

use crate::db::{Conn, Dialect, P};
use crate::error::{Result, StoreError};
use crate::model::Task;

/// One claim, checked and ready: who, which lane (if restricted), and the lease's end (ms).
#[derive(Debug, Clone)]
pub(crate) struct Claim {
    pub worker: String,
    pub lane: Option<String>,
    pub until: i64,
}

/// A lane as the pick sees it: when it was last served (its latest claim's event id) and its
/// claimable tasks `(priority, id)`, most urgent first.
#[derive(Debug, Clone)]
pub(crate) struct LaneQueue {
    pub name: String,
    pub served: i64,
    pub tasks: VecDeque<(i64, i64)>,
}

/// Which task each claim gets, claims taken in order, as if each were a separate call: a
/// lane-restricted claim takes its lane's most urgent task; any other takes the most urgent
/// priority any lane offers, from the least recently served lane offering it (ties by name).
/// Serving a lane makes it the most recently served.
pub(crate) fn assign(lanes: &mut [LaneQueue], claims: &[Claim]) -> Vec<Option<i64>> {
    let mut stamp = lanes.iter().map(|l| l.served).max().unwrap_or(0);
    claims
        .iter()
        .map(|claim| {
            let chosen = match &claim.lane {
                Some(name) => lanes
                    .iter()
                    .position(|l| &l.name == name && !l.tasks.is_empty()),
                None => lanes
                    .iter()
                    .enumerate()
                    .filter_map(|(i, l)| l.tasks.front().map(|&(p, _)| (p, l.served, &l.name, i)))
                    .min()
                    .map(|(.., i)| i),
            }?;
            let lane = &mut lanes[chosen];
            let (_, id) = lane.tasks.pop_front()?;
            stamp = stamp.saturating_add(1);
            lane.served = stamp;
            Some(id)
        })
        .collect()
}

/// The claimed task's columns, in the order `parse_task` reads them.
const PG_CLAIM_WRITES: &str = "WITH c AS (
        SELECT * FROM unnest($1::bigint[], $2::text[], $3::bigint[]) WITH ORDINALITY
            AS c (id, worker, until, n)
    ), ev AS (
        INSERT INTO task_events (task_id, at, actor, from_status, to_status, reason)
        SELECT c.id, $4, c.worker, 'pending', 'in_progress', 'claimed' FROM c ORDER BY c.n
        RETURNING task_events.id AS seq, task_events.task_id
    ), up AS (
        UPDATE tasks t SET status = 'in_progress', worker = c.worker, lease_expires_at = c.until,
                           claim_seq = ev.seq, updated_at = $4
        FROM ev JOIN c ON c.id = ev.task_id
        WHERE t.id = ev.task_id AND t.status = 'pending'
        RETURNING t.*
    )
    SELECT up.id, up.key, up.plan, up.title, up.lane, up.priority, up.risk, up.trace, up.dod,
           up.status, up.worker, up.lease_expires_at, up.created_at, up.updated_at,
           (SELECT string_agg(d.dep_id::text, ',') FROM task_deps d WHERE d.task_id = up.id)
    FROM up";

/// Each lane's claimable tasks, at most `k` per lane, locked for this transaction; rows other
/// transactions hold are skipped. Each row names its lane by its place (1-based) in `$1`. The
/// lower bound on priority (the most urgent claimable one) keeps the probe on
/// `ix_tasks_claimable` even on a fresh schema without statistics, where a planner would
/// otherwise walk `ix_tasks_ready` and sort.
const PG_CANDIDATES: &str = "SELECT l.n, c.priority, c.id
    FROM unnest($1::text[], $2::bigint[]) WITH ORDINALITY AS l (lane, k, n)
    CROSS JOIN LATERAL (
        SELECT t.lane, t.priority, t.id FROM tasks t
        WHERE t.status = 'pending' AND t.unmet_deps = 0 AND t.lane = l.lane
          AND t.priority >= $3
        ORDER BY t.priority, t.id LIMIT l.k FOR UPDATE SKIP LOCKED
    ) c";

/// The lanes with when each was last served and, in the same statement, whether any lease has
/// run out and (PostgreSQL) the most urgent claimable priority, from `ix_tasks_ready` (not
/// min(): planners aggregate the whole partial index for that). SQLite has no such index and no
/// use for the bound.
macro_rules! lanes_sql {
    ($most_urgent:literal) => {
        concat!(
            "SELECT l.lane, ",
            "coalesce((SELECT max(t.claim_seq) FROM tasks t WHERE t.lane = l.lane), 0), ",
            $most_urgent,
            ", EXISTS (SELECT 1 FROM tasks t ",
            "WHERE t.status = 'in_progress' AND t.lease_expires_at <= $1) ",
            "FROM lanes l"
        )
    };
}
const PG_LANES: &str = lanes_sql!(
    "(SELECT t.priority FROM tasks t WHERE t.status = 'pending' AND t.unmet_deps = 0 ORDER BY t.priority LIMIT 1)"
);
const SQLITE_LANES: &str = lanes_sql!("NULL");

/// Serve `claims` in the current transaction: reap expired leases (when there are any), read
/// the lanes and their candidates, [`assign`], then write every claim. Returns one entry per
/// claim.
pub(crate) fn claim_in(c: &mut dyn Conn, now: i64, claims: &[Claim]) -> Result<Vec<Option<Task>>> {
    let any = claims.iter().filter(|c| c.lane.is_none()).count() as i64;
    let dialect = c.dialect();
    let pg = dialect == Dialect::Postgres;
    let lanes_sql = if pg { PG_LANES } else { SQLITE_LANES };
    let mut rows = c.query(lanes_sql, &[P::I(now)])?;
    if rows.first().map(|r| r.i64(3)).transpose()?.unwrap_or(0) != 0 {
        // Some lease ran out: return those tasks to pending first, then look again.
        crate::store::reap_in(c, now)?;
        rows = c.query(lanes_sql, &[P::I(now)])?;
    }
    let most_urgent = rows.first().map(|r| r.opt_i64(2)).transpose()?.flatten();
    let mut lanes = Vec::new();
    let mut limits = Vec::new();
    for r in rows {
        let name = r.text(0)?;
        let mine = claims
            .iter()
            .filter(|c| c.lane.as_deref() == Some(name.as_str()))
            .count() as i64;
        limits.push(any + mine);
        lanes.push(LaneQueue {
            name,
            served: r.i64(1)?,
            tasks: VecDeque::new(),
        });
    }
    if pg && most_urgent.is_none() {
        return Ok(vec![None; claims.len()]);
    }
    let wanted: Vec<usize> = (0..lanes.len()).filter(|&i| limits[i] > 0).collect();
    match dialect {
        Dialect::Postgres => {
            let names: Vec<String> = wanted.iter().map(|&i| lanes[i].name.clone()).collect();
            let ks: Vec<i64> = wanted.iter().map(|&i| limits[i]).collect();
            for r in c.query(
                PG_CANDIDATES,
                &[
                    P::TA(&names),
                    P::IA(&ks),
                    P::I(most_urgent.unwrap_or(i64::MIN)),
                ],
            )? {
                let place = usize::try_from(r.i64(0)?.saturating_sub(1)).ok();
                if let Some(&i) = place.and_then(|p| wanted.get(p)) {
                    lanes[i].tasks.push_back((r.i64(1)?, r.i64(2)?));
                }
            }
        }
        Dialect::Sqlite => {
            for &i in &wanted {
                for r in c.query(
                    "SELECT priority, id FROM tasks
                     WHERE status = 'pending' AND unmet_deps = 0 AND lane = $1
                     ORDER BY priority, id LIMIT $2",
                    &[P::T(&lanes[i].name), P::I(limits[i])],
                )? {
                    lanes[i].tasks.push_back((r.i64(0)?, r.i64(1)?));
                }
            }
        }
    }
    let picks = assign(&mut lanes, claims);
    match dialect {
        Dialect::Postgres => write_pg(c, now, claims, &picks),
        Dialect::Sqlite => picks
            .iter()
            .zip(claims)
            .map(|(pick, claim)| match pick {
                Some(id) => crate::store::write_claim(c, *id, now, &claim.worker, claim.until),
                None => Ok(None),
            })
            .collect(),
    }
}

/// Every claim of the batch in one statement: the events (in claim order, so `claim_seq` keeps
/// the order [`assign`] served the lanes in) and the task updates, returning the tasks.
fn write_pg(
    c: &mut dyn Conn,
    now: i64,
    claims: &[Claim],
    picks: &[Option<i64>],
) -> Result<Vec<Option<Task>>> {
    let mut ids = Vec::new();
    let mut workers = Vec::new();
    let mut untils = Vec::new();
    for (pick, claim) in picks.iter().zip(claims) {
        if let Some(id) = pick {
            ids.push(*id);
            workers.push(claim.worker.clone());
            untils.push(claim.until);
        }
    }
    if ids.is_empty() {
        return Ok(vec![None; claims.len()]);
    }
    let mut claimed: HashMap<i64, Task> = HashMap::with_capacity(ids.len());
    for r in c.query(
        PG_CLAIM_WRITES,
        &[P::IA(&ids), P::TA(&workers), P::IA(&untils), P::I(now)],
    )? {
        let task = crate::store::parse_task(&r)?;
        claimed.insert(task.id, task);
    }
    if claimed.len() != ids.len() {
        // A row changed under its lock cannot happen; if it does, the whole batch retries.
        return Err(StoreError::Busy(format!(
            "{} of {} claims were taken meanwhile",
            ids.len() - claimed.len(),
            ids.len()
        )));
    }
    Ok(picks
        .iter()
        .map(|pick| pick.and_then(|id| claimed.remove(&id)))
        .collect())
}

// ---------------------------------------------------------------------------------------------
// The combiner

type Answer = Result<Option<Task>>;

#[derive(Default)]
struct Queue {
    next_ticket: u64,
    waiting: Vec<(u64, Claim)>,
    answers: HashMap<u64, Answer>,
    /// Which connections a batch is running on now.
    busy: Vec<bool>,
    stats: ClaimStats,
}

/// How a store's claims were served so far ([`crate::Store::claim_stats`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ClaimStats {
    /// Batches (transactions) served by [`crate::Store::next_task`]'s combiner.
    pub batches: u64,
    /// Claims in those batches.
    pub claims: u64,
    /// The largest batch.
    pub largest: usize,
}

/// Gathers concurrent claims on one store into batches (see the module documentation), with
/// up to one batch running per connection the store holds for claims.
pub(crate) struct Combiner {
    queue: Mutex<Queue>,
    answered: Condvar,
}

fn lock(m: &Mutex<Queue>) -> MutexGuard<'_, Queue> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Answers the leader's batch even if serving it unwinds, so no waiter waits forever.
struct Leading<'a> {
    combiner: &'a Combiner,
    connection: usize,
    tickets: Vec<u64>,
    answers: Option<Vec<Answer>>,
}

impl Drop for Leading<'_> {
    fn drop(&mut self) {
        let mut q = lock(&self.combiner.queue);
        if let Some(busy) = q.busy.get_mut(self.connection) {
            *busy = false;
        }
        let mut answers = self.answers.take().unwrap_or_default().into_iter();
        for &ticket in &self.tickets {
            let answer = answers.next().unwrap_or_else(|| {
                Err(StoreError::Database(
                    "the claim was interrupted: the thread serving it stopped; try again".into(),
                ))
            });
            q.answers.insert(ticket, answer);
        }
        drop(q);
        self.combiner.answered.notify_all();
    }
}

impl Combiner {
    /// A combiner for `connections` connections (at least one).
    pub(crate) fn new(connections: usize) -> Combiner {
        Combiner {
            queue: Mutex::new(Queue {
                busy: vec![false; connections.max(1)],
                ..Queue::default()
            }),
            answered: Condvar::new(),
        }
    }

    pub(crate) fn stats(&self) -> ClaimStats {
        lock(&self.queue).stats
    }

    /// Queue `claim` and return its answer. A caller that finds its claim unanswered and a
    /// connection free serves every queued claim on that connection with `serve(connection,
    /// claims)` (one answer per claim, in order).
    pub(crate) fn submit(
        &self,
        claim: Claim,
        serve: impl Fn(usize, &[Claim]) -> Vec<Answer>,
    ) -> Answer {
        let mut q = lock(&self.queue);
        let ticket = q.next_ticket;
        q.next_ticket += 1;
        q.waiting.push((ticket, claim));
        loop {
            if let Some(answer) = q.answers.remove(&ticket) {
                return answer;
            }
            let free = q.busy.iter().position(|b| !b);
            if let Some(connection) = free.filter(|_| !q.waiting.is_empty()) {
                q.busy[connection] = true;
                let (tickets, claims): (Vec<u64>, Vec<Claim>) =
                    std::mem::take(&mut q.waiting).into_iter().unzip();
                q.stats.batches += 1;
                q.stats.claims += claims.len() as u64;
                q.stats.largest = q.stats.largest.max(claims.len());
                drop(q);
                let mut leading = Leading {
                    combiner: self,
                    connection,
                    tickets,
                    answers: None,
                };
                leading.answers = Some(serve(connection, &claims));
                drop(leading);
                q = lock(&self.queue);
                continue;
            }
            q = self
                .answered
                .wait(q)
                .unwrap_or_else(|poisoned| poisoned.into_inner());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lane(name: &str, served: i64, tasks: &[(i64, i64)]) -> LaneQueue {
        LaneQueue {
            name: name.into(),
            served,
            tasks: tasks.iter().copied().collect(),
        }
    }

    fn claim(lane: Option<&str>) -> Claim {
        Claim {
            worker: "w".into(),
            lane: lane.map(str::to_string),
            until: 0,
        }
    }

    #[test]
    fn most_urgent_first_then_lanes_round_robin() {
        // backend served last (7), docs never, frontend at 3.
        let mut lanes = vec![
            lane("backend", 7, &[(0, 1), (0, 2), (1, 3)]),
            lane("docs", 0, &[(1, 10)]),
            lane("frontend", 3, &[(0, 20), (2, 21)]),
        ];
        let got = assign(&mut lanes, &vec![claim(None); 7]);
        // Priority 0: frontend (served before backend), backend, backend again (frontend has no
        // more 0); then priority 1: docs (never served) before backend; then frontend's 2.
        assert_eq!(
            got,
            vec![
                Some(20),
                Some(1),
                Some(2),
                Some(10),
                Some(3),
                Some(21),
                None
            ]
        );
    }

    #[test]
    fn lane_claims_take_only_their_lane_and_count_as_serving_it() {
        let mut lanes = vec![lane("a", 0, &[(1, 1), (1, 2)]), lane("b", 0, &[(1, 3)])];
        let got = assign(
            &mut lanes,
            &[
                claim(Some("a")),
                claim(None),
                claim(Some("zzz")),
                claim(Some("b")),
                claim(None),
            ],
        );
        // a is served by the first claim, so the next open claim goes to b; the unknown lane
        // gets nothing; b is then empty, so the last open claim takes a's second task.
        assert_eq!(got, vec![Some(1), Some(3), None, None, Some(2)]);
    }

    #[test]
    fn concurrent_submissions_all_get_their_own_answer() {
        let combiner = std::sync::Arc::new(Combiner::new(2));
        use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
        let served = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let in_use = std::sync::Arc::new([AtomicBool::new(false), AtomicBool::new(false)]);
        let handles: Vec<_> = (0..16)
            .map(|i| {
                let combiner = combiner.clone();
                let served = served.clone();
                let in_use = in_use.clone();
                std::thread::spawn(move || {
                    (0..50)
                        .map(|j| {
                            let c = Claim {
                                worker: format!("{i}:{j}"),
                                lane: None,
                                until: 0,
                            };
                            let answer = combiner.submit(c, |connection, batch| {
                                served.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                                // Never two batches at once on one connection.
                                assert!(!in_use[connection].swap(true, SeqCst));
                                std::thread::yield_now();
                                in_use[connection].store(false, SeqCst);
                                batch
                                    .iter()
                                    .map(|c| Err(StoreError::Invalid(c.worker.clone())))
                                    .collect()
                            });
                            match answer {
                                Err(StoreError::Invalid(w)) => assert_eq!(w, format!("{i}:{j}")),
                                other => panic!("unexpected answer {other:?}"),
                            }
                        })
                        .count()
                })
            })
            .collect();
        let total: usize = handles.into_iter().map(|h| h.join().unwrap_or(0)).sum();
        assert_eq!(total, 800);
        assert!(served.load(std::sync::atomic::Ordering::SeqCst) <= 800);
    }

    #[test]
    fn a_leader_that_panics_still_answers_its_batch() {
        let combiner = Combiner::new(1);
        let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            combiner.submit(claim(None), |_, _| panic!("boom"))
        }));
        assert!(caught.is_err());
        // The queue is usable again and the next claim is served normally.
        let answer = combiner.submit(claim(None), |_, batch| {
            batch.iter().map(|_| Ok(None)).collect()
        });
        assert!(matches!(answer, Ok(None)));
    }
}
