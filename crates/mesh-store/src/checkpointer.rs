//! Background WAL checkpoints for SQLite stores held open by a long-running process
//! (`mesh serve`, `mesh mcp`): opt in with [`crate::OpenOptions::background_checkpoint`].
//!
//! # Why
//!
//! The store runs SQLite in WAL mode with `synchronous = NORMAL`: a commit appends its pages to
//! the `-wal` file and does not fsync. The fsyncs happen when the WAL is *checkpointed*, copied
//! back into the database file. By default SQLite does that inside the commit that takes the WAL
//! past 1,000 pages, on the committing connection; a [`crate::Store`] has one connection behind a
//! mutex, so every other call waits for that checkpoint. Under `mesh serve`'s claim load those
//! checkpoints took 20 to 740 ms (`strace`: `fsync` on a shared, busy disk), and they made the
//! whole tail of the claim latency.
//!
//! # How
//!
//! A [`Checkpointer`] is a thread with its own connection to the same file:
//!
//! - the store's connection gets `wal_autocheckpoint = 0`, and only once the thread runs, so a
//!   store is never left with nobody checkpointing;
//! - every [`Config::every`] the thread runs `PRAGMA wal_checkpoint(PASSIVE)`, which copies the
//!   committed frames into the database file and fsyncs it without taking the write lock:
//!   writers go on meanwhile;
//! - PASSIVE alone does not bound the `-wal` file under steady writes: the log rewinds to its
//!   start only when a writer finds every frame copied, and new frames arrive while each PASSIVE
//!   fsyncs. So when the log reaches [`Config::restart_frames`] the thread runs RESTART, with a
//!   short busy timeout: it holds writers off for the frames written since the PASSIVE just
//!   before it and one fsync, and the next commit starts the log again from the beginning. That
//!   happens once per `restart_frames` frames instead of a checkpoint every 1,000 pages;
//! - when nothing was committed since the last round (`PRAGMA data_version` unchanged) and the
//!   log is fully copied, it runs TRUNCATE so an idle server's `-wal` file gives its space back.
//!
//! Errors are counted and logged, never raised: a failed round is retried at the next one. The
//! thread stops when the [`Checkpointer`] is dropped (the store with it): dropping wakes it and
//! waits for it to finish its current round.
//!
//! One-shot processes (every other CLI command) keep SQLite's automatic checkpoint: they commit
//! a few times and exit, and SQLite checkpoints and removes the WAL when the last connection
//! closes. A background thread there would be pure start-up cost.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread::JoinHandle;
use std::time::Duration;

use crate::db::{SqliteConn, map_sqlite};
use crate::error::{Result, StoreError};

/// When the checkpointer acts.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Config {
    /// How often it runs a round (PASSIVE, and RESTART or TRUNCATE when due).
    pub every: Duration,
    /// From this many frames in the log, a round ends with a RESTART checkpoint (bounds the
    /// `-wal` file under writes that never pause). 10,000 frames of 4 KiB pages are 40 MB.
    pub restart_frames: i64,
    /// How long RESTART and TRUNCATE wait for a writer or reader in progress before giving up
    /// until the next round.
    pub busy: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            every: Duration::from_millis(200),
            restart_frames: 10_000,
            busy: Duration::from_millis(20),
        }
    }
}

/// What a store's background checkpointer has done so far ([`crate::Store::wal_checkpoints`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WalCheckpoints {
    /// Rounds run (each starts with a PASSIVE checkpoint).
    pub rounds: u64,
    /// Frames copied into the database file by PASSIVE checkpoints (approximate: a log that
    /// rewound and grew past its previous length within one round is counted short).
    pub frames: u64,
    /// RESTART checkpoints that completed (the next commit rewinds the log).
    pub restarts: u64,
    /// TRUNCATE checkpoints that completed (the `-wal` file emptied while idle).
    pub truncates: u64,
    /// Checkpoints that found the database busy (another checkpoint, or readers and writers in
    /// the way of RESTART/TRUNCATE) and left it to the next round.
    pub busy: u64,
    /// Checkpoints that failed with an error (logged).
    pub errors: u64,
    /// The longest RESTART or TRUNCATE checkpoint, in milliseconds: writers wait for it.
    pub longest_hold_ms: u64,
    /// Whether the thread still runs.
    pub running: bool,
}

