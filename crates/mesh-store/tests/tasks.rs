//! Task operations and the state machine, on both backends.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::TestDb;
use mesh_store::{
    DEFAULT_LEASE, NewTask, REAPER, Risk, Status, StoreError, TaskFilter, Verdict, priority,
};

fn task(title: &str, lane: &str, prio: i64) -> NewTask {
    NewTask {
        title: title.into(),
        lane: lane.into(),
        priority: Some(prio),
        ..NewTask::default()
    }
}

fn with_deps(mut t: NewTask, deps: &[i64]) -> NewTask {
    t.deps = deps.to_vec();
    t
}

/// claim → submit → approve, so a dependency becomes completed.
fn complete(db: &TestDb, id: i64) {
    let s = &db.store;
    s.claim_task(id, "helper", DEFAULT_LEASE).unwrap();
    s.submit(id, "helper", None).unwrap();
    s.review(id, Verdict::Approve, "rev", "ok").unwrap();
}

on_both!(
    add_show_and_list,
    lifecycle_records_history,
    illegal_transitions_name_the_allowed_ones,
    only_the_holder_may_touch_a_claim,
    expired_leases_return_to_pending,
    next_orders_by_priority_then_round_robin_lanes,
    next_waits_for_dependencies,
    block_cancel_reopen_keep_counters_right,
    unknown_ids_and_bad_input_are_refused,
    history_is_append_only,
    keys_resolve_like_ids,
);

fn add_show_and_list(db: &TestDb) {
    let s = &db.store;
    let a = s
        .add_task(
            &NewTask {
                title: "Write the README".into(),
                lane: "Docs".into(),
                priority: None,
                trace: "US1".into(),
                dod: "README explains install".into(),
                key: Some("docs:readme".into()),
                ..NewTask::default()
            },
            "alice",
        )
        .unwrap();
    assert_eq!(a.lane, "docs", "lanes are lower-cased");
    assert_eq!(a.priority, priority::NORMAL);
    assert_eq!(a.risk, Risk::Low);
    assert_eq!(a.status, Status::Pending);
    assert_eq!(a.key.as_deref(), Some("docs:readme"));
    assert_eq!(a.created_at, common::start_time());

    let b = s
        .add_task(
            &with_deps(task("Add OAuth login", "backend", 1), &[a.id]),
            "alice",
        )
        .unwrap();
    assert_eq!(b.risk, Risk::High, "auth words make a task high-risk");
    assert_eq!(b.deps, vec![a.id]);
    // A declared risk is never lowered below the assessed one, but can be raised.
    let c = s
        .add_task(
            &NewTask {
                risk: Some(Risk::Low),
                ..task("Delete stale rows", "backend", 2)
            },
            "alice",
        )
        .unwrap();
    assert_eq!(c.risk, Risk::High);
    let d = s
        .add_task(
            &NewTask {
                risk: Some(Risk::High),
                ..task("Tweak colours", "frontend", 3)
            },
            "alice",
        )
        .unwrap();
    assert_eq!(d.risk, Risk::High);

    let all = s.list_tasks(&TaskFilter::default()).unwrap();
    assert_eq!(
        all.iter().map(|t| t.id).collect::<Vec<_>>(),
        vec![a.id, b.id, c.id, d.id]
    );
    let backend = s
        .list_tasks(&TaskFilter {
            lane: Some("BACKEND".into()),
            ..TaskFilter::default()
        })
        .unwrap();
    assert_eq!(backend.len(), 2);
    let detail = s.task_detail(b.id).unwrap();
    assert_eq!(detail.task, b);
    assert_eq!(detail.events.len(), 1);
    assert_eq!(detail.events[0].from, None);
    assert_eq!(detail.events[0].to, Status::Pending);
    assert_eq!(detail.events[0].actor, "alice");
    assert_eq!(
        s.status_counts().unwrap()[0],
        (Status::Pending, 4),
        "counts start with pending"
    );
}

