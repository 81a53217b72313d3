//! The REST API under `/api/`, the live change feed, the OpenAPI document and the router with
//! its layers (authentication, body limit, timeout, problem+json for every error, request logs,
//! panics caught).
//!
//! Every route is declared here, one `.route(..)` per line, and documented in [`ROUTES`]; a test
//! keeps the two equal, and `/openapi.json` is generated from [`ROUTES`].

use std::convert::Infallible;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{FromRequest, Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Extension, Json, Router};
use futures_util::Stream;
use rmcp::schemars::{self, JsonSchema};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::json;
use tokio::sync::broadcast::error::RecvError;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use mesh_store::{NewTask, Risk, Status, TaskFilter, Verdict};

use crate::auth::{Caller, Role, WORKER_HEADER, WorkerError};
use crate::ops;
use crate::problem::{PROBLEM_JSON, Problem};
use crate::state::AppState;

/// Limits applied to every request.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Largest request body accepted (bytes).
    pub body_bytes: usize,
    /// Longest time to produce a response's head.
    pub timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            body_bytes: 256 * 1024,
            timeout: Duration::from_secs(15),
        }
    }
}

// -- request bodies -----------------------------------------------------------------------------

/// A JSON body; an empty body is the type's default. Malformed JSON is a 400, JSON of the wrong
/// shape (unknown or mistyped fields) a 422, a body over the limit a 413, another media type a
/// 415 — all as problem+json.
#[derive(Debug)]
pub struct JsonBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Default> FromRequest<S> for JsonBody<T> {
    type Rejection = Problem;

    async fn from_request(req: Request, state: &S) -> Result<Self, Problem> {
        let content_type = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_ascii_lowercase);
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                Problem::for_status(StatusCode::PAYLOAD_TOO_LARGE)
            } else {
                Problem::bad_request("the request body could not be read")
            }
        })?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(JsonBody(T::default()));
        }
        if let Some(ct) = content_type
            && !(ct.starts_with("application/json") || ct.contains("+json"))
        {
            return Err(Problem::for_status(StatusCode::UNSUPPORTED_MEDIA_TYPE));
        }
        serde_json::from_slice(&bytes).map(JsonBody).map_err(|e| {
            if e.is_data() {
                Problem::invalid(format!("the body does not fit this request: {e}"))
            } else {
                Problem::bad_request(format!("the body is not valid JSON: {e}"))
            }
        })
    }
}

/// `POST /api/tasks/next`.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NextBody {
    /// The worker to claim for (default: the token's worker).
    pub worker: Option<String>,
    /// Only this lane.
    pub lane: Option<String>,
    /// Lease length in seconds (default: the server's, 300).
    pub lease_secs: Option<u64>,
}

/// `POST /api/tasks/{id}/claim` and `/heartbeat`.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LeaseBody {
    /// The worker (default: the token's worker).
    pub worker: Option<String>,
    /// Lease length in seconds (default: the server's, 300).
    pub lease_secs: Option<u64>,
}

/// `POST /api/tasks/{id}/submit`.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SubmitBody {
    /// The worker (default: the token's worker).
    pub worker: Option<String>,
    /// What was done. The evidence is the task's latest verification (`POST
    /// /api/tasks/{id}/verify`), gathered by the tool, not typed here.
    pub note: Option<String>,
}

/// `POST /api/tasks/{id}/clarifications`.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AskBody {
    /// What you need to know to go on (one question, up to 2,000 characters).
    #[serde(default)]
    pub question: String,
    /// The worker holding the task (default: the token's worker).
    pub worker: Option<String>,
    /// The document root whose INBOX.md gets the entry (default: the first).
    pub root: Option<String>,
}

/// `DELETE /api/tasks/{id}/lease` query.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReleaseQuery {
    /// The worker holding the claim (default: the token's worker; for an admin token, whoever
    /// holds it).
    pub worker: Option<String>,
    /// Why the task is given back.
    pub note: Option<String>,
}

