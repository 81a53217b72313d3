//! Evidence the tool gathers itself for the review gate: which tree the working directory is
//! (`current_tree`), what a task changed (`changed_files`), the project's tests run on that tree
//! (`verify`), the size and repeated code of the change (`simplify`) and a logged waiver
//! (`waive`).
//!
//! Git is driven through its command line here, not through gix: the tree id of the working
//! tree *including untracked files* needs the working tree staged into a temporary index
//! (`GIT_INDEX_FILE=<tmp> git add -A`, then `git write-tree`), and gix cannot stage a working tree
//! into an index. The real index (`.git/index`) is only copied, never written. Staging writes the
//! new blobs into the object database as loose objects, as `git add` would; `git gc` prunes them.

pub mod counts;
pub mod duplicates;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ffi::OsStr;
use std::io::{Read, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::json;

use mesh_docs::DocKind;
use mesh_store::{Evidence, EvidenceKind, NewEvidence, Status, Store, StoreError, display_id};

use crate::decide::{self, DecideError, NewDecision};
use crate::project::Project;

pub use counts::{Counts, Runner};
pub use duplicates::{DuplicateBlock, MIN_BLOCK_LINES};

/// Why evidence could not be gathered or recorded.
#[derive(Debug, thiserror::Error)]
pub enum EvidenceError {
    /// `git` could not be started.
    #[error("cannot run git: {0}; install git and make sure it is on PATH")]
    GitMissing(std::io::Error),
    /// The directory is not inside a git work tree.
    #[error(
        "{dir} is not inside a git work tree; evidence is taken from git (run `git init` first)"
    )]
    NotARepository { dir: String },
    /// The base revision does not name a commit.
    #[error("`{rev}` does not name a commit in this repository; give a branch, tag or commit id")]
    BadRevision { rev: String },
    /// A git command failed.
    #[error("`git {args}` failed: {message}")]
    Git { args: String, message: String },
    /// A file could not be read or written, or a process could not be started.
    #[error("{what}: {source}")]
    Io {
        what: String,
        #[source]
        source: std::io::Error,
    },
    /// No test command is configured and SPEC names no known runner.
    #[error(
        "no test command to run: {found}\n  help: set `[verify] command` in mesh.toml (e.g. command = \"cargo test\"), or pass --command"
    )]
    NoCommand { found: String },
    /// A usage mistake: an empty command or reason, a zero timeout.
    #[error("{0}")]
    Invalid(String),
    /// The project has no document root to read SPEC from or write the decision to.
    #[error("the project has no document root: run `mesh init`, or run this inside the project")]
    NoRoot,
    /// The task store refused or failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The waiver's decision row could not be written.
    #[error(transparent)]
    Decide(#[from] DecideError),
}

fn io_err(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> EvidenceError {
    let what = what.into();
    move |source| EvidenceError::Io { what, source }
}

/// Run git in `dir` with optional extra environment; non-zero exit is an error carrying stderr.
fn git<I, S>(dir: &Path, index: Option<&Path>, args: I) -> Result<Output, EvidenceError>
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let args: Vec<std::ffi::OsString> = args.into_iter().map(|a| a.as_ref().to_owned()).collect();
    let mut cmd = Command::new("git");
    cmd.args(&args).current_dir(dir);
    if let Some(index) = index {
        cmd.env("GIT_INDEX_FILE", index);
    }
    let out = cmd.output().map_err(EvidenceError::GitMissing)?;
    if out.status.success() {
        Ok(out)
    } else {
        let shown = args
            .iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join(" ");
        Err(EvidenceError::Git {
            args: shown,
            message: String::from_utf8_lossy(&out.stderr).trim().to_string(),
        })
    }
}

