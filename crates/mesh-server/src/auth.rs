//! Bearer tokens: issuing (32 random bytes, shown once, stored as a SHA-256 hash), roles and
//! checking.
//!
//! Roles are ordered: a reader reads; a worker also claims, renews, releases and submits its own
//! tasks and records decisions; an admin also creates tasks, reviews and supersedes decisions
//! and may act for any worker. A worker token speaks for the worker named on the token, so a
//! worker can never touch another worker's claim (the store refuses it).
//!
//! Without any token in force the server runs open: every caller is an admin and says which
//! worker it is in the request. Open mode is refused on a non-loopback address.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use mesh_store::{Store, StoreError, TokenRecord};

/// What a caller may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Read everything.
    Reader,
    /// Read; claim, heartbeat, release and submit its own tasks; record decisions.
    Worker,
    /// Everything: create tasks, review, supersede decisions, act for any worker.
    Admin,
}

impl Role {
    /// `reader`, `worker` or `admin`.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Reader => "reader",
            Role::Worker => "worker",
            Role::Admin => "admin",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Role, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "reader" => Ok(Role::Reader),
            "worker" => Ok(Role::Worker),
            "admin" => Ok(Role::Admin),
            other => Err(format!(
                "unknown role `{other}`: use reader, worker or admin"
            )),
        }
    }
}

/// Who is calling, as established by the authentication layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The token's name (the worker it speaks for), or in open mode the worker the request
    /// names in the `X-Mesh-Worker` header.
    pub name: Option<String>,
    pub role: Role,
    /// No tokens are configured: nobody authenticated.
    pub open: bool,
}

/// The header a client in open mode uses to say which worker it is.
pub const WORKER_HEADER: &str = "x-mesh-worker";

impl Caller {
    /// The name recorded as the actor of what this caller does (`api` when it has none).
    pub fn actor(&self) -> String {
        self.name.clone().unwrap_or_else(|| "api".into())
    }

    /// A caller in open mode (no tokens configured).
    pub fn open(name: Option<String>) -> Caller {
        Caller {
            name,
            role: Role::Admin,
            open: true,
        }
    }

    /// Refuse unless the caller has at least `role`.
    pub fn require(&self, role: Role) -> Result<(), String> {
        if self.role >= role {
            Ok(())
        } else {
            Err(format!(
                "this needs a {role} token; the token given is a {} token",
                self.role
            ))
        }
    }

    /// The worker an operation acts for. A worker token acts only for itself; an admin (or
    /// anyone in open mode) may name a worker, and otherwise acts as itself.
    pub fn worker(&self, requested: Option<&str>) -> Result<String, WorkerError> {
        let requested = requested.map(str::trim).filter(|w| !w.is_empty());
        if self.role < Role::Worker {
            return Err(WorkerError::Forbidden(format!(
                "this needs a worker or admin token; the token given is a {} token",
                self.role
            )));
        }
        match (requested, &self.name) {
            (Some(w), Some(me)) if self.role == Role::Worker && !self.open && w != me => {
                Err(WorkerError::Forbidden(format!(
                    "this token speaks for worker `{me}`; it cannot act for `{w}`"
                )))
            }
            (Some(w), _) => Ok(w.to_string()),
            (None, Some(me)) => Ok(me.clone()),
            (None, None) => Err(WorkerError::Missing(
                "say which worker you are: give `worker` in the request, or the X-Mesh-Worker header"
                    .into(),
            )),
        }
    }
}

/// Why no worker could be chosen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WorkerError {
    /// Not allowed (403).
    Forbidden(String),
    /// No worker named (422).
    Missing(String),
}

/// Lower-case hex SHA-256 of a token.
pub fn hash_token(token: &str) -> String {
    let digest = Sha256::digest(token.trim().as_bytes());
    hex(&digest)
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[usize::from(b >> 4)] as char);
        s.push(DIGITS[usize::from(b & 15)] as char);
    }
    s
}

/// A token just issued: the secret (shown once) and its stored record.
#[derive(Debug, Clone, Serialize)]
pub struct Issued {
    pub token: String,
    #[serde(flatten)]
    pub record: TokenRecord,
}

