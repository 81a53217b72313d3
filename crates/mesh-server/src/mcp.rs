//! The MCP server (rmcp): a small tool set for coding agents and the documents as resources.
//! Served over stdio by `mesh mcp` and over streamable HTTP at `/mcp` by `mesh serve`. The
//! tools call the same operations as the REST API ([`crate::ops`]).
//!
//! Who the agent is: over HTTP, the caller the authentication layer established (the token's
//! worker); over stdio, the worker given to `mesh mcp --worker`.

use std::sync::Arc;

use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{
    CallToolResult, ContentBlock, Extensions, Implementation, ListResourcesResult,
    PaginatedRequestParams, ReadResourceRequestParams, ReadResourceResponse, ReadResourceResult,
    Resource, ResourceContents, ServerCapabilities, ServerConfig,
};
use rmcp::schemars::{self, JsonSchema};
use rmcp::service::RequestContext;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use rmcp::{ErrorData, RoleServer, ServerHandler, tool, tool_handler, tool_router};
use serde::Deserialize;
use serde_json::json;

use mesh_docs::DocKind;
use mesh_service::decide::AddedDecision;

use crate::auth::{Caller, Role, WorkerError};
use crate::ops::{self, DecisionInput};
use crate::problem::Problem;
use crate::state::AppState;

const INSTRUCTIONS: &str = "Atomic Mesh coordinates work that follows from a repository's spec documents \
(docs/PRD.md, SPEC.md, ACTIVE_SPEC.md, DECISION_LOG.md, TECH_STACK.md, INBOX.md). Start with \
`active_spec` (what to build, compact) and `readiness`. Take work with `next_task` (it claims the \
task for you with a lease), keep the lease with `heartbeat` while you work, run `check` on your \
change, run the tests with `verify` after your last change, and finish with `submit` (say what \
you did; the evidence is the verification, which must be on the code as it is now). \
Record choices with `log_decision`. When you cannot go on without an answer from a person, \
call `ask_clarification`: your task is blocked until the answer is in, so take other work. SPEC wins over ACTIVE_SPEC when they disagree. The documents \
are resources (mesh://<root>/<FILE>.md).";

/// The MCP server.
#[derive(Clone)]
pub struct MeshMcp {
    state: AppState,
    /// The caller for stdio (no HTTP request carries one).
    local: Option<Caller>,
    tool_router: ToolRouter<MeshMcp>,
}

impl std::fmt::Debug for MeshMcp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MeshMcp")
            .field("local", &self.local)
            .finish()
    }
}

/// `next_task`.
#[derive(Debug, Default, Deserialize, JsonSchema)]
pub struct NextArgs {
    /// Only take a task from this lane (backend, frontend, qa, ops, docs, ...).
    #[serde(default)]
    pub lane: Option<String>,
    /// Lease length in seconds (default 300); renew it with `heartbeat` before it runs out.
    #[serde(default)]
    pub lease_secs: Option<u64>,
}

/// `heartbeat`.
#[derive(Debug, Default, Deserialize, JsonSchema)]
pub struct HeartbeatArgs {
    /// The task you hold (T-12, 12 or its key).
    pub task: String,
    /// New lease length in seconds from now (default 300).
    #[serde(default)]
    pub lease_secs: Option<u64>,
}

/// `verify`.
#[derive(Debug, Default, Deserialize, JsonSchema)]
pub struct VerifyArgs {
    /// The task you hold (T-12, 12 or its key).
    pub task: String,
}

/// `submit`.
#[derive(Debug, Default, Deserialize, JsonSchema)]
pub struct SubmitArgs {
    /// The task you hold (T-12, 12 or its key).
    pub task: String,
    /// What you did and how the change traces to the spec. The test evidence is not typed
    /// here: it is the verification `verify` recorded.
    pub note: String,
}

/// `ask_clarification`.
#[derive(Debug, Default, Deserialize, JsonSchema)]
pub struct AskArgs {
    /// The task you hold and cannot finish without an answer (T-12, 12 or its key).
    pub task: String,
    /// The question, one thing, self-contained: what you need to know and why (up to 2,000
    /// characters).
    pub question: String,
}