fn stdout_line(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// The decision log's lock files (`mesh init` ignores them): left out of the staged tree when
/// untracked, so that recording a decision does not by itself change the tree evidence names.
/// (The store needs nothing: it keeps a `.gitignore` of its own in `.mesh/`.)
const LOCK_FILES: &str = ":(top,glob)**/.DECISION_LOG.md.lock";

/// The working tree of the repository holding `dir`, staged into a temporary index (deleted on
/// drop). The caller runs further git commands against it with [`Staged::git`].
struct Staged {
    /// Directory git runs in.
    dir: PathBuf,
    /// Holds the temporary index file.
    _tmp: tempfile::TempDir,
    index: PathBuf,
    /// The tree id of the staged working tree.
    tree: String,
}

impl Staged {
    fn new(dir: &Path) -> Result<Staged, EvidenceError> {
        let inside = Command::new("git")
            .args(["rev-parse", "--is-inside-work-tree"])
            .current_dir(dir)
            .output()
            .map_err(EvidenceError::GitMissing)?;
        if !inside.status.success() || stdout_line(&inside) != "true" {
            return Err(EvidenceError::NotARepository {
                dir: dir.display().to_string(),
            });
        }
        // `--git-path index` honours worktrees and GIT_INDEX_FILE; relative to `dir`.
        let real = PathBuf::from(stdout_line(&git(
            dir,
            None,
            ["rev-parse", "--git-path", "index"],
        )?));
        let real = if real.is_absolute() {
            real
        } else {
            dir.join(real)
        };
        let tmp = tempfile::Builder::new()
            .prefix("mesh-evidence")
            .tempdir()
            .map_err(io_err("cannot create a temporary directory"))?;
        let index = tmp.path().join("index");
        if real.exists() {
            // A copy keeps the stat cache, so unchanged files are not hashed again.
            std::fs::copy(&real, &index).map_err(io_err(format!(
                "cannot copy the git index {}",
                real.display()
            )))?;
        }
        // From the top level, so the whole work tree is staged whatever `dir` is.
        let top = PathBuf::from(stdout_line(&git(
            dir,
            None,
            ["rev-parse", "--show-toplevel"],
        )?));
        let locks = |index: &Path| -> Result<BTreeSet<Vec<u8>>, EvidenceError> {
            let out = git(&top, Some(index), ["ls-files", "-z", "--", LOCK_FILES])?;
            Ok(out
                .stdout
                .split(|b| *b == 0)
                .filter(|p| !p.is_empty())
                .map(<[u8]>::to_vec)
                .collect())
        };
        let tracked_locks = locks(&index)?;
        git(&top, Some(&index), ["add", "--all", "--", "."])?;
        let new_locks: Vec<std::ffi::OsString> = locks(&index)?
            .difference(&tracked_locks)
            .map(|p| std::ffi::OsString::from(String::from_utf8_lossy(p).into_owned()))
            .collect();
        if !new_locks.is_empty() {
            let mut rm: Vec<std::ffi::OsString> = ["update-index", "--force-remove", "--"]
                .iter()
                .map(std::ffi::OsString::from)
                .collect();
            rm.extend(new_locks);
            git(&top, Some(&index), rm)?;
        }
        let tree = stdout_line(&git(&top, Some(&index), ["write-tree"])?);
        Ok(Staged {
            dir: top,
            _tmp: tmp,
            index,
            tree,
        })
    }

    /// Run git at the top level against the temporary index.
    fn git<I, S>(&self, args: I) -> Result<Output, EvidenceError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        git(&self.dir, Some(&self.index), args)
    }

    /// The commit id `base` names (default HEAD); `None` when `base` is not given and HEAD is
    /// unborn (a repository without commits: everything is new).
    fn resolve(&self, base: Option<&str>) -> Result<Option<String>, EvidenceError> {
        let rev = base.unwrap_or("HEAD");
        let spec = format!("{rev}^{{commit}}");
        match git(
            &self.dir,
            None,
            [
                "rev-parse",
                "--verify",
                "--quiet",
                "--end-of-options",
                &spec,
            ],
        ) {
            Ok(out) => Ok(Some(stdout_line(&out))),
            Err(EvidenceError::Git { .. }) if base.is_none() => Ok(None),
            Err(EvidenceError::Git { .. }) => Err(EvidenceError::BadRevision {
                rev: rev.to_string(),
            }),
            Err(e) => Err(e),
        }
    }
}

/// The git tree id of the working tree as it is now: tracked changes and untracked, not-ignored
/// files included (untracked decision-log lock files left out). Same content gives the same id;
/// the real index is never touched (the work tree is staged into a copy of it).
pub fn current_tree(dir: &Path) -> Result<String, EvidenceError> {
    Ok(Staged::new(dir)?.tree)
}

/// Files changed between `base` (a revision; default HEAD) and the working tree, untracked
/// files included: repository-relative paths with `/`, sorted. A rename lists both names.
pub fn changed_files(dir: &Path, base: Option<&str>) -> Result<Vec<String>, EvidenceError> {
    let staged = Staged::new(dir)?;
    let base = staged.resolve(base)?;
    diff_names(&staged, base.as_deref())
}

/// Files changed between `base` and the staged tree, sorted.
fn diff_names(staged: &Staged, base: Option<&str>) -> Result<Vec<String>, EvidenceError> {
    let mut args = vec![
        "diff",
        "--cached",
        "--no-renames",
        "--name-only",
        "-z",
        "--no-ext-diff",
    ];
    if let Some(b) = base {
        args.push(b);
    }
    let out = staged.git(args)?;
    let mut files: Vec<String> = out
        .stdout
        .split(|b| *b == 0)
        .filter(|p| !p.is_empty())
        .map(|p| String::from_utf8_lossy(p).into_owned())
        .collect();
    files.sort();
    files.dedup();
    Ok(files)
}

// ---------------------------------------------------------------------------------------------
// verify

/// The last bytes of a run's output kept in the evidence.
pub const OUTPUT_TAIL_BYTES: usize = 8 * 1024;

/// Most output kept in memory while a command runs; older output is dropped beyond it (the
/// counts of a runner that prints more than this may then be partial).
const MAX_CAPTURE_BYTES: usize = 32 * 1024 * 1024;

/// How `verify` runs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VerifyOptions {
    /// The command, instead of `[verify] command` or the one SPEC's Testing convention implies.
    pub command: Option<String>,
    /// The time limit, instead of `[verify] timeout_s`.
    pub timeout: Option<Duration>,
}

/// Where the command `verify` runs came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CommandSource {
    /// Given by the caller (`--command`).
    Given,
    /// `[verify] command` in mesh.toml.
    Config,
    /// Derived from SPEC's Hydration Contract `Testing:` field.
    Spec,
}

