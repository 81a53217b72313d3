//! The operations the REST handlers and the MCP tools share. Each is an adapter: it picks the
//! root or the worker, runs the service-layer call (mesh-service, mesh-store, mesh-check) off the
//! async threads, and records that something changed. No business rules live here.

use std::sync::Arc;
use std::time::Duration;

use rmcp::schemars;
use serde::{Deserialize, Serialize};

use mesh_check::context::Root;
use mesh_check::emit::{self, Summary};
use mesh_check::engine::{self, Selection};
use mesh_docs::decision::Status as DecisionStatus;
use mesh_docs::hydrate::Snapshot;
use mesh_docs::{DocKind, Document};
use mesh_service::decide::{self, AddedDecision, DecisionList, NewDecision};
use mesh_store::{NewTask, Task, TaskDetail, TaskFilter};

use crate::problem::Problem;
use crate::state::{AppState, blocking};

/// The longest lease a request may ask for.
pub const MAX_LEASE: Duration = Duration::from_secs(24 * 3600);

/// A lease in seconds from a request, or the server's default.
pub fn lease(state: &AppState, secs: Option<u64>) -> Result<Duration, Problem> {
    match secs {
        None => Ok(state.lease()),
        Some(s) if s == 0 || Duration::from_secs(s) > MAX_LEASE => Err(Problem::invalid(format!(
            "lease_secs must be between 1 and {}",
            MAX_LEASE.as_secs()
        ))),
        Some(s) => Ok(Duration::from_secs(s)),
    }
}

/// The root a request names (by its display name, `docs`), or the first root.
pub fn root(state: &AppState, name: Option<&str>) -> Result<Root, Problem> {
    let project = state.project();
    let found = match name.map(str::trim).filter(|n| !n.is_empty()) {
        None => project.roots.first(),
        Some(n) => project
            .roots
            .iter()
            .find(|r| r.display == n || r.display.trim_end_matches('/') == n),
    };
    found.cloned().ok_or_else(|| {
        let known: Vec<&str> = project.roots.iter().map(|r| r.display.as_str()).collect();
        Problem::not_found(match name {
            Some(n) => format!(
                "no document root `{n}`; the roots are: {}",
                if known.is_empty() {
                    "none".to_string()
                } else {
                    known.join(", ")
                }
            ),
            None => "the project has no document root; run `mesh init`".to_string(),
        })
    })
}

// -- documents ----------------------------------------------------------------------------------

/// The diagnostics of every root, in `mesh check --format json`'s shape.
pub async fn diagnostics(state: &AppState) -> Result<serde_json::Value, Problem> {
    let project = state.project();
    blocking(move || {
        let reports = engine::check_roots(
            project.roots.clone(),
            &project.config,
            &Selection::default(),
        );
        let mut diags = Vec::new();
        let mut files = 0;
        let mut roots = Vec::new();
        for r in reports {
            roots.push(r.root.display.clone());
            files += r.loaded.files;
            diags.extend(r.diagnostics);
        }
        let text = emit::json(&diags, &Summary::from_diagnostics(&diags, files, roots));
        serde_json::from_str(&text).map_err(|e| Problem::internal(&e))
    })
    .await?
}

/// One root's parsed documents.
#[derive(Debug, Serialize)]
pub struct RootDocuments {
    pub root: String,
    pub documents: Vec<Document>,
}

/// Every root's parsed documents (structure with spans and lines; text left out).
pub async fn documents(state: &AppState) -> Result<Vec<RootDocuments>, Problem> {
    let project = state.project();
    blocking(move || {
        project
            .roots
            .iter()
            .map(|root| RootDocuments {
                root: root.display.clone(),
                documents: mesh_check::load::load_root(root).docs.docs,
            })
            .collect()
    })
    .await
}

/// A document's text, for MCP resources.
pub async fn document_text(
    state: &AppState,
    root_name: &str,
    kind: DocKind,
) -> Result<String, Problem> {
    let root = root(state, Some(root_name))?;
    blocking(move || {
        let path = root.dir.join(kind.file_name());
        mesh_check::load::read_text(&path).map_err(|p| match p {
            mesh_check::load::ReadProblem::Missing => Problem::not_found(format!(
                "{} does not exist; run `mesh init`",
                root.file_display(kind)
            )),
            mesh_check::load::ReadProblem::Problem(message, help, _) => {
                Problem::invalid(format!("{message}; {help}"))
            }
        })
    })
    .await?
}

