//! A cheap way for a long-running reader (the server) to notice that another process changed
//! the tasks.

use crate::error::Result;
use crate::store::Store;

impl Store {
    /// A number that grows with every recorded task change (creation, claim, transition,
    /// expiry, evidence): the sum of the newest task event id and the newest evidence id, 0 for
    /// an empty store. Lease renewals are not
    /// events and do not move it. One indexed lookup.
    pub fn change_marker(&self) -> Result<i64> {
        self.read(|c| {
            Ok(c.query_opt(
                "SELECT (SELECT coalesce(max(id), 0) FROM task_events)
                      + (SELECT coalesce(max(id), 0) FROM task_evidence)",
                &[],
            )?
            .map(|r| r.opt_i64(0))
            .transpose()?
            .flatten()
            .unwrap_or(0))
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::{NewTask, Store, StoreLocation};

    #[test]
    fn the_marker_moves_with_every_task_change() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(&StoreLocation::Sqlite(dir.path().join("m.db"))).unwrap();
        assert_eq!(s.change_marker().unwrap(), 0);
        let t = s
            .add_task(
                &NewTask {
                    title: "Write docs".into(),
                    lane: "docs".into(),
                    ..NewTask::default()
                },
                "me",
            )
            .unwrap();
        let a = s.change_marker().unwrap();
        assert!(a > 0);
        s.claim_task(t.id, "w", crate::DEFAULT_LEASE).unwrap();
        let b = s.change_marker().unwrap();
        assert!(b > a);
        s.heartbeat(t.id, "w", crate::DEFAULT_LEASE).unwrap();
        assert_eq!(s.change_marker().unwrap(), b);
    }
}