impl CommandSource {
    /// Where it came from, in words (`[verify] command`).
    pub fn describe(self) -> &'static str {
        match self {
            CommandSource::Given => "--command",
            CommandSource::Config => "[verify] command in mesh.toml",
            CommandSource::Spec => "SPEC's Hydration Contract Testing convention",
        }
    }
}

/// The command `verify` runs: the given one, else `[verify] command`, else the one SPEC's
/// Hydration Contract `Testing:` field implies (first document root).
pub fn resolve_command(
    project: &Project,
    given: Option<&str>,
) -> Result<(String, CommandSource), EvidenceError> {
    if let Some(c) = given {
        let c = c.trim();
        if c.is_empty() {
            return Err(EvidenceError::Invalid(
                "the test command is empty; give the command that runs the tests".into(),
            ));
        }
        return Ok((c.to_string(), CommandSource::Given));
    }
    if let Some(c) = project.config.verify.command.as_deref() {
        return Ok((c.trim().to_string(), CommandSource::Config));
    }
    let Some(root) = project.roots.first() else {
        return Err(EvidenceError::NoCommand {
            found: "the project has no document root and mesh.toml sets no [verify] command".into(),
        });
    };
    let loaded = mesh_check::load::load_root(root);
    let shown = root.file_display(DocKind::Spec);
    let testing = loaded
        .docs
        .spec
        .as_ref()
        .and_then(|s| s.contract.testing.as_ref());
    match testing {
        None => Err(EvidenceError::NoCommand {
            found: format!("{shown} has no Hydration Contract `Testing:` convention"),
        }),
        Some(f) => match f.value.as_deref() {
            None => Err(EvidenceError::NoCommand {
                found: format!("the Hydration Contract `Testing:` in {shown} is not filled in yet"),
            }),
            Some(v) => match counts::command_for_testing(v) {
                Some(c) => Ok((c.to_string(), CommandSource::Spec)),
                None => Err(EvidenceError::NoCommand {
                    found: format!(
                        "the Hydration Contract `Testing: {v}` in {shown} names no runner mesh knows (cargo test, nextest, pytest, jest, vitest, npm, go test)"
                    ),
                }),
            },
        },
    }
}

/// What running a command gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunOutcome {
    /// The exit code; `None` when it timed out. A command killed by a signal reports
    /// 128 + the signal number, as shells do.
    pub exit_code: Option<i32>,
    pub timed_out: bool,
    pub duration: Duration,
    /// Standard output and error, interleaved as written, lossily decoded.
    pub output: String,
}

#[cfg(unix)]
fn kill_group(child: &Child) {
    // The child leads its own process group (process_group(0) below), whose id is its pid.
    if let Ok(pid) = i32::try_from(child.id())
        && let Some(pid) = rustix::process::Pid::from_raw(pid)
    {
        // ESRCH (the group is gone already) is fine.
        let _ = rustix::process::kill_process_group(pid, rustix::process::Signal::KILL);
    }
}

#[cfg(not(unix))]
fn kill_group(_child: &Child) {}

/// Run `sh -c command` in `dir` with standard input closed, capturing standard output and
/// error together. After `timeout` the command's whole process group is killed (its children
/// too) and the outcome says `timed_out`.
pub fn run_command(
    dir: &Path,
    command: &str,
    timeout: Duration,
) -> Result<RunOutcome, EvidenceError> {
    let (mut reader, writer) = std::io::pipe().map_err(io_err("cannot create a pipe"))?;
    let writer2 = writer.try_clone().map_err(io_err("cannot create a pipe"))?;
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg(command)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(writer)
        .stderr(writer2);
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt as _;
        cmd.process_group(0);
    }
    let start = Instant::now();
    let mut child = cmd.spawn().map_err(io_err(format!(
        "cannot start `sh -c {command}` in {}",
        dir.display()
    )))?;
    // Our copies of the pipe's write end must go, or the reader never sees the end.
    drop(cmd);

    let captured = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&captured);
    let (done_tx, done_rx) = mpsc::channel::<()>();
    std::thread::spawn(move || {
        let mut chunk = [0u8; 64 * 1024];
        loop {
            match reader.read(&mut chunk) {
                Ok(0) => break,
                Ok(n) => {
                    if let Ok(mut buf) = sink.lock() {
                        buf.extend_from_slice(&chunk[..n]);
                        if buf.len() > MAX_CAPTURE_BYTES {
                            let excess = buf.len() - MAX_CAPTURE_BYTES / 2;
                            buf.drain(..excess);
                        }
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(_) => break,
            }
        }
        let _ = done_tx.send(());
    });

    let deadline = start + timeout;
    let mut timed_out = false;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) => {}
            Err(e) => {
                kill_group(&child);
                let _ = child.wait();
                return Err(EvidenceError::Io {
                    what: format!("cannot wait for `{command}`"),
                    source: e,
                });
            }
        }
        if Instant::now() >= deadline {
            timed_out = true;
            kill_group(&child);
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let duration = start.elapsed();
    // Processes the command left behind may still hold the output open: give them a moment,
    // then end them too.
    if done_rx.recv_timeout(Duration::from_secs(2)).is_err() {
        kill_group(&child);
        let _ = done_rx.recv_timeout(Duration::from_secs(1));
    }
    let bytes = captured.lock().map(|b| b.clone()).unwrap_or_default();
    let exit_code = match status {
        None => None,
        Some(s) => s.code().or_else(|| {
            #[cfg(unix)]
            {
                use std::os::unix::process::ExitStatusExt as _;
                s.signal().map(|sig| 128 + sig)
            }
            #[cfg(not(unix))]
            {
                None
            }
        }),
    };
    Ok(RunOutcome {
        exit_code,
        timed_out,
        duration,
        output: String::from_utf8_lossy(&bytes).into_owned(),
    })
}

