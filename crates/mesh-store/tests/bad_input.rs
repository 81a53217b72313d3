//! Broken environments: an unreachable server, a locked or corrupt SQLite file, a store from the
//! future, and many processes opening a fresh store at once.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::TestDb;
use mesh_store::{NewTask, OpenOptions, Store, StoreError, StoreLocation};

fn new_task() -> NewTask {
    NewTask {
        title: "x".into(),
        lane: "qa".into(),
        ..NewTask::default()
    }
}

#[test]
fn unreachable_postgres_is_a_clear_error() {
    // Port 1 on loopback: nothing listens there, the connection is refused at once.
    let url = "postgres://mesh:secret@127.0.0.1:1/mesh";
    let err = Store::open(&StoreLocation::Postgres(url.into())).unwrap_err();
    assert!(matches!(err, StoreError::Unreachable { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(
        msg.starts_with("cannot connect to PostgreSQL at postgres://mesh:***@127.0.0.1:1/mesh"),
        "{msg}"
    );
    assert!(
        !msg.contains("secret"),
        "the password must not be shown: {msg}"
    );
    assert!(msg.contains("help:"), "{msg}");
    assert!(!err.is_refusal());

    let err = Store::open(&StoreLocation::Postgres("postgres://h:notaport/db".into())).unwrap_err();
    assert!(err.to_string().contains("not valid"), "{err}");
}

#[test]
fn corrupt_sqlite_file_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mesh.db");
    std::fs::write(
        &path,
        b"this is not a database, just some text that is long enough ....",
    )
    .unwrap();
    let err = Store::open(&StoreLocation::Sqlite(path.clone())).unwrap_err();
    assert!(matches!(err, StoreError::Corrupt { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(msg.contains(&path.display().to_string()), "{msg}");
    assert!(msg.contains("move the file aside"), "{msg}");
}

#[test]
fn a_directory_where_the_file_should_be_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let err = Store::open(&StoreLocation::Sqlite(dir.path().to_path_buf())).unwrap_err();
    assert!(
        matches!(err, StoreError::Io { .. } | StoreError::Database(_)),
        "{err:?}"
    );
}

#[test]
fn locked_sqlite_file_times_out_with_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mesh.db");
    let store = Store::open(&StoreLocation::Sqlite(path.clone())).unwrap();
    store.add_task(&new_task(), "pm").unwrap();

    // Another process holds the write lock.
    let holder = rusqlite::Connection::open(&path).unwrap();
    holder.execute_batch("BEGIN IMMEDIATE").unwrap();

    let impatient = Store::open_with(
        &StoreLocation::Sqlite(path.clone()),
        &OpenOptions {
            busy_timeout: Duration::from_millis(300),
            ..OpenOptions::default()
        },
    )
    .unwrap();
    let start = Instant::now();
    let err = impatient.add_task(&new_task(), "pm").unwrap_err();
    assert!(start.elapsed() >= Duration::from_millis(300));
    assert!(matches!(err, StoreError::Locked { .. }), "{err:?}");
    assert!(
        err.to_string().contains("is locked by another process"),
        "{err}"
    );
    // Readers still get through (WAL).
    assert_eq!(impatient.get_task(1).unwrap().title, "x");
    // Once the lock is gone, writes work again.
    holder.execute_batch("ROLLBACK").unwrap();
    impatient.add_task(&new_task(), "pm").unwrap();
}

#[test]
fn the_default_store_is_created_with_a_gitignore() {
    let dir = tempfile::tempdir().unwrap();
    let loc = StoreLocation::default_for(dir.path());
    let store = Store::open(&loc).unwrap();
    assert_eq!(store.backend_name(), "sqlite");
    assert!(dir.path().join(".mesh/mesh.db").exists());
    assert_eq!(
        std::fs::read_to_string(dir.path().join(".mesh/.gitignore")).unwrap(),
        "*\n"
    );
    let mode: String = rusqlite::Connection::open(dir.path().join(".mesh/mesh.db"))
        .unwrap()
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
}

on_both!(
    a_store_from_a_newer_mesh_is_refused,
    concurrent_first_opens_migrate_once
);

fn a_store_from_a_newer_mesh_is_refused(db: &TestDb) {
    db.raw("INSERT INTO mesh_schema (version, name, applied_at) VALUES (999, 'future', 0)")
        .unwrap();
    let err = match &db.kind {
        common::Kind::Sqlite(path) => Store::open(&StoreLocation::Sqlite(path.clone())),
        common::Kind::Postgres { url, schema } => Store::open_with(
            &StoreLocation::Postgres(url.clone()),
            &OpenOptions {
                pg_schema: Some(schema.clone()),
                ..OpenOptions::default()
            },
        ),
    }
    .unwrap_err();
    assert!(
        matches!(err, StoreError::SchemaTooNew { found: 999, .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("upgrade mesh"));
}

fn concurrent_first_opens_migrate_once(db: &TestDb) {
    // A second, empty database/schema next to the test one, opened by 16 threads at once.
    let loc_opts: (StoreLocation, OpenOptions) = match &db.kind {
        common::Kind::Sqlite(path) => (
            StoreLocation::Sqlite(path.with_file_name("fresh.db")),
            OpenOptions::default(),
        ),
        common::Kind::Postgres { url, schema } => (
            StoreLocation::Postgres(url.clone()),
            OpenOptions {
                pg_schema: Some(format!("{schema}_fresh")),
                ..OpenOptions::default()
            },
        ),
    };
    let shared = Arc::new(loc_opts);
    let barrier = Arc::new(std::sync::Barrier::new(16));
    let handles: Vec<_> = (0..16)
        .map(|_| {
            let shared = shared.clone();
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                barrier.wait();
                let store = Store::open_with(&shared.0, &shared.1).unwrap();
                store.add_task(&new_task(), "pm").unwrap();
                store.schema_version().unwrap()
            })
        })
        .collect();
    for h in handles {
        assert_eq!(h.join().unwrap(), mesh_store::latest_version());
    }
    let store = Store::open_with(&shared.0, &shared.1).unwrap();
    assert_eq!(
        store
            .list_tasks(&mesh_store::TaskFilter::default())
            .unwrap()
            .len(),
        16
    );
    if let (common::Kind::Postgres { url, .. }, Some(schema)) = (&db.kind, &shared.1.pg_schema) {
        let mut c = postgres::Client::connect(url, postgres::NoTls).unwrap();
        c.batch_execute(&format!("DROP SCHEMA \"{schema}\" CASCADE"))
            .unwrap();
    }
}