/// The hydrated snapshot of one root, and whether ACTIVE_SPEC.md is stale.
#[derive(Debug, Serialize)]
pub struct HydrateView {
    pub root: String,
    pub path: String,
    /// ACTIVE_SPEC.md differs from what hydration gives (run `mesh hydrate`).
    pub stale: bool,
    pub snapshot: Snapshot,
}

/// The hydrated snapshot of every root that has sources (computed, nothing written).
pub async fn hydrate(state: &AppState) -> Result<Vec<HydrateView>, Problem> {
    let project = state.project();
    blocking(move || {
        let mut out = Vec::new();
        for root in &project.roots {
            let h = mesh_service::hydrate::plan(root)?;
            out.push(HydrateView {
                root: h.root,
                path: h.display_path,
                stale: h.changed,
                snapshot: h.snapshot,
            });
        }
        Ok(out)
    })
    .await?
}

// -- plans and trace ------------------------------------------------------------------------------

fn strip(state: &AppState, path: &std::path::Path) -> std::path::PathBuf {
    path.strip_prefix(state.project_dir())
        .map(std::path::Path::to_path_buf)
        .unwrap_or_else(|_| path.to_path_buf())
}

/// Draft a plan for every root into `<root>/PLANS/draft-<time>.md` (refused unless every root
/// is in EXECUTION mode, or `force`).
pub async fn plan_draft(
    state: &AppState,
    force: bool,
) -> Result<Vec<mesh_service::plan::Drafted>, Problem> {
    let dir = state.project_dir().to_path_buf();
    let opts = mesh_service::plan::DraftOptions::now(force);
    let mut drafts = blocking(move || mesh_service::plan::draft(&dir, &opts)).await??;
    for d in &mut drafts {
        d.path = strip(state, &d.path);
    }
    state.documents_changed();
    Ok(drafts)
}

/// Accept a plan file (relative to the project; default: the newest draft) into the store.
pub async fn plan_accept(
    state: &AppState,
    file: Option<String>,
    actor: String,
) -> Result<mesh_service::plan::Accepted, Problem> {
    let dir = state.project_dir().to_path_buf();
    let file = match file.as_deref().map(str::trim).filter(|f| !f.is_empty()) {
        None => None,
        Some(f) => {
            let rel = std::path::Path::new(f);
            let inside = rel
                .components()
                .all(|c| matches!(c, std::path::Component::Normal(_)));
            if !inside {
                return Err(Problem::invalid(format!(
                    "`{f}` must be a path inside the project, relative to it (docs/PLANS/sprint.md)"
                )));
            }
            Some(dir.join(rel))
        }
    };
    let location = state
        .location()
        .ok_or_else(|| Problem::internal(&"the server does not know its store location"))?;
    let mut accepted =
        blocking(move || mesh_service::plan::accept(&dir, file.as_deref(), &location, &actor))
            .await??;
    accepted.file = strip(state, &accepted.file);
    state.tasks_changed();
    Ok(accepted)
}

/// The trace matrix (requirements → tasks → tests) and its findings, per root.
pub async fn trace(state: &AppState) -> Result<Vec<mesh_service::trace::TraceReport>, Problem> {
    let project = state.project();
    let store = state.store();
    let dir = state.project_dir().to_path_buf();
    blocking(move || {
        let facts = mesh_check::trace::TraceFacts {
            tasks: mesh_service::trace::tasks_of(&store)?,
            tags: mesh_service::trace::scan_dir(&dir),
        };
        Ok(mesh_service::trace::report(&project, &facts))
    })
    .await?
}

// -- ledger -------------------------------------------------------------------------------------

/// The ledger: its chain verification and its entries (oldest first; none when the chain is
/// broken, see `verification.problem`).
#[derive(Debug, Serialize)]
pub struct LedgerView {
    pub verification: mesh_service::ledger::Verification,
    pub entries: Vec<mesh_service::ledger::Entry>,
}