/// The last `max` bytes of `text`, starting at a line start when one is near, on a character
/// boundary in any case.
pub fn tail(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut start = text.len() - max;
    while !text.is_char_boundary(start) {
        start += 1;
    }
    let rest = &text[start..];
    match rest.find('\n') {
        Some(nl) if nl < 200 && nl + 1 < rest.len() => &rest[nl + 1..],
        _ => rest,
    }
}

fn seconds(d: Duration) -> String {
    format!("{:.1} s", d.as_secs_f64())
}

/// The one-line summary of a run.
pub fn verify_summary(
    runner: Runner,
    counts: Option<Counts>,
    outcome: &RunOutcome,
    timeout: Duration,
) -> String {
    let figures = counts.map(|c| {
        format!(
            "{}: {} passed, {} failed, {} ignored",
            runner.as_str(),
            c.passed,
            c.failed,
            c.ignored
        )
    });
    if outcome.timed_out {
        let mut s = format!("timed out after {} s, killed", timeout.as_secs());
        if let Some(f) = figures {
            s.push_str(&format!(" ({f} so far)"));
        }
        return s;
    }
    let code = outcome.exit_code.unwrap_or(-1);
    let verdict = match code {
        0 => "passed".to_string(),
        127 => "failed: command not found (exit 127)".to_string(),
        126 => "failed: command not executable (exit 126)".to_string(),
        c => format!("failed (exit {c})"),
    };
    match figures {
        Some(f) => format!("{verdict}: {f} in {}", seconds(outcome.duration)),
        None => format!(
            "{verdict} in {}; no test counts recognised in the output",
            seconds(outcome.duration)
        ),
    }
}

fn usable_task(store: &Store, task_id: i64) -> Result<mesh_store::Task, EvidenceError> {
    let task = store.get_task(task_id)?;
    if task.status == Status::Cancelled {
        return Err(StoreError::Invalid(format!(
            "{} is cancelled: reopen it (`mesh task reopen {}`) before gathering evidence",
            display_id(task_id),
            display_id(task_id)
        ))
        .into());
    }
    Ok(task)
}

/// Run the project's test command for a task and record Verify evidence: the tree it ran on
/// (taken before the command starts), command, exit code, duration, counts, runner and the
/// output's tail. The evidence passes when the command exits 0 within the time limit.
/// `dir` is the project directory: the command runs there.
pub fn verify(
    dir: &Path,
    project: &Project,
    store: &Store,
    task_id: i64,
    actor: &str,
    opts: &VerifyOptions,
) -> Result<Evidence, EvidenceError> {
    usable_task(store, task_id)?;
    let (command, source) = resolve_command(project, opts.command.as_deref())?;
    let timeout = opts
        .timeout
        .unwrap_or(Duration::from_secs(project.config.verify.timeout_s));
    if timeout.is_zero() {
        return Err(EvidenceError::Invalid(
            "the timeout must be at least one second".into(),
        ));
    }
    let tree = current_tree(dir)?;
    let outcome = run_command(dir, &command, timeout)?;
    let parsed = counts::parse_counts(&outcome.output);
    let runner = match parsed {
        Some((r, _)) => r,
        None => counts::runner_of_command(&command),
    };
    let found = parsed.map(|(_, c)| c);
    let passed = !outcome.timed_out && outcome.exit_code == Some(0);
    let summary = verify_summary(runner, found, &outcome, timeout);
    let clean = counts::strip_ansi(&outcome.output);
    let data = json!({
        "command": command,
        "command_source": source,
        "exit_code": outcome.exit_code,
        "timed_out": outcome.timed_out,
        "timeout_s": timeout.as_secs(),
        "duration_ms": u64::try_from(outcome.duration.as_millis()).unwrap_or(u64::MAX),
        "counts": found,
        "runner": runner,
        "tree": tree,
        "output_tail": tail(&clean, OUTPUT_TAIL_BYTES),
    });
    Ok(store.record_evidence(
        task_id,
        actor,
        &NewEvidence {
            kind: EvidenceKind::Verify,
            passed,
            tree: Some(tree),
            summary,
            data,
        },
    )?)
}

// ---------------------------------------------------------------------------------------------
// simplify

/// Files of a change longer than this are listed only up to it in the evidence.
const MAX_LISTED_FILES: usize = 1_000;
/// Duplicate blocks kept in the evidence (largest first).
const MAX_LISTED_BLOCKS: usize = 200;
/// Files larger than this are counted as changed but not read (generated or data files).
const MAX_TEXT_BYTES: usize = 2 * 1024 * 1024;

