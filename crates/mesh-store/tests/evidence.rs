//! Evidence: recorded, read back newest-first per kind, append-only, counted by the review
//! gate's queries (rejections, unverified HIGH-risk tasks), on both backends.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::TestDb;
use mesh_store::{DEFAULT_LEASE, EvidenceKind, NewEvidence, NewTask, Risk, StoreError, Verdict};
use serde_json::json;

on_both!(
    evidence_is_recorded_and_read_back,
    bad_evidence_is_refused_and_nothing_is_written,
    evidence_is_append_only,
    rejections_are_counted,
    unverified_high_risk_tasks_are_listed,
    evidence_moves_the_change_marker,
);

fn task(db: &TestDb, title: &str, risk: Option<Risk>) -> i64 {
    db.store
        .add_task(
            &NewTask {
                title: title.into(),
                lane: "backend".into(),
                risk,
                ..NewTask::default()
            },
            "tester",
        )
        .unwrap()
        .id
}

fn verify(passed: bool, tree: &str) -> NewEvidence {
    NewEvidence {
        kind: EvidenceKind::Verify,
        passed,
        tree: Some(tree.into()),
        summary: format!("cargo test: passed={passed}"),
        data: json!({"command": "cargo test", "exit_code": if passed { 0 } else { 101 }}),
    }
}

fn evidence_is_recorded_and_read_back(db: &TestDb) {
    let s = &db.store;
    let id = task(db, "Login endpoint", None);
    assert!(
        s.latest_evidence(id, EvidenceKind::Verify)
            .unwrap()
            .is_none()
    );
    let first = s
        .record_evidence(id, "alice", &verify(false, "aaaa"))
        .unwrap();
    assert_eq!(first.kind, EvidenceKind::Verify);
    assert!(!first.passed);
    assert_eq!(first.actor, "alice");
    assert_eq!(first.data["exit_code"], 101);
    let second = s
        .record_evidence(id, "alice", &verify(true, "bbbb"))
        .unwrap();
    let waiver = s
        .record_evidence(
            id,
            "bob",
            &NewEvidence {
                kind: EvidenceKind::Waiver,
                passed: true,
                tree: None,
                summary: "generated code, nothing to simplify".into(),
                data: json!({"decision": "018"}),
            },
        )
        .unwrap();
    let latest = s
        .latest_evidence(id, EvidenceKind::Verify)
        .unwrap()
        .unwrap();
    assert_eq!(latest.id, second.id);
    assert!(latest.passed);
    assert_eq!(latest.tree.as_deref(), Some("bbbb"));
    assert!(
        s.latest_evidence(id, EvidenceKind::Simplify)
            .unwrap()
            .is_none()
    );
    let all = s.evidence(id).unwrap();
    assert_eq!(
        all.iter().map(|e| e.id).collect::<Vec<_>>(),
        vec![first.id, second.id, waiver.id]
    );
    let detail = s.task_detail(id).unwrap();
    assert_eq!(detail.evidence, all);
    let shown = serde_json::to_value(&detail).unwrap();
    assert_eq!(shown["evidence"][2]["kind"], "waiver");
}

fn bad_evidence_is_refused_and_nothing_is_written(db: &TestDb) {
    let s = &db.store;
    let id = task(db, "Audit log", None);
    let err = s
        .record_evidence(999, "a", &verify(true, "aa"))
        .unwrap_err();
    assert!(matches!(err, StoreError::UnknownTask(_)), "{err:?}");
    let mut ev = verify(true, "not a tree");
    let err = s.record_evidence(id, "a", &ev).unwrap_err();
    assert!(err.to_string().contains("not a git object id"), "{err}");
    ev.tree = None;
    ev.data = json!([1, 2]);
    let err = s.record_evidence(id, "a", &ev).unwrap_err();
    assert!(err.to_string().contains("JSON object"), "{err}");
    ev.data = json!({"tail": "x".repeat(mesh_store::MAX_EVIDENCE_DATA)});
    let err = s.record_evidence(id, "a", &ev).unwrap_err();
    assert!(err.to_string().contains("output tails"), "{err}");
    ev.data = json!({});
    ev.summary = "  ".into();
    assert!(s.record_evidence(id, "a", &ev).is_err());
    ev.summary = "ok".into();
    assert!(s.record_evidence(id, "", &ev).is_err());
    s.cancel(id, "a", "not needed").unwrap();
    let err = s.record_evidence(id, "a", &ev).unwrap_err();
    assert!(err.to_string().contains("cancelled"), "{err}");
    assert!(s.evidence(id).unwrap().is_empty());
}

fn evidence_is_append_only(db: &TestDb) {
    let s = &db.store;
    let id = task(db, "Rate limit", None);
    s.record_evidence(id, "a", &verify(true, "cc")).unwrap();
    assert!(db.raw("UPDATE task_evidence SET passed = 0").is_err());
    assert!(db.raw("DELETE FROM task_evidence").is_err());
    assert!(
        s.latest_evidence(id, EvidenceKind::Verify)
            .unwrap()
            .unwrap()
            .passed
    );
}

fn rejections_are_counted(db: &TestDb) {
    let s = &db.store;
    let id = task(db, "Search", None);
    assert_eq!(s.rejection_count(id).unwrap(), 0);
    for round in 1..=2 {
        s.claim_task(id, "w", DEFAULT_LEASE).unwrap();
        s.submit(id, "w", None).unwrap();
        s.review(id, Verdict::Reject, "r", "tests missing").unwrap();
        assert_eq!(s.rejection_count(id).unwrap(), round);
    }
    // A release is not a rejection.
    s.claim_task(id, "w", DEFAULT_LEASE).unwrap();
    s.release(id, "w", None).unwrap();
    assert_eq!(s.rejection_count(id).unwrap(), 2);
}

fn unverified_high_risk_tasks_are_listed(db: &TestDb) {
    let s = &db.store;
    let high = task(db, "Payment webhook", Some(Risk::High));
    let verified = task(db, "Token refresh", Some(Risk::High));
    let low = task(db, "Footer text", Some(Risk::Low));
    for id in [high, verified, low] {
        s.claim_task(id, "w", DEFAULT_LEASE).unwrap();
        s.submit(id, "w", None).unwrap();
    }
    s.record_evidence(high, "w", &verify(false, "dd")).unwrap();
    s.record_evidence(verified, "w", &verify(true, "ee"))
        .unwrap();
    let ids: Vec<i64> = s
        .unverified_high_risk()
        .unwrap()
        .iter()
        .map(|t| t.id)
        .collect();
    assert_eq!(ids, vec![high]);
    // A pending HIGH-risk task is not "unverified" yet: nobody claims it was done.
    let _pending = task(db, "Secrets rotation", Some(Risk::High));
    assert_eq!(s.unverified_high_risk().unwrap().len(), 1);
}

fn evidence_moves_the_change_marker(db: &TestDb) {
    let s = &db.store;
    let id = task(db, "Export CSV", None);
    let before = s.change_marker().unwrap();
    s.record_evidence(id, "w", &verify(true, "ff")).unwrap();
    assert!(s.change_marker().unwrap() > before);
}
