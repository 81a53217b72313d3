//! Asking a clarification: a worker that cannot go on without an answer records its question,
//! and the work waits for the answer.
//!
//! [`ask`] does three things, in this order:
//!
//! 1. checks that the worker holds a live claim on the task (the store's own lease check, a
//!    renewal, so a stale or foreign claim is refused before anything is written);
//! 2. creates the clarification task: lane `docs`, URGENT, `Clarify T-12: <question>`, with the
//!    asking task's trace (the planner shapes its clarification tasks the same way);
//! 3. appends an entry to the root's INBOX.md under `## Notes` (created when missing), under an
//!    exclusive lock and with one atomic write, so no existing line is ever lost:
//!    `- [ ] OPEN QUESTION: <question> (T-12, asked by <worker>; answer in T-13, <date>) → DECISION_LOG`;
//! 4. blocks the asking task (`in_progress → blocked`) with a note naming the clarification.
//!
//! Why a block and not a dependency: the store records dependencies when a task is created, and
//! a dependency only gates claiming, so an in-progress task with a new open dependency would
//! keep running. A block is the state machine's "put aside, waiting": it ends the claim, shows
//! RED in the Work stage, and `unblock` returns the task to pending once the answer is in.
//!
//! When a step fails, the steps before it are undone where that is possible: the
//! clarification task is cancelled and the INBOX line removed again.

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Serialize;

use mesh_check::load::{ReadProblem, read_text};
use mesh_docs::markdown::Block;
use mesh_docs::{DocKind, Document};
use mesh_store::{NewTask, Store, StoreError, Task, display_id, priority};

use crate::fsio::{WriteError, write_atomic};

/// The lock taken while INBOX.md is edited: the root's document lock, the one the decision log
/// uses (INBOX.md itself is replaced on write, so it cannot carry its own lock; and one lock
/// file per root is one line in `.gitignore`, which `mesh init` writes).
pub const LOCK_FILE_NAME: &str = crate::decide::LOCK_FILE_NAME;

/// The longest question accepted, in characters.
pub const MAX_QUESTION: usize = 2_000;

/// The lane clarification tasks go to (the planner's lane for open questions).
pub const LANE: &str = "docs";