/// The size of a change and the repeated code it adds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChangeReport {
    /// The resolved base commit; `None` in a repository without commits (all is new).
    pub base: Option<String>,
    /// The working tree's tree id (see [`current_tree`]).
    pub tree: String,
    pub changed_files: Vec<String>,
    /// Lines added and removed over the text files of the change.
    pub added: u64,
    pub removed: u64,
    /// Repeated blocks, largest first.
    pub duplicate_blocks: Vec<DuplicateBlock>,
    /// The lines in those blocks.
    pub duplicate_lines: u64,
}

/// One entry of the staged index or the base tree: mode, object id, path.
struct Entry {
    mode: String,
    oid: String,
    path: String,
}

/// `git ls-files -s -z` (temporary index) or `git ls-tree -r -z` (a commit) entries.
fn parse_entries(out: &[u8], ls_tree: bool) -> Vec<Entry> {
    out.split(|b| *b == 0)
        .filter(|r| !r.is_empty())
        .filter_map(|rec| {
            let rec = String::from_utf8_lossy(rec);
            let (meta, path) = rec.split_once('\t')?;
            let mut f = meta.split_whitespace();
            let mode = f.next()?.to_string();
            let oid = if ls_tree {
                let _kind = f.next()?;
                f.next()?
            } else {
                f.next()?
            }
            .to_string();
            Some(Entry {
                mode,
                oid,
                path: path.to_string(),
            })
        })
        .collect()
}

/// Read blobs by id with one `git cat-file --batch`; `None` for a missing object.
fn read_blobs(dir: &Path, oids: &[String]) -> Result<HashMapOids, EvidenceError> {
    let mut out = HashMapOids::new();
    if oids.is_empty() {
        return Ok(out);
    }
    let mut child = Command::new("git")
        .args(["cat-file", "--batch"])
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(EvidenceError::GitMissing)?;
    let mut stdin = child.stdin.take().ok_or_else(|| EvidenceError::Git {
        args: "cat-file --batch".into(),
        message: "no standard input".into(),
    })?;
    let request: String = oids.iter().map(|o| format!("{o}\n")).collect();
    // Written from a thread, so a full output pipe cannot block the request.
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(request.as_bytes());
    });
    let mut bytes = Vec::new();
    if let Some(mut stdout) = child.stdout.take() {
        stdout
            .read_to_end(&mut bytes)
            .map_err(io_err("cannot read from git cat-file"))?;
    }
    let _ = writer.join();
    let _ = child.wait();
    let mut rest: &[u8] = &bytes;
    for oid in oids {
        let Some(nl) = rest.iter().position(|b| *b == b'\n') else {
            break;
        };
        let header = String::from_utf8_lossy(&rest[..nl]).into_owned();
        rest = &rest[nl + 1..];
        let mut f = header.split_whitespace();
        let (_, kind, size) = (f.next(), f.next(), f.next());
        match (kind, size.and_then(|s| s.parse::<usize>().ok())) {
            (Some(kind), Some(size)) if kind != "missing" && size <= rest.len() => {
                out.insert(oid.clone(), rest[..size].to_vec());
                rest = rest.get(size + 1..).unwrap_or(&[]);
            }
            _ => {}
        }
    }
    Ok(out)
}

type HashMapOids = HashMap<String, Vec<u8>>;

/// Text worth reading: not too large, no NUL byte near the start (else binary).
fn as_text(blob: Vec<u8>) -> Option<String> {
    if blob.len() > MAX_TEXT_BYTES || blob.iter().take(8_000).any(|b| *b == 0) {
        return None;
    }
    Some(match String::from_utf8(blob) {
        Ok(text) => text,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    })
}