fn lifecycle_records_history(db: &TestDb) {
    let s = &db.store;
    let t = s.add_task(&task("Build API", "backend", 2), "pm").unwrap();
    let claimed = s.next_task("w1", None, DEFAULT_LEASE).unwrap().unwrap();
    assert_eq!(claimed.id, t.id);
    assert_eq!(claimed.status, Status::InProgress);
    assert_eq!(claimed.worker.as_deref(), Some("w1"));
    assert_eq!(
        claimed.lease_expires_at.unwrap().as_millisecond() - common::start_time().as_millisecond(),
        300_000,
        "default lease is five minutes"
    );
    db.clock.advance(Duration::from_secs(120));
    let hb = s.heartbeat(t.id, "w1", DEFAULT_LEASE).unwrap();
    assert_eq!(
        hb.lease_expires_at.unwrap().as_millisecond() - common::start_time().as_millisecond(),
        420_000,
        "heartbeat renews from now"
    );
    let sub = s.submit(t.id, "w1", Some("done, tests pass")).unwrap();
    assert_eq!(sub.status, Status::Reviewing);
    assert_eq!(sub.lease_expires_at, None);
    assert_eq!(sub.worker.as_deref(), Some("w1"));
    let done = s
        .review(t.id, Verdict::Approve, "lead", "looks right")
        .unwrap();
    assert_eq!(done.status, Status::Completed);

    let events = s.events(t.id).unwrap();
    let moves: Vec<(Option<Status>, Status, &str, &str)> = events
        .iter()
        .map(|e| (e.from, e.to, e.actor.as_str(), e.reason.as_str()))
        .collect();
    assert_eq!(
        moves,
        vec![
            (None, Status::Pending, "pm", "created"),
            (Some(Status::Pending), Status::InProgress, "w1", "claimed"),
            (
                Some(Status::InProgress),
                Status::Reviewing,
                "w1",
                "done, tests pass"
            ),
            (
                Some(Status::Reviewing),
                Status::Completed,
                "lead",
                "looks right"
            ),
        ]
    );
    assert!(events.windows(2).all(|w| w[0].at <= w[1].at));
    // Nothing left to claim: None, not an error.
    assert_eq!(s.next_task("w1", None, DEFAULT_LEASE).unwrap(), None);

    // Reject sends work back to pending.
    let r = s.add_task(&task("Second", "backend", 2), "pm").unwrap();
    s.claim_task(r.id, "w2", DEFAULT_LEASE).unwrap();
    s.submit(r.id, "w2", None).unwrap();
    let back = s
        .review(r.id, Verdict::Reject, "lead", "missing tests")
        .unwrap();
    assert_eq!(back.status, Status::Pending);
    assert_eq!(back.worker, None);
    // Fail and release.
    s.claim_task(r.id, "w3", DEFAULT_LEASE).unwrap();
    let rel = s.release(r.id, "w3", None).unwrap();
    assert_eq!(rel.status, Status::Pending);
    s.claim_task(r.id, "w3", DEFAULT_LEASE).unwrap();
    let failed = s.fail(r.id, "w3", "cannot reproduce").unwrap();
    assert_eq!(failed.status, Status::Failed);
    assert!(s.check_integrity().unwrap().is_empty());
}

fn illegal_transitions_name_the_allowed_ones(db: &TestDb) {
    let s = &db.store;
    let t = s.add_task(&task("X", "qa", 2), "pm").unwrap();
    let err = s.review(t.id, Verdict::Approve, "lead", "ok").unwrap_err();
    assert!(matches!(
        err,
        StoreError::IllegalTransition {
            from: Status::Pending,
            ..
        }
    ));
    let msg = err.to_string();
    assert!(
        msg.contains("cannot approve T-") && msg.contains("it is pending"),
        "{msg}"
    );
    assert!(
        msg.contains("claim (→ in_progress), block (→ blocked), cancel (→ cancelled)"),
        "{msg}"
    );
    assert!(err.is_refusal());

    // Completed only through review: not from in_progress directly.
    s.claim_task(t.id, "w", DEFAULT_LEASE).unwrap();
    let err = s.review(t.id, Verdict::Approve, "lead", "ok").unwrap_err();
    assert!(err.to_string().contains("submit (→ reviewing)"), "{err}");
    assert!(s.reopen(t.id, "pm", "again").is_err());
    assert!(s.unblock(t.id, "pm", None).is_err());
    // Claiming a task twice is refused.
    let err = s.claim_task(t.id, "other", DEFAULT_LEASE).unwrap_err();
    assert!(
        err.to_string().contains("cannot claim") && err.to_string().contains("in_progress"),
        "{err}"
    );
    // The refused attempts left no trace.
    assert_eq!(s.events(t.id).unwrap().len(), 2);
    assert_eq!(s.get_task(t.id).unwrap().worker.as_deref(), Some("w"));
}

