//! A thin common interface over the two backends, so the store's logic is written once.
//!
//! SQL is written in PostgreSQL's placeholder style (`$1`, `$2` …) and always parameterised; the
//! SQLite side rewrites `$N` to SQLite's equivalent `?N` before preparing. Values never enter SQL
//! text.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use postgres::types::ToSql as PgToSql;
use rusqlite::types::{ToSqlOutput, ValueRef};

use crate::error::{Result, StoreError};

/// Which SQL dialect a connection speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    Sqlite,
    Postgres,
}

/// A statement parameter.
#[derive(Debug, Clone, Copy)]
pub(crate) enum P<'a> {
    /// BIGINT / INTEGER.
    I(i64),
    /// Nullable BIGINT.
    OI(Option<i64>),
    /// TEXT.
    T(&'a str),
    /// Nullable TEXT.
    OT(Option<&'a str>),
    /// BIGINT[] (PostgreSQL only; bulk statements).
    IA(&'a [i64]),
    /// TEXT[] (PostgreSQL only; bulk statements).
    TA(&'a [String]),
}

/// A column value read back.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Val {
    Null,
    Int(i64),
    Text(String),
}

/// A result row.
#[derive(Debug, Clone)]
pub(crate) struct Row(pub Vec<Val>);

impl Row {
    fn get(&self, i: usize) -> Result<&Val> {
        self.0
            .get(i)
            .ok_or_else(|| StoreError::Database(format!("result row has no column {i}")))
    }

    pub fn i64(&self, i: usize) -> Result<i64> {
        match self.get(i)? {
            Val::Int(v) => Ok(*v),
            other => Err(StoreError::Database(format!(
                "column {i}: expected an integer, found {other:?}"
            ))),
        }
    }

    pub fn opt_i64(&self, i: usize) -> Result<Option<i64>> {
        match self.get(i)? {
            Val::Null => Ok(None),
            _ => self.i64(i).map(Some),
        }
    }

    pub fn text(&self, i: usize) -> Result<String> {
        match self.get(i)? {
            Val::Text(v) => Ok(v.clone()),
            other => Err(StoreError::Database(format!(
                "column {i}: expected text, found {other:?}"
            ))),
        }
    }

    pub fn opt_text(&self, i: usize) -> Result<Option<String>> {
        match self.get(i)? {
            Val::Null => Ok(None),
            _ => self.text(i).map(Some),
        }
    }
}

/// What the store's logic needs from a connection inside a transaction.
pub(crate) trait Conn {
    fn dialect(&self) -> Dialect;
    /// Run a statement; returns the number of rows changed.
    fn exec(&mut self, sql: &str, params: &[P<'_>]) -> Result<u64>;
    /// Run a query; returns all rows.
    fn query(&mut self, sql: &str, params: &[P<'_>]) -> Result<Vec<Row>>;

    /// First row, if any.
    fn query_opt(&mut self, sql: &str, params: &[P<'_>]) -> Result<Option<Row>> {
        Ok(self.query(sql, params)?.into_iter().next())
    }
}

// ---------------------------------------------------------------------------------------------
// Retry with jittered exponential backoff (shared by both backends).

/// Sleep before retry number `attempt` (0-based): a random time up to 50 µs · 2^attempt, capped
/// at 4 ms, so that many contenders spread out instead of waking together.
fn backoff(attempt: u32) {
    let cap_us: u64 = (50u64 << attempt.min(10)).min(4_000);
    let us = fastrand::u64(cap_us / 4..=cap_us);
    std::thread::sleep(Duration::from_micros(us));
}

/// Run `f` again, with [`backoff`], while it fails busy and `timeout` has not passed since the
/// first try; then return what it gave (the last busy error once the time is up).
pub(crate) fn retry_busy<T>(timeout: Duration, mut f: impl FnMut() -> Result<T>) -> Result<T> {
    let start = Instant::now();
    let mut attempt = 0;
    loop {
        match f() {
            Err(StoreError::Busy(_)) if start.elapsed() < timeout => {
                backoff(attempt);
                attempt += 1;
            }
            other => return other,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// SQLite

/// An open SQLite database.
pub(crate) struct SqliteConn {
    pub conn: rusqlite::Connection,
    pub path: PathBuf,
    pub busy_timeout: Duration,
}

impl std::fmt::Debug for SqliteConn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteConn")
            .field("path", &self.path)
            .finish()
    }
}

/// Rewrite `$N` placeholders to `?N`.
fn sqlite_sql(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '$' && chars.peek().is_some_and(|n| n.is_ascii_digit()) {
            out.push('?');
        } else {
            out.push(c);
        }
    }
    out
}

impl rusqlite::ToSql for P<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match *self {
            P::I(v) => ToSqlOutput::from(v),
            P::OI(v) => match v {
                Some(v) => ToSqlOutput::from(v),
                None => ToSqlOutput::Borrowed(ValueRef::Null),
            },
            P::T(s) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
            P::OT(v) => match v {
                Some(s) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
                None => ToSqlOutput::Borrowed(ValueRef::Null),
            },
            P::IA(_) | P::TA(_) => {
                return Err(rusqlite::Error::ToSqlConversionFailure(
                    "array parameters are for PostgreSQL statements only".into(),
                ));
            }
        })
    }
}

/// Map a rusqlite error, classifying busy / corrupt.
pub(crate) fn map_sqlite(path: &Path, err: rusqlite::Error) -> StoreError {
    use rusqlite::ErrorCode as C;
    if let rusqlite::Error::SqliteFailure(e, msg) = &err {
        let text = msg.clone().unwrap_or_else(|| e.to_string());
        match e.code {
            C::DatabaseBusy | C::DatabaseLocked => return StoreError::Busy(text),
            C::NotADatabase | C::DatabaseCorrupt => {
                return StoreError::Corrupt {
                    path: path.to_path_buf(),
                    reason: text,
                };
            }
            C::CannotOpen => {
                return StoreError::Io {
                    path: path.to_path_buf(),
                    source: std::io::Error::other(text),
                };
            }
            _ => {}
        }
    }
    StoreError::Database(err.to_string())
}

impl Conn for SqliteConn {
    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }

    fn exec(&mut self, sql: &str, params: &[P<'_>]) -> Result<u64> {
        let path = &self.path;
        let mut stmt = self
            .conn
            .prepare_cached(&sqlite_sql(sql))
            .map_err(|e| map_sqlite(path, e))?;
        let n = stmt
            .execute(rusqlite::params_from_iter(params.iter()))
            .map_err(|e| map_sqlite(path, e))?;
        Ok(n as u64)
    }

    fn query(&mut self, sql: &str, params: &[P<'_>]) -> Result<Vec<Row>> {
        let path = &self.path;
        let mut stmt = self
            .conn
            .prepare_cached(&sqlite_sql(sql))
            .map_err(|e| map_sqlite(path, e))?;
        let ncol = stmt.column_count();
        let mut rows = stmt
            .query(rusqlite::params_from_iter(params.iter()))
            .map_err(|e| map_sqlite(path, e))?;
        let mut out = Vec::new();
        while let Some(row) = rows.next().map_err(|e| map_sqlite(path, e))? {
            let mut vals = Vec::with_capacity(ncol);
            for i in 0..ncol {
                let v = row.get_ref(i).map_err(|e| map_sqlite(path, e))?;
                vals.push(match v {
                    ValueRef::Null => Val::Null,
                    ValueRef::Integer(n) => Val::Int(n),
                    ValueRef::Real(f) => Val::Int(f as i64),
                    ValueRef::Text(t) | ValueRef::Blob(t) => {
                        Val::Text(String::from_utf8_lossy(t).into_owned())
                    }
                });
            }
            out.push(Row(vals));
        }
        Ok(out)
    }
}

impl SqliteConn {
    /// Run `f` in a transaction (`BEGIN IMMEDIATE` for writes, so writers queue at the start and
    /// never deadlock), retrying on busy with backoff until the busy timeout.
    pub fn transaction<T>(
        &mut self,
        write: bool,
        f: &mut dyn FnMut(&mut dyn Conn) -> Result<T>,
    ) -> Result<T> {
        let start = Instant::now();
        let result = retry_busy(self.busy_timeout, || self.try_transaction(write, f));
        self.locked_if_busy(result, start)
    }

    /// The busy error of a retry that ran out of time, as [`StoreError::Locked`].
    fn locked_if_busy<T>(&self, result: Result<T>, start: Instant) -> Result<T> {
        match result {
            Err(StoreError::Busy(_)) => Err(StoreError::Locked {
                path: self.path.clone(),
                waited_ms: start.elapsed().as_millis(),
            }),
            other => other,
        }
    }

    fn try_transaction<T>(
        &mut self,
        write: bool,
        f: &mut dyn FnMut(&mut dyn Conn) -> Result<T>,
    ) -> Result<T> {
        let begin = if write { "BEGIN IMMEDIATE" } else { "BEGIN" };
        self.conn
            .execute_batch(begin)
            .map_err(|e| map_sqlite(&self.path, e))?;
        match f(self) {
            Ok(v) => match self.conn.execute_batch("COMMIT") {
                Ok(()) => Ok(v),
                Err(e) => {
                    self.rollback();
                    Err(map_sqlite(&self.path, e))
                }
            },
            Err(e) => {
                self.rollback();
                Err(e)
            }
        }
    }

    /// Best-effort rollback (nothing to do when no transaction is open).
    pub fn rollback(&mut self) {
        if !self.conn.is_autocommit() {
            let _ = self.conn.execute_batch("ROLLBACK");
        }
    }

    /// Run `f` outside a transaction with the busy retry (used for pragmas at open).
    pub fn with_retry<T>(&mut self, f: &mut dyn FnMut(&mut Self) -> Result<T>) -> Result<T> {
        let start = Instant::now();
        let result = retry_busy(self.busy_timeout, || f(self));
        self.locked_if_busy(result, start)
    }
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL

/// An open PostgreSQL connection with a cache of prepared statements (one round trip per
/// statement after the first use).
pub(crate) struct PgConn {
    pub client: postgres::Client,
    pub url: String,
    cache: HashMap<String, postgres::Statement>,
    pub busy_timeout: Duration,
}

impl std::fmt::Debug for PgConn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgConn").field("url", &self.url).finish()
    }
}

/// Map a postgres error, classifying transient contention and lost connections.
pub(crate) fn map_pg(url: &str, err: postgres::Error) -> StoreError {
    use postgres::error::SqlState;
    if let Some(code) = err.code() {
        if *code == SqlState::T_R_SERIALIZATION_FAILURE
            || *code == SqlState::T_R_DEADLOCK_DETECTED
            || *code == SqlState::LOCK_NOT_AVAILABLE
        {
            return StoreError::Busy(err.to_string());
        }
        let detail = err
            .as_db_error()
            .map(|d| d.message().to_string())
            .unwrap_or_else(|| err.to_string());
        return StoreError::Database(detail);
    }
    if err.is_closed() {
        return StoreError::Unreachable {
            url: url.to_string(),
            reason: format!("the connection was lost ({err})"),
        };
    }
    StoreError::Database(err.to_string())
}

impl PgConn {
    pub fn new(client: postgres::Client, url: String, busy_timeout: Duration) -> Self {
        PgConn {
            client,
            url,
            cache: HashMap::new(),
            busy_timeout,
        }
    }

    fn statement(&mut self, sql: &str) -> Result<postgres::Statement> {
        if let Some(s) = self.cache.get(sql) {
            return Ok(s.clone());
        }
        let stmt = self.client.prepare(sql).map_err(|e| map_pg(&self.url, e))?;
        self.cache.insert(sql.to_string(), stmt.clone());
        Ok(stmt)
    }

    /// Run a batch of parameterless statements (DDL in migrations).
    pub fn batch(&mut self, sql: &str) -> Result<()> {
        self.client
            .batch_execute(sql)
            .map_err(|e| map_pg(&self.url, e))
    }

    /// Run `f` in a transaction, retrying on serialization failures, deadlocks and lost races
    /// until the busy timeout. Reads run `REPEATABLE READ, READ ONLY` so they see one snapshot.
    pub fn transaction<T>(
        &mut self,
        write: bool,
        f: &mut dyn FnMut(&mut dyn Conn) -> Result<T>,
    ) -> Result<T> {
        let begin = if write {
            "BEGIN"
        } else {
            "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY"
        };
        // `BEGIN` itself cannot fail busy (serialization failures, deadlocks and lock waits
        // come from statements), so only the transaction's work is ever retried.
        retry_busy(self.busy_timeout, || {
            self.batch(begin)?;
            let result = match f(self) {
                Ok(v) => self.batch("COMMIT").map(|()| v),
                Err(e) => Err(e),
            };
            if result.is_err() {
                self.rollback();
            }
            result
        })
    }

    /// Best-effort rollback.
    pub fn rollback(&mut self) {
        let _ = self.client.batch_execute("ROLLBACK");
    }
}

fn pg_params<'a>(params: &'a [P<'a>]) -> Vec<&'a (dyn PgToSql + Sync)> {
    params
        .iter()
        .map(|p| -> &(dyn PgToSql + Sync) {
            match p {
                P::I(v) => v,
                P::OI(v) => v,
                P::T(v) => v,
                P::OT(v) => v,
                P::IA(v) => v,
                P::TA(v) => v,
            }
        })
        .collect()
}

impl Conn for PgConn {
    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }

    fn exec(&mut self, sql: &str, params: &[P<'_>]) -> Result<u64> {
        let stmt = self.statement(sql)?;
        let ps = pg_params(params);
        self.client
            .execute(&stmt, &ps)
            .map_err(|e| map_pg(&self.url, e))
    }

    fn query(&mut self, sql: &str, params: &[P<'_>]) -> Result<Vec<Row>> {
        use postgres::types::Type;
        let stmt = self.statement(sql)?;
        let ps = pg_params(params);
        let rows = self
            .client
            .query(&stmt, &ps)
            .map_err(|e| map_pg(&self.url, e))?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let mut vals = Vec::with_capacity(row.len());
            for (i, col) in row.columns().iter().enumerate() {
                let ty = col.type_();
                let v = if *ty == Type::INT8 {
                    row.try_get::<_, Option<i64>>(i).map(|v| v.map(Val::Int))
                } else if *ty == Type::INT4 {
                    row.try_get::<_, Option<i32>>(i)
                        .map(|v| v.map(|n| Val::Int(i64::from(n))))
                } else if *ty == Type::INT2 {
                    row.try_get::<_, Option<i16>>(i)
                        .map(|v| v.map(|n| Val::Int(i64::from(n))))
                } else if *ty == Type::BOOL {
                    row.try_get::<_, Option<bool>>(i)
                        .map(|v| v.map(|b| Val::Int(i64::from(b))))
                } else if *ty == Type::VOID {
                    Ok(None)
                } else {
                    row.try_get::<_, Option<String>>(i)
                        .map(|v| v.map(Val::Text))
                };
                let v = v.map_err(|e| map_pg(&self.url, e))?;
                vals.push(v.unwrap_or(Val::Null));
            }
            out.push(Row(vals));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_rewritten_for_sqlite() {
        assert_eq!(
            sqlite_sql("SELECT $1, $12 FROM t WHERE a = $2"),
            "SELECT ?1, ?12 FROM t WHERE a = ?2"
        );
        assert_eq!(sqlite_sql("SELECT '$' || x"), "SELECT '$' || x");
    }
}