/// `POST /api/tasks/{id}/review`.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewBody {
    /// `approve` (through the review gate → completed) or `reject` (→ pending, rework; the
    /// third rejection blocks the task).
    pub verdict: Option<String>,
    /// Why (required to reject).
    #[serde(default)]
    pub note: String,
    /// Approve despite failed gate conditions, for this reason: recorded as a decision row and
    /// an `override` ledger entry. The reviewer condition cannot be overridden.
    #[serde(rename = "override")]
    pub override_reason: Option<String>,
    /// Tick the task's checklist item in SPEC or PRD (`- [ ]` → `- [x]`) on approval.
    #[serde(default)]
    pub tick: bool,
}

/// `POST /api/tasks/{id}/simplify`.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SimplifyBody {
    /// The revision the change is measured against (default: HEAD).
    pub base: Option<String>,
}

/// `POST /api/tasks`.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTaskBody {
    /// What to do, one line.
    #[serde(default)]
    pub title: String,
    /// Lane: backend, frontend, qa, ops, docs, ...
    #[serde(default)]
    pub lane: String,
    /// 0 (most urgent) to 9; default 2.
    pub priority: Option<i64>,
    /// LOW, MEDIUM or HIGH (raised to the assessed risk).
    pub risk: Option<String>,
    /// The source item (US1, a SPEC item).
    #[serde(default)]
    pub trace: String,
    /// Definition of done.
    #[serde(default)]
    pub dod: String,
    /// Tasks this one waits for (ids or keys).
    #[serde(default)]
    pub deps: Vec<String>,
    /// A stable key (backend:login).
    pub key: Option<String>,
}

/// `POST /api/plans/draft`.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DraftBody {
    /// Draft even when a root is not in EXECUTION mode.
    #[serde(default)]
    pub force: bool,
}

/// `POST /api/plans`.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptBody {
    /// The plan file, relative to the project (default: the newest docs/PLANS/draft-*.md).
    pub file: Option<String>,
}

/// `GET /api/tasks` query.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TaskQuery {
    pub status: Option<String>,
    pub lane: Option<String>,
    pub worker: Option<String>,
}

/// `GET /api/decisions` query.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionQuery {
    /// The document root (default: the first).
    pub root: Option<String>,
    /// active, proposed, superseded, reverted or unknown.
    pub status: Option<String>,
}

// -- handlers -----------------------------------------------------------------------------------

type ApiResult = Result<Response, Problem>;

fn ok<T: serde::Serialize>(value: &T) -> ApiResult {
    Ok(Json(value).into_response())
}

fn need(caller: &Caller, role: Role) -> Result<(), Problem> {
    caller.require(role).map_err(Problem::forbidden)
}

fn worker(caller: &Caller, requested: Option<&str>) -> Result<String, Problem> {
    caller.worker(requested).map_err(|e| match e {
        WorkerError::Forbidden(m) => Problem::forbidden(m),
        WorkerError::Missing(m) => Problem::invalid(m),
    })
}

fn query<T: DeserializeOwned>(
    q: Result<Query<T>, axum::extract::rejection::QueryRejection>,
) -> Result<T, Problem> {
    q.map(|Query(v)| v).map_err(|e| {
        Problem::invalid(format!(
            "the query string does not fit this request: {}",
            e.body_text()
        ))
    })
}

async fn status(State(state): State<AppState>) -> ApiResult {
    let cached = state.status().await?;
    Ok((
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        cached.json.clone(),
    )
        .into_response())
}

async fn diagnostics(State(state): State<AppState>) -> ApiResult {
    ok(&ops::diagnostics(&state).await?)
}

async fn documents(State(state): State<AppState>) -> ApiResult {
    ok(&ops::documents(&state).await?)
}

async fn hydrate(State(state): State<AppState>) -> ApiResult {
    ok(&ops::hydrate(&state).await?)
}

async fn trace(State(state): State<AppState>) -> ApiResult {
    ok(&ops::trace(&state).await?)
}

async fn plan_draft(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    JsonBody(body): JsonBody<DraftBody>,
) -> ApiResult {
    need(&caller, Role::Admin)?;
    let drafts = ops::plan_draft(&state, body.force).await?;
    let out: Vec<serde_json::Value> = drafts
        .iter()
        .map(|d| json!({"root": d.root, "mode": d.mode, "path": d.path, "plan": d.plan.json()}))
        .collect();
    Ok((StatusCode::CREATED, Json(out)).into_response())
}