fn only_the_holder_may_touch_a_claim(db: &TestDb) {
    let s = &db.store;
    let t = s.add_task(&task("X", "qa", 2), "pm").unwrap();
    s.claim_task(t.id, "owner", DEFAULT_LEASE).unwrap();
    for err in [
        s.heartbeat(t.id, "intruder", DEFAULT_LEASE).unwrap_err(),
        s.release(t.id, "intruder", None).unwrap_err(),
        s.submit(t.id, "intruder", None).unwrap_err(),
        s.fail(t.id, "intruder", "nope").unwrap_err(),
    ] {
        match &err {
            StoreError::NotYourClaim { holder, worker, .. } => {
                assert_eq!(holder.as_deref(), Some("owner"));
                assert_eq!(worker, "intruder");
            }
            other => panic!("expected NotYourClaim, got {other:?}"),
        }
        assert!(
            err.to_string()
                .contains("is claimed by owner, not by intruder")
        );
    }
    // Heartbeat on a task that is not in progress is refused, naming the state.
    let p = s.add_task(&task("Y", "qa", 2), "pm").unwrap();
    let err = s.heartbeat(p.id, "owner", DEFAULT_LEASE).unwrap_err();
    assert!(err.to_string().contains("cannot heartbeat"), "{err}");
    s.submit(t.id, "owner", None).unwrap();
}

fn expired_leases_return_to_pending(db: &TestDb) {
    let s = &db.store;
    let t = s.add_task(&task("Slow", "ops", 2), "pm").unwrap();
    s.next_task("w1", None, Duration::from_secs(60))
        .unwrap()
        .unwrap();
    db.clock.advance(Duration::from_secs(59));
    assert!(s.reap().unwrap().is_empty(), "lease still live");
    db.clock.advance(Duration::from_secs(1));
    // Expired but not yet reaped: the holder cannot renew or submit it any more.
    let err = s.heartbeat(t.id, "w1", DEFAULT_LEASE).unwrap_err();
    assert!(matches!(err, StoreError::LeaseExpired { .. }), "{err:?}");
    let err = s.submit(t.id, "w1", None).unwrap_err();
    assert!(matches!(err, StoreError::LeaseExpired { .. }), "{err:?}");
    // The next pick reaps it and hands it to someone else.
    let again = s.next_task("w2", None, DEFAULT_LEASE).unwrap().unwrap();
    assert_eq!(again.id, t.id);
    assert_eq!(again.worker.as_deref(), Some("w2"));
    let events = s.events(t.id).unwrap();
    let reap = &events[events.len() - 2];
    assert_eq!(
        (reap.actor.as_str(), reap.from, reap.to),
        (REAPER, Some(Status::InProgress), Status::Pending)
    );
    assert_eq!(reap.reason, "lease of w1 expired");
    // And the explicit reaper.
    db.clock.advance(Duration::from_secs(301));
    let reaped = s.reap().unwrap();
    assert_eq!(reaped.len(), 1);
    assert_eq!((reaped[0].id, reaped[0].worker.as_str()), (t.id, "w2"));
    let now = s.get_task(t.id).unwrap();
    assert_eq!(
        (now.status, now.worker, now.lease_expires_at),
        (Status::Pending, None, None)
    );
    assert!(s.reap().unwrap().is_empty());
    assert!(s.check_integrity().unwrap().is_empty());
}

fn next_orders_by_priority_then_round_robin_lanes(db: &TestDb) {
    let s = &db.store;
    let mut ids = std::collections::HashMap::new();
    for (title, lane, prio) in [
        ("b1", "backend", 2),
        ("b2", "backend", 2),
        ("b3", "backend", 2),
        ("f1", "frontend", 2),
        ("f2", "frontend", 2),
        ("q1", "qa", 2),
        ("urgent", "qa", 0),
        ("low", "docs", 3),
        ("high", "frontend", 1),
    ] {
        ids.insert(
            s.add_task(&task(title, lane, prio), "pm").unwrap().id,
            title,
        );
    }
    let mut order = Vec::new();
    while let Some(t) = s.next_task("w", None, DEFAULT_LEASE).unwrap() {
        order.push(ids[&t.id]);
    }
    assert_eq!(
        order,
        vec![
            "urgent", // priority 0 first
            "high",   // then priority 1
            // priority 2, lanes round-robin, least recently served first: backend has never
            // been served; frontend and qa were served by "high" and "urgent".
            "b1", "q1", "f1", "b2", "f2", "b3", "low"
        ]
    );
    // Lane filter.
    let t = s.add_task(&task("d2", "docs", 2), "pm").unwrap();
    s.add_task(&task("q2", "qa", 0), "pm").unwrap();
    let got = s
        .next_task("w", Some("docs"), DEFAULT_LEASE)
        .unwrap()
        .unwrap();
    assert_eq!(got.id, t.id);
    assert_eq!(s.next_task("w", Some("docs"), DEFAULT_LEASE).unwrap(), None);
}