/// Why a clarification could not be recorded.
#[derive(Debug, thiserror::Error)]
pub enum ClarifyError {
    /// The store refused (unknown task, not the caller's claim, lease expired, …) or failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The question is empty or too long.
    #[error("{0}")]
    Question(String),
    /// INBOX.md exists but cannot be read as text.
    #[error("{message}; {help}")]
    Unreadable {
        path: String,
        message: String,
        help: String,
    },
    #[error("cannot lock {path}: {source}")]
    Lock {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Write(#[from] WriteError),
}

/// The line written to INBOX.md.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InboxEntry {
    /// INBOX.md (as `root_dir` was given).
    pub path: PathBuf,
    /// The 1-based line of the entry.
    pub line: u32,
    /// The entry as written (without line terminator).
    pub text: String,
}

/// What [`ask`] did.
#[derive(Debug, Clone, Serialize)]
pub struct Asked {
    /// The new clarification task.
    pub clarification: Task,
    /// The asking task, now blocked until the answer is in.
    pub blocked: Task,
    pub inbox: InboxEntry,
}

/// Record `worker`'s question about the task it holds (`task`: `12`, `T-12` or a key): create
/// a clarification task, append an INBOX entry in `root_dir` (the folder holding INBOX.md) and
/// block the asking task.
pub fn ask(
    store: &Store,
    root_dir: &Path,
    task: &str,
    worker: &str,
    question: &str,
) -> Result<Asked, ClarifyError> {
    let question = clean_question(question)?;
    let id = store.resolve(task)?;
    // The store's own claim check (holder, live lease, in progress); renewing is harmless since
    // the claim ends with the block below.
    let asking = store.heartbeat(id, worker, Duration::from_secs(60))?;
    let title = shorten(&format!("Clarify {}: {question}", display_id(id)), 160);
    let clarification = store.add_task(
        &NewTask {
            title,
            lane: LANE.to_string(),
            priority: Some(priority::URGENT),
            risk: None,
            trace: asking.trace.clone(),
            dod: format!(
                "the question asked on {} is answered, the answer is recorded in DECISION_LOG.md, the INBOX entry is ticked and {} is unblocked: {question}",
                display_id(id),
                display_id(id)
            ),
            deps: Vec::new(),
            key: None,
        },
        worker,
    )?;
    let entry_text = format!(
        "- [ ] OPEN QUESTION: {} ({}, asked by {}; answer in {}, {}) → DECISION_LOG",
        inert(&question),
        display_id(id),
        inert(&one_line(worker)),
        display_id(clarification.id),
        crate::decide::today_utc()
    );
    let undo_task = |why: &str| {
        let _ = store.cancel(clarification.id, worker, why);
    };
    let inbox = match append_entry(root_dir, &entry_text) {
        Ok(e) => e,
        Err(e) => {
            undo_task("the INBOX entry could not be written");
            return Err(e);
        }
    };
    let note = format!(
        "waiting for clarification {}: {question}",
        display_id(clarification.id)
    );
    let blocked = match store.block(id, worker, &note) {
        Ok(t) => t,
        Err(e) => {
            undo_task("the asking task could not be blocked");
            let _ = remove_entry(root_dir, &entry_text);
            return Err(e.into());
        }
    };
    Ok(Asked {
        clarification,
        blocked,
        inbox,
    })
}

/// The question on one line: whitespace runs (newlines included) become one space, other
/// control characters are dropped. Refused when empty or longer than [`MAX_QUESTION`].
fn clean_question(q: &str) -> Result<String, ClarifyError> {
    let q = one_line(q);
    if q.is_empty() {
        return Err(ClarifyError::Question(
            "the question is empty: say what you need to know to go on".into(),
        ));
    }
    if q.chars().count() > MAX_QUESTION {
        return Err(ClarifyError::Question(format!(
            "the question is longer than {MAX_QUESTION} characters: ask one thing, briefly"
        )));
    }
    Ok(q)
}

/// Text as one line: whitespace runs collapsed to one space, control characters dropped.
fn one_line(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for word in s.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.extend(word.chars().filter(|c| !c.is_control()));
    }
    out
}

/// A line made inert for Markdown: `<` written as `&lt;`, so no HTML comment or tag in a
/// question can swallow the lines after it in INBOX.md.
fn inert(s: &str) -> String {
    s.replace('<', "&lt;")
}

fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// INBOX.md of a root.
pub fn inbox_path(root_dir: &Path) -> PathBuf {
    root_dir.join(DocKind::Inbox.file_name())
}

/// Append `line` (one list item) to the `## Notes` section of the root's INBOX.md, under the
/// lock and in one atomic write. The section is created when missing (before the closing
/// `*Template version*` line, if any); the file is created when missing.
pub fn append_entry(root_dir: &Path, line: &str) -> Result<InboxEntry, ClarifyError> {
    let path = inbox_path(root_dir);
    let lock = acquire(root_dir)?;
    let text = match read_text(&path) {
        Ok(t) => t,
        Err(ReadProblem::Missing) => String::new(),
        Err(ReadProblem::Problem(message, help, _)) => {
            return Err(ClarifyError::Unreadable {
                path: path.display().to_string(),
                message,
                help,
            });
        }
    };
    let (new_text, at) = insert_entry(&text, line);
    write_keeping_mode(&path, &new_text)?;
    drop(lock);
    let line_no = new_text[..at].matches('\n').count() + 1;
    Ok(InboxEntry {
        path,
        line: u32::try_from(line_no).unwrap_or(u32::MAX),
        text: line.to_string(),
    })
}