async fn plan_accept(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    JsonBody(body): JsonBody<AcceptBody>,
) -> ApiResult {
    need(&caller, Role::Admin)?;
    let actor = caller.actor();
    ok(&ops::plan_accept(&state, body.file, actor).await?)
}

async fn ledger(State(state): State<AppState>) -> ApiResult {
    ok(&ops::ledger(&state).await?)
}

async fn list_decisions(
    State(state): State<AppState>,
    q: Result<Query<DecisionQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult {
    let q = query(q)?;
    ok(&ops::decisions(&state, q.root.as_deref(), q.status.as_deref()).await?)
}

async fn add_decision(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    JsonBody(body): JsonBody<ops::DecisionInput>,
) -> ApiResult {
    need(&caller, Role::Worker)?;
    let added = ops::add_decision(&state, body, caller.name.clone()).await?;
    Ok((StatusCode::CREATED, Json(added)).into_response())
}

async fn supersede_decision(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<ops::DecisionInput>,
) -> ApiResult {
    need(&caller, Role::Admin)?;
    let added = ops::supersede_decision(&state, id, body, caller.name.clone()).await?;
    Ok((StatusCode::CREATED, Json(added)).into_response())
}

async fn list_tasks(
    State(state): State<AppState>,
    q: Result<Query<TaskQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult {
    let q = query(q)?;
    let status = match q.status.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => Some(Status::parse(s).ok_or_else(|| {
            Problem::invalid(format!(
                "unknown status `{s}`: use one of {}",
                Status::ALL.map(Status::as_str).join(", ")
            ))
        })?),
    };
    let filter = TaskFilter {
        status,
        lane: q.lane.filter(|l| !l.trim().is_empty()),
        worker: q.worker.filter(|w| !w.trim().is_empty()),
    };
    ok(&ops::list_tasks(&state, filter).await?)
}

async fn create_task(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    JsonBody(body): JsonBody<NewTaskBody>,
) -> ApiResult {
    need(&caller, Role::Admin)?;
    let risk = match body.risk.as_deref() {
        None => None,
        Some(r) => Some(Risk::parse(r).ok_or_else(|| {
            Problem::invalid(format!("unknown risk `{r}`: use LOW, MEDIUM or HIGH"))
        })?),
    };
    let store = state.store();
    let deps = body.deps.clone();
    let deps = crate::state::blocking(move || {
        deps.iter()
            .map(|d| store.resolve(d))
            .collect::<Result<Vec<i64>, _>>()
    })
    .await??;
    let new = NewTask {
        title: body.title,
        lane: body.lane,
        priority: body.priority,
        risk,
        trace: body.trace,
        dod: body.dod,
        deps,
        key: body.key,
    };
    let actor = caller.actor();
    let task = ops::add_task(&state, new, actor).await?;
    Ok((StatusCode::CREATED, Json(task)).into_response())
}

async fn show_task(State(state): State<AppState>, Path(id): Path<String>) -> ApiResult {
    ok(&ops::show_task(&state, id).await?)
}

async fn next_task(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    JsonBody(body): JsonBody<NextBody>,
) -> ApiResult {
    let w = worker(&caller, body.worker.as_deref())?;
    let lease = ops::lease(&state, body.lease_secs)?;
    let task = ops::next_task(&state, w, body.lane, lease).await?;
    ok(&json!({ "task": task }))
}

async fn claim_task(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<LeaseBody>,
) -> ApiResult {
    let w = worker(&caller, body.worker.as_deref())?;
    let lease = ops::lease(&state, body.lease_secs)?;
    ok(&ops::claim(&state, id, w, lease).await?)
}

async fn heartbeat(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<LeaseBody>,
) -> ApiResult {
    let w = worker(&caller, body.worker.as_deref())?;
    let lease = ops::lease(&state, body.lease_secs)?;
    ok(&ops::heartbeat(&state, id, w, lease).await?)
}

async fn submit(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<SubmitBody>,
) -> ApiResult {
    let w = worker(&caller, body.worker.as_deref())?;
    ok(&ops::submit(&state, id, w, body.note).await?)
}

async fn ask(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<AskBody>,
) -> ApiResult {
    let w = worker(&caller, body.worker.as_deref())?;
    let asked = ops::ask(&state, id, w, body.question, body.root).await?;
    Ok((StatusCode::CREATED, Json(asked)).into_response())
}

async fn release(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    q: Result<Query<ReleaseQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult {
    let q = query(q)?;
    if caller.role == Role::Admin && !caller.open {
        // An admin token may take any worker's claim away: an override, in the ledger.
        let admin = caller.name.clone().unwrap_or_else(|| "admin".into());
        return ok(&ops::release_any(&state, id, admin, q.worker, q.note)
            .await?
            .task);
    }
    let w = worker(&caller, q.worker.as_deref())?;
    ok(&ops::release(&state, id, w, q.note).await?)
}

/// `PUT /api/tasks/{id}/lease`.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReassignBody {
    /// The worker who gets the task (required).
    #[serde(default)]
    pub worker: String,
    /// Lease length in seconds (default: the server's, 300).
    pub lease_secs: Option<u64>,
    /// Why the claim is moved.
    pub note: Option<String>,
}

async fn reassign(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<ReassignBody>,
) -> ApiResult {
    need(&caller, Role::Admin)?;
    let to = body.worker.trim().to_string();
    if to.is_empty() {
        return Err(Problem::invalid(
            "give `worker`: the worker who gets the task",
        ));
    }
    let lease = ops::lease(&state, body.lease_secs)?;
    let admin = caller.actor();
    ok(&ops::reassign(&state, id, admin, to, lease, body.note)
        .await?
        .task)
}

async fn review(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<ReviewBody>,
) -> ApiResult {
    need(&caller, Role::Admin)?;
    let verdict = match body.verdict.as_deref().map(str::trim) {
        Some(v) if v.eq_ignore_ascii_case("approve") => Verdict::Approve,
        Some(v) if v.eq_ignore_ascii_case("reject") => Verdict::Reject,
        _ => {
            return Err(Problem::invalid(
                "give `verdict`: `approve` (→ completed) or `reject` (→ pending)",
            ));
        }
    };
    let reviewer = caller.actor();
    let task = ops::task_for(&state, id, &caller).await?;
    match verdict {
        Verdict::Approve => {
            let note = Some(body.note).filter(|n| !n.trim().is_empty());
            let done = ops::approve(
                &state,
                task.id,
                reviewer,
                note,
                body.override_reason,
                body.tick,
            )
            .await?;
            ok(&done)
        }
        Verdict::Reject => ok(&ops::reject(&state, task.id, reviewer, body.note).await?),
    }
}

async fn verify(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> ApiResult {
    need(&caller, Role::Worker)?;
    let task = ops::task_for(&state, id, &caller).await?;
    let actor = caller.actor();
    let started = ops::start_verify(&state, task.id, actor).await?;
    Ok((StatusCode::ACCEPTED, Json(started)).into_response())
}

async fn evidence(State(state): State<AppState>, Path(id): Path<String>) -> ApiResult {
    ok(&ops::evidence(&state, id).await?)
}

async fn simplify(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<SimplifyBody>,
) -> ApiResult {
    need(&caller, Role::Worker)?;
    let task = ops::task_for(&state, id, &caller).await?;
    let actor = caller.actor();
    let base = body.base.filter(|b| !b.trim().is_empty());
    let ev = ops::simplify(&state, task.id, actor, base).await?;
    Ok((StatusCode::CREATED, Json(ev)).into_response())
}

/// Server-sent events: `ready` once, then `change` with `{"what": "tasks" | "documents"}`
/// whenever the store or the documents change; ends when the server shuts down.
async fn events(
    State(state): State<AppState>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let rx = state.subscribe();
    let stop = state.shutdown_token();
    let stream =
        futures_util::stream::unfold((rx, stop, true), |(mut rx, stop, first)| async move {
            if first {
                let e = Event::default().event("ready").data("{}");
                return Some((Ok(e), (rx, stop, false)));
            }
            let what = tokio::select! {
                () = stop.cancelled() => return None,
                r = rx.recv() => match r {
                    Ok(change) => serde_json::to_string(&change).unwrap_or_default(),
                    Err(RecvError::Lagged(_)) => "\"all\"".to_string(),
                    Err(RecvError::Closed) => return None,
                },
            };
            let e = Event::default()
                .event("change")
                .data(format!("{{\"what\":{what}}}"));
            Some((Ok(e), (rx, stop, false)))
        });
    Sse::new(stream).keep_alive(KeepAlive::default())
}

async fn openapi() -> Response {
    Json(crate::openapi::document()).into_response()
}

async fn not_found() -> Problem {
    Problem::for_status(StatusCode::NOT_FOUND)
}

// -- middleware ---------------------------------------------------------------------------------

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = v.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
}

fn is_public(path: &str) -> bool {
    path == "/" || path.starts_with("/assets/") || path == "/openapi.json"
}

/// Establish the caller. With tokens in force every request outside the public pages needs a
/// valid bearer token; without, everyone is an admin naming its worker in `X-Mesh-Worker`.
async fn authenticate(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let tokens = state.tokens();
    let caller = if tokens.is_empty() {
        let name = req
            .headers()
            .get(WORKER_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_string);
        Some(Caller::open(name))
    } else {
        match bearer(req.headers()) {
            Some(t) => match tokens.verify(t) {
                Some(c) => Some(c),
                None => {
                    return Problem::unauthorized(
                        "the bearer token is unknown or revoked; ask an admin for one (`mesh token create`)",
                    )
                    .into_response();
                }
            },
            None if is_public(req.uri().path()) => None,
            None => {
                return Problem::unauthorized(
                    "send a token: `Authorization: Bearer <token>` (`mesh token create --role reader|worker|admin`)",
                )
                .into_response();
            }
        }
    };
    if let Some(c) = caller {
        req.extensions_mut().insert(c);
    }
    next.run(req).await
}

/// Every error response outside `/mcp` is problem+json, whatever layer produced it.
async fn problems_everywhere(req: Request, next: Next) -> Response {
    let mcp = req.uri().path().starts_with("/mcp");
    let resp = next.run(req).await;
    let status = resp.status();
    if mcp || !(status.is_client_error() || status.is_server_error()) {
        return resp;
    }
    let is_problem = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(PROBLEM_JSON.as_bytes()));
    if is_problem {
        resp
    } else {
        Problem::for_status(status).into_response()
    }
}

