//! The tamper-evident ledger: `.mesh/ledger.jsonl`, one JSON object a line, each carrying the
//! hash of the line before it.
//!
//! Every review decision, override, plan acceptance and ship is appended here. An entry is
//! `{"seq", "ts", "kind", "actor", "data", "prev", "hash"}`: `seq` counts from 1, `prev` is the
//! previous entry's `hash` (64 zeros for the first), and `hash` is the SHA-256 of the entry's
//! canonical JSON without the `hash` field. [`verify`] recomputes the chain and names the first
//! line that was edited, removed, reordered or truncated.
//!
//! Appends take an exclusive lock on the file and write one whole line with a single write;
//! a ledger that is already damaged refuses further appends rather than chaining onto a lie.

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The ledger file, relative to the project directory.
pub const LEDGER_PATH: &str = ".mesh/ledger.jsonl";

/// The `prev` of the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One ledger line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    pub seq: u64,
    /// RFC 3339 UTC time of the append.
    pub ts: String,
    /// `review`, `override`, `plan_accept`, `ship`, …
    pub kind: String,
    pub actor: String,
    pub data: serde_json::Value,
    pub prev: String,
    pub hash: String,
}

/// The hashed part of an entry: every field but `hash`, in a fixed order.
#[derive(Serialize)]
struct Hashed<'a> {
    seq: u64,
    ts: &'a str,
    kind: &'a str,
    actor: &'a str,
    data: &'a serde_json::Value,
    prev: &'a str,
}

impl Entry {
    /// The hash this entry should carry.
    pub fn compute_hash(&self) -> String {
        let h = Hashed {
            seq: self.seq,
            ts: &self.ts,
            kind: &self.kind,
            actor: &self.actor,
            data: &self.data,
            prev: &self.prev,
        };
        // Serialising a struct of strings, numbers and a JSON value cannot fail.
        let bytes = serde_json::to_vec(&h).unwrap_or_default();
        hex(&Sha256::digest(&bytes))
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// What is wrong with a ledger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Damage {
    /// A line is not a complete JSON entry (truncated mid-line, or edited into garbage).
    Unreadable,
    /// An entry's content no longer matches its own hash.
    Edited,
    /// An entry does not point at the one before it: an entry was removed or reordered.
    BrokenLink,
    /// The sequence numbers skip or repeat.
    BadSequence,
}

/// The first problem found, with its 1-based line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub line: usize,
    pub damage: Damage,
    pub detail: String,
}

/// The result of verifying a ledger.
#[derive(Debug, Clone, Serialize)]
pub struct Verification {
    pub path: String,
    pub entries: usize,
    pub ok: bool,
    /// The hash of the last good entry (the chain head when `ok`).
    pub head: String,
    pub problem: Option<Problem>,
}

/// Errors reading or appending.
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error("cannot read or write {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "the ledger {path} is damaged at line {line} ({detail}); nothing was appended. Run `mesh ledger verify` and restore the file from version control or a backup"
    )]
    Damaged {
        path: String,
        line: usize,
        detail: String,
    },
}

fn io_err(path: &Path) -> impl Fn(std::io::Error) -> LedgerError + '_ {
    move |source| LedgerError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// The ledger path of a project directory.
pub fn path_in(project_dir: &Path) -> PathBuf {
    project_dir.join(LEDGER_PATH)
}

/// Verify the chain in `text` (the whole file).
pub fn verify_text(text: &str, path: &str) -> Verification {
    let mut head = GENESIS.to_string();
    let mut count = 0usize;
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    for (i, raw) in lines.iter().enumerate() {
        let line_no = i + 1;
        let bad = |damage: Damage, detail: String, head: &str| Verification {
            path: path.to_string(),
            entries: count,
            ok: false,
            head: head.to_string(),
            problem: Some(Problem {
                line: line_no,
                damage,
                detail,
            }),
        };
        if !raw.ends_with('\n') {
            return bad(
                Damage::Unreadable,
                "the last line is incomplete (the file was truncated mid-line)".into(),
                &head,
            );
        }
        let body = raw.trim_end_matches(['\n', '\r']);
        let entry: Entry = match serde_json::from_str(body) {
            Ok(e) => e,
            Err(e) => {
                return bad(
                    Damage::Unreadable,
                    format!("not a ledger entry: {e}"),
                    &head,
                );
            }
        };
        if entry.hash != entry.compute_hash() {
            return bad(
                Damage::Edited,
                format!(
                    "entry {} ({}) does not match its hash: its content was changed",
                    entry.seq, entry.kind
                ),
                &head,
            );
        }
        if entry.prev != head {
            return bad(
                Damage::BrokenLink,
                format!(
                    "entry {} does not follow the entry before it: an entry was removed or reordered",
                    entry.seq
                ),
                &head,
            );
        }
        if entry.seq != count as u64 + 1 {
            return bad(
                Damage::BadSequence,
                format!(
                    "entry has sequence number {}, expected {}",
                    entry.seq,
                    count + 1
                ),
                &head,
            );
        }
        head = entry.hash;
        count += 1;
    }
    Verification {
        path: path.to_string(),
        entries: count,
        ok: true,
        head,
        problem: None,
    }
}

