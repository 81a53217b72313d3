//! Admin overrides of a claim: release another worker's claim, or hand it to another worker.
//!
//! A worker only ever releases its own claim (`Store::release`, guarded by the store). An admin
//! may take a claim away from whoever holds it, because the worker is gone or stuck; that is an
//! override, so it is recorded twice: in the task's history (the note says who overrode and
//! why) and as an `override` entry in the ledger, with the admin as actor. The ledger is checked
//! before the store is touched, so a damaged ledger refuses the override rather than leaving an
//! unrecorded one.
//!
//! The store releases a claim only in the holder's name, so the history event of an override
//! carries the holder as actor and the admin in its note; the ledger entry names the admin.
//! A reassignment is a release then a claim: should another worker pick the task up in
//! between, the claim is refused and the task stays with that worker (the error says so).

use std::path::Path;
use std::time::Duration;

use serde::Serialize;
use serde_json::json;

use mesh_store::model::describe_allowed;
use mesh_store::{Status, Store, StoreError, Task, display_id};

use crate::ledger::{self, LedgerError};

/// Why an override did not happen.
#[derive(Debug, thiserror::Error)]
pub enum LeaseError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    /// The claim was released for a reassignment, but another worker claimed the task first.
    #[error(
        "{task} was released from {from} but {taken_by} claimed it before {worker} could; it stays with {taken_by} (the override is in the ledger)"
    )]
    Taken {
        task: String,
        from: String,
        worker: String,
        taken_by: String,
    },
}

/// What an override did.
#[derive(Debug, Clone, Serialize)]
pub struct Overridden {
    /// The task after the override.
    pub task: Task,
    /// The worker whose claim was taken away (`None` when the task was not claimed).
    pub from: Option<String>,
    /// The worker now holding the claim (`None` after a release).
    pub to: Option<String>,
    /// The ledger entry's sequence number (`None` when nothing was overridden: the admin
    /// released its own claim, or assigned a task nobody held).
    pub ledger_seq: Option<u64>,
}

/// Release the claim on `task` whoever holds it, or only if `expected` holds it (a claim that
/// moved meanwhile is refused as someone else's). When `admin` is not the holder this is an
/// override, recorded in the ledger of `project_dir`; when it is, a plain release.
pub fn release_any(
    store: &Store,
    project_dir: &Path,
    task: &str,
    admin: &str,
    expected: Option<&str>,
    note: Option<&str>,
) -> Result<Overridden, LeaseError> {
    let id = store.resolve(task)?;
    let current = store.get_task(id)?;
    let holder = claimed_by(&current, "release")?;
    if let Some(w) = expected.map(str::trim).filter(|w| !w.is_empty())
        && w != holder
    {
        return Err(StoreError::NotYourClaim {
            task: id,
            worker: w.to_string(),
            holder: Some(holder),
        }
        .into());
    }
    if holder == admin {
        let task = store.release(id, admin, note)?;
        return Ok(Overridden {
            task,
            from: Some(holder),
            to: None,
            ledger_seq: None,
        });
    }
    let ledger_path = ledger::path_in(project_dir);
    ensure_ledger_sound(&ledger_path)?;
    let why = note.map(str::trim).filter(|n| !n.is_empty());
    let reason = match why {
        Some(n) => format!("released by admin {admin} (override): {n}"),
        None => format!("released by admin {admin} (override)"),
    };
    let task = store.release(id, &holder, Some(&reason))?;
    let entry = ledger::append(
        &ledger_path,
        "override",
        admin,
        json!({
            "action": "release",
            "task": display_id(id),
            "from": holder,
            "note": why,
        }),
    )?;
    Ok(Overridden {
        task,
        from: Some(holder),
        to: None,
        ledger_seq: Some(entry.seq),
    })
}