/// `check`.
#[derive(Debug, Default, Deserialize, JsonSchema)]
pub struct CheckArgs {
    /// Include warnings and infos, not only errors (default false).
    #[serde(default)]
    pub all: bool,
}

fn problem_result(p: &Problem) -> CallToolResult {
    CallToolResult::error(vec![ContentBlock::text(
        serde_json::to_string(p).unwrap_or_else(|_| p.detail.clone()),
    )])
}

fn json_result(v: &impl serde::Serialize) -> CallToolResult {
    match serde_json::to_string(v) {
        Ok(s) => CallToolResult::success(vec![ContentBlock::text(s)]),
        Err(e) => problem_result(&Problem::internal(&e)),
    }
}

fn done<T: serde::Serialize>(r: Result<T, Problem>) -> Result<CallToolResult, ErrorData> {
    Ok(match r {
        Ok(v) => json_result(&v),
        Err(p) => problem_result(&p),
    })
}

/// The documents a resource URI may name.
fn parse_uri(uri: &str) -> Option<(String, DocKind)> {
    let rest = uri.strip_prefix("mesh://")?;
    let (root, file) = rest.rsplit_once('/')?;
    let kind = DocKind::ALL.into_iter().find(|k| k.file_name() == file)?;
    Some((root.to_string(), kind))
}

#[tool_router]
impl MeshMcp {
    /// An MCP server over `state`; `local` is the caller for stdio (None over HTTP).
    pub fn new(state: AppState, local: Option<Caller>) -> MeshMcp {
        MeshMcp {
            state,
            local,
            tool_router: Self::tool_router(),
        }
    }

    fn caller(&self, ext: &Extensions) -> Result<Caller, Problem> {
        if let Some(c) = &self.local {
            return Ok(c.clone());
        }
        ext.get::<axum::http::request::Parts>()
            .and_then(|p| p.extensions.get::<Caller>())
            .cloned()
            .ok_or_else(|| Problem::unauthorized("no caller: send a bearer token"))
    }

    fn worker(&self, ext: &Extensions) -> Result<String, Problem> {
        self.caller(ext)?.worker(None).map_err(|e| match e {
            WorkerError::Forbidden(m) => Problem::forbidden(m),
            WorkerError::Missing(m) => Problem::invalid(format!(
                "{m} (over HTTP without tokens, send the X-Mesh-Worker header)"
            )),
        })
    }