/// Verify the ledger file at `path`. A missing file is an empty, valid ledger.
pub fn verify(path: &Path) -> Result<Verification, LedgerError> {
    let text = match std::fs::read(path) {
        Ok(b) => String::from_utf8_lossy(&b).into_owned(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(io_err(path)(e)),
    };
    Ok(verify_text(&text, &path.display().to_string()))
}

/// Read every entry of a valid ledger.
pub fn entries(path: &Path) -> Result<Vec<Entry>, LedgerError> {
    let v = verify(path)?;
    if let Some(p) = v.problem {
        return Err(LedgerError::Damaged {
            path: v.path,
            line: p.line,
            detail: p.detail,
        });
    }
    let text = std::fs::read_to_string(path).unwrap_or_default();
    Ok(text
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect())
}

/// Append an entry of `kind` by `actor` with `data`, under an exclusive lock. Returns the entry.
pub fn append(
    path: &Path,
    kind: &str,
    actor: &str,
    data: serde_json::Value,
) -> Result<Entry, LedgerError> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(io_err(path))?;
    }
    let mut file: File = OpenOptions::new()
        .read(true)
        .append(true)
        .create(true)
        .open(path)
        .map_err(io_err(path))?;
    file.lock().map_err(io_err(path))?;
    let mut text = String::new();
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes).map_err(io_err(path))?;
    text.push_str(&String::from_utf8_lossy(&bytes));
    let v = verify_text(&text, &path.display().to_string());
    if let Some(p) = v.problem {
        return Err(LedgerError::Damaged {
            path: v.path,
            line: p.line,
            detail: p.detail,
        });
    }
    let mut entry = Entry {
        seq: v.entries as u64 + 1,
        ts: jiff::Timestamp::now().to_string(),
        kind: kind.to_string(),
        actor: actor.to_string(),
        data,
        prev: v.head,
        hash: String::new(),
    };
    entry.hash = entry.compute_hash();
    let mut line = serde_json::to_string(&entry).unwrap_or_default();
    line.push('\n');
    file.write_all(line.as_bytes()).map_err(io_err(path))?;
    file.sync_all().map_err(io_err(path))?;
    // The lock is released when `file` is dropped.
    Ok(entry)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ledger_with(n: usize) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let p = path_in(dir.path());
        for i in 0..n {
            append(
                &p,
                "review",
                "ann",
                json!({"task": i, "verdict": "approve"}),
            )
            .unwrap();
        }
        (dir, p)
    }

    fn lines(p: &Path) -> Vec<String> {
        std::fs::read_to_string(p)
            .unwrap()
            .lines()
            .map(str::to_string)
            .collect()
    }

    fn write_lines(p: &Path, l: &[String]) {
        std::fs::write(p, l.iter().map(|x| format!("{x}\n")).collect::<String>()).unwrap();
    }

    #[test]
    fn a_fresh_chain_verifies() {
        let (_d, p) = ledger_with(4);
        let v = verify(&p).unwrap();
        assert!(v.ok, "{v:?}");
        assert_eq!(v.entries, 4);
        assert_eq!(entries(&p).unwrap().len(), 4);
        assert!(verify(&p.with_file_name("absent.jsonl")).unwrap().ok);
    }

    #[test]
    fn an_edited_entry_is_detected() {
        let (_d, p) = ledger_with(3);
        let mut l = lines(&p);
        l[1] = l[1].replace("approve", "reject");
        write_lines(&p, &l);
        let v = verify(&p).unwrap();
        let problem = v.problem.unwrap();
        assert_eq!((problem.line, problem.damage), (2, Damage::Edited));
    }

    #[test]
    fn a_removed_entry_is_detected() {
        let (_d, p) = ledger_with(3);
        let mut l = lines(&p);
        l.remove(1);
        write_lines(&p, &l);
        let problem = verify(&p).unwrap().problem.unwrap();
        assert_eq!((problem.line, problem.damage), (2, Damage::BrokenLink));
        // Removing the last entry leaves a valid but shorter chain: the head hash changes.
        let (_d2, p2) = ledger_with(3);
        let head = verify(&p2).unwrap().head;
        let mut l = lines(&p2);
        l.pop();
        write_lines(&p2, &l);
        assert_ne!(verify(&p2).unwrap().head, head);
    }

    #[test]
    fn reordered_entries_are_detected() {
        let (_d, p) = ledger_with(3);
        let mut l = lines(&p);
        l.swap(1, 2);
        write_lines(&p, &l);
        let problem = verify(&p).unwrap().problem.unwrap();
        assert_eq!((problem.line, problem.damage), (2, Damage::BrokenLink));
    }

    #[test]
    fn a_truncated_line_is_detected_and_blocks_appends() {
        let (_d, p) = ledger_with(2);
        let text = std::fs::read_to_string(&p).unwrap();
        std::fs::write(&p, &text[..text.len() - 20]).unwrap();
        let problem = verify(&p).unwrap().problem.unwrap();
        assert_eq!((problem.line, problem.damage), (2, Damage::Unreadable));
        let before = std::fs::read(&p).unwrap();
        let err = append(&p, "ship", "ann", json!({})).unwrap_err();
        assert!(err.to_string().contains("damaged at line 2"), "{err}");
        assert_eq!(std::fs::read(&p).unwrap(), before, "nothing appended");
    }

    #[test]
    fn concurrent_appends_keep_one_chain() {
        let dir = tempfile::tempdir().unwrap();
        let p = path_in(dir.path());
        std::thread::scope(|s| {
            for t in 0..8 {
                let p = &p;
                s.spawn(move || {
                    for i in 0..10 {
                        append(p, "review", "w", json!({"t": t, "i": i})).unwrap();
                    }
                });
            }
        });
        let v = verify(&p).unwrap();
        assert!(v.ok, "{v:?}");
        assert_eq!(v.entries, 80);
    }
}