fn next_waits_for_dependencies(db: &TestDb) {
    let s = &db.store;
    let base = s.add_task(&task("schema", "backend", 3), "pm").unwrap();
    let api = s
        .add_task(&with_deps(task("api", "backend", 0), &[base.id]), "pm")
        .unwrap();
    let ui = s
        .add_task(
            &with_deps(task("ui", "frontend", 0), &[api.id, base.id]),
            "pm",
        )
        .unwrap();
    // The urgent tasks wait; the low-priority dependency goes first.
    let first = s.next_task("w", None, DEFAULT_LEASE).unwrap().unwrap();
    assert_eq!(first.id, base.id);
    assert_eq!(s.next_task("w", None, DEFAULT_LEASE).unwrap(), None);
    let err = s.claim_task(ui.id, "w", DEFAULT_LEASE).unwrap_err();
    match &err {
        StoreError::DependenciesNotCompleted { waiting, .. } => {
            assert_eq!(
                waiting,
                &vec![
                    format!("T-{} (in_progress)", base.id),
                    format!("T-{} (pending)", api.id)
                ]
            );
        }
        other => panic!("expected DependenciesNotCompleted, got {other:?}"),
    }
    // Submitted is not completed.
    s.submit(base.id, "w", None).unwrap();
    assert_eq!(s.next_task("w", None, DEFAULT_LEASE).unwrap(), None);
    s.review(base.id, Verdict::Approve, "rev", "ok").unwrap();
    assert_eq!(
        s.next_task("w", None, DEFAULT_LEASE).unwrap().unwrap().id,
        api.id
    );
    complete_claimed(db, api.id, "w");
    assert_eq!(
        s.next_task("w", None, DEFAULT_LEASE).unwrap().unwrap().id,
        ui.id
    );
    // A dependency on a completed task does not hold a new task back.
    let late = s
        .add_task(&with_deps(task("late", "qa", 2), &[base.id]), "pm")
        .unwrap();
    assert_eq!(
        s.next_task("w2", None, DEFAULT_LEASE).unwrap().unwrap().id,
        late.id
    );
    assert!(s.check_integrity().unwrap().is_empty());
}

fn complete_claimed(db: &TestDb, id: i64, worker: &str) {
    db.store.submit(id, worker, None).unwrap();
    db.store.review(id, Verdict::Approve, "rev", "ok").unwrap();
}

fn block_cancel_reopen_keep_counters_right(db: &TestDb) {
    let s = &db.store;
    let a = s.add_task(&task("a", "backend", 2), "pm").unwrap();
    let b = s
        .add_task(&with_deps(task("b", "backend", 2), &[a.id]), "pm")
        .unwrap();
    complete(db, a.id);
    // Reopening a completed dependency holds its dependents back again.
    let re = s.reopen(a.id, "pm", "regression found").unwrap();
    assert_eq!(re.status, Status::Pending);
    assert!(s.check_integrity().unwrap().is_empty());
    let err = s.claim_task(b.id, "w", DEFAULT_LEASE).unwrap_err();
    assert!(matches!(err, StoreError::DependenciesNotCompleted { .. }));
    // Block / unblock.
    let blocked = s.block(a.id, "pm", "waiting for vendor").unwrap();
    assert_eq!(blocked.status, Status::Blocked);
    assert_eq!(s.next_task("w", None, DEFAULT_LEASE).unwrap(), None);
    let err = s.block(a.id, "pm", "again").unwrap_err();
    assert!(err.to_string().contains("unblock (→ pending)"), "{err}");
    assert!(s.block(b.id, "pm", "  ").is_err(), "a note is required");
    s.unblock(a.id, "pm", None).unwrap();
    // Blocking an in-progress task drops the claim.
    s.claim_task(a.id, "w", DEFAULT_LEASE).unwrap();
    let blocked = s.block(a.id, "pm", "stop").unwrap();
    assert_eq!((blocked.worker, blocked.lease_expires_at), (None, None));
    // Cancel and reopen.
    let c = s.cancel(b.id, "pm", "not needed").unwrap();
    assert_eq!(c.status, Status::Cancelled);
    let err = s.cancel(b.id, "pm", "twice").unwrap_err();
    assert!(err.to_string().contains("reopen (→ pending)"), "{err}");
    let r = s.reopen(b.id, "pm", "needed after all").unwrap();
    assert_eq!(r.status, Status::Pending);
    let last = s.events(b.id).unwrap().pop().unwrap();
    assert_eq!(
        (last.from, last.to, last.reason.as_str()),
        (Some(Status::Cancelled), Status::Pending, "needed after all")
    );
    assert!(s.check_integrity().unwrap().is_empty());
}

