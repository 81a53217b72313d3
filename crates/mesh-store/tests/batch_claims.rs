//! Claims served together: a batch hands out exactly what the same claims made one after another
//! would, on both backends; many workers sharing one store drain a plan with every task claimed
//! once and dependency order kept.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use common::TestDb;
use mesh_store::{
    DEFAULT_LEASE, NewTask, NextRequest, REAPER, Status, Store, StoreError, TaskFilter, Verdict,
};

fn add(s: &Store, title: &str, lane: &str, prio: i64, deps: &[i64]) -> i64 {
    s.add_task(
        &NewTask {
            title: title.into(),
            lane: lane.into(),
            priority: Some(prio),
            deps: deps.to_vec(),
            ..NewTask::default()
        },
        "pm",
    )
    .unwrap()
    .id
}

/// The same tasks in every store: lanes, priorities, a dependency, a lease that will expire.
fn seed(db: &TestDb) {
    let s = &db.store;
    for (i, (lane, prio)) in [
        ("backend", 2),
        ("backend", 2),
        ("backend", 1),
        ("frontend", 2),
        ("frontend", 0),
        ("qa", 2),
        ("qa", 2),
        ("docs", 3),
        ("ops", 1),
        ("ops", 2),
    ]
    .into_iter()
    .enumerate()
    {
        add(s, &format!("t{i}"), lane, prio, &[]);
    }
    let base = add(s, "base", "data", 1, &[]);
    add(s, "after-base", "data", 0, &[base]);
    // One claim whose lease will run out: the batch reaps it first and may hand it out again.
    let held = add(s, "held", "security", 0, &[]);
    s.claim_task(held, "sleepy", Duration::from_secs(60))
        .unwrap();
    // A lane served before the others.
    let early = add(s, "early", "docs", 5, &[]);
    s.claim_task(early, "someone", DEFAULT_LEASE).unwrap();
    db.clock.advance(Duration::from_secs(61));
}

fn requests() -> Vec<NextRequest> {
    let r = |worker: &str, lane: Option<&str>| NextRequest {
        worker: worker.into(),
        lane: lane.map(str::to_string),
        lease: DEFAULT_LEASE,
    };
    vec![
        r("w1", None),
        r("w2", None),
        r("w3", Some("qa")),
        r("w4", None),
        r("w5", Some("nowhere")),
        r("w6", None),
        r("w7", Some("backend")),
        r("w8", None),
        r("w9", None),
        r("w10", None),
        r("w11", Some("qa")),
        r("w12", None),
        r("w13", None),
        r("w14", None),
        r("w15", None),
        r("w16", None),
    ]
}

/// (title, worker) of each answer, `None` when nothing was claimable.
fn summary(s: &Store, answers: Vec<Option<mesh_store::Task>>) -> Vec<Option<(String, String)>> {
    answers
        .into_iter()
        .map(|t| {
            t.map(|t| {
                assert_eq!(t.status, Status::InProgress);
                let stored = s.get_task(t.id).unwrap();
                assert_eq!(stored, t, "the answer is the stored task");
                (t.title, t.worker.unwrap_or_default())
            })
        })
        .collect()
}