fn panic_to_problem(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    tracing::error!("a request handler panicked");
    Problem::for_status(StatusCode::INTERNAL_SERVER_ERROR).into_response()
}

// -- the router ---------------------------------------------------------------------------------

/// The whole application: API, cockpit, MCP, with every layer.
pub fn router(state: AppState, limits: Limits, mcp: Option<Router<AppState>>) -> Router {
    let mut app = Router::new()
        .route("/api/status", get(status))
        .route("/api/diagnostics", get(diagnostics))
        .route("/api/documents", get(documents))
        .route("/api/hydrate", get(hydrate))
        .route("/api/ledger", get(ledger))
        .route("/api/trace", get(trace))
        .route("/api/plans", post(plan_accept))
        .route("/api/plans/draft", post(plan_draft))
        .route("/api/decisions", get(list_decisions).post(add_decision))
        .route("/api/decisions/{id}/supersede", post(supersede_decision))
        .route("/api/tasks", get(list_tasks).post(create_task))
        .route("/api/tasks/next", post(next_task))
        .route("/api/tasks/{id}", get(show_task))
        .route("/api/tasks/{id}/claim", post(claim_task))
        .route("/api/tasks/{id}/heartbeat", post(heartbeat))
        .route("/api/tasks/{id}/submit", post(submit))
        .route("/api/tasks/{id}/review", post(review))
        .route("/api/tasks/{id}/verify", post(verify))
        .route("/api/tasks/{id}/evidence", get(evidence))
        .route("/api/tasks/{id}/simplify", post(simplify))
        .route("/api/tasks/{id}/clarifications", post(ask))
        .route("/api/tasks/{id}/lease", delete(release).put(reassign))
        .route("/api/events", get(events))
        .route("/openapi.json", get(openapi))
        .route("/", get(crate::web::page))
        .route("/cockpit/main", get(crate::web::main_fragment))
        .route("/assets/cockpit.js", get(crate::web::script))
        .route("/assets/cockpit.css", get(crate::web::style))
        .route("/assets/favicon.svg", get(crate::web::icon))
        .fallback(not_found);
    if let Some(mcp) = mcp {
        app = app.merge(mcp);
    }
    app.layer(middleware::from_fn_with_state(state.clone(), authenticate))
        .layer(axum::extract::DefaultBodyLimit::max(limits.body_bytes))
        .layer(RequestBodyLimitLayer::new(limits.body_bytes))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            limits.timeout,
        ))
        .layer(middleware::from_fn(problems_everywhere))
        .layer(CatchPanicLayer::custom(panic_to_problem))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// One documented operation.