/// Measure the change between `base` (default HEAD) and the working tree, untracked files
/// included: files, lines added and removed, and the repeated code it adds (compared with
/// every file of the working tree that git would track).
pub fn measure_change(dir: &Path, base: Option<&str>) -> Result<ChangeReport, EvidenceError> {
    let staged = Staged::new(dir)?;
    let base_id = staged.resolve(base)?;
    let changed = diff_names(&staged, base_id.as_deref())?;
    let changed_set: BTreeSet<&str> = changed.iter().map(String::as_str).collect();

    let now = parse_entries(&staged.git(["ls-files", "-s", "-z"])?.stdout, false);
    let before = match &base_id {
        Some(b) => parse_entries(
            &git(&staged.dir, None, ["ls-tree", "-r", "-z", "--full-tree", b])?.stdout,
            true,
        ),
        None => Vec::new(),
    };
    let before: BTreeMap<&str, &Entry> = before
        .iter()
        .filter(|e| changed_set.contains(e.path.as_str()))
        .map(|e| (e.path.as_str(), e))
        .collect();

    let mut wanted: Vec<String> = now
        .iter()
        .chain(before.values().copied())
        .filter(|e| e.mode.starts_with("100"))
        .map(|e| e.oid.clone())
        .collect();
    wanted.sort();
    wanted.dedup();
    // Text blobs only, each held once (identical files share it).
    let texts: HashMap<String, String> = read_blobs(&staged.dir, &wanted)?
        .into_iter()
        .filter_map(|(oid, blob)| as_text(blob).map(|t| (oid, t)))
        .collect();
    let text_of = |e: &Entry| -> Option<&str> {
        if e.mode.starts_with("100") {
            texts.get(&e.oid).map(String::as_str)
        } else {
            None
        }
    };

    let mut files = Vec::new();
    let (mut added, mut removed) = (0u64, 0u64);
    let now_by_path: BTreeMap<&str, &Entry> = now.iter().map(|e| (e.path.as_str(), e)).collect();
    for path in &changed {
        let new_text = now_by_path
            .get(path.as_str())
            .and_then(|e| text_of(e))
            .unwrap_or("");
        let old_text = before
            .get(path.as_str())
            .and_then(|e| text_of(e))
            .unwrap_or("");
        let diff = similar::TextDiff::configure()
            .algorithm(similar::Algorithm::Myers)
            .deadline(Instant::now() + Duration::from_secs(5))
            .diff_lines(old_text, new_text);
        let mut lines = BTreeSet::new();
        for change in diff.iter_all_changes() {
            match change.tag() {
                similar::ChangeTag::Insert => {
                    added += 1;
                    if let Some(i) = change.new_index() {
                        lines.insert(u32::try_from(i + 1).unwrap_or(u32::MAX));
                    }
                }
                similar::ChangeTag::Delete => removed += 1,
                similar::ChangeTag::Equal => {}
            }
        }
        if !lines.is_empty() {
            files.push(duplicates::SourceFile {
                path: path.as_str(),
                text: new_text,
                added: lines,
            });
        }
    }
    // Every other file of the tree, to find what the added code copies.
    for e in &now {
        if changed_set.contains(e.path.as_str()) {
            continue;
        }
        if let Some(text) = text_of(e) {
            files.push(duplicates::SourceFile {
                path: e.path.as_str(),
                text,
                added: BTreeSet::new(),
            });
        }
    }
    let duplicate_blocks = duplicates::find(&files, MIN_BLOCK_LINES);
    let duplicate_lines = duplicate_blocks.iter().map(|b| u64::from(b.lines)).sum();
    Ok(ChangeReport {
        base: base_id,
        tree: staged.tree.clone(),
        changed_files: changed,
        added,
        removed,
        duplicate_blocks,
        duplicate_lines,
    })
}

fn short(id: &str) -> &str {
    id.get(..12).unwrap_or(id)
}

/// Measure the task's change against `base` (default HEAD) and record Simplify evidence.
/// `dir` is the project directory (any directory of the repository).
pub fn simplify(
    dir: &Path,
    store: &Store,
    task_id: i64,
    actor: &str,
    base: Option<&str>,
) -> Result<Evidence, EvidenceError> {
    usable_task(store, task_id)?;
    let report = measure_change(dir, base)?;
    let summary = format!(
        "{} file{}, +{} -{} vs {}; {} duplicate block{} ({} lines)",
        report.changed_files.len(),
        if report.changed_files.len() == 1 {
            ""
        } else {
            "s"
        },
        report.added,
        report.removed,
        report.base.as_deref().map(short).unwrap_or("an empty tree"),
        report.duplicate_blocks.len(),
        if report.duplicate_blocks.len() == 1 {
            ""
        } else {
            "s"
        },
        report.duplicate_lines,
    );
    // Long lists are cut (the counts stay whole) until the data fits the store's limit.
    let (mut max_files, mut max_blocks) = (MAX_LISTED_FILES, MAX_LISTED_BLOCKS);
    let data = loop {
        let data = json!({
            "base": report.base,
            "tree": report.tree,
            "files": report.changed_files.len(),
            "added": report.added,
            "removed": report.removed,
            "changed_files": report.changed_files.iter().take(max_files).collect::<Vec<_>>(),
            "changed_files_truncated": report.changed_files.len() > max_files,
            "duplicate_blocks": report.duplicate_blocks.iter().take(max_blocks).collect::<Vec<_>>(),
            "duplicate_block_count": report.duplicate_blocks.len(),
            "duplicate_lines": report.duplicate_lines,
            "min_block_lines": MIN_BLOCK_LINES,
        });
        if data.to_string().len() <= mesh_store::MAX_EVIDENCE_DATA * 3 / 4
            || (max_files == 0 && max_blocks == 0)
        {
            break data;
        }
        max_files /= 2;
        max_blocks /= 2;
    };
    Ok(store.record_evidence(
        task_id,
        actor,
        &NewEvidence {
            kind: EvidenceKind::Simplify,
            passed: true,
            tree: Some(report.tree),
            summary,
            data,
        },
    )?)
}

// ---------------------------------------------------------------------------------------------
// waive

/// The decision type of a waiver row: simplification is a code-quality gate, like the test
/// evidence (the log's types are fixed; there is no WAIVER type).
pub const WAIVER_DECISION_TYPE: &str = "TEST";

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The decision text of a waiver: `Waive simplification of T-12 (title): reason`.
pub fn waiver_text(task_id: i64, title: &str, reason: &str) -> String {
    format!(
        "Waive simplification of {} ({}): {}",
        display_id(task_id),
        one_line(title),
        one_line(reason)
    )
}

