//! mesh-server: Atomic Mesh served — a REST JSON API under `/api/`, the web cockpit at `/`
//! with live updates (server-sent events), an OpenAPI 3.1 document at `/openapi.json`, and MCP
//! over streamable HTTP at `/mcp` (and over stdio for `mesh mcp`).
//!
//! Handlers hold no business logic: they call the service layer (mesh-service, mesh-store,
//! mesh-check) through [`ops`], the same functions the MCP tools call.
//!
//! - [`serve`] runs the server until Ctrl-C / SIGTERM, then shuts down gracefully.
//! - [`auth`]: bearer tokens (hashed in the store), roles reader < worker < admin.
//! - [`problem`]: every error is RFC 7807 problem+json.

pub mod api;
pub mod auth;
pub mod mcp;
pub mod openapi;
pub mod ops;
pub mod problem;
pub mod state;
pub mod web;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

pub use api::{Limits, ROUTES};
pub use auth::{Caller, Issued, Role, TokenSet, issue};
pub use problem::Problem;
pub use state::AppState;

use mesh_service::project::Project;
use mesh_store::{OpenOptions, Store, StoreLocation};

/// How to run the server.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    pub addr: SocketAddr,
    /// The project directory (holding docs/ or mesh.toml).
    pub project_dir: PathBuf,
    pub discover: bool,
    pub store: StoreLocation,
    pub limits: Limits,
    /// The lease a claim gets unless the request asks for another.
    pub lease: Duration,
    /// How often to look for changes made by other processes.
    pub poll: Duration,
}

/// Why the server could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(
        "refusing to listen on {addr} without tokens: anyone who can reach it could drive the scheduler\n  help: create tokens first (`mesh token create --role admin --name you`), or listen on loopback (--addr 127.0.0.1:7878)"
    )]
    OpenOnNetwork { addr: SocketAddr },
    #[error("{0}")]
    Project(#[from] mesh_service::project::OpenError),
    #[error("{0}")]
    Store(#[from] mesh_store::StoreError),
    #[error(
        "cannot listen on {addr}: {source}\n  help: is another server using the port? choose one with --addr"
    )]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("the server failed: {0}")]
    Io(#[from] std::io::Error),
}

/// Open the project and the store and build the shared state (also used by `mesh mcp`).
///
/// The server keeps the store open and serves many calls through it, so a SQLite store
/// checkpoints its WAL in the background instead of inside a commit
/// ([`OpenOptions::background_checkpoint`]), and a PostgreSQL store serves its workers' claims
/// in batches on two connections ([`OpenOptions::claim_connections`]).
pub fn open_state(
    project_dir: PathBuf,
    discover: bool,
    store: &StoreLocation,
    lease: Duration,
) -> Result<AppState, ServeError> {
    let project = Project::open(&project_dir, discover)?;
    let opened = Store::open_with(
        store,
        &OpenOptions {
            background_checkpoint: true,
            claim_connections: 2,
            ..OpenOptions::default()
        },
    )?;
    let state = AppState::new(project_dir, discover, project, opened, lease)?;
    state.set_location(store.clone());
    Ok(state)
}

/// The full application router over `state` (API, cockpit, MCP), for serving or testing.
pub fn app(state: AppState, limits: Limits, loopback_only: bool) -> axum::Router {
    let mcp = mcp::http_router(state.clone(), loopback_only);
    api::router(state, limits, Some(mcp))
}

/// Run the server until Ctrl-C or SIGTERM; in-flight requests finish, live streams end.
/// `ready` is called with the bound address once the server accepts connections.
pub async fn serve(opts: ServeOptions, ready: impl FnOnce(SocketAddr)) -> Result<(), ServeError> {
    let state = open_state(
        opts.project_dir.clone(),
        opts.discover,
        &opts.store,
        opts.lease,
    )?;
    let loopback = opts.addr.ip().is_loopback();
    if !loopback && state.tokens().is_empty() {
        return Err(ServeError::OpenOnNetwork { addr: opts.addr });
    }
    let listener = tokio::net::TcpListener::bind(opts.addr)
        .await
        .map_err(|source| ServeError::Bind {
            addr: opts.addr,
            source,
        })?;
    let local = listener.local_addr()?;
    // Compute the status once before the first request: on a large store it takes tens of
    // milliseconds, which the first readers would otherwise all wait for.
    if let Err(p) = state.status().await {
        tracing::warn!(problem = %p, "the status could not be computed at start");
    }
    let app = app(state.clone(), opts.limits, loopback);
    tokio::spawn(state.clone().watch(opts.poll));
    tracing::info!(
        addr = %local,
        store = %opts.store,
        auth = if state.tokens().is_empty() { "open (loopback only)" } else { "bearer tokens" },
        "mesh serve listening"
    );
    ready(local);
    let stop = state.shutdown_token();
    axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            shutdown_signal().await;
            tracing::info!("shutting down: finishing in-flight requests");
            stop.cancel();
        })
        .await?;
    if let Some(c) = state.store().wal_checkpoints() {
        tracing::info!(
            rounds = c.rounds,
            frames = c.frames,
            restarts = c.restarts,
            truncates = c.truncates,
            busy = c.busy,
            errors = c.errors,
            longest_hold_ms = c.longest_hold_ms,
            "background WAL checkpoints"
        );
    }
    tracing::info!("mesh serve stopped");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
}

/// Structured JSON logs on stderr; the level comes from `MESH_LOG` (e.g. `info`, `warn`,
/// `mesh_server=debug`), default `info`. Call once.
pub fn init_logging() {
    init_logging_with_default("info");
}

/// [`init_logging`] with another default level when `MESH_LOG` is unset.
pub fn init_logging_with_default(level: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("MESH_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    let _ = tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_current_span(false)
        .try_init();
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn the_server_checkpoints_a_sqlite_store_in_the_background() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("docs")).unwrap();
        std::fs::write(dir.path().join("docs/SPEC.md"), "# Spec\n").unwrap();
        let store = StoreLocation::Sqlite(dir.path().join(".mesh/mesh.db"));
        let state = open_state(
            dir.path().to_path_buf(),
            false,
            &store,
            Duration::from_secs(300),
        )
        .unwrap();
        let stats = state
            .store()
            .wal_checkpoints()
            .expect("a background checkpointer");
        assert!(stats.running);
        // A one-shot command opening the same store keeps SQLite's automatic checkpoint.
        assert_eq!(Store::open(&store).unwrap().wal_checkpoints(), None);
    }
}