/// Give `task` to `worker` with a lease: a claim held by someone else is released first (an
/// override, recorded in the ledger); a pending task is simply claimed for `worker`.
pub fn reassign(
    store: &Store,
    project_dir: &Path,
    task: &str,
    admin: &str,
    worker: &str,
    lease: Duration,
    note: Option<&str>,
) -> Result<Overridden, LeaseError> {
    let id = store.resolve(task)?;
    let current = store.get_task(id)?;
    let why = note.map(str::trim).filter(|n| !n.is_empty());
    let from = match current.status {
        Status::Pending => None,
        _ => {
            let holder = claimed_by(&current, "reassign")?;
            if holder == worker {
                // Already theirs: renew the lease, nothing is overridden.
                let task = store.heartbeat(id, worker, lease)?;
                return Ok(Overridden {
                    task,
                    from: Some(holder),
                    to: Some(worker.to_string()),
                    ledger_seq: None,
                });
            }
            Some(holder)
        }
    };
    let ledger_path = ledger::path_in(project_dir);
    if from.is_some() {
        ensure_ledger_sound(&ledger_path)?;
    }
    if let Some(holder) = &from {
        let reason = match why {
            Some(n) => format!("reassigned to {worker} by admin {admin} (override): {n}"),
            None => format!("reassigned to {worker} by admin {admin} (override)"),
        };
        store.release(id, holder, Some(&reason))?;
    }
    let claimed = store.claim_task(id, worker, lease);
    let entry = match &from {
        Some(holder) => Some(ledger::append(
            &ledger_path,
            "override",
            admin,
            json!({
                "action": "reassign",
                "task": display_id(id),
                "from": holder,
                "to": claimed.as_ref().ok().map(|_| worker),
                "note": why,
            }),
        )?),
        None => None,
    };
    let task = match (claimed, &from) {
        (Ok(t), _) => t,
        (Err(StoreError::IllegalTransition { .. }), Some(holder)) => {
            let now = store.get_task(id)?;
            return Err(LeaseError::Taken {
                task: display_id(id),
                from: holder.clone(),
                worker: worker.to_string(),
                taken_by: now.worker.unwrap_or_else(|| now.status.to_string()),
            });
        }
        (Err(e), _) => return Err(e.into()),
    };
    Ok(Overridden {
        task,
        from,
        to: Some(worker.to_string()),
        ledger_seq: entry.map(|e| e.seq),
    })
}

/// The holder of an in-progress task, or the store's refusal for any other status.
fn claimed_by(task: &Task, action: &'static str) -> Result<String, StoreError> {
    match (&task.status, &task.worker) {
        (Status::InProgress, Some(w)) => Ok(w.clone()),
        _ => Err(StoreError::IllegalTransition {
            task: task.id,
            action,
            from: task.status,
            allowed: describe_allowed(task.status),
        }),
    }
}