#[derive(Debug, Clone, Copy)]
pub struct RouteDoc {
    pub method: &'static str,
    pub path: &'static str,
    pub summary: &'static str,
    /// The least role that may call it; `None` for public resources.
    pub role: Option<Role>,
    /// The request body's schema, if it takes one.
    pub body: Option<fn() -> serde_json::Value>,
    /// The query string's schema, if it takes one.
    pub query: Option<fn() -> serde_json::Value>,
    /// The success status and media type.
    pub success: (u16, &'static str),
}

fn schema<T: JsonSchema>() -> serde_json::Value {
    serde_json::to_value(schemars::schema_for!(T)).unwrap_or_default()
}

const JSON: &str = "application/json";

/// Every route of the server (MCP included), for `/openapi.json`.
pub const ROUTES: &[RouteDoc] = &[
    RouteDoc {
        method: "get",
        path: "/api/status",
        summary: "Readiness per document, the mode and the six pipeline stages of every root, with task counts",
        role: Some(Role::Reader),
        body: None,
        query: None,
        success: (200, JSON),
    },
    RouteDoc {
        method: "get",
        path: "/api/diagnostics",
        summary: "The findings of `mesh check` for every root, in its JSON format",
        role: Some(Role::Reader),
        body: None,
        query: None,
        success: (200, JSON),
    },
    RouteDoc {
        method: "get",
        path: "/api/documents",
        summary: "The parsed documents of every root (structure with lines and byte spans)",
        role: Some(Role::Reader),
        body: None,
        query: None,
        success: (200, JSON),
    },
    RouteDoc {
        method: "get",
        path: "/api/hydrate",
        summary: "The hydrated ACTIVE_SPEC snapshot of every root, and whether ACTIVE_SPEC.md is stale (nothing is written)",
        role: Some(Role::Reader),
        body: None,
        query: None,
        success: (200, JSON),
    },
    RouteDoc {
        method: "get",
        path: "/api/trace",
        summary: "The trace matrix (requirements → tasks → tests) and its findings, per root",
        role: Some(Role::Reader),
        body: None,
        query: None,
        success: (200, JSON),
    },
    RouteDoc {
        method: "post",
        path: "/api/plans",
        summary: "Accept a plan (default: the newest draft) into the store; accepting the same plan again changes nothing",
        role: Some(Role::Admin),
        body: Some(schema::<AcceptBody>),
        query: None,
        success: (200, JSON),
    },
    RouteDoc {
        method: "post",
        path: "/api/plans/draft",
        summary: "Draft a plan from the documents into <root>/PLANS/draft-<time>.md (refused outside EXECUTION mode unless forced)",
        role: Some(Role::Admin),
        body: Some(schema::<DraftBody>),
        query: None,
        success: (201, JSON),
    },
    RouteDoc {
        method: "get",
        path: "/api/ledger",
        summary: "The hash-chained ledger (reviews, overrides, plan acceptances, ships): its verification and its entries",
        role: Some(Role::Reader),
        body: None,
        query: None,
        success: (200, JSON),
    },
    RouteDoc {
        method: "get",
        path: "/api/decisions",
        summary: "The decisions of a root's DECISION_LOG.md",
        role: Some(Role::Reader),
        body: None,
        query: Some(schema::<DecisionQuery>),
        success: (200, JSON),
    },
    RouteDoc {
        method: "post",
        path: "/api/decisions",
        summary: "Append a decision to the log (locked, atomic)",
        role: Some(Role::Worker),
        body: Some(schema::<ops::DecisionInput>),
        query: None,
        success: (201, JSON),
    },
    RouteDoc {
        method: "post",
        path: "/api/decisions/{id}/supersede",
        summary: "Append a decision that supersedes decision {id}, and mark {id} superseded",
        role: Some(Role::Admin),
        body: Some(schema::<ops::DecisionInput>),
        query: None,
        success: (201, JSON),
    },
    RouteDoc {
        method: "get",
        path: "/api/tasks",
        summary: "Tasks, filtered by status, lane or worker",
        role: Some(Role::Reader),
        body: None,
        query: Some(schema::<TaskQuery>),
        success: (200, JSON),
    },
    RouteDoc {
        method: "post",
        path: "/api/tasks",
        summary: "Create a pending task",
        role: Some(Role::Admin),
        body: Some(schema::<NewTaskBody>),
        query: None,
        success: (201, JSON),
    },
    RouteDoc {
        method: "post",
        path: "/api/tasks/next",
        summary: "Claim the most urgent claimable task with a lease (optionally in one lane); `task` is null when none is claimable",
        role: Some(Role::Worker),
        body: Some(schema::<NextBody>),
        query: None,
        success: (200, JSON),
    },
    RouteDoc {
        method: "get",
        path: "/api/tasks/{id}",
        summary: "One task (id, T-id or key) with its history",
        role: Some(Role::Reader),
        body: None,
        query: None,
        success: (200, JSON),
    },
    RouteDoc {
        method: "post",
        path: "/api/tasks/{id}/claim",
        summary: "Claim a given pending task with a lease",
        role: Some(Role::Worker),
        body: Some(schema::<LeaseBody>),
        query: None,
        success: (200, JSON),
    },
    RouteDoc {
        method: "post",
        path: "/api/tasks/{id}/heartbeat",
        summary: "Renew the caller's lease on a task",
        role: Some(Role::Worker),
        body: Some(schema::<LeaseBody>),
        query: None,
        success: (200, JSON),
    },
    RouteDoc {
        method: "post",
        path: "/api/tasks/{id}/submit",
        summary: "Move the caller's task to review, with a note on what was done. Refused (409 `not-verified`) unless the task's latest verification (POST /api/tasks/{id}/verify) ran on the working tree as it is now; a failed verification is accepted, with a `warning` in the response. Returns {task, verification, warning}",
        role: Some(Role::Worker),
        body: Some(schema::<SubmitBody>),
        query: None,
        success: (200, JSON),
    },
    RouteDoc {
        method: "post",
        path: "/api/tasks/{id}/review",
        summary: "Review a submitted task. Approve goes through the review gate (a passing verification on the current tree, a trace to the documents, simplification evidence or a waiver, no STK/DEP/GOV/DEC error in the change, a second reviewer for HIGH risk): a failed condition is a 409 `gate-failed` problem listing the conditions, unless `override` gives a reason. Reject returns the task to pending; the third rejection blocks it",
        role: Some(Role::Admin),
        body: Some(schema::<ReviewBody>),
        query: None,
        success: (200, JSON),
    },
    RouteDoc {
        method: "post",
        path: "/api/tasks/{id}/verify",
        summary: "Run the project's test command ([verify] command in mesh.toml, or SPEC's Testing convention) for the task in the background; the Verify evidence (tree, exit code, counts, output tail) appears under /api/tasks/{id}/evidence when it ends. Workers only for their own task",
        role: Some(Role::Worker),
        body: None,
        query: None,
        success: (202, JSON),
    },
    RouteDoc {
        method: "get",
        path: "/api/tasks/{id}/evidence",
        summary: "The task's evidence (verify, simplify, waiver), oldest first",
        role: Some(Role::Reader),
        body: None,
        query: None,
        success: (200, JSON),
    },
    RouteDoc {
        method: "post",
        path: "/api/tasks/{id}/simplify",
        summary: "Measure the task's change against a base revision (default HEAD): files, lines added and removed, repeated blocks; recorded as Simplify evidence. Workers only for their own task",
        role: Some(Role::Worker),
        body: Some(schema::<SimplifyBody>),
        query: None,
        success: (201, JSON),
    },
    RouteDoc {
        method: "post",
        path: "/api/tasks/{id}/clarifications",
        summary: "Ask a clarification about the caller's task: creates an URGENT clarification task, appends an OPEN QUESTION entry to INBOX.md and blocks the task until the answer is in",
        role: Some(Role::Worker),
        body: Some(schema::<AskBody>),
        query: None,
        success: (201, JSON),
    },
    RouteDoc {
        method: "delete",
        path: "/api/tasks/{id}/lease",
        summary: "Release the caller's claim; the task returns to pending. With an admin token, release whoever holds it (an override, recorded in the task's history and the ledger)",
        role: Some(Role::Worker),
        body: None,
        query: Some(schema::<ReleaseQuery>),
        success: (200, JSON),
    },
    RouteDoc {
        method: "put",
        path: "/api/tasks/{id}/lease",
        summary: "Give the task to `worker` with a lease: a claim held by another worker is released first (an override, recorded in the task's history and the ledger)",
        role: Some(Role::Admin),
        body: Some(schema::<ReassignBody>),
        query: None,
        success: (200, JSON),
    },
    RouteDoc {
        method: "get",
        path: "/api/events",
        summary: "Server-sent events: `ready`, then `change` ({\"what\": \"tasks\"|\"documents\"}) whenever the store or the documents change",
        role: Some(Role::Reader),
        body: None,
        query: None,
        success: (200, "text/event-stream"),
    },
    RouteDoc {
        method: "get",
        path: "/openapi.json",
        summary: "This document",
        role: None,
        body: None,
        query: None,
        success: (200, JSON),
    },
    RouteDoc {
        method: "get",
        path: "/",
        summary: "The web cockpit (server-rendered HTML, readable without JavaScript when no tokens are configured)",
        role: None,
        body: None,
        query: None,
        success: (200, "text/html"),
    },
    RouteDoc {
        method: "get",
        path: "/cockpit/main",
        summary: "The cockpit's content as an HTML fragment (what the page's script refreshes)",
        role: Some(Role::Reader),
        body: None,
        query: None,
        success: (200, "text/html"),
    },
    RouteDoc {
        method: "get",
        path: "/assets/cockpit.js",
        summary: "The cockpit's script (live updates)",
        role: None,
        body: None,
        query: None,
        success: (200, "text/javascript"),
    },
    RouteDoc {
        method: "get",
        path: "/assets/cockpit.css",
        summary: "The cockpit's style sheet",
        role: None,
        body: None,
        query: None,
        success: (200, "text/css"),
    },
    RouteDoc {
        method: "get",
        path: "/assets/favicon.svg",
        summary: "The cockpit's icon",
        role: None,
        body: None,
        query: None,
        success: (200, "image/svg+xml"),
    },
    RouteDoc {
        method: "post",
        path: "/mcp",
        summary: "MCP over streamable HTTP: JSON-RPC requests (tools and document resources)",
        role: Some(Role::Reader),
        body: None,
        query: None,
        success: (200, "text/event-stream"),
    },
    RouteDoc {
        method: "get",
        path: "/mcp",
        summary: "MCP over streamable HTTP: the server-to-client stream of a session",
        role: Some(Role::Reader),
        body: None,
        query: None,
        success: (200, "text/event-stream"),
    },
    RouteDoc {
        method: "delete",
        path: "/mcp",
        summary: "MCP over streamable HTTP: end a session",
        role: Some(Role::Reader),
        body: None,
        query: None,
        success: (202, JSON),
    },
];
