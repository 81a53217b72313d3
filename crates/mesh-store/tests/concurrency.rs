//! Concurrency proof: 32 workers, each on its own connection, drain 5,000 tasks on each backend.
//! Every task is claimed exactly once, none is lost, and no task is claimed before all of its
//! dependencies were completed.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use common::TestDb;
use mesh_store::{DEFAULT_LEASE, PlanTask, Status, Store, TaskFilter};

const WORKERS: usize = 32;
const TASKS: usize = 5_000;

on_both!(thirty_two_workers_drain_five_thousand_tasks);

fn plan() -> Vec<PlanTask> {
    let lanes = ["backend", "frontend", "qa", "ops", "docs"];
    (0..TASKS)
        .map(|i| {
            // About a fifth of the tasks wait for one or two earlier tasks, some of them far
            // back and some close by, so workers often find dependency-blocked work.
            let mut deps = Vec::new();
            if i >= 5 && i % 5 == 0 {
                deps.push(format!("t{}", i - 1));
            }
            if i >= 50 && i % 10 == 0 {
                deps.push(format!("t{}", i / 3));
            }
            PlanTask {
                key: format!("t{i}"),
                title: format!("task {i}"),
                lane: lanes[i % lanes.len()].to_string(),
                priority: (i % 3) as i64,
                risk: None,
                trace: String::new(),
                dod: String::new(),
                deps,
            }
        })
        .collect()
}

fn thirty_two_workers_drain_five_thousand_tasks(db: &TestDb) {
    let plan = plan();
    let report = db.store.accept_plan("drain", &plan, "planner").unwrap();
    assert_eq!(report.added.len(), TASKS);
    let id_of: HashMap<String, i64> = report.added.iter().map(|a| (a.key.clone(), a.id)).collect();

    let stores: Vec<Store> = (0..WORKERS).map(|_| db.open_another()).collect();
    let barrier = Arc::new(std::sync::Barrier::new(WORKERS));
    let handles: Vec<_> = stores
        .into_iter()
        .enumerate()
        .map(|(i, store)| {
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                barrier.wait();
                common::work(&store, &format!("worker-{i:02}"), TASKS)
            })
        })
        .collect();
    let per_worker: Vec<Vec<i64>> = handles.into_iter().map(|h| h.join().unwrap()).collect();

    // Every task claimed exactly once, none lost.
    let all: Vec<i64> = per_worker.iter().flatten().copied().collect();
    let unique: HashSet<i64> = all.iter().copied().collect();
    assert_eq!(all.len(), TASKS, "claims handed out");
    assert_eq!(unique.len(), TASKS, "a task was handed out twice");
    let busy = per_worker.iter().filter(|w| !w.is_empty()).count();
    assert!(busy > 1, "only {busy} worker(s) got work");
    let tasks = db.store.list_tasks(&TaskFilter::default()).unwrap();
    assert_eq!(tasks.len(), TASKS);
    assert!(tasks.iter().all(|t| t.status == Status::Completed));
    assert_eq!(
        db.raw_i64("SELECT count(*) FROM task_events WHERE to_status = 'in_progress'"),
        TASKS as i64,
        "one claim event per task"
    );

    // Dependency order: each task's claim event comes after the completion event of every
    // dependency (event ids grow in commit order of the claims that could see them).
    let first_claim = event_ids(db, "in_progress");
    let completion = event_ids(db, "completed");
    let mut checked = 0;
    for p in &plan {
        let id = id_of[&p.key];
        for d in &p.deps {
            let dep = id_of[d];
            assert!(
                first_claim[&id] > completion[&dep],
                "{} was claimed before its dependency {} was completed",
                p.key,
                d
            );
            checked += 1;
        }
    }
    assert!(
        checked > 1_000,
        "the plan has dependencies to check ({checked})"
    );
    assert!(db.store.check_integrity().unwrap().is_empty());
}

/// task id → smallest event id with `to_status = to`.
fn event_ids(db: &TestDb, to: &str) -> HashMap<i64, i64> {
    let s = db.open_another();
    let mut out = HashMap::new();
    for t in s.list_tasks(&TaskFilter::default()).unwrap() {
        for e in s.events(t.id).unwrap() {
            if e.to.as_str() == to {
                out.entry(t.id).or_insert(e.id);
            }
        }
    }
    assert_eq!(out.len(), TASKS, "every task has a `{to}` event");
    out
}

/// PostgreSQL's pick skips rows another transaction holds (SKIP LOCKED) without breaking the
/// order: the next row of the same urgency first, in the least recently served lane; when
/// everything that urgent is held, the next best; the held row once it is let go.
#[test]
fn postgres_pick_skips_held_rows_in_order() {
    let Some(db) = TestDb::postgres() else {
        return;
    };
    let common::Kind::Postgres { url, schema } = &db.kind else {
        unreachable!("a PostgreSQL test database");
    };
    let s = &db.store;
    let add = |title: &str, lane: &str, prio: i64| {
        s.add_task(
            &mesh_store::NewTask {
                title: title.into(),
                lane: lane.into(),
                priority: Some(prio),
                ..mesh_store::NewTask::default()
            },
            "pm",
        )
        .unwrap()
        .id
    };
    let b1 = add("b1", "backend", 1);
    let b2 = add("b2", "backend", 1);
    let f1 = add("f1", "frontend", 1);
    let q1 = add("q1", "qa", 2);

    // Another session holds b1, as a worker in the middle of claiming it would.
    let mut holder = postgres::Client::connect(url, postgres::NoTls).unwrap();
    holder
        .batch_execute(&format!("SET search_path TO \"{schema}\""))
        .unwrap();
    let mut tx = holder.transaction().unwrap();
    tx.execute("SELECT 1 FROM tasks WHERE id = $1 FOR UPDATE", &[&b1])
        .unwrap();

    let next = || s.next_task("w", None, DEFAULT_LEASE).unwrap().map(|t| t.id);
    // No lane served yet: backend first (by name); b1 is held, so b2, just as urgent.
    assert_eq!(next(), Some(b2));
    // Backend was just served: frontend.
    assert_eq!(next(), Some(f1));
    // Priority 1 is left only in b1, which is held: the next best, q1.
    assert_eq!(next(), Some(q1));
    assert_eq!(next(), None);
    tx.commit().unwrap();
    assert_eq!(next(), Some(b1));
    assert_eq!(next(), None);
    assert_eq!(
        db.raw_i64(
            "SELECT count(*) FROM task_events WHERE to_status = 'in_progress' AND actor = 'w'"
        ),
        4
    );
}
