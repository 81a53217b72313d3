//! Test harness: every store test runs on SQLite (always) and on PostgreSQL (when
//! MESH_TEST_PG_URL is set; required when CI is set). Each PostgreSQL test gets a fresh schema,
//! dropped afterwards.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use jiff::Timestamp;
use mesh_store::{Clock, ManualClock, OpenOptions, Store, StoreLocation};

pub enum Kind {
    Sqlite(PathBuf),
    Postgres { url: String, schema: String },
}

pub struct TestDb {
    pub store: Store,
    pub clock: Arc<ManualClock>,
    pub kind: Kind,
    _dir: Option<tempfile::TempDir>,
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

pub fn start_time() -> Timestamp {
    Timestamp::from_second(1_750_000_000).unwrap()
}

/// The PostgreSQL URL for tests, or None (and a note) when PostgreSQL tests cannot run here.
/// Under CI the URL is required: a missing one fails the test instead of skipping it.
pub fn pg_url() -> Option<String> {
    match std::env::var("MESH_TEST_PG_URL") {
        Ok(url) if !url.trim().is_empty() => Some(url),
        _ => {
            if std::env::var_os("CI").is_some() {
                panic!(
                    "CI is set but MESH_TEST_PG_URL is not: run `eval \"$(bash scripts/pg.sh)\"` before the tests"
                );
            }
            eprintln!("note: MESH_TEST_PG_URL is not set; PostgreSQL variant not run");
            None
        }
    }
}

impl TestDb {
    pub fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".mesh").join("mesh.db");
        let clock = Arc::new(ManualClock::new(start_time()));
        let store = Store::open_with(&StoreLocation::Sqlite(path.clone()), &opts(&clock, None))
            .expect("open sqlite store");
        TestDb {
            store,
            clock,
            kind: Kind::Sqlite(path),
            _dir: Some(dir),
        }
    }

    pub fn postgres() -> Option<TestDb> {
        let url = pg_url()?;
        let schema = format!(
            "mesh_t_{}_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst),
            fastrand::u32(..)
        );
        let clock = Arc::new(ManualClock::new(start_time()));
        let store = Store::open_with(
            &StoreLocation::Postgres(url.clone()),
            &opts(&clock, Some(schema.clone())),
        )
        .expect("open postgres store");
        Some(TestDb {
            store,
            clock,
            kind: Kind::Postgres { url, schema },
            _dir: None,
        })
    }

    pub fn backend(&self) -> &'static str {
        self.store.backend_name()
    }

    /// Another connection to the same database, sharing the clock.
    pub fn open_another(&self) -> Store {
        match &self.kind {
            Kind::Sqlite(path) => Store::open_with(
                &StoreLocation::Sqlite(path.clone()),
                &opts(&self.clock, None),
            )
            .unwrap(),
            Kind::Postgres { url, schema } => Store::open_with(
                &StoreLocation::Postgres(url.clone()),
                &opts(&self.clock, Some(schema.clone())),
            )
            .unwrap(),
        }
    }

    /// Another store on the same database with `n` claim connections (PostgreSQL).
    pub fn open_with_claim_connections(&self, n: usize) -> Store {
        let (location, schema) = match &self.kind {
            Kind::Sqlite(path) => (StoreLocation::Sqlite(path.clone()), None),
            Kind::Postgres { url, schema } => {
                (StoreLocation::Postgres(url.clone()), Some(schema.clone()))
            }
        };
        let opts = OpenOptions {
            claim_connections: n,
            ..opts(&self.clock, schema)
        };
        Store::open_with(&location, &opts).unwrap()
    }

    /// Run raw SQL (no parameters) on a separate connection; returns the error text if any.
    pub fn raw(&self, sql: &str) -> Result<(), String> {
        match &self.kind {
            Kind::Sqlite(path) => {
                let c = rusqlite::Connection::open(path).map_err(|e| e.to_string())?;
                c.execute_batch(sql).map_err(|e| e.to_string())
            }
            Kind::Postgres { url, schema } => {
                let mut c =
                    postgres::Client::connect(url, postgres::NoTls).map_err(|e| e.to_string())?;
                c.batch_execute(&format!("SET search_path TO \"{schema}\"; {sql}"))
                    .map_err(|e| format!("{e}: {:?}", e.as_db_error().map(|d| d.message())))
            }
        }
    }

    /// One integer from raw SQL.
    pub fn raw_i64(&self, sql: &str) -> i64 {
        match &self.kind {
            Kind::Sqlite(path) => {
                let c = rusqlite::Connection::open(path).unwrap();
                c.query_row(sql, [], |r| r.get(0)).unwrap()
            }
            Kind::Postgres { url, schema } => {
                let mut c = postgres::Client::connect(url, postgres::NoTls).unwrap();
                c.batch_execute(&format!("SET search_path TO \"{schema}\""))
                    .unwrap();
                c.query_one(sql, &[]).unwrap().get::<_, i64>(0)
            }
        }
    }
}

/// How many tasks of the store are completed.
pub fn completed(store: &Store) -> usize {
    store
        .status_counts()
        .unwrap()
        .into_iter()
        .find(|(s, _)| *s == mesh_store::Status::Completed)
        .map_or(0, |(_, n)| n as usize)
}

/// One worker: claim, submit, approve, until all `total` tasks are completed; returns the ids it
/// claimed.
pub fn work(store: &Store, name: &str, total: usize) -> Vec<i64> {
    use mesh_store::{DEFAULT_LEASE, Status, Verdict};
    let mut mine = Vec::new();
    let mut idle = 0u32;
    loop {
        match store.next_task(name, None, DEFAULT_LEASE).unwrap() {
            Some(t) => {
                idle = 0;
                assert_eq!(t.status, Status::InProgress);
                assert_eq!(t.worker.as_deref(), Some(name));
                mine.push(t.id);
                store.submit(t.id, name, None).unwrap();
                store
                    .review(t.id, Verdict::Approve, &format!("{name}-reviewer"), "ok")
                    .unwrap();
            }
            None => {
                // Nothing claimable now: either all done, or the rest waits for dependencies
                // that other workers hold.
                let done = completed(store);
                if done == total {
                    return mine;
                }
                idle += 1;
                assert!(idle < 20_000, "{name} starved: {done}/{total} completed");
                std::thread::sleep(Duration::from_millis(2));
            }
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Kind::Postgres { url, schema } = &self.kind
            && let Ok(mut c) = postgres::Client::connect(url, postgres::NoTls)
        {
            let _ = c.batch_execute(&format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE"));
        }
    }
}

pub fn opts(clock: &Arc<ManualClock>, schema: Option<String>) -> OpenOptions {
    OpenOptions {
        busy_timeout: Duration::from_secs(30),
        pg_schema: schema,
        clock: clock.clone() as Arc<dyn Clock>,
        ..OpenOptions::default()
    }
}

/// Generate `NAME::sqlite` and `NAME::postgres` tests from `fn NAME(db: &TestDb)`.
#[macro_export]
macro_rules! on_both {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[test]
                fn sqlite() {
                    super::$name(&$crate::common::TestDb::sqlite());
                }
                #[test]
                fn postgres() {
                    if let Some(db) = $crate::common::TestDb::postgres() {
                        super::$name(&db);
                    }
                }
            }
        )*
    };
}
