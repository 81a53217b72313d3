//! Accepting plans, on both backends.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::TestDb;
use mesh_store::{
    DEFAULT_LEASE, PlanTask, Risk, Status, StoreError, TaskFilter, Verdict, priority,
};

fn pt(key: &str, lane: &str, deps: &[&str]) -> PlanTask {
    PlanTask {
        key: key.into(),
        title: format!("Do {key}"),
        lane: lane.into(),
        priority: priority::NORMAL,
        risk: None,
        trace: "US1".into(),
        dod: format!("{key} works"),
        deps: deps.iter().map(|d| d.to_string()).collect(),
    }
}

fn event_count(db: &TestDb) -> i64 {
    db.raw_i64("SELECT count(*) FROM task_events")
}

on_both!(
    accepting_twice_changes_nothing,
    a_changed_plan_adds_and_reports,
    unknown_dependency_keys_are_refused,
    cycles_are_refused_and_named,
    plan_dependencies_gate_the_scheduler,
    large_plan_in_one_transaction,
);

fn accepting_twice_changes_nothing(db: &TestDb) {
    let s = &db.store;
    let plan = vec![
        pt("backend:schema", "backend", &[]),
        pt("backend:api", "backend", &["backend:schema"]),
        PlanTask {
            risk: Some(Risk::Medium),
            priority: priority::URGENT,
            ..pt("frontend:login", "frontend", &["backend:api"])
        },
    ];
    let first = s
        .accept_plan("docs/PLANS/mvp.md", &plan, "planner")
        .unwrap();
    assert_eq!(
        first
            .added
            .iter()
            .map(|a| a.key.as_str())
            .collect::<Vec<_>>(),
        vec!["backend:schema", "backend:api", "frontend:login"]
    );
    assert!(
        first.added.windows(2).all(|w| w[0].id < w[1].id),
        "ids in plan order"
    );
    let login = s.get_task(first.added[2].id).unwrap();
    assert_eq!(login.plan.as_deref(), Some("docs/PLANS/mvp.md"));
    assert_eq!(login.key.as_deref(), Some("frontend:login"));
    assert_eq!(
        login.risk,
        Risk::High,
        "login is high-risk whatever the plan says"
    );
    assert_eq!(login.priority, priority::URGENT);
    assert_eq!(login.deps, vec![first.added[1].id]);
    let ev = s.events(login.id).unwrap();
    assert_eq!(ev.len(), 1);
    assert_eq!(ev[0].reason, "accepted from plan docs/PLANS/mvp.md");
    assert_eq!(ev[0].actor, "planner");

    let before_events = event_count(db);
    let before = s.list_tasks(&TaskFilter::default()).unwrap();
    let again = s
        .accept_plan("docs/PLANS/mvp.md", &plan, "planner")
        .unwrap();
    assert!(again.is_noop());
    assert!(again.added.is_empty() && again.changed.is_empty() && again.disappeared.is_empty());
    assert_eq!(again.unchanged.len(), 3);
    assert_eq!(s.list_tasks(&TaskFilter::default()).unwrap(), before);
    assert_eq!(event_count(db), before_events);
    assert!(s.check_integrity().unwrap().is_empty());
}

fn a_changed_plan_adds_and_reports(db: &TestDb) {
    let s = &db.store;
    let v1 = vec![
        pt("a", "backend", &[]),
        pt("b", "backend", &["a"]),
        pt("c", "qa", &["b"]),
    ];
    let r1 = s.accept_plan("plan-1", &v1, "planner").unwrap();
    // Another plan's keys are not "disappeared" from this one.
    s.accept_plan("plan-2", &[pt("other", "docs", &[])], "planner")
        .unwrap();
    let mut changed_b = pt("b", "backend", &["a"]);
    changed_b.title = "Do b, differently".into();
    let v2 = vec![
        pt("a", "backend", &[]),
        changed_b,
        pt("d", "frontend", &["b", "a"]),
    ];
    let r2 = s.accept_plan("plan-1", &v2, "planner").unwrap();
    assert_eq!(
        r2.added.iter().map(|a| a.key.as_str()).collect::<Vec<_>>(),
        vec!["d"]
    );
    assert_eq!(r2.unchanged, vec!["a".to_string()]);
    assert_eq!(r2.changed.len(), 1);
    assert_eq!(r2.changed[0].key, "b");
    assert_eq!(r2.changed[0].fields, vec!["title".to_string()]);
    assert_eq!(r2.disappeared.len(), 1);
    assert_eq!(r2.disappeared[0].key, "c");
    assert_eq!(r2.disappeared[0].id, r1.added[2].id);
    assert_eq!(r2.disappeared[0].status, Status::Pending);
    // Nothing was overwritten or dropped.
    let b = s.get_task(r1.added[1].id).unwrap();
    assert_eq!(b.title, "Do b");
    assert_eq!(s.get_task(r1.added[2].id).unwrap().status, Status::Pending);
    let d = s.get_task(r2.added[0].id).unwrap();
    assert_eq!(d.deps, vec![r1.added[0].id, r1.added[1].id]);
    assert_eq!(s.list_tasks(&TaskFilter::default()).unwrap().len(), 5);
    assert!(s.check_integrity().unwrap().is_empty());
}

