//! `mesh task verify` and `mesh task simplify`: evidence the tool gathers itself
//! (mesh_service::evidence), printed for people or as JSON.
//!
//! Exit codes: 0 recorded (and, for verify, passed); 1 verify failed or timed out, or the store
//! refused (e.g. a cancelled task); 2 usage, configuration or I/O error, unknown task.

use std::io::IsTerminal as _;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context as _;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use mesh_service::evidence::{self, EvidenceError, VerifyOptions};
use mesh_service::project::Project;
use mesh_store::{Evidence, Store, display_id};
use serde_json::{Value, json};

use super::{Format, SCHEMA_VERSION, actor, json_doc, project_root};

/// Run the project's tests and record the result as the task's verification.
///
/// The command is `--command`, else `[verify] command` in mesh.toml, else the one SPEC's
/// Hydration Contract `Testing:` convention implies (cargo nextest, cargo test, pytest,
/// npm test, go test). It runs with `sh -c` in the project directory; its output is captured,
/// not shown (a one-line progress appears on a terminal). The evidence records the git tree it
/// ran on (taken before it starts), command, exit code, duration, pass/fail counts where the
/// runner prints them, and the output's tail. After the timeout the whole process group is
/// killed and the run recorded as failed. Exit 0 passed, 1 failed or timed out.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  mesh task verify 12\n  mesh task verify 12 --command \"cargo test -p shop\" --timeout 300\n  mesh task verify 12 --format json"
)]
pub struct VerifyArgs {
    /// Task id (12 or T-12) or key.
    pub id: String,
    /// The test command, instead of [verify] command or the SPEC convention.
    #[arg(long, value_name = "CMD")]
    pub command: Option<String>,
    /// Time limit in seconds (1..=86400), instead of [verify] timeout_s (default 900).
    #[arg(long, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub timeout: Option<u64>,
    /// Who ran it (default: MESH_ACTOR, git user.name, USER).
    #[arg(long)]
    pub by: Option<String>,
}

/// Measure the task's change and record it as simplification evidence, or waive it.
///
/// The change is the working tree (untracked files included) against `--base` (default HEAD):
/// files, lines added and removed, and the repeated code it adds — blocks of 6 or more
/// consecutive non-blank added lines that also occur elsewhere in the repository or elsewhere
/// in the change (compared trimmed). `--waive TEXT` records instead a decision row in
/// DECISION_LOG.md ("Waive simplification of T-12 (title): TEXT") and Waiver evidence.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  mesh task simplify 12\n  mesh task simplify 12 --base main --format json\n  mesh task simplify 12 --waive \"generated client code, regenerated on every API change\""
)]
pub struct SimplifyArgs {
    /// Task id (12 or T-12) or key.
    pub id: String,
    /// The revision the change is measured against.
    #[arg(long, value_name = "REV", conflicts_with = "waive")]
    pub base: Option<String>,
    /// Waive the simplification for this reason instead of measuring.
    #[arg(long, value_name = "TEXT")]
    pub waive: Option<String>,
    /// Who records it (default: MESH_ACTOR, git user.name, USER).
    #[arg(long)]
    pub by: Option<String>,
}

/// A verification that ran and did not pass: the report (for stdout) is the message; `run`
/// exits 1.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct VerifyFailed(pub String);

fn project() -> anyhow::Result<(PathBuf, Project)> {
    let cwd = std::env::current_dir().context("cannot read the current directory")?;
    let dir = project_root(&cwd);
    let project = Project::open(&dir, false)?;
    Ok((dir, project))
}

/// A store error stays a StoreError (a refusal exits 1, an unknown task 2).
fn service_error(e: EvidenceError) -> anyhow::Error {
    match e {
        EvidenceError::Store(se) => se.into(),
        other => other.into(),
    }
}

fn data_str<'a>(ev: &'a Evidence, key: &str) -> Option<&'a str> {
    ev.data.get(key).and_then(Value::as_str)
}

fn data_u64(ev: &Evidence, key: &str) -> u64 {
    ev.data.get(key).and_then(Value::as_u64).unwrap_or(0)
}

/// A spinner with the elapsed time on stderr, when stderr is a terminal.
fn progress(command: &str) -> Option<ProgressBar> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template("{spinner} running {msg} ({elapsed})") {
        bar.set_style(style);
    }
    let first = command.lines().next().unwrap_or("");
    let mut shown: String = first.chars().take(60).collect();
    if shown.len() < command.trim_end().len() {
        shown.push('…');
    }
    bar.set_message(format!("`{shown}`"));
    bar.enable_steady_tick(Duration::from_millis(120));
    Some(bar)
}