/// Verify the ledger and read its entries.
pub async fn ledger(state: &AppState) -> Result<LedgerView, Problem> {
    let path = mesh_service::ledger::path_in(state.project_dir());
    blocking(move || {
        let verification = mesh_service::ledger::verify(&path)?;
        let entries = if verification.ok {
            mesh_service::ledger::entries(&path)?
        } else {
            Vec::new()
        };
        Ok(LedgerView {
            verification,
            entries,
        })
    })
    .await?
}

// -- decisions ----------------------------------------------------------------------------------

/// A decision to record, as a request gives it.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(crate = "rmcp::schemars")]
pub struct DecisionInput {
    /// One of INIT, SCOPE, ARCH, API, DATA, SECURITY, UX, PERF, OPS, TEST, RELEASE.
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
    /// What was decided, in one line.
    pub decision: String,
    /// Why.
    #[serde(default)]
    pub rationale: Option<String>,
    /// Area it applies to (backend, api, project, ...).
    #[serde(default)]
    pub scope: Option<String>,
    /// The task it belongs to (T-12).
    #[serde(default)]
    pub task: Option<String>,
    /// The problem (generation-16 logs).
    #[serde(default)]
    pub context: Option<String>,
    /// Record it as proposed rather than active.
    #[serde(default)]
    pub proposed: bool,
    /// The document root (default: the first).
    #[serde(default)]
    pub root: Option<String>,
}

impl DecisionInput {
    fn into_new(self, owner: Option<String>) -> NewDecision {
        NewDecision {
            kind: self.kind,
            decision: self.decision,
            rationale: self.rationale,
            context: self.context,
            scope: self.scope,
            task: self.task,
            owner,
            proposed: self.proposed,
            ..NewDecision::default()
        }
    }
}

/// The decisions of a root, optionally only those with `status`.
pub async fn decisions(
    state: &AppState,
    root_name: Option<&str>,
    status: Option<&str>,
) -> Result<DecisionList, Problem> {
    let root = root(state, root_name)?;
    let status = match status.map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => Some(
            [
                DecisionStatus::Active,
                DecisionStatus::Proposed,
                DecisionStatus::Superseded,
                DecisionStatus::Reverted,
                DecisionStatus::Unknown,
            ]
            .into_iter()
            .find(|k| k.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| {
                Problem::invalid(format!(
                    "unknown decision status `{s}`: use active, proposed, superseded, reverted or unknown"
                ))
            })?,
        ),
    };
    blocking(move || Ok(decide::list(&root.dir, status)?)).await?
}

/// Record a decision (owner: the caller).
pub async fn add_decision(
    state: &AppState,
    input: DecisionInput,
    owner: Option<String>,
) -> Result<AddedDecision, Problem> {
    let root = root(state, input.root.as_deref())?;
    let added = blocking(move || Ok::<_, Problem>(decide::add(&root.dir, input.into_new(owner))?))
        .await??;
    state.documents_changed();
    Ok(relative(state, added))
}

/// Supersede decision `id` by a new one.
pub async fn supersede_decision(
    state: &AppState,
    id: String,
    input: DecisionInput,
    owner: Option<String>,
) -> Result<AddedDecision, Problem> {
    let root = root(state, input.root.as_deref())?;
    let added = blocking(move || {
        Ok::<_, Problem>(decide::supersede(&root.dir, &id, input.into_new(owner))?)
    })
    .await??;
    state.documents_changed();
    Ok(relative(state, added))
}

/// The log's path relative to the project (the server's own paths stay private).
fn relative(state: &AppState, mut added: AddedDecision) -> AddedDecision {
    if let Ok(rest) = added.path.strip_prefix(state.project_dir()) {
        added.path = rest.to_path_buf();
    }
    added
}

// -- tasks --------------------------------------------------------------------------------------

async fn store_call<T: Send + 'static>(
    state: &AppState,
    f: impl FnOnce(&mesh_store::Store) -> Result<T, mesh_store::StoreError> + Send + 'static,
) -> Result<T, Problem> {
    let store = state.store();
    Ok(blocking(move || f(&store)).await??)
}

async fn store_write<T: Send + 'static>(
    state: &AppState,
    f: impl FnOnce(&mesh_store::Store) -> Result<T, mesh_store::StoreError> + Send + 'static,
) -> Result<T, Problem> {
    let out = store_call(state, f).await;
    if out.is_ok() {
        state.tasks_changed();
    }
    out
}