/// Why a token could not be issued.
#[derive(Debug, thiserror::Error)]
pub enum IssueError {
    #[error("the operating system gave no random bytes: {0}")]
    Random(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Create a token for `name` with `role`: 32 random bytes, `mesh_` + 64 hex digits. Only its
/// SHA-256 is stored; the returned secret cannot be shown again.
pub fn issue(store: &Store, name: &str, role: Role) -> Result<Issued, IssueError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| IssueError::Random(e.to_string()))?;
    let token = format!("mesh_{}", hex(&bytes));
    let record = store.add_token(name, role.as_str(), &hash_token(&token))?;
    Ok(Issued { token, record })
}

/// The tokens in force, for checking requests.
#[derive(Debug, Clone, Default)]
pub struct TokenSet {
    entries: Vec<([u8; 64], String, Role)>,
}

impl TokenSet {
    /// Build from the store's active tokens (rows with an unknown role or a malformed hash are
    /// skipped).
    pub fn from_records(records: &[TokenRecord]) -> TokenSet {
        let entries = records
            .iter()
            .filter_map(|r| {
                let role = r.role.parse().ok()?;
                let hash: [u8; 64] = r.hash.as_bytes().try_into().ok()?;
                Some((hash, r.name.clone(), role))
            })
            .collect();
        TokenSet { entries }
    }

    /// No token in force: the server runs open.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The caller a presented token stands for. Every stored hash is compared in full, in
    /// constant time, whatever matches.
    pub fn verify(&self, token: &str) -> Option<Caller> {
        let presented = hash_token(token);
        let presented = presented.as_bytes();
        let mut found = None;
        for (hash, name, role) in &self.entries {
            let diff = hash
                .iter()
                .zip(presented)
                .fold(0u8, |acc, (a, b)| acc | (a ^ b));
            if diff == 0 && presented.len() == hash.len() {
                found = Some(Caller {
                    name: Some(name.clone()),
                    role: *role,
                    open: false,
                });
            }
        }
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caller(name: &str, role: Role) -> Caller {
        Caller {
            name: Some(name.into()),
            role,
            open: false,
        }
    }

    #[test]
    fn roles_order_and_parse() {
        assert!(Role::Reader < Role::Worker && Role::Worker < Role::Admin);
        assert_eq!("ADMIN".parse::<Role>(), Ok(Role::Admin));
        assert!("root".parse::<Role>().is_err());
        assert!(caller("r", Role::Reader).require(Role::Worker).is_err());
        assert!(caller("a", Role::Admin).require(Role::Worker).is_ok());
    }

    #[test]
    fn workers_act_only_for_themselves() {
        let w = caller("alice", Role::Worker);
        assert_eq!(w.worker(None), Ok("alice".into()));
        assert_eq!(w.worker(Some("alice")), Ok("alice".into()));
        assert!(matches!(
            w.worker(Some("bob")),
            Err(WorkerError::Forbidden(_))
        ));
        let a = caller("boss", Role::Admin);
        assert_eq!(a.worker(Some("bob")), Ok("bob".into()));
        let r = caller("viewer", Role::Reader);
        assert!(matches!(r.worker(None), Err(WorkerError::Forbidden(_))));
        let open = Caller::open(None);
        assert!(matches!(open.worker(None), Err(WorkerError::Missing(_))));
        assert_eq!(open.worker(Some(" x ")), Ok("x".into()));
    }

    #[test]
    fn issued_tokens_verify_and_only_hashes_are_stored() {
        let dir = tempfile::tempdir().unwrap();
        let store =
            Store::open(&mesh_store::StoreLocation::Sqlite(dir.path().join("s.db"))).unwrap();
        let issued = issue(&store, "alice", Role::Worker).unwrap();
        assert!(issued.token.starts_with("mesh_") && issued.token.len() == 5 + 64);
        let records = store.active_tokens().unwrap();
        assert_eq!(records[0].hash, hash_token(&issued.token));
        assert_ne!(records[0].hash, issued.token);
        let set = TokenSet::from_records(&records);
        assert_eq!(
            set.verify(&issued.token),
            Some(caller("alice", Role::Worker))
        );
        assert_eq!(set.verify("mesh_00"), None);
        assert_eq!(set.verify(""), None);
        let other = issue(&store, "alice", Role::Worker).unwrap();
        assert_ne!(other.token, issued.token);
    }

    #[test]
    fn sha256_hex_is_standard() {
        assert_eq!(
            hash_token("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