fn batch_matches_one_by_one(one: TestDb, other: TestDb) {
    seed(&one);
    seed(&other);
    let reqs = requests();

    let batched: Vec<_> = one
        .store
        .next_tasks(&reqs)
        .into_iter()
        .map(Result::unwrap)
        .collect();
    let sequential: Vec<_> = reqs
        .iter()
        .map(|r| {
            other
                .store
                .next_task(&r.worker, r.lane.as_deref(), r.lease)
                .unwrap()
        })
        .collect();
    let batched = summary(&one.store, batched);
    let sequential = summary(&other.store, sequential);
    assert_eq!(batched, sequential);

    // The order is the documented one, not merely the same twice: the reaped security task
    // (priority 0) and frontend's 0 first; qa's first task to w3; nothing from an unknown lane;
    // after-base waits for base; more requests than claimable tasks leave the last ones empty.
    let titles: Vec<Option<&str>> = batched
        .iter()
        .map(|a| a.as_ref().map(|(t, _)| t.as_str()))
        .collect();
    assert_eq!(titles[0], Some("t4"), "{titles:?}"); // frontend, never served, before security
    assert_eq!(titles[1], Some("held"), "{titles:?}");
    assert_eq!(titles[2], Some("t5"), "{titles:?}");
    assert_eq!(titles[4], None, "{titles:?}");
    assert!(!titles.contains(&Some("after-base")), "{titles:?}");
    assert_eq!(titles.iter().flatten().count(), 12, "{titles:?}");
    assert_eq!(titles[15], None, "{titles:?}");

    // Both stores now hold the same state, so the next claims agree too (the lanes' served
    // order after a batch is the one-by-one order).
    for s in [&one.store, &other.store] {
        let base = s.list_tasks(&TaskFilter::default()).unwrap();
        let base = base.iter().find(|t| t.title == "base").unwrap().id;
        let holder = s.get_task(base).unwrap().worker.unwrap();
        s.submit(base, &holder, None).unwrap();
        s.review(base, Verdict::Approve, "rev", "ok").unwrap();
    }
    for s in [&one.store, &other.store] {
        add(s, "late-a", "backend", 2, &[]);
        add(s, "late-b", "qa", 2, &[]);
    }
    let next = |s: &Store| {
        (0..4)
            .map(|_| {
                s.next_task("late", None, DEFAULT_LEASE)
                    .unwrap()
                    .map(|t| t.title)
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(next(&one.store), next(&other.store));

    // One claim event per claim, by the claiming worker; one reaper event.
    for db in [&one, &other] {
        assert_eq!(
            db.raw_i64(&format!(
                "SELECT count(*) FROM task_events WHERE actor = '{REAPER}'"
            )),
            1
        );
        assert_eq!(
            db.raw_i64(
                "SELECT count(*) FROM task_events WHERE to_status = 'in_progress' \
                 AND actor LIKE 'w%'"
            ),
            12
        );
        assert!(db.store.check_integrity().unwrap().is_empty());
    }
}

#[test]
fn batch_matches_one_by_one_sqlite() {
    batch_matches_one_by_one(TestDb::sqlite(), TestDb::sqlite());
}

#[test]
fn batch_matches_one_by_one_postgres() {
    let (Some(one), Some(other)) = (TestDb::postgres(), TestDb::postgres()) else {
        return;
    };
    batch_matches_one_by_one(one, other);
}

on_both!(
    a_bad_request_fails_alone,
    workers_sharing_one_store_drain_a_plan
);

fn a_bad_request_fails_alone(db: &TestDb) {
    let s = &db.store;
    let a = add(s, "a", "backend", 1, &[]);
    let answers = s.next_tasks(&[
        NextRequest {
            worker: "  ".into(),
            lane: None,
            lease: DEFAULT_LEASE,
        },
        NextRequest {
            worker: "w".into(),
            lane: None,
            lease: Duration::ZERO,
        },
        NextRequest {
            worker: "w".into(),
            lane: None,
            lease: DEFAULT_LEASE,
        },
    ]);
    assert!(
        matches!(answers[0], Err(StoreError::Invalid(_))),
        "{answers:?}"
    );
    assert!(answers[1].is_err(), "a zero lease is refused: {answers:?}");
    assert_eq!(answers[2].as_ref().unwrap().as_ref().unwrap().id, a);
    assert!(s.next_tasks(&[]).is_empty());
}

const WORKERS: usize = 32;
const TASKS: usize = 2_000;

/// 32 worker threads, one store between them (as behind `mesh serve`): concurrent claims are
/// served in batches (on PostgreSQL, on two connections at once); every task is claimed exactly
/// once and none before its dependencies.
fn workers_sharing_one_store_drain_a_plan(db: &TestDb) {
    let lanes = ["backend", "frontend", "qa", "ops", "docs"];
    let mut ids: Vec<i64> = Vec::new();
    let mut deps_of: HashMap<i64, Vec<i64>> = HashMap::new();
    for i in 0..TASKS {
        let mut deps = Vec::new();
        if i >= 7 && i % 7 == 0 {
            deps.push(ids[i - 1]);
        }
        if i >= 40 && i % 13 == 0 {
            deps.push(ids[i / 4]);
        }
        let id = add(
            &db.store,
            &format!("t{i}"),
            lanes[i % lanes.len()],
            (i % 3) as i64,
            &deps,
        );
        deps_of.insert(id, deps);
        ids.push(id);
    }
    // Two claim connections on PostgreSQL, as `mesh serve` opens it: two batches can run at once.
    let store = Arc::new(db.open_with_claim_connections(2));
    let barrier = Arc::new(std::sync::Barrier::new(WORKERS));
    let handles: Vec<_> = (0..WORKERS)
        .map(|i| {
            let store = store.clone();
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                barrier.wait();
                common::work(&store, &format!("worker-{i:02}"), TASKS)
            })
        })
        .collect();
    let all: Vec<i64> = handles
        .into_iter()
        .flat_map(|h| h.join().unwrap())
        .collect();
    let unique: HashSet<i64> = all.iter().copied().collect();
    assert_eq!(all.len(), TASKS, "claims handed out");
    assert_eq!(unique.len(), TASKS, "a task was handed out twice");

    let stats = store.claim_stats();
    assert!(
        stats.largest > 1,
        "concurrent claims were never served together: {stats:?}"
    );
    assert!(stats.claims >= TASKS as u64, "{stats:?}");

    // Dependency order, from the history: each task's claim after its dependencies' completion.
    let mut claimed_at = HashMap::new();
    let mut completed_at = HashMap::new();
    for &id in &ids {
        for e in db.store.events(id).unwrap() {
            match e.to {
                Status::InProgress => {
                    claimed_at.entry(id).or_insert(e.id);
                }
                Status::Completed => {
                    completed_at.insert(id, e.id);
                }
                _ => {}
            }
        }
    }
    let mut checked = 0;
    for (id, deps) in &deps_of {
        for d in deps {
            assert!(
                claimed_at[id] > completed_at[d],
                "task {id} was claimed before its dependency {d} was completed"
            );
            checked += 1;
        }
    }
    assert!(
        checked > 300,
        "the plan has dependencies to check ({checked})"
    );
    assert_eq!(
        db.raw_i64("SELECT count(*) FROM task_events WHERE to_status = 'in_progress'"),
        TASKS as i64
    );
    assert!(db.store.check_integrity().unwrap().is_empty());
}