fn ensure_ledger_sound(path: &Path) -> Result<(), LedgerError> {
    let v = ledger::verify(path)?;
    match v.problem {
        None => Ok(()),
        Some(p) => Err(LedgerError::Damaged {
            path: v.path,
            line: p.line,
            detail: p.detail,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mesh_store::{NewTask, StoreLocation};

    fn setup() -> (tempfile::TempDir, Store, i64) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&StoreLocation::Sqlite(dir.path().join("mesh.db"))).unwrap();
        let t = store
            .add_task(
                &NewTask {
                    title: "Build".into(),
                    lane: "backend".into(),
                    ..NewTask::default()
                },
                "boss",
            )
            .unwrap();
        (dir, store, t.id)
    }

    const LEASE: Duration = Duration::from_secs(300);

    #[test]
    fn an_admin_releases_another_workers_claim_and_the_ledger_says_so() {
        let (dir, store, id) = setup();
        store.claim_task(id, "alice", LEASE).unwrap();
        // Naming a worker that does not hold the claim is refused.
        let e = release_any(&store, dir.path(), "1", "boss", Some("bob"), None).unwrap_err();
        assert!(
            matches!(e, LeaseError::Store(StoreError::NotYourClaim { .. })),
            "{e}"
        );
        let o = release_any(&store, dir.path(), "1", "boss", None, Some("alice is gone")).unwrap();
        assert_eq!(o.task.status, Status::Pending);
        assert_eq!(o.task.worker, None);
        assert_eq!(o.from.as_deref(), Some("alice"));
        assert_eq!(o.ledger_seq, Some(1));
        let entries = ledger::entries(&ledger::path_in(dir.path())).unwrap();
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0].kind, "override");
        assert_eq!(entries[0].actor, "boss");
        assert_eq!(entries[0].data["action"], "release");
        assert_eq!(entries[0].data["from"], "alice");
        assert_eq!(entries[0].data["note"], "alice is gone");
        let ev = store.events(id).unwrap();
        assert_eq!(
            ev.last().unwrap().reason,
            "released by admin boss (override): alice is gone"
        );
        // Nothing to release any more.
        let e = release_any(&store, dir.path(), "1", "boss", None, None).unwrap_err();
        assert!(
            matches!(e, LeaseError::Store(StoreError::IllegalTransition { .. })),
            "{e}"
        );
        assert_eq!(
            ledger::entries(&ledger::path_in(dir.path())).unwrap().len(),
            1
        );
    }

    #[test]
    fn releasing_ones_own_claim_is_no_override() {
        let (dir, store, id) = setup();
        store.claim_task(id, "boss", LEASE).unwrap();
        let o = release_any(&store, dir.path(), "T-1", "boss", None, None).unwrap();
        assert_eq!(o.task.status, Status::Pending);
        assert_eq!(o.ledger_seq, None);
        assert!(!ledger::path_in(dir.path()).exists());
    }

    #[test]
    fn a_claim_is_reassigned_and_a_pending_task_assigned() {
        let (dir, store, id) = setup();
        store.claim_task(id, "alice", LEASE).unwrap();
        let o = reassign(&store, dir.path(), "1", "boss", "bob", LEASE, None).unwrap();
        assert_eq!(o.task.status, Status::InProgress);
        assert_eq!(o.task.worker.as_deref(), Some("bob"));
        assert_eq!(o.from.as_deref(), Some("alice"));
        assert_eq!(o.ledger_seq, Some(1));
        let e = &ledger::entries(&ledger::path_in(dir.path())).unwrap()[0];
        assert_eq!(e.data["action"], "reassign");
        assert_eq!(
            (&e.data["from"], &e.data["to"]),
            (&json!("alice"), &json!("bob"))
        );
        // alice's claim is gone for good.
        assert!(store.heartbeat(id, "alice", LEASE).is_err());
        // Reassigning to the holder renews; nothing is recorded.
        let o = reassign(&store, dir.path(), "1", "boss", "bob", LEASE, None).unwrap();
        assert_eq!(o.ledger_seq, None);
        // A pending task is simply claimed for the worker.
        store.release(id, "bob", None).unwrap();
        let o = reassign(&store, dir.path(), "1", "boss", "carol", LEASE, None).unwrap();
        assert_eq!(o.task.worker.as_deref(), Some("carol"));
        assert_eq!((o.from, o.ledger_seq), (None, None));
        // A finished task cannot be reassigned.
        store.submit(id, "carol", None).unwrap();
        assert!(matches!(
            reassign(&store, dir.path(), "1", "boss", "dave", LEASE, None),
            Err(LeaseError::Store(StoreError::IllegalTransition { .. }))
        ));
        assert_eq!(
            ledger::entries(&ledger::path_in(dir.path())).unwrap().len(),
            1
        );
    }

    #[test]
    fn a_damaged_ledger_refuses_the_override_before_the_store_changes() {
        let (dir, store, id) = setup();
        store.claim_task(id, "alice", LEASE).unwrap();
        let path = ledger::path_in(dir.path());
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, "not json\n").unwrap();
        let e = release_any(&store, dir.path(), "1", "boss", None, None).unwrap_err();
        assert!(
            matches!(e, LeaseError::Ledger(LedgerError::Damaged { .. })),
            "{e}"
        );
        assert_eq!(store.get_task(id).unwrap().worker.as_deref(), Some("alice"));
        let e = reassign(&store, dir.path(), "1", "boss", "bob", LEASE, None).unwrap_err();
        assert!(matches!(e, LeaseError::Ledger(_)), "{e}");
        assert_eq!(store.get_task(id).unwrap().worker.as_deref(), Some("alice"));
    }
}