/// `mesh task verify`.
pub fn verify(store: &Store, a: VerifyArgs, format: Format) -> anyhow::Result<String> {
    let (dir, project) = project()?;
    let id = store.resolve(&a.id)?;
    let opts = VerifyOptions {
        command: a.command,
        timeout: a.timeout.map(Duration::from_secs),
    };
    // Resolved here too, only to show it while it runs; the service resolves it the same way.
    let (shown, _) =
        evidence::resolve_command(&project, opts.command.as_deref()).map_err(service_error)?;
    let bar = progress(&shown);
    let result = evidence::verify(&dir, &project, store, id, &actor(a.by.as_deref()), &opts);
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let ev = result.map_err(service_error)?;
    let text = match format {
        Format::Json => json_doc(json!({ "schema_version": SCHEMA_VERSION, "evidence": ev }))?,
        Format::Human => human_verify(&ev),
    };
    if ev.passed {
        Ok(text)
    } else {
        Err(VerifyFailed(text).into())
    }
}

fn human_verify(ev: &Evidence) -> String {
    // The summary starts with the verdict: `passed: …`, `failed (exit 101): …`, `timed out …`.
    let mut out = format!("{} verify {}\n", display_id(ev.task_id), ev.summary);
    let source = match data_str(ev, "command_source") {
        Some("given") => "--command",
        Some("config") => "[verify] command",
        Some("spec") => "SPEC Testing convention",
        _ => "",
    };
    out.push_str(&format!(
        "  command  {}  ({source})\n",
        data_str(ev, "command").unwrap_or("")
    ));
    out.push_str(&format!(
        "  tree     {}\n",
        ev.tree.as_deref().unwrap_or("-")
    ));
    if !ev.passed {
        let tail = data_str(ev, "output_tail").unwrap_or("");
        let lines: Vec<&str> = tail.lines().collect();
        let last = &lines[lines.len().saturating_sub(20)..];
        if last.is_empty() {
            out.push_str("  (no output)\n");
        } else {
            out.push_str("  output (last lines):\n");
            for l in last {
                out.push_str(&format!("    {l}\n"));
            }
        }
    }
    out
}

/// `mesh task simplify`, with or without `--waive`.
pub fn simplify(store: &Store, a: SimplifyArgs, format: Format) -> anyhow::Result<String> {
    let (dir, project) = project()?;
    let id = store.resolve(&a.id)?;
    let who = actor(a.by.as_deref());
    let ev = match &a.waive {
        Some(reason) => evidence::waive(&dir, &project, store, id, &who, reason),
        None => evidence::simplify(&dir, store, id, &who, a.base.as_deref()),
    }
    .map_err(service_error)?;
    Ok(match format {
        Format::Json => json_doc(json!({ "schema_version": SCHEMA_VERSION, "evidence": ev }))?,
        Format::Human if a.waive.is_some() => format!(
            "{} simplification waived: decision {} in {}:{}\n  {}\n",
            display_id(ev.task_id),
            data_str(&ev, "decision").unwrap_or("?"),
            shown_path(data_str(&ev, "decision_log").unwrap_or("DECISION_LOG.md")),
            data_u64(&ev, "decision_line"),
            data_str(&ev, "text").unwrap_or("")
        ),
        Format::Human => human_simplify(&ev),
    })
}

/// A path relative to the current directory when it lies below it.
fn shown_path(path: &str) -> String {
    std::env::current_dir()
        .ok()
        .and_then(|cwd| {
            std::path::Path::new(path)
                .strip_prefix(cwd)
                .ok()
                .map(|p| p.display().to_string())
        })
        .unwrap_or_else(|| path.to_string())
}

fn human_simplify(ev: &Evidence) -> String {
    let mut out = format!("{} simplify: {}\n", display_id(ev.task_id), ev.summary);
    let blocks = ev
        .data
        .get("duplicate_blocks")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if !blocks.is_empty() {
        out.push_str("  repeated code added (largest first):\n");
        for b in blocks.iter().take(10) {
            let s = |k: &str| b.get(k).and_then(Value::as_str).unwrap_or("?").to_string();
            let n = |k: &str| b.get(k).and_then(Value::as_u64).unwrap_or(0);
            out.push_str(&format!(
                "    {}:{}  {} lines, also in {}:{}\n",
                s("file"),
                n("line"),
                n("lines"),
                s("also_in"),
                n("also_line")
            ));
        }
        if blocks.len() > 10 {
            out.push_str(&format!(
                "    … {} more (see --format json)\n",
                blocks.len() - 10
            ));
        }
    }
    out
}

/// The evidence lines of `mesh task show`: when, who, kind, ✓/✗, summary, tree.
pub fn human_list(all: &[Evidence]) -> String {
    all.iter()
        .map(|e| {
            let tree = e
                .tree
                .as_deref()
                .map(|t| format!("  (tree {})", t.get(..12).unwrap_or(t)))
                .unwrap_or_default();
            format!(
                "  {}  {:<12} {:<8} {} {}{tree}\n",
                e.at,
                e.actor,
                e.kind.as_str(),
                if e.passed { "✓" } else { "✗" },
                e.summary
            )
        })
        .collect()
}