/// Tasks matching a filter.
pub async fn list_tasks(state: &AppState, filter: TaskFilter) -> Result<Vec<Task>, Problem> {
    store_call(state, move |s| s.list_tasks(&filter)).await
}

/// One task (by `12`, `T-12` or its key) with its history.
pub async fn show_task(state: &AppState, reference: String) -> Result<TaskDetail, Problem> {
    store_call(state, move |s| s.task_detail(s.resolve(&reference)?)).await
}

/// Create a task.
pub async fn add_task(state: &AppState, new: NewTask, actor: String) -> Result<Task, Problem> {
    store_write(state, move |s| s.add_task(&new, &actor)).await
}

/// Pick and claim the most urgent claimable task for `worker`.
pub async fn next_task(
    state: &AppState,
    worker: String,
    lane: Option<String>,
    lease: Duration,
) -> Result<Option<Task>, Problem> {
    let store = state.store();
    let task = blocking(move || store.next_task(&worker, lane.as_deref(), lease)).await??;
    if task.is_some() {
        state.tasks_changed();
    }
    Ok(task)
}

/// Claim a given task.
pub async fn claim(
    state: &AppState,
    reference: String,
    worker: String,
    lease: Duration,
) -> Result<Task, Problem> {
    store_write(state, move |s| {
        s.claim_task(s.resolve(&reference)?, &worker, lease)
    })
    .await
}

/// Renew `worker`'s lease.
pub async fn heartbeat(
    state: &AppState,
    reference: String,
    worker: String,
    lease: Duration,
) -> Result<Task, Problem> {
    // A renewal is not a change anyone watches: no event, no cache invalidation.
    store_call(state, move |s| {
        s.heartbeat(s.resolve(&reference)?, &worker, lease)
    })
    .await
}

/// Submit for review through the review gate's submission rule, exactly as `mesh task submit`:
/// refused (a `not-verified` problem) unless the task's latest verification ran on the working
/// tree as it is now; a failed verification is accepted with the warning the result carries.
pub async fn submit(
    state: &AppState,
    reference: String,
    worker: String,
    note: Option<String>,
) -> Result<mesh_service::review::Submitted, Problem> {
    let dir = state.project_dir().to_path_buf();
    let store = state.store();
    let done = blocking(move || -> Result<_, Problem> {
        let id = store.resolve(&reference)?;
        // Someone else's claim is refused as such before the evidence is looked at.
        let task = store.get_task(id)?;
        if task.status == mesh_store::Status::InProgress
            && task.worker.as_deref() != Some(worker.as_str())
        {
            return Err(mesh_store::StoreError::NotYourClaim {
                task: id,
                worker,
                holder: task.worker,
            }
            .into());
        }
        Ok(mesh_service::review::submit(
            &dir,
            &store,
            id,
            &worker,
            note.as_deref(),
        )?)
    })
    .await??;
    state.tasks_changed();
    Ok(done)
}

/// Give a claim back.
pub async fn release(
    state: &AppState,
    reference: String,
    worker: String,
    note: Option<String>,
) -> Result<Task, Problem> {
    store_write(state, move |s| {
        s.release(s.resolve(&reference)?, &worker, note.as_deref())
    })
    .await
}

/// An admin releases the claim on a task whoever holds it, or only if `expected` holds it (an
/// override, in the ledger, unless the admin holds it).
pub async fn release_any(
    state: &AppState,
    reference: String,
    admin: String,
    expected: Option<String>,
    note: Option<String>,
) -> Result<mesh_service::lease::Overridden, Problem> {
    let store = state.store();
    let dir = state.project_dir().to_path_buf();
    let out = blocking(move || {
        mesh_service::lease::release_any(
            &store,
            &dir,
            &reference,
            &admin,
            expected.as_deref(),
            note.as_deref(),
        )
    })
    .await?;
    state.tasks_changed();
    Ok(out?)
}

/// An admin gives a task to `worker` (a claim held by another worker is overridden).
pub async fn reassign(
    state: &AppState,
    reference: String,
    admin: String,
    worker: String,
    lease: Duration,
    note: Option<String>,
) -> Result<mesh_service::lease::Overridden, Problem> {
    let store = state.store();
    let dir = state.project_dir().to_path_buf();
    let out = blocking(move || {
        mesh_service::lease::reassign(
            &store,
            &dir,
            &reference,
            &admin,
            &worker,
            lease,
            note.as_deref(),
        )
    })
    .await?;
    state.tasks_changed();
    Ok(out?)
}