#[derive(Debug, Default)]
struct Counters {
    rounds: AtomicU64,
    frames: AtomicU64,
    restarts: AtomicU64,
    truncates: AtomicU64,
    busy: AtomicU64,
    errors: AtomicU64,
    longest_hold_ms: AtomicU64,
    running: AtomicBool,
}

/// A running background checkpointer. Dropping it stops the thread and waits for it.
#[derive(Debug)]
pub(crate) struct Checkpointer {
    /// Dropped first to wake the thread (its receiver sees the channel closed).
    stop: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
    counters: Arc<Counters>,
}

impl Checkpointer {
    /// Start checkpointing `db`'s file in the background and turn the automatic checkpoint of
    /// `db` (the store's connection) off. On any failure nothing changes: `db` keeps SQLite's
    /// automatic checkpoint, and the error says why.
    pub(crate) fn take_over(db: &SqliteConn, config: Config) -> Result<Checkpointer> {
        let conn = open(&db.path, config.busy)?;
        let counters = Arc::new(Counters::default());
        counters.running.store(true, Ordering::SeqCst);
        let (stop, stopped) = mpsc::channel();
        let thread = {
            let counters = counters.clone();
            let path = db.path.clone();
            std::thread::Builder::new()
                .name("mesh-wal-checkpoint".into())
                .spawn(move || run(&conn, &path, config, &stopped, &counters))
                .map_err(|source| StoreError::Io {
                    path: db.path.clone(),
                    source,
                })?
        };
        let checkpointer = Checkpointer {
            stop: Some(stop),
            thread: Some(thread),
            counters,
        };
        // Only now that someone checkpoints; on failure `checkpointer` is dropped (stopped).
        db.conn
            .pragma_update(None, "wal_autocheckpoint", 0)
            .map_err(|e| map_sqlite(&db.path, e))?;
        Ok(checkpointer)
    }

    pub(crate) fn stats(&self) -> WalCheckpoints {
        let c = &self.counters;
        WalCheckpoints {
            rounds: c.rounds.load(Ordering::Relaxed),
            frames: c.frames.load(Ordering::Relaxed),
            restarts: c.restarts.load(Ordering::Relaxed),
            truncates: c.truncates.load(Ordering::Relaxed),
            busy: c.busy.load(Ordering::Relaxed),
            errors: c.errors.load(Ordering::Relaxed),
            longest_hold_ms: c.longest_hold_ms.load(Ordering::Relaxed),
            running: c.running.load(Ordering::SeqCst),
        }
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            // The thread catches nothing and panics on nothing; a panic would already have been
            // reported by the panic hook, so there is nothing left to do with it here.
            let _ = thread.join();
        }
    }
}

/// The checkpointer's own connection: read-write (a checkpoint writes the database file), never
/// creating the file, no SQLite mutex (one thread uses it).
fn open(path: &Path, busy: Duration) -> Result<rusqlite::Connection> {
    use rusqlite::OpenFlags as F;
    let conn = rusqlite::Connection::open_with_flags(
        path,
        F::SQLITE_OPEN_READ_WRITE | F::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| map_sqlite(path, e))?;
    conn.busy_timeout(busy).map_err(|e| map_sqlite(path, e))?;
    Ok(conn)
}

/// The checkpoint modes the thread uses (SQLite's names).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Passive,
    Restart,
    Truncate,
}

impl Mode {
    fn sql(self) -> &'static str {
        match self {
            Mode::Passive => "PRAGMA wal_checkpoint(PASSIVE)",
            Mode::Restart => "PRAGMA wal_checkpoint(RESTART)",
            Mode::Truncate => "PRAGMA wal_checkpoint(TRUNCATE)",
        }
    }

    fn name(self) -> &'static str {
        match self {
            Mode::Passive => "PASSIVE",
            Mode::Restart => "RESTART",
            Mode::Truncate => "TRUNCATE",
        }
    }
}

/// `(busy, frames in the log, frames copied)` as `PRAGMA wal_checkpoint(MODE)` reports them.
fn checkpoint(conn: &rusqlite::Connection, mode: Mode) -> rusqlite::Result<(bool, i64, i64)> {
    conn.query_row(mode.sql(), [], |r| {
        Ok((r.get::<_, i64>(0)? != 0, r.get(1)?, r.get(2)?))
    })
}