    #[tool(
        description = "The hydrated ACTIVE_SPEC of every document root, compact: constraints (database, auth, API style, runtime), objective, goals, user stories, non-functional requirements, endpoints, entities, relationships, out of scope, open questions and active decisions, each with its source. Read this first: it is what to build. Also says whether ACTIVE_SPEC.md on disk is stale."
    )]
    async fn active_spec(&self, ext: Extensions) -> Result<CallToolResult, ErrorData> {
        if let Err(p) = self.caller(&ext) {
            return Ok(problem_result(&p));
        }
        done(ops::hydrate(&self.state).await)
    }

    #[tool(
        description = "Readiness and pipeline of every document root: the mode (PRE_INIT, BOOTSTRAP, EXECUTION), each document's score against its threshold with the unfilled items and their lines, the six stages (Context, Plan, Work, Optimize, Verify, Ship) with colour and reason, task counts, and the one next step."
    )]
    async fn readiness(&self, ext: Extensions) -> Result<CallToolResult, ErrorData> {
        if let Err(p) = self.caller(&ext) {
            return Ok(problem_result(&p));
        }
        done(self.state.status().await.map(|c| c.view.clone()))
    }

    #[tool(
        description = "Take the next task for me: claims the most urgent claimable task (all dependencies completed) for the calling worker with a lease, and returns it (title, lane, definition of done, trace). Returns {\"task\": null} when nothing is claimable. Renew the lease with `heartbeat`; finish with `submit`."
    )]
    async fn next_task(
        &self,
        ext: Extensions,
        Parameters(args): Parameters<NextArgs>,
    ) -> Result<CallToolResult, ErrorData> {
        let r = async {
            let worker = self.worker(&ext)?;
            let lease = ops::lease(&self.state, args.lease_secs)?;
            let task = ops::next_task(&self.state, worker, args.lane, lease).await?;
            Ok(json!({ "task": task }))
        }
        .await;
        done(r)
    }

    #[tool(
        description = "Renew my lease on a task I hold, so it is not handed to another worker. Call it every few minutes while working. Refused when the task is not mine or the lease already expired (then claim again with `next_task`)."
    )]
    async fn heartbeat(
        &self,
        ext: Extensions,
        Parameters(args): Parameters<HeartbeatArgs>,
    ) -> Result<CallToolResult, ErrorData> {
        let r = async {
            let worker = self.worker(&ext)?;
            let lease = ops::lease(&self.state, args.lease_secs)?;
            ops::heartbeat(&self.state, args.task, worker, lease).await
        }
        .await;
        done(r)
    }

    #[tool(
        description = "Run the project's test command on my task and wait for it; records evidence (the tree it ran on, exit code, test counts) the reviewer will check. Call it before `submit`, after your last change: a later change makes it stale. Returns the summary, passed, counts and tree."
    )]
    async fn verify(
        &self,
        ext: Extensions,
        Parameters(args): Parameters<VerifyArgs>,
    ) -> Result<CallToolResult, ErrorData> {
        let r = async {
            let worker = self.worker(&ext)?;
            ops::verify_now(&self.state, args.task, worker).await
        }
        .await;
        done(r)
    }

    #[tool(
        description = "Submit a task I hold for review, with a note: what I did and how the change traces to the spec. The evidence is gathered by `verify`, not typed: submit is refused unless `verify` ran on the code as it is now (a failed verification is accepted with a warning, for the reviewer). The task moves to reviewing; a reviewer approves or rejects it. Returns the task, the verification and any warning."
    )]
    async fn submit(
        &self,
        ext: Extensions,
        Parameters(args): Parameters<SubmitArgs>,
    ) -> Result<CallToolResult, ErrorData> {
        let r = async {
            let worker = self.worker(&ext)?;
            if args.note.trim().is_empty() {
                return Err(Problem::invalid(
                    "give a note: what you did and how it traces to the spec",
                ));
            }
            ops::submit(&self.state, args.task, worker, Some(args.note)).await
        }
        .await;
        done(r)
    }

    #[tool(
        description = "Ask a clarification when the spec does not settle something you need to finish a task you hold. Creates an URGENT clarification task for a person, appends an OPEN QUESTION entry to INBOX.md, and blocks your task (your claim ends) until the answer is recorded and the task unblocked. Returns the clarification task, your blocked task and the INBOX line. Then take other work with `next_task`."
    )]
    async fn ask_clarification(
        &self,
        ext: Extensions,
        Parameters(args): Parameters<AskArgs>,
    ) -> Result<CallToolResult, ErrorData> {
        let r = async {
            let worker = self.worker(&ext)?;
            ops::ask(&self.state, args.task, worker, args.question, None).await
        }
        .await;
        done(r)
    }

    #[tool(
        description = "Record a decision in DECISION_LOG.md (append-only; the row gets the next ID and today's date). Use it when you make a choice the spec does not settle (a library, a data shape, an API detail), and before changing SPEC.md. `type` is one of INIT, SCOPE, ARCH, API, DATA, SECURITY, UX, PERF, OPS, TEST, RELEASE."
    )]
    async fn log_decision(
        &self,
        ext: Extensions,
        Parameters(args): Parameters<DecisionInput>,
    ) -> Result<CallToolResult, ErrorData> {
        let r: Result<AddedDecision, Problem> = async {
            let caller = self.caller(&ext)?;
            caller.require(Role::Worker).map_err(Problem::forbidden)?;
            ops::add_decision(&self.state, args, caller.name.clone()).await
        }
        .await;
        done(r)
    }

    #[tool(
        description = "Check my change: run the project's rules (`mesh check`) over the documents and, where configured, the code, and return the findings with file, line, rule code, message and how to fix. Errors block the gate; by default only errors are returned."
    )]
    async fn check(
        &self,
        ext: Extensions,
        Parameters(args): Parameters<CheckArgs>,
    ) -> Result<CallToolResult, ErrorData> {
        if let Err(p) = self.caller(&ext) {
            return Ok(problem_result(&p));
        }
        let r = ops::diagnostics(&self.state).await.map(|mut v| {
            if !args.all
                && let Some(list) = v.get_mut("diagnostics").and_then(|d| d.as_array_mut())
            {
                list.retain(|d| d.get("severity").and_then(|s| s.as_str()) == Some("error"));
            }
            v
        });
        done(r)
    }
}