/// Ask a clarification about the task `worker` holds: a clarification task, an INBOX entry in
/// `root_name` (default: the first root) and the asking task blocked until the answer is in.
pub async fn ask(
    state: &AppState,
    reference: String,
    worker: String,
    question: String,
    root_name: Option<String>,
) -> Result<mesh_service::clarify::Asked, Problem> {
    let root = root(state, root_name.as_deref())?;
    let store = state.store();
    let asked = blocking(move || {
        mesh_service::clarify::ask(&store, &root.dir, &reference, &worker, &question)
    })
    .await?;
    // Whatever happened, the store may have moved (an undone clarification is still an event).
    state.tasks_changed();
    let mut asked = asked?;
    state.documents_changed();
    if let Ok(rest) = asked.inbox.path.strip_prefix(state.project_dir()) {
        asked.inbox.path = rest.to_path_buf();
    }
    Ok(asked)
}

// -- evidence and review -----------------------------------------------------------------------

/// The task `reference` names, refused for a worker token that is not its worker (admins and
/// open mode may act on any task).
pub async fn task_for(
    state: &AppState,
    reference: String,
    caller: &crate::auth::Caller,
) -> Result<mesh_store::Task, Problem> {
    let task = store_call(state, move |s| s.get_task(s.resolve(&reference)?)).await?;
    if caller.role == crate::auth::Role::Worker
        && !caller.open
        && task
            .worker
            .as_ref()
            .is_none_or(|w| Some(w) != caller.name.as_ref())
    {
        return Err(mesh_store::StoreError::NotYourClaim {
            task: task.id,
            worker: caller.name.clone().unwrap_or_default(),
            holder: task.worker.clone(),
        }
        .into());
    }
    Ok(task)
}

/// Every piece of evidence of a task, oldest first.
pub async fn evidence(
    state: &AppState,
    reference: String,
) -> Result<Vec<mesh_store::Evidence>, Problem> {
    store_call(state, move |s| s.evidence(s.resolve(&reference)?)).await
}

/// A verification started in the background.
#[derive(Debug, Serialize)]
pub struct VerifyStarted {
    /// `T-12`.
    pub task: String,
    /// The command that runs, and where it came from.
    pub command: String,
    pub command_source: mesh_service::evidence::CommandSource,
    /// Where the result appears (a new `verify` entry).
    pub evidence: String,
}

/// Start the project's test command for task `id` in the background (a run can take minutes,
/// longer than a request may); the Verify evidence appears in the task's evidence when it
/// ends. Refused when the project has no test command or a verification of the task runs.
pub async fn start_verify(
    state: &AppState,
    id: i64,
    actor: String,
) -> Result<VerifyStarted, Problem> {
    let project = state.project();
    let p = project.clone();
    let (command, source) =
        blocking(move || mesh_service::evidence::resolve_command(&p, None)).await??;
    if !state.start_verifying(id) {
        return Err(Problem::new(
            axum::http::StatusCode::CONFLICT,
            "verification-running",
            "A verification runs",
            format!(
                "a verification of {} is already running; wait for its evidence",
                mesh_store::display_id(id)
            ),
        ));
    }
    let st = state.clone();
    let dir = state.project_dir().to_path_buf();
    let store = state.store();
    tokio::task::spawn_blocking(move || {
        let opts = mesh_service::evidence::VerifyOptions::default();
        let r = mesh_service::evidence::verify(&dir, &project, &store, id, &actor, &opts);
        st.done_verifying(id);
        st.tasks_changed();
        match r {
            Ok(ev) => {
                tracing::info!(task = id, passed = ev.passed, summary = %ev.summary, "verification recorded")
            }
            Err(e) => tracing::warn!(task = id, error = %e, "verification could not run"),
        }
    });
    Ok(VerifyStarted {
        task: mesh_store::display_id(id),
        command,
        command_source: source,
        evidence: format!("/api/tasks/{id}/evidence"),
    })
}