fn unknown_ids_and_bad_input_are_refused(db: &TestDb) {
    let s = &db.store;
    let unknown = |e: StoreError| {
        assert!(matches!(e, StoreError::UnknownTask(_)), "{e:?}");
        assert!(e.to_string().contains("mesh task list"), "{e}");
    };
    unknown(s.get_task(999).unwrap_err());
    unknown(s.task_detail(999).unwrap_err());
    unknown(s.claim_task(999, "w", DEFAULT_LEASE).unwrap_err());
    unknown(s.heartbeat(999, "w", DEFAULT_LEASE).unwrap_err());
    unknown(s.submit(999, "w", None).unwrap_err());
    unknown(s.review(999, Verdict::Approve, "r", "ok").unwrap_err());
    unknown(s.cancel(999, "pm", "x").unwrap_err());
    unknown(s.resolve("T-999").unwrap_err());
    unknown(s.resolve("no:such-key").unwrap_err());

    let err = s
        .add_task(&with_deps(task("x", "qa", 2), &[999]), "pm")
        .unwrap_err();
    assert!(
        matches!(err, StoreError::UnknownDependency { .. }),
        "{err:?}"
    );
    for bad in [
        task("", "qa", 2),
        task("x", "", 2),
        task("x", "two words", 2),
        task("x", "qa", 10),
        task("x", "qa", -1),
        task("line\nbreak", "qa", 2),
        NewTask {
            key: Some("12".into()),
            ..task("x", "qa", 2)
        },
        NewTask {
            key: Some("has space".into()),
            ..task("x", "qa", 2)
        },
    ] {
        let err = s.add_task(&bad, "pm").unwrap_err();
        assert!(matches!(err, StoreError::Invalid(_)), "{bad:?}: {err:?}");
    }
    assert!(s.add_task(&task("x", "qa", 2), " ").is_err());
    assert!(s.next_task("", None, DEFAULT_LEASE).is_err());
    assert!(s.next_task("w", None, Duration::ZERO).is_err());
    let k = NewTask {
        key: Some("qa:x".into()),
        ..task("x", "qa", 2)
    };
    s.add_task(&k, "pm").unwrap();
    let err = s.add_task(&k, "pm").unwrap_err();
    assert!(err.to_string().contains("already exists"), "{err}");
    // Refused requests wrote nothing.
    assert_eq!(s.list_tasks(&TaskFilter::default()).unwrap().len(), 1);
}

fn history_is_append_only(db: &TestDb) {
    let t = db.store.add_task(&task("x", "qa", 2), "pm").unwrap();
    let upd = db.raw(&format!(
        "UPDATE task_events SET reason = 'forged' WHERE task_id = {}",
        t.id
    ));
    assert!(upd.unwrap_err().contains("append-only"));
    let del = db.raw("DELETE FROM task_events");
    assert!(del.unwrap_err().contains("append-only"));
    assert_eq!(db.store.events(t.id).unwrap()[0].reason, "created");
}

fn keys_resolve_like_ids(db: &TestDb) {
    let s = &db.store;
    let t = s
        .add_task(
            &NewTask {
                key: Some("backend:login".into()),
                ..task("Login", "backend", 2)
            },
            "pm",
        )
        .unwrap();
    assert_eq!(s.resolve("backend:login").unwrap(), t.id);
    assert_eq!(s.resolve(&format!("T-{}", t.id)).unwrap(), t.id);
    assert_eq!(s.resolve(&t.id.to_string()).unwrap(), t.id);
    assert_eq!(s.schema_version().unwrap(), mesh_store::latest_version());
}