/// Remove the line `line` again (the last one equal to it), under the lock. Nothing else
/// changes; a missing file or line is not an error.
fn remove_entry(root_dir: &Path, line: &str) -> Result<(), ClarifyError> {
    let path = inbox_path(root_dir);
    let lock = acquire(root_dir)?;
    let Ok(text) = read_text(&path) else {
        return Ok(());
    };
    let Some(start) = text.rmatch_indices(line).map(|(i, _)| i).find(|&i| {
        (i == 0 || text[..i].ends_with('\n'))
            && matches!(
                text[i + line.len()..].chars().next(),
                None | Some('\r' | '\n')
            )
    }) else {
        return Ok(());
    };
    let mut end = start + line.len();
    if text[end..].starts_with("\r\n") {
        end += 2;
    } else if text[end..].starts_with('\n') {
        end += 1;
    }
    let mut out = String::with_capacity(text.len());
    out.push_str(&text[..start]);
    out.push_str(&text[end..]);
    write_keeping_mode(&path, &out)?;
    drop(lock);
    Ok(())
}

/// The text with `line` added to the Notes list, and the byte offset where the line starts.
/// Pure: the whole placement rule lives here.
pub fn insert_entry(text: &str, line: &str) -> (String, usize) {
    let nl = if text.contains("\r\n") { "\r\n" } else { "\n" };
    let doc = Document::parse(DocKind::Inbox, "INBOX.md", text);
    let notes = doc.find_section(|t| t == "notes");
    if let Some(idx) = notes {
        let section = &doc.md.sections[idx];
        let last_list = section.blocks.iter().rev().find_map(|b| match b {
            Block::List(l) => Some(l.span.end),
            _ => None,
        });
        let (at, prefix) = match last_list {
            Some(end) => (end, nl.to_string()),
            None => (section.heading.end, nl.to_string()),
        };
        let at = at.min(text.len());
        let mut out = String::with_capacity(text.len() + line.len() + 4);
        out.push_str(&text[..at]);
        out.push_str(&prefix);
        let start = out.len();
        out.push_str(line);
        if last_list.is_none() {
            // A list right under the heading, kept apart from whatever followed the heading.
            let rest = &text[at..];
            let rest_body = rest.strip_prefix(nl).unwrap_or(rest);
            if !rest_body.is_empty() && !rest_body.starts_with(nl) {
                out.push_str(nl);
            }
        }
        out.push_str(&text[at..]);
        return (out, start);
    }
    // No Notes section: add one before the closing `*Template version: N*` line, or at the end.
    let section = format!("## Notes{nl}{line}{nl}");
    if let Some((_, span)) = &doc.meta.template_version {
        let at = line_start(text, span.start);
        let mut out = String::with_capacity(text.len() + section.len() + 4);
        out.push_str(&text[..at]);
        if at > 0 && !text[..at].ends_with(&format!("{nl}{nl}")) {
            out.push_str(nl);
        }
        let start = out.len() + "## Notes".len() + nl.len();
        out.push_str(&section);
        out.push_str(nl);
        out.push_str(&text[at..]);
        return (out, start);
    }
    let mut out = text.to_string();
    if out.is_empty() {
        out.push_str("# Inbox");
        out.push_str(nl);
    } else if !out.ends_with(nl) {
        out.push_str(nl);
    }
    out.push_str(nl);
    let start = out.len() + "## Notes".len() + nl.len();
    out.push_str(&section);
    (out, start)
}

fn line_start(text: &str, offset: usize) -> usize {
    let offset = offset.min(text.len());
    text[..offset].rfind('\n').map_or(0, |i| i + 1)
}

fn write_keeping_mode(path: &Path, text: &str) -> Result<(), ClarifyError> {
    // Write through a symlink rather than replacing it.
    let target = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let perms = std::fs::metadata(&target).map(|m| m.permissions()).ok();
    write_atomic(&target, text.as_bytes())?;
    if let Some(p) = perms {
        let _ = std::fs::set_permissions(&target, p);
    }
    Ok(())
}