/// What a synchronous verification recorded.
#[derive(Debug, Serialize)]
pub struct Verified {
    /// `T-12`.
    pub task: String,
    pub passed: bool,
    /// One line: the verdict, the test counts and the duration.
    pub summary: String,
    /// `{passed, failed, ignored}` when the runner's output was recognised.
    pub counts: serde_json::Value,
    /// The git tree the command ran on; `submit` needs it to be the working tree's.
    pub tree: Option<String>,
    /// The command that ran.
    pub command: serde_json::Value,
    /// The evidence row's id.
    pub evidence: i64,
}

/// Run the project's test command for the task `reference` names, which `worker` must hold, and
/// wait for it (on the blocking pool; the configured `[verify] timeout_s` applies); the Verify
/// evidence is recorded. Refused while another verification of the task runs.
pub async fn verify_now(
    state: &AppState,
    reference: String,
    worker: String,
) -> Result<Verified, Problem> {
    let store = state.store();
    let task = store_call(state, move |s| s.get_task(s.resolve(&reference)?)).await?;
    if task.worker.as_deref() != Some(worker.as_str()) {
        return Err(mesh_store::StoreError::NotYourClaim {
            task: task.id,
            worker,
            holder: task.worker,
        }
        .into());
    }
    let id = task.id;
    if !state.start_verifying(id) {
        return Err(Problem::new(
            axum::http::StatusCode::CONFLICT,
            "verification-running",
            "A verification runs",
            format!(
                "a verification of {} is already running; wait for it to end",
                mesh_store::display_id(id)
            ),
        ));
    }
    let st = state.clone();
    let dir = state.project_dir().to_path_buf();
    let project = state.project();
    // Runs to the end (and clears the running mark) even if the caller goes away.
    let ev = blocking(move || {
        let opts = mesh_service::evidence::VerifyOptions::default();
        let r = mesh_service::evidence::verify(&dir, &project, &store, id, &worker, &opts);
        st.done_verifying(id);
        r
    })
    .await??;
    state.tasks_changed();
    Ok(Verified {
        task: mesh_store::display_id(id),
        passed: ev.passed,
        summary: ev.summary,
        counts: ev.data["counts"].clone(),
        command: ev.data["command"].clone(),
        tree: ev.tree,
        evidence: ev.id,
    })
}

/// Measure task `id`'s change against `base` (default HEAD) and record Simplify evidence.
pub async fn simplify(
    state: &AppState,
    id: i64,
    actor: String,
    base: Option<String>,
) -> Result<mesh_store::Evidence, Problem> {
    let dir = state.project_dir().to_path_buf();
    let store = state.store();
    let ev = blocking(move || {
        mesh_service::evidence::simplify(&dir, &store, id, &actor, base.as_deref())
    })
    .await??;
    state.tasks_changed();
    Ok(ev)
}

/// Approve task `id` through the review gate; a refusal is a `gate-failed` problem carrying
/// the conditions.
pub async fn approve(
    state: &AppState,
    id: i64,
    reviewer: String,
    note: Option<String>,
    override_reason: Option<String>,
    tick: bool,
) -> Result<mesh_service::review::Approval, Problem> {
    let dir = state.project_dir().to_path_buf();
    let project = state.project();
    let store = state.store();
    let done = blocking(move || {
        let opts = mesh_service::review::ApproveOptions {
            reviewer: &reviewer,
            note: note.as_deref(),
            override_reason: override_reason.as_deref(),
            tick,
        };
        mesh_service::review::approve(&dir, &project, &store, id, &opts)
    })
    .await??;
    if !done.approved {
        return Err(Problem::gate_failed(&done.gate));
    }
    state.tasks_changed();
    if done.overridden.is_some() || done.tick.as_ref().is_some_and(|t| t.ticked) {
        state.documents_changed();
    }
    Ok(done)
}

/// Reject task `id` (back to pending; the third rejection blocks it).
pub async fn reject(
    state: &AppState,
    id: i64,
    reviewer: String,
    note: String,
) -> Result<mesh_service::review::Rejection, Problem> {
    let dir = state.project_dir().to_path_buf();
    let store = state.store();
    let done = blocking(move || mesh_service::review::reject(&dir, &store, id, &reviewer, &note))
        .await??;
    state.tasks_changed();
    Ok(done)
}

/// Shared `Arc` of the status view (for MCP).
pub async fn status(state: &AppState) -> Result<Arc<crate::state::CachedStatus>, Problem> {
    state.status().await
}
