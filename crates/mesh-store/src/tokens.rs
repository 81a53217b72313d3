//! API tokens of the server: only their hashes are stored, with a name (the worker or person the
//! token speaks for) and a role. Issuing (randomness, hashing) and checking belong to the
//! server; the store keeps the rows.

use serde::Serialize;

use crate::clock::millis_to_ts;
use crate::db::{P, Row};
use crate::error::{Result, StoreError};
use crate::store::Store;

/// A stored token, without its secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TokenRecord {
    /// Row id.
    pub id: i64,
    /// Who the token speaks for (a worker name for worker tokens).
    pub name: String,
    /// `reader`, `worker` or `admin`.
    pub role: String,
    /// The hex SHA-256 of the token.
    #[serde(skip)]
    pub hash: String,
    /// When it was created (UTC).
    pub created_at: jiff::Timestamp,
    /// When it was revoked, if it was.
    pub revoked_at: Option<jiff::Timestamp>,
}

const ROLES: [&str; 3] = ["reader", "worker", "admin"];

fn record(r: &Row) -> Result<TokenRecord> {
    Ok(TokenRecord {
        id: r.i64(0)?,
        name: r.text(1)?,
        role: r.text(2)?,
        hash: r.text(3)?,
        created_at: millis_to_ts(r.i64(4)?),
        revoked_at: r.opt_i64(5)?.map(millis_to_ts),
    })
}

const COLUMNS: &str = "id, name, role, hash, created_at, revoked_at";

impl Store {
    /// Record a token by its hash. `role` is `reader`, `worker` or `admin`; `hash` is the
    /// lower-case hex SHA-256 of the token (64 characters).
    pub fn add_token(&self, name: &str, role: &str, hash: &str) -> Result<TokenRecord> {
        let name = name.trim();
        if name.is_empty() || name.len() > 200 || name.chars().any(char::is_control) {
            return Err(StoreError::Invalid(
                "a token name must be one line of 1 to 200 characters (the worker or person it speaks for)"
                    .into(),
            ));
        }
        if !ROLES.contains(&role) {
            return Err(StoreError::Invalid(format!(
                "unknown role `{role}`: use reader, worker or admin"
            )));
        }
        if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(StoreError::Invalid(
                "a token hash must be 64 hex digits (SHA-256)".into(),
            ));
        }
        let now = self.now_ms();
        self.write(|c| {
            let row = c
                .query_opt(
                    &format!(
                        "INSERT INTO api_tokens (name, role, hash, created_at)
                         VALUES ($1, $2, $3, $4) RETURNING {COLUMNS}"
                    ),
                    &[P::T(name), P::T(role), P::T(hash), P::I(now)],
                )?
                .ok_or_else(|| StoreError::Database("insert returned no row".into()))?;
            record(&row)
        })
    }

    /// Every token (revoked ones too), oldest first.
    pub fn list_tokens(&self) -> Result<Vec<TokenRecord>> {
        self.read(|c| {
            c.query(
                &format!("SELECT {COLUMNS} FROM api_tokens ORDER BY id"),
                &[],
            )?
            .iter()
            .map(record)
            .collect()
        })
    }

    /// The tokens in force (not revoked).
    pub fn active_tokens(&self) -> Result<Vec<TokenRecord>> {
        self.read(|c| {
            c.query(
                &format!("SELECT {COLUMNS} FROM api_tokens WHERE revoked_at IS NULL ORDER BY id"),
                &[],
            )?
            .iter()
            .map(record)
            .collect()
        })
    }

    /// Revoke the token with this id, or every token of this name. Returns how many were
    /// revoked; an unknown id or name is an error.
    pub fn revoke_tokens(&self, id_or_name: &str) -> Result<u64> {
        let key = id_or_name.trim();
        let now = self.now_ms();
        let n = self.write(|c| match key.parse::<i64>() {
            Ok(id) => c.exec(
                "UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL",
                &[P::I(now), P::I(id)],
            ),
            Err(_) => c.exec(
                "UPDATE api_tokens SET revoked_at = $1 WHERE name = $2 AND revoked_at IS NULL",
                &[P::I(now), P::T(key)],
            ),
        })?;
        if n == 0 {
            return Err(StoreError::Invalid(format!(
                "no token in force with id or name `{key}`; `mesh token list` shows them"
            )));
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use crate::{Store, StoreLocation};

    #[test]
    fn tokens_are_added_listed_and_revoked() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(&StoreLocation::Sqlite(dir.path().join("m.db"))).unwrap();
        let h = "ab".repeat(32);
        let t = s.add_token("alice", "worker", &h).unwrap();
        assert_eq!((t.name.as_str(), t.role.as_str()), ("alice", "worker"));
        assert!(s.add_token("bob", "root", &"cd".repeat(32)).is_err());
        assert!(s.add_token("bob", "admin", "xyz").is_err());
        assert!(s.add_token("", "admin", &"cd".repeat(32)).is_err());
        // The same hash twice is refused by the unique index.
        assert!(s.add_token("carol", "admin", &h).is_err());
        s.add_token("bob", "admin", &"cd".repeat(32)).unwrap();
        assert_eq!(s.active_tokens().unwrap().len(), 2);
        assert_eq!(s.revoke_tokens("alice").unwrap(), 1);
        assert!(s.revoke_tokens("alice").is_err());
        let active = s.active_tokens().unwrap();
        assert_eq!(active.len(), 1);
        assert_eq!(active[0].name, "bob");
        assert_eq!(s.list_tokens().unwrap().len(), 2);
        assert_eq!(s.revoke_tokens(&active[0].id.to_string()).unwrap(), 1);
        assert!(s.active_tokens().unwrap().is_empty());
    }
}