/// An exclusive lock on the root's document lock file, held until the returned file is dropped.
fn acquire(root_dir: &Path) -> Result<File, ClarifyError> {
    let lock_path = root_dir.join(LOCK_FILE_NAME);
    let err = |source| ClarifyError::Lock {
        path: lock_path.display().to_string(),
        source,
    };
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .read(true)
        .write(true)
        .open(&lock_path)
        .map_err(err)?;
    file.lock().map_err(err)?;
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;
    use mesh_store::{Status, StoreLocation};

    const INBOX: &str = "# Inbox: shop\n\n**Author**: a | **Date**: 2026-01-01 | **Status**: Active\n\n---\n\n## Notes\n- [ ] First note → SPEC\n- [x] Done note → PRD\n\n*Template version: 15.0*\n";

    fn store_in(dir: &Path) -> Store {
        Store::open(&StoreLocation::Sqlite(dir.join("mesh.db"))).unwrap()
    }

    #[test]
    fn the_entry_goes_after_the_last_note_and_nothing_else_moves() {
        let (out, at) = insert_entry(INBOX, "- [ ] OPEN QUESTION: q");
        assert_eq!(
            out,
            INBOX.replace(
                "- [x] Done note → PRD\n",
                "- [x] Done note → PRD\n- [ ] OPEN QUESTION: q\n"
            )
        );
        assert!(out[at..].starts_with("- [ ] OPEN QUESTION: q\n"));
        // CRLF files stay CRLF.
        let crlf = INBOX.replace('\n', "\r\n");
        let (out, at) = insert_entry(&crlf, "- [ ] q");
        assert_eq!(
            out,
            crlf.replace(
                "- [x] Done note → PRD\r\n",
                "- [x] Done note → PRD\r\n- [ ] q\r\n"
            )
        );
        assert!(out[at..].starts_with("- [ ] q\r\n"));
    }

    #[test]
    fn a_missing_section_or_file_is_created() {
        let no_notes = "# Inbox\n\nSome prose.\n\n*Template version: 15.0*\n";
        let (out, at) = insert_entry(no_notes, "- [ ] q");
        assert_eq!(
            out,
            "# Inbox\n\nSome prose.\n\n## Notes\n- [ ] q\n\n*Template version: 15.0*\n"
        );
        assert!(out[at..].starts_with("- [ ] q\n"));
        let (out, at) = insert_entry("# Inbox\nprose", "- [ ] q");
        assert_eq!(out, "# Inbox\nprose\n\n## Notes\n- [ ] q\n");
        assert!(out[at..].starts_with("- [ ] q\n"));
        let (out, _) = insert_entry("", "- [ ] q");
        assert_eq!(out, "# Inbox\n\n## Notes\n- [ ] q\n");
        // A Notes heading with prose but no list yet.
        let (out, _) = insert_entry("## Notes\nLater.\n", "- [ ] q");
        assert_eq!(out, "## Notes\n- [ ] q\n\nLater.\n");
        // The section found is the real one, not a heading inside a code block.
        let fenced = "# Inbox\n\n```\n## Notes\n```\n\n## Notes\n- [ ] a\n";
        let (out, _) = insert_entry(fenced, "- [ ] q");
        assert_eq!(out, format!("{fenced}- [ ] q\n"));
    }

    #[test]
    fn questions_are_one_inert_line() {
        assert_eq!(
            clean_question("  Which\n\tcurrency?  <!-- x -->\u{7}").unwrap(),
            "Which currency? <!-- x -->"
        );
        assert_eq!(inert("a <!-- b"), "a &lt;!-- b");
        assert!(matches!(
            clean_question(" \n "),
            Err(ClarifyError::Question(_))
        ));
        assert!(matches!(
            clean_question(&"x".repeat(MAX_QUESTION + 1)),
            Err(ClarifyError::Question(_))
        ));
    }

    #[test]
    fn asking_blocks_the_task_creates_a_clarification_and_an_inbox_entry() {
        let dir = tempfile::tempdir().unwrap();
        let docs = dir.path().join("docs");
        std::fs::create_dir_all(&docs).unwrap();
        std::fs::write(docs.join("INBOX.md"), INBOX).unwrap();
        let store = store_in(dir.path());
        let t = store
            .add_task(
                &NewTask {
                    title: "Build checkout".into(),
                    lane: "backend".into(),
                    trace: "US3".into(),
                    ..NewTask::default()
                },
                "boss",
            )
            .unwrap();
        store
            .claim_task(t.id, "agent-1", Duration::from_secs(300))
            .unwrap();

        // Only the holder may ask.
        let err = ask(&store, &docs, "1", "agent-2", "Which currency?").unwrap_err();
        assert!(
            matches!(err, ClarifyError::Store(StoreError::NotYourClaim { .. })),
            "{err}"
        );
        assert_eq!(
            std::fs::read_to_string(docs.join("INBOX.md")).unwrap(),
            INBOX
        );
        assert_eq!(store.list_tasks(&Default::default()).unwrap().len(), 1);

        let asked = ask(&store, &docs, "T-1", "agent-1", "Which\ncurrency?").unwrap();
        assert_eq!(asked.blocked.status, Status::Blocked);
        assert_eq!(asked.blocked.worker, None);
        let c = &asked.clarification;
        assert_eq!(c.status, Status::Pending);
        assert_eq!(c.lane, "docs");
        assert_eq!(c.priority, priority::URGENT);
        assert_eq!(c.trace, "US3");
        assert_eq!(c.title, "Clarify T-1: Which currency?");
        let events = store.events(t.id).unwrap();
        let last = events.last().unwrap();
        assert_eq!(last.actor, "agent-1");
        assert!(
            last.reason.contains(&format!("T-{}", c.id)) && last.reason.contains("Which currency?"),
            "{last:?}"
        );

        let text = std::fs::read_to_string(docs.join("INBOX.md")).unwrap();
        assert!(text.starts_with(&INBOX[..INBOX.find("\n\n*Template").unwrap()]));
        let line = text.lines().nth(asked.inbox.line as usize - 1).unwrap();
        assert_eq!(line, asked.inbox.text);
        assert!(line.starts_with(
            "- [ ] OPEN QUESTION: Which currency? (T-1, asked by agent-1; answer in T-2, "
        ));
        assert!(text.ends_with("→ DECISION_LOG\n\n*Template version: 15.0*\n"));

        // The task is no longer held: asking again is refused and changes nothing.
        let err = ask(&store, &docs, "1", "agent-1", "Again?").unwrap_err();
        assert!(matches!(err, ClarifyError::Store(_)), "{err}");
        assert_eq!(
            std::fs::read_to_string(docs.join("INBOX.md")).unwrap(),
            text
        );
        assert_eq!(store.list_tasks(&Default::default()).unwrap().len(), 2);
    }

    #[test]
    fn an_inbox_that_cannot_be_written_undoes_the_clarification() {
        let dir = tempfile::tempdir().unwrap();
        let docs = dir.path().join("docs");
        std::fs::create_dir_all(docs.join("INBOX.md")).unwrap(); // a folder: unreadable
        let store = store_in(dir.path());
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
        store
            .claim_task(t.id, "w", Duration::from_secs(300))
            .unwrap();
        assert!(ask(&store, &docs, "1", "w", "Why?").is_err());
        let tasks = store.list_tasks(&Default::default()).unwrap();
        assert_eq!(
            tasks[0].status,
            Status::InProgress,
            "the asker keeps its claim"
        );
        assert_eq!(tasks[1].status, Status::Cancelled);
    }
}