/// Waive the simplification of a task: a decision row in the primary root's DECISION_LOG
/// (type [`WAIVER_DECISION_TYPE`], the task in its Task column where the log has one), then
/// Waiver evidence carrying the reason and the decision id. The tree id is recorded when `dir`
/// is in a git work tree.
pub fn waive(
    dir: &Path,
    project: &Project,
    store: &Store,
    task_id: i64,
    actor: &str,
    reason: &str,
) -> Result<Evidence, EvidenceError> {
    let reason = one_line(reason);
    if reason.is_empty() {
        return Err(EvidenceError::Invalid(
            "a waiver needs a reason: say why this change need not be simplified".into(),
        ));
    }
    let task = usable_task(store, task_id)?;
    let root = project.roots.first().ok_or(EvidenceError::NoRoot)?;
    let tree = match current_tree(dir) {
        Ok(t) => Some(t),
        Err(EvidenceError::NotARepository { .. }) => None,
        Err(e) => return Err(e),
    };
    let text = waiver_text(task_id, &task.title, &reason);
    let added = decide::add(
        &root.dir,
        NewDecision {
            task: Some(display_id(task_id)),
            owner: Some(actor.to_string()),
            ..NewDecision::new(WAIVER_DECISION_TYPE, text.clone())
        },
    )?;
    let data = json!({
        "reason": reason,
        "decision": added.id,
        "decision_line": added.line,
        "decision_log": added.path.to_string_lossy(),
        "text": text,
    });
    Ok(store.record_evidence(
        task_id,
        actor,
        &NewEvidence {
            kind: EvidenceKind::Waiver,
            passed: true,
            tree,
            summary: format!("simplification waived (decision {}): {reason}", added.id),
            data,
        },
    )?)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use std::fs;

    fn run(dir: &Path, args: &[&str]) -> String {
        let out = Command::new("git")
            .args(args)
            .current_dir(dir)
            .env("GIT_AUTHOR_NAME", "Test")
            .env("GIT_AUTHOR_EMAIL", "t@example.com")
            .env("GIT_COMMITTER_NAME", "Test")
            .env("GIT_COMMITTER_EMAIL", "t@example.com")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn repo() -> tempfile::TempDir {
        let t = tempfile::tempdir().unwrap();
        run(t.path(), &["init", "-q", "-b", "main"]);
        fs::write(t.path().join("a.txt"), "one\n").unwrap();
        fs::write(t.path().join(".gitignore"), "target/\n").unwrap();
        run(t.path(), &["add", "-A"]);
        run(t.path(), &["commit", "-q", "-m", "first"]);
        t
    }

    #[test]
    fn clean_tree_is_head_tree_and_changes_move_the_id() {
        let t = repo();
        let d = t.path();
        let head_tree = run(d, &["rev-parse", "HEAD^{tree}"]).trim().to_string();
        assert_eq!(current_tree(d).unwrap(), head_tree);

        let index_before = fs::read(d.join(".git/index")).unwrap();
        fs::write(d.join("a.txt"), "two\n").unwrap();
        let changed = current_tree(d).unwrap();
        assert_ne!(changed, head_tree);
        fs::write(d.join("a.txt"), "one\n").unwrap();
        assert_eq!(current_tree(d).unwrap(), head_tree);

        // Untracked files count, ignored ones do not.
        fs::write(d.join("new.txt"), "n\n").unwrap();
        let with_new = current_tree(d).unwrap();
        assert_ne!(with_new, head_tree);
        fs::create_dir(d.join("target")).unwrap();
        fs::write(d.join("target/out.bin"), "x").unwrap();
        assert_eq!(current_tree(d).unwrap(), with_new);

        // The decision log's lock files do not count, ignored or not.
        fs::create_dir(d.join("docs")).unwrap();
        fs::write(d.join("docs/.DECISION_LOG.md.lock"), "").unwrap();
        fs::write(d.join(".DECISION_LOG.md.lock"), "").unwrap();
        assert_eq!(current_tree(d).unwrap(), with_new);
        assert_eq!(changed_files(d, None).unwrap(), vec!["new.txt"]);
        fs::write(d.join(".gitignore"), "target/\n.DECISION_LOG.md.lock\n").unwrap();
        let ignoring = current_tree(d).unwrap();
        assert_eq!(
            changed_files(d, None).unwrap(),
            vec![".gitignore", "new.txt"]
        );
        fs::write(d.join(".gitignore"), "target/\n").unwrap();
        assert_ne!(ignoring, with_new);
        assert_eq!(current_tree(d).unwrap(), with_new);
        fs::remove_file(d.join(".DECISION_LOG.md.lock")).unwrap();
        fs::remove_dir_all(d.join("docs")).unwrap();

        // The real index is untouched: nothing got staged.
        assert_eq!(fs::read(d.join(".git/index")).unwrap(), index_before);
        assert_eq!(run(d, &["diff", "--cached", "--name-only"]), "");
    }

    #[test]
    fn subdirectory_stages_whole_tree() {
        let t = repo();
        fs::create_dir(t.path().join("sub")).unwrap();
        fs::write(t.path().join("top.txt"), "t\n").unwrap();
        assert_eq!(
            current_tree(&t.path().join("sub")).unwrap(),
            current_tree(t.path()).unwrap()
        );
    }

    #[test]
    fn changed_files_include_untracked_and_deleted() {
        let t = repo();
        let d = t.path();
        assert!(changed_files(d, None).unwrap().is_empty());
        fs::write(d.join("a.txt"), "changed\n").unwrap();
        fs::create_dir(d.join("src")).unwrap();
        fs::write(d.join("src/new file.rs"), "fn x() {}\n").unwrap();
        assert_eq!(
            changed_files(d, None).unwrap(),
            vec!["a.txt".to_string(), "src/new file.rs".to_string()]
        );
        run(d, &["add", "-A"]);
        run(d, &["commit", "-q", "-m", "second"]);
        fs::remove_file(d.join(".gitignore")).unwrap();
        assert_eq!(changed_files(d, None).unwrap(), vec![".gitignore"]);
        assert_eq!(
            changed_files(d, Some("HEAD~1")).unwrap(),
            vec![".gitignore", "a.txt", "src/new file.rs"]
        );
        assert!(matches!(
            changed_files(d, Some("no-such-branch")),
            Err(EvidenceError::BadRevision { .. })
        ));
    }

    #[test]
    fn unborn_head_and_non_repository() {
        let t = tempfile::tempdir().unwrap();
        assert!(matches!(
            current_tree(t.path()),
            Err(EvidenceError::NotARepository { .. })
        ));
        run(t.path(), &["init", "-q"]);
        fs::write(t.path().join("x"), "x").unwrap();
        assert_eq!(changed_files(t.path(), None).unwrap(), vec!["x"]);
        assert_eq!(current_tree(t.path()).unwrap().len(), 40);
    }

    #[test]
    fn run_captures_both_streams_and_exit_codes() {
        let t = tempfile::tempdir().unwrap();
        let o = run_command(
            t.path(),
            "echo out; echo err >&2; exit 3",
            Duration::from_secs(30),
        )
        .unwrap();
        assert_eq!(o.exit_code, Some(3));
        assert!(!o.timed_out);
        assert!(o.output.contains("out\n") && o.output.contains("err\n"));
        let o = run_command(t.path(), "no-such-command-xyz", Duration::from_secs(30)).unwrap();
        assert_eq!(o.exit_code, Some(127));
        let o = run_command(t.path(), "pwd", Duration::from_secs(30)).unwrap();
        assert_eq!(o.exit_code, Some(0));
        assert_eq!(
            Path::new(o.output.trim()).canonicalize().unwrap(),
            t.path().canonicalize().unwrap()
        );
    }

    #[test]
    fn timeout_kills_the_whole_group() {
        let t = tempfile::tempdir().unwrap();
        let start = Instant::now();
        // A grandchild holding the output open must die too, or this would take 100 s.
        let o = run_command(
            t.path(),
            "echo started; sleep 100 & sleep 100; wait",
            Duration::from_millis(300),
        )
        .unwrap();
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "{:?}",
            start.elapsed()
        );
        assert!(o.timed_out);
        assert_eq!(o.exit_code, None);
        assert!(o.output.contains("started"));
    }

    #[test]
    fn leftover_background_process_does_not_hang_the_run() {
        let t = tempfile::tempdir().unwrap();
        let start = Instant::now();
        let o = run_command(t.path(), "sleep 100 & echo done", Duration::from_secs(60)).unwrap();
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "{:?}",
            start.elapsed()
        );
        assert_eq!(o.exit_code, Some(0));
        assert!(!o.timed_out);
        assert!(o.output.contains("done"));
    }

    #[test]
    fn tails_cut_on_boundaries() {
        assert_eq!(tail("short", 100), "short");
        let text = format!("{}\nlast line\n", "é".repeat(100));
        let t = tail(&text, 15);
        assert_eq!(t, "last line\n");
        let accents = "é".repeat(100);
        let t = tail(&accents, 7);
        assert!(t.len() <= 7 && t.chars().all(|c| c == 'é'));
    }

    #[test]
    fn measure_counts_lines_of_text_files_only() {
        let t = repo();
        let d = t.path();
        fs::write(d.join("gone.txt"), "1\n2\n3\n").unwrap();
        fs::write(d.join("blob.bin"), [0u8, 1, 2, 3]).unwrap();
        run(d, &["add", "-A"]);
        run(d, &["commit", "-q", "-m", "more"]);
        fs::remove_file(d.join("gone.txt")).unwrap();
        fs::write(d.join("blob.bin"), [0u8, 9, 9, 9, 9]).unwrap();
        fs::write(d.join("a.txt"), "one\ntwo\n").unwrap();
        let r = measure_change(d, None).unwrap();
        assert_eq!(r.changed_files, vec!["a.txt", "blob.bin", "gone.txt"]);
        assert_eq!((r.added, r.removed), (1, 3));
        assert!(r.duplicate_blocks.is_empty());
        assert_eq!(r.tree, current_tree(d).unwrap());
        assert_eq!(
            r.base.as_deref(),
            Some(run(d, &["rev-parse", "HEAD"]).trim())
        );
    }
}