#[tool_handler(router = self.tool_router)]
impl ServerHandler for MeshMcp {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(
            ServerCapabilities::builder()
                .enable_tools()
                .enable_resources()
                .build(),
        )
        .with_server_info(
            Implementation::new("atomic-mesh", env!("CARGO_PKG_VERSION")).with_title("Atomic Mesh"),
        )
        .with_instructions(INSTRUCTIONS)
    }

    async fn list_resources(
        &self,
        _request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, ErrorData> {
        self.caller(&context.extensions)
            .map_err(|p| ErrorData::invalid_request(p.detail, None))?;
        let project = self.state.project();
        let mut items = Vec::new();
        for root in &project.roots {
            for kind in DocKind::ALL {
                let path = root.dir.join(kind.file_name());
                let Ok(meta) = std::fs::metadata(&path) else {
                    continue;
                };
                if !meta.is_file() {
                    continue;
                }
                items.push(
                    Resource::new(
                        format!("mesh://{}/{}", root.display, kind.file_name()),
                        root.file_display(kind),
                    )
                    .with_description(format!("{} of root {}", kind.as_str(), root.display))
                    .with_mime_type("text/markdown")
                    .with_size(meta.len()),
                );
            }
        }
        Ok(ListResourcesResult::with_all_items(items))
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, ErrorData> {
        self.caller(&context.extensions)
            .map_err(|p| ErrorData::invalid_request(p.detail, None))?;
        let Some((root, kind)) = parse_uri(&request.uri) else {
            return Err(ErrorData::resource_not_found(
                format!(
                    "unknown resource `{}`; resources are mesh://<root>/<FILE>.md (resources/list)",
                    request.uri
                ),
                None,
            ));
        };
        let text = ops::document_text(&self.state, &root, kind)
            .await
            .map_err(|p| ErrorData::resource_not_found(p.detail, None))?;
        Ok(ReadResourceResult::new(vec![
            ResourceContents::text(text, request.uri.clone()).with_mime_type("text/markdown"),
        ])
        .into())
    }
}

/// The `/mcp` routes for the HTTP server.
pub fn http_router(state: AppState, loopback_only: bool) -> axum::Router<AppState> {
    let mut config = StreamableHttpServerConfig::default()
        .with_cancellation_token(state.shutdown_token().child_token());
    if !loopback_only {
        // Served to other hosts only with tokens in force; the token is the guard.
        config = config.disable_allowed_hosts();
    }
    let factory_state = state.clone();
    let service: StreamableHttpService<MeshMcp, LocalSessionManager> = StreamableHttpService::new(
        move || Ok(MeshMcp::new(factory_state.clone(), None)),
        Arc::new(LocalSessionManager::default()),
        config,
    );
    axum::Router::new().route_service("/mcp", service)
}

/// Serve MCP over stdio until the client disconnects.
pub async fn serve_stdio(state: AppState, worker: String) -> Result<(), std::io::Error> {
    use rmcp::ServiceExt;
    let caller = Caller {
        name: Some(worker),
        role: Role::Worker,
        open: false,
    };
    let server = MeshMcp::new(state, Some(caller))
        .serve(rmcp::transport::stdio())
        .await
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    server
        .waiting()
        .await
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resource_uris_name_root_and_document() {
        assert_eq!(
            parse_uri("mesh://docs/SPEC.md"),
            Some(("docs".into(), DocKind::Spec))
        );
        assert_eq!(
            parse_uri("mesh://svc/a/docs/PRD.md"),
            Some(("svc/a/docs".into(), DocKind::Prd))
        );
        assert_eq!(parse_uri("mesh://docs/README.md"), None);
        assert_eq!(parse_uri("file:///etc/passwd"), None);
    }
}
