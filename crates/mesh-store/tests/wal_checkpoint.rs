//! Background WAL checkpoints (`OpenOptions::background_checkpoint`, used by `mesh serve` and
//! `mesh mcp`) against SQLite's automatic checkpoint (every other command).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use mesh_store::{NewTask, OpenOptions, Store, StoreLocation, TaskFilter};

fn open(path: &Path, background: bool) -> Store {
    Store::open_with(
        &StoreLocation::Sqlite(path.to_path_buf()),
        &OpenOptions {
            background_checkpoint: background,
            ..OpenOptions::default()
        },
    )
    .unwrap()
}

/// Tasks with a DoD of `dod_bytes`, `n` commits.
fn add(store: &Store, n: usize, dod_bytes: usize) {
    for i in 0..n {
        store
            .add_task(
                &NewTask {
                    title: format!("task {i}"),
                    lane: "bench".into(),
                    dod: "d".repeat(dod_bytes),
                    ..NewTask::default()
                },
                "tester",
            )
            .unwrap();
    }
}

fn count(store: &Store) -> usize {
    store.list_tasks(&TaskFilter::default()).unwrap().len()
}

fn wal(db: &Path) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push("-wal");
    PathBuf::from(name)
}

fn len(path: &Path) -> u64 {
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}

/// Wait for `done` (polling; the limit only stops a broken test from hanging).
fn eventually(what: &str, mut done: impl FnMut() -> bool) {
    let limit = Instant::now() + Duration::from_secs(60);
    while !done() {
        assert!(Instant::now() < limit, "never happened: {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn serve_mode_copies_the_wal_into_the_database_file_and_empties_it_when_idle() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(".mesh/mesh.db");
    let store = open(&path, true);
    add(&store, 100, 500);
    let wal = wal(&path);
    eventually("the idle WAL is truncated", || {
        store.wal_checkpoints().unwrap().truncates > 0 && len(&wal) == 0
    });
    let stats = store.wal_checkpoints().unwrap();
    assert!(stats.running, "{stats:?}");
    assert!(stats.frames > 0, "{stats:?}");
    assert_eq!(stats.errors, 0, "{stats:?}");
    // With the store still open, the database file alone (no WAL beside it) holds every task.
    let copy = dir.path().join("copy.db");
    std::fs::copy(&path, &copy).unwrap();
    assert_eq!(count(&open(&copy, false)), 100);
}

#[test]
fn dropping_the_store_stops_the_checkpointer_and_the_data_survives_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(".mesh/mesh.db");
    let store = open(&path, true);
    add(&store, 50, 100);
    eventually("a round", || store.wal_checkpoints().unwrap().rounds > 0);
    drop(store);
    // SQLite removes the WAL when the last connection to the file closes: no connection of
    // the checkpointer's thread is left open.
    assert!(!wal(&path).exists());
    assert_eq!(count(&open(&path, false)), 50);
    let again = open(&path, true);
    add(&again, 1, 100);
    assert_eq!(count(&again), 51);
}

#[test]
fn cli_mode_has_no_background_thread_and_checkpoints_in_its_commits() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(".mesh/mesh.db");
    let store = open(&path, false);
    assert_eq!(store.wal_checkpoints(), None);
    // About 4 pages per commit and 600 commits: well past SQLite's 1,000-page automatic
    // checkpoint, which copies the log into the database file and starts it again.
    add(&store, 600, 9_000);
    let (db_bytes, wal_bytes) = (len(&path), len(&wal(&path)));
    assert!(
        db_bytes > 4 << 20,
        "the tasks reached the database file while the store is open: {db_bytes} bytes"
    );
    assert!(
        wal_bytes < 5 << 20,
        "the log started again instead of growing: {wal_bytes} bytes"
    );
    drop(store);
    assert!(!wal(&path).exists());
    assert_eq!(count(&open(&path, false)), 600);
}

#[test]
fn postgres_ignores_the_option() {
    let Some(db) = common::TestDb::postgres() else {
        return;
    };
    let common::Kind::Postgres { url, schema } = &db.kind else {
        unreachable!("a PostgreSQL test database");
    };
    let store = Store::open_with(
        &StoreLocation::Postgres(url.clone()),
        &OpenOptions {
            background_checkpoint: true,
            ..common::opts(&db.clock, Some(schema.clone()))
        },
    )
    .unwrap();
    assert_eq!(store.wal_checkpoints(), None);
    assert_eq!(store.backend_name(), "postgres");
}