fn unknown_dependency_keys_are_refused(db: &TestDb) {
    let s = &db.store;
    let err = s
        .accept_plan(
            "p",
            &[pt("a", "backend", &[]), pt("b", "backend", &["nope"])],
            "planner",
        )
        .unwrap_err();
    match &err {
        StoreError::UnknownDependency { task, dep } => {
            assert_eq!((task.as_str(), dep.as_str()), ("b", "nope"));
        }
        other => panic!("expected UnknownDependency, got {other:?}"),
    }
    assert!(err.is_refusal());
    assert!(
        s.list_tasks(&TaskFilter::default()).unwrap().is_empty(),
        "all or nothing"
    );
    // Duplicate keys.
    let err = s
        .accept_plan(
            "p",
            &[pt("a", "backend", &[]), pt("a", "qa", &[])],
            "planner",
        )
        .unwrap_err();
    assert!(err.to_string().contains("two tasks with key `a`"), "{err}");
    // A dependency on a key already in the store is fine.
    s.accept_plan("p", &[pt("a", "backend", &[])], "planner")
        .unwrap();
    let r = s
        .accept_plan("q", &[pt("z", "backend", &["a"])], "planner")
        .unwrap();
    assert_eq!(r.added.len(), 1);
}

fn cycles_are_refused_and_named(db: &TestDb) {
    let s = &db.store;
    let plan = vec![
        pt("a", "backend", &[]),
        pt("b", "backend", &["a", "d"]),
        pt("c", "backend", &["b"]),
        pt("d", "backend", &["c"]),
    ];
    let err = s.accept_plan("p", &plan, "planner").unwrap_err();
    match &err {
        StoreError::Cycle(cycle) => assert_eq!(cycle, &vec!["b", "d", "c", "b"]),
        other => panic!("expected Cycle, got {other:?}"),
    }
    assert!(
        err.to_string().contains("dependency cycle: b → d → c → b"),
        "{err}"
    );
    let err = s
        .accept_plan("p", &[pt("self", "qa", &["self"])], "planner")
        .unwrap_err();
    assert!(err.to_string().contains("self → self"), "{err}");
    assert!(s.list_tasks(&TaskFilter::default()).unwrap().is_empty());
}

fn plan_dependencies_gate_the_scheduler(db: &TestDb) {
    let s = &db.store;
    let done = s
        .accept_plan("p0", &[pt("base", "backend", &[])], "planner")
        .unwrap();
    let base = done.added[0].id;
    s.claim_task(base, "w", DEFAULT_LEASE).unwrap();
    s.submit(base, "w", None).unwrap();
    s.review(base, Verdict::Approve, "rev", "ok").unwrap();
    let r = s
        .accept_plan(
            "p1",
            &[
                pt("x", "backend", &["base"]),
                pt("y", "backend", &["x", "base"]),
            ],
            "planner",
        )
        .unwrap();
    // x depends only on a completed task: claimable at once. y waits for x.
    let first = s.next_task("w", None, DEFAULT_LEASE).unwrap().unwrap();
    assert_eq!(first.id, r.added[0].id);
    assert_eq!(s.next_task("w", None, DEFAULT_LEASE).unwrap(), None);
    assert!(s.check_integrity().unwrap().is_empty());
}

fn large_plan_in_one_transaction(db: &TestDb) {
    let s = &db.store;
    let lanes = ["backend", "frontend", "qa", "ops", "docs"];
    let plan: Vec<PlanTask> = (0..2_000)
        .map(|i| {
            let deps: Vec<String> = if i >= 10 && i % 3 == 0 {
                vec![format!("k{}", i - 10), format!("k{}", i / 2)]
            } else {
                vec![]
            };
            PlanTask {
                deps,
                priority: (i % 4) as i64,
                ..pt(&format!("k{i}"), lanes[i % 5], &[])
            }
        })
        .collect();
    let r = s.accept_plan("big", &plan, "planner").unwrap();
    assert_eq!(r.added.len(), 2_000);
    let again = s.accept_plan("big", &plan, "planner").unwrap();
    assert!(again.is_noop());
    assert_eq!(again.unchanged.len(), 2_000);
    assert!(s.check_integrity().unwrap().is_empty());
    assert_eq!(db.raw_i64("SELECT count(*) FROM task_deps"), 2 * 663);
}