fn data_version(conn: &rusqlite::Connection) -> rusqlite::Result<i64> {
    conn.query_row("PRAGMA data_version", [], |r| r.get(0))
}

fn run(
    conn: &rusqlite::Connection,
    path: &Path,
    config: Config,
    stopped: &mpsc::Receiver<()>,
    counters: &Counters,
) {
    let mut round = Round {
        conn,
        path: path.to_path_buf(),
        config,
        counters,
        last_version: None,
        copied: 0,
        last_error: None,
    };
    // Anything but a timeout means the store dropped its `Checkpointer` (the channel closed).
    while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(config.every) {
        round.run();
    }
    counters.running.store(false, Ordering::SeqCst);
}

struct Round<'a> {
    conn: &'a rusqlite::Connection,
    path: PathBuf,
    config: Config,
    counters: &'a Counters,
    /// `data_version` at the previous round: unchanged means no commit since.
    last_version: Option<i64>,
    /// Frames of the current log already copied (to count only new ones).
    copied: i64,
    /// The last error logged (the same error again is only counted).
    last_error: Option<String>,
}

impl Round<'_> {
    fn run(&mut self) {
        self.counters.rounds.fetch_add(1, Ordering::Relaxed);
        let version = match data_version(self.conn) {
            Ok(v) => Some(v),
            Err(e) => {
                self.error("PRAGMA data_version", &e);
                None
            }
        };
        let quiet = version.is_some() && version == self.last_version;
        self.last_version = version;

        let Some((busy, log, copied)) = self.checkpoint(Mode::Passive) else {
            return;
        };
        // The log rewound (a writer started it again) when it holds fewer frames than copied.
        let before = if log < self.copied { 0 } else { self.copied };
        let new = copied.saturating_sub(before);
        if new > 0 {
            self.counters
                .frames
                .fetch_add(u64::try_from(new).unwrap_or(0), Ordering::Relaxed);
        }
        self.copied = copied;
        if busy || log <= 0 {
            return;
        }
        let mode = if quiet && copied == log {
            Mode::Truncate
        } else if log >= self.config.restart_frames {
            Mode::Restart
        } else {
            return;
        };
        let start = std::time::Instant::now();
        let done = self.checkpoint(mode);
        let held = u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.counters
            .longest_hold_ms
            .fetch_max(held, Ordering::Relaxed);
        if let Some((busy, _, copied)) = done
            && !busy
        {
            self.copied = copied;
            let done = if mode == Mode::Truncate {
                &self.counters.truncates
            } else {
                &self.counters.restarts
            };
            done.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// One checkpoint; `None` after an error (counted and logged).
    fn checkpoint(&mut self, mode: Mode) -> Option<(bool, i64, i64)> {
        match checkpoint(self.conn, mode) {
            Ok(r) => {
                if r.0 {
                    self.counters.busy.fetch_add(1, Ordering::Relaxed);
                }
                Some(r)
            }
            Err(e) if is_busy(&e) => {
                self.counters.busy.fetch_add(1, Ordering::Relaxed);
                None
            }
            Err(e) => {
                self.error(mode.name(), &e);
                None
            }
        }
    }

    fn error(&mut self, what: &str, e: &rusqlite::Error) {
        self.counters.errors.fetch_add(1, Ordering::Relaxed);
        let text = e.to_string();
        if self.last_error.as_deref() != Some(text.as_str()) {
            tracing::warn!(
                store = %self.path.display(),
                checkpoint = what,
                error = %text,
                "background WAL checkpoint failed; retrying at the next round"
            );
            self.last_error = Some(text);
        }
    }
}

fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(
        e,
        rusqlite::Error::SqliteFailure(f, _)
            if matches!(f.code, rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    /// A WAL-mode connection as the store's (the checkpointer only needs the file).
    fn writer(dir: &Path) -> SqliteConn {
        let path = dir.join("t.db");
        let conn = rusqlite::Connection::open(&path).unwrap();
        let mode: String = conn
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
        conn.execute_batch(
            "PRAGMA synchronous = NORMAL; CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT);",
        )
        .unwrap();
        SqliteConn {
            conn,
            path,
            busy_timeout: Duration::from_secs(10),
        }
    }

    fn autocheckpoint(db: &SqliteConn) -> i64 {
        db.conn
            .pragma_query_value(None, "wal_autocheckpoint", |r| r.get(0))
            .unwrap()
    }

    fn insert(db: &SqliteConn) {
        db.conn
            .execute("INSERT INTO t (v) VALUES (?1)", ["x".repeat(2000)])
            .unwrap();
    }

    /// Wait for `done` (polling; the limit only stops a broken test from hanging).
    fn eventually(what: &str, mut done: impl FnMut() -> bool) {
        let limit = std::time::Instant::now() + Duration::from_secs(60);
        while !done() {
            assert!(std::time::Instant::now() < limit, "never happened: {what}");
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    fn quick() -> Config {
        Config {
            every: Duration::from_millis(5),
            restart_frames: 10_000,
            busy: Duration::from_millis(50),
        }
    }

    #[test]
    fn taking_over_turns_the_automatic_checkpoint_of_the_store_connection_off() {
        let dir = tempfile::tempdir().unwrap();
        let db = writer(dir.path());
        assert_eq!(autocheckpoint(&db), 1000, "SQLite's default");
        let c = Checkpointer::take_over(&db, quick()).unwrap();
        assert_eq!(autocheckpoint(&db), 0);
        assert!(c.stats().running);
    }

    #[test]
    fn a_failed_start_leaves_the_automatic_checkpoint_on() {
        let dir = tempfile::tempdir().unwrap();
        let mut db = writer(dir.path());
        // The checkpointer opens its own connection without creating the file.
        db.path = dir.path().join("missing/t.db");
        assert!(Checkpointer::take_over(&db, quick()).is_err());
        assert_eq!(autocheckpoint(&db), 1000);
    }

    #[test]
    fn it_copies_the_wal_into_the_database_file_and_truncates_it_when_idle() {
        let dir = tempfile::tempdir().unwrap();
        let db = writer(dir.path());
        let c = Checkpointer::take_over(&db, quick()).unwrap();
        for _ in 0..50 {
            insert(&db);
        }
        let wal = dir.path().join("t.db-wal");
        eventually("the idle WAL is truncated", || {
            c.stats().truncates > 0 && std::fs::metadata(&wal).unwrap().len() == 0
        });
        let s = c.stats();
        assert!(s.frames > 0, "{s:?}");
        assert_eq!(s.errors, 0, "{s:?}");
        // The database file alone (no WAL beside it) holds every row.
        let copy = dir.path().join("copy.db");
        std::fs::copy(dir.path().join("t.db"), &copy).unwrap();
        let n: i64 = rusqlite::Connection::open(&copy)
            .unwrap()
            .query_row("SELECT count(*) FROM t", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 50);
    }

    #[test]
    fn restart_rewinds_a_log_that_steady_writes_keep_growing() {
        let dir = tempfile::tempdir().unwrap();
        let db = writer(dir.path());
        let c = Checkpointer::take_over(
            &db,
            Config {
                restart_frames: 20,
                ..quick()
            },
        )
        .unwrap();
        // Writes that never pause for a whole round, so the log is never idle: only RESTART
        // brings it back to its start.
        let mut written = 0;
        eventually("a RESTART checkpoint", || {
            insert(&db);
            written += 1;
            std::thread::sleep(Duration::from_micros(500));
            c.stats().restarts > 0
        });
        let n: i64 = db
            .conn
            .query_row("SELECT count(*) FROM t", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, written);
    }

    #[test]
    fn dropping_it_stops_the_thread_and_closes_its_connection() {
        let dir = tempfile::tempdir().unwrap();
        let db = writer(dir.path());
        let c = Checkpointer::take_over(&db, quick()).unwrap();
        let counters = c.counters.clone();
        insert(&db);
        eventually("a round", || c.stats().rounds > 0);
        drop(c);
        assert!(!counters.running.load(Ordering::SeqCst));
        assert_eq!(Arc::strong_count(&counters), 1, "the thread let go of it");
        // The store's connection is the last one: closing it checkpoints and removes the WAL,
        // which SQLite only does when no other connection is open.
        let wal = dir.path().join("t.db-wal");
        assert!(wal.exists());
        drop(db);
        assert!(!wal.exists());
    }
}
